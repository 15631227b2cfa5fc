"""Ward outlines simplified once per zoom level, kept in the database and served by bounding box."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import delete, insert, select

from webmap.core.db import db
from webmap.scale.models import WardOutline
from webmap.scale.tiles import OUTLINE_LEVELS

BATCH = 2000


def _rounded_geojson(geometry, places: int) -> str:
    """Return compact GeoJSON for a polygon, coordinates rounded to `places` decimals."""
    mapping = shapely.geometry.mapping(geometry)

    def walk(coords):
        if isinstance(coords[0], (float, int)):
            return [round(coords[0], places), round(coords[1], places)]
        return [walk(c) for c in coords]

    return json.dumps({"type": mapping["type"], "coordinates": walk(mapping["coordinates"])}, separators=(",", ":"))


def simplified_levels(wards: gpd.GeoDataFrame) -> list[gpd.GeoSeries]:
    """Return the ward outlines at each level of OUTLINE_LEVELS, in EPSG:4326, no ward left empty.

    Coverage simplification keeps neighbours sharing their edges; a ward too small for a coarse
    level keeps its outline from the next finer level.
    """
    if wards.crs is None:
        raise ValueError("wards have no CRS; cannot simplify them in metres")
    if wards.empty:
        return [wards.geometry.to_crs(4326) for _ in OUTLINE_LEVELS]
    metric = wards.to_crs(27700).geometry.make_valid()
    out: list[gpd.GeoSeries] = []
    for _zoom, tolerance, _places, _tile in reversed(OUTLINE_LEVELS):
        simple = gpd.GeoSeries(metric.simplify_coverage(tolerance), index=wards.index, crs=27700)
        if out:
            finer = out[-1].to_crs(27700)
            empty = simple.is_empty | ~simple.geom_type.isin(["Polygon", "MultiPolygon"])
            simple[empty] = finer[empty]
        out.append(simple.to_crs(4326))
    return list(reversed(out))


def build_outlines(wards: gpd.GeoDataFrame) -> int:
    """Replace the stored outlines with these wards' (code, name, geometry); return rows written."""
    db.session.execute(delete(WardOutline))
    written = 0
    for level, geoms in enumerate(simplified_levels(wards)):
        places = OUTLINE_LEVELS[level][2]
        bounds = shapely.bounds(geoms.values)
        rows = [
            {
                "level": level,
                "code": code,
                "name": name,
                "minx": b[0],
                "miny": b[1],
                "maxx": b[2],
                "maxy": b[3],
                "geojson": _rounded_geojson(g, places),
            }
            for code, name, g, b in zip(wards["code"], wards["name"], geoms.values, bounds)
            if g is not None and not g.is_empty and np.isfinite(b).all()
        ]
        for start in range(0, len(rows), BATCH):
            db.session.execute(insert(WardOutline), rows[start : start + BATCH])
        written += len(rows)
    return written


def outlines_in(level: int, bbox: tuple[float, float, float, float]) -> list[tuple[str, str, str]]:
    """Return (code, name, GeoJSON) of the wards at `level` whose box meets bbox."""
    minx, miny, maxx, maxy = bbox
    return list(
        db.session.execute(
            select(WardOutline.code, WardOutline.name, WardOutline.geojson)
            .where(
                WardOutline.level == level,
                WardOutline.minx <= maxx,
                WardOutline.maxx >= minx,
                WardOutline.miny <= maxy,
                WardOutline.maxy >= miny,
            )
            .order_by(WardOutline.code)
        ).all()
    )
