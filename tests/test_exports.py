"""Exports of approved assets: CSV (with a BOM for Excel), GeoJSON, GeoPackage; never a private field."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pyogrio
import pytest
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset, Category
from webmap.opendata.exports import EXPORT_COLUMNS

SECRETS = {
    "submitter_name": "Secret Sally Submitter",
    "submitter_email": "sally.secret@example.invalid",
    "submitter_phone": "07700 900999",
    "submitter_ip": "203.0.113.77",
}


@pytest.fixture
def planted(sample_app):
    """The sample area plus an approved asset with an accented name and private details, and a pending one."""
    with sample_app.app_context():
        first = db.session.scalar(select(Asset).where(Asset.status == "approved").order_by(Asset.id))
        food = db.session.get(Category, "food_support")
        for status, name in (("approved", "Café Zoë – community fridge"), ("pending", "Pending secret place")):
            db.session.add(
                Asset(
                    name=name,
                    description="Free food, no questions",
                    kind="service",
                    lon=first.lon,
                    lat=first.lat,
                    geom=first.geom,
                    ward_code=first.ward_code,
                    status=status,
                    source="resident",
                    categories=[food],
                    last_verified_at=datetime(2025, 3, 1, 12, 0),
                    **SECRETS,
                )
            )
        db.session.commit()
        approved = db.session.scalar(select(db.func.count()).select_from(Asset).where(Asset.status == "approved"))
    return sample_app, approved


def run_cli(app, *args):
    """Invoke a flask command as `flask --app webmap ...` would: inside an app context."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _no_secrets(blob: bytes | str) -> None:
    text = blob.decode("utf-8", errors="replace") if isinstance(blob, bytes) else blob
    for value in SECRETS.values():
        assert value not in text
    assert "Pending secret place" not in text
    assert "submitter" not in text


def test_csv_export_has_public_fields_of_approved_assets_only(planted):
    app, approved = planted
    response = app.test_client().get("/export/assets.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert not response.data.startswith(b"\xef\xbb\xbf")
    _no_secrets(response.data)
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8"))))
    assert len(rows) == approved
    assert list(rows[0].keys()) == EXPORT_COLUMNS
    cafe = next(r for r in rows if r["name"] == "Café Zoë – community fridge")
    assert cafe["categories"] == "food_support"
    assert cafe["last_verified"] == "2025-03-01"
    assert cafe["ward_name"]


def test_csv_bom_for_excel_on_route_and_cli(planted, tmp_path):
    app, approved = planted
    data = app.test_client().get("/export/assets.csv?bom=1").data
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Café Zoë".encode() in data
    out = tmp_path / "assets.csv"
    result = run_cli(app, "export", "--out", str(out), "--bom")
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert len(list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))) == approved
    _no_secrets(raw)


def test_geojson_export(planted):
    app, approved = planted
    response = app.test_client().get("/export/assets.geojson")
    assert response.status_code == 200
    _no_secrets(response.data)
    data = json.loads(response.data)
    assert len(data["features"]) == approved
    props = data["features"][0]["properties"]
    assert set(props) == set(EXPORT_COLUMNS)
    lon, lat = data["features"][0]["geometry"]["coordinates"]
    assert (lon, lat) == (props["lon"], props["lat"])


def test_geopackage_reads_back_with_pyogrio(planted, tmp_path):
    app, approved = planted
    response = app.test_client().get("/export/assets.gpkg")
    assert response.status_code == 200
    _no_secrets(response.data)
    path = tmp_path / "download.gpkg"
    path.write_bytes(response.data)
    layers = pyogrio.list_layers(path)
    assert [name for name, _ in layers] == ["assets"]
    assert layers[0][1] == "Point"
    frame = pyogrio.read_dataframe(path, layer="assets")
    assert frame.crs.to_epsg() == 4326
    assert len(frame) == approved
    assert list(frame.columns) == EXPORT_COLUMNS + ["geometry"]
    with app.app_context():
        expected = {
            a.id: (a.name, a.lon, a.lat) for a in db.session.scalars(select(Asset).where(Asset.status == "approved"))
        }
    got = {int(r.id): (r.name, r.geometry.x, r.geometry.y) for r in frame.itertuples()}
    assert got == expected


def test_cli_export_formats_from_extension(planted, tmp_path):
    app, approved = planted
    for name in ("a.geojson", "a.gpkg", "a.csv"):
        result = run_cli(app, "export", "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        assert f"Wrote {approved} approved assets" in result.output
        _no_secrets((tmp_path / name).read_bytes())
    assert len(pyogrio.read_dataframe(tmp_path / "a.gpkg")) == approved
    assert len(json.loads((tmp_path / "a.geojson").read_text())["features"]) == approved
    result = run_cli(app, "export", "--out", str(tmp_path / "a.txt"))
    assert result.exit_code != 0 and "--format" in result.output
    result = run_cli(app, "export", "--out", str(tmp_path / "b.txt"), "--format", "csv")
    assert result.exit_code == 0, result.output


def test_exports_of_an_empty_map(app, tmp_path):
    client = app.test_client()
    assert json.loads(client.get("/export/assets.geojson").data)["features"] == []
    assert client.get("/export/assets.csv").data.decode().strip() == ",".join(EXPORT_COLUMNS)
    path = tmp_path / "empty.gpkg"
    path.write_bytes(client.get("/export/assets.gpkg").data)
    assert len(pyogrio.read_dataframe(path)) == 0
