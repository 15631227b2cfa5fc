"""Small geographic helpers: postcodes, reading vector files, and point-in-ward lookup."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")


def normalise_postcode(value: str | None) -> str | None:
    """Return a UK postcode in upper case with one space ("OL1 1AA"), or None if it is not one."""
    if not value:
        return None
    match = _POSTCODE.match(re.sub(r"\s+", " ", str(value).strip().upper()))
    return f"{match.group(1)} {match.group(2)}" if match else None


def valid_lon_lat(lon: float, lat: float) -> bool:
    """Say whether lon/lat are finite numbers within the WGS84 range."""
    return bool(np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90)


def assign_wards(points: gpd.GeoSeries, wards: gpd.GeoDataFrame, code_col: str = "code") -> pd.Series:
    """Return the ward code holding each point (None outside every ward).

    A point exactly on a shared boundary touches two wards; it goes to the one whose code
    sorts first, so the answer never depends on row order.
    """
    if len(points) == 0 or len(wards) == 0:
        return pd.Series([None] * len(points), index=points.index, dtype=object)
    wards = (
        wards[[code_col, "geometry"]].to_crs(points.crs) if wards.crs != points.crs else wards[[code_col, "geometry"]]
    )
    left = gpd.GeoDataFrame(geometry=points.reset_index(drop=True), crs=points.crs)
    joined = gpd.sjoin(left, wards, how="left", predicate="intersects")
    joined = joined.sort_values([code_col]).reset_index().drop_duplicates("index").set_index("index").sort_index()
    codes = joined[code_col].astype(object).where(joined[code_col].notna(), None)
    return pd.Series(codes.to_numpy(), index=points.index, dtype=object)


@dataclass
class WardLocator:
    """Find the ward of single points quickly (for forms), from a wards GeoDataFrame."""

    wards: gpd.GeoDataFrame

    def locate_one(self, lon: float, lat: float) -> str | None:
        """Return the code of the ward holding (lon, lat), or None."""
        if not valid_lon_lat(lon, lat):
            return None
        points = gpd.GeoSeries([shapely.Point(lon, lat)], crs=WGS84)
        return assign_wards(points, self.wards).iloc[0]


def to_multipolygon(geom):
    """Return a polygonal geometry as a MultiPolygon (dropping stray lines/points from repairs)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "MultiPolygon":
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = [p for g in parts for p in (g.geoms if g.geom_type == "MultiPolygon" else [g])]
    return shapely.MultiPolygon(polys) if polys else None


GEOD = Geod(ellps="WGS84")
# Smallest radii of curvature of the WGS84 ellipsoid (meridional at the equator, and the
# equatorial radius for parallels): dividing by them over-estimates a box in degrees, so
# the prefilter never drops an asset that is really inside the circle.
_MIN_MERIDIONAL_RADIUS = 6_335_439.0
_EQUATORIAL_RADIUS = 6_378_137.0


def bounding_box(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """Return (min lon, min lat, max lon, max lat) safely enclosing a circle of radius_m metres."""
    dlat = math.degrees(radius_m / _MIN_MERIDIONAL_RADIUS) * 1.01
    far_lat = min(90.0, abs(lat) + dlat)
    cos_far = math.cos(math.radians(far_lat))
    dlon = 180.0 if cos_far < 1e-9 else min(180.0, math.degrees(radius_m / (_EQUATORIAL_RADIUS * cos_far)) * 1.01)
    return lon - dlon, max(-90.0, lat - dlat), lon + dlon, min(90.0, lat + dlat)


def geodesic_m(lon: float, lat: float, lons: Sequence[float], lats: Sequence[float]) -> np.ndarray:
    """Return geodesic distances in metres from one point to many (WGS84 spheroid)."""
    to_lons = np.asarray(lons, dtype=float)
    to_lats = np.asarray(lats, dtype=float)
    if to_lons.size == 0:
        return np.zeros(0)
    _, _, dist = GEOD.inv(np.full(to_lons.shape, lon), np.full(to_lats.shape, lat), to_lons, to_lats)
    return np.asarray(dist, dtype=float)
