"""Find partners in Welsh in a real browser: the script's words come from the page, in Welsh."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_choosing_a_point_on_the_map_is_said_in_welsh(page, site):
    page.goto(site.url + "/partners?lang=cy")
    map_var = page.locator("[data-map-var]").get_attribute("data-map-var")
    page.wait_for_function("(v) => window[v] && window.L", arg=map_var)
    # A click on the map (fired on the Leaflet map itself, wherever the ward outlines lie).
    page.evaluate("(v) => window[v].fire('click', {latlng: L.latLng(51.91, -2.03)})", map_var)
    page.wait_for_function("() => document.getElementById('place-status').textContent.length > 0")
    text = page.locator("#place-status").inner_text()
    assert text == (
        "Pwynt a ddewiswyd ar y map: lledred 51.910000, hydred -2.030000. "
        "Pwyswch Chwilio i ddod o hyd i leoedd yn agos ato."
    )
    assert (page.locator("#lat").input_value(), page.locator("#lon").input_value()) == ("51.910000", "-2.030000")
    page.get_by_role("button", name="Chwilio", exact=True).click()
    page.wait_for_load_state()
    assert "o gwmpas y pwynt a ddewiswyd" in page.locator("#results-heading").inner_text()
