"""Join the database to the gap analysis: load frames from the store, call webmap.analysis.

This is the only module that feeds database rows to the analysis package; views and CLI
commands call it and never pass frames to webmap.analysis themselves.

Entry points (for pages, the CLI, and anything that stores gap tables or snapshots):

* ``check_query(...) -> GapQuery``       validate a category/method/distance/deprivation choice
* ``gap_frame(query)``                   the ranked gap table for one category or "all" (every input a column;
                                         ranking figure ``gap_score`` = unmet need per 1,000, with ``responses``
                                         and ``few_responses`` on every row; see docs/gap-analysis.md)
* ``ward_profile(code, method, distance)`` all wards with the one population rule, and one ward's row
                                         for every category, computed in one pass
* ``wards_with_population()``            the stored wards with the population every page shows
* ``caveats(query, table)``, ``summary_lines(table)``  the warnings and top rows the page and CLI print
* ``write_table`` / ``export_bytes``     CSV, GeoJSON or GeoPackage with every column
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from flask import has_request_context
from flask_babel import LazyString
from flask_babel import gettext as _babel_gettext
from flask_babel import ngettext as _babel_ngettext

from webmap import analysis
from webmap.core import memory, store
from webmap.core.csvsafe import write_csv


# The CLI prints these sentences too, with an app but no request (so no reader's language): English there.
def _(message: str, **values) -> str:
    return _babel_gettext(message, **values) if has_request_context() else (message % values if values else message)


def _l(message: str) -> LazyString:
    """A label translated when shown: in the reader's language on a page, English in the CLI."""
    return LazyString(_, message)


def ngettext(singular: str, plural: str, num: int, **values) -> str:
    if has_request_context():
        return _babel_ngettext(singular, plural, num, **values)
    return (singular if num == 1 else plural) % {"num": num, **values}


METHODS = analysis.METHODS  # ("count", "share", "2sfca", "e2sfca")
FEW_RESPONSES = analysis.FEW_RESPONSES  # rows resting on fewer responses are flagged "few responses"
OVERALL = analysis.OVERALL  # "all": every need residents stated
# Lazy: each page shows them in its reader's language; outside a request (the CLI) they read in English.
METHOD_LABELS = {
    "share": _l("Share within walking distance"),
    "count": _l("Count per 1,000 residents"),
    "2sfca": _l("Access score (2SFCA)"),
    "e2sfca": _l("Access score with distance decay (E2SFCA)"),
}
METHOD_HELP = {
    "share": _l("The share of the ward's residents who live within the distance of at least one such place."),
    "count": _l("How many such places are in the ward for every 1,000 people who live there."),
    "2sfca": _l(
        "Access score: how many places per person can reach each, shared among everyone nearby. "
        "Each place's capacity is split between all the people within the distance of it, and each "
        "area adds up the shares it can reach (shown per 1,000 residents)."
    ),
    "e2sfca": _l(
        "The same access score, but nearer places count more: full weight in the nearest third of "
        "the distance, 0.68 in the middle third and 0.22 in the furthest third."
    ),
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


def check_query(
    category: str | None,
    method: str | None,
    distance: str | float | None,
    default_distance: float,
    deprivation: str | bool | None = None,
) -> GapQuery:
    """Return a checked query, or raise ValueError with a plain-English message naming the field."""
    category = (category or OVERALL).strip()
    if category != OVERALL and category not in store.category_labels():
        raise ValueError(
            _("Category: '%(category)s' is not a category. Choose one from the list, or all needs.", category=category)
        )
    method = (method or "share").strip().lower()
    if method not in METHODS:
        raise ValueError(
            _(
                "Method: '%(method)s' is not a method. Choose one of: %(methods)s.",
                method=method,
                methods=", ".join(METHODS),
            )
        )
    if distance in (None, ""):
        value = float(default_distance)
    else:
        try:
            value = float(str(distance).strip())
        except ValueError:
            raise ValueError(_("Distance: enter the walking distance as a number of metres, like 800.")) from None
    if not math.isfinite(value) or not MIN_DISTANCE_M <= value <= MAX_DISTANCE_M:
        raise ValueError(
            _(
                "Distance: enter a number of metres between %(low)s and %(high)s.",
                low=f"{MIN_DISTANCE_M:,}",
                high=f"{MAX_DISTANCE_M:,}",
            )
        )
    weight = (
        deprivation
        if isinstance(deprivation, bool)
        else str(deprivation or "").strip().lower() in ("1", "on", "yes", "true")
    )
    return GapQuery(category, method, value, weight)


def _wards() -> gpd.GeoDataFrame:
    """Return the stored wards in the shape the analysis wants (deprivation as a decile or NaN)."""
    wards = store.wards_frame()
    if wards.empty:
        raise NoWards(_("There are no wards yet: import ward boundaries first."))
    return as_deciles(wards)


def as_deciles(wards: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Blank the deprivation figures that are not IMD deciles (a rank or score in that column is not one)."""
    dep = wards["deprivation"]
    wards["deprivation"] = dep.where((dep >= 1) & (dep <= 10))
    return wards


def wards_with_population() -> gpd.GeoDataFrame:
    """Return the stored wards with ``population`` (and ``population_method``) by the one documented rule.

    With small-area points loaded, a ward's population is the sum of the points inside it (what the
    gap analysis uses); otherwise the imported ward figure. Every page, export and API shows this.
    """
    wards = store.wards_frame()
    if wards.empty:
        return wards.assign(population_method=pd.Series(dtype=object))
    figures = analysis.ward_population(wards, store.population_points())
    wards["population"] = figures["population"].reindex(wards["code"]).to_numpy()
    wards["population_method"] = figures["population_method"].reindex(wards["code"]).to_numpy()
    return wards


def assets_layer(bbox: tuple[float, float, float, float] | None = None) -> analysis.PointLayer:
    """Return approved assets as coordinates, one row per (asset, category); assets without a category dropped."""
    frame = store.asset_coordinates(bbox)
    return analysis.PointLayer.from_xy(frame[["asset_id", "category"]], frame["lon"], frame["lat"], store.WGS84)


def _assets() -> analysis.PointLayer:
    return assets_layer()


def _inputs(
    as_of: date | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame | None]:
    return _wards(), _assets(), store.needs_frame(as_of=as_of), store.population_points()


def gap_frame(query: GapQuery, as_of: date | None = None) -> gpd.GeoDataFrame:
    """Return the analysis package's gap table for the query (every input kept as a column).

    `as_of` counts the needs in force on that day (default today: see store.needs_in_force).
    """
    wards, assets, needs, population = _inputs(as_of)
    if query.overall:
        return analysis.overall_gaps(
            wards, assets, needs, query.method, query.distance, population, query.deprivation_weight
        )
    return analysis.gap_table(
        wards, assets, needs, query.category, query.method, query.distance, population, query.deprivation_weight
    )


def gap_frames(queries):
    """Yield (query, gap table) for each query, reading the data once and analysing each method once.

    The tables' outlines are in the metric CRS the analysis works in (the store keeps no outline):
    reprojected once here, the lon/lat outlines are not held beside them (40 MB nationally).
    """
    wards, assets, needs, population = _inputs()
    wards = analysis.to_metric(wards)
    memory.give_back()  # what reading a million places took beyond what is kept of them
    groups: dict[tuple, list[GapQuery]] = {}
    for query in queries:
        groups.setdefault((query.method, query.distance, query.deprivation_weight), []).append(query)
    # One table at a time, in the order asked, each written before the next is made: a national
    # rebuild never holds a method's every table; the inputs are prepared once for every method.
    runs = [
        (method, distance, weighted, [q.category for q in asked])
        for (method, distance, weighted), asked in groups.items()
    ]
    made = analysis.iter_method_tables(wards, assets, needs, runs, population)
    del wards, assets, needs, population  # the tables' maker holds them only until it has prepared them
    for query, (_, table) in zip([q for asked in groups.values() for q in asked], made, strict=True):
        yield query, table


def ward_gaps(code: str, method: str, distance: float) -> pd.DataFrame:
    """Return this ward's row of the gap table for every category (one row per category), in one pass."""
    return ward_profile(code, method, distance)[1]


def ward_profile(code: str, method: str, distance: float) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return (all wards with the one population rule applied, this ward's gap row for every category).

    Reads the inputs once and computes every category in one pass over them.
    """
    wards, assets, needs, population = _inputs()
    categories = list(store.category_labels())
    rows = analysis.category_gaps(wards, assets, needs, categories, method, distance, population, ward_codes=[code])
    figures = analysis.ward_population(wards, population)
    wards["population"] = figures["population"].reindex(wards["code"]).to_numpy()
    wards["population_method"] = figures["population_method"].reindex(wards["code"]).to_numpy()
    return wards, rows


def ward_need_totals(code: str) -> tuple[float, float]:
    """Return (responses, stated needs) of one ward over every kind of place, from the needs in force today.

    A response naming several kinds of place counts once (webmap.analysis.gaps.ward_responses).
    """
    needs = store.needs_frame(ward=code)
    responses = analysis.ward_responses(needs).get(code, 0.0) if len(needs) else 0.0
    return float(responses), float(needs["count"].sum())


def ward_rows_in_order(gaps: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Return a ward's gap rows as the profile and the printed report show them (one order for both).

    Adds `label`, `asked` and `bar` (the row's unmet need as a share of the ward's biggest, for a bar):
    kinds residents asked for first, biggest unmet need first, unknown last.
    """
    gaps = gaps.copy()
    gaps["label"] = gaps["category"].map(labels)
    gaps["asked"] = gaps["need_count"].fillna(0) > 0
    gaps = gaps.sort_values(
        ["asked", "gap_score", "need_count", "label"], ascending=[False, False, False, True], na_position="last"
    )
    top_gap = gaps["gap_score"].max()
    gaps["bar"] = (gaps["gap_score"] / top_gap * 100) if top_gap and top_gap == top_gap else 0.0
    return gaps


def caveats(query: GapQuery, table: pd.DataFrame) -> list[str]:
    """Plain-English warnings the page and the CLI both give about what the figures rest on."""
    notes = []
    if table["population"].isna().all():
        notes.append(
            _(
                "No ward has a population figure yet, so no rate can be worked out and nothing is ranked. "
                "Import population first: flask import-population with a ward table, or small areas with "
                "a lookup (see docs/importing.md)."
            )
        )
    if query.deprivation_weight and not table["deprivation"].notna().any():
        notes.append(
            _(
                "Deprivation weighting was asked for, but no ward has a deprivation decile, so it had no effect. "
                "Import a ward table with an IMD decile column (flask import-population) to use it."
            )
        )
    few = int((table["few_responses"] & table["population"].notna()).sum())
    if few and table["need_count"].sum() > 0:
        notes.append(
            ngettext(
                '%(num)d ward rests on fewer than %(few)d responses (marked "few responses"): those figures '
                "are pulled toward the area rate and could change a lot with a few more answers.",
                '%(num)d wards rest on fewer than %(few)d responses (marked "few responses"): those figures '
                "are pulled toward the area rate and could change a lot with a few more answers.",
                few,
                few=FEW_RESPONSES,
            )
        )
    return notes


def summary_lines(table: pd.DataFrame, top: int = 3) -> list[str]:
    """The top rows of a ranked gap table as CLI lines: rank, ward, unmet need, responses and flag."""
    lines = []
    for row in table.dropna(subset=["rank"]).head(top).itertuples():
        flag = "; few responses" if row.few_responses else ""
        lines.append(
            f"  {int(row.rank)}. {row.ward_name} ({row.ward_code}): unmet need {row.gap_score:,.2f} per 1,000 "
            f"({row.responses:,.0f} responses, {row.need_count:,.0f} stated needs{flag})"
        )
    return lines


def neighbours(wards: gpd.GeoDataFrame, code: str, tolerance_m: float = 1.0) -> gpd.GeoDataFrame:
    """Return the wards that touch ward `code` (within a metre, for boundaries that do not quite meet)."""
    metric = analysis.to_metric(wards)
    mine = metric[metric["code"] == code]
    if mine.empty:
        return wards.iloc[0:0]
    hits = metric.sindex.query(mine.geometry.iloc[0], predicate="dwithin", distance=tolerance_m)
    found = wards.iloc[np.sort(hits)]
    return found[found["code"] != code].sort_values("name")


def with_outlines(table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return a stored gap table (no geometry) with each ward's outline, rows in the table's order."""
    wards = store.wards_frame(table["ward_code"].tolist()).set_index("code")
    geometry = wards.geometry.reindex(table["ward_code"].to_numpy())
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geometry.to_numpy(), crs=wards.crs)


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
        write_csv(path, table)
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


def tables_at(categories: list[str], moments: list[datetime], method: str, distance: float) -> dict[datetime, dict]:
    """Return {moment: {category: gap table}} for the map as it stood at each moment.

    A place counts from the moment it was on the map and open (store.on_map_since: a submitted
    place from its approval, an import from its record, and never before its stated opening
    day); needs count as on that day. A later import has no effect on an earlier moment.
    """
    if not moments:
        return {}
    wards, assets, population = _wards(), _assets(), store.population_points()
    since = store.on_map_since().set_index("asset_id")["on_map_from"]
    times = np.sort(since.to_numpy(dtype="datetime64[ns]"))
    cache: dict[tuple, dict] = {}
    out = {}
    for moment in moments:
        # Moments between the same two place events on the same day see the same map: compute once.
        key = (int(np.searchsorted(times, np.datetime64(moment, "ns"), side="right")), moment.date())
        if key not in cache:
            ids = since.index[since.to_numpy(dtype="datetime64[ns]") <= np.datetime64(moment, "ns")]
            cache[key] = analysis.gap_tables(
                wards,
                assets[assets["asset_id"].isin(ids)],
                store.needs_frame(as_of=moment.date()),
                list(categories),
                method,
                distance,
                population,
                overall=False,
            )
        out[moment] = cache[key]
    return out


def snapshot_tables(methods: tuple[str, ...], distance: float, as_of: date | None = None):
    """Yield (category, method, gap table) for every category with stated need on `as_of`, loading inputs once."""
    wards, assets, needs, population = _inputs(as_of)
    asked = [str(c) for c in sorted(needs.loc[needs["count"] > 0, "category"].unique())]
    by_method = {
        method: analysis.gap_tables(wards, assets, needs, asked, method, distance, population, overall=False)
        for method in methods
    }
    for category in asked:
        for method in methods:
            yield category, method, by_method[method][category]
