"""Input checks shared by the public functions (private module)."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd


def require_frame(obj: object, name: str, geo: bool) -> None:
    """Raise TypeError unless *obj* is a (Geo)DataFrame."""
    wanted = gpd.GeoDataFrame if geo else pd.DataFrame
    if not isinstance(obj, wanted):
        raise TypeError(f"{name} must be a {wanted.__name__}, got {type(obj).__name__}")


def require_columns(df: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise ValueError naming every column of *columns* missing from *df*."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing required column(s) {missing}; it has {list(df.columns)}")


def require_crs(gdf: gpd.GeoDataFrame, name: str) -> None:
    """Raise ValueError when *gdf* has no CRS (distances would be meaningless)."""
    if gdf.crs is None:
        raise ValueError(f"{name} has no CRS; set one with .set_crs() before analysis")


def require_geom_types(gdf: gpd.GeoDataFrame, allowed: set[str], name: str) -> None:
    """Raise ValueError if *gdf* holds geometry types outside *allowed* (or empty/missing ones)."""
    if len(gdf) == 0:
        return
    geoms = gdf.geometry
    if geoms.isna().any() or geoms.is_empty.any():
        raise ValueError(f"{name} has missing or empty geometries")
    bad = sorted(set(geoms.geom_type.unique()) - allowed)
    if bad:
        raise ValueError(f"{name} has geometry type(s) {bad}; expected {sorted(allowed)}")


def require_numeric(df: pd.DataFrame, column: str, name: str, allow_nan: bool) -> np.ndarray:
    """Return *column* as float64, raising ValueError on text, negatives or (optionally) NaN."""
    try:
        values = pd.to_numeric(df[column], errors="raise").to_numpy(dtype="float64", na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} column {column!r} must be numeric") from exc
    nan = np.isnan(values)
    if nan.any() and not allow_nan:
        raise ValueError(f"{name} column {column!r} has missing values")
    if (values[~nan] < 0).any() or np.isinf(values).any():
        raise ValueError(f"{name} column {column!r} must be finite and >= 0")
    return values


def require_distance(distance: object) -> float:
    """Return *distance* as a positive finite float (metres) or raise."""
    if isinstance(distance, bool) or not isinstance(distance, (int, float, np.integer, np.floating)):
        raise TypeError(f"distance must be a number of metres, got {distance!r}")
    value = float(distance)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"distance must be a positive number of metres, got {distance!r}")
    return value
