"""Build the public asset table once and write it as CSV, GeoJSON or GeoPackage.

The web routes (views/exports.py) and `flask export` share these functions, so every
export carries exactly the same public fields and never a submitter's details.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import select

from webmap.core.csvsafe import csv_text
from webmap.core.db import db
from webmap.core.models import Asset

WGS84 = "EPSG:4326"
LAYER = "assets"
# The only fields an export may carry, in this order (no submitter_* field, ever).
EXPORT_COLUMNS = [
    "id",
    "name",
    "name_cy",
    "categories",
    "kind",
    "description",
    "description_cy",
    "address",
    "postcode",
    "ward_code",
    "ward_name",
    "website",
    "phone",
    "opening_times",
    "accessibility",
    "offers",
    "offers_other",
    "needs",
    "needs_other",
    "source",
    "last_verified",
    "source_date",
    "lon",
    "lat",
]
FORMATS = {  # format -> (file extension, media type)
    "csv": (".csv", "text/csv; charset=utf-8"),
    "geojson": (".geojson", "application/geo+json"),
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
}
EXTENSIONS = {".csv": "csv", ".geojson": "geojson", ".gpkg": "gpkg"}


def approved_assets() -> list[Asset]:
    """Return approved assets in id order, with their categories and wards loaded."""
    return list(db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)))


def public_row(asset: Asset, exchange=None) -> dict:
    """Return one asset's exportable fields, built from its public_dict(), with its offers and needs.

    offers/needs are vocabulary ids (data/offers_needs.csv) joined by ";"; *_other is the group's free text.
    """
    from webmap.groups.listings import exchanges_for

    data = asset.public_dict()
    data["categories"] = ";".join(data["categories"])
    data["last_verified"] = data.pop("last_verified_at")
    data["name_cy"], data["description_cy"] = asset.name_cy, asset.description_cy
    exchange = exchanges_for([asset.id])[asset.id] if exchange is None else exchange
    data["offers"], data["needs"] = ";".join(exchange.offers) or None, ";".join(exchange.needs) or None
    data["offers_other"], data["needs_other"] = exchange.offers_text, exchange.needs_text
    return {column: data.get(column) for column in EXPORT_COLUMNS}


def assets_export_frame(assets: list[Asset] | None = None) -> gpd.GeoDataFrame:
    """Return approved assets (public fields only) as points in EPSG:4326."""
    from webmap.groups.listings import exchanges_for

    assets = approved_assets() if assets is None else assets
    exchanges = exchanges_for([a.id for a in assets])
    rows = [public_row(a, exchanges[a.id]) for a in assets]
    frame = pd.DataFrame(rows, columns=EXPORT_COLUMNS)
    frame["id"] = frame["id"].astype("int64")
    frame["lon"] = frame["lon"].astype(float)
    frame["lat"] = frame["lat"].astype(float)
    text_columns = [c for c in EXPORT_COLUMNS if c not in ("id", "lon", "lat")]
    frame[text_columns] = frame[text_columns].astype(object)
    points = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(points, index=frame.index, crs=WGS84), crs=WGS84)


def csv_bytes(frame: gpd.GeoDataFrame, bom: bool = False) -> bytes:
    """Return the table as CSV, formula-like cells made text; with bom=True, UTF-8 with a byte-order mark for Excel."""
    return csv_text(frame).encode("utf-8-sig" if bom else "utf-8")


def geojson_bytes(frame: gpd.GeoDataFrame) -> bytes:
    """Return the table as a GeoJSON FeatureCollection (RFC 7946: lon/lat in WGS84)."""
    if not len(frame):
        return json.dumps({"type": "FeatureCollection", "features": []}).encode()
    return frame.to_json(drop_id=True, na="null").encode("utf-8")


def write_gpkg(frame: gpd.GeoDataFrame, path: str | Path) -> None:
    """Write the table as a GeoPackage layer "assets" (point, EPSG:4326) with pyogrio."""
    out = frame.copy()
    for column in out.columns:
        if column != "geometry" and out[column].dtype == object:
            # All-empty object columns have no type GDAL can guess; make them text.
            out[column] = out[column].astype("string")
    # Imported here: GDAL adds ~100 MB to every server process, and only this download needs it.
    import pyogrio

    pyogrio.write_dataframe(out, path, layer=LAYER, driver="GPKG", geometry_type="Point")


def gpkg_bytes(frame: gpd.GeoDataFrame) -> bytes:
    """Return the GeoPackage file's bytes (written to a temporary file first: GDAL needs a path)."""
    with tempfile.TemporaryDirectory(prefix="webmap-export-") as tmp:
        path = Path(tmp) / "assets.gpkg"
        write_gpkg(frame, path)
        return path.read_bytes()


def export_bytes(fmt: str, frame: gpd.GeoDataFrame, bom: bool = False) -> bytes:
    """Return the table in one of FORMATS."""
    if fmt == "csv":
        return csv_bytes(frame, bom)
    if fmt == "geojson":
        return geojson_bytes(frame)
    if fmt == "gpkg":
        return gpkg_bytes(frame)
    raise ValueError(f"unknown export format {fmt!r}")


def format_for(path: str | Path, given: str | None) -> str | None:
    """Return the export format given, or the one the file's extension implies (None if neither)."""
    return given or EXTENSIONS.get(Path(path).suffix.lower())
