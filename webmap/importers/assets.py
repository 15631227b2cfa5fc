"""Import community assets from GeoJSON/GPKG/SHP, CSV with coordinates or postcodes, or a national register."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select

from webmap.analysis.crs import to_metric
from webmap.core.db import db
from webmap.core.emails import clean_email
from webmap.core.geo import WGS84, assign_wards, normalise_postcode
from webmap.core.models import ASSET_KINDS, Asset, Category, utcnow
from webmap.core.store import wards_frame
from webmap.importers.common import (
    PROGRESS_THRESHOLD,
    ImportFailed,
    ImportReport,
    Problem,
    check_exists,
    find_column,
    geometry_problems,
    is_vector,
    read_table,
    read_vector,
    record_problems,
    require_column,
    row_number,
    settle_rows,
    step,
    text,
)
from webmap.importers.dates import parse_date, parse_date_option
from webmap.importers.locate import locate_rows
from webmap.importers.naming import unnamed_name, what_it_is
from webmap.importers.problems import _, ngettext
from webmap.importers.writing import PART, write_places

FIELDS = {  # our field -> column names that commonly hold it
    "name": ["name", "asset_name", "title", "pharmacy_name", "establishment_name", "distname"],
    "description": ["description", "subcategory", "type", "service_type"],
    # The place's own Welsh name and description, when the file gives them.
    "name_cy": ["name_cy", "name_welsh", "welsh_name", "enw"],
    "description_cy": ["description_cy", "description_welsh", "welsh_description", "disgrifiad"],
    "kind": ["kind"],
    "address": ["address", "address1", "full_address"],
    "postcode": ["postcode", "post_code", "postal_code", "pcds"],
    "website": ["website", "url", "web"],
    "phone": ["phone", "telephone", "tel"],
    "opening_times": ["opening_times", "opening_hours", "hours"],
    "accessibility": ["accessibility", "accessibility_notes"],
    # The group's own email: private, used for claim links and relayed messages (webmap/groups).
    "contact_email": ["contact_email", "email", "e_mail"],
    "source_id": ["source_id", "asset_id", "source_record_id", "id", "urn", "organisation_data_service_code"],
    "source_date": ["source_date"],
    # The day the place opened (a register's open date): what "You said, we did" may call "opened".
    "opened_on": ["opened_on", "opened", "open_date", "opendate", "date_opened"],
}


def import_assets(
    path: str | Path,
    category_col: str | None = None,
    source: str | None = None,
    category_map: dict[str, str] | None = None,
    add_categories: bool = False,
    kind: str | None = None,
    status: str = "approved",
    crs: str | None = None,
    *,
    category: str | None = None,
    register: str | None = None,
    detect_register: bool = True,
    source_date: str | date | None = None,
    skip_bad_rows: bool = False,
    rejects_path: str | Path | None = None,
    edge_m: float = 800.0,
    category_kinds: dict[str, str] | None = None,
) -> ImportReport:
    """Read assets, check their categories and places, and insert or update them.

    A place outside every ward but within *edge_m* metres of one is kept "outside the area"
    (no ward): it gives access to residents near the edge but is no ward's own place.

    `register` names a published layout (data/registers/NAME.toml); without it a CSV whose
    header matches one is read with that layout, and the report says so. `category` gives
    every row one category. `source_date` is the date the file's source states, for rows
    without their own. With `skip_bad_rows`, rows that cannot be used are written to a
    rejects CSV (`rejects_path`) and the others imported; otherwise one bad row stops the file.

    A row's kind is its own `kind` column, else its category value's kind in `category_kinds`
    (the category map's kind column), else `kind` (or the register's), else service. A row with
    no name is named from what and where it is ("Place of worship, Union Street") and marked
    name_given=False. Records of a register are marked checked by their source (source_checked_at)
    each time an import of that register contains them.
    """
    from webmap.importers.registers import detect_layout, get_layout, read_register

    file = Path(path).name
    report = ImportReport(file=file)
    if kind is not None and kind not in ASSET_KINDS:
        raise ImportFailed(
            Problem(
                file,
                None,
                "kind",
                _("'%(value)s' is not one of %(allowed)s", value=kind, allowed=", ".join(ASSET_KINDS)),
            )
        )
    if category and category_col:
        raise ImportFailed(
            Problem(file, None, None, _("give either one category for the whole file or a category column, not both"))
        )
    fixed_category = _known_category(category, file) if category else None
    file_date = parse_date_option(source_date, file) if source_date else None

    layout = get_layout(register, file) if register else None
    if layout is None and detect_register and not is_vector(path):
        layout = detect_layout(check_exists(path))
        if layout:
            report.notes.append(
                _(
                    "recognised the '%(name)s' register from the file's first lines "
                    "(give --register to choose another layout)",
                    name=layout.name,
                )
            )
    if layout:
        frame = read_register(path, layout, report)
        source = source or layout.name
        kind = kind or layout.kind
        report.attribution = layout.attribution
    elif is_vector(path):
        frame = read_vector(path, crs=crs)
        frame["_row"] = np.arange(len(frame)) + 2
        report.read = len(frame)
    else:
        frame = read_table(path)
        frame["_row"] = np.arange(len(frame)) + 2
        report.read = len(frame)
    source = (source or Path(path).stem)[:50]
    kind = kind or "service"

    columns = {f: find_column(frame.columns, names, file=file, what=f.replace("_", " ")) for f, names in FIELDS.items()}
    if columns["name"] is None:
        cols = ", ".join(str(c) for c in frame.columns if not str(c).startswith("_") and c != "geometry")
        raise ImportFailed(
            Problem(
                file,
                None,
                None,
                _(
                    "no name column found (looked for: name, asset_name, title; the file has: %(columns)s); "
                    "if the file has no header row, give its layout with --register",
                    columns=cols[:300],
                ),
            )
        )
    if fixed_category is None:
        category_col = require_column(
            frame,
            file,
            category_col,
            ["category", "categories"],
            [],
            "category",
            "--category-col (or give every row one category with --category)",
        )

    if len(frame) >= PROGRESS_THRESHOLD:
        step(_("Placing %(count)s rows on the map...", count=f"{len(frame):,}"))
    frame, problems, unplaced = _place(frame, file, layout is not None and layout.unlocatable == "skip")
    dates = _source_dates(frame, columns["source_date"], file, file_date, problems)
    frame = frame.assign(_source_date=dates, _opened_on=_opening_dates(frame, columns["opened_on"], file, problems))
    frame = settle_rows(frame.reset_index(drop=True), problems, report, skip_bad_rows, rejects_path)
    frame = _drop_unplaced(frame, unplaced, report)

    if fixed_category:
        categories = [[fixed_category]] * len(frame)
        map_kinds: list[str | None] = [None] * len(frame)
    else:
        assert category_col is not None, "require_column above finds the category column or stops the import"
        categories = _resolve_categories(frame, file, category_col, category_map or {}, add_categories, report)
        map_kinds = [_mapped_kind(raw, category_kinds or {}) for raw in frame[category_col]]
    frame = frame.assign(
        _categories=categories,
        _map_kind=map_kinds,
        _raw_category=([None] * len(frame) if fixed_category else list(frame[category_col])),
    )
    if len(frame) >= PROGRESS_THRESHOLD:
        step(_("Finding the ward of %(count)s places...", count=f"{len(frame):,}"))
    wards = wards_frame()
    frame["_ward"] = assign_wards(frame.geometry, wards)
    outside = frame["_ward"].isna()
    near = pd.Series(False, index=frame.index)
    if outside.any():  # only those need the wards in metres
        near[outside] = _within(frame.geometry[outside], wards, edge_m)
    far = outside & ~near
    if near.any():
        report.notes.append(
            ngettext(
                "kept %(count)s place outside the area but within %(metres)s m of a ward: they give access to "
                "residents near the edge and are no ward's own",
                "kept %(count)s places outside the area but within %(metres)s m of a ward: they give access to "
                "residents near the edge and are no ward's own",
                int(near.sum()),
                count=int(near.sum()),
                metres=f"{edge_m:,.0f}",
            )
        )
    if far.any():
        report.skip(
            _("the point is more than %(metres)s m outside every ward", metres=f"{edge_m:,.0f}"), int(far.sum())
        )
        rows = ", ".join(str(r) for r in frame.loc[far, "_row"].head(10))
        report.notes.append(_("rows outside every ward: %(rows)s", rows=f"{rows}{' ...' if far.sum() > 10 else ''}"))
    frame = frame[~far]
    no_category = frame["_categories"].map(len) == 0
    if no_category.any():
        report.skip(_("no category given"), int(no_category.sum()))
        frame = frame[~no_category]

    _write(
        frame,
        columns,
        source,
        kind,
        status,
        report,
        ward_names=dict(zip(wards["code"], wards["name"])),
        register=layout is not None,
    )
    return report


def _mapped_kind(raw: object, kinds: dict[str, str]) -> str | None:
    """Return the kind the category map gives the row's first category value that has one."""
    for value in (text(raw) or "").split(";"):
        found = kinds.get(value.strip().lower())
        if found:
            return found
    return None


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


def _known_category(category: str, file: str) -> str:
    """Return the category id, or fail listing the taxonomy."""
    known = {c.id: c.label for c in db.session.scalars(select(Category).order_by(Category.sort_order))}
    if category not in known:
        listing = ", ".join(known)
        raise ImportFailed(
            Problem(
                file,
                None,
                "--category",
                _("'%(value)s' is not a category id; the categories are: %(listing)s", value=category, listing=listing),
            )
        )
    return category


def _place(frame, file: str, skip_unplaced: bool):
    """Return (points in EPSG:4326, {position: [problems]}, {position: reason} for rows with no place to skip)."""
    frame = frame.reset_index(drop=True)
    if isinstance(frame, gpd.GeoDataFrame):
        found = geometry_problems(frame.geometry, file, rows=list(frame["_row"]))
        frame = frame.copy()
        usable = np.array([i not in found for i in range(len(frame))], dtype=bool)
        # Polygons, lines and multi-points all become one point that lies on the feature.
        shapes = usable & (frame.geometry.geom_type != "Point").to_numpy()
        if shapes.any():
            frame.loc[shapes, "geometry"] = frame.loc[shapes, "geometry"].representative_point()
        frame = frame.to_crs(WGS84)
        return frame, {i: [p] for i, p in found.items()}, {}
    located = locate_rows(frame, file, FIELDS["postcode"])
    problems = {i: [p] for i, p in located.problems.items()}
    unplaced = dict(located.unplaced)
    if not skip_unplaced:
        for i, (_, reason) in unplaced.items():
            problems.setdefault(i, []).append(Problem(file, int(frame["_row"].iloc[i]), located.field, reason))
        unplaced = {}
    return gpd.GeoDataFrame(frame, geometry=located.points, crs=WGS84), problems, unplaced


def _drop_unplaced(frame, unplaced: dict[int, tuple[str, str]], report: ImportReport):
    """Leave out rows a register cannot place (no coordinates, unknown postcode), counting them by reason."""
    if not unplaced:
        return frame
    # settle_rows kept the original positions as the index, so the positions still find the rows.
    gone = frame.index.isin(list(unplaced))
    for reason, n in pd.Series([unplaced[i][0] for i in frame.index[gone]], dtype=object).value_counts().items():
        report.skip(reason, int(n))
    examples = [f"row {frame.loc[i, '_row']}: {unplaced[i][1]}" for i in frame.index[gone][:3]]
    report.notes.append(_("rows with no place, e.g. %(examples)s", examples="; ".join(examples)))
    return frame[~gone]


def _source_dates(frame, col: str | None, file: str, file_date: str | None, problems: dict) -> list:
    """Return each row's source date: its own column when filled, else the date given for the file."""
    if col is None:
        return [file_date] * len(frame)
    out = []
    for i, raw in enumerate(frame[col]):
        value = text(raw)
        if value is None:
            out.append(file_date)
            continue
        try:
            out.append(parse_date(value))
        except ValueError as exc:
            problems.setdefault(i, []).append(Problem(file, int(frame["_row"].iloc[i]), col, str(exc)))
            out.append(None)
    return out


def _opening_dates(frame, col: str | None, file: str, problems: dict) -> list:
    """Return each row's opening date (a date, or None when the row gives none).

    A year or month alone ("2019", "2019-07") is kept as its first day, so a place is never said
    to have opened after a day it may have opened before.
    """
    if col is None:
        return [None] * len(frame)
    out = []
    for i, raw in enumerate(frame[col]):
        value = text(raw)
        try:
            found = parse_date(value) if value else None
        except ValueError as exc:
            problems.setdefault(i, []).append(Problem(file, int(frame["_row"].iloc[i]), col, str(exc)))
            found = None
        if found and len(found) == 4:
            found += "-01"
        if found and len(found) == 7:
            found += "-01"
        out.append(date.fromisoformat(found) if found else None)
    return out


def _resolve_categories(
    frame, file: str, col: str, mapping: dict[str, str], add: bool, report: ImportReport
) -> list[list[str]]:
    """Turn each row's category text into taxonomy ids; stop on values the taxonomy lacks."""
    known = {c.id: c for c in db.session.scalars(select(Category))}
    labels = {c.label.lower(): c.id for c in known.values()}
    resolved: list[list[str]] = []
    unknown: dict[str, int] = {}
    for raw, row in zip(frame[col], frame["_row"]):
        ids: list[str] = []
        for value in (text(raw) or "").split(";"):
            value = value.strip()
            if not value:
                continue
            key = value.lower()
            cid = mapping.get(key) or (key if key in known else None) or labels.get(key)
            if cid is None:
                unknown.setdefault(value, int(row))
                continue
            if cid not in ids:
                ids.append(cid)
        resolved.append(ids)
    if unknown and not add:
        listing = ", ".join(_("'%(value)s' (first in row %(row)s)", value=v, row=r) for v, r in sorted(unknown.items()))
        raise ImportFailed(
            Problem(
                file,
                None,
                col,
                _(
                    "these categories are not in the taxonomy: %(listing)s. "
                    "Map them with --category-map FILE, add them with --add-categories, "
                    "or give the whole file one category with --category",
                    listing=listing,
                ),
            )
        )
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
            known[cid] = Category(
                id=cid, label=value[:100], sort_order=order, description=f"Added by import of {report.file}"
            )
            db.session.add(known[cid])
            report.notes.append(_("added category '%(id)s' for '%(value)s'", id=cid, value=value))
        # Mapped explicitly: "Food-Support" makes the id food_support, which may already exist.
        added[value.lower()] = cid
    db.session.flush()
    return added


def _source_id(own: str | None, name: str, x: float, y: float) -> str:
    """Return the row's own id, or a stable one made from its name and place."""
    if own:
        return own
    digest = hashlib.sha1(f"{name}|{x:.5f}|{y:.5f}".encode()).hexdigest()
    return f"h-{digest[:16]}"


def _rows(frame, columns: dict, categories: dict[str, Category]):
    """Yield (source id, row) for each row, reading the frame a part at a time (no Series per row)."""
    used = list(dict.fromkeys(c for c in columns.values() if c))
    extra = ["_categories", "_raw_category", "_map_kind", "_ward", "_source_date", "_opened_on"]
    for start in range(0, len(frame), PART):
        part = frame.iloc[start : start + PART]
        xs, ys = shapely.get_x(part.geometry.to_numpy()), shapely.get_y(part.geometry.to_numpy())
        records = part[used + extra].to_dict("records")
        for index, record, x, y in zip(part.index, records, xs, ys):
            row: dict[str, Any] = {f: (text(record[c]) if c else None) for f, c in columns.items()}
            row.update({k: record[k] for k in extra}, _x=float(x), _y=float(y), _index=index)
            cats = row["_categories"]
            # The made-up name is not an id: an unnamed record keeps the id it had under the old "Unnamed ..." scheme.
            named = row["name"] or f"Unnamed {categories[cats[0]].label.lower()}"
            yield _source_id(row["source_id"], named, float(x), float(y)), row


def _write(
    frame,
    columns: dict,
    source: str,
    kind: str,
    status: str,
    report: ImportReport,
    ward_names: dict[str, str] | None = None,
    register: bool = False,
) -> None:
    """Insert new assets and update ones already imported from the same source.

    "Last checked" is left alone: only a person checking a listing sets it. The date the
    source itself states goes into source_date; a register's import sets source_checked_at.
    """
    now = utcnow()
    categories = {c.id: c for c in db.session.scalars(select(Category))}

    def fill(asset: Asset, row: dict, new: bool) -> list[Problem]:
        cats = row["_categories"]
        name = row["name"]
        if not name:
            what = what_it_is(row["description"], row["_raw_category"], categories[cats[0]].label)
            name = unnamed_name(what, row["address"], (ward_names or {}).get(row["_ward"]), row["postcode"])
        if new:
            asset.status = status
        asset.name, asset.name_given = name, bool(row["name"])
        asset.name_cy = row["name_cy"] if row["name_cy"] != name else None
        asset.kind = next(k for k in (row["kind"], row["_map_kind"], kind) if k in ASSET_KINDS)
        if register:
            asset.source_checked_at = now
        for f in ("description", "address", "website", "phone", "opening_times", "accessibility", "description_cy"):
            setattr(asset, f, row[f])
        asset.postcode = normalise_postcode(row["postcode"]) or row["postcode"]
        asset.contact_email = clean_email(row["contact_email"]) or asset.contact_email
        asset.lon, asset.lat = round(row["_x"], 7), round(row["_y"], 7)
        asset.geom = shapely.Point(row["_x"], row["_y"])
        asset.ward_code = row["_ward"]
        asset.categories = [categories[c] for c in cats]
        asset.source_date = row["_source_date"] if isinstance(row["_source_date"], str) else None
        asset.opened_on = row["_opened_on"] if isinstance(row["_opened_on"], date) else None
        return record_problems(asset, report.file, row_number(row["_index"]))

    write_places(
        _rows(frame, columns, categories),
        len(frame),
        source,
        report,
        _("Importing assets"),
        _("the same id appears earlier in the file"),
        fill,
    )
