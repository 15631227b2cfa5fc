"""In a real browser: pick a category on /gaps, see the choropleth and table, open a ward; pick a point."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_pick_a_category_then_open_a_ward(page, live_server):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/gaps")
    page.get_by_label("What people need").select_option("youth")
    page.get_by_label("Access score (2SFCA)").check()
    page.get_by_role("button", name="Show gaps").click()
    page.wait_for_url(re.compile(r".*/gaps\?category=youth&method=2sfca.*"))
    assert page.locator("h1").inner_text() == "Where needs are not met: Youth"
    # The choropleth, whatever the area's size: outlines fetched by view onto one canvas, filled
    # from the stored table in the legend's colours (the fills the page carries; tests/test_gaps_web.py).
    page.locator(".folium-map canvas").first.wait_for()
    page.wait_for_load_state("networkidle")
    legend = page.locator(".legend li")
    assert legend.count() >= 2
    # Hovering a ward shows its figures.
    page.locator(".folium-map").scroll_into_view_if_needed()
    box = page.locator(".folium-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.locator(".leaflet-tooltip").first.wait_for()
    assert "Unmet need per 1,000 residents" in page.locator(".leaflet-tooltip").first.inner_text()
    # The ranked table, and the skip link that jumps to it.
    assert page.locator("#gap-table tbody tr").count() == 16
    # Clicking a ward on the map opens its profile.
    page.locator(".folium-map").scroll_into_view_if_needed()
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url(re.compile(r".*/wards/E05900\d{3}\?method=2sfca.*"))
    assert page.locator("h1").inner_text().endswith("ward")
    assert page.locator(".bar-fill").count() == 21
    # And from the table: the top-ranked ward's link.
    page.go_back()
    link = page.locator("#gap-table tbody tr").first.get_by_role("link")
    name = link.inner_text()
    link.click()
    assert page.locator("h1").inner_text() == f"{name} ward"
    assert errors == []


def test_clicking_the_point_map_fills_the_boxes(page, live_server):
    page.goto(f"{live_server}/needs/new")
    box = page.locator("#point-map")
    box.wait_for(state="visible")
    page.locator("#point-map path").first.wait_for()  # ward outlines fetched from the JSON endpoint
    b = box.bounding_box()
    page.mouse.click(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
    assert page.locator("#lat").input_value() != "" and page.locator("#lon").input_value() != ""
    page.get_by_label("Youth").check()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r".*/needs/thanks.*"))
    assert "Thank you" in page.locator("main").inner_text()
