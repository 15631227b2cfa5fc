"""Many asset markers in one compact layer: data once as JSON, markers and popups built in the browser.

A folium Marker with a Popup and a Tooltip costs about 1.3 KB of script per place and a lot of
server time; a council's full list (thousands of places) would make the home page megabytes.
Here each place is one short JSON row, and the popup is built with DOM text nodes, so whatever a
resident typed is shown as text without any HTML escaping to get wrong.
"""

from __future__ import annotations

import geopandas as gpd
from branca.element import MacroElement
from flask_babel import gettext as _
from jinja2 import Template

_BUILD_JS = Template("""
{% macro script(this, kwargs) %}
(function () {
  var rows = {{ this.rows|tojson }};
  var words = {{ this.words|tojson }};
  var parent = {{ this._parent.get_name() }};
  function text(tag, value) { var el = document.createElement(tag); el.textContent = value; return el; }
  rows.forEach(function (r) {
    // r: [lat, lon, id, name, categories, address, ward, outside the area (1/0)]
    // Places just outside the area are greyed and labelled: they give access but are no ward's own.
    var label = r[7] ? r[3] + " " + words.outside_label : r[3];
    var marker = L.marker([r[0], r[1]], {alt: label, title: label, keyboard: true, opacity: r[7] ? 0.45 : 1});
    if (r[7]) { marker.on("add", function () { var el = marker.getElement(); if (el) { el.classList.add("outside-area"); } }); }
    marker.bindTooltip(function () { return text("span", label); });
    marker.bindPopup(function () {
      var box = document.createElement("div");
      box.appendChild(text("strong", r[3]));
      [[words.type, r[4]], [words.address, r[5]], [words.ward, r[7] ? words.outside : r[6]]].forEach(function (line) {
        if (line[1]) { box.appendChild(document.createElement("br")); box.appendChild(text("span", line[0] + ": " + line[1])); }
      });
      box.appendChild(document.createElement("br"));
      var link = text("a", words.more.replace("%(name)s", function () { return r[3]; }));
      link.href = "/assets/" + r[2];
      box.appendChild(link);
      return box;
    }, {maxWidth: 300});
    parent.addLayer(marker);
  });
})();
{% endmacro %}
""")


class AssetPoints(MacroElement):
    """Add one marker per asset to the parent layer (a cluster or sub-group)."""

    _template = _BUILD_JS

    def __init__(self, assets: gpd.GeoDataFrame, labels: dict[str, str]) -> None:
        super().__init__()
        self._name = "AssetPoints"
        self.rows = [_row(row, labels) for row in assets.itertuples()]
        # The popups' words in the reader's language (the script itself holds none).
        self.words = {
            "type": _("Type"),
            "address": _("Address"),
            "ward": _("Ward"),
            "outside": _("outside the area"),
            "outside_label": _("(outside the area)"),
            "more": _("More about %(name)s", name="%(name)s"),
        }


def _row(row, labels: dict[str, str]) -> list:
    """Return the compact JSON row for one asset (coordinates rounded to about 1 m)."""
    cats = ", ".join(labels.get(c, c) for c in str(row.categories or "").split(";") if c)
    ward = getattr(row, "ward_name", None)
    outside = int(not isinstance(getattr(row, "ward_code", None), str))
    return [
        round(row.geometry.y, 5),
        round(row.geometry.x, 5),
        int(row.asset_id),
        str(row.name),
        cats,
        _text(row.address),
        ward if isinstance(ward, str) else "",
        outside,
    ]


def _text(value) -> str:
    """A missing text field is empty, never "nan" or "None"."""
    return value if isinstance(value, str) else ""
