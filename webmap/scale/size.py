"""How big the area is, and so whether maps load by view and derived tables refresh in the background."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from webmap.core.db import db
from webmap.core.models import Asset, Ward, asset_categories


def by_view() -> bool:
    """Say whether maps should load by view: more wards or places than a page can carry."""
    config = current_app.config
    return ward_count() > int(config["VIEWPORT_ABOVE_WARDS"]) or approved_count() > int(config["VIEWPORT_ABOVE_PLACES"])


def ward_count() -> int:
    """Return how many wards are loaded."""
    return db.session.scalar(select(func.count()).select_from(Ward))


def approved_count(category: str | None = None) -> int:
    """Return how many approved places there are (in a category)."""
    query = select(func.count()).select_from(Asset).where(Asset.status == "approved")
    if category:
        query = query.where(
            Asset.id.in_(select(asset_categories.c.asset_id).where(asset_categories.c.category_id == category))
        )
    return db.session.scalar(query)
