"""Typed models for groups: who manages a listing, one-time links, and what a listing offers and needs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webmap.core.db import Model
from webmap.core.models import utcnow

DIRECTIONS = ("offers", "needs")
TOKEN_PURPOSES = ("claim", "signin")


class ListingManager(Model):
    """A person (by email) who may edit one listing. Revoked rows are kept, never deleted."""

    __tablename__ = "listing_managers"
    __table_args__ = (UniqueConstraint("asset_id", "email", name="uq_listing_managers_asset_id_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"))
    # Private: the relay sends mail here; it is never shown on a public page, export or API.
    email: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # "claim link", or the moderator who approved a claim request.
    granted_by: Mapped[str] = mapped_column(String(200))
    # The language the manager used when claiming: relay and sign-in emails are written in it.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class GroupToken(Model):
    """A one-time, expiring link sent by email; only a hash of its secret is stored."""

    __tablename__ = "group_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    # For "claim": the person asking to manage; for "signin": the manager signing in.
    email: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("assets.id"))
    # The language of the page the link was asked for from: its email is written in it.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class ListingExchange(Model):
    """One thing a listing offers or needs: a vocabulary item (data/offers_needs.csv) or free text."""

    __tablename__ = "listing_exchanges"
    __table_args__ = (Index("ix_listing_exchanges_item", "direction", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10))
    # A vocabulary id, or None for free text held in `detail`.
    item: Mapped[str | None] = mapped_column(String(50))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
