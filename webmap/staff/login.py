"""The logged-in staff member, as Flask-Login sees them, and the checks that end stale sessions."""

from __future__ import annotations

import time

from flask import current_app, session
from flask_login import UserMixin

from webmap.core.db import db
from webmap.core.models import User
from webmap.web import sessions

# Session keys: when the member signed in, and when the session was last used (seconds since the epoch).
SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
# Write last_seen back at most this often, so a page's many requests do not each rewrite the cookie.
_SEEN_GRANULARITY_S = 30


class StaffUser(UserMixin):
    """Wrap a User row for Flask-Login."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = str(user.id)
        self.email = user.email
        self.role = user.role

    @property
    def is_active(self) -> bool:
        return bool(self.user.active)

    def get_id(self) -> str:
        """Return the user's id: what the session cookie names (the session itself is checked on the server)."""
        return str(self.user.id)


def start_session(user: User) -> None:
    """Start a staff session on the server, and stamp it for the idle and absolute time limits (the caller commits)."""
    sessions.begin("staff", str(user.id))
    now = int(time.time())
    session[SIGNED_IN_AT] = session[LAST_SEEN] = now


def _session_expired(now: int) -> bool:
    config = current_app.config
    signed_in_at, last_seen = session.get(SIGNED_IN_AT), session.get(LAST_SEEN)
    if not isinstance(signed_in_at, int) or not isinstance(last_seen, int):
        return True
    idle_limit = int(config["SESSION_IDLE_MINUTES"]) * 60
    absolute_limit = int(config["SESSION_MAX_HOURS"]) * 3600
    return now - last_seen > idle_limit or now - signed_in_at > absolute_limit


def load_user(session_id: str) -> StaffUser | None:
    """Return the staff member this session belongs to, or None when the session has ended.

    A session has ended when its row in signed_in_sessions has been ended (sign-out anywhere,
    password or role change, disabled account: webmap.web.sessions), when it has been idle longer than
    SESSION_IDLE_MINUTES, or when it is older than SESSION_MAX_HOURS. The session cookie is
    signed, so its timestamps cannot be altered; a replayed old cookie carries old ones.
    """
    user_id = str(session_id).partition(".")[0]
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    now = int(time.time())
    if _session_expired(now) or not sessions.live("staff", user_id):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if now - session[LAST_SEEN] >= _SEEN_GRANULARITY_S:
        session[LAST_SEEN] = now
    return StaffUser(user)
