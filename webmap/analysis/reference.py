"""The "all needs" gap score worked out one ward at a time: the executable specification.

:func:`webmap.analysis.overall_gaps` answers for every ward at once with a tree query per
category and array sums. This module answers the same question the obvious way, so the tests
can check the two agree and ``make bench`` can show what the fast path buys: for each ward,
take the places whose coordinates fall in the ward's bounding box grown by the distance (the
only places that can be within reach of anyone living in the ward), measure every resident
point to them, and add up the residents who reach one.

Only the "share" method (the default the pages and stored tables use) is covered. Nothing in the
app calls this module.
"""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from webmap.analysis.crs import align_crs, to_metric
from webmap.analysis.population import population_points
from webmap.analysis.smoothing import empirical_bayes


def per_ward_access_share(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    categories: list[str],
    distance: float = 800.0,
    population: gpd.GeoDataFrame | None = None,
    prefilter: str = "bbox",
) -> pd.DataFrame:
    """Return population and, per category, the share of residents within *distance* m of one, ward by ward.

    *prefilter* picks the places worth measuring for a ward: ``"bbox"`` compares every place's
    coordinates with the ward's grown bounding box; ``"index"`` asks an STRtree for them instead.
    Supplied population points are placed in wards the same way, one ward at a time (a point on a
    shared boundary goes to the lowest ward code, as in the fast path).
    """
    if prefilter not in ("bbox", "index"):
        raise ValueError(f"prefilter must be 'bbox' or 'index', got {prefilter!r}")
    metric = to_metric(wards)
    metric = metric.iloc[np.argsort(metric["code"].astype(str).to_numpy(), kind="stable")]
    if population is None:
        points, _ = population_points(metric, None)
        xy = shapely.get_coordinates(points.geometry.values)
        pop = points["population"].to_numpy(dtype="float64")
        residents = points.groupby("ward_code").indices
    else:
        placed = align_crs(metric, population, "population")
        xy = shapely.get_coordinates(placed.geometry.values)
        pop = pd.to_numeric(placed["population"]).to_numpy(dtype="float64")
        residents = _place_one_ward_at_a_time(metric, xy, ~np.isnan(pop))
    metric_assets = align_crs(metric, assets, "assets")
    places = {}
    for category in categories:
        chosen = metric_assets[metric_assets["category"].astype(str) == category].drop_duplicates("asset_id")
        geoms = np.asarray(chosen.geometry.values)
        places[category] = (shapely.STRtree(geoms) if prefilter == "index" else None, shapely.get_coordinates(geoms))
    rows = []
    for code, ward in zip(metric["code"].astype(str), metric.geometry.values):
        mine = residents.get(code, np.empty(0, dtype=int))
        total = pop[mine].sum()
        row = {"ward_code": code, "population": total if len(mine) else np.nan}
        minx, miny, maxx, maxy = ward.bounds
        grown = (minx - distance, miny - distance, maxx + distance, maxy + distance)
        for category in categories:
            tree, place_xy = places[category]
            if total <= 0:
                row[category] = np.nan
                continue
            near = place_xy[tree.query(shapely.box(*grown))] if tree is not None else place_xy[_in_box(place_xy, grown)]
            gaps = xy[mine][:, None, :] - near[None, :, :]
            reached = ((gaps ** 2).sum(axis=2) <= distance ** 2).any(axis=1)
            row[category] = pop[mine][reached].sum() / total
        rows.append(row)
    return pd.DataFrame(rows).set_index("ward_code")


def _in_box(xy: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    minx, miny, maxx, maxy = box
    return (xy[:, 0] >= minx) & (xy[:, 0] <= maxx) & (xy[:, 1] >= miny) & (xy[:, 1] <= maxy)


def _place_one_ward_at_a_time(wards: gpd.GeoDataFrame, xy: np.ndarray, usable: np.ndarray) -> dict[str, np.ndarray]:
    """Ward code -> the points inside it (boundary included), wards taken in code order, each point once."""
    free = usable.copy()
    found = {}
    for code, ward in zip(wards["code"].astype(str), wards.geometry.values):
        candidates = np.flatnonzero(free & _in_box(xy, ward.bounds))
        inside = candidates[shapely.intersects_xy(ward, xy[candidates, 0], xy[candidates, 1])]
        free[inside] = False
        if len(inside):
            found[code] = inside
    return found


def per_ward_overall_gaps(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame,
    needs: pd.DataFrame,
    distance: float = 800.0,
    population: gpd.GeoDataFrame | None = None,
    prefilter: str = "bbox",
) -> pd.DataFrame:
    """Return the "all needs" gap score per ward (share method, no deprivation weighting), ward by ward.

    ``gap_score = sum over asked categories of smoothed need per 1,000 x (1 - access share)``, each
    ward's category rates shrunk toward the area's with the weight its total responses earn.
    """
    counts = needs.groupby(["ward_code", "category"])["count"].sum().unstack(fill_value=0.0)
    categories = sorted(c for c in counts.columns if counts[c].sum() > 0)
    shares = per_ward_access_share(wards, assets, categories, distance, population, prefilter)
    pop = shares["population"].to_numpy()
    need = counts.reindex(index=shares.index, columns=categories, fill_value=0.0).to_numpy(dtype="float64")
    weight = empirical_bayes(need.sum(axis=1), pop).weight
    gap = np.zeros(len(shares))
    for j, category in enumerate(categories):
        area_rate = empirical_bayes(need[:, j], pop).area_rate * 1000.0
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where(pop > 0, need[:, j] / pop * 1000.0, np.nan)
        gap += (weight * own + (1.0 - weight) * area_rate) * (1.0 - shares[category].to_numpy())
    gap = np.where(np.isnan(pop) | (pop == 0), np.nan, gap)
    return pd.DataFrame({"population": pop, "gap_score": gap}, index=shares.index)
