"""Flask CLI commands: set up the database and load the sample area; each feature's commands are gathered here."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from webmap.core.db import MIGRATIONS_DIR, db
from webmap.core.models import Ward
from webmap.gaps.cli import gaps_command
from webmap.imports.cli import imports_group
from webmap.imports.commands import COMMANDS as IMPORT_COMMANDS
from webmap.imports.commands import transaction
from webmap.opendata.cli import OPEN_DATA_COMMANDS
from webmap.staff.cli import create_user_command


def init_database() -> None:
    """Bring the schema up to date and load the category taxonomy."""
    from webmap.importers.categories import import_categories

    upgrade(directory=MIGRATIONS_DIR)
    with transaction():
        import_categories(Path(current_app.config["DATA_DIR"]) / "categories.csv")


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database and load the categories (safe to run again)."""
    init_database()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("load-sample")
@with_appcontext
@click.option("--force", is_flag=True, help="Load even if the database already has wards.")
def load_sample_command(force: bool) -> None:
    """Load the fictional sample area when the database is empty."""
    from webmap.imports.sample import load_sample

    if not force and db.session.scalar(select(func.count()).select_from(Ward)):
        click.echo("The database already has wards; sample area not loaded.")
        return
    load_sample()
    from webmap.gaps.history import after_change

    after_change("import")


COMMANDS = [
    init_db_command,
    load_sample_command,
    *IMPORT_COMMANDS,
    gaps_command,
    create_user_command,
    *OPEN_DATA_COMMANDS,
    imports_group,
]


def init_app(app: Flask) -> None:
    """Register the CLI commands; any but init-db says to run init-db when the database has no tables."""
    from webmap.feedback.cli import register as register_feedback
    from webmap.importers.ready import guard

    for command in COMMANDS:
        app.cli.add_command(command if command is init_db_command else guard(command))
    register_feedback(app, gaps_command)
