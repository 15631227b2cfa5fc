"""CSRF, login sessions, rate limits and security headers in one place."""
from __future__ import annotations

from functools import wraps
from typing import Callable
from urllib.parse import urlsplit

from flask import Flask, abort
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@login_manager.user_loader
def _load_user(user_id: str):
    from .auth_user import load_user

    return load_user(user_id)


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


def _tile_origin(tiles_url: str) -> str:
    parts = urlsplit(tiles_url or "")
    if not parts.scheme or not parts.netloc:
        return ""
    host = parts.netloc.replace("{s}.", "*.")
    return f"{parts.scheme}://{host}"


def init_app(app: Flask) -> None:
    """Switch on CSRF, logins, rate limits and security headers."""
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    limiter.init_app(app)
    # Flask's defaults already hold these keys (SameSite None, Secure False), so setdefault would not
    # change them: set them outright. Secure needs HTTPS, hence the SECURE_COOKIES setting.
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if not app.config.get("SESSION_COOKIE_SAMESITE"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if app.config.get("SECURE_COOKIES"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")

    tiles = _tile_origin(app.config.get("TILES_URL") or "")

    @app.after_request
    def _headers(response):
        # Only a response marked by allow_framing() (the /embed page) may be framed by other sites.
        extra = getattr(response, "frame_ancestors", None)
        ancestors = " ".join(["'self'", *(extra or [])])
        # Folium writes its map set-up as inline scripts, hence 'unsafe-inline' for scripts;
        # everything else (Leaflet, our CSS) comes from this server only, never a CDN.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: {tiles}; connect-src 'self'; frame-ancestors {ancestors}; form-action 'self'; base-uri 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if extra is None:
            # X-Frame-Options cannot name other sites; frame-ancestors (above) does, for browsers since 2015.
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response


def allow_framing(response, origins: list[str]):
    """Let these origins (besides this site) show this one response in a frame; return the response."""
    response.frame_ancestors = list(origins)
    return response
