"""Tests for population points: supplied points (sjoin) and the ward-spread grid."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box

from webmap.analysis import assign_to_wards, population_points


def test_supplied_points_are_assigned_by_ward(wards: gpd.GeoDataFrame, pop_points: gpd.GeoDataFrame) -> None:
    pts, method = population_points(wards, pop_points)
    assert method == "lsoa_points"
    assert list(pts["ward_code"]) == ["E1", "E2", "E2"]
    assert pts.groupby("ward_code")["population"].sum().to_dict() == {"E1": 1000.0, "E2": 2000.0}
    assert pts.attrs["dropped_points"] == 0
    assert pts.attrs["wards_without_population"] == ["E3"]


def test_points_outside_wards_are_dropped_and_counted(wards: gpd.GeoDataFrame) -> None:
    points = gpd.GeoDataFrame(
        {"population": [10.0, 20.0, 30.0, np.nan]},
        geometry=[Point(500, 500), Point(5000, 5000), Point(-1, 500), Point(600, 600)],
        crs="EPSG:27700",
    )
    pts, _ = population_points(wards, points)
    assert list(pts["population"]) == [10.0]
    assert pts.attrs["dropped_points"] == 3  # two outside, one without population


def test_points_in_other_crs_are_reprojected(wards: gpd.GeoDataFrame) -> None:
    wards = wards.set_geometry(wards.translate(390000, 400000))
    points = gpd.GeoDataFrame({"population": [5.0]}, geometry=[Point(390500, 400500)], crs="EPSG:27700").to_crs(4326)
    pts, _ = population_points(wards, points)
    assert pts.crs.to_epsg() == 27700
    assert list(pts["ward_code"]) == ["E1"]


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        (Point(1000, 500), "E1"),  # shared E1/E2 edge -> lowest code
        (Point(2000, 1000), "E2"),  # corner of E2/E3 -> lowest code
        (Point(0, 0), "E1"),  # outer corner
        (Point(1500, 500), "E2"),
        (Point(3001, 500), None),  # outside every ward
    ],
)
def test_assign_to_wards_boundary_rule(wards: gpd.GeoDataFrame, point: Point, expected: str | None) -> None:
    got = assign_to_wards(gpd.GeoDataFrame(geometry=[point], crs=27700), wards).iloc[0]
    assert got == expected if expected else got != got  # NaN outside


def test_assign_to_wards_ignores_ward_row_order(wards: gpd.GeoDataFrame) -> None:
    reversed_wards = wards.iloc[::-1]
    pts = gpd.GeoDataFrame(geometry=[Point(1000, 500)], crs=27700)
    assert assign_to_wards(pts, reversed_wards).iloc[0] == "E1"


def test_ward_spread_even_grid_inside_ward(wards: gpd.GeoDataFrame) -> None:
    pts, method = population_points(wards, spread_per_ward=50)
    assert method == "ward_spread"
    e1 = pts[pts["ward_code"] == "E1"]
    # A 1 km square, cells of sqrt(1e6 / 50) = 141.4 m: centres at 70.7 + k * 141.4, of which
    # k = 0..6 fall inside (k = 7 is at 1060.7 m), so a 7 x 7 grid of 1000 / 49 people each.
    assert len(e1) == 49
    assert e1["population"].sum() == pytest.approx(1000.0)
    assert np.allclose(e1["population"], 1000 / 49)
    assert e1.within(wards.geometry.iloc[0]).all()
    assert pts.attrs["wards_without_population"] == ["E3"]
    assert "E3" not in set(pts["ward_code"])


def test_ward_spread_is_deterministic(wards: gpd.GeoDataFrame) -> None:
    a, _ = population_points(wards)
    b, _ = population_points(wards)
    assert a.geometry.equals(b.geometry)


def test_ward_spread_small_ward_gets_representative_point() -> None:
    # A thin L-shaped ward whose grid centres all miss: it still gets one point.
    wards = gpd.GeoDataFrame(
        {"code": ["S1"], "population": [42.0]},
        geometry=[box(0, 0, 1000, 0.5).union(box(0, 0, 0.5, 1000))],
        crs=27700,
    )
    pts, _ = population_points(wards, spread_per_ward=1)
    assert len(pts) == 1
    assert pts["population"].iloc[0] == 42.0
    assert pts.within(wards.geometry.iloc[0]).all()


@pytest.mark.parametrize("per_ward", [1, 7, 50, 200])
def test_ward_spread_caps_points_per_ward(wards: gpd.GeoDataFrame, per_ward: int) -> None:
    pts, _ = population_points(wards, spread_per_ward=per_ward)
    counts = pts.groupby("ward_code").size()
    assert (counts <= per_ward).all() and (counts >= 1).all()
    assert pts.groupby("ward_code")["population"].sum().to_dict() == pytest.approx({"E1": 1000.0, "E2": 2000.0})


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda w: w.drop(columns="population"), ValueError, "population"),
        (lambda w: w.drop(columns="code"), ValueError, "code"),
        (lambda w: w.set_crs(None, allow_override=True), ValueError, "no CRS"),
        (lambda w: w.assign(code=["E1", "E1", "E3"]), ValueError, "unique"),
        (lambda w: w.assign(population=["a", "b", "c"]), ValueError, "population"),
        (lambda w: w.assign(population=[-1.0, 2.0, 3.0]), ValueError, ">= 0"),
        (lambda w: w.assign(geometry=[Point(0, 0)] * 3), ValueError, "Point"),
        (lambda w: "not a frame", TypeError, "GeoDataFrame"),
    ],
)
def test_population_points_validates(wards: gpd.GeoDataFrame, change, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        population_points(change(wards))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_spread_per_ward_must_be_positive_int(wards: gpd.GeoDataFrame, bad: object) -> None:
    with pytest.raises(ValueError, match="spread_per_ward"):
        population_points(wards, spread_per_ward=bad)  # type: ignore[arg-type]


def test_assign_to_wards_agrees_with_plain_sjoin(wards: gpd.GeoDataFrame) -> None:
    rng = np.random.default_rng(3)
    pts = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(rng.uniform(-100, 3100, 500), rng.uniform(-100, 1100, 500)), crs=27700
    )
    plain = gpd.sjoin(pts, wards[["code", "geometry"]], predicate="within")["code"]
    ours = assign_to_wards(pts, wards)
    assert ours.notna().sum() == len(plain) > 0
    assert (ours[plain.index] == plain).all()
