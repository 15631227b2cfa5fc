"""Typed SQLAlchemy 2.0 models: wards, categories, assets, needs, postcodes, users, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webmap.core.db import Geometry, Model, db
from webmap.core.text import search_text, ward_search_text

ASSET_KINDS = ("group", "business", "venue", "service")
ASSET_STATUSES = ("pending", "approved", "rejected", "archived")
ROLES = ("moderator", "admin")


def utcnow() -> datetime:
    """Return the current time in UTC (stored naive, always UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


asset_categories = Table(
    "asset_categories",
    db.metadata,
    Column("asset_id", ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class Ward(Model):
    __tablename__ = "wards"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # The Welsh name where the boundary file gives one (ONS WDyyNMW); None when it is the same or unknown.
    name_cy: Mapped[str | None] = mapped_column(String(200))
    # Both names folded (case, accents, apostrophes: webmap.core.text) for search on either database.
    search_text: Mapped[str | None] = mapped_column(Text)
    lad_code: Mapped[str | None] = mapped_column(String(12))
    lad_name: Mapped[str | None] = mapped_column(String(200))
    population: Mapped[float | None] = mapped_column(Float)
    # IMD decile (1 = most deprived) or another deprivation figure; optional.
    deprivation: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON"))
    source: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    label_cy: Mapped[str | None] = mapped_column(String(100))
    group: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    description_cy: Mapped[str | None] = mapped_column(Text)
    # OpenStreetMap tags that map to this category, "key=value" separated by ";".
    osm_tags: Mapped[str | None] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def tag_list(self) -> list[str]:
        """Return the OSM tags as a list of "key=value" strings."""
        return [t.strip() for t in (self.osm_tags or "").split(";") if t.strip()]


class Asset(Model):
    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_assets_source_source_id"),
        Index("ix_assets_lon_lat", "lon", "lat"),
        Index("ix_assets_status", "status"),
        Index("ix_assets_status_name", "status", "name", "id"),
        # When a place last came on the map (store.last_on_map), read off the index's end.
        Index("ix_assets_status_created_at", "status", "created_at"),
        Index("ix_assets_status_opened_on", "status", "opened_on"),
        Index("ix_assets_status_source", "status", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # The place's own Welsh name and description, shown to Welsh readers when given.
    name_cy: Mapped[str | None] = mapped_column(String(200))
    description_cy: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default="service")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(Geometry("POINT"))
    address: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(10))
    # Derived by point-in-polygon, never typed in.
    ward_code: Mapped[str | None] = mapped_column(ForeignKey("wards.code"), index=True)
    website: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    # Public contact email: shown on the listing, and asked to re-check it when it turns stale.
    email: Mapped[str | None] = mapped_column(String(200))
    opening_times: Mapped[str | None] = mapped_column(Text)
    accessibility: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(50), default="resident")
    source_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # Private: never shown on a public page, export, API or popup.
    submitter_name: Mapped[str | None] = mapped_column(String(200))
    submitter_email: Mapped[str | None] = mapped_column(String(200))
    submitter_phone: Mapped[str | None] = mapped_column(String(40))
    submitter_ip: Mapped[str | None] = mapped_column(String(64))
    # The submitter agreed to hear by email whether their place was approved.
    submitter_wants_updates: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The language ("en" or "cy") the submitter used: their emails are written in it.
    submitter_language: Mapped[str | None] = mapped_column(String(8))
    recheck_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The listing's contact asked not to get re-check emails.
    recheck_opt_out: Mapped[bool] = mapped_column(default=False, server_default="0")
    # The group's own email, for claim links and relayed messages: private, never shown (webmap/groups).
    contact_email: Mapped[str | None] = mapped_column(String(200))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Set only by a person checking the listing (approving, verifying, accepting a change).
    last_verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The date the record's own source states (a register's extract date, an ORUK assured_date),
    # ISO text at the source's precision: "2018", "2018-07" or "2018-07-17".
    source_date: Mapped[str | None] = mapped_column(String(10))
    # The day the place itself opened, as its source states (a register's open date, an `opened`
    # column): the only ground for calling an imported place "opened since residents asked".
    opened_on: Mapped[date | None] = mapped_column(Date)
    # The name, description and address folded by webmap.core.text.fold (set on every save, below):
    # the database narrows a search on it, so SQLite and PostGIS match "st marys" to St Mary's alike.
    search_text: Mapped[str | None] = mapped_column(Text)
    # False when the source gave no name and the import named it from what and where it is
    # ("Place of worship, Union Street"); pages say "name not given".
    name_given: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    # When the latest import of the record's register (data/registers) contained it: the register
    # vouched for it then, so it is not stale until STALE_AFTER_MONTHS later (moderation.actions).
    source_checked_at: Mapped[datetime | None] = mapped_column(DateTime)

    categories: Mapped[list[Category]] = relationship(
        secondary=asset_categories, lazy="selectin", order_by=Category.sort_order
    )
    ward: Mapped[Ward | None] = relationship(lazy="joined")

    PUBLIC_FIELDS = (
        "id",
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
        "source",
        "last_verified_at",
        "source_date",
    )

    def source_date_text(self) -> str | None:
        """Return the source's date for people: "2018", "July 2018" or "17 July 2018" (months in the reader's language)."""
        from webmap.core.wording import source_date_text

        return source_date_text(self.source_date)

    def category_ids(self) -> list[str]:
        """Return the ids of this asset's categories."""
        return [c.id for c in self.categories]

    def public_dict(self) -> dict[str, Any]:
        """Return the fields anyone may see; the submitter's details are never included."""
        out = {f: getattr(self, f) for f in self.PUBLIC_FIELDS}
        out["last_verified_at"] = self.last_verified_at.date().isoformat() if self.last_verified_at else None
        out["categories"] = self.category_ids()
        out["ward_name"] = self.ward.name if self.ward else None
        out["lon"], out["lat"] = self.lon, self.lat
        return out


class Need(Model):
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_code: Mapped[str] = mapped_column(ForeignKey("wards.code"), index=True)
    category_id: Mapped[str] = mapped_column(ForeignKey("categories.id"), index=True)
    count: Mapped[float] = mapped_column(Float, default=1.0)
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(50), default="web form")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # When it was asked: the day of a web-form answer, or the date of the survey round.
    asked_on: Mapped[date] = mapped_column(Date, default=lambda: utcnow().date(), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("survey_rounds.id"), index=True)
    # A resident who asked to hear back (webmap.feedback); private, erased after the retention period.
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("need_followups.id"), index=True)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime)
    # One response (a person's answer): the needs made from one web-form submission, or from one row
    # of a survey's response table, share a key. None (count tables, needs kept before keys): each
    # unit of the count is one response. Responses and stated needs are counted apart (webmap.analysis.gaps).
    response_key: Mapped[str | None] = mapped_column(String(64), index=True)


class Postcode(Model):
    __tablename__ = "postcodes"

    # Normalised: upper case, one space before the inward code ("OL1 1AA").
    postcode: Mapped[str] = mapped_column(String(10), primary_key=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    ward_code: Mapped[str | None] = mapped_column(String(12), index=True)


class PopulationArea(Model):
    """Population of a small area (e.g. an LSOA), with the ward it belongs to."""

    __tablename__ = "population_areas"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(12), index=True)
    population: Mapped[float] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="moderator")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    # A moderator may use "Import data" only when an admin has allowed it (admins always may).
    can_import: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Moderators get the hourly digest of new submissions unless they turn it off.
    wants_digest: Mapped[bool] = mapped_column(default=True, server_default="1")
    # The language of this person's emails (digest, sign-in links); None means the site default.
    language: Mapped[str | None] = mapped_column(String(8))
    # No longer read: sessions are ended through signed_in_sessions (webmap.web.sessions). Kept for old databases.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuditEvent(Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Who acted, as text: a user's email, "resident", or "cli: import-assets".
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(50), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class DataSource(Model):
    """A dataset that was imported, with the attribution its licence asks us to show."""

    __tablename__ = "data_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    licence: Mapped[str | None] = mapped_column(String(200))
    attribution: Mapped[str | None] = mapped_column(Text)
    # Who published the data, and its date as published ("2023", "2023-05" or "2023-05-24").
    publisher: Mapped[str | None] = mapped_column(String(200))
    source_date: Mapped[str | None] = mapped_column(String(10))
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


CHANGE_KINDS = ("closed", "details", "other")
CHANGE_STATUSES = ("open", "accepted", "rejected")


class ChangeRequest(Model):
    """A change to a listed asset that someone suggested ("it has closed", "new opening times")."""

    __tablename__ = "change_requests"
    __table_args__ = (Index("ix_change_requests_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # Only the fields the reporter wants changed: {field: proposed value}.
    proposed: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Private, like the submitter fields on Asset.
    reporter_ip: Mapped[str | None] = mapped_column(String(64))
    # The language the reporter used: any reply is written in it.
    language: Mapped[str | None] = mapped_column(String(8))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(200))

    asset: Mapped[Asset] = relationship(lazy="joined")


# "You said, we did" (webmap.feedback): survey rounds, residents who asked to hear back,
# the council's responses, and gap snapshots kept over time.


class SurveyRound(Model):
    """A survey round, like "Spring 2027 survey": its needs are dated on the day it was held."""

    __tablename__ = "survey_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    held_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class NeedFollowUp(Model):
    """A resident's email, given with consent on the needs form, to hear what was done. Private."""

    __tablename__ = "need_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Private: never on a public page, export or API; set to None when erased.
    email: Mapped[str | None] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    ward_code: Mapped[str] = mapped_column(String(12))
    consent_text: Mapped[str] = mapped_column(Text)
    # The language the resident used on the form: follow-up emails are written in it.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(DateTime)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime)


response_assets = Table(
    "response_assets",
    db.metadata,
    Column("response_id", ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True),
    Column("asset_id", ForeignKey("assets.id"), primary_key=True),
)


class Response(Model):
    """What the council or partners did about a ward + category need ("we did")."""

    __tablename__ = "responses"
    __table_args__ = (Index("ix_responses_ward_category", "ward_code", "category_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_code: Mapped[str] = mapped_column(ForeignKey("wards.code"))
    category_id: Mapped[str] = mapped_column(ForeignKey("categories.id"))
    summary: Mapped[str] = mapped_column(String(200))
    details: Mapped[str | None] = mapped_column(Text)
    done_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="published")

    assets: Mapped[list[Asset]] = relationship(secondary=response_assets, lazy="selectin", order_by=Asset.name)
    ward: Mapped[Ward] = relationship(lazy="joined")
    category: Mapped[Category] = relationship(lazy="joined")


class GapSnapshot(Model):
    """One entry of the gap history: the gap tables as they stood after a change (one per day per change kind).

    The gap store (webmap/gaps/store.py) is this history: the table a page shows is, for each
    ward, its latest row. An entry holds only the rows its change altered; a back-dated entry
    (a survey round's figures as they stood on its date) holds every row and is never the latest.
    """

    __tablename__ = "gap_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # The day the figures describe: today, or the date of the survey round whose needs they count.
    as_of: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(50))
    round_name: Mapped[str | None] = mapped_column(String(100))
    distance_m: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    # The data version (webmap/scale/versions.py) the entry's rows were computed from; NULL before issue 24.
    data_version: Mapped[int | None] = mapped_column(Integer)


class GapSnapshotRow(Model):
    """One ward's row of one gap table (key) in one history entry: every figure in `figures`, the charted ones as columns."""

    __tablename__ = "gap_snapshot_rows"
    __table_args__ = (
        Index("ix_gap_snapshot_rows_lookup", "ward_code", "category", "method"),
        Index("ix_gap_snapshot_rows_key_latest", "key", "latest"),
        Index("ix_gap_snapshot_rows_ward_key", "ward_code", "key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("gap_snapshots.id", ondelete="CASCADE"), index=True)
    # The query the table answers: category|method|distance|deprivation weighting (gaps.store.key_of).
    key: Mapped[str] = mapped_column(String(120))
    # True on the newest row of this ward in this table: what pages show.
    latest: Mapped[bool] = mapped_column(Boolean, default=False)
    ward_code: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(50))
    method: Mapped[str] = mapped_column(String(20))
    need_count: Mapped[float | None] = mapped_column(Float)
    access_share: Mapped[float | None] = mapped_column(Float)
    assets_within: Mapped[float | None] = mapped_column(Float)
    gap_score: Mapped[float | None] = mapped_column(Float)
    unmet_share: Mapped[float | None] = mapped_column(Float)
    # The whole row of the gap table, whatever its columns were at the time.
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    # A row of an "asked" entry: the moment residents first asked in the ward for the kind, as it stood then.
    asked_at: Mapped[datetime | None] = mapped_column(DateTime)


class GapTable(Model):
    """A gap table the store keeps up to date, and the data version its latest rows reflect."""

    __tablename__ = "gap_tables"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    # The latest rows' area-wide figures (webmap.analysis.derive): what one ward's figures need of all the others.
    area: Mapped[dict | None] = mapped_column(JSON)


IMPORT_STATES = ("uploaded", "checking", "checked", "importing", "done", "failed", "rolled back")


class ImportJob(Model):
    """One file a staff member imported in the browser: its check, its import and what it changed."""

    __tablename__ = "import_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="uploaded", index=True)
    # Set to the kind while a check or import of it runs, NULL otherwise: the unique constraint
    # is what stops two imports of one kind running at once, across every web worker.
    running_kind: Mapped[str | None] = mapped_column(String(30), unique=True)
    pid: Mapped[int | None] = mapped_column(Integer)
    # The queue task running the check or import now (webmap.core.queue); its row says how it went.
    task_id: Mapped[str | None] = mapped_column(String(64))
    preview: Mapped[dict | None] = mapped_column(JSON)
    result: Mapped[dict | None] = mapped_column(JSON)
    # What the import changed, so it can be rolled back: created ids and earlier values.
    changes: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class ImportUpload(Model):
    """The file of a browser import, kept in the database so every server and worker reads the same bytes."""

    __tablename__ = "import_uploads"
    job_id: Mapped[int] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class BackgroundTask(Model):
    """One task on the queue (webmap.core.queue): what it is, where it got to, when, and why it failed."""

    __tablename__ = "background_tasks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    label: Mapped[str] = mapped_column(String(300))
    # queued, running, retrying, failed, done, skipped
    state: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Arguments to run it again by hand; None when they hold personal data (emails retry by themselves).
    args: Mapped[list | None] = mapped_column(JSON)
    worker: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class SignInThrottle(Model):
    """Failed sign-ins for one (email, address or known device) pair, which slow that pair down.

    The key is a hash, so the table holds neither the email typed nor the address it came from.
    """

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # No attempt for this pair is checked before this time.
    wait_until: Mapped[datetime | None] = mapped_column(DateTime)


class SignedInSession(Model):
    """One signed-in session of any kind (staff, a listing's manager), so the server can end it.

    The cookie carries a random secret; only its SHA-256 is kept here, with a hash of whom it
    belongs to, so the table holds no email address and a copy of it cannot sign anyone in.
    """

    __tablename__ = "signed_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "staff" or "group_manager" (webmap.web.sessions.KINDS).
    kind: Mapped[str] = mapped_column(String(20))
    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Why it ended, in words ("signed out", "removed as a manager") for the trail and tests.
    end_reason: Mapped[str | None] = mapped_column(String(100))


@event.listens_for(Asset, "before_insert")
@event.listens_for(Asset, "before_update")
def _fold_search_text(mapper, connection, asset: Asset) -> None:
    """Keep the folded search text in step with both names, both descriptions and the address."""
    asset.search_text = search_text(asset.name, asset.name_cy, asset.description, asset.description_cy, asset.address)


@event.listens_for(Ward, "before_insert")
@event.listens_for(Ward, "before_update")
def _fold_ward_search_text(mapper, connection, ward: Ward) -> None:
    """Keep the ward's folded names (English, then Welsh) in step with its names."""
    ward.search_text = ward_search_text(ward.name, ward.name_cy)
