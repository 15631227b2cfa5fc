"""import-assets: CSV (lon/lat, easting/northing, postcode) and GIS files, wards, categories, errors."""

from __future__ import annotations

import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import select

from tests.importing_helpers import (
    EAST,
    NORTH,
    SOUTH,
    WARD_A,
    WARD_B,
    WEST,
    count,
    load_two_wards,
    run,
    write_csv,
    write_vector,
)
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, Category, Postcode, Ward

IN_A = (-2.18, 53.52)
IN_B = (-2.12, 53.53)
OUTSIDE = (-1.5, 53.52)


@pytest.fixture
def wards_app(app, tmp_path):
    """The app with the two test wards loaded."""
    load_two_wards(app, tmp_path)
    return app


def assets_in_db(app) -> list[dict]:
    with app.app_context():
        return [
            {
                "name": a.name,
                "ward": a.ward_code,
                "lon": a.lon,
                "lat": a.lat,
                "geom": a.geom,
                "categories": sorted(a.category_ids()),
                "source": a.source,
                "source_id": a.source_id,
                "postcode": a.postcode,
                "status": a.status,
            }
            for a in db.session.scalars(select(Asset).order_by(Asset.name))
        ]


def by_name(app) -> dict[str, dict]:
    return {a["name"]: a for a in assets_in_db(app)}


def lonlat_csv(path, rows, header=("name", "category", "longitude", "latitude")):
    return write_csv(path, list(header), rows)


def test_csv_with_longitude_latitude(wards_app, tmp_path):
    path = lonlat_csv(tmp_path / "assets.csv", [["Hall", "community_space", *IN_A], ["Library", "library", *IN_B]])

    result = run(wards_app, "import-assets", path)

    assert result.exit_code == 0, result.output
    assert "assets.csv: read 2, imported 2, updated 0, skipped 0, refused 0." in result.output
    found = by_name(wards_app)
    assert (found["Hall"]["ward"], found["Library"]["ward"]) == (WARD_A, WARD_B)
    assert (found["Hall"]["lon"], found["Hall"]["lat"]) == IN_A
    assert found["Hall"]["geom"].equals(shapely.Point(IN_A))
    assert found["Hall"]["categories"] == ["community_space"]
    assert found["Hall"]["source"] == "assets" and found["Hall"]["status"] == "approved"


def test_csv_with_easting_northing(wards_app, tmp_path):
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    e_a, n_a = to_bng.transform(*IN_A)
    e_b, n_b = to_bng.transform(*IN_B)
    path = write_csv(
        tmp_path / "bng.csv",
        ["name", "category", "easting", "northing"],
        [["West", "youth", round(e_a), round(n_a)], ["East", "youth", round(e_b), round(n_b)]],
    )

    result = run(wards_app, "import-assets", path)

    assert result.exit_code == 0, result.output
    found = by_name(wards_app)
    assert (found["West"]["ward"], found["East"]["ward"]) == (WARD_A, WARD_B)
    assert (found["West"]["lon"], found["West"]["lat"]) == pytest.approx(IN_A, abs=1e-5)  # metre-rounded grid ref


def test_csv_with_postcodes_after_import_postcodes(wards_app, tmp_path):
    postcodes = write_csv(
        tmp_path / "pc.csv", ["postcode", "longitude", "latitude"], [["OL1 1AA", *IN_A], ["OL1 1AB", *IN_B]]
    )
    path = write_csv(
        tmp_path / "by_postcode.csv",
        ["name", "category", "postcode"],
        [["Chapel", "faith", "ol11aa"], ["Shop", "local_business", "OL1 1AB"]],
    )

    before = run(wards_app, "import-assets", path)
    assert before.exit_code != 0
    assert "import-postcodes" in before.output and count(wards_app, Asset) == 0

    assert run(wards_app, "import-postcodes", postcodes).exit_code == 0
    result = run(wards_app, "import-assets", path)

    assert result.exit_code == 0, result.output
    found = by_name(wards_app)
    assert (found["Chapel"]["lon"], found["Chapel"]["lat"]) == IN_A
    assert (found["Chapel"]["ward"], found["Shop"]["ward"]) == (WARD_A, WARD_B)
    assert found["Chapel"]["postcode"] == "OL1 1AA"


def test_unknown_postcode_names_the_row(wards_app, tmp_path):
    assert (
        run(
            wards_app,
            "import-postcodes",
            write_csv(tmp_path / "pc.csv", ["postcode", "longitude", "latitude"], [["OL1 1AA", *IN_A]]),
        ).exit_code
        == 0
    )
    path = write_csv(
        tmp_path / "by_pc.csv",
        ["name", "category", "postcode"],
        [["A", "faith", "OL1 1AA"], ["B", "faith", "OL9 9ZZ"], ["C", "faith", "not one"]],
    )

    result = run(wards_app, "import-assets", path)

    assert result.exit_code != 0
    assert "by_pc.csv, row 3, field 'postcode': postcode OL9 9ZZ is not in the postcode table" in result.output
    assert "by_pc.csv, row 4, field 'postcode': 'not one' is not a UK postcode" in result.output
    assert count(wards_app, Asset) == 0


def test_polygons_become_points_inside_them(wards_app, tmp_path):
    # An L shape whose centroid lies outside it: the point must be inside the polygon.
    ell = shapely.Polygon(
        [
            (-2.14, 53.51),
            (-2.11, 53.51),
            (-2.11, 53.515),
            (-2.135, 53.515),
            (-2.135, 53.54),
            (-2.14, 53.54),
            (-2.14, 53.51),
        ]
    )
    assert not ell.contains(ell.centroid)
    path = write_vector(
        tmp_path / "sites.geojson",
        [
            {"name": "Park", "category": "green_space", "geometry": ell},
            {"name": "Square", "category": "green_space", "geometry": shapely.box(-2.19, 53.51, -2.17, 53.52)},
            {"name": "Point", "category": "green_space", "geometry": shapely.Point(IN_B)},
            {"name": "Two sites", "category": "green_space", "geometry": shapely.MultiPoint([IN_A, (-2.17, 53.53)])},
            {
                "name": "Path",
                "category": "green_space",
                "geometry": shapely.LineString([(-2.14, 53.51), (-2.12, 53.51)]),
            },
        ],
    )

    result = run(wards_app, "import-assets", path)

    assert result.exit_code == 0, result.output
    found = by_name(wards_app)
    assert ell.contains(shapely.Point(found["Park"]["lon"], found["Park"]["lat"]))
    assert found["Park"]["geom"].geom_type == "Point"
    assert found["Park"]["ward"] == WARD_B
    assert shapely.box(-2.19, 53.51, -2.17, 53.52).contains(found["Square"]["geom"])
    assert found["Square"]["ward"] == WARD_A
    assert (found["Point"]["lon"], found["Point"]["lat"]) == IN_B
    assert found["Two sites"]["geom"].geom_type == "Point" and found["Two sites"]["ward"] == WARD_A
    assert shapely.LineString([(-2.14, 53.51), (-2.12, 53.51)]).distance(found["Path"]["geom"]) < 1e-7


def test_points_outside_every_ward_are_skipped_and_named(wards_app, tmp_path):
    path = lonlat_csv(
        tmp_path / "mixed.csv",
        [
            ["In", "youth", *IN_A],
            ["Out 1", "youth", *OUTSIDE],
            ["In too", "youth", *IN_B],
            ["Out 2", "youth", -3.0, 51.0],
        ],
    )

    result = run(wards_app, "import-assets", path)

    assert result.exit_code == 0, result.output
    assert "mixed.csv: read 4, imported 2, updated 0, skipped 2, refused 0." in result.output
    assert "skipped 2: the point is more than 800 m outside every ward" in result.output
    assert "rows outside every ward: 3, 5" in result.output
    assert sorted(by_name(wards_app)) == ["In", "In too"]


def test_unknown_categories_stop_the_import_with_a_list(wards_app, tmp_path):
    path = lonlat_csv(
        tmp_path / "cats.csv",
        [["A", "youth", *IN_A], ["B", "Bingo", *IN_A], ["C", "library;Knitting circle", *IN_B], ["D", "Bingo", *IN_B]],
    )
    categories = count(wards_app, Category)

    result = run(wards_app, "import-assets", path)

    assert result.exit_code != 0
    assert "'Bingo' (first in row 3)" in result.output
    assert "'Knitting circle' (first in row 4)" in result.output
    assert "--category-map" in result.output and "--add-categories" in result.output
    assert count(wards_app, Asset) == 0
    assert count(wards_app, Category) == categories


def test_category_map_file(wards_app, tmp_path):
    mapping = write_csv(
        tmp_path / "map.csv", ["value", "category"], [["Bingo", "community_space"], ["knitting circle", "arts_culture"]]
    )
    path = lonlat_csv(tmp_path / "cats.csv", [["B", "bingo", *IN_A], ["C", "Knitting Circle;library", *IN_B]])

    result = run(wards_app, "import-assets", path, "--category-map", mapping)

    assert result.exit_code == 0, result.output
    found = by_name(wards_app)
    assert found["B"]["categories"] == ["community_space"]
    assert found["C"]["categories"] == ["arts_culture", "library"]


def test_category_map_naming_an_unknown_category_is_an_error(wards_app, tmp_path):
    mapping = write_csv(tmp_path / "map.csv", ["value", "category"], [["Bingo", "community_space"], ["Chess", "games"]])
    path = lonlat_csv(tmp_path / "cats.csv", [["B", "Bingo", *IN_A]])

    result = run(wards_app, "import-assets", path, "--category-map", mapping)

    assert result.exit_code != 0
    assert "map.csv, row 3, field 'category': 'games' is not a category id" in result.output
    assert count(wards_app, Asset) == 0


def test_add_categories(wards_app, tmp_path):
    path = lonlat_csv(
        tmp_path / "cats.csv", [["B", "Bingo Hall", *IN_A], ["Y", "youth", *IN_B], ["F", "Food-Support", *IN_B]]
    )

    result = run(wards_app, "import-assets", path, "--add-categories")

    assert result.exit_code == 0, result.output
    assert "added category 'bingo_hall' for 'Bingo Hall'" in result.output
    with wards_app.app_context():
        added = db.session.get(Category, "bingo_hall")
        assert added is not None and added.label == "Bingo Hall"
    found = by_name(wards_app)
    assert found["B"]["categories"] == ["bingo_hall"]
    assert found["Y"]["categories"] == ["youth"]
    # A value whose made-up id is already a category goes to that category, rather than failing.
    assert found["F"]["categories"] == ["food_support"]


def test_labels_and_several_categories(wards_app, tmp_path):
    path = lonlat_csv(
        tmp_path / "labels.csv",
        [
            ["A", "Food support", *IN_A],
            ["B", "library; Parks and green space ;YOUTH", *IN_B],
            ["C", "youth;Youth", *IN_B],
        ],
    )

    result = run(wards_app, "import-assets", path)

    assert result.exit_code == 0, result.output
    found = by_name(wards_app)
    assert found["A"]["categories"] == ["food_support"]
    assert found["B"]["categories"] == ["green_space", "library", "youth"]
    assert found["C"]["categories"] == ["youth"]


def test_category_col_option(wards_app, tmp_path):
    path = lonlat_csv(
        tmp_path / "t.csv", [["A", "youth", *IN_A]], header=("name", "service_kind", "longitude", "latitude")
    )
    assert "--category-col" in run(wards_app, "import-assets", path).output
    result = run(wards_app, "import-assets", path, "--category-col", "service_kind")
    assert result.exit_code == 0, result.output
    assert by_name(wards_app)["A"]["categories"] == ["youth"]


@pytest.mark.parametrize(
    "lat, reason",
    [
        ("fifty-three", "'fifty-three' is not a number"),
        ("", "is blank, but the other coordinate is given"),
        ("inf", "'inf' is not a finite number"),
        ("153.5", "is not a longitude/latitude"),
    ],
)
def test_bad_latitude_names_file_row_and_field(wards_app, tmp_path, lat, reason):
    path = lonlat_csv(tmp_path / "bad.csv", [["A", "youth", *IN_A], ["B", "youth", IN_B[0], lat]])

    result = run(wards_app, "import-assets", path)

    assert result.exit_code != 0
    assert "bad.csv, row 3, field 'latitude'" in result.output and reason in result.output
    assert count(wards_app, Asset) == 0


def test_reimport_with_same_source_updates(wards_app, tmp_path):
    first = lonlat_csv(
        tmp_path / "v1.csv",
        [["Hall", "youth", *IN_A], ["Library", "library", *IN_B]],
        header=("name", "category", "longitude", "latitude"),
    )
    with_ids = write_csv(
        tmp_path / "v2.csv",
        ["id", "name", "category", "longitude", "latitude"],
        [["1", "Hall", "youth", *IN_A], ["2", "Library", "library", *IN_B]],
    )
    renamed = write_csv(
        tmp_path / "v3.csv",
        ["id", "name", "category", "longitude", "latitude"],
        [["1", "Hall (renamed)", "sport", *IN_B], ["2", "Library", "library", *IN_B], ["3", "New", "youth", *IN_A]],
    )

    assert run(wards_app, "import-assets", first, "--source", "council").exit_code == 0
    again = run(wards_app, "import-assets", first, "--source", "council")
    assert again.exit_code == 0 and "imported 0, updated 2" in again.output
    assert count(wards_app, Asset) == 2

    assert run(wards_app, "import-assets", with_ids, "--source", "register").exit_code == 0
    result = run(wards_app, "import-assets", renamed, "--source", "register")

    assert result.exit_code == 0, result.output
    assert "read 3, imported 1, updated 2" in result.output
    assert count(wards_app, Asset) == 5  # 2 from "council", 3 from "register"
    hall = [a for a in assets_in_db(wards_app) if a["source"] == "register" and a["source_id"] == "1"]
    assert len(hall) == 1
    assert (hall[0]["name"], hall[0]["categories"], hall[0]["ward"]) == ("Hall (renamed)", ["sport"], WARD_B)


@pytest.mark.parametrize("reverse", [False, True])
def test_point_on_shared_boundary_gets_exactly_one_ward(app, tmp_path, reverse):
    load_two_wards(app, tmp_path, reverse=reverse)
    with app.app_context():
        a = db.session.scalar(select(Ward).where(Ward.code == WARD_A)).geom
        b = db.session.scalar(select(Ward).where(Ward.code == WARD_B)).geom
    edge_x = a.bounds[2]
    assert edge_x == b.bounds[0]  # the stored polygons share the edge exactly
    on_edge = shapely.Point(edge_x, (SOUTH + NORTH) / 2)
    assert a.intersects(on_edge) and b.intersects(on_edge) and not a.contains(on_edge)
    path = lonlat_csv(tmp_path / "edge.csv", [["Edge", "youth", repr(edge_x), repr(on_edge.y)]])

    result = run(app, "import-assets", path)

    assert result.exit_code == 0, result.output
    found = assets_in_db(app)
    assert len(found) == 1
    assert found[0]["ward"] == WARD_A  # the code that sorts first, whatever order the wards were loaded in


def test_dry_run(wards_app, tmp_path):
    path = lonlat_csv(tmp_path / "dry.csv", [["A", "Bingo", *IN_A], ["B", "youth", *OUTSIDE]])
    events, categories = count(wards_app, AuditEvent), count(wards_app, Category)

    result = run(wards_app, "import-assets", path, "--dry-run", "--add-categories")

    assert result.exit_code == 0, result.output
    assert "Dry run, nothing saved. dry.csv: read 2, imported 1, updated 0, skipped 1, refused 0." in result.output
    assert count(wards_app, Asset) == 0
    assert count(wards_app, Category) == categories
    assert count(wards_app, AuditEvent) == events


def test_progress_bar_on_large_files_only(wards_app, tmp_path):
    # Click 8.2+ CliRunner keeps stderr apart (result.stderr); result.output interleaves both streams.
    rows = [
        [
            f"Asset {i}",
            "youth",
            round(WEST + 0.0001 + (EAST - WEST - 0.0002) * (i % 97) / 97, 6),
            round(SOUTH + 0.0001 + (NORTH - SOUTH - 0.0002) * (i % 89) / 89, 6),
        ]
        for i in range(2100)
    ]
    big = lonlat_csv(tmp_path / "big.csv", rows)
    small = lonlat_csv(tmp_path / "small.csv", rows[:50])

    result = run(wards_app, "import-assets", big, "--source", "big")
    assert result.exit_code == 0, result.output
    assert "Importing assets" in result.stderr
    assert "Importing assets" not in result.stdout
    assert "big.csv: read 2100, imported 2100" in result.stdout
    assert count(wards_app, Asset) == 2100

    result = run(wards_app, "import-assets", small, "--source", "small")
    assert result.exit_code == 0, result.output
    assert "Importing assets" not in result.stderr


def test_failure_leaves_existing_assets_unchanged(wards_app, tmp_path):
    first = write_csv(
        tmp_path / "a.csv", ["id", "name", "category", "longitude", "latitude"], [["1", "Hall", "youth", *IN_A]]
    )
    assert run(wards_app, "import-assets", first, "--source", "s").exit_code == 0
    before = assets_in_db(wards_app)
    bad = write_csv(
        tmp_path / "b.csv",
        ["id", "name", "category", "longitude", "latitude"],
        [["1", "Renamed", "sport", *IN_B], ["2", "New", "youth", *IN_A], ["3", "Bad", "youth", "x", "y"]],
    )

    result = run(wards_app, "import-assets", bad, "--source", "s")

    assert result.exit_code != 0
    assert "b.csv, row 4, field 'longitude': 'x' is not a number" in result.output
    assert [(a["name"], a["categories"], a["ward"]) for a in assets_in_db(wards_app)] == [
        (a["name"], a["categories"], a["ward"]) for a in before
    ]


def test_cp1252_csv_is_read_and_said(wards_app, tmp_path):
    path = write_csv(
        tmp_path / "win.csv",
        ["name", "category", "longitude", "latitude"],
        [["Café Société", "community_space", *IN_A]],
        encoding="cp1252",
    )

    result = run(wards_app, "import-assets", path)

    assert result.exit_code == 0, result.output
    assert "win.csv is not UTF-8" in result.stderr and "cp1252" in result.stderr
    assert list(by_name(wards_app)) == ["Café Société"]


def test_postcode_points_with_no_ward_postcodes_table(wards_app, tmp_path):
    """Postcode placement uses the postcode table, whose points are then given wards by polygon."""
    assert (
        run(
            wards_app,
            "import-postcodes",
            write_csv(tmp_path / "pc.csv", ["postcode", "longitude", "latitude"], [["OL1 1AA", *OUTSIDE]]),
        ).exit_code
        == 0
    )
    with wards_app.app_context():
        assert db.session.get(Postcode, "OL1 1AA").ward_code is None
    path = write_csv(tmp_path / "a.csv", ["name", "category", "postcode"], [["Far", "youth", "OL1 1AA"]])
    result = run(wards_app, "import-assets", path)
    assert result.exit_code == 0, result.output
    assert "skipped 1: the point is more than 800 m outside every ward" in result.output
    assert count(wards_app, Asset) == 0
