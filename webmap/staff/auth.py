"""Staff sign-in and sign-out (residents need no account)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from webmap.core.db import db
from webmap.core.inputs import SafeForm
from webmap.staff.accounts import authenticate, end_all_sessions, normalise_email
from webmap.staff.login import StaffUser, start_session
from webmap.web import throttle
from webmap.web.language import language
from webmap.web.redirects import safe_next
from webmap.web.security import limiter

bp = Blueprint("auth", __name__, template_folder="templates")


class LoginForm(SafeForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address")), Length(max=200)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password")), Length(max=500)],
        render_kw={"autocomplete": "current-password"},
    )


def staff_home() -> str:
    """Return where staff land after signing in: the moderation queue when it exists."""
    return url_for("moderation.queue") if "moderation.queue" in current_app.view_functions else url_for("main.index")


def login_limit() -> str:
    """Return the per-address limit on sign-in attempts (a setting)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def known_device() -> bool:
    """Say whether this browser holds a valid known-device cookie for the email being signed in.

    Such a browser has signed in to this account before, so it is its owner: the per-address
    limit must not lock them out when someone else on the same address is guessing. Its own
    (email, device) pair is still slowed down by failures like any other.
    """
    email = normalise_email(request.form.get("email") or "")
    cookie = request.cookies.get(throttle.DEVICE_COOKIE)
    return bool(email and throttle.device_origin(current_app.config["SECRET_KEY"], cookie, email))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"], exempt_when=known_device)
def login():
    """Sign a staff member in."""
    if current_user.is_authenticated:
        return redirect(staff_home())
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(
            form.email.data,
            form.password.data,
            address=request.remote_addr,
            device_cookie=request.cookies.get(throttle.DEVICE_COOKIE),
        )
        if result.user is not None:
            next_url = safe_next(request.args.get("next"))
            session.clear()  # a fresh session on sign-in, so an old cookie cannot be fixed on a user
            login_user(StaffUser(result.user), remember=False)
            result.user.language = language()  # their digest and other emails go in the language they sign in with
            start_session(result.user)
            db.session.commit()
            response = redirect(next_url or staff_home())
            _set_device_cookie(response, result.device_cookie)
            return response
        form.password.errors = [result.message]
        if result.wait_seconds:
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(result.wait_seconds)}
    return render_template("auth/login.html", form=form)


def _set_device_cookie(response, value: str | None) -> None:
    """Remember that this browser signed in to this account, so others' failures never slow it down."""
    if value:
        config = current_app.config
        response.set_cookie(
            throttle.DEVICE_COOKIE,
            value,
            max_age=throttle.DEVICE_COOKIE_DAYS * 86400,
            httponly=True,
            secure=bool(config["SESSION_COOKIE_SECURE"]),
            samesite="Lax",
            path=url_for("auth.login"),
        )


@bp.post("/logout")
def logout():
    """Sign the staff member out everywhere (a POST with a CSRF token, so no other site can do it)."""
    if current_user.is_authenticated:
        # Ending only this cookie would leave a copy of it (or another device's) still signed in.
        end_all_sessions(current_user.user, "signed out")
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("main.index"))
