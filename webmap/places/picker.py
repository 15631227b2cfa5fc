"""The map residents, moderators and group managers click or tap to place a pin."""

from __future__ import annotations

from flask import current_app

from webmap.core import store
from webmap.maps import add_wards_layer, new_map, render_parts, simplify_for_display


def picker_map():
    """Build the map residents click or tap to place a pin, showing the ward outlines."""
    wards = store.wards_frame()
    m = new_map(
        wards.total_bounds if len(wards) else None,
        current_app.config["TILES_URL"],
        current_app.config["TILES_ATTRIBUTION"],
    )
    add_wards_layer(m, simplify_for_display(wards))
    return render_parts(m)
