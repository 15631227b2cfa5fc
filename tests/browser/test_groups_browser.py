"""Acceptance in a real browser: an organiser claims and runs a listing; another group finds and contacts it."""

from __future__ import annotations

import re

import pytest
from pyproj import Geod
from sqlalchemy import select

from tests.browser.test_accessibility import axe_violations, describe
from tests.serving import serve_wsgi
from webmap.core.db import db
from webmap.core.models import Asset, ChangeRequest
from webmap.groups.listings import Exchange, set_exchange

pytestmark = pytest.mark.browser
GEOD = Geod(ellps="WGS84")
GROUP, ORGANISER, SENDER = "hello@pantry.example.org", "olive@organiser.example.org", "sam@other-group.example.net"
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
LINK = re.compile(r"https?://\S+/groups/(?:claim|sign-in)/[A-Za-z0-9_\-]+")


@pytest.fixture
def site(make_app, mail_settings):
    """The sample area served on a local port, its mail going to the local SMTP server."""
    from tests.conftest import load_fresh_sample

    app = make_app(**mail_settings)
    with app.app_context():
        load_fresh_sample()
    with serve_wsgi(app) as url:
        app.config["PUBLIC_URL"] = url  # links in emails point at this server
        yield app, url


def two_groups(app) -> tuple[int, int]:
    """Return an organiser's listing and, 300-2000 m away, another group's listing; set the latter's offers and needs."""
    with app.app_context():
        assets = list(db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)))
        pantry = assets[0]
        other = next(a for a in assets[1:] if 300 < GEOD.inv(pantry.lon, pantry.lat, a.lon, a.lat)[2] < 2000)
        pantry.contact_email = GROUP
        set_exchange(other, Exchange(offers=["volunteers"], needs=["kitchen"]), who="test")
        db.session.commit()
        return pantry.id, other.id


def open_link(page, inbox, address: str) -> None:
    match = LINK.search(inbox.to(address)[-1].get_content())
    assert match, inbox.to(address)[-1].get_content()
    page.goto(match.group(0))


def accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}: {describe(violations)}"


def no_addresses(page) -> None:
    found = ADDRESS.findall(page.content())
    assert not found, f"{page.url} shows email addresses: {found}"


def test_organiser_claims_edits_and_is_found_and_contacted_by_another_group(site, browser, inbox):
    app, url = site
    pantry_id, other_id = two_groups(app)
    organiser = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # 1. Claim through the link emailed to the listing's own address, then sign in by the organiser's link.
    organiser.goto(f"{url}/assets/{pantry_id}")
    no_addresses(organiser)
    organiser.get_by_role("link", name=re.compile("Manage this listing")).click()
    organiser.get_by_label("Your name").fill("Olive Organiser")
    organiser.get_by_label("Your email address").fill(ORGANISER)
    organiser.get_by_label("How are you involved with the group?").fill("I am the secretary")
    organiser.get_by_role("button", name="Ask to manage this listing").click()
    assert "emailed a link" in organiser.content()
    no_addresses(organiser)
    open_link(organiser, inbox, GROUP)
    organiser.get_by_role("button", name=re.compile("Yes, they help run")).click()
    open_link(organiser, inbox, ORGANISER)
    organiser.get_by_role("button", name="Sign in").click()
    organiser.wait_for_url(re.compile(r"/groups/my$"))
    accessible(organiser)

    # 2. Offers: kitchen; needs: volunteers.
    organiser.get_by_role("link", name=re.compile("What you offer and need")).click()
    accessible(organiser)
    organiser.locator("#offers-fieldset").get_by_label("Kitchen").check()
    organiser.locator("#needs-fieldset").get_by_label("Volunteers").check()
    organiser.get_by_role("button", name="Save").click()
    assert organiser.locator("#listing-offers").inner_text() == "Kitchen"
    assert organiser.locator("#listing-needs").inner_text() == "Volunteers"

    # 3. New opening times publish at once.
    organiser.goto(f"{url}/groups/listings/{pantry_id}/edit")
    accessible(organiser)
    organiser.get_by_label("When it is open").fill("Tuesdays and Thursdays, 10am to 2pm")
    organiser.get_by_role("button", name="Save changes").click()
    assert "Published now: opening times." in organiser.content()
    organiser.goto(f"{url}/assets/{pantry_id}")
    assert "Tuesdays and Thursdays, 10am to 2pm" in organiser.content()

    # 4. Moving the pin 300 m goes to moderation; the public pin stays where it was.
    with app.app_context():
        before = db.session.get(Asset, pantry_id)
        old = (before.lon, before.lat)
    lon, lat, _ = GEOD.fwd(old[0], old[1], 90, 300)
    organiser.goto(f"{url}/groups/listings/{pantry_id}/edit")
    organiser.get_by_label("Longitude").fill(f"{lon:.6f}")
    organiser.get_by_label("Latitude").fill(f"{lat:.6f}")
    organiser.get_by_role("button", name="Save changes").click()
    assert "Sent to a moderator to check first: the pin (moved 300 m)" in organiser.content()
    with app.app_context():
        asset = db.session.get(Asset, pantry_id)
        assert (asset.lon, asset.lat) == old
        change = db.session.scalars(select(ChangeRequest).where(ChangeRequest.asset_id == pantry_id)).one()
        assert change.kind == "manager" and set(change.proposed) == {"lon", "lat"}

    # 5. The other group sees the organiser's listing as its top partner, with the reason, and contacts it.
    other = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    other.goto(f"{url}/assets/{other_id}")
    no_addresses(other)
    top = other.locator("#partners-for-asset li").first
    with app.app_context():
        name = db.session.get(Asset, pantry_id).name
    assert top.get_by_role("link").inner_text() == name
    assert (
        top.locator(".why")
        .inner_text()
        .startswith("Why: offers a kitchen, which you need; needs volunteers, which you offer;")
    )
    top.get_by_role("link").click()
    no_addresses(other)
    other.get_by_role("link", name=f"Contact {name}").click()
    no_addresses(other)
    accessible(other)
    other.get_by_label("Your name").fill("Sam from the other group")
    other.get_by_label("Your email address").fill(SENDER)
    other.get_by_label("Your message").fill("We have volunteers and need a kitchen. Shall we talk?")
    other.get_by_role("button", name="Send message").click()
    assert "Message on its way" in other.content()
    no_addresses(other)

    [message] = [m for m in inbox.to(ORGANISER) if "Shall we talk?" in m.get_content()]
    assert message["Reply-To"] == SENDER and SENDER in message.get_content()
    for path in (
        "/",
        f"/assets/{pantry_id}",
        f"/assets/{other_id}",
        f"/assets/{pantry_id}/partners",
        f"/assets/{other_id}/partners",
        "/partners?offers=kitchen&search=1&postcode=&lat=51.91&lon=-2.03",
    ):
        other.goto(url + path)
        no_addresses(other)
    organiser.context.close()
    other.context.close()
