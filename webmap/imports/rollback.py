"""Undo a finished places import: archive the places it added, put back the values it changed.

Nothing is deleted (places it added are archived) and a rollback is refused when later work
depends on the import: a later import of the same source, or a person's edit since.
"""

from __future__ import annotations

import shapely
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset, Category, ImportJob, utcnow
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
    edited = (
        db.session.scalars(select(Asset).where(Asset.id.in_(ids), Asset.updated_at > job.finished_at)).all()
        if ids
        else []
    )
    if edited:
        names = ", ".join(f"“{a.name}”" for a in edited[:3])
        return _(
            "%(count)s of its places were changed since it ran (%(names)s); rolling back would undo that work too.",
            count=len(edited),
            names=f"{names}{' …' if len(edited) > 3 else ''}",
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
    archive = [
        (a.id, a.name)
        for a in db.session.scalars(
            select(Asset)
            .where(Asset.id.in_(job.changes.get("created", [])), Asset.status != "archived")
            .order_by(Asset.name)
        )
    ]
    add_back, restore = [], []
    for asset_id, before in sorted((job.changes or {}).get("updated", {}).items(), key=lambda kv: int(kv[0])):
        asset = db.session.get(Asset, int(asset_id))
        if asset is None:
            continue
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
    for asset in db.session.scalars(select(Asset).where(Asset.id.in_(job.changes.get("created", [])))):
        if asset.status != "archived":
            asset.status = "archived"
            archived += 1
    restored = 0
    for asset_id, before in job.changes.get("updated", {}).items():
        asset = db.session.get(Asset, int(asset_id))
        if asset is None:
            continue
        for name in RESTORED_FIELDS:
            setattr(asset, name, before.get(name))
        asset.geom = shapely.Point(before["lon"], before["lat"])
        asset.categories = [categories[c] for c in before.get("categories", []) if c in categories]
        restored += 1
    job.state = "rolled back"
    counts = {"archived": archived, "restored": restored, "at": utcnow().isoformat(timespec="seconds")}
    job.result = {**(job.result or {}), "rollback": counts}
    return counts


def record_rollback(job: ImportJob, counts: dict, actor: str, user_id: int | None) -> None:
    """Add the rollback to the audit trail under the person who asked for it."""
    audit(job, "import rolled back", counts, actor=actor, user_id=user_id)
