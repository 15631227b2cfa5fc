"""The purge-personal-data command, for a daily cron job."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from webmap.core.db import db
from webmap.privacy.personal_data import purge_expired


@click.command("purge-personal-data")
@with_appcontext
@click.option("--months", type=int, help="Retention period (default: the PERSONAL_DATA_RETENTION_MONTHS setting).")
def purge_command(months: int | None) -> None:
    """Erase submitters' and reporters' contact details and IP addresses older than the retention period."""
    months = int(months if months is not None else current_app.config["PERSONAL_DATA_RETENTION_MONTHS"])
    if months < 1:
        raise click.ClickException(f"The retention period must be at least 1 month, not {months}.")
    try:
        counts = purge_expired(months)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    click.echo(f"Erased personal details from {counts['assets']} place{'s' if counts['assets'] != 1 else ''} and "
               f"{counts['change_requests']} change report{'s' if counts['change_requests'] != 1 else ''} "
               f"collected more than {months} months ago.")
