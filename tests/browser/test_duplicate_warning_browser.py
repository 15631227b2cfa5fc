"""A resident adding a place that is already listed sees it before sending, in a real browser."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset

pytestmark = pytest.mark.browser


def test_resident_sees_likely_match_then_sends_anyway(page, site):
    with site.app.app_context():
        place = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id.desc())).first()
        name, lat, lon, pid = place.name, place.lat, place.lon, place.id
    page.goto(site.url + "/assets/new")
    page.get_by_label("Name of the place", exact=False).first.fill(name)
    page.locator("input[name=categories]").first.check()
    page.locator("input[name=kind]").first.check()
    page.get_by_label("Latitude").fill(f"{lat + 0.0002:.6f}")
    page.get_by_label("Longitude").fill(f"{lon:.6f}")
    page.get_by_role("button", name="Send for review").click()
    page.wait_for_load_state()
    warning = page.get_by_role("alert").filter(has_text="Is it one of these places already on the map?")
    assert warning.is_visible()
    assert warning.locator(f'a[href="/assets/{pid}"]').count() == 1
    # Nothing was sent; the answers are still there.
    with site.app.app_context():
        assert db.session.scalars(select(Asset).where(Asset.name == name, Asset.status == "pending")).all() == []
    page.get_by_label("My place is a different one: send it anyway").check()
    page.get_by_role("button", name="Send for review").click()
    page.wait_for_load_state()
    assert page.url.endswith("/assets/new/thanks")
    with site.app.app_context():
        assert len(db.session.scalars(select(Asset).where(Asset.name == name, Asset.status == "pending")).all()) == 1
