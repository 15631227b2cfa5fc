"""The worker's daily retention purge of submitters' and reporters' personal details."""

from __future__ import annotations

from flask import current_app

from webmap.core import english, queue
from webmap.core.db import db
from webmap.privacy.personal_data import purge_expired


@queue.scheduled("SCHEDULE_PURGE", "privacy.purge", english._("Erase personal details past their retention period"))
def purge_task() -> str:
    """Erase what is past PERSONAL_DATA_RETENTION_MONTHS, and forget old task records; say how much."""
    months = int(current_app.config["PERSONAL_DATA_RETENTION_MONTHS"])
    counts = purge_expired(months)
    forgotten = queue.forget_older_than(int(current_app.config["TASK_HISTORY_DAYS"]))
    db.session.commit()
    # The counts are keyed by the register's holdings (webmap/privacy/register.py).
    others = sum(n for key, n in counts.items() if key not in ("submitters", "change_reports"))
    return english._(
        "Erased details from %(places)d place(s), %(reports)d change report(s) and %(others)d other record(s) "
        "older than %(months)d months; forgot %(tasks)d finished task record(s).",
        places=counts.get("submitters", 0),
        reports=counts.get("change_reports", 0),
        others=others,
        months=months,
        tasks=forgotten,
    )
