"""Staff accounts: hashed passwords, creating users, ending sessions, and throttled sign-in."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from webmap.core.db import db
from webmap.core.emails import normalise_email
from webmap.core.inputs import header_problem
from webmap.core.models import ROLES, AuditEvent, User
from webmap.web import sessions, throttle

MIN_PASSWORD_LENGTH = 10
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
WRONG_DETAILS = _l("The email address or password is not right.")


class AccountError(ValueError):
    """A plain-English reason why an account could not be created."""


@dataclass
class LoginResult:
    """The outcome of a sign-in attempt: the user when it worked, else a message to show."""

    user: User | None
    message: str | None = None
    # When the attempt was not checked because this (email, address) pair must wait.
    wait_seconds: int = 0
    # Set on success: the signed "known device" cookie for this browser (see web.throttle).
    device_cookie: str | None = None


# Changing any of these ends every session the user has open (ASVS 3.3.1, 3.3.3).
_SESSION_ENDING_FIELDS = ("password_hash", "role", "active")


def end_all_sessions(user: User, reason: str = "account changed") -> None:
    """End every session this user has open, on every device (they must sign in again; the caller commits)."""
    sessions.end_all("staff", str(user.id), reason)


@sessions.ending_change
def _account_change_ends_sessions(obj: object, _session: Session):
    # A password reset, role change or disabling ends the user's sessions wherever it is done
    # (CLI, an admin page, a script), so no caller can forget to.
    if isinstance(obj, User) and obj.id is not None:
        state = inspect(obj)
        changed = [name for name in _SESSION_ENDING_FIELDS if state.attrs[name].history.has_changes()]
        if changed:
            yield "staff", str(obj.id), f"{changed[0].replace('_hash', '')} changed"


def create_user(email: str, password: str, role: str, actor: str = "cli: create-user") -> tuple[User, bool]:
    """Create a staff user, or reset an existing one's password and role; return (user, created)."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 200 or header_problem(email):
        raise AccountError(f"{email!r} is not an email address.")
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
    user.role, user.active, user.failed_logins = role, True, 0
    db.session.flush()
    db.session.add(
        AuditEvent(
            actor=actor,
            action="create" if created else "reset",
            entity_type="user",
            entity_id=str(user.id),
            after={"email": email, "role": role},
        )
    )
    return user, created


def authenticate(
    email: str, password: str, address: str | None = None, device_cookie: str | None = None
) -> LoginResult:
    """Check a sign-in, slowing down the (email, address or known device) pair after repeated failures.

    Nothing here depends on whether the email has an account until the password is checked, and an
    unknown email is checked against a dummy hash, so both get the same answers in the same time.
    """
    email = normalise_email(email)
    secret = current_app.config["SECRET_KEY"]
    origin = throttle.device_origin(secret, device_cookie, email) or f"ip:{address or 'unknown'}"
    key = throttle.pair_key(secret, email, origin)
    wait = throttle.seconds_to_wait(key)
    if wait:
        return LoginResult(None, _wait_message(wait), wait_seconds=wait)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password or "")
        ok = False
    else:
        ok = check_password_hash(user.password_hash, password or "")
    if ok:
        throttle.forget(key)
        user.failed_logins = 0
        db.session.commit()
        return LoginResult(user, device_cookie=throttle.new_device_cookie(secret, email))
    failures = throttle.record_failure(key)
    if user is not None:
        # Count in the database, not in Python, so simultaneous attempts cannot undercount.
        db.session.execute(update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1))
        if failures == throttle.FREE_FAILURES + 1:
            db.session.add(
                AuditEvent(
                    actor=email,
                    user_id=user.id,
                    action="sign-in throttled",
                    entity_type="user",
                    entity_id=str(user.id),
                    note=f"{failures} failed sign-ins in a row from {origin.split(':')[0]}",
                )
            )
    db.session.commit()
    return LoginResult(None, str(WRONG_DETAILS))


def _wait_message(seconds: int) -> str:
    amount = (
        ngettext("%(num)d second", "%(num)d seconds", seconds)
        if seconds < 120
        else ngettext("%(num)d minute", "%(num)d minutes", -(-seconds // 60))
    )
    return _(
        "Too many sign-in attempts for this email address from here. Please wait %(amount)s and try again. "
        "If you have forgotten your password, ask an administrator to reset it.",
        amount=amount,
    )
