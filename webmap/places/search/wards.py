"""Find wards by what people type: either language's name, case, accents and apostrophes ignored.

The database narrows on `wards.search_text` (both names folded by webmap.core.text, kept apart by
NAME_BREAK; a trigram index serves it on PostGIS), then each name is compared here in Python, so
SQLite and PostGIS find the same wards. A name equal to what was typed wins over names that contain it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Ward
from webmap.core.text import fold
from webmap.web.language import pick


@dataclass(frozen=True)
class FoundWard:
    code: str
    name: str
    name_cy: str | None
    # The name to show: the one typed when it equals one of the names, else the reader's language's.
    label: str


def wards_called(typed: str) -> list[FoundWard]:
    """Return the wards whose English or Welsh name is what was typed, else those whose names contain it, by name."""
    wanted = fold(typed)
    if not wanted:
        return []
    rows = db.session.execute(
        select(Ward.code, Ward.name, Ward.name_cy)
        .where(Ward.search_text.contains(wanted, autoescape=True))
        .order_by(Ward.name, Ward.code)
    ).all()
    exact, partial = [], []
    for code, name, name_cy in rows:
        names = [n for n in (name, name_cy) if n]
        equal = [n for n in names if fold(n) == wanted]
        if equal:
            exact.append(FoundWard(code, name, name_cy, equal[0]))
        elif any(wanted in fold(n) for n in names):
            partial.append(FoundWard(code, name, name_cy, str(pick(name, name_cy))))
    return exact or partial
