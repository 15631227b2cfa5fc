"""Mail commands for cron: the moderators' digest and the stale-listing re-checks."""

from __future__ import annotations

import smtplib

import click
from flask import current_app
from flask.cli import with_appcontext

from webmap.core.db import db
from webmap.notify.digest import count_of, send_digest
from webmap.notify.mail import MailNotConfigured
from webmap.notify.recheck import send_rechecks


@click.command("send-digest")
@with_appcontext
def send_digest_command() -> None:
    """Email moderators the new places and change reports (at most once an hour; run it hourly from cron)."""
    try:
        result = send_digest()
    except (MailNotConfigured, OSError, smtplib.SMTPException) as error:
        db.session.rollback()
        raise click.ClickException(f"The digest was not sent: {error}") from error
    if result.skipped:
        click.echo(f"No digest sent: {result.skipped}.")
    else:
        click.echo(
            f"Sent the digest ({count_of(result.places, 'new place')}, {count_of(result.changes, 'change report')}) "
            f"to {result.sent_to} staff."
        )


@click.command("send-rechecks")
@with_appcontext
def send_rechecks_command() -> None:
    """Ask each stale listing's public email whether it is still right (once per stale period; run it daily)."""
    try:
        sent = send_rechecks(int(current_app.config["STALE_AFTER_MONTHS"]))
    except (MailNotConfigured, OSError, smtplib.SMTPException) as error:
        db.session.rollback()
        raise click.ClickException(f"Re-check requests stopped: {error}") from error
    click.echo(f"Sent {sent} re-check request{'s' if sent != 1 else ''}.")


COMMANDS = [send_digest_command, send_rechecks_command]
