"""Searching the home map in a real browser: by name, near a postcode, by filters, and a shared link."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset, Postcode

pytestmark = pytest.mark.browser

MARKERS_JS = """(id) => { let n = 0; window[id].eachLayer((l) => {
  if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) n += l.getLayers().length; }); return n; }"""


def map_id(page) -> str:
    return page.locator(".folium-map").first.get_attribute("id")


def listed_count(page) -> int:
    return int(page.locator("#asset-list").get_attribute("data-items"))


def test_search_by_name_matches_list_and_map(page, site):
    with site.app.app_context():
        names = db.session.scalars(select(Asset.name).where(Asset.status == "approved")).all()
    expected = [n for n in names if "larder" in n.lower()]
    assert expected
    page.goto(site.url + "/")
    page.get_by_label("Name or keyword").fill("larder")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert "q=larder" in page.url
    assert listed_count(page) == len(expected)
    assert page.evaluate(MARKERS_JS, map_id(page)) == len(expected)
    shown = page.locator("#asset-list .asset-list a").all_inner_texts()
    assert sorted(shown) == sorted(expected)[: len(shown)]


def test_search_near_a_postcode(page, site):
    with site.app.app_context():
        code = db.session.scalars(select(Postcode.postcode).order_by(Postcode.postcode)).first()
    page.goto(site.url + "/")
    page.get_by_label("Near a postcode or place").fill(code.lower())
    page.get_by_label("Within").select_option("2000")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"within 2,000 m of {code}, nearest first").is_visible()
    distances = [
        int(d.replace(",", "")) for d in re.findall(r"([\d,]+) m away", page.locator("#asset-list").inner_text())
    ]
    assert distances and distances == sorted(distances) and distances[-1] <= 2000
    # The map shows the search circle and the same places as the list.
    assert page.locator(".leaflet-overlay-pane path").count() > 0
    assert page.evaluate(MARKERS_JS, map_id(page)) == listed_count(page)


def test_filters_by_kind_and_ward(page, site):
    page.goto(site.url + "/")
    page.get_by_label("Kind", exact=True).select_option("venue")
    ward = page.get_by_label("Ward", exact=True)
    ward.select_option(index=1)
    ward_code = ward.input_value()
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    with site.app.app_context():
        expected = db.session.query(Asset).filter_by(status="approved", kind="venue", ward_code=ward_code).count()
    assert listed_count(page) == expected
    assert f"ward={ward_code}" in page.url and "kind=venue" in page.url


def test_a_shared_link_reproduces_the_view(page, site, browser):
    page.goto(site.url + "/?category=youth")
    mid = map_id(page)
    # Move and zoom the map as a person would; the address bar and the link box follow.
    page.evaluate("(id) => window[id].setView([51.9600, -2.1000], 15)", mid)
    page.wait_for_function("() => /zoom=15/.test(window.location.search)")
    link = page.get_by_label("Link to this view").input_value()
    assert "category=youth" in link and "lat=51.96000" in link and "lon=-2.10000" in link
    listed = page.locator("#asset-list .asset-list a").all_inner_texts()

    other = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = other.new_page()
        tab.goto(link)
        view = tab.evaluate(
            "(id) => { const c = window[id].getCenter(); return [c.lat, c.lng, window[id].getZoom()]; }", map_id(tab)
        )
        assert view[0] == pytest.approx(51.96, abs=1e-4) and view[1] == pytest.approx(-2.10, abs=1e-4) and view[2] == 15
        assert tab.get_by_label("Category", exact=True).input_value() == "youth"
        assert tab.locator("#asset-list .asset-list a").all_inner_texts() == listed
    finally:
        other.close()


def test_results_page_works_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(site.url + "/")
        tab.get_by_label("Name or keyword").fill("lunch club")
        tab.get_by_role("button", name="Search").click()
        tab.wait_for_load_state()
        names = tab.locator("#asset-list .asset-list a").all_inner_texts()
        assert names and all("lunch club" in n.lower() for n in names)
    finally:
        context.close()
