"""PostGIS layers a GIS officer opens in QGIS: typed geometry, GiST indexes, a view without private fields."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from webmap.core.db import db
from webmap.core.models import Asset
from webmap.opendata.exports import EXPORT_COLUMNS

pytestmark = pytest.mark.postgis


def _postgis_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostGIS layers exist only on PostgreSQL (set WEBMAP_TEST_DATABASE_URL)")


def test_geometry_columns_and_indexes(sample_app):
    _postgis_only(sample_app)
    with sample_app.app_context():
        layers = {
            tuple(r)
            for r in db.session.execute(
                text("SELECT f_table_name, f_geometry_column, type, srid FROM geometry_columns")
            )
        }
        assert {
            ("assets", "geom", "POINT", 4326),
            ("wards", "geom", "MULTIPOLYGON", 4326),
            ("public_assets", "geom", "POINT", 4326),
        } <= layers
        gist = {
            r[0]
            for r in db.session.execute(text("SELECT indexname FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'"))
        }
        assert {"ix_assets_geom", "ix_wards_geom"} <= gist


def test_public_assets_view_has_public_fields_of_approved_assets_only(sample_app):
    _postgis_only(sample_app)
    with sample_app.app_context():
        asset = db.session.scalar(select(Asset).where(Asset.status == "approved").order_by(Asset.id))
        asset.submitter_email = "private@example.invalid"
        hidden = db.session.scalar(select(Asset).where(Asset.id != asset.id).order_by(Asset.id))
        hidden.status = "pending"
        db.session.commit()
        columns = [
            r[0]
            for r in db.session.execute(
                text(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = 'public_assets' ORDER BY ordinal_position"
                )
            )
        ]
        assert columns == EXPORT_COLUMNS + ["geom"]
        rows = db.session.execute(
            text("SELECT id, categories, ward_name, ST_X(geom), ST_Y(geom) FROM public_assets ORDER BY id")
        ).all()
        approved = list(db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)))
        assert [r[0] for r in rows] == [a.id for a in approved]
        assert hidden.id not in {r[0] for r in rows}
        first = rows[0]
        assert first[1] == ";".join(sorted(asset.category_ids())) and first[2] == asset.ward.name
        assert (first[3], first[4]) == pytest.approx((asset.lon, asset.lat))
