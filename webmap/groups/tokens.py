"""One-time, expiring links sent by email (claim a listing, sign in as its manager).

The secret in the link is 256 random bits; only its SHA-256 is stored, so a copy of the
database cannot be used to sign in. A link works once, until it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import utcnow
from webmap.groups.models import TOKEN_PURPOSES, GroupToken


class LinkError(ValueError):
    """A link that cannot be used, with the reason in plain words (in the reader's language)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def issue(
    purpose: str,
    email: str,
    minutes: int,
    asset_id: int | None = None,
    name: str | None = None,
    language: str | None = None,
) -> str:
    """Store a new link for `purpose` and return its secret (put it in the emailed URL).

    `language` is the one the link was asked for in ("en"/"cy"), so its email and what follows are in it.
    """
    if purpose not in TOKEN_PURPOSES:
        raise ValueError(f"purpose must be one of {TOKEN_PURPOSES}, not {purpose!r}")
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(
        GroupToken(
            token_hash=_hash(secret),
            purpose=purpose,
            email=email,
            name=name,
            asset_id=asset_id,
            language=language,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    return secret


def find(secret: str, purpose: str) -> GroupToken:
    """Return the unused, unexpired link for this secret, or raise LinkError saying what is wrong."""
    token = db.session.scalar(
        select(GroupToken).where(GroupToken.token_hash == _hash(secret or ""), GroupToken.purpose == purpose)
    )
    if token is None:
        raise LinkError(_("This link is not right. Copy the whole link from the email, or ask for a new one."))
    if token.used_at is not None:
        raise LinkError(_("This link has already been used. Each link works once: ask for a new one."))
    if token.expires_at < utcnow():
        raise LinkError(_("This link has expired. Ask for a new one."))
    return token


def use(secret: str, purpose: str) -> GroupToken:
    """Mark the link used (so it never works again) and return it."""
    token = find(secret, purpose)
    token.used_at = utcnow()
    db.session.flush()
    return token
