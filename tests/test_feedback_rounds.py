"""Needs keep their time: survey rounds (`import-needs --round NAME --round-date DATE`), the needs page and its exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from webmap.core.db import db
from webmap.core.models import GapSnapshot, Need, SurveyRound
from webmap.gaps import service as gaps_service

WARD_A, WARD_B = "E05900001", "E05900002"


def invoke(app, *args: str):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def write(tmp_path, name: str, rows: list[tuple[str, str, int]]):
    path = tmp_path / name
    path.write_text("ward_code,category,count\n" + "".join(f"{w},{c},{n}\n" for w, c, n in rows), encoding="utf-8")
    return path


def by_round(app) -> dict[str, float]:
    with app.app_context():
        rows = db.session.execute(
            select(SurveyRound.name, func.sum(Need.count))
            .join(Need, Need.round_id == SurveyRound.id)
            .group_by(SurveyRound.name)
        ).all()
        return {name: float(total) for name, total in rows}


@pytest.fixture
def rounds_app(make_app):
    """The sample area with snapshots taken inline for the share method (what the two-round series needs)."""
    from tests.conftest import load_fresh_sample

    app = make_app(GAP_SNAPSHOTS="inline", GAP_SNAPSHOT_METHODS="share")
    with app.app_context():
        load_fresh_sample()
    return app


def test_a_new_round_adds_and_reimporting_a_round_replaces_only_it(sample_app, tmp_path):
    spring = write(tmp_path, "spring.csv", [(WARD_A, "food_support", 14), (WARD_B, "youth", 2)])
    autumn = write(tmp_path, "autumn.csv", [(WARD_A, "food_support", 3)])
    first = invoke(
        sample_app, "import-needs", str(spring), "--round", "Spring 2026 survey", "--round-date", "2026-03-31"
    )
    assert first.exit_code == 0, first.output
    assert "round 'Spring 2026 survey' of 31 March 2026" in first.output
    assert (
        invoke(
            sample_app, "import-needs", str(autumn), "--round", "Autumn 2026 survey", "--round-date", "2026-10-15"
        ).exit_code
        == 0
    )
    assert by_round(sample_app) == {"Spring 2026 survey": 16.0, "Autumn 2026 survey": 3.0}

    corrected = write(tmp_path, "spring_v2.csv", [(WARD_A, "food_support", 15)])
    again = invoke(sample_app, "import-needs", str(corrected), "--round", "Spring 2026 survey")
    assert again.exit_code == 0, again.output
    assert "replaced 2 needs imported earlier for round 'Spring 2026 survey'" in again.output
    assert by_round(sample_app) == {"Spring 2026 survey": 15.0, "Autumn 2026 survey": 3.0}
    with sample_app.app_context():
        dates = set(db.session.scalars(select(Need.asked_on).where(Need.round_id.is_not(None))))
        # The sample survey (no round) is untouched by either round.
        assert db.session.scalar(select(func.sum(Need.count)).where(Need.source == "sample survey")) == 896
    assert dates == {date(2026, 3, 31), date(2026, 10, 15)}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--round", "Winter survey"], "'Winter survey' is a new survey round: give its date with --round-date"),
        (["--round", "Winter survey", "--round-date", "31/01/2026"], "the round date '31/01/2026' is not a date"),
        (["--round-date", "2026-01-31"], "--round-date needs --round"),
        (
            ["--round", "Winter survey", "--round-date", (date.today() + timedelta(days=40)).isoformat()],
            "is in the future",
        ),
    ],
)
def test_bad_round_options_are_refused_and_nothing_is_saved(sample_app, tmp_path, args, message):
    path = write(tmp_path, "winter.csv", [(WARD_A, "youth", 4)])
    with sample_app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Need))
    result = invoke(sample_app, "import-needs", str(path), *args)
    assert result.exit_code != 0
    assert message in result.output and "winter.csv" in result.output
    with sample_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Need)) == before
        assert db.session.scalar(select(func.count()).select_from(SurveyRound)) == 0


def test_a_round_date_that_contradicts_the_stored_one_is_refused(sample_app, tmp_path):
    path = write(tmp_path, "s.csv", [(WARD_A, "youth", 4)])
    assert invoke(sample_app, "import-needs", str(path), "--round", "S", "--round-date", "2026-03-01").exit_code == 0
    result = invoke(sample_app, "import-needs", str(path), "--round", "S", "--round-date", "2026-03-02")
    assert result.exit_code != 0 and "round 'S' was held on 2026-03-01, not 2026-03-02" in result.output


def test_the_latest_round_supersedes_earlier_needs_in_the_gap_table(sample_app, tmp_path):
    spring = write(tmp_path, "spring.csv", [(WARD_A, "food_support", 14)])
    assert (
        invoke(sample_app, "import-needs", str(spring), "--round", "Spring", "--round-date", "2026-03-31").exit_code
        == 0
    )
    with sample_app.app_context():
        table = gaps_service.gap_frame(gaps_service.GapQuery("food_support", "share", 800.0))
        need = dict(zip(table["ward_code"], table["need_count"]))
        today_sample = db.session.scalar(
            select(func.sum(Need.count)).where(
                Need.ward_code == WARD_A, Need.category_id == "food_support", Need.round_id.is_(None)
            )
        )
    # The sample survey has no round and is dated today, after the round: it counts beside the round's needs.
    assert need[WARD_A] == 14 + today_sample
    with sample_app.app_context():
        db.session.execute(Need.__table__.update().where(Need.round_id.is_(None)).values(asked_on=date(2026, 1, 1)))
        db.session.commit()
        table = gaps_service.gap_frame(gaps_service.GapQuery("food_support", "share", 800.0))
    # Dated before the round, it is superseded by it.
    assert dict(zip(table["ward_code"], table["need_count"]))[WARD_A] == 14


def test_two_rounds_give_a_two_point_series_equal_to_separate_gap_tables(rounds_app, tmp_path):
    from webmap.gaps.history import series
    from webmap.importers.needs import import_needs

    spring_rows = [(WARD_A, "food_support", 14), (WARD_B, "food_support", 5), (WARD_A, "youth", 2)]
    autumn_rows = [(WARD_A, "food_support", 3), (WARD_B, "food_support", 9)]
    spring, autumn = write(tmp_path, "spring.csv", spring_rows), write(tmp_path, "autumn.csv", autumn_rows)
    with rounds_app.app_context():
        # Only the rounds' needs: the sample survey would otherwise count in both periods.
        db.session.execute(Need.__table__.delete())
        db.session.commit()
    for path, name, when in [
        (spring, "Spring 2026 survey", "2026-03-31"),
        (autumn, "Autumn 2026 survey", "2026-10-15"),
    ]:
        result = invoke(rounds_app, "import-needs", str(path), "--round", name, "--round-date", when)
        assert result.exit_code == 0, result.output

    # Each round's gap table computed on its own, from a fresh database holding only that round's needs.
    expected = {}
    for name, rows in [("spring", spring_rows), ("autumn", autumn_rows)]:
        with rounds_app.app_context():
            db.session.execute(Need.__table__.delete())
            db.session.flush()
            import_needs(write(tmp_path, f"{name}_alone.csv", rows), source=f"{name} alone")
            expected[name] = gaps_service.gap_frame(gaps_service.GapQuery("food_support", "share", 800.0))
            db.session.rollback()

    with rounds_app.app_context():
        points = series(WARD_A, "food_support")
        assert [p.as_of for p in points] == [date(2026, 3, 31), date(2026, 10, 15)]
        assert [p.period for p in points] == ["Spring 2026 survey", "Autumn 2026 survey"]
        for point, name in zip(points, ["spring", "autumn"]):
            table = expected[name].set_index("ward_code")
            row = table.loc[WARD_A]
            assert point.need_count == row["need_count"]
            assert point.gap_score == pytest.approx(row["gap_score"])
            assert point.access_share == pytest.approx(row["access_share"])
            assert point.figures["rank"] == row["rank"]
        # One back-dated entry per round, and one entry of today's figures (which pages show).
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(GapSnapshot)
                .where(GapSnapshot.kind == "round", GapSnapshot.as_of < date.today())
            )
            == 2
        )
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(GapSnapshot)
                .where(GapSnapshot.kind == "round", GapSnapshot.as_of == date.today())
            )
            == 1
        )

    history = invoke(rounds_app, "gaps", "history", "--ward", WARD_A, "--category", "food_support")
    assert history.exit_code == 0, history.output
    lines = [line for line in history.output.splitlines() if line.startswith("2026-")]
    assert len(lines) == 2
    assert lines[0].startswith("2026-03-31  Spring 2026 survey") and " 14 " in lines[0]
    assert lines[1].startswith("2026-10-15  Autumn 2026 survey") and " 3 " in lines[1]


def _round_ids(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(SurveyRound.name, SurveyRound.id)).all())


def test_needs_page_and_exports_filter_by_round_and_dates(sample_app, tmp_path):
    spring = write(tmp_path, "spring.csv", [(WARD_A, "food_support", 14)])
    autumn = write(tmp_path, "autumn.csv", [(WARD_B, "youth", 3)])
    invoke(sample_app, "import-needs", str(spring), "--round", "Spring", "--round-date", "2026-03-31")
    invoke(sample_app, "import-needs", str(autumn), "--round", "Autumn", "--round-date", "2026-10-15")
    ids = _round_ids(sample_app)
    client = sample_app.test_client()

    page = client.get(f"/needs/?round={ids['Spring']}").get_data(as_text=True)
    assert "2026-03-31" in page and "2026-10-15" not in page

    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/needs/export.csv?round={ids['Autumn']}").get_data(as_text=True)))
    )
    assert [(r["ward_code"], r["category"], r["round"], r["asked_on"], float(r["count"])) for r in rows] == [
        (WARD_B, "youth", "Autumn", "2026-10-15", 3.0)
    ]

    ranged = list(
        csv.DictReader(
            io.StringIO(client.get("/needs/export.csv?from=2026-01-01&to=2026-06-30").get_data(as_text=True))
        )
    )
    assert {r["round"] for r in ranged} == {"Spring"}

    geo = json.loads(client.get("/needs/export.geojson?from=2026-10-01&to=2026-10-31").get_data(as_text=True))
    assert [f["properties"]["ward_code"] for f in geo["features"]] == [WARD_B]
    assert geo["features"][0]["geometry"]["type"] in ("MultiPolygon", "Polygon")

    web_only = list(csv.DictReader(io.StringIO(client.get("/needs/export.csv?round=none").get_data(as_text=True))))
    assert web_only and {r["round"] for r in web_only} == {""}


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=yesterday", "From: enter a date as YYYY-MM-DD"),
        ("from=2026-05-01&to=2026-04-01", "The &#39;from&#39; date is after the &#39;to&#39; date"),
    ],
)
def test_bad_filters_are_explained(sample_app, query, message):
    client = sample_app.test_client()
    page = client.get(f"/needs/?{query}")
    assert page.status_code == 200 and message in page.get_data(as_text=True)
    assert client.get(f"/needs/export.csv?{query}").status_code == 400
