"""Blueprints, one per area of the site, and the navigation links they offer."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# One blueprint per feature page area; each module defines `bp` (other features register theirs in init_app).
BLUEPRINTS = (
    "webmap.places.home",
    "webmap.places.views",
    "webmap.needs.views",
    "webmap.gaps.views",
    "webmap.gaps.report",
    "webmap.partners.views",
    "webmap.staff.auth",
    "webmap.opendata.api",
    "webmap.opendata.downloads",
    "webmap.opendata.oruk_api",
    "webmap.opendata.apidocs",
    "webmap.moderation.views",
    "webmap.feedback.views",
    "webmap.imports.views",
    "webmap.groups.views",
    "webmap.places.embed",
)

# (endpoint, label): shown in the menu only when that endpoint exists.
PUBLIC_LINKS = [
    ("assets.new", _l("Add a place")),
    ("needs.new", _l("Say what is needed")),
    ("gaps.index", _l("Gaps")),
    ("partners.search", _l("Find partners")),
    ("feedback.area", _l("You said, we did")),
]
# Shown to admins only, before "Sign out".
ADMIN_LINKS = [
    ("staff.users", _l("Staff accounts")),
    ("staff.audit_log", _l("Audit log")),
]
STAFF_LINKS = [
    ("moderation.queue", _l("Moderation")),
    ("moderation.stale", _l("Needs checking")),
    ("feedback.new_response", _l("Record a response")),
    ("imports.index", _l("Import data")),
    ("privacy.requests", _l("Personal data")),
    ("auth.logout", _l("Sign out")),
]


def _available(links: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(e, str(label)) for e, label in links if e in current_app.view_functions]


def register_blueprints(app: Flask) -> None:
    """Register every view blueprint and the menu helpers templates use."""
    for name in BLUEPRINTS:
        app.register_blueprint(import_module(name).bp)
    app.jinja_env.globals["nav_links"] = lambda: _available(PUBLIC_LINKS)
    app.jinja_env.globals["staff_links"] = _staff_links
    from webmap.core.wording import category_words, counted

    app.jinja_env.globals["category_words"] = category_words
    app.jinja_env.globals["counted"] = counted


def _staff_links() -> list[tuple[str, str]]:
    from webmap.imports.views import may_import

    admin = getattr(current_user, "role", None) == "admin"
    links = STAFF_LINKS[:-1] + (ADMIN_LINKS if admin else []) + STAFF_LINKS[-1:]
    return [(e, label) for e, label in _available(links) if e != "imports.index" or may_import()]
