"""Find, hand over, erase and expire what the site holds about a person, as the register declares it.

Everything here walks webmap/privacy/register.py: a person is found by email address or phone
number in the holdings' `found_by` columns; their rows are emptied or deleted; every copy of
their address, number (and, in their own listing's trail, their name) in free text is replaced by
ERASED. IP addresses are erased with the row they came with, never used to find anyone. The
audit record of an erasure keeps counts, never the values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Table, and_, delete, func, or_, select, update

from webmap.core.db import db
from webmap.core.models import AuditEvent, ImportJob, ImportUpload, utcnow
from webmap.privacy.register import EMAIL, NAME, PHONE, REGISTER, Holding

ERASED = "[erased]"


def phone_digits(value: str | None) -> str:
    """Return a UK phone number as bare digits with a leading 0 ("+44 7700 900731" -> "07700900731")."""
    digits = re.sub(r"\D", "", value or "")
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits


def _is_phone(query: str) -> bool:
    return "@" not in query and len(phone_digits(query)) >= 7


def _table(name: str) -> Table:
    return db.metadata.tables[name]


@dataclass
class Record:
    """One row that holds the person's data: found by their address or number, or mentioning it in text."""

    holding: Holding
    row: dict[str, Any]
    matched: tuple[str, ...]  # the found_by columns that matched; empty when found in text only
    expired: bool = False  # past its retention period: every declared column goes

    @property
    def table(self) -> str:
        return self.holding.table

    @property
    def id(self) -> Any:
        return self.row.get("id", self.row.get("key"))

    @property
    def label(self) -> str:
        """Name the record for staff: "assets 12 (Nora's Knitting Circle)"."""
        name = self.row.get("name") if self.table == "assets" else None
        return f"{self.holding.whose}: {self.table} {self.id}" + (f" ({name})" if name else "")


@dataclass
class Holdings:
    """Everything held about one email address or phone number."""

    query: str
    records: list[Record] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # kept import uploads, "import #ID: file"
    # Emails and phone numbers to scrub wherever they appear; names only in their own listings' trails.
    values: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    asset_ids: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (self.records or self.files)

    def by_table(self) -> dict[str, list[dict[str, Any]]]:
        """Return the rows held, one list per table, each row once."""
        out: dict[str, dict[Any, dict[str, Any]]] = {}
        for record in self.records:
            out.setdefault(record.table, {}).setdefault(record.id, {k: _plain(v) for k, v in record.row.items()})
        return {table: list(rows.values()) for table, rows in out.items()}

    def counts(self) -> dict[str, int]:
        """Return how many rows each table holds."""
        return {table: len(rows) for table, rows in self.by_table().items()}

    @property
    def staff_records(self) -> list[Record]:
        """Return the records of a staff account, which this tool does not erase."""
        return [r for r in self.records if r.holding.erase == "keep" and r.matched]

    def as_dict(self) -> dict[str, Any]:
        """Return the holdings as plain JSON data (a subject access response)."""
        return {
            "query": self.query,
            "made_at": utcnow().isoformat(timespec="seconds"),
            **self.by_table(),
            "files": list(self.files),
        }

    def as_rows(self) -> list[tuple[str, Any, str, Any]]:
        """Return (table, id, field, value) rows for a CSV download."""
        rows = []
        for table, records in self.by_table().items():
            for record in records:
                for name, value in record.items():
                    if name not in ("id", "geom") and value not in (None, "", [], {}):
                        rows.append((table, record.get("id", record.get("key")), name, value))
        rows += [("files", None, "upload", name) for name in self.files]
        return rows


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        return None
    return value


def _row(holding: Holding, row: Any) -> dict[str, Any]:
    return {k: v for k, v in row._mapping.items() if k != "geom"}


def _key_rows(holding: Holding, query: str) -> list[tuple[Any, tuple[str, ...]]]:
    """Return the holding's rows whose email or phone columns hold `query`, with the columns that matched."""
    kind = EMAIL if "@" in query else PHONE
    columns = [c for c, k in holding.found_by.items() if k == kind]
    if not columns:
        return []
    table = _table(holding.table)
    out = []
    if kind == EMAIL:
        email = query.lower()
        rows = db.session.execute(select(table).where(or_(*(func.lower(table.c[c]) == email for c in columns))))
        for row in rows:
            out.append((row, tuple(c for c in columns if (row._mapping[c] or "").lower() == email)))
    else:
        digits = phone_digits(query)
        rows = db.session.execute(select(table).where(or_(*(table.c[c].is_not(None) for c in columns))))
        for row in rows:
            matched = tuple(c for c in columns if phone_digits(row._mapping[c]) == digits)
            if matched:
                out.append((row, matched))
    return out


def _phone_pattern(value: str) -> str:
    """Return a regex for a UK number however it is written: spaces, dashes, +44 or 0."""
    digits = phone_digits(value)
    if len(digits) < 7:
        return re.escape(value)
    body = r"[\s\-]?".join(digits[1:])
    return r"(?:\+\s?44\s?(?:\(0\)\s?)?|0)" + body + r"(?!\d)"


def pattern_for(values: Iterable[str]) -> re.Pattern:
    """Return a case-insensitive regex matching any of the values (and nothing when there are none)."""
    parts = []
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        parts.append(_phone_pattern(value) if "@" not in value and _is_phone(value) else re.escape(value))
    return re.compile("|".join(parts), re.I) if parts else re.compile(r"(?!x)x")


def _text(*values: Any) -> str:
    return " ".join(v if isinstance(v, str) else json.dumps(v, default=str) for v in values if v is not None)


def find(query: str) -> Holdings:
    """Return everything held about an email address or a phone number."""
    query = (query or "").strip()
    if "@" not in query and not _is_phone(query):
        raise ValueError(_("'%(query)s' is neither an email address nor a phone number.", query=query))
    found = Holdings(query=query, values={query})
    seen: set[tuple[str, Any]] = set()
    for holding in REGISTER:
        for row, matched in _key_rows(holding, query):
            record = Record(holding, _row(holding, row), matched)
            found.records.append(record)
            seen.add((holding.key, record.id))
            _collect(found, record)
    _find_in_text(found, seen)
    found.files = _files_holding(found.values)
    return found


def _collect(found: Holdings, record: Record) -> None:
    """Add a found row's addresses and numbers (to scrub everywhere) and names (in its listing's trail)."""
    holding, row = record.holding, record.row
    if holding.erase == "keep":
        return
    own = holding.erase != "clear match"  # a listing's public email is the person's; its other columns are not
    for column, kind in holding.columns.items():
        value = row.get(column)
        if not value or (not own and column not in record.matched):
            continue
        if kind in (EMAIL, PHONE):
            found.values.add(value)
        elif kind == NAME:
            found.names.add(value)
    if holding.asset_column and row.get(holding.asset_column) is not None:
        found.asset_ids.add(str(row[holding.asset_column]))


def _find_in_text(found: Holdings, seen: set[tuple[str, Any]]) -> None:
    """Add every row whose free text holds the person's address or number, or their name in their own listing."""
    pattern, names = pattern_for(found.values), pattern_for(found.names)
    for holding in REGISTER:
        if not holding.text:
            continue
        table = _table(holding.table)
        has_text = or_(*(table.c[c].is_not(None) for c in holding.text))
        for row in db.session.execute(select(table).where(has_text)):
            record = Record(holding, _row(holding, row), ())
            if (holding.key, record.id) in seen:
                continue
            text = _text(*(record.row[c] for c in holding.text))
            if pattern.search(text) or (found.names and _in_own_listing(found, record) and names.search(text)):
                seen.add((holding.key, record.id))
                found.records.append(record)


def _in_own_listing(found: Holdings, record: Record) -> bool:
    """Say whether a row belongs to one of the person's listings (where their name may be scrubbed)."""
    row = record.row
    if record.table == "audit_events":
        return row.get("entity_type") == "asset" and row.get("entity_id") in found.asset_ids
    column = record.holding.asset_column
    return column is not None and str(row.get(column)) in found.asset_ids


def _files_holding(values: set[str]) -> list[str]:
    """Return kept import uploads (import_uploads) whose text holds any of the values, as "import #ID: file"."""
    if not values:
        return []
    pattern = pattern_for(values)
    out = []
    for job_id, filename in db.session.execute(
        select(ImportJob.id, ImportJob.filename)
        .join(ImportUpload, ImportUpload.job_id == ImportJob.id)
        .order_by(ImportJob.id)
    ).all():
        data = db.session.scalar(select(ImportUpload.data).where(ImportUpload.job_id == job_id)) or b""
        if pattern.search(data[:50_000_000].decode("utf-8", errors="replace")):
            out.append(f"import #{job_id}: {filename}")
    return out


def scrub(value: Any, pattern: re.Pattern) -> Any:
    """Return `value` (text or JSON data) with every match of `pattern` replaced by ERASED."""
    if isinstance(value, str):
        return pattern.sub(ERASED, value)
    if isinstance(value, dict):
        return {k: scrub(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, pattern) for v in value]
    return value


def _primary_key(holding: Holding, row: dict[str, Any]):
    table = _table(holding.table)
    return and_(*(col == row[col.name] for col in table.primary_key.columns))


def _erase_row(record: Record) -> None:
    """Empty or delete a row found by the person's address or number, as its holding says."""
    holding, table = record.holding, _table(record.table)
    where = _primary_key(holding, record.row)
    if holding.erase == "delete":
        db.session.execute(delete(table).where(where))
        return
    whole = holding.erase != "clear match" or record.expired
    columns = tuple(holding.found_by) + tuple(holding.linked) if whole else record.matched
    values = {c: None for c in columns}
    values.update({c: make() for c, make in holding.on_erase.items()})
    db.session.execute(update(table).where(where).values(**values))


def _scrub_row(record: Record, pattern: re.Pattern, names: re.Pattern | None) -> bool:
    """Replace the person's values in a row's free text; return whether anything changed."""
    changed = {}
    for column in record.holding.text:
        value = record.row.get(column)
        new = scrub(value, pattern)
        if names is not None:
            new = scrub(new, names)
        if new != value:
            changed[column] = new
    if changed:
        db.session.execute(
            update(_table(record.table)).where(_primary_key(record.holding, record.row)).values(**changed)
        )
    return bool(changed)


def erase(found: Holdings, actor: str, user_id: int | None = None) -> dict[str, int]:
    """Erase everything in `found` and record that it happened (counts only); the caller commits."""
    if found.staff_records:
        raise ValueError(
            _(
                "%(query)s has a staff account: an admin removes the account (Staff accounts) "
                "rather than erasing it here.",
                query=found.query,
            )
        )
    db.session.flush()
    counts = _erase(found)
    counts["files"] = 0
    for name in found.files:
        job_id = int(re.match(r"import #(\d+):", name).group(1))
        db.session.execute(ImportUpload.__table__.delete().where(ImportUpload.job_id == job_id))
        counts["files"] += 1
    db.session.add(
        AuditEvent(
            actor=actor,
            user_id=user_id,
            action="erase",
            entity_type="personal data",
            after=counts,
            note="erased on request; the values are not kept",
        )
    )
    db.session.flush()
    db.session.expire_all()
    return counts


def _erase(found: Holdings) -> dict[str, int]:
    pattern, names = pattern_for(found.values), pattern_for(found.names) if found.names else None
    counts: dict[str, int] = {}
    for record in found.records:
        done = False
        if record.matched or record.expired:
            _erase_row(record)
            done = True
            if record.holding.erase == "delete":
                counts[record.table] = counts.get(record.table, 0) + 1
                continue
            record.row.update({c: None for c in (*record.holding.found_by, *record.holding.linked)})
        if record.holding.text:
            own = _in_own_listing(found, record)
            done = _scrub_row(record, pattern, names if own else None) or done
        if done:
            counts[record.table] = counts.get(record.table, 0) + 1
    return counts


def retention_cutoff(months: int, now: datetime | None = None) -> datetime:
    """Return the date before which personal data is past its retention period."""
    return (now or utcnow()) - relativedelta(months=months)


def expired(holding: Holding, months: int, now: datetime | None = None) -> list[Record]:
    """Return the holding's rows past their retention period that still hold personal data."""
    table = _table(holding.table)
    personal = [c for c in (*holding.found_by, *holding.linked)]
    cutoff = retention_cutoff(months, now)
    rows = db.session.execute(
        select(table).where(
            table.c[holding.retention.dated_by] < cutoff, or_(*(table.c[c].is_not(None) for c in personal))
        )
    )
    return [Record(holding, _row(holding, row), (), expired=True) for row in rows]


def purge_expired(
    months: int | None = None, now: datetime | None = None, only: Iterable[str] | None = None
) -> dict[str, int]:
    """Erase every holding's rows past their retention period; return rows erased per holding key.

    `months` overrides the period of the holdings kept for the main period (PERSONAL_DATA_RETENTION_MONTHS),
    or of every holding named in `only`. The caller commits.
    """
    config = current_app.config
    found = Holdings(query="retention")
    for holding in REGISTER:
        if holding.erase == "keep" or holding.retention.dated_by is None or (only and holding.key not in only):
            continue
        period = holding.retention.months_for(config)
        if months is not None and (only or holding.retention.setting == "PERSONAL_DATA_RETENTION_MONTHS"):
            period = months
        for record in expired(holding, period, now):
            found.records.append(record)
            _collect(found, record)
    counts = {h.key: sum(1 for r in found.records if r.holding is h) for h in REGISTER}
    db.session.flush()
    seen = {(r.holding.key, r.id) for r in found.records}
    _find_in_text(found, seen)
    scrubbed = _erase(found)
    counts["audit_events"] = scrubbed.get("audit_events", 0)
    if found.records:
        db.session.add(
            AuditEvent(
                actor="cli: purge-personal-data",
                action="purge",
                entity_type="personal data",
                after={k: v for k, v in counts.items() if v},
                note="past the retention periods in the register of personal data",
            )
        )
    db.session.flush()
    db.session.expire_all()
    return counts
