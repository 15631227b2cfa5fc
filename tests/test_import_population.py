"""import-population: ward-level tables, and LSOA tables summed through an LSOA-to-ward lookup."""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import select

from tests.importing_helpers import (
    EAST,
    MID,
    NORTH,
    SOUTH,
    WARD_A,
    WARD_B,
    WEST,
    box,
    count,
    load_two_wards,
    run,
    write_csv,
    write_vector,
)
from webmap.core import store
from webmap.core.db import db
from webmap.core.models import PopulationArea, Ward


@pytest.fixture
def wards_app(app, tmp_path):
    load_two_wards(app, tmp_path)
    return app


def ward_figures(app) -> dict[str, tuple]:
    with app.app_context():
        return {w.code: (w.population, w.deprivation) for w in db.session.scalars(select(Ward))}


def area_rows(app) -> dict[str, tuple]:
    with app.app_context():
        return {a.code: (a.ward_code, a.population) for a in db.session.scalars(select(PopulationArea))}


def test_ward_level_table_with_thousands_separators(wards_app, tmp_path):
    path = write_csv(
        tmp_path / "wardpop.csv",
        ["ward_code", "ward_name", "population", "imd_decile"],
        [[WARD_A, "Alpha", "1,296", "2"], [WARD_B, "Beta", " 12,345 ", ""], ["E05999999", "Elsewhere", "7", "1"]],
    )

    result = run(wards_app, "import-population", path)

    assert result.exit_code == 0, result.output
    assert "wardpop.csv: read 3, imported 0, updated 2, skipped 1, refused 0." in result.output
    assert "skipped 1: the ward code is not among the loaded wards" in result.output
    assert ward_figures(wards_app) == {WARD_A: (1296.0, 2.0), WARD_B: (12345.0, None)}


def test_ward_level_columns_by_option(wards_app, tmp_path):
    path = write_csv(tmp_path / "odd.csv", ["gss", "people"], [[WARD_A, "10"], [WARD_B, "20"]])
    missing = run(wards_app, "import-population", path)
    assert missing.exit_code != 0 and "--population-col" in missing.output

    result = run(wards_app, "import-population", path, "--population-col", "people", "--code-col", "gss")

    assert result.exit_code == 0, result.output
    assert {c: p for c, (p, _) in ward_figures(wards_app).items()} == {WARD_A: 10.0, WARD_B: 20.0}


def test_bad_population_names_row_and_field(wards_app, tmp_path):
    path = write_csv(tmp_path / "bad.csv", ["ward_code", "population"], [[WARD_A, "100"], [WARD_B, "about 200"]])
    result = run(wards_app, "import-population", path)
    assert result.exit_code != 0
    assert "bad.csv, row 3, field 'population': 'about 200' is not a population figure" in result.output
    assert ward_figures(wards_app) == {WARD_A: (None, None), WARD_B: (None, None)}


def test_failure_half_way_leaves_populations_as_before(wards_app, tmp_path):
    good = write_csv(
        tmp_path / "good.csv", ["ward_code", "population", "imd_decile"], [[WARD_A, "100", "3"], [WARD_B, "200", "4"]]
    )
    assert run(wards_app, "import-population", good).exit_code == 0
    before = ward_figures(wards_app)
    # The first ward's new figure is set before the second row's deprivation value fails.
    bad = write_csv(
        tmp_path / "bad.csv", ["ward_code", "population", "imd_decile"], [[WARD_A, "999", "1"], [WARD_B, "888", "high"]]
    )

    result = run(wards_app, "import-population", bad)

    assert result.exit_code != 0
    assert "bad.csv, row 3, field 'imd_decile': 'high' is not a number" in result.output
    assert ward_figures(wards_app) == before == {WARD_A: (100.0, 3.0), WARD_B: (200.0, 4.0)}


def write_lookup(tmp_path, rows):
    return write_csv(
        tmp_path / "lookup.csv", ["lsoa_vintage", "lsoa_code", "lsoa_name", "ward_code", "ward_name"], rows
    )


def test_lsoa_table_summed_through_lookup(wards_app, tmp_path):
    lookup = write_lookup(
        tmp_path,
        [
            ["2021", "E01000001", "a", WARD_A, "Alpha"],
            ["2021", "E01000002", "b", WARD_A, "Alpha"],
            ["2021", "E01000003", "c", WARD_B, "Beta"],
        ],
    )
    table = write_csv(
        tmp_path / "lsoa.csv",
        ["lsoa21_code", "lsoa21_name", "usual_residents_total"],
        [
            ["E01000001", "a", "1,500"],
            ["E01000002", "b", "1,250"],
            ["E01000003", "c", "2000"],
            ["E01009998", "far", "1400"],
            ["E01009999", "away", "1600"],
        ],
    )

    result = run(wards_app, "import-population", table, "--lookup", lookup)

    assert result.exit_code == 0, result.output
    assert "lsoa.csv: read 5, imported 3, updated 2, skipped 2, refused 0." in result.output
    assert "skipped 2: the small area is not in the lookup" in result.output
    assert "total 4,750" in result.output
    assert ward_figures(wards_app) == {WARD_A: (2750.0, None), WARD_B: (2000.0, None)}
    assert area_rows(wards_app) == {
        "E01000001": (WARD_A, 1500.0),
        "E01000002": (WARD_A, 1250.0),
        "E01000003": (WARD_B, 2000.0),
    }

    # Importing again replaces the small areas rather than adding them twice.
    again = run(wards_app, "import-population", table, "--lookup", lookup)
    assert again.exit_code == 0, again.output
    assert count(wards_app, PopulationArea) == 3
    assert ward_figures(wards_app)[WARD_A] == (2750.0, None)


def test_duplicate_lsoa_in_lookup_asks_for_vintage(wards_app, tmp_path):
    # E01000001 is in both vintages, in different wards; only the 2021 row fits a Census 2021 table.
    lookup = write_lookup(
        tmp_path,
        [
            ["2011", "E01000001", "a", WARD_B, "Beta"],
            ["2011", "E01000002", "b", WARD_B, "Beta"],
            ["2021", "E01000001", "a", WARD_A, "Alpha"],
            ["2021", "E01000003", "c", WARD_A, "Alpha"],
        ],
    )
    table = write_csv(
        tmp_path / "lsoa.csv",
        ["lsoa21_code", "usual_residents_total"],
        [["E01000001", "100"], ["E01000002", "10"], ["E01000003", "1"]],
    )

    result = run(wards_app, "import-population", table, "--lookup", lookup)
    assert result.exit_code != 0
    assert "lookup.csv" in result.output and "E01000001 maps to more than one ward" in result.output
    assert "--lsoa-vintage" in result.output
    assert count(wards_app, PopulationArea) == 0

    result = run(wards_app, "import-population", table, "--lookup", lookup, "--lsoa-vintage", "2021")
    assert result.exit_code == 0, result.output
    assert "skipped 1: the small area is not in the lookup" in result.output  # E01000002 is 2011 only
    assert ward_figures(wards_app)[WARD_A] == (101.0, None)
    assert ward_figures(wards_app)[WARD_B] == (None, None)
    assert "1 wards got no small areas" in result.output


@pytest.mark.parametrize(
    "header, reason",
    [
        (["lsoa_code", "ward_code"], "--lsoa-vintage was given but the lookup has no such column"),
        (["lsoa_vintage", "lsoa_code", "ward_code"], "no rows have the vintage 2031"),
    ],
)
def test_vintage_that_cannot_be_applied_is_an_error(wards_app, tmp_path, header, reason):
    lookup = write_csv(tmp_path / "lk.csv", header, [(["2021"] if len(header) == 3 else []) + ["E01000001", WARD_A]])
    table = write_csv(tmp_path / "lsoa.csv", ["lsoa21_code", "usual_residents_total"], [["E01000001", "100"]])
    result = run(wards_app, "import-population", table, "--lookup", lookup, "--lsoa-vintage", "2031")
    assert result.exit_code != 0
    assert "lk.csv" in result.output and reason in result.output


def test_population_needs_wards_first(app, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["ward_code", "population"], [[WARD_A, "1"]])
    result = run(app, "import-population", path)
    assert result.exit_code != 0 and "import-wards first" in result.output


def test_dry_run(wards_app, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["ward_code", "population"], [[WARD_A, "5"]])
    result = run(wards_app, "import-population", path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Dry run, nothing saved. p.csv: read 1, imported 0, updated 1")
    assert ward_figures(wards_app)[WARD_A] == (None, None)


def test_small_area_boundaries_place_population_at_points_inside(wards_app, tmp_path):
    lookup = write_lookup(
        tmp_path, [["2021", "E01000001", "a", WARD_A, "Alpha"], ["2021", "E01000002", "b", WARD_B, "Beta"]]
    )
    table = write_csv(
        tmp_path / "lsoa.csv", ["lsoa21_code", "usual_residents_total"], [["E01000001", "900"], ["E01000002", "600"]]
    )
    # An L-shaped area whose centroid lies outside it: the stored point must still be inside.
    l_shape = shapely.Polygon(
        [
            (WEST, SOUTH),
            (WEST + 0.04, SOUTH),
            (WEST + 0.04, SOUTH + 0.005),
            (WEST + 0.005, SOUTH + 0.005),
            (WEST + 0.005, NORTH),
            (WEST, NORTH),
        ]
    )
    areas = write_vector(
        tmp_path / "lsoa.geojson",
        [
            {"LSOA21CD": "E01000001", "geometry": l_shape},
            {"LSOA21CD": "E01000002", "geometry": box(MID + 0.01, SOUTH + 0.01, EAST - 0.01, NORTH - 0.01)},
        ],
    )
    assert not l_shape.contains(l_shape.centroid)

    result = run(wards_app, "import-population", table, "--lookup", lookup, "--areas", areas)

    assert result.exit_code == 0, result.output
    assert "placed 2 small areas at points inside their boundaries" in result.output
    with wards_app.app_context():
        placed = {a.code: shapely.Point(a.lon, a.lat) for a in db.session.scalars(select(PopulationArea))}
        points = store.population_points()
    assert l_shape.contains(placed["E01000001"])
    assert box(MID, SOUTH, EAST, NORTH).contains(placed["E01000002"])
    assert sorted(points["population"]) == [600.0, 900.0]


def test_small_area_boundaries_need_a_lookup(wards_app, tmp_path):
    table = write_csv(tmp_path / "wards.csv", ["ward_code", "population"], [[WARD_A, "100"]])
    areas = write_vector(
        tmp_path / "lsoa.geojson", [{"LSOA21CD": "E01000001", "geometry": box(WEST, SOUTH, MID, NORTH)}]
    )

    result = run(wards_app, "import-population", table, "--areas", areas)

    assert result.exit_code != 0
    assert "need a small-area table and --lookup" in result.output
    assert ward_figures(wards_app)[WARD_A] == (None, None)


def test_ward_code_twice_in_a_ward_table_is_refused(wards_app, tmp_path):
    table = write_csv(
        tmp_path / "wards.csv", ["ward_code", "population"], [[WARD_A, "100"], [WARD_B, "50"], [WARD_A, "200"]]
    )

    result = run(wards_app, "import-population", table)

    assert result.exit_code != 0
    assert (
        f"wards.csv, row 4, field 'ward_code': ward code {WARD_A} appears more than once (rows 2, 4)" in result.output
    )
    assert ward_figures(wards_app) == {WARD_A: (None, None), WARD_B: (None, None)}
