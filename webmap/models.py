"""Typed SQLAlchemy 2.0 models: wards, categories, assets, needs, postcodes, users, audit."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import JSON, Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Geometry, db

ASSET_KINDS = ("group", "business", "venue", "service")
ASSET_STATUSES = ("pending", "approved", "rejected", "archived")
ROLES = ("moderator", "admin")


def utcnow() -> datetime:
    """Return the current time in UTC (stored naive, always UTC)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


asset_categories = Table(
    "asset_categories",
    db.metadata,
    Column("asset_id", ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class Ward(db.Model):
    __tablename__ = "wards"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    lad_code: Mapped[Optional[str]] = mapped_column(String(12))
    lad_name: Mapped[Optional[str]] = mapped_column(String(200))
    population: Mapped[Optional[float]] = mapped_column(Float)
    # IMD decile (1 = most deprived) or another deprivation figure; optional.
    deprivation: Mapped[Optional[float]] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(Geometry("MULTIPOLYGON"))
    source: Mapped[Optional[str]] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    group: Mapped[Optional[str]] = mapped_column(String(100))
    description: Mapped[Optional[str]] = mapped_column(Text)
    # OpenStreetMap tags that map to this category, "key=value" separated by ";".
    osm_tags: Mapped[Optional[str]] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    def tag_list(self) -> list[str]:
        """Return the OSM tags as a list of "key=value" strings."""
        return [t.strip() for t in (self.osm_tags or "").split(";") if t.strip()]


class Asset(db.Model):
    __tablename__ = "assets"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_assets_source_source_id"),
        Index("ix_assets_lon_lat", "lon", "lat"),
        Index("ix_assets_status", "status"),
        Index("ix_assets_status_name", "status", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[Optional[str]] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20), default="service")
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    geom: Mapped[Any] = mapped_column(Geometry("POINT"))
    address: Mapped[Optional[str]] = mapped_column(String(300))
    postcode: Mapped[Optional[str]] = mapped_column(String(10))
    # Derived by point-in-polygon, never typed in.
    ward_code: Mapped[Optional[str]] = mapped_column(ForeignKey("wards.code"), index=True)
    website: Mapped[Optional[str]] = mapped_column(String(300))
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    opening_times: Mapped[Optional[str]] = mapped_column(Text)
    accessibility: Mapped[Optional[str]] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(50), default="resident")
    source_id: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # Private: never shown on a public page, export, API or popup.
    submitter_name: Mapped[Optional[str]] = mapped_column(String(200))
    submitter_email: Mapped[Optional[str]] = mapped_column(String(200))
    submitter_phone: Mapped[Optional[str]] = mapped_column(String(40))
    submitter_ip: Mapped[Optional[str]] = mapped_column(String(64))
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("assets.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    last_verified_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    categories: Mapped[list[Category]] = relationship(secondary=asset_categories, lazy="selectin", order_by=Category.sort_order)
    ward: Mapped[Optional[Ward]] = relationship(lazy="joined")

    PUBLIC_FIELDS = (
        "id", "name", "description", "kind", "address", "postcode", "ward_code",
        "website", "phone", "opening_times", "accessibility", "source", "last_verified_at",
    )

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


class Need(db.Model):
    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_code: Mapped[str] = mapped_column(ForeignKey("wards.code"), index=True)
    category_id: Mapped[str] = mapped_column(ForeignKey("categories.id"), index=True)
    count: Mapped[float] = mapped_column(Float, default=1.0)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(50), default="web form")
    lon: Mapped[Optional[float]] = mapped_column(Float)
    lat: Mapped[Optional[float]] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Postcode(db.Model):
    __tablename__ = "postcodes"

    # Normalised: upper case, one space before the inward code ("OL1 1AA").
    postcode: Mapped[str] = mapped_column(String(10), primary_key=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    ward_code: Mapped[Optional[str]] = mapped_column(String(12), index=True)


class PopulationArea(db.Model):
    """Population of a small area (e.g. an LSOA), with the ward it belongs to."""

    __tablename__ = "population_areas"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(12), index=True)
    population: Mapped[float] = mapped_column(Float)
    lon: Mapped[Optional[float]] = mapped_column(Float)
    lat: Mapped[Optional[float]] = mapped_column(Float)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="moderator")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    # Who acted, as text: a user's email, "resident", or "cli: import-assets".
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[Optional[str]] = mapped_column(String(50), index=True)
    before: Mapped[Optional[dict]] = mapped_column(JSON)
    after: Mapped[Optional[dict]] = mapped_column(JSON)
    note: Mapped[Optional[str]] = mapped_column(Text)


class DataSource(db.Model):
    """A dataset that was imported, with the attribution its licence asks us to show."""

    __tablename__ = "data_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    licence: Mapped[Optional[str]] = mapped_column(String(200))
    attribution: Mapped[Optional[str]] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


CHANGE_KINDS = ("closed", "details", "other")
CHANGE_STATUSES = ("open", "accepted", "rejected")


class ChangeRequest(db.Model):
    """A change to a listed asset that someone suggested ("it has closed", "new opening times")."""

    __tablename__ = "change_requests"
    __table_args__ = (Index("ix_change_requests_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # Only the fields the reporter wants changed: {field: proposed value}.
    proposed: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Private, like the submitter fields on Asset.
    reporter_ip: Mapped[Optional[str]] = mapped_column(String(64))
    resolved_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    resolved_by: Mapped[Optional[str]] = mapped_column(String(200))

    asset: Mapped[Asset] = relationship(lazy="joined")
