"""Public JSON API: approved assets and wards as GeoJSON (never any private field)."""
from __future__ import annotations

import json

from flask import Blueprint, Response, abort, request

from .. import store
from ..maps import simplify_for_display

bp = Blueprint("api", __name__, url_prefix="/api")

PUBLIC_ASSET_COLUMNS = ["asset_id", "name", "kind", "categories", "ward_code", "postcode", "address", "website",
                        "phone", "opening_times", "description", "geometry"]


def geojson_response(frame) -> Response:
    """Return a GeoDataFrame as a GeoJSON response."""
    return Response(frame.to_json(drop_id=True, na="null"), mimetype="application/geo+json")


@bp.get("/assets.geojson")
def assets_geojson():
    """Return approved assets as a GeoJSON FeatureCollection."""
    category = request.args.get("category") or None
    if category and category not in store.category_labels():
        abort(400, f"'{category}' is not a category id; see /api/categories.json.")
    assets = store.assets_frame(category=category)
    return geojson_response(assets[PUBLIC_ASSET_COLUMNS].rename(columns={"asset_id": "id"}))


@bp.get("/wards.geojson")
def wards_geojson():
    """Return ward outlines (simplified for display) as GeoJSON."""
    wards = simplify_for_display(store.wards_frame())
    return geojson_response(wards)


@bp.get("/categories.json")
def categories_json():
    """Return the category taxonomy."""
    data = [{"id": c.id, "label": c.label, "group": c.group, "description": c.description, "osm_tags": c.tag_list()}
            for c in store.categories()]
    return Response(json.dumps(data), mimetype="application/json")
