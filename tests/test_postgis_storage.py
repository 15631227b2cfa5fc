"""Storage: real PostGIS geometries (SRID 4326, GiST indexes) on PostgreSQL; WKB that round-trips everywhere."""

from __future__ import annotations

import pytest
import shapely
from pyproj import Geod
from sqlalchemy import select, text

from webmap.core.db import db, is_postgres
from webmap.core.models import Asset, Ward

GEOD = Geod(ellps="WGS84")


@pytest.fixture
def postgis_app(app):
    """The sample area on PostGIS; skips on SQLite before loading anything."""
    from webmap.imports.sample import load_sample

    with app.app_context():
        if not is_postgres():
            pytest.skip("PostGIS checks need WEBMAP_TEST_DATABASE_URL=postgresql+psycopg://...")
        load_sample()
    return app


@pytest.mark.postgis
def test_geometry_columns_are_postgis_with_srid_4326(postgis_app):
    with postgis_app.app_context():
        rows = db.session.execute(
            text(
                "SELECT f_table_name, f_geometry_column, srid, type FROM geometry_columns "
                "WHERE f_table_schema = current_schema() ORDER BY f_table_name"
            )
        ).all()
        found = {(r.f_table_name, r.f_geometry_column): (r.srid, r.type) for r in rows}
        assert found[("wards", "geom")] == (4326, "MULTIPOLYGON")
        assert found[("assets", "geom")] == (4326, "POINT")
        srids = (
            db.session.execute(
                text("SELECT DISTINCT ST_SRID(geom) FROM wards UNION SELECT DISTINCT ST_SRID(geom) FROM assets")
            )
            .scalars()
            .all()
        )
        assert srids == [4326]
        assert db.session.execute(text("SELECT bool_and(ST_IsValid(geom)) FROM wards")).scalar() is True


@pytest.mark.postgis
def test_gist_indexes_exist(postgis_app):
    with postgis_app.app_context():
        rows = db.session.execute(
            text(
                "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                "AND indexdef ILIKE '%USING gist%'"
            )
        ).all()
    gist = {(r.tablename, r.indexname) for r in rows}
    assert ("wards", "ix_wards_geom") in gist
    assert ("assets", "ix_assets_geom") in gist


@pytest.mark.postgis
def test_st_dwithin_finds_the_assets_within_500_metres(postgis_app):
    with postgis_app.app_context():
        assets = db.session.execute(select(Asset.id, Asset.lon, Asset.lat).order_by(Asset.id)).all()
        centre = assets[len(assets) // 2]
        found = (
            db.session.execute(
                text(
                    "SELECT id FROM assets WHERE ST_DWithin(geom::geography, "
                    "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, 500) ORDER BY id"
                ),
                {"lon": centre.lon, "lat": centre.lat},
            )
            .scalars()
            .all()
        )
        plan = "\n".join(
            db.session.execute(
                text(
                    "EXPLAIN SELECT id FROM assets WHERE ST_DWithin(geom::geography, "
                    "ST_SetSRID(ST_MakePoint(0, 0), 4326)::geography, 500)"
                )
            ).scalars()
        )
    # The same question answered by geodesic distances in Python.
    _, _, dist = GEOD.inv(
        [centre.lon] * len(assets), [centre.lat] * len(assets), [a.lon for a in assets], [a.lat for a in assets]
    )
    expected = [a.id for a, d in zip(assets, dist) if d <= 500]
    assert centre.id in found
    assert len(expected) > 1, "pick a centre with neighbours so the test means something"
    assert found == expected
    assert "ST_DWithin" in plan or "st_dwithin" in plan.lower()


def test_geometries_round_trip_through_the_geometry_type(app):
    """On SQLite (WKB blobs) and PostGIS alike, what is stored is what comes back."""
    outer = [(-2.2, 53.5), (-2.1, 53.5), (-2.1, 53.6), (-2.2, 53.6), (-2.2, 53.5)]
    hole = [(-2.18, 53.52), (-2.16, 53.52), (-2.16, 53.54), (-2.18, 53.54), (-2.18, 53.52)]
    ward_geom = shapely.MultiPolygon([shapely.Polygon(outer, [hole]), shapely.box(-2.05, 53.5, -2.0, 53.55)])
    point = shapely.Point(-2.1234567, 53.5432109)
    with app.app_context():
        db.session.add(Ward(code="E05900001", name="Round trip", geom=ward_geom))
        db.session.add(
            Asset(name="Dot", lon=point.x, lat=point.y, geom=point, ward_code="E05900001", status="approved")
        )
        db.session.commit()
        db.session.remove()
    with app.app_context():
        ward = db.session.scalar(select(Ward))
        asset = db.session.scalar(select(Asset))
        assert ward.geom.geom_type == "MultiPolygon"
        assert shapely.equals_exact(ward.geom, ward_geom, tolerance=0)
        assert len(ward.geom.geoms[0].interiors) == 1
        assert shapely.equals_exact(asset.geom, point, tolerance=0)
        assert shapely.get_srid(ward.geom) in (0, 4326)
