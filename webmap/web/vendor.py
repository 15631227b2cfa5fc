"""Serve Leaflet and its plugins from this server, never from a CDN."""

from __future__ import annotations

import xstatic.pkg.jquery as _jquery
import xstatic.pkg.leaflet as _leaflet
import xstatic.pkg.leaflet_markercluster as _markercluster
from flask import Blueprint, Flask, abort, send_from_directory

PACKAGES = {
    "jquery": _jquery.BASE_DIR,
    "leaflet": _leaflet.BASE_DIR,
    "markercluster": _markercluster.BASE_DIR,
}

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@bp.get("/<package>/<path:filename>")
def static_file(package: str, filename: str):
    """Send a file from a vendored front-end package."""
    base = PACKAGES.get(package)
    if base is None:
        abort(404)
    return send_from_directory(base, filename, max_age=86400)


def init_app(app: Flask) -> None:
    """Register the vendored files' route."""
    app.register_blueprint(bp)
