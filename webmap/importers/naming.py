"""Name a record its source left unnamed from what it is and where it is ("Place of worship, Union Street").

Pure functions: no Flask and no database.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^\s*(?:flat|unit)?\s*[\d/\-]+[a-z]?\b[,\s]*", re.I)
# Address parts that name a building or an area rather than a street are poorer "where"s.
_STREETISH = re.compile(
    r"\b(street|st|road|rd|lane|ln|avenue|ave|way|drive|close|place|square|terrace|hill|row|"
    r"gardens|grove|crescent|walk|parade|green|court|heol|ffordd|stryd)\b\.?$",
    re.I,
)


def what_it_is(*candidates: object) -> str:
    """Return the first usable description as a phrase in sentence case ("PLACE_OF_WORSHIP" -> "Place of worship")."""
    for candidate in candidates:
        if candidate is None or (isinstance(candidate, float) and candidate != candidate):
            continue
        words = " ".join(str(candidate).replace("_", " ").split())
        if words:
            return words[0].upper() + words[1:].lower()
    return "Place"


def street_of(address: object) -> str | None:
    """Return the street of an address ("12 Union Street, Oldham" -> "Union Street"), or None."""
    if not isinstance(address, str):
        return None
    parts = [_NUMBER.sub("", p).strip() for p in address.split(",")]
    parts = [p for p in parts if p and not p.isdigit()]
    for part in parts:
        if _STREETISH.search(part):
            return part
    return None


def unnamed_name(what: str, address: object = None, ward_name: object = None, postcode: object = None) -> str:
    """Return "What, where": the street, else the ward, else the postcode; just "What" when nothing says where."""
    where = street_of(address)
    if not where and isinstance(ward_name, str) and ward_name.strip():
        where = ward_name.strip()
    if not where and isinstance(postcode, str) and postcode.strip():
        where = postcode.strip()
    return f"{what}, {where}" if where else what
