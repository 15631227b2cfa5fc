"""A folium map that loads nothing from a CDN, split into parts for our own page templates."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import branca.element
import folium

# folium's assets by the names it registers them under, pointed at /vendor (see vendor.py).
LOCAL_FILES = {
    "leaflet": "/vendor/leaflet/leaflet.js",
    # folium builds popups with jQuery's $(`...`), so jQuery is needed too.
    "jquery": "/vendor/jquery/jquery.min.js",
    "leaflet_css": "/vendor/leaflet/leaflet.css",
    "markerclusterjs": "/vendor/markercluster/leaflet.markercluster.js",
    "markerclustercss": "/vendor/markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "/vendor/markercluster/MarkerCluster.Default.css",
    # Not on PyPI as an XStatic package: vendored from npm (BSD-2-Clause) in static/vendor.
    "featuregroupsubgroupjs": "/static/vendor/leaflet.featuregroup.subgroup.js",
    # Our own loader of map pieces by view (webmap/scale/layers.py).
    "viewportjs": "/static/viewport.js",
}


class _Text:
    """Text an element shows as it is: what `Element(text)` holds instead of a Jinja template made of it.

    branca's ``Element(text)`` compiles ``text`` as a Jinja template, and branca and folium pass every
    element's rendered output through it (``MacroElement.render`` puts each layer's header, html and
    script into the page as ``Element(output)``). So a map's whole script, every ward's fill and
    tooltip lines and every place included, was compiled again on each request (a quarter of /gaps
    on the national set), and text in it that looked like Jinja ("{{ ... }}" in a place's name) was
    run on the server. Every text given to ``Element()`` in branca and folium is final output or
    literal HTML, never a template: it is now shown exactly as Jinja showed text without tags (line
    ends as "\\n", one trailing line end dropped). Elements' own templates (class attributes) are
    compiled once, when their class is defined, as before.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        lines = _LINE_END.split(str(text))[::2]
        if lines[-1] == "":  # Jinja's keep_trailing_newline=False
            del lines[-1]
        self.text = "\n".join(lines)

    def render(self, *_args, **_kwargs) -> str:
        return self.text


_LINE_END = re.compile(r"(\r\n|\r|\n)")
_branca_init = branca.element.Element.__init__


def _element_init(self, template: str | None = None, template_name: str | None = None) -> None:
    _branca_init(self, None, template_name)
    if template is not None:
        self._template_str = template
        self._template = _Text(template)


def _element_setstate(self, state: dict) -> None:
    self.__dict__.update(state)
    if state.get("_template_str") is not None:
        self._template = _Text(state["_template_str"])
    elif state.get("_template_name") is not None:
        self._template = branca.element.ENV.get_template(state["_template_name"])


# Installed when the app's map code is first imported (every page's map is rendered by render_parts).
branca.element.Element.__init__ = _element_init  # type: ignore[method-assign]
branca.element.Element.__setstate__ = _element_setstate  # type: ignore[method-assign]


@dataclass(frozen=True)
class MapParts:
    """The three pieces a page template places: links in <head>, the map div, and its script."""

    header: str
    html: str
    script: str
    map_id: str


def new_map(
    bounds: Sequence[float] | None, tiles_url: str | None, attribution: str | None, height: str = "100%"
) -> folium.Map:
    """Return an empty map fitted to (minx, miny, maxx, maxy), with tiles only when a URL is set."""
    # maxZoom on the map itself (folium's max_zoom only reaches a tile layer): marker clusters
    # cannot draw without one, as when no tile layer is set.
    m = folium.Map(
        location=[54.0, -2.5],
        zoom_start=6,
        tiles=None,
        control_scale=True,
        height=height,
        maxZoom=19,
        scrollWheelZoom=False,
    )  # the page scrolls past the map instead of being trapped by it
    if tiles_url:
        folium.TileLayer(tiles=tiles_url, attr=attribution or "", name="Base map", control=False).add_to(m)
    if bounds is not None and all(b == b for b in bounds):
        minx, miny, maxx, maxy = bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _localise(element) -> None:
    """Point every JS/CSS link of the map and its layers at our own files; drop unused ones."""
    for attr in ("default_js", "default_css"):
        links = getattr(element, attr, None)
        if links is not None:
            setattr(element, attr, [(name, LOCAL_FILES[name]) for name, _ in links if name in LOCAL_FILES])
    for child in element._children.values():
        _localise(child)


# Bits of folium's standalone-page header that harm our pages: a viewport that forbids zooming
# (WCAG 1.4.4), a second charset, and full-height html/body and #map rules meant for a bare map page.
_HEADER_JUNK = [
    re.compile(r'<meta\s+name="viewport"[^>]*>', re.S),
    re.compile(r'<meta\s+http-equiv="content-type"[^>]*>', re.S | re.I),
    re.compile(r"<style>\s*html,\s*body\s*\{[^}]*\}\s*</style>", re.S),
    re.compile(r"<style>\s*#map\s*\{[^}]*\}\s*</style>", re.S),
]


def _tidy_header(header: str) -> str:
    """Drop folium's page-level tags; our base.html already sets viewport, charset and layout."""
    for pattern in _HEADER_JUNK:
        header = pattern.sub("", header)
    return header


_ELEMENT_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def _steady_ids(*parts: str) -> list[str]:
    """Replace folium's random element ids with ids numbered in order of appearance.

    The same map then renders to the same bytes every time, so its page's ETag holds from one
    visit to the next and a browser's repeat visit is answered with 304 Not Modified.
    """
    numbers: dict[str, str] = {}

    def steady(match: re.Match) -> str:
        return numbers.setdefault(match.group(0), f"{len(numbers) + 1:032x}")

    return [_ELEMENT_ID.sub(steady, part) for part in parts]


_JQUERY = re.compile(r'\s*<script[^>]*src="' + re.escape(LOCAL_FILES["jquery"]) + r'"[^>]*>\s*</script>')


def render_parts(m: folium.Map) -> MapParts:
    """Render the map and return its parts for embedding in a Jinja page."""
    _localise(m)
    root = m.get_root()
    root.render()
    header, html, script, name = _steady_ids(
        _tidy_header(root.header.render()), root.html.render(), root.script.render(), m.get_name()
    )
    if "$(" not in script:  # folium uses jQuery only to build popups: a map without any loads none
        header = _JQUERY.sub("", header)
    return MapParts(header=header, html=html, script=script, map_id=name)
