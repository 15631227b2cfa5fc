"""`flask import-needs`: survey tables by ward code or postcode, counts or one response per row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from webmap.core.db import db
from webmap.core.models import AuditEvent, Need


def invoke(app, *args: str):
    """Run a flask command the way `flask --app webmap` does (inside an app context)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def needs_by(app, source: str) -> list[tuple[str, str, float]]:
    with app.app_context():
        rows = db.session.execute(
            select(Need.ward_code, Need.category_id, Need.count)
            .where(Need.source == source)
            .order_by(Need.ward_code, Need.category_id)
        ).all()
        return [tuple(r) for r in rows]


def total_needs(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Need))


def test_count_table_by_ward_code(sample_app, tmp_path):
    path = write(
        tmp_path,
        "summer_survey.csv",
        "ward_code,category,count,comment\nE05900001,Youth,12,More clubs\nE05900002,library,3,\n",
    )
    result = invoke(sample_app, "import-needs", str(path), "--source", "summer survey")
    assert result.exit_code == 0, result.output
    assert "imported 2" in result.output and "count table" in result.output
    assert needs_by(sample_app, "summer survey") == [("E05900001", "youth", 12.0), ("E05900002", "library", 3.0)]
    with sample_app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.actor == "cli: import-needs")) is not None


def test_response_per_row_by_postcode_counts_each_category_once(sample_app, tmp_path):
    # XX1 3HE and XX1 3WJ lie in E05900003 in the sample postcode table.
    path = write(tmp_path, "responses.csv", "Postcode,Categories\nxx13he,youth; library\nXX1 3WJ,Youth\nXX1 3WJ,\n")
    result = invoke(sample_app, "import-needs", str(path))
    assert result.exit_code == 0, result.output
    assert "one response per row" in result.output
    assert "skipped 1: no category given" in result.output
    assert needs_by(sample_app, "survey: responses.csv") == [
        ("E05900003", "library", 1.0),
        ("E05900003", "youth", 1.0),
        ("E05900003", "youth", 1.0),
    ]


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            "ward_code,category,count\nE05900001,youth,2\nE05900001,unicorns,1\n",
            "responses.csv, row 3, field 'category': 'unicorns' is not a category in the taxonomy",
        ),
        (
            "ward_code,category,count\nE05900001,youth,lots\n",
            "responses.csv, row 2, field 'count': 'lots' is not a count",
        ),
        ("ward_code,category,count\nE05900001,youth,-4\n", "responses.csv, row 2, field 'count': '-4' is not a count"),
        (
            "ward_code,category\nE05999999,youth\n",
            "responses.csv, row 2, field 'ward_code': ward E05999999 is not among the loaded wards",
        ),
        (
            "postcode,category\nnot a postcode,youth\n",
            "responses.csv, row 2, field 'postcode': 'not a postcode' is not a UK postcode",
        ),
        (
            "postcode,category\nZZ9 9ZZ,youth\n",
            "responses.csv, row 2, field 'postcode': postcode ZZ9 9ZZ is not in the postcode table",
        ),
        (
            "ward_code,postcode,category\n,,youth\n",
            "responses.csv, row 2, field 'ward_code': the row has neither a ward code nor a postcode",
        ),
        ("ward_code,answer\nE05900001,youth\n", "responses.csv: no category column found"),
        ("place,category\nsomewhere,youth\n", "responses.csv: each row needs a ward code or a postcode"),
    ],
)
def test_bad_input_names_file_row_field_and_reason_and_writes_nothing(sample_app, tmp_path, body, expected):
    before = total_needs(sample_app)
    # A good row first: it must not be saved when a later row is bad.
    path = write(tmp_path, "responses.csv", body)
    result = invoke(sample_app, "import-needs", str(path))
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    assert expected in result.output, result.output
    assert total_needs(sample_app) == before


def test_missing_file_is_named(sample_app, tmp_path):
    result = invoke(sample_app, "import-needs", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1 and "nope.csv: there is no such file" in result.output


def test_category_map_translates_survey_answers(sample_app, tmp_path):
    mapping = write(tmp_path, "map.csv", "value,category\nSomewhere for teenagers,youth\nBooks,library\n")
    path = write(tmp_path, "answers.csv", "ward_code,need\nE05900004,Somewhere for teenagers\nE05900004,books\n")
    result = invoke(sample_app, "import-needs", str(path), "--category-map", str(mapping), "--source", "mapped")
    assert result.exit_code == 0, result.output
    assert needs_by(sample_app, "mapped") == [("E05900004", "library", 1.0), ("E05900004", "youth", 1.0)]


def test_dry_run_saves_nothing(sample_app, tmp_path):
    before = total_needs(sample_app)
    path = write(tmp_path, "responses.csv", "ward_code,category\nE05900001,youth\n")
    result = invoke(sample_app, "import-needs", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing saved" in result.output and "imported 1" in result.output
    assert total_needs(sample_app) == before


def test_reimporting_a_source_replaces_it(sample_app, tmp_path):
    path = write(tmp_path, "s.csv", "ward_code,category,count\nE05900001,youth,5\n")
    assert invoke(sample_app, "import-needs", str(path), "--source", "s").exit_code == 0
    path.write_text("ward_code,category,count\nE05900001,youth,7\n", encoding="utf-8")
    result = invoke(sample_app, "import-needs", str(path), "--source", "s")
    assert result.exit_code == 0, result.output
    assert "replaced 1 needs" in result.output
    assert needs_by(sample_app, "s") == [("E05900001", "youth", 7.0)]


def test_web_form_source_is_protected(sample_app, tmp_path):
    path = write(tmp_path, "s.csv", "ward_code,category\nE05900001,youth\n")
    result = invoke(sample_app, "import-needs", str(path), "--source", "web form")
    assert result.exit_code == 1 and "kept for the web form" in result.output
