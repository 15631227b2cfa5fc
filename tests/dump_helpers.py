"""A full text dump of the test database, to prove an erased value is nowhere in it."""
from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest
from sqlalchemy.engine import make_url

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
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    dump = subprocess.run(["pg_dump", "--no-owner", libpq], check=True, capture_output=True, text=True).stdout
    # pg_dump 15.14+ wraps its output in \restrict/\unrestrict lines with a random key per run.
    return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))
