"""Gap history: the gap store (webmap/gaps/store.py) read as series, and the hook that keeps it up to date.

The history and the tables pages show are one store: each ward's latest row of a table is what
the pages show, its older rows are its history. After a committed change, :func:`after_change`
hands what the change touched to ``store.apply_change``, which recomputes only that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, has_app_context, has_request_context
from flask_babel import format_date
from sqlalchemy import func, select

from webmap.core import queue, store
from webmap.core.db import db
from webmap.core.models import GapSnapshot, utcnow
from webmap.gaps import changes
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore

log = logging.getLogger(__name__)
KINDS = ("import", "round", "approval", "need", "manual", "refresh", "migrated")
_plain = gapstore._plain  # JSON-safe figures (feedback/report.py builds points with it)


def history_keys() -> list[str]:
    """Return the tables the history keeps: all needs and every category, by each GAP_SNAPSHOT_METHODS method."""
    distance = float(current_app.config["ACCESS_DISTANCE_M"])
    return [
        gapstore.key_of(gaps_service.GapQuery(c, m, distance))
        for m in _methods()
        for c in [gaps_service.OVERALL, *store.category_labels()]
    ]


def take_snapshot(kind: str, as_of: date | None = None, note: str | None = None) -> GapSnapshot | None:
    """Bring the history's tables up to date (counting the needs in force on `as_of`) as an entry of this kind.

    Today (the default) the entry holds the rows that changed and becomes the latest; an earlier
    day is kept as a back-dated entry of every row (at most one per day and kind) and pages go on
    showing today's figures. Returns the entry, or None when there are no wards yet. Commits.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown snapshot kind {kind!r}; choose one of {', '.join(KINDS)}")
    today = utcnow().date()
    keys = history_keys()
    try:
        if as_of is not None and as_of != today:
            methods = _methods()
            distance = float(current_app.config["ACCESS_DISTANCE_M"])
            tables = {
                gapstore.key_of(gaps_service.GapQuery(c, m, distance)): t.drop(columns=t.geometry.name)
                for c, m, t in gaps_service.snapshot_tables(methods, distance, as_of)
            }
            gapstore.forget_today(kind, as_of)
            entry = gapstore.history_table(tables, kind, as_of, note)
            db.session.commit()
            return entry
        gapstore.refresh(keys, kind, note)
    except gaps_service.NoWards:
        return None
    return db.session.scalars(select(GapSnapshot).order_by(GapSnapshot.id.desc()).limit(1)).first()


def _methods() -> tuple[str, ...]:
    """Return the methods the GAP_SNAPSHOT_METHODS setting names, refusing an unknown one."""
    raw = current_app.config.get("GAP_SNAPSHOT_METHODS") or ",".join(gaps_service.METHODS)
    names = raw if isinstance(raw, (list, tuple)) else [m.strip() for m in str(raw).split(",") if m.strip()]
    unknown = [m for m in names if m not in gaps_service.METHODS]
    if unknown or not names:
        raise ValueError(
            f"GAP_SNAPSHOT_METHODS: '{', '.join(unknown) or raw}' is not a method; "
            f"use some of {', '.join(gaps_service.METHODS)}"
        )
    return tuple(dict.fromkeys(names))


def catch_up(kind: str, found: list, as_of: date | None = None) -> None:
    """Bring the store up to date after these committed changes, logging (never raising) a failure.

    What a task should run: the changes incrementally (store.apply_changes), the history's
    tables made if never made, and a back-dated entry when `as_of` is an earlier day.
    """
    try:
        # The history's tables (GAP_SNAPSHOT_METHODS) are made the first time, even when a page has
        # already made some other table of the store.
        kept = set(gapstore.kept_keys())
        missing = [key for key in history_keys() if key not in kept]
        if missing:
            gapstore.refresh(missing, kind)
        if found:
            gapstore.apply_changes(found, kind)
        else:
            gapstore.refresh(gapstore.stale_keys(), kind)
        if as_of is not None and as_of != utcnow().date():
            take_snapshot(kind, as_of)
    except gaps_service.NoWards:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - a failed refresh must not undo or hide the change that caused it
        db.session.rollback()
        log.exception("gap store refresh (%s) failed", kind)


def snapshot_now(kind: str, as_of: date | None = None) -> None:
    """Take and commit a snapshot, logging (never raising) a failure: the change itself is already saved."""
    try:
        take_snapshot(kind, as_of)
    except Exception:  # noqa: BLE001 - a failed snapshot must not undo or hide the change that caused it
        db.session.rollback()
        log.exception("gap snapshot (%s) failed", kind)


def after_change(kind: str, as_of: date | None = None) -> None:
    """After a committed change, bring the gap store up to date as GAP_SNAPSHOTS says: background, inline or off."""
    found = changes.taken(db.session)
    mode = current_app.config.get("GAP_SNAPSHOTS", "background")
    if mode == "off":
        return
    # Outside a web request (CLI commands, or a worker's task) there is nobody to keep waiting.
    if mode == "inline" or not has_request_context():
        catch_up(kind, found, as_of)
        return
    change = gapstore.merged(found)
    queue.enqueue(
        snapshot_task,
        kind,
        as_of.isoformat() if as_of else None,
        change.to_json() if change else None,
        label=f"Gap store update after a change ({kind})",
    )


@queue.task("gaps.snapshot", "Gap store update")
def snapshot_task(kind: str, on: str | None = None, change: str | None = None) -> None:
    """Apply one committed change to the gap store in the worker (on a big area it reads many places)."""
    catch_up(kind, [gapstore.Change.from_json(change)] if change else [], date.fromisoformat(on) if on else None)
    db.session.commit()


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
        """Name the point for people: its survey round, or its date ("6 December 2026", "6 Rhagfyr 2026")."""
        if self.round_name and self.kind == "round":
            return self.round_name
        return format_date(self.as_of, "long") if has_app_context() else f"{self.as_of:%-d %B %Y}"


def points(ward_code: str, category: str, method: str = "share") -> list[Point]:
    """Return every stored row of a ward + category + method, oldest first (by the day described, then taken).

    The store keeps a row when the figures changed, so each point is a change; the figures on
    any day are those of the last point on or before it.
    """
    return [
        Point(
            s.as_of,
            s.taken_at,
            s.kind,
            s.round_name,
            s.distance_m,
            r.need_count,
            r.access_share,
            r.assets_within,
            r.gap_score,
            r.figures or {},
        )
        for s, r in gapstore.history_rows(ward_code, category, method)
    ]


def series(ward_code: str, category: str, method: str = "share") -> list[Point]:
    """Return one point per day described (the last row stored for it), oldest first, each a change.

    A day whose charted figures are those of the day before it adds nothing to a chart (today's
    figures right after a survey round's, say), so it is left out.
    """
    by_day: dict[date, Point] = {}
    for point in points(ward_code, category, method):
        by_day[point.as_of] = point
    out: list[Point] = []
    for point in by_day.values():
        if out and _charted(out[-1]) == _charted(point):
            continue
        out.append(point)
    return out


def _charted(point: Point) -> tuple:
    return tuple(
        None if v is None else round(v, 9)
        for v in (point.need_count, point.access_share, point.assets_within, point.gap_score)
    )


def snapshot_count() -> int:
    """Return how many snapshots are stored."""
    return db.session.scalar(select(func.count()).select_from(GapSnapshot)) or 0
