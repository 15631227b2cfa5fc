"""Every page at phone and desktop sizes: screenshots, no sideways scrolling, tap targets, focus, maps."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import tab_for
from tests.browser.pages import PAGES

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 360, "height": 640}, "desktop": {"width": 1280, "height": 900}}
CASES = [(spec, size) for spec in PAGES for size in SIZES]
IDS = [f"{spec.name}-{size}" for spec, size in CASES]

# Controls people tap or tab to (WCAG 2.5.8 "targets"); hidden inputs are not targets.
TARGETS = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=link], "
    "[tabindex]:not([tabindex='-1'])"
)

# WCAG 2.5.8 Target Size (Minimum): at least 24×24 CSS px, except
#  - inline: a link in a sentence, or whose size is set by the line height of the text around it;
#  - spacing: a 24 px circle centred on the small target meets no other target (nor another small
#    target's circle).
# Targets clipped out of sight inside a map are not shown, so not checked.
SMALL_TARGETS_JS = """(selector) => {
  const shown = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === 'hidden' || r.right <= 0 || r.bottom + scrollY <= 0) return false;
    const map = el.closest('.leaflet-container');
    if (map && map !== el) {
      const m = map.getBoundingClientRect();
      if (r.right <= m.left || r.left >= m.right || r.bottom <= m.top || r.top >= m.bottom) return false;
    }
    return true;
  };
  const inline = (el) => {
    if (getComputedStyle(el).display !== 'inline') return false;
    const block = el.parentElement.closest('p, li, td, th, dd, dt, caption, figcaption, label, legend, span, div');
    return !!block && block.textContent.trim().length > el.textContent.trim().length;
  };
  const name = (el) => (el.getAttribute('aria-label') || el.getAttribute('alt') || el.textContent || el.getAttribute('title') || el.name || '').trim().slice(0, 40);
  const targets = [...document.querySelectorAll(selector)].filter(shown).map((el) => ({el, r: el.getBoundingClientRect()}));
  targets.forEach((t) => { t.small = t.r.width < 24 || t.r.height < 24; t.cx = t.r.left + t.r.width / 2; t.cy = t.r.top + t.r.height / 2; });
  const related = (a, b) => a.el.contains(b.el) || b.el.contains(a.el);
  const rectDistance = (t, o) => {
    const dx = Math.max(o.r.left - t.cx, 0, t.cx - o.r.right), dy = Math.max(o.r.top - t.cy, 0, t.cy - o.r.bottom);
    return Math.hypot(dx, dy);
  };
  const failing = [];
  for (const t of targets) {
    if (!t.small || inline(t.el)) continue;
    const crowded = targets.some((o) => o !== t && !related(t, o) &&
      (rectDistance(t, o) < 12 || (o.small && Math.hypot(o.cx - t.cx, o.cy - t.cy) < 24)));
    if (crowded) failing.push(`${t.el.tagName.toLowerCase()}${t.el.className && typeof t.el.className === 'string' ? '.' + t.el.className.trim().split(/\\s+/).join('.') : ''} "${name(t.el)}" ${Math.round(t.r.width)}x${Math.round(t.r.height)}`);
  }
  return {checked: targets.length, failing};
}"""

# Called after each Tab: remember the focused control and how its focus looks.
FOCUSED_JS = """(step) => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  if (el.dataset.tabStop) return {again: true};
  el.dataset.tabStop = String(step);
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  return {
    look: [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor, s.color, s.textDecorationLine].join(' | '),
    ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none',
    inView: r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth,
    name: `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') || el.getAttribute('alt') || el.textContent || el.name || '').trim().slice(0, 40)}"`,
  };
}"""
# Leaflet marks a map's container (zoom) or pane (pan) while it animates.
SETTLED_JS = """() => !document.querySelector('.leaflet-zoom-anim, .leaflet-pan-anim')"""
UNFOCUSED_JS = """(step) => {
  const el = document.querySelector(`[data-tab-stop="${step}"]`);
  if (!el) return null;
  const s = getComputedStyle(el);
  return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor, s.color, s.textDecorationLine].join(' | ');
}"""

MAPS_JS = """() => {
  // Every Leaflet map: folium's (the L.Map is window[div.id]) and any drawn by a page's own script.
  const maps = [...document.querySelectorAll('.leaflet-container')];
  return maps.map((div) => {
    const before = [...document.querySelectorAll('a[href^="#"]')].filter((a) =>
      /skip the map/i.test(a.textContent) && (a.compareDocumentPosition(div) & Node.DOCUMENT_POSITION_FOLLOWING));
    const skip = before[before.length - 1];
    const target = skip ? document.getElementById(skip.getAttribute('href').slice(1)) : null;
    // The text twin: what the skip link leads to, when that is a list or table (or the fields of a
    // point-picker map); otherwise a list or table elsewhere in the main content, such as results
    // placed before the map.
    const LISTS = 'ul, ol, table, dl', FIELDS = 'input:not([type=hidden]), select, textarea';
    const kind = (el) => !el ? null : (el.matches(LISTS) || el.querySelector(LISTS)) ? 'list'
      : (el.matches(FIELDS) || el.querySelector(FIELDS)) ? 'fields' : null;
    const outside = (el) => !el.closest('.leaflet-container, nav, .pager') && !el.contains(div);
    const list = [...document.querySelectorAll('main [data-items], main table, main ul, main ol')].find(outside);
    const form = [...document.querySelectorAll('main form')].find((f) => outside(f) && f.querySelector(FIELDS));
    const twin = kind(target) ? target : list ? (list.closest('[data-items]') || list) : form;
    const counted = twin && (twin.closest('[data-items]') || twin.querySelector('[data-items]'));
    const map = window.L && window[div.id] instanceof L.Map ? window[div.id] : null;
    let markers = 0, shapes = 0;
    if (map) map.eachLayer((layer) => {
      if (L.MarkerClusterGroup && layer instanceof L.MarkerClusterGroup) markers += layer.getLayers().length;
      else if (layer instanceof L.Marker && !(L.MarkerCluster && layer instanceof L.MarkerCluster) && !layer.__parent) markers += 1;
      else if (layer.feature && layer instanceof L.Path) shapes += 1;
    });
    // The twin says how many things it lists (data-items="N": a paged list shows only some of them).
    const declared = !!counted;
    const listed = declared ? Number(counted.dataset.items) : null;
    return {
      id: div.id || div.className,
      skip: !!skip,
      skipPassesMap: !!target && !!(div.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING),
      // A list or table of what the map shows; or, for a map that picks a point, the fields to type it in.
      twin: kind(twin),
      twinSaysCount: declared && counted.textContent.includes(counted.dataset.items),
      drawn: div.querySelectorAll('.leaflet-marker-pane > *').length,
      markers, shapes, listed, declared,
    };
  });
}"""


def open_at(open_page, tab, spec, size):
    tab.set_viewport_size(SIZES[size])
    return open_page(spec)


# Screenshots and sideways scrolling of every page at both sizes: test_every_page_fits.py.


@pytest.mark.parametrize(("spec", "size"), CASES, ids=IDS)
def test_tap_targets_are_at_least_24px(spec, size, open_page, public_page, staff_page, role_pages):
    tab = open_at(open_page, tab_for(spec, public_page, staff_page, role_pages), spec, size)
    result = tab.evaluate(SMALL_TARGETS_JS, TARGETS)
    assert result["checked"] > 0
    assert not result["failing"], f"{spec.path} at {size}: targets under 24×24 px too close to others:\n" + "\n".join(
        result["failing"]
    )


@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_every_control_shows_focus(spec, open_page, public_page, staff_page, role_pages):
    tab = open_at(open_page, tab_for(spec, public_page, staff_page, role_pages), spec, "desktop")
    # A map still zooming to fit its wards moves its outlines as Tab reaches them (seen on a loaded
    # machine: outlines "out of sight" mid-animation): judge the page once its maps have settled.
    tab.wait_for_function(SETTLED_JS, timeout=10_000)
    stops, problems = [], []
    for step in range(300):
        tab.keyboard.press("Tab")
        seen = tab.evaluate(FOCUSED_JS, step)
        if seen is None or seen.get("again"):
            break
        stops.append((step, seen))
    assert stops, f"{spec.path}: Tab reaches no control"
    tab.evaluate("() => document.activeElement && document.activeElement.blur()")
    for step, seen in stops:
        unfocused = tab.evaluate(UNFOCUSED_JS, step)
        if unfocused == seen["look"] or not seen["ring"]:
            problems.append(f"{seen['name']}: focused looks like '{seen['look']}', unfocused '{unfocused}'")
        elif not seen["inView"]:
            problems.append(f"{seen['name']}: focused but scrolled out of sight")
    assert not problems, f"{spec.path}: {len(problems)} of {len(stops)} controls show no clear focus:\n" + "\n".join(
        problems
    )


@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_every_map_has_skip_link_and_text_twin(spec, open_page, public_page, staff_page, role_pages):
    tab = open_at(open_page, tab_for(spec, public_page, staff_page, role_pages), spec, "desktop")
    maps = tab.evaluate(MAPS_JS)
    if not maps:
        pytest.skip(f"{spec.path} has no map")
    for m in maps:
        assert m["skip"], f"{spec.path}: no 'Skip the map' link before map {m['id']}"
        assert m["skipPassesMap"], f"{spec.path}: the 'Skip the map' link does not lead past map {m['id']}"
        assert m["twin"], f"{spec.path}: map {m['id']} has no list or table beside it (nor fields, for a picker map)"
        assert m["drawn"] > 0 or not m["markers"], f"{spec.path}: map {m['id']} holds markers but draws none"
        assert m["declared"] or not spec.counted_map, (
            f"{spec.path}: the map's list should say how many it lists (data-items)"
        )
        if m["twin"] == "list" and m["declared"]:
            assert m["twinSaysCount"], f"{spec.path}: the text twin of map {m['id']} does not state its count"
            shown = m["markers"] or m["shapes"]
            assert shown == m["listed"], f"{spec.path}: map {m['id']} shows {shown} items, its list {m['listed']}"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("spec", PAGES, ids=[p.name for p in PAGES])
def test_map_does_not_trap_scrolling(spec, size, open_page, public_page, staff_page, role_pages):
    tab = open_at(open_page, tab_for(spec, public_page, staff_page, role_pages), spec, size)
    maps = tab.locator(".leaflet-container")
    if maps.count() == 0:
        pytest.skip(f"{spec.path} has no map")
    for i in range(maps.count()):
        div = maps.nth(i)
        map_id = div.get_attribute("id") or f"map {i + 1}"
        div.evaluate("(d) => scrollTo(0, d.getBoundingClientRect().top + scrollY - 20)")
        room = tab.evaluate("() => document.documentElement.scrollHeight - innerHeight - scrollY")
        # Caught on the way down (capture), before the map's handlers; read once they have all run.
        tab.evaluate(
            "() => { window.__wheel = null; addEventListener('wheel', (e) => { window.__wheel = e; }, {capture: true, once: true}); }"
        )
        box = div.bounding_box()
        zoom = "(d) => [scrollY, window.L && window[d.id] instanceof L.Map ? window[d.id].getZoom() : null]"
        before = div.evaluate(zoom)
        tab.mouse.move(box["x"] + box["width"] / 2, min(box["y"] + box["height"] / 2, SIZES[size]["height"] / 2))
        tab.mouse.wheel(0, 120)
        if room > 50:  # a short page cannot scroll further; then it is enough that the map let the wheel go
            try:
                tab.wait_for_function("(y) => scrollY !== y", arg=before[0], timeout=2000)
            except PlaywrightTimeout:
                pass  # the assertion below says what went wrong
        try:
            tab.wait_for_function("() => window.__wheel !== null", timeout=2000)
        except PlaywrightTimeout:
            raise AssertionError(f"{spec.path}: no wheel event reached the page over map {map_id}") from None
        tab.wait_for_timeout(50)
        after = div.evaluate(zoom)
        assert div.evaluate("(d) => d.contains(window.__wheel.target)"), (
            f"{spec.path}: the wheel test missed map {map_id}"
        )
        assert tab.evaluate("() => window.__wheel.defaultPrevented") is False, (
            f"{spec.path}: map {map_id} swallows the mouse wheel"
        )
        if room > 50:
            assert after[0] > before[0], f"{spec.path}: the wheel over map {map_id} did not scroll the page"
        assert after[1] == before[1], f"{spec.path}: the wheel over map {map_id} zoomed the map"
