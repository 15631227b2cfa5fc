"""The public map and places in Welsh: every page of webmap/places with ?lang=cy, the add-a-place form's
Welsh name and description, Welsh errors, and the language a submitter and a reporter used."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from tests.welsh_helpers import english_left
from webmap.core.db import db
from webmap.core.models import Asset, Category, ChangeRequest, Ward


def _html_lang(html: str) -> str:
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", html)
    assert match, "no <html lang>"
    return match.group(1)


def _first_place(app) -> tuple[int, str]:
    with app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        return asset.id, asset.name


def _without_other_features(html: str) -> str:
    """Leave out what other features add to a place's page (groups' offers and needs, partners nearby)."""
    for section in ("offers-needs", "partners-for-asset"):
        html = re.sub(rf'<section id="{section}".*?</section>', "", html, flags=re.S)
    return html


def _welsh_page(client, url: str, *phrases: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert _html_lang(html) == "cy", url
    left = english_left(_without_other_features(html))
    assert left == [], f"{url}: {left}"
    for phrase in phrases:
        assert phrase in html, f"{url}: {phrase!r} missing"
    return html


def test_the_home_page_is_in_welsh(sample_app):
    client = sample_app.test_client()
    html = _welsh_page(
        client,
        "/?lang=cy",
        "Lleoedd a grwpiau lleol",
        "Enw neu allweddair",
        "Allwedd y map",
        "Pob categori",
        "Wardiau",
    )
    assert re.search(r"\d+ o leoedd</h2>", html)
    # The words the map scripts show come from the page, in Welsh.
    words = json.loads(re.search(r'<script type="application/json" id="map-words"[^>]*>(.*?)</script>', html).group(1))
    assert words["map"].startswith("Map. Mae’r bysellau saeth") and words["chosenPlace"] == "Y lle a ddewiswyd"


def test_a_search_is_described_and_its_mistakes_explained_in_welsh(sample_app):
    client = sample_app.test_client()
    html = _welsh_page(client, "/?lang=cy&q=lunch&kind=venue", "Lleoedd sy’n cyfateb i ‘lunch’, o’r math lleoliad.")
    assert "wedi’u canfod" in html or "wedi’i ganfod" in html
    response = client.get("/?lang=cy&near=Nowhereville")
    html = response.get_data(as_text=True)
    assert "Allwn ni ddim dod o hyd i god post na ward o’r enw ‘Nowhereville’" in html
    assert "We could not find a postcode or ward called" not in html
    assert english_left(html) == []
    bad = client.get("/?lang=cy&kind=castle")
    assert bad.status_code == 400 and "Rhaid i’r math fod yn un o’r rhain" in bad.get_data(as_text=True)


def test_about_the_data_is_in_welsh(sample_app):
    _welsh_page(sample_app.test_client(), "/about?lang=cy", "Am y data", "Data agored: lawrlwytho ac ailddefnyddio")


def test_a_place_page_and_the_report_form_are_in_welsh(sample_app):
    client = sample_app.test_client()
    asset_id, _name = _first_place(sample_app)
    _welsh_page(client, f"/assets/{asset_id}?lang=cy", "Rhoi gwybod am newid", "Gwiriwyd ddiwethaf", "Math")
    _welsh_page(client, f"/assets/{asset_id}/report?lang=cy", "Beth sydd wedi newid?", "Manylion newydd", "Anfon")


def test_the_add_a_place_form_and_its_thanks_are_in_welsh(sample_app):
    client = sample_app.test_client()
    html = _welsh_page(client, "/assets/new?lang=cy", "Ychwanegu lle", "Enw Cymraeg (dewisol)", "Anfon i’w adolygu")
    assert 'name="name_cy"' in html and 'name="description_cy"' in html
    _welsh_page(client, "/assets/new/thanks?lang=cy", "Diolch: mae eich lle wedi dod i law")


def test_the_embedded_map_is_in_welsh(sample_app):
    html = _welsh_page(sample_app.test_client(), "/embed?lang=cy", "Lleoedd a grwpiau lleol", "Neidio heibio i’r map")
    assert 'id="map-words"' in html


def test_a_form_sent_in_welsh_with_a_field_missing_answers_in_welsh(sample_app):
    client = sample_app.test_client()
    client.get("/assets/new?lang=cy")  # the cookie keeps Welsh for the post
    data = {"csrf_token": csrf_token(client, "/assets/new"), "kind": "group", "name": ""}
    response = client.post("/assets/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and _html_lang(html) == "cy"
    assert "Rhowch enw’r lle" in html and "Dewiswch o leiaf un math o le" in html
    assert "Rhowch god post, neu rhowch bin ar y map" in html
    assert "Enter the name of the place" not in html and "Choose at least one kind of place" not in html
    assert english_left(html) == []


def test_a_welsh_name_too_long_is_refused_in_welsh(sample_app):
    client = sample_app.test_client()
    client.get("/assets/new?lang=cy")
    data = {"csrf_token": csrf_token(client, "/assets/new"), "kind": "group", "name": "Clwb", "name_cy": "x" * 201}
    html = client.post("/assets/new", data=data).get_data(as_text=True)
    assert "Rhaid i’r enw Cymraeg fod yn 200 nod neu lai" in html


def _ward_point(app):
    with app.app_context():
        ward = db.session.scalars(select(Ward).order_by(Ward.code)).first()
        point = ward.geom.representative_point()
        return point.x, point.y


def test_a_place_sent_with_a_welsh_name_shows_it_to_welsh_readers_only(sample_app):
    client = sample_app.test_client()
    client.get("/assets/new?lang=cy")
    lon, lat = _ward_point(sample_app)
    data = {
        "csrf_token": csrf_token(client, "/assets/new"),
        "name": "Aaa Riverside Lunch Club",
        "name_cy": "Aaa Clwb Cinio <b>Glan yr Afon</b>",
        "description": "Hot lunches on Tuesdays",
        "description_cy": "Cinio poeth ar ddydd Mawrth <script>alert(1)</script>",
        "categories": ["food_support"],
        "kind": "group",
        "lon": f"{lon:.6f}",
        "lat": f"{lat:.6f}",
    }
    response = client.post("/assets/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.name == "Aaa Riverside Lunch Club")).one()
        assert asset.submitter_language == "cy"
        assert asset.name_cy == "Aaa Clwb Cinio <b>Glan yr Afon</b>"
        assert asset.description_cy.startswith("Cinio poeth")
        asset.status = "approved"
        category = db.session.get(Category, "food_support")
        category.label_cy = "Cymorth bwyd"
        db.session.commit()
        asset_id = asset.id

    welsh = client.get(f"/assets/{asset_id}?lang=cy").get_data(as_text=True)
    assert '<h1 id="asset-name">Aaa Clwb Cinio &lt;b&gt;Glan yr Afon&lt;/b&gt;</h1>' in welsh
    assert "Cinio poeth ar ddydd Mawrth &lt;script&gt;" in welsh and "<script>alert(1)" not in welsh
    assert "Cymorth bwyd" in welsh
    # The popup on the place's map: Welsh name, escaped (folium puts it in a JS string).
    assert "Aaa Clwb Cinio &amp;lt;b&amp;gt;" in welsh or "Aaa Clwb Cinio &lt;b&gt;" in welsh
    assert "<b>Glan yr Afon</b>" not in welsh
    home = client.get("/?lang=cy").get_data(as_text=True)
    assert "Aaa Clwb Cinio &lt;b&gt;Glan yr Afon&lt;/b&gt;</a>" in home and "Cymorth bwyd" in home
    embed = client.get("/embed?lang=cy").get_data(as_text=True)
    assert "Aaa Clwb Cinio &lt;b&gt;Glan yr Afon&lt;/b&gt;" in embed

    english = client.get(f"/assets/{asset_id}?lang=en").get_data(as_text=True)
    assert '<h1 id="asset-name">Aaa Riverside Lunch Club</h1>' in english and "Clwb Cinio" not in english
    assert "Hot lunches on Tuesdays" in english and "Cymorth bwyd" not in english
    home = client.get("/?lang=en").get_data(as_text=True)
    assert "Aaa Riverside Lunch Club</a>" in home and "Clwb Cinio" not in home


def test_an_english_submission_records_english(sample_app):
    client = sample_app.test_client()
    lon, lat = _ward_point(sample_app)
    data = {
        "csrf_token": csrf_token(client, "/assets/new"),
        "name": "Plain English Club",
        "categories": ["food_support"],
        "kind": "group",
        "lon": f"{lon:.6f}",
        "lat": f"{lat:.6f}",
    }
    assert client.post("/assets/new", data=data).status_code == 302
    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.name == "Plain English Club")).one()
        assert asset.submitter_language == "en" and asset.name_cy is None


def test_a_change_reported_in_welsh_records_welsh(sample_app):
    client = sample_app.test_client()
    asset_id, _name = _first_place(sample_app)
    client.get(f"/assets/{asset_id}/report?lang=cy")
    url = f"/assets/{asset_id}/report"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "kind": "closed"})
    assert response.status_code == 302
    thanks = _welsh_page(client, response.headers["Location"], "Diolch am roi gwybod i ni")
    assert "Bydd un o gymedrolwyr y cyngor" in thanks
    with sample_app.app_context():
        change = db.session.scalars(select(ChangeRequest).where(ChangeRequest.asset_id == asset_id)).one()
        assert change.language == "cy"


def test_a_report_sent_in_welsh_with_nothing_to_say_answers_in_welsh(sample_app):
    client = sample_app.test_client()
    asset_id, _name = _first_place(sample_app)
    url = f"/assets/{asset_id}/report?lang=cy"
    html = client.post(url, data={"csrf_token": csrf_token(client, url), "kind": "other"}).get_data(as_text=True)
    assert "Dywedwch wrthym beth sydd wedi newid" in html and english_left(html) == []


@pytest.mark.parametrize("lang", ["cy", "en"])
def test_ward_names_are_in_the_readers_language(sample_app, lang):
    with sample_app.app_context():
        ward = db.session.scalars(select(Ward).order_by(Ward.code)).first()
        ward.name_cy = "Ward y Dderwen"
        db.session.commit()
        english = ward.name
    html = sample_app.test_client().get(f"/?lang={lang}").get_data(as_text=True)
    if lang == "cy":
        assert "<td>Ward y Dderwen</td>" in html
    else:
        assert f"<td>{english}</td>" in html and "Ward y Dderwen" not in html
