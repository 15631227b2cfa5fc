"""Gap tables: which wards lack what residents say they need, ranked by unmet need.

For one category every ward gets (rates are per 1,000 residents)::

    need_per_1000          = need_count / population * 1000           (the ward's own rate)
    area_need_per_1000     = sum(need_count) / sum(population) * 1000  (over wards with a population)
    own_rate_weight        = empirical Bayes weight w (webmap.analysis.smoothing, 0-1)
    need_per_1000_smoothed = w * need_per_1000 + (1 - w) * area_need_per_1000
    unmet_share            = 1 - access_share         (method "share": residents who cannot reach one)
                           = 1 - access_score / max   (methods "count", "2sfca", "e2sfca")
    gap_score              = need_per_1000_smoothed * f_dep * unmet_share
                             (expected residents per 1,000 who ask for it and cannot reach one)
    unmet_residents        = gap_score * population / 1000
    f_dep                  = 1.5 - 0.5 * (decile - 1) / 9 if deprivation_weight (unknown decile 1), else 1
    rank                   = 1 for the biggest gap; ties share the lowest rank ("min")

"All needs" (:func:`overall_gaps`) adds the unmet need of every category residents asked for,
smoothing each ward's category rates with the weight its *total* stated needs earn.

Responses and stated needs are counted apart. A **response** is one person's answer (a web-form
submission, one row of a survey's response table); it may state several needs (one per category
ticked). The needs frame may carry a ``response_key`` column: needs sharing a key came from one
response; a need with no key (a count table's "40 residents asked", needs kept before keys) counts
each unit of its count as one response. So, per ward::

    need_count (stated needs) = sum(count)
    responses                 = distinct non-empty response_key + sum(count where no key)

per category, and for "all needs" distinct across every category (one answer ticking three kinds
of place is one response, three stated needs). ``few_responses`` flags rows resting on fewer than
``FEW_RESPONSES`` responses (people: the evidence behind the figure). The smoothing and every
rate keep resting on stated needs: they are the events being counted (Poisson counts of needs
per resident), and the area rate they are shrunk toward is a rate of needs; mixing in people
would make a ward's rate and the area's rate count different things.
See docs/gap-analysis.md for the full write-up and a worked example.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from webmap.analysis import access as _access
from webmap.analysis._validate import (
    require_columns,
    require_crs,
    require_distance,
    require_frame,
    require_geom_types,
    require_numeric,
)
from webmap.analysis.crs import to_metric
from webmap.analysis.points import PointLayer, as_layer
from webmap.analysis.population import POLYGONS, assign_to_wards, population_layer
from webmap.analysis.smoothing import area_prior, empirical_bayes

METHODS = ("count", "share", "2sfca", "e2sfca")
OVERALL = "all"  # the category of the "all needs" table
WARD_COLUMNS = ("code", "name", "population", "deprivation")
ASSET_COLUMNS = ("asset_id", "category")
NEED_COLUMNS = ("ward_code", "category", "count")
#: Optional column of the needs frame: needs sharing a key came from one response (None: one per unit of count).
RESPONSE_KEY = "response_key"
GAP_DECIMALS = 6
#: Below this many responses a ward's figure is flagged "few responses": a Poisson count under 10
#: has a relative standard error above 1/sqrt(10) = 32%, the point where public health and
#: ONS tables stop treating a rate as reliable.
FEW_RESPONSES = 10
NOTE_NO_POPULATION = "population unknown: per-1,000 figures and gap cannot be computed"
NOTE_ZERO_POPULATION = "population is 0: per-1,000 figures and gap cannot be computed"
NOTE_NO_NEED = "nobody asked here: the figure rests on the area rate alone"
NOTE_NOBODY_ASKED = "nobody in the area asked for this: gap is 0"

GAP_COLUMNS = [
    "ward_code",
    "ward_name",
    "category",
    "population",
    "population_method",
    "assets_in_ward",
    "assets_per_1000",
    "assets_within_distance",
    "access_share",
    "access_score",
    "access_norm",
    "need_count",
    "responses",
    "few_responses",
    "need_per_1000",
    "area_need_per_1000",
    "own_rate_weight",
    "need_per_1000_smoothed",
    "deprivation",
    "deprivation_factor",
    "unmet_share",
    "gap_score",
    "unmet_residents",
    "rank",
    "method",
    "distance_m",
    "note",
]


@dataclass(frozen=True)
class _Context:
    """Everything shared by the per-category computations (built once per call)."""

    wards: gpd.GeoDataFrame  # metric CRS, sorted by code, RangeIndex
    geometry: gpd.GeoSeries  # ward geometry in the caller's CRS, same order
    points: pd.DataFrame  # population points' ward_code and population (their metric x, y in point_xy)
    population: np.ndarray  # per ward, NaN = unknown
    population_method: np.ndarray  # per ward: "lsoa_points" | "ward_spread" | "unknown"
    assets: pd.DataFrame  # asset_id and category of the places of the categories analysed (no geometry)
    needs: pd.DataFrame  # ward_code x category: summed counts ("count") and responses ("responses")
    ward_responses: pd.Series  # ward_code -> responses across every category (distinct, not a sum)
    method: str
    distance: float
    deprivation_weight: bool
    # The same inputs as plain arrays, so each category costs one tree query and a few bincounts.
    point_xy: np.ndarray  # (n, 2) metric coordinates of the population points
    point_ward: np.ndarray  # position in `wards` of each population point's ward
    point_pop: np.ndarray  # residents at each population point
    asset_xy: np.ndarray  # (m, 2) metric coordinates of the assets (shapely points made a part at a time)
    by_category: dict[str, np.ndarray]  # category -> rows of `assets`, one per distinct asset_id
    # Worked out on first use only: the ward of every asset (a point-in-polygon join over them all).
    lazy: dict = field(default_factory=dict, compare=False, repr=False)


def gap_table(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame | PointLayer,
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


def category_gaps(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame | PointLayer,
    needs: pd.DataFrame,
    categories: list[str],
    method: str = "share",
    distance: float = 800.0,
    population: gpd.GeoDataFrame | None = None,
    deprivation_weight: bool = False,
    ward_codes: list[str] | None = None,
) -> pd.DataFrame:
    """Return the gap rows of every category in *categories* (optionally only *ward_codes*), in one pass.

    The inputs are checked, reprojected and turned into population points once; each category
    then costs one access query. Rows are the same as :func:`gap_table`'s for that category
    (rank included, ranked among all wards), without geometry.
    """
    _check_categories(categories)
    ctx = _context(wards, assets, needs, method, distance, population, deprivation_weight, list(categories))
    codes = ctx.wards["code"].astype(str).to_numpy()
    keep = np.ones(len(codes), dtype=bool) if ward_codes is None else np.isin(codes, list(ward_codes))
    kept_wards = ctx.wards[keep]
    frames = []
    for category in categories:
        # The costly per-ward count of nearby places is only worked out for the wards asked for.
        table = _category_table(ctx, category, detail=False)
        table["rank"] = table["gap_score"].rank(method="min", ascending=False).astype("Int64")
        table = table[keep].copy()
        chosen = ctx.asset_xy[_rows_of(ctx, category)]
        table["assets_within_distance"] = _assets_within(kept_wards, chosen, ctx.distance)
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=GAP_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    return out[[c for c in GAP_COLUMNS if c in out.columns]]


def overall_gaps(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame | PointLayer,
    needs: pd.DataFrame,
    method: str = "share",
    distance: float = 800.0,
    population: gpd.GeoDataFrame | None = None,
    deprivation_weight: bool = False,
) -> gpd.GeoDataFrame:
    """Per ward: unmet need added over every category residents asked for, plus top_category."""
    categories = _asked(needs)
    ctx = _context(wards, assets, needs, method, distance, population, deprivation_weight, categories)
    return _overall(ctx, categories)


def gap_tables(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame | PointLayer,
    needs: pd.DataFrame,
    categories: list[str],
    method: str = "share",
    distance: float = 800.0,
    population: gpd.GeoDataFrame | None = None,
    deprivation_weight: bool = False,
    overall: bool = True,
) -> dict[str, gpd.GeoDataFrame]:
    """Return {category: gap_table(...)} for *categories*, plus {"all": overall_gaps(...)}, from one pass.

    The tables are the same as one call each would give; the inputs are checked, reprojected and
    placed in wards once, which is what makes rebuilding every stored table cheap.
    """
    _check_categories(categories)
    wanted = [OVERALL, *categories] if overall else list(categories)
    return dict(iter_gap_tables(wards, assets, needs, wanted, method, distance, population, deprivation_weight))


def iter_gap_tables(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame | PointLayer,
    needs: pd.DataFrame,
    wanted: list[str],
    method: str = "share",
    distance: float = 800.0,
    population: gpd.GeoDataFrame | None = None,
    deprivation_weight: bool = False,
) -> Iterator[tuple[str, gpd.GeoDataFrame]]:
    """Yield (category, table) for each of *wanted* in that order (OVERALL: the "all needs" table), one at a time.

    The same tables as :func:`gap_tables`, made from one context but each only when asked for, so
    a caller writing them one by one never holds them all (a worker's memory on national data).
    """
    runs = [(method, distance, deprivation_weight, wanted)]
    for (_, _, _, category), table in iter_method_tables(wards, assets, needs, runs, population):
        yield category, table


def iter_method_tables(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame | PointLayer,
    needs: pd.DataFrame,
    runs: list[tuple[str, float, bool, list[str]]],
    population: gpd.GeoDataFrame | None = None,
) -> Iterator[tuple[tuple[str, float, bool, str], gpd.GeoDataFrame]]:
    """Yield ((method, distance, deprivation_weight, category), table) for every run's *wanted* categories, in order.

    Each run is (method, distance, deprivation_weight, wanted) as :func:`iter_gap_tables` takes
    them. The inputs are checked, reprojected and placed in wards once for every run: on national
    data that preparation (a million places) costs more than a table, and made again for each
    method it was held twice while the next was made.
    """
    if not runs:
        return
    wanted_all: list[str] = []
    for method, distance, weighted, wanted in runs:
        _check_categories(wanted)
        _check_method(method, distance, weighted)
        wanted_all += wanted
    asked = _asked(needs)
    categories = sorted({c for c in wanted_all if c != OVERALL} | set(asked))
    method, distance, weighted, _ = runs[0]
    base = _context(wards, assets, needs, method, distance, population, weighted, categories)
    # The context holds what every table reads: the inputs as given (a national set's million places
    # in lon/lat, say) are not kept beside it while the tables are made.
    del wards, assets, needs, population
    for method, distance, weighted, wanted in runs:
        # The same prepared inputs (and places' wards, worked out once) under each method.
        ctx = replace(base, method=method, distance=require_distance(distance), deprivation_weight=weighted)
        for category in wanted:
            table = _overall(ctx, asked) if category == OVERALL else _finish(_category_table(ctx, category), ctx)
            yield (method, distance, weighted, category), table


def _check_method(method: str, distance: float, deprivation_weight: bool) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    require_distance(distance)
    if not isinstance(deprivation_weight, bool):
        raise TypeError(f"deprivation_weight must be True or False, got {deprivation_weight!r}")


def _check_categories(categories: list[str]) -> None:
    if not isinstance(categories, (list, tuple)) or not all(isinstance(c, str) and c for c in categories):
        raise TypeError(f"categories must be a list of non-empty str, got {categories!r}")


def _asked(needs: pd.DataFrame) -> list[str]:
    """The categories somebody asked for (after checking the needs frame), sorted."""
    require_frame(needs, "needs", geo=False)
    require_columns(needs, NEED_COLUMNS, "needs")
    require_numeric(needs, "count", "needs", allow_nan=False)
    asked = _needs_with_keys(needs).groupby("category")["count"].sum()
    return sorted(asked.index[asked > 0])


def _overall(ctx: _Context, categories: list[str]) -> gpd.GeoDataFrame:
    """The "all needs" table from a built context and the categories residents asked for."""
    # Only what overall_from_tables reads of each (the first also gives the ward columns): a national
    # "all needs" table would otherwise hold every asked category's whole table at once.
    used = ["need_count", "unmet_share", "area_need_per_1000"]
    tables = [
        table if i == 0 else table[used]
        for i, table in enumerate(_category_table(ctx, c, detail=False, counts=False) for c in categories or [""])
    ]
    return _finish(overall_from_tables(tables, categories, ctx.method, ctx.distance, ctx.ward_responses), ctx)


def overall_from_tables(
    tables: list[pd.DataFrame], categories: list[str], method: str, distance: float, responses: pd.Series
) -> pd.DataFrame:
    """Return the unranked "all needs" rows from each asked category's rows (all wards, in ward-code order).

    Only ``need_count``, ``unmet_share`` and ``area_need_per_1000`` of each category are used, so
    stored category tables serve as well as fresh ones (what an incremental refresh relies on).
    With no category asked, pass one table of any category for the ward columns. *responses*
    (ward code -> responses, :func:`ward_responses` of the needs) cannot come from the category
    rows: one response may count in several categories but is one response overall.
    """
    if categories:
        need = np.column_stack([t["need_count"].to_numpy() for t in tables])
        unmet = np.column_stack([t["unmet_share"].to_numpy() for t in tables])
        area_rates = np.array([t["area_need_per_1000"].iloc[0] for t in tables])
    else:
        need = unmet = np.zeros((len(tables[0]), 0))
        area_rates = np.zeros(0)
    people = responses.reindex(tables[0]["ward_code"].astype(str).to_numpy(), fill_value=0.0)
    return overall_from_arrays(
        tables[0], categories, need, unmet, area_rates, method, distance, people.to_numpy(dtype="float64")
    )


def overall_from_arrays(
    base: pd.DataFrame,
    categories: list[str],
    need: np.ndarray,
    unmet: np.ndarray,
    area_rates: np.ndarray,
    method: str,
    distance: float,
    people: np.ndarray,
    prior: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Return the unranked "all needs" rows from per-ward arrays, one column per asked category.

    *base*: the ward columns (with ``deprivation_factor``); *need*, *unmet*: stated needs and
    unmet share per ward and category; *area_rates*: each category's area rate per 1,000;
    *people*: responses per ward over every category; *prior*: the area's smoothing prior of the
    wards' total needs (smoothing.area_prior), to work out some wards as the whole; None: from these.
    """
    out = base[["ward_code", "ward_name", "population", "population_method", "deprivation", "deprivation_factor"]]
    out = out.reset_index(drop=True).copy()
    out.insert(2, "category", OVERALL)
    pop = out["population"].to_numpy(dtype="float64")
    total = need.sum(axis=1)
    # One weight per ward from its total responses: a ward's category mix is shrunk toward the
    # area's mix only as far as all its evidence together allows.
    smoothed = empirical_bayes(total, pop, prior)
    weight = smoothed.weight[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        own = np.where(pop[:, None] > 0, need / pop[:, None] * 1000.0, np.nan)
    rates = weight * own + (1.0 - weight) * area_rates[None, :]  # smoothed per category, per 1,000
    factor = out["deprivation_factor"].to_numpy(dtype="float64")
    contribution = rates * unmet * factor[:, None]
    gap = contribution.sum(axis=1) if categories else np.zeros(len(out))
    gap = np.where(np.isnan(pop) | (pop == 0), np.nan, gap if categories else 0.0)
    smoothed_rate = rates.sum(axis=1) if categories else np.where(pop > 0, 0.0, np.nan)

    out["need_count"] = total
    out["responses"] = people
    out["few_responses"] = people < FEW_RESPONSES
    out["need_per_1000"] = _per_1000(total, pop)
    out["area_need_per_1000"] = smoothed.area_rate * 1000.0
    out["own_rate_weight"] = smoothed.weight
    out["need_per_1000_smoothed"] = smoothed_rate
    with np.errstate(invalid="ignore", divide="ignore"):
        out["unmet_share"] = np.where(smoothed_rate * factor > 0, gap / (smoothed_rate * factor), np.nan)
    out["gap_score"] = np.round(gap, GAP_DECIMALS)
    out["unmet_residents"] = gap * pop / 1000.0
    top, top_gap = _top_category(contribution, need, np.array(categories, dtype=object))
    out["categories_considered"] = (need > 0).sum(axis=1)
    out["top_category"] = pd.Series(top, dtype="object")
    out["top_category_gap"] = np.round(top_gap, GAP_DECIMALS)
    out["method"] = method
    out["distance_m"] = distance
    out["note"] = _notes(pop, total, bool(categories))
    return out


def _top_category(contribution: np.ndarray, need: np.ndarray, categories: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The category adding most unmet need in each ward, among those the ward asked for, and its share."""
    masked = np.where((need > 0) & ~np.isnan(contribution), contribution, -np.inf)
    has_top = np.isfinite(masked).any(axis=1) if masked.shape[1] else np.zeros(len(need), dtype=bool)
    best = masked.argmax(axis=1) if masked.shape[1] else np.zeros(len(need), dtype=int)
    # argmax returns the first maximum, i.e. ties go to the alphabetically first category.
    none = np.array(None, dtype=object)
    top = np.where(has_top, categories[best] if len(categories) else none, none)
    top_gap = np.where(has_top, masked.max(axis=1) if masked.shape[1] else np.nan, np.nan)
    return top, top_gap


def _context(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame | PointLayer,
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
    if not isinstance(assets, PointLayer):
        require_frame(assets, "assets", geo=True)
    require_frame(needs, "needs", geo=False)
    require_columns(wards, WARD_COLUMNS, "wards")
    require_columns(assets, ASSET_COLUMNS, "assets")
    require_columns(needs, NEED_COLUMNS, "needs")
    _check_method(method, distance, deprivation_weight)
    distance = require_distance(distance)
    require_crs(wards, "wards")
    require_geom_types(wards, POLYGONS, "wards")
    if len(wards) == 0:
        raise ValueError("wards is empty; nothing to analyse")
    deciles = require_numeric(wards, "deprivation", "wards", allow_nan=True)
    if ((deciles < 1) | (deciles > 10)).any():
        raise ValueError("wards column 'deprivation' must be an IMD decile between 1 and 10 (or NaN)")
    require_numeric(needs, "count", "needs", allow_nan=False)
    summary, by_ward = _summarise(_needs_with_keys(needs), with_wards=True)

    metric = to_metric(wards)
    order = np.argsort(metric["code"].astype(str).to_numpy(), kind="stable")
    metric = metric.iloc[order].reset_index(drop=True)
    geometry = wards.geometry.iloc[order].reset_index(drop=True)
    points, pop_method = population_layer(metric, population)
    pop, pop_methods = _ward_population(metric, points.data, pop_method)
    metric_assets, asset_xy = _prepare_assets(assets, metric, categories)
    return _Context(
        wards=metric,
        geometry=geometry,
        points=points.data,
        population=pop,
        population_method=pop_methods,
        assets=metric_assets,
        needs=summary,
        ward_responses=by_ward,
        method=method,
        distance=distance,
        deprivation_weight=deprivation_weight,
        point_xy=points.xy(),
        point_ward=pd.Index(metric["code"].astype(str)).get_indexer(points["ward_code"].astype(str)),
        point_pop=pd.to_numeric(points["population"]).to_numpy(dtype="float64"),
        asset_xy=asset_xy,
        by_category=_category_rows(metric_assets),
    )


def _ward_population(wards: gpd.GeoDataFrame, points: pd.DataFrame, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Population per ward (ward figure, or sum of supplied points) and how it was obtained."""
    if method == "ward_spread":
        pop = pd.to_numeric(wards["population"]).to_numpy(dtype="float64", na_value=np.nan)
    else:
        # With supplied points the ward population is what the points say; no points -> unknown.
        sums = points.groupby("ward_code")["population"].sum()
        pop = sums.reindex(wards["code"].to_numpy()).to_numpy(dtype="float64")
    return pop, np.where(np.isnan(pop), "unknown", method).astype(object)


def _prepare_assets(
    assets: gpd.GeoDataFrame | PointLayer, wards: gpd.GeoDataFrame, categories: list[str] | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the assets (of *categories*, if given) as (asset_id and category, positionally indexed; metric x, y).

    Coordinates only: a shapely point per place, held for the whole analysis, took a national
    worker past its memory (see webmap.analysis.points).
    """
    if len(assets) == 0:
        # An empty layer may arrive without a CRS; it has nothing to reproject.
        return pd.DataFrame({"asset_id": [], "category": []}), np.empty((0, 2))
    layer = as_layer(assets, "assets")
    if categories is not None:
        keep = layer["category"].astype(str).isin(categories).to_numpy()
        if not keep.all():  # a full refresh keeps every place: no copy of a million of them
            layer = layer[keep]
    # On a CRS mismatch the assets (second input) are reprojected to the wards' CRS.
    layer = layer.to_crs(wards.crs)
    frame = pd.DataFrame(
        {"asset_id": layer["asset_id"].to_numpy(), "category": layer["category"].astype(str).to_numpy()}
    )
    return frame, layer.xy()


def _category_rows(assets: pd.DataFrame) -> dict[str, np.ndarray]:
    """Category -> positions of its assets; one asset listed twice under a category is still one asset."""
    if len(assets) == 0:
        return {}
    ids = assets["asset_id"].to_numpy()
    if ids.dtype.kind not in "iu":  # ids of any other kind: pandas finds the repeats
        first = np.flatnonzero(~assets.duplicated(["category", "asset_id"]).to_numpy())
        return {c: first[rows] for c, rows in assets.iloc[first].groupby("category").indices.items()}
    # Integer ids (the store's): each (category, id) pair as one number, its first row found by
    # sorting. Pandas' duplicated() builds hash tables sized for every row, the highest moment of a
    # national refresh (a million places).
    codes, labels = pd.factorize(assets["category"], sort=True)
    span = int(ids.max()) - int(ids.min()) + 1
    key = codes.astype(np.int64) * span + (ids.astype(np.int64) - int(ids.min()))
    _, first = np.unique(key, return_index=True)
    first.sort()
    first_codes = codes[first]
    return {label: first[first_codes == k] for k, label in enumerate(labels)}


def _asset_wards(ctx: _Context) -> np.ndarray:
    """Position in ``ctx.wards`` of the ward each asset falls in (lowest code on boundaries), -1 outside all."""
    if "asset_ward" not in ctx.lazy:
        layer = PointLayer.from_xy(ctx.assets, ctx.asset_xy[:, 0], ctx.asset_xy[:, 1], ctx.wards.crs)
        # A part at a time: each point is placed on its own, so the parts join to the whole's result.
        codes = np.full(len(layer), np.nan, dtype=object)
        for start, points in layer.chunks():
            part = gpd.GeoDataFrame(geometry=points, crs=ctx.wards.crs)
            codes[start : start + len(points)] = assign_to_wards(part, ctx.wards).to_numpy()
        ctx.lazy["asset_ward"] = pd.Index(ctx.wards["code"].astype(str)).get_indexer(pd.Series(codes).astype(str))
    return ctx.lazy["asset_ward"]


def _rows_of(ctx: _Context, category: str) -> np.ndarray:
    return ctx.by_category.get(category, np.empty(0, dtype=np.intp))


def _needs_with_keys(needs: pd.DataFrame) -> pd.DataFrame:
    """The needs as (ward_code, category, count, response_key) with plain types; no key column -> all None."""
    frame = needs[list(NEED_COLUMNS)].copy()
    frame["count"] = pd.to_numeric(frame["count"]).astype("float64")
    frame["ward_code"] = frame["ward_code"].astype(str)
    frame["category"] = frame["category"].astype(str)
    if RESPONSE_KEY in needs.columns:
        keys = needs[RESPONSE_KEY]
        frame[RESPONSE_KEY] = keys.where(keys.notna() & (keys != ""), None)
    else:
        frame[RESPONSE_KEY] = None
    return frame


def _people(group: np.ndarray, groups: int, key: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Responses per group (integer ids 0..groups-1): distinct keys among needs with a count, plus keyless counts.

    *key* holds integer key ids, -1 for no key. Integers throughout: on national data (8,533 wards,
    hundreds of thousands of needs) a groupby nunique over strings costs several times more.
    """
    keyed = (key >= 0) & (count > 0)
    width = np.int64(key.max() + 1) if keyed.any() else np.int64(1)
    pairs = np.sort(group[keyed].astype(np.int64) * width + key[keyed])
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if len(pairs) else pairs
    people = np.bincount(pairs // width, minlength=groups).astype("float64")
    plain = key < 0
    return people + np.bincount(group[plain], weights=count[plain], minlength=groups)


def _factorised(frame: pd.DataFrame) -> tuple[np.ndarray, pd.Index, np.ndarray, pd.Index, np.ndarray]:
    """Return (ward ids, wards, category ids, categories, key ids with -1 for none), wards and categories sorted."""
    ward, wards = pd.factorize(frame["ward_code"], sort=True)
    category, categories = pd.factorize(frame["category"], sort=True)
    key, _keys = pd.factorize(frame[RESPONSE_KEY], use_na_sentinel=True)
    return ward, pd.Index(wards), category, pd.Index(categories), key


def ward_responses(needs: pd.DataFrame) -> pd.Series:
    """Return ward_code -> responses over every category (a response stating several needs counts once)."""
    return _ward_responses(_needs_with_keys(needs))


def _ward_responses(frame: pd.DataFrame) -> pd.Series:
    if not len(frame):
        return pd.Series(dtype="float64", index=pd.Index([], dtype=object))
    ward, wards, _category, _categories, key = _factorised(frame)
    people = _people(ward, len(wards), key, frame["count"].to_numpy(dtype="float64"))
    return pd.Series(people, index=wards.astype(str))


def category_responses(needs: pd.DataFrame, category: str) -> pd.Series:
    """Return ward_code -> responses that stated a need of *category*."""
    frame = _needs_with_keys(needs)
    return _ward_responses(frame[frame["category"] == category])


def need_summary(needs: pd.DataFrame) -> pd.DataFrame:
    """Return per (ward_code, category): stated needs (``count``) and the responses behind them (``responses``)."""
    return _summarise(_needs_with_keys(needs))


@overload
def _summarise(frame: pd.DataFrame) -> pd.DataFrame: ...
@overload
def _summarise(frame: pd.DataFrame, with_wards: Literal[True]) -> tuple[pd.DataFrame, pd.Series]: ...


def _summarise(frame: pd.DataFrame, with_wards: bool = False):
    """Stated needs (``count``) and responses per (ward_code, category), in code order; unknown wards are ignored later.

    ``with_wards``: also each ward's responses over every category (the same ids, factorised once).
    """
    if not len(frame):
        empty = pd.DataFrame(
            {
                "ward_code": pd.Series(dtype=object),
                "category": pd.Series(dtype=object),
                "count": pd.Series(dtype="float64"),
                "responses": pd.Series(dtype="float64"),
            }
        )
        return (empty, _ward_responses(frame)) if with_wards else empty
    ward, wards, category, categories, key = _factorised(frame)
    group = ward.astype(np.int64) * len(categories) + category
    groups = len(wards) * len(categories)
    count = frame["count"].to_numpy(dtype="float64")
    present = np.flatnonzero(np.bincount(group, minlength=groups))
    stated = np.bincount(group, weights=count, minlength=groups)
    people = _people(group, groups, key, count)
    summary = pd.DataFrame(
        {
            "ward_code": wards.to_numpy(dtype=object)[present // len(categories)],
            "category": categories.to_numpy(dtype=object)[present % len(categories)],
            "count": stated[present],
            "responses": people[present],
        }
    )
    if not with_wards:
        return summary
    return summary, pd.Series(_people(ward, len(wards), key, count), index=wards.astype(str))


def _category_table(ctx: _Context, category: str, detail: bool = True, counts: bool = True) -> pd.DataFrame:
    """The per-ward gap table for one category (no geometry, not yet ranked).

    ``detail=False`` (used by overall_gaps, which only needs need and unmet share) skips the
    explanatory assets_within_distance count, the costliest column on national data;
    ``counts=False`` skips assets_in_ward (a point-in-polygon join of every asset) unless the
    method needs it.
    """
    codes = ctx.wards["code"].astype(str).to_numpy()
    need_table = ctx.needs[ctx.needs["category"] == category].set_index("ward_code")
    need = need_table["count"].reindex(codes, fill_value=0.0).to_numpy(dtype="float64")
    people = need_table["responses"].reindex(codes, fill_value=0.0).to_numpy(dtype="float64")
    return category_from_parts(
        _ward_base(ctx),
        _access_figures(ctx, category, detail, counts),
        need,
        category,
        ctx.method,
        ctx.distance,
        ctx.deprivation_weight,
        people,
    )


#: The figures of a category's row that depend on places (and so on where they are); the rest
#: depend on the ward, its population and what residents asked for.
ACCESS_COLUMNS = ["assets_in_ward", "assets_within_distance", "access_share", "access_score"]
BASE_COLUMNS = ["ward_code", "ward_name", "population", "population_method", "deprivation"]


def _ward_base(ctx: _Context) -> pd.DataFrame:
    """The ward columns every category's row starts from, in ward-code order."""
    return pd.DataFrame(
        {
            "ward_code": ctx.wards["code"].astype(str).to_numpy(),
            "ward_name": ctx.wards["name"].to_numpy(dtype=object),
            "population": ctx.population,
            "population_method": ctx.population_method,
            "deprivation": pd.to_numeric(ctx.wards["deprivation"]).to_numpy(dtype="float64", na_value=np.nan),
        }
    )


def _access_figures(ctx: _Context, category: str, detail: bool = True, counts: bool = True) -> pd.DataFrame:
    """Each ward's access figures for one category (ACCESS_COLUMNS): local to the places within the distance.

    ``access_score`` is the method's raw score (share, places per 1,000, or the 2SFCA/E2SFCA
    score); scaling it to the area's best happens in :func:`category_from_parts`.
    """
    wards = ctx.wards
    pop = ctx.population
    rows = _rows_of(ctx, category)
    xy = ctx.asset_xy[rows]
    if counts or ctx.method == "count":
        placed = _asset_wards(ctx)[rows]
        in_ward = np.bincount(placed[placed >= 0], minlength=len(wards)).astype("float64")
    else:
        in_ward = np.full(len(wards), -1.0)  # not asked for (overall_gaps does not show it)
    within = _assets_within(wards, xy, ctx.distance) if detail else np.full(len(wards), -1, dtype=np.int64)
    total, reached = _access.reached_population(
        ctx.point_xy, ctx.point_ward, ctx.point_pop, xy, ctx.distance, len(wards)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, reached / total, np.nan)
    share = np.where(np.isnan(pop) | (pop == 0), np.nan, share)
    if ctx.method == "share":
        score = share
    elif ctx.method == "count":
        score = _per_1000(in_ward, pop)
    else:
        bands = None if ctx.method == "2sfca" else np.asarray(_access.E2SFCA_WEIGHTS)
        at_points = _access.fca_scores(ctx.point_xy, ctx.point_pop, xy, np.ones(len(xy)), ctx.distance, bands)
        weighted = np.bincount(ctx.point_ward, weights=ctx.point_pop * at_points, minlength=len(wards))
        # Per-person ratios are tiny; x1000 reads as "assets per 1,000 residents in reach".
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(total > 0, weighted / total, np.nan) * 1000
        score = np.where(np.isnan(pop) | (pop == 0), np.nan, score)
    return pd.DataFrame(
        {
            "assets_in_ward": in_ward.astype(np.int64),
            "assets_within_distance": within,
            "access_share": share,
            "access_score": score,
        }
    )


def category_from_parts(
    base: pd.DataFrame,
    access: pd.DataFrame,
    need: np.ndarray,
    category: str,
    method: str,
    distance: float,
    deprivation_weight: bool,
    responses: np.ndarray | None = None,
    area: dict | None = None,
) -> pd.DataFrame:
    """Return one category's unranked rows from ward columns, access figures and need counts (all wards, same order).

    *need* is the stated needs per ward (what the rates and smoothing rest on), *responses* the
    responses behind them (what "few responses" rests on; None: one response per stated need).

    Everything area-wide happens here and only here: the area rate and spread that smoothing
    uses, and scaling scores to the area's best. It is arithmetic over one number per ward, so
    an incremental refresh recomputes it for every ward whenever any ward's figures change.
    *area*: those area-wide figures as :func:`category_area` gave them for every ward, to work
    out some wards' rows exactly as the whole table's; None: worked out from the rows given.
    """
    pop = base["population"].to_numpy(dtype="float64")
    people = need if responses is None else np.asarray(responses, dtype="float64")
    in_ward = access["assets_in_ward"].to_numpy(dtype="float64")
    share = access["access_share"].to_numpy(dtype="float64")
    score = access["access_score"].to_numpy(dtype="float64")
    if area is None:
        area = category_area(need, pop, score)
    norm = share if method == "share" else _scale_to(score, area["top"])
    smoothed = empirical_bayes(need, pop, (area["area_rate"], area["spread"]))
    deprivation = base["deprivation"].to_numpy(dtype="float64")
    factor = deprivation_factor(deprivation) if deprivation_weight else np.ones(len(base))
    unmet = 1.0 - norm
    anyone_asked = bool(area["asked"])
    # Nobody anywhere asked: no gap, except where the population is unknown: a rate per
    # 1,000 residents of an unknown number is unknown, never 0.
    gap: np.ndarray = (
        np.round(smoothed.rate * 1000.0 * factor * unmet, GAP_DECIMALS)
        if anyone_asked
        else np.where(np.isnan(pop) | (pop == 0), np.nan, 0.0)
    )

    return pd.DataFrame(
        {
            "ward_code": base["ward_code"].to_numpy(dtype=object),
            "ward_name": base["ward_name"].to_numpy(dtype=object),
            "category": category,
            "population": pop,
            "population_method": base["population_method"].to_numpy(dtype=object),
            "assets_in_ward": access["assets_in_ward"].to_numpy(dtype=np.int64),
            "assets_per_1000": _per_1000(in_ward, pop),
            "assets_within_distance": access["assets_within_distance"].to_numpy(dtype=np.int64),
            "access_share": share,
            "access_score": score,
            "access_norm": norm,
            "need_count": need,
            "responses": people,
            "few_responses": people < FEW_RESPONSES,
            "need_per_1000": _per_1000(need, pop),
            "area_need_per_1000": smoothed.area_rate * 1000.0,
            "own_rate_weight": smoothed.weight,
            "need_per_1000_smoothed": smoothed.rate * 1000.0,
            "deprivation": deprivation,
            "deprivation_factor": factor,
            "unmet_share": unmet,
            "gap_score": gap,
            "unmet_residents": gap * pop / 1000.0,
            "method": method,
            "distance_m": distance,
            "note": _notes(pop, need, anyone_asked),
        }
    )


def _assets_within(wards: gpd.GeoDataFrame, xy: np.ndarray, distance: float) -> np.ndarray:
    """Distinct assets (metric x, y) inside each ward or within *distance* m of its boundary."""
    counts = np.zeros(len(wards), dtype=np.int64)
    polygons = np.asarray(wards.geometry.values)
    layer = PointLayer.from_xy(pd.DataFrame(index=range(len(xy))), xy[:, 0], xy[:, 1], wards.crs)
    for _, points in layer.chunks():
        # Tree over the assets, queried with each ward polygon (prepared): far cheaper than the reverse.
        ward_idx, _ = shapely.STRtree(points).query(polygons, predicate="dwithin", distance=distance)
        counts += np.bincount(ward_idx, minlength=len(wards))
    return counts


def _per_1000(values: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """values per 1,000 residents; NaN where the population is unknown or 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pop > 0, values / pop * 1000.0, np.nan)


def category_area(need: np.ndarray, pop: np.ndarray, score: np.ndarray) -> dict:
    """Return a category table's area-wide figures: smoothing prior, best access score, whether anyone asked.

    Plain floats (JSON-safe, NaN as None is the caller's business): what one ward's row needs
    from all the others (category_from_parts with *area*).
    """
    m, s2 = area_prior(need, pop)
    return {"area_rate": m, "spread": s2, "top": _top(score), "asked": bool(need.sum() > 0)}


def _top(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.max()) if len(finite) else 0.0


def _scale_to(values: np.ndarray, top: float) -> np.ndarray:
    """Divide by *top* (the area's largest finite value; all zeros when that is 0); NaN stays NaN."""
    return values / top if top > 0 else np.where(np.isnan(values), np.nan, 0.0)


def deprivation_factor(decile: np.ndarray) -> np.ndarray:
    """IMD decile -> demand multiplier: 1 (most deprived) -> 1.5, 10 -> 1.0, unknown -> 1.0."""
    decile = np.asarray(decile, dtype="float64")
    return np.where(np.isnan(decile), 1.0, 1.5 - 0.5 * (decile - 1.0) / 9.0)


def _notes(pop: np.ndarray, need: np.ndarray, anyone_asked: bool) -> np.ndarray:
    """Plain-English reason for a missing figure, or a figure resting on no local response ('' otherwise)."""
    return np.select(
        [np.isnan(pop), pop == 0, np.full(len(pop), not anyone_asked), need == 0],
        [NOTE_NO_POPULATION, NOTE_ZERO_POPULATION, NOTE_NOBODY_ASKED, NOTE_NO_NEED],
        default="",
    ).astype(object)


def rank_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Add rank (1 = biggest gap, ties share the lowest); order rows by rank (unranked last), then ward code."""
    table = table.copy()
    table["rank"] = table["gap_score"].rank(method="min", ascending=False).astype("Int64")
    columns = [c for c in GAP_COLUMNS if c in table.columns] + [c for c in table.columns if c not in GAP_COLUMNS]
    table = table[columns].sort_values(["rank", "ward_code"], na_position="last", kind="stable")
    return table.reset_index(drop=True)


def _finish(table: pd.DataFrame, ctx: _Context) -> gpd.GeoDataFrame:
    """Add rank and the caller-CRS geometry; order rows by rank (unranked last), then ward code."""
    table = table.copy()
    table["rank"] = table["gap_score"].rank(method="min", ascending=False).astype("Int64")
    columns = [c for c in GAP_COLUMNS if c in table.columns] + [c for c in table.columns if c not in GAP_COLUMNS]
    # Keep the caller's CRS for mapping; distances were all computed in the metric copy.
    result = gpd.GeoDataFrame(table[columns], geometry=ctx.geometry.to_numpy(), crs=ctx.geometry.crs)
    result = result.sort_values(["rank", "ward_code"], na_position="last", kind="stable")
    return result.reset_index(drop=True)
