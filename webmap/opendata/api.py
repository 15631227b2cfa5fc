"""Public JSON API: approved assets and wards as GeoJSON (never any private field)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, request
from flask_babel import gettext as _

from webmap.core import store
from webmap.gaps import service as gaps_service
from webmap.maps import simplify_for_display

bp = Blueprint("api", __name__, url_prefix="/api")

PUBLIC_ASSET_COLUMNS = [
    "asset_id",
    "name",
    "kind",
    "categories",
    "ward_code",
    "postcode",
    "address",
    "website",
    "phone",
    "opening_times",
    "description",
    "geometry",
]


def geojson_response(frame) -> Response:
    """Return a GeoDataFrame as a GeoJSON response."""
    return Response(frame.to_json(drop_id=True, na="null"), mimetype="application/geo+json")


def _bbox(raw: str) -> tuple[float, float, float, float]:
    """Read ?bbox=minlon,minlat,maxlon,maxlat, or stop with a 400 saying what is wrong."""
    parts = raw.split(",")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        abort(400, _("bbox: give four numbers, minimum longitude,minimum latitude,maximum longitude,maximum latitude."))
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        abort(
            400,
            _(
                "bbox: the numbers must be longitude -180 to 180 and latitude -90 to 90, each minimum below its maximum."
            ),
        )
    return minx, miny, maxx, maxy


@bp.get("/assets.geojson")
def assets_geojson():
    """Return approved assets as GeoJSON, optionally only a ?category=, ?ward= or ?bbox=."""
    category = request.args.get("category") or None
    if category and category not in store.category_labels():
        abort(400, _("category: '%(value)s' is not a category id; see /api/categories.json.", value=category))
    ward = request.args.get("ward") or None
    if ward and not store.ward_exists(ward):
        abort(400, _("ward: '%(value)s' is not a ward code on this map; see /api/wards.geojson.", value=ward))
    bbox = _bbox(request.args["bbox"]) if request.args.get("bbox") else None
    # Filters run in the database: a small box reads a few rows, not every place.
    assets = store.assets_frame(category=category, ward=ward, bbox=bbox)
    return geojson_response(assets[PUBLIC_ASSET_COLUMNS].rename(columns={"asset_id": "id"}))


@bp.get("/wards.geojson")
def wards_geojson():
    """Return ward outlines (simplified for display) as GeoJSON."""
    wards = simplify_for_display(gaps_service.wards_with_population())
    return geojson_response(wards)


@bp.get("/categories.json")
def categories_json():
    """Return the category taxonomy."""
    data = [
        {"id": c.id, "label": c.label, "group": c.group, "description": c.description, "osm_tags": c.tag_list()}
        for c in store.categories()
    ]
    return Response(json.dumps(data), mimetype="application/json")


NEARBY_LIMIT, NEARBY_MAX_LIMIT = 100, 1000


def _whole_number(name: str, default: int, low: int, high: int) -> int:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdecimal() or not low <= int(raw) <= high:
        abort(
            400, _("%(name)s: must be a whole number from %(low)s to %(high)s.", name=name, low=low, high=f"{high:,}")
        )
    return int(raw)


@bp.get("/nearby")
def nearby():
    """Return approved assets within ?radius= metres of ?lat=&lon= (or ?postcode=), nearest first, as GeoJSON."""
    from webmap.partners.nearby import nearby_records
    from webmap.partners.search_input import FIELD_NAMES_API, parse_search

    search, errors = parse_search(request.args)
    if errors:
        abort(400, " ".join(f"{FIELD_NAMES_API.get(f, f)}: {m}." for f, m in errors.items()))
    limit = _whole_number("limit", NEARBY_LIMIT, 1, NEARBY_MAX_LIMIT)
    offset = _whole_number("offset", 0, 0, 10_000_000)
    results, matched = nearby_records(
        search.lon, search.lat, search.radius_m, limit=limit, offset=offset, **search.query_args()
    )
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [record["lon"], record["lat"]]},
            "properties": {**record, "distance_m": round(distance, 1)},
        }
        for record, distance in results
    ]
    body = {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": matched,
        "numberReturned": len(features),
        "search": {
            "lat": search.lat,
            "lon": search.lon,
            "radius_m": search.radius_m,
            "category": search.categories,
            "match": search.match,
            "kind": search.kind,
            "distance": "geodesic (straight line), metres",
        },
    }
    return Response(json.dumps(body), mimetype="application/geo+json")
