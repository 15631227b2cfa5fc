"""Security headers: one Content-Security-Policy builder, nonces for inline scripts, HSTS, Permissions-Policy.

Folium writes each map's set-up as inline scripts. Rather than allow every inline script
('unsafe-inline'), each response gets a fresh random nonce and only <script> tags carrying it
run, so one escaping slip can never execute. Styles keep 'unsafe-inline': Leaflet positions
every tile and marker with style attributes, and CSS cannot run code.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from flask import Flask, g
from markupsafe import Markup

# Browser features no page here uses are switched off; geolocation is kept for "use my location".
PERMISSIONS_POLICY = (
    "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), serial=(), "
    "midi=(), magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), browsing-topics=()"
)
HSTS = "max-age=31536000; includeSubDomains"
_SCRIPT_TAG = re.compile(r"<script(?=[\s>])", re.I)


def csp_nonce() -> str:
    """Return this response's script nonce (made on first use, new for every request)."""
    nonce = g.get("_csp_nonce")
    if nonce is None:
        nonce = g._csp_nonce = secrets.token_urlsafe(18)
    return nonce


def with_nonce(html: str) -> Markup:
    """Return trusted HTML (folium's output) with this response's nonce on every <script> tag."""
    return Markup(_SCRIPT_TAG.sub(f'<script nonce="{csp_nonce()}"', str(html)))


def tile_origin(tiles_url: str) -> str:
    """Return the origin a tile URL template loads from ("https://*.tile.example" for {s}. sub-domains)."""
    parts = urlsplit(tiles_url or "")
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc.replace('{s}.', '*.')}"


def content_security_policy(nonce: str | None, tiles: str = "", frame_ancestors: Sequence[str] = ("'self'",)) -> str:
    """Return the Content-Security-Policy for a page: this site only, scripts by nonce, framing as given."""
    scripts = "script-src 'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    directives = [
        "default-src 'self'",
        scripts,
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: {tiles}".rstrip(),
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        f"frame-ancestors {' '.join(frame_ancestors)}",
        "form-action 'self'",
        "base-uri 'self'",
    ]
    return "; ".join(directives)


def allow_framing_by(origins: Iterable[str]) -> None:
    """Let the current response be framed by these origins as well as this site (e.g. an /embed page)."""
    g.csp_frame_ancestors = ("'self'", *origins)


def init_app(app: Flask) -> None:
    """Add the security headers to every response, and csp_nonce()/with_nonce to templates."""
    tiles = tile_origin(app.config.get("TILES_URL") or "")
    https = bool(app.config.get("HTTPS"))
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.jinja_env.filters["with_nonce"] = with_nonce

    @app.after_request
    def _headers(response):
        framing = g.get("csp_frame_ancestors")
        policy = content_security_policy(g.get("_csp_nonce"), tiles, framing or ("'self'",))
        response.headers.setdefault("Content-Security-Policy", policy)
        if framing is None:
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if https:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


_SPLIT = re.compile(r"[\s,]+")


def parse_origins(value: str | None) -> list[str]:
    """Return the origins listed (spaces or commas between them); raise ValueError naming any that is not one.

    An origin is a scheme and host, with a port if needed: https://www.example.gov.uk or http://localhost:8000.
    A path, a wildcard or 'self' would either not work or let any site frame the map, so they are refused.
    """
    origins = []
    for item in (i for i in _SPLIT.split(value or "") if i):
        parts = urlsplit(item)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or "*" in item
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
            or parts.username
        ):
            raise ValueError(
                f"EMBED_ORIGINS: '{item}' is not a site's origin; write it like https://www.example.gov.uk "
                "(scheme and host, and a port if needed; no path or wildcard)"
            )
        origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return list(dict.fromkeys(origins))
