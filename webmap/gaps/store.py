"""The one gap store: the gap history, whose latest row per ward is the table every page shows.

A gap table (one query: category|method|distance|deprivation weighting) is kept as rows of
gap_snapshot_rows, one per ward, each in an entry of the history (gap_snapshots). The table a
page shows is each ward's latest row; history pages and trend charts read the older rows of the
same table. gap_tables lists the tables kept and the data version their latest rows reflect.

A ward's row keeps its own figures; what depends on every ward (the smoothing prior, the best
score, the rank) is kept once per table (gap_tables.area) and each ward's page figures are worked
out from both when read (webmap/analysis/derive.py), so a change writes only the rows of the
wards it touched. The history's other rows catch up once a day (:func:`settle`).

There is one writer, :func:`write`: it adds an entry (or continues today's entry of the same
kind) holding only the rows whose figures changed. Four ways in, for hooks and tasks:

* ``apply.apply_change(change)`` (webmap/gaps/apply.py): after a committed change, recompute
  only the wards it can touch; a ward, population or category change, or a table that missed a
  change, is rebuilt in full.
* ``refresh(keys)``: recompute these tables in full from the current data.
* ``rebuild_all()``: recompute every kept table in full.
* ``settle()``: write the day's figures of every ward whose figures moved (the worker, daily).

Pages read with ``table_for_page`` / ``ward_rows_for_page`` whatever the area's size: a table
that is out of date is refreshed at once on a small area and in the background on a big one
(webmap/scale/refresh.py decides which).
"""

from __future__ import annotations

import functools
import json
import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import msgspec
import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import Select, Text, cast, delete, exists, insert, select, update

from webmap.analysis import derive
from webmap.analysis import gaps as analysis_gaps
from webmap.core import memory, store
from webmap.core.db import db
from webmap.core.models import GapSnapshot, GapSnapshotRow, GapTable, utcnow
from webmap.gaps import service as gaps_service
from webmap.scale import refresh as background
from webmap.scale import versions

BATCH = 2000
# Columns of the gap table copied into their own columns for charts; the rest stay in `figures`.
KEY_FIGURES = {
    "need_count": "need_count",
    "access_share": "access_share",
    "assets_within": "assets_within_distance",
    "gap_score": "gap_score",
    "unmet_share": "unmet_share",
}
# Two stored figures closer than this (relative) are the same figure: an incremental sum and a
# full one differ in the last bits, which is no change worth a new row of history.
SAME = 1e-12
# The kind of a history entry keeping the figures as they stood when residents first asked
# (keep_asked): back-dated to the ask's day, never the latest, never continued by another change.
ASKED = "asked"


@dataclass(frozen=True)
class Change:
    """What one commit changed, as far as gap tables go (made by webmap.gaps.changes).

    ``needs``: (ward, category) pairs whose stated need changed; ``places``: (lon, lat, category)
    of every old and new location of a place that was or became approved; ``all_needs``: needs
    changed in bulk (a survey round); ``full``: wards, population or categories changed.
    """

    version: int
    needs: tuple[tuple[str, str], ...] = ()
    places: tuple[tuple[float, float, str], ...] = ()
    all_needs: bool = False
    full: bool = False
    # Several consecutive commits merged into one change (merged()): the version of the first.
    first: int = 0

    @property
    def base(self) -> int:
        """The data version the kept tables must reflect for this change to apply incrementally."""
        return (self.first or self.version) - 1

    def to_json(self) -> str:
        """Return the change as one line of JSON (for a task queue)."""
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Change:
        """Return the change a to_json line describes."""
        data = json.loads(text)
        return cls(
            int(data["version"]),
            tuple(tuple(n) for n in data.get("needs", ())),
            tuple((float(x), float(y), str(c)) for x, y, c in data.get("places", ())),
            bool(data.get("all_needs")),
            bool(data.get("full")),
            int(data.get("first", 0)),
        )


def key_of(query: gaps_service.GapQuery) -> str:
    """Return the stored key of a query: category|method|distance|deprivation weighting."""
    return f"{query.category}|{query.method}|{query.distance:g}|{int(query.deprivation_weight)}"


def query_of(key: str) -> gaps_service.GapQuery:
    """Return the query a stored key was made from (the inverse of key_of)."""
    category, method, distance, weighted = key.split("|")
    return gaps_service.GapQuery(category, method, float(distance), weighted == "1")


def default_queries(categories: Iterable[str], distance: float) -> list[gaps_service.GapQuery]:
    """Return what the pages ask for first: every category and all needs, by share within the distance."""
    return [gaps_service.GapQuery(c, "share", float(distance)) for c in [gaps_service.OVERALL, *categories]]


# ---- reading ---------------------------------------------------------------------------------

# Columns that are numbers even when every stored value is empty (JSON null): NaN, never None.
NUMERIC = [
    "population",
    "assets_in_ward",
    "assets_per_1000",
    "assets_within_distance",
    "access_share",
    "access_score",
    "access_norm",
    "need_count",
    "responses",
    "need_per_1000",
    "area_need_per_1000",
    "own_rate_weight",
    "need_per_1000_smoothed",
    "deprivation",
    "deprivation_factor",
    "unmet_share",
    "gap_score",
    "unmet_residents",
    "rank",
    "distance_m",
    "top_category_gap",
    "categories_considered",
]


def _frame(records: Iterable[dict], ranked: bool = True) -> pd.DataFrame:
    """Return stored rows as a table: numbers as floats; a whole table in rank order (ranked=False: as given)."""
    frame = pd.DataFrame.from_records(list(records))
    for column in NUMERIC:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
    if ranked and "rank" in frame.columns:
        frame = frame.sort_values(["rank", "ward_code"], na_position="last", kind="stable").reset_index(drop=True)
    return frame


def _figures(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else (value or {})


def _texts_of_rows(key: str) -> list[str | None]:
    """Return the figures of a table's latest rows as the JSON text they are stored as."""
    return list(
        db.session.scalars(
            select(cast(GapSnapshotRow.figures, Text)).where(GapSnapshotRow.key == key, GapSnapshotRow.latest)
        )
    )


def _json_array(texts: list[str | None]) -> str:
    return "[" + ",".join(t or "{}" for t in texts) + "]"


def _figures_of_rows(key: str) -> list[dict]:
    """Return the figures of a table's latest rows, parsed in one go.

    Thousands of rows each parsed on its own (SQLAlchemy's JSON type, then json.loads per row) cost
    more in calls than in parsing: the text is read as it is stored and parsed as one JSON array.
    """
    texts = _texts_of_rows(key)
    return json.loads(_json_array(texts)) if texts else []


# The last few tables read, by (database, key, version): a new version is a new entry, so a
# table is never served stale, and a warm page skips parsing thousands of rows again.
_RECENT: OrderedDict[tuple[str, str, int], pd.DataFrame] = OrderedDict()
RECENT_MAX = 8


# Each kept table's stored rows (what its wards' rows keep, derive.CATEGORY_INPUTS or the "all needs"
# columns) at a data version, in this process: a change patches the wards it touched instead of
# reading every ward again. A few tables only (a change touches a kind's tables and "all needs").
_STORED: OrderedDict[tuple[str, str], tuple[int, pd.DataFrame]] = OrderedDict()
STORED_MAX = 24


def _database() -> str:
    return db.engine.url.render_as_string(hide_password=True)


_TEXT_INPUTS = {"ward_code", "ward_name", "population_method"}


def _read_inputs(key: str) -> pd.DataFrame:
    """Return what a table's latest rows keep (_inputs_of), reading only those figures of each row.

    Decoded straight into the few figures wanted (msgspec): parsing every figure of every row first
    costs a worker's first change several times more. Rows of other shapes are parsed whole.
    """
    texts = _texts_of_rows(key)
    overall = query_of(key).overall
    names = _input_names([json.loads(texts[0] or "{}")] if texts else [], overall)
    columns = _decoded_columns(texts, names, overall)
    if columns is None:
        records = json.loads(_json_array(texts))
        names = _input_names(records, overall)
        columns = [[r.get(name) for r in records] for name in names]
    frame = pd.DataFrame(
        {
            name: np.array(values, dtype=object if name in _TEXT_INPUTS else "float64")
            for name, values in zip(names, columns, strict=True)
        },
        columns=names,
    )
    return frame.sort_values("ward_code", kind="stable").reset_index(drop=True)


def _input_names(records: list[dict], overall: bool) -> list[str]:
    """Return the columns a table's rows keep, in the order a frame of these rows reads them."""
    if not overall:
        return list(derive.CATEGORY_INPUTS)
    # The first row's figures, then any a later row adds.
    found = dict.fromkeys(records[0]) if records else {}
    for record in records:
        if record.keys() != found.keys():
            found.update(dict.fromkeys(record))
    return [*derive.OVERALL_INPUTS, *(c for c in found if c.startswith((derive.NEED, derive.ACCESS)))]


@functools.lru_cache(maxsize=32)
def _row_of(names: tuple[str, ...]) -> msgspec.json.Decoder:
    """Return a decoder of a row's JSON into these of its figures (UNSET: the row has none of that name)."""
    fields = [(f"f{i}", object, msgspec.UNSET) for i in range(len(names))]
    row = msgspec.defstruct("Inputs", fields, rename={f"f{i}": name for i, name in enumerate(names)})
    return msgspec.json.Decoder(row)


def _decoded_columns(texts: list[str | None], names: list[str], overall: bool) -> list[tuple] | None:
    """Return these figures of every row, a column each (None for a missing one), or None if the rows must be parsed whole.

    Whole: a row that msgspec does not read (Python's NaN), or an "all needs" row holding a need or
    access figure the first row does not (its column goes in the order the rows name it).
    """
    decode = _row_of(tuple(names)).decode
    try:
        # Row by row: a call costs less than joining the rows' text into one array first.
        rows = [decode(t or "{}") for t in texts]
    except msgspec.DecodeError:
        return None
    columns = list(zip(*map(msgspec.structs.astuple, rows), strict=True)) if rows else [() for _ in names]
    unset = msgspec.UNSET
    missing = [c.count(unset) for c in columns]
    if overall:
        # Every "need:/"access: in the text is a figure read: no row holds one the first row does not.
        held = sum(len(rows) - m for n, m in zip(names, missing) if n.startswith((derive.NEED, derive.ACCESS)))
        if held != sum(t.count('"' + derive.NEED) + t.count('"' + derive.ACCESS) for t in texts if t):
            return None
    return [tuple(None if v is unset else v for v in c) if m else c for c, m in zip(columns, missing)]


def _inputs_of(key: str, rows: pd.DataFrame) -> pd.DataFrame:
    """Return the columns a table's stored rows keep for working out its figures, in ward-code order."""
    if query_of(key).overall:
        columns = [*derive.OVERALL_INPUTS] + [
            c for c in rows.columns if str(c).startswith((derive.NEED, derive.ACCESS))
        ]
    else:
        columns = derive.CATEGORY_INPUTS
    return rows[columns].sort_values("ward_code", kind="stable").reset_index(drop=True)


def keep_stored(key: str, version: int, inputs: pd.DataFrame) -> None:
    _STORED[(_database(), key)] = (version, inputs)
    _STORED.move_to_end((_database(), key))
    while len(_STORED) > STORED_MAX:
        _STORED.popitem(last=False)


def carry_stored(base: int, version: int, made: Iterable[str]) -> None:
    """Say that the stored rows kept in this process at data version *base* hold at *version* (a change left them)."""
    here, made = _database(), set(made)
    for (database, key), (held, inputs) in list(_STORED.items()):
        if database == here and held == base and key not in made:
            _STORED[(database, key)] = (version, inputs)


def stored_inputs(key: str, version: int) -> pd.DataFrame:
    """Return what a table's latest rows keep (its inputs, in ward-code order) at this data version."""
    found = _STORED.get((_database(), key))
    if found is not None and found[0] == version:
        return found[1]
    inputs = _read_inputs(key)
    keep_stored(key, version, inputs)
    return inputs


def _numbers(table: pd.DataFrame) -> pd.DataFrame:
    """Return worked-out rows with the column types of stored ones (numbers as floats)."""
    for column in NUMERIC:
        if column in table.columns:
            table[column] = pd.to_numeric(table[column]).astype("float64")
    return table


def _worked_out(key: str, rows: pd.DataFrame, area: dict | None, whole: bool) -> pd.DataFrame:
    """Return a table's figures from its stored rows: every ward's (whole, ranked) or some wards' (by *area*).

    Rows kept before tables had area figures are returned as they were stored.
    """
    if area is None or not len(rows):
        return rows
    query = query_of(key)
    area = _area_numbers(area)
    given = None if whole else area
    if query.overall:
        table = derive.overall_table(rows, area["asked"], query.method, query.distance, query.deprivation_weight, given)
    else:
        table = derive.category_table(
            rows, query.category, query.method, query.distance, query.deprivation_weight, given
        )
    return _numbers(table)


def _area_numbers(area: dict) -> dict:
    """Return stored area figures with unknown numbers (JSON null) as NaN."""

    def number(value: Any) -> Any:
        return float("nan") if value is None else value

    return {
        k: v if k == "asked" else [number(x) for x in v] if isinstance(v, list) else number(v) for k, v in area.items()
    }


def areas_of(keys: Iterable[str]) -> dict[str, dict | None]:
    """Return each kept table's area figures (None: kept before tables had them)."""
    keys = list(keys)
    return (
        dict(db.session.execute(select(GapTable.key, GapTable.area).where(GapTable.key.in_(keys))).all())
        if keys
        else {}
    )


def versions_of(keys: Iterable[str]) -> dict[str, int]:
    """Return the data version each kept table reflects (absent: never stored)."""
    keys = list(keys)
    return (
        dict(db.session.execute(select(GapTable.key, GapTable.version).where(GapTable.key.in_(keys))).all())
        if keys
        else {}
    )


def latest_table(query: gaps_service.GapQuery) -> tuple[pd.DataFrame, int] | None:
    """Return a table's latest rows and the data version they reflect (None if never stored)."""
    key = key_of(query)
    found = db.session.execute(select(GapTable.version, GapTable.area).where(GapTable.key == key)).first()
    if found is None:
        return None
    version, area = found
    cache_key = (_database(), key, version)
    if cache_key in _RECENT:
        _RECENT.move_to_end(cache_key)
        return _RECENT[cache_key].copy(), version
    rows = _frame(_figures_of_rows(key), ranked=area is None)
    table = _worked_out(key, rows, area, whole=True)
    _RECENT[cache_key] = table
    while len(_RECENT) > RECENT_MAX:
        _RECENT.popitem(last=False)
    return table.copy(), version


def stored_table(query: gaps_service.GapQuery) -> pd.DataFrame | None:
    """Return the stored table for a query if it reflects the current data, else None."""
    found = latest_table(query)
    return found[0] if found is not None and found[1] == versions.current(versions.DATA) else None


def is_current(query: gaps_service.GapQuery) -> bool:
    """Say whether the stored table for the query reflects the current data (one primary-key read)."""
    return versions_of([key_of(query)]).get(key_of(query)) == versions.current(versions.DATA)


def stale_keys() -> list[str]:
    """Return the keys of kept tables that reflect older data."""
    version = versions.current(versions.DATA)
    return sorted(db.session.scalars(select(GapTable.key).where(GapTable.version != version)))


def _catch_up(keys: list[str]) -> bool:
    """Bring these tables up to date now (small area) or ask the background refresh (big area); say if now."""
    if background.in_background():
        background.request(keys)
        return False
    refresh(keys)
    return True


def table_for_page(query: gaps_service.GapQuery) -> tuple[pd.DataFrame | None, bool]:
    """Return (the table a page shows: the latest rows of the store, whether they reflect the current data).

    Every gap page reads through here whatever the area's size. An out-of-date table is brought
    up to date first on a small area; on a big one the last rows are shown (None if never
    stored) and a background refresh is asked for, so no visitor waits for a whole country.
    Raises gaps_service.NoWards when there are no wards.
    """
    found = latest_table(query)
    if found is not None and found[1] == versions.current(versions.DATA):
        return found[0], True
    if _catch_up([key_of(query)]):
        return latest_table(query)[0], True
    return (found[0] if found is not None else None), False


def gap_table(query: gaps_service.GapQuery) -> pd.DataFrame:
    """Return the current table for a query (no geometry), refreshing it in this process if need be."""
    table = stored_table(query)
    if table is None:
        refresh([key_of(query)])
        table = latest_table(query)[0]
    return table


def _ward_keys(method: str, distance: float, categories: Iterable[str]) -> list[str]:
    return [key_of(gaps_service.GapQuery(c, method, float(distance))) for c in categories]


def _ward_figures(code: str, keys: list[str]) -> dict[str, dict]:
    return dict(latest_rows([code], keys))


def ward_rows_for_page(code: str, method: str, distance: float, categories: Iterable[str]) -> tuple[pd.DataFrame, bool]:
    """Return (one ward's latest row of each category's table, whether all reflect the current data).

    Like table_for_page: out-of-date tables are refreshed first on a small area, asked for in
    the background on a big one.
    """
    keys = _ward_keys(method, distance, categories)
    version = versions.current(versions.DATA)
    kept = versions_of(keys)
    behind = [k for k in keys if kept.get(k) != version]
    current = not behind or _catch_up(behind)
    found = _ward_figures(code, keys)
    return _frame((found[k] for k in keys if k in found), ranked=False), current


def wards_rows_for_page(
    codes: Iterable[str], method: str, distance: float, categories: Iterable[str]
) -> tuple[pd.DataFrame, bool]:
    """Return (these wards' latest rows of each category's table, whether all reflect the current data).

    Like ward_rows_for_page for several wards at once (the whole area's exports): one read for
    every ward; each row's figures carry its ward_code and category.
    """
    keys = _ward_keys(method, distance, categories)
    version = versions.current(versions.DATA)
    kept = versions_of(keys)
    behind = [k for k in keys if kept.get(k) != version]
    current = not behind or _catch_up(behind)
    return _frame((figures for _key, figures in latest_rows(codes, keys)), ranked=False), current


def ward_rows(code: str, method: str, distance: float, categories: Iterable[str]) -> pd.DataFrame:
    """Return one ward's current row of each category's table, refreshing in this process if need be."""
    keys = _ward_keys(method, distance, categories)
    version = versions.current(versions.DATA)
    behind = [k for k, v in ((k, versions_of(keys).get(k)) for k in keys) if v != version]
    if behind:
        refresh(behind)
    found = _ward_figures(code, keys)
    return _frame((found[k] for k in keys if k in found), ranked=False)


# ---- writing: the one writer -----------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Return a JSON-safe Python value (NaN and pandas NA become None)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        if value != value:  # pandas NA and NaT
            return None
    except TypeError:
        return None
    return value if isinstance(value, (str, int, float, bool)) else str(value)


def _records(table: pd.DataFrame) -> list[dict]:
    """Return a table's rows as JSON-safe dicts, as _plain makes them, converted a column at a time.

    Numbers in plain numpy columns are turned into Python numbers in one call per column (NaN and
    infinities as None); anything else goes through _plain value by value.
    """
    columns: dict[str, list] = {}
    for name in table.columns:
        column = table[name]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
            values = column.to_numpy()
            listed = values.tolist()
            if values.dtype.kind == "f":
                for i in np.flatnonzero(~np.isfinite(values)).tolist():
                    listed[i] = None
        else:
            listed = [_plain(v) for v in column.tolist()]
        columns[str(name)] = listed
    names = list(columns)
    return [dict(zip(names, row)) for row in zip(*columns.values())]


def _same(a: dict, b: dict) -> bool:
    """Say whether two rows hold the same figures (numbers equal to SAME, relative)."""
    if a == b:
        return True
    if a.keys() != b.keys():
        return False
    for name, x in a.items():
        y = b[name]
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
            if abs(x - y) > SAME * max(1.0, abs(x), abs(y)):
                return False
        elif x != y:
            return False
    return True


def _entry(kind: str, version: int, as_of: date | None, note: str | None, back_dated: bool) -> GapSnapshot:
    """Return the history entry to write into: today's of this kind if it is the newest, else a new one."""
    today = utcnow().date()
    distance = float(current_app.config["ACCESS_DISTANCE_M"])
    if not back_dated:
        # The newest entry describing today (back-dated ones, describing a survey round's day, aside).
        newest = db.session.scalars(
            select(GapSnapshot)
            .where(GapSnapshot.as_of == today, GapSnapshot.kind != ASKED)
            .order_by(GapSnapshot.id.desc())
            .limit(1)
        ).first()
        if (
            newest is not None
            and newest.kind == kind
            and newest.as_of == today
            and newest.taken_at.date() == today
            and newest.data_version is not None
        ):
            newest.data_version = version
            return newest
    current = store.latest_round(as_of or today)
    entry = GapSnapshot(
        kind=kind,
        as_of=as_of or today,
        round_name=current.name if current else None,
        distance_m=distance,
        note=note,
        data_version=version,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def _row(entry_id: int, key: str, figures: dict, latest: bool, asked_at: datetime | None = None) -> dict:
    query = query_of(key)
    return {
        "snapshot_id": entry_id,
        "key": key,
        "latest": latest,
        "ward_code": figures.get("ward_code"),
        "category": query.category,
        "method": query.method,
        "figures": figures,
        "asked_at": asked_at,
        **{col: figures.get(src) for col, src in KEY_FIGURES.items()},
    }


def write(
    tables: dict[str, pd.DataFrame],
    version: int,
    kind: str,
    as_of: date | None = None,
    note: str | None = None,
    back_dated: bool = False,
    areas: dict[str, dict] | None = None,
    partial: bool = False,
    asked_at: Mapping[tuple[str, str], datetime] | None = None,
) -> tuple[GapSnapshot, int]:
    """Write tables into the history (only rows whose figures changed); return (the entry, rows written).

    A back-dated entry (figures as they stood on an earlier day) keeps every row and leaves the
    latest rows alone; `asked_at` names each of its rows' moment of asking, {(ward, key): moment}
    (keep_asked), written with the row. *areas*: each table's new area figures (derive);
    *partial*: the tables hold only the wards a change touched, the other wards' rows stay.
    The caller commits.
    """
    entry = _entry(kind, version, as_of, note, back_dated)
    written = 0
    for key, table in tables.items():
        plain = table.drop(columns=[c for c in ("geometry",) if c in table.columns])
        if back_dated:
            moments = asked_at or {}
            for start in range(0, len(plain), BATCH):
                records = _records(plain.iloc[start : start + BATCH])
                rows = [_row(entry.id, key, r, False, moments.get((str(r.get("ward_code")), key))) for r in records]
                db.session.execute(insert(GapSnapshotRow), rows)
                written += len(rows)
            continue
        # Wards whose latest row no table row replaces (a whole table: they are no longer in it).
        gone = set() if partial else set(db.session.scalars(_latest_rows(key, GapSnapshotRow.ward_code)))
        # A part of the wards at a time, each part's rows and latest rows compared and written before
        # the next is read: a whole national table's rows at once, as dicts, took 100 MB.
        for start in range(0, len(plain), BATCH):
            records = _records(plain.iloc[start : start + BATCH])
            gone.difference_update(r.get("ward_code") for r in records)
            written += _write_part(entry.id, key, records)
        left = sorted(gone)
        for start in range(0, len(left), BATCH):
            part = left[start : start + BATCH]
            _retire(
                list(db.session.scalars(_latest_rows(key, GapSnapshotRow.id).where(GapSnapshotRow.ward_code.in_(part))))
            )
        kept = db.session.get(GapTable, key)
        area = _plain_area((areas or {}).get(key))
        if kept is None:
            db.session.add(GapTable(key=key, version=version, area=area))
        else:
            kept.version = version
            kept.area = area
    db.session.flush()
    return entry, written


def _latest_rows(key: str, *columns: Any) -> Select:
    return select(*columns).where(GapSnapshotRow.key == key, GapSnapshotRow.latest)


def _write_part(entry_id: int, key: str, records: list[dict]) -> int:
    """Write these wards' rows of a table where their figures changed since their latest row; return rows written."""
    found = db.session.execute(
        _latest_rows(
            key,
            GapSnapshotRow.id,
            GapSnapshotRow.snapshot_id,
            GapSnapshotRow.ward_code,
            cast(GapSnapshotRow.figures, Text),
        ).where(GapSnapshotRow.ward_code.in_([r.get("ward_code") for r in records]))
    ).all()
    # Parsed as one JSON array (as _figures_of_rows), not row by row.
    parsed = json.loads("[" + ",".join(t or "{}" for *_, t in found) + "]") if found else []
    old = {w: (i, s, f) for (i, s, w, _), f in zip(found, parsed)}
    rows, retire, replace = [], [], []
    for record in records:
        before = old.pop(record.get("ward_code"), None)
        if before is not None and _same(before[2], record):
            continue
        if before is not None and before[1] == entry_id:
            replace.append((before[0], record))  # today's entry of this kind: the row is rewritten
            continue
        if before is not None:
            retire.append(before[0])
        rows.append(_row(entry_id, key, record, True))
    _retire(retire)
    # One executemany (an ORM bulk UPDATE by primary key), not a statement per row: a second change
    # on the same day rewrites every row whose figures moved.
    changed = []
    for row_id, record in replace:
        values = _row(entry_id, key, record, True)
        changed.append({"id": row_id, "figures": values["figures"], **{c: values[c] for c in KEY_FIGURES}})
    if changed:
        db.session.execute(update(GapSnapshotRow).execution_options(synchronize_session=False), changed)
    if rows:
        db.session.execute(insert(GapSnapshotRow), rows)
    return len(rows) + len(replace)


def _retire(ids: list[int]) -> None:
    """Say these rows are no longer their ward's latest."""
    for start in range(0, len(ids), BATCH):
        db.session.execute(
            update(GapSnapshotRow).where(GapSnapshotRow.id.in_(ids[start : start + BATCH])).values(latest=False)
        )


def _plain_area(area: dict | None) -> dict | None:
    """Return area figures JSON-safe (NaN as None); None stays None (rows as stored)."""
    if area is None:
        return None
    return {k: [_plain(x) for x in v] if isinstance(v, list) else _plain(v) for k, v in area.items()}


def _expand(keys: Iterable[str]) -> list[str]:
    """Add, for every "all needs" table, each category's table of the same query (what it is made from)."""
    out = list(dict.fromkeys(keys))
    categories = list(store.category_labels())
    for key in list(out):
        query = query_of(key)
        if query.overall:
            out += [
                key_of(gaps_service.GapQuery(c, query.method, query.distance, query.deprivation_weight))
                for c in categories
            ]
    return list(dict.fromkeys(out))


def refresh(keys: Iterable[str], kind: str = "refresh", note: str | None = None) -> int:
    """Recompute these tables (and what "all needs" tables rest on) in full from the current data; commit.

    Returns how many tables were written. Raises gaps_service.NoWards when there are no wards.
    """
    # Each "all needs" table after its categories': its rows keep each category's needs and access.
    keys = sorted(_expand(keys), key=lambda k: query_of(k).overall)
    if not keys:
        return 0
    version = versions.current(versions.DATA)
    written = 0
    made: dict[tuple, dict[str, pd.DataFrame]] = {}
    responses = None
    # What this process keeps of these tables is out of date; a refresh of more tables than it keeps
    # keeps none of them (which of them the next change touches is not known), and holds none meanwhile.
    here = _database()
    for held in [k for k in _STORED if k[0] == here and k[1] in keys]:
        del _STORED[held]
    keep = len(keys) <= STORED_MAX
    # Written as each table is made (all into the same entry), never all held at once: a national
    # rebuild of every kept table stays within a worker's memory.
    for query, table in gaps_service.gap_frames([query_of(k) for k in keys]):
        key, group = key_of(query), (query.method, query.distance, query.deprivation_weight)
        rows = pd.DataFrame(table.drop(columns="geometry"))
        if query.overall:
            if responses is None:
                responses = analysis_gaps.ward_responses(store.needs_frame())
            inputs = derive.overall_inputs(made.pop(group, {}), responses, query.method)
            rows, area = overall_rows(rows, inputs, query.method)
        else:
            inputs = derive.category_inputs(rows)
            made.setdefault(group, {})[query.category] = inputs
            area = derive.category_area(inputs)
        write({key: rows}, version, kind, note=note, areas={key: area})
        if keep:
            keep_stored(key, version, _inputs_of(key, rows))
        written += 1
        del table, rows
        memory.give_back()  # what making this table took, before the next is made
    db.session.commit()
    return written


def overall_rows(table: pd.DataFrame, inputs: pd.DataFrame, method: str) -> tuple[pd.DataFrame, dict]:
    """Return ("all needs" rows to keep: its figures and each category's needs and access, its area figures)."""
    asked = derive.overall_asked(inputs)
    vectors = inputs[["ward_code", *[c for c in inputs.columns if str(c).startswith((derive.NEED, derive.ACCESS))]]]
    rows = table.merge(vectors, on="ward_code", how="left", sort=False)
    return rows, derive.overall_area(inputs, asked, method)


def rebuild(queries: list[gaps_service.GapQuery], kind: str = "refresh") -> int:
    """Recompute these queries' tables in full (and keep them up to date from now on); return tables."""
    return refresh([key_of(q) for q in queries], kind)


def settle(kind: str = "day") -> int:
    """Write into the history every ward whose figures moved since its last row; commit; return rows written.

    A change writes only the wards it touched; the area-wide figures it moved (the smoothing
    prior, the best score) move every other ward's figures a little, which pages work out when
    read but the history's rows do not hold. The worker runs this daily (SCHEDULE_GAP_HISTORY) so
    the history holds each day's figures of every ward; one table at a time, as a full refresh.
    """
    written = 0
    for key in kept_keys():
        found = latest_table(query_of(key))
        area = areas_of([key]).get(key)
        if found is None or area is None:
            continue  # never made, or kept before tables had area figures: a refresh writes it whole
        table, version = found
        if query_of(key).overall:
            table, _ = overall_rows(table, stored_inputs(key, version), query_of(key).method)
        written += write({key: table}, version, kind, areas={key: area})[1]
        db.session.commit()
    return written


def kept_keys() -> list[str]:
    """Return the keys of every table the store keeps up to date."""
    return sorted(db.session.scalars(select(GapTable.key)))


def rebuild_all(kind: str = "manual", note: str | None = None) -> int:
    """Recompute every kept table in full (a ward, population or method change); return tables."""
    return refresh(kept_keys(), kind, note)


# ---- history: the same rows, read as series --------------------------------------------------


def history_rows(
    ward_code: str | Iterable[str],
    category: str | Iterable[str],
    method: str,
    kinds: Iterable[str] | None = None,
):
    """Return (entry, row) for every stored row of a ward's category table by a method (unweighted), oldest first.

    `ward_code` and `category` may each be several (every row of any of those wards and categories);
    `kinds` keeps only the rows of entries of those kinds.
    """
    wards = [ward_code] if isinstance(ward_code, str) else list(ward_code)
    categories = [category] if isinstance(category, str) else list(category)
    query = (
        select(GapSnapshot, GapSnapshotRow)
        .join(GapSnapshotRow, GapSnapshotRow.snapshot_id == GapSnapshot.id)
        .where(
            GapSnapshotRow.ward_code.in_(wards) if len(wards) != 1 else GapSnapshotRow.ward_code == wards[0],
            GapSnapshotRow.category.in_(categories)
            if len(categories) != 1
            else GapSnapshotRow.category == categories[0],
            GapSnapshotRow.method == method,
            GapSnapshotRow.key.like("%|0"),
        )
        .order_by(GapSnapshot.as_of, GapSnapshot.taken_at, GapSnapshot.id)
    )
    if kinds is not None:
        query = query.where(GapSnapshot.kind.in_(list(kinds)))
    return db.session.execute(query).all()


# One ward's worked-out figures by (database, key, data version, ward): a ward profile reads a row of
# every category's table, each worked out again only when its table's data version moved.
_WARD_ROWS: OrderedDict[tuple[str, str, int, str], dict] = OrderedDict()
WARD_ROWS_MAX = 4096


def latest_rows(ward_codes: Iterable[str], keys: Iterable[str]) -> list[tuple[str, dict]]:
    """Return (key, figures) of these wards' latest rows of these tables, whatever their data version."""
    wards, keys = list(ward_codes), list(keys)
    if not wards or not keys:
        return []
    kept = {
        key: (version, area)
        for key, version, area in db.session.execute(
            select(GapTable.key, GapTable.version, GapTable.area).where(GapTable.key.in_(keys))
        ).all()
    }
    here = _database()
    out: list[tuple[str, dict]] = []
    wanted = {(k, w) for k in keys for w in wards}
    for key, ward in sorted(wanted):
        found = _WARD_ROWS.get((here, key, kept[key][0], ward)) if key in kept else None
        if found is not None:
            out.append((key, dict(found)))  # a copy: the kept one stays as worked out
            wanted.discard((key, ward))
    if not wanted:
        return out
    by_key: dict[str, list[dict]] = {}
    for key, figures in db.session.execute(
        select(GapSnapshotRow.key, GapSnapshotRow.figures).where(
            GapSnapshotRow.ward_code.in_(sorted({w for _, w in wanted})),
            GapSnapshotRow.key.in_(sorted({k for k, _ in wanted})),
            GapSnapshotRow.latest,
        )
    ).all():
        figures = _figures(figures)
        if (key, figures.get("ward_code")) in wanted:
            by_key.setdefault(key, []).append(figures)
    for key, found in by_key.items():
        version, area = kept.get(key, (None, None))
        # Each ward's figures from its row and the table's area figures: exact without reading every ward.
        rows = _worked_out(key, _frame(found, ranked=False), area, whole=False)
        for record in _records(rows):
            out.append((key, record))
            if version is not None:
                _WARD_ROWS[(here, key, version, str(record.get("ward_code")))] = dict(record)
    while len(_WARD_ROWS) > WARD_ROWS_MAX:
        _WARD_ROWS.popitem(last=False)
    return out


def asked_kept(ward_codes: Iterable[str], keys: Iterable[str]) -> set[tuple[datetime, str, str]]:
    """Return (moment, ward, key) of every "asked" row kept for these wards and tables (keep_asked)."""
    wards, keys = list(ward_codes), list(keys)
    if not wards or not keys:
        return set()
    return {
        (moment, ward, key)
        for moment, ward, key in db.session.execute(
            select(GapSnapshotRow.asked_at, GapSnapshotRow.ward_code, GapSnapshotRow.key)
            .join(GapSnapshot, GapSnapshot.id == GapSnapshotRow.snapshot_id)
            .where(GapSnapshot.kind == ASKED, GapSnapshotRow.ward_code.in_(wards), GapSnapshotRow.key.in_(keys))
        ).all()
    }


def keep_asked(day: date, tables: dict[str, pd.DataFrame], moments: dict[tuple[str, str], datetime]) -> GapSnapshot:
    """Keep these rows as they stood when residents first asked, on this day (caller commits).

    One writer (write): a back-dated entry of kind "asked" for the day, whose rows are never the
    latest (pages go on showing today's figures); each row names its moment, `moments[(ward, key)]`.
    """
    # Each row's moment goes in with the row: an UPDATE by (entry, ward, key) afterwards has no
    # index to use and scans the rows once per row (minutes on a national import).
    return write(tables, versions.current(versions.DATA), ASKED, day, back_dated=True, asked_at=moments)[0]


def forget_asked(as_of: date) -> int:
    """Delete the "asked" entries of this day (a survey round of that day imported again); return how many."""
    ids = list(db.session.scalars(select(GapSnapshot.id).where(GapSnapshot.kind == ASKED, GapSnapshot.as_of == as_of)))
    if ids:
        db.session.execute(delete(GapSnapshotRow).where(GapSnapshotRow.snapshot_id.in_(ids)))
        db.session.execute(delete(GapSnapshot).where(GapSnapshot.id.in_(ids)))
    return len(ids)


def history_table(tables: dict[str, pd.DataFrame], kind: str, as_of: date, note: str | None = None) -> GapSnapshot:
    """Keep tables computed from the needs in force on an earlier day as a back-dated entry (caller commits)."""
    return write(tables, versions.current(versions.DATA), kind, as_of, note, back_dated=True)[0]


def forget_today(kind: str, as_of: date) -> None:
    """Delete today's back-dated entries of this kind for this day (at most one per day per kind)."""
    today = utcnow().date()
    start = datetime(today.year, today.month, today.day)
    ids = list(
        db.session.scalars(
            select(GapSnapshot.id).where(
                GapSnapshot.kind == kind,
                GapSnapshot.as_of == as_of,
                GapSnapshot.taken_at >= start,
                ~exists().where(GapSnapshotRow.snapshot_id == GapSnapshot.id, GapSnapshotRow.latest),
            )
        )
    )
    if ids:
        db.session.execute(delete(GapSnapshotRow).where(GapSnapshotRow.snapshot_id.in_(ids)))
        db.session.execute(delete(GapSnapshot).where(GapSnapshot.id.in_(ids)))
