"""The map scripts speak Welsh on a Welsh page: the pin's messages (location-picker.js), the maps'
accessible names (map-a11y.js), a big area's clusters (viewport.js) and a place's popup, all from the page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests.browser.conftest import serving
from tests.conftest import load_fresh_sample
from webmap.core.db import db
from webmap.core.models import Asset

pytestmark = pytest.mark.browser


@pytest.fixture
def welsh_by_view(make_app):
    """The sample area served as a big area is (loaded by view), so viewport.js draws the home map."""
    app = make_app(VIEWPORT_ABOVE_WARDS=0)
    with app.app_context():
        load_fresh_sample()
    with serving(app) as url:
        yield url


def test_placing_a_pin_is_announced_in_welsh(sample_app, live_server, page):
    page.goto(f"{live_server}/assets/new?lang=cy")
    box = page.locator(".folium-map").first
    assert box.get_attribute("aria-label").startswith("Map. Mae’r bysellau saeth yn ei symud")
    box.click()
    status = page.locator("#location-status")
    assert status.inner_text().startswith("Gosodwyd y pin ar ledred ")
    assert page.locator(".leaflet-marker-icon[title='Y lle a ddewiswyd']").count() == 1
    page.goto(f"{live_server}/assets/new?lang=en")
    page.locator(".folium-map").first.click()
    assert page.locator("#location-status").inner_text().startswith("Pin placed at latitude ")


def test_a_big_areas_clusters_and_popups_are_in_welsh(welsh_by_view, page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{welsh_by_view}/?lang=cy")
    page.wait_for_function(
        "() => { const b = document.querySelector('.folium-map'); return b.dataset.viewportPending === '0' "
        "&& Number(b.dataset.placesShown || 0) > 0; }",
        timeout=60_000,
    )
    cluster = page.locator(".marker-cluster .visually-hidden").first
    cluster.wait_for(state="attached")
    heard = cluster.text_content()
    assert "Enter" in heard and "places here" not in heard and "zoom in" not in heard, heard
    assert errors == []


def test_a_places_popup_on_the_home_map_is_in_welsh(sample_app, live_server, page):
    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        asset.name_cy = "Te a Sgwrs <i>Welsh</i>"
        db.session.commit()
        english = asset.name
    page.goto(f"{live_server}/?lang=cy&q={quote(english)}")
    marker = page.locator(".leaflet-marker-icon[title='Te a Sgwrs <i>Welsh</i>']").first
    marker.wait_for()
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Te a Sgwrs <i>Welsh</i>" in text and "Rhagor am Te a Sgwrs" in text
    assert "Math:" in text and "Cyfeiriad:" in text and "More about" not in text
    assert popup.locator("i").count() == 0  # typed markup stays text
