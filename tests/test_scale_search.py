"""A big area's search (webmap/scale/search.py) finds exactly what the small-area search finds."""

from __future__ import annotations

import re

from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset, Ward

BY_VIEW = {"VIEWPORT_ABOVE_WARDS": 0}


def _found(html: str) -> tuple[str, list[str], str]:
    """The heading with the count, every place listed (page 1), and the search summary."""
    heading = re.search(r'<h2 id="asset-list-heading">(.*?)</h2>', html).group(1)
    listed = re.findall(r'<li>\s*<a href="/assets/(\d+)">', html)
    summary = re.search(r'<p class="search-summary">(.*?)</p>', html)
    return heading, listed, summary.group(1) if summary else ""


def _searches(app) -> list[str]:
    with app.app_context():
        ward = db.session.scalars(select(Ward.code).order_by(Ward.code).offset(5)).first()
        word = (
            db.session.scalars(select(Asset.name).where(Asset.status == "approved").order_by(Asset.id))
            .first()
            .split()[0]
        )
        point = db.session.execute(select(Asset.lon, Asset.lat).order_by(Asset.id).offset(10)).first()
    return [
        f"q={word}",
        "q=youth",
        "q=LIBRARY",
        f"ward={ward}",
        "kind=venue",
        "category=youth&kind=group",
        f"lat={point.lat:.5f}&lon={point.lon:.5f}&zoom=14&q=club",
        f"q=hall&ward={ward}",
        "q=zzzz-no-such-place",
        "q=50%25_off",
    ]


def test_big_area_search_lists_what_the_small_area_search_lists(sample_app):
    client = sample_app.test_client()
    for query in _searches(sample_app):
        sample_app.config.update({"VIEWPORT_ABOVE_WARDS": 400})
        small = client.get(f"/?{query}")
        sample_app.config.update(BY_VIEW)
        big = client.get(f"/?{query}")
        assert big.status_code == small.status_code, query
        assert _found(big.get_data(as_text=True)) == _found(small.get_data(as_text=True)), query
        assert "webmapViewport(" in big.get_data(as_text=True)  # outlines still load by view


def test_big_area_search_near_a_ward_by_name_matches(sample_app):
    client = sample_app.test_client()
    with sample_app.app_context():
        name = db.session.scalars(select(Ward.name).order_by(Ward.code).offset(2)).first()
    small = client.get("/", query_string={"near": name, "radius": "2000"}).get_data(as_text=True)
    sample_app.config.update(BY_VIEW)
    big = client.get("/", query_string={"near": name, "radius": "2000"}).get_data(as_text=True)
    assert _found(big) == _found(small) and "m away" in big


def test_a_search_matching_too_many_places_asks_to_narrow_it(sample_app, monkeypatch):
    from webmap.places.search import in_database as search

    monkeypatch.setattr(search, "MAX_READ", 5)
    sample_app.config.update(BY_VIEW)
    html = sample_app.test_client().get("/?q=a").get_data(as_text=True)
    assert "More than 5 places match this search" in html and "0 places found" in html
