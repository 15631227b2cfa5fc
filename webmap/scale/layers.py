"""A folium element that has the browser load ward outlines and places for the view (static/viewport.js)."""

from __future__ import annotations

from urllib.parse import quote

from branca.element import MacroElement
from flask import has_request_context
from flask_babel import gettext as _
from folium.elements import JSCSSMixin
from jinja2 import Template

from webmap.scale import derived
from webmap.scale.tiles import OUTLINE_LEVELS
from webmap.web.language import language, offered


class ViewportLayers(JSCSSMixin, MacroElement):
    """Ward outlines (plain, or filled from `fills`) and places, fetched tile by tile as the map moves.

    fills: {ward code: [colour, tooltip line, ...]} for a choropleth, or fills_json: the same as JSON safe in
    HTML (jinja2.utils.htmlsafe_json_dumps), made once and kept by the page; link: a URL with "{code}".
    Names and labels in the tiles are in the page's language, which the tile URLs carry (?lang=)
    so that a browser's cached tile in one language is never shown on a page in the other; the
    words the script shows come in `words`.
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
    ) -> None:
        super().__init__()
        self._name = "ViewportLayers"
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
