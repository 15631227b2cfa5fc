"""Filter a GeoDataFrame of places by keywords, kind, ward and distance from a point.

Pure functions: no Flask and no database, so they are easy to test with tiny frames.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from webmap.core.text import fold

BNG = "EPSG:27700"
# Columns a keyword may match: what a resident would call the place (in English or Welsh), what it does, where it is.
KEYWORD_COLUMNS = ("name", "name_cy", "description", "description_cy", "address", "category_labels")
_NEAR = re.compile(r"^(?P<words>.*?)\s*\bnear\s+(?P<place>.+)$", re.I)


def split_near(text: str) -> tuple[str, str]:
    """Split "youth club near OL1 1AA" into ("youth club", "OL1 1AA"); without "near" the place is ""."""
    text = " ".join((text or "").split())
    match = _NEAR.match(text)
    if not match:
        return text, ""
    return match.group("words").strip(), match.group("place").strip()


def keyword_mask(assets: pd.DataFrame, words: str) -> pd.Series:
    """Return True for each row where every word appears in one of the keyword columns (folded: see search.text)."""
    terms = [f for f in (fold(t) for t in re.split(r"\s+", (words or "").strip())) if f]
    columns = [c for c in KEYWORD_COLUMNS if c in assets.columns]
    if not columns:
        raise ValueError(f"no columns to search: the frame needs one of {', '.join(KEYWORD_COLUMNS)}")
    if not terms:
        return pd.Series(True, index=assets.index)
    text = assets[columns[0]].map(fold)
    for column in columns[1:]:
        text = text + " " + assets[column].map(fold)
    mask = pd.Series(True, index=assets.index)
    for term in terms:
        mask &= text.str.contains(term, regex=False)
    return mask


def filter_assets(
    assets: gpd.GeoDataFrame,
    words: str = "",
    kind: str | None = None,
    ward: str | None = None,
    near: tuple[float, float] | None = None,
    radius_m: float = 1000.0,
) -> gpd.GeoDataFrame:
    """Return the places that match every filter given; with `near` (lon, lat), nearest first.

    With `near`, a `distance_m` column holds the straight-line distance, measured in EPSG:27700
    (metres), and only places within `radius_m` are kept.
    """
    if assets.crs is None:
        raise ValueError("the places have no CRS: cannot measure distances")
    if radius_m <= 0:
        raise ValueError(f"radius_m must be positive, not {radius_m}")
    out = assets[keyword_mask(assets, words)]
    if kind:
        out = out[out["kind"] == kind]
    if ward:
        out = out[out["ward_code"] == ward]
    out = out.copy()
    if near is None:
        return out
    centre = gpd.GeoSeries([Point(near)], crs="EPSG:4326").to_crs(BNG).iloc[0]
    out["distance_m"] = out.geometry.to_crs(BNG).distance(centre) if len(out) else pd.Series(dtype=float)
    out = out[out["distance_m"] <= radius_m]
    return out.sort_values(["distance_m", "name"])
