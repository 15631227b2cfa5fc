"""One set of input rules before the database: the same answer on SQLite and PostGIS for every input.

Run this module on both backends (WEBMAP_TEST_DATABASE_URL=postgresql+psycopg://... for PostGIS): each
case below expects one answer, so the two databases must agree. Before the fix, NUL bytes were stored
on SQLite and answered 500 on PostGIS; ids past 2**31 or 2**63 answered 500; over-long fields were
imported silently on SQLite and failed with a DataError traceback on PostGIS.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, make_staff
from tests.importing_helpers import MID, SOUTH, load_two_wards, run, write_csv, write_vector
from webmap.core.db import db
from webmap.core.inputs import InputRejected, parse_id, text_problem
from webmap.core.models import Asset, ChangeRequest, Need, Ward

HUGE_IDS = ["2147483648", "99999999999999999999", "9223372036854775808"]


@pytest.mark.parametrize(
    ("value", "max_length", "multiline", "reason"),
    [
        ("Lunch club", 200, False, None),
        ("Line one\nline two\ttabbed\r\n", None, True, None),
        ("Lunch\x00club", 200, False, "contains a NUL character"),
        ("bell\x07", None, True, "control character (U+0007)"),
        ("one\nline", 200, False, "control character (U+000A)"),
        ("\x85next line", None, True, "control character (U+0085)"),
        ("x" * 41, 40, False, "is 41 characters long; the most allowed is 40"),
        ("Café ☕ 🍰", 9, False, None),
    ],
)
def test_text_rules(value, max_length, multiline, reason):
    problem = text_problem(value, max_length, multiline)
    assert (problem is None) if reason is None else (reason in problem)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        ("2147483647", 2147483647),
        ("2147483648", None),
        ("0", None),
        ("-1", None),
        ("", None),
        ("٣", None),
        ("1e3", None),
        (None, None),
        ("99999999999999999999", None),
    ],
)
def test_parse_id(raw, expected):
    assert parse_id(raw) == expected


def _approved_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Asset.id).where(Asset.status == "approved").order_by(Asset.id).limit(1))


@pytest.mark.parametrize("number", HUGE_IDS)
@pytest.mark.parametrize("path", ["/assets/{}", "/assets/{}/partners", "/assets/{}/report", "/assets/{}/report/thanks"])
def test_ids_out_of_range_are_not_found(sample_app, path, number):
    response = sample_app.test_client().get(path.format(number))
    assert response.status_code == 404


@pytest.mark.parametrize("number", HUGE_IDS)
def test_staff_ids_out_of_range_are_not_found(sample_app, moderator, number):
    assert moderator.get(f"/moderate/assets/{number}").status_code == 404
    token = csrf_token(moderator, "/moderate")
    assert moderator.post(f"/moderate/assets/{number}/approve", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize(
    ("url", "json_answer"),
    [
        ("/?category=%00", False),
        ("/partners?postcode=OL1%001AA", False),
        ("/partners?search=%07", False),
        ("/api/assets.geojson?category=%00", True),
        ("/api/nearby?postcode=%00", True),
        ("/oruk/services?search=%00", True),
        ("/export/assets.csv?bom=%00", False),
        ("/gaps?category=%1B", False),
        ("/needs/new?ward=%00", False),
    ],
)
def test_control_characters_in_query_strings_get_a_clear_400(sample_app, url, json_answer):
    response = sample_app.test_client().get(url)
    assert response.status_code == 400
    if json_answer:
        assert "contains" in response.get_json()["error"]["message"]
    else:
        assert "The query parameter" in response.get_data(as_text=True)


def _pending(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Asset).where(Asset.status == "pending"))


def _postcode(app) -> str:
    from webmap.core.models import Postcode

    with app.app_context():
        return db.session.scalar(
            select(Postcode.postcode).where(Postcode.ward_code.is_not(None)).order_by(Postcode.postcode)
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Lunch\x00Club", "Name of the place contains a NUL character"),
        ("description", "Hot lunches\x00", "What it offers contains a NUL character"),
        ("address", "1 High\x0bSt", "Address contains an invisible control character (U+000B)"),
        ("opening_times", "Tue\x1b[31m", "When it is open contains an invisible control character (U+001B)"),
        ("submitter_name", "Pat\x00", "contains a NUL character"),
    ],
)
def test_submission_form_refuses_control_characters_beside_the_field(sample_app, field, value, message):
    client = sample_app.test_client()
    data = {
        "csrf_token": csrf_token(client, "/assets/new"),
        "name": "Riverside Lunch Club",
        "categories": ["food_support"],
        "kind": "group",
        "postcode": _postcode(sample_app),
        field: value,
    }
    response = client.post("/assets/new", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _pending(sample_app) == 0


def test_needs_form_refuses_a_nul_in_the_comment(sample_app):
    client = sample_app.test_client()
    with sample_app.app_context():
        ward = db.session.scalar(select(Ward.code).order_by(Ward.code))
    data = {
        "csrf_token": csrf_token(client, "/needs/new"),
        "ward": ward,
        "categories": ["youth"],
        "comment": "more\x00please",
    }
    response = client.post("/needs/new", data=data)
    assert response.status_code == 200
    assert "Your comment contains a NUL character" in response.get_data(as_text=True)
    with sample_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Need).where(Need.source == "web form")) == 0


def test_change_report_refuses_a_nul_in_the_note(sample_app):
    asset_id = _approved_id(sample_app)
    client = sample_app.test_client()
    token = csrf_token(client, f"/assets/{asset_id}/report")
    response = client.post(
        f"/assets/{asset_id}/report", data={"csrf_token": token, "kind": "other", "note": "gone\x00"}
    )
    assert response.status_code == 200
    assert "contains a NUL character" in response.get_data(as_text=True)
    with sample_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ChangeRequest)) == 0


def test_sign_in_form_refuses_a_nul_without_an_error_page(app):
    make_staff(app)
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"csrf_token": token, "email": "mod@example.gov.uk\x00", "password": "x" * 12}
    )
    assert response.status_code == 200 and "contains a NUL character" in response.get_data(as_text=True)


def test_moderation_reason_with_a_nul_is_a_400_not_a_500(sample_app, moderator):
    client = sample_app.test_client()
    client.post(
        "/assets/new",
        data={
            "csrf_token": csrf_token(client, "/assets/new"),
            "name": "Pending place",
            "categories": ["youth"],
            "kind": "group",
            "postcode": _postcode(sample_app),
        },
    )
    with sample_app.app_context():
        asset_id = db.session.scalar(select(Asset.id).where(Asset.status == "pending"))
    token = csrf_token(moderator, "/moderate")
    response = moderator.post(f"/moderate/assets/{asset_id}/reject", data={"csrf_token": token, "reason": "spam\x00"})
    assert response.status_code == 400
    assert "contains a NUL character" in response.get_data(as_text=True)
    assert _pending(sample_app) == 1  # nothing half-done


def test_every_write_is_checked_before_the_database(app):
    with app.app_context():
        db.session.add(Ward(code="E05" + "9" * 39, name="Too long a code"))
        with pytest.raises(
            InputRejected, match="code of ward 'Too long a code' is 42 characters long; the most allowed is 12"
        ):
            db.session.flush()
        db.session.rollback()


def run_in_context(app, *args):
    with app.app_context():
        return run(app, *args)


IN_WARD = (MID - 0.02, SOUTH + 0.02)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("phone", "0" * 41, "field 'phone': is 41 characters long; the most allowed is 40"),
        ("postcode", "OL1 1AA OL1 1AB", "field 'postcode': is 15 characters long; the most allowed is 10"),
        ("address", "a" * 301, "field 'address': is 301 characters long; the most allowed is 300"),
        ("source_id", "s" * 101, "field 'source_id': is 101 characters long; the most allowed is 100"),
        ("name", "Hall\x00", "field 'name': contains a NUL character"),
        ("name", "n" * 201, "field 'name': is 201 characters long; the most allowed is 200"),
    ],
)
def test_asset_import_refuses_what_the_database_cannot_hold(app, tmp_path, column, value, reason):
    load_two_wards(app, tmp_path)
    row = {"name": "Hall", "category": "library", "longitude": IN_WARD[0], "latitude": IN_WARD[1], column: value}
    path = write_csv(tmp_path / "assets.csv", list(row), [list(row.values())])
    result = run(app, "import-assets", path)
    assert result.exit_code == 1
    assert f"assets.csv, row 2, {reason}" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Asset)) == 0


def test_ward_import_refuses_an_over_long_code(app, tmp_path):
    import shapely

    path = write_vector(
        tmp_path / "wards.geojson",
        [{"ward_code": "E05" + "1" * 39, "ward_name": "Long", "geometry": shapely.box(0, 50, 1, 51)}],
    )
    result = run(app, "import-wards", path)
    assert result.exit_code == 1
    assert "wards.geojson" in result.output and "42 characters long; the most allowed is 12" in result.output


def test_oruk_import_refuses_deeply_nested_json(app, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = run_in_context(app, "import-oruk", path)
    assert result.exit_code == 1
    assert "deep.json: is nested more than 64 levels deep" in result.output
    nested: list = []
    for _ in range(70):  # parses fine, but deeper than any real feed
        nested = [nested]
    path.write_text(json.dumps({"contents": [{"a": nested}]}))
    assert "nested more than 64 levels" in run_in_context(app, "import-oruk", path).output


@pytest.mark.parametrize(
    ("data", "where"),
    [
        (
            {"elements": [{"type": "node", "id": 1, "lat": 50, "lon": 10, "tags": ["amenity", "library"]}]},
            "elements[0].tags",
        ),
        (
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "id": "node/1",
                        "properties": "amenity=library",
                        "geometry": {"type": "Point", "coordinates": [10, 50]},
                    }
                ],
            },
            "features[0].properties",
        ),
    ],
)
def test_osm_import_refuses_malformed_tags_with_a_message(app, tmp_path, data, where):
    path = tmp_path / "osm.json"
    path.write_text(json.dumps(data))
    result = run_in_context(app, "import-osm", path)
    assert result.exit_code == 1
    assert f"osm.json, field '{where}': must be an object of key: value tags" in result.output
    assert "Traceback" not in result.output
