"""import-wards: formats, CRSs, ONS column names, repairs, updates, errors and transactions."""

from __future__ import annotations

import json

import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import select

import webmap.importers.wards as wards_module
from tests.dump_helpers import database_dump, without_sequence_positions
from tests.importing_helpers import box, count, run, write_vector
from webmap.core.db import db
from webmap.core.models import Ward
from webmap.importers.common import checked_text


def wards_in_db(app) -> dict[str, Ward]:
    with app.app_context():
        found = {w.code: w for w in db.session.scalars(select(Ward))}
        for w in found.values():
            db.session.expunge(w)
        return found


BNG_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def has_vertex(geom, lon: float, lat: float) -> bool:
    """Say whether the geometry has a vertex at (lon, lat), to the 1e-7 degree grid ward geometries are stored on."""
    return bool((abs(shapely.get_coordinates(geom) - (lon, lat)) <= 1e-7).all(axis=1).any())


def bng_squares(n: int = 3, **extra) -> list[dict]:
    """n 1 km squares in EPSG:27700, the first with its south-west corner at (400000, 400000)."""
    return [
        {
            "ward_code": f"E0590000{i + 1}",
            "ward_name": f"Ward {i + 1}",
            "geometry": box(400000 + i * 1000, 400000, 401000 + i * 1000, 401000),
            **extra,
        }
        for i in range(n)
    ]


def test_geojson_in_british_national_grid_is_reprojected(app, tmp_path):
    path = write_vector(tmp_path / "bng.geojson", bng_squares(), crs="EPSG:27700")
    assert "27700" in json.dumps(json.loads(path.read_text()).get("crs")), "test file should declare its CRS"

    result = run(app, "import-wards", path)

    assert result.exit_code == 0, result.output
    assert "read 3, imported 3, updated 0, skipped 0" in result.output
    wards = wards_in_db(app)
    assert set(wards) == {"E05900001", "E05900002", "E05900003"}
    minx, miny, maxx, maxy = wards["E05900001"].geom.bounds
    # Easting 400000 is the grid's central meridian (2 W on the OSGB36 datum); the datum shift to WGS84
    # moves it about 100 m west there. pyproj gives the exact corner.
    lon, lat = BNG_TO_WGS84.transform(400000, 400000)
    assert lon == pytest.approx(-2.0015, abs=1e-4)
    assert has_vertex(wards["E05900001"].geom, lon, lat)
    assert maxx - minx == pytest.approx(0.015, abs=2e-3)  # 1 km at 53.5 N is ~0.0151 degrees of longitude
    assert wards["E05900001"].geom.geom_type == "MultiPolygon"


@pytest.mark.parametrize(
    "code_col, name_col, options",
    [
        ("WD23CD", "WD23NM", []),
        ("WD13CD", "WD13NM", []),
        ("ward_code", "ward_name", []),
        ("area_code", "area_name", []),
        ("my_code", "my_label", ["--code-col", "my_code", "--name-col", "my_label"]),
    ],
)
def test_ons_column_names_and_overrides(app, tmp_path, code_col, name_col, options):
    rows = [
        {code_col: "E05000954", name_col: "Bebington", "other": "x", "geometry": box(-3.0, 53.3, -2.99, 53.31)},
        {
            code_col: "E05000955",
            name_col: "Bidston and St James",
            "other": "y",
            "geometry": box(-2.99, 53.3, -2.98, 53.31),
        },
    ]
    path = write_vector(tmp_path / "wards.geojson", rows)

    result = run(app, "import-wards", path, *options)

    assert result.exit_code == 0, result.output
    wards = wards_in_db(app)
    assert {c: w.name for c, w in wards.items()} == {"E05000954": "Bebington", "E05000955": "Bidston and St James"}


def test_unrecognised_columns_ask_for_the_option(app, tmp_path):
    rows = [{"my_code": "E05000954", "my_label": "Bebington", "geometry": box(-3.0, 53.3, -2.99, 53.31)}]
    path = write_vector(tmp_path / "odd.geojson", rows)

    result = run(app, "import-wards", path)

    assert result.exit_code != 0
    assert "odd.geojson" in result.output and "--code-col" in result.output and "my_code" in result.output
    assert count(app, Ward) == 0


def test_override_naming_a_missing_column_is_an_error(app, tmp_path):
    path = write_vector(tmp_path / "w.geojson", bng_squares(1), crs="EPSG:27700")
    result = run(app, "import-wards", path, "--code-col", "WD99CD")
    assert result.exit_code != 0
    assert "WD99CD" in result.output and "w.geojson" in result.output


@pytest.mark.parametrize("suffix", ["gpkg", "shp"])
def test_geopackage_and_shapefile(app, tmp_path, suffix):
    path = write_vector(tmp_path / f"wards.{suffix}", bng_squares(2), crs="EPSG:27700")

    result = run(app, "import-wards", path)

    assert result.exit_code == 0, result.output
    wards = wards_in_db(app)
    assert sorted(wards) == ["E05900001", "E05900002"]
    assert wards["E05900002"].name == "Ward 2"
    assert has_vertex(wards["E05900002"].geom, *BNG_TO_WGS84.transform(401000, 400000))


def test_file_without_crs_needs_the_crs_option(app, tmp_path):
    path = write_vector(tmp_path / "nocrs.shp", bng_squares(2), crs=None)
    assert not path.with_suffix(".prj").exists()

    result = run(app, "import-wards", path)
    assert result.exit_code != 0
    assert "nocrs.shp" in result.output and "--crs" in result.output
    assert count(app, Ward) == 0

    result = run(app, "import-wards", path, "--crs", "EPSG:27700")
    assert result.exit_code == 0, result.output
    assert has_vertex(wards_in_db(app)["E05900001"].geom, *BNG_TO_WGS84.transform(400000, 400000))


def test_invalid_bow_tie_polygon_is_repaired_and_reported(app, tmp_path):
    bow_tie = shapely.Polygon([(-2.2, 53.5), (-2.1, 53.6), (-2.1, 53.5), (-2.2, 53.6), (-2.2, 53.5)])
    assert not bow_tie.is_valid
    rows = [
        {"ward_code": "E05900001", "ward_name": "Bow", "geometry": bow_tie},
        {"ward_code": "E05900002", "ward_name": "Plain", "geometry": box(-2.1, 53.5, -2.0, 53.6)},
    ]
    path = write_vector(tmp_path / "bowtie.geojson", rows)

    result = run(app, "import-wards", path)

    assert result.exit_code == 0, result.output
    assert "repaired 1 invalid geometries with make_valid (E05900001)" in result.output
    geom = wards_in_db(app)["E05900001"].geom
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    assert len(geom.geoms) == 2  # the two triangles of the bow tie
    assert geom.area == pytest.approx(0.005, rel=1e-3)


def test_reimport_updates_the_ward(app, tmp_path):
    first = write_vector(
        tmp_path / "first.geojson",
        [{"ward_code": "E05900001", "ward_name": "Old name", "geometry": box(-2.2, 53.5, -2.1, 53.6)}],
    )
    second = write_vector(
        tmp_path / "second.geojson",
        [
            {"ward_code": "E05900001", "ward_name": "New name", "geometry": box(-2.3, 53.5, -2.1, 53.6)},
            {"ward_code": "E05900002", "ward_name": "Another", "geometry": box(-2.1, 53.5, -2.0, 53.6)},
        ],
    )
    assert run(app, "import-wards", first).exit_code == 0

    result = run(app, "import-wards", second)

    assert result.exit_code == 0, result.output
    assert "read 2, imported 1, updated 1" in result.output
    wards = wards_in_db(app)
    assert count(app, Ward) == 2
    assert wards["E05900001"].name == "New name"
    assert wards["E05900001"].geom.bounds[0] == pytest.approx(-2.3)
    assert wards["E05900001"].source == "second.geojson"


def test_duplicate_code_in_one_file_names_both_rows(app, tmp_path):
    rows = [
        {"ward_code": f"E0590000{i}", "ward_name": f"W{i}", "geometry": box(-2.2 + i / 10, 53.5, -2.1 + i / 10, 53.6)}
        for i in range(1, 4)
    ]
    rows.append({"ward_code": "E05900002", "ward_name": "Again", "geometry": box(-1.7, 53.5, -1.6, 53.6)})
    path = write_vector(tmp_path / "dupes.geojson", rows)

    result = run(app, "import-wards", path)

    assert result.exit_code != 0
    assert "dupes.geojson, row 5, field 'ward_code': ward code E05900002 appears twice (also row 3)" in result.output
    assert count(app, Ward) == 0


def test_empty_code_names_row_and_field(app, tmp_path):
    rows = [
        {"WD23CD": "E05900001", "WD23NM": "One", "geometry": box(-2.2, 53.5, -2.1, 53.6)},
        {"WD23CD": "  ", "WD23NM": "Two", "geometry": box(-2.1, 53.5, -2.0, 53.6)},
    ]
    path = write_vector(tmp_path / "blank.geojson", rows)

    result = run(app, "import-wards", path)

    assert result.exit_code != 0
    assert "blank.geojson, row 3, field 'WD23CD': the ward code is empty" in result.output
    assert count(app, Ward) == 0


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("garbage.geojson", "this is { not json", "cannot be read as a GIS file"),
        ("empty.geojson", "", "cannot be read as a GIS file"),
        ("nofeatures.geojson", '{"type": "FeatureCollection", "features": []}', "has no rows"),
        (
            "points.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"ward_code": "E05900001", "ward_name": "P"},
                            "geometry": {"type": "Point", "coordinates": [-2.2, 53.5]},
                        }
                    ],
                }
            ),
            "not a polygon",
        ),
    ],
)
def test_bad_file_names_the_file(app, tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_text(content)

    result = run(app, "import-wards", path)

    assert result.exit_code != 0
    assert name in result.output and reason in result.output
    assert "Traceback" not in result.output
    assert count(app, Ward) == 0


def test_missing_file_names_the_file(app, tmp_path):
    result = run(app, "import-wards", tmp_path / "nowhere.geojson")
    assert result.exit_code != 0
    assert "nowhere.geojson" in result.output and "no such file" in result.output


def test_dry_run_prints_summary_and_changes_nothing(app, tmp_path):
    path = write_vector(tmp_path / "bng.geojson", bng_squares(), crs="EPSG:27700")
    before = without_sequence_positions(database_dump(app))

    result = run(app, "import-wards", path, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Dry run, nothing saved. bng.geojson: read 3, imported 3, updated 0, skipped 0, refused 0." in result.output
    assert count(app, Ward) == 0
    assert without_sequence_positions(database_dump(app)) == before  # no row changed, audit trail and sources included


def test_bad_population_after_good_rows_leaves_database_as_before(app, tmp_path):
    before_file = write_vector(tmp_path / "before.geojson", bng_squares(2, population=100), crs="EPSG:27700")
    assert run(app, "import-wards", before_file).exit_code == 0
    before = without_sequence_positions(database_dump(app))
    assert "Renamed" not in before and len(wards_in_db(app)) == 2
    rows = bng_squares(4, population="250")
    rows[0]["ward_name"] = "Renamed"
    rows[3]["population"] = "lots"
    path = write_vector(tmp_path / "badpop.geojson", rows, crs="EPSG:27700")

    result = run(app, "import-wards", path)

    assert result.exit_code != 0
    assert "badpop.geojson, row 5, field 'population': 'lots' is not a population figure" in result.output
    assert (
        without_sequence_positions(database_dump(app)) == before
    )  # every table as it was: wards, sources, audit trail


def test_failure_half_way_through_writing_rolls_back(app, tmp_path, monkeypatch):
    """Rows already flushed to the database are undone when a later row fails."""
    assert (
        run(app, "import-wards", write_vector(tmp_path / "a.geojson", bng_squares(2), crs="EPSG:27700")).exit_code == 0
    )
    before = without_sequence_positions(database_dump(app))
    real = wards_module.to_multipolygon
    calls = {"n": 0}

    def failing(geom):
        # to_multipolygon runs once per row while checking and once per row while writing.
        calls["n"] += 1
        if calls["n"] == 4 + 2:
            db.session.flush()  # the renamed first row really reaches the database
        if calls["n"] == 4 + 3:
            raise OSError("disk full")
        return real(geom)

    monkeypatch.setattr(wards_module, "to_multipolygon", failing)
    rows = bng_squares(4)
    rows[0]["ward_name"] = "Renamed"
    result = run(app, "import-wards", write_vector(tmp_path / "b.geojson", rows, crs="EPSG:27700"))

    assert result.exit_code != 0
    assert isinstance(result.exception, OSError)
    assert calls["n"] == 7
    assert (
        without_sequence_positions(database_dump(app)) == before
    )  # the flushed rename is undone, nothing else changed


def test_file_without_crs_but_lon_lat_coordinates_is_read_as_wgs84(app, tmp_path):
    rows = [{"ward_code": "E05900201", "ward_name": "Lonlat", "geometry": box(-2.2, 53.5, -2.1, 53.55)}]
    path = write_vector(tmp_path / "lonlat.shp", rows, crs=None)

    result = run(app, "import-wards", path)

    assert result.exit_code == 0, result.output
    assert "EPSG:4326 is assumed" in result.stderr
    assert count(app, Ward) == 1


def test_unsupported_format_is_named(app, tmp_path):
    path = tmp_path / "wards.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a spreadsheet")

    result = run(app, "import-wards", path)

    assert result.exit_code != 0
    assert "wards.xlsx" in result.output and "'.xlsx' files are not supported" in result.output
    assert count(app, Ward) == 0


def test_file_over_the_size_limit_is_refused_before_reading(make_app, tmp_path):
    app = make_app(MAX_IMPORT_MB=1)
    path = write_vector(tmp_path / "big.geojson", bng_squares(2), crs="EPSG:27700")
    path.write_text(path.read_text() + " " * 1_100_000)

    result = run(app, "import-wards", path)

    assert result.exit_code != 0
    assert "big.geojson: is 1.1 MB, over the import limit of 1 MB" in result.output


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan")])
def test_checked_text_refuses_a_blank_the_row_checks_let_through(blank):
    assert checked_text("  E05000001 ") == "E05000001"
    with pytest.raises(ValueError, match="passed the row checks"):
        checked_text(blank)
