"""What a committed change touched, for the gap store's incremental refresh.

Watches every session: a need added, edited or deleted notes its ward and category; a place
approved, moved, re-categorised or withdrawn notes its old and new locations and categories;
anything else the gap tables rest on (wards, population, the category list, bulk statements on
places) asks for a full rebuild. At commit the notes become a :class:`webmap.gaps.store.Change`
carrying the data version the commit raised, which the hooks (history.after_change) pass on.
"""

from __future__ import annotations

from flask_sqlalchemy.session import Session
from sqlalchemy import event, inspect

from webmap.core.models import Asset, Category, Need, PopulationArea, Ward
from webmap.scale import versions

_PENDING = "gap_changes_pending"
_COMMITTED = "gap_changes_committed"
_FULL_TABLES = {"wards", "population_areas", "categories", "assets", "asset_categories"}


def _pending(session) -> dict:
    return session.info.setdefault(_PENDING, {"needs": set(), "places": set(), "all_needs": False, "full": False})


def _old(state, name):
    history = state.attrs[name].history
    return list(history.deleted) + list(history.unchanged) + list(history.added)


def _note_asset(notes: dict, asset: Asset, deleted: bool, new: bool = False) -> None:
    state = inspect(asset)
    statuses = set(_old(state, "status")) | {asset.status}
    if "approved" not in statuses:
        return  # never shown on the gap pages, before or after
    if not (new or deleted) and not any(
        state.attrs[name].history.has_changes() for name in ("status", "lon", "lat", "categories")
    ):
        return  # still approved, still there: a check or a new description moves no gap figure
    points = {(lon, lat) for lon in _old(state, "lon") for lat in _old(state, "lat")} | {(asset.lon, asset.lat)}
    categories = {c.id for c in _old(state, "categories")} | {c.id for c in asset.categories}
    for lon, lat in points:
        if lon is None or lat is None:
            continue
        for category in categories:
            notes["places"].add((float(lon), float(lat), str(category)))


def _after_flush(session, _context) -> None:
    notes = None
    for group, deleted in ((session.new, False), (session.dirty, False), (session.deleted, True)):
        for obj in group:
            if isinstance(obj, (Ward, PopulationArea, Category)):
                notes = notes or _pending(session)
                notes["full"] = True
            elif isinstance(obj, Need):
                state = inspect(obj)
                if obj in session.dirty and not session.is_modified(obj):
                    continue
                notes = notes or _pending(session)
                for ward in set(_old(state, "ward_code")) | {obj.ward_code}:
                    for category in set(_old(state, "category_id")) | {obj.category_id}:
                        if ward and category:
                            notes["needs"].add((str(ward), str(category)))
            elif isinstance(obj, Asset):
                if obj in session.dirty and not session.is_modified(obj):
                    continue
                notes = notes or _pending(session)
                _note_asset(notes, obj, deleted, obj in session.new)


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

    change = Change(
        version=int(bumped[versions.DATA]),
        needs=tuple(sorted(notes["needs"])),
        places=tuple(sorted(notes["places"])),
        all_needs=notes["all_needs"],
        full=notes["full"] or versions.WARDS in bumped,
    )
    session.info.setdefault(_COMMITTED, []).append(change)


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
