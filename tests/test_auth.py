"""Staff accounts: create-user, sign in and out (throttling: tests/security/test_signin.py), CSRF on sign-in and cookie settings."""

from __future__ import annotations

from werkzeug.security import check_password_hash

from tests.conftest import STAFF_PASSWORD, csrf_token, login, make_staff
from webmap.core.db import db
from webmap.core.models import AuditEvent, User


def _user(app, email="mod@example.gov.uk") -> User:
    with app.app_context():
        user = db.session.query(User).filter_by(email=email).one()
        db.session.expunge(user)
        return user


def test_create_user_reads_password_from_environment(app, runner, monkeypatch):
    monkeypatch.setenv("WEBMAP_NEW_USER_PASSWORD", "a long enough password")
    result = runner.invoke(args=["create-user", "Officer@Example.gov.uk", "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert "Created admin officer@example.gov.uk" in result.output
    user = _user(app, "officer@example.gov.uk")
    assert user.role == "admin"
    assert user.password_hash != "a long enough password"
    assert check_password_hash(user.password_hash, "a long enough password")
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(entity_type="user", action="create").count() == 1


def test_create_user_prompts_for_password_with_confirmation(app, runner, monkeypatch):
    monkeypatch.delenv("WEBMAP_NEW_USER_PASSWORD", raising=False)
    result = runner.invoke(args=["create-user", "mod@example.gov.uk"], input="typed password 1\ntyped password 1\n")
    assert result.exit_code == 0, result.output
    assert check_password_hash(_user(app).password_hash, "typed password 1")
    assert _user(app).role == "moderator"
    mismatch = runner.invoke(args=["create-user", "other@example.gov.uk"], input="first password\nsecond password\n")
    assert mismatch.exit_code != 0  # click gives up after the confirmation does not match (no more input)


def test_create_user_rejects_short_password_and_bad_role(app, runner, monkeypatch):
    monkeypatch.setenv("WEBMAP_NEW_USER_PASSWORD", "short")
    result = runner.invoke(args=["create-user", "mod@example.gov.uk"])
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    monkeypatch.setenv("WEBMAP_NEW_USER_PASSWORD", "a long enough password")
    assert runner.invoke(args=["create-user", "mod@example.gov.uk", "--role", "king"]).exit_code == 2
    with app.app_context():
        assert db.session.query(User).count() == 0


def test_login_and_logout(app):
    make_staff(app)
    client = app.test_client()
    response = login(client)
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    # Sign out is a POST form carrying a CSRF token, not a link.
    assert 'action="/logout"' in html and 'name="csrf_token"' in html.split('action="/logout"')[1][:300]
    assert client.get("/logout").status_code == 405
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert 'action="/logout"' not in client.get("/").get_data(as_text=True)


def test_wrong_password_shows_message_beside_field(app):
    make_staff(app)
    client = app.test_client()
    response = login(client, password="wrong password!")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in html and 'href="#password"' in html
    assert "The email address or password is not right." in html
    assert _user(app).failed_logins == 1
    # An unknown email gets the same message, so it does not reveal who has an account.
    other = login(app.test_client(), email="nobody@example.gov.uk").get_data(as_text=True)
    assert "The email address or password is not right." in other


def test_login_post_without_csrf_is_refused(app):
    make_staff(app)
    response = app.test_client().post("/login", data={"email": "mod@example.gov.uk", "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_next_parameter_must_stay_on_this_site(app):
    make_staff(app)
    client = app.test_client()
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "email": "mod@example.gov.uk", "password": STAFF_PASSWORD}
    response = client.post("/login?next=//evil.example/x", data=data)
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    token = csrf_token(client, "/login")
    response = client.post("/login?next=/about", data={**data, "csrf_token": token})
    assert response.headers["Location"] == "/about"


def test_session_cookie_is_httponly_and_samesite(app, make_app):
    make_staff(app)
    response = login(app.test_client())
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    secure = make_app(SECURE_COOKIES=True)
    response = login(secure.test_client())
    assert "Secure" in response.headers["Set-Cookie"]


def test_sign_in_attempts_are_rate_limited_per_address(app, make_app):
    make_staff(app)
    limited = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    for _ in range(3):
        assert login(client, password="wrong password!").status_code == 200
    assert login(client).status_code == 429  # even the right password waits
