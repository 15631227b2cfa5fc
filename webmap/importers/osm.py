"""Import OpenStreetMap places (.osm.pbf, OSM GeoJSON, Overpass JSON) through the categories' OSM tags.

A node is a point; a way becomes its representative point (a point inside it, unlike a
centroid). The OSM id ("node/123", "way/456") is kept as source_id with source "osm", so a
re-import updates the same assets. Nothing here assumes Britain: wards may be anywhere.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.emails import clean_email
from webmap.core.geo import WGS84, assign_wards, normalise_postcode, valid_lon_lat
from webmap.core.models import ASSET_KINDS, Asset, Category, Ward, utcnow
from webmap.core.store import wards_frame
from webmap.importers.common import (
    ImportFailed,
    ImportReport,
    Problem,
    announce_read,
    check_exists,
    read_json,
)
from webmap.importers.naming import unnamed_name, what_it_is
from webmap.importers.problems import _
from webmap.importers.writing import write_places

SOURCE = "osm"
OSM_TYPES = ("node", "way")
# pyrosm columns that are not OSM tags.
_PYROSM_META = {"id", "lon", "lat", "tags", "visible", "version", "timestamp", "changeset", "geometry", "osm_type"}


@dataclass
class Element:
    """One OSM object: its type and id, its tags, and a geometry in WGS84 (None if it has none)."""

    osm_type: str
    osm_id: int
    tags: dict[str, str]
    geometry: Any

    @property
    def key(self) -> str:
        return f"{self.osm_type}/{self.osm_id}"


def tag_table(categories: Iterable[Category]) -> dict[tuple[str, str], list[str]]:
    """Return {(key, value): [category ids]} from each category's "key=value;..." tags."""
    table: dict[tuple[str, str], list[str]] = {}
    for category in categories:
        for tag in category.tag_list():
            key, _, value = tag.partition("=")
            if key.strip() and value.strip():
                table.setdefault((key.strip(), value.strip()), []).append(category.id)
    return table


def categories_for(tags: dict[str, str], table: dict[tuple[str, str], list[str]]) -> list[str]:
    """Return the categories an element's tags map to, in taxonomy order, each once."""
    out: list[str] = []
    for key, value in tags.items():
        for v in str(value).split(";"):  # OSM allows "amenity=cafe;library"-style multiple values
            for cid in table.get((key, v.strip()), []):
                if cid not in out:
                    out.append(cid)
    return out


def read_elements(path: str | Path, table: dict[tuple[str, str], list[str]]) -> list[Element]:
    """Read the tagged nodes and ways of an OSM file (pbf via pyrosm; GeoJSON; Overpass JSON)."""
    p = check_exists(path)
    announce_read(p)
    if p.name.lower().endswith(".pbf"):
        return _read_pbf(p, table)
    data = read_json(p, what=_("an .osm.pbf file nor valid JSON"))
    if isinstance(data, dict) and isinstance(data.get("elements"), list):
        return _read_overpass(data["elements"], p.name)
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        return _read_geojson(data.get("features") or [], p.name)
    raise ImportFailed(
        Problem(
            p.name,
            None,
            None,
            _(
                "is not OSM data: expected Overpass JSON (with 'elements') "
                "or GeoJSON (a FeatureCollection, e.g. from osmtogeojson)"
            ),
        )
    )


def _read_pbf(path: Path, table: dict[tuple[str, str], list[str]]) -> list[Element]:
    import pyrosm

    wanted: dict[str, list[str]] = {}
    for key, value in table:
        wanted.setdefault(key, []).append(value)
    try:
        with warnings.catch_warnings():
            # An extract with none of the wanted tags is not an error: the report says 0 read.
            warnings.filterwarnings("ignore", message="Could not find any OSM data", category=UserWarning)
            osm = pyrosm.OSM(str(path))
            frame = osm.get_data_by_custom_criteria(
                custom_filter=wanted,
                osm_keys_to_keep=list(wanted),
                filter_type="keep",
                keep_nodes=True,
                keep_ways=True,
                keep_relations=False,
            )
    except Exception as exc:  # pyrosm raises several types for unreadable files
        raise ImportFailed(
            Problem(path.name, None, None, _("cannot be read as an OpenStreetMap .pbf file (%(error)s)", error=exc))
        ) from exc
    if frame is None or not len(frame):
        return []
    tag_columns = [c for c in frame.columns if c not in _PYROSM_META]
    elements = []
    for row in frame.itertuples(index=False):
        record = row._asdict() if hasattr(row, "_asdict") else dict(zip(frame.columns, row))
        tags = {}
        extra = record.get("tags")
        if isinstance(extra, str) and extra:
            tags.update(json.loads(extra))
        elif isinstance(extra, dict):
            tags.update(extra)
        for column in tag_columns:
            cell = record.get(column)
            if cell is not None and not (isinstance(cell, float) and math.isnan(cell)):
                tags[column] = str(cell)
        elements.append(Element(str(record["osm_type"]), int(record["id"]), tags, record.get("geometry")))
    return elements


def _read_overpass(items: list, file: str) -> list[Element]:
    nodes = {
        e.get("id"): (e.get("lon"), e.get("lat")) for e in items if isinstance(e, dict) and e.get("type") == "node"
    }
    elements = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("tags"):
            continue  # untagged nodes are only the corners of ways
        if not isinstance(item["tags"], dict):
            raise ImportFailed(Problem(file, None, f"elements[{i}].tags", _("must be an object of key: value tags")))
        kind, oid = item.get("type"), item.get("id")
        if not isinstance(oid, int):
            raise ImportFailed(Problem(file, None, f"elements[{i}].id", _("'%(value)s' is not an OSM id", value=oid)))
        geometry = None
        if kind == "node":
            geometry = _point(item.get("lon"), item.get("lat"))
        elif isinstance(item.get("center"), dict):
            geometry = _point(item["center"].get("lon"), item["center"].get("lat"))
        elif isinstance(item.get("geometry"), list):
            geometry = _line_or_polygon([(g.get("lon"), g.get("lat")) for g in item["geometry"] if isinstance(g, dict)])
        elif isinstance(item.get("nodes"), list):
            geometry = _line_or_polygon([nodes.get(n, (None, None)) for n in item["nodes"]])
        elements.append(Element(str(kind), oid, {str(k): str(v) for k, v in item["tags"].items()}, geometry))
    return elements


def _read_geojson(features: list, file: str) -> list[Element]:
    elements = []
    for i, feature in enumerate(features):
        if not isinstance(feature, dict):
            continue
        if not isinstance(feature.get("properties") or {}, dict):
            raise ImportFailed(
                Problem(file, None, f"features[{i}].properties", _("must be an object of key: value tags"))
            )
        props = dict(feature.get("properties") or {})
        ident = feature.get("id") or props.get("@id") or props.get("id")
        if "/" not in str(ident) and props.get("type") in ("node", "way", "relation"):
            ident = f"{props['type']}/{ident}"
        kind, _slash, number = str(ident).partition("/")
        if not number.isdigit():
            raise ImportFailed(
                Problem(
                    file,
                    None,
                    f"features[{i}].id",
                    _("'%(value)s' is not an OSM id like node/123 (osmtogeojson writes these)", value=ident),
                )
            )
        given = props.get("tags")
        tags = (
            given
            if isinstance(given, dict)
            else {
                k: v for k, v in props.items() if not k.startswith("@") and k not in ("id", "type", "meta", "relations")
            }
        )
        try:
            geometry = shapely.geometry.shape(feature["geometry"]) if feature.get("geometry") else None
        except Exception as exc:  # shapely raises several types for bad GeoJSON geometry
            raise ImportFailed(
                Problem(file, None, f"features[{i}].geometry", _("is not a GeoJSON geometry (%(error)s)", error=exc))
            ) from exc
        elements.append(
            Element(kind, int(number), {str(k): str(v) for k, v in tags.items() if v is not None}, geometry)
        )
    return elements


def _point(lon, lat):
    if isinstance(lon, (int, float)) and isinstance(lat, (int, float)) and valid_lon_lat(lon, lat):
        return shapely.Point(lon, lat)
    return None


def _line_or_polygon(coords: list) -> Any:
    coords = [c for c in coords if all(isinstance(v, (int, float)) for v in c)]
    if len(coords) >= 4 and coords[0] == coords[-1]:
        return shapely.Polygon(coords)
    if len(coords) >= 2:
        return shapely.LineString(coords)
    return shapely.Point(coords[0]) if coords else None


def representative_point(geometry) -> Any:
    """Return a point for the element: itself for a node, a point inside (or on) it for a way."""
    if geometry is None or geometry.is_empty:
        return None
    if geometry.geom_type == "Point":
        return geometry
    point = geometry.representative_point()
    return point if valid_lon_lat(point.x, point.y) else None


def import_osm(path: str | Path, kind: str = "venue", status: str = "approved") -> ImportReport:
    """Read OSM nodes and ways, keep those whose tags map to a category and lie in a ward, and upsert them."""
    file = Path(path).name
    if kind not in ASSET_KINDS:
        raise ImportFailed(
            Problem(
                file,
                None,
                "kind",
                _("'%(value)s' is not one of %(allowed)s", value=kind, allowed=", ".join(ASSET_KINDS)),
            )
        )
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    table = tag_table(categories.values())
    if not table:
        raise ImportFailed(
            Problem(
                file, None, None, _("no category has OSM tags, so nothing can be matched (see data/categories.csv)")
            )
        )
    elements = read_elements(path, table)
    report = ImportReport(file=file, read=len(elements))

    rows = []
    for element in elements:
        if element.osm_type not in OSM_TYPES:
            report.skip(_("%(type)ss are not imported (only nodes and ways)", type=element.osm_type))
            continue
        cats = categories_for(element.tags, table)
        if not cats:
            report.skip(_("no OSM tag maps to a category"))
            continue
        point = representative_point(element.geometry)
        if point is None:
            report.skip(_("no usable geometry"))
            continue
        rows.append((element, cats, point))
    if rows:
        wards = assign_wards(gpd.GeoSeries([r[2] for r in rows], crs=WGS84), wards_frame())
    else:
        wards = pd.Series([], dtype=object)
    placed = [(e, c, p, w) for (e, c, p), w in zip(rows, wards) if w is not None]
    report.skip(_("outside every ward"), len(rows) - len(placed))
    _write(placed, categories, kind, status, report)
    return report


def _address(tags: dict[str, str]) -> str | None:
    street = " ".join(t for t in (tags.get("addr:housenumber"), tags.get("addr:street")) if t)
    parts = [tags.get("addr:housename"), street, tags.get("addr:city")]
    return ", ".join(p for p in parts if p)[:300] or None


def _accessibility(tags: dict[str, str]) -> str | None:
    parts = []
    if tags.get("wheelchair"):
        parts.append(f"Wheelchair access: {tags['wheelchair']}")
    if tags.get("wheelchair:description"):
        parts.append(tags["wheelchair:description"])
    return "; ".join(parts) or None


def _write(placed: list, categories: dict[str, Category], kind: str, status: str, report: ImportReport) -> None:
    ward_names = {code: name for code, name in db.session.execute(select(Ward.code, Ward.name))}
    now = utcnow()

    def fill(asset: Asset, row: tuple, new: bool) -> list[Problem]:
        element, cats, point, ward = row
        tags = element.tags
        if new:
            asset.status, asset.created_at, asset.kind = status, now, kind
        given = tags.get("name") or tags.get("name:en")
        asset.description = tags.get("description")
        asset.address = _address(tags)
        # No name in OSM: say what it is (its amenity tag) and where (street, else ward); pages say "name not given".
        what = what_it_is(*(tags.get(k) for k in ("amenity", "leisure", "shop", "office")), categories[cats[0]].label)
        name = given or unnamed_name(
            what, asset.address or tags.get("addr:street"), ward_names.get(ward), tags.get("addr:postcode")
        )
        asset.name, asset.name_given = name[:200], bool(given)
        # OSM's Welsh name and description (name:cy), kept when they say something the main ones do not.
        welsh = tags.get("name:cy")
        asset.name_cy = welsh[:200] if welsh and welsh != asset.name else None
        asset.description_cy = tags.get("description:cy")
        raw = tags.get("addr:postcode")
        asset.postcode = normalise_postcode(raw) or (raw[:10] if raw else None)
        asset.website = (tags.get("website") or tags.get("contact:website") or tags.get("url") or "")[:300] or None
        asset.phone = (tags.get("phone") or tags.get("contact:phone") or "")[:40] or None
        asset.contact_email = clean_email(tags.get("email") or tags.get("contact:email")) or asset.contact_email
        asset.opening_times = tags.get("opening_hours")
        asset.accessibility = _accessibility(tags)
        asset.lon, asset.lat = round(point.x, 7), round(point.y, 7)
        asset.geom = shapely.Point(asset.lon, asset.lat)
        asset.ward_code = ward
        asset.categories = [categories[c] for c in cats]
        return []  # text that breaks the input rules is refused by the flush itself (core.inputs)

    write_places(
        ((row[0].key, row) for row in placed),
        len(placed),
        SOURCE,
        report,
        _("Importing OpenStreetMap places"),
        _("the same OSM id appears earlier in the file"),
        fill,
    )
