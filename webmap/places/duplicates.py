"""Find likely duplicate assets: a similar name within a short walk, the same name within 500 m, or a similar
name at the same postcode.

Pure functions over GeoDataFrames (no Flask, no database), so they are easy to test and reuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

import geopandas as gpd
import pandas as pd

from webmap.core.text import fold

BNG = "EPSG:27700"
RADIUS_M = 150.0
# The same name (once folded: "St Mary's Hall" = "st marys hall") is worth a look further away.
SAME_NAME_RADIUS_M = 500.0
MIN_SIMILARITY = 0.8
# Words that say little about which place it is; dropping them stops "The X" differing from "X".
_FILLER = {"the", "ltd", "limited", "cic", "uk"}


@dataclass(frozen=True)
class Duplicate:
    """A likely duplicate of asset `asset_id`: the other asset, how far apart, and how alike the names are."""

    asset_id: int
    other_id: int
    other_name: str
    distance_m: float
    same_postcode: bool
    similarity: float


def normalise_name(name: object) -> str:
    """Return a name folded for comparison (search.text.fold: case, accents, apostrophes), '&' as 'and'."""
    words = fold(str(name or "").replace("&", " and ")).split()
    return " ".join(w for w in words if w not in _FILLER)


def name_similarity(a: object, b: object) -> float:
    """Return how alike two names are, from 0 to 1, after normalising them."""
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return 0.0
    return SequenceMatcher(None, na, nb).ratio()


def _postcode(value: object) -> str | None:
    # A missing postcode arrives as None, "" or NaN (str(NaN) is "nan"): none of them is a postcode,
    # so places without one never match each other on "same postcode".
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    return text or None


def find_duplicates(
    candidates: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    radius_m: float = RADIUS_M,
    min_similarity: float = MIN_SIMILARITY,
) -> list[Duplicate]:
    """Return likely duplicates of each candidate among `existing` (each frame: id, name, postcode, geometry).

    A pair counts when the names are at least `min_similarity` alike and the points lie within
    `radius_m` metres (measured in EPSG:27700) or share a postcode, or when the names are the same
    once normalised and the points lie within SAME_NAME_RADIUS_M. An asset is never its own duplicate.
    """
    if candidates.empty or existing.empty:
        return []
    left = candidates[["id", "name", "postcode", "geometry"]].to_crs(BNG).reset_index(drop=True)
    right = existing[["id", "name", "postcode", "geometry"]].to_crs(BNG).reset_index(drop=True)
    reach = max(radius_m, SAME_NAME_RADIUS_M)
    near = gpd.sjoin(left, right, predicate="dwithin", distance=reach, lsuffix="l", rsuffix="r")
    pairs = {(int(i), int(j)) for i, j in zip(near.index, near["index_r"])}
    left_pc = left["postcode"].map(_postcode)
    right_pc = right["postcode"].map(_postcode)
    by_postcode = pd.merge(
        pd.DataFrame({"i": left.index, "pc": left_pc}).dropna(),
        pd.DataFrame({"j": right.index, "pc": right_pc}).dropna(),
        on="pc",
    )
    pairs |= {(int(i), int(j)) for i, j in zip(by_postcode["i"], by_postcode["j"])}

    found = []
    for i, j in sorted(pairs):
        a, b = left.iloc[i], right.iloc[j]
        if a["id"] == b["id"]:
            continue
        score = name_similarity(a["name"], b["name"])
        distance = float(a.geometry.distance(b.geometry))
        same_pc = left_pc.iloc[i] is not None and left_pc.iloc[i] == right_pc.iloc[j]
        same_name = bool(normalise_name(a["name"])) and normalise_name(a["name"]) == normalise_name(b["name"])
        close_and_alike = score >= min_similarity and (distance <= radius_m or same_pc)
        if not (close_and_alike or (same_name and distance <= SAME_NAME_RADIUS_M)):
            continue
        found.append(
            Duplicate(int(a["id"]), int(b["id"]), str(b["name"]), round(distance, 1), bool(same_pc), round(score, 3))
        )
    return sorted(found, key=lambda d: (d.asset_id, -d.similarity, d.distance_m))


def likely_matches(
    candidate: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    radius_m: float = RADIUS_M,
    min_similarity: float = MIN_SIMILARITY,
    limit: int = 10,
) -> list[Duplicate]:
    """Return what one place may be a duplicate of: any place within `radius_m`, or an alike name at its postcode.

    The duplicate warning needs alike names; a moderator choosing what to merge into also sees every
    place on the same spot (a renamed group, a typo too big to match). Alike names come first, then nearest.
    """
    found = find_duplicates(candidate, existing, radius_m, min_similarity=0.0)
    keep = [d for d in found if d.distance_m <= radius_m or d.similarity >= min_similarity]
    return sorted(keep, key=lambda d: (d.similarity < min_similarity, d.distance_m, -d.similarity))[:limit]


def duplicates_by_asset(found: list[Duplicate]) -> dict[int, list[Duplicate]]:
    """Group duplicates under the asset they are duplicates of."""
    out: dict[int, list[Duplicate]] = {}
    for d in found:
        out.setdefault(d.asset_id, []).append(d)
    return out
