"""Apply one committed change to the gap store: only the rows of the wards it touched.

A need's ward, or the wards within the access distance of a place that changed, in the tables of
the kinds it touched and "all needs", by every kept method: their stored rows are patched, their
figures worked out again (webmap/analysis/derive.py) and written by the store's one writer with
each touched table's new area figures. Every other ward keeps its row; pages work its figures out
from it and the area figures, exactly as a full rebuild gives them. A table that missed a change,
or a change of wards, population or categories, is rebuilt in full.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import exists, select, update

from webmap.analysis import derive, incremental
from webmap.analysis import gaps as analysis_gaps
from webmap.core import store
from webmap.core.db import db
from webmap.core.models import GapTable, PopulationArea
from webmap.gaps import changes
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore
from webmap.scale import pages as scale_pages
from webmap.scale import versions


def merged(found: Iterable[gapstore.Change]) -> gapstore.Change | None:
    """Return consecutive changes (by version) as one change with the last version, or None if there is a gap."""
    found = sorted(found, key=lambda c: c.version)
    if not found or any(b.version != a.version + 1 for a, b in zip(found, found[1:])):
        return None
    return changes.bounded(
        gapstore.Change(
            found[-1].version,
            tuple(sorted({n for c in found for n in c.needs})),
            tuple(sorted({p for c in found for p in c.places})),
            any(c.all_needs for c in found),
            any(c.full for c in found),
            found[0].version,
        )
    )


def apply_changes(found: list[gapstore.Change], kind: str = "refresh") -> str:
    """Apply one commit's changes or several consecutive ones (apply_change); say how."""
    if not found:
        return "current"
    together = merged(found)
    if together is None:
        return apply_change(gapstore.Change(max(c.version for c in found), full=True), kind)
    return apply_change(together, kind)


def apply_change(change: gapstore.Change, kind: str = "refresh") -> str:
    """Bring the kept tables up to date after one committed change; commit; say how ("current", "incremental", "full").

    Only the rows of the wards the change touched are worked out again and written: a need's
    ward, or the wards within the access distance of a place that changed, in the tables of
    the kinds it touched and "all needs". Every other ward keeps its row: the area-wide
    figures (smoothing prior, best score, area rates) are kept once per table and each
    ward's figures are worked out from its row and them when read (webmap/analysis/derive.py),
    exactly as a full rebuild gives them. A table that missed an earlier change, or a change
    to wards, population or categories, is rebuilt in full.
    """
    kept = dict(db.session.execute(select(GapTable.key, GapTable.version)).all())
    if not kept:
        return "current"
    version = versions.current(versions.DATA)
    if all(v == version for v in kept.values()):
        return "current"
    stale = change.full or change.version != version or any(v != change.base for v in kept.values())
    if stale or any(a is None for a in gapstore.areas_of(kept).values()):
        # A change made from older tables, one whose ward/population/category effects reach
        # everything, or tables kept before they had area figures.
        gapstore.refresh(list(kept), kind)
        return "full"
    categories = {c for _, c in change.needs} | {c for _, _, c in change.places}
    needs = _needs_touched(change)
    tables: dict[str, pd.DataFrame] = {}
    areas: dict[str, dict] = {}
    made: dict[str, pd.DataFrame] = {}
    by_query: dict[tuple, list[str]] = {}
    read: dict[tuple, tuple] = {}
    for key in kept:
        query = gapstore.query_of(key)
        by_query.setdefault((query.method, query.distance, query.deprivation_weight), []).append(key)
    for (method, distance, weighted), keys in by_query.items():
        wanted = [
            k
            for k in keys
            if not gapstore.query_of(k).overall and (change.all_needs or gapstore.query_of(k).category in categories)
        ]
        local = None
        if change.places:
            # Every method reads the same places and residents around the change: read once per distance.
            around = (distance, frozenset(gapstore.query_of(k).category for k in wanted))
            if around not in read:
                read[around] = _local_inputs(change, distance, set(around[1]))
            local = read[around]
        patched: dict[str, tuple[pd.DataFrame, list[str]]] = {}
        for key in wanted:
            category = gapstore.query_of(key).category
            inputs = gapstore.stored_inputs(key, kept[key]).copy()
            _patch_needs(inputs, needs, category)
            if local is not None and any(c == category for _, _, c in change.places):
                wards, assets, points, codes = local
                access = incremental.local_access(
                    wards, assets[assets["category"] == category], points, category, method, distance, codes
                )
                _patch(inputs, access, list(access.columns))
            touched = _touched(gapstore.stored_inputs(key, kept[key]), inputs)
            whole = derive.category_table(inputs, category, method, distance, weighted)
            tables[key] = whole[whole["ward_code"].isin(touched)]
            areas[key] = derive.category_area(inputs)
            made[key] = inputs
            patched[category] = (inputs, touched)
        for key in [k for k in keys if gapstore.query_of(k).overall]:
            if not patched and not change.all_needs:
                continue
            inputs = gapstore.stored_inputs(key, kept[key]).copy()
            column = "access_share" if method == "share" else "access_score"
            for category, (rows, touched) in patched.items():
                part = rows.set_index("ward_code").loc[touched]
                part = part.rename(columns={"need_count": derive.NEED + category, column: derive.ACCESS + category})
                _patch(inputs, part, [derive.NEED + category, derive.ACCESS + category])
            if needs["wards"] is None:
                inputs["responses"] = 0.0  # every ward's responses are counted again
            _patch(inputs, needs["people"], ["responses"])
            touched = _touched(gapstore.stored_inputs(key, kept[key]), inputs)
            whole = derive.overall_table(inputs, derive.overall_asked(inputs), method, distance, weighted)
            rows, area = gapstore.overall_rows(whole[whole["ward_code"].isin(touched)], inputs, method)
            tables[key], areas[key], made[key] = rows, area, inputs
    gapstore.write(tables, version, kind, areas=areas, partial=True)
    # The tables the change could not touch reflect the new data as they are.
    db.session.execute(update(GapTable).where(GapTable.version == change.base).values(version=version))
    db.session.commit()
    gapstore.carry_stored(change.base, version, made)
    for key, inputs in made.items():
        gapstore.keep_stored(key, version, inputs)
    return "incremental"


def _needs_touched(change: gapstore.Change) -> dict:
    """Return the needs a change's rows rest on: per category the wards' stated needs and responses, and responses over all.

    A change to some needs reads only those wards' needs; a bulk change (a survey round) every ward's.
    """
    if change.all_needs:
        frame = store.needs_frame()
        wards = None
    else:
        wards = sorted({w for w, _ in change.needs})
        parts = [store.needs_frame(ward=w) for w in wards]
        frame = pd.concat(parts, ignore_index=True) if parts else store.needs_frame(ward="")
    summary = analysis_gaps.need_summary(frame)
    people = analysis_gaps.ward_responses(frame)
    return {"summary": summary, "wards": wards, "people": _over(people.to_frame("responses"), wards)}


def _over(frame: pd.DataFrame, wards: list[str] | None) -> pd.DataFrame:
    """Return the frame with a row for each of these wards (None: as it is); wards it lacks count 0."""
    return frame if wards is None else frame.reindex(wards, fill_value=0.0)


def _patch_needs(inputs: pd.DataFrame, needs: dict, category: str) -> None:
    """Set the stated needs and responses of a category's rows for the wards the needs cover (every ward: all 0 first)."""
    summary = needs["summary"]
    mine = summary[summary["category"] == category].set_index("ward_code")[["count", "responses"]]
    mine = mine.rename(columns={"count": "need_count"})
    if needs["wards"] is None:
        inputs["need_count"] = 0.0
        inputs["responses"] = 0.0
        _patch(inputs, mine, ["need_count", "responses"])
    else:
        _patch(inputs, _over(mine, needs["wards"]), ["need_count", "responses"])


def _patch(inputs: pd.DataFrame, values: pd.DataFrame, columns: list[str]) -> None:
    """Set these columns of the rows (in ward-code order) of the wards *values* is indexed by."""
    if not len(values):
        return
    position = pd.Index(inputs["ward_code"].astype(str)).get_indexer(values.index.astype(str))
    present = position >= 0
    for column in columns:
        if column not in inputs.columns:
            inputs[column] = 0.0 if column.startswith(derive.NEED) else np.nan
        target = inputs.columns.get_loc(column)
        inputs.iloc[position[present], target] = values[column].to_numpy()[present]


def _touched(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """Return the wards whose stored row differs (a number changed, or became known or unknown)."""
    differs = np.zeros(len(after), dtype=bool)
    for column in after.columns:
        a = after[column]
        b = before[column] if column in before.columns else pd.Series([None] * len(after))
        if pd.api.types.is_numeric_dtype(a):
            x, y = pd.to_numeric(a).to_numpy(dtype="float64"), pd.to_numeric(b).to_numpy(dtype="float64")
            differs |= ~((x == y) | (np.isnan(x) & np.isnan(y)))
        else:
            differs |= a.astype(object).to_numpy() != b.astype(object).to_numpy()
    return after["ward_code"].astype(str)[differs].tolist()


def _local_inputs(change: gapstore.Change, distance: float, categories: set[str]):
    """Return (wards, places, population points, touched ward codes) around the places a change moved."""
    lon = np.array([x for x, _, _ in change.places])
    lat = np.array([y for _, y, _ in change.places])
    # Degrees generous enough for 4x the distance anywhere in the UK (a degree of longitude is
    # over 50 km up to Shetland); more is read than needed, never less.
    margin_lat, margin_lon = 4 * distance / 110_000, 4 * distance / 50_000
    bounds = (lon.min(), lat.min(), lon.max(), lat.max())
    wards = gaps_service.as_deciles(scale_pages.wards_near(bounds, margin_deg=max(margin_lat, margin_lon)))
    places = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=store.WGS84)
    codes = incremental.touched_wards(wards, places, distance)
    box = (lon.min() - margin_lon, lat.min() - margin_lat, lon.max() + margin_lon, lat.max() + margin_lat)
    assets = gaps_service.assets_layer(bbox=box)
    assets = assets[assets["category"].isin(sorted(categories)).to_numpy()]
    points = None
    if db.session.scalar(select(exists().where(PopulationArea.lon.is_not(None)))):
        points = store.population_points(bbox=box)
        if points is None:  # none in the box, but the area has points: residents are placed by them
            points = gpd.GeoDataFrame({"code": [], "ward_code": [], "population": []}, geometry=[], crs=store.WGS84)
    return wards, assets, points, codes
