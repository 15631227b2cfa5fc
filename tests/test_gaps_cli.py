"""`flask gaps --category ID --method M --distance METRES --out FILE`: the gap table as a file."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from webmap.analysis import GAP_COLUMNS
from webmap.gaps import service as gaps_service


def invoke(app, *args: str):
    """Run a flask command the way `flask --app webmap` does (inside an app context)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def expected(app, category, method, distance):
    with app.app_context():
        return gaps_service.gap_frame(gaps_service.GapQuery(category, method, float(distance)))


@pytest.mark.parametrize("method", ["count", "share", "2sfca", "e2sfca"])
def test_csv_for_one_category_keeps_every_column(sample_app, tmp_path, method):
    out = tmp_path / "youth.csv"
    result = invoke(
        sample_app, "gaps", "--category", "youth", "--method", method, "--distance", "1000", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert f"Wrote 16 wards to {out} (csv; youth, {method}, 1000 m)" in result.output
    table = pd.read_csv(out)
    assert list(table.columns) == GAP_COLUMNS
    want = expected(sample_app, "youth", method, 1000)
    assert table["ward_code"].tolist() == want["ward_code"].tolist()
    assert table["gap_score"].tolist() == pytest.approx(want["gap_score"].tolist())
    assert set(table["method"]) == {method} and set(table["distance_m"]) == {1000}
    top = want.iloc[0]
    flag = "; few responses" if top["few_responses"] else ""
    assert (
        f"1. {top['ward_name']} ({top['ward_code']}): unmet need {top['gap_score']:,.2f} per 1,000 "
        f"({top['responses']:,.0f} responses, {top['need_count']:,.0f} stated needs{flag})"
    ) in result.output
    assert {"responses", "few_responses", "own_rate_weight"} <= set(table.columns)


def test_csv_figures_worked_by_hand(app, tmp_path):
    """The tiny area of test_gaps_web: youth asked for only in Ward 1 (4 of 4,000), no youth places anywhere."""
    from tests.test_gaps_web import tiny_area

    tiny_area(app)
    out = tmp_path / "youth.csv"
    result = invoke(app, "gaps", "--category", "youth", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("ward_code")
    # Worked in test_gaps_web.test_category_with_no_places_anywhere: weights 8/13 and 12/17 on the own
    # rates 1 and 0 per 1,000, area rate 0.4; Ward 3 has no population, so no score.
    assert table.loc["E05000001", "own_rate_weight"] == pytest.approx(8 / 13)
    assert table.loc["E05000002", "own_rate_weight"] == pytest.approx(12 / 17)
    assert table.loc["E05000001", "gap_score"] == pytest.approx(10 / 13, abs=1e-4)
    assert table.loc["E05000002", "gap_score"] == pytest.approx(2 / 17, abs=1e-4)
    assert pd.isna(table.loc["E05000003", "gap_score"])
    assert table.loc["E05000001", "area_need_per_1000"] == pytest.approx(0.4)
    assert (
        "1. Ward 1 (E05000001): unmet need 0.77 per 1,000 (4 responses, 4 stated needs; few responses)" in result.output
    )


def test_summary_flags_few_responses(sample_app, tmp_path):
    """A ward resting on 2 responses carries the flag in the CLI summary and in every export."""
    from webmap.core.db import db
    from webmap.core.models import Need

    with sample_app.app_context():
        db.session.execute(db.delete(Need))
        db.session.add_all(
            [
                Need(ward_code="E05900001", category_id="sport", count=2, source="survey"),
                Need(ward_code="E05900002", category_id="sport", count=40, source="survey"),
            ]
        )
        db.session.commit()
    out = tmp_path / "sport.csv"
    result = invoke(sample_app, "gaps", "--category", "sport", "--out", str(out))
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("ward_code")
    assert table.loc["E05900001", "responses"] == 2 and table.loc["E05900001", "few_responses"]
    assert not table.loc["E05900002", "few_responses"]
    assert "fewer than 10 responses" in result.output
    line = next(li for li in result.output.splitlines() if "(E05900001)" in li or "(E05900002)" in li)
    assert "E05900002" in line and "(40 responses, 40 stated needs)" in line  # 40 responses rank above 2
    gj = tmp_path / "sport.geojson"
    assert invoke(sample_app, "gaps", "--category", "sport", "--out", str(gj)).exit_code == 0
    props = {f["properties"]["ward_code"]: f["properties"] for f in json.loads(gj.read_text())["features"]}
    assert props["E05900001"]["few_responses"] is True and props["E05900001"]["responses"] == 2


def test_all_needs_to_geojson_and_geopackage(sample_app, tmp_path):
    geojson, gpkg = tmp_path / "all.geojson", tmp_path / "all.gpkg"
    assert invoke(sample_app, "gaps", "--category", "all", "--out", str(geojson)).exit_code == 0
    data = json.loads(geojson.read_text())
    assert len(data["features"]) == 16
    props = data["features"][0]["properties"]
    assert props["category"] == "all" and {"top_category", "categories_considered", "gap_score"} <= set(props)

    result = invoke(sample_app, "gaps", "--out", str(gpkg), "--method", "2sfca")
    assert result.exit_code == 0, result.output
    back = gpd.read_file(gpkg, layer="gaps", engine="pyogrio")
    want = expected(sample_app, "all", "2sfca", 800)
    assert len(back) == 16 and back.crs.to_epsg() == 4326
    assert back["gap_score"].tolist() == pytest.approx(want["gap_score"].tolist())
    assert back.geometry.geom_type.isin(["MultiPolygon", "Polygon"]).all()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--category", "unicorns", "--out", "x.csv"], "Category: 'unicorns' is not a category"),
        (["--out", "x.xlsx"], "'x.xlsx' must end in .csv, .geojson or .gpkg"),
        (["--distance", "0", "--out", "x.csv"], "Distance: enter a number of metres between 100 and 10,000"),
        (["--method", "magic", "--out", "x.csv"], "Invalid value for '--method'"),
    ],
)
def test_bad_options_are_explained(sample_app, tmp_path, args, message):
    result = invoke(sample_app, "gaps", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "x.csv").exists()


def test_no_wards_yet(app, tmp_path):
    result = invoke(app, "gaps", "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 1 and "There are no wards yet" in result.output


def test_ward_without_population_is_reported(sample_app, tmp_path):
    from webmap.core.db import db
    from webmap.core.models import Ward

    with sample_app.app_context():
        db.session.get(Ward, 1).population = None
        db.session.commit()
    out = tmp_path / "x.csv"
    result = invoke(sample_app, "gaps", "--category", "youth", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1 ward has no population figure" in result.output
    table = pd.read_csv(out)
    assert table["population"].isna().sum() == 1
    assert table.loc[table["population"].isna(), "note"].str.contains("population unknown").all()
