"""import-postcodes: Code-Point Open (easting/northing) and ONSPD (pcds, lat, long, doterm) styles."""

from __future__ import annotations

import pytest
from pyproj import Transformer
from sqlalchemy import select

from tests.importing_helpers import WARD_A, WARD_B, count, load_two_wards, run, write_csv
from webmap.core.db import db
from webmap.core.geo import normalise_postcode
from webmap.core.models import Postcode

TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
IN_A, IN_B, OUTSIDE = (-2.18, 53.52), (-2.12, 53.53), (-1.5, 53.52)


@pytest.fixture
def wards_app(app, tmp_path):
    load_two_wards(app, tmp_path)
    return app


def postcodes(app) -> dict[str, tuple]:
    with app.app_context():
        return {p.postcode: (p.lon, p.lat, p.ward_code) for p in db.session.scalars(select(Postcode))}


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("ol11aa", "OL1 1AA"),
        (" OL1   1AA ", "OL1 1AA"),
        ("m601ab", "M60 1AB"),
        ("EC1A1BB", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("CH25 9BJ", "CH25 9BJ"),
        ("OL1", None),
        ("not a postcode", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_postcode(raw, expected):
    assert normalise_postcode(raw) == expected


def test_codepoint_open_style_easting_northing(wards_app, tmp_path):
    e_a, n_a = TO_BNG.transform(*IN_A)
    e_b, n_b = TO_BNG.transform(*IN_B)
    e_o, n_o = TO_BNG.transform(*OUTSIDE)
    path = write_csv(
        tmp_path / "codepoint.csv",
        ["postcode", "positional_quality_indicator", "easting", "northing"],
        [
            ["ol11aa", "10", round(e_a), round(n_a)],
            ["OL1 1AB", "10", round(e_b), round(n_b)],
            ["OL9 9ZZ", "10", round(e_o), round(n_o)],
            ["OL8 8XX", "90", "0", "0"],
        ],
    )  # Code-Point Open gives 0,0 when a postcode has no location

    result = run(wards_app, "import-postcodes", path)

    assert result.exit_code == 0, result.output
    assert "codepoint.csv: read 4, imported 3, updated 0, skipped 1, refused 0." in result.output
    assert "skipped 1: the postcode has no grid reference" in result.output
    assert "1 postcodes lie outside the loaded wards" in result.output
    found = postcodes(wards_app)
    assert set(found) == {"OL1 1AA", "OL1 1AB", "OL9 9ZZ"}
    assert found["OL1 1AA"][:2] == pytest.approx(IN_A, abs=1e-5)
    assert (found["OL1 1AA"][2], found["OL1 1AB"][2], found["OL9 9ZZ"][2]) == (WARD_A, WARD_B, None)


def test_onspd_style(wards_app, tmp_path):
    path = write_csv(
        tmp_path / "onspd.csv",
        ["pcd", "pcds", "doterm", "oseast1m", "osnrth1m", "lat", "long"],
        [
            ["OL1 1AA", "OL1 1AA", "", "", "", IN_A[1], IN_A[0]],
            ["OL1 1AB", "OL1 1AB", "200512", "", "", IN_B[1], IN_B[0]],  # terminated
            ["OL1 1AD", "OL1 1AD", "", "", "", "99.999999", "0.000000"],  # no grid reference
            ["OL1 1AE", "OL1 1AE", "", "", "", IN_B[1], IN_B[0]],
        ],
    )

    result = run(wards_app, "import-postcodes", path)

    assert result.exit_code == 0, result.output
    assert "onspd.csv: read 4, imported 2, updated 0, skipped 2, refused 0." in result.output
    assert "skipped 1: the postcode is terminated" in result.output
    assert "skipped 1: the postcode has no grid reference" in result.output
    found = postcodes(wards_app)
    assert found == {"OL1 1AA": (IN_A[0], IN_A[1], WARD_A), "OL1 1AE": (IN_B[0], IN_B[1], WARD_B)}


def test_bad_postcode_is_named_by_its_row(wards_app, tmp_path):
    # Terminated rows before the bad one must not shift the row number reported.
    path = write_csv(
        tmp_path / "bad.csv",
        ["pcds", "doterm", "lat", "long"],
        [
            ["OL1 1AA", "201001", IN_A[1], IN_A[0]],
            ["OL1 1AB", "201001", IN_A[1], IN_A[0]],
            ["OL1 1AD", "", IN_A[1], IN_A[0]],
            ["0L1 IAE", "", IN_A[1], IN_A[0]],
        ],
    )

    result = run(wards_app, "import-postcodes", path)

    assert result.exit_code != 0
    assert "bad.csv, row 5, field 'pcds': '0L1 IAE' is not a UK postcode" in result.output
    assert count(wards_app, Postcode) == 0


def test_reimport_updates(wards_app, tmp_path):
    first = write_csv(
        tmp_path / "a.csv", ["postcode", "longitude", "latitude"], [["OL1 1AA", *IN_A], ["OL1 1AB", *IN_A]]
    )
    second = write_csv(
        tmp_path / "b.csv",
        ["postcode", "longitude", "latitude"],
        [["OL1 1AA", *OUTSIDE], ["OL1 1AD", *IN_B], ["ol1 1aa", *IN_B]],
    )
    assert run(wards_app, "import-postcodes", first).exit_code == 0

    result = run(wards_app, "import-postcodes", second)

    assert result.exit_code == 0, result.output
    assert "b.csv: read 3, imported 1, updated 1, skipped 1, refused 0." in result.output
    assert "skipped 1: the postcode appears again later in the file" in result.output
    found = postcodes(wards_app)
    assert len(found) == 3 and found["OL1 1AA"] == (IN_B[0], IN_B[1], WARD_B)


def test_missing_columns(wards_app, tmp_path):
    no_pc = write_csv(tmp_path / "nopc.csv", ["code", "longitude", "latitude"], [["OL1 1AA", *IN_A]])
    no_place = write_csv(tmp_path / "noplace.csv", ["postcode", "ward"], [["OL1 1AA", WARD_A]])
    assert "nopc.csv: no postcode column" in run(wards_app, "import-postcodes", no_pc).output
    result = run(wards_app, "import-postcodes", no_place)
    assert result.exit_code != 0 and "noplace.csv: needs longitude/latitude or easting/northing" in result.output


def test_dry_run(wards_app, tmp_path):
    path = write_csv(tmp_path / "a.csv", ["postcode", "longitude", "latitude"], [["OL1 1AA", *IN_A]])
    result = run(wards_app, "import-postcodes", path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing saved. a.csv: read 1, imported 1" in result.output
    assert count(wards_app, Postcode) == 0
