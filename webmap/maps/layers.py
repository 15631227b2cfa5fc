"""Map layers: ward outlines and asset markers, with every resident-typed text escaped."""

from __future__ import annotations

import json
from html import escape

import folium
import geopandas as gpd
from flask_babel import gettext as _
from folium.plugins import FastMarkerCluster, FeatureGroupSubGroup, MarkerCluster

from webmap.maps.points import AssetPoints

# Cluster bubbles as markercluster draws them, plus words for screen readers: the number alone
# ("12") says nothing about what it counts or what pressing it does.
_CLUSTER_ICON_JS = """function (cluster) {
  var n = cluster.getChildCount();
  var size = n < 10 ? "small" : (n < 100 ? "medium" : "large");
  return L.divIcon({
    html: "<div><span>" + n + "<span class=\\"visually-hidden\\">" + WORDS + "</span></span></div>",
    className: "marker-cluster marker-cluster-" + size,
    iconSize: new L.Point(40, 40)
  });
}"""


def cluster_icon_js() -> str:
    """Return the cluster bubble script, its words for screen readers in the reader's language."""
    words = " " + _("places here. Press Enter to zoom in.")
    return _CLUSTER_ICON_JS.replace("WORDS", json.dumps(escape(words)))


# Above this many folium markers (each with its own popup script), a page gets too heavy.
FAST_CLUSTER_ABOVE = 2000
# The home map's compact JSON rows cost about 200 bytes a place (before gzip); above this many,
# it falls back to one plain FastMarkerCluster without per-group layers or popups.
LAYERED_MAX = 20_000


def simplify_for_display(
    wards: gpd.GeoDataFrame, tolerance_m: float = 20.0, grid_deg: float = 1e-5
) -> gpd.GeoDataFrame:
    """Simplify ward outlines without opening gaps between neighbours, and round coordinates."""
    if wards.empty:
        return wards.copy()
    metric = wards.to_crs("EPSG:27700")
    simplified = metric.geometry.simplify_coverage(tolerance_m)
    out = wards.copy()
    out["geometry"] = gpd.GeoSeries(simplified, crs=metric.crs).to_crs(wards.crs).set_precision(grid_deg)
    return out


def safe_text(value: object) -> str:
    """Escape text for HTML and for the JavaScript template literals folium wraps popups in.

    folium writes popup and tooltip HTML inside backticks, where `${...}` would run as code,
    so backticks, dollars and backslashes become HTML entities as well.
    """
    escaped = escape(str(value))
    return escaped.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def popup_html(title: str, lines: list[tuple[str, str]], link: str | None = None) -> str:
    """Return popup HTML in which every value is escaped, so typed text shows as text."""
    parts = [f"<strong>{safe_text(title)}</strong>"]
    parts += [f"<br>{safe_text(label)}: {safe_text(value)}" for label, value in lines if value]
    if link:
        parts.append(f'<br><a href="{safe_text(link)}">{_("More about %(name)s", name=safe_text(title))}</a>')
    return "".join(parts)


def add_wards_layer(
    m: folium.Map,
    wards: gpd.GeoDataFrame,
    name: str | None = None,
    style=None,
    tooltip_fields=None,
    tooltip_aliases=None,
) -> folium.GeoJson | None:
    """Add ward outlines with a tooltip naming each ward (values escaped before folium sees them)."""
    if wards.empty:
        return None
    fields = tooltip_fields or ["name"]
    aliases = tooltip_aliases or [_("Ward")]
    shown = wards[list(dict.fromkeys([*fields, "code", "geometry"]))].copy()
    for col in shown.columns.drop("geometry"):
        shown[col] = shown[col].map(lambda v: safe_text(v) if v is not None and v == v else "")
    data = json.loads(shown.to_json(drop_id=True))
    layer = folium.GeoJson(
        data,
        name=name or _("Wards"),
        style_function=style
        or (lambda _f: {"color": "#1d4f91", "weight": 2, "fillColor": "#1d4f91", "fillOpacity": 0.05}),
        highlight_function=lambda _f: {"weight": 4, "fillOpacity": 0.15},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
    )
    layer.add_to(m)
    return layer


def _add_markers(parent, assets: gpd.GeoDataFrame, labels: dict[str, str]) -> None:
    """Add one marker per asset to a cluster or layer, with an accessible name and an escaped popup."""
    for row in assets.itertuples():
        cats = ", ".join(labels.get(c, c) for c in str(row.categories or "").split(";") if c)
        html = popup_html(
            row.name,
            [(_("Type"), cats), (_("Address"), row.address or ""), (_("Ward"), row.ward_name or "")],
            link=f"/assets/{row.asset_id}",
        )
        folium.Marker(
            [row.geometry.y, row.geometry.x],
            popup=folium.Popup(html, max_width=300),
            tooltip=folium.Tooltip(safe_text(row.name)),
            alt=str(row.name),  # Leaflet sets this as the marker image's alt text: its accessible name
            title=str(row.name),
        ).add_to(parent)


def add_asset_markers(m: folium.Map, assets: gpd.GeoDataFrame, labels: dict[str, str], name: str | None = None) -> None:
    """Add approved assets as clustered markers; each has an accessible name and an escaped popup."""
    if assets.empty:
        return
    name = name or _("Community assets")
    if len(assets) > FAST_CLUSTER_ABOVE:
        data = [[p.y, p.x, safe_text(n)] for p, n in zip(assets.geometry, assets["name"])]
        callback = (
            "function (row) { var m = L.marker(new L.LatLng(row[0], row[1]), {alt: row[2], keyboard: true});"
            " m.bindTooltip(row[2]); return m; }"
        )
        FastMarkerCluster(data, callback=callback, name=name, icon_create_function=cluster_icon_js()).add_to(m)
        return
    _add_markers(MarkerCluster(name=name, icon_create_function=cluster_icon_js()).add_to(m), assets, labels)


def add_asset_layers(
    m: folium.Map, assets: gpd.GeoDataFrame, labels: dict[str, str], groups: dict[str, str]
) -> list[tuple[str, int]]:
    """Add assets in one cluster, with a layer per category group to switch on and off; return (group, count).

    An asset with several categories is drawn once, in the group of its first category, so the
    layer counts add up to the number of places in the list. Sub-groups of one cluster (rather than
    a cluster per group) keep cluster bubbles from piling on top of each other.
    """
    if assets.empty:
        return []
    if len(assets) > LAYERED_MAX:  # too many even as JSON rows: one light cluster instead
        add_asset_markers(m, assets, labels, name=_("Places (%(count)s)", count=len(assets)))
        return [(_("All places"), len(assets))]
    first = assets["categories"].fillna("").str.split(";").str[0]
    other = _("Other")
    group_of = first.map(lambda c: groups.get(c) or other)
    cluster = MarkerCluster(name=_("Places"), control=False, icon_create_function=cluster_icon_js()).add_to(m)
    shown = []
    for group in sorted(group_of.unique()):
        subset = assets[group_of == group]
        layer = FeatureGroupSubGroup(cluster, name=f"{group} ({len(subset)})").add_to(m)
        AssetPoints(subset, labels).add_to(layer)
        shown.append((group, len(subset)))
    # Collapsed behind its button: expanded, it would cover a phone-sized map and catch its scrolling.
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    return shown
