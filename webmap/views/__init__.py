"""Blueprints, one per area of the site, and the navigation links they offer."""
from __future__ import annotations

from importlib import import_module

from flask import Flask, current_app

# Each module defines `bp`.
MODULES = ("main", "api", "assets", "needs", "gaps", "partners", "moderation", "auth", "exports", "oruk", "apidocs")

# Blueprints of feature packages (webmap/<feature>/views.py), each defining `bp`.
FEATURE_VIEWS = ("webmap.reports.views", "webmap.embed.views")

# (endpoint, label): shown in the menu only when that endpoint exists.
PUBLIC_LINKS = [
    ("assets.new", "Add a place"),
    ("needs.new", "Say what is needed"),
    ("gaps.index", "Gaps"),
    ("partners.search", "Find partners"),
]
STAFF_LINKS = [
    ("moderation.queue", "Moderation"),
    ("moderation.stale", "Needs checking"),
    ("auth.logout", "Sign out"),
]


def _available(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(e, label) for e, label in links if e in current_app.view_functions]


def register_blueprints(app: Flask) -> None:
    """Register every view blueprint and the menu helpers templates use."""
    for name in MODULES:
        module = import_module(f"{__name__}.{name}")
        app.register_blueprint(module.bp)
    for package in FEATURE_VIEWS:
        app.register_blueprint(import_module(package).bp)
    app.jinja_env.globals["nav_links"] = lambda: _available(PUBLIC_LINKS)
    app.jinja_env.globals["staff_links"] = lambda: _available(STAFF_LINKS)
