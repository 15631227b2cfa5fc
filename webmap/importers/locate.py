"""Place table rows: longitude/latitude, easting/northing, or a postcode from the postcode table."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.geo import BNG, WGS84, normalise_postcode
from webmap.core.models import Postcode
from webmap.importers.common import ImportFailed, Problem, find_column, text
from webmap.importers.problems import _

LON_NAMES, LAT_NAMES = ["longitude", "lon", "lng", "long"], ["latitude", "lat"]
EAST_NAMES, NORTH_NAMES = ["easting", "x"], ["northing", "y"]
BNG_RANGE = (0, 0, 700_000, 1_300_000)


@dataclass
class Located:
    """Each row's point (None when not placed), the rows in error and the rows with no place given."""

    points: list
    field: str | None
    # dataclasses.field in full: the bare name `field` is the attribute above.
    problems: dict[int, Problem] = dataclasses.field(default_factory=dict)
    # position -> (reason counted in the summary, the same naming the row's value)
    unplaced: dict[int, tuple[str, str]] = dataclasses.field(default_factory=dict)


def locate_rows(table: pd.DataFrame, file: str, postcode_names) -> Located:
    """Place every row, by the first kind of location columns the table has; a blank falls back to the postcode."""
    cols = table.columns
    lon, lat = (
        find_column(cols, LON_NAMES, file=file, what="longitude"),
        find_column(cols, LAT_NAMES, file=file, what="latitude"),
    )
    east, north = (
        find_column(cols, EAST_NAMES, file=file, what="easting"),
        find_column(cols, NORTH_NAMES, file=file, what="northing"),
    )
    pc = find_column(cols, postcode_names, file=file, what="postcode")
    pair: tuple[str, str] | None = None
    if lon and lat:
        pair, crs, check = (lon, lat), WGS84, _lon_lat_problem
    elif east and north:
        pair, crs, check = (east, north), BNG, _bng_problem
    elif not pc:
        raise ImportFailed(
            Problem(
                file,
                None,
                None,
                _(
                    "a table needs longitude/latitude, easting/northing or postcode columns "
                    "(columns: %(columns)s); if the file has no header row, give its layout with --register",
                    columns=", ".join(map(str, cols)),
                ),
            )
        )
    rows = table["_row"].to_numpy()
    located = Located(points=[None] * len(table), field=pc if pair is None else pair[0])
    xy: dict[int, tuple[float, float]] = {}
    need_postcode: list[int] = []
    if pair:
        for i, (x_raw, y_raw) in enumerate(zip(table[pair[0]], table[pair[1]])):
            x_text, y_text = text(x_raw), text(y_raw)
            if x_text is None and y_text is None:
                need_postcode.append(i)
                continue
            x, y = _number(x_text), _number(y_text)
            if x is None or y is None:
                col, value = (pair[0], x_text) if x is None else (pair[1], y_text)
                located.problems[i] = Problem(file, int(rows[i]), col, _not_a_number(value))
                continue
            problem = check(x, y, pair)
            if problem:
                located.problems[i] = Problem(file, int(rows[i]), problem[0], problem[1])
            else:
                xy[i] = (x, y)
        if xy:
            idx = list(xy)
            pts = gpd.GeoSeries(shapely.points(np.array([xy[i] for i in idx])), crs=crs).to_crs(WGS84)
            for i, p in zip(idx, pts):
                located.points[i] = p
    else:
        need_postcode = list(range(len(table)))
    if need_postcode:
        _by_postcode(table, file, pc, need_postcode, rows, located, pair)
    return located


def _number(value: str | None) -> float | None:
    """Return the value as a finite number, or None when it is blank or not one."""
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def _not_a_number(value: str | None) -> str:
    """Say why a coordinate is not a finite number (the row's other coordinate is given)."""
    if value is None:
        return _("is blank, but the other coordinate is given")
    try:
        float(value)
    except ValueError:
        return _("'%(value)s' is not a number", value=value)
    return _("'%(value)s' is not a finite number", value=value)


def _lon_lat_problem(x: float, y: float, pair) -> tuple[str, str] | None:
    if -180 <= x <= 180 and -90 <= y <= 90:
        return None
    where = f"({x:g}, {y:g})"
    said = (
        _("%(point)s is not a longitude/latitude (it looks like a British National Grid easting/northing)", point=where)
        if _in_bng(x, y)
        else _("%(point)s is not a longitude/latitude", point=where)
    )
    return (pair[0] if not -180 <= x <= 180 else pair[1]), said


def _bng_problem(x: float, y: float, pair) -> tuple[str, str] | None:
    if _in_bng(x, y):
        return None
    return pair[0], _("%(point)s is not a British National Grid easting/northing", point=f"({x:g}, {y:g})")


def _in_bng(x: float, y: float) -> bool:
    return BNG_RANGE[0] <= x <= BNG_RANGE[2] and BNG_RANGE[1] <= y <= BNG_RANGE[3]


def _by_postcode(table, file, pc, positions, rows, located: Located, pair) -> None:
    """Place rows at their postcode; rows without one, or with one the table lacks, are unplaced."""
    known = {p.postcode: (p.lon, p.lat) for p in db.session.scalars(select(Postcode))} if pc else {}
    if pc is None or (pair and not known):  # no postcode to fall back on
        for i in positions:
            located.unplaced[i] = (_("no coordinates given"),) * 2
        return
    if not known:
        raise ImportFailed(
            Problem(
                file, None, pc, _("postcodes can only be placed after import-postcodes has loaded a postcode table")
            )
        )
    for i in positions:
        raw = text(table[pc].iloc[i])
        postcode = normalise_postcode(raw)
        if raw is None:
            located.unplaced[i] = (_unplaced(_("no postcode given"), pair),) * 2
        elif postcode is None:
            located.unplaced[i] = (
                _unplaced(_("the postcode is not a UK postcode"), pair),
                _unplaced(_("'%(value)s' is not a UK postcode", value=raw), pair),
            )
        elif postcode not in known:
            located.unplaced[i] = (
                _unplaced(_("the postcode is not in the postcode table"), pair),
                _unplaced(_("postcode %(postcode)s is not in the postcode table", postcode=postcode), pair),
            )
        else:
            located.points[i] = shapely.Point(known[postcode])


def _unplaced(reason: str, pair) -> str:
    """Say why a row has no place; with coordinate columns, say its coordinates were blank too."""
    return _("no coordinates, and %(reason)s", reason=reason) if pair else reason
