"""`flask create-user`: staff accounts from the command line."""

from __future__ import annotations

import os

import click
from flask.cli import with_appcontext

from webmap.core.db import db


@click.command("create-user")
@click.argument("email")
@with_appcontext
@click.option(
    "--role",
    type=click.Choice(["moderator", "admin"]),
    default="moderator",
    show_default=True,
    help="moderator: review submissions; admin: everything.",
)
def create_user_command(email: str, role: str) -> None:
    """Create a staff account (or reset its password); the password is asked for, or read from WEBMAP_NEW_USER_PASSWORD."""
    from webmap.staff.accounts import AccountError, create_user

    password = os.environ.get("WEBMAP_NEW_USER_PASSWORD")
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, created = create_user(email, password, role)
        db.session.commit()
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{'Created' if created else 'Updated'} {role} {user.email}.")
