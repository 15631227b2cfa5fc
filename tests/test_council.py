"""Any council, not the study area: names from the setting or the wards, data credits from the imports."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import DataSource
from webmap.council import join_names

REPO = Path(__file__).resolve().parent.parent
SAMPLE_WARDS = REPO / "data" / "boundaries" / "sample_wards.geojson"
STUDY_AREA_TEXT = ("Oldham", "Wigan", "Wirral", "Greater Manchester", "Trafford", "Care Quality Commission")


@pytest.mark.parametrize(
    "names, joined",
    [
        ([], ""),
        (["Oldham"], "Oldham"),
        (["Oldham", "Wigan"], "Oldham and Wigan"),
        (["Oldham", "Wigan", "Wirral"], "Oldham, Wigan and Wirral"),
    ],
)
def test_join_names(names, joined):
    assert join_names(names) == joined


def import_wards(app, *options):
    result = app.test_cli_runner().invoke(args=["import-wards", str(SAMPLE_WARDS), *options])
    assert result.exit_code == 0, result.output
    return result


def test_titles_and_headings_take_the_council_name_from_the_wards(app):
    import_wards(app)
    html = app.test_client().get("/").get_data(as_text=True)
    assert "<title>Local places and groups – Asterby Vale (fictional) community map</title>" in html
    assert "<h1>Local places and groups in Asterby Vale (fictional)</h1>" in html
    about = app.test_client().get("/about").get_data(as_text=True)
    assert "This map of Asterby Vale (fictional)" in about


def test_the_area_name_setting_wins(make_app, app):
    other = make_app(AREA_NAME="Borsetshire")
    html = other.test_client().get("/gaps").get_data(as_text=True)
    assert re.search(r"<title>[^<]* – Borsetshire</title>", html)
    assert 'class="site-name" href="/">Borsetshire</a>' in html


def test_about_lists_each_import_with_publisher_licence_and_date(app):
    import_wards(
        app,
        "--source-name",
        "Borsetshire wards 2024",
        "--publisher",
        "Office for National Statistics",
        "--licence",
        "Open Government Licence v3.0",
        "--source-date",
        "2024-05",
        "--attribution",
        "Source: Office for National Statistics licensed under the Open Government Licence v3.0.",
    )
    html = app.test_client().get("/about").get_data(as_text=True)
    for text in (
        "Borsetshire wards 2024",
        "Office for National Statistics",
        "Open Government Licence v3.0",
        "2024-05",
        "Source: Office for National Statistics licensed",
    ):
        assert text in html
    # Nothing about the study area when this council's data is loaded.
    assert not [t for t in STUDY_AREA_TEXT if t in html]
    assert "sample_wards.geojson" not in html


def test_an_import_without_credits_is_still_listed_by_what_it_is(app):
    import_wards(app)
    with app.app_context():
        names = db.session.scalars(select(DataSource.name)).all()
    assert names == ["Ward boundaries (sample_wards.geojson)"]


def test_a_reimport_updates_its_source_instead_of_adding_one(app):
    import_wards(app, "--source-name", "Wards", "--publisher", "ONS")
    import_wards(app, "--source-name", "Wards", "--source-date", "2025")
    with app.app_context():
        rows = db.session.scalars(select(DataSource)).all()
        assert [(r.name, r.publisher, r.source_date) for r in rows] == [("Wards", "ONS", "2025")]


@pytest.mark.parametrize("date", ["May 2024", "2024-13", "24-05-2024", "2024-05-32"])
def test_a_date_that_is_not_one_is_refused(app, date):
    result = app.test_cli_runner().invoke(args=["import-wards", str(SAMPLE_WARDS), "--source-date", date])
    assert result.exit_code != 0
    assert "is not a date: give YYYY, YYYY-MM or YYYY-MM-DD" in result.output
    with app.app_context():
        assert db.session.scalars(select(DataSource)).all() == []


def test_a_dry_run_records_no_source(app):
    import_wards(app, "--dry-run", "--source-name", "Wards")
    with app.app_context():
        assert db.session.scalars(select(DataSource)).all() == []


def test_readme_settings_table_lists_every_setting():
    from webmap.core.config import DEFAULTS

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    missing = [key for key in DEFAULTS if f"WEBMAP_{key}`" not in table]
    assert not missing, f"README's settings table leaves out: {missing}"


def test_make_run_takes_a_port():
    import subprocess

    done = subprocess.run(["make", "-n", "run", "PORT=8765"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert "--port 8765" in done.stdout, done.stdout + done.stderr
