"""Every kind of signed-in session (staff, a listing's manager) kept on the server, so it can be ended.

A signed cookie cannot be recalled once issued, so the cookie only carries a random secret per
kind of session, and each request checks that secret's row in `signed_in_sessions`. Ending a
session marks its row; a copy of the cookie saved before then gets the signed-out answer.

Sessions end through one door, `end_all`: on sign-out, on a new sign-in by link, and when a
change to the data takes away what the session stood for. Those changes are named once, in
`ENDING_CHANGES` (each feature adds its own rule), and applied by one database hook, so a page,
a command or a script that makes the change cannot forget to end the sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

from flask import current_app, g, has_request_context, session
from sqlalchemy import delete, event, or_, select, update
from sqlalchemy.orm import Session

from webmap.core.db import db
from webmap.core.models import SignedInSession, utcnow

KINDS = ("staff", "group_manager")
# In the signed session cookie: {kind: secret}.
COOKIE_KEY = "signed_in"
# Ended or forgotten rows are deleted after this long (nothing needs them afterwards).
KEEP_ROWS = timedelta(days=2)
# A rule: given an object the flush wrote and its session, yield (kind, subject, reason) to end.
EndingRule = Callable[[object, Session], Iterable[tuple[str, str, str]]]
ENDING_CHANGES: list[EndingRule] = []


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def subject_hash(kind: str, subject: str) -> str:
    """Return the stored stand-in for whom a session belongs to (a keyed hash: no email is kept)."""
    secret = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(secret, f"{kind}\n{subject}".encode(), hashlib.sha256).hexdigest()


def begin(kind: str, subject: str, end_others: str | None = None) -> None:
    """Start a session of this kind for `subject` in this browser; with end_others, end their older ones first."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    now = utcnow()
    if end_others:
        end_all(kind, subject, end_others)
    secret = secrets.token_urlsafe(32)
    db.session.add(
        SignedInSession(token_hash=_digest(secret), kind=kind, subject_hash=subject_hash(kind, subject), created_at=now)
    )
    # Housekeeping in the same transaction: rows of ended sessions, and of ones long past any time limit.
    db.session.execute(
        delete(SignedInSession).where(
            or_(SignedInSession.ended_at < now - KEEP_ROWS, SignedInSession.created_at < now - KEEP_ROWS - _longest())
        )
    )
    held = dict(session.get(COOKIE_KEY) or {})
    held[kind] = secret
    session[COOKIE_KEY] = held
    g.pop("_signed_in", None)


def _longest() -> timedelta:
    config = current_app.config
    return timedelta(hours=max(int(config["SESSION_MAX_HOURS"]), int(config["GROUP_SESSION_HOURS"])))


def _row(kind: str) -> SignedInSession | None:
    """Return this browser's session row of this kind (cached for the request), or None."""
    cache = g.setdefault("_signed_in", {})
    if kind not in cache:
        secret = (session.get(COOKIE_KEY) or {}).get(kind) if isinstance(session.get(COOKIE_KEY), dict) else None
        cache[kind] = (
            None
            if not isinstance(secret, str) or len(secret) > 100
            else db.session.scalar(select(SignedInSession).where(SignedInSession.token_hash == _digest(secret)))
        )
    return cache[kind]


def live(kind: str, subject: str, max_age: timedelta | None = None) -> bool:
    """Say whether this browser holds a session of this kind for `subject` that has not ended (or run out)."""
    if not has_request_context():
        return False
    row = _row(kind)
    if row is None or row.kind != kind or row.ended_at is not None:
        return False
    if not hmac.compare_digest(row.subject_hash, subject_hash(kind, subject)):
        return False
    return max_age is None or row.created_at + max_age >= utcnow()


def forget(kind: str) -> None:
    """Drop this kind's secret from the cookie (the row, if any, is ended by end_all or runs out)."""
    held = session.get(COOKIE_KEY)
    if isinstance(held, dict) and kind in held:
        held = dict(held)
        held.pop(kind)
        session[COOKIE_KEY] = held
    g.get("_signed_in", {}).pop(kind, None)


def end_all(kind: str, subject: str, reason: str, connection=None) -> None:
    """End every session of this kind that `subject` has open, on every device (the caller commits)."""
    statement = (
        update(SignedInSession)
        .where(
            SignedInSession.kind == kind,
            SignedInSession.subject_hash == subject_hash(kind, subject),
            SignedInSession.ended_at.is_(None),
        )
        .values(ended_at=utcnow(), end_reason=reason[:100])
    )
    (connection or db.session).execute(statement)
    if has_request_context():
        g.pop("_signed_in", None)


def ending_change(rule: EndingRule) -> EndingRule:
    """Register a rule naming the sessions a change to the data ends (a decorator)."""
    ENDING_CHANGES.append(rule)
    return rule


def _ended_by(session_: Session) -> Iterator[tuple[str, str, str]]:
    for obj in [*session_.dirty, *session_.deleted]:
        for rule in ENDING_CHANGES:
            yield from rule(obj, session_)


@event.listens_for(Session, "after_flush")
def _end_sessions_on_change(session_: Session, _context) -> None:
    # History is still intact after the flush, and the update joins the same transaction: the
    # sessions end exactly when the change is committed, and not at all if it is rolled back.
    if not ENDING_CHANGES or not (session_.dirty or session_.deleted):
        return
    ended = set(_ended_by(session_))
    if ended:
        connection = session_.connection()
        for kind, subject, reason in sorted(ended):
            end_all(kind, subject, reason, connection=connection)
