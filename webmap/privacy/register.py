"""The register of personal data: every table, column and file that can hold it, why, and for how long.

Declared once, here. The subject-access search, the download, erasure and the retention purge
(webmap/privacy/personal_data.py) and the privacy notice (/privacy) are all built from it, and
tests/test_personal_data_register.py fails when a model gains a column that looks personal and
is not declared below (as a holding, or in NOT_PERSONAL with the reason it is not).

How a person is found: only by an email address or a phone number (`found_by`). Names, IP
addresses and tokens on the rows found that way are erased with them (`linked`), but they are
never used to find anything: one IP address can be many people.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

# Column kinds, for the notice and for how a value is matched.
EMAIL, PHONE, NAME, IP, TOKEN, TEXT = "email address", "phone number", "name", "IP address", "token", "free text"


@dataclass(frozen=True)
class Retention:
    """How long a holding is kept: `months` from a setting (or fixed), counted from the `dated_by` column."""

    # For people, translatable (_l): "erased {period} after you give it", "kept while the listing is on the map";
    # {period} is the months in words ("12 months"), {uploads} whether this site keeps import files.
    text: str
    setting: str | None = None  # config key holding the months, e.g. "PERSONAL_DATA_RETENTION_MONTHS"
    months: int | None = None  # fixed months when there is no setting
    dated_by: str | None = None  # the column the period runs from; rows with it empty are not purged

    def months_for(self, config: dict[str, Any]) -> int | None:
        """Return the retention period in months, or None when the holding is not purged by age."""
        if self.dated_by is None:
            return None
        return int(config[self.setting]) if self.setting else self.months

    def describe(self, config: dict[str, Any]) -> str:
        """Return the retention in words (in the reader's language), with the configured months filled in."""
        months = self.months_for(config)
        uploads = (
            _("kept until an administrator deletes it (this site keeps uploads)")
            if config.get("KEEP_UPLOADS")
            else _("deleted as soon as the import has finished")
        )
        period = ngettext("%(num)d month", "%(num)d months", months) if months is not None else ""
        return str(self.text).format(period=period, uploads=uploads)


@dataclass(frozen=True)
class Holding:
    """One table's personal data about one kind of person."""

    key: str
    table: str
    whose: str  # e.g. "residents who add a place" (this and the texts below are translatable, _l)
    purpose: str
    retention: Retention
    notice: str  # what the privacy notice says about it, in the person's terms
    # Columns that identify the person, by kind (EMAIL or PHONE): a subject access search looks here.
    found_by: dict[str, str] = field(default_factory=dict)
    # Other personal columns of a row found that way, erased with it: {column: kind}.
    linked: dict[str, str] = field(default_factory=dict)
    # Free-text or JSON columns that may hold a copy: searched for the person's values and scrubbed.
    text: tuple[str, ...] = ()
    # "clear": empty every declared column of a found row; "clear match": only the column that matched
    # (a listing's public email); "delete": remove the row; "keep": staff accounts, which an admin removes.
    erase: str = "clear"
    # Columns set on erasure besides emptying (flags, a fresh random token for a NOT NULL column).
    on_erase: dict[str, Callable[[], Any]] = field(default_factory=dict)
    # The column naming the listing the row belongs to: names are scrubbed only in that listing's trail.
    asset_column: str | None = None

    @property
    def columns(self) -> dict[str, str]:
        """Return every declared personal column of the holding with its kind."""
        return {**self.found_by, **self.linked, **{c: TEXT for c in self.text}}

    def erased_by(self, column: str) -> str:
        """Say in words what erasure does to one column, for the register table in docs/personal-data.md."""
        if column in self.text:
            return "the person's email address and phone number (and name, in their own listing's records) replaced by [erased]"
        return {
            "clear": "emptied",
            "clear match": "emptied when it is the address asked about",
            "delete": "the row is deleted",
            "keep": "not erased here: an admin removes the staff account",
        }[self.erase]


@dataclass(frozen=True)
class FileHolding:
    """Personal data that can be kept in files rather than tables."""

    key: str
    where: str
    whose: str
    purpose: str
    retention: Retention
    notice: str
    erased_by: str


def _now():
    from webmap.core.models import utcnow

    return utcnow()


def _fresh_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


_RETAINED = Retention(
    _l("erased {period} after you give them"), "PERSONAL_DATA_RETENTION_MONTHS", dated_by="created_at"
)
_AUDIT = Retention(
    _l(
        "kept as the record of who changed what; your email address, phone number and name are "
        "replaced by [erased] when the record they came with is erased"
    )
)

REGISTER: tuple[Holding, ...] = (
    Holding(
        "submitters",
        "assets",
        _l("residents who add a place"),
        _l("to ask you about the place you added and, if you tick the box, to tell you when it has been reviewed"),
        _RETAINED,
        _l(
            "When you add a place you may give your name, email address and phone number; we also keep the IP "
            "address the form came from, to stop abuse. They are never shown on the map, its exports or its feeds."
        ),
        found_by={"submitter_email": EMAIL, "submitter_phone": PHONE},
        linked={"submitter_name": NAME, "submitter_ip": IP},
        text=("description",),
        on_erase={"submitter_wants_updates": lambda: False},
        asset_column="id",
    ),
    Holding(
        "listing_contacts",
        "assets",
        _l("places and groups that list a contact"),
        _l(
            "the public email address and phone number are shown on the listing so people can get in touch; "
            "the private contact email receives claim links and relayed messages and is never shown"
        ),
        Retention(_l("kept while the listing is on the map; removed when you ask")),
        _l(
            "A listing's public email address and phone number are shown on it. Once a year we may email that "
            "address to ask whether the listing is still right; every such email says how to stop them. A "
            "group's private contact email is never shown: claim links and messages sent through the site go there."
        ),
        found_by={"email": EMAIL, "phone": PHONE, "contact_email": EMAIL},
        erase="clear match",
        asset_column="id",
    ),
    Holding(
        "change_reports",
        "change_requests",
        _l("people who report a change to a place or ask to manage a listing"),
        _l("to check the change you reported, and to stop abuse"),
        Retention(
            _l("the IP address is erased {period} after the report"),
            "PERSONAL_DATA_RETENTION_MONTHS",
            dated_by="created_at",
        ),
        _l(
            "When you report a change, or ask to manage a listing, we keep what you wrote (and the email address "
            "and name you give to manage it) and the IP address it came from. The IP address is used only to "
            "stop abuse."
        ),
        linked={"reporter_ip": IP},
        text=("note", "proposed"),
        asset_column="asset_id",
    ),
    Holding(
        "need_comments",
        "needs",
        _l("residents who say what their area needs"),
        _l("to count what each ward needs; your comment helps staff understand it"),
        Retention(_l("kept with the need; any email address or phone number in it is erased on request")),
        _l("When you say what your area needs, we keep the ward, the kinds of place and your comment."),
        text=("comment",),
    ),
    Holding(
        "followups",
        "need_followups",
        _l("residents who ask to hear what was done about a need"),
        _l("to email you once when the council records what it did about the need in your ward"),
        Retention(
            _l("erased {period} after you give it, or as soon as you unsubscribe"),
            "FOLLOWUP_RETENTION_MONTHS",
            dated_by="created_at",
        ),
        _l(
            "If you tick the box on the needs form, we keep your email address, with the consent you gave, to "
            "email you once when the council records what it did about that need. The email has a link to stop "
            "at once."
        ),
        found_by={"email": EMAIL},
        linked={"token": TOKEN},
        on_erase={"token": _fresh_token, "erased_at": _now, "unsubscribed_at": _now},
    ),
    Holding(
        "managers",
        "listing_managers",
        _l("people who manage a group's listing"),
        _l("to let you edit your group's listing and to pass on messages people send your group"),
        Retention(
            _l("kept while you manage the listing; erased {period} after you stop"),
            "PERSONAL_DATA_RETENTION_MONTHS",
            dated_by="revoked_at",
        ),
        _l(
            "If you manage a group's listing, we keep your email address and name to let you sign in and edit it, "
            "and to pass on messages people send your group. They are never shown on the site."
        ),
        found_by={"email": EMAIL},
        linked={"name": NAME},
        erase="delete",
        asset_column="asset_id",
    ),
    Holding(
        "group_links",
        "group_tokens",
        _l("people who ask to manage a listing or sign in to one"),
        _l("to send you a one-time link (only a hash of the link is kept)"),
        Retention(_l("deleted {period} after the link expires"), months=1, dated_by="expires_at"),
        _l(
            "When you ask for a sign-in or claim link, we keep your email address and name with a hash of the "
            "link until it has expired."
        ),
        found_by={"email": EMAIL},
        linked={"name": NAME, "token_hash": TOKEN},
        erase="delete",
        asset_column="asset_id",
    ),
    Holding(
        "exchange_text",
        "listing_exchanges",
        _l("people who manage a group's listing"),
        _l("what the group offers and needs, in its own words (public)"),
        Retention(_l("kept while the listing is on the map")),
        _l("What a group says it offers and needs is shown on its listing."),
        text=("detail",),
    ),
    Holding(
        "audit_trail",
        "audit_events",
        _l("anyone whose details appear in a change to a record"),
        _l("to show who changed what and when, so mistakes and abuse can be traced"),
        _AUDIT,
        _l(
            "Our audit trail records changes to places and listings, including who made them (a group manager "
            "appears by email address)."
        ),
        text=("actor", "before", "after", "note"),
    ),
    Holding(
        "imports",
        "import_jobs",
        _l("staff who import files, and anyone named in an imported file"),
        _l("to check an import, show what it changed and undo it"),
        Retention(_l("kept as the record of the import; copies of your details in it are erased on request")),
        _l("When staff import a file, the site keeps what the import changed so it can be undone."),
        found_by={"actor": EMAIL},
        text=("preview", "result", "changes", "error"),
        erase="keep",
    ),
    Holding(
        "staff",
        "users",
        _l("council staff who sign in"),
        _l("to let staff sign in, moderate and import"),
        Retention(_l("kept while you work on the site")),
        _l("If you work on the site, we keep your email address and sign-in details for your account."),
        found_by={"email": EMAIL},
        erase="keep",
    ),
    Holding(
        "staff_actions",
        "responses",
        _l("council staff who record what was done"),
        _l("to show who recorded a response"),
        Retention(_l("kept with the response")),
        _l("Staff who record what was done about a need are recorded by email address (not shown publicly)."),
        found_by={"created_by": EMAIL},
        erase="keep",
    ),
    Holding(
        "staff_resolutions",
        "change_requests",
        _l("council staff who resolve reports"),
        _l("to show who accepted or rejected a report"),
        Retention(_l("kept with the report")),
        _l("Staff who accept or reject a report are recorded by email address (not shown publicly)."),
        found_by={"resolved_by": EMAIL},
        erase="keep",
    ),
    Holding(
        "staff_grants",
        "listing_managers",
        _l("council staff who approve a manager"),
        _l("to show who let someone manage a listing"),
        Retention(_l("kept with the manager's record")),
        _l("Staff who approve a manager are recorded by email address (not shown publicly)."),
        found_by={"granted_by": EMAIL},
        erase="keep",
    ),
)

FILES: tuple[FileHolding, ...] = (
    FileHolding(
        "import_uploads",
        "import uploads (the import_uploads table, one file per import)",
        _l("anyone named in a file staff import"),
        _l("to check and run an import"),
        Retention("{uploads}"),
        _l("A file staff upload to import may hold people's details."),
        "files holding the email address or phone number are deleted",
    ),
    FileHolding(
        "rejects",
        "rejects CSVs written by the import commands' --skip-bad-rows",
        _l("anyone named in a refused row"),
        _l("to let staff fix and re-import refused rows"),
        Retention(
            _l("written where the operator asks, never by the website; the operator deletes it once the rows are fixed")
        ),
        "",
        "deleted by the operator who wrote it (the website keeps no copy)",
    ),
)

# Personal data that passes through the site and is not stored: declared so the notice says so.
NOT_STORED = {
    "contact relay": _l(
        "When you send a group a message through the site, we email it to the group's managers (or "
        "its own address) with your name and email address so they can reply. We do not keep the "
        "message, your name or your address; the audit trail records only that a message went."
    ),
}

# Columns whose names look personal but are not, and why.
NOT_PERSONAL: dict[str, str] = {
    "wards.name": "a ward's name",
    "wards.lad_name": "a council's name",
    "wards.name_cy": "a ward's Welsh name",
    "assets.name": "a place's public name",
    "assets.address": "a place's public address",
    "assets.name_cy": "a place's public Welsh name",
    "assets.name_given": "a flag: whether the source gave the place a name",
    "survey_rounds.name": "a survey round's name",
    "gap_snapshots.round_name": "a survey round's name",
    "data_sources.name": "a dataset's name",
    "import_jobs.filename": "the uploaded file's name (chosen by staff)",
    "sign_in_throttles.key": "a hash of (email, address): it cannot be turned back into either",
    "signed_in_sessions.token_hash": "a hash of a session cookie's secret; whom it belongs to is a keyed hash too "
    "(webmap/web/sessions.py), deleted two days after the session ends",
    "users.password_hash": "a password hash",
    "data_versions.name": "the name of a kind of data (webmap/scale)",
    "derived_builds.name": "the name of a derived table (webmap/scale)",
    "ward_outlines.name": "a ward's name",
    "background_tasks.name": "the name of a kind of queue task (webmap/core/queue.py); email tasks' labels carry "
    "the subject only, their addresses stay in the queue until sent",
}

PERSONAL_LOOKING = re.compile(r"email|phone|name|address|token|(^|_)ip($|_)|_by$|^actor$", re.I)


def holdings_of(table: str) -> list[Holding]:
    """Return the holdings declared for one table."""
    return [h for h in REGISTER if h.table == table]


def declared_columns() -> set[str]:
    """Return every "table.column" the register declares, personal or not."""
    return {f"{h.table}.{c}" for h in REGISTER for c in h.columns} | set(NOT_PERSONAL)


def rows_for_docs(config: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Return (field, purpose, retention, erased by) for every declared column and file."""
    rows = [
        (f"{h.table}.{c} ({kind})", h.purpose, h.retention.describe(config), h.erased_by(c))
        for h in REGISTER
        for c, kind in h.columns.items()
    ]
    rows += [(f.where, f.purpose, f.retention.describe(config), f.erased_by) for f in FILES]
    return rows
