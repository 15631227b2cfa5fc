"""Build folium maps from GeoDataFrames, served with this app's own Leaflet files."""

from webmap.maps.base import MapParts, new_map, render_parts
from webmap.maps.layers import add_asset_layers, add_asset_markers, add_wards_layer, simplify_for_display

__all__ = [
    "MapParts",
    "new_map",
    "render_parts",
    "add_asset_layers",
    "add_asset_markers",
    "add_wards_layer",
    "simplify_for_display",
]
