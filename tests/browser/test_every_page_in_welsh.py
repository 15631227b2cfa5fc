"""Every page in Welsh, at 360×640 and 1280×800: lang="cy", no English left from the site's messages, 0 axe violations.

The same page list as the English checks (tests/browser/pages.py). "No English left" compares the
rendered text with the catalogues: any sentence of the site's own English messages still on the page
(a template string not wrapped for translation, a catalogue entry missing) fails, naming the phrase.
Screenshots go to test-artifacts/screenshots/cy-*.png.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import SCREENSHOTS, tab_for
from tests.browser.pages import PAGES
from tests.browser.test_accessibility import axe_violations, describe
from tests.welsh_helpers import english_left

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1280, "height": 800}}
CASES = [(spec, size) for spec in PAGES for size in SIZES]
IDS = [f"{spec.name}-{size}" for spec, size in CASES]


def in_welsh(path: str) -> str:
    """Return a path asking for Welsh."""
    return path + ("&" if "?" in path else "?") + "lang=cy"


@pytest.mark.parametrize(("spec", "size"), CASES, ids=IDS)
def test_page_in_welsh_is_welsh_and_passes_axe(spec, size, site, public_page, staff_page, role_pages):
    tab = tab_for(spec, public_page, staff_page, role_pages)
    tab.set_viewport_size(SIZES[size])
    path = in_welsh(spec.url(site.ids))
    response = tab.goto(site.url + path)
    assert response is not None and response.status == spec.status, f"{path} answered {response and response.status}"
    tab.wait_for_load_state("load")
    assert tab.evaluate("() => document.documentElement.lang") == "cy", f"{path}: <html lang> is not cy"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"cy-{spec.name}-{size}.png"), full_page=False)
    if size == "desktop":
        left = english_left(tab.content())
        assert not left, f"{path}: English left on the Welsh page: {left[:10]}"
    width, window = tab.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window, f"{path} at {size}: the Welsh page is {width} px wide in a {window} px window"
    violations = axe_violations(tab)
    assert not violations, f"{path} at {size}: {len(violations)} WCAG A/AA rule(s) broken:\n{describe(violations)}"


def test_switching_language_keeps_the_page_and_its_filters(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    tab = context.new_page()
    try:
        tab.goto(site.url + "/?category=youth&q=club")
        tab.get_by_role("link", name="Cymraeg").click()
        tab.wait_for_load_state("load")
        assert tab.evaluate("() => document.documentElement.lang") == "cy"
        assert re.search(r"category=youth", tab.url) and re.search(r"q=club", tab.url) and "lang=cy" in tab.url
        # The choice is remembered: the next page, with no lang in its address, is Welsh too.
        tab.goto(site.url + "/gaps")
        assert tab.evaluate("() => document.documentElement.lang") == "cy"
        tab.get_by_role("link", name="English").click()
        tab.wait_for_load_state("load")
        assert tab.evaluate("() => document.documentElement.lang") == "en-GB"
        assert "/gaps" in tab.url
    finally:
        context.close()


def test_a_welsh_browser_gets_welsh_first(site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="cy-GB")
    try:
        tab = context.new_page()
        tab.goto(site.url + "/")
        assert tab.evaluate("() => document.documentElement.lang") == "cy"
    finally:
        context.close()
