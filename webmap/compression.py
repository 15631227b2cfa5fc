"""Gzip text responses for browsers that accept it: map pages shrink several times over slow links."""
from __future__ import annotations

import gzip

from flask import Flask, Response, request

COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/javascript", "image/svg+xml")
MIN_BYTES = 1024  # below this, the gzip header costs more than it saves
MAX_BYTES = 20_000_000  # larger bodies (big exports) are streamed as they are


def _should_compress(response: Response) -> bool:
    if response.status_code != 200 or "Content-Encoding" in response.headers:
        return False
    if "gzip" not in request.headers.get("Accept-Encoding", "").lower():
        return False
    if not (response.mimetype or "").startswith(COMPRESSIBLE):
        return False
    length = response.calculate_content_length()
    return length is None or MIN_BYTES <= length <= MAX_BYTES


def compress(response: Response) -> Response:
    """Return the response gzipped when the client accepts it and it is text worth compressing."""
    if not _should_compress(response):
        return response
    response.direct_passthrough = False  # files from send_from_directory: read them so they can be compressed
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(response.get_data()))
    response.vary.add("Accept-Encoding")
    return response


def init_app(app: Flask) -> None:
    """Compress responses after every request."""
    app.after_request(compress)
