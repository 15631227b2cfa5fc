"""Import Open Referral UK JSON (HSDS 3.0 UK profile) services as assets at their locations.

Shapes read: one fully nested service; a page (or an array) of services; a page of
service_at_locations; a service_at_location; an organization with its services. Taxonomy
and organization-list files hold no services: they are read and reported, not imported.
The whole file is checked against the ORUK JSON Schemas first, so nothing is half-imported.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.emails import clean_email
from webmap.core.geo import WGS84, assign_wards, normalise_postcode, valid_lon_lat
from webmap.core.models import Asset, Category, utcnow
from webmap.core.store import wards_frame
from webmap.importers.common import (
    ImportFailed,
    ImportReport,
    Problem,
    announce_read,
    check_exists,
    progress,
    read_json,
)
from webmap.importers.problems import _
from webmap.opendata import oruk

SOURCE = "oruk"
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
# Shape -> the schema its items are checked against.
FULL_ONLY = {
    "schedules",
    "service_areas",
    "service_at_locations",
    "languages",
    "funding",
    "cost_options",
    "contacts",
    "attributes",
}


@dataclass
class Found:
    """One service found in the file, with every location offered for it."""

    path: str
    service: dict
    locations: list[dict] = field(default_factory=list)


def import_oruk(
    path: str | Path,
    category_map: dict[str, str] | None = None,
    default_category: str | None = None,
    add_categories: bool = False,
    schema_dir: str | Path | None = None,
    status: str = "approved",
) -> ImportReport:
    """Check an ORUK JSON file against the schemas and insert or update its services as assets."""
    file = Path(path).name
    announce_read(check_exists(path))
    data = _read_json(path)
    shape, checks, found = _walk(data, file)
    folder = oruk.find_schema_dir(schema_dir)
    problems = _check(file, checks, folder)
    problems += _check_minimal(file, found)
    if problems:
        raise ImportFailed(problems)
    report = ImportReport(file=file, read=len(found))
    report.notes.append(
        _("read as ORUK %(shape)s", shape=shape)
        if found
        else _("read as ORUK %(shape)s; it holds no services, so there is nothing to import", shape=shape)
    )
    if folder is None:
        report.notes.append(
            _("ORUK schemas not found (set WEBMAP_ORUK_SCHEMA_DIR): only the fields this import uses were checked")
        )
    if default_category and db.session.get(Category, default_category) is None:
        raise ImportFailed(
            Problem(file, None, "--default-category", _("'%(value)s' is not a category id", value=default_category))
        )
    _write(_merge(found, report), file, category_map or {}, default_category, add_categories, status, report)
    return report


def _read_json(path: str | Path) -> Any:
    return read_json(path)


def _is_page(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("contents"), list)


def _item_kind(item: Any) -> str:
    if not isinstance(item, dict):
        return "unknown"
    if "status" in item:
        return "service"
    if "service" in item or "location" in item:
        return "service_at_location"
    if "services" in item:
        return "organization"
    if "taxonomy_terms" in item or "version" in item:
        return "taxonomy"
    if {"term", "taxonomy", "taxonomy_id", "parent_id"} & set(item):
        return "taxonomy_term"
    if {"website", "logo", "organization_identifiers", "parent_organization_id"} & set(item):
        return "organization"
    return "unknown"


def _service_schema(item: dict, listed: bool) -> str:
    return "compiled/service_list.json" if listed and not (FULL_ONLY & set(item)) else "compiled/service.json"


SCHEMA_FOR = {
    "service_at_location": "compiled/service_at_location.json",
    "organization": "compiled/organization.json",
    "taxonomy": "taxonomy.json",
    "taxonomy_term": "taxonomy_term.json",
}
LIST_SCHEMA_FOR = {
    "service_at_location": "compiled/service_at_location_list.json",
    "organization": "compiled/organization_list.json",
    "taxonomy": "taxonomy.json",
    "taxonomy_term": "taxonomy_term.json",
}


def _walk(data: Any, file: str) -> tuple[str, list[tuple[str, str, Any]], list[Found]]:
    """Return the shape's name, the (schema, JSON path, part) checks to run and the services found."""
    if _is_page(data) or isinstance(data, list):
        items = data["contents"] if _is_page(data) else data
        prefix = "$.contents" if _is_page(data) else "$"
        kinds = {_item_kind(i) for i in items}
        if len(kinds) > 1 or "unknown" in kinds:
            raise ImportFailed(
                Problem(
                    file,
                    None,
                    prefix,
                    _(
                        "the items are not all ORUK services, service_at_locations, "
                        "organizations, taxonomies or taxonomy terms"
                    ),
                )
            )
        kind = kinds.pop() if kinds else "service"
        listed = _is_page(data)
        checks = []
        found: list[Found] = []
        for i, item in enumerate(items):
            where = f"{prefix}[{i}]"
            schema = (
                _service_schema(item, listed)
                if kind == "service"
                else (LIST_SCHEMA_FOR if listed else SCHEMA_FOR)[kind]
            )
            checks.append((schema, where, item))
            found += _services_in(kind, item, where)
        name = f"{kind}_list" if listed else f"{kind} array"
        return name, checks, found
    kind = _item_kind(data)
    if kind == "unknown":
        raise ImportFailed(
            Problem(
                file,
                None,
                "$",
                _(
                    "this is not ORUK JSON: expected a service, a service_at_location, "
                    "an organization, or a page of them (with 'contents')"
                ),
            )
        )
    schema = "compiled/service.json" if kind == "service" else SCHEMA_FOR[kind]
    return f"{kind}_full" if kind != "taxonomy_term" else kind, [(schema, "$", data)], _services_in(kind, data, "$")


def _services_in(kind: str, item: dict, where: str) -> list[Found]:
    if kind == "service":
        return [Found(where, item, _locations(item))]
    if kind == "service_at_location" and isinstance(item.get("service"), dict):
        service = item["service"]
        extra = [item["location"]] if isinstance(item.get("location"), dict) else []
        return [Found(f"{where}.service", service, extra + _locations(service))]
    if kind == "organization":
        services = item.get("services") or []
        return [
            Found(f"{where}.services[{i}]", s, _locations(s)) for i, s in enumerate(services) if isinstance(s, dict)
        ]
    return []


def _locations(service: dict) -> list[dict]:
    links = service.get("service_at_locations") or []
    return [link["location"] for link in links if isinstance(link, dict) and isinstance(link.get("location"), dict)]


def _check(file: str, checks: list[tuple[str, str, Any]], folder: Path | None) -> list[Problem]:
    if folder is None:
        return []
    problems = []
    for schema, where, part in checks:
        for json_path, reason in oruk.schema_errors(folder, schema, part, prefix=where):
            problems.append(
                Problem(file, None, json_path, _("%(reason)s (ORUK schema %(schema)s)", reason=reason, schema=schema))
            )
    return problems


def _check_minimal(file: str, found: list[Found]) -> list[Problem]:
    """Check the fields this import relies on, even when the schemas are not at hand."""
    problems = []
    for f in found:
        s = f.service
        if not isinstance(s.get("id"), str) or not s["id"].strip():
            problems.append(Problem(file, None, f"{f.path}.id", _("a service needs a text id")))
        if not isinstance(s.get("name"), str) or not s["name"].strip():
            problems.append(Problem(file, None, f"{f.path}.name", _("a service needs a name")))
        if s.get("status") is not None and s.get("status") not in STATUSES:
            problems.append(
                Problem(
                    file,
                    None,
                    f"{f.path}.status",
                    _("'%(value)s' is not one of %(allowed)s", value=s.get("status"), allowed=", ".join(STATUSES)),
                )
            )
    return problems


def _merge(found: list[Found], report: ImportReport) -> list[Found]:
    """Join entries for the same service (a page of service_at_locations lists a service once per place)."""
    by_id: dict[str, Found] = {}
    for f in found:
        sid = f.service["id"].strip()
        if sid in by_id:
            by_id[sid].locations += f.locations
            if len(json.dumps(f.service)) > len(json.dumps(by_id[sid].service)):
                by_id[sid].service = f.service
        else:
            by_id[sid] = Found(f.path, f.service, list(f.locations))
    if len(by_id) < len(found):
        report.notes.append(
            _(
                "%(count)s entries repeat a service already read; their locations were added to it",
                count=len(found) - len(by_id),
            )
        )
    return list(by_id.values())


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _placed(locations: list[dict]) -> list[tuple[dict, float, float]]:
    out = []
    for loc in locations:
        lon, lat = _number(loc.get("longitude")), _number(loc.get("latitude"))
        if lon is not None and lat is not None and valid_lon_lat(lon, lat):
            out.append((loc, lon, lat))
    return out


def _where(locations: list[dict]) -> str:
    """Say why none of these locations can be placed."""
    if not locations:
        return "no location given"
    shown = [f"latitude {loc.get('latitude')!r}, longitude {loc.get('longitude')!r}" for loc in locations[:3]]
    return "not valid WGS84 coordinates: " + "; ".join(shown)


def _write(
    found: list[Found],
    file: str,
    mapping: dict[str, str],
    default: str | None,
    add: bool,
    status: str,
    report: ImportReport,
) -> None:
    """Place each service at its first location inside a ward and insert or update its asset."""
    candidates = [(f, _placed(f.locations)) for f in found]
    points = [(f, loc, lon, lat) for f, placed in candidates for loc, lon, lat in placed]
    no_place = [f for f, placed in candidates if not placed]
    if no_place:
        report.skip(_("no location with valid coordinates"), len(no_place))
        report.notes.append(
            "services without a usable location: "
            + ", ".join(f"{f.service.get('name')} ({f.path}: {_where(f.locations)})" for f in no_place[:10])
        )
    wards = (
        assign_wards(
            gpd.GeoSeries(shapely.points([p[2] for p in points], [p[3] for p in points]), crs=WGS84), wards_frame()
        )
        if points
        else []
    )
    chosen: dict[str, tuple[dict, float, float, str]] = {}
    for (f, loc, lon, lat), ward in zip(points, list(wards)):
        if ward is not None and f.service["id"] not in chosen:
            chosen[f.service["id"]] = (loc, lon, lat, ward)
    outside = [f for f, placed in candidates if placed and f.service["id"] not in chosen]
    if outside:
        report.skip(_("every location is outside every ward"), len(outside))
        report.notes.append(
            "services outside the wards: " + ", ".join(f"{f.service.get('name')} ({f.path})" for f in outside[:10])
        )

    categories = _Categories(mapping, default, add, file, report)
    existing = {a.source_id: a for a in db.session.scalars(select(Asset).where(Asset.source == SOURCE))}
    now = utcnow()
    for f in progress(found, _("Importing ORUK services")):
        if f.service["id"] not in chosen:
            continue
        cats = categories.resolve(f.service)
        if not cats:
            report.skip(_("no taxonomy term maps to a category"))
            continue
        loc, lon, lat, ward = chosen[f.service["id"]]
        sid = f.service["id"].strip()
        asset = existing.get(sid)
        if asset is None:
            asset = Asset(source=SOURCE, source_id=sid, created_at=now)
            db.session.add(asset)
            existing[sid] = asset
            report.imported += 1
        else:
            report.updated += 1
        _fill(asset, f.service, loc, lon, lat, ward, cats, status)
    db.session.flush()


def _text(value: Any, limit: int | None = None) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    return value[:limit] if limit else value


def _fill(
    asset: Asset, service: dict, loc: dict, lon: float, lat: float, ward: str, cats: list[Category], status: str
) -> None:
    """Copy the service's public details onto the asset."""
    asset.name = _text(service.get("name"), 200)
    asset.description = _text(service.get("description"))
    org = service.get("organization") if isinstance(service.get("organization"), dict) else {}
    asset.website = _text(service.get("url"), 300) or _text(org.get("website"), 300)
    asset.kind = "service"
    asset.status = status if service.get("status") in (None, "active", "temporarily closed") else "archived"
    addresses = [a for a in loc.get("addresses") or [] if isinstance(a, dict)]
    address = next((a for a in addresses if a.get("address_type") == "physical"), addresses[0] if addresses else {})
    parts = [_text(address.get("address_1")), _text(address.get("city"))]
    asset.address = ", ".join(p for p in parts if p)[:300] or None
    raw_postcode = _text(address.get("postal_code"))
    asset.postcode = normalise_postcode(raw_postcode) or (raw_postcode[:10] if raw_postcode else None)
    access = [_text(a.get("description")) for a in loc.get("accessibility") or [] if isinstance(a, dict)]
    asset.accessibility = "; ".join(a for a in access if a) or None
    asset.opening_times = _opening_times(service)
    asset.phone = _phone(service)
    asset.contact_email = clean_email(_text(service.get("email")) or _text(org.get("email"))) or asset.contact_email
    asset.lon, asset.lat = round(lon, 7), round(lat, 7)
    asset.geom = shapely.Point(asset.lon, asset.lat)
    asset.ward_code = ward
    asset.categories = cats
    # The publisher's assured_date is its source's date, not a check by our staff.
    assured = _date(_text(service.get("assured_date")))
    asset.source_date = assured.date().isoformat() if assured else asset.source_date


def _date(value: str | None) -> datetime | None:
    """Return an ISO date (or the date part of a date-time) as midnight of that day, or None."""
    try:
        return datetime.combine(date.fromisoformat(value[:10]), time()) if value else None
    except ValueError:
        return None


def _opening_times(service: dict) -> str | None:
    out = []
    for s in service.get("schedules") or []:
        if not isinstance(s, dict):
            continue
        text = _text(s.get("description"))
        if not text and (s.get("opens_at") or s.get("byday")):
            days = _text(s.get("byday")) or ""
            hours = "–".join(t[:5] for t in (s.get("opens_at"), s.get("closes_at")) if isinstance(t, str))
            text = " ".join(p for p in (days, hours) if p) or None
        if text:
            out.append(text)
    return "; ".join(out) or None


def _phone(service: dict) -> str | None:
    # The UK profile's service has no phones; older feeds put them on the service or its contacts.
    phones = list(service.get("phones") or [])
    for contact in service.get("contacts") or []:
        if isinstance(contact, dict):
            phones += contact.get("phones") or []
    for phone in phones:
        if isinstance(phone, dict) and _text(phone.get("number")):
            return _text(phone.get("number"), 40)
    return None


class _Categories:
    """Turn a service's taxonomy terms into categories: our own term ids, ids or labels, a map, or a default."""

    def __init__(
        self, mapping: dict[str, str], default: str | None, add: bool, file: str, report: ImportReport
    ) -> None:
        self.known = {c.id: c for c in db.session.scalars(select(Category))}
        self.mapping, self.default, self.add, self.file, self.report = mapping, default, add, file, report
        self.unmapped: dict[str, int] = {}

    def _lookup(self, term: dict) -> Category | None:
        by_term_id = {oruk.term_id(cid): c for cid, c in self.known.items()}
        labels = {c.label.lower(): c for c in self.known.values()}
        tid = oruk.as_uuid(term.get("id"))
        if tid and tid in by_term_id:
            return by_term_id[tid]
        for key in (term.get("id"), term.get("term"), term.get("name")):
            if not isinstance(key, str):
                continue
            k = key.strip().lower()
            if k in self.mapping:
                return self.known[self.mapping[k]]
            if k in self.known:
                return self.known[k]
            if k in labels:
                return labels[k]
        return None

    def _added(self, term: dict) -> Category | None:
        name = _text(term.get("name")) or _text(term.get("term"))
        if not name:
            return None
        code = _text(term.get("term")) or name
        cid = re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_")[:50] or "other"
        if not re.match(r"^[a-z]", cid):
            cid = f"c_{cid}"[:50]
        if cid not in self.known:
            order = max((c.sort_order for c in self.known.values()), default=0) + 1
            self.known[cid] = Category(
                id=cid,
                label=name[:100],
                sort_order=order,
                description=_text(term.get("description")) or f"Added by import of {self.file}",
            )
            db.session.add(self.known[cid])
            self.report.notes.append(_("added category '%(id)s' for taxonomy term '%(name)s'", id=cid, name=name))
        return self.known[cid]

    def resolve(self, service: dict) -> list[Category]:
        # Offers and needs (link_type "offers"/"needs", see webmap/opendata/oruk.py) are not categories.
        terms = [
            a["taxonomy_term"]
            for a in service.get("attributes") or []
            if isinstance(a, dict)
            and isinstance(a.get("taxonomy_term"), dict)
            and a.get("link_type") not in ("offers", "needs")
        ]
        out: list[Category] = []
        for term in terms:
            category = self._lookup(term) or (self._added(term) if self.add else None)
            if category is None:
                label = str(term.get("name") or term.get("id"))
                self.unmapped[label] = self.unmapped.get(label, 0) + 1
            elif category not in out:
                out.append(category)
        if not out and self.default:
            out.append(self.known[self.default])
        if not out:
            self.report.notes.append(
                f"'{service.get('name')}' has no term that maps to a category (terms: "
                f"{', '.join(str(t.get('name')) for t in terms) or 'none'}); use --category-map, "
                "--add-categories or --default-category"
            )
        return out
