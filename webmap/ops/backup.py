"""backup and restore commands for the SQLite database (PostGIS uses pg_dump/pg_restore: see docs/operations.md)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from webmap.core.db import db

PG_HELP = (
    "This database is PostgreSQL: back it up with "
    "`pg_dump --format=custom --file=webmap.dump DBNAME` and restore with "
    "`pg_restore --clean --if-exists --no-owner --dbname=DBNAME webmap.dump` (see docs/operations.md)."
)


def sqlite_path() -> Path:
    """Return the live SQLite file, or refuse (with the PostGIS way) on another database."""
    url = make_url(str(db.engine.url))
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.ClickException(PG_HELP)
    return Path(url.database)


def copy_database(source: Path, target: Path) -> int:
    """Copy one SQLite database into another with the online backup API; return its page count."""
    pages = 0

    def progress(_status, remaining, total):
        nonlocal pages
        pages = total

    with sqlite3.connect(source, timeout=30) as src, sqlite3.connect(target, timeout=30) as dst:
        src.backup(dst, pages=1024, progress=progress)
    src.close()
    dst.close()
    return pages


def check_backup(path: Path) -> None:
    """Refuse a file that is not a complete database of this app."""
    if not path.is_file():
        raise click.ClickException(f"{path}: no such file.")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
            if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise click.ClickException(f"{path}: the file is damaged (SQLite integrity check failed).")
            con.execute("SELECT version_num FROM alembic_version").fetchone()
        con.close()
    except sqlite3.DatabaseError as error:
        raise click.ClickException(f"{path}: not a backup of this app's database ({error}).") from error


@click.command("backup")
@with_appcontext
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="File to write the backup to.")
def backup_command(out: str) -> None:
    """Back up the SQLite database while the site runs (SQLite's online backup API)."""
    source, target = sqlite_path(), Path(out)
    if target.exists():
        raise click.ClickException(f"{target} already exists: choose a new file name.")
    db.session.remove()
    copy_database(source, target)
    check_backup(target)
    click.echo(f"Backed up {source} to {target} ({target.stat().st_size:,} bytes).")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Replace the current database without asking.")
def restore_command(path: str, yes: bool) -> None:
    """Replace the SQLite database with a backup made by the backup command."""
    source, target = Path(path), sqlite_path()
    check_backup(source)
    if not yes:
        click.confirm(f"Replace everything in {target} with {source}?", abort=True)
    db.session.remove()
    db.engine.dispose()
    copy_database(source, target)
    click.echo(f"Restored {target} from {source}. Restart the web workers.")


COMMANDS = [backup_command, restore_command]
