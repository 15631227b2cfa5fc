"""Small pure helpers of "You said, we did": the trend sentence, the SVG chart, places within reach of a ward."""

from __future__ import annotations

from datetime import date, datetime

import geopandas as gpd
import pytest
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import box

from webmap.feedback.nearby_changes import places_within
from webmap.feedback.trends import chart, sentence
from webmap.gaps.history import Point


def point(day: str, need, share, within, kind="round", round_name=None) -> Point:
    return Point(
        date.fromisoformat(day), datetime.fromisoformat(day), kind, round_name, 800.0, need, share, within, 0.1, {}
    )


SPRING = point("2027-03-31", 14, 0.41, 1, round_name="Spring 2027")
AUTUMN = point("2027-10-15", 3, 0.86, 3, round_name="Autumn 2027")


@pytest.mark.parametrize(
    "points, expected",
    [
        (
            [SPRING, AUTUMN],
            "Food support: 14 requests in Spring 2027, 3 in Autumn 2027; residents within 800 m of one rose "
            "from 41% to 86%, with 2 more places within reach on the map.",
        ),
        (
            [AUTUMN, SPRING],
            "Food support: 3 requests in Autumn 2027, 14 in Spring 2027; residents within 800 m of one fell "
            "from 86% to 41%, with 2 fewer places within reach on the map.",
        ),
        (
            [SPRING, point("2027-10-15", 14, 0.41, 1, round_name="Autumn 2027")],
            "Food support: 14 requests in Spring 2027, 14 in Autumn 2027; residents within 800 m of one stayed at 41%.",
        ),
        ([SPRING], "Food support: 14 requests counted in Spring 2027; 41% of residents lived within 800 m of one."),
        (
            [point("2027-03-31", 4, None, None, kind="approval"), point("2027-04-02", 2, None, None, kind="approval")],
            "Food support: 4 requests in 31 March 2027, 2 in 2 April 2027; how many residents live near one is unknown "
            "(no population figure).",
        ),
        ([], "Food support: no history yet."),
    ],
)
def test_trend_sentence(points, expected):
    assert sentence("Food support", points, 800) == expected


def test_chart_draws_one_dot_per_known_value_and_escapes_labels():
    odd = point("2027-01-01", 5, 0.5, 2, round_name="<b>x</b>")
    svg = str(chart([odd, SPRING, point("2027-06-01", None, 0.5, 2), AUTUMN], "need_count", "Need"))
    assert svg.count("<circle") == 3 and "<polyline" in svg
    assert "<b>x</b>" not in svg and "&lt;b&gt;x&lt;/b&gt;: 5" in svg
    assert 'role="img"' in svg and "nan" not in svg.lower() and "None" not in svg
    assert "Spring 2027: 14" in svg and "Autumn 2027: 3" in svg


def test_chart_of_shares_is_in_percent():
    svg = str(chart([SPRING, AUTUMN], "access_share", "Access", percent=True))
    assert "Spring 2027: 41%" in svg and ">100%<" in svg


WARD = gpd.GeoDataFrame({"code": ["W1"]}, geometry=[box(0, 0, 1000, 1000)], crs="EPSG:27700")


def places(*xy, crs="EPSG:27700") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"p{i}" for i in range(len(xy))]}, geometry=[ShapelyPoint(x, y) for x, y in xy], crs=crs
    )


def test_places_within_counts_the_ward_and_its_edge_in_metres():
    found = places_within(WARD, places((500, 500), (1700, 500), (1900, 500)), 800)
    assert found.tolist() == [True, True, False]


def test_places_within_reprojects_lon_lat_places():
    lonlat = places((500, 500), (3000, 500)).to_crs("EPSG:4326")
    assert places_within(WARD, lonlat, 800).tolist() == [True, False]


def test_places_within_empty_layer():
    assert places_within(WARD, places(), 800).tolist() == []


@pytest.mark.parametrize(
    "ward, layer, message",
    [
        (WARD, places((1, 1), crs=None), "need a CRS"),
        (WARD.iloc[0:0], places((1, 1)), "exactly one ward outline, got 0"),
        (WARD, places((1, 1)), "distance must be 0 or more metres, got -1"),
    ],
)
def test_places_within_refuses_bad_inputs(ward, layer, message):
    with pytest.raises(ValueError, match=message):
        places_within(ward, layer, -1 if "distance" in message else 800)
