"""Radius search over approved assets; the only place that knows the SQL for it.

Distances are geodesic, on the WGS84 spheroid, in metres: PostGIS geography
(`ST_DWithin`/`ST_Distance` with their default use_spheroid=true) and, on SQLite,
`pyproj.Geod(ellps="WGS84")` after an indexed lon/lat bounding-box prefilter. Both are
Karney's geodesic algorithm, so the two backends agree to well under a millimetre.
A geodesic is the straight line on the ground, which is what the pages label as the
"straight-line distance"; it is not a walking distance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sqlalchemy import cast, func, select, text
from sqlalchemy.orm import defer, joinedload, selectinload
from sqlalchemy.sql import Select
from sqlalchemy.types import UserDefinedType

from webmap.core.db import db, is_postgres
from webmap.core.geo import bounding_box, geodesic_m
from webmap.core.models import Asset, Category, Ward, asset_categories

MATCHES = ("any", "all")


class _Geography(UserDefinedType):
    """The bare PostGIS `geography` type, so `CAST(geom AS geography)` matches ix_assets_geog."""

    cache_ok = True

    def get_col_spec(self, **kw: object) -> str:
        return "geography"


def _filtered(
    query: Select,
    categories: Iterable[str] | None,
    match: str,
    kind: str | None,
    exclude_id: int | None,
    where: Iterable = (),
) -> Select:
    """Add the category, kind and exclusion filters shared by both backends."""
    if match not in MATCHES:
        raise ValueError(f"match must be one of {MATCHES}, not {match!r}")
    cats = sorted(set(categories or ()))
    if cats:
        # Correlated per candidate (primary-key lookups), so the radius index drives the query
        # rather than a scan of every asset in a common category.
        own = (asset_categories.c.asset_id == Asset.id) & asset_categories.c.category_id.in_(cats)
        if match == "all" and len(cats) > 1:
            query = query.where(select(func.count()).where(own).scalar_subquery() == len(cats))
        else:
            query = query.where(select(asset_categories.c.asset_id).where(own).exists())
    if kind:
        query = query.where(Asset.kind == kind)
    if exclude_id is not None:
        query = query.where(Asset.id != exclude_id)
    # Extra conditions from feature packages, e.g. "offers a kitchen" (webmap/groups).
    for clause in where:
        query = query.where(clause)
    return query


def postgis_query(
    lon: float,
    lat: float,
    radius_m: float,
    categories=None,
    match: str = "any",
    kind: str | None = None,
    exclude_id: int | None = None,
    entity=Asset.id,
    where: Iterable = (),
) -> Select:
    """Return SELECT (entity, distance_m) nearest first, using the ix_assets_geog GiST index.

    entity is Asset.id by default, or Asset to fetch whole assets in the same round trip.
    """
    lon, lat, radius_m = float(lon), float(lat), float(radius_m)  # plain floats, never numpy scalars
    here = cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), _Geography())
    geog = cast(Asset.geom, _Geography())
    distance = func.ST_Distance(geog, here).label("distance_m")
    query = select(entity, distance).where(Asset.status == "approved", func.ST_DWithin(geog, here, radius_m))
    return _filtered(query, categories, match, kind, exclude_id, where).order_by(distance, Asset.id)


def _page(query: Select, limit: int | None, offset: int) -> Select:
    if offset:
        query = query.offset(offset)
    return query if limit is None else query.limit(limit)


def sqlite_query(
    lon: float,
    lat: float,
    radius_m: float,
    categories=None,
    match: str = "any",
    kind: str | None = None,
    exclude_id: int | None = None,
    where: Iterable = (),
) -> Select:
    """Return SELECT (id, lon, lat) of candidates in the circle's bounding box, via ix_assets_lon_lat."""
    min_lon, min_lat, max_lon, max_lat = bounding_box(lon, lat, radius_m)
    # `status || ''` keeps SQLite from choosing ix_assets_status (nearly every row is
    # approved) over the far more selective ix_assets_lon_lat range scan.
    query = select(Asset.id, Asset.lon, Asset.lat).where(
        Asset.lon.between(min_lon, max_lon), Asset.lat.between(min_lat, max_lat), (Asset.status + "") == "approved"
    )
    return _filtered(query, categories, match, kind, exclude_id, where)


def _sqlite_matches(
    lon: float,
    lat: float,
    radius_m: float,
    categories,
    match: str,
    kind: str | None,
    exclude_id: int | None,
    where: Iterable = (),
) -> list[tuple[int, float]]:
    """Return every (id, distance_m) within the radius, nearest first: box prefilter, then exact geodesic."""
    rows = db.session.execute(sqlite_query(lon, lat, radius_m, categories, match, kind, exclude_id, where)).all()
    if not rows:
        return []
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    dist = geodesic_m(lon, lat, [r[1] for r in rows], [r[2] for r in rows])
    inside = dist <= radius_m
    ids, dist = ids[inside], dist[inside]
    order = np.lexsort((ids, dist))
    return [(int(i), float(d)) for i, d in zip(ids[order], dist[order])]


def nearby_ids(
    lon: float,
    lat: float,
    radius_m: float,
    categories=None,
    match: str = "any",
    kind: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    exclude_id: int | None = None,
    where: Iterable = (),
) -> list[tuple[int, float]]:
    """Return (asset id, distance_m) of approved assets within radius_m, nearest first."""
    if is_postgres():
        query = _page(
            postgis_query(lon, lat, radius_m, categories, match, kind, exclude_id, where=where), limit, offset
        )
        return [(int(i), float(d)) for i, d in db.session.execute(query).all()]
    hits = _sqlite_matches(lon, lat, radius_m, categories, match, kind, exclude_id, where)
    return hits[offset : None if limit is None else offset + limit]


def find_nearby(
    lon: float,
    lat: float,
    radius_m: float,
    categories=None,
    match: str = "any",
    kind: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    exclude_id: int | None = None,
    where: Iterable = (),
) -> list[tuple[Asset, float]]:
    """Return (asset, distance_m) for approved assets within radius_m metres, nearest first."""
    # Ward outlines can be large; a result only needs the ward's name.
    ward_name_only = joinedload(Asset.ward).load_only(Ward.code, Ward.name)
    if is_postgres():
        query = postgis_query(lon, lat, radius_m, categories, match, kind, exclude_id, entity=Asset, where=where)
        rows = db.session.execute(_page(query, limit, offset).options(ward_name_only)).all()
        return [(asset, float(d)) for asset, d in rows]
    hits = nearby_ids(lon, lat, radius_m, categories, match, kind, limit, offset, exclude_id, where)
    if not hits:
        return []
    query = select(Asset).where(Asset.id.in_([i for i, _ in hits])).options(ward_name_only)
    assets = {a.id: a for a in db.session.scalars(query)}
    return [(assets[i], d) for i, d in hits if i in assets]


def counted_ids(
    lon: float,
    lat: float,
    radius_m: float,
    categories=None,
    match: str = "any",
    kind: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    exclude_id: int | None = None,
    where: Iterable = (),
) -> tuple[list[tuple[int, float]], int]:
    """Return (one page of (id, distance_m) nearest first, how many match in all) from one radius search."""
    if is_postgres():
        # The count rides along as a window over the same candidates: the geodesic test runs once.
        query = postgis_query(lon, lat, radius_m, categories, match, kind, exclude_id, where=where)
        rows = db.session.execute(_page(query.add_columns(func.count().over().label("total")), limit, offset)).all()
        if rows:
            return [(int(i), float(d)) for i, d, _ in rows], int(rows[0][2])
        # A page past the end: nothing to show, but the total still counts.
        return [], count_nearby(lon, lat, radius_m, categories, match, kind, exclude_id, where)
    every = _sqlite_matches(lon, lat, radius_m, categories, match, kind, exclude_id, where)
    return every[offset : None if limit is None else offset + limit], len(every)


def find_nearby_counted(
    lon: float, lat: float, radius_m: float, limit: int | None = None, offset: int = 0, **filters
) -> tuple[list[tuple[Asset, float]], int]:
    """Return (one page of find_nearby, how many match in all) from one radius search, not two."""
    hits, total = counted_ids(lon, lat, radius_m, limit=limit, offset=offset, **filters)
    if not hits:
        return [], total
    # Only what a result shows: no geometry (lon/lat are columns), the ward's name, the category ids.
    light = (
        joinedload(Asset.ward).load_only(Ward.code, Ward.name),
        defer(Asset.geom),
        selectinload(Asset.categories).load_only(Category.id),
    )
    assets = {
        a.id: a for a in db.session.scalars(select(Asset).where(Asset.id.in_([i for i, _ in hits])).options(*light))
    }
    return [(assets[i], d) for i, d in hits if i in assets], total


def public_records(ids: Sequence[int]) -> dict[int, dict]:
    """Return {id: the same dict as Asset.public_dict()} for these assets, from two plain queries.

    For API answers listing many places: it reads only the public columns (Asset.PUBLIC_FIELDS,
    the one list of what may be shown), the ward's name and the category ids, with no ORM objects.
    """
    if not ids:
        return {}
    columns = [getattr(Asset, f) for f in Asset.PUBLIC_FIELDS]
    rows = db.session.execute(
        select(*columns, Ward.name, Asset.lon, Asset.lat)
        .join(Ward, Ward.code == Asset.ward_code, isouter=True)
        .where(Asset.id.in_(list(ids)))
    ).all()
    cats: dict[int, list[str]] = {}
    for asset_id, category in db.session.execute(
        select(asset_categories.c.asset_id, asset_categories.c.category_id)
        .join(Category, Category.id == asset_categories.c.category_id)
        .where(asset_categories.c.asset_id.in_(list(ids)))
        .order_by(Category.sort_order)
    ):
        cats.setdefault(asset_id, []).append(category)
    out = {}
    for row in rows:
        record = dict(zip(Asset.PUBLIC_FIELDS, row[: len(columns)]))
        verified = record["last_verified_at"]
        record["last_verified_at"] = verified.date().isoformat() if verified else None
        record["categories"] = cats.get(record["id"], [])
        record["ward_name"], record["lon"], record["lat"] = row[len(columns) :]
        out[record["id"]] = record
    return out


def nearby_records(
    lon: float, lat: float, radius_m: float, limit: int | None = None, offset: int = 0, **filters
) -> tuple[list[tuple[dict, float]], int]:
    """Return (one page of (public record, distance_m), how many match in all): find_nearby_counted for the API."""
    hits, total = counted_ids(lon, lat, radius_m, limit=limit, offset=offset, **filters)
    records = public_records([i for i, _ in hits])
    return [(records[i], d) for i, d in hits if i in records], total


def count_nearby(
    lon: float,
    lat: float,
    radius_m: float,
    categories=None,
    match: str = "any",
    kind: str | None = None,
    exclude_id: int | None = None,
    where: Iterable = (),
) -> int:
    """Return how many approved assets find_nearby would list without a limit."""
    if is_postgres():
        query = postgis_query(lon, lat, radius_m, categories, match, kind, exclude_id, where=where).order_by(None)
        return int(db.session.scalar(select(func.count()).select_from(query.subquery())))
    return len(_sqlite_matches(lon, lat, radius_m, categories, match, kind, exclude_id, where))


def explain_nearby(lon: float, lat: float, radius_m: float, **filters) -> str:
    """Return PostgreSQL's plan for the radius query (to check ix_assets_geog is used)."""
    query = postgis_query(lon, lat, radius_m, **filters)
    compiled = query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    return "\n".join(r[0] for r in db.session.execute(text(f"EXPLAIN {compiled}")).all())


# The area's extent by (database, ward data version): it changes only when wards are imported.
_BOUNDS: dict[tuple[str, int], tuple[float, float, float, float] | None] = {}


def area_bounds() -> tuple[float, float, float, float] | None:
    """Return the lon/lat bounding box of all wards, or None when none are loaded."""
    from webmap.scale import versions

    key = (db.engine.url.render_as_string(hide_password=True), versions.current(versions.WARDS))
    if key not in _BOUNDS:
        _BOUNDS.clear()
        _BOUNDS[key] = _area_bounds()
    return _BOUNDS[key]


def _area_bounds() -> tuple[float, float, float, float] | None:
    if is_postgres():
        row = db.session.execute(
            select(
                func.ST_XMin(func.ST_Extent(Ward.geom)),
                func.ST_YMin(func.ST_Extent(Ward.geom)),
                func.ST_XMax(func.ST_Extent(Ward.geom)),
                func.ST_YMax(func.ST_Extent(Ward.geom)),
            )
        ).one()
        return None if row[0] is None else tuple(float(v) for v in row)
    import shapely

    # In batches: 8,533 national outlines decoded at once would cost a server process ~100 MB.
    found = None
    for batch in db.session.scalars(select(Ward.geom).where(Ward.geom.is_not(None))).partitions(500):
        box = shapely.total_bounds(list(batch))
        found = (
            box
            if found is None
            else (min(found[0], box[0]), min(found[1], box[1]), max(found[2], box[2]), max(found[3], box[3]))
        )
    return None if found is None else tuple(float(v) for v in found)


def metres_outside(lon: float, lat: float, bounds: Sequence[float]) -> float:
    """Return how far (metres) a point lies outside a lon/lat box; 0 inside it."""
    min_lon, min_lat, max_lon, max_lat = bounds
    near_lon, near_lat = min(max(lon, min_lon), max_lon), min(max(lat, min_lat), max_lat)
    if (near_lon, near_lat) == (lon, lat):
        return 0.0
    return float(geodesic_m(lon, lat, [near_lon], [near_lat])[0])
