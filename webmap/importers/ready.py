"""Say "run init-db first" instead of an SQL traceback when a command meets a database without tables."""

from __future__ import annotations

import functools

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

INIT_DB = "flask --app webmap init-db"


def is_missing_table(exc: Exception) -> bool:
    """Say whether a database error means the schema has not been created (or upgraded) yet."""
    if not isinstance(exc, (OperationalError, ProgrammingError)):
        return False
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) in ("42P01", "42703"):  # PostgreSQL: undefined table / column
        return True
    message = str(orig or exc).lower()
    return "no such table" in message or "no such column" in message


def guard(command: click.Command) -> click.Command:
    """Wrap a command so a database without the tables it needs gets a plain instruction."""
    callback = command.callback
    if callback is None or getattr(callback, "_guarded", False):
        return command

    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except (OperationalError, ProgrammingError) as exc:
            if is_missing_table(exc):
                raise click.ClickException(
                    "The database has no tables yet (or is out of date). "
                    f"Run `{INIT_DB}` first, then run this command again."
                ) from None
            raise

    guarded._guarded = True  # type: ignore[attr-defined]
    command.callback = guarded
    return command
