"""Tests for share_within, 2SFCA and E2SFCA: hand-computed cases and PySAL ``access`` parity."""

from __future__ import annotations

import access  # PySAL access, pinned in requirements.txt: missing, the parity tests fail rather than skip
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point

from webmap.analysis import enhanced_two_step_fca, share_within, two_step_fca
from webmap.analysis.access import _weight_matrix

BNG = "EPSG:27700"


def _pop(rows: list[tuple[str, float, float, float]]) -> gpd.GeoDataFrame:
    """(ward_code, population, x, y) rows -> population points."""
    return gpd.GeoDataFrame(
        {"ward_code": [r[0] for r in rows], "population": [r[1] for r in rows]},
        geometry=[Point(r[2], r[3]) for r in rows],
        crs=BNG,
    )


def _assets(xy: list[tuple[float, float]], supply: list[float] | None = None) -> gpd.GeoDataFrame:
    data = {"asset_id": [f"a{i}" for i in range(len(xy))]}
    if supply is not None:
        data["supply"] = supply
    return gpd.GeoDataFrame(data, geometry=[Point(p) for p in xy], crs=BNG)


# P1 (ward A, 100 people) at x=0, P2 (ward B, 300 people) at x=1000.
# Asset X at x=500 is 500 m from both; asset Y at x=1200 is 200 m from P2 and 1200 m from P1.
HAND_POP = [("A", 100.0, 0.0, 0.0), ("B", 300.0, 1000.0, 0.0)]
HAND_ASSETS = [(500.0, 0.0), (1200.0, 0.0)]


def test_two_step_fca_by_hand() -> None:
    result = two_step_fca(_pop(HAND_POP), _assets(HAND_ASSETS), distance=800)
    # D_X = 100 + 300 = 400 -> R_X = 1/400; D_Y = 300 -> R_Y = 1/300.
    # A_P1 = 1/400 = 0.0025; A_P2 = 1/400 + 1/300 = 0.0058333...
    assert result.points["access_score"].tolist() == pytest.approx([0.0025, 0.0025 + 1 / 300])
    assert result.wards.loc["A", "access_score"] == pytest.approx(0.0025)
    assert result.wards.loc["B", "population"] == 300.0


def test_enhanced_two_step_fca_by_hand() -> None:
    result = enhanced_two_step_fca(_pop(HAND_POP), _assets(HAND_ASSETS), distance=800)
    # Bands: <= 266.67 m weight 1, <= 533.33 m weight 0.68, <= 800 m weight 0.22.
    # X is 500 m from both (0.68): D_X = 0.68 * 400 = 272. Y is 200 m from P2 (1.0): D_Y = 300.
    # A_P1 = 0.68 / 272 = 0.0025; A_P2 = 0.68 / 272 + 1.0 / 300.
    assert result.points["access_score"].tolist() == pytest.approx([0.0025, 0.0025 + 1 / 300])
    # Moving Y to 700 m from P2 puts it in the 0.22 band; D_Y = 0.22 * 300 = 66, A_P2 = 0.0025 + 0.22/66.
    far = enhanced_two_step_fca(_pop(HAND_POP), _assets([(500.0, 0.0), (1700.0, 0.0)]), distance=800)
    assert far.points["access_score"].iloc[1] == pytest.approx(0.0025 + 0.22 / 66)


def test_ward_score_is_population_weighted_mean() -> None:
    pop = _pop([("A", 100.0, 0.0, 0.0), ("A", 300.0, 5000.0, 0.0)])
    result = two_step_fca(pop, _assets([(0.0, 0.0)]), distance=800)
    # Only the first point reaches the asset: A = 1/100 there, 0 at the other -> (100 * 0.01) / 400.
    assert result.wards.loc["A", "access_score"] == pytest.approx(0.0025)


def test_supply_col_scales_scores() -> None:
    result = two_step_fca(_pop(HAND_POP), _assets(HAND_ASSETS, supply=[4.0, 0.0]), distance=800, supply_col="supply")
    assert result.points["access_score"].tolist() == pytest.approx([0.01, 0.01])


def test_asset_exactly_at_point_and_at_the_catchment_edge() -> None:
    pop = _pop([("A", 10.0, 0.0, 0.0)])
    result = two_step_fca(pop, _assets([(0.0, 0.0), (800.0, 0.0), (800.001, 0.0)]), distance=800)
    # Zero distance and exactly 800 m both count (<=); 800.001 m does not.
    assert result.points["access_score"].iloc[0] == pytest.approx(2 / 10)


@pytest.mark.parametrize(
    ("d", "weight"),
    [(0.0, 1.0), (266.0, 1.0), (800 / 3, 1.0), (267.0, 0.68), (1600 / 3, 0.68), (534.0, 0.22), (800.0, 0.22)],
)
def test_band_weights_match_step_fn_semantics(d: float, weight: float) -> None:
    w = _weight_matrix(np.array([[0.0, 0.0]]), np.array([[d, 0.0]]), 800.0, np.array([1.0, 0.68, 0.22]))
    assert w.toarray()[0, 0] == pytest.approx(weight)


def test_no_assets_gives_zero_access() -> None:
    empty = gpd.GeoDataFrame({"asset_id": []}, geometry=[], crs=BNG)
    assert two_step_fca(_pop(HAND_POP), empty).points["access_score"].tolist() == [0.0, 0.0]
    assert share_within(_pop(HAND_POP), empty)["access_share"].tolist() == [0.0, 0.0]


def test_share_within_by_hand() -> None:
    pop = _pop([("A", 100.0, 0.0, 0.0), ("A", 300.0, 2000.0, 0.0), ("B", 50.0, 900.0, 0.0), ("C", 0.0, 0.0, 0.0)])
    table = share_within(pop, _assets([(700.0, 0.0)]), distance=800)
    # A: only the 100 at x=0 is within 800 m of x=700 -> 100 / 400 = 0.25. B: all 50 -> 1.0.
    assert table.loc["A", "population_within"] == 100.0
    assert table.loc["A", "access_share"] == 0.25
    assert table.loc["B", "access_share"] == 1.0
    assert np.isnan(table.loc["C", "access_share"])  # zero population -> NaN share


def test_assets_in_other_crs_are_reprojected() -> None:
    pop = _pop([("A", 10.0, 390000.0, 400000.0)])
    assets = _assets([(390700.0, 400000.0)]).to_crs(4326)
    assert share_within(pop, assets, 800)["access_share"].iloc[0] == 1.0
    assert share_within(pop, assets, 600)["access_share"].iloc[0] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"distance": 0}, ValueError, "distance"),
        ({"distance": -5}, ValueError, "distance"),
        ({"distance": "800"}, TypeError, "distance"),
        ({"distance": float("nan")}, ValueError, "distance"),
        ({"supply_col": "beds"}, ValueError, "beds"),
    ],
)
def test_two_step_fca_validates(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        two_step_fca(_pop(HAND_POP), _assets(HAND_ASSETS), **kwargs)


def test_inputs_validated() -> None:
    with pytest.raises(ValueError, match="ward_code"):
        share_within(_pop(HAND_POP).drop(columns="ward_code"), _assets(HAND_ASSETS))
    with pytest.raises(ValueError, match="no CRS"):
        share_within(_pop(HAND_POP), _assets(HAND_ASSETS).set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="weights"):
        enhanced_two_step_fca(_pop(HAND_POP), _assets(HAND_ASSETS), weights=(1.0, 0.5))
    with pytest.raises(ValueError, match="Point"):
        share_within(_pop(HAND_POP), gpd.GeoDataFrame(geometry=[Point(0, 0).buffer(1)], crs=BNG))


def test_input_not_modified() -> None:
    pop = _pop(HAND_POP)
    two_step_fca(pop, _assets(HAND_ASSETS))
    assert "access_score" not in pop.columns


# --- parity with PySAL access -------------------------------------------------------------


def _random_layers(seed: int, n_pop: int = 60, n_assets: int = 25) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(seed)
    pop = gpd.GeoDataFrame(
        {"ward_code": rng.choice(["A", "B", "C"], n_pop), "population": rng.integers(1, 2000, n_pop).astype(float)},
        # The last three points are 20 km away from every asset: they must score 0.
        geometry=gpd.points_from_xy(
            rng.uniform(0, 4000, n_pop) + np.r_[np.zeros(n_pop - 3), [20000.0] * 3], rng.uniform(0, 4000, n_pop)
        ),
        crs=BNG,
    )
    assets = gpd.GeoDataFrame(
        {"asset_id": np.arange(n_assets), "supply": rng.integers(1, 6, n_assets).astype(float)},
        geometry=gpd.points_from_xy(rng.uniform(0, 4000, n_assets), rng.uniform(0, 4000, n_assets)),
        crs=BNG,
    )
    return pop, assets


def _pysal(pop: gpd.GeoDataFrame, assets: gpd.GeoDataFrame, distance: float, enhanced: bool) -> np.ndarray:
    """Run PySAL access on a full origin x destination Euclidean cost table."""
    # Frames come already indexed by geoid (demand_index=True): PySAL's own set_index(inplace=True)
    # raises Pandas4Warning under pandas 3.1, which -W error would turn into a failure.
    demand = pd.DataFrame({"pop": pop["population"].to_numpy()}, index=pd.Index(np.arange(len(pop)), name="geoid"))
    supply = pd.DataFrame({"supply": assets["supply"].to_numpy()}, index=pd.Index(np.arange(len(assets)), name="geoid"))
    dx = pop.geometry.x.to_numpy()[:, None] - assets.geometry.x.to_numpy()[None, :]
    dy = pop.geometry.y.to_numpy()[:, None] - assets.geometry.y.to_numpy()[None, :]
    origin, dest = np.meshgrid(np.arange(len(pop)), np.arange(len(assets)), indexing="ij")
    cost = pd.DataFrame({"origin": origin.ravel(), "dest": dest.ravel(), "cost": np.hypot(dx, dy).ravel()})
    model = access.Access(
        demand_df=demand,
        demand_index=True,
        demand_value="pop",
        supply_df=supply,
        supply_index=True,
        supply_value="supply",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    if enhanced:
        fn = access.weights.step_fn({distance / 3: 1.0, 2 * distance / 3: 0.68, distance: 0.22})
        out = model.enhanced_two_stage_fca(name="e2sfca", max_cost=distance, weight_fn=fn)
        col = "e2sfca_supply"
    else:
        out = model.two_stage_fca(name="2sfca", max_cost=distance)
        col = "2sfca_supply"
    # PySAL leaves points with no asset in reach as NaN; ours are 0 (no access).
    return out[col].reindex(np.arange(len(pop))).fillna(0.0).to_numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("distance", [400.0, 800.0, 1500.0])
def test_two_step_fca_matches_pysal(seed: int, distance: float) -> None:
    pop, assets = _random_layers(seed)
    ours = two_step_fca(pop, assets, distance, supply_col="supply").points["access_score"].to_numpy()
    np.testing.assert_allclose(ours, _pysal(pop, assets, distance, enhanced=False), rtol=1e-9, atol=1e-12)
    assert (ours > 0).any() and (ours == 0).any()  # the comparison covers both cases


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("distance", [400.0, 800.0, 1500.0])
def test_enhanced_two_step_fca_matches_pysal(seed: int, distance: float) -> None:
    pop, assets = _random_layers(seed)
    ours = enhanced_two_step_fca(pop, assets, distance, supply_col="supply").points["access_score"].to_numpy()
    np.testing.assert_allclose(ours, _pysal(pop, assets, distance, enhanced=True), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("bands", [None, np.array([1.0, 0.68, 0.22])])
def test_the_catchment_matrix_built_in_parts_is_the_whole_one(monkeypatch, bands) -> None:
    from webmap.analysis import access as access_module
    from webmap.analysis.access import fca_scores

    rng = np.random.default_rng(3)
    xy_pop = rng.uniform(0, 5000, (997, 2))
    xy_assets = np.vstack([rng.uniform(0, 5000, (120, 2)), xy_pop[:3]])  # three at a resident point exactly
    pop = rng.uniform(10, 500, len(xy_pop))
    whole = _weight_matrix(xy_pop, xy_assets, 800.0, bands)
    scores = fca_scores(xy_pop, pop, xy_assets, np.ones(len(xy_assets)), 800.0, bands)
    monkeypatch.setattr(access_module, "PAIR_CHUNK", 64)  # 16 parts, the last a short one
    parts = _weight_matrix(xy_pop, xy_assets, 800.0, bands)
    assert parts.shape == whole.shape and parts.nnz == whole.nnz > 0
    assert np.array_equal(parts.indptr, whole.indptr) and np.array_equal(parts.indices, whole.indices)
    assert np.array_equal(parts.data, whole.data)
    assert np.array_equal(fca_scores(xy_pop, pop, xy_assets, np.ones(len(xy_assets)), 800.0, bands), scores)
