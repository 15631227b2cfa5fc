"""Staff accounts: hashed passwords, creating users, and sign-in with a lockout after repeated failures."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .db import db
from .models import ROLES, AuditEvent, User, utcnow

MAX_FAILED_LOGINS = 5
LOCKOUT_MINUTES = 15
MIN_PASSWORD_LENGTH = 10
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A plain-English reason why an account could not be created."""


@dataclass
class LoginResult:
    """The outcome of a sign-in attempt: the user when it worked, else a message to show."""

    user: User | None
    message: str | None = None
    locked: bool = False


def normalise_email(email: str) -> str:
    """Return an email address trimmed and in lower case, the form users are stored under."""
    return (email or "").strip().lower()


# Changing any of these ends every session the user has open (ASVS 3.3.1, 3.3.3).
_SESSION_ENDING_FIELDS = ("password_hash", "role", "active")


def end_all_sessions(user: User) -> None:
    """End every session this user has open, on every device (they must sign in again)."""
    user.session_version = (user.session_version or 0) + 1


@event.listens_for(Session, "before_flush")
def _end_sessions_on_account_change(session: Session, _context, _instances) -> None:
    # A password reset, role change or disabling ends the user's sessions wherever it is done
    # (CLI, a future admin page, a script), so no caller can forget to.
    for obj in session.dirty:
        if not isinstance(obj, User):
            continue
        state = inspect(obj)
        if state.attrs.session_version.history.has_changes():
            continue
        if any(state.attrs[name].history.has_changes() for name in _SESSION_ENDING_FIELDS):
            end_all_sessions(obj)


def create_user(email: str, password: str, role: str, actor: str = "cli: create-user") -> tuple[User, bool]:
    """Create a staff user, or reset an existing one's password and role; return (user, created)."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 200:
        raise AccountError(f"'{email}' is not an email address.")
    if role not in ROLES:
        raise AccountError(f"The role must be one of: {', '.join(ROLES)}.")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    user = db.session.scalar(select(User).where(User.email == email))
    created = user is None
    if created:
        user = User(email=email)
        db.session.add(user)
    user.password_hash = generate_password_hash(password)
    user.role, user.active, user.failed_logins, user.locked_until = role, True, 0, None
    db.session.flush()
    db.session.add(AuditEvent(actor=actor, action="create" if created else "reset", entity_type="user",
                              entity_id=str(user.id), after={"email": email, "role": role}))
    return user, created


def authenticate(email: str, password: str) -> LoginResult:
    """Check a sign-in; count failures on the user row and lock it for a while after too many."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    now = utcnow()
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        return LoginResult(None, "The email address or password is not right.")
    if user.locked_until and user.locked_until > now:
        return LoginResult(None, _locked_message(user.locked_until - now), locked=True)
    if check_password_hash(user.password_hash, password or ""):
        user.failed_logins, user.locked_until = 0, None
        db.session.commit()
        return LoginResult(user)
    # Count in the database, not in Python, so simultaneous attempts cannot undercount.
    db.session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
    db.session.refresh(user)
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until, user.failed_logins = now + timedelta(minutes=LOCKOUT_MINUTES), 0
        db.session.add(AuditEvent(actor=user.email, user_id=user.id, action="lockout", entity_type="user",
                                  entity_id=str(user.id), note=f"{MAX_FAILED_LOGINS} failed sign-ins"))
        db.session.commit()
        return LoginResult(None, _locked_message(timedelta(minutes=LOCKOUT_MINUTES)), locked=True)
    db.session.commit()
    return LoginResult(None, "The email address or password is not right.")


def _locked_message(remaining: timedelta) -> str:
    minutes = max(1, -(-int(remaining.total_seconds()) // 60))
    return (f"This account is locked after {MAX_FAILED_LOGINS} failed sign-in attempts. "
            f"Please wait {minutes} minute{'s' if minutes != 1 else ''} and try again.")
