"""Acceptance for issue 6: the study area's services survive ORUK export -> import -> export unchanged."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import REPO, empty_database, shared_data
from tests.oruk_helpers import assert_valid, examples_dir
from tests.oruk_roundtrip import normalised
from webmap.core.db import db
from webmap.core.models import Asset
from webmap.importers.assets import import_assets
from webmap.importers.categories import import_categories
from webmap.importers.wards import import_wards
from webmap.imports.commands import transaction

pytestmark = pytest.mark.realdata


def run_cli(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def test_study_area_round_trip(app, tmp_path):
    wards = shared_data("boundaries", "wards", "study_area_wards.geojson")
    assets = shared_data("assets", "study_area", "community_assets_study_area.geojson")
    with app.app_context():
        with transaction():
            import_wards(wards)
            report = import_assets(assets, source="study area", add_categories=True)
        n = db.session.scalar(select(func.count()).select_from(Asset).where(Asset.status == "approved"))
    assert n == report.imported > 1500

    first_file = tmp_path / "first.json"
    result = run_cli(app, "export", "--format", "oruk", "--out", str(first_file))
    assert result.exit_code == 0, result.output
    first = json.loads(first_file.read_text())
    assert len(first) == n
    for service in first:
        assert_valid("compiled/service.json", service)

    with app.app_context():  # an empty database with the same wards
        empty_database()
        with transaction():
            import_categories(REPO / "data" / "categories.csv")
            import_wards(wards)
        assert db.session.scalar(select(func.count()).select_from(Asset)) == 0
    result = run_cli(app, "import-oruk", str(first_file), "--add-categories")
    assert result.exit_code == 0, result.output
    assert f"read {n}, imported {n}, updated 0, skipped 0" in result.output

    second_file = tmp_path / "second.json"
    assert run_cli(app, "export", "--format", "oruk", "--out", str(second_file)).exit_code == 0
    second = json.loads(second_file.read_text())
    assert normalised(second) == normalised(first)
    # And the feed itself serves the same services.
    client = app.test_client()
    for service in second[:: max(1, n // 25)]:
        served = client.get(f"/oruk/services/{service['id']}").get_json()
        assert normalised([served]) == normalised([service])


def test_every_example_imports_and_our_output_validates(sample_app, tmp_path):
    for path in sorted(examples_dir().glob("*.json")):
        result = run_cli(sample_app, "import-oruk", str(path), "--default-category", "advice")
        assert result.exit_code == 0, (path.name, result.output)
    out = tmp_path / "services.json"
    assert run_cli(sample_app, "export", "--format", "oruk", "--out", str(out)).exit_code == 0
    for service in json.loads(out.read_text()):
        assert_valid("compiled/service.json", service)
