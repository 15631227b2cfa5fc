"""Tests for the metric CRS choice and CRS alignment."""

from __future__ import annotations

import geopandas as gpd
import pytest
from pyproj import CRS
from shapely import Point, box

from webmap.analysis import align_crs, metric_crs, to_metric


def _points(coords: list[tuple[float, float]], crs: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[Point(xy) for xy in coords], crs=crs)


@pytest.mark.parametrize(
    ("coords", "crs", "expected"),
    [
        ([(-2.1, 53.5), (-3.0, 53.4)], "EPSG:4326", 27700),  # Oldham, Wirral
        ([(-1.3, 60.3), (-6.3, 49.9)], "EPSG:4326", 27700),  # Shetland and Scilly
        ([(390000, 400000)], "EPSG:27700", 27700),
        ([(-74.0, 40.7)], "EPSG:4326", 32618),  # New York -> UTM 18N
        ([(-2.1, 53.5), (-74.0, 40.7)], "EPSG:4326", None),  # straddles: not GB
        ([(2.35, 48.85)], "EPSG:4326", 32631),  # Paris
    ],
)
def test_metric_crs(coords: list[tuple[float, float]], crs: str, expected: int | None) -> None:
    chosen = metric_crs(_points(coords, crs))
    if expected is None:
        assert chosen.to_epsg() != 27700 and chosen.utm_zone is not None
    else:
        assert chosen.to_epsg() == expected


def test_metric_crs_from_web_mercator_in_gb() -> None:
    gdf = _points([(-2.1, 53.5)], "EPSG:4326").to_crs(3857)
    assert metric_crs(gdf).to_epsg() == 27700


def test_metric_crs_empty_defaults_to_bng() -> None:
    assert metric_crs(gpd.GeoDataFrame(geometry=[], crs=4326)).to_epsg() == 27700


def test_metric_crs_requires_crs() -> None:
    with pytest.raises(ValueError, match="no CRS"):
        metric_crs(gpd.GeoDataFrame(geometry=[Point(0, 0)]))


def test_to_metric_gives_metres() -> None:
    a = _points([(-2.1, 53.5), (-2.1, 53.509)], "EPSG:4326")
    m = to_metric(a)
    assert m.crs == CRS.from_epsg(27700)
    # 0.009 degrees of latitude is about 1 km; in degrees it would be 0.009.
    assert m.geometry.iloc[0].distance(m.geometry.iloc[1]) == pytest.approx(1001, abs=5)


def test_align_crs_reprojects_second_to_first() -> None:
    first = gpd.GeoDataFrame(geometry=[box(390000, 400000, 391000, 401000)], crs=27700)
    second = _points([(-2.1, 53.5)], "EPSG:4326")
    aligned = align_crs(first, second)
    assert aligned.crs == first.crs
    assert second.crs == CRS.from_epsg(4326)  # input untouched
    assert aligned.geometry.iloc[0].x == pytest.approx(393_000, abs=2_000)


def test_align_crs_same_crs_is_noop() -> None:
    first = _points([(1, 1)], 27700)
    second = _points([(2, 2)], 27700)
    assert align_crs(first, second) is second
