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

from webmap.gaps import service as gaps_service
from webmap.core.db import db
from webmap.scale import refresh, versions
from webmap.scale.models import GapRow

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
    found = latest_table(query)
    return found[0] if found is not None and found[1] == versions.current(versions.DATA) else None


def is_current(query: gaps_service.GapQuery) -> bool:
    """Say whether a stored table for the query exists from the current data (one indexed read)."""
    version = db.session.scalar(select(GapRow.version).where(GapRow.key == key_of(query)).limit(1))
    return version is not None and version == versions.current(versions.DATA)


def latest_table(query: gaps_service.GapQuery) -> tuple[pd.DataFrame, int] | None:
    """Return the last stored table for a query and the data version it was made from (None if never stored)."""
    key = key_of(query)
    version = db.session.scalar(select(GapRow.version).where(GapRow.key == key).limit(1))
    if version is None:
        return None
    cache_key = (db.engine.url.render_as_string(hide_password=True), key, version)
    if cache_key in _RECENT:
        _RECENT.move_to_end(cache_key)
        return _RECENT[cache_key].copy(), version
    rows = db.session.execute(select(GapRow.version, GapRow.figures).where(GapRow.key == key)).all()
    if any(v != version for v, _ in rows):
        return None  # being replaced at this moment
    table = _frame(f for _, f in rows)
    _RECENT[cache_key] = table
    while len(_RECENT) > RECENT_MAX:
        _RECENT.popitem(last=False)
    return table.copy(), version


def table_for_page(query: gaps_service.GapQuery) -> tuple[pd.DataFrame | None, bool]:
    """Return (the table a page shows, whether it is from the current data).

    On a small area that is always a current table, computed now if need be. On a big area it is
    the last stored one (None if never stored), and a background refresh is asked for when that is
    out of date, so no visitor waits for the analysis of a whole country.
    """
    if not refresh.in_background():
        return gap_table(query), True
    found = latest_table(query)
    if found is not None and found[1] == versions.current(versions.DATA):
        return found[0], True
    refresh.request([key_of(query)])
    return (found[0] if found is not None else None), False


def store_table(query: gaps_service.GapQuery, table: pd.DataFrame, version: int | None = None) -> None:
    """Replace the stored table for a query with this one (geometry dropped), made from data `version`.

    Pass the version read before the data was: a change made meanwhile then leaves the table
    looking out of date (and recomputed), never newer than it is.
    """
    plain = pd.DataFrame(table.drop(columns=[c for c in ("geometry",) if c in table.columns]))
    records = json.loads(plain.to_json(orient="records", date_format="iso"))
    version = versions.current(versions.DATA) if version is None else version
    key = key_of(query)
    db.session.execute(delete(GapRow).where(GapRow.key == key))
    rows = [{"key": key, "ward_code": r["ward_code"], "version": version, "figures": json.dumps(r, separators=(",", ":"))}
            for r in records]
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(GapRow), rows[start:start + BATCH])


def gap_table(query: gaps_service.GapQuery) -> pd.DataFrame:
    """Return the gap table for a query (no geometry): stored if current, else computed now and stored."""
    table = stored_table(query)
    if table is None:
        version = versions.current(versions.DATA)
        table = pd.DataFrame(gaps_service.gap_frame(query).drop(columns="geometry"))
        store_table(query, table, version)
        db.session.commit()
        table = latest_table(query)[0]
    return table


def ward_rows(code: str, method: str, distance: float, categories: Iterable[str]) -> pd.DataFrame:
    """Return one ward's stored row of the gap table for each category, computing any that are missing."""
    queries = [gaps_service.GapQuery(c, method, float(distance)) for c in categories]
    keys = {key_of(q): q for q in queries}
    version = versions.current(versions.DATA)
    found = _ward_figures(code, list(keys), version)
    missing = [q for k, q in keys.items() if k not in found]
    if missing:
        rebuild(missing)
        found = _ward_figures(code, list(keys), version)
    return _frame(found[key_of(q)] for q in queries if key_of(q) in found)


def ward_rows_for_page(code: str, method: str, distance: float, categories: Iterable[str]) -> tuple[pd.DataFrame, bool]:
    """Return (one ward's rows for each category, whether they are all from the current data).

    Like table_for_page: on a big area the last stored rows, with a background refresh asked for
    when any are out of date or missing.
    """
    if not refresh.in_background():
        return ward_rows(code, method, distance, categories), True
    queries = [gaps_service.GapQuery(c, method, float(distance)) for c in categories]
    keys = [key_of(q) for q in queries]
    rows = dict(((k, (v, f)) for k, v, f in db.session.execute(select(GapRow.key, GapRow.version, GapRow.figures).where(
        GapRow.ward_code == code, GapRow.key.in_(keys))).all()))
    version = versions.current(versions.DATA)
    behind = [k for k in keys if k not in rows or rows[k][0] != version]
    if behind:
        refresh.request(behind)
    return _frame(rows[k][1] for k in keys if k in rows), not behind


def _ward_figures(code: str, keys: list[str], version: int) -> dict[str, str]:
    return dict(db.session.execute(select(GapRow.key, GapRow.figures).where(
        GapRow.ward_code == code, GapRow.key.in_(keys), GapRow.version == version)).all())


def query_of(key: str) -> gaps_service.GapQuery:
    """Return the query a stored key was made from (the inverse of key_of)."""
    category, method, distance, weighted = key.split("|")
    return gaps_service.GapQuery(category, method, float(distance), weighted == "1")


def stale_keys() -> list[str]:
    """Return the keys of stored tables made from older data."""
    version = versions.current(versions.DATA)
    return sorted(db.session.scalars(select(GapRow.key).where(GapRow.version != version).distinct()))


def rebuild(queries: list[gaps_service.GapQuery]) -> int:
    """Compute and store these tables from one read of the data; drop tables of older data; return tables."""
    done = 0
    version = versions.current(versions.DATA)
    for query, table in gaps_service.gap_frames(queries):
        store_table(query, table, version)
        done += 1
    db.session.execute(delete(GapRow).where(GapRow.version != version))
    db.session.commit()
    return done


def default_queries(categories: Iterable[str], distance: float) -> list[gaps_service.GapQuery]:
    """Return what the pages ask for first: every category and all needs, by share within the distance."""
    return [gaps_service.GapQuery(c, "share", float(distance)) for c in [gaps_service.OVERALL, *categories]]
