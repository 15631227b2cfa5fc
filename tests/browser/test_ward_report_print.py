"""The ward report printed by Chromium to A4 PDF fits on one or two pages, even for the real kit's busiest ward."""

from __future__ import annotations

import re

import pytest

from tests.browser.realkit import real_site  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


def pdf_pages(pdf: bytes) -> int:
    """Count the page objects in a PDF (Chromium writes them uncompressed: /Type /Page)."""
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def printed(page, url: str) -> bytes:
    response = page.goto(url)
    assert response is not None and response.status == 200
    page.emulate_media(media="print")
    return page.pdf(format="A4", print_background=True)


def test_busiest_real_ward_prints_on_at_most_two_a4_pages(page, real_site):  # noqa: F811
    ward = real_site.ids["ward"]
    pdf = printed(page, f"{real_site.url}/wards/{ward}/report")
    text = page.locator("main").inner_text()
    # Each place once: the hospital the kit lists 45 times (one record per building) is one line.
    if "The Royal Oldham Hospital" in text:
        assert text.count("The Royal Oldham Hospital") == 1
    assert 1 <= pdf_pages(pdf) <= 2, f"the report for {ward} printed on {pdf_pages(pdf)} A4 pages"
    # The screen-only links are not printed.
    assert not page.locator(".report-tools").is_visible()


def test_sample_ward_report_prints_on_one_or_two_pages(page, site):
    pdf = printed(page, f"{site.url}/wards/{site.ids['ward']}/report")
    assert 1 <= pdf_pages(pdf) <= 2
