"""Never wrong silently: each bad file found in issue 11, written small, refused with the reason."""

from __future__ import annotations

import json
import os
import warnings

import pytest
import shapely
from sqlalchemy import select, text

from tests.conftest import BASE_CONFIG
from tests.importing_helpers import count, load_two_wards, run, write_csv, write_vector
from webmap import create_app
from webmap.core.db import db
from webmap.core.models import Asset, Postcode, Ward

# A 1 km square ward in British National Grid metres, near Oldham (about -2.1, 53.5).
BNG_SQUARE = [[[392000, 404000], [393000, 404000], [393000, 405000], [392000, 405000], [392000, 404000]]]


def feature(props: dict, geometry) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def write_geojson(path, features: list[dict], crs_name: str | None = None, raw: str | None = None):
    """Write a GeoJSON by hand (geopandas would add or fix the things under test)."""
    doc = {"type": "FeatureCollection", "features": features}
    if crs_name:
        doc = {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": crs_name}},
            "features": features,
        }
    path.write_text(raw if raw is not None else json.dumps(doc))
    return path


def ward_feature(code="E05900001", name="One", coords=BNG_SQUARE):
    return feature({"ward_code": code, "ward_name": name}, {"type": "Polygon", "coordinates": coords})


def refused(result, *parts: str) -> str:
    """Assert the command failed cleanly (no traceback) with every part in its message."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for part in parts:
        assert part in result.output, result.output
    return result.output


def test_geojson_without_crs_in_british_national_grid_is_refused_naming_the_crs(app, tmp_path):
    path = write_geojson(tmp_path / "bng_no_crs.geojson", [ward_feature()])

    result = run(app, "import-wards", path)

    refused(result, "bng_no_crs.geojson", "British National Grid (EPSG:27700)", "--crs 27700")
    assert count(app, Ward) == 0
    again = run(app, "import-wards", path, "--crs", "27700")
    assert again.exit_code == 0, again.output
    with app.app_context():
        ward = db.session.scalar(select(Ward))
        assert -2.2 < ward.geom.centroid.x < -2.0 and 53.4 < ward.geom.centroid.y < 53.6


def test_geojson_naming_an_unknown_crs_is_refused(app, tmp_path):
    lonlat = [[[-2.1, 53.5], [-2.0, 53.5], [-2.0, 53.6], [-2.1, 53.5]]]
    path = write_geojson(tmp_path / "odd.geojson", [ward_feature(coords=lonlat)], crs_name="EPSG:999999")

    refused(run(app, "import-wards", path), "odd.geojson", "'EPSG:999999'", "not a known CRS")
    assert count(app, Ward) == 0


def test_geojson_naming_british_national_grid_is_read_as_such(app, tmp_path):
    path = write_geojson(tmp_path / "urn.geojson", [ward_feature()], crs_name="urn:ogc:def:crs:EPSG::27700")

    result = run(app, "import-wards", path)

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert -2.2 < db.session.scalar(select(Ward)).geom.centroid.x < -2.0


@pytest.mark.parametrize("crs", ["999999", "EPSG:999999", "not a crs"])
def test_unknown_crs_option_is_refused(app, tmp_path, crs):
    path = write_geojson(tmp_path / "w.geojson", [ward_feature()])
    refused(run(app, "import-wards", path, "--crs", crs), "w.geojson", "not a known CRS")


def test_geopackage_saying_lon_lat_with_grid_coordinates_is_refused(app, tmp_path):
    path = write_vector(
        tmp_path / "mislabelled.gpkg",
        [{"ward_code": "E05900001", "ward_name": "One", "geometry": shapely.Polygon(BNG_SQUARE[0])}],
        crs="EPSG:4326",
    )
    refused(run(app, "import-wards", path), "mislabelled.gpkg", "EPSG:27700", "--crs 27700")


@pytest.mark.parametrize(
    "geometry, reason",
    [
        (None, "the geometry is missing (null)"),
        ({"type": "Polygon", "coordinates": []}, "the geometry is empty"),
    ],
)
def test_ward_with_null_or_empty_geometry_is_a_row_error(app, tmp_path, geometry, reason):
    lonlat = [[[-2.1, 53.5], [-2.0, 53.5], [-2.0, 53.6], [-2.1, 53.5]]]
    path = write_geojson(
        tmp_path / "holes.geojson",
        [ward_feature(coords=lonlat), feature({"ward_code": "E05900002", "ward_name": "Two"}, geometry)],
    )

    refused(run(app, "import-wards", path), "holes.geojson, row 3, field 'geometry'", reason)
    assert count(app, Ward) == 0


def test_ward_with_nan_coordinates_is_a_row_error(app, tmp_path):
    with warnings.catch_warnings():  # shapely warns about the NaN we mean to write
        warnings.simplefilter("ignore", RuntimeWarning)
        nan_corner = shapely.Polygon([(-2.1, 53.5), (float("nan"), float("nan")), (-2.0, 53.6), (-2.1, 53.5)])
        path = write_vector(
            tmp_path / "nan.gpkg", [{"ward_code": "E05900001", "ward_name": "One", "geometry": nan_corner}]
        )

    refused(run(app, "import-wards", path), "nan.gpkg, row 2, field 'geometry'", "not numbers")
    assert count(app, Ward) == 0


def test_asset_with_nan_coordinates_is_a_row_error(app, tmp_path):
    load_two_wards(app, tmp_path)
    raw = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Hall","category":"youth"},'
        '"geometry":{"type":"Point","coordinates":[NaN,NaN]}}]}'
    )
    path = write_geojson(tmp_path / "nan.geojson", [], raw=raw)

    refused(run(app, "import-assets", path), "nan.geojson, row 2, field 'geometry'")
    assert count(app, Asset) == 0


def test_asset_with_null_geometry_is_a_row_error(app, tmp_path):
    load_two_wards(app, tmp_path)
    path = write_geojson(
        tmp_path / "places.geojson",
        [
            feature({"name": "Hall", "category": "youth"}, {"type": "Point", "coordinates": [-2.18, 53.52]}),
            feature({"name": "Nowhere", "category": "youth"}, None),
        ],
    )

    refused(run(app, "import-assets", path), "places.geojson, row 3, field 'geometry'", "missing")
    assert count(app, Asset) == 0


def test_postcode_easting_that_is_not_a_number_is_named(app, tmp_path):
    path = write_csv(
        tmp_path / "pc.csv",
        ["postcode", "easting", "northing"],
        [["OL1 1AA", "392000", "404000"], ["OL1 1AB", "abc", "404100"]],
    )

    refused(run(app, "import-postcodes", path), "pc.csv, row 3, field 'easting'", "'abc' is not a number")
    assert count(app, Postcode) == 0


def test_blank_grid_reference_is_still_counted_not_refused(app, tmp_path):
    path = write_csv(
        tmp_path / "pc.csv", ["postcode", "easting", "northing"], [["OL1 1AA", "392000", "404000"], ["OL1 1AB", "", ""]]
    )
    result = run(app, "import-postcodes", path)
    assert result.exit_code == 0, result.output
    assert "skipped 1: the postcode has no grid reference" in result.output


def shapefile_wards(tmp_path, columns: dict) -> str:
    lonlat = shapely.box(-2.1, 53.5, -2.0, 53.6)
    return write_vector(tmp_path / "council.shp", [{**columns, "geometry": lonlat}])


def test_exact_column_names_win_over_truncated_shapefile_names(app, tmp_path):
    # As written by geopandas from ward_code, ward_code_old, ward_name, ward_name_welsh.
    path = shapefile_wards(
        tmp_path,
        {
            "ward_code": "W05000001",
            "ward_code_": "00NAAA",
            "ward_name": "Aberdaron",
            "ward_name_": "Aberdaron (Cymraeg)",
        },
    )

    result = run(app, "import-wards", path)

    assert result.exit_code == 0, result.output
    assert "ward codes from column 'ward_code', names from 'ward_name'" in result.output
    with app.app_context():
        assert [(w.code, w.name) for w in db.session.scalars(select(Ward))] == [("W05000001", "Aberdaron")]


def test_truncated_shapefile_name_alone_is_not_taken_for_the_column(app, tmp_path):
    path = shapefile_wards(tmp_path, {"ward_code_": "00NAAA", "ward_name": "Aberdaron"})

    refused(run(app, "import-wards", path), "council.shp", "'ward_code_'", "cut short", "--code-col")
    assert run(app, "import-wards", path, "--code-col", "ward_code_").exit_code == 0


def test_two_columns_that_could_be_meant_stop_the_import_and_are_listed(app, tmp_path):
    load_two_wards(app, tmp_path)
    path = write_csv(
        tmp_path / "two_names.csv",
        ["Name", "NAME", "category", "longitude", "latitude"],
        [["Hall", "HALL OLD", "youth", -2.18, 53.52]],
    )

    refused(run(app, "import-assets", path), "two_names.csv", "'Name', 'NAME'", "could each be the name column")
    assert count(app, Asset) == 0


@pytest.mark.parametrize(
    "command",
    [
        ["import-wards", "{wards}"],
        ["import-assets", "{assets}"],
        ["import-postcodes", "{postcodes}"],
        ["gaps", "--out", "{out}"],
        ["export", "--out", "{out}"],
    ],
)
def test_commands_before_init_db_say_to_run_it(tmp_path, command):
    fresh = create_app({**BASE_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'new.sqlite'}"})
    files = {
        "wards": write_geojson(
            tmp_path / "w.geojson", [ward_feature(coords=[[[-2.1, 53.5], [-2.0, 53.5], [-2.0, 53.6], [-2.1, 53.5]]])]
        ),
        "assets": write_csv(
            tmp_path / "a.csv", ["name", "category", "longitude", "latitude"], [["Hall", "youth", -2.05, 53.55]]
        ),
        "postcodes": write_csv(tmp_path / "p.csv", ["postcode", "longitude", "latitude"], [["OL1 1AA", -2.05, 53.55]]),
        "out": tmp_path / "out.csv",
    }

    with fresh.app_context():  # as `flask --app webmap ...` runs every command
        result = fresh.test_cli_runner().invoke(args=[part.format(**files) for part in command])
        db.engine.dispose()

    refused(result, "flask --app webmap init-db")


@pytest.mark.skipif("postgresql" not in os.environ.get("WEBMAP_TEST_DATABASE_URL", ""), reason="PostGIS only")
def test_postgis_database_without_tables_says_to_run_init_db(database_url, tmp_path):
    fresh = create_app({**BASE_CONFIG, "DATABASE_URL": database_url + "?options=-csearch_path%3Di11_empty"})
    with fresh.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS i11_empty"))
    path = write_csv(tmp_path / "p.csv", ["postcode", "longitude", "latitude"], [["OL1 1AA", -2.05, 53.55]])

    refused(run(fresh, "import-postcodes", path), "flask --app webmap init-db")
    with fresh.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA i11_empty CASCADE"))
        db.engine.dispose()
