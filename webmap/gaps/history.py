"""Gap history: the gap store (webmap/gaps/store.py) read as series, and the hook that keeps it up to date.

The history and the tables pages show are one store: each ward's latest row of a table is what
the pages show, its older rows are its history. After a committed change, :func:`after_change`
hands what the change touched to ``apply.apply_change``, which recomputes only that.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

import pandas as pd
from flask import current_app, has_app_context, has_request_context
from flask_babel import format_date
from sqlalchemy import func, select

from webmap.core import english, queue, store
from webmap.core.db import db
from webmap.core.models import GapSnapshot, Need, Response, utcnow
from webmap.gaps import apply as gapply
from webmap.gaps import changes
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore
from webmap.scale import refresh as background
from webmap.scale import versions

log = logging.getLogger(__name__)
KINDS = ("import", "round", "approval", "need", "manual", "refresh", "migrated")
# "When residents asked" is kept by this method (the figures "you said, we did" shows).
ASKED_METHOD = "share"
KEEP_ASKS = "gaps.keep_asks"
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
    return db.session.scalars(
        select(GapSnapshot).where(GapSnapshot.kind != gapstore.ASKED).order_by(GapSnapshot.id.desc()).limit(1)
    ).first()


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

    What a task should run: the changes incrementally (apply.apply_changes), the history's
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
            gapply.apply_changes(found, kind)
        else:
            gapstore.refresh(gapstore.stale_keys(), kind)
        if kind == "round" and as_of is not None:
            # A round of that day (new, or imported again): what residents asked that day is kept afresh.
            gapstore.forget_asked(as_of)
            db.session.commit()
        if as_of is not None and as_of != utcnow().date():
            take_snapshot(kind, as_of)
        # What residents asked, as the map stood then, is kept once (the asks of this change, say).
        keep_first_asks(_asks_of(kind, found, as_of))
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


def after_change(kind: str, as_of: date | None = None, own_task: bool = False) -> None:
    """After a committed change, bring the gap store up to date as GAP_SNAPSHOTS says: background, inline or off.

    `own_task`: queue the update even outside a web request (a worker's import, after which the
    worker starts afresh, so the update does not stack its memory on the import's).
    """
    found = changes.taken(db.session)
    mode = current_app.config.get("GAP_SNAPSHOTS", "background")
    if mode == "off":
        return
    # Outside a web request (CLI commands, or a worker's task) there is nobody to keep waiting.
    if mode == "inline" or (not has_request_context() and not own_task):
        catch_up(kind, found, as_of)
        return
    change = gapply.merged(found)
    queue.enqueue(
        snapshot_task,
        kind,
        as_of.isoformat() if as_of else None,
        change.to_json() if change else None,
        label=english._("Gap store update after a change (%(kind)s)", kind=kind),
    )


@queue.task("gaps.snapshot", english._("Gap store update"))
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
        if s.kind != gapstore.ASKED  # the figures kept for "you said, we did", not a change of the table
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
    """Return how many snapshots are stored (entries of the tables' history; the figures kept for asks aside)."""
    return (
        db.session.scalar(select(func.count()).select_from(GapSnapshot).where(GapSnapshot.kind != gapstore.ASKED)) or 0
    )


# ---- "when residents asked": the figures kept at the first ask --------------------------------


def first_asks(ward_codes: list[str] | None = None) -> dict[tuple[str, str], datetime]:
    """Return {(ward, category): the moment residents first asked} ("you said, we did"'s ask).

    A survey round's needs were asked at the end of the round's day; any other need when it was
    stored. A ward and kind with a published response but no stated need: the start of the first
    response's day.
    """
    out: dict[tuple[str, str], datetime] = {}

    def grouped(query, *where):
        query = query.where(*where).group_by(query.selected_columns[0], query.selected_columns[1])
        if ward_codes is not None:
            query = query.where(query.selected_columns[0].in_(ward_codes))
        return db.session.execute(query).all()

    rounds = select(Need.ward_code, Need.category_id, func.min(Need.asked_on))
    for ward, category, day in grouped(rounds, Need.round_id.is_not(None)):
        out[(ward, category)] = datetime.combine(day, time.max)
    others = select(Need.ward_code, Need.category_id, func.min(Need.created_at))
    for ward, category, moment in grouped(others, Need.round_id.is_(None)):
        out[(ward, category)] = min(out.get((ward, category), moment), moment)
    answered = select(Response.ward_code, Response.category_id, func.min(Response.done_on))
    for ward, category, day in grouped(answered, Response.status == "published"):
        out.setdefault((ward, category), datetime.combine(day, time.min))
    return out


def _asked_key(category: str, distance: float) -> str:
    return gapstore.key_of(gaps_service.GapQuery(category, ASKED_METHOD, float(distance)))


def keep_asks(asks: dict[tuple[str, str], datetime], distance: float) -> int:
    """Keep in the gap store the figures of each ward and kind as they stood when residents asked; commit.

    Only asks with no figures kept yet for their moment are worked out, once: from the latest
    rows when the ask is today and nothing came on the map since (the map has not changed), else
    as the map stood at the moment (gaps_service.tables_at: the places on the map by then, the
    needs that counted that day). Later requests and later imports read the kept figures.
    Returns how many asks were kept.
    """
    keys = {category: _asked_key(category, distance) for _, category in asks}
    kept = gapstore.asked_kept(sorted({w for w, _ in asks}), sorted(set(keys.values())))
    missing = {(w, c): m for (w, c), m in asks.items() if (m, w, keys[c]) not in kept}
    if not missing:
        return 0
    by_moment: dict[datetime, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for (ward, category), moment in missing.items():
        by_moment[moment][category].append(ward)
    last = store.last_on_map()  # when anything last came on the map, without reading every place
    today = utcnow().date()
    kept_at = gapstore.versions_of(sorted(set(keys.values())))
    now = versions.current(versions.DATA)
    # The latest rows are the figures at the moment only if the ask is today, nothing came on the
    # map since and the tables reflect the current data; any other moment is worked out as it stood.
    worked = [
        moment
        for moment, categories in by_moment.items()
        if moment.date() != today
        or (last is not None and last > moment)
        or any(kept_at.get(keys[c]) != now for c in categories)
    ]
    tables = (
        gaps_service.tables_at(sorted({c for m in worked for c in by_moment[m]}), worked, ASKED_METHOD, distance)
        if worked
        else {}
    )
    # One entry per day of asks; each row names its own moment.
    moments: dict[date, dict[tuple[str, str], datetime]] = defaultdict(dict)
    # Asks read from the same table (the latest rows, or one map as it stood, shared by the moments
    # between the same two place events) are gathered, so each table is read and sliced once per
    # day, not once per moment: a national import's asks are thousands of moments.
    sources: dict[tuple[date, str, int], tuple[pd.DataFrame | None, list[str]]] = {}
    for moment, categories in by_moment.items():
        for category, wards in categories.items():
            key = keys[category]
            moments[moment.date()].update({(ward, key): moment for ward in wards})
            table = tables[moment][category] if moment in tables else None
            sources.setdefault((moment.date(), key, id(table)), (table, []))[1].extend(wards)
    by_day: dict[date, dict[str, list[pd.DataFrame]]] = defaultdict(lambda: defaultdict(list))
    for (day, key, _), (table, wards) in sources.items():
        frame = _latest_table(key, wards) if table is None else pd.DataFrame(table.drop(columns=table.geometry.name))
        if "ward_code" in frame.columns:
            by_day[day][key].append(frame[frame["ward_code"].isin(wards)])
    for day, parts in by_day.items():
        gapstore.keep_asked(
            day, {key: pd.concat(found, ignore_index=True) for key, found in parts.items()}, moments[day]
        )
    db.session.commit()
    return len(missing)


def _latest_table(key: str, wards: list[str]) -> pd.DataFrame:
    """Return these wards' latest rows of a table as one frame (no rows, no columns: none kept)."""
    return pd.DataFrame([figures for k, figures in gapstore.latest_rows(wards, [key]) if k == key])


def keep_first_asks(pairs: Iterable[tuple[str, str]] | None = None) -> int:
    """Keep the figures of first asks not kept yet, of these (ward, category) pairs or else every one; commit.

    What the hooks run after a change: a change of some needs can only have added their asks, so
    only their wards' asks are read (not every need of the area).
    """
    distance = float(current_app.config["ACCESS_DISTANCE_M"])
    if pairs is None:
        return keep_asks(first_asks(), distance)
    wanted = set(pairs)
    if not wanted:
        return 0
    asks = first_asks(sorted({ward for ward, _ in wanted}))
    return keep_asks({pair: moment for pair, moment in asks.items() if pair in wanted}, distance)


def _asks_of(kind: str, found: list, as_of: date | None) -> set[tuple[str, str]] | None:
    """Return the (ward, category) pairs whose asks these changes can have added; None: any in the area.

    Asks come from needs and published responses. A change of some needs names them, and a place
    approved, moved or withdrawn adds none (what was kept of an ask is the map as it stood then);
    anything else (a bulk or survey change of needs, wards, or no change named) looks at the whole
    area, which also keeps asks an earlier run missed. A round's asks of its day were just forgotten
    (forget_asked), every ward's, so they are all kept afresh.
    """
    if not found or (kind == "round" and as_of is not None):
        return None
    if any(c.all_needs or c.full for c in found):
        return None
    return {(ward, category) for c in found for ward, category in c.needs}


@queue.task(KEEP_ASKS, english._("Keep the gap figures of when residents asked"))
def keep_asks_task() -> str:
    """Keep, in the worker, the figures of every first ask not kept yet (a big area's page asked for it)."""
    return f"Kept the gap figures of {keep_first_asks()} asks."


def asked_points(asks: dict[tuple[str, str], datetime], distance: float) -> dict[tuple[str, str], Point]:
    """Return the kept figures of each ward and kind when residents asked, read from the gap store's history.

    Asks whose figures are not kept yet (the store was off, or the change's task has not run)
    are kept now on a small area; on a big one a worker is asked to, and they stay unknown
    (absent) meanwhile, so no visitor waits for the whole map.
    """
    found = _asked_points(asks, distance)
    missing = {k: m for k, m in asks.items() if k not in found}
    if missing:
        if background.in_background():
            if not queue.waiting(KEEP_ASKS):
                queue.enqueue(keep_asks_task, label=english._("Keep the gap figures of when residents asked"))
        else:
            try:
                keep_asks(missing, distance)
            except gaps_service.NoWards:
                return found
            except Exception:  # noqa: BLE001 - the page shows the figures as not recorded yet rather than fail
                db.session.rollback()
                log.exception("keeping the gap figures of when residents asked failed")
                return found
            found.update(_asked_points(missing, distance))
    return found


def _asked_points(asks: dict[tuple[str, str], datetime], distance: float) -> dict[tuple[str, str], Point]:
    if not asks:
        return {}
    found: dict[tuple[str, str], Point] = {}
    rows = gapstore.history_rows(
        sorted({w for w, _ in asks}), sorted({c for _, c in asks}), ASKED_METHOD, kinds=(gapstore.ASKED,)
    )
    for s, r in rows:
        pair = (r.ward_code, r.category)
        if pair in asks and r.asked_at == asks[pair] and r.key == _asked_key(r.category, distance):
            found[pair] = Point(
                s.as_of,
                r.asked_at,
                "asked",
                s.round_name,
                s.distance_m,
                r.need_count,
                r.access_share,
                r.assets_within,
                r.gap_score,
                r.figures or {},
            )
    return found
