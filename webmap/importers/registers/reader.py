"""Read a register file as published into the plain table the asset importer reads."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from webmap.importers.common import (
    ImportFailed,
    ImportReport,
    Problem,
    announce_read,
    check_exists,
    milestone,
    without_paths,
)
from webmap.importers.compressed import unpacked
from webmap.importers.problems import _, ngettext
from webmap.importers.registers.layouts import Layout, _first_rows

OUTPUT_FIELDS = (
    "name",
    "description",
    "address",
    "postcode",
    "phone",
    "website",
    "opening_times",
    "source_id",
    "source_date",
    "opened_on",
    "easting",
    "northing",
    "longitude",
    "latitude",
)
_FIELD = re.compile(r"\{([^{}]+)\}")


def read_register(path: str | Path, layout: Layout, report: ImportReport) -> pd.DataFrame:
    """Return open rows as a table of our fields (with `_row`, the row number in the file); count the rest."""
    p = check_exists(path)
    announce_read(p)
    table, first_row = _read(p, layout)
    table = table.assign(_row=np.arange(len(table)) + first_row)
    report.read = len(table)
    milestone(
        ngettext(
            "Read %(count)s row from %(file)s (%(layout)s)",
            "Read %(count)s rows from %(file)s (%(layout)s)",
            len(table),
            count=f"{len(table):,}",
            file=p.name,
            layout=layout.title,
        )
    )
    report.notes.append(_("read with the '%(name)s' register layout: %(title)s", name=layout.name, title=layout.title))
    closed = _closed(table, layout, report)
    report.skip(_("closed (the register says it has closed)"), int(closed.sum()))
    table = table[~closed]
    for rule in layout.keep:
        column = _first_present(table, rule["column"])
        if column is None:
            continue
        wanted = table[column].str.strip().isin(rule["values"])
        reason = rule.get("reason") or _(
            "'%(column)s' is not %(values)s", column=column, values=", ".join(rule["values"])
        )
        report.skip(reason, int((~wanted).sum()))
        table = table[wanted]
    out = pd.DataFrame({"_row": table["_row"].to_numpy()})
    for name in OUTPUT_FIELDS:
        values = _field(table, layout.fields.get(name, []))
        if values is not None:
            out[name] = values.to_numpy()
    out["category"] = _categories(table, layout).to_numpy()
    return out


def _read(p: Path, layout: Layout) -> tuple[pd.DataFrame, int]:
    """Read the file with the layout's encodings; return the table and the file row number of its first row."""
    skip = 0
    if layout.header:
        rows = _first_rows(p, layout.header_search)
        found = [i for i, row in enumerate(rows) if any(need <= {c.strip() for c in row} for need in layout.detect)]
        if layout.detect and not found:
            expected = " or ".join(", ".join(sorted(d)) for d in layout.detect)
            raise ImportFailed(
                Problem(
                    p.name,
                    None,
                    None,
                    _(
                        "does not have the header of the '%(name)s' layout "
                        "(expected the columns %(expected)s; the first line is: %(first)s)",
                        name=layout.name,
                        expected=expected,
                        first=", ".join(rows[0]) if rows else _("empty"),
                    ),
                )
            )
        skip = found[0] if found else 0
    else:
        rows = _first_rows(p, 1)
        if rows and len(rows[0]) != len(layout.columns):
            raise ImportFailed(
                Problem(
                    p.name,
                    1,
                    None,
                    _(
                        "has %(found)s fields, but the '%(name)s' layout "
                        "has %(expected)s (is it the right file, or does it have a header row?)",
                        found=len(rows[0]),
                        name=layout.name,
                        expected=len(layout.columns),
                    ),
                )
            )
    last_error = None
    with unpacked(p) as source:  # .gz and the like are unpacked within the size limits first
        table, last_error = _read_csv(source, p.name, layout, skip)
    if table is None:
        raise ImportFailed(
            Problem(
                p.name,
                None,
                None,
                _(
                    "is in none of the encodings %(encodings)s (%(error)s)",
                    encodings=", ".join(layout.encodings),
                    error=last_error,
                ),
            )
        )
    if table.empty:
        raise ImportFailed(Problem(p.name, None, None, _("has no rows")))
    table.columns = [str(c).strip() for c in table.columns]
    return table, skip + (2 if layout.header else 1)


def _read_csv(source: Path, name: str, layout: Layout, skip: int) -> tuple[pd.DataFrame | None, Exception | None]:
    """Read the plain file with the first of the layout's encodings that fits; return (table or None, last error)."""
    last_error = None
    for encoding in layout.encodings:
        try:
            return pd.read_csv(
                source,
                compression=None,
                dtype=str,
                keep_default_na=False,
                encoding=encoding,
                skiprows=skip,
                header=0 if layout.header else None,
                names=None if layout.header else list(layout.columns),
                quoting=csv.QUOTE_MINIMAL,
            ), None
        except UnicodeDecodeError as exc:
            last_error = exc
        except (ValueError, pd.errors.ParserError, OSError, EOFError) as exc:
            raise ImportFailed(
                Problem(
                    name,
                    None,
                    None,
                    _(
                        "cannot be read as a '%(name)s' register (%(error)s)",
                        name=layout.name,
                        error=without_paths(str(exc)),
                    ),
                )
            ) from exc
    return None, last_error


def _first_present(table: pd.DataFrame, column: str | list[str]) -> str | None:
    names = column if isinstance(column, list) else [column]
    return next((c for c in names if c in table.columns), None)


def _closed(table: pd.DataFrame, layout: Layout, report: ImportReport) -> pd.Series:
    """Return True for rows any closed rule marks as closed."""
    closed = pd.Series(False, index=table.index)
    for rule in layout.closed:
        column = _first_present(table, rule["column"])
        if column is None:
            report.notes.append(
                _(
                    "the file has no %(columns)s column, so no row was taken as closed by it",
                    columns=" or ".join(np.atleast_1d(rule["column"])),
                )
            )
            continue
        value = table[column].str.strip()
        if "open" in rule:
            closed |= ~value.isin(rule["open"])
        if "closed" in rule:
            closed |= value.isin(rule["closed"])
        if rule.get("blank_is_open"):
            closed |= value != ""
    return closed


def _field(table: pd.DataFrame, choices: list[str]) -> pd.Series | None:
    """Return the first usable choice: "=text" for every row, a column the file has, or a template whose columns it has."""
    for choice in choices:
        names = _FIELD.findall(choice)
        if choice.startswith("="):  # the same text for every row: "=GP practice"
            return pd.Series(choice[1:], index=table.index, dtype=object)
        if not names:
            if choice in table.columns:
                return table[choice].str.strip()
            continue
        if all(n in table.columns for n in names):
            return (
                table.apply(lambda row, choice=choice: _render(choice, row), axis=1)
                if len(table)
                else pd.Series([], dtype=object)
            )
    return None


def _render(template: str, row: pd.Series) -> str | None:
    """Fill a template, leaving out blank fields and the text before them ("{a}, {b}, {c}" -> "a, c")."""
    parts = _FIELD.split(template)  # literal, field, literal, field, ..., literal
    values = [str(row[parts[i]]).strip() for i in range(1, len(parts), 2)]
    out = ""
    for k, value in enumerate(values):
        if value:
            out += (parts[2 * k] if out or k == 0 else "") + value
    if out and values[-1]:
        out += parts[-1]
    return out or None


def _categories(table: pd.DataFrame, layout: Layout) -> pd.Series:
    categories = pd.Series(layout.category, index=table.index, dtype=object)
    decided = pd.Series(False, index=table.index)
    for rule in layout.category_rules:
        column = _first_present(table, rule["column"])
        if column is None:
            continue
        hit = table[column].str.contains(rule["contains"], case=False, regex=False) & ~decided
        categories[hit] = rule["category"]
        decided |= hit
    return categories
