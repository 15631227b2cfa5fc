"""Keep derived tables current: rebuild one when the data version it was built from has moved on."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from webmap.core import store
from webmap.core.db import db
from webmap.scale import outlines, places, versions
from webmap.scale.models import DerivedBuild

# Derived table -> the kind of data it is made from.
SOURCES = {"ward_outlines": versions.WARDS, "place_cells": versions.DATA}


def built_version(name: str) -> int | None:
    """Return the data version a derived table was built from, or None if never built."""
    return db.session.scalar(select(DerivedBuild.version).where(DerivedBuild.name == name))


def is_current(name: str) -> bool:
    """Say whether a derived table was built from the current version of its data."""
    return built_version(name) == versions.current(SOURCES[name])


def _lock(name: str) -> None:
    """Serialise rebuilds of one table across workers (PostgreSQL row lock; SQLite locks on write)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(DerivedBuild).where(DerivedBuild.name == name).with_for_update())


def _record(name: str, version: int) -> None:
    row = db.session.get(DerivedBuild, name) or DerivedBuild(name=name)
    row.version = version
    db.session.add(row)


def _rebuild(name: str, build: Callable[[], int]) -> int:
    version = versions.current(SOURCES[name])
    _lock(name)
    if built_version(name) == version:  # another worker has just built it
        db.session.commit()
        return 0
    written = build()
    _record(name, version)
    db.session.commit()
    return written


def ensure_outlines() -> None:
    """Build the simplified outlines if the wards changed since they were last built (big area: in the background)."""
    if not is_current("ward_outlines") and not _refresh_later("ward_outlines"):
        _rebuild("ward_outlines", lambda: outlines.build_outlines(store.wards_frame()))


def ensure_cells() -> None:
    """Count places into cells if places changed since they were last counted (big area: in the background)."""
    if not is_current("place_cells") and not _refresh_later("place_cells"):
        _rebuild("place_cells", places.build_cells)


def _refresh_later(name: str) -> bool:
    """On a big area with an earlier build to show meanwhile, ask for a background refresh; say if asked."""
    from webmap.scale import refresh

    if built_version(name) is None or not refresh.in_background():
        return False
    refresh.request()
    return True


def tag(name: str) -> str:
    """Return "data version.built version" of a derived table: it changes whenever what it serves may have."""
    return f"{versions.current(SOURCES[name])}.{built_version(name) or 0}"


def rebuild_outline_table() -> int:
    """Rebuild the outlines now (the background refresh); return rows written."""
    return _force("ward_outlines", lambda: outlines.build_outlines(store.wards_frame()))


def rebuild_cell_table() -> int:
    """Recount the place cells now (the background refresh); return rows written."""
    return _force("place_cells", places.build_cells)


def rebuild_maps() -> dict[str, int]:
    """Rebuild outlines and place cells now, whatever their state; return rows written per table."""
    return {
        "ward_outlines": _force("ward_outlines", lambda: outlines.build_outlines(store.wards_frame())),
        "place_cells": _force("place_cells", places.build_cells),
    }


def _force(name: str, build: Callable[[], int]) -> int:
    version = versions.current(SOURCES[name])
    written = build()
    _record(name, version)
    db.session.commit()
    return written
