"""Gap history: snapshots as database rows after changes, `flask gaps snapshot` and `flask gaps history`."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, load_fresh_sample, login, make_staff
from webmap.core.db import db
from webmap.core.models import Asset, GapSnapshot, GapSnapshotRow
from webmap.gaps import history as snapshots
from webmap.gaps import service as gaps_service

WARD = "E05900001"


def invoke(app, *args: str):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def loaded(make_app, **settings):

    app = make_app(**settings)
    with app.app_context():
        load_fresh_sample()
    return app


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_snapshot_command_keeps_every_ward_category_and_method(sample_app):
    result = invoke(sample_app, "gaps", "snapshot")
    assert result.exit_code == 0, result.output
    with sample_app.app_context():
        kept = set(db.session.scalars(select(func.distinct(GapSnapshotRow.category))))
        methods = set(db.session.scalars(select(func.distinct(GapSnapshotRow.method))))
        wards = db.session.scalar(select(func.count(func.distinct(GapSnapshotRow.ward_code))))
        rows = db.session.scalar(select(func.count()).select_from(GapSnapshotRow))
        # The snapshot holds exactly what the gap page shows today, figures and inputs included.
        live = gaps_service.gap_frame(gaps_service.GapQuery("youth", "2sfca", 800.0)).set_index("ward_code")
        stored = (
            db.session.execute(
                select(GapSnapshotRow).where(GapSnapshotRow.category == "youth", GapSnapshotRow.method == "2sfca")
            )
            .scalars()
            .all()
        )
    assert methods == set(gaps_service.METHODS) and wards == 16
    # All needs and every category (the tables pages show are the same rows), by every method.
    with sample_app.app_context():
        assert kept == {"all", *gaps_service.store.category_labels()}
    assert rows == 16 * len(kept) * 4 and f"{rows} rows" in result.output
    for row in stored:
        expected = live.loc[row.ward_code]
        assert row.gap_score == pytest.approx(expected["gap_score"])
        assert row.figures["need_count"] == expected["need_count"]
        assert row.figures["population"] == pytest.approx(expected["population"])
        assert row.figures["access_score"] == pytest.approx(expected["access_score"])


def test_at_most_one_snapshot_per_day_per_change_kind(sample_app):
    assert invoke(sample_app, "gaps", "snapshot").exit_code == 0
    rows = count(sample_app, GapSnapshotRow)
    assert invoke(sample_app, "gaps", "snapshot").exit_code == 0
    # Replaced, rows and all.
    assert (count(sample_app, GapSnapshot), count(sample_app, GapSnapshotRow)) == (1, rows)
    with sample_app.app_context():
        snapshots.take_snapshot("approval")
        db.session.commit()
    # A new entry for another kind of change, holding only the rows that changed: none here.
    assert (count(sample_app, GapSnapshot), count(sample_app, GapSnapshotRow)) == (2, rows)


def test_snapshot_without_wards_is_refused(app):
    result = invoke(app, "gaps", "snapshot")
    assert result.exit_code == 1 and "There are no wards yet" in result.output


def test_the_old_gaps_usage_still_works_and_needs_out(sample_app, tmp_path):
    out = tmp_path / "g.csv"
    assert invoke(sample_app, "gaps", "--category", "youth", "--out", str(out)).exit_code == 0 and out.exists()
    missing = invoke(sample_app, "gaps", "--category", "youth")
    assert missing.exit_code == 2 and "Missing option '--out'" in missing.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--ward", "E05999999", "--category", "youth"], "Ward 'E05999999' is not loaded"),
        (["--ward", WARD, "--category", "unicorns"], "Category 'unicorns' is not a category id"),
    ],
)
def test_history_refuses_unknown_ward_or_category(sample_app, args, message):
    result = invoke(sample_app, "gaps", "history", *args)
    assert result.exit_code == 1 and message in result.output


def test_history_says_when_there_is_none(sample_app):
    result = invoke(sample_app, "gaps", "history", "--ward", WARD, "--category", "youth")
    assert result.exit_code == 0 and "No gap history yet" in result.output


def _pending_asset_near(app) -> int:
    """Add a pending food place in the ward and return its id."""
    with app.app_context():
        ward_asset = db.session.scalars(
            select(Asset).where(Asset.ward_code == WARD, Asset.status == "approved")
        ).first()
        from webmap.core.models import Category

        asset = Asset(
            name="New Larder",
            lon=ward_asset.lon,
            lat=ward_asset.lat,
            geom=ward_asset.geom,
            ward_code=WARD,
            status="pending",
            kind="group",
            categories=[db.session.get(Category, "food_support")],
        )
        db.session.add(asset)
        db.session.commit()
        return asset.id


def test_an_approval_takes_a_snapshot_showing_the_new_place(make_app):
    app = loaded(make_app, GAP_SNAPSHOTS="inline", GAP_SNAPSHOT_METHODS="share")
    asset_id = _pending_asset_near(app)
    with app.app_context():
        snapshots.take_snapshot("import")
        db.session.commit()
    make_staff(app)
    staff = app.test_client()
    login(staff)
    response = staff.post(f"/moderate/assets/{asset_id}/approve", data={"csrf_token": csrf_token(staff, "/moderate")})
    assert response.status_code == 302
    with app.app_context():
        kinds = [p.kind for p in snapshots.points(WARD, "food_support")]
        before, after = snapshots.points(WARD, "food_support")
    assert kinds == ["import", "approval"]
    assert after.assets_within == before.assets_within + 1


def test_background_snapshots_finish_after_the_response(make_app):
    app = loaded(make_app, GAP_SNAPSHOTS="background", GAP_SNAPSHOT_METHODS="share")
    asset_id = _pending_asset_near(app)
    make_staff(app)
    staff = app.test_client()
    login(staff)
    staff.post(f"/moderate/assets/{asset_id}/approve", data={"csrf_token": csrf_token(staff, "/moderate")})
    assert count(app, GapSnapshot, GapSnapshot.kind == "approval") == 1


def test_unknown_snapshot_method_setting_is_explained(make_app):
    app = loaded(make_app, GAP_SNAPSHOT_METHODS="share,magic")
    result = invoke(app, "gaps", "snapshot")
    assert result.exit_code == 1 and "GAP_SNAPSHOT_METHODS: 'magic' is not a method" in result.output


def test_series_keeps_one_point_per_day_described(sample_app):
    from webmap.core.models import Need

    with sample_app.app_context():
        snapshots.take_snapshot("import")
        unchanged = snapshots.take_snapshot("manual")
        # Nothing changed, so the second entry holds no row: the figures on any day are the last row's.
        assert len(snapshots.points(WARD, "youth")) == 1 and unchanged is not None
        db.session.add(Need(ward_code=WARD, category_id="youth", count=3.0, source="test"))
        db.session.commit()
        snapshots.take_snapshot("approval")
        assert len(snapshots.points(WARD, "youth")) == 2
        assert [p.kind for p in snapshots.series(WARD, "youth")] == ["approval"]
        assert snapshots.series(WARD, "youth")[0].as_of == date.today()
