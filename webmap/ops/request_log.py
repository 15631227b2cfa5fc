"""One structured (JSON) log line per request: method, path, status, duration. No personal data.

No IP address, query string, user or form data is logged; path segments that are signed tokens
(emailed links) are replaced by "<token>".
"""

from __future__ import annotations

import json
import logging
import sys
import time

from flask import Flask, g, request

log = logging.getLogger("webmap.request")


def _path() -> str:
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name == "token" and isinstance(value, str):
            path = path.replace(value, "<token>")
    return path


def init_app(app: Flask) -> None:
    """Time every request and log it as one JSON line on stderr."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log(response):
        started = g.get("request_started")
        line = {
            "event": "request",
            "method": request.method,
            "path": _path(),
            "status": response.status_code,
            "ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        }
        log.info(json.dumps(line))
        return response
