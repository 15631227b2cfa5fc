"""/embed inside an iframe on another site: shown where EMBED_ORIGINS allows that site, refused elsewhere."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from werkzeug.wrappers import Response

from tests.serving import serve_wsgi

pytestmark = pytest.mark.browser


@contextmanager
def council_site(frame_url: str):
    """Serve a page that frames `frame_url`, on its own port (so its own origin); yield its origin."""

    def app(environ, start_response):
        page = (
            f'<!doctype html><html lang="en"><head><title>Council</title></head><body><h1>Council page</h1>'
            f'<iframe id="map" src="{frame_url}" title="Map of local places" width="1000" height="700"></iframe></body></html>'
        )
        return Response(page, mimetype="text/html")(environ, start_response)

    with serve_wsgi(app) as origin:
        yield origin


def map_frame(page):
    return next(f for f in page.frames if f != page.main_frame)


def test_embed_shows_inside_an_allowed_sites_frame(page, site):
    with council_site(site.url + "/embed?category=youth") as origin:
        site.app.config["EMBED_ORIGINS"] = origin
        try:
            page.goto(origin + "/")
            frame = map_frame(page)
            frame.wait_for_selector("#asset-list", timeout=10_000)
            assert int(frame.locator("#asset-list").get_attribute("data-items")) > 0
            assert frame.locator(".leaflet-container").count() == 1
        finally:
            site.app.config["EMBED_ORIGINS"] = ""


@pytest.mark.csp_expected("frame-ancestors")
def test_embed_is_refused_inside_a_site_not_listed(page, site):
    with council_site(site.url + "/embed") as origin, council_site(site.url + "/embed") as other:
        site.app.config["EMBED_ORIGINS"] = origin
        try:
            page.goto(other + "/")
            page.wait_for_timeout(1500)
            frame = map_frame(page)
            assert frame.locator("#asset-list").count() == 0
            assert not frame.url.startswith(site.url), frame.url  # Chromium shows its own error page instead
        finally:
            site.app.config["EMBED_ORIGINS"] = ""


@pytest.mark.csp_expected("frame-ancestors")
def test_other_pages_are_refused_even_by_an_allowed_site(page, site):
    with council_site(site.url + "/") as origin:
        site.app.config["EMBED_ORIGINS"] = origin
        try:
            page.goto(origin + "/")
            page.wait_for_timeout(1500)
            assert map_frame(page).locator("#asset-list").count() == 0
        finally:
            site.app.config["EMBED_ORIGINS"] = ""
