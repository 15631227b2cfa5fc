"""The worker's daily erasure of residents' follow-up email addresses past their retention period."""

from __future__ import annotations

from flask import current_app

from webmap.core import english, queue
from webmap.core.db import db
from webmap.feedback.followups import erase_expired


@queue.scheduled(
    "SCHEDULE_FOLLOWUP_ERASURE", "feedback.erase_followups", english._("Erase follow-up email addresses past retention")
)
def erase_followups_task() -> str:
    """Erase follow-up addresses older than FOLLOWUP_RETENTION_MONTHS; say how many."""
    months = int(current_app.config["FOLLOWUP_RETENTION_MONTHS"])
    erased = erase_expired(months)
    db.session.commit()
    return english.ngettext(
        "Erased %(num)d email address given more than %(months)d months ago.",
        "Erased %(num)d email addresses given more than %(months)d months ago.",
        erased,
        num=erased,
        months=months,
    )
