"""Places as coordinate arrays (PointLayer): the same gap tables as a GeoDataFrame of points gives, exactly."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from webmap.analysis import PointLayer, gap_tables, iter_gap_tables
from webmap.analysis import points as points_module
from webmap.analysis.incremental import local_access


def _grid_wards() -> gpd.GeoDataFrame:
    """Sixteen 1 km wards in a 4 x 4 grid (EPSG:27700), populations known."""
    cells = [(i, j) for i in range(4) for j in range(4)]
    return gpd.GeoDataFrame(
        {
            "code": [f"W{i}{j}" for i, j in cells],
            "name": [f"Ward {i}{j}" for i, j in cells],
            "population": [1000.0 + 100 * (i + j) for i, j in cells],
            "deprivation": [float(1 + (i + j) % 10) for i, j in cells],
        },
        geometry=[box(i * 1000, j * 1000, (i + 1) * 1000, (j + 1) * 1000) for i, j in cells],
        crs="EPSG:27700",
    )


def _places(n: int = 300) -> gpd.GeoDataFrame:
    """Places in lon/lat (the wards are in metres), some on ward boundaries, two kinds, one listed twice."""
    rng = np.random.default_rng(7)
    x = np.concatenate([rng.uniform(-500, 4500, n - 2), [1000.0, 2000.0]])  # the last two on boundaries
    y = np.concatenate([rng.uniform(-500, 4500, n - 2), [500.0, 2000.0]])
    metric = gpd.GeoSeries(gpd.points_from_xy(x, y), crs="EPSG:27700")
    frame = gpd.GeoDataFrame(
        {"asset_id": np.arange(n) % (n - 5), "category": np.where(np.arange(n) % 3 == 0, "gp", "library")},
        geometry=metric.to_crs(4326).values,
        crs=4326,
    )
    return frame


def _needs() -> pd.DataFrame:
    codes = [f"W{i}{j}" for i in range(4) for j in range(4)]
    return pd.DataFrame(
        {"ward_code": codes * 2, "category": ["gp"] * 16 + ["library"] * 16, "count": list(range(32))}
    ).astype({"count": float})


def _layer(frame: gpd.GeoDataFrame) -> PointLayer:
    return PointLayer.from_xy(frame[["asset_id", "category"]], frame.geometry.x, frame.geometry.y, frame.crs)


@pytest.mark.parametrize("method", ["share", "count", "2sfca", "e2sfca"])
def test_a_layer_gives_the_tables_a_geodataframe_gives_exactly(method, monkeypatch) -> None:
    wards, places = _grid_wards(), _places()
    expected = gap_tables(wards, places, _needs(), ["gp", "library"], method, 800.0)
    # Small parts, so the point-in-polygon joins run over several (and a place on a boundary may fall in any).
    monkeypatch.setattr(points_module, "CHUNK", 7)
    got = gap_tables(wards, _layer(places), _needs(), ["gp", "library"], method, 800.0)
    for category in ["gp", "library", "all"]:
        pd.testing.assert_frame_equal(
            pd.DataFrame(got[category].drop(columns="geometry")),
            pd.DataFrame(expected[category].drop(columns="geometry")),
            check_exact=True,
        )
    # Each place inside the grid is counted in exactly one ward, whichever part it was joined in.
    gp = places[places["category"] == "gp"].to_crs(27700)
    inside = gp[gp.covered_by(box(0, 0, 4000, 4000))]
    assert got["gp"]["assets_in_ward"].sum() == inside["asset_id"].nunique()


def test_an_empty_layer_and_a_layer_subset() -> None:
    wards, places = _grid_wards(), _places()
    empty = _layer(places)[np.zeros(len(places), dtype=bool)]
    assert len(empty) == 0 and list(empty.columns) == ["asset_id", "category"]
    (_, table), *_ = iter_gap_tables(wards, empty, _needs(), ["gp"], "share", 800.0)
    assert (table["assets_within_distance"] == 0).all() and (table["access_share"] == 0).all()
    gp = _layer(places)[_layer(places)["category"] == "gp"]
    assert set(gp["category"]) == {"gp"} and len(gp) == (places["category"] == "gp").sum()


def test_to_crs_is_geopandas_to_crs_on_the_arrays() -> None:
    places = _places()
    moved = _layer(places).to_crs("EPSG:27700")
    reference = places.to_crs("EPSG:27700")
    assert np.array_equal(moved.x, reference.geometry.x.to_numpy())
    assert np.array_equal(moved.y, reference.geometry.y.to_numpy())
    layer = _layer(places)
    assert layer.to_crs(4326) is layer  # already there: nothing is transformed


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: PointLayer.from_xy(d, [0.0, 1.0], [0.0, 1.0], None), "no CRS"),
        (lambda d: PointLayer.from_xy(d, [0.0], [0.0, 1.0], 27700), "one x and one y per row"),
        (
            lambda d: PointLayer.from_xy(d, [0.0, np.nan], [0.0, 1.0], 27700),
            r"missing or infinite coordinates \(rows \[1\]\)",
        ),
        (lambda d: PointLayer.from_xy(d, [0.0, np.inf], [0.0, 1.0], 27700), "missing or infinite"),
    ],
)
def test_a_layer_that_could_mean_two_things_is_refused(make, message) -> None:
    data = pd.DataFrame({"asset_id": [1, 2], "category": ["gp", "gp"]})
    with pytest.raises(ValueError, match=message):
        make(data)


def test_the_analysis_names_a_bad_assets_input() -> None:
    wards = _grid_wards()
    with pytest.raises(TypeError, match="assets must be a GeoDataFrame"):
        gap_tables(wards, pd.DataFrame({"asset_id": [1], "category": ["gp"]}), _needs(), ["gp"])
    lines = gpd.GeoDataFrame({"asset_id": [1], "category": ["gp"]}, geometry=[box(0, 0, 1, 1)], crs=27700)
    with pytest.raises(ValueError, match="assets has geometry type"):
        gap_tables(wards, lines, _needs(), ["gp"])


def test_local_access_takes_a_layer() -> None:
    wards, places = _grid_wards(), _places()
    gp = places[places["category"] == "gp"]
    by_frame = local_access(wards, gp, None, "gp", "2sfca", 800.0, ["W11", "W22"])
    by_layer = local_access(wards, _layer(gp), None, "gp", "2sfca", 800.0, ["W11", "W22"])
    pd.testing.assert_frame_equal(by_layer, by_frame, check_exact=True)
    assert by_layer.loc["W11", "assets_within_distance"] > 0
