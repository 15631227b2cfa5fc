"""Production running: /healthz, one log line per request without personal data, Redis-shared rate limits, backups."""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from tests.conftest import csrf_token, unavailable
from tests.dump_helpers import database_dump
from webmap.core.db import db
from webmap.core.models import Asset, Postcode

REDIS_SERVER = "/usr/bin/redis-server"


def test_healthz_is_ok_on_a_current_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "current"}


def test_healthz_fails_when_migrations_are_behind(app, client):
    with app.app_context():
        current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["migrations"].startswith("not current: at ['0001']")
    finally:
        with app.app_context():
            db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
            db.session.commit()


def test_healthz_fails_when_the_database_is_unreachable(make_app):
    app = make_app(
        DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 2}},
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"].startswith("unreachable")


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_one_json_log_line_per_request_without_personal_data(sample_app):
    handler = _Lines()
    logging.getLogger("webmap.request").addHandler(handler)
    try:
        client = sample_app.test_client()
        client.environ_base["REMOTE_ADDR"] = "203.0.113.201"
        with sample_app.app_context():
            postcode = db.session.scalars(select(Postcode.postcode)).first()
        token = csrf_token(client, "/assets/new")
        handler.lines.clear()
        client.post(
            "/assets/new?ref=someone@example.org",
            data={
                "csrf_token": token,
                "name": "Logged Club",
                "categories": ["food_support"],
                "kind": "group",
                "postcode": postcode,
                "submitter_name": "Lorna Logwatch",
                "submitter_email": "lorna.log@example.org",
            },
        )
        client.get("/listing-check/eyJhIjoxfQ.secret-looking-token")
    finally:
        logging.getLogger("webmap.request").removeHandler(handler)
    assert len(handler.lines) == 2
    first, second = (json.loads(line) for line in handler.lines)
    assert first["method"] == "POST" and first["path"] == "/assets/new" and first["status"] == 302
    assert isinstance(first["ms"], float) and first["ms"] >= 0
    assert second == {**second, "path": "/listing-check/<token>", "status": 404}
    joined = "\n".join(handler.lines)
    for personal in (
        "203.0.113.201",
        "Lorna",
        "lorna.log@example.org",
        "someone@example.org",
        postcode,
        "secret-looking",
    ):
        assert personal not in joined


@pytest.fixture
def redis_url(tmp_path):
    """Start Debian's redis-server on a free port (no disk persistence); skip (fail in CI) when it is not installed."""
    if not Path(REDIS_SERVER).exists():
        unavailable(f"{REDIS_SERVER} not found (apt-get install redis-server; .ci/run does)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def sign_in_attempts(apps, n: int) -> list[int]:
    """Post n wrong sign-ins from one address, spread over the apps in turn (as a load balancer would)."""
    codes = []
    for i in range(n):
        client = apps[i % len(apps)].test_client()
        client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
        codes.append(
            client.post(
                "/login",
                data={
                    "csrf_token": csrf_token(client, "/login"),
                    "email": "x@example.org",
                    "password": "wrong password",
                },
            ).status_code
        )
    return codes


def test_rate_limits_are_shared_between_workers_through_redis(make_app, app, redis_url):
    settings = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}
    workers = [make_app(**settings, RATELIMIT_STORAGE_URI=redis_url) for _ in range(2)]
    assert sign_in_attempts(workers, 4) == [200, 200, 200, 429]
    import redis

    store = redis.Redis.from_url(redis_url)
    assert any(b"login" in key for key in store.keys("*"))  # the counters really live in Redis...
    store.flushall()
    assert sign_in_attempts(workers, 1) == [200]  # ...so emptying Redis lets the address in again


def is_sqlite(app) -> bool:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() == "sqlite"


def change_something(app) -> None:
    with app.app_context():
        asset = db.session.scalars(select(Asset).order_by(Asset.id)).first()
        asset.name = "Changed after the backup"
        db.session.delete(db.session.scalars(select(Postcode)).first())
        db.session.commit()


def test_backup_then_change_then_restore_gives_back_the_backup(sample_app, tmp_path):
    runner = sample_app.test_cli_runner()
    if not is_sqlite(sample_app):
        result = runner.invoke(args=["backup", "--out", str(tmp_path / "b.sqlite")])
        assert result.exit_code != 0 and "pg_dump --format=custom" in result.output
        return _pg_dump_and_restore(sample_app, tmp_path)
    out = tmp_path / "backup.sqlite"
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    backed_up = database_dump(sample_app)
    change_something(sample_app)
    assert database_dump(sample_app) != backed_up
    result = runner.invoke(args=["restore", str(out), "--yes"])
    assert result.exit_code == 0, result.output
    assert database_dump(sample_app) == backed_up
    with sample_app.app_context():  # and the app carries on with it
        assert db.session.scalar(select(Asset.name).order_by(Asset.id).limit(1)) != "Changed after the backup"


def test_backup_refuses_to_overwrite_and_restore_refuses_a_non_backup(sample_app, tmp_path):
    if not is_sqlite(sample_app):
        pytest.skip("SQLite commands; PostGIS uses pg_dump/pg_restore")
    runner = sample_app.test_cli_runner()
    existing = tmp_path / "there.sqlite"
    existing.write_text("x")
    assert "already exists" in runner.invoke(args=["backup", "--out", str(existing)]).output
    result = runner.invoke(args=["restore", str(existing), "--yes"])
    assert result.exit_code != 0 and "not a backup of this app's database" in result.output


def _pg_dump_and_restore(app, tmp_path) -> None:
    """Run the documented pg_dump/pg_restore commands against the PostGIS test database."""
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        unavailable("pg_dump/pg_restore not installed (apt-get install postgresql-client)")
    libpq = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql").render_as_string(False)
    dump_file = tmp_path / "webmap.dump"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump_file}", libpq], check=True)
    backed_up = database_dump(app)
    change_something(app)
    assert database_dump(app) != backed_up
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    subprocess.run(
        ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={libpq}", str(dump_file)],
        check=True,
        capture_output=True,
    )
    assert database_dump(app) == backed_up
