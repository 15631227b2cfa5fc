"""A resident adding a place sees likely existing matches before anything is sent, and can send anyway."""

from __future__ import annotations

from html import unescape

from sqlalchemy import select

from tests.conftest import csrf_token
from webmap.core.db import db
from webmap.core.models import Asset


def listed_place(app) -> Asset:
    with app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        db.session.expunge(asset)
        return asset


def send(client, name, lat, lon, **extra):
    data = {
        "csrf_token": csrf_token(client, "/assets/new"),
        "name": name,
        "categories": ["food_support"],
        "kind": "group",
        "lat": f"{lat:.6f}",
        "lon": f"{lon:.6f}",
        **extra,
    }
    return client.post("/assets/new", data=data)


def pending_named(app, name) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Asset).where(Asset.name == name, Asset.status == "pending")).all())


def test_a_likely_duplicate_is_shown_before_sending_and_nothing_is_saved(sample_app):
    place = listed_place(sample_app)
    client = sample_app.test_client()
    response = send(client, place.name.upper(), place.lat + 0.0003, place.lon)  # about 33 m north, name in capitals
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Is it one of these places already on the map?" in html
    assert f'href="/assets/{place.id}"' in html and place.name in html
    assert pending_named(sample_app, place.name.upper()) == 0
    # Saying it is a different place sends it.
    response = send(client, place.name.upper(), place.lat + 0.0003, place.lon, not_a_duplicate="1")
    assert response.status_code == 302
    assert pending_named(sample_app, place.name.upper()) == 1


def test_a_new_name_goes_straight_through(sample_app):
    place = listed_place(sample_app)
    response = send(sample_app.test_client(), "Zebra Crossing Knitting Circle", place.lat, place.lon)
    assert response.status_code == 302


def test_pending_places_are_never_shown_to_residents_as_matches(sample_app):
    place = listed_place(sample_app)
    with sample_app.app_context():
        db.session.get(Asset, place.id).status = "pending"
        db.session.commit()
    response = send(sample_app.test_client(), place.name, place.lat, place.lon)
    assert response.status_code == 302
