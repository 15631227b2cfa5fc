"""`flask import-oruk`: every ORUK example imports; bad input is reported and nothing is half-imported."""

from __future__ import annotations

import copy
import json

import pytest
import shapely
from sqlalchemy import func, select

from tests.oruk_helpers import examples_dir, schema_dir
from webmap.core.db import db
from webmap.core.models import Asset, Ward
from webmap.opendata import oruk

BOX = (-1.60, 52.90, -1.40, 53.10)  # a made-up ward somewhere in England
INSIDE = (-1.5, 53.0)


def run_cli(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def add_ward(app, code="E05999999", box=BOX) -> None:
    """Give the database one square ward."""
    with app.app_context():
        db.session.add(Ward(code=code, name=f"Test ward {code}", geom=shapely.MultiPolygon([shapely.box(*box)])))
        db.session.commit()


def oruk_assets(app) -> list[Asset]:
    with app.app_context():
        return list(db.session.scalars(select(Asset).where(Asset.source == "oruk").order_by(Asset.id)))


def move_locations(data, lon: float, lat: float):
    """Return a copy with every location's coordinates set to (lon, lat)."""
    data = copy.deepcopy(data)

    def walk(node):
        if isinstance(node, dict):
            if "latitude" in node and "longitude" in node:
                node["latitude"], node["longitude"] = lat, lon
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    return data


def test_every_example_file_imports_without_error(app):
    add_ward(app)
    folder = examples_dir()
    files = sorted(folder.glob("*.json"))
    assert len(files) >= 10
    for path in files:
        result = run_cli(
            app, "import-oruk", str(path), "--default-category", "advice", "--schema-dir", str(schema_dir())
        )
        assert result.exit_code == 0, (path.name, result.output)
        assert f"{path.name}: read" in result.output
        if "service" in path.name or path.name.startswith("organization_full"):
            # The examples place their location at latitude 100, which is not on Earth: reported, not imported.
            assert "no location with valid coordinates" in result.output, result.output
            # The service_list shape carries no locations at all.
            assert ("no location given" if path.name == "service_list.json" else "latitude 100") in result.output
        else:
            assert "nothing to import" in result.output
    assert oruk_assets(app) == []


@pytest.mark.parametrize(
    "name",
    ["service_full.json", "service_at_location_full.json", "service_at_location_list.json", "organization_full.json"],
)
def test_examples_with_real_coordinates_become_assets(app, tmp_path, name):
    add_ward(app)
    data = move_locations(json.loads((examples_dir() / name).read_text()), *INSIDE)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    result = run_cli(app, "import-oruk", str(path), "--default-category", "advice", "--schema-dir", str(schema_dir()))
    assert result.exit_code == 0, result.output
    assert "imported 1, updated 0" in result.output
    [asset] = oruk_assets(app)
    assert asset.name == "Community Counselling"
    assert asset.source_id == "ac148810-d857-441c-9679-408f346de14b"
    assert asset.status == "approved" and asset.kind == "service"
    assert (asset.lon, asset.lat) == INSIDE and asset.ward_code == "E05999999"
    assert asset.website == "http://example.com/counselling"
    assert asset.category_ids() == ["advice"]
    if name != "service_at_location_list.json":  # the list shape carries no addresses or schedules
        assert asset.address == "1-30 Main Street, MyCity"
        assert asset.postcode == "ABC 1234"
        assert asset.accessibility.startswith("The building is equipped with induction loops")
        assert asset.opening_times.startswith("The service is available from 10 am to 6pm weekdays")
    # The publisher's assured_date is the record's source date; nobody here has checked it yet.
    assert asset.source_date == "2005-01-01" and asset.last_verified_at is None
    assert asset.submitter_email is None and asset.submitter_name is None

    again = run_cli(app, "import-oruk", str(path), "--default-category", "advice")
    assert again.exit_code == 0, again.output
    assert "imported 0, updated 1" in again.output
    assert len(oruk_assets(app)) == 1


def test_invalid_input_is_reported_and_nothing_is_half_imported(app, tmp_path):
    add_ward(app)
    good = move_locations(json.loads((examples_dir() / "service_full.json").read_text()), *INSIDE)
    bad = copy.deepcopy(good)
    bad["id"] = "9b3c33c2-0000-4000-8000-000000000001"
    bad["status"] = "open"
    del bad["name"]
    path = tmp_path / "directory.json"
    path.write_text(
        json.dumps(
            {
                "total_items": 2,
                "total_pages": 1,
                "page_number": 1,
                "size": 2,
                "first_page": True,
                "last_page": True,
                "empty": False,
                "contents": [good, bad],
            }
        )
    )
    result = run_cli(app, "import-oruk", str(path), "--default-category", "advice", "--schema-dir", str(schema_dir()))
    assert result.exit_code != 0
    assert "Nothing was imported" in result.output
    assert "directory.json" in result.output
    assert "$.contents[1].status" in result.output and "'open' is not one of" in result.output
    assert "$.contents[1]" in result.output and "'name' is a required property" in result.output
    assert oruk_assets(app) == []


def test_not_json_and_not_oruk(app, tmp_path):
    (tmp_path / "broken.json").write_text('{"id": ')
    result = run_cli(app, "import-oruk", str(tmp_path / "broken.json"))
    assert result.exit_code != 0 and "broken.json" in result.output and "not valid JSON" in result.output
    (tmp_path / "other.json").write_text('{"type": "FeatureCollection", "features": []}')
    result = run_cli(app, "import-oruk", str(tmp_path / "other.json"))
    assert result.exit_code != 0 and "not ORUK JSON" in result.output
    result = run_cli(app, "import-oruk", str(tmp_path / "missing.json"))
    assert result.exit_code != 0 and "no such file" in result.output


def test_locations_outside_every_ward_are_reported_and_skipped(app, tmp_path):
    add_ward(app)
    data = move_locations(json.loads((examples_dir() / "service_full.json").read_text()), 10.0, 50.0)
    path = tmp_path / "far.json"
    path.write_text(json.dumps(data))
    result = run_cli(app, "import-oruk", str(path), "--default-category", "advice")
    assert result.exit_code == 0, result.output
    assert "skipped 1: every location is outside every ward" in result.output
    assert oruk_assets(app) == []


def test_taxonomy_terms_map_to_categories(app, tmp_path):
    add_ward(app)
    base = move_locations(json.loads((examples_dir() / "service_full.json").read_text()), *INSIDE)
    services = []
    for i, term in enumerate(
        [
            {"id": oruk.term_id("youth"), "name": "whatever"},  # our own term id
            {"id": "1c1e0b8a-0000-4000-8000-000000000002", "name": "Library"},  # a label
            {"id": "1c1e0b8a-0000-4000-8000-000000000003", "name": "Foodbank"},  # via the map
            {"id": "1c1e0b8a-0000-4000-8000-000000000004", "name": "Unheard of"},
        ]
    ):
        s = copy.deepcopy(base)
        s["id"] = f"5e1e0b8a-0000-4000-8000-00000000000{i}"
        s["attributes"][0]["taxonomy_term"] = {**term, "description": "d"}
        services.append(s)
    path = tmp_path / "package.json"
    path.write_text(json.dumps(services))
    (tmp_path / "map.csv").write_text("value,category\nfoodbank,food_support\n")
    result = run_cli(app, "import-oruk", str(path), "--category-map", str(tmp_path / "map.csv"))
    assert result.exit_code == 0, result.output
    assert "imported 3" in result.output and "skipped 1: no taxonomy term maps to a category" in result.output
    assert "Unheard of" in result.output
    assert [a.category_ids() for a in oruk_assets(app)] == [["youth"], ["library"], ["food_support"]]
    result = run_cli(app, "import-oruk", str(path), "--category-map", str(tmp_path / "map.csv"), "--add-categories")
    assert result.exit_code == 0, result.output
    assert "added category 'unheard_of'" in result.output
    assert oruk_assets(app)[-1].category_ids() == ["unheard_of"]
    result = run_cli(app, "import-oruk", str(path), "--default-category", "no_such_thing")
    assert result.exit_code != 0 and "no_such_thing" in result.output


def test_export_then_import_keeps_services(sample_app, tmp_path):
    """The sample area's ORUK services, imported into an empty map with the same wards, export the same."""
    out = tmp_path / "services.json"
    result = run_cli(sample_app, "export", "--format", "oruk", "--out", str(out))
    assert result.exit_code == 0, result.output
    first = json.loads(out.read_text())
    with sample_app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Asset).where(Asset.status == "approved"))
    assert len(first) == n
    with sample_app.app_context():  # an empty map: same wards, no assets
        db.session.execute(db.text("DELETE FROM asset_categories"))
        db.session.execute(db.text("DELETE FROM assets"))
        db.session.commit()
    result = run_cli(sample_app, "import-oruk", str(out), "--schema-dir", str(schema_dir()))
    assert result.exit_code == 0, result.output
    assert f"imported {n}, updated 0, skipped 0" in result.output
    second = tmp_path / "again.json"
    assert run_cli(sample_app, "export", "--format", "oruk", "--out", str(second)).exit_code == 0
    from tests.oruk_roundtrip import normalised

    assert normalised(json.loads(second.read_text())) == normalised(first)
