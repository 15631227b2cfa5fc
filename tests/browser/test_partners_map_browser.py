"""The partners map in a real browser: every place of the results page is on the map, numbered and
named as in the list, and a resident's typed name shows as text in its popup and tooltip."""

from __future__ import annotations

import json

import pytest
from shapely.geometry import Point
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset, Category, Postcode

pytestmark = pytest.mark.browser

NAME = 'Aaa Partners <script>window.__xss=1</script><img src=x onerror="window.__xss=2"> `${window.__xss=3}`'

# The map's markers, in the order the page added them: (title, its cluster group's number of markers).
MARKERS = """() => {
  const map = window[document.querySelector('.folium-map').id], out = [];
  map.eachLayer((layer) => {
    if (layer instanceof L.MarkerClusterGroup) { layer.getLayers().forEach((m) => out.push(m.options.title)); }
  });
  return out;
}"""

SHOW_MARKER = """(title) => new Promise((resolve) => {
  const map = window[document.querySelector('.folium-map').id];
  let marker = null, cluster = null;
  map.eachLayer((layer) => {
    if (layer instanceof L.MarkerClusterGroup) {
      layer.getLayers().forEach((m) => { if (m.options.title === title) { marker = m; cluster = layer; } });
    }
  });
  if (!marker) { resolve(false); return; }
  cluster.zoomToShowLayer(marker, () => resolve(true));  // zooms in or spiderfies until the marker shows
})"""


def test_results_map_shows_every_place_of_the_page_and_popups_keep_typed_text_as_text(sample_app, live_server, page):
    with sample_app.app_context():
        code = db.session.scalars(select(Postcode).where(Postcode.ward_code.is_not(None)).order_by(Postcode.postcode))
        postcode = code.first()
        place = Asset(
            name=NAME,
            kind="group",
            lon=postcode.lon + 0.0004,
            lat=postcode.lat + 0.0003,
            geom=Point(postcode.lon + 0.0004, postcode.lat + 0.0003),
            ward_code=postcode.ward_code,
            status="approved",
            source="resident",
        )
        place.categories = [db.session.get(Category, "youth")]
        db.session.add(place)
        db.session.commit()
        where = postcode.postcode
    page.goto(f"{live_server}/partners?postcode={where}&radius=3000")
    listed = page.locator("#results ol.partner-list > li > a").all_inner_texts()
    assert len(listed) >= 3 and NAME in listed  # several places, the typed name among them as text

    page.wait_for_function("() => document.querySelector('.leaflet-marker-pane .leaflet-marker-icon')")
    titles = page.evaluate(MARKERS)
    first = int(page.locator("#results ol.partner-list").get_attribute("start"))
    # One marker per place in the list, each named with the list's number and name (clusters keep their own order).
    assert sorted(titles) == sorted(f"{first + i}. {name}" for i, name in enumerate(listed))
    assert page.locator(".leaflet-marker-pane .leaflet-marker-icon").count() >= 1  # drawn: markers or clusters

    number = first + listed.index(NAME)
    title = f"{number}. {NAME}"
    assert page.evaluate(f"({SHOW_MARKER})({json.dumps(title)})")
    marker = page.locator(".leaflet-marker-icon").and_(page.get_by_title(title, exact=True))
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert NAME in popup.inner_text()
    assert popup.locator("img, script").count() == 0
    assert page.evaluate("typeof window.__xss") == "undefined"
