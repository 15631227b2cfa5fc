"""Import postcodes (OS Code-Point Open or ONS Postcode Directory style CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import CursorResult, Table, delete, insert

from webmap.core.db import db
from webmap.core.geo import BNG, WGS84, assign_wards, normalise_postcode
from webmap.core.models import Postcode
from webmap.core.store import wards_frame
from webmap.importers.common import (
    ImportFailed,
    ImportReport,
    Problem,
    find_column,
    progress,
    read_table,
    row_number,
    settle_rows,
)
from webmap.importers.problems import _

BATCH = 5000


def import_postcodes(
    path: str | Path, *, skip_bad_rows: bool = False, rejects_path: str | Path | None = None
) -> ImportReport:
    """Insert or update postcodes with their location and ward.

    A value that is not a postcode, or a coordinate that is not a number, stops the import; with
    `skip_bad_rows` such rows go to a rejects CSV (`rejects_path`) and the rest are imported.
    """
    table = read_table(path)
    file = Path(path).name
    report = ImportReport(file=file, read=len(table))
    pc_col = find_column(table.columns, ["postcode", "pcds", "pcd", "pcd2", "post_code"], file=file)
    if pc_col is None:
        raise ImportFailed(Problem(file, None, None, _("no postcode column (postcode, pcds or pcd) found")))
    term_col = find_column(table.columns, ["doterm"], file=file)
    if term_col:
        terminated = table[term_col].str.strip() != ""
        report.skip(_("the postcode is terminated"), int(terminated.sum()))
        # Keep the original index: it gives the row numbers named in messages.
        table = table[~terminated]
    problems = _row_problems(table, file, pc_col)
    table = settle_rows(
        table,
        {table.index.get_loc(label): found for label, found in sorted(problems.items())},
        report,
        skip_bad_rows,
        rejects_path,
    )
    lon, lat = _locations(table, file)
    postcodes = table[pc_col].map(normalise_postcode)
    no_place = np.isnan(lon) | np.isnan(lat)
    report.skip(_("the postcode has no grid reference"), int(no_place.sum()))
    frame = pd.DataFrame({"postcode": postcodes, "lon": lon.round(6), "lat": lat.round(6)})[~no_place]
    repeated = frame.duplicated("postcode", keep="last")
    report.skip(_("the postcode appears again later in the file (the later row is used)"), int(repeated.sum()))
    frame = frame[~repeated]
    points = gpd.GeoSeries(gpd.points_from_xy(frame.lon, frame.lat), crs=WGS84, index=frame.index)
    frame["ward_code"] = assign_wards(points, wards_frame())
    outside = frame["ward_code"].isna()
    if outside.any():
        report.notes.append(
            _("%(count)s postcodes lie outside the loaded wards; kept, with no ward", count=int(outside.sum()))
        )

    records = frame.to_dict("records")
    for start in progress(range(0, len(records), BATCH), _("Importing postcodes"), rows=len(records)):
        batch = records[start : start + BATCH]
        # The casts only tell the type checker what SQLAlchemy gives here: a DELETE's result is a
        # CursorResult (with a row count), and a mapped class's __table__ is a Table.
        result = db.session.execute(delete(Postcode).where(Postcode.postcode.in_([r["postcode"] for r in batch])))
        deleted = cast(CursorResult[Any], result).rowcount
        db.session.execute(
            insert(cast(Table, Postcode.__table__)), [{**r, "ward_code": r["ward_code"] or None} for r in batch]
        )
        report.updated += deleted
        report.imported += len(batch) - deleted
    return report


def _locations(table: pd.DataFrame, file: str) -> tuple[np.ndarray, np.ndarray]:
    """Return lon/lat arrays, from lon/lat columns or from easting/northing."""
    lon_col = find_column(table.columns, ["longitude", "long", "lon"])
    lat_col = find_column(table.columns, ["latitude", "lat"])
    if lon_col and lat_col:
        lon, lat = _num(table[lon_col]), _num(table[lat_col])
        # ONSPD marks postcodes without a grid reference with latitude 99.999999 (and longitude 0).
        unplaced = ~((np.abs(lon) <= 180) & (np.abs(lat) <= 90))
        lon[unplaced] = lat[unplaced] = np.nan
        return lon, lat
    e_col = find_column(table.columns, ["easting", "oseast1m", "eastings"])
    n_col = find_column(table.columns, ["northing", "osnrth1m", "northings"])
    if not (e_col and n_col):
        raise ImportFailed(Problem(file, None, None, _("needs longitude/latitude or easting/northing columns")))
    e, n = _num(table[e_col]), _num(table[n_col])
    # Code-Point Open gives 0,0 for postcodes it cannot place (quality 90).
    unplaced = ~(np.isfinite(e) & np.isfinite(n)) | ((e == 0) & (n == 0))
    pts = gpd.GeoSeries(gpd.points_from_xy(np.where(unplaced, 0, e), np.where(unplaced, 0, n)), crs=BNG).to_crs(WGS84)
    lon, lat = pts.x.to_numpy(copy=True), pts.y.to_numpy(copy=True)
    lon[unplaced] = lat[unplaced] = np.nan
    return lon, lat


def _row_problems(table: pd.DataFrame, file: str, pc_col: str) -> dict[int, list[Problem]]:
    """Return {index label: problems}: values that are not postcodes, coordinates filled in but not numbers.

    A blank coordinate is not a problem: it means "not placed" and is counted as skipped.
    """
    problems: dict[int, list[Problem]] = {}
    bad = table[pc_col].map(normalise_postcode).isna()
    for i in table.index[bad.to_numpy()]:
        problems.setdefault(i, []).append(
            Problem(file, row_number(i), pc_col, _("'%(value)s' is not a UK postcode", value=table[pc_col].loc[i]))
        )
    for names in (
        ["longitude", "long", "lon"],
        ["latitude", "lat"],
        ["easting", "oseast1m", "eastings"],
        ["northing", "osnrth1m", "northings"],
    ):
        col = find_column(table.columns, names, file=file)
        if col is None:
            continue
        raw = table[col].str.strip()
        bad = (raw != "") & pd.to_numeric(raw, errors="coerce").isna()
        for i in table.index[bad.to_numpy()]:
            problems.setdefault(i, []).append(
                Problem(file, row_number(i), col, _("'%(value)s' is not a number", value=table[col].loc[i]))
            )
    return problems


def _num(col: pd.Series) -> np.ndarray:
    """Return a column as floats, NaN where blank (ONSPD leaves unplaced postcodes blank)."""
    return pd.to_numeric(col.str.strip(), errors="coerce").to_numpy(float, copy=True)
