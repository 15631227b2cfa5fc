"""What admins do to staff accounts; every change is audited, and role, disable and reset end the user's sessions."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from webmap.core import audit
from webmap.core.db import db
from webmap.core.emails import normalise_email
from webmap.core.inputs import header_problem
from webmap.core.models import ROLES, User
from webmap.council import site_name
from webmap.notify.links import external_url
from webmap.notify.mail import Mail, in_language, send
from webmap.staff.accounts import MIN_PASSWORD_LENGTH, AccountError, end_all_sessions
from webmap.web.language import language

# How long an invitation or reset link works.
LINK_HOURS = 72


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="webmap.staff.set-password")


def _fingerprint(user: User) -> str:
    """Return a digest of the user's current password hash: setting a password changes it, so links work once."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def password_link(user: User) -> str:
    """Return a signed, expiring, single-use link to set this user's password."""
    token = _serializer().dumps({"u": user.id, "p": _fingerprint(user)})
    return external_url("staff.set_password", token=token)


def user_for_token(token: str) -> User | None:
    """Return the user a set-password link is for, or None when forged, expired, used or disabled."""
    try:
        payload = _serializer().loads(token, max_age=LINK_HOURS * 3600)
    except BadSignature:
        return None
    user = db.session.get(User, payload.get("u")) if isinstance(payload, dict) else None
    if user is None or not user.active or payload.get("p") != _fingerprint(user):
        return None
    return user


def _unusable_password() -> str:
    """Return a hash of a random password nobody knows: the account waits for its link."""
    return generate_password_hash(secrets.token_urlsafe(32))


ROLE_WORDS = {"moderator": _l("moderator"), "admin": _l("admin")}


def role_word(role: str) -> str:
    """Return a staff role in the reader's language (the stored value stays English)."""
    return str(ROLE_WORDS.get(role, role))


def _state(user: User) -> dict:
    return {"email": user.email, "role": user.role, "active": bool(user.active)}


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(_("'%(role)s' is not a role; choose one of %(roles)s.", role=role, roles=", ".join(ROLES)))


def _other_active_admins(user: User) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True), User.id != user.id)
    )


def invite(email: str, role: str) -> User:
    """Create an account with no usable password and email its owner a link to set one."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 200 or header_problem(email):
        raise AccountError(_("%(email)s is not an email address.", email=repr(email)))
    _check_role(role)
    if db.session.scalar(select(User).where(User.email == email)):
        raise AccountError(
            _("%(email)s already has an account: change its role or send a password reset instead.", email=email)
        )
    # Their emails go in the language the admin invited them in, until they sign in themselves.
    user = User(email=email, role=role, active=True, password_hash=_unusable_password(), language=language())
    db.session.add(user)
    db.session.flush()
    audit.record("invite", "user", user.id, after=_state(user))
    area = site_name()
    with in_language(user.language):  # the language of the page the admin invited them from
        mail = Mail(
            to=email,
            subject=_("You are invited to the %(area)s", area=area),
            body=_(
                "You have been given a %(role)s account on the %(area)s.\n\nSet your password here "
                "(the link works once, for %(hours)s hours):\n%(link)s\n\n"
                "Passwords must be at least %(length)s characters long.\n",
                role=role_word(role),
                area=area,
                hours=LINK_HOURS,
                link=password_link(user),
                length=MIN_PASSWORD_LENGTH,
            ),
            reason=_(
                "an administrator of the %(area)s invited this address to a staff account. "
                "If you did not expect it, ignore it: nothing happens unless the link is used.",
                area=area,
            ),
        )
    send(mail)
    return user


def change_role(user: User, role: str, acting: User) -> bool:
    """Give a user another role; return False when it is the same. The last active admin stays an admin."""
    _check_role(role)
    if role == user.role:
        return False
    if user.role == "admin" and not _other_active_admins(user):
        raise AccountError(_("%(email)s is the only active admin: make someone else an admin first.", email=user.email))
    before = _state(user)
    user.role = role
    end_all_sessions(user)
    audit.record("change role", "user", user.id, before=before, after=_state(user))
    return True


def set_active(user: User, active: bool, acting: User) -> None:
    """Disable an account (it can no longer sign in, and its sessions end) or enable it again."""
    if bool(user.active) == active:
        raise AccountError(
            _("%(email)s is already enabled.", email=user.email)
            if active
            else _("%(email)s is already disabled.", email=user.email)
        )
    if not active and user.id == acting.id:
        raise AccountError(_("You cannot disable your own account."))
    if not active and user.role == "admin" and not _other_active_admins(user):
        raise AccountError(_("%(email)s is the only active admin: make someone else an admin first.", email=user.email))
    before = _state(user)
    user.active = active
    end_all_sessions(user)
    audit.record("enable" if active else "disable", "user", user.id, before=before, after=_state(user))


def reset_password(user: User) -> None:
    """Make the old password stop working, end the user's sessions, and email a link to set a new one."""
    if not user.active:
        raise AccountError(_("%(email)s is disabled: enable the account first.", email=user.email))
    user.password_hash = _unusable_password()
    user.failed_logins = 0
    end_all_sessions(user)
    db.session.flush()
    audit.record("reset password", "user", user.id, note="old password cleared; a set-password link was emailed")
    with in_language(user.language):  # in the language they last signed in with
        area = site_name()
        mail = Mail(
            to=user.email,
            subject=_("Set a new password for the %(area)s", area=area),
            body=_(
                "An administrator has reset your password. Your old password no longer works, and you have "
                "been signed out everywhere.\n\nSet a new one here (the link works once, for %(hours)s "
                "hours):\n%(link)s\n",
                hours=LINK_HOURS,
                link=password_link(user),
            ),
            reason=_("an administrator of the %(area)s reset the password of your staff account.", area=area),
        )
    send(mail)


def set_password(user: User, password: str, confirm: str) -> None:
    """Set a password from a link, after checking its length and that both copies match."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(_("The password must be at least %(length)s characters long.", length=MIN_PASSWORD_LENGTH))
    if password != confirm:
        raise AccountError(_("The two passwords are not the same."))
    user.password_hash = generate_password_hash(password)
    user.failed_logins = 0
    end_all_sessions(user)
    db.session.add(
        audit.AuditEvent(
            actor=user.email,
            user_id=user.id,
            action="set password",
            entity_type="user",
            entity_id=str(user.id),
            note="through an emailed link",
        )
    )
