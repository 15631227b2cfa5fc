"""Text on a map is shown as written: folium's rendered layers are never compiled as Jinja templates again.

branca's Element(text) used to compile `text` as a template, and folium passes every layer's rendered
output through it: "{{ ... }}" in a place's name, a popup or a tooltip ran on the server.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import jinja2
import shapely
from flask import Flask
from flask_babel import Babel

from webmap.maps import add_wards_layer, new_map, render_parts
from webmap.maps.layers import add_asset_markers, popup_html, safe_text
from webmap.maps.points import AssetPoints

PAYLOAD = "Hall {{ 6 * 7 }} {% if true %}yes{% endif %} {# note #}"


def _places() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "asset_id": [1, 2],
            "name": [PAYLOAD, "Plain hall"],
            "categories": ["", ""],
            "address": [PAYLOAD, ""],
            "ward_name": ["Ward", "Ward"],
            "ward_code": ["E05000001", "E05000001"],
        },
        geometry=[shapely.Point(-1.5, 53.0), shapely.Point(-1.4, 53.1)],
        crs="EPSG:4326",
    )


def test_text_that_looks_like_a_template_is_shown_as_written(monkeypatch):
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        m = new_map((-2, 52.5, -1, 53.5), None, None)
        places = _places()
        AssetPoints(places, {}).add_to(m)
        add_asset_markers(m, places, {})
        folium.Marker([53.0, -1.5], popup=folium.Popup(popup_html(PAYLOAD, [("Address", PAYLOAD)]))).add_to(m)
        folium.Marker([53.0, -1.5], tooltip=folium.Tooltip(safe_text(PAYLOAD))).add_to(m)
        wards = gpd.GeoDataFrame({"code": ["E05000001"], "name": [PAYLOAD]}, geometry=[shapely.box(-2, 52.5, -1, 53.5)])
        add_wards_layer(m, wards.set_crs("EPSG:4326"))
        compiled = []
        real = jinja2.Environment.compile
        monkeypatch.setattr(
            jinja2.Environment,
            "compile",
            lambda env, source, *a, **k: compiled.append(source) or real(env, source, *a, **k),
        )
        parts = render_parts(m)
    page = parts.header + parts.html + parts.script
    assert page.count(PAYLOAD) >= 5  # rows, marker titles, popups, tooltip, ward name
    rest = page.replace(PAYLOAD, "")
    assert "Hall" not in rest and "yes" not in rest  # no trace of the text run as a template ("Hall 42 yes")
    # No rendered text is compiled again (folium's tooltip compiles its own fixed style block, nothing typed).
    assert not [source for source in compiled if "Hall" in source]
