"""The worker's mail schedules: the moderators' digest (hourly) and the stale-listing re-checks (daily)."""

from __future__ import annotations

from flask import current_app

from webmap.core import queue
from webmap.notify.digest import count_of, send_digest
from webmap.notify.recheck import send_rechecks


@queue.scheduled("SCHEDULE_DIGEST", "notify.digest", "Moderators' digest")
def digest_task() -> str:
    """Queue the digest for each moderator who wants it; say what went."""
    result = send_digest()
    if result.skipped:
        return f"No digest: {result.skipped}."
    return (
        f"Digest ({count_of(result.places, 'new place')}, {count_of(result.changes, 'change report')}) "
        f"queued for {result.sent_to} staff."
    )


@queue.scheduled("SCHEDULE_RECHECKS", "notify.rechecks", "Re-check requests to stale listings")
def rechecks_task() -> str:
    """Queue a re-check request to each stale listing's public email; say how many."""
    sent = send_rechecks(int(current_app.config["STALE_AFTER_MONTHS"]))
    return f"{sent} re-check request{'s' if sent != 1 else ''} queued."
