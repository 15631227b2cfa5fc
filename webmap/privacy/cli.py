"""The purge-personal-data command, for a daily cron job."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from webmap.core.db import db
from webmap.privacy.personal_data import purge_expired
from webmap.privacy.register import REGISTER


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


@click.command("purge-personal-data")
@with_appcontext
@click.option(
    "--months",
    type=int,
    help="Retention period for submitters' and reporters' details "
    "(default: the PERSONAL_DATA_RETENTION_MONTHS setting).",
)
def purge_command(months: int | None) -> None:
    """Erase every kind of personal data past its retention period in the register (webmap/privacy/register.py)."""
    default = int(current_app.config["PERSONAL_DATA_RETENTION_MONTHS"])
    months = int(months if months is not None else default)
    if months < 1:
        raise click.ClickException(f"The retention period must be at least 1 month, not {months}.")
    try:
        counts = purge_expired(months)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    click.echo(
        f"Erased personal details from {_n(counts['submitters'], 'place')} and "
        f"{_n(counts['change_reports'], 'change report')} collected more than {months} months ago."
    )
    for holding in REGISTER:
        if holding.key not in ("submitters", "change_reports") and counts.get(holding.key):
            click.echo(
                f"  and {_n(counts[holding.key], 'record')} of {holding.whose} "
                f"({holding.retention.describe(current_app.config)})."
            )
