"""Say plainly when postcode lookups cannot work because no postcode table has been imported.

Forms show a hint and, when someone types a postcode anyway, an error that offers the map or
a ward instead; staff see a notice on the moderation queue until a table is imported.
"""

from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l

from webmap.core import store

NOT_SET_UP = _l("Postcode search is not set up on this map yet")
# The whole message for each kind of form, with what it can offer instead of a postcode.
INSTEAD = {
    "pin": _l(
        "Postcode search is not set up on this map yet (no postcode table has been loaded), so we cannot look "
        "postcodes up: place a pin on the map instead"
    ),
    "ward": _l(
        "Postcode search is not set up on this map yet (no postcode table has been loaded), so we cannot look "
        "postcodes up: choose your ward from the list or pick a point on the map instead"
    ),
    "point": _l(
        "Postcode search is not set up on this map yet (no postcode table has been loaded), so we cannot look "
        "postcodes up: choose a point on the map instead"
    ),
}


def postcodes_ready() -> bool:
    """Say whether postcode lookups can work (a postcode table is loaded); asked once per request."""
    if "postcodes_ready" not in g:
        g.postcodes_ready = store.postcodes_loaded()
    return g.postcodes_ready


def not_set_up(instead: str) -> str:
    """Return the message for a postcode typed while no postcode table is loaded."""
    return str(INSTEAD[instead])


def init_app(app: Flask) -> None:
    """Let templates ask whether postcode lookups work."""
    app.jinja_env.globals["postcodes_ready"] = postcodes_ready
    app.jinja_env.globals["postcodes_not_set_up"] = NOT_SET_UP
