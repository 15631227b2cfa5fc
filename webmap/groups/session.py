"""Managers' sign-in session: a server-side session of its own kind, apart from staff logins.

Staff sign in with a password through Flask-Login; a group's manager signs in by an emailed
one-time link and is only ever trusted with the listings they manage, checked on every request.
The session lives in webmap.web.sessions, like a staff one, so the server can end it: on
sign-out, when a new link is used, when the manager is removed or their listing archived.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, session
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.orm import Session

from webmap.core.models import Asset
from webmap.groups.models import ListingManager
from webmap.web import sessions

KEY = "group_manager"
KIND = "group_manager"


def sign_in(email: str) -> None:
    """Start a manager session in this browser, ending the manager's older ones (the caller commits)."""
    session.pop(KEY, None)
    sessions.begin(KIND, email, end_others="signed in with a new link")
    session[KEY] = {"email": email}


def sign_out() -> None:
    """End the manager's sessions everywhere (staff sign-in, if any, is left alone; the caller commits)."""
    data = session.pop(KEY, None)
    if isinstance(data, dict) and isinstance(data.get("email"), str):
        sessions.end_all(KIND, data["email"], "signed out")
    sessions.forget(KIND)


def current_email() -> str | None:
    """Return the signed-in manager's email, or None when nobody is or the session has ended or run out."""
    data = session.get(KEY)
    if not isinstance(data, dict) or not isinstance(data.get("email"), str):
        return None
    hours = timedelta(hours=int(current_app.config["GROUP_SESSION_HOURS"]))
    if not sessions.live(KIND, data["email"], max_age=hours):
        session.pop(KEY, None)
        sessions.forget(KIND)
        return None
    return data["email"]


@sessions.ending_change
def _removal_or_archiving_ends_sessions(obj: object, db_session: Session):
    """A manager removed from a listing, or a listing archived, ends the sessions that managed it."""
    if isinstance(obj, ListingManager) and not obj.active and sa_inspect(obj).attrs.active.history.has_changes():
        yield KIND, obj.email, "removed as a manager of a listing"
    elif isinstance(obj, Asset) and obj.status == "archived" and sa_inspect(obj).attrs.status.history.has_changes():
        emails = (
            db_session.connection()
            .execute(
                select(ListingManager.email).where(ListingManager.asset_id == obj.id, ListingManager.active.is_(True))
            )
            .scalars()
        )
        for email in emails:
            yield KIND, email, "their listing was archived"
