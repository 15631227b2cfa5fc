"""Acceptance on the open data kit: no listing is ever its own partner, nor is a same-name record within 50 m."""

from __future__ import annotations

import time
from collections import defaultdict

import pytest
from pyproj import Geod
from sqlalchemy import select

from tests.conftest import shared_data
from tests.test_partners_real_data import CATEGORY_MAP
from webmap.core.db import db
from webmap.core.models import Asset
from webmap.partners.exchange import suggest

pytestmark = pytest.mark.realdata
GEOD = Geod(ellps="WGS84")
RADIUS_M = 2000  # what a listing's page shows


def plain(name: str) -> str:
    """Fold case and spacing only: a stricter "same name" than the app's, so every pair it finds must be caught."""
    return " ".join((name or "").lower().split())


def test_partners_exclude_the_listing_itself_and_same_name_records_within_50_m(app):
    wards = shared_data("boundaries", "wards", "study_area_wards.geojson")
    assets = shared_data("assets", "study_area", "community_assets_study_area.geojson")
    from webmap.importers.assets import import_assets
    from webmap.importers.wards import import_wards

    with app.app_context():
        import_wards(wards)
        import_assets(assets, source="study_area", category_map=CATEGORY_MAP)
        db.session.commit()
        listings = list(db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)))
        assert len(listings) > 1500

        # Brute force, independent of the app: records sharing a name within 50 m of each other.
        by_name = defaultdict(list)
        for a in listings:
            by_name[plain(a.name)].append(a)
        twins: dict[int, set[int]] = defaultdict(set)
        for group in by_name.values():
            for a in group:
                for b in group:
                    if a.id != b.id and GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2] <= 50:
                        twins[a.id].add(b.id)
        assert len(twins) > 50, "the kit should hold same-name records at the same place (the case being tested)"

        started, checked, with_partners = time.perf_counter(), 0, 0
        for asset in listings:
            partners = {s.asset.id for s in suggest(asset, RADIUS_M)}
            assert asset.id not in partners, f"{asset.name} ({asset.id}) is its own partner"
            assert not partners & twins[asset.id], (
                f"{asset.name} ({asset.id}) is offered its own same-name record(s) {sorted(partners & twins[asset.id])}"
            )
            checked += 1
            with_partners += bool(partners)
        print(f"checked {checked} listings in {time.perf_counter() - started:.1f} s; {with_partners} have partners")
        assert with_partners > checked / 2
