"""Undo a finished places import: archive the places it added, put back the values it changed.

Nothing is deleted (places it added are archived) and a rollback is refused when later work
depends on the import: a later import of the same source, or a person's edit since.
"""

from __future__ import annotations

from collections.abc import Iterator

import shapely
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from webmap.core.db import db
from webmap.core.models import Asset, Category, ImportJob, utcnow
from webmap.importers.writing import let_go
from webmap.imports.jobs import audit
from webmap.imports.kinds import KINDS

RESTORED_FIELDS = (
    "name",
    "description",
    "kind",
    "address",
    "postcode",
    "ward_code",
    "website",
    "phone",
    "opening_times",
    "accessibility",
    "status",
    "lon",
    "lat",
)


# Ids per statement: well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535, for an
# import of any size; the places of one part are written and let go of before the next is read.
PART = 5000


def _parts(ids) -> Iterator[list[int]]:
    ids = [int(i) for i in ids]
    for start in range(0, len(ids), PART):
        yield ids[start : start + PART]


def _places(ids: list[int]) -> dict[int, Asset]:
    """Return these places by id (their wards not loaded)."""
    query = select(Asset).options(lazyload(Asset.ward)).where(Asset.id.in_(ids))
    return {a.id: a for a in db.session.scalars(query)}


def _changed(job: ImportJob) -> Iterator[tuple[Asset, dict]]:
    """Yield each place the import changed that is still there, by id, with its values from before."""
    updated = {int(i): before for i, before in (job.changes or {}).get("updated", {}).items()}
    for part in _parts(sorted(updated)):
        places = _places(part)
        for asset_id in part:
            if asset_id in places:
                yield places[asset_id], updated[asset_id]


def why_not(job: ImportJob) -> str | None:
    """Return why the job cannot be rolled back, or None when it can."""
    if job.state == "rolled back":
        return _("This import has already been rolled back.")
    if job.state != "done":
        return _("Only a finished import can be rolled back; this one saved nothing.")
    if not KINDS[job.kind].places or not job.changes:
        return _(
            "Rolling back %(what)s is not offered: importing the earlier file again "
            "puts the earlier values back, because these rows are replaced by their codes.",
            what=KINDS[job.kind].label.lower(),
        )
    later = db.session.scalar(
        select(ImportJob)
        .where(ImportJob.kind == job.kind, ImportJob.id > job.id, ImportJob.state == "done")
        .order_by(ImportJob.id)
    )
    if later is not None and (later.changes or {}).get("source") == job.changes.get("source"):
        return _(
            "Import #%(id)s of the same source (%(file)s) came later: roll that one back first.",
            id=later.id,
            file=later.filename,
        )
    ids = [*job.changes.get("created", []), *map(int, job.changes.get("updated", {}))]
    edited, names = 0, []
    for part in _parts(ids):
        since = (Asset.id.in_(part), Asset.updated_at > job.finished_at)
        edited += db.session.scalar(select(func.count()).select_from(Asset).where(*since)) or 0
        if len(names) < 3:
            names += db.session.scalars(select(Asset.name).where(*since).order_by(Asset.id).limit(3 - len(names)))
    if edited:
        listed = ", ".join(f"“{name}”" for name in names)
        return _(
            "%(count)s of its places were changed since it ran (%(names)s); rolling back would undo that work too.",
            count=edited,
            names=f"{listed}{' …' if edited > 3 else ''}",
        )
    return None


FIELD_WORDS = {
    "name": _l("name"),
    "description": _l("description"),
    "kind": _l("kind"),
    "address": _l("address"),
    "postcode": _l("postcode"),
    "ward_code": _l("ward"),
    "website": _l("website"),
    "phone": _l("phone"),
    "opening_times": _l("opening times"),
    "accessibility": _l("accessibility"),
    "status": _l("status"),
    "lon": _l("longitude"),
    "lat": _l("latitude"),
    "categories": _l("categories"),
}


def plan(job: ImportJob) -> dict:
    """Say, place by place, what rolling the job back would do, without doing it (for the confirmation page).

    "archive": places it added; "add_back": places it took off the map that go back on; "restore":
    other places it changed, each with (field, value now, value put back).
    """
    archive = sorted(
        (
            (row.id, row.name)
            for part in _parts(job.changes.get("created", []))
            for row in db.session.execute(
                select(Asset.id, Asset.name).where(Asset.id.in_(part), Asset.status != "archived")
            )
        ),
        key=lambda row: (row[1], row[0]),
    )
    add_back, restore = [], []
    for asset, before in _changed(job):
        now = {**{f: getattr(asset, f) for f in RESTORED_FIELDS}, "categories": asset.category_ids()}
        differs = [
            (FIELD_WORDS[f], now.get(f), before.get(f))
            for f in (*RESTORED_FIELDS, "categories")
            if _shown(now.get(f)) != _shown(before.get(f))
        ]
        entry = (asset.id, asset.name, differs)
        if before.get("status") == "approved" and asset.status != "approved":
            add_back.append(entry)
        else:
            restore.append(entry)
    return {"archive": archive, "add_back": add_back, "restore": restore}


def _shown(value) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(sorted(map(str, value)))
    if isinstance(value, float):
        return f"{value:.6f}"
    return "" if value is None else str(value)


def roll_back(job: ImportJob) -> dict:
    """Archive the places the import added and restore the ones it changed; audited. Returns counts."""
    reason = why_not(job)
    if reason:
        raise ValueError(reason)
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    archived = 0
    for part in _parts(job.changes.get("created", [])):
        places = _places(part)
        for asset in places.values():
            if asset.status != "archived":
                asset.status = "archived"
                archived += 1
        db.session.flush()
        let_go(places.values())
    restored = 0
    changed: list[Asset] = []
    for asset, before in _changed(job):
        for name in RESTORED_FIELDS:
            setattr(asset, name, before.get(name))
        asset.geom = shapely.Point(before["lon"], before["lat"])
        asset.categories = [categories[c] for c in before.get("categories", []) if c in categories]
        restored += 1
        changed.append(asset)
        if len(changed) == PART:
            db.session.flush()
            let_go(changed)
            changed = []
    db.session.flush()
    let_go(changed)
    job.state = "rolled back"
    counts = {"archived": archived, "restored": restored, "at": utcnow().isoformat(timespec="seconds")}
    job.result = {**(job.result or {}), "rollback": counts}
    return counts


def record_rollback(job: ImportJob, counts: dict, actor: str, user_id: int | None) -> None:
    """Add the rollback to the audit trail under the person who asked for it."""
    audit(job, "import rolled back", counts, actor=actor, user_id=user_id)
