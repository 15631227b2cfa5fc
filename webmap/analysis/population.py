"""Where people live: population points that the access measures are computed from.

Two sources, named by the ``population_method`` string returned with the points:

* ``"lsoa_points"`` -- caller-supplied points (e.g. LSOA populations at LSOA centroids),
  each assigned to the ward it falls in.
* ``"ward_spread"`` -- no points supplied: each ward's population is spread evenly over a
  deterministic regular grid of points inside the ward.

Diagnostics are kept in ``points.attrs`` (pandas' metadata dict) rather than warnings,
because warnings are errors in this project:
``attrs["dropped_points"]`` (points outside every ward or without a population) and
``attrs["wards_without_population"]`` (ward codes that contributed nothing).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from webmap.analysis._validate import require_columns, require_crs, require_frame, require_geom_types, require_numeric
from webmap.analysis.crs import align_crs, to_metric
from webmap.analysis.points import PointLayer

LSOA_POINTS = "lsoa_points"
WARD_SPREAD = "ward_spread"
WARD_COLUMNS = ("code", "population")
POLYGONS = {"Polygon", "MultiPolygon"}


def population_points(
    wards: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame | None = None,
    spread_per_ward: int = 50,
) -> tuple[gpd.GeoDataFrame, str]:
    """Return (points with ``ward_code``/``population`` in the wards' metric CRS, population_method)."""
    layer, method = population_layer(wards, points, spread_per_ward)
    result = gpd.GeoDataFrame(layer.data, geometry=gpd.points_from_xy(layer.x, layer.y), crs=layer.crs)
    result.attrs.update(layer.attrs)
    return result, method


def population_layer(
    wards: gpd.GeoDataFrame,
    points: gpd.GeoDataFrame | None = None,
    spread_per_ward: int = 50,
) -> tuple[PointLayer, str]:
    """Return population_points as coordinate arrays: a national spread is 400,000 points, 85 MB as shapely ones."""
    require_frame(wards, "wards", geo=True)
    require_columns(wards, WARD_COLUMNS, "wards")
    require_crs(wards, "wards")
    require_geom_types(wards, POLYGONS, "wards")
    if wards["code"].duplicated().any():
        raise ValueError(
            f"wards column 'code' must be unique; duplicated: {sorted(wards['code'][wards['code'].duplicated()].unique())[:5]}"
        )
    metric_wards = to_metric(wards)
    if points is not None:
        require_frame(points, "points", geo=True)
        require_columns(points, ["population"], "points")
        require_crs(points, "points")
        require_geom_types(points, {"Point"}, "points")
        require_numeric(points, "population", "points", allow_nan=True)
        return _assign_points(metric_wards, align_crs(metric_wards, points, "points")), LSOA_POINTS
    if isinstance(spread_per_ward, bool) or not isinstance(spread_per_ward, (int, np.integer)) or spread_per_ward < 1:
        raise ValueError(f"spread_per_ward must be a positive integer, got {spread_per_ward!r}")
    require_numeric(wards, "population", "wards", allow_nan=True)
    return _spread(metric_wards, int(spread_per_ward)), WARD_SPREAD


def ward_population(wards: gpd.GeoDataFrame, points: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Return each ward's population and ``population_method`` by the one rule every figure uses.

    With small-area points: the sum of the points that fall inside the ward (a ward with none
    is ``unknown``), exactly as the access analysis places residents. Without: the ward's own
    figure (``unknown`` when missing). Indexed by ward code, in the wards' order.
    """
    require_frame(wards, "wards", geo=True)
    require_columns(wards, WARD_COLUMNS, "wards")
    require_crs(wards, "wards")
    require_geom_types(wards, POLYGONS, "wards")
    codes = wards["code"].astype(str).to_numpy()
    if points is None:
        pop = pd.to_numeric(wards["population"]).to_numpy(dtype="float64", na_value=np.nan)
        method = WARD_SPREAD
    else:
        placed, method = population_layer(wards, points)
        pop = placed.data.groupby("ward_code")["population"].sum().reindex(codes).to_numpy(dtype="float64")
    methods = np.where(np.isnan(pop), "unknown", method).astype(object)
    return pd.DataFrame({"population": pop, "population_method": methods}, index=pd.Index(codes, name="code"))


def assign_to_wards(points: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """Return the ward code of each point (NaN outside all wards); boundary ties go to the lowest code."""
    if len(points) == 0 or len(wards) == 0:
        return pd.Series(np.nan, index=points.index, dtype="object")
    # Wards on the left, points on the right: sjoin then builds its tree over the points and
    # tests each (prepared) ward polygon against them, ~2.5x faster than the other way round
    # for 1M points. Positional indexes keep duplicate labels in the caller's index harmless.
    left = gpd.GeoDataFrame(
        {"code": wards["code"].to_numpy(dtype=object)}, geometry=np.asarray(wards.geometry.values), crs=wards.crs
    )
    right = gpd.GeoDataFrame(geometry=np.asarray(points.geometry.values), crs=points.crs)
    joined = gpd.sjoin(left, right, how="inner", predicate="intersects")
    point_idx = joined["index_right"].to_numpy()
    codes = joined["code"].to_numpy(dtype=object)
    # A point on a shared boundary intersects both wards; keep the lowest ward code so it is
    # counted exactly once, deterministically.
    order = np.lexsort((codes.astype(str), point_idx))
    point_idx, codes = point_idx[order], codes[order]
    first = np.ones(len(point_idx), dtype=bool)
    first[1:] = point_idx[1:] != point_idx[:-1]
    out = np.full(len(points), np.nan, dtype=object)
    out[point_idx[first]] = codes[first]
    return pd.Series(out, index=points.index, dtype="object")


def _assign_points(wards: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> PointLayer:
    """Assign supplied points to wards, dropping (and counting) those outside or without population."""
    population = pd.to_numeric(points["population"]).to_numpy(dtype="float64", na_value=np.nan)
    codes = assign_to_wards(points, wards).to_numpy()
    keep = pd.notna(codes) & ~np.isnan(population)
    xy = shapely.get_coordinates(np.asarray(points.geometry.values)[keep]) if keep.any() else np.empty((0, 2))
    result = PointLayer.from_xy(
        pd.DataFrame({"ward_code": codes[keep], "population": population[keep]}), xy[:, 0], xy[:, 1], wards.crs
    )
    result.attrs["dropped_points"] = int((~keep).sum())
    result.attrs["wards_without_population"] = sorted(set(wards["code"]) - set(result["ward_code"]))
    return result


def _spread(wards: gpd.GeoDataFrame, per_ward: int) -> PointLayer:
    """Spread each known ward population evenly over about *per_ward* grid points inside it."""
    population = pd.to_numeric(wards["population"]).to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(population)
    geoms = wards.geometry.values[known]
    codes = wards["code"].to_numpy(dtype=object)[known]
    ward_of, x, y = _grid_points(geoms, per_ward)
    ward_of, x, y = _fill_missed_wards(geoms, ward_of, x, y)
    counts = np.bincount(ward_of, minlength=len(geoms))
    result = PointLayer.from_xy(
        pd.DataFrame({"ward_code": codes[ward_of], "population": population[known][ward_of] / counts[ward_of]}),
        x,
        y,
        wards.crs,
    )
    result.attrs["dropped_points"] = 0
    result.attrs["wards_without_population"] = sorted(wards["code"][~known].astype(str))
    return result


def _grid_points(geoms: np.ndarray, per_ward: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (ward index, x, y) of regular-grid cell centres inside each geometry, at most *per_ward* each."""
    if len(geoms) == 0:
        empty = np.empty(0)
        return empty.astype(np.intp), empty, empty
    bounds = shapely.bounds(geoms)
    # Cell size chosen so that about per_ward cell centres fall inside the polygon's area.
    step = np.sqrt(np.maximum(shapely.area(geoms), 1e-9) / per_ward)
    nx = np.maximum(np.ceil((bounds[:, 2] - bounds[:, 0]) / step), 1).astype(np.int64)
    ny = np.maximum(np.ceil((bounds[:, 3] - bounds[:, 1]) / step), 1).astype(np.int64)
    # Cap the candidate count so a sliver ward with a huge bounding box cannot explode memory.
    cells = np.minimum(nx * ny, per_ward * 400)
    ward_of = np.repeat(np.arange(len(geoms)), cells)
    start = np.repeat(np.cumsum(cells) - cells, cells)
    k = np.arange(len(ward_of)) - start
    col, row = k % nx[ward_of], k // nx[ward_of]
    x = bounds[ward_of, 0] + (col + 0.5) * step[ward_of]
    y = bounds[ward_of, 1] + (row + 0.5) * step[ward_of]
    inside = shapely.contains_xy(geoms[ward_of], x, y)
    ward_of, x, y = ward_of[inside], x[inside], y[inside]
    keep = _thin(ward_of, per_ward)
    return ward_of[keep], x[keep], y[keep]


def _thin(ward_of: np.ndarray, per_ward: int) -> np.ndarray:
    """Boolean mask keeping at most *per_ward* evenly spaced points per ward (ward_of is sorted)."""
    counts = np.bincount(ward_of) if len(ward_of) else np.zeros(0, dtype=np.int64)
    start = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else counts
    rank = np.arange(len(ward_of)) - start[ward_of]
    c = counts[ward_of]
    # Keep rank r when floor(r * n / c) steps up: exactly n evenly spread picks out of c.
    prev = np.floor((rank - 1) * per_ward / c)
    return (c <= per_ward) | (rank == 0) | (np.floor(rank * per_ward / c) != prev)


def _fill_missed_wards(
    geoms: np.ndarray, ward_of: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Give every ward the grid missed (tiny or thin) one point: its representative point."""
    missed = np.setdiff1d(np.arange(len(geoms)), ward_of)
    if len(missed) == 0:
        return ward_of, x, y
    rep = shapely.point_on_surface(geoms[missed])
    ward_of = np.concatenate([ward_of, missed])
    x = np.concatenate([x, shapely.get_x(rep)])
    y = np.concatenate([y, shapely.get_y(rep)])
    order = np.argsort(ward_of, kind="stable")
    return ward_of[order], x[order], y[order]
