"""Incremental gap tables: which wards a change can touch, and those rows recomputed from the rest.

A category's row splits in two (see :func:`webmap.analysis.gaps.category_from_parts`):

* **access figures** (``ACCESS_COLUMNS``): depend only on the places within the access distance
  of the ward's residents. A place added, moved or withdrawn at ``p`` changes them only in wards
  within the distance of ``p`` (share, counts); for 2SFCA/E2SFCA, a place's supply ratio depends
  on the residents within the distance of it, so the wards within the distance of ``p`` again
  (other places' ratios do not change), computed from residents up to twice the distance away.
* **area-wide arithmetic**: the smoothing prior (area rate and spread of rates), scaling scores
  to the area's best, the "all needs" sum and the rank. These depend on every ward, but only on
  one number per ward (need, population, access figures): webmap/analysis/derive.py works them
  out from the wards' stored rows whenever a table is read, so a change rewrites no other row.

So an incremental table equals a full rebuild: the costly spatial part is bounded to the wards a
change can reach, and the area-wide part is not deferred or approximated but redone cheaply.
Pure: GeoDataFrames and DataFrames in and out, no database.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from webmap.analysis import gaps as _gaps
from webmap.analysis.crs import align_crs, to_metric
from webmap.analysis.points import PointLayer, as_layer

ACCESS_COLUMNS = _gaps.ACCESS_COLUMNS
FCA = ("2sfca", "e2sfca")


def touched_wards(wards: gpd.GeoDataFrame, places: gpd.GeoSeries | gpd.GeoDataFrame, distance: float) -> list[str]:
    """Return the codes of the wards within *distance* m of any of these place locations (sorted)."""
    if len(places) == 0 or len(wards) == 0:
        return []
    metric = to_metric(wards)
    points = align_crs(
        metric, places if isinstance(places, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=places), "places"
    )
    tree = shapely.STRtree(np.asarray(metric.geometry.values))
    _, hit = tree.query(np.asarray(points.geometry.values), predicate="dwithin", distance=distance)
    return sorted(set(metric["code"].astype(str).to_numpy()[hit]))


def search_box(wards: gpd.GeoDataFrame, codes: list[str], distance: float) -> tuple[float, float, float, float]:
    """Return the metric (minx, miny, maxx, maxy) holding every input a recomputation of *codes* reads.

    Three times the distance around the wards: places within the distance of their residents,
    and (2SFCA) the residents within the distance of those places.
    """
    metric = to_metric(wards)
    minx, miny, maxx, maxy = metric[metric["code"].astype(str).isin(codes)].total_bounds
    pad = 3 * distance
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def local_access(
    wards: gpd.GeoDataFrame,
    assets: gpd.GeoDataFrame | PointLayer,
    population: gpd.GeoDataFrame | None,
    category: str,
    method: str,
    distance: float,
    codes: list[str],
) -> pd.DataFrame:
    """Return the access figures (ACCESS_COLUMNS, indexed by ward code) of the wards *codes* for one category.

    *wards*, *assets* and *population* may be the whole area or any part of it holding the
    wards within three times the distance of *codes* (:func:`search_box`): only that part is read.
    """
    if not codes:
        return pd.DataFrame(columns=ACCESS_COLUMNS, index=pd.Index([], name="ward_code"))
    metric = to_metric(wards)
    chosen = metric[metric["code"].astype(str).isin(codes)]
    # Residents up to twice the distance away share the places these wards reach (2SFCA demand);
    # with the wards touching those, a resident on a shared boundary goes to the same ward as in
    # a full run. Share and counts only need the wards themselves and their neighbours.
    reach = 2 * distance if method in FCA else 0.0
    tree = shapely.STRtree(np.asarray(metric.geometry.values))
    _, near = tree.query(np.asarray(chosen.geometry.values), predicate="dwithin", distance=reach + 1.0)
    halo = metric.iloc[np.unique(near)]
    _, around = tree.query(np.asarray(halo.geometry.values), predicate="dwithin", distance=1.0)
    halo = metric.iloc[np.unique(np.concatenate([near, around]))]
    box = shapely.box(*halo.total_bounds).buffer(distance)
    if len(assets):
        layer = as_layer(assets, "assets")
        metric_xy = layer.to_crs(metric.crs)
        assets = layer[shapely.intersects_xy(box, metric_xy.x, metric_xy.y)]
    if population is not None and len(population):
        metric_points = align_crs(metric, population, "population")
        population = population[shapely.intersects(box, np.asarray(metric_points.geometry.values))]
    empty_needs = pd.DataFrame(
        {"ward_code": pd.Series(dtype=object), "category": pd.Series(dtype=object), "count": pd.Series(dtype=float)}
    )
    ctx = _gaps._context(halo, assets, empty_needs, method, distance, population, False, [category])
    figures = _gaps._access_figures(ctx, category)
    figures.index = pd.Index(ctx.wards["code"].astype(str).to_numpy(), name="ward_code")
    return figures.loc[sorted(codes)]
