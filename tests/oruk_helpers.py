"""Helpers shared by the ORUK tests: the schema folder, validation, secrets planted in assets."""

from __future__ import annotations

import json
import re
from datetime import datetime

from sqlalchemy import select

from tests.conftest import SHARED_ORUK, unavailable
from webmap.core.db import db
from webmap.core.models import Asset, Category
from webmap.opendata.oruk import schema_errors

SECRETS = {
    "submitter_name": "Secret Sally Submitter",
    "submitter_email": "sally.secret@example.invalid",
    "submitter_phone": "07700 900999",
    "submitter_ip": "203.0.113.77",
}


def schema_dir():
    """Return ../shared/oruk/schema, skipping the test (failing it in CI) when it is absent."""
    folder = SHARED_ORUK / "schema"
    if not (folder / "compiled" / "service.json").exists():
        unavailable(f"ORUK schemas not found: {folder}")
    return folder


def examples_dir():
    """Return ../shared/oruk/examples, skipping the test (failing it in CI) when it is absent."""
    folder = SHARED_ORUK / "examples"
    if not folder.exists():
        unavailable(f"ORUK examples not found: {folder}")
    return folder


def assert_valid(name: str, instance) -> None:
    """Fail listing every place where the instance breaks the ORUK schema `name`."""
    errors = schema_errors(schema_dir(), name, instance)
    assert errors == [], f"{name}: {errors[:10]}"


def openapi() -> dict:
    """Return the ORUK profile's openapi.json."""
    return json.loads((schema_dir() / "openapi.json").read_text())


def assert_page(data: dict) -> None:
    """Check a paginated answer against the ORUK Page schema (components/schemas/Page)."""
    page_schema = openapi()["components"]["schemas"]["Page"]
    from jsonschema import Draft202012Validator

    Draft202012Validator(page_schema).validate(data)
    for key in page_schema["properties"]:
        assert key in data, f"page field {key} missing"
    assert isinstance(data["contents"], list)
    assert data["size"] == len(data["contents"])


def plant_secret_assets(app) -> None:
    """Add an approved asset carrying private submitter details and a pending one."""
    with app.app_context():
        first = db.session.scalar(select(Asset).where(Asset.status == "approved").order_by(Asset.id))
        food = db.session.get(Category, "food_support")
        for status, name in (
            ("approved", "Café Quillon Planté – community fridge"),
            ("pending", "Pending secret place"),
        ):
            db.session.add(
                Asset(
                    name=name,
                    description="Free food, no questions",
                    kind="service",
                    lon=first.lon,
                    lat=first.lat,
                    geom=first.geom,
                    ward_code=first.ward_code,
                    status=status,
                    source="resident",
                    categories=[food],
                    accessibility="Step-free entrance",
                    opening_times="Tuesdays 10:00-12:00",
                    address="1 Mill Lane, Asterby",
                    postcode="XX1 1AB",
                    website="www.example.org",
                    last_verified_at=datetime(2025, 3, 1, 12, 0),
                    **SECRETS,
                )
            )
        db.session.commit()


def assert_no_secrets(text: str) -> None:
    for value in SECRETS.values():
        assert value not in text
    assert "Pending secret place" not in text
    assert not re.search(r"submitter", text)
