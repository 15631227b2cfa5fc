"""Staff accounts on the web: admins invite, change roles, disable and reset; the site-wide audit log."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Load signed-in staff for Flask-Login; add the admin pages and the set-password page behind emailed links."""
    from webmap.staff.login import load_user
    from webmap.staff.views import bp
    from webmap.web.security import login_manager

    login_manager.user_loader(load_user)
    app.register_blueprint(bp)
