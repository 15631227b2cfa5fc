"""/embed: framable only by the sites in EMBED_ORIGINS; every other page keeps refusing to be framed."""

from __future__ import annotations

import re

import pytest

from webmap.web.headers import parse_origins

COUNCIL = "https://www.example.gov.uk"


@pytest.mark.parametrize(
    "value, origins",
    [
        ("", []),
        (None, []),
        ("https://www.example.gov.uk", [COUNCIL]),
        ("https://WWW.example.gov.uk/, http://localhost:8000", [COUNCIL, "http://localhost:8000"]),
        ("https://a.gov.uk https://a.gov.uk", ["https://a.gov.uk"]),
    ],
)
def test_parse_origins(value, origins):
    assert parse_origins(value) == origins


@pytest.mark.parametrize(
    "bad",
    [
        "*",
        "https://*.gov.uk",
        "www.example.gov.uk",
        "https://example.gov.uk/maps",
        "'self'",
        "ftp://example.gov.uk",
        "https://user@example.gov.uk",
    ],
)
def test_parse_origins_refuses_what_is_not_an_origin(bad):
    with pytest.raises(ValueError, match="is not a site's origin"):
        parse_origins(bad)


def test_a_wrong_setting_stops_the_app_with_the_reason(make_app):
    with pytest.raises(ValueError, match="EMBED_ORIGINS: 'example.gov.uk'"):
        make_app(EMBED_ORIGINS="example.gov.uk")


def test_embed_may_be_framed_by_the_council_sites_only(make_app, sample_app):
    app = make_app(EMBED_ORIGINS=f"{COUNCIL} https://intranet.example.gov.uk")
    response = app.test_client().get("/embed?category=youth")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {COUNCIL} https://intranet.example.gov.uk;" in policy
    assert "X-Frame-Options" not in response.headers
    for other in ("/", "/about", "/gaps", "/partners"):
        headers = app.test_client().get(other).headers
        assert (
            "frame-ancestors 'self';" in headers["Content-Security-Policy"]
            and headers["X-Frame-Options"] == "SAMEORIGIN"
        )


def test_embed_without_the_setting_is_framable_by_this_site_only(sample_app):
    response = sample_app.test_client().get("/embed")
    assert "frame-ancestors 'self';" in response.headers["Content-Security-Policy"]


def test_embed_shows_map_and_list_with_filters_from_the_url(sample_app):
    home = sample_app.test_client().get("/?category=youth&kind=group").get_data(as_text=True)
    html = sample_app.test_client().get("/embed?category=youth&kind=group").get_data(as_text=True)
    count = re.search(r'data-items="(\d+)"', html).group(1)
    assert count == re.search(r'id="asset-list"[^>]*data-items="(\d+)"', home).group(1)
    assert 'class="folium-map"' in html and '<base target="_blank">' in html
    assert 'class="site-header"' not in html  # no menu inside someone else's page
    assert "category=youth" in re.search(r'href="([^"]+)">Open the full map', html).group(1)


def test_about_page_offers_a_snippet_to_copy(make_app, sample_app):
    html = sample_app.test_client().get("/about").get_data(as_text=True)
    assert "&lt;iframe src=&#34;http://localhost/embed?category=youth&#34;" in html
    assert "WEBMAP_EMBED_ORIGINS" in html
    allowed = make_app(EMBED_ORIGINS=COUNCIL).test_client().get("/about").get_data(as_text=True)
    assert f"Sites that may show it: {COUNCIL}." in allowed
