"""With no postcode table loaded, every form says postcode search is not set up and offers another way;
staff see a notice on the moderation queue until one is imported."""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login, make_staff
from webmap.core.db import db
from webmap.core.models import Asset, Postcode

REAL_POSTCODE = "OL1 1AA"


@pytest.fixture
def no_postcodes(sample_app):
    """The sample area with its postcode table removed."""
    with sample_app.app_context():
        db.session.query(Postcode).delete()
        db.session.commit()
    return sample_app


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("url", ["/assets/new", "/needs/new", "/partners", "/"])
def test_forms_say_postcode_search_is_not_set_up(no_postcodes, url):
    assert "Postcode search is not set up on this map yet" in text(no_postcodes.test_client().get(url))


@pytest.mark.parametrize("url", ["/assets/new", "/needs/new", "/partners", "/"])
def test_forms_do_not_mention_it_when_postcodes_are_loaded(sample_app, url):
    assert "not set up" not in text(sample_app.test_client().get(url))


def test_add_a_place_by_postcode_only_is_told_to_use_the_pin(no_postcodes):
    client = no_postcodes.test_client()
    data = {
        "csrf_token": csrf_token(client, "/assets/new"),
        "name": "Riverside Lunch Club",
        "categories": ["food_support"],
        "kind": "group",
        "postcode": REAL_POSTCODE,
    }
    html = text(client.post("/assets/new", data=data))
    assert "Postcode search is not set up on this map yet" in html and "place a pin on the map instead" in html


def test_add_a_place_with_a_pin_keeps_its_postcode_when_none_can_be_checked(no_postcodes):
    client = no_postcodes.test_client()
    with no_postcodes.app_context():
        inside = db.session.scalars(select(Asset).where(Asset.status == "approved")).first()
        lat, lon = inside.lat, inside.lon
    data = {
        "csrf_token": csrf_token(client, "/assets/new"),
        "name": "Riverside Lunch Club",
        "categories": ["food_support"],
        "kind": "group",
        "postcode": "ol1 1aa",
        "lat": str(lat),
        "lon": str(lon),
    }
    response = client.post("/assets/new", data=data)
    assert response.status_code == 302, text(response)
    with no_postcodes.app_context():
        saved = db.session.scalars(select(Asset).where(Asset.name == "Riverside Lunch Club")).one()
        assert saved.postcode == REAL_POSTCODE and saved.ward_code == inside.ward_code


def test_needs_form_offers_the_ward_instead(no_postcodes):
    client = no_postcodes.test_client()
    html = text(
        client.post(
            "/needs/new",
            data={"csrf_token": csrf_token(client, "/needs/new"), "postcode": REAL_POSTCODE, "categories": ["youth"]},
        )
    )
    assert "Postcode search is not set up on this map yet" in html and "choose your ward from the list" in html


def test_partners_search_offers_a_point_instead(no_postcodes):
    html = text(no_postcodes.test_client().get(f"/partners?postcode={REAL_POSTCODE}&search=1"))
    assert "not set up on this map yet" in html and "choose a point on the map instead" in html


def test_moderation_queue_warns_staff_until_postcodes_are_imported(no_postcodes, sample_app):
    make_staff(no_postcodes)
    client = no_postcodes.test_client()
    login(client)
    assert "Postcode lookups are not set up." in text(client.get("/moderate"))
    with no_postcodes.app_context():
        db.session.add(Postcode(postcode="XX1 1AA", lon=-2.1, lat=51.95, ward_code=None))
        db.session.commit()
    assert "Postcode lookups are not set up." not in text(client.get("/moderate"))
