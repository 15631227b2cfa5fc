"""Keyboard only, no mouse: skip links, the home filter, the map, adding a place, and the gaps table.

Controls are found by their labels and roles (get_by_label, get_by_role), and reached with Tab
only, so the tests check that each is labelled AND reachable, whatever the markup looks like.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset

pytestmark = pytest.mark.browser

SUBMIT = re.compile(r"send|submit|continue|add|save|confirm|show|update|apply|go", re.I)


def focused(locator) -> bool:
    return locator.evaluate("(el) => el === document.activeElement")


def tab_to(page, locator, limit: int = 120, backwards: bool = False) -> None:
    """Press Tab until the control is focused; fail (listing where focus went) if it never is."""
    visited = []
    for _ in range(limit):
        if focused(locator):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        visited.append(
            page.evaluate("""() => { const e = document.activeElement;
            return e.tagName.toLowerCase() + ' ' + (e.getAttribute('aria-label') || e.textContent || e.name || '').trim().slice(0, 30); }""")
        )
    raise AssertionError(f"Tab never reached {locator}; focus went: {visited[:40]}")


def active(page, script: str):
    return page.evaluate(f"() => {{ const el = document.activeElement; return {script}; }}")


def test_skip_to_main_content(page, site):
    page.goto(site.url + "/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert focused(skip), "the first Tab should reach 'Skip to main content'"
    assert skip.is_visible(), "the skip link must show when focused"
    page.keyboard.press("Enter")
    assert active(page, "el.id") == "main"
    # The next Tab goes on from the main content, not back to the menu.
    page.keyboard.press("Tab")
    assert active(page, "!!el.closest('main')")


def test_skip_the_map_lands_in_the_list(page, site):
    page.goto(site.url + "/")
    skip = page.get_by_role("link", name="Skip the map")
    tab_to(page, skip)
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert active(page, "el.id") == "asset-list"
    page.keyboard.press("Tab")
    first_place = page.locator("#asset-list a").first
    assert focused(first_place), "after skipping the map, Tab should reach the first place in the list"


def test_choose_a_category_with_the_keyboard(page, site):
    page.goto(site.url + "/")
    choice = page.get_by_label("Category", exact=True)
    tab_to(page, choice)
    page.keyboard.type("Youth")  # a closed select picks the option whose text starts with what is typed
    assert choice.evaluate("(el) => el.value") == "youth"
    tab_to(page, page.get_by_role("button", name="Search", exact=True))  # past the other filters
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "category=youth" in page.url
    assert page.locator(".search-summary").inner_text() == "Places in Youth."


def test_map_cluster_zooms_in_with_enter(page, site):
    page.goto(site.url + "/")
    map_id = page.locator(".folium-map").get_attribute("id")
    cluster = page.locator(".marker-cluster").first
    tab_to(page, cluster)
    assert re.search(r"\d+ places here", cluster.text_content())
    zoom = page.evaluate("(id) => window[id].getZoom()", map_id)
    page.keyboard.press("Enter")
    page.wait_for_function("([id, z]) => window[id].getZoom() > z", arg=[map_id, zoom], timeout=3000)


def test_add_a_place_by_postcode(page, site):
    page.goto(site.url + "/")
    add = page.get_by_role("link", name=re.compile(r"add a place", re.I)).first
    tab_to(page, add)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/assets/new" in page.url

    name = "Keyboard Test Knitting Circle"
    tab_to(page, page.get_by_label(re.compile(r"^\s*(place |group )?name\b", re.I)).first)
    page.keyboard.type(name)
    tab_to(page, page.get_by_label(re.compile(r"postcode", re.I)).first)
    page.keyboard.type("XX1 3HE")
    category = page.get_by_label(re.compile(r"categor|kind of place|type of place", re.I))
    if category.count() and category.first.evaluate("(el) => el.tagName") == "SELECT":
        tab_to(page, category.first)
        page.keyboard.type("Arts")
    else:
        box = page.get_by_role("checkbox", name=re.compile(r"arts", re.I)).first
        tab_to(page, box)
        page.keyboard.press("Space")
        assert box.is_checked()
    # Questions answered by one choice (such as group, business, venue or service): take the first.
    for group in dict.fromkeys(
        page.locator("main form input[type=radio]").evaluate_all("(rs) => rs.map((r) => r.name)")
    ):
        first = page.locator(f"main form input[type=radio][name='{group}']").first
        tab_to(page, first)
        page.keyboard.press("Space")
        assert first.is_checked()
    for _ in range(3):  # a question page may lead to "check your answers" before the final button
        tab_to(page, page.locator("main").get_by_role("button", name=SUBMIT).last)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        if page.get_by_text(re.compile(r"thank|received|sent|we will check", re.I)).count():
            break
    assert not page.locator(".error-summary").count(), page.locator(".error-summary").inner_text()
    with site.app.app_context():
        saved = db.session.scalars(select(Asset).where(Asset.name == name)).all()
        assert [a.status for a in saved] == ["pending"], "the place should wait for a moderator"
        assert saved[0].postcode.replace(" ", "").upper() == "XX13HE"


def test_gaps_page_category_to_ward_figures(page, site):
    page.goto(site.url + "/")
    gaps = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"gap", re.I))
    tab_to(page, gaps)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/gaps" in page.url

    choice = page.get_by_label(re.compile(r"categor|kind of place|service|need|show", re.I)).first
    tab_to(page, choice)
    page.keyboard.type("Food")
    assert choice.evaluate("(el) => el.value") == "food_support"
    tab_to(page, page.locator("main form").get_by_role("button", name=SUBMIT).first)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "food_support" in page.url

    # Tab on until focus is in the table of wards: a row there names a ward and gives its figures.
    table_link = page.locator("main table tbody a").first
    tab_to(page, table_link, limit=400)
    row = table_link.locator("xpath=ancestor::tr[1]").inner_text()
    assert re.search(r"\d", row), f"the ward's row shows no figures: {row!r}"
    ward = table_link.inner_text().strip()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert ward in page.get_by_role("heading", level=1).inner_text()


def test_place_the_pin_with_the_keyboard(page, site):
    page.goto(site.url + "/assets/new")
    picker = page.locator("#location-picker .leaflet-container, .leaflet-container.pin-picker").first
    tab_to(page, picker)
    lon, lat = page.locator("#lon"), page.locator("#lat")
    assert lon.input_value() == "" and lat.input_value() == ""
    page.keyboard.press("ArrowRight")  # Leaflet pans the map; the pin then goes to the new centre
    page.wait_for_timeout(400)
    page.keyboard.press("Enter")
    map_id = picker.get_attribute("id")
    centre = page.evaluate("(id) => { const c = window[id].getCenter(); return [c.lng, c.lat]; }", map_id)
    assert float(lon.input_value()) == pytest.approx(centre[0], abs=1e-5)
    assert float(lat.input_value()) == pytest.approx(centre[1], abs=1e-5)
    assert "centre of the map" in page.locator("#location-status").inner_text()
