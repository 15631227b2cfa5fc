"""Community Asset Map: a Flask application for community assets and the gaps between them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from webmap.core import config


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Create the application: defaults, then WEBMAP_* environment, then test overrides."""
    # WEBMAP_INSTANCE_PATH: the folder background processes share with the server that started them.
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path or os.environ.get("WEBMAP_INSTANCE_PATH") or None,
    )
    app.config.from_mapping(config.DEFAULTS)
    app.config.update(config.from_environment())
    if test_config:
        app.config.update(test_config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        from webmap.ops.secret_key import load_or_create

        app.config["SECRET_KEY"] = load_or_create(app.instance_path)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{os.path.join(app.instance_path, 'webmap.sqlite')}"
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024

    from webmap.blueprints import register_blueprints
    from webmap.core import db
    from webmap.web import compression, errors, language, security, vendor

    db.init_app(app)
    language.init_app(app)
    security.init_app(app)
    vendor.init_app(app)
    errors.init_app(app)
    register_blueprints(app)
    from webmap import council, notify, ops, privacy, staff
    from webmap.places.search import postcodes

    privacy.init_app(app)
    staff.init_app(app)
    notify.init_app(app)
    ops.init_app(app)
    postcodes.init_app(app)
    council.init_app(app)
    compression.init_app(app)

    from webmap import scale

    scale.init_app(app)
    from webmap.gaps import changes as gap_changes

    gap_changes.listen()

    from webmap import cli, tasks

    tasks.init_app(app)
    cli.init_app(app)
    return app
