"""A full text dump of the test database, to prove an erased value is nowhere in it."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

from sqlalchemy.engine import make_url

from tests.conftest import unavailable
from webmap.core.db import db


def database_dump(app) -> str:
    """Return the whole database as SQL text: SQLite's iterdump, or pg_dump of the PostGIS test database."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database)
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    if shutil.which("pg_dump") is None:
        unavailable("pg_dump is not installed (apt-get install postgresql-client)")
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    dump = subprocess.run(["pg_dump", "--no-owner", libpq], check=True, capture_output=True, text=True).stdout
    # pg_dump 15.14+ wraps its output in \restrict/\unrestrict lines with a random key per run.
    return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def without_rows_of(dump: str, *tables: str) -> str:
    """Return the dump with these tables' rows left out (SQLite INSERT lines, or pg_dump's COPY blocks and id sequences)."""
    kept, copying = [], False
    for line in dump.splitlines():
        if copying:
            copying = line != "\\."
            continue
        if any(
            line.startswith((f'INSERT INTO "{table}" ', f"SELECT pg_catalog.setval('public.{table}_id_seq'"))
            for table in tables
        ):  # its rows, and on PostGIS how far its ids have got
            continue
        if any(line.startswith(f"COPY public.{table} (") for table in tables):
            copying = True
        kept.append(line)
    return "\n".join(kept)


def without_sequence_positions(dump: str) -> str:
    """Return the dump without pg_dump's sequence positions: a rolled-back insert still uses up an id
    (PostgreSQL never gives one back), which changes no row."""
    return "\n".join(line for line in dump.splitlines() if not line.startswith("SELECT pg_catalog.setval("))
