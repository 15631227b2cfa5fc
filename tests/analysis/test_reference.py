"""The fast gap analysis gives the same answers as the ward-by-ward reference (webmap.analysis.reference)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from tests.conftest import shared_data
from webmap.analysis import category_gaps, gap_table, gap_tables, overall_gaps
from webmap.analysis.reference import per_ward_access_share, per_ward_overall_gaps

CATEGORIES = ["cafe", "gp_practice", "library", "youth_club"]


def _grid_wards(columns: int = 6, rows: int = 5, size: float = 1500.0) -> gpd.GeoDataFrame:
    """A grid of square wards in British National Grid, one of them with nobody living in it."""
    cells = [
        box(430000 + i * size, 380000 + j * size, 430000 + (i + 1) * size, 380000 + (j + 1) * size)
        for j in range(rows)
        for i in range(columns)
    ]
    population = np.linspace(800, 9000, len(cells))
    if len(cells) > 7:
        population[7] = 0
    return gpd.GeoDataFrame(
        {
            "code": [f"W{k:03d}" for k in range(len(cells))],
            "name": [f"Ward {k}" for k in range(len(cells))],
            "population": population,
            "deprivation": np.nan,
        },
        geometry=cells,
        crs=27700,
    )


def _scatter(wards: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> gpd.GeoSeries:
    """n points around the wards' interiors (a random ward's inner point plus jitter of its size)."""
    inner = wards.geometry.representative_point()
    size = np.sqrt(wards.area.to_numpy()) / 3
    pick = rng.integers(0, len(wards), n)
    x = inner.x.to_numpy()[pick] + rng.normal(0, 1, n) * size[pick]
    y = inner.y.to_numpy()[pick] + rng.normal(0, 1, n) * size[pick]
    return gpd.GeoSeries(gpd.points_from_xy(x, y), crs=wards.crs)


def _inputs(wards: gpd.GeoDataFrame, seed: int, places: int = 400, points: int = 600):
    rng = np.random.default_rng(seed)
    categories = np.array(CATEGORIES)
    picked = categories[rng.integers(0, len(categories), places)]
    picked[picked == "youth_club"] = "cafe"  # asked for, but nowhere to be found: share 0 everywhere
    assets = gpd.GeoDataFrame(
        {"asset_id": np.arange(places), "category": picked}, geometry=_scatter(wards, places, rng)
    )
    # One place listed under two categories, and once twice under the same one (still one place).
    assets = pd.concat([assets, assets.iloc[[0]].assign(category="library"), assets.iloc[[1]]], ignore_index=True)
    population = gpd.GeoDataFrame(
        {"population": rng.integers(0, 400, points).astype(float)}, geometry=_scatter(wards, points, rng)
    )
    population = population[~population.within(wards.geometry.iloc[7])]  # ward 7: no residents at all
    needs = pd.DataFrame(
        {
            "ward_code": wards["code"].to_numpy()[rng.integers(0, len(wards), 200)],
            "category": categories[rng.integers(0, len(categories), 200)],
            "count": rng.integers(1, 6, 200).astype(float),
        }
    )
    return assets, population, needs


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_points", [True, False], ids=["population points", "ward figures spread"])
@pytest.mark.parametrize("prefilter", ["bbox", "index"])
def test_overall_gaps_equal_the_ward_by_ward_reference(seed, with_points, prefilter) -> None:
    wards = _grid_wards()
    assets, population, needs = _inputs(wards, seed)
    population = population if with_points else None
    fast = overall_gaps(wards, assets, needs, "share", 800, population).set_index("ward_code").sort_index()
    slow = per_ward_overall_gaps(wards, assets, needs, 800, population, prefilter).sort_index()
    assert list(fast.index) == list(slow.index)
    np.testing.assert_allclose(fast["population"], slow["population"], rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(fast["gap_score"], slow["gap_score"], rtol=1e-9, atol=1e-6, equal_nan=True)
    assert fast["gap_score"].notna().sum() >= len(wards) - 1 and (fast["gap_score"] > 0).sum() > 10


def test_category_shares_equal_the_reference_and_a_missing_kind_of_place_reaches_nobody() -> None:
    wards = _grid_wards()
    assets, population, needs = _inputs(wards, seed=4)
    fast = category_gaps(wards, assets, needs, CATEGORIES, "share", 800, population)
    slow = per_ward_access_share(wards, assets, CATEGORIES, 800, population)
    for category in CATEGORIES:
        mine = fast[fast["category"] == category].set_index("ward_code")["access_share"].reindex(slow.index)
        np.testing.assert_allclose(mine, slow[category], rtol=1e-12, equal_nan=True)
    assert (slow["youth_club"].dropna() == 0).all() and slow["cafe"].max() > 0.5
    assert np.isnan(slow.loc["W007", "cafe"])  # nobody lives there: no share, not 0


def test_the_reference_agrees_on_a_sample_of_real_wards() -> None:
    """300 real wards (one run of ward codes) with generated places: uneven shapes, shared boundaries."""
    path = shared_data("boundaries", "national", "wards_2013_england_wales_bgc.gpkg")
    real = gpd.read_file(path, layer="wards_2013").sort_values("ward_code").iloc[2000:2300]
    wards = gpd.GeoDataFrame(
        {
            "code": real["ward_code"].to_numpy(),
            "name": real["ward_name"].to_numpy(),
            "population": np.full(len(real), 5000.0),
            "deprivation": np.nan,
        },
        geometry=real.geometry.buffer(0).to_numpy(),
        crs=real.crs,
    ).to_crs(4326)
    metric = wards.to_crs(27700)
    assets, population, needs = _inputs(metric, seed=5, places=6000, points=3000)
    assets = assets.to_crs(4326)  # a CRS mismatch on the way in: both sides reproject the same way
    fast = overall_gaps(wards, assets, needs, "share", 800, population).set_index("ward_code").sort_index()
    slow = per_ward_overall_gaps(wards, assets, needs, 800, population).sort_index()
    np.testing.assert_allclose(fast["gap_score"], slow["gap_score"], rtol=1e-9, atol=1e-6, equal_nan=True)
    assert fast["gap_score"].notna().sum() > 250


def test_points_on_a_shared_boundary_count_once_for_the_lowest_ward_code() -> None:
    wards = _grid_wards(2, 1)
    edge = gpd.GeoDataFrame(
        {"population": [100.0, 50.0]}, geometry=gpd.points_from_xy([431500, 431000], [380500, 380700]), crs=27700
    )
    places = gpd.GeoDataFrame(
        {"asset_id": [1], "category": ["cafe"]}, geometry=gpd.points_from_xy([434000], [380500]), crs=27700
    )
    slow = per_ward_access_share(wards, places, ["cafe"], 800, edge)
    fast = overall_gaps(
        wards, places, pd.DataFrame({"ward_code": ["W000"], "category": ["cafe"], "count": [3.0]}), "share", 800, edge
    )
    assert slow.loc["W000", "population"] == 150.0 and np.isnan(slow.loc["W001", "population"])
    assert fast.set_index("ward_code").loc["W000", "population"] == 150.0
    assert slow.loc["W000", "cafe"] == 0.0  # 2.5 km away: nobody reaches it


def test_an_unknown_prefilter_is_refused_by_name() -> None:
    wards = _grid_wards(2, 1)
    with pytest.raises(ValueError, match="prefilter must be 'bbox' or 'index', got 'grid'"):
        per_ward_access_share(wards, wards.iloc[:0].assign(asset_id=[], category=[]), [], 800, None, "grid")


def test_empty_layer_of_places_leaves_every_asked_need_unmet() -> None:
    wards = _grid_wards()
    _, population, needs = _inputs(wards, seed=6)
    empty = gpd.GeoDataFrame({"asset_id": [], "category": []}, geometry=[], crs=27700)
    fast = overall_gaps(wards, empty, needs, "share", 800, population).set_index("ward_code").sort_index()
    slow = per_ward_overall_gaps(wards, empty, needs, 800, population).sort_index()
    np.testing.assert_allclose(fast["gap_score"], slow["gap_score"], rtol=1e-9, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(fast["unmet_share"].dropna(), 1.0)


@pytest.mark.parametrize("method", ["share", "count", "e2sfca"])
def test_gap_tables_in_one_pass_equal_one_call_per_table(method) -> None:
    wards = _grid_wards()
    assets, population, needs = _inputs(wards, seed=7)
    tables = gap_tables(wards, assets, needs, ["library", "cafe"], method, 800, population)
    assert sorted(tables) == ["all", "cafe", "library"]
    pd.testing.assert_frame_equal(tables["all"], overall_gaps(wards, assets, needs, method, 800, population))
    for category in ("library", "cafe"):
        pd.testing.assert_frame_equal(
            tables[category], gap_table(wards, assets, needs, category, method, 800, population)
        )
    assert (tables["cafe"]["assets_within_distance"] >= tables["cafe"]["assets_in_ward"]).all()
