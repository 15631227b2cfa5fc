"""Running the site in production: its secret key, health check, request log and backups."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add /healthz, /admin/background, the request log, proxy headers, the backup and worker commands."""
    from webmap.ops import background as _background  # noqa: F401 - adds /admin/background to the blueprint
    from webmap.ops import request_log
    from webmap.ops.backup import COMMANDS
    from webmap.ops.health import bp
    from webmap.ops.worker import COMMANDS as WORKER_COMMANDS

    app.register_blueprint(bp)
    request_log.init_app(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind a reverse proxy, trust its X-Forwarded-For so rate limits count visitors, not the proxy.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    for command in [*COMMANDS, *WORKER_COMMANDS]:
        app.cli.add_command(command)
