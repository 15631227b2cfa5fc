"""Gap tables: which wards lack what residents say they need.

For one category every ward gets::

    need_per_1000 = need_count / population * 1000
    demand_norm   = need_per_1000 * f_dep / max over wards(need_per_1000 * f_dep)   (0 if no need)
    f_dep         = 1.5 - 0.5 * (decile - 1) / 9   if deprivation_weight (decile 1 -> 1.5,
                    decile 10 -> 1.0, unknown decile -> 1.0), else 1
    access_norm   = access_share                       (method "share")
                  = access_score / max(access_score)   (methods "2sfca", "e2sfca", "count")
    gap_score     = round(demand_norm * (1 - access_norm), 6)     in [0, 1]
    rank          = 1 for the biggest gap; ties share the lowest rank ("min")

A ward with no stated need has gap 0. A ward without a usable population figure has NaN
per-1000 figures and (if it has stated need) a NaN gap, explained in the ``note`` column.
See docs/gap-analysis.md for the full write-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import access as _access
from ._validate import require_columns, require_crs, require_distance, require_frame, require_geom_types, require_numeric
from .crs import align_crs, to_metric
from .population import POLYGONS, assign_to_wards, population_points

METHODS = ("count", "share", "2sfca", "e2sfca")
WARD_COLUMNS = ("code", "name", "population", "deprivation")
ASSET_COLUMNS = ("asset_id", "category")
NEED_COLUMNS = ("ward_code", "category", "count")
GAP_DECIMALS = 6
NOTE_NO_POPULATION = "population unknown: per-1,000 figures and gap cannot be computed"
NOTE_ZERO_POPULATION = "population is 0: per-1,000 figures and gap cannot be computed"
NOTE_NO_NEED = "no stated need: gap is 0"

GAP_COLUMNS = [
    "ward_code", "ward_name", "category", "population", "population_method",
    "assets_in_ward", "assets_per_1000", "assets_within_distance", "access_share",
    "access_score", "access_norm", "need_count", "need_per_1000", "deprivation",
    "demand_norm", "gap_score", "rank", "method", "distance_m", "note",
]


@dataclass(frozen=True)
class _Context:
    """Everything shared by the per-category computations (built once per call)."""

    wards: gpd.GeoDataFrame  # metric CRS, sorted by code, RangeIndex
    geometry: gpd.GeoSeries  # ward geometry in the caller's CRS, same order
    points: gpd.GeoDataFrame  # population points (metric)
    population: np.ndarray  # per ward, NaN = unknown
    population_method: np.ndarray  # per ward: "lsoa_points" | "ward_spread" | "unknown"
    assets: gpd.GeoDataFrame  # metric, with "ward_code" (lowest code on boundaries)
    needs: pd.DataFrame  # ward_code x category summed counts
    method: str
    distance: float
    deprivation_weight: bool


def gap_table(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    needs: pd.DataFrame,
    category: str | None = None,
    method: str = "share",
    distance: float = 800.0,
    population: gpd.GeoDataFrame | None = None,
    deprivation_weight: bool = False,
) -> gpd.GeoDataFrame:
    """Return one row per ward scoring the gap for *category* (``None``: :func:`overall_gaps`)."""
    if category is None:
        return overall_gaps(wards, assets, needs, method, distance, population, deprivation_weight)
    if not isinstance(category, str) or not category:
        raise TypeError(f"category must be a non-empty str or None, got {category!r}")
    ctx = _context(wards, assets, needs, method, distance, population, deprivation_weight, [category])
    return _finish(_category_table(ctx, category), ctx)


def overall_gaps(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    needs: pd.DataFrame,
    method: str = "share",
    distance: float = 800.0,
    population: gpd.GeoDataFrame | None = None,
    deprivation_weight: bool = False,
) -> gpd.GeoDataFrame:
    """Per ward: need-weighted mean gap over every category residents asked for, plus top_category."""
    require_frame(needs, "needs", geo=False)
    require_columns(needs, NEED_COLUMNS, "needs")
    require_numeric(needs, "count", "needs", allow_nan=False)
    asked = _prepare_needs(needs).groupby("category")["count"].sum()
    categories = sorted(asked.index[asked > 0])
    ctx = _context(wards, assets, needs, method, distance, population, deprivation_weight, categories)
    base = _category_table(ctx, categories[0] if categories else "", detail=False)
    out = base[["ward_code", "ward_name", "population", "population_method", "deprivation"]].copy()
    out.insert(2, "category", "all")
    if categories:
        tables = [_category_table(ctx, c, detail=False) for c in categories]
        gaps = np.column_stack([t["gap_score"].to_numpy() for t in tables])
        need = np.column_stack([t["need_count"].to_numpy() for t in tables])
    else:
        gaps = need = np.zeros((len(out), 0))
    out["need_count"] = need.sum(axis=1)
    out["need_per_1000"] = _per_1000(out["need_count"].to_numpy(), ctx.population)
    gap, top, top_gap, considered = _combine(gaps, need, np.array(categories, dtype=object))
    out["categories_considered"] = considered
    out["top_category"] = pd.Series(top, dtype="object")
    out["top_category_gap"] = top_gap
    out["gap_score"] = np.round(gap, GAP_DECIMALS)
    out["method"] = ctx.method
    out["distance_m"] = ctx.distance
    out["note"] = np.where(
        out["need_count"].to_numpy() == 0,
        NOTE_NO_NEED,
        np.where(np.isnan(gap), "no category gap could be computed (population unknown or 0)", ""),
    )
    return _finish(out, ctx)


def _combine(gaps: np.ndarray, need: np.ndarray, categories: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Need-weighted mean gap per row, its top category/gap and how many categories counted."""
    usable = (need > 0) & ~np.isnan(gaps)
    weight = np.where(usable, need, 0.0)
    total = weight.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.where(total > 0, (weight * np.where(usable, gaps, 0.0)).sum(axis=1) / total, np.nan)
    gap = np.where(need.sum(axis=1) == 0, 0.0, gap)
    masked = np.where(usable, gaps, -np.inf)
    has_top = usable.any(axis=1)
    best = masked.argmax(axis=1) if masked.shape[1] else np.zeros(len(gaps), dtype=int)
    # argmax returns the first maximum, i.e. ties go to the alphabetically first category.
    top = np.where(has_top, categories[best] if len(categories) else None, None)
    top_gap = np.where(has_top, masked.max(axis=1) if masked.shape[1] else np.nan, np.nan)
    return gap, top, top_gap, usable.sum(axis=1)


def _context(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    needs: pd.DataFrame,
    method: str,
    distance: float,
    population: gpd.GeoDataFrame | None,
    deprivation_weight: bool,
    categories: list[str] | None = None,
) -> _Context:
    """Validate every input, reproject to a metric CRS and build population points once.

    *categories* limits the (costly) asset-to-ward assignment to the categories analysed.
    """
    require_frame(wards, "wards", geo=True)
    require_frame(assets, "assets", geo=True)
    require_frame(needs, "needs", geo=False)
    require_columns(wards, WARD_COLUMNS, "wards")
    require_columns(assets, ASSET_COLUMNS, "assets")
    require_columns(needs, NEED_COLUMNS, "needs")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    distance = require_distance(distance)
    if not isinstance(deprivation_weight, bool):
        raise TypeError(f"deprivation_weight must be True or False, got {deprivation_weight!r}")
    require_crs(wards, "wards")
    require_geom_types(wards, POLYGONS, "wards")
    if len(wards) == 0:
        raise ValueError("wards is empty; nothing to analyse")
    deciles = require_numeric(wards, "deprivation", "wards", allow_nan=True)
    if ((deciles < 1) | (deciles > 10)).any():
        raise ValueError("wards column 'deprivation' must be an IMD decile between 1 and 10 (or NaN)")
    require_numeric(needs, "count", "needs", allow_nan=False)

    metric = to_metric(wards)
    order = np.argsort(metric["code"].astype(str).to_numpy(), kind="stable")
    metric = metric.iloc[order].reset_index(drop=True)
    geometry = wards.geometry.iloc[order].reset_index(drop=True)
    points, pop_method = population_points(metric, population)
    pop, pop_methods = _ward_population(metric, points, pop_method)
    return _Context(
        wards=metric,
        geometry=geometry,
        points=points,
        population=pop,
        population_method=pop_methods,
        assets=_prepare_assets(assets, metric, categories),
        needs=_prepare_needs(needs),
        method=method,
        distance=distance,
        deprivation_weight=deprivation_weight,
    )


def _ward_population(wards: gpd.GeoDataFrame, points: gpd.GeoDataFrame, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Population per ward (ward figure, or sum of supplied points) and how it was obtained."""
    if method == "ward_spread":
        pop = pd.to_numeric(wards["population"]).to_numpy(dtype="float64", na_value=np.nan)
    else:
        # With supplied points the ward population is what the points say; no points -> unknown.
        sums = points.groupby("ward_code")["population"].sum()
        pop = sums.reindex(wards["code"].to_numpy()).to_numpy(dtype="float64")
    return pop, np.where(np.isnan(pop), "unknown", method).astype(object)


def _prepare_assets(assets: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, categories: list[str] | None) -> gpd.GeoDataFrame:
    """Metric copy of the assets (of *categories*, if given) with the ward each falls in (else NaN)."""
    if len(assets) == 0:
        # An empty layer may arrive without a CRS; it has nothing to reproject.
        return gpd.GeoDataFrame({"asset_id": [], "category": [], "ward_code": []}, geometry=[], crs=wards.crs)
    require_crs(assets, "assets")
    require_geom_types(assets, {"Point"}, "assets")
    if categories is not None:
        assets = assets[assets["category"].astype(str).isin(categories)]
    # On a CRS mismatch the assets (second input) are reprojected to the wards' CRS.
    metric = align_crs(wards, assets[["asset_id", "category", assets.geometry.name]], "assets").copy()
    metric["category"] = metric["category"].astype(str)
    metric["ward_code"] = assign_to_wards(metric, wards).to_numpy()
    return metric


def _prepare_needs(needs: pd.DataFrame) -> pd.DataFrame:
    """Summed need per (ward_code, category); rows for unknown wards are ignored later."""
    frame = needs[list(NEED_COLUMNS)].copy()
    frame["count"] = pd.to_numeric(frame["count"]).astype("float64")
    frame["ward_code"] = frame["ward_code"].astype(str)
    frame["category"] = frame["category"].astype(str)
    return frame.groupby(["ward_code", "category"], as_index=False)["count"].sum()


def _category_table(ctx: _Context, category: str, detail: bool = True) -> pd.DataFrame:
    """The per-ward gap table for one category (no geometry, not yet ranked).

    ``detail=False`` (used by overall_gaps, which only needs gap and need) skips the
    explanatory assets_within_distance count, the costliest column on national data.
    """
    wards = ctx.wards
    codes = wards["code"].astype(str).to_numpy()
    pop = ctx.population
    assets = ctx.assets[ctx.assets["category"] == category]
    # One asset listed twice under the same category is still one asset.
    assets = assets.drop_duplicates("asset_id")

    in_ward = assets["ward_code"].dropna().value_counts().reindex(codes, fill_value=0).to_numpy(dtype="float64")
    within = _assets_within(wards, assets, ctx.distance) if detail else np.full(len(wards), -1, dtype=np.int64)
    share = _access.share_within(ctx.points, assets, ctx.distance)["access_share"].reindex(codes).to_numpy(dtype="float64")
    share = np.where(np.isnan(pop) | (pop == 0), np.nan, share)
    per_1000 = _per_1000(in_ward, pop)
    if ctx.method == "share":
        score, norm = share, share
    elif ctx.method == "count":
        score, norm = per_1000, _scale_to_max(per_1000)
    else:
        fca = _access.two_step_fca if ctx.method == "2sfca" else _access.enhanced_two_step_fca
        # Per-person ratios are tiny; x1000 reads as "assets per 1,000 residents in reach".
        score = fca(ctx.points, assets, ctx.distance).wards["access_score"].reindex(codes).to_numpy(dtype="float64") * 1000
        score = np.where(np.isnan(pop) | (pop == 0), np.nan, score)
        norm = _scale_to_max(score)

    need_table = ctx.needs[ctx.needs["category"] == category]
    need = need_table.set_index("ward_code")["count"].reindex(codes, fill_value=0.0).to_numpy(dtype="float64")
    need_per_1000 = _per_1000(need, pop)
    deprivation = pd.to_numeric(wards["deprivation"]).to_numpy(dtype="float64", na_value=np.nan)
    demand = _demand_norm(need, need_per_1000, deprivation if ctx.deprivation_weight else None)
    gap = np.where(need == 0, 0.0, np.round(demand * (1 - norm), GAP_DECIMALS))

    return pd.DataFrame(
        {
            "ward_code": codes,
            "ward_name": wards["name"].to_numpy(dtype=object),
            "category": category,
            "population": pop,
            "population_method": ctx.population_method,
            "assets_in_ward": in_ward.astype(np.int64),
            "assets_per_1000": per_1000,
            "assets_within_distance": within,
            "access_share": share,
            "access_score": score,
            "access_norm": norm,
            "need_count": need,
            "need_per_1000": need_per_1000,
            "deprivation": deprivation,
            "demand_norm": demand,
            "gap_score": gap,
            "method": ctx.method,
            "distance_m": ctx.distance,
            "note": _notes(pop, need),
        }
    )


def _assets_within(wards: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, distance: float) -> np.ndarray:
    """Distinct assets inside each ward or within *distance* m of its boundary."""
    if len(assets) == 0:
        return np.zeros(len(wards), dtype=np.int64)
    # Tree over the assets, queried with each ward polygon (prepared): far cheaper than the reverse.
    tree = shapely.STRtree(np.asarray(assets.geometry.values))
    ward_idx, _ = tree.query(np.asarray(wards.geometry.values), predicate="dwithin", distance=distance)
    return np.bincount(ward_idx, minlength=len(wards)).astype(np.int64)


def _per_1000(values: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """values per 1,000 residents; NaN where the population is unknown or 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pop > 0, values / pop * 1000.0, np.nan)


def _scale_to_max(values: np.ndarray) -> np.ndarray:
    """Divide by the largest finite value (all zeros when that is 0); NaN stays NaN."""
    finite = values[np.isfinite(values)]
    top = finite.max() if len(finite) else 0.0
    return values / top if top > 0 else np.where(np.isnan(values), np.nan, 0.0)


def deprivation_factor(decile: np.ndarray) -> np.ndarray:
    """IMD decile -> demand multiplier: 1 (most deprived) -> 1.5, 10 -> 1.0, unknown -> 1.0."""
    decile = np.asarray(decile, dtype="float64")
    return np.where(np.isnan(decile), 1.0, 1.5 - 0.5 * (decile - 1.0) / 9.0)


def _demand_norm(need: np.ndarray, need_per_1000: np.ndarray, deprivation: np.ndarray | None) -> np.ndarray:
    """need_per_1000 (optionally deprivation-weighted) scaled so the neediest ward is 1."""
    raw = need_per_1000 if deprivation is None else need_per_1000 * deprivation_factor(deprivation)
    demand = _scale_to_max(raw)
    # No stated need means no demand, even where the population is unknown.
    return np.where(need == 0, 0.0, demand)


def _notes(pop: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Plain-English reason for a NaN or forced-zero gap ('' when the gap is computed normally)."""
    return np.select(
        [need == 0, np.isnan(pop), pop == 0],
        [NOTE_NO_NEED, NOTE_NO_POPULATION, NOTE_ZERO_POPULATION],
        default="",
    ).astype(object)


def _finish(table: pd.DataFrame, ctx: _Context) -> gpd.GeoDataFrame:
    """Add rank and the caller-CRS geometry; order rows by rank (unranked last), then ward code."""
    table = table.copy()
    table["rank"] = table["gap_score"].rank(method="min", ascending=False).astype("Int64")
    columns = [c for c in GAP_COLUMNS if c in table.columns] + [c for c in table.columns if c not in GAP_COLUMNS]
    # Keep the caller's CRS for mapping; distances were all computed in the metric copy.
    result = gpd.GeoDataFrame(table[columns], geometry=ctx.geometry.to_numpy(), crs=ctx.geometry.crs)
    result = result.sort_values(["rank", "ward_code"], na_position="last", kind="stable")
    return result.reset_index(drop=True)
