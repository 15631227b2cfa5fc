"""The settings tests/conftest.py changes only for speed, left at production's defaults.

BASE_CONFIG derives tables inside the request (REFRESH=inline) and takes no gap snapshots
(GAP_SNAPSHOTS=off). Here a resident's need goes through the form on an app with production's
REFRESH, GAP_SNAPSHOTS and GAP_SNAPSHOT_METHODS, read from webmap.core.config so they follow any change.
"""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import BASE_CONFIG, REPO, csrf_token, empty_database
from tests.test_gaps_web import records
from webmap.core.config import DEFAULTS
from webmap.core.db import db
from webmap.core.models import GapSnapshot, GapSnapshotRow, Ward
from webmap.gaps.views import BEHIND as _BEHIND
from webmap.gaps.views import WORKING as _WORKING

BEHIND, WORKING = str(_BEHIND), str(_WORKING)  # lazy messages, read as English here

PRODUCTION = {name: DEFAULTS[name] for name in ("REFRESH", "GAP_SNAPSHOTS", "GAP_SNAPSHOT_METHODS")}


def production_app(make_app):
    """The sample area on an app whose refresh and snapshot settings are production's defaults."""
    from webmap.importers.categories import import_categories
    from webmap.imports.sample import load_sample

    app = make_app(**PRODUCTION)
    with app.app_context():
        empty_database()
        import_categories(REPO / "data" / "categories.csv")
        db.session.commit()
        load_sample()
    return app


def test_the_speed_settings_differ_from_production():
    """Else the test below would prove nothing beyond the rest of the suite."""
    assert BASE_CONFIG["REFRESH"] != PRODUCTION["REFRESH"] == "auto"
    assert BASE_CONFIG["GAP_SNAPSHOTS"] != PRODUCTION["GAP_SNAPSHOTS"] == "background"


def test_a_residents_need_shows_at_once_and_is_snapshotted_after_the_response(make_app):
    app = production_app(make_app)
    client = app.test_client()
    with app.app_context():
        ward = db.session.scalars(select(Ward).order_by(Ward.code)).first()
        code, name = ward.code, ward.name
    before = records(client.get("/gaps?category=youth").get_data(as_text=True))[name]["Stated needs"]
    with app.app_context():  # counted after the first page, whose own refresh is an entry of the history too
        taken = db.session.scalar(select(func.count()).select_from(GapSnapshot))

    response = client.post(
        "/needs/new", data={"csrf_token": csrf_token(client, "/needs/new"), "ward": code, "categories": ["youth"]}
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    # REFRESH=auto on a small area: the figures catch up inside the next request, no "behind" notice.
    html = client.get("/gaps?category=youth").get_data(as_text=True)
    assert BEHIND not in html and WORKING not in html
    after = records(html)[name]["Stated needs"]
    assert int(after.split()[0].replace(",", "")) == int(before.split()[0].replace(",", "")) + 1
    # GAP_SNAPSHOTS=background: the snapshot is taken after the response, for every production method.
    # The queue runs tasks at once in tests (QUEUE_URL=immediate): the snapshot task has run by now.
    with app.app_context():
        new = db.session.scalars(select(GapSnapshot).order_by(GapSnapshot.id)).all()[taken:]
        # The first ask in a ward also keeps "when residents asked" (an entry of kind "asked", issue 22).
        assert sorted(s.kind for s in new) == ["asked", "need"]
        new = [s for s in new if s.kind == "need"]
        methods = set(db.session.scalars(select(GapSnapshotRow.method).where(GapSnapshotRow.snapshot_id == new[0].id)))
        assert methods == set(PRODUCTION["GAP_SNAPSHOT_METHODS"].split(","))
        youth = db.session.scalar(
            select(GapSnapshotRow.need_count).where(
                GapSnapshotRow.snapshot_id == new[0].id,
                GapSnapshotRow.ward_code == code,
                GapSnapshotRow.category == "youth",
                GapSnapshotRow.method == "share",
            )
        )
    assert youth == int(after.split()[0].replace(",", ""))
