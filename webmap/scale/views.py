"""Map pieces by tile: ward outlines simplified for the zoom, and places or their cluster counts."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, request

from webmap.core import store
from webmap.scale import derived, outlines, places, versions
from webmap.scale.tiles import OUTLINE_LEVELS, check_tile, outline_level, tile_bounds

bp = Blueprint("viewport", __name__, url_prefix="/map-tiles")

# Tile URLs carry the data and derived table versions (?v=), so a tile can be cached for a day: new data, new URL.
CACHE = "public, max-age=86400"


def _tile(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    try:
        check_tile(z, x, y)
    except ValueError as exc:
        abort(404, str(exc))
    return tile_bounds(z, x, y)


def _cached(etag: str, make_body) -> Response:
    """Answer 304 when the browser has this version; otherwise build the body once."""
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(make_body(), mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE
    return response


@bp.get("/wards/<int:z>/<int:x>/<int:y>.json")
def ward_tile(z: int, x: int, y: int):
    """Return the wards meeting a tile, simplified for map zoom ?zoom= (default the tile's own zoom)."""
    bbox = _tile(z, x, y)
    zoom = request.args.get("zoom", str(z))
    if not zoom.isdecimal():
        abort(400, "zoom: give the map's zoom as a whole number.")
    level = outline_level(int(zoom))
    derived.ensure_outlines()
    version = derived.built_version("ward_outlines")

    def body() -> str:
        rows = outlines.outlines_in(level, bbox)
        features = ",".join(
            '{"type":"Feature","properties":'
            + json.dumps({"code": code, "name": name})
            + ',"geometry":'
            + geometry
            + "}"
            for code, name, geometry in rows
        )
        return '{"type":"FeatureCollection","level":' + str(int(level)) + ',"features":[' + features + "]}"

    return _cached(f"w{version}-{level}-{z}-{x}-{y}", body)


@bp.get("/places/<int:z>/<int:x>/<int:y>.json")
def place_tile(z: int, x: int, y: int):
    """Return a tile's approved places: {"places": rows} when few, else {"clusters": [lat, lon, count]}."""
    bbox = _tile(z, x, y)
    category = request.args.get("category") or None
    labels = store.category_labels()
    if category and category not in labels:
        abort(400, f"category: '{category}' is not a category id; see /api/categories.json.")
    if z <= places.CELL_MAX_ZOOM:
        derived.ensure_cells()  # on a big area, stale counts are served while a refresh runs
        version = f"c{derived.built_version('place_cells')}"
    else:
        version = str(versions.current(versions.DATA))  # counted or listed live from the places table

    def body() -> str:
        if z <= places.CELL_MAX_ZOOM:
            return json.dumps({"clusters": places.stored_cells(max(z, places.CELL_MIN_ZOOM), bbox, category)})
        if places.count_in(bbox, category) > places.POINTS_MAX:
            return json.dumps({"clusters": places.live_cells(z, bbox, category)})
        return json.dumps({"places": places.points_in(bbox, category, labels)}, separators=(",", ":"))

    return _cached(f"p{version}-{category or ''}-{z}-{x}-{y}", body)


def outline_tile_zooms() -> list[list[int]]:
    """Return [lowest map zoom, tile zoom] per outline level, for the browser's loader."""
    return [[lowest, tile] for lowest, _t, _p, tile in OUTLINE_LEVELS]
