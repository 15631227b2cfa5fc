"""Shared fixtures: an app on a clean database (SQLite, or PostGIS when asked), client, runner."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import text

from tests.serving import serve_wsgi
from webmap import create_app
from webmap.cli import init_database
from webmap.core.db import db

REPO = Path(__file__).resolve().parent.parent
# Each test session gets its own instance folder (secret key, import uploads, the background
# refresh's lock and queue), so two suites running at once (SQLite and PostGIS) never share one.
os.environ.setdefault("WEBMAP_INSTANCE_PATH", tempfile.mkdtemp(prefix="webmap-test-instance-"))
SHARED_DATA = Path(os.environ.get("WEBMAP_SHARED_DATA", REPO.parent / "shared" / "data"))
SHARED_ORUK = Path(os.environ.get("WEBMAP_SHARED_ORUK", REPO.parent / "shared" / "oruk"))
CHROMIUM = os.environ.get("WEBMAP_CHROMIUM", "/usr/bin/chromium")
# CI sets CI=true: there a green run must have run every test, so a missing kit, browser or service fails.
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1")


def unavailable(reason: str) -> NoReturn:
    """Skip the test for a missing kit, browser or service, saying which; fail instead in CI (CI=true)."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this fails rather than skips)", pytrace=False)
    pytest.skip(reason)


# REFRESH and GAP_SNAPSHOTS differ from production's defaults only for speed; tests/test_production_defaults.py
# runs a resident's change through an app left at production's values.
BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "TILES_URL": "",  # no tile server in tests
    "RATELIMIT_ENABLED": False,
    # Gap snapshots cost seconds; tests of the gap history switch them on ("inline").
    "GAP_SNAPSHOTS": "off",
    # Derived tables catch up inside the request; the tests of the background refresh switch it on.
    "REFRESH": "inline",
    # Queue tasks run at once in the caller; the acceptance tests (test_background_acceptance.py) run real workers.
    "QUEUE_URL": "immediate",
}


def pytest_collection_modifyitems(items) -> None:
    """Mark every test that drives the browser, so a run can pick them (`-m browser`) or leave them out."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.browser)


def _url(tmp_path_factory) -> str:
    url = os.environ.get("WEBMAP_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return _worker_database(url, worker) if worker and url.startswith("postgresql") else url


def _worker_database(url: str, worker: str) -> str:
    """Give each pytest-xdist worker its own PostGIS database beside the one named (tests empty their tables)."""
    from sqlalchemy import create_engine, make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """Create the schema once per test session (a PostGIS database starts from nothing)."""
    url = _url(tmp_path_factory)
    app = create_app({**BASE_CONFIG, "DATABASE_URL": url})
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        init_database()
        db.session.remove()
        db.engine.dispose()
    return url


def empty_database() -> None:
    """Delete every row (keeping the schema) so each test starts clean."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture
def make_app(database_url):
    """Return a factory for apps on the clean test database, with extra settings."""
    made = []

    def factory(**overrides):
        app = create_app({**BASE_CONFIG, "DATABASE_URL": database_url, **overrides})
        made.append(app)
        return app

    yield factory
    # Mail sent after a response runs in a thread on the app's engine: let it finish before the engine goes.
    from webmap.notify import later

    later.wait()
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def load_categories_only() -> None:
    """Empty the database (in an app context) and load the category taxonomy."""
    from webmap.importers.categories import import_categories

    empty_database()
    import_categories(REPO / "data" / "categories.csv")
    db.session.commit()


def load_fresh_sample() -> None:
    """Empty the database (in an app context) and load the categories and the fictional sample area."""
    from webmap.imports.sample import load_sample

    load_categories_only()
    load_sample()


@pytest.fixture
def app(make_app):
    """An app whose database holds the category taxonomy and nothing else."""
    app = make_app()
    with app.app_context():
        load_categories_only()
    return app


@pytest.fixture
def sample_app(app):
    """An app with the fictional sample area loaded."""
    from webmap.imports.sample import load_sample

    with app.app_context():
        load_sample()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url: str) -> str:
    """Fetch a form page and return its CSRF token."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


@pytest.fixture
def live_server(sample_app):
    """Serve the sample app on a free local port in a thread; yields its base URL."""
    with serve_wsgi(sample_app) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright; skips (fails in CI) when Chromium is not installed."""
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        _collect_csp_violations(browser)
        yield browser
        browser.close()


CSP_VIOLATIONS: list[str] = []


def _collect_csp_violations(browser) -> None:
    """Make every browser context report Content-Security-Policy violations into CSP_VIOLATIONS."""
    new_context = browser.new_context

    def reporting_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on(
            "console",
            lambda message: (
                CSP_VIOLATIONS.append(f"{message.location.get('url')}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return context

    browser.new_context = reporting_context


@pytest.fixture(autouse=True)
def _no_csp_violations(request):
    """Fail any browser test during which a page broke its Content-Security-Policy (e.g. a script without the nonce)."""
    if "browser" not in request.fixturenames:
        yield
        return
    before = len(CSP_VIOLATIONS)
    yield
    # A test that checks a page is refused (e.g. framed by a site not allowed) expects that directive's report.
    expected = [m.args[0] for m in request.node.iter_markers("csp_expected")]
    unexpected = [v for v in CSP_VIOLATIONS[before:] if not any(f'"{d}' in v for d in expected)]
    assert unexpected == [], "Content-Security-Policy violations"


@pytest.fixture
def page(browser):
    """A fresh browser page (own cookies) for one test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def shared_data(*parts: str) -> Path:
    """Return a path in the shared open data kit, skipping the test (failing it in CI) when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        unavailable(f"open data kit not found: {path}")
    return path


STAFF_PASSWORD = "correct horse battery staple"


def make_staff(app, email: str = "mod@example.gov.uk", role: str = "moderator", password: str = STAFF_PASSWORD) -> int:
    """Create a staff account in the app's database and return its id."""
    from webmap.staff.accounts import create_user

    with app.app_context():
        user, _ = create_user(email, password, role, actor="test")
        db.session.commit()
        return user.id


def login(client, email: str = "mod@example.gov.uk", password: str = STAFF_PASSWORD):
    """Sign a test client in through the real login form; return the response."""
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


@pytest.fixture
def moderator(sample_app):
    """A test client signed in as a moderator, on the sample area."""
    make_staff(sample_app)
    client = sample_app.test_client()
    response = login(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


class _Inbox:
    """Messages a real local SMTP server received, parsed."""

    def __init__(self) -> None:
        self._messages: list = []

    @property
    def messages(self) -> list:
        """Return what arrived, once mail the app sends after its answers (webmap.notify.later) has gone."""
        from webmap.notify import later

        # Only the test's own thread waits: aiosmtpd's server thread reads every attribute of its handler.
        if threading.current_thread() is threading.main_thread():
            later.wait()
        return self._messages

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        from email import message_from_bytes
        from email.policy import default

        message = message_from_bytes(envelope.original_content, policy=default)
        message.envelope_to = list(envelope.rcpt_tos)
        message.raw = envelope.original_content
        self._messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        """Return the messages sent to `address`."""
        return [m for m in self.messages if address in m.envelope_to]

    def nonstandard(self) -> list[str]:
        """Return what is wrong with each received message's standard headers (RFC 5322, 2369, 8058)."""
        return [f"{m['Subject']}: {problem}" for m in self.messages for problem in mail_header_problems(m.raw)]


def mail_header_problems(raw: bytes) -> list[str]:
    """Return the faults in a raw message's Date, Message-ID and List-Unsubscribe headers, read from its bytes."""
    from email.utils import parsedate_to_datetime

    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("ascii")
    headers: dict[str, list[str]] = {}
    for line in re.sub(r"\r?\n[ \t]+", " ", head).splitlines():
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    problems = []
    for name in ("date", "message-id"):
        if len(headers.get(name, [])) != 1:
            problems.append(f"has {len(headers.get(name, []))} {name} headers")
    if headers.get("date") and parsedate_to_datetime(headers["date"][0]).tzinfo is None:
        problems.append(f"Date {headers['date'][0]!r} has no time zone")
    if headers.get("message-id") and not re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", headers["message-id"][0]):
        problems.append(f"Message-ID {headers['message-id'][0]!r} is not <id@domain>")
    for value in headers.get("list-unsubscribe", []):
        if not re.fullmatch(r"<https?://[^<>\s]+>", value):
            problems.append(f"List-Unsubscribe {value!r} is not <URL>")
        if headers.get("list-unsubscribe-post") != ["List-Unsubscribe=One-Click"]:
            problems.append("List-Unsubscribe without List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    return problems


@pytest.fixture
def smtp_server():
    """Start a real SMTP server (aiosmtpd) on a free local port; yields (host, port, inbox); checks every message."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # aiosmtpd checks itself by connecting, so it needs a real port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, inbox
    finally:
        controller.stop()
    # Whatever the test sent, each message must carry the standard headers.
    assert inbox.nonstandard() == []


@pytest.fixture
def mail_settings(smtp_server):
    """Settings that send the app's mail to the local SMTP server; use as make_app(**mail_settings)."""
    host, port, _ = smtp_server
    return {"MAIL_SERVER": host, "MAIL_PORT": port, "MAIL_FROM": "map@example.gov.uk"}


@pytest.fixture
def inbox(smtp_server):
    """What the local SMTP server received."""
    return smtp_server[2]


@pytest.fixture
def queue_worker(tmp_path):
    """Return a starter of a real queue worker (a consumer thread on a SQLite queue) for an app; stops them after."""
    from webmap.core import queue

    started = []

    def start(app, **settings):
        app.config.update(
            {"QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite'}", "WORKER_HEARTBEAT_S": 0.5, **settings}
        )
        queue.configure(app)
        consumer, stop = queue.start_worker(app, threads=1, schedule=False, embedded=True)
        consumer.start()
        started.append((consumer, stop))
        return consumer

    yield start
    for consumer, stop in started:
        stop.set()
        consumer.stop(graceful=True)
