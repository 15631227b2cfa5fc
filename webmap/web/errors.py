"""One place that turns errors into HTML or JSON answers and rolls back the session."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from webmap.core.db import db

PLAIN_MESSAGES = {
    400: "Something in the request was not right.",
    403: "You do not have permission to see this page.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    413: "That file is too large.",
    429: "Too many requests. Please wait a while and try again.",
    500: "Something went wrong on our side. Nothing you sent was half-saved.",
}


def wants_json() -> bool:
    """Say whether the client asked for JSON (API routes, or an Accept header)."""
    if request.path.startswith(("/api/", "/oruk/")) or request.path.endswith((".json", ".geojson")):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _respond(code: int, description: str | None):
    message = description or PLAIN_MESSAGES.get(code, "Something went wrong.")
    if wants_json():
        return jsonify({"error": {"status": code, "message": message}}), code
    return render_template("error.html", code=code, message=message, title=PLAIN_MESSAGES.get(code, "Error")), code


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        db.session.rollback()
        description = error.description if error.code not in (404, 500) else None
        if error.code == 413:
            description = (
                f"That file is too large: uploads can be at most {app.config['MAX_UPLOAD_MB']} MB "
                "(the WEBMAP_MAX_UPLOAD_MB setting). Nothing was saved."
            )
        if error.code == 400 and "CSRF" in (error.description or ""):
            description = (
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
