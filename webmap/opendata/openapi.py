"""The OpenAPI 3.0 description of the public JSON API, written by hand and checked against the routes by a test.

Covers /api/ (GeoJSON and JSON for maps and apps), /oruk/ (Open Referral UK 3.0) and
/export/ (downloads). tests/test_openapi.py fails when a route is added without being
described here, or described without existing.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"
GEOJSON = "application/geo+json"


def _(text: str) -> str:
    """Mark a description for the Welsh catalogue; the document itself stays English (the docs page translates it)."""
    return text


def _param(name: str, description: str, schema: dict, where: str = "query", required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _answer(description: str, media: str = JSON, schema: dict | None = None) -> dict:
    return {"description": description, "content": {media: {"schema": schema or {"type": "object"}}}}


BAD_REQUEST = _answer(
    _("A parameter is not valid; the message names it."), schema={"$ref": "#/components/schemas/Error"}
)
NOT_FOUND = _answer(_("There is no such item."), schema={"$ref": "#/components/schemas/Error"})


def _get(summary: str, responses: dict, parameters: list | None = None, tags: list[str] | None = None) -> dict:
    op: dict[str, Any] = {"summary": summary, "responses": responses, "tags": tags or []}
    if parameters:
        op["parameters"] = parameters
    return {"get": op}


PAGE_PARAMS = [_ref("page"), _ref("per_page")]
SEARCH_PARAMS = [
    _ref("search"),
    *PAGE_PARAMS,
    _ref("taxonomy_term_id"),
    _ref("taxonomy_id"),
    _ref("minimum_age"),
    _ref("maximum_age"),
    _ref("start_time"),
    _ref("end_time"),
    _ref("day"),
]
ORUK_PAGE = {
    "allOf": [{"$ref": "#/components/schemas/Page"}],
    "properties": {"contents": {"type": "array", "items": {"type": "object"}}},
}
ORUK_NOTE = (
    "Follows the Open Referral UK profile of HSDS 3.0 "
    "(https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json)."
)

PATHS: dict[str, dict] = {
    "/api/assets.geojson": _get(
        _("Approved assets as a GeoJSON FeatureCollection of points (public fields only)."),
        {"200": _answer(_("Assets."), GEOJSON, {"$ref": "#/components/schemas/FeatureCollection"}), "400": BAD_REQUEST},
        [
            _param(
                "category", _("Only assets in this category (an id from /api/categories.json)."), {"type": "string"}
            ),
            _param(
                "ward", _("Only assets in this ward (an ONS ward code from /api/wards.geojson)."), {"type": "string"}
            ),
            _param("bbox", _("Only assets inside minlon,minlat,maxlon,maxlat (WGS84)."), {"type": "string"}),
        ],
        ["map data"],
    ),
    "/api/wards.geojson": _get(
        _("Ward outlines (simplified for display) with population and deprivation where known."),
        {"200": _answer(_("Wards."), GEOJSON, {"$ref": "#/components/schemas/FeatureCollection"})},
        tags=["map data"],
    ),
    "/api/categories.json": _get(
        _("The category taxonomy, with the OpenStreetMap tags that map to each category."),
        {
            "200": _answer(
                _("Categories."), schema={"type": "array", "items": {"$ref": "#/components/schemas/Category"}}
            )
        },
        tags=["map data"],
    ),
    "/api/nearby": _get(
        _("Approved assets within a radius of a point, nearest first (distances in metres)."),
        {
            "200": _answer(_("Assets near the point, with their distance in metres."), schema={"type": "object"}),
            "400": BAD_REQUEST,
        },
        [
            _param(
                "lat",
                _("Latitude of the point (WGS84); give lat and lon, or a postcode."),
                {"type": "number", "minimum": -90, "maximum": 90},
            ),
            _param("lon", _("Longitude of the point (WGS84)."), {"type": "number", "minimum": -180, "maximum": 180}),
            _param("postcode", _("A postcode to search around, instead of lat/lon."), {"type": "string"}),
            _param(
                "radius",
                _("Search radius in metres (default 1,000)."),
                {"type": "number", "minimum": 1, "maximum": 10000},
            ),
            _param(
                "category",
                _("Only assets in this category id (several: repeat, or separate with commas)."),
                {"type": "string"},
            ),
            _param(
                "match",
                _("With several categories: 'any' (default) or 'all' of them."),
                {"type": "string", "enum": ["any", "all"]},
            ),
            _param(
                "kind",
                _("Only this kind of asset."),
                {"type": "string", "enum": ["group", "business", "venue", "service"]},
            ),
            _param(
                "limit",
                _("Largest number of features to return (default 100)."),
                {"type": "integer", "minimum": 1, "maximum": 1000},
            ),
            _param("offset", _("Number of nearest features to skip, for paging."), {"type": "integer", "minimum": 0}),
        ],
        ["map data"],
    ),
    "/api/openapi.json": _get(
        _("This description of the API."), {"200": _answer(_("The OpenAPI document."))}, tags=["about"]
    ),
    "/api/docs": _get(
        _("A readable page listing every path, parameter and response of the API."),
        {"200": _answer(_("HTML page."), "text/html", {"type": "string"})},
        tags=["about"],
    ),
    "/export/assets.csv": _get(
        _("Download approved assets as CSV (public fields, lon/lat columns)."),
        {
            "200": _answer(_("CSV file."), "text/csv", {"type": "string"}),
            "400": _answer(_("bom is not 0 or 1 (an HTML page saying so)."), "text/html", {"type": "string"}),
        },
        [
            _param(
                "bom",
                _(
                    "1 to start the file with a UTF-8 byte-order mark, so Excel shows accented letters; "
                    "0 or empty for none."
                ),
                {"type": "string", "enum": ["", "0", "1"]},
            )
        ],
        ["exports"],
    ),
    "/export/assets.geojson": _get(
        _("Download approved assets as GeoJSON."),
        {"200": _answer(_("GeoJSON file."), GEOJSON, {"$ref": "#/components/schemas/FeatureCollection"})},
        tags=["exports"],
    ),
    "/export/assets.gpkg": _get(
        _('Download approved assets as a GeoPackage (layer "assets", points, EPSG:4326).'),
        {
            "200": _answer(
                _("GeoPackage file."), "application/geopackage+sqlite3", {"type": "string", "format": "binary"}
            )
        },
        tags=["exports"],
    ),
    "/oruk/": _get(
        _(
            "Which HSDS version and profile this ORUK API follows. Follows the Open Referral UK profile of HSDS 3.0 "
            "(https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json)."
        ),
        {
            "200": _answer(
                _("API information."),
                schema={
                    "type": "object",
                    "properties": {
                        "version": {"type": "string"},
                        "profile": {"type": "string", "format": "uri"},
                        "openapi_url": {"type": "string", "format": "uri"},
                    },
                },
            )
        },
        tags=["Open Referral UK"],
    ),
    "/oruk/services": _get(
        _("Services (one per approved asset), one-to-one fields and organization, a page at a time."),
        {"200": _answer(_("A page of services."), schema=ORUK_PAGE), "400": BAD_REQUEST},
        SEARCH_PARAMS,
        ["Open Referral UK"],
    ),
    "/oruk/services/{id}": _get(
        _("One fully nested service."),
        {"200": _answer(_("The service.")), "404": NOT_FOUND},
        [_ref("id")],
        ["Open Referral UK"],
    ),
    "/oruk/service_at_locations": _get(
        _("Services at their locations, a page at a time; with postcode and proximity, those nearby, nearest first."),
        {"200": _answer(_("A page of service_at_locations."), schema=ORUK_PAGE), "400": BAD_REQUEST},
        [*SEARCH_PARAMS, _ref("postcode"), _ref("proximity")],
        ["Open Referral UK"],
    ),
    "/oruk/service_at_locations/{id}": _get(
        _("One service at its location, fully nested."),
        {"200": _answer(_("The service_at_location.")), "404": NOT_FOUND},
        [_ref("id")],
        ["Open Referral UK"],
    ),
    "/oruk/taxonomies": _get(
        _("The taxonomies in use (the map's categories)."),
        {"200": _answer(_("A page of taxonomies."), schema=ORUK_PAGE), "400": BAD_REQUEST},
        PAGE_PARAMS,
        ["Open Referral UK"],
    ),
    "/oruk/taxonomies/{id}": _get(
        _("One taxonomy with its terms."),
        {"200": _answer(_("The taxonomy.")), "404": NOT_FOUND},
        [_ref("id")],
        ["Open Referral UK"],
    ),
    "/oruk/taxonomy_terms": _get(
        _("The categories as taxonomy terms."),
        {"200": _answer(_("A page of taxonomy terms."), schema=ORUK_PAGE), "400": BAD_REQUEST},
        PAGE_PARAMS,
        ["Open Referral UK"],
    ),
    "/oruk/taxonomy_terms/{id}": _get(
        _("One taxonomy term."), {"200": _answer(_("The term.")), "404": NOT_FOUND}, [_ref("id")], ["Open Referral UK"]
    ),
}

# Every free-text parameter follows the app's input rules (webmap/core/inputs.py): no control
# characters, at most 2,000 characters; anything else is answered 400 before any route runs.
TEXT_RULES = {"pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$", "maxLength": 2000}


def _text_rules(spec: dict) -> None:
    """Add the input rules to every string parameter that has no enum of its own."""
    operations = [op for item in spec["paths"].values() for op in item.values()]
    parameters = [
        *spec["components"]["parameters"].values(),
        *(p for op in operations for p in op.get("parameters", []) if "$ref" not in p),
    ]
    for parameter in parameters:
        schema = parameter["schema"]
        if schema.get("type") == "string" and "enum" not in schema:
            for key, value in TEXT_RULES.items():
                schema.setdefault(key, value)


PARAMETERS = {
    "id": _param("id", _("The item's id (a UUID)."), {"type": "string"}, where="path", required=True),
    "search": _param("search", _("Text to find in names and descriptions."), {"type": "string"}),
    "page": _param("page", _("Page number, from 1."), {"type": "integer", "minimum": 1, "maximum": 1_000_000_000}),
    "per_page": _param(
        "per_page", _("Items per page (1 to 1000; default 50)."), {"type": "integer", "minimum": 1, "maximum": 1000}
    ),
    "taxonomy_term_id": _param(
        "taxonomy_term_id", _("Only services with this taxonomy term (see /oruk/taxonomy_terms)."), {"type": "string"}
    ),
    "taxonomy_id": _param("taxonomy_id", _("Only services with a term from this taxonomy."), {"type": "string"}),
    "minimum_age": _param(
        "minimum_age",
        _("Accepted for ORUK compatibility; the map holds no age data, so it does not filter."),
        {"type": "number"},
    ),
    "maximum_age": _param("maximum_age", _("Accepted for ORUK compatibility; does not filter."), {"type": "number"}),
    "start_time": _param("start_time", _("Accepted for ORUK compatibility; does not filter."), {"type": "string"}),
    "end_time": _param("end_time", _("Accepted for ORUK compatibility; does not filter."), {"type": "string"}),
    "day": _param("day", _("Accepted for ORUK compatibility; does not filter."), {"type": "string"}),
    "postcode": _param(
        "postcode",
        _("A UK postcode known to the map; results are sorted by distance from its centre."),
        {"type": "string"},
    ),
    "proximity": _param(
        "proximity",
        _("With postcode: only results within this many metres of the postcode's centre."),
        {"type": "string"},
    ),
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "object", "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}
        },
    },
    "Page": {
        "type": "object",
        "properties": {
            "total_items": {"type": "integer"},
            "total_pages": {"type": "integer"},
            "page_number": {"type": "integer"},
            "size": {"type": "integer"},
            "first_page": {"type": "boolean"},
            "last_page": {"type": "boolean"},
            "empty": {"type": "boolean"},
        },
    },
    "FeatureCollection": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Category": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "label": {"type": "string"},
            "group": {"type": "string", "nullable": True},
            "description": {"type": "string", "nullable": True},
            "osm_tags": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def build_spec(server_url: str | None = None, title: str = "Community Asset Map") -> dict[str, Any]:
    """Return the OpenAPI document (a fresh dict each time, safe to change)."""
    import copy

    spec = {
        "openapi": "3.0.3",
        "info": {
            "title": f"{title} API",
            "version": "1.0",
            "description": _(
                "Open data about community assets: GeoJSON for maps, an Open Referral UK 3.0 feed, "
                "and downloads for GIS. Only approved assets and public fields are ever included."
            ),
            "license": {"name": "See the About the data page for each dataset's licence"},
        },
        "paths": copy.deepcopy(PATHS),
        "components": {"parameters": copy.deepcopy(PARAMETERS), "schemas": copy.deepcopy(SCHEMAS)},
    }
    _text_rules(spec)
    if server_url:
        spec["servers"] = [{"url": server_url.rstrip("/") or "/"}]
    return spec


def operation_parameters(spec: dict, path: str) -> list[dict]:
    """Return the GET parameters of a path with $refs resolved."""
    out = []
    for p in spec["paths"][path]["get"].get("parameters", []):
        if "$ref" in p:
            p = spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        out.append(p)
    return out
