"""Admin pages for staff accounts and the site-wide audit log, and the set-password page behind emailed links."""

from __future__ import annotations

import math
import smtplib
from datetime import datetime, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from webmap.core import audit
from webmap.core.db import db
from webmap.core.models import ROLES, AuditEvent, User
from webmap.notify.mail import MailNotConfigured
from webmap.staff import manage
from webmap.staff.accounts import MIN_PASSWORD_LENGTH, AccountError
from webmap.web.paging import page_number
from webmap.web.security import role_required

bp = Blueprint("staff", __name__, template_folder="templates")


def acting_user() -> User:
    """Return the signed-in admin's own account row."""
    from flask_login import current_user

    return current_user.user


def user_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.errorhandler(AccountError)
def refused(error: AccountError):
    """Undo the change, say why it was refused, and go back to the list."""
    db.session.rollback()
    flash(str(error), "error")
    return redirect(url_for("staff.users"))


@bp.errorhandler(MailNotConfigured)
@bp.errorhandler(smtplib.SMTPException)
@bp.errorhandler(OSError)
def mail_failed(error: Exception):
    """Undo an invitation or reset whose email could not be sent: a link nobody receives is no use."""
    db.session.rollback()
    flash(
        _(
            "Nothing was changed: the email could not be sent (%(error)s). "
            "Check the mail settings, or use `flask --app webmap create-user` on the server.",
            error=str(error),
        ),
        "error",
    )
    return redirect(url_for("staff.users"))


@bp.get("/admin/users")
@role_required("admin")
def users():
    """List staff accounts with their roles, and forms to invite, change, disable and reset."""
    rows = list(db.session.scalars(select(User).order_by(User.active.desc(), User.email)))
    return render_template("staff/users.html", users=rows, roles=ROLES, me=acting_user(), role_word=manage.role_word)


def _done(message: str):
    """Commit an admin's change, say what was done, and go back to the staff list."""
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("staff.users"))


@bp.post("/admin/users/invite")
@role_required("admin")
def invite():
    """Invite someone by email to a staff account with a role."""
    user = manage.invite(request.form.get("email", ""), request.form.get("role", ""))
    return _done(
        _(
            "Invited %(email)s as %(role)s: they have been emailed a link to set a password.",
            email=user.email,
            role=manage.role_word(user.role),
        )
    )


@bp.post("/admin/users/<int:user_id>/role")
@role_required("admin")
def change_role(user_id: int):
    """Change a staff member's role (this signs them out everywhere)."""
    user = user_or_404(user_id)
    changed = manage.change_role(user, request.form.get("role", ""), acting_user())
    if not changed:
        return _done(_("Nothing was changed."))
    return _done(_("%(email)s is now %(role)s.", email=user.email, role=manage.role_word(user.role)))


@bp.post("/admin/users/<int:user_id>/disable", endpoint="disable", defaults={"active": False})
@bp.post("/admin/users/<int:user_id>/enable", endpoint="enable", defaults={"active": True})
@role_required("admin")
def set_active(user_id: int, active: bool):
    """Disable an account (it cannot sign in, and its sessions end), or enable it again."""
    user = user_or_404(user_id)
    manage.set_active(user, active, acting_user())
    return _done(_("Enabled %(email)s.", email=user.email) if active else _("Disabled %(email)s.", email=user.email))


@bp.post("/admin/users/<int:user_id>/reset")
@role_required("admin")
def reset(user_id: int):
    """Clear a staff member's password and email them a link to set a new one."""
    user = user_or_404(user_id)
    manage.reset_password(user)
    return _done(
        _("Reset the password of %(email)s: they have been emailed a link to set a new one.", email=user.email)
    )


@bp.route("/staff/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Set a password from an invitation or reset link (each link works once)."""
    user = manage.user_for_token(token)
    if user is None:
        return render_template("staff/link_used.html", hours=manage.LINK_HOURS), 404
    error = None
    if request.method == "POST":
        try:
            manage.set_password(user, request.form.get("password", ""), request.form.get("confirm", ""))
        except AccountError as refused_password:
            error = str(refused_password)
        else:
            db.session.commit()
            flash(_("Your password is set. Please sign in."), "success")
            return redirect(url_for("auth.login"))
    return render_template(
        "staff/set_password.html", email=user.email, token=token, error=error, min_length=MIN_PASSWORD_LENGTH
    )


def _date(name: str) -> datetime | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        abort(400, _("'%(value)s' is not a date like 2026-03-31.", value=value))


@bp.get("/admin/audit")
@role_required("admin")
def audit_log():
    """Show every audit event, newest first, filtered by who, what, when and which record."""
    filters = {k: (request.args.get(k) or "").strip() for k in ("who", "action", "entity_type", "entity_id")}
    since, until = _date("from"), _date("to")
    query = select(AuditEvent)
    if filters["who"]:
        query = query.where(func.lower(AuditEvent.actor).contains(filters["who"].lower(), autoescape=True))
    if filters["action"]:
        query = query.where(AuditEvent.action == filters["action"])
    if filters["entity_type"]:
        query = query.where(AuditEvent.entity_type == filters["entity_type"])
    if filters["entity_id"]:
        query = query.where(AuditEvent.entity_id == filters["entity_id"])
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until + timedelta(days=1))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    size = int(current_app.config["PAGE_SIZE"])
    pages = max(1, math.ceil(total / size))
    page = min(page_number(), pages)
    events = list(
        db.session.scalars(
            query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset((page - 1) * size).limit(size)
        )
    )
    actions = list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
    types = list(db.session.scalars(select(AuditEvent.entity_type).distinct().order_by(AuditEvent.entity_type)))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "staff/audit.html",
        changes=audit.changes,
        events=events,
        total=total,
        page=page,
        pages=pages,
        filters=filters,
        since=request.args.get("from", ""),
        until=request.args.get("to", ""),
        actions=actions,
        types=types,
        args=args,
    )
