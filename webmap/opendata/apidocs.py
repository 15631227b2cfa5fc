"""The API's OpenAPI description and a plain page that reads it out (no Swagger UI, no CDN)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_babel import gettext

from webmap.opendata.openapi import build_spec, operation_parameters

bp = Blueprint("apidocs", __name__, url_prefix="/api", template_folder="templates")


@bp.get("/openapi.json")
def openapi_json():
    """Return the OpenAPI 3.0 description of the JSON API."""
    # A relative server URL: never the request's Host header, which anyone can set.
    # The document stays in English, like its field names: tools read it; the docs page is for people.
    return jsonify(build_spec("/"))


def _in_language(value):
    """Return the spec with its summaries and descriptions in the reader's language (they are in opendata.po)."""
    if isinstance(value, dict):
        return {
            k: gettext(v) if k in ("summary", "description") and isinstance(v, str) and v else _in_language(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_in_language(v) for v in value]
    return value


@bp.get("/docs")
def docs():
    """Show every path with its parameters and responses as a readable page."""
    spec = _in_language(build_spec("/"))
    spec["info"]["title"] = gettext("%(name)s API", name=gettext("Community Asset Map"))
    operations = [(path, item["get"], operation_parameters(spec, path)) for path, item in spec["paths"].items()]
    return render_template("apidocs.html", spec=spec, operations=operations)
