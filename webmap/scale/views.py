"""Map pieces by tile: ward outlines simplified for the zoom, and places or their cluster counts."""

from __future__ import annotations

import gzip
import json
import threading
from collections import OrderedDict

from flask import Blueprint, Response, abort, current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import select

from webmap.core import store
from webmap.core.db import db
from webmap.core.models import Ward
from webmap.scale import derived, outlines, places, versions
from webmap.scale.tiles import OUTLINE_LEVELS, check_tile, outline_level, tile_bounds
from webmap.web.language import language, pick

bp = Blueprint("viewport", __name__, url_prefix="/map-tiles")

# Tile URLs carry the data and derived table versions (?v=) and the language (?lang=, for the names and
# labels in them), so a tile can be cached for a day: new data or another language, new URL. The ETag
# holds the language too.
CACHE = "public, max-age=86400"


def _tile(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    try:
        check_tile(z, x, y)
    except ValueError as exc:
        abort(404, str(exc))
    return tile_bounds(z, x, y)


def _language() -> str:
    """The language of the names in a tile: from its URL (?lang=), which is not remembered as a choice.

    A tile is cached by URL for a day, so it sets no cookie (web/language.py remembers a ?lang= link).
    """
    code = language()
    g.pop("language_from_url", None)
    return code


def _cached(etag: str, make_body) -> Response:
    """Answer 304 when the browser has this version; otherwise build the body once."""
    if request.if_none_match.contains_weak(etag):  # a gzipped answer's ETag comes back weak
        response = Response(status=304)
    else:
        response = Response(make_body(), mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE
    return response


# Every visitor to a map at the same view asks for the same outline tiles (the whole country at first),
# which change only with the wards: each is built and gzipped once per process and kept, by its ETag
# (outlines' version, level, tile, language), up to this many gzipped bytes, least recently used first out.
TILE_CACHE_BYTES = 32 * 1024 * 1024


class _TileCache:
    def __init__(self, budget: int) -> None:
        self.budget, self.size = budget, 0
        self.tiles: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, make_body) -> bytes:
        with self.lock:
            data = self.tiles.get(key)
            if data is not None:
                self.tiles.move_to_end(key)
                return data
        data = gzip.compress(make_body().encode("utf-8"), compresslevel=6, mtime=0)
        with self.lock:
            if key not in self.tiles:
                self.tiles[key] = data
                self.size += len(data)
            while self.size > self.budget and self.tiles:
                self.size -= len(self.tiles.popitem(last=False)[1])
        return data


def _kept_gzipped(etag: str, make_body) -> Response:
    """As _cached, the body built and gzipped once (kept in this app's tile cache) and sent gzipped as kept."""
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        cache = current_app.extensions.setdefault("webmap_outline_tiles", _TileCache(TILE_CACHE_BYTES))
        data = cache.get(etag, make_body)
        if "gzip" in request.headers.get("Accept-Encoding", "").lower():
            response = Response(data, mimetype="application/json")
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = Response(gzip.decompress(data), mimetype="application/json")
    response.vary.add("Accept-Encoding")
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = CACHE
    return response


@bp.get("/wards/<int:z>/<int:x>/<int:y>.json")
def ward_tile(z: int, x: int, y: int):
    """Return the wards meeting a tile, simplified for map zoom ?zoom= (default the tile's own zoom)."""
    bbox = _tile(z, x, y)
    zoom = request.args.get("zoom", str(z))
    if not zoom.isdecimal():
        abort(400, _("zoom: give the map's zoom as a whole number."))
    level = outline_level(int(zoom))
    derived.ensure_outlines()
    version = derived.built_version("ward_outlines")
    lang = _language()

    def body() -> str:
        rows = outlines.outlines_in(level, bbox)
        welsh = _welsh_ward_names([code for code, _n, _g in rows]) if lang == "cy" else {}
        features = ",".join(
            '{"type":"Feature","properties":'
            + json.dumps({"code": code, "name": welsh.get(code) or name})
            + ',"geometry":'
            + geometry
            + "}"
            for code, name, geometry in rows
        )
        return '{"type":"FeatureCollection","level":' + str(int(level)) + ',"features":[' + features + "]}"

    return _kept_gzipped(f"w{version}-{level}-{z}-{x}-{y}-{lang}", body)


def _welsh_ward_names(codes: list[str]) -> dict[str, str]:
    """Return {code: Welsh name} of these wards that have one."""
    found: dict[str, str] = {}
    for start in range(0, len(codes), 900):
        found.update(
            db.session.execute(
                select(Ward.code, Ward.name_cy).where(
                    Ward.code.in_(codes[start : start + 900]), Ward.name_cy.is_not(None), Ward.name_cy != ""
                )
            ).all()
        )
    return found


@bp.get("/places/<int:z>/<int:x>/<int:y>.json")
def place_tile(z: int, x: int, y: int):
    """Return a tile's approved places: {"places": rows} when few, else {"clusters": [lat, lon, count]}."""
    bbox = _tile(z, x, y)
    category = request.args.get("category") or None
    lang = _language()
    labels = {c.id: str(pick(c.label, c.label_cy)) for c in store.categories()}
    if category and category not in labels:
        abort(400, _("category: '%(category)s' is not a category id; see /api/categories.json.", category=category))
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
        rows = places.points_in(bbox, category, labels, welsh=lang == "cy")
        return json.dumps({"places": rows}, separators=(",", ":"))

    return _cached(f"p{version}-{category or ''}-{z}-{x}-{y}-{lang}", body)


def outline_tile_zooms() -> list[list[int]]:
    """Return [lowest map zoom, tile zoom] per outline level, for the browser's loader."""
    return [[lowest, tile] for lowest, _t, _p, tile in OUTLINE_LEVELS]
