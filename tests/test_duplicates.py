"""Duplicate detection as a pure function: names, distances in metres, postcodes."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from webmap.places.duplicates import duplicates_by_asset, find_duplicates, name_similarity, normalise_name


def frame(rows, crs="EPSG:27700"):
    """rows: (id, name, postcode, x, y) in British National Grid metres unless another CRS is given."""
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "name": [r[1] for r in rows], "postcode": [r[2] for r in rows]},
        geometry=[shapely.Point(r[3], r[4]) for r in rows],
        crs=crs,
    )


def test_normalise_name_folds_case_accents_punctuation_and_ampersands():
    assert normalise_name("The Café & Bar, Ltd.") == "cafe and bar"
    assert normalise_name("  ST. MARY'S  Church ") == normalise_name("St Mary’s church") == "st marys church"
    assert normalise_name(None) == ""


def test_name_similarity_scores():
    assert name_similarity("Riverside Lunch Club", "riverside lunch club!") == 1.0
    assert name_similarity("Riverside Lunch Club", "Riverside Lunch Clubs") >= 0.8
    assert name_similarity("Riverside Lunch Club", "Hilltop Boxing Gym") < 0.5
    assert name_similarity("", "Anything") == 0.0


def test_similar_name_within_150_metres_is_a_duplicate_but_not_at_151():
    candidates = frame([(1, "Riverside Lunch Club", None, 400000, 300000)])
    existing = frame(
        [
            (2, "Riverside Lunch Club.", None, 400149, 300000),
            (3, "Riverside Lunch Clubs", None, 400151, 300000),  # alike, not the same: 150 m rule
            (4, "Completely Different Place", None, 400010, 300000),
        ]
    )
    found = find_duplicates(candidates, existing)
    assert [(d.asset_id, d.other_id) for d in found] == [(1, 2)]
    assert found[0].distance_m == pytest.approx(149, abs=0.1)
    assert found[0].same_postcode is False


def test_distance_is_measured_in_metres_from_lon_lat_input():
    # About 100 m apart east-west at 53.5°N: near enough, though 0.0015 "degrees" says nothing.
    candidates = frame([(1, "Oak Tree Youth Club", None, -2.1000, 53.5)], crs="EPSG:4326")
    existing = frame(
        [(2, "Oak Tree Youth Club", None, -2.0985, 53.5), (3, "Oak Tree Youth Clubs", None, -2.0955, 53.5)],
        crs="EPSG:4326",
    )
    found = find_duplicates(candidates, existing)
    assert [d.other_id for d in found] == [2]
    assert 90 < found[0].distance_m < 110


def test_the_same_name_is_a_duplicate_within_500_metres_however_it_is_written():
    candidates = frame([(1, "St Mary's Church Hall", None, 400000, 300000)])
    existing = frame(
        [
            (2, "ST MARY’S CHURCH HALL", None, 400390, 300000),  # typographic apostrophe, 390 m
            (3, "St Marys Church Hall", None, 399501, 300000),  # 499 m the other way
            (4, "St Mary's Church Hall", None, 400501, 300000),  # 501 m: too far
            (5, "St Mary's Church Hall Annexe", None, 400300, 300000),
        ]
    )  # alike, but not the same name
    found = find_duplicates(candidates, existing)
    assert sorted(d.other_id for d in found) == [2, 3]


def test_same_postcode_and_similar_name_is_a_duplicate_even_far_apart():
    candidates = frame([(1, "Hope Food Bank", "xx1 1ab", 400000, 300000)])
    existing = frame(
        [
            (2, "Hope Foodbank", "XX1 1AB", 402000, 300000),
            (3, "Hope Food Bank", "XX1 1AC", 402000, 300000),
            (4, "Library", "XX1 1AB", 400000, 300000),
        ]
    )
    found = find_duplicates(candidates, existing)
    assert [(d.other_id, d.same_postcode) for d in found] == [(2, True)]


def test_an_asset_is_not_its_own_duplicate_and_results_group_by_asset():
    rows = [(1, "Green Park Allotments", "XX2 2AB", 400000, 300000), (2, "Green Park Allotment", None, 400050, 300000)]
    both = frame(rows)
    found = find_duplicates(both, both)
    assert {(d.asset_id, d.other_id) for d in found} == {(1, 2), (2, 1)}
    grouped = duplicates_by_asset(found)
    assert [d.other_id for d in grouped[1]] == [2] and [d.other_id for d in grouped[2]] == [1]
    assert find_duplicates(frame([]), both) == []


def test_places_without_postcodes_never_match_on_postcode():
    import numpy as np
    from shapely.geometry import Point

    # Same name, 64 km apart, no postcode on either (as NaN, None and ""): not duplicates.
    far = gpd.GeoDataFrame(
        {"id": [1, 2, 3], "name": ["Food Bank"] * 3, "postcode": [np.nan, None, ""]},
        geometry=[Point(-2.1, 53.54), Point(-3.05, 53.4), Point(-2.6, 53.1)],
        crs="EPSG:4326",
    )
    assert find_duplicates(far, far) == []


def test_the_places_read_for_a_duplicate_check_are_every_place_it_could_pair(app):
    """assets_near reads places near the points or at their postcodes, and finds what reading every place finds."""
    import random

    from webmap.core import store
    from webmap.core.db import db
    from webmap.core.models import Asset
    from webmap.places.duplicates import SAME_NAME_RADIUS_M

    rng = random.Random(5)
    names = ["Hope Hall", "Hope  hall", "St Mary's Hall", "St Marys Hall", "Youth Club", "Youth Club Ltd"]
    postcodes = ["OL1 1AA", "ol11aa", "OL1\t1AA", None, "M1 1AE", ""]
    with app.app_context():
        for _ in range(400):
            # Clustered around two towns 60 km apart, some within a few hundred metres of each other.
            lon0, lat0 = rng.choice([(-2.11, 53.54), (-1.55, 53.80)])
            lon, lat = lon0 + rng.uniform(-0.02, 0.02), lat0 + rng.uniform(-0.012, 0.012)
            db.session.add(
                Asset(
                    name=rng.choice(names),
                    kind="group",
                    lon=lon,
                    lat=lat,
                    geom=shapely.Point(lon, lat),
                    postcode=rng.choice(postcodes),
                    status=rng.choice(["approved", "pending", "archived"]),
                    source="test",
                )
            )
        db.session.commit()
        every = store.assets_frame(statuses=("approved", "pending")).rename(columns={"asset_id": "id"})
        chosen = every.sample(15, random_state=1)
        near = store.assets_near(
            list(zip(chosen["lon"], chosen["lat"])),
            SAME_NAME_RADIUS_M,
            list(chosen["postcode"]),
            ("approved", "pending"),
        ).rename(columns={"asset_id": "id"})
        assert 0 < len(near) < len(every)  # fewer read than every place
        frame = chosen[["id", "name", "postcode", "geometry"]]
        assert find_duplicates(frame, near) == find_duplicates(frame, every)
        assert find_duplicates(frame, every)  # the check found something to compare
        # Far from every place and with no postcode: nothing is read.
        assert store.assets_near([(1.5, 51.0)], SAME_NAME_RADIUS_M, [None, ""]).empty
