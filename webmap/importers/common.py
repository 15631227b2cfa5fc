"""What every importer shares: problems that name file/row/field, reports, file readers."""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import click
from flask import current_app, has_app_context
import geopandas as gpd
import pandas as pd

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb"}
PROGRESS_THRESHOLD = 2000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and why it is wrong."""

    file: str
    row: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.reason}"


class ImportFailed(Exception):
    """The input cannot be imported; nothing was written."""

    def __init__(self, problems: Sequence[Problem] | Problem, limit: int = 25) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        shown = [str(p) for p in self.problems[:limit]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problems")
        super().__init__("Nothing was imported:\n" + "\n".join(f"  - {s}" for s in shown))


@dataclass
class ImportReport:
    """What an import read, wrote and skipped, with the reasons."""

    file: str
    read: int = 0
    imported: int = 0
    updated: int = 0
    skipped: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    def skip(self, reason: str, count: int = 1) -> None:
        """Count rows skipped for this reason."""
        if count:
            self.skipped[reason] += count

    def summary(self) -> str:
        """Return the plain-English summary printed at the end of an import."""
        head = "Dry run, nothing saved. " if self.dry_run else ""
        lines = [
            f"{head}{self.file}: read {self.read}, imported {self.imported}, updated {self.updated}, "
            f"skipped {sum(self.skipped.values())}."
        ]
        lines += [f"  skipped {n}: {reason}" for reason, n in self.skipped.most_common()]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


def check_exists(path: str | Path) -> Path:
    """Return the path, or fail naming it if there is no such file or it is over the size limit."""
    p = Path(path)
    if not p.exists():
        raise ImportFailed(Problem(str(path), None, None, "there is no such file"))
    limit_mb = float(current_app.config.get("MAX_IMPORT_MB", 0)) if has_app_context() else 0
    size_mb = p.stat().st_size / 1_000_000 if p.is_file() else 0
    if limit_mb and size_mb > limit_mb:
        raise ImportFailed(Problem(p.name, None, None, f"is {size_mb:,.1f} MB, over the import limit of {limit_mb:,.0f} MB "
                                   "(the WEBMAP_MAX_IMPORT_MB setting)"))
    return p


def read_vector(path: str | Path, layer: str | None = None, crs: str | None = None) -> gpd.GeoDataFrame:
    """Read GeoJSON, GeoPackage or Shapefile; fail with the file's name and the reason."""
    p = check_exists(path)
    if p.suffix.lower() not in VECTOR_SUFFIXES:
        raise ImportFailed(Problem(p.name, None, None, f"'{p.suffix or p.name}' files are not supported here; "
                                   "use GeoJSON, GeoPackage, Shapefile or CSV"))
    try:
        frame = gpd.read_file(p, layer=layer) if layer else gpd.read_file(p)
    except Exception as exc:  # pyogrio raises several types; all mean "cannot read".
        raise ImportFailed(Problem(p.name, None, None, f"cannot be read as a GIS file ({exc})")) from exc
    if frame.crs is None:
        frame = _assume_crs(frame, p.name, crs)
    elif crs:
        frame = frame.set_crs(crs, allow_override=True)
    if frame.empty:
        raise ImportFailed(Problem(p.name, None, None, "has no rows (no features in the file)"))
    return frame


def _assume_crs(frame: gpd.GeoDataFrame, name: str, crs: str | None) -> gpd.GeoDataFrame:
    """Give a file without a CRS the one asked for, or WGS84 when its coordinates can only be lon/lat."""
    if crs:
        return frame.set_crs(crs)
    minx, miny, maxx, maxy = frame.total_bounds
    if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
        click.echo(f"Note: {name} has no coordinate reference system; its coordinates look like "
                   "longitude/latitude, so EPSG:4326 is assumed (give --crs to say otherwise).", err=True)
        return frame.set_crs("EPSG:4326")
    raise ImportFailed(Problem(name, None, None, f"has no coordinate reference system, and its coordinates (e.g. {minx:.0f}, "
                               f"{miny:.0f}) are not longitude/latitude; give one with --crs, e.g. --crs EPSG:27700"))


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (plain or .gz, UTF-8 with or without BOM) as strings."""
    p = check_exists(path)
    try:
        try:
            frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:
            frame = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="cp1252")
            click.echo(f"Note: {p.name} is not UTF-8; read it as Windows-1252 (cp1252).", err=True)
    except Exception as exc:
        raise ImportFailed(Problem(p.name, None, None, f"cannot be read as CSV ({exc})")) from exc
    if frame.empty:
        raise ImportFailed(Problem(p.name, None, None, "has no rows (only a header, or nothing at all)"))
    return frame


MAX_JSON_DEPTH = 64


def read_json(path: str | Path, what: str = "valid JSON") -> object:
    """Read a JSON file; fail naming it when it is not JSON, not UTF-8, or nested deeper than any real feed."""
    p = check_exists(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ImportFailed(Problem(p.name, None, None, f"is not {what} (line {exc.lineno}, column {exc.colno}: {exc.msg})")) from exc
    except UnicodeDecodeError as exc:
        raise ImportFailed(Problem(p.name, None, None, "is not UTF-8 text")) from exc
    except RecursionError as exc:
        raise ImportFailed(Problem(p.name, None, None, f"is nested more than {MAX_JSON_DEPTH} levels deep")) from exc
    if json_depth(data) > MAX_JSON_DEPTH:
        raise ImportFailed(Problem(p.name, None, None, f"is nested more than {MAX_JSON_DEPTH} levels deep"))
    return data


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


def find_column(columns: Iterable[str], candidates: Sequence[str], patterns: Sequence[str] = ()) -> str | None:
    """Return the first column matching a candidate name (case/punctuation-blind) or a regex."""
    columns = list(columns)
    by_norm = {_norm(c): c for c in columns}
    for cand in candidates:
        if _norm(cand) in by_norm:
            return by_norm[_norm(cand)]
    for pattern in patterns:
        for c in columns:
            if re.fullmatch(pattern, c, flags=re.IGNORECASE):
                return c
    return None


def require_column(frame: pd.DataFrame, file: str, given: str | None, candidates: Sequence[str], patterns: Sequence[str], what: str, option: str) -> str:
    """Return the column to use for `what`, or fail listing the columns the file has."""
    if given:
        if given not in frame.columns:
            raise ImportFailed(Problem(file, None, given, f"there is no column '{given}' (columns: {', '.join(map(str, frame.columns))})"))
        return given
    found = find_column(frame.columns, candidates, patterns)
    if found is None:
        cols = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise ImportFailed(Problem(file, None, None, f"no {what} column found (columns: {cols}); name it with {option}"))
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


def progress(items: Sequence, label: str, rows: int | None = None) -> Iterator:
    """Iterate over items, with a progress bar when there are many rows behind them."""
    if (len(items) if rows is None else rows) < PROGRESS_THRESHOLD:
        yield from items
        return
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


def record_problems(record, file: str, row: int | None) -> list[Problem]:
    """Return the input-rule problems (length, control characters) of a record about to be saved, naming its row."""
    from ..hardening.inputs import object_problems

    return [Problem(file, row, field, reason) for field, reason in object_problems(record)]


def row_number(index: int) -> int:
    """Return the row number a person sees in a spreadsheet (header is row 1)."""
    return int(index) + 2
