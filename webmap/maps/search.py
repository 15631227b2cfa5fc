"""Map layers for a radius search: the search circle and the places found, nearest first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import folium
from flask_babel import gettext as _
from folium.plugins import MarkerCluster

from webmap.maps.layers import cluster_icon_js, popup_html, safe_text


def add_search_circle(m: folium.Map, lon: float, lat: float, radius_m: float, place: str) -> None:
    """Draw the search circle (radius in metres) and mark its centre."""
    label = safe_text(_("Within %(distance)s m of %(place)s", distance=f"{radius_m:,.0f}", place=place))
    folium.Circle(
        [lat, lon],
        radius=radius_m,
        color="#1d4f91",
        weight=2,
        fill=True,
        fill_opacity=0.06,
        tooltip=folium.Tooltip(label),
        interactive=False,
    ).add_to(m)
    folium.CircleMarker(
        [lat, lon],
        radius=6,
        color="#0b0c0c",
        weight=2,
        fill=True,
        fill_color="#ffdd00",
        fill_opacity=1,
        tooltip=folium.Tooltip(safe_text(_("Search centre: %(place)s", place=place))),
    ).add_to(m)


def add_result_markers(
    m: folium.Map,
    results: Sequence[tuple[object, float]],
    labels: dict[str, str],
    first_number: int = 1,
    name_of: Callable[[Any], str] = lambda record: record.name,
) -> None:
    """Add one marker per (asset, distance_m), numbered as in the list, with escaped popups.

    Markers are clustered: places in one building or street would otherwise sit on top of each
    other, too close to pick one by touch (WCAG 2.5.8); a cluster opens to them on a click or Enter.
    name_of names a place or a ward as the list beside the map does (in the reader's language).
    """
    cluster = MarkerCluster(name=_("Places found"), control=False, icon_create_function=cluster_icon_js()).add_to(m)
    for number, (asset, distance) in enumerate(results, start=first_number):
        cats = ", ".join(labels.get(c, c) for c in asset.category_ids())
        ward = name_of(asset.ward) if asset.ward else ""
        html = popup_html(
            name_of(asset),
            [(_("Straight-line distance"), f"{distance:,.0f} m"), (_("Type"), cats), (_("Ward"), ward)],
            link=f"/assets/{asset.id}",
        )
        name = f"{number}. {name_of(asset)}"
        folium.Marker(
            [asset.lat, asset.lon],
            popup=folium.Popup(html, max_width=300),
            tooltip=folium.Tooltip(safe_text(f"{name} ({distance:,.0f} m)")),
            alt=name,  # the marker image's accessible name, matching the list
            title=name,
        ).add_to(cluster)
