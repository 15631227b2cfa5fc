"""Browser-test fixtures: one sample site per test module, shared pages, a signed-in staff page.

conftest.py's `live_server` reloads the sample area for every test; the page-by-page checks here
open a dozen pages at two sizes, so they share one server per module (and the one session browser)
to keep the run quick. Tests that change data or need fresh cookies still use `page`.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import shapely
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tests.browser.pages import Page
from tests.serving import serve_wsgi
from webmap import create_app
from webmap.core.db import db
from webmap.core.models import Asset, Postcode, User, Ward

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
STAFF_EMAIL = "moderator@example.org"
STAFF_PASSWORD = "a long test passphrase 7"
ADMIN_EMAIL = "admin@example.org"
MANAGER_EMAIL = "organiser@pantry.example.org"


@dataclass
class Site:
    """A running sample app: its base URL, the Flask app, and ids to fill into page paths."""

    url: str
    app: object
    ids: dict[str, str]


@pytest.fixture(scope="module")
def site(database_url, request):
    """Serve the sample area, with one moderator account, for the whole test module."""
    # tests/conftest.py, as pytest registered it (both files are called conftest, so no plain import).
    base = request.config.pluginmanager.get_plugin(str(REPO / "tests" / "conftest.py"))
    BASE_CONFIG = base.BASE_CONFIG

    app = create_app({**BASE_CONFIG, "DATABASE_URL": database_url})
    with app.app_context():
        base.load_fresh_sample()
        db.session.add(
            User(
                email=STAFF_EMAIL,
                password_hash=generate_password_hash(STAFF_PASSWORD),
                role="moderator",
                can_import=True,
            )
        )  # an admin has allowed this moderator to import data
        db.session.add(User(email=ADMIN_EMAIL, password_hash=generate_password_hash(STAFF_PASSWORD), role="admin"))
        db.session.commit()
        asset = db.session.scalars(select(Asset.id).where(Asset.status == "approved").order_by(Asset.id)).first()
        ward = db.session.scalars(select(Ward.code).order_by(Ward.code)).first()
        postcode = db.session.scalars(
            select(Postcode.postcode).where(Postcode.ward_code == ward).order_by(Postcode.postcode)
        ).first()
        ids = {"asset": str(asset), "ward": str(ward), "postcode": str(postcode), **staff_states(int(asset))}
    with serving(app) as url:
        yield Site(url, app, ids)


def staff_states(asset_id: int) -> dict[str, str]:
    """Put the sample in the states staff pages show (stale places, a duplicate, a finished import, a manager)."""
    from datetime import timedelta

    from webmap.core.models import ImportJob, utcnow
    from webmap.groups.models import ListingManager
    from webmap.groups.tokens import issue

    old = utcnow() - timedelta(days=800)
    for a in db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id).limit(4)):
        a.last_verified_at, a.updated_at = old, old  # nobody has checked these for two years
    original = db.session.get(Asset, asset_id)
    twin = Asset(
        name=original.name,
        kind=original.kind,
        lon=original.lon + 0.0004,
        lat=original.lat,
        status="pending",
        ward_code=original.ward_code,
        source="web form",
        geom=shapely.Point(original.lon + 0.0004, original.lat),
        description="Sent in again by a resident.",
    )
    twin.categories = list(original.categories)
    db.session.add(twin)
    job = ImportJob(
        kind="places",
        options={"source": "sample register"},
        filename="sample-register.csv",
        sha256="0" * 64,
        size_bytes=2048,
        actor=ADMIN_EMAIL,
        state="done",
        started_at=old,
        finished_at=old,
        result={"read": 3, "imported": 2, "updated": 1, "skipped": [], "notes": [], "refused": 0},
        changes={"source": "sample register", "created": [], "updated": {}},
    )
    db.session.add(job)
    db.session.add(
        ListingManager(asset_id=asset_id, email=MANAGER_EMAIL, name="Olive Organiser", granted_by="claim link")
    )
    secret = issue("signin", MANAGER_EMAIL, 24 * 60)
    db.session.commit()
    return {"pending": str(twin.id), "job": str(job.id), "manager_link": f"/groups/sign-in/{secret}"}


@contextmanager
def serving(app):
    """Serve the app on a free local port from a thread; yield its address; stop it and let the database go."""
    try:
        with serve_wsgi(app) as url:
            yield url
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def shared_context(browser):
    """One browser context (cookies) reused by the read-only checks of a module."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture(scope="module")
def public_page(shared_context):
    """One tab reused for every public page of a module."""
    return shared_context.new_page()


def sign_in(page, site: Site, email: str = STAFF_EMAIL) -> None:
    """Sign in as the sample moderator (or another staff email) through the login form."""
    page.goto(site.url + "/login")
    page.get_by_label(re.compile(r"e-?mail", re.I)).fill(email)
    page.get_by_label(re.compile(r"password", re.I)).fill(STAFF_PASSWORD)
    page.get_by_role("button", name=re.compile(r"sign in|log in|continue|submit", re.I)).click()
    page.wait_for_load_state()
    assert "/login" not in page.url, "signing in as the test moderator failed"


@pytest.fixture(scope="module")
def staff_page(browser, site):
    """A tab in its own context, signed in as a moderator once per module."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    signed_in: list[bool] = []

    def get():
        if not signed_in:
            sign_in(page, site)
            signed_in.append(True)
        return page

    yield get
    context.close()


def sign_in_manager(page, site: Site) -> None:
    """Sign the sample listing's manager in with their one-time link, as from the email."""
    page.goto(site.url + site.ids["manager_link"])
    page.get_by_role("button", name=re.compile(r"sign in|continue", re.I)).click()
    page.wait_for_load_state()
    assert "/groups/my" in page.url, "signing in as the test manager failed"


@pytest.fixture(scope="module")
def role_pages(browser, site):
    """Tabs signed in as an admin and as a listing's manager, each signed in once per module."""
    tabs: dict[str, object] = {}
    contexts = []

    def get(who: str):
        if who not in tabs:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            contexts.append(context)
            tabs[who] = context.new_page()
            if who == "admin":
                sign_in(tabs[who], site, ADMIN_EMAIL)
            else:
                sign_in_manager(tabs[who], site)
        return tabs[who]

    yield get
    for context in contexts:
        context.close()


def tab_for(spec: Page, public_page, staff_page, role_pages):
    """Return the tab a page is opened in: public, a moderator's, an admin's or a manager's."""
    if spec.who:
        return role_pages(spec.who)
    return staff_page() if spec.needs_login else public_page


@pytest.fixture
def open_page(site, public_page, staff_page, role_pages):
    """Return a function that opens a listed page in the right tab and checks its status."""

    def go(spec: Page):
        path = spec.url(site.ids)  # a page the app no longer routes answers 404 and fails here
        tab = tab_for(spec, public_page, staff_page, role_pages)
        response = tab.goto(site.url + path)
        assert response is not None and response.status == spec.status, (
            f"{path} answered {response and response.status}"
        )
        tab.wait_for_load_state("load")
        return tab

    return go
