"""Which places are within the access distance of a ward: pure GeoDataFrame functions (no Flask, no session)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from webmap.analysis.crs import metric_crs


def places_within(ward: gpd.GeoDataFrame, places: gpd.GeoDataFrame, distance_m: float) -> pd.Series:
    """Return, for each place, whether it lies in the ward or within `distance_m` metres of it (in a metric CRS)."""
    if ward.crs is None or places.crs is None:
        raise ValueError("ward and places need a CRS so distances can be measured in metres")
    if len(ward) != 1:
        raise ValueError(f"expected exactly one ward outline, got {len(ward)}")
    if not distance_m >= 0:
        raise ValueError(f"distance must be 0 or more metres, got {distance_m!r}")
    if places.empty:
        return pd.Series([], index=places.index, dtype=bool)
    crs = metric_crs(ward)
    outline = ward.to_crs(crs).geometry.iloc[0]
    points = places.to_crs(crs).geometry
    return points.distance(outline) <= distance_m
