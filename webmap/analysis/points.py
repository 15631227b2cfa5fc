"""A layer of points kept as coordinate arrays: a national register's places without a shapely object each.

A million places as shapely points take about 250 MB, and again when reprojected; as two float
arrays, 16 MB. The gap analysis needs their coordinates (for the distance sums) and, for the
two point-in-polygon joins, shapely points only a part at a time (:meth:`PointLayer.chunks`).
Every analysis function that takes places accepts a ``PointLayer`` or a GeoDataFrame of points.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from webmap.analysis._validate import require_crs, require_geom_types

#: Shapely points made at once by chunks(): about 20 MB of them, plus the join's tree over them
CHUNK = 100_000


@dataclass(frozen=True, eq=False)
class PointLayer:
    """Points as x and y arrays in a CRS, with a table of their other columns (one row each, same order)."""

    data: pd.DataFrame
    x: np.ndarray
    y: np.ndarray
    crs: Any
    #: What a maker says about the points (as GeoDataFrame.attrs: dropped rows, say).
    attrs: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.crs is None:
            raise ValueError("points have no CRS; say which one their coordinates are in")
        x, y = np.asarray(self.x, dtype="float64"), np.asarray(self.y, dtype="float64")
        if x.shape != (len(self.data),) or y.shape != (len(self.data),):
            raise ValueError(f"points need one x and one y per row: {len(self.data)} rows, {x.shape} x, {y.shape} y")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            bad = np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))
            raise ValueError(f"points have missing or infinite coordinates (rows {bad[:5].tolist()})")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)
        object.__setattr__(self, "crs", CRS.from_user_input(self.crs))

    @classmethod
    def from_xy(cls, data: pd.DataFrame, x: Any, y: Any, crs: Any) -> PointLayer:
        """Return the layer of these rows at these coordinates (in *crs*)."""
        return cls(data.reset_index(drop=True), np.asarray(x), np.asarray(y), crs)

    @classmethod
    def from_frame(cls, gdf: gpd.GeoDataFrame, name: str = "points") -> PointLayer:
        """Return a GeoDataFrame of points as a layer (its columns but the geometry, its CRS)."""
        require_crs(gdf, name)
        require_geom_types(gdf, {"Point"}, name)
        xy = shapely.get_coordinates(np.asarray(gdf.geometry.values)) if len(gdf) else np.empty((0, 2))
        data = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True)
        return cls(data, xy[:, 0], xy[:, 1], gdf.crs)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def columns(self) -> pd.Index:
        return self.data.columns

    def __getitem__(self, key: Any) -> Any:
        """A column by name (a Series); or, by a boolean mask, the layer of those rows."""
        if isinstance(key, str):
            return self.data[key]
        mask = np.asarray(key, dtype=bool)
        return PointLayer(self.data[mask].reset_index(drop=True), self.x[mask], self.y[mask], self.crs)

    def xy(self) -> np.ndarray:
        """Return the coordinates as an (n, 2) array."""
        return np.column_stack([self.x, self.y]) if len(self) else np.empty((0, 2))

    def to_crs(self, crs: Any) -> PointLayer:
        """Return the layer in *crs*: the same transformation as GeoDataFrame.to_crs, on the arrays."""
        target = CRS.from_user_input(crs)
        if target == self.crs:
            return self
        x, y = _transformer(self.crs, target).transform(self.x, self.y)
        return PointLayer(self.data, np.asarray(x), np.asarray(y), target, dict(self.attrs))

    def chunks(self, size: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (first row, shapely points) a part at a time (CHUNK): never a point object for every row at once."""
        size = size or CHUNK
        for start in range(0, len(self), size):
            yield start, shapely.points(self.x[start : start + size], self.y[start : start + size])


@functools.lru_cache(maxsize=16)
def _transformer(source: CRS, target: CRS) -> Transformer:
    """Return the transformation between two CRSs, made once: making one costs 30 ms (GeoPandas caches them too)."""
    return Transformer.from_crs(source, target, always_xy=True)


def as_layer(points: gpd.GeoDataFrame | PointLayer, name: str) -> PointLayer:
    """Return places given either way as a layer (a GeoDataFrame is checked: a CRS, points only)."""
    if isinstance(points, PointLayer):
        return points
    if not isinstance(points, gpd.GeoDataFrame):
        raise TypeError(f"{name} must be a GeoDataFrame or a PointLayer, got {type(points).__name__}")
    return PointLayer.from_frame(points, name)
