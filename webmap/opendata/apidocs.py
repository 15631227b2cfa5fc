"""The API's OpenAPI description and a plain page that reads it out (no Swagger UI, no CDN)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from webmap.opendata.openapi import build_spec, operation_parameters

bp = Blueprint("apidocs", __name__, url_prefix="/api", template_folder="templates")


@bp.get("/openapi.json")
def openapi_json():
    """Return the OpenAPI 3.0 description of the JSON API."""
    # A relative server URL: never the request's Host header, which anyone can set.
    return jsonify(build_spec("/"))


@bp.get("/docs")
def docs():
    """Show every path with its parameters and responses as a readable page."""
    spec = build_spec("/")
    operations = [(path, item["get"], operation_parameters(spec, path)) for path, item in spec["paths"].items()]
    return render_template("apidocs.html", spec=spec, operations=operations)
