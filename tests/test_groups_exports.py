"""Offers and needs in the ORUK API (as attributes of a second taxonomy) and in every export."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from tests.oruk_helpers import assert_valid
from webmap.core.db import db
from webmap.core.models import Asset, Category
from webmap.groups.listings import Exchange, set_exchange
from webmap.opendata import oruk


def _with_exchange(app) -> int:
    """Give the first approved listing offers and needs; return its id."""
    with app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        set_exchange(asset, Exchange(["kitchen", "room"], ["volunteers"], None, "A driver on Saturdays"), who="test")
        db.session.commit()
        return asset.id


def test_oruk_service_carries_offers_and_needs_and_still_validates(sample_app):
    asset_id = _with_exchange(sample_app)
    client = sample_app.test_client()
    with sample_app.app_context():
        asset = db.session.get(Asset, asset_id)
        sid, categories = oruk.service_id(asset), set(asset.category_ids())
    data = client.get(f"/oruk/services/{sid}").get_json()
    assert_valid("compiled/service.json", data)
    by_type: dict[str, list] = {}
    for attribute in data["attributes"]:
        by_type.setdefault(attribute["link_type"], []).append(attribute["taxonomy_term"])
    assert {t["term"] for t in by_type["category"]} == categories
    assert sorted(t["term"] for t in by_type["offers"]) == ["kitchen", "room"]
    assert [(t["term"], t["name"]) for t in by_type["needs"]] == [
        ("volunteers", "Volunteers"),
        ("other", "A driver on Saturdays"),
    ]
    assert all(t["taxonomy_id"] == oruk.EXCHANGE_TAXONOMY_ID for t in by_type["offers"] + by_type["needs"])

    taxonomies = client.get("/oruk/taxonomies").get_json()["contents"]
    assert [t["name"] for t in taxonomies] == [oruk.TAXONOMY_NAME, oruk.EXCHANGE_TAXONOMY_NAME]
    full = client.get(f"/oruk/taxonomies/{oruk.EXCHANGE_TAXONOMY_ID}").get_json()
    assert_valid("taxonomy.json", full)
    kitchen = next(t for t in full["taxonomy_terms"] if t["term"] == "kitchen")
    assert client.get(f"/oruk/taxonomy_terms/{kitchen['id']}").get_json() == kitchen


def test_an_oruk_round_trip_does_not_turn_offers_into_categories(sample_app, tmp_path):
    from webmap.opendata.oruk_import import import_oruk

    asset_id = _with_exchange(sample_app)
    with sample_app.app_context():
        service = oruk.service_full(db.session.get(Asset, asset_id))
        path = tmp_path / "service.json"
        path.write_text(json.dumps(service))
        before = set(db.session.scalars(select(Category.id)))
        import_oruk(path, add_categories=True)
        db.session.commit()
        assert set(db.session.scalars(select(Category.id))) == before


def test_exports_carry_offers_and_needs(sample_app):
    asset_id = _with_exchange(sample_app)
    client = sample_app.test_client()
    rows = list(csv.DictReader(io.StringIO(client.get("/export/assets.csv").get_data(as_text=True))))
    row = next(r for r in rows if int(r["id"]) == asset_id)
    assert (row["offers"], row["offers_other"], row["needs"], row["needs_other"]) == (
        "kitchen;room",
        "",
        "volunteers",
        "A driver on Saturdays",
    )
    others = [r for r in rows if int(r["id"]) != asset_id]
    assert all(r["offers"] == "" and r["needs"] == "" for r in others)
    features = client.get("/export/assets.geojson").get_json()["features"]
    props = next(f["properties"] for f in features if f["properties"]["id"] == asset_id)
    assert props["offers"] == "kitchen;room" and props["needs_other"] == "A driver on Saturdays"
