"""Places by map tile: counted into grid cells when there are many, listed one by one when few.

Cells for the lower zooms are counted once per data version into place_cells (a whole country's
places never have to be read to draw a national map); at higher zooms a tile covers so little
that counting its places in the database on the spot is quick.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Integer, cast, delete, func, insert, select

from webmap.core.db import db
from webmap.core.models import Asset, Ward, asset_categories
from webmap.scale.models import PlaceCell
from webmap.scale.tiles import cell_size

# Map zooms whose cells are stored; above CELL_MAX_ZOOM they are counted per request.
CELL_MIN_ZOOM, CELL_MAX_ZOOM = 5, 10
# A tile with at most this many places sends them one by one (clustered in the browser).
POINTS_MAX = 2500
BATCH = 5000


def count_cells(points: pd.DataFrame, level: int) -> pd.DataFrame:
    """Return cells (category, x, y, count, lon, lat) for points with asset_id, lon, lat and category.

    Points come one row per (place, category); category "" counts every place once, and each
    place also counts once in each of its categories.
    """
    for col in ("asset_id", "lon", "lat", "category"):
        if col not in points.columns:
            raise ValueError(f"points need a '{col}' column; got {list(points.columns)}")
    if points.empty:
        return pd.DataFrame(
            {
                "category": pd.Series(dtype=object),
                **{c: pd.Series(dtype=int) for c in ("x", "y", "count")},
                "lon": pd.Series(dtype=float),
                "lat": pd.Series(dtype=float),
            }
        )
    dx, dy = cell_size(level)
    first = ~points["asset_id"].duplicated().to_numpy()
    named = points["category"].fillna("").to_numpy(dtype=object) != ""
    # Every place once under "", then each (place, category) row under its category.
    lon = np.concatenate([points["lon"].to_numpy(float)[first], points["lon"].to_numpy(float)[named]])
    lat = np.concatenate([points["lat"].to_numpy(float)[first], points["lat"].to_numpy(float)[named]])
    cats = np.concatenate([np.full(first.sum(), "", dtype=object), points["category"].to_numpy(dtype=object)[named]])
    codes, names = pd.factorize(cats)
    x = ((lon + 180) // dx).astype(np.int64)
    y = ((lat + 90) // dy).astype(np.int64)
    key = (codes.astype(np.int64) << 42) | (x << 21) | y  # x, y < 2**21 up to zoom 18
    unique, inverse = np.unique(key, return_inverse=True)
    counts = np.bincount(inverse)
    return pd.DataFrame(
        {
            "category": np.asarray(names, dtype=object)[unique >> 42],
            "x": (unique >> 21) & (2**21 - 1),
            "y": unique & (2**21 - 1),
            "count": counts,
            "lon": np.bincount(inverse, lon) / counts,
            "lat": np.bincount(inverse, lat) / counts,
        }
    )


def _approved_points() -> pd.DataFrame:
    """Read (asset_id, lon, lat, category) of every approved place, straight from the driver (fast)."""
    # The driver's own cursor: SQLAlchemy's row objects cost more than the query for a million rows.
    cursor = db.session.connection().connection.cursor()
    cursor.execute(
        "SELECT a.id, a.lon, a.lat, ac.category_id FROM assets a "
        "LEFT JOIN asset_categories ac ON ac.asset_id = a.id WHERE a.status = 'approved'"
    )
    rows = cursor.fetchall()
    cursor.close()
    if not rows:
        return pd.DataFrame({"asset_id": [], "lon": [], "lat": [], "category": []})
    ids, lon, lat, cats = zip(*rows)
    return pd.DataFrame(
        {
            "asset_id": np.array(ids),
            "lon": np.array(lon, float),
            "lat": np.array(lat, float),
            "category": np.array(cats, dtype=object),
        }
    )


def build_cells() -> int:
    """Replace the stored cells with counts of the approved places now in the database."""
    points = _approved_points()
    db.session.execute(delete(PlaceCell))
    written = 0
    for level in range(CELL_MIN_ZOOM, CELL_MAX_ZOOM + 1):
        cells = count_cells(points, level)
        records = [
            {
                "level": level,
                "category": c,
                "x": int(x),
                "y": int(y),
                "count": int(n),
                "lon": float(lo),
                "lat": float(la),
            }
            for c, x, y, n, lo, la in cells[["category", "x", "y", "count", "lon", "lat"]].itertuples(index=False)
        ]
        for start in range(0, len(records), BATCH):
            db.session.execute(insert(PlaceCell), records[start : start + BATCH])
        written += len(records)
    return written


def _approved_in(bbox, category: str | None):
    minx, miny, maxx, maxy = bbox
    query = select(Asset.id).where(
        Asset.status == "approved", Asset.lon >= minx, Asset.lon < maxx, Asset.lat >= miny, Asset.lat < maxy
    )
    if category:
        query = query.where(
            Asset.id.in_(select(asset_categories.c.asset_id).where(asset_categories.c.category_id == category))
        )
    return query


def stored_cells(level: int, bbox, category: str | None) -> list[list]:
    """Return [lat, lon, count] of the stored cells whose centre lies in bbox."""
    minx, miny, maxx, maxy = bbox
    rows = db.session.execute(
        select(PlaceCell.lat, PlaceCell.lon, PlaceCell.count).where(
            PlaceCell.level == level,
            PlaceCell.category == (category or ""),
            PlaceCell.lon >= minx,
            PlaceCell.lon < maxx,
            PlaceCell.lat >= miny,
            PlaceCell.lat < maxy,
        )
    ).all()
    return [[round(la, 5), round(lo, 5), n] for la, lo, n in rows]


def live_cells(level: int, bbox, category: str | None) -> list[list]:
    """Count the approved places in bbox into cells in the database; return [lat, lon, count]."""
    dx, dy = cell_size(level)
    ids = _approved_in(bbox, category).subquery()
    x = cast((Asset.lon + 180) / dx, Integer).label("x")  # lon + 180 >= 0, so the cast floors
    y = cast((Asset.lat + 90) / dy, Integer).label("y")
    rows = db.session.execute(
        select(func.avg(Asset.lat), func.avg(Asset.lon), func.count())
        .where(Asset.id.in_(select(ids.c.id)))
        .group_by(x, y)
    ).all()
    return [[round(la, 5), round(lo, 5), int(n)] for la, lo, n in rows]


def count_in(bbox, category: str | None) -> int:
    """Return how many approved places lie in bbox."""
    return db.session.scalar(select(func.count()).select_from(_approved_in(bbox, category).subquery()))


def points_in(bbox, category: str | None, labels: dict[str, str], welsh: bool = False) -> list[list]:
    """Return [lat, lon, id, name, categories, ward name] of the approved places in bbox.

    welsh: each place's and ward's Welsh name where it has one (labels are already in the reader's language).
    """
    ids = _approved_in(bbox, category).subquery()
    place_name = func.coalesce(func.nullif(Asset.name_cy, ""), Asset.name) if welsh else Asset.name
    ward_name = func.coalesce(func.nullif(Ward.name_cy, ""), Ward.name) if welsh else Ward.name
    rows = db.session.execute(
        select(Asset.id, Asset.lat, Asset.lon, place_name, ward_name)
        .join(Ward, Ward.code == Asset.ward_code, isouter=True)
        .where(Asset.id.in_(select(ids.c.id)))
        .order_by(Asset.id)
    ).all()
    cats: dict[int, list[str]] = {}
    id_list = [r[0] for r in rows]
    for start in range(0, len(id_list), 900):
        for asset_id, cat in db.session.execute(
            select(asset_categories.c.asset_id, asset_categories.c.category_id).where(
                asset_categories.c.asset_id.in_(id_list[start : start + 900])
            )
        ):
            cats.setdefault(asset_id, []).append(labels.get(cat, cat))
    return [
        [round(la, 5), round(lo, 5), i, name, ", ".join(sorted(cats.get(i, []))), ward or ""]
        for i, la, lo, name, ward in rows
    ]
