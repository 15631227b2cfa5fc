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
    """Return approved assets that neither a person nor their source checked since the cutoff, oldest first.

    An imported record whose source states a recent date (a register's extract date), or that the
    latest import of its register contained (source_checked_at), is not stale: the register is
    refreshed by importing it again, not by a person checking each record. Its "last checked"
    stays empty until a person checks it.
    """
    cutoff = stale_cutoff(months)
    return (
        select(Asset)
        .where(
            Asset.status == "approved",
            or_(Asset.last_verified_at.is_(None), Asset.last_verified_at < cutoff),
            or_(Asset.source_date.is_(None), Asset.source_date < cutoff.date().isoformat()),
            or_(Asset.source_checked_at.is_(None), Asset.source_checked_at < cutoff),
        )
        .order_by(
            Asset.last_verified_at.is_not(None),
            Asset.last_verified_at,
            Asset.source_date.is_not(None),
            Asset.source_date,
            Asset.id,
        )
    )
