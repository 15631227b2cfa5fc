"""Group records that are one place: the same name (after folding case, accents and filler words),
each within 150 m of another record of the group.

Sources overlap (a GP practice from NHS data and from a council list) and some list every building
of a site (45 records for one hospital). The link is "chained": records A, B, C form one place
when A is within 150 m of B and B within 150 m of C, so a hospital's buildings become one place while two
branches of a chain store across town stay two. On the real kit 50 m left The Royal Oldham Hospital
as 10 places (its 45 buildings lie up to 300 m apart); 150 m makes it one, and otherwise only joins a
church to its hall or a school to the polling station inside it (checked by hand: 1,565 records ->
1,391 places). Pure functions: no Flask, no database.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from webmap.places.duplicates import normalise_name

BNG = "EPSG:27700"
SAME_PLACE_M = 150.0


def group_same_places(assets: gpd.GeoDataFrame, radius_m: float = SAME_PLACE_M) -> pd.Series:
    """Return a group number for each row (same index): rows with the same number are one place."""
    if assets.crs is None:
        raise ValueError("the places have no CRS: cannot measure distances between them")
    if radius_m < 0:
        raise ValueError(f"radius_m must not be negative, not {radius_m}")
    n = len(assets)
    if n == 0:
        return pd.Series([], index=assets.index, dtype="int64")
    metric = assets.geometry.to_crs(BNG).reset_index(drop=True)
    names = assets["name"].map(lambda v: "" if pd.isna(v) else normalise_name(v)).to_numpy()
    left, right = metric.sindex.query(metric, predicate="dwithin", distance=radius_m)
    # An empty folded name (only filler words) is never "the same name" as anything.
    keep = (names[left] == names[right]) & (names[left] != "")
    graph = coo_matrix((np.ones(int(keep.sum())), (left[keep], right[keep])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=assets.index, dtype="int64")


def one_row_per_place(assets: gpd.GeoDataFrame, radius_m: float = SAME_PLACE_M) -> gpd.GeoDataFrame:
    """Return one row per place (the record with the lowest asset_id), with `records` = how many were grouped."""
    if "asset_id" not in assets.columns:
        raise ValueError("the places need an asset_id column to choose which record stands for each place")
    out = assets.copy()
    out["place_group"] = group_same_places(out, radius_m)
    out["records"] = out.groupby("place_group")["asset_id"].transform("size")
    out = out.sort_values("asset_id").drop_duplicates("place_group")
    return out.drop(columns="place_group")
