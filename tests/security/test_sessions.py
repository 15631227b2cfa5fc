"""Sessions end when they should: sign-out, password reset, role change, disabling, idle and age limits.

Each test replays a session cookie saved before the event, as an attacker holding a copied
cookie would; before the fix, every one of them still opened /moderate.
"""

from __future__ import annotations

import time

import pytest
from werkzeug.security import generate_password_hash

from tests.conftest import csrf_token, login, make_staff
from webmap.core.db import db
from webmap.core.models import User
from webmap.staff.accounts import end_all_sessions
from webmap.staff.login import LAST_SEEN, SIGNED_IN_AT
from webmap.web import sessions


def _signed_in(app):
    make_staff(app)
    client = app.test_client()
    assert login(client).status_code == 302
    assert client.get("/moderate").status_code == 200
    return client


def _saved_cookie(client) -> str:
    return client.get_cookie("session").value


def _replay(app, cookie: str) -> int:
    """Open /moderate with nothing but a saved session cookie; return the status."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get("/moderate").status_code


def _change_user(app, change) -> None:
    with app.app_context():
        user = db.session.query(User).one()
        change(user)
        db.session.commit()


def test_saved_cookie_refused_after_sign_out(app):
    client = _signed_in(app)
    saved = _saved_cookie(client)
    assert _replay(app, saved) == 200  # the copy works while the session lives
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert _replay(app, saved) == 302  # sent to sign in


def test_sign_out_ends_the_users_other_sessions_too(app):
    first = _signed_in(app)
    second = app.test_client()
    assert login(second).status_code == 302
    second.post("/logout", data={"csrf_token": csrf_token(second, "/")})
    assert first.get("/moderate").status_code == 302


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda user: setattr(user, "password_hash", generate_password_hash("a brand new password")),
            id="password-change",
        ),
        pytest.param(lambda user: setattr(user, "role", "admin"), id="role-change"),
        pytest.param(lambda user: setattr(user, "active", False), id="disabled"),
        pytest.param(end_all_sessions, id="end_all_sessions"),
    ],
)
def test_saved_cookie_refused_after_account_change(app, change):
    client = _signed_in(app)
    saved = _saved_cookie(client)
    _change_user(app, change)
    assert _replay(app, saved) == 302
    assert client.get("/moderate").status_code == 302


def test_saved_cookie_refused_after_password_reset_from_the_command_line(app, runner, monkeypatch):
    client = _signed_in(app)
    saved = _saved_cookie(client)
    monkeypatch.setenv("WEBMAP_NEW_USER_PASSWORD", "another long password")
    result = runner.invoke(args=["create-user", "mod@example.gov.uk"])
    assert result.exit_code == 0, result.output
    assert _replay(app, saved) == 302


def test_unrelated_change_keeps_the_session(app):
    client = _signed_in(app)
    _change_user(app, lambda user: setattr(user, "failed_logins", 3))
    assert client.get("/moderate").status_code == 200


def _age_session(client, **seconds_ago: int) -> None:
    with client.session_transaction() as session:
        now = int(time.time())
        for key, ago in seconds_ago.items():
            session[key] = now - ago


def test_session_ends_after_idle_time(make_app):
    app = make_app(SESSION_IDLE_MINUTES=30)
    from tests.conftest import empty_database

    with app.app_context():
        empty_database()
    client = _signed_in(app)
    _age_session(client, **{LAST_SEEN: 29 * 60})
    assert client.get("/moderate").status_code == 200  # and that request counts as activity
    with client.session_transaction() as session:
        assert session[LAST_SEEN] >= int(time.time()) - 2
    _age_session(client, **{LAST_SEEN: 31 * 60})
    assert client.get("/moderate").status_code == 302


def test_session_ends_after_maximum_age_even_when_busy(app):
    client = _signed_in(app)
    _age_session(client, **{SIGNED_IN_AT: app.config["SESSION_MAX_HOURS"] * 3600 + 60, LAST_SEEN: 0})
    assert client.get("/moderate").status_code == 302


def test_cookie_from_before_server_side_sessions_is_refused(app):
    client = _signed_in(app)
    with client.session_transaction() as session:
        session.pop(sessions.COOKIE_KEY)  # a cookie naming the user but holding no server-side session
        session["_user_id"] = session["_user_id"] + ".0"  # the older "<id>.<version>" form
    assert client.get("/moderate").status_code == 302
