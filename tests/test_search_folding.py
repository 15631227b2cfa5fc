"""Residents find what they type: case, accents, apostrophes and punctuation ignored, alike on SQLite and PostGIS.

Run with WEBMAP_TEST_DATABASE_URL set for PostGIS: the big-area search narrows in the database on the
folded `assets.search_text` column, and must list exactly what the small-area search (pandas) lists.
"""

from __future__ import annotations

from html import unescape

import pytest
from sqlalchemy import select, text

from tests.conftest import csrf_token, login, make_staff
from tests.test_scale_search import BY_VIEW, _found
from webmap.core.db import db
from webmap.core.models import Asset, Ward
from webmap.core.text import fold

SMALL = {"VIEWPORT_ABOVE_WARDS": 400}


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("st marys", "St Mary's"),
        ("St Marys", "St Mary’s"),
        ("ST. MARY'S", "St Mary’s"),
        ("Llechan Lan", "Llechan Lân"),
        ("llechan lân", "LLECHAN LAN"),
        ("ynys y bwl", "Ynys-y-bwl"),
        ("cafe", "Café"),
        ("o'neill's", "O’Neill’s"),
    ],
)
def test_fold_makes_what_people_type_equal_to_what_is_stored(typed, stored):
    assert fold(typed) == fold(stored)


def test_fold_keeps_words_apart_and_unknowns_empty():
    assert fold("Church Hall, Union St.") == "church hall union st"
    assert fold(None) == "" and fold(float("nan")) == ""


def _rename(app, **names) -> dict[str, int]:
    """Give sample places and a ward the names residents will type differently; return their ids."""
    with app.app_context():
        assets = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id).limit(3)).all()
        ids = {}
        for asset, (key, name) in zip(assets, names.items()):
            asset.name = name
            ids[key] = asset.id
        ward = db.session.scalars(select(Ward).order_by(Ward.code)).first()
        ward.name = "St Mary’s and Llechan Lân"
        db.session.commit()
        ids["ward"] = ward.code
        return ids


def _both(app, client, query: str):
    app.config.update(SMALL)
    small = _found(client.get(f"/?{query}").get_data(as_text=True))
    app.config.update(BY_VIEW)
    big = _found(client.get(f"/?{query}").get_data(as_text=True))
    return small, big


def test_place_and_ward_search_ignore_case_accents_and_apostrophes_on_both_paths(sample_app):
    ids = _rename(sample_app, mary="St Mary’s Church Hall", cafe="Caffi Llechan Lân", straight="St Mary's Food Bank")
    client = sample_app.test_client()
    for query, wanted in [
        ("q=st+marys", {ids["mary"], ids["straight"]}),
        ("q=ST.+MARY%27S+hall", {ids["mary"]}),
        ("q=st+mary%E2%80%99s+food", {ids["straight"]}),
        ("q=Llechan+Lan", {ids["cafe"]}),
        ("q=llechan+l%C3%A2n", {ids["cafe"]}),
    ]:
        small, big = _both(sample_app, client, query)
        assert small == big, query  # the database narrowing agrees with the exact filter
        assert {int(i) for i in small[1]} == wanted, query
    # Near a ward typed without its apostrophe or accent.
    for near in ("st marys", "Llechan Lan", "ST MARY'S AND LLECHAN LÂN"):
        small, big = _both(sample_app, client, f"near={near}&radius=2000")
        assert small == big and small[1], near
        html = client.get("/", query_string={"near": near}).get_data(as_text=True)
        assert "We could not find a postcode or ward" not in html, near


def test_the_database_narrows_on_the_folded_column_kept_in_step(sample_app):
    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).order_by(Asset.id)).first()
        asset.name, asset.address = "Neuadd Llechan Lân", "1 Heol y Frenhines"
        db.session.commit()
        stored = db.session.execute(text("SELECT search_text FROM assets WHERE id = :id"), {"id": asset.id}).scalar()
    assert stored.startswith("neuadd llechan lan ") and stored.endswith("1 heol y frenhines")


def test_the_same_name_390_metres_away_is_flagged_to_the_resident_and_in_the_queue(sample_app):
    with sample_app.app_context():
        place = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        place.name = "St Mary's Church Hall"
        db.session.commit()
        lat, lon, place_id = place.lat + 390 / 111_320, place.lon, place.id
    client = sample_app.test_client()
    data = {
        "csrf_token": csrf_token(client, "/assets/new"),
        "name": "ST MARY’S CHURCH HALL",
        "categories": ["food_support"],
        "kind": "venue",
        "lat": f"{lat:.6f}",
        "lon": f"{lon:.6f}",
    }
    shown = unescape(client.post("/assets/new", data=data).get_data(as_text=True))
    assert "Is it one of these places already on the map?" in shown and f'href="/assets/{place_id}"' in shown
    assert client.post("/assets/new", data={**data, "not_a_duplicate": "1"}).status_code == 302
    make_staff(sample_app)
    staff = sample_app.test_client()
    assert login(staff).status_code == 302
    queue = unescape(staff.get("/moderate").get_data(as_text=True))
    item = queue.split("ST MARY’S CHURCH HALL", 1)[1]
    assert "Possible duplicate" in item.split("</article>")[0] or "Possible duplicate" in item[:3000]
    assert "St Mary's Church Hall" in item[:3000]


def test_every_page_links_the_open_data_and_about_says_its_licence(sample_app):
    from webmap.core.models import DataSource

    client = sample_app.test_client()
    for url in ("/", "/needs/new", "/privacy"):
        assert 'href="/about#open-data"' in client.get(url).get_data(as_text=True), url
    about = client.get("/about").get_data(as_text=True)
    section = about.split('id="open-data"', 1)[1].split("<h2", 1)[0]
    for link in (
        "/export/assets.csv",
        "/export/assets.geojson",
        "/export/assets.gpkg",
        "/oruk/services",
        "/api/docs",
        "/api/openapi.json",
    ):
        assert f'href="{link}"' in section, link
        assert client.get(link).status_code == 200, link
    assert "made up for this demonstration" in section  # the sample's licence is "fictional": nothing is claimed
    with sample_app.app_context():
        db.session.add(DataSource(name="OpenStreetMap", licence="Open Database Licence (ODbL) 1.0"))
        db.session.commit()
    section = client.get("/about").get_data(as_text=True).split('id="open-data"', 1)[1].split("<h2", 1)[0]
    assert "Open Database Licence (ODbL) 1.0" in section and "shared under the same licence" in section
