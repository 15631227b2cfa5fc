"""Acceptance on the open data kit: 67 study-area wards, census LSOA population, 1,565 assets.

Everything goes in through the importers and comes out through the CLI and the page, as a
council officer would use them. Skips cleanly when ../shared/data is absent (fails in CI).
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.conftest import REPO, shared_data
from webmap.core.db import db
from webmap.core.models import Asset, Ward

pytestmark = pytest.mark.realdata

# Census 2021 usual residents of each authority in the study area (ONS).
LA_TOTALS = {"Oldham": 242_104, "Wigan": 329_339, "Wirral": 320_197}
HAND_WARD = "E05014646"  # Alexandra, Oldham
OTHER_WARD = "E05014647"  # Chadderton Central, Oldham


def invoke(app, *args: str):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def study_area(app, tmp_path):
    """Load the study area through the import commands; return (app, import outputs, source paths)."""
    paths = {
        "wards": shared_data("boundaries", "wards", "study_area_wards.geojson"),
        "population": shared_data("population", "census2021_lsoa21_usual_residents_by_age_ew.csv.gz"),
        "lookup": shared_data("lookups", "lsoa_to_ward_best_fit_study_area.csv"),
        "assets": shared_data("assets", "study_area", "community_assets_study_area.geojson"),
    }
    out = {
        "wards": invoke(app, "import-wards", paths["wards"]),
        "population": invoke(
            app, "import-population", paths["population"], "--lookup", paths["lookup"], "--lsoa-vintage", "2021"
        ),
        "assets": invoke(
            app, "import-assets", paths["assets"], "--category-map", REPO / "data" / "category_maps" / "study_area.csv"
        ),
    }
    survey = tmp_path / "survey.csv"
    survey.write_text(
        f"ward_code,category,count\n{HAND_WARD},gp_practice,30\n{OTHER_WARD},gp_practice,10\n{HAND_WARD},library,5\n",
        encoding="utf-8",
    )
    out["needs"] = invoke(app, "import-needs", survey, "--source", "acceptance survey")
    return app, out, paths


def test_imports_and_population_totals(study_area):
    app, out, paths = study_area
    assert "imported 67" in out["wards"]
    reported = int(re.search(r"total ([\d,]+)", out["population"]).group(1).replace(",", ""))
    with app.app_context():
        by_la = dict(db.session.execute(select(Ward.lad_name, func.sum(Ward.population)).group_by(Ward.lad_name)).all())
        assets = db.session.scalar(select(func.count()).select_from(Asset))
        missing = db.session.scalar(select(func.count()).select_from(Ward).where(Ward.population.is_(None)))
    assert {k: round(v) for k, v in by_la.items()} == LA_TOTALS
    assert sum(by_la.values()) == reported == sum(LA_TOTALS.values())
    assert missing == 0
    read = int(re.search(r"read (\d+)", out["assets"]).group(1))
    skipped = int(re.search(r"skipped (\d+), refused 0\.", out["assets"]).group(1))
    assert read == 1565 and assets == read - skipped and assets > 1500


def test_gap_tables_for_gps_and_libraries(study_area, tmp_path):
    app, _, paths = study_area
    for category in ("gp_practice", "library"):
        out = tmp_path / f"{category}.csv"
        invoke(app, "gaps", "--category", category, "--method", "share", "--out", out)
        table = pd.read_csv(out)
        assert len(table) == 67 and table["ward_code"].is_unique
        assert round(table["population"].sum()) == sum(LA_TOTALS.values())
        assert table["population_method"].eq("ward_spread").all()
        assert table["access_share"].between(0, 1).all()
        assert (table["gap_score"] >= 0).all() and table["own_rate_weight"].between(0, 1).all()
        # Only the wards that asked (and cannot all reach one) keep a sizeable share of their own rate.
        assert (table["responses"] > 0).sum() == (2 if category == "gp_practice" else 1)
        assert (table["few_responses"] == (table["responses"] < 10)).all()
    html = app.test_client().get("/gaps?category=library").get_data(as_text=True)
    assert len(re.findall(r'<th scope="row" class="ward"><a href="/wards/E05\d{6}\?', html)) == 67
    assert "Alexandra" in app.test_client().get(f"/wards/{HAND_WARD}").get_data(as_text=True)


def test_one_ward_by_hand(study_area, tmp_path):
    """Alexandra's GP gap with the count method, worked out from the source files alone."""
    app, _, paths = study_area
    out = tmp_path / "gp.csv"
    invoke(app, "gaps", "--category", "gp_practice", "--method", "count", "--out", out)
    table = pd.read_csv(out).set_index("ward_code")

    # Population: the ward's 2021 LSOAs (best-fit lookup) summed.
    lookup = pd.read_csv(paths["lookup"])
    lookup = lookup[lookup["lsoa_vintage"] == 2021]
    lsoa = pd.read_csv(paths["population"], usecols=["lsoa21_code", "usual_residents_total"])
    pops = (
        lookup.merge(lsoa, left_on="lsoa_code", right_on="lsoa21_code")
        .groupby("ward_code")["usual_residents_total"]
        .sum()
    )
    # GP practices inside each ward's polygon (point in polygon, no boundary ties among GPs here).
    wards = gpd.read_file(paths["wards"])
    gps = gpd.read_file(paths["assets"])
    gps = gps[gps["category"] == "gp_practice"]
    inside = gpd.sjoin(gps[["geometry"]], wards[["ward_code", "geometry"]], predicate="within")
    counts = inside.groupby("ward_code").size().reindex(wards["ward_code"], fill_value=0)
    per_1000 = counts / pops.reindex(counts.index) * 1000

    pop = pops[HAND_WARD]
    # Empirical Bayes over all 67 wards: 30 + 10 GP requests among all residents.
    need = pd.Series(0.0, index=pops.index)
    need[HAND_WARD], need[OTHER_WARD] = 30, 10
    m = need.sum() / pops.sum()
    s2 = max((pops * (need / pops - m) ** 2).sum() / pops.sum() - m / pops.mean(), 0)
    w = s2 / (s2 + m / pop)
    smoothed = (w * 30 / pop + (1 - w) * m) * 1000
    access = per_1000[HAND_WARD] / per_1000.max()
    gap = smoothed * (1 - access)

    row = table.loc[HAND_WARD]
    assert row["population"] == pop
    assert row["assets_in_ward"] == counts[HAND_WARD]
    assert row["assets_per_1000"] == pytest.approx(per_1000[HAND_WARD], rel=1e-9)
    assert row["need_count"] == 30 and row["need_per_1000"] == pytest.approx(30 / pop * 1000, rel=1e-9)
    assert row["responses"] == 30 and not row["few_responses"]
    assert row["own_rate_weight"] == pytest.approx(w, rel=1e-9)
    assert row["need_per_1000_smoothed"] == pytest.approx(smoothed, rel=1e-9)
    assert row["access_norm"] == pytest.approx(access, rel=1e-9)
    assert row["gap_score"] == pytest.approx(gap, abs=1e-6)
    page = app.test_client().get("/gaps?category=gp_practice&method=count").get_data(as_text=True)
    alexandra = page.split(">Alexandra</a></th>")[1].split("</tr>")[0]
    assert f"{pop:,.0f}" in alexandra and f"{gap:,.2f}" in alexandra
