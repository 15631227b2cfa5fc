"""Personal data under UK GDPR: the privacy notice, retention, subject access and erasure."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add the privacy pages and the purge-personal-data command."""
    from webmap.privacy.cli import purge_command
    from webmap.privacy.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(purge_command)
