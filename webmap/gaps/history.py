"""Gap history: keep the gap table as database rows whenever the data changes, and read it back as series.

A snapshot stores one row per ward x category x method, with the few figures the charts use
as columns and the whole row of the gap table in a JSON column, so history survives changes
to the gap table's columns. Categories nobody asked for (gap 0 everywhere) are left out.
"""
from __future__ import annotations

import fcntl
import logging
import math
import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy import delete, func, insert, select

from webmap.gaps import service as gaps_service

from webmap.core import store
from webmap.core.db import db
from webmap.core.models import GapSnapshot, GapSnapshotRow, utcnow
from webmap.scale import refresh

log = logging.getLogger(__name__)
SNAPSHOTS_FILE = "derived-refresh.snapshots"  # gap snapshots waiting for the background refresh: "kind date" lines
KINDS = ("import", "round", "approval", "need", "manual")
# Columns of the gap table copied into their own columns for charts; the rest stay in `figures`.
KEY_FIGURES = {"need_count": "need_count", "access_share": "access_share", "assets_within": "assets_within_distance",
               "gap_score": "gap_score"}
_threads: list[threading.Thread] = []


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


def take_snapshot(kind: str, as_of: date | None = None, note: str | None = None) -> GapSnapshot | None:
    """Compute and store the gap tables counting the needs in force on `as_of`; replace today's of the same kind.

    Returns None when there are no wards yet. The caller commits.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown snapshot kind {kind!r}; choose one of {', '.join(KINDS)}")
    as_of = as_of or utcnow().date()
    distance = float(current_app.config["ACCESS_DISTANCE_M"])
    methods = _methods()
    try:
        tables = list(gaps_service.snapshot_tables(methods, distance, as_of))
    except gaps_service.NoWards:
        return None
    _drop_same_day(kind, as_of)
    current = store.latest_round(as_of)
    snapshot = GapSnapshot(kind=kind, as_of=as_of, round_name=current.name if current else None, distance_m=distance,
                           note=note)
    db.session.add(snapshot)
    db.session.flush()
    rows = []
    for category, method, table in tables:
        for record in table.drop(columns=table.geometry.name).to_dict("records"):
            figures = {k: _plain(v) for k, v in record.items()}
            rows.append({"snapshot_id": snapshot.id, "ward_code": figures.get("ward_code"), "category": category,
                         "method": method, "figures": figures,
                         **{col: figures.get(src) for col, src in KEY_FIGURES.items()}})
    if rows:
        db.session.execute(insert(GapSnapshotRow), rows)
    return snapshot


def _methods() -> tuple[str, ...]:
    """Return the methods the GAP_SNAPSHOT_METHODS setting names, refusing an unknown one."""
    raw = current_app.config.get("GAP_SNAPSHOT_METHODS") or ",".join(gaps_service.METHODS)
    names = raw if isinstance(raw, (list, tuple)) else [m.strip() for m in str(raw).split(",") if m.strip()]
    unknown = [m for m in names if m not in gaps_service.METHODS]
    if unknown or not names:
        raise ValueError(f"GAP_SNAPSHOT_METHODS: '{', '.join(unknown) or raw}' is not a method; "
                         f"use some of {', '.join(gaps_service.METHODS)}")
    return tuple(dict.fromkeys(names))


def _drop_same_day(kind: str, as_of: date) -> None:
    """Delete today's snapshot of this kind for this day (at most one per day per change kind)."""
    today = utcnow().date()
    start = datetime(today.year, today.month, today.day)
    ids = list(db.session.scalars(select(GapSnapshot.id).where(GapSnapshot.kind == kind, GapSnapshot.as_of == as_of,
                                                                 GapSnapshot.taken_at >= start)))
    if ids:
        db.session.execute(delete(GapSnapshotRow).where(GapSnapshotRow.snapshot_id.in_(ids)))
        db.session.execute(delete(GapSnapshot).where(GapSnapshot.id.in_(ids)))


def snapshot_now(kind: str, as_of: date | None = None) -> None:
    """Take and commit a snapshot, logging (never raising) a failure: the change itself is already saved."""
    try:
        take_snapshot(kind, as_of)
        db.session.commit()
    except Exception:  # noqa: BLE001 - a failed snapshot must not undo or hide the change that caused it
        db.session.rollback()
        log.exception("gap snapshot (%s) failed", kind)


def after_change(kind: str, as_of: date | None = None) -> None:
    """Snapshot after a committed change, as the GAP_SNAPSHOTS setting says: background, inline or off."""
    mode = current_app.config.get("GAP_SNAPSHOTS", "background")
    if mode == "off":
        return
    # Outside a web request (CLI commands) there is nobody to keep waiting, and the process may exit.
    if mode == "inline" or not has_request_context():
        snapshot_now(kind, as_of)
        return
    if refresh.in_background():
        # A big area: the snapshot reads every place, which no web process should do; the
        # background refresh takes it along with the tables it brings up to date.
        queue_snapshot(kind, as_of)
        refresh.request()
        return
    app = current_app._get_current_object()

    def work() -> None:
        with app.app_context():
            snapshot_now(kind, as_of)

    thread = threading.Thread(target=work, name=f"gap-snapshot-{kind}", daemon=True)
    _threads.append(thread)
    thread.start()


def wait_for_background(timeout: float = 120) -> None:
    """Wait for background snapshots to finish (tests, and the CLI before it exits)."""
    while _threads:
        _threads.pop().join(timeout)


@dataclass(frozen=True)
class Point:
    """One point of a ward + category series."""

    as_of: date
    taken_at: datetime
    kind: str
    round_name: str | None
    distance_m: float
    need_count: float | None
    access_share: float | None
    assets_within: float | None
    gap_score: float | None
    figures: dict

    @property
    def period(self) -> str:
        """Name the point in plain English: its survey round, or its date."""
        return self.round_name if self.round_name and self.kind == "round" else f"{self.as_of:%-d %B %Y}"


def points(ward_code: str, category: str, method: str = "share") -> list[Point]:
    """Return every snapshot of a ward + category + method, oldest first (by the day described, then taken)."""
    rows = db.session.execute(
        select(GapSnapshot, GapSnapshotRow)
        .join(GapSnapshotRow, GapSnapshotRow.snapshot_id == GapSnapshot.id)
        .where(GapSnapshotRow.ward_code == ward_code, GapSnapshotRow.category == category, GapSnapshotRow.method == method)
        .order_by(GapSnapshot.as_of, GapSnapshot.taken_at, GapSnapshot.id)).all()
    return [Point(s.as_of, s.taken_at, s.kind, s.round_name, s.distance_m, r.need_count, r.access_share, r.assets_within,
                  r.gap_score, r.figures or {}) for s, r in rows]


def series(ward_code: str, category: str, method: str = "share") -> list[Point]:
    """Return one point per day described (the last snapshot taken for it), oldest first."""
    by_day: dict[date, Point] = {}
    for point in points(ward_code, category, method):
        by_day[point.as_of] = point
    return list(by_day.values())


def snapshot_count() -> int:
    """Return how many snapshots are stored."""
    return db.session.scalar(select(func.count()).select_from(GapSnapshot)) or 0


def queue_snapshot(kind: str, as_of: date | None = None) -> None:
    """Leave a gap snapshot (the gap history) for the next background refresh to take."""
    with open(refresh.folder() / SNAPSHOTS_FILE, "a") as queue:
        fcntl.flock(queue, fcntl.LOCK_EX)
        queue.write(f"{kind} {(as_of.isoformat() if as_of else '')}\n")


def take_queued_snapshots() -> int:
    """Take the gap snapshots queued by web requests (in the refresh process); return how many."""
    with open(refresh.folder() / SNAPSHOTS_FILE, "a+") as queue:
        fcntl.flock(queue, fcntl.LOCK_EX)
        queue.seek(0)
        lines = queue.read().splitlines()
        queue.truncate(0)
    wanted = dict.fromkeys(tuple(line.split(" ", 1)) for line in lines if line.strip())
    for kind, on in wanted:
        snapshot_now(kind, date.fromisoformat(on.strip()) if on.strip() else None)
    return len(wanted)
