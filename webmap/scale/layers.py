"""A folium element that has the browser load ward outlines and places for the view (static/viewport.js)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from urllib.parse import quote

from branca.element import Element, MacroElement
from flask import has_request_context
from flask_babel import gettext as _
from folium.elements import JSCSSMixin
from jinja2 import Template
from markupsafe import escape

from webmap.scale import derived, pages
from webmap.scale.tiles import OUTLINE_LEVELS
from webmap.web.language import language, offered


class ViewportLayers(JSCSSMixin, MacroElement):
    """Ward outlines (plain, or filled from `fills`) and places, fetched tile by tile as the map moves.

    fills: {ward code: [colour, tooltip line, ...]} for a choropleth, or fills_json: the same as JSON safe in
    HTML (jinja2.utils.htmlsafe_json_dumps), made once and kept by the page; link: a URL with "{code}".
    Names and labels in the tiles are in the page's language, which the tile URLs carry (?lang=)
    so that a browser's cached tile in one language is never shown on a page in the other; the
    words the script shows come in `words`. extent: the wards' (minx, miny, maxx, maxy), when the
    page has it already (read from the stored outlines otherwise): the script asks for no outline
    tile beyond it, where there are none (the sea round the country, at the first view).
    Without places the page loads no marker clustering. fitted: the map opens fitted to the extent;
    when that is too big for any screen to show at the first finer outline level, the page has the
    browser fetch the first view's outline tiles while it loads the scripts (<link rel="preload">).
    """

    _template = Template("""
{% macro script(this, kwargs) %}
{%- if this.fills_json %}
webmapViewport({{ this._parent.get_name() }}, {{ (this.options|tojson)[:-1] }}, "fills": {{ this.fills_json }}});
{%- else %}
webmapViewport({{ this._parent.get_name() }}, {{ this.options|tojson }});
{%- endif %}
{% endmacro %}
""")
    default_js = [
        ("leaflet", "/vendor/leaflet/leaflet.js"),
        ("markerclusterjs", "/vendor/markercluster/leaflet.markercluster.js"),
        ("viewportjs", "/static/viewport.js"),
    ]
    default_css = [
        ("markerclustercss", "/vendor/markercluster/MarkerCluster.css"),
        ("markerclusterdefaultcss", "/vendor/markercluster/MarkerCluster.Default.css"),
    ]

    def __init__(
        self,
        wards: bool = True,
        places: bool = True,
        category: str | None = None,
        fills: dict[str, list[str]] | None = None,
        fills_json: str | None = None,
        link: str | None = None,
        no_data: str = "#bdbdbd",
        no_data_label: str | None = None,
        extent: Sequence[float] | None = None,
        fitted: bool = False,
    ) -> None:
        super().__init__()
        self._name = "ViewportLayers"
        if not places:
            self.default_js = [(name, path) for name, path in self.default_js if name != "markerclusterjs"]
            self.default_css = []
        if wards and extent is None:
            extent = pages.extent()
        self.fills_json = fills_json
        suffix = f"&category={quote(category)}" if category else ""
        lang = f"&lang={language()}" if has_request_context() and len(offered()) > 1 else ""
        self.options = {
            "wards": f"/map-tiles/wards/{{z}}/{{x}}/{{y}}.json?v={derived.tag('ward_outlines')}{lang}"
            if wards
            else None,
            "wardZooms": [[lowest, tile] for lowest, _t, _p, tile in OUTLINE_LEVELS],
            "places": f"/map-tiles/places/{{z}}/{{x}}/{{y}}.json?v={derived.tag('place_cells')}{suffix}{lang}"
            if places
            else None,
            # Rounded outwards, so the box still holds every ward.
            "extent": [math.floor(v * 1e5) / 1e5 for v in extent[:2]] + [math.ceil(v * 1e5) / 1e5 for v in extent[2:]]
            if wards and extent is not None
            else None,
            **({} if fills_json else {"fills": fills}),
            "link": link,
            "noData": no_data,
            "noDataLabel": no_data_label or _("not computed"),
            "minZoom": 5,
            "words": {
                "placesHere": _("%(count)s places here", count="{n}"),
                "zoomIn": " " + _("places here. Press Enter to zoom in."),
                "type": _("Type"),
                "ward": _("Ward"),
                "more": _("More about %(name)s", name="{name}"),
            },
        }
        self.preload = first_outline_tiles(self.options["wards"], self.options["extent"]) if fitted else []

    def render(self, **kwargs) -> None:
        super().render(**kwargs)
        if self.preload:
            # crossorigin="anonymous": the same request as the script's fetch(), so the browser uses it.
            links = "".join(
                f'<link rel="preload" as="fetch" crossorigin="anonymous" href="{escape(url)}">' for url in self.preload
            )
            self.get_root().header.add_child(Element(links), name="viewport_preload", index=0)


# The largest map a screen shows, in pixels: an extent wider or taller than this at a zoom is never
# fitted at that zoom or above.
BIGGEST_MAP_PX = (2560, 1600)


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Return the (x, y) of the tile at zoom z holding a point, as static/viewport.js counts them."""
    n = 2**z
    r = math.radians(lat)
    x = math.floor((lon + 180) / 360 * n)
    y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
    return max(0, min(n - 1, x)), max(0, min(n - 1, y))


def first_outline_tiles(wards: str | None, extent: Sequence[float] | None) -> list[str]:
    """Return the URLs of the outline tiles a map fitted to extent asks for first, or [] when unsure.

    Sure only when the extent is too big to fit at the zoom where the next outline level begins, on
    any screen: the map then opens at the first level, whose tiles meeting the extent the script asks
    for (the view holds the whole extent). wards: the outline URL template of the options.
    """
    if not wards or not extent or len(OUTLINE_LEVELS) < 2:
        return []
    west, south, east, north = extent
    lowest, tile_zoom, next_zoom = OUTLINE_LEVELS[0][0], OUTLINE_LEVELS[0][3], OUTLINE_LEVELS[1][0]
    x0, y1 = _tile_xy(west, south, next_zoom + 8)  # pixels at the next level's zoom: tiles of 256 = 2**8 px
    x1, y0 = _tile_xy(east, north, next_zoom + 8)
    if x1 - x0 <= BIGGEST_MAP_PX[0] and y1 - y0 <= BIGGEST_MAP_PX[1]:
        return []
    (tx0, ty0), (tx1, ty1) = _tile_xy(west, north, tile_zoom), _tile_xy(east, south, tile_zoom)
    return [
        wards.replace("{z}", str(tile_zoom)).replace("{x}", str(x)).replace("{y}", str(y)) + f"&zoom={lowest}"
        for x in range(tx0, tx1 + 1)
        for y in range(ty0, ty1 + 1)
    ]
