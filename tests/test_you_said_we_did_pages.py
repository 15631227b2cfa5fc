"""The area's "you said, we did" is paged and reads only what it shows; the ward profile reads only places near the ward.

Issue 24 item 4: the area page read every ward, place and need for every request (7.7-15.8 s on the
real kit). It now shows 20 items (a ward and a kind of place) a page, newest first, in the order the
whole-area CSV keeps; the places are read in a box around each shown ward.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from webmap.core import store
from webmap.feedback import report
from webmap.gaps import history

WARD = "E05900001"
ITEM = re.compile(r'<h2 id="item-\d+">(.*?) in <a href="/wards/(\w+)/you-said-we-did(?:\?[^"]*)?">')


def _shown(page: str) -> list[tuple[str, str]]:
    return [(code, label) for label, code in ITEM.findall(page)]


def _csv(app) -> list[tuple[str, str]]:
    body = app.test_client().get("/you-said-we-did.csv").get_data(as_text=True)
    return [(r["ward_code"], r["category_label"]) for r in csv.DictReader(io.StringIO(body))]


def test_the_area_page_is_paged_in_the_order_of_the_whole_csv(sample_app):
    whole = _csv(sample_app)
    pages = -(-len(whole) // report.PER_PAGE)
    assert len(whole) > 2 * report.PER_PAGE, "the sample has more than two pages of items"
    client = sample_app.test_client()

    first = client.get("/you-said-we-did").get_data(as_text=True)
    assert _shown(first) == whole[: report.PER_PAGE]
    assert 'rel="next" href="/you-said-we-did?page=2"' in first and 'rel="prev"' not in first
    assert f"Page 1 of {pages}" in first

    second = client.get("/you-said-we-did?page=2").get_data(as_text=True)
    assert _shown(second) == whole[report.PER_PAGE : 2 * report.PER_PAGE]
    assert 'rel="prev" href="/you-said-we-did?page=1"' in second and 'href="/you-said-we-did?page=3"' in second

    last = client.get(f"/you-said-we-did?page={pages}").get_data(as_text=True)
    assert _shown(last) == whole[(pages - 1) * report.PER_PAGE :] and 'rel="next"' not in last
    assert client.get(f"/you-said-we-did?page={pages + 1}").status_code == 404


def test_the_pager_keeps_the_readers_language(sample_app):
    page = sample_app.test_client().get("/you-said-we-did?page=2&lang=cy").get_data(as_text=True)
    assert 'href="/you-said-we-did?page=3&amp;lang=cy"' in page and 'href="/you-said-we-did?page=1&amp;lang=cy"' in page


def _record_places_reads(monkeypatch) -> list[dict]:
    calls: list[dict] = []
    real = store.assets_frame

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "assets_frame", spy)
    return calls


def _inside(box, bounds) -> bool:
    return box[0] <= bounds[0] and box[1] <= bounds[1] and box[2] >= bounds[2] and box[3] >= bounds[3]


def test_the_area_page_reads_places_only_around_the_wards_it_shows(sample_app, monkeypatch):
    whole = _csv(sample_app)
    calls = _record_places_reads(monkeypatch)
    page = sample_app.test_client().get("/you-said-we-did?page=2").get_data(as_text=True)
    shown = {code for code, _ in _shown(page)}
    assert calls and all(c.get("bbox") is not None for c in calls), calls
    with sample_app.app_context():
        wards = store.wards_frame(shown)
        others = store.wards_frame(sorted({code for code, _ in whole} - shown))
    # One box per shown ward, each around that ward only (the access distance is 800 m: well under 0.05 deg).
    assert len(calls) == len(shown)
    for bounds in wards.geometry.bounds.itertuples(index=False):
        assert any(_inside(c["bbox"], bounds) for c in calls)
    for c in calls:
        minx, miny, maxx, maxy = c["bbox"]
        assert any(
            minx > b[0] - 0.05 and maxx < b[2] + 0.05 and miny > b[1] - 0.05 and maxy < b[3] + 0.05
            for b in wards.geometry.bounds.itertuples(index=False)
        )
    assert len(others), "some wards with items are on other pages"


def test_the_ward_profile_reads_places_only_near_the_ward(sample_app, monkeypatch):
    with sample_app.app_context():
        history.take_snapshot("import")  # the gap tables are in the store: the page reads them, never every place
        bounds = store.wards_frame([WARD]).total_bounds
    calls = _record_places_reads(monkeypatch)
    response = sample_app.test_client().get(f"/wards/{WARD}")
    assert response.status_code == 200 and 'id="changed-heading"' in response.get_data(as_text=True)
    assert calls, "the 'what changed since residents asked' block read places"
    for c in calls:
        assert c.get("bbox") is not None or c.get("ward") == WARD, c
        if c.get("bbox") is not None:
            assert _inside(c["bbox"], bounds)
            assert c["bbox"][2] - c["bbox"][0] < (bounds[2] - bounds[0]) + 0.05


@pytest.mark.parametrize("path", ["/you-said-we-did?page=0", "/you-said-we-did?page=x"])
def test_a_page_number_that_is_not_one_shows_the_first_page(sample_app, path):
    first = sample_app.test_client().get("/you-said-we-did").get_data(as_text=True)
    page = sample_app.test_client().get(path).get_data(as_text=True)
    assert _shown(page) == _shown(first)


def test_the_whole_area_csv_is_the_pages_read_at_once(sample_app, monkeypatch):
    """Issue 24 item 4: the area's exports read every ward in a few batched reads, not ward by ward,
    and give what the pages show, figures and places included, page after page."""
    from sqlalchemy import select

    from webmap.core.db import db
    from webmap.core.models import Asset
    from webmap.gaps import store as gapstore

    with sample_app.test_request_context():
        for was in db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id).limit(3)):
            db.session.add(  # recorded on the map after residents asked: listed as newly recorded
                Asset(
                    name=f"Second {was.name}",
                    kind=was.kind,
                    lon=was.lon,
                    lat=was.lat,
                    geom=was.geom,
                    status="approved",
                    ward_code=was.ward_code,
                    categories=list(was.categories),
                )
            )
        db.session.commit()
        listing = report.page(1)
        paged = list(listing.items)
        for number in range(2, listing.pages + 1):
            paged += report.page(number).items
        expected = report.rows(paged).to_csv(index=False)
        assert any(i.places or i.recorded for i in paged) and any(i.now for i in paged)

    dated, per_ward = [], []
    on_map_since, ward_rows = store.on_map_since, gapstore.ward_rows_for_page
    monkeypatch.setattr(store, "on_map_since", lambda *a, **k: dated.append(a) or on_map_since(*a, **k))
    monkeypatch.setattr(gapstore, "ward_rows_for_page", lambda *a, **k: per_ward.append(a) or ward_rows(*a, **k))
    with sample_app.test_request_context():
        assert report.rows(report.items()).to_csv(index=False) == expected
    assert len(dated) == 1 and per_ward == [], "places dated in one read; the store read once for every ward"
