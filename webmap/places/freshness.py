"""Which approved places are out of date: neither a person nor their source has checked them lately."""
from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import or_, select

from webmap.core.models import Asset, utcnow


def stale_cutoff(months: int, now: datetime | None = None) -> datetime:
    """Return the date before which a check counts as out of date."""
    return (now or utcnow()) - relativedelta(months=months)


def stale_query(months: int):
    """Return approved assets that neither a person checked nor their source dated since the cutoff, oldest first.

    An imported record whose source states a recent date (a register's extract date) is not
    stale; its "last checked" stays empty until a person checks it.
    """
    cutoff = stale_cutoff(months)
    return (select(Asset).where(Asset.status == "approved",
                                or_(Asset.last_verified_at.is_(None), Asset.last_verified_at < cutoff),
                                or_(Asset.source_date.is_(None), Asset.source_date < cutoff.date().isoformat()))
            .order_by(Asset.last_verified_at.is_not(None), Asset.last_verified_at, Asset.source_date.is_not(None),
                      Asset.source_date, Asset.id))
