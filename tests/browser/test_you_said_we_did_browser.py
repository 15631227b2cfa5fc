"""In headless Chromium: a resident asks with an email, staff approve a place and respond, the resident hears back.

The acceptance test of issue 13: the local SMTP server receives one message, its link opens the ward's
"You said, we did" page, which shows the need, the response, the new place and the gap before and after;
axe-core finds no WCAG A/AA violation on the new pages.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.browser.test_accessibility import axe_violations, describe
from tests.conftest import STAFF_PASSWORD, load_fresh_sample, make_staff
from tests.serving import serve_wsgi
from webmap.core.db import db
from webmap.core.models import Asset, Category, Ward

pytestmark = pytest.mark.browser
EMAIL = "resident-7741@example.com"
PLACE = "Zest Community Larder"


@pytest.fixture
def mail_site(make_app, mail_settings):
    """Serve the sample area with mail to the local SMTP server and gap snapshots taken before each answer."""

    app = make_app(**mail_settings, GAP_SNAPSHOTS="inline", GAP_SNAPSHOT_METHODS="share")
    with app.app_context():
        load_fresh_sample()
        ward = db.session.scalars(select(Ward).order_by(Ward.code)).first()
        near = db.session.scalars(select(Asset).where(Asset.ward_code == ward.code, Asset.status == "approved")).first()
        place = Asset(
            name=PLACE,
            lon=near.lon,
            lat=near.lat,
            geom=near.geom,
            ward_code=ward.code,
            status="pending",
            kind="group",
            source="resident",
            categories=[db.session.get(Category, "food_support")],
        )
        db.session.add(place)
        db.session.commit()
        ids = {"ward": ward.code, "ward_name": ward.name, "place": place.id}
    make_staff(app)
    with serve_wsgi(app) as base:
        app.config["PUBLIC_URL"] = base
        yield base, app, ids


def assert_accessible(tab) -> None:
    violations = axe_violations(tab)
    assert not violations, f"{tab.url}: {len(violations)} WCAG A/AA rule(s) broken:\n{describe(violations)}"


def test_resident_hears_back_about_their_need(mail_site, browser, inbox):
    base, app, ids = mail_site
    resident = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    resident.goto(f"{base}/needs/new")
    resident.get_by_label("Or choose a ward").select_option(ids["ward"])
    resident.get_by_label("Food support").check()
    resident.get_by_label("Your email address").fill(EMAIL)
    resident.get_by_label(re.compile("Email me once when the council records")).check()
    resident.get_by_role("button", name="Send").click()
    resident.wait_for_url(re.compile(r"/needs/thanks"))
    assert "We will email you once" in resident.content()

    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff.goto(f"{base}/login")
    staff.get_by_label("Email address").fill("mod@example.gov.uk")
    staff.get_by_label("Password").fill(STAFF_PASSWORD)
    staff.get_by_role("button", name="Sign in").click()
    staff.wait_for_url(f"{base}/moderate")
    staff.locator(f'#asset-{ids["place"]} form[action$="/approve"] button').click()
    staff.wait_for_url(f"{base}/moderate")
    assert "Approved" in staff.locator(".notice-success").inner_text()

    staff.goto(f"{base}/responses/new")
    assert_accessible(staff)
    staff.get_by_label("Ward", exact=True).first.select_option(ids["ward"])
    staff.locator("#pick-ward").select_option(ids["ward"])
    staff.locator("#pick-category").select_option("food_support")
    staff.get_by_role("button", name="List nearby places").click()
    staff.get_by_label("What was done").fill("Helped the Zest Community Larder open on Fridays")
    staff.get_by_label(PLACE).check()
    assert_accessible(staff)
    staff.get_by_role("button", name="Record response").click()
    staff.wait_for_url(f"{base}/wards/{ids['ward']}/you-said-we-did")
    assert "Recorded the response" in staff.locator(".notice-success").inner_text()

    [message] = inbox.to(EMAIL)
    link = re.search(r"(http://\S+/you-said-we-did)\b", message.get_content()).group(1)
    assert link == f"{base}/wards/{ids['ward']}/you-said-we-did"

    resident.goto(link)
    item = resident.locator("article.ysd", has=resident.get_by_role("heading", name="Food support", exact=True))
    text = item.inner_text()
    assert re.search(r"\d+ requests? in ", text), text  # the need
    assert "Helped the Zest Community Larder open on Fridays" in text  # the response
    assert PLACE in item.locator("h3:has-text('Places opened') + ul").inner_text()  # the new place
    before = item.locator("dt:has-text('When residents asked') + dd").inner_text()
    now = item.locator("dt:has-text('Now') + dd").inner_text()
    within = [int(re.search(r"(\d+) places within reach", t).group(1)) for t in (before, now)]
    assert within[1] == within[0] + 1, (before, now)  # the gap before and after the new place
    assert re.search(r"unmet need \d\.\d{3} per 1,000", before) and re.search(r"unmet need \d\.\d{3} per 1,000", now)
    assert_accessible(resident)

    # The ward profile now has a trend chart with its table twin, and lists what changed since.
    resident.goto(f"{base}/wards/{ids['ward']}")
    trend = resident.locator("#trend-food_support")
    assert trend.count() == 1
    assert resident.locator("svg.trend-chart").count() >= 2
    assert resident.locator("table caption", has_text="Food support in").count() == 1
    assert PLACE in resident.locator("section[aria-labelledby=changed-heading]").inner_text()
    assert_accessible(resident)

    for path in ("/you-said-we-did", "/needs/"):
        resident.goto(base + path)
        assert_accessible(resident)

    # The print layout leaves the menus out.
    resident.goto(link)
    resident.emulate_media(media="print")
    assert not resident.locator("nav").first.is_visible()
