"""The map residents, moderators and group managers click or tap to place a pin."""

from __future__ import annotations

from flask import current_app

from webmap.core import store
from webmap.maps import add_wards_layer, new_map, render_parts, simplify_for_display
from webmap.scale import pages as scale_pages
from webmap.scale.layers import ViewportLayers


def picker_map():
    """Build the map residents click or tap to place a pin, showing the ward outlines."""
    tiles, attribution = current_app.config["TILES_URL"], current_app.config["TILES_ATTRIBUTION"]
    if scale_pages.by_view():
        # A big area: the outlines load by view. Every ward's outline in the page took the national
        # "Add a place" form 7 s and its worker 670 MB.
        extent = scale_pages.extent()
        m = new_map(extent, tiles, attribution)
        ViewportLayers(places=False, extent=extent, fitted=True).add_to(m)
        return render_parts(m)
    wards = store.wards_frame()
    m = new_map(wards.total_bounds if len(wards) else None, tiles, attribution)
    add_wards_layer(m, simplify_for_display(wards))
    return render_parts(m)
