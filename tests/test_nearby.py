"""Radius search: the same answers as a brute-force geodesic over every asset, on both backends."""

from __future__ import annotations

import random
from datetime import datetime

import pytest
import shapely
from pyproj import Geod
from sqlalchemy import select, text

from webmap.core.db import db
from webmap.core.geo import bounding_box
from webmap.core.models import Asset, Category
from webmap.partners.nearby import count_nearby, explain_nearby, find_nearby, metres_outside, nearby_ids, sqlite_query

GEOD = Geod(ellps="WGS84")


def brute_force(lon, lat, radius, categories=None, match="any", kind=None, exclude_id=None):
    """Every approved asset within radius by pyproj.Geod, sorted by (distance, id)."""
    found = []
    for asset in db.session.scalars(select(Asset)):
        if asset.status != "approved" or asset.id == exclude_id or (kind and asset.kind != kind):
            continue
        cats = set(asset.category_ids())
        if categories and not (cats >= set(categories) if match == "all" else cats & set(categories)):
            continue
        _, _, d = GEOD.inv(lon, lat, asset.lon, asset.lat)
        if d <= radius:
            found.append((d, asset.id))
    return [(i, d) for d, i in sorted(found)]


def add_asset(name, lon, lat, cats, status="approved", kind="group"):
    asset = Asset(
        name=name,
        lon=lon,
        lat=lat,
        geom=shapely.Point(lon, lat),
        status=status,
        kind=kind,
        source="test",
        categories=[db.session.get(Category, c) for c in cats],
    )
    db.session.add(asset)
    db.session.flush()
    return asset


def assert_same(got, expected):
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert max((abs(a - b) for (_, a), (_, b) in zip(got, expected)), default=0.0) < 0.5


@pytest.fixture
def ctx(sample_app):
    with sample_app.app_context():
        yield sample_app


def sample_centres(n, seed):
    rng = random.Random(seed)
    assets = db.session.scalars(select(Asset).order_by(Asset.id)).all()
    picks = rng.sample(assets, n)
    # Some searches start at an asset, some between them.
    return [(a.lon + rng.uniform(-0.01, 0.01), a.lat + rng.uniform(-0.01, 0.01)) for a in picks]


def test_radius_search_matches_brute_force_geodesic(ctx):
    checked = 0
    for lon, lat in sample_centres(12, seed=5):
        for radius in (250, 1000, 3000):
            expected = brute_force(lon, lat, radius)
            got = nearby_ids(lon, lat, radius)
            assert_same(got, expected)
            assert count_nearby(lon, lat, radius) == len(expected)
            checked += len(expected)
    assert checked > 100  # the comparison covered real matches, not only empty answers


def test_results_are_assets_with_distances_nearest_first(ctx):
    lon, lat = sample_centres(1, seed=9)[0]
    results = find_nearby(lon, lat, 3000)
    assert len(results) > 5
    distances = [d for _, d in results]
    assert distances == sorted(distances)
    for asset, d in results:
        assert asset.status == "approved"
        assert abs(GEOD.inv(lon, lat, asset.lon, asset.lat)[2] - d) < 0.5


def test_paging_walks_through_the_whole_list(ctx):
    lon, lat = sample_centres(1, seed=11)[0]
    everything = nearby_ids(lon, lat, 5000)
    assert len(everything) > 20
    pages = [nearby_ids(lon, lat, 5000, limit=7, offset=o) for o in range(0, len(everything), 7)]
    assert [hit for page in pages for hit in page] == everything
    assert all(len(p) == 7 for p in pages[:-1])
    assert [a.id for a, _ in find_nearby(lon, lat, 5000, limit=3, offset=3)] == [i for i, _ in everything[3:6]]


def test_match_any_and_all_categories(ctx):
    lon, lat = sample_centres(1, seed=2)[0]
    a = add_asset("Both", lon + 0.001, lat, ["youth", "sport"])
    b = add_asset("Youth only", lon - 0.001, lat, ["youth"])
    c = add_asset("Sport only", lon, lat + 0.001, ["sport"])
    for match in ("any", "all"):
        expected = brute_force(lon, lat, 4000, ["youth", "sport"], match)
        assert_same(nearby_ids(lon, lat, 4000, ["youth", "sport"], match), expected)
    any_ids = {i for i, _ in nearby_ids(lon, lat, 4000, ["youth", "sport"], "any")}
    all_ids = {i for i, _ in nearby_ids(lon, lat, 4000, ["youth", "sport"], "all")}
    assert {a.id, b.id, c.id} <= any_ids
    assert a.id in all_ids and b.id not in all_ids and c.id not in all_ids
    with pytest.raises(ValueError):
        nearby_ids(lon, lat, 4000, ["youth"], "most")


def test_kind_filter_and_excluding_self(ctx):
    lon, lat = sample_centres(1, seed=3)[0]
    venue = add_asset("A venue", lon, lat, ["community_space"], kind="venue")
    expected = brute_force(lon, lat, 3000, kind="venue")
    got = nearby_ids(lon, lat, 3000, kind="venue")
    assert_same(got, expected)
    assert got[0] == (venue.id, pytest.approx(0.0, abs=1e-6))
    assert all(db.session.get(Asset, i).kind == "venue" for i, _ in got)
    without = nearby_ids(lon, lat, 3000, kind="venue", exclude_id=venue.id)
    assert venue.id not in {i for i, _ in without}
    assert_same(without, brute_force(lon, lat, 3000, kind="venue", exclude_id=venue.id))


def test_pending_rejected_and_archived_are_never_returned(ctx):
    lon, lat = sample_centres(1, seed=4)[0]
    hidden = [add_asset(f"Hidden {s}", lon, lat, ["youth"], status=s) for s in ("pending", "rejected", "archived")]
    shown = add_asset("Shown", lon, lat, ["youth"])
    ids = {i for i, _ in nearby_ids(lon, lat, 500)}
    assert shown.id in ids
    assert not ids & {h.id for h in hidden}
    assert shown.id in {i for i, _ in nearby_ids(lon, lat, 500, ["youth"], "all", "group")}


def test_edge_of_the_circle(ctx):
    lon, lat = sample_centres(1, seed=6)[0]
    # Place assets just inside and just outside 1,000 m due north-east.
    in_lon, in_lat, _ = GEOD.fwd(lon, lat, 45, 999.0)
    out_lon, out_lat, _ = GEOD.fwd(lon, lat, 45, 1001.0)
    inside = add_asset("Inside", in_lon, in_lat, ["library"])
    outside = add_asset("Outside", out_lon, out_lat, ["library"])
    ids = {i for i, _ in nearby_ids(lon, lat, 1000, ["library"])}
    assert inside.id in ids and outside.id not in ids


def test_bounding_box_encloses_the_circle():
    for lat in (-70.0, 0.0, 51.5, 53.5, 80.0):
        for radius in (10.0, 1000.0, 10_000.0, 100_000.0):
            min_lon, min_lat, max_lon, max_lat = bounding_box(1.0, lat, radius)
            for azimuth in range(0, 360, 5):
                x, y, _ = GEOD.fwd(1.0, lat, azimuth, radius)
                assert min_lon <= x <= max_lon and min_lat <= y <= max_lat, (lat, radius, azimuth)


def test_metres_outside_a_box():
    box = (-2.2, 51.8, -1.9, 52.0)
    assert metres_outside(-2.0, 51.9, box) == 0.0
    assert metres_outside(-2.0, 52.1, box) == pytest.approx(GEOD.inv(-2.0, 52.1, -2.0, 52.0)[2])
    assert metres_outside(-2.0, 53.0, box) > 100_000


def test_postgis_uses_the_geography_index(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostGIS only")
    # Fresh statistics (nearly every asset is approved), and with a few hundred rows a
    # sequential scan is cheapest: forbid it, to show the query's expression matches the index.
    db.session.execute(text("ANALYZE assets"))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = explain_nearby(-2.05, 51.9, 1000)
    assert "ix_assets_geog" in plan, plan


def test_sqlite_uses_the_lon_lat_index(ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    from sqlalchemy.dialects import sqlite

    query = sqlite_query(-2.05, 51.9, 1000, categories=["youth"], kind="group")
    sql = str(query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    plan = " ".join(str(r) for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")).all())
    assert "ix_assets_lon_lat" in plan, plan


def test_public_records_are_exactly_the_public_dicts(sample_app):
    """The API's light record of a place (two plain queries) says what Asset.public_dict says, no more."""
    from webmap.partners.nearby import public_records

    with sample_app.app_context():
        assets = db.session.scalars(select(Asset).order_by(Asset.id)).all()
        assets[0].last_verified_at = datetime(2026, 5, 4, 10, 30)
        assets[1].ward_code = None
        assets[2].categories = []
        db.session.commit()
        records = public_records([a.id for a in assets])
        assert len(records) == len(assets) > 100
        for asset in assets:
            assert records[asset.id] == asset.public_dict(), asset.id
        assert records[assets[0].id]["last_verified_at"] == "2026-05-04"
        assert records[assets[1].id]["ward_name"] is None and records[assets[2].id]["categories"] == []
        assert public_records([]) == {}
