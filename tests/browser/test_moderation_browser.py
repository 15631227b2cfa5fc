"""In headless Chromium: a resident drops a pin and submits, a moderator approves, and typed HTML stays text."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import STAFF_PASSWORD, make_staff
from webmap.core.db import db
from webmap.core.models import Asset

pytestmark = pytest.mark.browser

FIND_MARKER = """(title) => {
  const map = window[document.querySelector('.folium-map').id];
  let found = null;
  map.eachLayer((layer) => {
    const members = layer.getLayers ? layer.getLayers() : [layer];
    members.forEach((m) => { if (m.options && m.options.title === title) { found = m; } });
  });
  return found;
}"""
SHOW_MARKER = """(title) => new Promise((resolve) => {
  const map = window[document.querySelector('.folium-map').id];
  let marker = null, cluster = null;
  map.eachLayer((layer) => {
    if (layer.getLayers && layer.zoomToShowLayer) {
      layer.getLayers().forEach((m) => { if (m.options.title === title) { marker = m; cluster = layer; } });
    }
  });
  if (!marker) { resolve(false); return; }
  cluster.zoomToShowLayer(marker, () => resolve(true));  // zooms in or spiderfies until the marker shows
})"""


def sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill("mod@example.gov.uk")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/moderate")


def approve_in_queue(page, base_url: str, asset_id: int) -> None:
    page.goto(f"{base_url}/moderate")
    page.locator(f'#asset-{asset_id} form[action$="/approve"] button').click()
    page.wait_for_url(f"{base_url}/moderate")
    assert "Approved" in page.locator(".notice-success").inner_text()


def pending_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Asset.id).where(Asset.name == name, Asset.status == "pending"))


def test_resident_drops_pin_moderator_approves_asset_is_public(sample_app, live_server, page):
    name = "Aaa Pin Dropped Pantry"  # sorts first: on the first page of the home list
    page.goto(f"{live_server}/assets/new")
    page.get_by_label("Name of the place").fill(name)
    page.locator("input[name=categories][value=food_support]").check()
    page.locator("input[name=kind][value=group]").check()
    page.get_by_label("What it offers").fill("Food parcels, no referral needed")

    # Click (tap) the middle of the map to drop the pin; the form's lon/lat fields fill in.
    picker = page.locator(".location .folium-map")
    box = picker.bounding_box()
    picker.click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    lon, lat = page.locator("#lon").input_value(), page.locator("#lat").input_value()
    assert lon and lat
    assert "Pin placed" in page.locator("#location-status").inner_text()
    # Drag the pin to move it.
    pin = page.locator(".location .leaflet-marker-icon[title='Chosen place']")
    pin_box = pin.bounding_box()
    x, y = pin_box["x"] + pin_box["width"] / 2, pin_box["y"] + pin_box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y + 10, steps=5)
    page.mouse.move(x + 40, y + 20, steps=5)
    page.mouse.up()
    moved_lon, moved_lat = page.locator("#lon").input_value(), page.locator("#lat").input_value()
    assert float(moved_lon) > float(lon) and float(moved_lat) < float(lat)
    assert "Pin moved" in page.locator("#location-status").inner_text()

    page.get_by_role("button", name="Send for review").click()
    page.wait_for_url(f"{live_server}/assets/new/thanks")
    asset_id = pending_id(sample_app, name)
    with sample_app.app_context():
        asset = db.session.get(Asset, asset_id)
        assert (round(asset.lon, 6), round(asset.lat, 6)) == (float(moved_lon), float(moved_lat))
        assert asset.ward_code is not None

    # Not public yet.
    assert page.request.get(f"{live_server}/assets/{asset_id}").status == 404

    make_staff(sample_app)
    sign_in(page, live_server)
    approve_in_queue(page, live_server, asset_id)

    page.goto(f"{live_server}/")
    assert page.locator("#asset-list").get_by_role("link", name=name).count() == 1
    assert page.evaluate(f"({FIND_MARKER})({json.dumps(name)}) !== null")
    page.goto(f"{live_server}/assets/{asset_id}")
    assert page.locator("h1").inner_text() == name
    features = page.request.get(f"{live_server}/api/assets.geojson").json()["features"]
    [feature] = [f for f in features if f["properties"]["id"] == asset_id]
    assert feature["properties"]["name"] == name
    assert feature["geometry"]["coordinates"] == pytest.approx([float(moved_lon), float(moved_lat)], abs=1e-6)


NAME = 'Aaa Club <script>window.__xss=1</script><img src=x onerror="window.__xss=2"> `${window.__xss=3}`'
DESCRIPTION = (
    'We meet weekly. <img src=x onerror="window.__xss=2"><script>window.__xss=1</script> ${window.__xss=3} `x`'
)


def assert_no_script_ran(page) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_typed_html_and_script_show_as_text_everywhere(sample_app, live_server, page):
    with sample_app.app_context():
        from webmap.core.models import Postcode

        postcode = db.session.scalars(select(Postcode).order_by(Postcode.postcode)).first().postcode
    page.goto(f"{live_server}/assets/new")
    page.get_by_label("Name of the place").fill(NAME)
    page.get_by_label("What it offers").fill(DESCRIPTION)
    page.locator("input[name=categories][value=community_space]").check()
    page.locator("input[name=kind][value=group]").check()
    page.get_by_label("Postcode").fill(postcode)  # no pin: the place comes from the postcode
    page.get_by_role("button", name="Send for review").click()
    page.wait_for_url(f"{live_server}/assets/new/thanks")
    asset_id = pending_id(sample_app, NAME)
    assert asset_id is not None

    make_staff(sample_app)
    sign_in(page, live_server)
    page.goto(f"{live_server}/moderate")
    assert NAME in page.locator(f"#asset-{asset_id} h3").inner_text()
    assert_no_script_ran(page)
    approve_in_queue(page, live_server, asset_id)
    page.locator(".site-header").get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server}/")

    # The home map: bring the marker out of its cluster, click it, read the popup.
    page.goto(f"{live_server}/")
    assert page.locator("#asset-list").get_by_text(NAME, exact=True).count() == 1
    assert page.evaluate(f"({SHOW_MARKER})({json.dumps(NAME)})")
    marker = page.locator(".leaflet-marker-icon").and_(page.get_by_title(NAME, exact=True))
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert NAME in popup.inner_text()
    assert popup.locator("img, script").count() == 0
    marker.hover()
    tooltip = page.locator(".leaflet-tooltip").filter(has_text="Aaa Club")
    tooltip.wait_for()
    assert NAME in tooltip.inner_text() and tooltip.locator("img, script").count() == 0
    assert_no_script_ran(page)

    # The asset page, and its own small map's popup.
    page.goto(f"{live_server}/assets/{asset_id}")
    assert page.locator("h1").inner_text() == NAME
    assert page.locator("#asset-description").inner_text() == DESCRIPTION
    page.locator(".leaflet-marker-icon").and_(page.get_by_title(NAME, exact=True)).click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert NAME in popup.inner_text() and popup.locator("img, script").count() == 0
    assert_no_script_ran(page)
