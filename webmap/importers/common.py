"""What every importer shares: problems that name file/row/field, reports, file readers."""

from __future__ import annotations

import io
import json
import re
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import click
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from flask import current_app, has_app_context
from pyproj import CRS
from pyproj.exceptions import CRSError

from webmap.core.csvsafe import write_csv
from webmap.importers.problems import ImportFailed, Problem, _, ngettext  # noqa: F401  (importers import them from here)

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb"}
PROGRESS_THRESHOLD = 2000


SKIP_HINT = (
    "Correct these rows and import the file again, or import the other rows with --skip-bad-rows "
    "(the refused rows are then written to a rejects CSV)."
)


@dataclass
class ImportReport:
    """What an import read, wrote, skipped (on purpose, e.g. closed) and refused (bad rows), with the reasons."""

    file: str
    read: int = 0
    imported: int = 0
    updated: int = 0
    skipped: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    refused: list[Problem] = field(default_factory=list)
    rejects_file: str | None = None
    # Attribution the source asks for (a register layout gives one), recorded for "About the data".
    attribution: str | None = None
    # The places it wrote (importers.writing): ids it added, and the trail values before of those it changed.
    created: list[int] = field(default_factory=list)
    changed: dict[int, dict] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        """Count rows skipped for this reason."""
        if count:
            self.skipped[reason] += count

    @property
    def refused_rows(self) -> int:
        """Return how many rows were refused (a row with two problems counts once)."""
        return len({p.row for p in self.refused})

    def summary(self) -> str:
        """Return the plain-English summary printed at the end of an import."""
        head = "Dry run, nothing saved. " if self.dry_run else ""
        lines = [
            f"{head}{self.file}: read {self.read}, imported {self.imported}, updated {self.updated}, "
            f"skipped {sum(self.skipped.values())}, refused {self.refused_rows}."
        ]
        lines += [f"  skipped {n}: {reason}" for reason, n in self.skipped.most_common()]
        if self.refused:
            reasons = Counter(p.reason if len(p.reason) < 60 else p.reason[:57] + "..." for p in self.refused)
            lines += [f"  refused {n}: {reason}" for reason, n in reasons.most_common(5)]
            if self.rejects_file:
                lines.append(f"  the refused rows, with their row numbers and reasons, are in {self.rejects_file}")
        lines += [f"  note: {note}" for note in self.notes]
        lines.append(self.in_short())
        return "\n".join(lines)

    def in_short(self) -> str:
        """Return one sentence a non-programmer can act on."""
        skipped, refused = sum(self.skipped.values()), self.refused_rows
        said = [f"{_n(self.imported, 'new record')} added", f"{_n(self.updated, 'record')} updated"]
        if skipped:
            said.append(f"{_n(skipped, 'row')} left out for the reasons listed")
        if refused:
            said.append(
                f"{_n(refused, 'row')} refused as unusable"
                + (f" (see {self.rejects_file})" if self.rejects_file else "")
            )
        verb = "Nothing was saved (dry run); it would have been: " if self.dry_run else "In short: "
        return verb + ", ".join(said) + "."


def _read(count: int, name: str) -> str:
    return ngettext(
        "Read %(count)s row from %(file)s", "Read %(count)s rows from %(file)s", count, count=f"{count:,}", file=name
    )


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def settle_rows(
    frame: pd.DataFrame,
    problems: dict[int, list[Problem]],
    report: ImportReport,
    skip_bad_rows: bool,
    rejects_path: str | Path | None = None,
    raw: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Refuse the file over bad rows, or (with skip_bad_rows) drop them and write them to a rejects CSV.

    `problems` is keyed by position in `frame`; `raw` holds the rows as read, for the rejects
    file (by default `frame` itself), in the same order.
    """
    milestone(
        ngettext(
            "Checked %(count)s row: %(good)s can be used, %(bad)s cannot",
            "Checked %(count)s rows: %(good)s can be used, %(bad)s cannot",
            len(frame),
            count=f"{len(frame):,}",
            good=f"{len(frame) - len(problems):,}",
            bad=f"{len(problems):,}",
        )
    )
    if not problems:
        return frame
    flat = [p for position in sorted(problems) for p in problems[position]]
    if not skip_bad_rows:
        raise ImportFailed(flat, hint=SKIP_HINT)
    report.refused.extend(flat)
    raw = frame if raw is None else raw
    path = Path(rejects_path) if rejects_path else Path.cwd() / f"{Path(report.file).name.split('.')[0]}-rejects.csv"
    _write_rejects(path, raw, problems)
    report.rejects_file = str(path)
    keep = np.ones(len(frame), dtype=bool)
    keep[list(problems)] = False
    return frame[keep]


def _write_rejects(path: Path, raw: pd.DataFrame, problems: dict[int, list[Problem]]) -> None:
    """Write each refused row with its row number, fields and reasons, then its values as read."""
    values = pd.DataFrame(raw.drop(columns=[c for c in ("geometry",) if c in raw.columns])).iloc[sorted(problems)]
    values = values[[c for c in values.columns if not str(c).startswith("_")]]
    out = pd.DataFrame(
        {
            "row": [problems[i][0].row for i in sorted(problems)],
            "field": ["; ".join(p.field or "" for p in problems[i]) for i in sorted(problems)],
            "reason": ["; ".join(p.reason for p in problems[i]) for i in sorted(problems)],
        }
    )
    out = pd.concat([out, values.reset_index(drop=True).add_prefix("")], axis=1)
    write_csv(path, out)


def check_exists(path: str | Path) -> Path:
    """Return the path, or fail naming it if there is no such file or it is over the size limit."""
    p = Path(path)
    if not p.exists():
        raise ImportFailed(Problem(str(path), None, None, _("there is no such file")))
    limit_mb = float(current_app.config.get("MAX_IMPORT_MB", 0)) if has_app_context() else 0
    size_mb = p.stat().st_size / 1_000_000 if p.is_file() else 0
    if limit_mb and size_mb > limit_mb:
        raise ImportFailed(
            Problem(
                p.name,
                None,
                None,
                _(
                    "is %(size)s MB, over the import limit of %(limit)s MB (the WEBMAP_MAX_IMPORT_MB setting)",
                    size=f"{size_mb:,.1f}",
                    limit=f"{limit_mb:,.0f}",
                ),
            )
        )
    return p


def read_vector(path: str | Path, layer: str | None = None, crs: str | None = None) -> gpd.GeoDataFrame:
    """Read GeoJSON, GeoPackage or Shapefile; fail with the file's name and the reason.

    The CRS is never guessed: a GeoJSON without a `crs` member is WGS84 by the standard, and is
    refused when its coordinates cannot be longitude/latitude; a CRS that is named but unknown
    is refused; `crs` (e.g. "27700" or "EPSG:27700") overrides whatever the file says.
    """
    p = check_exists(path)
    if p.suffix.lower() not in VECTOR_SUFFIXES:
        raise ImportFailed(
            Problem(
                p.name,
                None,
                None,
                _(
                    "'%(suffix)s' files are not supported here; use GeoJSON, GeoPackage, Shapefile or CSV",
                    suffix=p.suffix or p.name,
                ),
            )
        )
    given = parse_crs(crs, p.name) if crs else None
    announce_read(p)
    from webmap.importers.compressed import unpacked

    with unpacked(p) as source:  # a .zip is unpacked within the size limits first
        source = _gis_file_in(source, p.name) if source.is_dir() else source
        declared = geojson_crs_member(source) if source.suffix.lower() in (".geojson", ".json") else None
        try:
            with warnings.catch_warnings():
                # GDAL warns about a CRS it cannot read; geojson_crs_member() reports it instead.
                warnings.simplefilter("ignore", RuntimeWarning)
                frame = gpd.read_file(source, layer=layer) if layer else gpd.read_file(source)
        except Exception as exc:  # pyogrio raises several types; all mean "cannot read".
            raise ImportFailed(
                Problem(p.name, None, None, _("cannot be read as a GIS file: %(reason)s", reason=gis_reason(exc)))
            ) from exc
    if frame.empty:
        raise ImportFailed(Problem(p.name, None, None, _("has no rows (no features in the file)")))
    if given is not None:
        return frame.set_crs(given, allow_override=True)
    if declared is not None:
        frame = frame.set_crs(parse_crs(declared, p.name, named_in_file=True), allow_override=True)
    elif frame.crs is None:
        frame = _assume_crs(frame, p.name)
    _check_geographic_range(frame, p.name)
    milestone(_read(len(frame), p.name))
    return frame


GIS_FILE_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb")
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][^/\\\s'\"():,]+){2,}[/\\]?")


def without_paths(text: str) -> str:
    """Return a message with every file path cut down to its last part (staff never see the server's folders)."""
    return _PATH.sub(lambda m: re.split(r"[/\\]", m.group(0).rstrip("/\\"))[-1], text)


def gis_reason(exc: BaseException) -> str:
    """Say in plain words why GDAL could not read a file (never with a server path)."""
    said = without_paths(str(exc)).strip()
    if re.search(
        r"not recogni[sz]ed as (being in )?a supported (file )?format|No such file|Failed to open", said, re.I
    ):
        return _(
            "it is not a GIS file this map can read (GeoJSON, GeoPackage, a zipped Shapefile or FlatGeobuf), or it is "
            "damaged or cut short"
        )
    return (
        _("the GIS library could not read it (%(error)s)", error=said[:300])
        if said
        else _("the GIS library could not read it")
    )


def _gis_file_in(folder: Path, name: str) -> Path:
    """Return the GIS file in an unpacked zip (or its folder, for several Shapefiles together); refuse anything else."""
    found = sorted(
        f
        for f in folder.rglob("*")
        if f.is_file() and f.suffix.lower() in GIS_FILE_SUFFIXES and not f.name.startswith(".")
    )
    if not found:
        held = ", ".join(sorted(f.name for f in folder.rglob("*") if f.is_file())[:8]) or _("nothing")
        raise ImportFailed(
            Problem(
                name,
                None,
                None,
                _(
                    "holds no GIS file (a Shapefile's .shp with its .dbf and .shx, a "
                    "GeoPackage, GeoJSON or FlatGeobuf); it holds: %(held)s",
                    held=held,
                ),
            )
        )
    if len(found) == 1:
        return found[0]
    if all(f.suffix.lower() == ".shp" and f.parent == found[0].parent for f in found):
        return found[0].parent  # several Shapefiles side by side: layers of one folder (--layer picks one)
    raise ImportFailed(
        Problem(
            name,
            None,
            None,
            _(
                "holds %(count)s GIS files (%(names)s); zip one at a time",
                count=len(found),
                names=", ".join(f.name for f in found[:6]),
            ),
        )
    )


def parse_crs(value: str, file: str, named_in_file: bool = False) -> CRS:
    """Return the CRS for "27700", "EPSG:27700", a URN or WKT; fail naming the value if it is not known."""
    text_value = str(value).strip()
    candidate = f"EPSG:{text_value}" if text_value.isdigit() else text_value
    try:
        return CRS.from_user_input(candidate)
    except CRSError:
        said = (
            _(
                "the file names the coordinate reference system '%(crs)s', which is not a known CRS; "
                "give the right one with --crs, e.g. --crs 27700",
                crs=text_value,
            )
            if named_in_file
            else _(
                "the coordinate reference system '%(crs)s', which is not a known CRS; give an EPSG code, e.g. --crs 27700",
                crs=text_value,
            )
        )
        raise ImportFailed(Problem(file, None, None, said)) from None


def geojson_crs_member(path: Path) -> str | None:
    """Return the name in a GeoJSON's (old-style) `crs` member, or None when it has none."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16).decode("utf-8", errors="replace")
    match = _CRS_MEMBER.search(head)
    return match.group(1) if match else None


_CRS_MEMBER = re.compile(r'"crs"\s*:\s*\{[^{}]*"properties"\s*:\s*\{[^{}]*"(?:name|href)"\s*:\s*"([^"]+)"')


def likely_crs(minx: float, miny: float, maxx: float, maxy: float) -> str:
    """Name the CRS that coordinates in this range most likely use (for error messages)."""
    if 0 <= minx <= maxx <= 700_000 and 0 <= miny <= maxy <= 1_300_000:
        return _("British National Grid (EPSG:27700), so give --crs 27700")
    if 0 <= minx <= maxx <= 1_000_000 and 0 <= miny <= maxy <= 10_000_000:
        return _(
            "a projected grid in metres such as UTM; give its EPSG code with --crs, e.g. --crs 27700 for "
            "British National Grid"
        )
    return _(
        "a projected grid, not longitude/latitude; give its EPSG code with --crs, e.g. --crs 27700 for "
        "British National Grid"
    )


def _assume_crs(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Give a file without a CRS WGS84 when its coordinates can only be lon/lat; refuse otherwise."""
    minx, miny, maxx, maxy = frame.total_bounds
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        click.echo(
            f"Note: {name} has no coordinate reference system; its coordinates look like "
            "longitude/latitude, so EPSG:4326 is assumed (give --crs to say otherwise).",
            err=True,
        )
        return frame.set_crs("EPSG:4326")
    raise ImportFailed(
        Problem(
            name,
            None,
            None,
            _(
                "has no coordinate reference system, and its coordinates (e.g. %(x)s, %(y)s) are not "
                "longitude/latitude: they look like %(likely)s",
                x=f"{minx:.0f}",
                y=f"{miny:.0f}",
                likely=likely_crs(minx, miny, maxx, maxy),
            ),
        )
    )


def _check_geographic_range(frame: gpd.GeoDataFrame, name: str) -> None:
    """Refuse longitude/latitude data whose coordinates are out of range (a projected file mislabelled)."""
    if frame.crs is None or not frame.crs.is_geographic:
        return
    finite = frame.geometry[[g is not None and not g.is_empty for g in frame.geometry]]
    if finite.empty:
        return
    minx, miny, maxx, maxy = finite.total_bounds
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        return
    values = {
        "crs": frame.crs.to_string(),
        "x": f"{minx:.0f}",
        "y": f"{miny:.0f}",
        "likely": likely_crs(minx, miny, maxx, maxy),
    }
    said = (
        _(
            "says it is in longitude/latitude (%(crs)s), but its coordinates (e.g. %(x)s, %(y)s) are not: "
            "they look like %(likely)s",
            **values,
        )
        if frame.crs.to_epsg() != 4326
        else _(
            "is, by the GeoJSON standard when no CRS is given, in longitude/latitude (%(crs)s), but its "
            "coordinates (e.g. %(x)s, %(y)s) are not: they look like %(likely)s",
            **values,
        )
    )
    raise ImportFailed(Problem(name, None, None, said))


def geometry_problems(geometries: gpd.GeoSeries, file: str, rows: Sequence[int] | None = None) -> dict[int, Problem]:
    """Return {position: problem} for null, empty and non-finite geometries."""
    problems = {}
    for i, geom in enumerate(geometries):
        row = rows[i] if rows is not None else row_number(i)
        if geom is None or not hasattr(geom, "is_empty"):
            problems[i] = Problem(file, row, "geometry", _("the geometry is missing (null)"))
        elif geom.is_empty:
            problems[i] = Problem(
                file, row, "geometry", _("the geometry is empty (no coordinates, or NaN coordinates)")
            )
        elif not np.isfinite(shapely.get_coordinates(geom)).all():
            problems[i] = Problem(
                file, row, "geometry", _("the geometry has coordinates that are not numbers (NaN or infinite)")
            )
    return problems


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (plain or .gz, UTF-8 with or without BOM) as strings."""
    p = check_exists(path)
    announce_read(p)
    from webmap.importers.compressed import unpacked

    with unpacked(p) as source:  # .gz, .bz2, .xz and .zip are unpacked within the size limits first
        source = _csv_file_in(source, p.name) if source.is_dir() else source
        try:
            try:
                frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig", compression=None)
            except UnicodeDecodeError:
                frame = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="cp1252", compression=None)
                click.echo(f"Note: {p.name} is not UTF-8; read it as Windows-1252 (cp1252).", err=True)
        except Exception as exc:
            raise ImportFailed(
                Problem(p.name, None, None, _("cannot be read as CSV (%(error)s)", error=without_paths(str(exc))))
            ) from exc
    if frame.empty:
        raise ImportFailed(Problem(p.name, None, None, _("has no rows (only a header, or nothing at all)")))
    milestone(_read(len(frame), p.name))
    return frame


def open_text(path: str | Path, encoding: str = "utf-8-sig", errors: str = "replace"):
    """Open a plain or compressed (.gz, .bz2, .xz) text file for reading; compressed ones within the size limits."""
    from webmap.importers.compressed import OPENERS, open_limited

    if Path(path).suffix.lower() in OPENERS:
        return io.TextIOWrapper(
            io.BufferedReader(open_limited(Path(path))), encoding=encoding, errors=errors, newline=""
        )
    return open(path, encoding=encoding, errors=errors, newline="")


def _csv_file_in(folder: Path, name: str) -> Path:
    """Return the one CSV in an unpacked zip; refuse a zip with none or several."""
    found = sorted(f for f in folder.rglob("*") if f.is_file() and f.suffix.lower() in (".csv", ".txt"))
    if len(found) != 1:
        raise ImportFailed(Problem(name, None, None, _("holds %(count)s CSV files; zip exactly one", count=len(found))))
    return found[0]


MAX_JSON_DEPTH = 64


def read_json(path: str | Path, what: str | None = None) -> object:
    """Read a JSON file; fail naming it when it is not JSON, not UTF-8, or nested deeper than any real feed."""
    p = check_exists(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            Problem(
                p.name,
                None,
                None,
                _(
                    "is not %(what)s (line %(line)s, column %(column)s: %(error)s)",
                    what=what or _("valid JSON"),
                    line=exc.lineno,
                    column=exc.colno,
                    error=exc.msg,
                ),
            )
        ) from exc
    except UnicodeDecodeError as exc:
        raise ImportFailed(Problem(p.name, None, None, _("is not UTF-8 text"))) from exc
    except RecursionError as exc:
        raise ImportFailed(Problem(p.name, None, None, _nested())) from exc
    if json_depth(data) > MAX_JSON_DEPTH:
        raise ImportFailed(Problem(p.name, None, None, _nested()))
    return data


def _nested() -> str:
    return _("is nested more than %(depth)s levels deep", depth=MAX_JSON_DEPTH)


def json_depth(data: object) -> int:
    """Return how deeply lists and objects nest in parsed JSON (without recursion, so any depth is safe)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            deepest = max(deepest, depth)
            stack.extend((item, depth + 1) for item in value if isinstance(item, (dict, list)))
    return deepest


def is_vector(path: str | Path) -> bool:
    """Say whether the file is a GIS vector file rather than a table."""
    return Path(path).suffix.lower() in VECTOR_SUFFIXES


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def find_column(
    columns: Iterable[str],
    candidates: Sequence[str],
    patterns: Sequence[str] = (),
    file: str = "the file",
    what: str | None = None,
    option: str | None = None,
    truncated: bool = False,
) -> str | None:
    """Return the column holding `what`: an exact name first, then a case-blind one, then one equal but for punctuation.

    A column is never guessed: two columns that match equally well, or a Shapefile name that
    looks cut at 10 characters ("ward_code_" from "ward_code_old"), stop the import with the
    columns listed, so the person importing names the right one. With `truncated`, a long name
    cut to 10 characters by the Shapefile format ("ward_name_" for "ward_name_welsh") is the
    column too, unless another column may be a second long name cut short (see truncated_column).
    """
    columns = [c for c in columns if c != "geometry"]
    matchers = (
        lambda c, cand: c == cand,
        lambda c, cand: c.lower() == cand.lower(),
        lambda c, cand: _norm(c) == _norm(cand),
    )
    for level, same in enumerate(matchers):
        for cand in candidates:
            found = [c for c in columns if same(str(c), cand)]
            if len(found) > 1:
                _ambiguous(file, what or cand, found, option)
            if found:
                if level == 2 and _looks_truncated(str(found[0])):
                    raise ImportFailed(
                        Problem(
                            file,
                            None,
                            str(found[0]),
                            _(
                                "this column may be a longer name cut short (Shapefile names stop at 10 "
                                "characters), so it is not taken as the %(what)s column; if it is the right one, "
                                "name it with %(option)s",
                                what=what or cand,
                                option=option or _("the column option"),
                            ),
                        )
                    )
                return found[0]
    for pattern in patterns:
        found = [c for c in columns if re.fullmatch(pattern, str(c), flags=re.IGNORECASE)]
        if len(found) > 1:
            _ambiguous(file, what or pattern, found, option)
        if found:
            return found[0]
    if truncated:
        for cand in candidates:
            cut = truncated_column(columns, cand, file, option)
            if cut:
                return cut
    return None


# A Shapefile keeps 10 characters of a column's name; when two long names cut alike, GDAL names the
# second from its first 8 (or 7) characters and a number ("ward_name_welsh", "ward_name_english" ->
# "ward_name_", "ward_nam_1").
SHAPEFILE_NAME_LENGTH = 10
_LAUNDERED = re.compile(r"(?P<start>.+)_\d+")


def truncated_column(
    columns: Iterable[str], wanted: str, file: str = "the file", option: str | None = None
) -> str | None:
    """Return the column that is `wanted` cut to a Shapefile's 10 characters, or None when there is none.

    Refused (ImportFailed, naming the file and the column) when another column may be a second long
    name cut short from the same start, as then either could be the one wanted.
    """
    if len(wanted) <= SHAPEFILE_NAME_LENGTH:
        return None
    columns = [str(c) for c in columns if c != "geometry"]
    cut = wanted[:SHAPEFILE_NAME_LENGTH].lower()
    found = [c for c in columns if c.lower() == cut]
    if len(found) != 1:
        return None
    others = [
        c
        for c in columns
        if c != found[0]
        and len(c) == SHAPEFILE_NAME_LENGTH
        and (m := _LAUNDERED.fullmatch(c))
        and wanted.lower().startswith(m.group("start").lower())
    ]
    if others:
        listing = ", ".join(f"'{c}'" for c in others)
        raise ImportFailed(
            Problem(
                file,
                None,
                found[0],
                _(
                    "this column may be '%(wanted)s' cut to %(length)s characters by the Shapefile format, "
                    "but %(listing)s may be another long name cut short from the same start, so which one is "
                    "'%(wanted)s' cannot be told from the file; name the column to use with %(option)s",
                    wanted=wanted,
                    length=SHAPEFILE_NAME_LENGTH,
                    listing=listing,
                    option=option or _("the column option"),
                ),
            )
        )
    return found[0]


def _looks_truncated(column: str) -> bool:
    return len(column) == 10 and column.endswith("_")


def _ambiguous(file: str, what: str, found: list, option: str | None) -> None:
    listing = ", ".join(f"'{c}'" for c in found)
    raise ImportFailed(
        Problem(
            file,
            None,
            None,
            _(
                "columns %(listing)s could each be the %(what)s column; name the one to use with %(option)s",
                listing=listing,
                what=what,
                option=option or _("the column option"),
            ),
        )
    )


def require_column(
    frame: pd.DataFrame,
    file: str,
    given: str | None,
    candidates: Sequence[str],
    patterns: Sequence[str],
    what: str,
    option: str,
) -> str:
    """Return the column to use for `what`, or fail listing the columns the file has."""
    if given:
        if given not in frame.columns:
            # A Shapefile knows "ward_name_welsh" only as "ward_name_".
            cut = truncated_column(frame.columns, given, file, option)
            if cut:
                return cut
            raise ImportFailed(
                Problem(
                    file,
                    None,
                    given,
                    _(
                        "there is no column '%(column)s' (columns: %(columns)s)",
                        column=given,
                        columns=", ".join(map(str, frame.columns)),
                    ),
                )
            )
        return given
    found = find_column(frame.columns, candidates, patterns, file=file, what=what, option=option)
    if found is None:
        cols = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise ImportFailed(
            Problem(
                file,
                None,
                None,
                _(
                    "no %(what)s column found (columns: %(columns)s); name it with %(option)s",
                    what=what,
                    columns=cols,
                    option=option,
                ),
            )
        )
    return found


def text(value) -> str | None:
    """Return a trimmed string, or None for blanks and NaN."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    s = str(value).strip()
    return s or None


def checked_text(value) -> str:
    """Return the trimmed text of a cell that the row checks have already refused when blank."""
    found = text(value)
    if found is None:  # the row checks let a blank through: a bug here, not in the file
        raise ValueError(f"a blank value ({value!r}) passed the row checks")
    return found


# Who wants to hear how far an import has got besides the terminal: the browser import job sets
# a callback (label, done, total) so its progress bar follows the very loop the CLI's bar follows.
progress_listener: ContextVar[Callable[[str, int, int], None] | None] = ContextVar("progress_listener", default=None)
# And the steps it has finished, each in words with its counts ("Read 20 rows from x.csv"), for the job's page.
milestone_listener: ContextVar[Callable[[str], None] | None] = ContextVar("milestone_listener", default=None)


def milestone(message: str) -> None:
    """Tell a browser import job a step it has finished; the command line says the same in its summary."""
    listener = milestone_listener.get()
    if listener is not None:
        listener(message)


def step(message: str) -> None:
    """Say what a long import is doing now (on stderr, so the summary on stdout stays clean)."""
    click.echo(message, err=True)
    listener = progress_listener.get()
    if listener is not None:
        listener(message, 0, 0)


def announce_read(p: Path) -> None:
    """Say a big file is being read, with its size, before the wait."""
    size_mb = p.stat().st_size / 1_000_000 if p.is_file() else 0
    if size_mb >= 1:
        step(_("Reading %(file)s (%(size)s MB)...", file=p.name, size=f"{size_mb:,.1f}"))


class Counted(Protocol):
    """Items that can be counted and gone through: a list, or a stream that knows its length."""

    def __iter__(self) -> Iterator: ...

    def __len__(self) -> int: ...


def progress(items: Counted, label: str, rows: int | None = None) -> Iterator:
    """Iterate over items, with a progress bar when there are many rows behind them."""
    listener = progress_listener.get()
    if listener is not None:
        yield from _reported(items, label, listener)
        return
    if (len(items) if rows is None else rows) < PROGRESS_THRESHOLD:
        yield from items
        return
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


def _reported(items: Counted, label: str, listener: Callable[[str, int, int], None]) -> Iterator:
    total = len(items)
    every = max(1, total // 100)
    listener(label, 0, total)
    for done, item in enumerate(items, 1):
        yield item
        if done % every == 0 or done == total:
            listener(label, done, total)
    milestone(_("%(label)s: %(done)s of %(total)s done", label=label, done=f"{total:,}", total=f"{total:,}"))


def record_problems(record, file: str, row: int | None) -> list[Problem]:
    """Return the input-rule problems (length, control characters) of a record about to be saved, naming its row."""
    from webmap.core.inputs import object_problems

    return [Problem(file, row, field, reason) for field, reason in object_problems(record)]


def row_number(index: int) -> int:
    """Return the row number a person sees in a spreadsheet (header is row 1)."""
    return int(index) + 2
