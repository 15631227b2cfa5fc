"""The "all needs" gap score worked out one ward at a time: the executable specification.

:func:`webmap.analysis.overall_gaps` answers for every ward at once with a tree query per
category and array sums. This module answers the same question the obvious way, so the tests
can check the two agree and ``make bench`` can show what the fast path buys: for each ward,
take the places whose coordinates fall in the ward's bounding box grown by the distance (the
only places that can be within reach of anyone living in the ward), measure every resident
point to them, and add up the residents who reach one.

It shares no step with the fast path but the reprojection: residents are put in wards by a
containment test one ward at a time (or spread over each ward's own grid, cell by cell), and the
empirical Bayes smoothing is worked out here in plain arithmetic rather than by
:mod:`webmap.analysis.smoothing`, so a mistake in either shared piece cannot hide in both.

Only the "share" method (the default the pages and stored tables use) is covered. Nothing in the
app calls this module.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from webmap.analysis.crs import align_crs, to_metric

SPREAD_PER_WARD = 50  # residents of a ward without points are spread over about this many grid cells


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
        xy, pop, residents = _spread_one_ward_at_a_time(metric)
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
            reached = ((gaps**2).sum(axis=2) <= distance**2).any(axis=1)
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
        inside = candidates[shapely.intersects_xy(ward, xy[candidates, 0], xy[candidates, 1])]  # edge included
        free[inside] = False
        if len(inside):
            found[code] = inside
    return found


def _spread_one_ward_at_a_time(wards: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Return (point xy, point population, ward code -> its points) spreading each known population over its ward.

    Each ward is cut into square cells of side sqrt(area / 50), counted along rows from its bounding
    box's lower left corner (at most 50 x 400 cells); the centres inside the ward are its points,
    thinned evenly to at most 50; a ward no centre falls in gets its point-on-surface. The ward's
    population is shared equally among its points.
    """
    xs: list[float] = []
    ys: list[float] = []
    pops: list[float] = []
    found: dict[str, np.ndarray] = {}
    for code, ward, people in zip(
        wards["code"].astype(str),
        wards.geometry.values,
        pd.to_numeric(wards["population"]).to_numpy(dtype="float64", na_value=np.nan),
    ):
        if np.isnan(people):
            continue
        minx, miny, maxx, maxy = ward.bounds
        step = float(np.sqrt(max(ward.area, 1e-9) / SPREAD_PER_WARD))
        nx = max(int(np.ceil((maxx - minx) / step)), 1)
        ny = max(int(np.ceil((maxy - miny) / step)), 1)
        k = np.arange(min(nx * ny, SPREAD_PER_WARD * 400))
        x, y = minx + (k % nx + 0.5) * step, miny + (k // nx + 0.5) * step
        inside = shapely.contains_xy(ward, x, y)
        centres = list(zip(x[inside].tolist(), y[inside].tolist()))
        n, c = SPREAD_PER_WARD, len(centres)
        # Keep the r-th centre when r * n / c passes a whole number: n picks spread evenly over c.
        kept = [p for r, p in enumerate(centres) if c <= n or r == 0 or (r * n) // c != ((r - 1) * n) // c]
        if not kept:
            surface = ward.point_on_surface()
            kept = [(surface.x, surface.y)]
        found[code] = np.arange(len(xs), len(xs) + len(kept))
        xs += [x for x, _ in kept]
        ys += [y for _, y in kept]
        pops += [people / len(kept)] * len(kept)
    return np.column_stack([xs, ys]) if xs else np.empty((0, 2)), np.asarray(pops, dtype="float64"), found


def _smoothing_weights(events: list[float], population: list[float]) -> tuple[list[float], float]:
    """Return each ward's weight on its own rate, and the area rate, by Marshall's global empirical Bayes.

    Worked here in plain arithmetic over the wards with people: m = all events / all people;
    s2 = sum(b (e/b - m)^2) / sum(b) - m / mean(b), floored at 0; w = s2 / (s2 + m / b).
    """
    usable = [(e, b) for e, b in zip(events, population) if b > 0]
    if not usable:
        return [np.nan] * len(events), 0.0
    people = sum(b for _, b in usable)
    m = sum(e for e, _ in usable) / people
    mean_b = people / len(usable)
    s2 = max(sum(b * (e / b - m) ** 2 for e, b in usable) / people - m / mean_b, 0.0)
    weights = []
    for b in population:
        if not b > 0:
            weights.append(np.nan)
        elif s2 + m / b > 0:
            weights.append(s2 / (s2 + m / b))
        else:
            weights.append(1.0)  # nobody asked anywhere: every rate is 0 whatever the weight
    return weights, m


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
    ward's category rates shrunk toward the area's with the weight its total stated needs earn.
    """
    counts = needs.groupby(["ward_code", "category"])["count"].sum().unstack(fill_value=0.0)
    categories = sorted(c for c in counts.columns if counts[c].sum() > 0)
    shares = per_ward_access_share(wards, assets, categories, distance, population, prefilter)
    pop = [float(p) for p in shares["population"]]
    need = counts.reindex(index=shares.index, columns=categories, fill_value=0.0)
    weights, _ = _smoothing_weights([float(v) for v in need.sum(axis=1)], pop)
    area_rates = {c: _smoothing_weights([float(v) for v in need[c]], pop)[1] * 1000.0 for c in categories}
    gap = []
    for i, code in enumerate(shares.index):
        if not pop[i] > 0:
            gap.append(np.nan)
            continue
        w, total = weights[i], 0.0
        for category in categories:
            own = need.at[code, category] / pop[i] * 1000.0
            total += (w * own + (1.0 - w) * area_rates[category]) * (1.0 - shares.at[code, category])
        gap.append(total)
    return pd.DataFrame({"population": pop, "gap_score": gap}, index=shares.index)
