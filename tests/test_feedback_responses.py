"""Staff record what was done; residents who gave an email hear back once; unsubscribe and erasure."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, login, make_staff
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, NeedFollowUp, Response

WARD = "E05900001"
EMAIL = "resident-hear-back@example.com"


def state_need(client, email: str | None = EMAIL, consent: bool = True, categories=("food_support",)):
    data = {"csrf_token": csrf_token(client, "/needs/new"), "ward": WARD, "categories": list(categories)}
    if email is not None:
        data["email"] = email
    if consent:
        data["consent"] = "yes"
    return client.post("/needs/new", data=data)


def staff_client(app):
    make_staff(app)
    client = app.test_client()
    assert login(client).status_code == 302
    return client


def record(client, **fields):
    data = {
        "csrf_token": csrf_token(client, "/responses/new"),
        "ward": WARD,
        "category": "food_support",
        "summary": "Opened a weekly food bank at the library",
        "done_on": date.today().isoformat(),
        **fields,
    }
    return client.post("/responses/new", data=data)


@pytest.fixture
def mail_app(make_app, mail_settings):
    """The sample area with mail going to the local SMTP server."""
    from tests.conftest import load_fresh_sample

    app = make_app(**mail_settings, PUBLIC_URL="https://map.example.gov.uk")
    with app.app_context():
        load_fresh_sample()
    return app


def test_email_needs_consent_and_a_real_address(sample_app):
    client = sample_app.test_client()
    no_tick = state_need(client, consent=False).get_data(as_text=True)
    assert "Tick the box to say we may email you" in no_tick
    bad = state_need(client, email="not an email").get_data(as_text=True)
    assert "Enter an email address like name@example.com" in bad
    with sample_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NeedFollowUp)) == 0
    form = client.get("/needs/new").get_data(as_text=True)
    assert "delete it after 12 months" in form and 'type="email"' in form


def test_anonymous_need_still_works_without_email(sample_app):
    response = state_need(sample_app.test_client(), email=None, consent=False)
    assert response.status_code == 302
    with sample_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(NeedFollowUp)) == 0


def test_staff_response_emails_the_resident_once_with_a_link(mail_app, inbox):
    resident = mail_app.test_client()
    assert state_need(resident, categories=("food_support", "youth")).status_code == 302
    with mail_app.app_context():
        person = db.session.scalars(select(NeedFollowUp)).one()
        assert person.email == EMAIL and "12 months" in person.consent_text
        token = person.token
    staff = staff_client(mail_app)

    answer = record(staff)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/wards/{WARD}/you-said-we-did")
    [message] = inbox.to(EMAIL)
    body = message.get_content()
    assert f"https://map.example.gov.uk/wards/{WARD}/you-said-we-did" in body
    assert "Opened a weekly food bank at the library" in body
    assert "You told us Northgate needs food support services." in body  # the category as a noun, not "food support"
    assert message["List-Unsubscribe"] == f"<https://map.example.gov.uk/unsubscribe/{token}>"

    # A second response for the same need sends nothing more; one for the other kind asked sends one.
    record(staff, summary="Extended the food bank's hours")
    assert len(inbox.to(EMAIL)) == 1
    record(staff, category="youth", summary="Started a youth club")
    assert len(inbox.to(EMAIL)) == 2
    assert "needs youth services." in inbox.to(EMAIL)[-1].get_content()

    with mail_app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "response")).all()
        assert [e.action for e in events] == ["create"] * 3
        assert events[0].actor == "mod@example.gov.uk" and events[0].after["summary"].startswith("Opened")


def test_one_click_unsubscribe_erases_the_address_and_stops_mail(mail_app, inbox):
    state_need(mail_app.test_client())
    with mail_app.app_context():
        token = db.session.scalars(select(NeedFollowUp.token)).one()
    # What a mail client's one-click unsubscribe sends: a POST with no CSRF token.
    mail_client = mail_app.test_client()
    assert mail_client.get(f"/unsubscribe/{token}").status_code == 200
    done = mail_client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "no more emails" in done.get_data(as_text=True)
    assert mail_client.post("/unsubscribe/not-a-token").status_code == 404
    with mail_app.app_context():
        person = db.session.scalars(select(NeedFollowUp)).one()
        assert person.email is None and person.unsubscribed_at is not None
    record(staff_client(mail_app))
    assert inbox.messages == []


def test_addresses_are_erased_after_the_retention_period(sample_app):
    for address in ("old@example.com", "new@example.com"):
        state_need(sample_app.test_client(), email=address)
    with sample_app.app_context():
        old = db.session.scalars(select(NeedFollowUp).where(NeedFollowUp.email == "old@example.com")).one()
        old.created_at -= timedelta(days=400)
        db.session.commit()
    with sample_app.app_context():
        result = sample_app.test_cli_runner().invoke(args=["erase-followup-emails"])
    assert result.exit_code == 0, result.output
    assert "Erased 1 email address given more than 12 months ago" in result.output
    with sample_app.app_context():
        left = sorted((p.email or "", p.erased_at is not None) for p in db.session.scalars(select(NeedFollowUp)))
    assert left == [("", True), ("new@example.com", False)]


def test_recording_a_response_needs_a_staff_login(sample_app):
    anonymous = sample_app.test_client()
    assert anonymous.get("/responses/new").status_code in (302, 401)
    token_page = anonymous.get("/needs/new")  # a CSRF token from a public form
    assert token_page.status_code == 200
    posted = anonymous.post(
        "/responses/new",
        data={"ward": WARD, "category": "food_support", "summary": "x", "done_on": date.today().isoformat()},
    )
    assert posted.status_code in (302, 400, 401)
    with sample_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"ward": ""}, "Choose the ward the response is for."),
        ({"category": "unicorns"}, "Choose the kind of place or service"),
        ({"summary": " "}, "Say in a sentence what was done"),
        ({"summary": "x" * 201}, "Keep the summary to 200 characters (it has 201)"),
        ({"done_on": "last week"}, "Enter the date it was done as YYYY-MM-DD"),
        ({"done_on": (date.today() + timedelta(days=3)).isoformat()}, "cannot be in the future"),
        ({"assets": "abc"}, "Choose places from the list."),
    ],
)
def test_bad_response_is_explained_and_nothing_saved(sample_app, fields, message):
    staff = staff_client(sample_app)
    page = record(staff, **fields)
    assert page.status_code == 200
    assert message in page.get_data(as_text=True).replace("&#39;", "'")
    with sample_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_response_links_nearby_places_and_the_report_shows_everything(sample_app):
    staff = staff_client(sample_app)
    form = staff.get(f"/responses/new?ward={WARD}&category=food_support").get_data(as_text=True)
    offered = re.findall(r'name="assets" value="(\d+)"', form)
    assert offered, "the form lists approved food places in or near the ward"
    with sample_app.app_context():
        names = {a.id: a.name for a in db.session.scalars(select(Asset).where(Asset.id.in_([int(i) for i in offered])))}
    chosen = offered[0]
    assert record(staff, assets=chosen, details="Open <b>Fridays</b>").status_code == 302

    page = sample_app.test_client().get(f"/wards/{WARD}/you-said-we-did").get_data(as_text=True)
    assert "Opened a weekly food bank at the library" in page
    assert "Open &lt;b&gt;Fridays&lt;/b&gt;" in page and "<b>Fridays" not in page
    assert names[int(chosen)] in page
    assert "requests in" in page or "request in" in page

    rows = list(
        csv.DictReader(
            io.StringIO(sample_app.test_client().get(f"/wards/{WARD}/you-said-we-did.csv").get_data(as_text=True))
        )
    )
    food = [r for r in rows if r["category"] == "food_support"]
    assert food and "Opened a weekly food bank" in food[0]["what_was_done"]
    area = json.loads(sample_app.test_client().get("/you-said-we-did.geojson").get_data(as_text=True))
    assert any(f["properties"]["what_was_done"] and f["properties"]["ward_code"] == WARD for f in area["features"])
    # Newest activity first on the area page.
    area_page = sample_app.test_client().get("/you-said-we-did").get_data(as_text=True)
    headings = re.findall(r'<h2 id="item-\d+">(.*?)</h2>', area_page)
    assert headings[0].startswith("Food support in") and "Northgate" in headings[0]


def test_unknown_ward_report_is_404(sample_app):
    assert sample_app.test_client().get("/wards/E05999999/you-said-we-did").status_code == 404
