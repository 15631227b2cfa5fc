"""CSRF, login sessions, rate limits, cookie settings and security headers (web.headers) in one place."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def retry_after_seconds(default: int = 60) -> int:
    """Return the seconds until this request's exceeded rate limit lets it through again (at least 1)."""
    current = limiter.current_limit if limiter.enabled else None
    if current is None:
        return default
    return max(1, int(current.reset_at - time.time() + 0.999))


def role_required(*roles: str) -> Callable:
    """Let only a logged-in staff member with one of these roles through (admin passes all)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role != "admin" and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def init_app(app: Flask) -> None:
    """Switch on CSRF, logins, rate limits and security headers."""
    from webmap.core.inputs import DatabaseIdConverter, header_fields_problem, query_string_problem

    # Before any blueprint adds its routes: every <int:...> in a URL is a database id.
    app.url_map.converters["int"] = DatabaseIdConverter

    @app.before_request
    def _refuse_bad_query_strings():
        problem = query_string_problem(request.args.items(multi=True))
        if problem:
            abort(400, problem)

    csrf.init_app(app)

    @app.before_request
    def _refuse_header_injection():
        # After the CSRF check (registered above), before any view: one rule for every form.
        if request.method == "POST" and request.form:
            problem = header_fields_problem(request.form)
            if problem:
                abort(400, problem)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    limiter.init_app(app)

    @app.after_request
    def _retry_after_on_every_429(response):
        # Flask-Limiter only says when to come back if its headers are switched on; a 429 must always say.
        if response.status_code == 429 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(retry_after_seconds())
        return response

    # Flask's defaults already hold these keys (SameSite None, Secure False), so setdefault would not
    # change them: set them outright. HTTPS (or the older SECURE_COOKIES) makes every cookie Secure.
    app.config["HTTPS"] = bool(app.config.get("HTTPS") or app.config.get("SECURE_COOKIES"))
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    if int(app.config.get("TRUSTED_PROXIES") or 0) > 0:
        # Behind N reverse proxies, read the client's address and scheme from their X-Forwarded-* headers
        # (sign-in throttling and rate limits are per address; without this every visitor is the proxy).
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from webmap.web import headers

    headers.init_app(app)
