"""The audit trail: who changed which record, when, and its values before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_login import current_user
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent

# What the trail keeps of an asset. The submitter's private details are left out on purpose:
# the trail is shown on pages, and staff can see those fields on the record itself.
SNAPSHOT_FIELDS = (
    "name",
    "description",
    "kind",
    "address",
    "postcode",
    "ward_code",
    "website",
    "phone",
    "email",
    "opening_times",
    "accessibility",
    "status",
    "lon",
    "lat",
    "merged_into_id",
    "last_verified_at",
    "contact_email",
)


def snapshot(asset: Asset) -> dict[str, Any]:
    """Return an asset's values as plain JSON data for the trail."""
    out: dict[str, Any] = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(asset, name)
        out[name] = value.isoformat(timespec="seconds") if isinstance(value, datetime) else value
    out["categories"] = sorted(asset.category_ids())
    return out


def changes(before: dict | None, after: dict | None) -> list[tuple[str, Any, Any]]:
    """Return (field, old, new) for every field whose value differs."""
    before, after = before or {}, after or {}
    return [(k, before.get(k), after.get(k)) for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]


def actor() -> tuple[str, int | None]:
    """Return who is acting: the signed-in staff member's email and id, or "resident"."""
    if current_user and current_user.is_authenticated:
        return current_user.email, int(current_user.id)
    return "resident", None


def record(
    action: str,
    entity_type: str,
    entity_id: int | str,
    before: dict | None = None,
    after: dict | None = None,
    note: str | None = None,
    who: str | None = None,
) -> AuditEvent:
    """Add an audit event for the current actor (or `who`, e.g. a group's manager) to the session."""
    if who is None:
        who, user_id = actor()
    else:
        user_id = None
    event = AuditEvent(
        actor=who,
        user_id=user_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        note=note,
    )
    db.session.add(event)
    return event


def trail(entity_type: str, entity_id: int | str) -> list[AuditEvent]:
    """Return the events about one record, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
