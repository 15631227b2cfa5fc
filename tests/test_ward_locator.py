"""Finding the ward of a point reuses its ward outlines until the wards change."""

from __future__ import annotations

import shapely

from webmap.core import store
from webmap.core.db import db
from webmap.core.models import Ward


def test_locator_is_reused_until_wards_change(sample_app):
    with sample_app.app_context():
        ward = db.session.query(Ward).order_by(Ward.code).first()
        inside = ward.geom.representative_point()
        first = store.ward_locator()
        assert store.ward_locator() is first
        assert store.ward_at(inside.x, inside.y).code == ward.code

        # Redraw the ward as a small square elsewhere: the cached outlines must not be used.
        ward.geom = shapely.MultiPolygon([shapely.box(-2.3, 51.0, -2.2, 51.1)])
        db.session.commit()
        assert store.ward_locator() is not first
        assert store.ward_at(-2.25, 51.05).code == ward.code
        found = store.ward_at(inside.x, inside.y)
        assert found is None or found.code != ward.code


def test_point_outside_every_ward_has_no_ward(sample_app):
    with sample_app.app_context():
        assert store.ward_at(0.5, 52.0) is None
        assert store.ward_at(float("nan"), 52.0) is None
