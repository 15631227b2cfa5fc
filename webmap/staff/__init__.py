"""Staff accounts on the web: admins invite, change roles, disable and reset; the site-wide audit log."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add the admin pages and the set-password page behind emailed links."""
    from .views import bp

    app.register_blueprint(bp)
