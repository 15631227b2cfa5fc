"""The one gap store: incremental refresh equals a full rebuild after each of 50 random single changes.

Runs on SQLite, and on PostGIS with WEBMAP_TEST_DATABASE_URL. The area is built inline
(tests/gap_area.py): 63 wards of 500 m, three categories, places and needs placed at random.
"""

from __future__ import annotations

import random

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import delete, insert, select

from tests import gap_area
from tests.analysis.test_incremental import assert_same
from webmap.analysis import derive
from webmap.core.db import db
from webmap.core.models import Asset, Category, GapSnapshotRow, Need, Ward
from webmap.gaps import apply as gapply
from webmap.gaps import changes, history
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore

SETTINGS = {
    "GAP_SNAPSHOTS": "inline",
    "REFRESH": "inline",
    "GAP_SNAPSHOT_METHODS": "share,2sfca",
    "ACCESS_DISTANCE_M": gap_area.DISTANCE,
}


def _load_area(rng: random.Random) -> gpd.GeoDataFrame:
    """Keep only the three categories and store the synthetic wards, places and needs; return the wards (lon/lat)."""
    db.session.execute(delete(Category).where(Category.id.not_in(gap_area.CATEGORIES)))
    grid = gap_area.wards(rng).to_crs("EPSG:4326")
    for row in grid.itertuples():
        db.session.add(
            Ward(
                code=row.code,
                name=row.name,
                population=None if pd.isna(row.population) else row.population,
                deprivation=None if pd.isna(row.deprivation) else row.deprivation,
                geom=shapely.MultiPolygon([row.geometry]),
            )
        )
    places = gap_area.assets(rng).to_crs("EPSG:4326")
    for _asset_id, rows in places.groupby("asset_id"):
        _add_place(grid, rows.geometry.iloc[0], list(rows["category"]))
    for row in gap_area.needs(rng, gap_area.wards(rng)).itertuples():
        db.session.add(
            Need(
                ward_code=row.ward_code,
                category_id=row.category,
                count=row.count,
                source="test",
                response_key=row.response_key,
            )
        )
    db.session.commit()
    return grid


def _add_place(grid, point, categories) -> Asset:
    asset = Asset(
        name="Place",
        kind="group",
        lon=point.x,
        lat=point.y,
        geom=point,
        status="approved",
        ward_code=gap_area.ward_of(grid, point),
        categories=[db.session.get(Category, c) for c in categories],
    )
    db.session.add(asset)
    return asset


def _random_change(rng: random.Random, grid) -> str:
    """Make one change a council's day is made of, through the models; return what it was."""
    approved = list(db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)))
    needs = list(db.session.scalars(select(Need).order_by(Need.id)))
    kind = rng.choice(["approve", "archive", "move", "need", "withdraw need"])
    if kind == "approve" or (kind in ("archive", "move") and not approved):
        point = gpd.GeoSeries([gap_area.random_point(rng)], crs=gap_area.BNG).to_crs("EPSG:4326").iloc[0]
        asset = _add_place(grid, point, [rng.choice(gap_area.CATEGORIES)])
        asset.status = "pending"
        db.session.commit()
        asset.status = "approved"  # approval of a place residents suggested
        kind = "approve"
    elif kind == "archive":
        rng.choice(approved).status = "archived"
    elif kind == "move":
        asset = rng.choice(approved)
        point = gpd.GeoSeries([gap_area.random_point(rng)], crs=gap_area.BNG).to_crs("EPSG:4326").iloc[0]
        asset.lon, asset.lat, asset.geom = point.x, point.y, point
        asset.ward_code = gap_area.ward_of(grid, point)
    elif kind == "need" or not needs:
        # One response stating one to three needs (one key), or a count table's row (no key).
        for row in gap_area.response(rng, list(grid["code"]), f"new{len(needs)}-{rng.random()}"):
            db.session.add(Need(category_id=row.pop("category"), source="test", **row))
        kind = "need"
    else:
        gone = rng.choice(needs)
        if gone.response_key is not None and rng.random() < 0.5:
            # The whole response withdrawn (every need it stated), else just one of its needs.
            for need in needs:
                if need.response_key == gone.response_key:
                    db.session.delete(need)
        else:
            db.session.delete(gone)
    db.session.commit()
    return kind


def _assert_store_equals_full_rebuild(where: str) -> None:
    keys = gapstore.kept_keys()
    fresh = {
        gapstore.key_of(q): pd.DataFrame(t.drop(columns="geometry"))
        for q, t in gaps_service.gap_frames([gapstore.query_of(k) for k in keys])
    }
    for key in keys:
        table, version = gapstore.latest_table(gapstore.query_of(key))
        assert gapstore.is_current(gapstore.query_of(key)), f"{where}: {key} not current"
        assert_same(table, fresh[key], f"{where}: {key}")
    # A worker reads a table's stored rows a column at a time: the same as the rows read whole.
    for key in keys:
        whole = gapstore._inputs_of(key, gapstore._frame(gapstore._figures_of_rows(key), ranked=False))
        pd.testing.assert_frame_equal(gapstore._read_inputs(key), whole, check_dtype=False, obj=f"{where}: {key}")
    # One ward's figures (ward profile, report) are worked out from its row and the table's area
    # figures alone: the same as its row of the whole table, rank aside.
    wards = sorted(fresh[keys[0]]["ward_code"])[::7]
    by_key: dict[str, list[dict]] = {}
    for key, figures in gapstore.latest_rows(wards, keys):
        by_key.setdefault(key, []).append(figures)
    for key in keys:
        want = fresh[key][fresh[key]["ward_code"].isin(wards)].drop(columns="rank")
        got = pd.DataFrame(by_key[key])
        got = got[[c for c in want.columns]]
        assert_same(got, want, f"{where}: one ward's figures of {key}")


def test_fifty_random_changes_refresh_incrementally_and_equal_a_full_rebuild(make_app, monkeypatch):
    monkeypatch.setattr(gapstore, "BATCH", 10)  # tables written a part of the wards at a time, as nationally
    app = make_app(**SETTINGS)
    rng = random.Random(2024)
    with app.app_context():
        from tests.conftest import load_categories_only

        load_categories_only()
        grid = _load_area(rng)
        changes.taken(db.session)
        history.take_snapshot("import")
        _assert_store_equals_full_rebuild("start")
        rows_before = db.session.query(GapSnapshotRow).count()
        written = []
        for step in range(50):
            kind = _random_change(rng, grid)
            found = changes.taken(db.session)
            assert found and not any(c.full for c in found), f"step {step}: {kind} was not seen as a single change"
            count = db.session.query(GapSnapshotRow).count()
            assert gapply.apply_changes(found, "need") in ("incremental", "current"), f"step {step}: {kind}"
            written.append(db.session.query(GapSnapshotRow).count() - count)
            _assert_store_equals_full_rebuild(f"step {step} ({kind})")
        # Responses stating several needs were among the data: overall responses fall short of stated needs.
        overall = gapstore.latest_table(gaps_service.GapQuery("all", "share", gap_area.DISTANCE))[0]
        assert (overall["responses"] < overall["need_count"]).any()
        # History grew by the changed rows only, never by whole copies of every table.
        assert db.session.query(GapSnapshotRow).count() - rows_before == sum(written)
        assert max(written) < rows_before


def test_a_new_need_writes_its_wards_rows_only(make_app):
    """The area-wide figures a need moves are kept once per table, not in every ward's row."""
    app = make_app(**SETTINGS)
    with app.app_context():
        grid = _stored_area(app)
        ward = sorted(grid["code"])[3]
        before = {r.id for r in db.session.query(GapSnapshotRow.id)}
        db.session.add(Need(ward_code=ward, category_id=gap_area.CATEGORIES[0], count=1, source="test"))
        db.session.commit()
        assert gapply.apply_changes(changes.taken(db.session), "need") == "incremental"
        written = db.session.query(GapSnapshotRow).filter(~GapSnapshotRow.id.in_(before)).all()
        kept = gapstore.kept_keys()
        # The kind's table and "all needs", by each kept method: that ward's rows, no other.
        assert written and {r.ward_code for r in written} == {ward}
        assert {r.key for r in written} <= {k for k in kept if k.split("|")[0] in ("all", gap_area.CATEGORIES[0])}
        _assert_store_equals_full_rebuild("after one need")


def test_a_whole_table_written_in_parts_keeps_its_wards_latest_rows_only(make_app, monkeypatch):
    monkeypatch.setattr(gapstore, "BATCH", 4)
    app = make_app(**SETTINGS)
    with app.app_context():
        _stored_area(app)
        key = gapstore.key_of(gaps_service.GapQuery(gap_area.CATEGORIES[0], "share", gap_area.DISTANCE))
        table, version = gapstore.latest_table(gapstore.query_of(key))
        table = table.sort_values("ward_code").reset_index(drop=True)
        kept = table.iloc[:-5].copy()  # five wards are no longer in the table
        moved = list(kept["ward_code"].iloc[[0, 5, 9]])  # in three different parts
        kept.loc[kept["ward_code"].isin(moved), "need_count"] += 1
        _, written = gapstore.write({key: kept}, version, "manual")
        db.session.commit()
        latest = dict(
            db.session.execute(
                select(GapSnapshotRow.ward_code, GapSnapshotRow.need_count).where(
                    GapSnapshotRow.key == key, GapSnapshotRow.latest
                )
            ).all()
        )
        assert written == 3
        assert set(latest) == set(kept["ward_code"])
        for ward in moved:
            assert latest[ward] == table.set_index("ward_code").loc[ward, "need_count"] + 1


def test_a_table_that_missed_a_change_is_rebuilt_in_full(make_app):
    app = make_app(**SETTINGS)
    with app.app_context():
        from tests.conftest import load_categories_only

        load_categories_only()
        grid = _load_area(random.Random(7))
        history.take_snapshot("import")
        _random_change(random.Random(1), grid)
        missed = changes.taken(db.session)
        _random_change(random.Random(2), grid)
        latest = changes.taken(db.session)
        assert missed and latest
        # The first change was never applied: applying only the second would be wrong, so it rebuilds.
        assert gapply.apply_change(latest[-1]) == "full"
        _assert_store_equals_full_rebuild("after a missed change")


def test_changes_travel_as_json():
    change = gapstore.Change(7, needs=(("E1", "youth"),), places=((-1.5, 53.8, "library"),), all_needs=False)
    assert gapstore.Change.from_json(change.to_json()) == change
    later = gapstore.Change(8, needs=(("E2", "youth"),))
    both = gapply.merged([later, change])
    assert (both.version, both.base, len(both.needs)) == (8, 6, 2)
    assert gapply.merged([change, gapstore.Change(9)]) is None  # a missing commit in between


def _rows_of_other_shapes() -> dict[str, list[dict]]:
    """Stored rows a frame reads with gaps: a JSON null, a figure one row lacks, one only a later row holds."""
    base = {"ward_name": "W", "population": 1000, "population_method": "census", "deprivation": None, "responses": 2}
    category = {"assets_in_ward": 1, "assets_within_distance": 3, "access_share": 0.5, "access_score": None}
    overall = {"need:youth": 2.0, "access:youth": 0.25, "need:library": None, "access:library": 1.5}
    return {
        # Rows of a category table: a JSON null, and a row without access_score nor its ward's name.
        "youth|share|800|0": [
            {"ward_code": "E2", **base, **category, "need_count": 2.0, "rank": 1},
            {"ward_code": "E1", **base, **category, "need_count": None, "ward_name": None},
            {"ward_code": "E3", "population": 10, "need_count": 1.5, "responses": 1, "assets_in_ward": 0},
        ],
        # "All needs" rows the first row's figures name: a later row lacks a category's pair.
        "all|share|800|0": [
            {"ward_code": "E2", **base, **overall},
            {"ward_code": "E1", **base, "need:youth": 0.0, "access:youth": None},
        ],
        # "All needs" rows where a later row holds a category the first does not (its columns go last).
        "all|2sfca|800|0": [
            {"ward_code": "E2", **base, "need:youth": 1.0, "access:youth": 0.5},
            {"ward_code": "E1", **base, "need:sport": None, "access:sport": 2.0, **overall},
        ],
    }


def test_stored_rows_read_a_column_at_a_time_are_the_rows_read_whole(make_app):
    """Column order, JSON null and missing figures as NaN (None in text columns), as a frame of the rows reads them."""
    app = make_app(**SETTINGS)
    with app.app_context():
        from tests.conftest import load_categories_only

        load_categories_only()
        entry = gapstore._entry("import", 1, None, None, False)
        for key, rows in _rows_of_other_shapes().items():
            db.session.execute(insert(GapSnapshotRow), [gapstore._row(entry.id, key, r, True) for r in rows])
        db.session.commit()
        for key in _rows_of_other_shapes():
            whole = gapstore._inputs_of(key, gapstore._frame(gapstore._figures_of_rows(key), ranked=False))
            read = gapstore._read_inputs(key)
            pd.testing.assert_frame_equal(read, whole, check_dtype=False, obj=key)
            assert (read.dtypes[[c for c in read.columns if c not in gapstore._TEXT_INPUTS]] == "float64").all()
        youth = gapstore._read_inputs("youth|share|800|0")
        assert list(youth.columns) == derive.CATEGORY_INPUTS
        assert youth["need_count"].isna().tolist() == [True, False, False]
        assert youth["ward_name"].isna().tolist() == [True, False, True]
        assert youth["access_score"].isna().all() and youth["deprivation"].isna().all()
        overall = gapstore._read_inputs("all|share|800|0")
        assert list(overall.columns)[-4:] == ["need:youth", "access:youth", "need:library", "access:library"]
        assert overall["access:youth"].isna().tolist() == [True, False]
        assert overall["need:library"].isna().all() and overall["access:library"].isna().tolist() == [True, False]
        later = gapstore._read_inputs("all|2sfca|800|0")
        assert list(later.columns)[-4:] == ["need:sport", "access:sport", "need:library", "access:library"]


def _stored_area(app):
    from tests.conftest import load_categories_only

    load_categories_only()
    grid = _load_area(random.Random(7))
    history.take_snapshot("import")
    changes.taken(db.session)  # the area's own loading, already in the store
    return grid


def _new_point():
    return gpd.GeoSeries([gap_area.random_point(random.Random(3))], crs=gap_area.BNG).to_crs("EPSG:4326").iloc[0]


def test_a_pending_place_leaves_the_store_current_and_its_approval_applies_incrementally(make_app):
    from webmap.scale import versions

    app = make_app(**SETTINGS)
    with app.app_context():
        grid = _stored_area(app)
        version = versions.current(versions.DATA)
        asset = _add_place(grid, _new_point(), [gap_area.CATEGORIES[0]])
        asset.status = "pending"  # a resident's suggestion: on no map, in no gap table
        db.session.commit()
        assert versions.current(versions.DATA) == version
        assert all(gapstore.is_current(gapstore.query_of(k)) for k in gapstore.kept_keys())
        asset.status = "approved"
        db.session.commit()
        found = changes.taken(db.session)
        assert [c.places for c in found] and found[-1].places
        # Applied on the version before it (a pending place in between used to make this a full rebuild).
        assert gapply.apply_changes(found) == "incremental"
        _assert_store_equals_full_rebuild("after approving a pending place")


def test_a_change_of_many_places_is_applied_in_full_and_carries_no_list(make_app, monkeypatch):
    monkeypatch.setattr(changes, "MANY_PLACES", 3)
    app = make_app(**SETTINGS)
    with app.app_context():
        grid = _stored_area(app)
        rng = random.Random(5)
        points = gpd.GeoSeries([gap_area.random_point(rng) for _ in range(3)], crs=gap_area.BNG).to_crs("EPSG:4326")
        for point in points[:1]:
            _add_place(grid, point, gap_area.CATEGORIES[:3])  # three pairs: still a local change
        db.session.commit()
        (few,) = changes.taken(db.session)
        assert len(few.places) == 3 and not few.full
        assert gapply.apply_changes([few]) == "incremental"
        for point in points[1:]:
            _add_place(grid, point, gap_area.CATEGORIES[:2])  # four pairs: one too many
        db.session.commit()
        (many,) = changes.taken(db.session)
        assert many.full and many.places == ()
        assert gapply.apply_changes([many]) == "full"
        _assert_store_equals_full_rebuild("after a change of many places")


def test_merged_changes_of_many_places_are_applied_in_full(monkeypatch):
    monkeypatch.setattr(changes, "MANY_PLACES", 3)
    first = gapstore.Change(5, places=((0.0, 51.0, "youth"), (0.1, 51.0, "youth")))
    second = gapstore.Change(6, places=((0.2, 51.0, "youth"), (0.3, 51.0, "youth")))
    assert gapply.merged([first]).places == first.places
    together = gapply.merged([first, second])
    assert together is not None and together.full and together.places == () and together.first == 5


def test_a_change_the_page_did_not_hand_on_is_handed_on_after_the_request(make_app):
    app = make_app(**SETTINGS)
    with app.app_context():
        grid = _stored_area(app)
    with app.test_request_context("/moderate/assets/1/archive", method="POST"):
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        asset.status = "archived"
        db.session.commit()
        assert not all(gapstore.is_current(gapstore.query_of(k)) for k in gapstore.kept_keys())
        app.process_response(app.response_class("done"))
        assert not changes.pending_handover(db.session)
        _assert_store_equals_full_rebuild("after a change handed on after the request")
    assert grid is not None


def test_the_daily_settle_keeps_every_moved_ward_in_the_history(make_app):
    """After a need, other wards' figures moved with the area rate: the settle writes them, once."""
    app = make_app(**SETTINGS)
    with app.app_context():
        grid = _stored_area(app)
        ward = sorted(grid.loc[grid["population"] > 0, "code"])[5]  # a need that counts in the area rate
        db.session.add(Need(ward_code=ward, category_id=gap_area.CATEGORIES[1], count=2, source="test"))
        db.session.commit()
        assert gapply.apply_changes(changes.taken(db.session), "need") == "incremental"
        key = gapstore.key_of(gaps_service.GapQuery(gap_area.CATEGORIES[1], "share", gap_area.DISTANCE))
        shown = gapstore.latest_table(gapstore.query_of(key))[0].set_index("ward_code")
        stale = _latest_smoothed(key)
        moved = [w for w, rate in stale.items() if rate is not None and abs(rate - shown.loc[w, SMOOTHED]) > 1e-9]
        assert moved and ward not in moved  # the need's own ward was written at once
        result = app.test_cli_runner().invoke(args=["gaps", "settle"])
        assert result.exit_code == 0, result.output
        assert "ward rows had moved" in result.output
        kept = _latest_smoothed(key)
        for code, rate in kept.items():
            want = shown.loc[code, SMOOTHED]
            assert (rate is None and pd.isna(want)) or abs(rate - want) <= 1e-9, code
        assert gapstore.settle() == 0  # nothing moved since


SMOOTHED = "need_per_1000_smoothed"


def _latest_smoothed(key: str) -> dict:
    """Each ward's smoothed need rate as its latest history row holds it (it moves with the area rate)."""
    rows = db.session.execute(
        select(GapSnapshotRow.ward_code, GapSnapshotRow.figures).where(GapSnapshotRow.key == key, GapSnapshotRow.latest)
    ).all()
    return {ward: (figures or {}).get(SMOOTHED) for ward, figures in rows}
