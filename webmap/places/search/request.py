"""Read and check the home map's search: what the URL asks for, with a plain message per mistake.

Everything lives in the query string (q, near, radius, category, kind, ward, and the view: lat, lon,
zoom), so a link reproduces what someone saw, and the form works without JavaScript.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from webmap.core import store
from webmap.core.geo import normalise_postcode
from webmap.core.models import ASSET_KINDS
from webmap.places.search.filtering import split_near
from webmap.places.search.wards import wards_called

DEFAULT_RADIUS_M = 1000
RADIUS_CHOICES = (500, 1000, 2000, 5000)
MIN_ZOOM, MAX_ZOOM = 1, 19
NO_POSTCODES = _l(
    "Postcode search is not set up on this map yet (no postcode table has been loaded). "
    "Search for a ward's name instead, choose a ward from the list, or move the map"
)


@dataclass
class MapSearch:
    """A checked search of the home map; empty strings and None mean "not asked"."""

    words: str = ""
    place: str = ""
    radius_m: float = DEFAULT_RADIUS_M
    category: str | None = None
    kind: str | None = None
    ward: str | None = None
    near: tuple[float, float] | None = None  # (lon, lat) of the place, once found
    near_label: str = ""
    view: tuple[float, float, int] | None = None  # (lat, lon, zoom) from the URL
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def bad_url(self) -> bool:
        """Say whether the URL holds a value no form control offers (a hand-edited or stale link)."""
        return bool(self.errors.keys() & {"category", "kind", "ward", "radius"})

    @property
    def active(self) -> bool:
        """Say whether any filter narrows the places shown."""
        return bool(self.words or self.near or self.category or self.kind or self.ward)

    def args(self) -> dict[str, str]:
        """Return the filters as query-string arguments (for pager links and the shareable link)."""
        out = {
            "q": self.words,
            "near": self.place,
            "category": self.category or "",
            "kind": self.kind or "",
            "ward": self.ward or "",
        }
        if self.place and self.radius_m != DEFAULT_RADIUS_M:
            out["radius"] = f"{self.radius_m:g}"
        if self.view:
            out.update(lat=f"{self.view[0]:.5f}", lon=f"{self.view[1]:.5f}", zoom=str(self.view[2]))
        return {k: v for k, v in out.items() if v}


def _number(raw: str | None) -> float | None:
    try:
        value = float((raw or "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _view(args: MultiDict, errors: dict[str, str]) -> tuple[float, float, int] | None:
    """Return (lat, lon, zoom) when the URL gives all three, else None (a partial view is ignored)."""
    raw = [args.get(k, "").strip() for k in ("lat", "lon", "zoom")]
    if not all(raw):
        return None
    lat, lon, zoom = (_number(r) for r in raw)
    if (
        lat is None
        or lon is None
        or zoom is None
        or not -90 <= lat <= 90
        or not -180 <= lon <= 180
        or not MIN_ZOOM <= zoom <= MAX_ZOOM
    ):
        errors["view"] = _(
            "The map view in this link is not valid (latitude -90 to 90, longitude -180 to 180, "
            "zoom %(low)s to %(high)s), so the whole area is shown",
            low=MIN_ZOOM,
            high=MAX_ZOOM,
        )
        return None
    return lat, lon, int(zoom)


def find_place(text: str) -> tuple[tuple[float, float] | None, str, str | None]:
    """Return ((lon, lat), label, None) for a postcode or a ward's English or Welsh name, or (None, "", message)."""
    postcode = normalise_postcode(text)
    if postcode:
        if not store.postcodes_loaded():
            return None, "", str(NO_POSTCODES)
        found = store.lookup_postcode(postcode)
        if found is None:
            return (
                None,
                "",
                _(
                    "We could not find the postcode %(postcode)s in this area. Check it, or search for a ward's name",
                    postcode=postcode,
                ),
            )
        return (found.lon, found.lat), postcode, None
    # Case, accents, apostrophes and punctuation ignored, and either language's name: "st marys" finds
    # St Mary's, "Llechan Lan" Llechan Lân, "Aberdovey" and "Aberdyfi" the same ward.
    found = wards_called(text)
    codes = [ward.code for ward in found]
    if not codes:
        if store.postcodes_loaded():
            message = _(
                "We could not find a postcode or ward called '%(text)s'. Try a ward's name or a full postcode",
                text=text,
            )
        else:
            message = _(
                "We could not find a postcode or ward called '%(text)s' (postcode search is not set up on this "
                "map yet). Try a ward's name or a full postcode",
                text=text,
            )
        return None, "", message
    point = store.wards_centre(codes)
    label = found[0].label if len(found) == 1 else _("%(text)s (%(count)s wards)", text=text, count=len(found))
    return point, label, None


def parse_map_search(args: MultiDict, categories: dict[str, str]) -> MapSearch:
    """Return the checked search; mistakes are in .errors, keyed by the form field they belong to."""
    errors: dict[str, str] = {}
    words, place = split_near(args.get("q", ""))
    place = " ".join((args.get("near") or "").split()) or place
    search = MapSearch(words=words, place=place, errors=errors)

    category = (args.get("category") or "").strip()
    if category and category not in categories:
        errors["category"] = _("'%(category)s' is not a category on this map", category=category)
    search.category = category if category in categories else None
    kind = (args.get("kind") or "").strip()
    if kind and kind not in ASSET_KINDS:
        errors["kind"] = _("Kind must be one of: %(kinds)s", kinds=", ".join(ASSET_KINDS))
    search.kind = kind if kind in ASSET_KINDS else None
    wards = store.ward_names()
    ward = (args.get("ward") or "").strip()
    if ward and ward not in {code for code, _ in wards}:
        errors["ward"] = _("There is no ward with the code '%(ward)s' on this map", ward=ward)
    search.ward = ward if ward and "ward" not in errors else None

    radius = args.get("radius")
    if radius:
        value = _number(radius)
        if value is None or not 100 <= value <= 10_000:
            errors["radius"] = _(
                "Distance must be a number of metres between %(low)s and %(high)s",
                low=format_decimal(100),
                high=format_decimal(10_000),
            )
        else:
            search.radius_m = value
    if place:
        search.near, search.near_label, message = find_place(place)
        if message:
            errors["near"] = message
    search.view = _view(args, errors)
    return search
