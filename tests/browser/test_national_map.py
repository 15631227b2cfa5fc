"""National scale in the browser: the home map and /gaps draw all 8,533 wards and clusters, and load
another region's pieces when panned there, with no console errors.

The fixture loads every England and Wales ward from the open data kit (skipped when it is absent)
and 10,000 generated places; the pages then load outlines and places by view (webmap/scale/).
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import serving
from tests.conftest import BASE_CONFIG, REPO, empty_database, shared_data
from webmap import create_app
from webmap.core.db import db

pytestmark = pytest.mark.browser
PLACES = 10_000
LONDON, CARDIFF = (51.507, -0.128), (51.481, -3.179)


@pytest.fixture(scope="module")
def national(database_url):
    """Serve the national wards and generated places for this module; yields the base URL."""
    shared_data("boundaries", "national", "wards_2013_england_wales_bgc.gpkg")
    from bench.national_set import load_national
    from webmap.core import store
    from webmap.gaps import store as gapstore
    from webmap.importers.categories import import_categories
    from webmap.scale import derived

    app = create_app({**BASE_CONFIG, "DATABASE_URL": database_url})
    with app.app_context():
        empty_database()
        import_categories(REPO / "data" / "categories.csv")
        db.session.commit()
        load_national(PLACES)
        derived.rebuild_maps()
        gapstore.rebuild(gapstore.default_queries([], 800))  # all needs: what /gaps shows first
        store.category_labels()
    with serving(app) as url:
        yield url
    with app.app_context():
        empty_database()  # 8,533 wards are too many to leave for the next module to delete
        db.session.remove()
        db.engine.dispose()


def _watch(page) -> tuple[list[str], list[str]]:
    errors, tiles = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfinished", lambda request: tiles.append(request.url) if "/map-tiles/" in request.url else None)
    return errors, tiles


def _drawn(page, min_wards: int) -> None:
    """Wait until every tile asked for has arrived and at least min_wards wards are drawn."""
    page.wait_for_function(
        """(n) => { const box = document.querySelector('.folium-map');
                    return box.dataset.viewportPending === '0' && Number(box.dataset.wardsShown || 0) >= n; }""",
        arg=min_wards,
        timeout=60_000,
    )


def _pan(page, lat: float, lon: float, zoom: int) -> None:
    page.evaluate(
        "([lat, lon, zoom]) => window[document.querySelector('.folium-map').id].setView([lat, lon], zoom)",
        [lat, lon, zoom],
    )


def test_home_map_draws_the_country_and_loads_a_region_when_panned(page, national):
    errors, tiles = _watch(page)
    page.goto(f"{national}/")
    _drawn(page, 8000)  # the whole country is in view at first
    assert page.locator(".folium-map canvas").count() >= 1  # outlines on one canvas
    assert page.locator(".marker-cluster").count() > 0
    shown = int(page.get_attribute(".folium-map", "data-places-shown"))
    assert 0 < shown <= PLACES

    before = len(tiles)
    _pan(page, *LONDON, 13)
    _drawn(page, 10)
    fetched = tiles[before:]
    assert any("/map-tiles/wards/12/" in url for url in fetched), fetched  # detailed outlines for the new view
    assert any("/map-tiles/places/13/" in url for url in fetched), fetched
    assert page.locator(".leaflet-marker-icon").count() > 0  # places (or their clusters) in London
    wards = int(page.get_attribute(".folium-map", "data-wards-shown"))
    assert 10 <= wards < 2000  # only London's wards, not the country's
    assert page.locator("#asset-list li").count() == 50  # the list beside the map pages
    assert errors == []


def test_gaps_map_fills_the_country_and_loads_wales_when_panned(page, national):
    errors, tiles = _watch(page)
    page.goto(f"{national}/gaps")
    _drawn(page, 8000)
    fills = page.evaluate("""() => { const map = window[document.querySelector('.folium-map').id], seen = new Set();
                                     map.eachLayer(l => { if (l.feature && l.options.fillColor) seen.add(l.options.fillColor); });
                                     return seen.size; }""")
    assert fills >= 2  # shaded by class, not one colour
    assert page.locator(".gap-table tbody tr").count() == 100  # a page of the ranked table, not 8,533 rows
    assert page.get_by_text("Page 1 of 86").count() == 1

    before = len(tiles)
    _pan(page, *CARDIFF, 11)
    _drawn(page, 10)
    assert any("/map-tiles/wards/10/" in url for url in tiles[before:])
    assert not any("/map-tiles/places/" in url for url in tiles)  # the gap map shows wards only
    assert errors == []


# The wards drawn under a point of the map (container pixels), last drawn last: [x, y, [[code, name], ...]].
WARDS_AT = """([fx, fy]) => {
  const map = window[document.querySelector('.folium-map').id], size = map.getSize();
  const p = L.point(Math.round(size.x * fx), Math.round(size.y * fy)), at = map.containerPointToLayerPoint(p), out = [];
  map.eachLayer((l) => { if (l.feature && l._containsPoint && l._containsPoint(at)) out.push([l.feature.properties.code, l.feature.properties.name]); });
  return [p.x, p.y, out];
}"""


def _ward_at(page) -> tuple[float, float, list[list[str]]]:
    """A point near the middle of the map with one ward under it: (page x, page y, [[code, name]])."""
    page.locator(".folium-map").scroll_into_view_if_needed()  # the partners form comes first
    box = page.locator(".folium-map").bounding_box()
    for fx, fy in ((0.5, 0.5), (0.45, 0.55), (0.55, 0.45), (0.5, 0.6), (0.4, 0.4)):
        x, y, wards = page.evaluate(WARDS_AT, [fx, fy])
        if len(wards) == 1:
            return box["x"] + x, box["y"] + y, wards
    raise AssertionError("no point near the middle of the map meets exactly one ward")


def test_partners_map_draws_the_country_from_the_tiles_it_preloads(page, national):
    errors, tiles = _watch(page)
    page.goto(f"{national}/partners")
    _drawn(page, 8000)
    preloaded = page.eval_on_selector_all("link[rel=preload][as=fetch]", "links => links.map((l) => l.href)")
    # The first view's outline tiles, fetched while the scripts load, each once (the script uses them);
    # none beyond the country's box, no places, no marker clustering or jQuery (nothing uses them).
    assert len(preloaded) == 9 and sorted(tiles) == sorted(preloaded)
    assert page.locator("script[src*='markercluster'], script[src*='jquery']").count() == 0
    # One tooltip for all the wards, naming the one under the pointer, which is highlighted.
    x, y, [(code, name)] = _ward_at(page)
    page.mouse.move(x, y)
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert tooltip.inner_text() == name
    weight = page.evaluate(
        """(code) => { let w = null; window[document.querySelector('.folium-map').id].eachLayer((l) => {
             if (l.feature && l.feature.properties.code === code) { w = l.options.weight; } }); return w; }""",
        code,
    )
    assert weight == 4
    assert errors == []


def test_gaps_map_opens_the_ward_clicked(page, national):
    errors, _tiles = _watch(page)
    page.goto(f"{national}/gaps")
    _drawn(page, 8000)
    x, y, [(code, _name)] = _ward_at(page)
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(rf"/wards/{code}(\?|$)"))
    assert errors == []


def test_a_pin_placed_on_the_national_add_a_place_map_fills_the_form(page, national):
    """The "Add a place" map loads its outlines by view nationally; a click still places the pin."""
    errors, _tiles = _watch(page)
    page.goto(f"{national}/assets/new")
    _drawn(page, 8000)
    assert page.input_value("#lon") == "" and page.input_value("#lat") == ""
    page.locator(".folium-map").scroll_into_view_if_needed()
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.6)
    page.wait_for_function("() => document.getElementById('lon').value !== ''")
    lon, lat = float(page.input_value("#lon")), float(page.input_value("#lat"))
    assert -6.5 < lon < 2.0 and 49.8 < lat < 55.9  # somewhere in England or Wales
    assert page.locator(".leaflet-marker-icon").count() == 1
    assert errors == []
