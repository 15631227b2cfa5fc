"""Map assets to Open Referral UK (HSDS 3.0 UK profile) objects, and check ORUK JSON against its schemas.

Each approved asset becomes one organization running one service at one location. The
ids are UUIDs derived (uuid5) from the asset, so they never change between requests;
an asset that came from an ORUK import keeps the service id it had there, which makes an
export -> import -> export round trip give the same services. Only public fields are read.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from webmap.core.config import REPO_ROOT
from webmap.core.models import Asset, Category

# Fixed for ever: changing it would change every published id.
NAMESPACE = uuid.UUID("3d0c8a4e-5f0b-5b7e-9c55-6b1f2a7c9e41")
TAXONOMY_NAME = "community-asset-map"
HSDS_VERSION = "3.0"
PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json"
LINK_TYPE = "category"


def derived_id(*parts: object) -> str:
    """Return a stable UUID made from the parts."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def as_uuid(value: str | None) -> str | None:
    """Return the value as a canonical UUID string, or None when it is not a UUID."""
    try:
        return str(uuid.UUID(str(value)))
    except (TypeError, ValueError, AttributeError):
        return None


def service_id_for(asset_id: int, source: str | None, source_id: str | None) -> str:
    """Return the ORUK service id of an asset (an imported ORUK service keeps its own id)."""
    if source == "oruk":
        own = as_uuid(source_id)
        if own:
            return own
    return derived_id("asset", asset_id)


def service_id(asset: Asset) -> str:
    """Return the asset's ORUK service id."""
    return service_id_for(asset.id, asset.source, asset.source_id)


TAXONOMY_ID = derived_id("taxonomy", TAXONOMY_NAME)


def term_id(category_id: str) -> str:
    """Return the taxonomy term id of a category."""
    return derived_id("category", category_id)


def taxonomy() -> dict[str, Any]:
    """Return the map's category taxonomy as an ORUK taxonomy."""
    return {
        "id": TAXONOMY_ID,
        "name": TAXONOMY_NAME,
        "description": "Categories of the Community Asset Map (food support, youth, health, library ...).",
        "version": "1",
    }


def taxonomy_term(category: Category) -> dict[str, Any]:
    """Return a category as an ORUK taxonomy term."""
    return {
        "id": term_id(category.id),
        "name": category.label,
        "description": category.description or category.label,
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": TAXONOMY_ID,
        "term": category.id,
    }


def _url(value: str | None) -> str | None:
    """Return a web address with a scheme (ORUK asks for a URI), or None."""
    if not value or not value.strip() or " " in value.strip():
        return None
    value = value.strip()
    return value if "://" in value else f"http://{value}"


def _timestamp(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z" if value else None


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    # ORUK fields are typed strings/numbers: leave a field out rather than send null.
    return {k: v for k, v in data.items() if v is not None}


def organization(asset: Asset) -> dict[str, Any]:
    """Return the organization that runs the asset's service (one per asset)."""
    sid = service_id(asset)
    return _drop_none(
        {
            "id": derived_id("organization", sid),
            "name": asset.name,
            "alternate_name": asset.name_cy,
            "description": asset.description or asset.name,
            "website": _url(asset.website),
        }
    )


def service_summary(asset: Asset) -> dict[str, Any]:
    """Return the one-to-one fields of the asset's service, with its organization (the list shape)."""
    sid = service_id(asset)
    org = organization(asset)
    return _drop_none(
        {
            "id": sid,
            "organization_id": org["id"],
            "name": asset.name,
            # The Welsh name (ORUK has no field for a Welsh description).
            "alternate_name": asset.name_cy,
            "description": asset.description,
            "url": _url(asset.website),
            "status": "active",
            "assured_date": assured_date(asset),
            "last_modified": _timestamp(asset.updated_at),
            "organization": org,
        }
    )


def assured_date(asset: Asset) -> str | None:
    """Return when the record was last checked: by our staff, else the full date its source states."""
    if asset.last_verified_at:
        return asset.last_verified_at.date().isoformat()
    return asset.source_date if asset.source_date and len(asset.source_date) == 10 else None


def _split_address(address: str | None) -> tuple[str, str]:
    """Split "1 High St, Oldham" into ("1 High St", "Oldham"); joining with ", " gives it back."""
    if not address:
        return "", ""
    head, sep, tail = address.rpartition(", ")
    return (head.strip(), tail.strip()) if sep else (address.strip(), "")


def location(asset: Asset, full: bool) -> dict[str, Any]:
    """Return the asset's location; full=True adds its address and accessibility."""
    sid = service_id(asset)
    loc_id = derived_id("location", sid)
    data: dict[str, Any] = {
        "id": loc_id,
        "location_type": "physical",
        "name": asset.name,
        "latitude": asset.lat,
        "longitude": asset.lon,
    }
    if not full:
        return data
    if asset.address or asset.postcode:
        line, city = _split_address(asset.address)
        data["addresses"] = [
            {
                "id": derived_id("address", sid),
                "location_id": loc_id,
                "address_1": line,
                "city": city,
                "state_province": "",
                "postal_code": asset.postcode or "",
                "country": "GB",
                "address_type": "physical",
            }
        ]
    if asset.accessibility:
        data["accessibility"] = [
            {"id": derived_id("accessibility", sid), "location_id": loc_id, "description": asset.accessibility}
        ]
    return data


def attributes(asset: Asset) -> list[dict[str, Any]]:
    """Return the asset's categories as attributes linking the service to taxonomy terms."""
    sid = service_id(asset)
    return [
        {
            "id": derived_id("attribute", sid, c.id),
            "link_id": sid,
            "taxonomy_term_id": term_id(c.id),
            "link_type": LINK_TYPE,
            "taxonomy_term": taxonomy_term(c),
        }
        for c in asset.categories
    ]


# --- Offers and needs (webmap/groups): ORUK has no field for them, so they travel as attributes that
# link the service to terms of a second taxonomy, with link_type "offers" or "needs" (docs/groups.md).
EXCHANGE_TAXONOMY_NAME = "community-asset-map-offers-needs"
EXCHANGE_TAXONOMY_ID = derived_id("taxonomy", EXCHANGE_TAXONOMY_NAME)
EXCHANGE_LINK_TYPES = ("offers", "needs")


def exchange_taxonomy() -> dict[str, Any]:
    """Return the offers/needs vocabulary as an ORUK taxonomy."""
    return {
        "id": EXCHANGE_TAXONOMY_ID,
        "name": EXCHANGE_TAXONOMY_NAME,
        "description": "What community groups offer one another and need (a room, volunteers, a kitchen ...); "
        "attributes with link_type 'offers' or 'needs' use its terms.",
        "version": "1",
    }


def exchange_term(item) -> dict[str, Any]:
    """Return a vocabulary item (webmap.groups.vocabulary.Item) as an ORUK taxonomy term."""
    return {
        "id": derived_id("exchange", item.id),
        "name": item.label,
        "description": item.description or item.label,
        "taxonomy": EXCHANGE_TAXONOMY_NAME,
        "taxonomy_id": EXCHANGE_TAXONOMY_ID,
        "term": item.id,
    }


def _exchange_of(asset: Asset):
    from webmap.groups.listings import exchanges_for

    return exchanges_for([asset.id])[asset.id]


def exchange_attributes(asset: Asset, exchange=None) -> list[dict[str, Any]]:
    """Return what the asset offers and needs as attributes (free text as a term of its own, term "other")."""
    from webmap.groups.vocabulary import items_by_id

    exchange = _exchange_of(asset) if exchange is None else exchange
    items, sid, out = items_by_id(), service_id(asset), []
    for direction in EXCHANGE_LINK_TYPES:
        for item_id in getattr(exchange, direction):
            if item_id in items:
                term = exchange_term(items[item_id])
                out.append(
                    {
                        "id": derived_id("attribute", sid, direction, item_id),
                        "link_id": sid,
                        "link_type": direction,
                        "taxonomy_term_id": term["id"],
                        "taxonomy_term": term,
                    }
                )
        text = getattr(exchange, f"{direction}_text")
        if text:
            term = {
                "id": derived_id("exchange-text", sid, direction),
                "name": text[:200],
                "description": text,
                "taxonomy": EXCHANGE_TAXONOMY_NAME,
                "taxonomy_id": EXCHANGE_TAXONOMY_ID,
                "term": "other",
            }
            out.append(
                {
                    "id": derived_id("attribute", sid, direction, "other"),
                    "link_id": sid,
                    "link_type": direction,
                    "taxonomy_term_id": term["id"],
                    "taxonomy_term": term,
                }
            )
    return out


def service_at_location_id(asset: Asset) -> str:
    """Return the id of the link between the asset's service and its location."""
    return derived_id("service_at_location", service_id(asset))


def service_full(asset: Asset, exchange=None) -> dict[str, Any]:
    """Return the asset as a fully nested ORUK service (exchange: its offers and needs, when already loaded)."""
    sid = service_id(asset)
    data = service_summary(asset)
    if asset.opening_times:
        data["schedules"] = [{"id": derived_id("schedule", sid), "service_id": sid, "description": asset.opening_times}]
    data["service_at_locations"] = [
        {
            "id": service_at_location_id(asset),
            "service_id": sid,
            "location_id": derived_id("location", sid),
            "location": location(asset, full=True),
        }
    ]
    data["attributes"] = attributes(asset) + exchange_attributes(asset, exchange)
    return data


def service_at_location(asset: Asset, full: bool) -> dict[str, Any]:
    """Return the link of the asset's service and location (list shape, or fully nested)."""
    sid = service_id(asset)
    return {
        "id": service_at_location_id(asset),
        "service_id": sid,
        "location_id": derived_id("location", sid),
        "location": location(asset, full=full),
        "service": service_full(asset) if full else service_summary(asset),
    }


def page(contents: list, total: int, number: int, per_page: int) -> dict[str, Any]:
    """Return one page of a paginated ORUK list."""
    pages = max(1, -(-total // per_page))
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": number,
        "size": len(contents),
        "first_page": number == 1,
        "last_page": number >= pages,
        "empty": len(contents) == 0,
        "contents": contents,
    }


def service_package(assets: Iterable[Asset] | None = None) -> list[dict[str, Any]]:
    """Return every approved asset as a fully nested service (the ORUK service_package shape)."""
    from webmap.groups.listings import exchanges_for
    from webmap.opendata.exports import approved_assets

    assets = approved_assets() if assets is None else list(assets)
    exchanges = exchanges_for([a.id for a in assets])
    return [service_full(a, exchanges[a.id]) for a in assets]


# --- The ORUK JSON Schemas (read from a folder; they are CC BY-SA and not copied into the repo) ---


def find_schema_dir(given: str | Path | None = None) -> Path | None:
    """Return the folder holding the ORUK schemas (with compiled/), or None when there is none."""
    shared = os.environ.get("WEBMAP_SHARED_ORUK")
    candidates = [
        given,
        os.environ.get("WEBMAP_ORUK_SCHEMA_DIR"),
        Path(shared) / "schema" if shared else None,
        REPO_ROOT.parent / "shared" / "oruk" / "schema",
    ]
    try:
        from flask import current_app

        candidates.insert(1, current_app.config.get("ORUK_SCHEMA_DIR"))
    except RuntimeError:  # outside an app context
        pass
    for candidate in candidates:
        if candidate and (Path(candidate) / "compiled" / "service.json").exists():
            return Path(candidate)
    return None


@lru_cache(maxsize=8)
def _registry(folder: str):
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resources = []
    for path in sorted(Path(folder).glob("*.json")) + sorted(Path(folder).glob("compiled/*.json")):
        if path.name == "openapi.json":
            continue
        contents = json.loads(path.read_text(encoding="utf-8"))
        # Per-object schemas refer to each other by bare file name ("attribute.json").
        resources.append(
            (str(path.relative_to(folder)), Resource.from_contents(contents, default_specification=DRAFT202012))
        )
    return Registry().with_resources(resources)


def validator(folder: str | Path, name: str):
    """Return a JSON Schema validator for one ORUK schema, e.g. "compiled/service.json"."""
    return _validator(str(folder), name)


@lru_cache(maxsize=32)
def _validator(folder: str, name: str):
    from jsonschema import Draft202012Validator

    registry = _registry(folder)
    schema = registry.contents(name)
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def schema_errors(folder: str | Path, name: str, instance: Any, prefix: str = "$") -> list[tuple[str, str]]:
    """Return (JSON path, reason) for everything in the instance that breaks the schema."""
    errors = sorted(validator(folder, name).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    out = []
    for error in errors:
        path = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        out.append((path, error.message))
    return out
