"""/healthz for load balancers: the database answers and its schema is at the newest migration."""

from __future__ import annotations

from functools import lru_cache

from alembic.script import ScriptDirectory
from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webmap.core.db import MIGRATIONS_DIR, db

bp = Blueprint("ops", __name__, template_folder="templates")


@lru_cache(maxsize=1)
def expected_heads() -> frozenset[str]:
    """Return the newest migration revision(s) this code expects."""
    return frozenset(ScriptDirectory(MIGRATIONS_DIR).get_heads())


def check() -> tuple[bool, dict[str, str]]:
    """Return (healthy, details) for the database and its migrations."""
    try:
        db.session.execute(text("SELECT 1"))
        current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError as error:
        db.session.rollback()
        return False, {"database": f"unreachable ({type(error).__name__})", "migrations": "unknown"}
    if current != expected_heads():
        return False, {
            "database": "ok",
            "migrations": f"not current: at {sorted(current) or 'none'}, "
            f"code expects {sorted(expected_heads())} (run init-db)",
        }
    return True, {"database": "ok", "migrations": "current"}


@bp.get("/healthz")
def healthz():
    """Say whether this worker can serve: 200 when healthy, 503 otherwise (JSON either way)."""
    healthy, details = check()
    response = jsonify(status="ok" if healthy else "unhealthy", **details)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
