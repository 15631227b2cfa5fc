"""Pages, JSON and vendored scripts are gzipped for browsers that ask; nothing else changes."""

from __future__ import annotations

import gzip
import re

import pytest


@pytest.mark.parametrize(
    "path, mimetype",
    [
        ("/", "text/html"),
        ("/api/assets.geojson", "application/geo+json"),
        ("/vendor/leaflet/leaflet.js", "text/javascript"),
    ],
)
def test_text_is_gzipped_when_accepted(sample_app, path, mimetype):
    ids = re.compile(rb"[0-9a-f]{32}")
    client = sample_app.test_client()
    with client.get(path) as plain:
        body = plain.get_data()
    with client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"}) as packed:
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert packed.mimetype == mimetype
        assert int(packed.headers["Content-Length"]) == len(packed.get_data())

        # folium names map elements with random hex ids, and each response has its own script nonce: mask both.
        def masked(html: bytes) -> bytes:
            return re.sub(rb'nonce="[^"]+"', b'nonce="N"', ids.sub(b"ID", html))

        assert masked(gzip.decompress(packed.get_data())) == masked(body)
        assert len(packed.get_data()) < len(body) / 3


def test_nothing_is_gzipped_without_accept_encoding(client):
    with client.get("/about") as response:
        assert "Content-Encoding" not in response.headers
        assert b"About the data" in response.get_data()


def test_binary_downloads_and_errors_are_left_alone(sample_app):
    client = sample_app.test_client()
    with client.get("/export/assets.gpkg", headers={"Accept-Encoding": "gzip"}) as gpkg:
        assert gpkg.status_code == 200 and "Content-Encoding" not in gpkg.headers
    with client.get("/no-such-page", headers={"Accept-Encoding": "gzip"}) as missing:
        assert missing.status_code == 404 and "Content-Encoding" not in missing.headers
