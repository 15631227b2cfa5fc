"""Find, hand over, erase and expire what the site holds about a person (submitters and reporters).

Erasing means the value is gone from every table: the row's own fields are emptied, and every
copy in free text (audit snapshots and notes, suggested changes, need comments) is replaced by
ERASED. The audit record of an erasure keeps counts, never the values.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, or_, select

from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, ChangeRequest, Need, utcnow

ERASED = "[erased]"
# The private fields of each table, and the column that dates them for the retention rule.
SUBMITTER_FIELDS = ("submitter_name", "submitter_email", "submitter_phone", "submitter_ip")
REPORTER_FIELDS = ("reporter_ip",)
# Public contact fields of a listing, erased too when they are the person's own.
PUBLIC_CONTACT_FIELDS = ("email", "phone")


def phone_digits(value: str | None) -> str:
    """Return a UK phone number as bare digits with a leading 0 ("+44 7700 900731" -> "07700900731")."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits


def _is_phone(query: str) -> bool:
    return "@" not in query and len(phone_digits(query)) >= 7


@dataclass
class Holdings:
    """Everything held about one email address or phone number."""

    query: str
    assets: list[Asset] = field(default_factory=list)
    change_requests: list[ChangeRequest] = field(default_factory=list)
    needs: list[Need] = field(default_factory=list)
    audit_events: list[AuditEvent] = field(default_factory=list)
    # Values to erase wherever they appear, and those erased only in the matched assets' own events.
    values: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (self.assets or self.change_requests or self.needs or self.audit_events)

    def as_dict(self) -> dict[str, Any]:
        """Return the holdings as plain JSON data (a subject access response)."""
        return {
            "query": self.query,
            "made_at": utcnow().isoformat(timespec="seconds"),
            "assets": [_asset_dict(a) for a in self.assets],
            "change_requests": [_row_dict(c, ("id", "asset_id", "kind", "proposed", "note", "status", "created_at",
                                               "reporter_ip")) for c in self.change_requests],
            "needs": [_row_dict(n, ("id", "ward_code", "category_id", "comment", "source", "created_at"))
                      for n in self.needs],
            "audit_events": [_row_dict(e, ("id", "at", "actor", "action", "entity_type", "entity_id", "before", "after",
                                           "note")) for e in self.audit_events],
        }

    def as_rows(self) -> list[tuple[str, Any, str, Any]]:
        """Return (record type, id, field, value) rows for a CSV download."""
        rows = []
        for kind, records in self.as_dict().items():
            if not isinstance(records, list):
                continue
            for record in records:
                for name, value in record.items():
                    if name != "id" and value not in (None, "", [], {}):
                        rows.append((kind, record["id"], name, value))
        return rows


def _plain(value: Any) -> Any:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value


def _row_dict(row: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


def _asset_dict(asset: Asset) -> dict[str, Any]:
    out = _row_dict(asset, ("id", "name", "status", "address", "postcode", "created_at", "email", "phone",
                            *SUBMITTER_FIELDS, "submitter_wants_updates"))
    out["categories"] = asset.category_ids()
    return out


def find(query: str) -> Holdings:
    """Return everything held about an email address or a phone number."""
    query = (query or "").strip()
    if "@" not in query and not _is_phone(query):
        raise ValueError(f"'{query}' is neither an email address nor a phone number.")
    found = Holdings(query=query, values={query})
    if "@" in query:
        email = query.lower()
        found.assets = list(db.session.scalars(select(Asset).where(or_(
            func.lower(Asset.submitter_email) == email, func.lower(Asset.email) == email)).order_by(Asset.id)))
    else:
        digits = phone_digits(query)
        candidates = db.session.scalars(select(Asset).where(or_(Asset.submitter_phone.is_not(None),
                                                                Asset.phone.is_not(None))).order_by(Asset.id))
        found.assets = [a for a in candidates if digits in (phone_digits(a.submitter_phone), phone_digits(a.phone))]
    for asset in found.assets:
        if _mine(asset, query):
            found.values |= {v for v in (asset.submitter_email, asset.submitter_phone, asset.submitter_ip) if v}
            if asset.submitter_name:
                found.names.add(asset.submitter_name)
        found.values |= {getattr(asset, f) for f in PUBLIC_CONTACT_FIELDS if _matches(getattr(asset, f), query)}
    pattern = _pattern(found.values)
    asset_ids = {str(a.id) for a in found.assets}
    found.change_requests = [c for c in db.session.scalars(select(ChangeRequest).order_by(ChangeRequest.id))
                             if c.asset_id in {a.id for a in found.assets} and c.reporter_ip in found.values
                             or pattern.search(_text(c.note, c.proposed, c.reporter_ip))]
    found.needs = [n for n in db.session.scalars(select(Need).where(Need.comment.is_not(None)).order_by(Need.id))
                   if pattern.search(n.comment)]
    name_pattern = _pattern(found.names)
    found.audit_events = [e for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
                          if pattern.search(_text(e.before, e.after, e.note))
                          or (found.names and e.entity_type == "asset" and e.entity_id in asset_ids
                              and name_pattern.search(_text(e.before, e.after, e.note)))]
    return found


def _matches(value: str | None, query: str) -> bool:
    if not value:
        return False
    if "@" in query:
        return value.lower() == query.lower()
    return phone_digits(value) == phone_digits(query)


def _mine(asset: Asset, query: str) -> bool:
    """Say whether the asset's submitter is the person asked about (not just its public contact)."""
    return _matches(asset.submitter_email, query) or _matches(asset.submitter_phone, query)


def _pattern(values: Iterable[str]) -> re.Pattern:
    """Return a case-insensitive regex matching any of the values (and nothing when there are none)."""
    parts = sorted({re.escape(v) for v in values if v}, key=len, reverse=True)
    return re.compile("|".join(parts), re.I) if parts else re.compile(r"(?!x)x")


def _text(*values: Any) -> str:
    return " ".join(repr(v) if not isinstance(v, str) else v for v in values if v is not None)


def scrub(value: Any, pattern: re.Pattern) -> Any:
    """Return `value` (text or JSON data) with every match of `pattern` replaced by ERASED."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, dict):
        return {k: scrub(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, pattern) for v in value]
    return value


def erase(found: Holdings, actor: str, user_id: int | None = None) -> dict[str, int]:
    """Erase everything in `found` and record that it happened (counts only); the caller commits."""
    query = found.query
    for asset in found.assets:
        if _mine(asset, query):
            for name in SUBMITTER_FIELDS:
                setattr(asset, name, None)
            asset.submitter_wants_updates = False
        for name in PUBLIC_CONTACT_FIELDS:
            if _matches(getattr(asset, name), query):
                setattr(asset, name, None)
    counts = _scrub_everywhere(found.values, found.names, {str(a.id) for a in found.assets})
    counts["assets"] = len(found.assets)
    db.session.add(AuditEvent(actor=actor, user_id=user_id, action="erase", entity_type="personal data",
                              after=counts, note="erased on request; the values are not kept"))
    return counts


def _scrub_everywhere(values: set[str], names: set[str], asset_ids: set[str]) -> dict[str, int]:
    """Replace the values in every free-text column; names only in their own assets' audit events."""
    pattern, name_pattern = _pattern(values), _pattern(names)
    counts = {"change_requests": 0, "needs": 0, "audit_events": 0}
    if not values and not names:
        return counts
    for change in db.session.scalars(select(ChangeRequest)):
        if change.reporter_ip in values:
            change.reporter_ip = None
            counts["change_requests"] += 1
        if pattern.search(_text(change.note, change.proposed)):
            change.note, change.proposed = scrub(change.note, pattern), scrub(change.proposed, pattern)
            counts["change_requests"] += 1
    for need in db.session.scalars(select(Need).where(Need.comment.is_not(None))):
        if pattern.search(need.comment):
            need.comment = scrub(need.comment, pattern)
            counts["needs"] += 1
    for event in db.session.scalars(select(AuditEvent)):
        patterns = [pattern]
        if names and event.entity_type == "asset" and event.entity_id in asset_ids:
            patterns.append(name_pattern)
        for p in patterns:
            if p.search(_text(event.before, event.after, event.note)):
                event.before, event.after, event.note = scrub(event.before, p), scrub(event.after, p), scrub(event.note, p)
                counts["audit_events"] += 1
    return counts


def retention_cutoff(months: int, now: datetime | None = None) -> datetime:
    """Return the date before which personal data is past its retention period."""
    return (now or utcnow()) - relativedelta(months=months)


def purge_expired(months: int, now: datetime | None = None) -> dict[str, int]:
    """Erase submitters' and reporters' details collected before the retention cutoff; the caller commits."""
    cutoff = retention_cutoff(months, now)
    has_personal = or_(*(getattr(Asset, f).is_not(None) for f in SUBMITTER_FIELDS))
    assets = list(db.session.scalars(select(Asset).where(Asset.created_at < cutoff, has_personal)))
    values: set[str] = set()
    names: set[str] = set()
    for asset in assets:
        values |= {v for v in (asset.submitter_email, asset.submitter_phone, asset.submitter_ip) if v}
        if asset.submitter_name:
            names.add(asset.submitter_name)
        for name in SUBMITTER_FIELDS:
            setattr(asset, name, None)
        asset.submitter_wants_updates = False
    changes = list(db.session.scalars(select(ChangeRequest).where(ChangeRequest.created_at < cutoff,
                                                                  ChangeRequest.reporter_ip.is_not(None))))
    for change in changes:
        values.add(change.reporter_ip)
        change.reporter_ip = None
    counts = {"assets": len(assets), "change_requests": len(changes)}
    if assets or changes:
        scrubbed = _scrub_everywhere(values, names, {str(a.id) for a in assets})
        counts["audit_events"] = scrubbed["audit_events"]
        db.session.add(AuditEvent(actor="cli: purge-personal-data", action="purge", entity_type="personal data",
                                  after=counts, note=f"collected before {cutoff:%Y-%m-%d} ({months} months)"))
    return counts
