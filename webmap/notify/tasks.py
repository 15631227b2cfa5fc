"""The worker's mail schedules: the moderators' digest (hourly) and the stale-listing re-checks (daily)."""

from __future__ import annotations

from flask import current_app

from webmap.core import english, queue
from webmap.notify.digest import send_digest
from webmap.notify.recheck import send_rechecks


@queue.scheduled("SCHEDULE_DIGEST", "notify.digest", english._("Moderators' digest"))
def digest_task() -> str:
    """Queue the digest for each moderator who wants it; say what went."""
    result = send_digest()
    if result.skipped:
        return english._("No digest: %(why)s.", why=result.skipped)
    return english._(
        "Digest (%(places)s, %(changes)s) queued for %(staff)d staff.",
        places=english.ngettext("%(num)d new place", "%(num)d new places", result.places, num=result.places),
        changes=english.ngettext("%(num)d change report", "%(num)d change reports", result.changes, num=result.changes),
        staff=result.sent_to,
    )


@queue.scheduled("SCHEDULE_RECHECKS", "notify.rechecks", english._("Re-check requests to stale listings"))
def rechecks_task() -> str:
    """Queue a re-check request to each stale listing's public email; say how many."""
    sent = send_rechecks(int(current_app.config["STALE_AFTER_MONTHS"]))
    return english.ngettext("%(num)d re-check request queued.", "%(num)d re-check requests queued.", sent, num=sent)
