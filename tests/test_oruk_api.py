"""The ORUK 3.0 read API: paths and parameters of the profile, responses valid against its schemas."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from pyproj import Geod
from sqlalchemy import select

from tests.oruk_helpers import assert_no_secrets, assert_page, assert_valid, openapi, plant_secret_assets, schema_dir
from webmap.core.db import db
from webmap.core.models import Asset, Postcode
from webmap.opendata import oruk


@pytest.fixture
def oruk_app(sample_app):
    plant_secret_assets(sample_app)
    return sample_app


def _get(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, (url, response.get_data(as_text=True)[:500])
    if status == 200:
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert_no_secrets(response.get_data(as_text=True))
    return response.get_json()


def _approved(app) -> list[Asset]:
    with app.app_context():
        return list(db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)))


def test_every_profile_path_and_parameter_is_served(oruk_app):
    spec = openapi()
    rules = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule) for r in oruk_app.url_map.iter_rules() if "GET" in r.methods}
    client = oruk_app.test_client()
    assets = _approved(oruk_app)
    sample_ids = {
        "services": oruk.service_id(assets[0]),
        "service_at_locations": None,
        "taxonomies": oruk.TAXONOMY_ID,
        "taxonomy_terms": oruk.term_id("youth"),
    }
    with oruk_app.app_context():
        sample_ids["service_at_locations"] = oruk.service_at_location_id(db.session.get(Asset, assets[0].id))
        postcode = db.session.scalars(select(Postcode.postcode)).first()
    values = {
        "search": "a",
        "page": "1",
        "per_page": "5",
        "taxonomy_term_id": oruk.term_id("youth"),
        "taxonomy_id": oruk.TAXONOMY_ID,
        "minimum_age": "5",
        "maximum_age": "90",
        "start_time": "09:00",
        "end_time": "17:00",
        "day": "Monday",
        "postcode": postcode,
        "proximity": "2000",
    }
    params = spec["components"]["parameters"]
    for path, item in spec["paths"].items():
        assert "/oruk" + path in rules, f"ORUK path {path} is not served"
        url = "/oruk" + path.replace("{id}", sample_ids.get(path.split("/")[1], "") or "")
        for ref in item["get"].get("parameters", []):
            name = params[ref["$ref"].rsplit("/", 1)[1]]["name"]
            query = f"{name}={values[name]}" + (f"&postcode={postcode}" if name == "proximity" else "")
            data = _get(client, f"{url}?{query}")
            assert isinstance(data, dict)


def test_api_info(oruk_app):
    data = _get(oruk_app.test_client(), "/oruk/")
    schema = openapi()["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    from jsonschema import Draft202012Validator

    Draft202012Validator(schema).validate(data)
    assert (
        data["version"] == "3.0"
        and data["profile"].startswith("https://")
        and data["openapi_url"].startswith("https://")
    )


def test_services_pages_validate_and_add_up(oruk_app):
    client = oruk_app.test_client()
    assets = _approved(oruk_app)
    first = _get(client, "/oruk/services?per_page=7")
    assert_page(first)
    assert first["total_items"] == len(assets)
    assert first["total_pages"] == -(-len(assets) // 7)
    assert first["first_page"] and not first["last_page"] and first["page_number"] == 1 and first["size"] == 7
    seen = []
    for number in range(1, first["total_pages"] + 1):
        data = _get(client, f"/oruk/services?per_page=7&page={number}")
        assert_page(data)
        for item in data["contents"]:
            assert_valid("compiled/service_list.json", item)
        seen += [item["id"] for item in data["contents"]]
    assert data["last_page"]
    assert seen == [oruk.service_id(a) for a in assets]
    assert len(set(seen)) == len(seen)
    beyond = _get(client, f"/oruk/services?per_page=7&page={first['total_pages'] + 1}")
    assert beyond["empty"] and beyond["contents"] == [] and beyond["total_items"] == len(assets)
    for bad in ("page=0", "page=x", "per_page=0", "per_page=100000", "minimum_age=old"):
        assert client.get(f"/oruk/services?{bad}").status_code == 400


def test_every_full_service_validates(oruk_app):
    client = oruk_app.test_client()
    assets = _approved(oruk_app)
    for asset in assets:
        data = _get(client, f"/oruk/services/{oruk.service_id(asset)}")
        assert_valid("compiled/service.json", data)
        assert data["name"] == asset.name
        location = data["service_at_locations"][0]["location"]
        assert (location["longitude"], location["latitude"]) == (asset.lon, asset.lat)
        assert {a["taxonomy_term"]["term"] for a in data["attributes"]} == set(asset.category_ids())
        checked = asset.last_verified_at.date().isoformat() if asset.last_verified_at else None
        stated = asset.source_date if asset.source_date and len(asset.source_date) == 10 else None
        assert data.get("assured_date") == (checked or stated)
    cafe = next(a for a in assets if a.name.startswith("Café Quillon Planté"))
    data = _get(client, f"/oruk/services/{oruk.service_id(cafe)}")
    assert data["assured_date"] == "2025-03-01"
    assert data["url"] == "http://www.example.org"
    assert data["schedules"][0]["description"] == "Tuesdays 10:00-12:00"
    location = data["service_at_locations"][0]["location"]
    assert location["accessibility"][0]["description"] == "Step-free entrance"
    assert (
        location["addresses"][0]["address_1"] == "1 Mill Lane" and location["addresses"][0]["postal_code"] == "XX1 1AB"
    )
    # Ids are stable and derived, never the database row number.
    assert uuid.UUID(data["id"]).version == 5
    assert _get(client, f"/oruk/services/{data['id']}") == data
    _get(client, f"/oruk/services/{uuid.uuid4()}", 404)
    _get(client, "/oruk/services/not-a-uuid", 404)


def test_pending_assets_are_not_services(oruk_app):
    with oruk_app.app_context():
        pending = db.session.scalar(select(Asset).where(Asset.status == "pending"))
        sid = oruk.service_id(pending)
    _get(oruk_app.test_client(), f"/oruk/services/{sid}", 404)


def test_service_at_locations_validate_and_find_by_postcode(oruk_app):
    client = oruk_app.test_client()
    data = _get(client, "/oruk/service_at_locations?per_page=1000")
    assert_page(data)
    assert data["total_items"] == len(_approved(oruk_app))
    for item in data["contents"]:
        assert_valid("compiled/service_at_location_list.json", item)
    full = _get(client, f"/oruk/service_at_locations/{data['contents'][0]['id']}")
    assert_valid("compiled/service_at_location.json", full)
    assert_valid("compiled/service.json", full["service"])

    with oruk_app.app_context():
        place = db.session.scalars(select(Postcode).order_by(Postcode.postcode)).first()
    geod = Geod(ellps="WGS84")
    distance = {
        item["id"]: geod.inv(place.lon, place.lat, item["location"]["longitude"], item["location"]["latitude"])[2]
        for item in data["contents"]
    }
    near = _get(
        client,
        f"/oruk/service_at_locations?postcode={place.postcode.replace(' ', '').lower()}&proximity=1500&per_page=1000",
    )
    assert_page(near)
    got = [item["id"] for item in near["contents"]]
    assert 0 < len(got) < len(distance)
    assert all(distance[i] <= 1500 * 1.005 for i in got)
    assert all(distance[i] > 1500 * 0.995 for i in set(distance) - set(got))
    assert [distance[i] for i in got] == sorted(distance[i] for i in got)
    for bad in (
        "postcode=nonsense",
        "postcode=ZZ9%209ZZ",
        f"postcode={place.postcode}&proximity=-5",
        f"postcode={place.postcode}&proximity=far",
        "proximity=100",
    ):
        body = _get(client, f"/oruk/service_at_locations?{bad}", 400)
        assert body["error"]["message"]


def test_taxonomy_and_filters(oruk_app):
    client = oruk_app.test_client()
    taxonomies = _get(client, "/oruk/taxonomies")
    assert_page(taxonomies)
    for item in taxonomies["contents"]:
        assert_valid("taxonomy.json", item)
    full = _get(client, f"/oruk/taxonomies/{oruk.TAXONOMY_ID}")
    assert_valid("taxonomy.json", full)
    terms = _get(client, "/oruk/taxonomy_terms?per_page=1000")
    assert_page(terms)
    for item in terms["contents"]:
        assert_valid("taxonomy_term.json", item)
    assert terms["contents"] == full["taxonomy_terms"]
    youth = _get(client, f"/oruk/taxonomy_terms/{oruk.term_id('youth')}")
    assert youth["term"] == "youth" and youth["taxonomy_id"] == oruk.TAXONOMY_ID

    with_youth = [a for a in _approved(oruk_app) if "youth" in a.category_ids()]
    data = _get(client, f"/oruk/services?taxonomy_term_id={youth['id']}&per_page=1000")
    assert [s["id"] for s in data["contents"]] == [oruk.service_id(a) for a in with_youth]
    assert _get(client, f"/oruk/services?taxonomy_id={uuid.uuid4()}")["total_items"] == 0
    assert _get(client, f"/oruk/services?taxonomy_term_id={uuid.uuid4()}")["total_items"] == 0
    found = _get(client, "/oruk/services?search=quillon plant%C3%A9")
    assert [s["name"] for s in found["contents"]] == ["Café Quillon Planté – community fridge"]
    _get(client, f"/oruk/taxonomy_terms/{uuid.uuid4()}", 404)
    _get(client, f"/oruk/taxonomies/{uuid.uuid4()}", 404)


def test_oruk_output_never_carries_private_fields(oruk_app):
    client = oruk_app.test_client()
    for url in ("/oruk/services?per_page=1000", "/oruk/service_at_locations?per_page=1000"):
        text = json.dumps(_get(client, url), ensure_ascii=False)
        assert "Café Quillon Planté" in text
        assert_no_secrets(text)
    with oruk_app.app_context():
        secret = db.session.scalar(select(Asset).where(Asset.submitter_email.is_not(None), Asset.status == "approved"))
        sid = oruk.service_id(secret)
    assert_no_secrets(json.dumps(_get(client, f"/oruk/services/{sid}")))
    assert schema_dir()


def test_odd_numbers_are_refused_not_crashed(oruk_app):
    client = oruk_app.test_client()
    for bad in ("page=%C2%B2", "per_page=%D9%A3", "page=1e3", "page=-1", "page=%2B1", "per_page=99999999999999999999"):
        response = client.get(f"/oruk/services?{bad}")
        assert response.status_code == 400, bad
