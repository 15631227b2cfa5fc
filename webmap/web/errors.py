"""One place that turns errors into HTML or JSON answers and rolls back the session."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from webmap.core.db import db

PLAIN_MESSAGES = {
    400: _l("Something in the request was not right."),
    403: _l("You do not have permission to see this page."),
    404: _l("We could not find that page."),
    405: _l("That action is not allowed here."),
    413: _l("That file is too large."),
    429: _l("Too many requests. Please wait a while and try again."),
    500: _l("Something went wrong on our side. Nothing you sent was half-saved."),
}


def wants_json() -> bool:
    """Say whether the client asked for JSON (API routes, or an Accept header)."""
    if request.path.startswith(("/api/", "/oruk/")) or request.path.endswith((".json", ".geojson")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _respond(code: int, description: str | None):
    message = str(description or PLAIN_MESSAGES.get(code) or _("Something went wrong."))
    if wants_json():
        return jsonify({"error": {"status": code, "message": message}}), code
    return render_template(
        "error.html", code=code, message=message, title=str(PLAIN_MESSAGES.get(code) or _("Error"))
    ), code


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        db.session.rollback()
        # Werkzeug's own English description of a code gives way to ours (in the reader's language).
        own = error.description if error.description != type(error).description else None
        description = own if error.code not in (404, 500) else None
        if error.code == 413:
            description = _(
                "That file is too large: uploads can be at most %(mb)s MB "
                "(the WEBMAP_MAX_UPLOAD_MB setting). Nothing was saved.",
                mb=app.config["MAX_UPLOAD_MB"],
            )
        if error.code == 400 and "CSRF" in (error.description or ""):
            description = _(
                "This form has expired or was not sent from this site. Please go back, reload the page and try again."
            )
        body, code = _respond(error.code or 500, description)
        # Keep the exception's own headers (a 405's Allow, a 429's Retry-After), but not its content type.
        extra = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return body, code, extra

    from webmap.core.inputs import InputRejected

    @app.errorhandler(InputRejected)
    def _input_rejected(error: InputRejected):
        db.session.rollback()
        return _respond(400, str(error))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error", exc_info=error)
        return _respond(500, None)
