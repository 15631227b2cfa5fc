"""Gzip text responses for browsers that accept it, and give them validators for cheap repeat visits.

Bodies up to MAX_BYTES are compressed in one go (with a Content-Length); larger or streamed ones
are compressed as they stream, so a national export is never held twice in memory. Every
successful GET carries an ETag (a hash of its uncompressed body unless the view set one), and a
browser that already has that version gets 304 Not Modified with no body.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterable, Iterator

from flask import Flask, Response, g, request

COMPRESSIBLE = ("text/", "application/json", "application/geo+json", "application/javascript", "image/svg+xml")
MIN_BYTES = 1024  # below this, the gzip header costs more than it saves
MAX_BYTES = 20_000_000  # larger bodies are compressed while they stream


def _compressible(response: Response) -> bool:
    if response.status_code != 200 or "Content-Encoding" in response.headers:
        return False
    if "gzip" not in request.headers.get("Accept-Encoding", "").lower():
        return False
    return (response.mimetype or "").startswith(COMPRESSIBLE)


def _gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip header and trailer
    for chunk in chunks:
        if isinstance(chunk, str):
            chunk = chunk.encode("utf-8")
        out = packer.compress(chunk)
        if out:
            yield out
    yield packer.flush()


def _add_validator(response: Response) -> Response:
    """Give a successful GET an ETag from its body (when it has none) and answer 304 when it matches."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.is_streamed:
        return response
    if g.get("_csp_nonce"):
        # A page with inline scripts carries a fresh CSP nonce each time: a 304 would pair the cached
        # body's old nonce with the new header and block its scripts, so such a page is sent whole.
        response.headers.setdefault("Cache-Control", "no-cache")
        return response
    if not response.get_etag()[0]:
        response.direct_passthrough = False
        response.set_etag(hashlib.blake2b(response.get_data(), digest_size=16).hexdigest(), weak=True)
    return response.make_conditional(request)


def compress(response: Response) -> Response:
    """Return the response gzipped when the client accepts it and it is text worth compressing."""
    response = _add_validator(response)
    if not _compressible(response):
        return response
    # A file from send_from_directory says its length in the header; a body in memory is counted.
    # A generator is not counted: that would read it all into memory first.
    length = response.content_length
    if length is None and not response.is_streamed:
        length = response.calculate_content_length()
    if length is None or length > MAX_BYTES:  # streamed by the view, or too big to hold twice
        response.response = _gzip_stream(response.iter_encoded())
        response.direct_passthrough = False
        response.headers.pop("Content-Length", None)
    else:
        response.direct_passthrough = False  # files from send_from_directory: read them so they can be compressed
        data = response.get_data()
        if len(data) < MIN_BYTES:
            return response
        response.set_data(gzip.compress(data, compresslevel=6, mtime=0))
        response.headers["Content-Length"] = str(len(response.get_data()))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:  # the gzipped bytes differ from the plain ones: no longer a byte-for-byte match
        response.set_etag(etag, weak=True)
    response.vary.add("Accept-Encoding")
    return response


def init_app(app: Flask) -> None:
    """Compress responses after every request."""
    app.after_request(compress)
