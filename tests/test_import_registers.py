"""National registers as published: layouts from data/registers/, closed rows counted, one category, rejects."""

from __future__ import annotations

import csv
import gzip

import pandas as pd
import pytest
from pyproj import Transformer
from sqlalchemy import select

from tests.importing_helpers import WARD_A, WARD_B, count, load_two_wards, run, write_csv
from webmap.core.db import db
from webmap.core.models import Asset, DataSource, Postcode

IN_A, IN_B, OUTSIDE = (-2.18, 53.52), (-2.12, 53.53), (-1.5, 53.52)
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


@pytest.fixture
def wards_app(app, tmp_path):
    load_two_wards(app, tmp_path)
    return app


@pytest.fixture
def postcodes_app(wards_app, tmp_path):
    """Two wards and three postcodes: one in each ward, one outside both."""
    path = write_csv(
        tmp_path / "pc.csv",
        ["postcode", "longitude", "latitude"],
        [["OL1 1AA", *IN_A], ["OL1 1AB", *IN_B], ["LS1 1AA", *OUTSIDE]],
    )
    assert run(wards_app, "import-postcodes", path).exit_code == 0
    return wards_app


def assets(app) -> dict[str, Asset]:
    with app.app_context():
        found = {a.source_id: a for a in db.session.scalars(select(Asset))}
        for a in found.values():
            a.category_list = a.category_ids()
        return found


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def write_rows(path, rows, encoding="utf-8", gz=False):
    opener = gzip.open if gz else open
    with opener(path, "wt", newline="", encoding=encoding) as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(rows)
    return path


def bng(point):
    e, n = TO_BNG.transform(*point)
    return str(round(e)), str(round(n))


# --- GIAS, the DfE schools register, in its published download layout ---------------------------------
GIAS_HEADER = [
    "URN",
    "LA (name)",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
    "Street",
    "Locality",
    "Address3",
    "Town",
    "Postcode",
    "TelephoneNum",
    "SchoolWebsite",
    "Easting",
    "Northing",
]


def gias_file(tmp_path):
    rows = [
        GIAS_HEADER,
        [
            "100",
            "Oldham",
            "Alpha Primary",
            "Community school",
            "Open",
            "Primary",
            "1 High St",
            "",
            "",
            "Oldham",
            "OL1 1AA",
            "0161 000",
            "https://alpha.example",
            *bng(IN_A),
        ],
        [
            "101",
            "Oldham",
            "Beta Academy",
            "Academy converter",
            "Open, but proposed to close",
            "Secondary",
            "2 Low St",
            "",
            "",
            "Oldham",
            "OL1 1AB",
            "",
            "",
            *bng(IN_B),
        ],
        [
            "102",
            "Oldham",
            "Gone School",
            "Community school",
            "Closed",
            "Primary",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            *bng(IN_A),
        ],
        ["103", "Oldham", "No Place School", "Free schools", "Open", "Primary", "", "", "", "", "", "", "", "", ""],
        [
            "104",
            "Leeds",
            "Far School",
            "Community school",
            "Open",
            "Primary",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            *bng(OUTSIDE),
        ],
    ]
    return write_rows(tmp_path / "edubasealldata20250524.csv", rows, encoding="cp1252")


def test_gias_register_is_detected_closed_left_out_and_unplaced_counted(wards_app, tmp_path):
    result = ok(run(wards_app, "import-assets", gias_file(tmp_path), "--source-date", "2025-05-24"))

    assert "read 5, imported 2, updated 0, skipped 3, refused 0." in result.output
    assert "recognised the 'gias' register" in result.output
    assert "skipped 1: closed (the register says it has closed)" in result.output
    assert "skipped 1: no coordinates given" in result.output
    assert "skipped 1: the point is more than 800 m outside every ward" in result.output
    assert "In short: 2 new records added, 0 records updated, 3 rows left out for the reasons listed." in result.output
    found = assets(wards_app)
    assert sorted(found) == ["100", "101"]
    alpha = found["100"]
    assert (alpha.name, alpha.ward_code, alpha.category_list) == ("Alpha Primary", WARD_A, ["education"])
    assert alpha.description == "Community school, Primary"
    assert alpha.address == "1 High St, Oldham" and alpha.postcode == "OL1 1AA"
    assert alpha.source == "gias" and alpha.source_date == "2025-05-24" and alpha.last_verified_at is None
    assert found["101"].ward_code == WARD_B
    with wards_app.app_context():
        # Every import is recorded as a source; the register's carries the register's attribution.
        attributions = [s.attribution or "" for s in db.session.scalars(select(DataSource))]
        assert any("Get Information about Schools" in a for a in attributions), attributions


def test_gias_published_as_is_with_an_unknown_status_is_imported_not_refused(wards_app, tmp_path):
    # The --register option names the layout even when the header would have said it.
    ok(run(wards_app, "import-assets", gias_file(tmp_path), "--register", "gias"))
    assert count(wards_app, Asset) == 2


# --- NHS ODS epraccur and edispensary: no header row -----------------------------------------------------
def ods_row(code, name, postcode, status="A", setting="4", close=""):
    row = [""] * 27
    row[0], row[1], row[4], row[9], row[11], row[12], row[17], row[25] = (
        code,
        name,
        "The Surgery",
        postcode,
        close,
        status,
        "0161 1",
        setting,
    )
    return row


def test_headerless_gp_practices_file_is_recognised_and_counted(postcodes_app, tmp_path):
    rows = [
        ods_row("P81001", "Alpha Surgery", "OL1 1AA"),
        ods_row("P81002", "Closed Surgery", "OL1 1AB", status="C"),
        ods_row("P81003", "Dormant Surgery", "OL1 1AB", status="D"),
        ods_row("Y01234", "Out of hours", "OL1 1AB", setting="8"),
        ods_row("P81004", "Far Surgery", "LS1 1AA"),
        ods_row("P81005", "Unknown postcode", "OL9 9ZZ"),
        ods_row("P81006", "Beta Surgery", "ol11ab"),
    ]
    path = write_rows(tmp_path / "epraccur.csv.gz", rows, gz=True)

    result = ok(run(postcodes_app, "import-assets", path, "--source-date", "2021-11-04"))

    assert "recognised the 'epraccur' register" in result.output
    assert "read 7, imported 2, updated 0, skipped 5, refused 0." in result.output
    assert "skipped 2: closed (the register says it has closed)" in result.output
    assert "skipped 1: not a GP practice" in result.output
    assert "skipped 1: the postcode is not in the postcode table" in result.output
    assert "skipped 1: the point is more than 800 m outside every ward" in result.output
    found = assets(postcodes_app)
    assert sorted(found) == ["P81001", "P81006"]
    assert found["P81001"].category_list == ["gp_practice"] and found["P81001"].description == "GP practice"
    assert (found["P81001"].ward_code, found["P81006"].ward_code) == (WARD_A, WARD_B)


def test_headerless_file_without_a_layout_asks_for_register(postcodes_app, tmp_path):
    path = write_rows(tmp_path / "mystery.csv", [["X1", "Somewhere", "OL1 1AA"], ["X2", "Elsewhere", "OL1 1AB"]])
    result = run(postcodes_app, "import-assets", path, "--category", "health")
    assert result.exit_code == 1 and "--register" in result.output and "Traceback" not in result.output


def test_pharmacies_closed_by_close_date(postcodes_app, tmp_path):
    rows = [
        ods_row("FA001", "Alpha Pharmacy", "OL1 1AA", status=""),
        ods_row("FA002", "Shut Pharmacy", "OL1 1AB", status="", close="20200101"),
    ]
    path = write_rows(tmp_path / "edispensary.csv", rows)

    result = ok(run(postcodes_app, "import-assets", path, "--register", "edispensary"))

    assert "read 2, imported 1, updated 0, skipped 1, refused 0." in result.output
    assert assets(postcodes_app)["FA001"].category_list == ["pharmacy"]


def test_wrong_layout_for_the_file_is_refused_naming_both(postcodes_app, tmp_path):
    path = write_rows(tmp_path / "short.csv", [["P81001", "Alpha", "OL1 1AA"]])
    result = run(postcodes_app, "import-assets", path, "--register", "epraccur")
    assert result.exit_code == 1 and "has 3 fields, but the 'epraccur' layout has 27" in result.output


def test_unknown_register_lists_the_known_ones(postcodes_app, tmp_path):
    path = write_rows(tmp_path / "x.csv", [["name"], ["A"]])
    result = run(postcodes_app, "import-assets", path, "--register", "ofsted")
    assert result.exit_code == 1
    assert (
        "no register layout 'ofsted'" in result.output
        and "cqc, edispensary, epraccur, gias, libraries" in result.output
    )


# --- Public libraries (ACE/DCMS) --------------------------------------------------------------------------
LIB_HEADER = [
    "reporting",
    "name",
    "address1",
    "address2",
    "address3",
    "authority",
    "postcode",
    "uprn",
    "type",
    "operation_23",
    "closed",
    "opened",
    "hours",
]


def test_libraries_closed_and_unlocatable_are_counted(postcodes_app, tmp_path):
    rows = [
        LIB_HEADER,
        [
            "Oldham",
            "Central Library",
            "Union St",
            "",
            "Oldham",
            "Oldham",
            "OL1 1AA",
            "",
            "Static Library",
            "LA",
            "",
            "",
            "50",
        ],
        ["Oldham", "Old Library", "Mill St", "", "", "Oldham", "OL1 1AB", "", "Static Library", "Closed", "", "", ""],
        ["Oldham", "Shut 2016", "Mill St", "", "", "Oldham", "OL1 1AB", "", "Static Library", "LA", "2016", "", ""],
        ["Oldham", "Mobile", "", "", "", "Oldham", "n/a - mobile", "", "Mobile Library", "LA", "", "", "10"],
        ["Oldham", "Hub", "Low St", "", "", "Oldham", "OL9 9ZZ", "", "Static Library", "CR", "", "", "20"],
    ]
    path = tmp_path / "libraries.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:  # published with a byte-order mark
        csv.writer(fh).writerows(rows)

    result = ok(run(postcodes_app, "import-assets", path))

    assert "recognised the 'libraries' register" in result.output
    assert "read 5, imported 1, updated 0, skipped 4, refused 0." in result.output
    assert "skipped 2: closed (the register says it has closed)" in result.output
    assert "skipped 1: the postcode is not a UK postcode" in result.output
    assert "skipped 1: the postcode is not in the postcode table" in result.output
    (library,) = assets(postcodes_app).values()
    assert (library.name, library.category_list, library.kind) == ("Central Library", ["library"], "venue")
    assert library.description == "Static Library, run by Oldham" and library.opening_times == "50 hours a week"


# --- CQC care directory, with title lines above its header ---------------------------------------------------
def test_cqc_directory_header_found_below_title_lines_and_categories_from_service_types(postcodes_app, tmp_path):
    header = [
        "Name",
        "Also known as",
        "Address",
        "Postcode",
        "Phone number",
        "Service's website (if available)",
        "Service types",
        "Date of latest check",
        "Specialisms/services",
        "Provider name",
        "Local Authority",
        "Region",
        "Location URL",
        "CQC Location ID (for office use only)",
        "CQC Provider ID (for office use only)",
    ]
    rows = [
        ["Care directory with filters"],
        ["Published 1 December 2025"],
        [],
        header,
        [
            "Rose House",
            "",
            "1 Rose St",
            "OL1 1AA",
            "0161",
            "",
            "Care home service with nursing",
            "17/07/2019",
            "Dementia",
            "Rose Ltd",
            "Oldham",
            "North West",
            "",
            "1-100",
            "1-1",
        ],
        [
            "Smile Dental",
            "",
            "2 Tooth St",
            "OL1 1AB",
            "",
            "",
            "Dentist",
            "02/03/2024",
            "",
            "Smile Ltd",
            "Oldham",
            "North West",
            "",
            "1-101",
            "1-2",
        ],
        [
            "Home Help",
            "",
            "3 Way",
            "OL1 1AB",
            "",
            "",
            "Homecare agencies",
            "not inspected",
            "",
            "Help Ltd",
            "Oldham",
            "North West",
            "",
            "1-102",
            "1-3",
        ],
    ]
    path = write_rows(tmp_path / "cqc_directory.csv", rows)

    refused = run(postcodes_app, "import-assets", path)
    assert refused.exit_code == 1 and "row 7, field 'source_date': 'not inspected' is not a date" in refused.output

    result = ok(run(postcodes_app, "import-assets", path, "--skip-bad-rows", "--rejects", tmp_path / "cqc-rejects.csv"))

    assert "recognised the 'cqc' register" in result.output
    assert "read 3, imported 2, updated 0, skipped 0, refused 1." in result.output
    found = assets(postcodes_app)
    assert found["1-100"].category_list == ["care_home"] and found["1-100"].source_date == "2019-07-17"
    assert found["1-101"].category_list == ["dentist"] and found["1-101"].source_date == "2024-03-02"
    rejects = pd.read_csv(tmp_path / "cqc-rejects.csv", dtype=str)
    assert list(rejects[["row", "field"]].itertuples(index=False, name=None)) == [("7", "source_date")]


# --- One category for a whole file; rejects CSV for any file ------------------------------------------------
def test_one_category_for_the_whole_file(wards_app, tmp_path):
    path = write_csv(tmp_path / "halls.csv", ["name", "longitude", "latitude"], [["Hall", *IN_A], ["Barn", *IN_B]])
    ok(run(wards_app, "import-assets", path, "--category", "community_space"))
    assert {a.category_list[0] for a in assets(wards_app).values()} == {"community_space"}


def test_unknown_category_for_the_whole_file_lists_the_taxonomy(wards_app, tmp_path):
    path = write_csv(tmp_path / "halls.csv", ["name", "longitude", "latitude"], [["Hall", *IN_A]])
    result = run(wards_app, "import-assets", path, "--category", "school")
    assert result.exit_code == 1
    assert (
        "'school' is not a category id" in result.output
        and "education" in result.output
        and "food_support" in result.output
    )
    assert count(wards_app, Asset) == 0


def test_skip_bad_rows_imports_the_rest_and_writes_rejects(wards_app, tmp_path, monkeypatch):
    path = write_csv(
        tmp_path / "mixed.csv",
        ["name", "category", "longitude", "latitude", "source_date"],
        [
            ["Hall", "youth", *IN_A, "2024-01-31"],
            ["Bad", "youth", "abc", IN_A[1], ""],
            ["Far", "youth", 414452, 400000, ""],
            ["Barn", "youth", *IN_B, "31/13/2024"],
            ["Shed", "youth", *IN_B, ""],
        ],
    )

    whole = run(wards_app, "import-assets", path)
    assert whole.exit_code == 1 and "--skip-bad-rows" in whole.output and count(wards_app, Asset) == 0

    monkeypatch.chdir(tmp_path)
    result = ok(run(wards_app, "import-assets", path, "--skip-bad-rows", "--source-date", "2023"))

    assert "read 5, imported 2, updated 0, skipped 0, refused 3." in result.output
    assert "mixed-rejects.csv" in result.output
    assert "3 rows refused as unusable (see " in result.output
    rejects = pd.read_csv(tmp_path / "mixed-rejects.csv", dtype=str, keep_default_na=False)
    assert rejects["row"].tolist() == ["3", "4", "5"]
    assert rejects["field"].tolist() == ["longitude", "longitude", "source_date"]
    assert "'abc' is not a number" in rejects["reason"][0]
    assert "looks like a British National Grid" in rejects["reason"][1]
    assert rejects["name"].tolist() == ["Bad", "Far", "Barn"]
    found = {a.name: a.source_date for a in assets(wards_app).values()}
    assert found == {"Hall": "2024-01-31", "Shed": "2023"}


def test_skip_bad_rows_for_wards(app, tmp_path):
    path = tmp_path / "wards.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"ward_code":"E05900001","ward_name":"One"},'
        '"geometry":{"type":"Polygon","coordinates":[[[-2.1,53.5],[-2.0,53.5],[-2.0,53.6],[-2.1,53.5]]]}},'
        '{"type":"Feature","properties":{"ward_code":"E05900002","ward_name":"Two"},"geometry":null}]}'
    )

    result = ok(run(app, "import-wards", path, "--skip-bad-rows", "--rejects", tmp_path / "bad-wards.csv"))

    assert "read 2, imported 1, updated 0, skipped 0, refused 1." in result.output
    rejects = pd.read_csv(tmp_path / "bad-wards.csv", dtype=str)
    assert rejects.loc[0, "ward_code"] == "E05900002" and rejects.loc[0, "row"] == "3"


def test_future_or_unreadable_source_date_is_refused(wards_app, tmp_path):
    path = write_csv(tmp_path / "a.csv", ["name", "longitude", "latitude"], [["Hall", *IN_A]])
    for value, reason in [("2999-01-01", "is in the future"), ("last spring", "'last spring' is not a date")]:
        result = run(wards_app, "import-assets", path, "--category", "youth", "--source-date", value)
        assert result.exit_code == 1 and reason in result.output


def test_postcode_table_keeps_its_points_for_registers(postcodes_app):
    assert count(postcodes_app, Postcode) == 3


def test_skip_bad_rows_for_survey_needs(wards_app, tmp_path):
    from webmap.core.models import Need

    path = write_csv(
        tmp_path / "survey.csv",
        ["ward_code", "category", "count"],
        [
            [WARD_A, "youth", "3"],
            [WARD_A, "youth;bingo", "2"],
            [WARD_B, "food_support", "lots"],
            ["E05999999", "youth", "1"],
            [WARD_B, "advice", "4"],
        ],
    )

    whole = run(wards_app, "import-needs", path)
    assert whole.exit_code == 1 and "--skip-bad-rows" in whole.output and count(wards_app, Need) == 0

    result = ok(run(wards_app, "import-needs", path, "--skip-bad-rows", "--rejects", tmp_path / "survey-rejects.csv"))

    assert "read 5, imported 2, updated 0, skipped 0, refused 3." in result.output
    with wards_app.app_context():
        # The row naming an unknown category adds nothing, not even its known "youth".
        assert sorted((n.ward_code, n.category_id, n.count) for n in db.session.scalars(select(Need))) == [
            (WARD_A, "youth", 3.0),
            (WARD_B, "advice", 4.0),
        ]
    rejects = pd.read_csv(tmp_path / "survey-rejects.csv", dtype=str)
    assert rejects["row"].tolist() == ["3", "4", "5"]
    assert "'lots' is not a count" in rejects["reason"][1]


def test_skip_bad_rows_for_postcodes(app, tmp_path):
    path = write_csv(
        tmp_path / "pc.csv",
        ["postcode", "longitude", "latitude", "doterm"],
        [
            ["OL1 1AA", *IN_A, ""],
            ["not one", *IN_A, ""],
            ["OL1 1AB", "abc", IN_B[1], ""],
            ["OL1 1AC", *IN_B, "202001"],
            ["OL1 1AD", *IN_B, ""],
        ],
    )

    whole = run(app, "import-postcodes", path)
    assert whole.exit_code == 1 and "row 3, field 'postcode': 'not one' is not a UK postcode" in whole.output
    assert "row 4, field 'longitude': 'abc' is not a number" in whole.output

    result = ok(run(app, "import-postcodes", path, "--skip-bad-rows", "--rejects", tmp_path / "pc-rejects.csv"))

    assert "read 5, imported 2, updated 0, skipped 1, refused 2." in result.output
    with app.app_context():
        assert sorted(db.session.scalars(select(Postcode.postcode))) == ["OL1 1AA", "OL1 1AD"]
    assert pd.read_csv(tmp_path / "pc-rejects.csv", dtype=str)["row"].tolist() == ["3", "4"]
