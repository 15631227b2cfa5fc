"""Read and check a "what is near here" request, for the partners form and /api/nearby alike."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from webmap.core import store
from webmap.core.geo import normalise_postcode
from webmap.core.models import ASSET_KINDS
from webmap.partners.nearby import MATCHES, area_bounds, metres_outside
from webmap.places.search.postcodes import not_set_up

DEFAULT_RADIUS_M = 1000
MAX_RADIUS_M = 10_000
# A point further than this outside the wards' bounding box is not in the area this map covers.
FAR_OUTSIDE_M = 50_000
# How /api/nearby names each field in its error messages.
FIELD_NAMES_API = {
    "postcode": "postcode (or lat and lon)",
    "lat": "lat",
    "lon": "lon",
    "radius": "radius",
    "category": "category",
    "match": "match",
    "kind": "kind",
}


@dataclass
class NearbySearch:
    """A checked search: where, how far, and what."""

    lon: float
    lat: float
    radius_m: float
    categories: list[str] = field(default_factory=list)
    match: str = "any"
    kind: str | None = None
    place: str = ""  # how the place was given, for headings: a postcode or "the chosen point" (translated)

    def query_args(self) -> dict:
        """Return the filters as keyword arguments for webmap.partners.nearby."""
        return {"categories": self.categories or None, "match": self.match, "kind": self.kind}


def _number(args: MultiDict, name: str, not_a_number: str, errors: dict[str, str]) -> float | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        errors[name] = not_a_number
        return None
    return value


def selected_categories(args: MultiDict) -> list[str]:
    """Return the category ids asked for (repeated ?category= or comma-separated), in order, once each."""
    values = [part.strip() for raw in args.getlist("category") for part in raw.split(",")]
    return list(dict.fromkeys(v for v in values if v))


def parse_radius(args: MultiDict, default: float, errors: dict[str, str]) -> float | None:
    """Return ?radius= in metres (the default when blank), or None after recording a mistake."""
    radius = _number(args, "radius", _("Radius must be a number, like %(example)s", example="1000"), errors)
    if radius is None:
        return None if "radius" in errors else float(default)
    if not 1 <= radius <= MAX_RADIUS_M:
        errors["radius"] = _("Radius must be between 1 and %(max)s metres", max=format_decimal(MAX_RADIUS_M))
        return None
    return radius


def parse_search(
    args: MultiDict, default_radius: float = DEFAULT_RADIUS_M, labels: dict[str, str] | None = None
) -> tuple[NearbySearch | None, dict[str, str]]:
    """Return the search and {field name: plain-English message} for every mistake in it."""
    errors: dict[str, str] = {}
    labels = store.category_labels() if labels is None else labels

    radius = parse_radius(args, default_radius, errors)

    categories = selected_categories(args)
    unknown = [c for c in categories if c not in labels]
    if unknown:
        errors["category"] = ngettext(
            "%(names)s is not a category on this map",
            "%(names)s are not categories on this map",
            len(unknown),
            names=", ".join(repr(c) for c in unknown),
        )
    match = (args.get("match") or "any").strip()
    if match not in MATCHES:
        errors["match"] = _("Choose whether places must offer any or all of the categories")
    kind = (args.get("kind") or "").strip() or None
    if kind and kind not in ASSET_KINDS:
        errors["kind"] = _("Kind must be one of: %(kinds)s", kinds=", ".join(ASSET_KINDS))

    lon, lat, place = _place(args, errors)
    if errors or lon is None or lat is None:
        return None, errors
    return NearbySearch(lon, lat, radius, categories, match, kind, place), errors


def _place(args: MultiDict, errors: dict[str, str]) -> tuple[float | None, float | None, str]:
    """Return (lon, lat, description) from a postcode or a point, recording any mistake."""
    raw_postcode = (args.get("postcode") or "").strip()
    if raw_postcode:
        postcode = normalise_postcode(raw_postcode)
        if postcode is None:
            errors["postcode"] = _("Enter a full UK postcode, like %(example)s", example="OL1 1AA")
            return None, None, ""
        found = store.lookup_postcode(postcode)
        if found is None and not store.postcodes_loaded():
            errors["postcode"] = not_set_up("point")
            return None, None, ""
        if found is None:
            errors["postcode"] = _(
                "We could not find the postcode %(postcode)s in this area. Check it, or choose a point on the map",
                postcode=postcode,
            )
            return None, None, ""
        return found.lon, found.lat, postcode

    lat = _number(args, "lat", _("Latitude must be a number, like %(example)s", example="53.54"), errors)
    lon = _number(args, "lon", _("Longitude must be a number, like %(example)s", example="-2.63"), errors)
    if "lat" in errors or "lon" in errors:
        return None, None, ""
    if lat is None and lon is None:
        errors["postcode"] = _("Enter a postcode, or choose a point on the map (latitude and longitude)")
        return None, None, ""
    if lat is None:
        errors["lat"] = _("Enter a latitude as well as a longitude")
        return None, None, ""
    if lon is None:
        errors["lon"] = _("Enter a longitude as well as a latitude")
        return None, None, ""
    if not -90 <= lat <= 90:
        errors["lat"] = _("Latitude must be between -90 and 90")
    if not -180 <= lon <= 180:
        errors["lon"] = _("Longitude must be between -180 and 180")
    if errors.keys() & {"lat", "lon"}:
        return None, None, ""
    bounds = area_bounds()
    if bounds is not None:
        outside = metres_outside(lon, lat, bounds)
        if outside > FAR_OUTSIDE_M:
            errors["lat"] = _(
                "That point is %(km)s km outside the area this map covers. Choose a point in the area",
                km=format_decimal(round(outside / 1000)),
            )
            return None, None, ""
    return lon, lat, _("the chosen point")
