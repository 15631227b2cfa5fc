"""Serving many wards and places: derived tables kept in the database, and maps that load by view.

At council scale (a few dozen wards, a few thousand places) the pages inline their map layers as
before. Above `VIEWPORT_ABOVE_WARDS` wards or `VIEWPORT_ABOVE_PLACES` places, maps fetch ward
outlines and places tile by tile from /map-tiles/..., simplified for the zoom, and the tables
beside them page. Outlines, place clusters and gap tables are derived once per data version
(see versions.py) and read by every request after that.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Track data versions and register the tile endpoints."""
    from webmap.scale import models, versions, views  # noqa: F401  (models: tables on db.metadata)

    versions.listen()
    app.register_blueprint(views.bp)
