"""Spatial access measures from population points to asset points, fully vectorised.

Distances are straight-line metres in the metric CRS of the population points
(:func:`webmap.analysis.crs.metric_crs`). Point pairs within the catchment come from one
``cKDTree`` query; everything after that is sparse-matrix algebra, with no Python loop
over wards or points.

The floating catchment formulas follow PySAL ``access`` (``access.fca.two_stage_fca``)::

    W_ij = w(d_ij) for d_ij <= distance, else 0        (2SFCA: w = 1)
    D_j  = sum_i P_i W_ij                                (population served by asset j)
    R_j  = S_j / D_j                                     (supply per person at asset j)
    A_i  = sum_j R_j W_ij                                (access at population point i)

E2SFCA uses PySAL's ``weights.step_fn({d/3: w1, 2d/3: w2, d: w3})``: a pair at distance
``x`` gets ``w1`` if ``x <= d/3``, ``w2`` if ``x <= 2d/3``, ``w3`` if ``x <= d``.
Where PySAL yields NaN/inf we return 0, on purpose: a point with no asset in reach has no
access (PySAL: NaN), and an asset whose catchment holds nobody serves nobody (PySAL: inf).
"""

from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from webmap.analysis._validate import require_columns, require_crs, require_distance, require_frame, require_numeric
from webmap.analysis.crs import align_crs, to_metric

E2SFCA_WEIGHTS = (1.0, 0.68, 0.22)


class FCAResult(NamedTuple):
    """Floating catchment output: per population point and per ward."""

    points: gpd.GeoDataFrame  # input points + ``access_score`` (supply per person in reach)
    wards: pd.DataFrame  # index ward_code; ``population``, ``access_score`` (pop-weighted mean)


def share_within(pop_points: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, distance: float = 800.0) -> pd.DataFrame:
    """Per ward: population within *distance* m of at least one asset, and its share (0-1)."""
    distance = require_distance(distance)
    pop, pts, xy_assets = _prepare(pop_points, assets, None)
    codes, ward_of = np.unique(pts["ward_code"].to_numpy(dtype=str), return_inverse=True)
    total, within = reached_population(_xy(pts), ward_of, pop, xy_assets, distance, len(codes))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, within / total, np.nan)
    return pd.DataFrame(
        {"population": total, "population_within": within, "access_share": share},
        index=pd.Index(codes, name="ward_code", dtype="object"),
    )


def reached_population(
    xy_pop: np.ndarray, ward_of: np.ndarray, pop: np.ndarray, xy_assets: np.ndarray, distance: float, n_wards: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return (population, population within *distance* of an asset) per ward index, from coordinate arrays.

    The array core of :func:`share_within`, for callers that have already checked and reprojected
    their inputs and ask about many categories in turn (one tree query each, nothing else).
    """
    if len(xy_assets) and len(xy_pop):
        # Only the nearest place matters, so ask for one neighbour, and stop looking past the
        # distance: in towns a ball query would count hundreds of places per resident point.
        tree = cKDTree(xy_assets, balanced_tree=False, compact_nodes=False)
        nearest, _ = tree.query(xy_pop, k=1, distance_upper_bound=np.nextafter(distance, np.inf) * (1 + 1e-12))
        reached = nearest <= distance
    else:
        reached = np.zeros(len(xy_pop), dtype=bool)
    total = np.bincount(ward_of, weights=pop, minlength=n_wards)
    within = np.bincount(ward_of, weights=pop * reached, minlength=n_wards)
    return total, within


def two_step_fca(
    pop_points: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    distance: float = 800.0,
    supply_col: str | None = None,
) -> FCAResult:
    """Two-step floating catchment area (Luo & Wang 2003) with a hard *distance* cut-off."""
    distance = require_distance(distance)
    return _fca(pop_points, assets, distance, supply_col, None)


def enhanced_two_step_fca(
    pop_points: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    distance: float = 800.0,
    weights: tuple[float, float, float] = E2SFCA_WEIGHTS,
    supply_col: str | None = None,
) -> FCAResult:
    """Enhanced 2SFCA (Luo & Qi 2009): three equal distance bands weighted by *weights*."""
    distance = require_distance(distance)
    w = np.asarray(weights, dtype="float64")
    if w.shape != (3,) or not np.all(np.isfinite(w)) or (w < 0).any():
        raise ValueError(f"weights must be three finite numbers >= 0, got {weights!r}")
    return _fca(pop_points, assets, distance, supply_col, w)


def _fca(
    pop_points: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    distance: float,
    supply_col: str | None,
    band_weights: np.ndarray | None,
) -> FCAResult:
    """Shared 2SFCA/E2SFCA engine: build W once, then two sparse products."""
    pop, pts, xy_assets = _prepare(pop_points, assets, supply_col)
    supply = (
        np.ones(len(xy_assets))
        if supply_col is None
        else require_numeric(assets, supply_col, "assets", allow_nan=False)
    )
    score = fca_scores(_xy(pts), pop, xy_assets, supply, distance, band_weights)
    points = pop_points.copy()
    points["access_score"] = score
    return FCAResult(points=points, wards=_ward_mean(pts["ward_code"].to_numpy(dtype=str), pop, score))


def fca_scores(
    xy_pop: np.ndarray,
    pop: np.ndarray,
    xy_assets: np.ndarray,
    supply: np.ndarray,
    distance: float,
    band_weights: np.ndarray | None,
) -> np.ndarray:
    """Return the access score A_i of each population point from coordinate arrays (the 2SFCA/E2SFCA core)."""
    w = _weight_matrix(xy_pop, xy_assets, distance, band_weights)
    return _scores(w, pop, supply)


def fca_scores_from_pairs(
    origin: np.ndarray,
    dest: np.ndarray,
    cost: np.ndarray,
    pop: np.ndarray,
    supply: np.ndarray,
    distance: float,
    band_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Return A_i from a cost table (origin point i, destination asset j, cost), as PySAL ``access`` takes it.

    Pairs costing more than *distance* are ignored, so a full origin x destination table serves
    as well as the pairs within reach. The same figures as :func:`fca_scores` (tests compare).
    """
    origin, dest, cost = np.asarray(origin), np.asarray(dest), np.asarray(cost, dtype="float64")
    near = cost <= distance
    origin, dest, cost = origin[near], dest[near], cost[near]
    values = (
        np.ones(len(cost))
        if band_weights is None
        else band_weights[
            np.minimum(np.searchsorted(np.array([distance / 3, 2 * distance / 3, distance]), cost, side="left"), 2)
        ]
    )
    w = sparse.csr_matrix((values, (origin, dest)), shape=(len(pop), len(supply)))
    return _scores(w, np.asarray(pop, dtype="float64"), np.asarray(supply, dtype="float64"))


def _scores(w: sparse.csr_matrix, pop: np.ndarray, supply: np.ndarray) -> np.ndarray:
    """The two sparse products of 2SFCA/E2SFCA from the catchment weights."""
    demand = w.T @ pop  # D_j
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(demand > 0, supply / demand, 0.0)  # R_j
    return w @ ratio  # A_i


#: Population points whose pairs within reach are found at once. A national category has over a
#: million pairs (24 bytes each as found, more while the matrix is built): found a part at a time,
#: a worker holds tens of MB of them, not hundreds.
PAIR_CHUNK = 50_000


def _weight_matrix(
    xy_pop: np.ndarray, xy_assets: np.ndarray, distance: float, band_weights: np.ndarray | None
) -> sparse.csr_matrix:
    """Sparse (points x assets) catchment weights W_ij for pairs within *distance*.

    Built a part of the points (rows) at a time and stacked: each part's rows come out with their
    columns sorted, as the whole matrix's do, so the result is the same matrix whatever the parts.
    """
    shape = (len(xy_pop), len(xy_assets))
    if 0 in shape:
        return sparse.csr_matrix(shape)
    assets = cKDTree(xy_assets)
    parts = []
    for start in range(0, len(xy_pop), PAIR_CHUNK):
        rows = xy_pop[start : start + PAIR_CHUNK]
        # 'ndarray' output keeps zero-distance pairs (an asset exactly at a population point),
        # which a sparse dok/coo result would silently drop.
        pairs = cKDTree(rows).sparse_distance_matrix(assets, distance, output_type="ndarray")
        if band_weights is None:
            values = np.ones(len(pairs))
        else:
            # Same thresholds and '<=' semantics as access.weights.step_fn({d/3, 2d/3, d}).
            thresholds = np.array([distance / 3, 2 * distance / 3, distance])
            band = np.minimum(np.searchsorted(thresholds, pairs["v"], side="left"), 2)
            values = band_weights[band]
        part = sparse.csr_matrix((values, (pairs["i"], pairs["j"])), shape=(len(rows), len(xy_assets)))
        part.sort_indices()
        parts.append(part)
        del pairs, values
    return parts[0] if len(parts) == 1 else sparse.vstack(parts, format="csr")


def _ward_mean(codes: np.ndarray, pop: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """Population-weighted mean score per ward (NaN when the ward's population is 0)."""
    wards, ward_of = np.unique(codes, return_inverse=True)
    total = np.bincount(ward_of, weights=pop, minlength=len(wards))
    weighted = np.bincount(ward_of, weights=pop * score, minlength=len(wards))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(total > 0, weighted / total, np.nan)
    return pd.DataFrame(
        {"population": total, "access_score": mean},
        index=pd.Index(wards, name="ward_code", dtype="object"),
    )


def _prepare(
    pop_points: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, supply_col: str | None
) -> tuple[np.ndarray, gpd.GeoDataFrame, np.ndarray]:
    """Validate inputs; return (population array, metric points, metric asset coordinates)."""
    require_frame(pop_points, "pop_points", geo=True)
    require_frame(assets, "assets", geo=True)
    require_columns(pop_points, ["ward_code", "population"], "pop_points")
    if supply_col is not None:
        require_columns(assets, [supply_col], "assets")
    require_crs(pop_points, "pop_points")
    require_crs(assets, "assets")
    _require_points(pop_points, "pop_points")
    _require_points(assets, "assets")
    pop = require_numeric(pop_points, "population", "pop_points", allow_nan=False)
    pts = to_metric(pop_points)
    # On a CRS mismatch the assets are reprojected to the population points' (metric) CRS.
    metric_assets = align_crs(pts, assets, "assets")
    return pop, pts, _xy(metric_assets)


def _require_points(gdf: gpd.GeoDataFrame, name: str) -> None:
    """Raise ValueError unless every geometry is a non-empty Point."""
    if len(gdf) and not (gdf.geometry.geom_type == "Point").all():
        raise ValueError(
            f"{name} must contain only Point geometries, got {sorted(gdf.geometry.geom_type.dropna().unique())}"
        )
    if len(gdf) and gdf.geometry.is_empty.any():
        raise ValueError(f"{name} has empty geometries")


def _xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Return an (n, 2) array of point coordinates."""
    if len(gdf) == 0:
        return np.empty((0, 2))
    return np.column_stack([gdf.geometry.x.to_numpy(), gdf.geometry.y.to_numpy()])
