"""A group's own email comes from imports and the moderator's edit form, and stays private."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from webmap.core.db import db
from webmap.core.emails import clean_email
from webmap.core.models import Asset, AuditEvent


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Hello@Pantry.Example.org ", "hello@pantry.example.org"),
        ("mailto:info@hall.example.org", "info@hall.example.org"),
        ("a@b.org; c@d.org", None),
        ("not an address", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_email(raw, expected):
    assert clean_email(raw) == expected


def test_asset_import_reads_the_groups_email(sample_app, tmp_path):
    from webmap.importers.assets import import_assets

    with sample_app.app_context():
        ward_point = db.session.scalars(select(Asset).order_by(Asset.id)).first()
        lon, lat = ward_point.lon, ward_point.lat
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"source_id": f"g{i}", "name": f"Group {i}", "category": "youth", "email": email},
        }
        for i, email in enumerate(["Team@Youth.example.org", "see website"])
    ]
    path = tmp_path / "groups.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    with sample_app.app_context():
        import_assets(path, source="test")
        db.session.commit()
        emails = dict(
            db.session.execute(select(Asset.source_id, Asset.contact_email).where(Asset.source == "test")).all()
        )
    assert emails == {"g0": "team@youth.example.org", "g1": None}


def test_a_moderator_sets_the_groups_email_with_an_audit_record(moderator, sample_app):
    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        aid = asset.id
        form = {
            "name": asset.name,
            "categories": asset.category_ids(),
            "kind": asset.kind,
            "description": asset.description or "",
            "postcode": asset.postcode or "",
            "address": asset.address or "",
            "lon": f"{asset.lon:.6f}",
            "lat": f"{asset.lat:.6f}",
            "opening_times": asset.opening_times or "",
            "website": asset.website or "",
            "phone": asset.phone or "",
            "accessibility": asset.accessibility or "",
        }
    path = f"/moderate/assets/{aid}/edit"
    response = moderator.post(
        path, data={"csrf_token": csrf_token(moderator, path), **form, "contact_email": "Info@Group.example.org"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with sample_app.app_context():
        assert db.session.get(Asset, aid).contact_email == "info@group.example.org"
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "edit")).one()
        assert event.after["contact_email"] == "info@group.example.org"
    assert "info@group.example.org" not in sample_app.test_client().get(f"/assets/{aid}").get_data(as_text=True)
