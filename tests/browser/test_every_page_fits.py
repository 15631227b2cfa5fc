"""Every page at 360×640 and 1280×800: no sideways scrolling, its key column in view, 0 axe violations.

One parametrised test over the shared page list: one served sample site (with staff states: stale
places, a duplicate, a finished import, a manager), one browser, a tab per kind of visitor. Each case
also saves a screenshot to test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import SCREENSHOTS, tab_for
from tests.browser.pages import PAGES
from tests.browser.test_accessibility import axe_violations, describe

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1280, "height": 800}}
CASES = [(spec, size) for spec in PAGES for size in SIZES]
IDS = [f"{spec.name}-{size}" for spec, size in CASES]

# What sticks out past the window (outside maps), to name in a failure.
WIDE_JS = """() => [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > innerWidth + 1
    && !el.closest('.leaflet-container')).slice(0, 5).map((el) => el.tagName.toLowerCase() + '.' + el.className)"""

# Each element of the key column must lie inside the window and inside every box that clips it
# (a sideways-scrolling table wrapper clips what is past its right edge).
KEY_JS = """(selector) => {
  const found = [...document.querySelectorAll(selector)];
  const out = [];
  for (const el of found) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) { out.push(`${el.tagName.toLowerCase()} is not shown`); continue; }
    if (r.left < -1 || r.right > innerWidth + 1) { out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}" spans ${Math.round(r.left)}-${Math.round(r.right)} px of ${innerWidth}`); continue; }
    for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
      const s = getComputedStyle(box);
      if (s.overflowX === 'visible') continue;
      const b = box.getBoundingClientRect();
      if (r.left < b.left - 1 || r.right > b.right + 1) {
        out.push(`${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 30)}" is clipped by ${box.tagName.toLowerCase()}.${box.className} (${Math.round(r.left)}-${Math.round(r.right)} px in a box of ${Math.round(b.left)}-${Math.round(b.right)})`);
        break;
      }
    }
  }
  return {found: found.length, problems: out};
}"""


@pytest.mark.parametrize(("spec", "size"), CASES, ids=IDS)
def test_page_fits_and_passes_axe(spec, size, open_page, public_page, staff_page, role_pages):
    tab_for(spec, public_page, staff_page, role_pages).set_viewport_size(SIZES[size])
    tab = open_page(spec)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # The whole page on a phone, where layout breaks; the first screen on a desktop (a long page's PNG takes seconds).
    tab.screenshot(path=str(SCREENSHOTS / f"{spec.name}-{size}.png"), full_page=size == "phone")
    width, window = tab.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= window, (
        f"{spec.path} at {size}: the page is {width} px wide in a {window} px window; "
        f"sticking out: {tab.evaluate(WIDE_JS)}"
    )
    if spec.key:
        key = tab.evaluate(KEY_JS, spec.key)
        assert key["found"], f"{spec.path} at {size}: its key column ({spec.key}) is not on the page"
        assert not key["problems"], f"{spec.path} at {size}: its key column is out of view:\n" + "\n".join(
            key["problems"]
        )
    violations = axe_violations(tab)
    assert not violations, f"{spec.path} at {size}: {len(violations)} WCAG A/AA rule(s) broken:\n{describe(violations)}"
