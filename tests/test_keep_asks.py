"""Keeping "when residents asked" costs what the change added (webmap.gaps.history.keep_asks).

On the synthetic area of tests/gap_area.py (63 wards, three categories): the first keep reads each
table's latest rows once (not once per moment of asking) and writes each row's moment with it; after
that, a change of one need looks only at that need's ward, and keeps its ask.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import event, select

from tests import gap_area
from tests.test_gap_store import _load_area
from webmap.core.db import db
from webmap.core.models import GapSnapshot, GapSnapshotRow, Need, utcnow
from webmap.gaps import changes, history
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore

SETTINGS = {
    "GAP_SNAPSHOTS": "inline",
    "REFRESH": "inline",
    "GAP_SNAPSHOT_METHODS": "share",
    "ACCESS_DISTANCE_M": gap_area.DISTANCE,
}


def _stored_area() -> None:
    """Load the synthetic area and make the history's tables (no asks kept yet).

    Each need is stored after every place, a moment of its own: its ask is read from the latest rows.
    """
    from tests.conftest import load_categories_only

    load_categories_only()
    _load_area(random.Random(7))
    now = utcnow()
    for i, need in enumerate(db.session.scalars(select(Need).order_by(Need.id))):
        need.created_at = now + timedelta(microseconds=i)
    db.session.commit()
    history.take_snapshot("import")
    changes.taken(db.session)


def _asked_rows() -> dict[tuple[str, str], GapSnapshotRow]:
    rows = db.session.scalars(
        select(GapSnapshotRow)
        .join(GapSnapshot, GapSnapshot.id == GapSnapshotRow.snapshot_id)
        .where(GapSnapshot.kind == gapstore.ASKED)
    ).all()
    return {(r.ward_code, r.category): r for r in rows}


def _updates_of_rows(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("UPDATE GAP_SNAPSHOT_ROWS")]


def test_the_first_keep_reads_each_table_once_and_writes_each_moment_with_its_row(make_app, monkeypatch):
    app = make_app(**SETTINGS)
    with app.app_context():
        _stored_area()
        asks = history.first_asks()
        read = []
        latest_rows = gapstore.latest_rows

        def counted(wards, keys):
            read.append(list(keys))
            return latest_rows(wards, keys)

        monkeypatch.setattr(gapstore, "latest_rows", counted)
        statements: list[str] = []

        def seen(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", seen)
        try:
            assert history.keep_first_asks() == len(asks)
        finally:
            event.remove(db.engine, "before_cursor_execute", seen)
        # Many moments, one read per table.
        assert len(set(asks.values())) > len(gap_area.CATEGORIES)
        assert len(read) == len({k for keys in read for k in keys}) == len({c for _, c in asks})
        # The moments go in with the rows: no UPDATE of the history's rows afterwards.
        assert _updates_of_rows(statements) == []
        kept = _asked_rows()
        assert kept.keys() == asks.keys()
        assert all(row.asked_at == asks[pair] and not row.latest for pair, row in kept.items())


def test_keep_asked_names_each_rows_moment_and_leaves_others_unnamed(make_app):
    app = make_app(**SETTINGS)
    with app.app_context():
        _stored_area()
        key = gapstore.key_of(gaps_service.GapQuery(gap_area.CATEGORIES[0], "share", gap_area.DISTANCE))
        table = gapstore.latest_table(gapstore.query_of(key))[0].head(2)
        first, second = table["ward_code"]
        moment = datetime.combine(date(2026, 3, 31), time.max)
        entry = gapstore.keep_asked(date(2026, 3, 31), {key: table}, {(first, key): moment})
        db.session.commit()
        rows = {
            r.ward_code: r
            for r in db.session.scalars(select(GapSnapshotRow).where(GapSnapshotRow.snapshot_id == entry.id))
        }
        assert rows.keys() == {first, second}
        assert rows[first].asked_at == moment and rows[second].asked_at is None
        assert entry.kind == gapstore.ASKED and entry.as_of == date(2026, 3, 31)


def test_after_one_need_only_its_ward_is_asked_about_and_its_ask_is_kept(make_app, monkeypatch):
    app = make_app(**SETTINGS)
    with app.app_context():
        _stored_area()
        history.keep_first_asks()
        asks = history.first_asks()
        ward, category = next(
            (w, c) for w in sorted({w for w, _ in asks}) for c in gap_area.CATEGORIES if (w, c) not in asks
        )
        asked_about = []
        first_asks = history.first_asks

        def recorded(ward_codes=None):
            asked_about.append(ward_codes)
            return first_asks(ward_codes)

        monkeypatch.setattr(history, "first_asks", recorded)
        need = Need(ward_code=ward, category_id=category, count=1.0, source="test")
        db.session.add(need)
        db.session.commit()
        found = changes.taken(db.session)
        assert found and found[-1].needs == ((ward, category),)
        history.catch_up("need", found)
        assert asked_about == [[ward]]
        row = _asked_rows()[(ward, category)]
        assert row.asked_at == need.created_at and row.need_count == 1


@pytest.mark.parametrize(
    ("kind", "change", "as_of", "expected"),
    [
        ("need", gapstore.Change(2, needs=(("E1", "youth"),)), None, {("E1", "youth")}),
        # A place approved adds no ask: what was kept of one is the map as it stood when asked.
        ("approval", gapstore.Change(2, places=((-1.5, 53.8, "youth"),)), None, set()),
        ("import", gapstore.Change(2, all_needs=True), None, None),
        ("import", gapstore.Change(2, full=True), None, None),
        ("round", gapstore.Change(2, needs=(("E1", "youth"),)), date(2026, 3, 31), None),
    ],
)
def test_only_a_change_of_some_needs_keeps_just_their_asks(kind, change, as_of, expected):
    assert history._asks_of(kind, [change], as_of) == expected  # None: every ask of the area
    assert history._asks_of("need", [], None) is None  # no change named: the whole area


@pytest.mark.parametrize("seed", range(4))
def test_the_last_moment_on_the_map_is_the_latest_on_map_from_of_every_place(make_app, seed):
    """store.last_on_map equals the greatest on_map_from of on_map_since, without reading every place."""
    import shapely

    from webmap.core import store
    from webmap.core.models import Asset, AuditEvent

    rng = random.Random(seed)
    app = make_app()
    with app.app_context():
        start = datetime(2026, 1, 1)
        for n in range(30):
            source = rng.choice(["resident", "osm", None, "import"])
            asset = Asset(
                name=f"Place {n}",
                kind="group",
                lon=-2.2,
                lat=53.5,
                geom=shapely.Point(-2.2, 53.5),
                status=rng.choice(["approved", "approved", "pending", "archived"]),
                source=source,
                created_at=start + timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 23)),
                opened_on=rng.choice([None, None, date(2026, rng.randint(1, 12), rng.randint(1, 28))]),
            )
            db.session.add(asset)
            db.session.flush()
            if source == "resident" and rng.random() < 0.7:
                at = asset.created_at + timedelta(days=rng.randint(0, 60))
                db.session.add(
                    AuditEvent(at=at, actor="test", action="approve", entity_type="asset", entity_id=str(asset.id))
                )
        db.session.commit()
        every = store.on_map_since()["on_map_from"]
        assert store.last_on_map() == every.max().to_pydatetime()


@pytest.mark.parametrize("latest", ["imported", "opened", "submitted", "none"])
def test_the_last_moment_on_the_map_is_whichever_came_last(make_app, latest):
    """An imported place's record, a place's opening day or a submitted place's approval: the latest of them.

    Places not approved (however late), a day nobody gave (NULL opened_on) and a submitted
    place's own record (it came on the map at its approval) never count.
    """
    import shapely

    from tests.conftest import empty_database
    from webmap.core import store
    from webmap.core.models import Asset, AuditEvent

    app = make_app()
    with app.app_context():
        empty_database()
        late = {"imported": datetime(2026, 9, 1), "opened": date(2026, 10, 1), "submitted": datetime(2026, 11, 1)}
        places = [
            ("approved", "osm", datetime(2026, 8, 1) if latest != "imported" else late["imported"], None),
            ("approved", None, datetime(2026, 2, 1), late["opened"] if latest == "opened" else date(2026, 3, 1)),
            ("approved", "resident", datetime(2026, 12, 1), None),
            ("pending", "osm", datetime(2027, 1, 1), date(2027, 1, 1)),
            ("archived", "import", datetime(2027, 2, 1), None),
        ]
        if latest == "none":
            places = places[3:]
        for n, (status, source, created_at, opened_on) in enumerate(places):
            place = Asset(name=f"Place {n}", kind="group", lon=-2.2, lat=53.5, geom=shapely.Point(-2.2, 53.5))
            place.status, place.source, place.created_at, place.opened_on = status, source, created_at, opened_on
            db.session.add(place)
            db.session.flush()
            if source == "resident":
                at = late["submitted"] if latest == "submitted" else datetime(2026, 4, 1)
                db.session.add(
                    AuditEvent(at=at, actor="test", action="approve", entity_type="asset", entity_id=str(place.id))
                )
        db.session.commit()
        every = store.on_map_since()["on_map_from"]
        want = (
            None if latest == "none" else datetime.combine(late[latest], time()) if latest == "opened" else late[latest]
        )
        assert store.last_on_map() == want
        assert want is None or want == every.max().to_pydatetime()
