"""Join the database to the gap analysis: load frames from the store, call webmap.analysis.

This is the only module that feeds database rows to the analysis package; views and CLI
commands call it and never pass frames to webmap.analysis themselves.
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import analysis, store

METHODS = analysis.METHODS  # ("count", "share", "2sfca", "e2sfca")
OVERALL = "all"
METHOD_LABELS = {
    "share": "Share within walking distance",
    "count": "Count per 1,000 residents",
    "2sfca": "Access score (2SFCA)",
    "e2sfca": "Access score with distance decay (E2SFCA)",
}
METHOD_HELP = {
    "share": "The share of the ward's residents who live within the distance of at least one such place.",
    "count": "How many such places are in the ward for every 1,000 people who live there.",
    "2sfca": "Access score: how many places per person can reach each, shared among everyone nearby. "
             "Each place's capacity is split between all the people within the distance of it, and each "
             "area adds up the shares it can reach (shown per 1,000 residents).",
    "e2sfca": "The same access score, but nearer places count more: full weight in the nearest third of "
              "the distance, 0.68 in the middle third and 0.22 in the furthest third.",
}
MIN_DISTANCE_M, MAX_DISTANCE_M = 100, 10_000


class NoWards(Exception):
    """There are no wards to analyse yet."""


@dataclass(frozen=True)
class GapQuery:
    """What to compute: a category id (or "all"), a method, a distance in metres, and deprivation weighting."""

    category: str
    method: str
    distance: float
    deprivation_weight: bool = False

    @property
    def overall(self) -> bool:
        return self.category == OVERALL


def check_query(category: str | None, method: str | None, distance: str | float | None, default_distance: float,
                deprivation: str | bool | None = None) -> GapQuery:
    """Return a checked query, or raise ValueError with a plain-English message naming the field."""
    category = (category or OVERALL).strip()
    if category != OVERALL and category not in store.category_labels():
        raise ValueError(f"Category: '{category}' is not a category. Choose one from the list, or all needs.")
    method = (method or "share").strip().lower()
    if method not in METHODS:
        raise ValueError(f"Method: '{method}' is not a method. Choose one of: {', '.join(METHODS)}.")
    if distance in (None, ""):
        value = float(default_distance)
    else:
        try:
            value = float(str(distance).strip())
        except ValueError:
            raise ValueError("Distance: enter the walking distance as a number of metres, like 800.") from None
    if not math.isfinite(value) or not MIN_DISTANCE_M <= value <= MAX_DISTANCE_M:
        raise ValueError(f"Distance: enter a number of metres between {MIN_DISTANCE_M:,} and {MAX_DISTANCE_M:,}.")
    weight = deprivation if isinstance(deprivation, bool) else str(deprivation or "").strip().lower() in ("1", "on", "yes", "true")
    return GapQuery(category, method, value, weight)


def _wards() -> gpd.GeoDataFrame:
    """Return the stored wards in the shape the analysis wants (deprivation as a decile or NaN)."""
    wards = store.wards_frame()
    if wards.empty:
        raise NoWards("There are no wards yet: import ward boundaries first.")
    # The analysis reads deprivation as an IMD decile; a rank or score in that column is not one.
    dep = wards["deprivation"]
    wards["deprivation"] = dep.where((dep >= 1) & (dep <= 10))
    return wards


def _assets() -> gpd.GeoDataFrame:
    """Return approved assets, one row per (asset, category); assets without a category dropped."""
    assets = store.assets_frame(explode=True)
    return assets[assets["category"].notna()][["asset_id", "category", "geometry"]].reset_index(drop=True)


def _inputs() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame | None]:
    return _wards(), _assets(), store.needs_frame(), store.population_points()


def gap_frame(query: GapQuery) -> gpd.GeoDataFrame:
    """Return the analysis package's gap table for the query (every input kept as a column)."""
    wards, assets, needs, population = _inputs()
    if query.overall:
        return analysis.overall_gaps(wards, assets, needs, query.method, query.distance, population, query.deprivation_weight)
    return analysis.gap_table(wards, assets, needs, query.category, query.method, query.distance, population,
                              query.deprivation_weight)


def gap_frames(queries):
    """Yield (query, gap table) for each query, reading the data from the database once."""
    wards, assets, needs, population = _inputs()
    for query in queries:
        if query.overall:
            yield query, analysis.overall_gaps(wards, assets, needs, query.method, query.distance, population,
                                               query.deprivation_weight)
        else:
            yield query, analysis.gap_table(wards, assets, needs, query.category, query.method, query.distance,
                                            population, query.deprivation_weight)


def ward_gaps(code: str, method: str, distance: float) -> pd.DataFrame:
    """Return this ward's row of the gap table for every category (one row per category)."""
    wards, assets, needs, population = _inputs()
    rows = []
    for category in store.category_labels():
        table = analysis.gap_table(wards, assets, needs, category, method, distance, population)
        rows.append(table[table["ward_code"] == code].drop(columns="geometry"))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=analysis.GAP_COLUMNS)


def neighbours(wards: gpd.GeoDataFrame, code: str, tolerance_m: float = 1.0) -> gpd.GeoDataFrame:
    """Return the wards that touch ward `code` (within a metre, for boundaries that do not quite meet)."""
    metric = analysis.to_metric(wards)
    mine = metric[metric["code"] == code]
    if mine.empty:
        return wards.iloc[0:0]
    hits = metric.sindex.query(mine.geometry.iloc[0], predicate="dwithin", distance=tolerance_m)
    found = wards.iloc[np.sort(hits)]
    return found[found["code"] != code].sort_values("name")


def export_name(query: GapQuery, extension: str) -> str:
    """Return a download file name saying what the table holds."""
    weighted = "_deprivation-weighted" if query.deprivation_weight else ""
    return f"gaps_{query.category}_{query.method}_{query.distance:g}m{weighted}.{extension}"


FORMATS = {"csv": "text/csv", "geojson": "application/geo+json", "gpkg": "application/geopackage+sqlite3"}


def format_of(path: str) -> str:
    """Return the export format named by a file's extension, or raise ValueError."""
    extension = Path(path).suffix.lower().lstrip(".")
    extension = "geojson" if extension == "json" else extension
    if extension not in FORMATS:
        raise ValueError(f"'{Path(path).name}' must end in .csv, .geojson or .gpkg so the format is known.")
    return extension


def write_table(table: gpd.GeoDataFrame, path: str | Path, fmt: str | None = None) -> None:
    """Write the gap table with every column: CSV (no geometry), GeoJSON, or a GeoPackage layer "gaps"."""
    fmt = fmt or format_of(str(path))
    if fmt == "csv":
        pd.DataFrame(table.drop(columns=table.geometry.name)).to_csv(path, index=False)
    elif fmt == "geojson":
        Path(path).write_text(table.to_json(drop_id=True, na="null"), encoding="utf-8")
    elif fmt == "gpkg":
        # GeoPackage has no nullable integers: the rank (NA for wards without a gap) goes as a float.
        out = table.copy()
        out["rank"] = out["rank"].astype("float64")
        out.to_file(path, driver="GPKG", layer="gaps", engine="pyogrio")
    else:
        raise ValueError(f"unknown format {fmt!r}")


def export_bytes(table: gpd.GeoDataFrame, fmt: str) -> bytes:
    """Return the gap table written in this format."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"gaps.{fmt}"
        write_table(table, path, fmt)
        return path.read_bytes()
