"""Choosing a metric CRS so that every distance is computed in metres, never degrees."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer

from webmap.analysis._validate import require_crs

#: British National Grid: the natural metric CRS for data in Great Britain.
BNG = CRS.from_epsg(27700)

#: Lon/lat envelope of Great Britain incl. Scilly and Shetland (west, south, east, north).
#: A box, not a coastline: Northern Ireland falls inside it too, where BNG's scale error is
#: still well under 0.1%, which is fine for 800 m catchments.
GB_BOUNDS = (-8.75, 49.7, 2.1, 61.0)


def metric_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """Return EPSG:27700 if *gdf* lies within Great Britain, else its estimated UTM CRS."""
    require_crs(gdf, "GeoDataFrame")
    if CRS.from_user_input(gdf.crs) == BNG:
        # Already in British National Grid: keep it (never reproject BNG data to UTM).
        return BNG
    bounds = _lonlat_bounds(gdf)
    if bounds is None or _within_gb(bounds):
        # An empty layer has no extent; the app is for UK councils, so BNG is the safe default.
        return BNG
    return gdf.estimate_utm_crs()


def to_metric(gdf: gpd.GeoDataFrame, crs: CRS | None = None) -> gpd.GeoDataFrame:
    """Return *gdf* reprojected to *crs* (default: ``metric_crs(gdf)``); no copy if already there."""
    require_crs(gdf, "GeoDataFrame")
    target = metric_crs(gdf) if crs is None else CRS.from_user_input(crs)
    if CRS.from_user_input(gdf.crs) == target:
        return gdf
    return gdf.to_crs(target)


def align_crs(first: gpd.GeoDataFrame, second: gpd.GeoDataFrame, name: str = "second") -> gpd.GeoDataFrame:
    """Return *second* in *first*'s CRS: on a mismatch the second input is reprojected to the first's."""
    require_crs(first, "first GeoDataFrame")
    require_crs(second, name)
    if CRS.from_user_input(first.crs) == CRS.from_user_input(second.crs):
        return second
    return second.to_crs(first.crs)


def _lonlat_bounds(gdf: gpd.GeoDataFrame) -> tuple[float, float, float, float] | None:
    """Return the layer's bounds in lon/lat, transforming only the box (cheap for 1M rows)."""
    if len(gdf) == 0:
        return None
    minx, miny, maxx, maxy = gdf.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])):
        return None
    crs = CRS.from_user_input(gdf.crs)
    if crs.is_geographic and crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return (minx, miny, maxx, maxy)
    transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    return transformer.transform_bounds(minx, miny, maxx, maxy)


def _within_gb(bounds: tuple[float, float, float, float]) -> bool:
    """True when the lon/lat box lies inside :data:`GB_BOUNDS`."""
    west, south, east, north = bounds
    return west >= GB_BOUNDS[0] and south >= GB_BOUNDS[1] and east <= GB_BOUNDS[2] and north <= GB_BOUNDS[3]
