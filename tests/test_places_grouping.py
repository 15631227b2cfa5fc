"""One place shown once: records with the same name close together are grouped (pure functions)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from webmap.places import group_same_places, one_row_per_place

# Metres east of a point in Oldham, as a lon offset (1 degree of longitude is about 66 km at 53.54 N).
M = 1 / 66_200


def frame(rows, crs="EPSG:4326"):
    return gpd.GeoDataFrame(
        {"asset_id": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[Point(-2.1 + r[2] * M, 53.54) for r in rows],
        crs=crs,
    )


def test_a_site_listed_building_by_building_is_one_place():
    # Hospital buildings 100 m apart in a chain 400 m long: one place.
    rows = [(i, "The Royal Oldham Hospital", i * 100) for i in range(1, 6)]
    groups = group_same_places(frame(rows))
    assert groups.nunique() == 1


def test_same_name_far_apart_stays_two_places():
    groups = group_same_places(frame([(1, "Boots", 0), (2, "Boots", 2000)]))
    assert groups.nunique() == 2


def test_different_names_at_one_spot_stay_apart_but_accents_and_filler_do_not_matter():
    groups = group_same_places(frame([(1, "Café Nova", 0), (2, "The Cafe Nova", 10), (3, "Library", 5)]))
    assert groups[0] == groups[1] != groups[2]


def test_nameless_records_are_never_the_same_place():
    groups = group_same_places(frame([(1, None, 0), (2, None, 5), (3, "The", 5), (4, "Ltd", 5)]))
    assert groups.nunique() == 4


def test_one_row_per_place_keeps_the_first_record_and_counts_them():
    out = one_row_per_place(frame([(7, "Hall", 0), (3, "Hall", 40), (9, "Shop", 0)]))
    assert sorted(out["asset_id"]) == [3, 9]
    assert dict(zip(out["asset_id"], out["records"])) == {3: 2, 9: 1}


def test_empty_layer_crs_and_columns_are_checked():
    assert group_same_places(frame([])).empty
    assert one_row_per_place(frame([])).empty
    with pytest.raises(ValueError, match="no CRS"):
        group_same_places(frame([(1, "A", 0)], crs=None))
    with pytest.raises(ValueError, match="asset_id"):
        one_row_per_place(frame([(1, "A", 0)]).drop(columns="asset_id"))
