"""Places in the reader's language: Welsh names of wards, categories and places, and the words scripts show.

The data frames the map and the list are built from (webmap.core.store) carry the English names;
for a Welsh reader the Welsh name (Ward.name_cy, Asset.name_cy, Category.label_cy) replaces it
where there is one. Scripts in webmap/static carry no English: their words come from
`map_words()`, rendered into each map page as a JSON block (docs/welsh.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset, Ward
from webmap.web.language import language, pick

# Kinds of place (Asset.kind): the capitalised word the filters and a place's page show, and the
# lower-case word a search summary uses ("Places of kind group.").
KIND_NAMES = {"group": _l("Group"), "business": _l("Business"), "venue": _l("Venue"), "service": _l("Service")}
KIND_WORDS = {"group": _l("group"), "business": _l("business"), "venue": _l("venue"), "service": _l("service")}


def welsh() -> bool:
    """Say whether this request is shown in Welsh."""
    return language() == "cy"


def category_labels(categories) -> dict[str, str]:
    """Return {category id: label in the reader's language}."""
    return {c.id: pick(c.label, c.label_cy) for c in categories}


def ward_names_cy(codes: Iterable[str] | None = None) -> dict[str, str]:
    """Return {ward code: Welsh name} for the wards that have one (all wards, or only these)."""
    query = select(Ward.code, Ward.name_cy).where(Ward.name_cy.is_not(None), Ward.name_cy != "")
    if codes is not None:
        query = query.where(Ward.code.in_(list(codes)))
    return dict(db.session.execute(query).all())


def asset_names_cy(ids: Iterable[int]) -> dict[int, str]:
    """Return {asset id: Welsh name} for these places where one was given."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return {}
    query = select(Asset.id, Asset.name_cy).where(Asset.name_cy.is_not(None), Asset.name_cy != "")
    out: dict[int, str] = {}
    for start in range(0, len(wanted), 5000):
        out.update(db.session.execute(query.where(Asset.id.in_(wanted[start : start + 5000]))).all())
    return out


def ward_choices(wards: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return (code, name) pairs with Welsh names for a Welsh reader, in the order of those names."""
    if not welsh():
        return wards
    names = ward_names_cy()
    return sorted(((code, names.get(code) or name) for code, name in wards), key=lambda pair: pair[1].casefold())


def wards_in_reader_language(wards):
    """Return the wards frame with `name` in the reader's language (the same frame for English)."""
    if not welsh() or wards.empty:
        return wards
    names = ward_names_cy()
    if not names:
        return wards
    out = wards.copy()
    out["name"] = [names.get(code) or name for code, name in zip(out["code"], out["name"])]
    return out


def places_in_reader_language(assets):
    """Return the places frame with `name` and `ward_name` in the reader's language (the same frame for English)."""
    if not welsh() or assets.empty:
        return assets
    out = assets.copy()
    if "name_cy" in out.columns:  # read with the places: no need to ask again
        names = {int(i): n for i, n in zip(out["asset_id"], out["name_cy"]) if isinstance(n, str) and n}
    else:
        names = asset_names_cy(out["asset_id"])
    if names:
        out["name"] = [names.get(int(i)) or n for i, n in zip(out["asset_id"], out["name"])]
    if "ward_name" in out.columns and "ward_code" in out.columns:
        wards = ward_names_cy()
        out["ward_name"] = [
            (wards.get(code) or name) if isinstance(code, str) else name
            for code, name in zip(out["ward_code"], out["ward_name"])
        ]
    elif "ward_name" in out.columns:  # a page of the big-area list names its wards without their codes
        by_name = _welsh_by_english_name()
        out["ward_name"] = [by_name.get(name, name) if isinstance(name, str) else name for name in out["ward_name"]]
    return out


def _welsh_by_english_name() -> dict[str, str]:
    query = select(Ward.name, Ward.name_cy).where(Ward.name_cy.is_not(None), Ward.name_cy != "")
    return dict(db.session.execute(query).all())


def ward_rows_in_reader_language(rows: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Return (code, name, count) rows with each ward's Welsh name for a Welsh reader."""
    if not welsh():
        return rows
    names = ward_names_cy([code for code, _name, _count in rows])
    return [(code, names.get(code) or name, count) for code, name, count in rows]


def map_words() -> dict[str, str]:
    """Return the words the map scripts show (map-a11y.js, location-picker.js), translated."""
    words = {
        # map-a11y.js: the accessible name of every map.
        "map": _l("Map. Arrow keys move it; the plus and minus keys zoom in and out."),
        # location-picker.js: the pin on the "Add a place" and edit maps.
        "chosenPlace": _l("Chosen place"),
        "pinPlaced": _l("Pin placed at latitude %(lat)s, longitude %(lon)s. Drag the pin to move it."),
        "pinMoved": _l("Pin moved to latitude %(lat)s, longitude %(lon)s. Drag the pin to move it."),
        "pinCentre": _l(
            "Pin placed at the centre of the map, at latitude %(lat)s, longitude %(lon)s. Drag the pin to move it."
        ),
        "pinHere": _l("Pin placed at your location, at latitude %(lat)s, longitude %(lon)s. Drag the pin to move it."),
        "finding": _l("Finding your location…"),
        "notFound": _l(
            "We could not find your location (%(reason)s). Type a postcode or place the pin on the map instead."
        ),
    }
    return {key: str(value) for key, value in words.items()}
