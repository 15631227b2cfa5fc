"""Data versions: a counter per kind of source data, raised in the same transaction as the change.

Derived tables (outlines, place clusters, gap tables) remember the version they were built from,
so a request can tell in one primary-key read whether they are current, and a tile URL or ETag can
carry the version so browsers and caches keep what has not changed.
"""

from __future__ import annotations

import secrets

from flask_sqlalchemy.session import Session
from sqlalchemy import event, select, update
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history

from webmap.core.db import db
from webmap.core.models import Asset, Category, Need, PopulationArea, Ward
from webmap.scale.models import DataVersion

WARDS, DATA = "wards", "data"
# Which kinds each changed table raises: anything a map or gap table shows raises "data".
_KINDS = {Ward: (WARDS, DATA), Asset: (DATA,), Need: (DATA,), PopulationArea: (DATA,), Category: (DATA,)}
_TABLES = {
    "wards": (WARDS, DATA),
    "assets": (DATA,),
    "asset_categories": (DATA,),
    "needs": (DATA,),
    "population_areas": (DATA,),
    "categories": (DATA,),
}
_PENDING = "webmap_changed_kinds"
BUMPED = "webmap_bumped_versions"  # session.info: {kind: version} the last commit raised to (read after commit)


def current(name: str) -> int:
    """Return the current version of one kind of data (0 before anything was recorded)."""
    return db.session.scalar(select(DataVersion.version).where(DataVersion.name == name)) or 0


def bump(session, kinds) -> None:
    """Raise the version of each kind by one, in the session's current transaction."""
    for name in sorted(set(kinds)):
        done = session.execute(
            update(DataVersion).where(DataVersion.name == name).values(version=DataVersion.version + 1)
        ).rowcount
        if not done:
            # A new counter starts at a random number, not 1: after the table was emptied (a restore,
            # a test) an old number could otherwise come back and match a cache entry of other data.
            session.add(DataVersion(name=name, version=1 + secrets.randbelow(2**30)))
            session.flush()


def _never_shown(obj) -> bool:
    """Say whether a place is not approved and was not before this change: no map or gap table shows it.

    A resident's pending submission (or a moderator rejecting it) then raises no version: derived
    tables, and the gap store's chain of changes (each applied on the version before it), stay current.
    """
    if not isinstance(obj, Asset):
        return False
    # Not inspect(obj).attrs, which builds every attribute's entry.
    history = get_history(obj, "status", PASSIVE_NO_INITIALIZE)
    statuses = {*history.deleted, *history.unchanged, *history.added, obj.status}
    return None not in statuses and "approved" not in statuses


def _kinds_of_objects(session) -> set[str]:
    kinds: set[str] = set()
    dirty = session.dirty  # built from the identity map on each read: once, not once per object
    for obj in (*session.new, *dirty, *session.deleted):
        for cls, names in _KINDS.items():
            if isinstance(obj, cls) and (obj not in dirty or session.is_modified(obj)) and not _never_shown(obj):
                kinds.update(names)
    return kinds


def _after_flush(session, _context) -> None:
    kinds = _kinds_of_objects(session)
    if kinds:
        session.info.setdefault(_PENDING, set()).update(kinds)


def _on_execute(state) -> None:
    """Note bulk inserts, updates and deletes (importers' DELETE ... WHERE, bulk INSERT)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    kinds = _TABLES.get(getattr(table, "name", None), ())
    if kinds:
        state.session.info.setdefault(_PENDING, set()).update(kinds)


def _before_commit(session) -> None:
    session.flush()  # so objects added just before commit are counted
    kinds = session.info.pop(_PENDING, None)
    if kinds:
        bump(session, kinds)
        # Read inside the transaction that raised them (the rows are locked), so a change's
        # version is exactly its own even when another worker commits straight after.
        session.info[BUMPED] = dict(
            session.execute(
                select(DataVersion.name, DataVersion.version).where(DataVersion.name.in_(sorted(kinds)))
            ).all()
        )


def _after_rollback(session) -> None:
    session.info.pop(_PENDING, None)


_listening = False


def listen() -> None:
    """Watch every session of the app for changes to source data (once per process)."""
    global _listening
    if _listening:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", lambda session, _tx: _after_rollback(session))
    _listening = True
