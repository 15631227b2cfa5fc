"""Managers' sign-in session: their own key in the signed session cookie, apart from staff logins.

Staff sign in with a password through Flask-Login; a group's manager signs in by an emailed
one-time link and is only ever trusted with the listings they manage, checked on every request.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, session

from webmap.core.models import utcnow

KEY = "group_manager"


def sign_in(email: str) -> None:
    """Remember this manager in the session (a fresh session id for a new sign-in)."""
    session.pop(KEY, None)
    session[KEY] = {"email": email, "at": utcnow().isoformat(timespec="seconds")}


def sign_out() -> None:
    """Forget the manager (staff sign-in, if any, is left alone)."""
    session.pop(KEY, None)


def current_email() -> str | None:
    """Return the signed-in manager's email, or None when nobody is or the session is too old."""
    data = session.get(KEY)
    if not isinstance(data, dict) or not data.get("email"):
        return None
    try:
        since = datetime.fromisoformat(data["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if since + timedelta(hours=int(current_app.config["GROUP_SESSION_HOURS"])) < utcnow():
        sign_out()
        return None
    return data["email"]
