"""Import community assets from GeoJSON/GPKG/SHP, or CSV with coordinates or postcodes."""
from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select

from ..analysis.crs import to_metric
from ..db import db
from ..geo import BNG, WGS84, assign_wards, normalise_postcode
from ..models import ASSET_KINDS, Asset, Category, Postcode, utcnow
from ..store import wards_frame
from .common import (ImportFailed, ImportReport, Problem, find_column, is_vector, progress, read_table, read_vector,
                     require_column, row_number, text)

FIELDS = {  # our field -> column names that commonly hold it
    "name": ["name", "asset_name", "title", "pharmacy_name", "establishment_name", "distname"],
    "description": ["description", "subcategory", "type", "service_type"],
    "kind": ["kind"],
    "address": ["address", "address1", "full_address"],
    "postcode": ["postcode", "post_code", "postal_code", "pcds"],
    "website": ["website", "url", "web"],
    "phone": ["phone", "telephone", "tel"],
    "opening_times": ["opening_times", "opening_hours", "hours"],
    "accessibility": ["accessibility", "accessibility_notes"],
    "source_id": ["source_id", "asset_id", "source_record_id", "id", "urn", "organisation_data_service_code"],
}
LON_NAMES, LAT_NAMES = ["longitude", "lon", "lng", "long"], ["latitude", "lat"]


def import_assets(path: str | Path, category_col: str | None = None, source: str | None = None,
                  category_map: dict[str, str] | None = None, add_categories: bool = False,
                  kind: str = "service", status: str = "approved", crs: str | None = None,
                  edge_m: float = 800.0) -> ImportReport:
    """Read assets, check their categories and places, and insert or update them.

    A place outside every ward but within *edge_m* metres of one is kept "outside the area"
    (no ward): it gives access to residents near the edge but is no ward's own place.
    """
    file = Path(path).name
    source = source or Path(path).stem
    frame = _read_points(path, crs)
    report = ImportReport(file=file, read=len(frame))
    if kind not in ASSET_KINDS:
        raise ImportFailed(Problem(file, None, "kind", f"'{kind}' is not one of {', '.join(ASSET_KINDS)}"))
    category_col = require_column(frame, file, category_col, ["category", "categories"], [], "category", "--category-col")
    columns = {f: find_column(frame.columns, names) for f, names in FIELDS.items()}
    if columns["name"] is None:
        raise ImportFailed(Problem(file, None, None, "no name column found (looked for: name, asset_name, title)"))

    categories = _resolve_categories(frame, file, category_col, category_map or {}, add_categories, report)
    frame = frame.assign(_categories=categories)
    wards = wards_frame()
    frame["_ward"] = assign_wards(frame.geometry, wards)
    outside = frame["_ward"].isna()
    near = outside & _within(frame.geometry, wards, edge_m)
    far = outside & ~near
    if near.any():
        report.notes.append(f"kept {int(near.sum())} place{'s' if near.sum() != 1 else ''} outside the area but within "
                            f"{edge_m:,.0f} m of a ward: they give access to residents near the edge and are no ward's own")
    if far.any():
        report.skip(f"the point is more than {edge_m:,.0f} m outside every ward", int(far.sum()))
        rows = ", ".join(str(row_number(i)) for i in np.flatnonzero(far.to_numpy())[:10])
        report.notes.append(f"rows outside every ward: {rows}{' ...' if far.sum() > 10 else ''}")
    frame = frame[~far]
    no_category = frame["_categories"].map(len) == 0
    if no_category.any():
        report.skip("no category given", int(no_category.sum()))
        frame = frame[~no_category]

    _write(frame, columns, source, kind, status, report)
    return report


def _within(points: gpd.GeoSeries, wards: gpd.GeoDataFrame, distance_m: float) -> pd.Series:
    """Say for each point whether it lies within *distance_m* metres of any ward (in British National Grid)."""
    if len(points) == 0 or len(wards) == 0 or distance_m <= 0:
        return pd.Series(False, index=points.index)
    metric_wards = to_metric(wards)  # British National Grid in GB, else the local UTM zone
    metric = gpd.GeoSeries(points.to_numpy(), crs=points.crs).to_crs(metric_wards.crs)
    tree = shapely.STRtree(np.asarray(metric_wards.geometry.values))
    hits, _ = tree.query(np.asarray(metric.values), predicate="dwithin", distance=distance_m)
    near = np.zeros(len(points), dtype=bool)
    near[hits] = True
    return pd.Series(near, index=points.index)


def _read_points(path: str | Path, crs: str | None) -> gpd.GeoDataFrame:
    """Return the file's rows as points in EPSG:4326 (polygons become representative points)."""
    if is_vector(path):
        frame = read_vector(path, crs=crs)
        # Polygons, lines and multi-points all become one point that lies on the feature.
        polygonal = frame.geometry.notna() & ~frame.geometry.is_empty & (frame.geometry.geom_type != "Point")
        if polygonal.any():
            frame = frame.copy()
            frame.loc[polygonal, "geometry"] = frame.loc[polygonal, "geometry"].representative_point()
        problems = [Problem(Path(path).name, row_number(i), "geometry", "is missing")
                    for i, g in enumerate(frame.geometry) if g is None or g.is_empty]
        if problems:
            raise ImportFailed(problems)
        return frame.to_crs(WGS84).reset_index(drop=True)
    return _table_points(read_table(path), Path(path).name)


def _table_points(table: pd.DataFrame, file: str) -> gpd.GeoDataFrame:
    """Place CSV rows by longitude/latitude, easting/northing, or a known postcode."""
    lon, lat = find_column(table.columns, LON_NAMES), find_column(table.columns, LAT_NAMES)
    east, north = find_column(table.columns, ["easting", "x"]), find_column(table.columns, ["northing", "y"])
    pc = find_column(table.columns, FIELDS["postcode"])
    if lon and lat:
        xs, ys = _numbers(table, lon, file), _numbers(table, lat, file)
        bad = [Problem(file, row_number(i), lon if not -180 <= x <= 180 else lat, f"({x}, {y}) is not a longitude/latitude")
               for i, (x, y) in enumerate(zip(xs, ys)) if not (-180 <= x <= 180 and -90 <= y <= 90)]
        if bad:
            raise ImportFailed(bad)
        return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(xs, ys), crs=WGS84)
    if east and north:
        xs, ys = _numbers(table, east, file), _numbers(table, north, file)
        points = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=BNG).to_crs(WGS84)
        return gpd.GeoDataFrame(table, geometry=points.values, crs=WGS84)
    if pc:
        return _postcode_points(table, pc, file)
    raise ImportFailed(Problem(file, None, None, "a CSV needs longitude/latitude, easting/northing or postcode columns"))


def _numbers(table: pd.DataFrame, col: str, file: str) -> np.ndarray:
    """Return a column as floats, failing on the first rows that are not numbers."""
    values = pd.to_numeric(table[col].str.strip(), errors="coerce")
    bad = [Problem(file, row_number(i), col, f"'{table[col].iloc[i]}' is not a number") for i in np.flatnonzero(values.isna().to_numpy())]
    if bad:
        raise ImportFailed(bad)
    return values.to_numpy(float)


def _postcode_points(table: pd.DataFrame, col: str, file: str) -> gpd.GeoDataFrame:
    """Place rows at their postcode's location from the imported postcode table."""
    known = {p.postcode: (p.lon, p.lat) for p in db.session.scalars(select(Postcode))}
    if not known:
        raise ImportFailed(Problem(file, None, col, "postcodes can only be placed after import-postcodes has loaded a postcode table"))
    problems, xs, ys = [], [], []
    for i, raw in enumerate(table[col]):
        pc = normalise_postcode(raw)
        if pc is None:
            problems.append(Problem(file, row_number(i), col, f"'{raw}' is not a UK postcode"))
        elif pc not in known:
            problems.append(Problem(file, row_number(i), col, f"postcode {pc} is not in the postcode table"))
        else:
            xs.append(known[pc][0])
            ys.append(known[pc][1])
    if problems:
        raise ImportFailed(problems)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(xs, ys), crs=WGS84)


def _resolve_categories(frame, file: str, col: str, mapping: dict[str, str], add: bool, report: ImportReport) -> list[list[str]]:
    """Turn each row's category text into taxonomy ids; stop on values the taxonomy lacks."""
    known = {c.id: c for c in db.session.scalars(select(Category))}
    labels = {c.label.lower(): c.id for c in known.values()}
    resolved, unknown = [], {}
    for i, raw in enumerate(frame[col]):
        ids = []
        for value in (text(raw) or "").split(";"):
            value = value.strip()
            if not value:
                continue
            key = value.lower()
            cid = mapping.get(key) or (key if key in known else None) or labels.get(key)
            if cid is None:
                unknown.setdefault(value, row_number(i))
                continue
            if cid not in ids:
                ids.append(cid)
        resolved.append(ids)
    if unknown and not add:
        listing = ", ".join(f"'{v}' (first in row {r})" for v, r in sorted(unknown.items()))
        raise ImportFailed(Problem(file, None, col, f"these categories are not in the taxonomy: {listing}. "
                                   "Map them with --category-map FILE or add them with --add-categories"))
    if unknown:
        added = _add_categories(unknown, known, report)
        return _resolve_categories(frame, file, col, {**mapping, **added}, False, report)
    return resolved


def _add_categories(values: dict[str, int], known: dict[str, Category], report: ImportReport) -> dict[str, str]:
    """Add categories for new values (id made from the text); return {value: id} for every value."""
    order = max((c.sort_order for c in known.values()), default=0)
    added = {}
    for value in sorted(values):
        cid = "".join(ch if ch.isalnum() else "_" for ch in value.lower()).strip("_")[:50] or "other"
        if cid not in known:
            order += 1
            known[cid] = Category(id=cid, label=value[:100], sort_order=order, description=f"Added by import of {report.file}")
            db.session.add(known[cid])
            report.notes.append(f"added category '{cid}' for '{value}'")
        # Mapped explicitly: "Food-Support" makes the id food_support, which may already exist.
        added[value.lower()] = cid
    db.session.flush()
    return added


def _source_id(row, id_col: str | None, name: str) -> str:
    """Return the row's own id, or a stable one made from its name and place."""
    own = text(row[id_col]) if id_col else None
    if own:
        return own
    digest = hashlib.sha1(f"{name}|{row.geometry.x:.5f}|{row.geometry.y:.5f}".encode()).hexdigest()
    return f"h-{digest[:16]}"


def _write(frame, columns: dict, source: str, kind: str, status: str, report: ImportReport) -> None:
    """Insert new assets and update ones already imported from the same source."""
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    existing = {a.source_id: a for a in db.session.scalars(select(Asset).where(Asset.source == source))}
    now = utcnow()
    seen: set[str] = set()
    for _, row in progress(list(frame.iterrows()), "Importing assets"):
        values = {f: (text(row[c]) if c else None) for f, c in columns.items()}
        cats = row["_categories"]
        name = values["name"] or f"Unnamed {categories[cats[0]].label.lower()}"
        sid = _source_id(row, columns["source_id"], name)
        if sid in seen:
            report.skip("the same id appears earlier in the file")
            continue
        seen.add(sid)
        asset = existing.get(sid)
        if asset is None:
            asset = Asset(source=source, source_id=sid, status=status, created_at=now)
            db.session.add(asset)
            existing[sid] = asset
            report.imported += 1
        else:
            report.updated += 1
        asset.name = name[:200]
        asset.kind = values["kind"] if values["kind"] in ASSET_KINDS else kind
        for f in ("description", "address", "website", "phone", "opening_times", "accessibility"):
            setattr(asset, f, values[f])
        asset.postcode = normalise_postcode(values["postcode"]) or values["postcode"]
        asset.lon, asset.lat = round(row.geometry.x, 7), round(row.geometry.y, 7)
        asset.geom = row.geometry
        asset.ward_code = row["_ward"]
        asset.categories = [categories[c] for c in cats]
        asset.last_verified_at = now
    db.session.flush()
