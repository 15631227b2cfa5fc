"""The logged-in staff member, as Flask-Login sees them."""
from __future__ import annotations

from flask_login import UserMixin

from .db import db
from .models import User


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


def load_user(user_id: str) -> StaffUser | None:
    """Return the staff member with this id, or None."""
    if not str(user_id).isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return StaffUser(user) if user is not None and user.active else None
