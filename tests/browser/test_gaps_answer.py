"""The answer is visible: at 1280x800 and 360x640 every row's ward name and unmet need are in view
without sideways scrolling (the other figures may need it), and the table's caption is not cut."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

VISIBLE_JS = """() => {
  const box = document.querySelector('.gap-table-scroll').getBoundingClientRect();
  const right = Math.min(box.right, window.innerWidth), left = Math.max(box.left, 0);
  const rows = [...document.querySelectorAll('.gap-table tbody tr')];
  const out = rows.filter((tr) => {
    const ward = tr.querySelector('th.ward').getBoundingClientRect();
    const gap = tr.querySelector('td.gap').getBoundingClientRect();
    return [ward, gap].some((r) => r.left < left - 0.5 || r.right > right + 0.5 || r.width === 0);
  }).map((tr) => tr.querySelector('th.ward').textContent.trim());
  const cap = document.querySelector('.table-caption').getBoundingClientRect();
  return {rows: rows.length, out, pageScrolls: document.documentElement.scrollWidth > window.innerWidth,
          captionCut: cap.right > window.innerWidth + 0.5, gapText: rows.map((tr) => tr.querySelector('td.gap').textContent.trim())};
}"""


@pytest.mark.parametrize(
    "size", [{"width": 1280, "height": 800}, {"width": 360, "height": 640}], ids=["desktop", "phone"]
)
@pytest.mark.parametrize("query", ["", "?category=youth&method=2sfca"], ids=["all-needs", "youth"])
def test_ward_and_unmet_need_visible_without_sideways_scrolling(browser, live_server, size, query):
    context = browser.new_context(viewport=size)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/gaps{query}")
        page.locator(".gap-table tbody tr").first.wait_for()
        result = page.evaluate(VISIBLE_JS)
        assert result["rows"] == 16
        assert result["out"] == [], f"ward or figure out of view at {size}: {result['out']}"
        assert not result["pageScrolls"] and not result["captionCut"]
        assert all(text and text != "nan" for text in result["gapText"])
        # The first heading cells say what the figure is.
        heads = page.locator(".gap-table thead th").all_inner_texts()
        assert [h.strip() for h in heads[:3]] == ["Rank", "Ward", "Unmet need per 1,000 residents"]
    finally:
        context.close()
