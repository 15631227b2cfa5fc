"""Gap tables computed once per data version and kept in the database, one row per ward and query.

A page reads its table (or one ward's rows) from gap_rows; only the first request after the data
changed, or `flask gaps rebuild`, runs the analysis. Every figure the analysis returns is kept, so
a stored table shows exactly what a fresh one would.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from typing import Iterable

import pandas as pd
from sqlalchemy import delete, insert, select

from .. import gaps_service
from ..db import db
from . import versions
from .models import GapRow

BATCH = 2000


def key_of(query: gaps_service.GapQuery) -> str:
    """Return the stored key of a query: category|method|distance|deprivation weighting."""
    return f"{query.category}|{query.method}|{query.distance:g}|{int(query.deprivation_weight)}"


# Columns that are numbers even when every stored value is empty (JSON null): NaN, never None.
NUMERIC = ["population", "assets_in_ward", "assets_per_1000", "assets_within_distance", "access_share", "access_score",
           "access_norm", "need_count", "responses", "need_per_1000", "area_need_per_1000", "own_rate_weight",
           "need_per_1000_smoothed", "deprivation", "deprivation_factor", "unmet_share", "gap_score", "unmet_residents",
           "rank", "distance_m", "top_category_gap", "categories_considered"]


def _frame(figures: Iterable[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(json.loads("[" + ",".join(figures) + "]"))
    for column in NUMERIC:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame


# The last few tables read, by (database, key, data version): a new version is a new entry, so a
# table is never served stale, and a warm page skips parsing thousands of rows again.
_RECENT: OrderedDict[tuple[str, str, int], pd.DataFrame] = OrderedDict()
RECENT_MAX = 8


def stored_table(query: gaps_service.GapQuery) -> pd.DataFrame | None:
    """Return the stored table for a query if it is from the current data, else None."""
    version = versions.current(versions.DATA)
    cache_key = (db.engine.url.render_as_string(hide_password=True), key_of(query), version)
    if cache_key in _RECENT:
        _RECENT.move_to_end(cache_key)
        return _RECENT[cache_key].copy()
    rows = db.session.execute(select(GapRow.version, GapRow.figures).where(GapRow.key == key_of(query))).all()
    if not rows or any(v != version for v, _ in rows):
        return None
    table = _frame(f for _, f in rows)
    _RECENT[cache_key] = table
    while len(_RECENT) > RECENT_MAX:
        _RECENT.popitem(last=False)
    return table.copy()


def store_table(query: gaps_service.GapQuery, table: pd.DataFrame) -> None:
    """Replace the stored table for a query with this one (geometry dropped), at the current data version."""
    plain = pd.DataFrame(table.drop(columns=[c for c in ("geometry",) if c in table.columns]))
    records = json.loads(plain.to_json(orient="records", date_format="iso"))
    version, key = versions.current(versions.DATA), key_of(query)
    db.session.execute(delete(GapRow).where(GapRow.key == key))
    rows = [{"key": key, "ward_code": r["ward_code"], "version": version, "figures": json.dumps(r, separators=(",", ":"))}
            for r in records]
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(GapRow), rows[start:start + BATCH])


def gap_table(query: gaps_service.GapQuery) -> pd.DataFrame:
    """Return the gap table for a query (no geometry): stored if current, else computed now and stored."""
    table = stored_table(query)
    if table is None:
        table = pd.DataFrame(gaps_service.gap_frame(query).drop(columns="geometry"))
        store_table(query, table)
        db.session.commit()
        table = stored_table(query)
    return table


def ward_rows(code: str, method: str, distance: float, categories: Iterable[str]) -> pd.DataFrame:
    """Return one ward's stored row of the gap table for each category, computing any that are missing."""
    queries = [gaps_service.GapQuery(c, method, float(distance)) for c in categories]
    keys = {key_of(q): q for q in queries}
    version = versions.current(versions.DATA)
    found = dict(db.session.execute(select(GapRow.key, GapRow.figures).where(
        GapRow.ward_code == code, GapRow.key.in_(list(keys)), GapRow.version == version)).all())
    missing = [q for k, q in keys.items() if k not in found]
    if missing:
        rebuild(missing)
        found = dict(db.session.execute(select(GapRow.key, GapRow.figures).where(
            GapRow.ward_code == code, GapRow.key.in_(list(keys)), GapRow.version == version)).all())
    return _frame(found[key_of(q)] for q in queries if key_of(q) in found)


def rebuild(queries: list[gaps_service.GapQuery]) -> int:
    """Compute and store these tables from one read of the data; drop tables of older data; return tables."""
    done = 0
    for query, table in gaps_service.gap_frames(queries):
        store_table(query, table)
        done += 1
    db.session.execute(delete(GapRow).where(GapRow.version != versions.current(versions.DATA)))
    db.session.commit()
    return done


def default_queries(categories: Iterable[str], distance: float) -> list[gaps_service.GapQuery]:
    """Return what the pages ask for first: every category and all needs, by share within the distance."""
    return [gaps_service.GapQuery(c, "share", float(distance)) for c in [gaps_service.OVERALL, *categories]]
