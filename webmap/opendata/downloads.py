"""Downloads for GIS officers and spreadsheets: approved assets as CSV, GeoJSON, GeoPackage."""

from __future__ import annotations

from flask import Blueprint, Response, abort, request
from flask_babel import gettext as _

from webmap.opendata.exports import FORMATS, assets_export_frame, export_bytes

bp = Blueprint("exports", __name__, url_prefix="/export")


def _download(fmt: str, bom: bool = False) -> Response:
    extension, mimetype = FORMATS[fmt]
    body = export_bytes(fmt, assets_export_frame(), bom=bom)
    # content_type, not mimetype: Flask would add a second "; charset=utf-8" to text/csv.
    response = Response(body, content_type=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="assets{extension}"'
    return response


@bp.get("/assets.csv")
def assets_csv():
    """Download approved assets as CSV (?bom=1 adds a byte-order mark for Excel)."""
    bom = request.args.get("bom", "")
    if bom not in ("", "0", "1"):
        abort(400, _("bom: give 1 to add a byte-order mark, or 0 (or nothing) for none."))
    return _download("csv", bom=bom == "1")


@bp.get("/assets.geojson")
def assets_geojson():
    """Download approved assets as GeoJSON."""
    return _download("geojson")


@bp.get("/assets.gpkg")
def assets_gpkg():
    """Download approved assets as a GeoPackage (layer "assets", EPSG:4326)."""
    return _download("gpkg")
