"""Acceptance test on the shared study-area data (Oldham, Wigan, Wirral: 67 wards).

Population points come from the ward-spread method (``population_method == "ward_spread"``):
there is no 2021 LSOA centroid file covering all three authorities. The LSOA table and the
best-fit lookup are used to check that ward populations add up to the loaded totals.
Set WEBMAP_SHARED_DATA to the shared data folder; the test skips when it is absent (fails in CI).
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tests.conftest import unavailable
from webmap.analysis import gap_table, overall_gaps, population_points, to_metric

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("WEBMAP_SHARED_DATA", REPO / ".." / "shared" / "data"))
WARDS = SHARED / "boundaries/wards/study_area_wards.geojson"
POPULATION = SHARED / "population/ward_population_deprivation_study_area.csv"
LSOA_POP = SHARED / "population/census2021_lsoa21_usual_residents_by_age_ew.csv.gz"
LOOKUP = SHARED / "lookups/lsoa_to_ward_best_fit_study_area.csv"
ASSETS = SHARED / "assets/study_area/community_assets_study_area.geojson"


@pytest.fixture(autouse=True, scope="module")
def _kit_present() -> None:
    """Skip the module when the kit is absent (fail it in CI)."""
    missing = [p for p in (WARDS, POPULATION, LSOA_POP, LOOKUP, ASSETS) if not p.exists()]
    if missing:
        unavailable(f"shared data not found: {missing[0]} (set WEBMAP_SHARED_DATA)")


@pytest.fixture(scope="module")
def wards() -> gpd.GeoDataFrame:
    """Study-area wards in the store layer's convention (code, name, population, deprivation)."""
    boundaries = gpd.read_file(WARDS)
    figures = pd.read_csv(POPULATION)
    merged = boundaries.merge(
        figures[["ward_code", "census2021_usual_residents_total", "imd2019_popweighted_mean_decile"]],
        on="ward_code",
        how="left",
    )
    return gpd.GeoDataFrame(
        {
            "code": merged["ward_code"],
            "name": merged["ward_name"],
            "population": merged["census2021_usual_residents_total"].astype(float),
            "deprivation": merged["imd2019_popweighted_mean_decile"].astype(float),
        },
        geometry=merged.geometry,
        crs=boundaries.crs,
    )


@pytest.fixture(scope="module")
def assets() -> gpd.GeoDataFrame:
    return gpd.read_file(ASSETS)[["asset_id", "category", "geometry"]]


@pytest.fixture(scope="module")
def needs(wards: gpd.GeoDataFrame) -> pd.DataFrame:
    """Deterministic synthetic stated need for GPs and libraries in every third ward."""
    codes = sorted(wards["code"])[::3]
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "ward_code": codes * 2,
            "category": ["gp_practice"] * len(codes) + ["library"] * len(codes),
            "count": rng.integers(1, 40, 2 * len(codes)).astype(float),
        }
    )


def test_ward_populations_sum_to_loaded_totals(wards: gpd.GeoDataFrame) -> None:
    lookup = pd.read_csv(LOOKUP)
    lookup = lookup[lookup["lsoa_vintage"] == 2021]
    lsoa = pd.read_csv(LSOA_POP, usecols=["lsoa21_code", "usual_residents_total"])
    by_ward = (
        lookup.merge(lsoa, left_on="lsoa_code", right_on="lsoa21_code")
        .groupby("ward_code")["usual_residents_total"]
        .sum()
    )
    assert len(wards) == 67
    assert (
        wards["population"].sum() == by_ward.sum() == pd.read_csv(POPULATION)["census2021_usual_residents_total"].sum()
    )
    pts, method = population_points(wards)
    assert method == "ward_spread"
    spread = pts.groupby("ward_code")["population"].sum().reindex(wards["code"]).to_numpy()
    np.testing.assert_allclose(spread, wards["population"].to_numpy())
    np.testing.assert_allclose(spread, by_ward.reindex(wards["code"]).to_numpy())


@pytest.mark.parametrize("category", ["gp_practice", "library"])
@pytest.mark.parametrize("method", ["count", "share", "2sfca", "e2sfca"])
def test_gap_tables(wards, assets, needs, category: str, method: str) -> None:
    table = gap_table(wards, assets, needs, category, method=method)
    assert len(table) == 67 and table["ward_code"].is_unique
    assert table["population"].sum() == wards["population"].sum()
    assert set(table["population_method"]) == {"ward_spread"}
    assert (table["gap_score"] >= 0).all() and table["access_norm"].between(0, 1).all()
    assert table["own_rate_weight"].between(0, 1).all()
    assert (table["few_responses"] == (table["responses"] < 10)).all()
    assert table["rank"].min() == 1 and table["gap_score"].iloc[0] == table["gap_score"].max()
    in_area = assets[assets["category"] == category]["asset_id"].nunique()
    # Every asset in the study-area file lies in (exactly) one of the 67 wards.
    assert table["assets_in_ward"].sum() == in_area
    assert (table["assets_within_distance"] >= table["assets_in_ward"]).all()
    assert table.crs == wards.crs


def test_one_ward_by_brute_force(wards, assets, needs) -> None:
    """Recompute one ward's share, counts and gap with plain shapely loops."""
    table = gap_table(wards, assets, needs, "gp_practice", method="share").set_index("ward_code")
    code = sorted(wards["code"])[0]  # a ward with stated need (every third ward from the first)
    metric_wards = to_metric(wards).set_index("code")
    gps = to_metric(assets[assets["category"] == "gp_practice"]).to_crs(metric_wards.crs)
    pts, _ = population_points(wards)
    mine = pts[pts["ward_code"] == code]
    reached = sum(
        p for p, g in zip(mine["population"], mine.geometry) if any(g.distance(a) <= 800 for a in gps.geometry)
    )
    share = reached / mine["population"].sum()
    polygon = metric_wards.loc[code, "geometry"]
    inside = sum(polygon.intersects(a) for a in gps.geometry)
    near = sum(polygon.distance(a) <= 800 for a in gps.geometry)
    row = table.loc[code]
    assert row["access_share"] == pytest.approx(share, abs=1e-12)
    assert row["assets_in_ward"] == inside and row["assets_within_distance"] == near
    # Marshall's empirical Bayes rate, written out from its definition over all 67 wards.
    pop = wards.set_index("code")["population"]
    e = needs[needs["category"] == "gp_practice"].set_index("ward_code")["count"].reindex(pop.index, fill_value=0)
    m = e.sum() / pop.sum()
    s2 = max(((pop * (e / pop - m) ** 2).sum() / pop.sum()) - m / pop.mean(), 0)
    w = s2 / (s2 + m / pop[code])
    smoothed = (w * e[code] / pop[code] + (1 - w) * m) * 1000
    assert row["need_per_1000_smoothed"] == pytest.approx(smoothed, rel=1e-9)
    assert row["gap_score"] == pytest.approx(round(smoothed * (1 - share), 6), abs=1e-6)


def test_overall_gaps_real(wards, assets, needs) -> None:
    table = overall_gaps(wards, assets, needs, method="e2sfca", deprivation_weight=True)
    assert len(table) == 67
    asked = table["need_count"] > 0
    assert table.loc[asked, "top_category"].isin(["gp_practice", "library"]).all()
    # A ward nobody in asked about rests on the area rate only, and says so.
    assert table.loc[~asked, "few_responses"].all() and (table.loc[~asked, "own_rate_weight"] < 1).all()
    assert table.loc[~asked, "note"].str.contains("area rate").all()
    assert (table.loc[asked, "rank"].min() == 1) and table["rank"].notna().all()
