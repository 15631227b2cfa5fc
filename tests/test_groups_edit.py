"""Managers edit their listing: small edits publish at once, big ones go to moderation; offers and needs."""

from __future__ import annotations

import html
from datetime import datetime

import pytest
from pyproj import Geod
from sqlalchemy import select

from tests.conftest import csrf_token, login, make_staff
from tests.groups_helpers import approved, claim_by_link
from tests.test_groups_claims import mail_app  # noqa: F401  (fixture)
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, ChangeRequest
from webmap.groups.models import ListingExchange

GEOD = Geod(ellps="WGS84")
GROUP, ORGANISER = "hello@pantry.example.org", "olive@organiser.example.org"


@pytest.fixture
def manager(mail_app, inbox):  # noqa: F811
    """A client signed in as the manager of the first sample listing; yields (client, asset id)."""
    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    claim_by_link(mail_app, client, inbox, aid, GROUP, ORGANISER)
    return client, aid


def form_values(app, aid: int) -> dict:
    with app.app_context():
        a = db.session.get(Asset, aid)
        return {
            "name": a.name,
            "categories": a.category_ids(),
            "kind": a.kind,
            "description": a.description or "",
            "address": a.address or "",
            "postcode": a.postcode or "",
            "website": a.website or "",
            "phone": a.phone or "",
            "opening_times": a.opening_times or "",
            "accessibility": a.accessibility or "",
            "lon": f"{a.lon:.6f}",
            "lat": f"{a.lat:.6f}",
        }


def moved(lon: float, lat: float, metres: float) -> tuple[float, float]:
    lon2, lat2, _ = GEOD.fwd(lon, lat, 0, metres)  # due north
    return lon2, lat2


def save(client, aid: int, values: dict):
    path = f"/groups/listings/{aid}/edit"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **values})


def test_small_edits_publish_at_once_with_an_audit_record(mail_app, manager):  # noqa: F811
    client, aid = manager
    values = form_values(mail_app, aid)
    lon, lat = moved(float(values["lon"]), float(values["lat"]), 100)
    response = save(
        client, aid, {**values, "opening_times": "Tuesdays 10am-2pm", "lon": f"{lon:.6f}", "lat": f"{lat:.6f}"}
    )
    assert response.status_code == 302
    flashed = client.get("/groups/my").get_data(as_text=True)
    assert "Published now: the pin (moved 100 m), opening times." in flashed
    assert "Tuesdays 10am-2pm" in client.get(f"/assets/{aid}").get_data(as_text=True)
    with mail_app.app_context():
        asset = db.session.get(Asset, aid)
        assert asset.opening_times == "Tuesdays 10am-2pm" and round(asset.lat, 6) == round(lat, 6)
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "edit", AuditEvent.entity_id == str(aid))
        ).one()
        assert event.actor == f"manager: {ORGANISER}"
        assert (
            event.before["opening_times"] != "Tuesdays 10am-2pm" and event.after["opening_times"] == "Tuesdays 10am-2pm"
        )
        assert db.session.scalars(select(ChangeRequest)).all() == []


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": "A Brand New Name"}, "name"),
        ({"categories": ["youth"]}, "categories"),
        ("pin 300", "location"),
    ],
)
def test_name_categories_and_long_pin_moves_go_to_moderation_with_the_diff(mail_app, manager, change, field):  # noqa: F811
    client, aid = manager
    values = form_values(mail_app, aid)
    if change == "pin 300":
        lon, lat = moved(float(values["lon"]), float(values["lat"]), 300)
        change = {"lon": f"{lon:.6f}", "lat": f"{lat:.6f}"}
    before = form_values(mail_app, aid)
    save(client, aid, {**values, **change})
    assert "Sent to a moderator to check first" in client.get("/groups/my").get_data(as_text=True)
    assert form_values(mail_app, aid) == before  # nothing published yet
    make_staff(mail_app)
    staff = mail_app.test_client()
    login(staff)
    queue = staff.get("/moderate").get_data(as_text=True)
    assert "changes from the group's manager" in html.unescape(queue)
    assert f'<th scope="row">{field.capitalize()}</th>' in queue
    if field == "location":
        assert "(300 m away)" in queue
    with mail_app.app_context():
        change_id = db.session.scalars(select(ChangeRequest.id)).one()
    staff.post(f"/moderate/changes/{change_id}/accept", data={"csrf_token": csrf_token(staff, "/moderate")})
    after = form_values(mail_app, aid)
    if field == "location":
        assert GEOD.inv(float(before["lon"]), float(before["lat"]), float(after["lon"]), float(after["lat"]))[
            2
        ] == pytest.approx(300, abs=1)
    else:
        assert after[field] == change[field]


def test_still_correct_records_a_check(mail_app, manager):  # noqa: F811
    client, aid = manager
    with mail_app.app_context():
        db.session.get(Asset, aid).last_verified_at = datetime(2020, 1, 1)
        db.session.commit()
    page = client.get("/groups/my").get_data(as_text=True)
    assert "Nobody has checked this listing for a long time" in page
    client.post(f"/groups/listings/{aid}/still-correct", data={"csrf_token": csrf_token(client, "/groups/my")})
    with mail_app.app_context():
        assert db.session.get(Asset, aid).last_verified_at.year > 2020
        assert (
            db.session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "verify")).one()
            == f"manager: {ORGANISER}"
        )
    assert "Nobody has checked this listing" not in client.get("/groups/my").get_data(as_text=True)


def test_offers_and_needs_show_on_the_listing_page(mail_app, manager):  # noqa: F811
    client, aid = manager
    path = f"/groups/listings/{aid}/offers-needs"
    client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "offers": ["kitchen", "room"],
            "needs": ["volunteers"],
            "needs_text": "A driver on <Saturdays>",
        },
    )
    html = mail_app.test_client().get(f"/assets/{aid}").get_data(as_text=True)
    assert "Kitchen, Room or hall to use" in html or "Room or hall to use, Kitchen" in html
    assert "Volunteers. A driver on &lt;Saturdays&gt;" in html
    with mail_app.app_context():
        rows = db.session.scalars(select(ListingExchange).where(ListingExchange.asset_id == aid)).all()
        assert sorted((r.direction, r.item) for r in rows if r.item) == [
            ("needs", "volunteers"),
            ("offers", "kitchen"),
            ("offers", "room"),
        ]
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "offers_needs")).one()
        assert event.before["offers"] == [] and event.after["offers"] == ["kitchen", "room"]
    bad = client.post(path, data={"csrf_token": csrf_token(client, path), "offers": ["a_spaceship"]})
    assert "&#39;a_spaceship&#39; is not on the list" in bad.get_data(as_text=True)


def test_pages_for_managers_refuse_everyone_else(mail_app):  # noqa: F811
    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    for path in (f"/groups/listings/{aid}/edit", f"/groups/listings/{aid}/offers-needs"):
        assert client.get(path).status_code == 403
    assert client.get("/groups/my").status_code == 302


def test_manager_and_moderator_edit_one_form_with_their_own_hints(mail_app, manager):  # noqa: F811
    client, aid = manager
    make_staff(mail_app)
    moderator = mail_app.test_client()
    assert login(moderator).status_code == 302
    own = client.get(f"/groups/listings/{aid}/edit").get_data(as_text=True)
    assert "Checked by a moderator before it changes." in own and "Checked by a moderator before they change." in own
    assert 'name="contact_email"' not in own and 'href="/groups/my"' in own
    staff = moderator.get(f"/moderate/assets/{aid}/edit").get_data(as_text=True)
    assert "Checked by a moderator" not in staff and "the ward follows the location" in staff
    assert 'name="contact_email"' in staff and f'href="/assets/{aid}"' in staff
