"""What the big-area pages read: sizes, the area's extent, and one page of places or wards at a time."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import func, select

from webmap.core.db import db
from webmap.core.models import Asset, Ward, asset_categories
from webmap.scale import derived
from webmap.scale import size as area_size
from webmap.scale.models import WardOutline
from webmap.scale.size import by_view  # noqa: F401  (pages ask scale.pages.by_view())


def extent() -> tuple[float, float, float, float] | None:
    """Return the wards' (minx, miny, maxx, maxy) from the stored outlines, or None without wards."""
    derived.ensure_outlines()
    row = db.session.execute(
        select(
            func.min(WardOutline.minx),
            func.min(WardOutline.miny),
            func.max(WardOutline.maxx),
            func.max(WardOutline.maxy),
        ).where(WardOutline.level == 0)
    ).one()
    return None if row[0] is None else tuple(row)


def _in_category(query, category: str | None):
    if category:
        query = query.where(
            Asset.id.in_(select(asset_categories.c.asset_id).where(asset_categories.c.category_id == category))
        )
    return query


def asset_page(category: str | None, page: int, size: int) -> tuple[pd.DataFrame, int]:
    """Return one page of approved places by name (asset_id, name, categories, ward_name) and the total."""
    total = db.session.scalar(
        _in_category(select(func.count()).select_from(Asset).where(Asset.status == "approved"), category)
    )
    rows = db.session.execute(
        _in_category(
            select(Asset.id, Asset.name, Ward.name)
            .join(Ward, Ward.code == Asset.ward_code, isouter=True)
            .where(Asset.status == "approved"),
            category,
        )
        .order_by(Asset.name, Asset.id)
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    frame = pd.DataFrame(rows, columns=["asset_id", "name", "ward_name"])
    cats: dict[int, list[str]] = {}
    if len(frame):
        for asset_id, cat in db.session.execute(
            select(asset_categories.c.asset_id, asset_categories.c.category_id).where(
                asset_categories.c.asset_id.in_(frame["asset_id"].tolist())
            )
        ):
            cats.setdefault(asset_id, []).append(cat)
    frame["categories"] = [";".join(sorted(cats.get(i, []))) for i in frame["asset_id"]]
    return frame, total


def ward_page(category: str | None, page: int, size: int) -> tuple[list[tuple[str, str, int]], int]:
    """Return one page of wards by name as (code, name, places in it) and the number of wards."""
    total = area_size.ward_count()
    wards = db.session.execute(
        select(Ward.code, Ward.name).order_by(Ward.name, Ward.code).limit(size).offset((page - 1) * size)
    ).all()
    codes = [c for c, _ in wards]
    counts = (
        dict(
            db.session.execute(
                _in_category(
                    select(Asset.ward_code, func.count()).where(Asset.status == "approved", Asset.ward_code.in_(codes)),
                    category,
                ).group_by(Asset.ward_code)
            ).all()
        )
        if codes
        else {}
    )
    return [(code, name, int(counts.get(code, 0))) for code, name in wards], total


def ward_frame(code: str) -> gpd.GeoDataFrame:
    """Return one ward (all its columns) as a GeoDataFrame, empty when there is no such ward."""
    rows = db.session.execute(
        select(Ward.code, Ward.name, Ward.lad_code, Ward.lad_name, Ward.population, Ward.deprivation, Ward.geom).where(
            Ward.code == code
        )
    ).all()
    frame = pd.DataFrame(
        rows, columns=["code", "name", "lad_code", "lad_name", "population", "deprivation", "geometry"]
    )
    frame["population"] = frame["population"].astype(float)
    frame["deprivation"] = frame["deprivation"].astype(float)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def wards_near(bounds, margin_deg: float = 0.01) -> gpd.GeoDataFrame:
    """Return the wards whose stored outline box comes within margin of bounds (full outlines)."""
    derived.ensure_outlines()
    minx, miny, maxx, maxy = bounds
    codes = select(WardOutline.code).where(
        WardOutline.level == len(_levels()) - 1,
        WardOutline.minx <= maxx + margin_deg,
        WardOutline.maxx >= minx - margin_deg,
        WardOutline.miny <= maxy + margin_deg,
        WardOutline.maxy >= miny - margin_deg,
    )
    rows = db.session.execute(
        select(Ward.code, Ward.name, Ward.lad_code, Ward.lad_name, Ward.population, Ward.deprivation, Ward.geom)
        .where(Ward.code.in_(codes))
        .order_by(Ward.code)
    ).all()
    frame = pd.DataFrame(
        rows, columns=["code", "name", "lad_code", "lad_name", "population", "deprivation", "geometry"]
    )
    frame["population"] = frame["population"].astype(float)
    frame["deprivation"] = frame["deprivation"].astype(float)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


def _levels():
    from webmap.scale.tiles import OUTLINE_LEVELS

    return OUTLINE_LEVELS
