"""Telling people things: email to residents, groups and staff."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add the pages behind emailed links and the mail commands for cron."""
    from webmap.notify.cli import COMMANDS
    from webmap.notify.views import bp

    app.register_blueprint(bp)
    for command in COMMANDS:
        app.cli.add_command(command)
