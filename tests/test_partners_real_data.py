"""Acceptance on the open data kit: the nearest GP practices to a Wigan postcode, checked by brute force."""

from __future__ import annotations

import csv
import json

import pytest
from pyproj import Geod

from tests.conftest import shared_data
from webmap.core.db import db
from webmap.partners.nearby import find_nearby

pytestmark = pytest.mark.realdata
GEOD = Geod(ellps="WGS84")
# The kit's asset categories that are not taxonomy ids, mapped onto the taxonomy.
CATEGORY_MAP = {
    "school_or_education": "education",
    "place_of_worship": "faith",
    "polling_station": "public_service",
    "hospital_or_clinic": "health",
    "post_office": "public_service",
    "food_bank": "food_support",
    "fire_station": "public_service",
    "green_flag_park": "green_space",
    "jobcentre": "employment",
}
RADIUS_M = 5000


def first_wigan_postcode(path) -> dict:
    with open(path, newline="", encoding="utf-8") as handle:
        return next(row for row in csv.DictReader(handle) if row["lad_name"] == "Wigan")


def test_nearest_gp_practices_to_a_wigan_postcode_match_brute_force(app):
    wards = shared_data("boundaries", "wards", "study_area_wards.geojson")
    postcodes = shared_data("postcodes", "codepoint_open_2025-10_study_area.csv")
    assets = shared_data("assets", "study_area", "community_assets_study_area.geojson")
    from webmap.core.store import lookup_postcode
    from webmap.importers.assets import import_assets
    from webmap.importers.postcodes import import_postcodes
    from webmap.importers.wards import import_wards

    with app.app_context():
        import_wards(wards)
        import_postcodes(postcodes)
        report = import_assets(assets, source="study_area", category_map=CATEGORY_MAP)
        db.session.commit()
        assert report.imported > 1500

        row = first_wigan_postcode(postcodes)
        place = lookup_postcode(row["postcode"])
        assert place is not None, row["postcode"]
        # Brute force over every GP practice in the file itself, independent of the database.
        features = json.loads(assets.read_text())["features"]
        gps = [f["properties"] for f in features if f["properties"]["category"] == "gp_practice"]
        assert len(gps) > 100
        expected = []
        for gp in gps:
            d = GEOD.inv(place.lon, place.lat, gp["longitude"], gp["latitude"])[2]
            if d <= RADIUS_M:
                expected.append((d, gp["asset_id"]))
        expected.sort()
        assert len(expected) >= 5, "a Wigan postcode should have several GP practices within 5 km"

        found = find_nearby(place.lon, place.lat, RADIUS_M, categories=["gp_practice"])
        # Ties (practices sharing a building) sort by id: the file's ids follow its row order, as ours do.
        assert [a.source_id for a, _ in found] == [sid for _, sid in expected]
        for (asset, distance), (d, _) in zip(found, expected):
            assert abs(distance - d) < 0.5  # imported coordinates are rounded to 1e-7 degrees (~1 cm)
            assert "gp_practice" in asset.category_ids()
        assert [d for _, d in found] == sorted(d for _, d in found)

        nearest_ten = find_nearby(place.lon, place.lat, RADIUS_M, categories=["gp_practice"], limit=10)
        assert [a.id for a, _ in nearest_ten] == [a.id for a, _ in found[:10]]
