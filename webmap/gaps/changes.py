"""What a committed change touched, for the gap store's incremental refresh.

Watches every session: a need added, edited or deleted notes its ward and category; a place
approved, moved, re-categorised or withdrawn notes its old and new locations and categories;
anything else the gap tables rest on (wards, population, the category list, bulk statements on
places) asks for a full rebuild. At commit the notes become a :class:`webmap.gaps.store.Change`
carrying the data version the commit raised, which the hooks (history.after_change) pass on.
"""

from __future__ import annotations

from dataclasses import replace

from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history

from webmap.core.models import Asset, Category, Need, PopulationArea, Ward
from webmap.scale import versions

_PENDING = "gap_changes_pending"
_COMMITTED = "gap_changes_committed"
_FULL_TABLES = {"wards", "population_areas", "categories", "assets", "asset_categories"}
# A change that moved places at more than this many (location, category) pairs is applied in full.
# Spread over the country (an import of a national register) they touch most wards anyway, and
# reading every place and ward around them costs more than the full refresh, whose memory is
# bounded; kept in full, the list would also travel with the queue's task.
MANY_PLACES = 5_000


def _pending(session) -> dict:
    return session.info.setdefault(_PENDING, {"needs": set(), "places": set(), "all_needs": False, "full": False})


def _old(obj, name):
    # Not inspect(obj).attrs, which builds every attribute's entry.
    history = get_history(obj, name, PASSIVE_NO_INITIALIZE)
    return list(history.deleted) + list(history.unchanged) + list(history.added)


def _note_asset(notes: dict, asset: Asset, deleted: bool, new: bool = False) -> None:
    if notes["full"]:
        return  # a full refresh covers it
    statuses = set(_old(asset, "status")) | {asset.status}
    if "approved" not in statuses:
        return  # never shown on the gap pages, before or after
    if not (new or deleted) and not any(
        get_history(asset, name, PASSIVE_NO_INITIALIZE).has_changes() for name in ("status", "lon", "lat", "categories")
    ):
        return  # still approved, still there: a check or a new description moves no gap figure
    points = {(lon, lat) for lon in _old(asset, "lon") for lat in _old(asset, "lat")} | {(asset.lon, asset.lat)}
    categories = {c.id for c in _old(asset, "categories")} | {c.id for c in asset.categories}
    for lon, lat in points:
        if lon is None or lat is None:
            continue
        for category in categories:
            notes["places"].add((float(lon), float(lat), str(category)))
    if len(notes["places"]) > MANY_PLACES:
        notes["full"], notes["places"] = True, set()


def _after_flush(session, _context) -> None:
    notes = None
    # Each of these properties builds a new set from the identity map: read once, not once per object
    # (a large import flushes a hundred thousand objects).
    new, dirty = session.new, session.dirty
    for group, deleted in ((new, False), (dirty, False), (session.deleted, True)):
        for obj in group:
            if isinstance(obj, (Ward, PopulationArea, Category)):
                notes = notes or _pending(session)
                notes["full"] = True
            elif isinstance(obj, Need):
                if obj in dirty and not session.is_modified(obj):
                    continue
                notes = notes or _pending(session)
                for ward in set(_old(obj, "ward_code")) | {obj.ward_code}:
                    for category in set(_old(obj, "category_id")) | {obj.category_id}:
                        if ward and category:
                            notes["needs"].add((str(ward), str(category)))
            elif isinstance(obj, Asset):
                if obj in dirty and not session.is_modified(obj):
                    continue
                notes = notes or _pending(session)
                _note_asset(notes, obj, deleted, obj in new)


def _on_execute(state) -> None:
    """A bulk statement says nothing about which rows: needs only re-do the demand side, the rest a full rebuild."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if name == "needs":
        _pending(state.session)["all_needs"] = True
    elif name in _FULL_TABLES:
        _pending(state.session)["full"] = True


def _after_commit(session) -> None:
    notes = session.info.pop(_PENDING, None)
    bumped = session.info.pop(versions.BUMPED, None) or {}
    if notes is None or versions.DATA not in bumped:
        return
    from webmap.gaps.store import Change

    change = bounded(
        Change(
            version=int(bumped[versions.DATA]),
            needs=tuple(sorted(notes["needs"])),
            places=tuple(sorted(notes["places"])),
            all_needs=notes["all_needs"],
            full=notes["full"] or versions.WARDS in bumped,
        )
    )
    session.info.setdefault(_COMMITTED, []).append(change)


def bounded(change):
    """Return the change, or a full one in its place when it moved places at more than MANY_PLACES points."""
    if len(change.places) <= MANY_PLACES:
        return change
    return replace(change, places=(), full=True)


def taken(session) -> list:
    """Return (and forget) the changes this session committed since last asked."""
    return session.info.pop(_COMMITTED, [])


def pending_handover(session) -> bool:
    """Say whether this session committed changes nobody has taken yet."""
    return bool(session.info.get(_COMMITTED))


_listening = False


def listen() -> None:
    """Watch every session for changes the gap tables rest on (once per process)."""
    global _listening
    if _listening:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", lambda session, _tx: session.info.pop(_PENDING, None))
    _listening = True
