"""Load and save GeoDataFrames to and from the database; the only place that knows SQL."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from webmap.core.db import db
from webmap.core.geo import WardLocator, normalise_postcode
from webmap.core.models import (
    Asset,
    AuditEvent,
    Category,
    Need,
    PopulationArea,
    Postcode,
    SurveyRound,
    Ward,
    asset_categories,
    utcnow,
)

WGS84 = "EPSG:4326"


def wards_frame(codes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Return every ward (or only those with these codes) as a GeoDataFrame in EPSG:4326."""
    query = select(Ward.code, Ward.name, Ward.lad_code, Ward.lad_name, Ward.population, Ward.deprivation, Ward.geom)
    if codes is not None:
        query = query.where(Ward.code.in_(list(codes)))
    rows = db.session.execute(query.order_by(Ward.code)).all()
    frame = pd.DataFrame(
        rows, columns=["code", "name", "lad_code", "lad_name", "population", "deprivation", "geometry"]
    )
    frame["population"] = frame["population"].astype(float)
    frame["deprivation"] = frame["deprivation"].astype(float)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WGS84)


def assets_frame(
    statuses: Iterable[str] = ("approved",),
    category: str | None = None,
    explode: bool = False,
    ward: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    where: Iterable = (),
    limit: int | None = None,
) -> gpd.GeoDataFrame:
    """Return assets (public fields only) as points in EPSG:4326.

    With explode=True there is one row per (asset, category) pair, the shape the gap
    analysis takes; otherwise `categories` holds a ";"-joined list. `ward` (a code), `bbox`
    (min lon, min lat, max lon, max lat) and `where` (more conditions on Asset) filter in the
    database, so only those rows are read; `limit` reads at most that many places (by id).
    """
    query = (
        select(
            Asset.id,
            Asset.name,
            Asset.kind,
            Asset.ward_code,
            Asset.postcode,
            Asset.address,
            Asset.website,
            Asset.phone,
            Asset.opening_times,
            Asset.description,
            Asset.name_cy,
            Asset.description_cy,
            Asset.source,
            Asset.lon,
            Asset.lat,
            asset_categories.c.category_id,
        )
        .join(asset_categories, asset_categories.c.asset_id == Asset.id, isouter=True)
        .where(Asset.status.in_(list(statuses)))
        .order_by(Asset.id)
    )
    if category:
        query = query.where(asset_categories.c.category_id == category)
    if ward:
        query = query.where(Asset.ward_code == ward)
    if bbox:
        minx, miny, maxx, maxy = bbox
        query = query.where(Asset.lon >= minx, Asset.lon <= maxx, Asset.lat >= miny, Asset.lat <= maxy)
    for clause in where:
        query = query.where(clause)
    if limit is not None:
        first = query.with_only_columns(Asset.id).order_by(None).distinct().order_by(Asset.id).limit(limit)
        query = query.where(Asset.id.in_(first.scalar_subquery()))
    columns = [
        "asset_id",
        "name",
        "kind",
        "ward_code",
        "postcode",
        "address",
        "website",
        "phone",
        "opening_times",
        "description",
        "name_cy",
        "description_cy",
        "source",
        "lon",
        "lat",
        "category",
    ]
    frame = pd.DataFrame(db.session.execute(query).all(), columns=columns)
    if not explode:
        cats = frame.groupby("asset_id", sort=False)["category"].agg(
            lambda s: ";".join(c for c in s if isinstance(c, str) and c)
        )
        frame = frame.drop_duplicates("asset_id").drop(columns="category").set_index("asset_id")
        frame["categories"] = cats
        frame = frame.reset_index()
    geometry = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=frame.index, crs=WGS84), crs=WGS84)


def asset_coordinates(bbox: tuple[float, float, float, float] | None = None) -> pd.DataFrame:
    """Return approved places as asset_id, category, lon, lat (EPSG:4326), one row per (place, category).

    What the gap analysis reads, and nothing else. Read in parts into arrays, never a row object
    per place, a shapely point per place or a column of text it does not use: a national register
    holds a million places (every public field of them took a worker past 1 GB; a point each,
    250 MB). Places without a category are left out. `bbox` (min lon, min lat, max lon, max lat)
    filters in the database.
    """
    query = (
        select(Asset.id, Asset.lon, Asset.lat, asset_categories.c.category_id)
        .join(asset_categories, asset_categories.c.asset_id == Asset.id)
        .where(Asset.status == "approved")
        .order_by(Asset.id, asset_categories.c.category_id)
    )
    if bbox:
        minx, miny, maxx, maxy = bbox
        query = query.where(Asset.lon >= minx, Asset.lon <= maxx, Asset.lat >= miny, Asset.lat <= maxy)
    ids: list[np.ndarray] = []
    lon: list[np.ndarray] = []
    lat: list[np.ndarray] = []
    categories: list[str] = []
    same: dict[str, str] = {}  # one string object per category, not one per row
    for part in db.session.execute(query.execution_options(yield_per=50_000)).partitions():
        i, x, y, c = zip(*part)
        ids.append(np.fromiter(i, dtype=np.int64, count=len(part)))
        lon.append(np.fromiter(x, dtype="float64", count=len(part)))
        lat.append(np.fromiter(y, dtype="float64", count=len(part)))
        categories += [same.setdefault(v, v) for v in c]
    joined = [np.concatenate(a) if a else np.zeros(0) for a in (ids, lon, lat)]
    return pd.DataFrame(
        {
            "asset_id": joined[0].astype(np.int64),
            "category": np.array(categories, dtype=object),
            "lon": joined[1],
            "lat": joined[2],
        }
    )


def assets_near(
    points: Iterable[tuple[float, float]],
    metres: float,
    postcodes: Iterable[str] = (),
    statuses: Iterable[str] = ("approved",),
) -> gpd.GeoDataFrame:
    """Return the places (as assets_frame) within about *metres* of any of these (lon, lat) points, or at a postcode.

    What a duplicate check can pair a place with, read without reading every place: each point's
    box is generous (a degree of longitude is over 50 km up to Shetland), never short; postcodes
    compare with spaces removed and in upper case, as places.duplicates folds them.
    """
    margin_lat, margin_lon = metres / 100_000, metres / 50_000
    conditions = [
        and_(
            Asset.lon >= lon - margin_lon,
            Asset.lon <= lon + margin_lon,
            Asset.lat >= lat - margin_lat,
            Asset.lat <= lat + margin_lat,
        )
        for lon, lat in points
        if lon is not None and lat is not None
    ]
    folded = sorted({re.sub(r"\s+", "", str(p)).upper() for p in postcodes if p and str(p).strip()})
    if folded:
        spaced = func.replace(func.replace(func.replace(Asset.postcode, " ", ""), "\t", ""), "\n", "")
        conditions.append(func.upper(spaced).in_(folded))
    if not conditions:
        return assets_frame(statuses=statuses, where=[false()])
    return assets_frame(statuses=statuses, where=[or_(*conditions)])


# Sources of places people submit through the site (residents and groups): on the map from their approval.
SUBMITTED_SOURCES = ("resident",)


def first_approvals(asset_ids: Iterable[int] | None = None) -> dict[int, datetime]:
    """Return when each asset was first approved, from the audit trail (assets never approved there are left out)."""
    query = (
        select(AuditEvent.entity_id, func.min(AuditEvent.at))
        .where(AuditEvent.entity_type == "asset", AuditEvent.action == "approve")
        .group_by(AuditEvent.entity_id)
    )
    if asset_ids is not None:
        query = query.where(AuditEvent.entity_id.in_([str(i) for i in asset_ids]))
    return {int(k): v for k, v in db.session.execute(query).all() if k is not None and k.isdigit()}


def on_map_since(asset_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Return, per approved asset, when it was recorded on the map, when it opened (if its source says) and its source.

    Recorded: a submitted place's first approval (the audit trail), else the day its record was
    created (an import). Columns: asset_id, source, recorded_at, opened_on, on_map_from (the later
    of the two: the first moment the map could show the place as open).
    """
    query = select(Asset.id, Asset.source, Asset.created_at, Asset.opened_on).where(Asset.status == "approved")
    if asset_ids is not None:
        query = query.where(Asset.id.in_(list(asset_ids)))
    frame = pd.DataFrame(db.session.execute(query).all(), columns=["asset_id", "source", "created_at", "opened_on"])
    approvals = first_approvals(frame["asset_id"] if asset_ids is not None else None)
    submitted = frame["source"].isin(SUBMITTED_SOURCES)
    approved = pd.to_datetime(frame["asset_id"].map(approvals))
    frame["recorded_at"] = approved.where(submitted & approved.notna(), pd.to_datetime(frame["created_at"]))
    opened = pd.to_datetime(frame["opened_on"])
    frame["on_map_from"] = frame["recorded_at"].where(opened.isna() | (opened <= frame["recorded_at"]), opened)
    return frame.drop(columns="created_at")


def last_on_map() -> datetime | None:
    """Return the latest moment any approved place came on the map and open (the greatest on_map_from), or None.

    The same moment as on_map_since()["on_map_from"].max() without reading every place: on_map_from
    is the later of recorded_at and opened_on, so its greatest is the greater of their greatest.
    Only submitted places (recorded at their first approval) are read one by one.
    """
    approved = Asset.status == "approved"
    imported = or_(Asset.source.is_(None), Asset.source.not_in(SUBMITTED_SOURCES))
    found = [_greatest(Asset.created_at, approved, imported), _greatest(Asset.opened_on, approved)]
    submitted = list(db.session.scalars(select(Asset.id).where(approved, Asset.source.in_(SUBMITTED_SOURCES))))
    if submitted:
        found.append(on_map_since(submitted)["recorded_at"].max())
    moments = [pd.Timestamp(m) for m in found if m is not None and not pd.isna(m)]
    return max(moments).to_pydatetime() if moments else None


def _greatest(column: InstrumentedAttribute[Any], *where: ColumnElement[bool]) -> Any:
    """Return the greatest value of a column where these hold (None if none), as max() does.

    The last entry of an index on (status, column) rather than max() over every matching row:
    a worker's first change asks this of a million places.
    """
    query = select(column).where(*where, column.is_not(None)).order_by(column.desc()).limit(1)
    return db.session.scalar(query)


def latest_round(as_of: date | None = None) -> SurveyRound | None:
    """Return the most recent survey round held on or before `as_of` (default today), or None."""
    as_of = as_of or utcnow().date()
    return db.session.scalars(
        select(SurveyRound)
        .where(SurveyRound.held_on <= as_of)
        .order_by(SurveyRound.held_on.desc(), SurveyRound.id.desc())
        .limit(1)
    ).first()


def needs_in_force(as_of: date | None = None):
    """Return the condition picking the needs that count on `as_of` (default today).

    A survey round supersedes what came before it: the needs that count are those of the
    latest round held by then, plus needs stated without a round (web form, imports without
    --round) from that round's date on. With no round at all, every need stated by then counts.
    """
    as_of = as_of or utcnow().date()
    current = latest_round(as_of)
    if current is None:
        return Need.asked_on <= as_of
    return or_(
        Need.round_id == current.id,
        and_(Need.round_id.is_(None), Need.asked_on >= current.held_on, Need.asked_on <= as_of),
    )


def needs_frame(category: str | None = None, as_of: date | None = None, ward: str | None = None) -> pd.DataFrame:
    """Return the stated needs that count on `as_of` (default today), summed per ward, category and response.

    Columns ward_code, category, response_key, count: needs of one response (a web-form
    submission, a survey row) share a key; needs with none (count tables, older needs) are summed
    into one row per ward and category with response_key None. Sum ``count`` for stated needs;
    webmap.analysis.gaps counts responses from the keys.
    """
    query = select(Need.ward_code, Need.category_id, Need.response_key, Need.count).where(needs_in_force(as_of))
    if category:
        query = query.where(Need.category_id == category)
    if ward:
        query = query.where(Need.ward_code == ward)
    columns = ["ward_code", "category", "response_key", "count"]
    frame = pd.DataFrame(db.session.execute(query).all(), columns=columns)
    frame["count"] = frame["count"].astype(float)
    summed = frame.groupby(columns[:3], as_index=False, dropna=False, sort=True)["count"].sum()
    summed["response_key"] = summed["response_key"].astype(object).where(summed["response_key"].notna(), None)
    return summed


def population_points(bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame | None:
    """Return small-area population points (e.g. LSOAs) where they have locations (in bbox, if given), else None."""
    query = select(
        PopulationArea.code, PopulationArea.ward_code, PopulationArea.population, PopulationArea.lon, PopulationArea.lat
    ).where(PopulationArea.lon.is_not(None))
    if bbox:
        minx, miny, maxx, maxy = bbox
        query = query.where(
            PopulationArea.lon >= minx,
            PopulationArea.lon <= maxx,
            PopulationArea.lat >= miny,
            PopulationArea.lat <= maxy,
        )
    rows = db.session.execute(query).all()
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["code", "ward_code", "population", "lon", "lat"])
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.lon, frame.lat), crs=WGS84)


def categories() -> list[Category]:
    """Return the category taxonomy in display order."""
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.label)))


def category_labels() -> dict[str, str]:
    """Return {category id: label}."""
    return {c.id: c.label for c in categories()}


def lookup_postcode(postcode: str) -> Postcode | None:
    """Return the imported postcode record, or None when it is not known."""
    normalised = normalise_postcode(postcode)
    return db.session.get(Postcode, normalised) if normalised else None


def ward_exists(code: str) -> bool:
    """Say whether a ward with this code is loaded (without reading any outlines)."""
    return db.session.execute(select(func.count()).select_from(Ward).where(Ward.code == code)).scalar_one() > 0


# One ward locator per database, rebuilt only when the wards change (count or last update),
# so a form submission does not reload every ward outline.
_LOCATORS: dict[str, tuple[tuple, object]] = {}


def ward_locator():
    """Return a WardLocator over the current wards, reusing the last one while they are unchanged."""
    url = db.engine.url.render_as_string(hide_password=True)
    state = tuple(db.session.execute(select(func.count(Ward.id), func.max(Ward.updated_at))).one())
    cached = _LOCATORS.get(url)
    if cached is None or cached[0] != state:
        cached = (state, WardLocator(wards_frame()))
        _LOCATORS[url] = cached
    return cached[1]


def ward_at(lon: float, lat: float) -> Ward | None:
    """Return the ward holding this point, or None when it lies outside every ward."""
    code = ward_locator().locate_one(lon, lat)
    return db.session.scalar(select(Ward).where(Ward.code == code)) if code else None


def postcodes_loaded() -> bool:
    """Say whether any postcode table has been imported (postcode lookups need one)."""
    return db.session.scalar(select(Postcode.postcode).limit(1)) is not None


def ward_names() -> list[tuple[str, str]]:
    """Return (code, name) for every ward, by name, without reading outlines."""
    return [
        (code, name) for code, name in db.session.execute(select(Ward.code, Ward.name).order_by(Ward.name, Ward.code))
    ]


def wards_centre(codes: list[str]) -> tuple[float, float] | None:
    """Return (lon, lat) of a point inside these wards taken together (None when none is found)."""
    wards = wards_frame()
    chosen = wards[wards["code"].isin(codes)]
    if chosen.empty:
        return None
    point = chosen.geometry.union_all().representative_point()
    return float(point.x), float(point.y)


def box_around(bounds, metres: float) -> tuple[float, float, float, float]:
    """Return lon/lat bounds grown by at least `metres` on every side (for a bbox read before a metric test)."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    # A degree of latitude is at least 110.5 km; a degree of longitude shrinks with the cosine of
    # the latitude furthest from the equator. Rounding down both keeps the box a superset.
    dlat = metres / 110_500
    dlon = metres / (111_000 * max(math.cos(math.radians(max(abs(miny), abs(maxy)) + dlat)), 0.01))
    return minx - dlon, miny - dlat, maxx + dlon, maxy + dlat
