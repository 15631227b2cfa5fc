"""Search a big area's places in the database, with the same answers as the small-area search.

The database narrows the places first (category, kind, ward, the box around "near", and each
keyword somewhere in the name, description, address or a category label), then the small-area
filters (webmap.search.filter_assets) run on what is left, so both sizes agree on every match.
At most MAX_READ places are read for one search; a search that matches more is refused with a
message asking to narrow it, rather than answered partly.
"""
from __future__ import annotations

import re

import geopandas as gpd
from sqlalchemy import func, or_, select

from .. import store
from ..models import Asset, asset_categories
from ..partners.nearby import bounding_box

MAX_READ = 5000


class TooMany(Exception):
    """More places match than one page can carry."""


def searched_places(search, labels: dict[str, str]) -> gpd.GeoDataFrame:
    """Return the approved places matching the search (as webmap.views.main.searched_places does), or raise TooMany."""
    from ..places import one_row_per_place
    from ..search import filter_assets

    clauses = [_kind(search.kind), *_keywords(search.words, labels)]
    bbox = bounding_box(*search.near, search.radius_m) if search.near else None
    assets = store.assets_frame(category=search.category, ward=search.ward, bbox=bbox,
                                where=[c for c in clauses if c is not None], limit=MAX_READ + 1)
    if assets["asset_id"].nunique() > MAX_READ:
        raise TooMany(f"More than {MAX_READ:,} places match this search. Add a keyword, a place to search near, "
                      "a kind or a ward to narrow it.")
    wards = store.wards_frame(sorted(set(assets["ward_code"].dropna())))
    assets["ward_name"] = assets["ward_code"].map(dict(zip(wards["code"], wards["name"])))
    # A place kept outside the area has no ward: None, which the list says in words (never NaN, shown as "nan").
    assets["ward_name"] = assets["ward_name"].astype(object).where(assets["ward_name"].notna(), None)
    assets["category_labels"] = assets["categories"].fillna("").map(
        lambda ids: ", ".join(labels.get(c, c) for c in ids.split(";") if c))
    found = filter_assets(assets, search.words, search.kind, search.ward, search.near, search.radius_m)
    places = one_row_per_place(found)
    return places.sort_values(["distance_m", "name"]) if search.near else places


def _kind(kind: str | None):
    return Asset.kind == kind if kind else None


def _keywords(words: str, labels: dict[str, str]) -> list:
    """One clause per keyword: it appears in a text column or a category label (a superset of the exact match)."""
    clauses = []
    for term in [t for t in re.split(r"\s+", (words or "").strip().lower()) if t]:
        if not term.isascii():
            continue  # SQL lower() folds ASCII only; the exact filter afterwards still applies this word
        labelled = [cid for cid, label in labels.items() if term in label.lower()]
        options = [func.lower(column).contains(term, autoescape=True)
                   for column in (Asset.name, Asset.description, Asset.address)]
        if labelled:
            options.append(Asset.id.in_(select(asset_categories.c.asset_id)
                                        .where(asset_categories.c.category_id.in_(labelled))))
        clauses.append(or_(*options))
    return clauses
