"""No published secret key: each install makes its own, keeps it, and an explicit key still wins."""

from __future__ import annotations

import stat

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from tests.conftest import BASE_CONFIG, login, make_staff
from webmap import create_app
from webmap.core.db import db

OLD_PUBLISHED_DEFAULT = "dev-only-change-me"


MADE = []


@pytest.fixture(autouse=True)
def _close_engines():
    yield
    while MADE:
        with MADE.pop().app_context():
            db.session.remove()
            db.engine.dispose()


def fresh_install(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("WEBMAP_SECRET_KEY", raising=False)
    config = {k: v for k, v in BASE_CONFIG.items() if k != "SECRET_KEY"}
    app = create_app({**config, "DATABASE_URL": database_url}, instance_path=str(tmp_path / "instance"))
    MADE.append(app)
    return app


def test_a_fresh_install_makes_a_random_key_and_keeps_it(database_url, tmp_path, monkeypatch):
    first = fresh_install(database_url, tmp_path, monkeypatch)
    key_file = tmp_path / "instance" / "secret_key"
    key = first.config["SECRET_KEY"]
    assert key == key_file.read_text().strip()
    assert len(key) >= 64 and key != OLD_PUBLISHED_DEFAULT
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600  # only the app's own user can read it
    assert fresh_install(database_url, tmp_path, monkeypatch).config["SECRET_KEY"] == key  # kept across restarts
    other = fresh_install(database_url, tmp_path / "elsewhere", monkeypatch)
    assert other.config["SECRET_KEY"] != key  # every install its own


def test_an_explicit_key_wins(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("WEBMAP_SECRET_KEY", "from-the-environment-" + "x" * 20)
    config = {k: v for k, v in BASE_CONFIG.items() if k != "SECRET_KEY"}
    app = create_app({**config, "DATABASE_URL": database_url}, instance_path=str(tmp_path / "instance"))
    MADE.append(app)
    assert app.config["SECRET_KEY"] == "from-the-environment-" + "x" * 20
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_a_cookie_signed_with_the_old_default_key_does_not_open_moderation(
    sample_app, database_url, tmp_path, monkeypatch
):
    make_staff(sample_app)
    app = fresh_install(database_url, tmp_path, monkeypatch)
    client = app.test_client()
    # A real sign-in: its session cookie (signed with the install's own key) opens moderation.
    assert login(client).status_code == 302
    assert client.get("/moderate").status_code == 200
    real = client.get_cookie("session").value
    contents = SecureCookieSessionInterface().get_signing_serializer(app).loads(real)

    # The very same session contents, signed with the key once published in the source, open nothing.
    forger = Flask("forger")
    forger.secret_key = OLD_PUBLISHED_DEFAULT
    attacker = app.test_client()
    attacker.set_cookie("session", SecureCookieSessionInterface().get_signing_serializer(forger).dumps(contents))
    response = attacker.get("/moderate")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
