"""Choosing the language: URL, cookie, browser, site setting; and the Welsh catalogues being complete."""

from __future__ import annotations

import re

import pytest

from webmap.web import catalogues


def _html_lang(html: str) -> str:
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", html)
    assert match, "no <html lang>"
    return match.group(1)


def test_english_by_default_with_a_link_to_welsh(sample_app):
    client = sample_app.test_client()
    html = client.get("/about").get_data(as_text=True)
    assert _html_lang(html) == "en-GB"
    assert "Skip to main content" in html
    assert re.search(r'<a href="/about\?lang=cy" hreflang="cy" lang="cy"[^>]*>Cymraeg</a>', html)


def test_the_url_chooses_welsh_and_the_cookie_remembers_it(sample_app):
    client = sample_app.test_client()
    response = client.get("/about?lang=cy")
    html = response.get_data(as_text=True)
    assert _html_lang(html) == "cy"
    assert "Neidio i’r prif gynnwys" in html
    assert response.headers["Content-Language"] == "cy"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)
    assert "lang=cy" in response.headers["Set-Cookie"]
    again = client.get("/about").get_data(as_text=True)
    assert _html_lang(again) == "cy", "the cookie should keep Welsh on the next page"
    back = client.get("/about?lang=en").get_data(as_text=True)
    assert _html_lang(back) == "en-GB"


def test_the_switch_keeps_the_page_and_its_filters(sample_app):
    client = sample_app.test_client()
    html = client.get("/?q=hall&kind=venue").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" hreflang="cy"', html)
    assert link, "no link to the Welsh page"
    assert link.group(1).replace("&amp;", "&") == "/?q=hall&kind=venue&lang=cy"


def test_hreflang_alternates_name_both_languages(sample_app):
    html = sample_app.test_client().get("/about").get_data(as_text=True)
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))
    assert alternates == {"en-GB": "/about?lang=en", "cy": "/about?lang=cy"}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("cy", "cy"), ("cy-GB,en;q=0.5", "cy"), ("en-GB,cy;q=0.5", "en-GB"), ("fr", "en-GB"), ("", "en-GB")],
)
def test_the_browser_chooses_a_first_visits_language(sample_app, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    html = sample_app.test_client().get("/about", headers=headers).get_data(as_text=True)
    assert _html_lang(html) == expected


def test_a_council_can_offer_english_only(make_app):
    app = make_app(LANGUAGES="en")
    response = app.test_client().get("/about?lang=cy", headers={"Accept-Language": "cy"})
    html = response.get_data(as_text=True)
    assert _html_lang(html) == "en-GB"
    assert "Cymraeg" not in html and "hreflang" not in html
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]


def test_a_welsh_council_can_make_welsh_the_default(make_app):
    app = make_app(DEFAULT_LANGUAGE="cy")
    assert _html_lang(app.test_client().get("/about").get_data(as_text=True)) == "cy"


@pytest.mark.parametrize("domain", catalogues.domains())
def test_every_message_has_a_welsh_translation_with_the_same_placeholders(domain):
    problems = catalogues.check(domain)
    assert not problems, "\n".join(map(str, problems[:40])) + f"\n({len(problems)} in all)"


def test_the_shared_frame_has_no_english_left_in_welsh(sample_app):
    from tests.welsh_helpers import english_left

    html = sample_app.test_client().get("/about?lang=cy").get_data(as_text=True)
    assert "Neidio i’r prif gynnwys" in html
    english = sorted(set(english_left(html)) & {"Skip to main content", "Open Referral UK feed and API"})
    assert english == [], english


def test_no_message_is_translated_two_ways_in_two_catalogues():
    # Flask-Babel merges the catalogues: the later one would win everywhere, so a heading's "Ward X"
    # could turn into a sentence's "ward X". One message, one Welsh (or a msgctxt to tell them apart).
    problems = catalogues.conflicts()
    assert not problems, "\n".join(map(str, problems))
