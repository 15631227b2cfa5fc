"""/gaps keeps its map's shading per data version (issue 24 item 4): no template compiled, no ward worded again.

A second request for the same table neither compiles a Jinja template (folium and branca used to
compile every layer's rendered output, the wards' fills included) nor builds the wards' fill
colours and tooltip lines again; a change to the data, or the other language, gets its own.
"""

from __future__ import annotations

import jinja2
from sqlalchemy import select

from tests.test_gaps_web import map_fills
from webmap.core.db import db
from webmap.core.models import Asset, Need
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore
from webmap.gaps import views

WARD = "E05900001"


def _count(monkeypatch, owner, name: str) -> list[int]:
    """Count the calls of owner.name from now on (the real one still runs)."""
    calls = [0]
    real = getattr(owner, name)

    def counted(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _stored(app, *categories: str) -> None:
    """Bring the store's tables up to date, as the import's hook does (a page's first read would otherwise)."""
    with app.app_context():
        for category in categories:
            gapstore.table_for_page(gaps_service.GapQuery(category, "share", 800.0))


def test_a_second_request_compiles_no_template_and_words_no_ward_again(sample_app, monkeypatch):
    _stored(sample_app, "youth", "library")
    client = sample_app.test_client()
    first = _page(client, "/gaps?category=youth")
    compiled = _count(monkeypatch, jinja2.Environment, "compile")
    worded = _count(monkeypatch, views, "ward_fills")
    second = _page(client, "/gaps?category=youth")
    assert compiled == [0] and worded == [0]
    assert map_fills(second) == map_fills(first) and len(map_fills(second)) > 1
    # Another table is worded once, then kept too; a page of a table kept is the same page.
    _page(client, "/gaps?category=library")
    assert worded == [1]
    _page(client, "/gaps?category=library&sort=population")
    assert worded == [1] and compiled == [0]


def test_a_place_named_like_a_template_is_shown_as_written(sample_app):
    # Folium's layers used to be compiled as Jinja templates after rendering, so "{{ ... }}" in a place's
    # name ran on the server.
    with sample_app.app_context():
        place = db.session.scalars(
            select(Asset).where(Asset.ward_code == WARD, Asset.status == "approved").order_by(Asset.id)
        ).first()
        place.name = "Club {{ 6 * 7 }}"
        db.session.commit()
    html = _page(sample_app.test_client(), f"/wards/{WARD}")
    assert '"Club {{ 6 * 7 }}"' in html  # in the map's rows, as written
    assert "Club 42" not in html


def _stated_needs(html: str, code: str) -> str:
    return next(line for line in map_fills(html)[code][1:] if line.startswith("Stated needs: "))


def test_after_a_change_the_map_shows_the_new_figures(sample_app):
    _stored(sample_app, "youth")
    client = sample_app.test_client()
    query = gaps_service.GapQuery("youth", "share", 800.0)
    before = _page(client, "/gaps?category=youth")
    assert map_fills(_page(client, "/gaps?category=youth")) == map_fills(before)  # kept for this version
    with sample_app.app_context():
        version = gapstore.versions_of([gapstore.key_of(query)])[gapstore.key_of(query)]
        asked = int(gapstore.latest_table(query)[0].set_index("ward_code").loc[WARD, "responses"])
    assert _stated_needs(before, WARD).split(" (")[0] == f"Stated needs: {asked:,}"
    with sample_app.app_context():
        db.session.add(Need(ward_code=WARD, category_id="youth", count=37, source="test"))
        db.session.commit()
    _stored(sample_app, "youth")  # as the queue worker does after a change
    after = _page(client, "/gaps?category=youth")
    with sample_app.app_context():
        assert gapstore.versions_of([gapstore.key_of(query)])[gapstore.key_of(query)] != version
    assert _stated_needs(after, WARD).split(" (")[0] == f"Stated needs: {asked + 37:,}"
    # The shading follows the new figures too: the kept one is of the version before.
    assert map_fills(after) != map_fills(before)


def test_welsh_readers_get_welsh_tooltips_and_english_readers_english(sample_app):
    client = sample_app.test_client()
    english = map_fills(_page(client, "/gaps?category=youth&lang=en"))
    welsh = map_fills(_page(client, "/gaps?category=youth&lang=cy"))
    again = map_fills(_page(client, "/gaps?category=youth&lang=en"))
    assert english == again
    assert set(welsh) == set(english)
    lines = {line.split(":")[0] for code in english for line in english[code][1:]}
    welsh_lines = {line.split(":")[0] for code in welsh for line in welsh[code][1:]}
    assert {"Rank", "Stated needs", "Population"} <= lines
    assert not {"Rank", "Stated needs", "Population"} & welsh_lines
    assert "Angen heb ei ddiwallu fesul 1,000 o drigolion" in welsh_lines
    # The colours are the same in either language: only the words change.
    assert {c: v[0] for c, v in welsh.items()} == {c: v[0] for c, v in english.items()}
