"""Search a big area's places in the database, with the same answers as the small-area search.

The database narrows the places first (category, kind, ward, the box around "near", and each
keyword somewhere in the name, description, address or a category label), then the small-area
filters (webmap.places.search.filter_assets) run on what is left, so both sizes agree on every match.
At most MAX_READ places are read for one search; a search that matches more is refused with a
message asking to narrow it, rather than answered partly.
"""

from __future__ import annotations

import re

import geopandas as gpd
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import or_, select

from webmap.core import store
from webmap.core.geo import bounding_box
from webmap.core.models import Asset, asset_categories
from webmap.core.text import fold

MAX_READ = 5000


class TooMany(Exception):
    """More places match than one page can carry."""


def searched_places(search, labels: dict[str, str]) -> gpd.GeoDataFrame:
    """Return the approved places matching the search (as webmap.places.home.searched_places does), or raise TooMany."""
    from webmap.places import one_row_per_place
    from webmap.places.search import filter_assets

    clauses = [_kind(search.kind), *_keywords(search.words, labels)]
    bbox = bounding_box(*search.near, search.radius_m) if search.near else None
    assets = store.assets_frame(
        category=search.category,
        ward=search.ward,
        bbox=bbox,
        where=[c for c in clauses if c is not None],
        limit=MAX_READ + 1,
    )
    if assets["asset_id"].nunique() > MAX_READ:
        raise TooMany(
            _(
                "More than %(count)s places match this search. Add a keyword, a place to search near, "
                "a kind or a ward to narrow it.",
                count=format_decimal(MAX_READ),
            )
        )
    wards = store.wards_frame(sorted(set(assets["ward_code"].dropna())))
    assets["ward_name"] = assets["ward_code"].map(dict(zip(wards["code"], wards["name"])))
    # A place kept outside the area has no ward: None, which the list says in words (never NaN, shown as "nan").
    assets["ward_name"] = assets["ward_name"].astype(object).where(assets["ward_name"].notna(), None)
    assets["category_labels"] = (
        assets["categories"].fillna("").map(lambda ids: ", ".join(labels.get(c, c) for c in ids.split(";") if c))
    )
    found = filter_assets(assets, search.words, search.kind, search.ward, search.near, search.radius_m)
    places = one_row_per_place(found)
    return places.sort_values(["distance_m", "name"]) if search.near else places


def _kind(kind: str | None):
    return Asset.kind == kind if kind else None


def _keywords(words: str, labels: dict[str, str]) -> list:
    """One clause per keyword: it appears in the folded text or a category label (a superset of the exact match).

    The database compares folded with folded (`assets.search_text`, written in Python by search.text.fold),
    so SQLite and PostGIS narrow alike: neither database's own lower() or collation is used.
    """
    clauses = []
    for term in [f for f in (fold(t) for t in re.split(r"\s+", (words or "").strip())) if f]:
        labelled = [cid for cid, label in labels.items() if term in fold(label)]
        options = [Asset.search_text.contains(term, autoescape=True)]
        if labelled:
            options.append(
                Asset.id.in_(select(asset_categories.c.asset_id).where(asset_categories.c.category_id.in_(labelled)))
            )
        clauses.append(or_(*options))
    return clauses
