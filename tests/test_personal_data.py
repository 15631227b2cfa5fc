"""Personal data: retention purge, subject access, erasure on request (gone from a full dump), the privacy notice."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login, make_staff
from tests.dump_helpers import database_dump
from tests.test_moderation import add_pending
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, ChangeRequest, Postcode, utcnow

OLD = {
    "submitter_name": "Oswald Oldfield-Expired",
    "submitter_email": "oswald.expired-4417@example.org",
    "submitter_phone": "07700 900 417",
}
OLD_IP, OLD_REPORTER_IP = "198.51.100.41", "198.51.100.42"
NEW = {
    "submitter_name": "Nora Newcombe-Current",
    "submitter_email": "nora.current-5528@example.org",
    "submitter_phone": "07700 900 528",
}
NEW_IP = "198.51.100.55"


def a_postcode(app) -> str:
    with app.app_context():
        return db.session.scalars(select(Postcode.postcode).order_by(Postcode.postcode)).first()


def submit(app, name: str, ip: str, **details) -> int:
    """Send a place through the residents' form from `ip`, with private contact details."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    data = {
        "csrf_token": csrf_token(client, "/assets/new"),
        "name": name,
        "categories": ["food_support"],
        "kind": "group",
        "postcode": a_postcode(app),
        **details,
    }
    assert client.post("/assets/new", data=data).status_code == 302
    with app.app_context():
        return db.session.scalar(select(Asset.id).where(Asset.name == name))


def report(app, asset_id: int, ip: str, note: str) -> None:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    url = f"/assets/{asset_id}/report"
    assert (
        client.post(url, data={"csrf_token": csrf_token(client, url), "kind": "other", "note": note}).status_code == 302
    )


def staff_post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/privacy/requests"), **data})


def age(app, months: int, *asset_ids: int) -> None:
    """Make these submissions (and their change reports) `months` old."""
    with app.app_context():
        when = utcnow() - timedelta(days=31 * months)
        for asset_id in asset_ids:
            db.session.get(Asset, asset_id).created_at = when
            for change in db.session.scalars(select(ChangeRequest).where(ChangeRequest.asset_id == asset_id)):
                change.created_at = when
        db.session.commit()


def in_dump(dump: str, values) -> set[str]:
    lowered = dump.lower()
    return {v for v in values if v.lower() in lowered}


@pytest.fixture
def staff(sample_app):
    make_staff(sample_app)
    client = sample_app.test_client()
    assert login(client).status_code == 302
    return client


def test_purge_erases_expired_details_everywhere_keeps_recent_ones_and_is_idempotent(sample_app, staff):
    old_id = submit(sample_app, "Old Lunch Club", OLD_IP, **OLD)
    submit(sample_app, "New Lunch Club", NEW_IP, **NEW)
    # Copies in free text: a moderator's note in the audit trail, and a change report mentioning the email.
    assert (
        staff.post(
            f"/moderate/assets/{old_id}/approve", data={"csrf_token": csrf_token(staff, "/moderate")}
        ).status_code
        == 302
    )
    report(sample_app, old_id, OLD_REPORTER_IP, f"Ask {OLD['submitter_email']} about the new times")
    with sample_app.app_context():
        db.session.add(
            AuditEvent(
                actor="mod@example.gov.uk",
                action="note",
                entity_type="asset",
                entity_id=str(old_id),
                note=f"Phoned {OLD['submitter_name']} on {OLD['submitter_phone']}",
            )
        )
        db.session.commit()
    age(sample_app, 13, old_id)
    old_values = {*OLD.values(), OLD_IP, OLD_REPORTER_IP}
    new_values = {*NEW.values(), NEW_IP}
    assert in_dump(database_dump(sample_app), old_values | new_values) == old_values | new_values  # really stored

    runner = sample_app.test_cli_runner()
    result = runner.invoke(args=["purge-personal-data"])
    assert result.exit_code == 0, result.output
    assert "from 1 place and 1 change report collected more than 12 months ago" in result.output

    dump = database_dump(sample_app)
    assert in_dump(dump, old_values) == set()
    assert in_dump(dump, new_values) == new_values  # within the retention period: kept
    with sample_app.app_context():
        old = db.session.get(Asset, old_id)
        assert (old.name, old.status) == ("Old Lunch Club", "approved")  # the place itself stays
        purge = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "purge")).one()
        assert purge.after["submitters"] == 1 and purge.after["audit_events"] >= 1

    again = runner.invoke(args=["purge-personal-data"])
    assert again.exit_code == 0, again.output
    assert "from 0 places and 0 change reports" in again.output
    with sample_app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="purge").count() == 1


def test_purge_follows_the_retention_setting(make_app, sample_app):
    asset_id = submit(sample_app, "Three Month Club", OLD_IP, **OLD)
    age(sample_app, 4, asset_id)
    assert in_dump(database_dump(sample_app), OLD.values()) == set(OLD.values())  # stored, so "gone" below means erased
    assert "from 0 places" in sample_app.test_cli_runner().invoke(args=["purge-personal-data"]).output
    short = make_app(PERSONAL_DATA_RETENTION_MONTHS=3)
    result = short.test_cli_runner().invoke(args=["purge-personal-data"])
    assert result.exit_code == 0 and "from 1 place " in result.output
    assert in_dump(database_dump(sample_app), OLD.values()) == set()
    refused = short.test_cli_runner().invoke(args=["purge-personal-data", "--months", "0"])
    assert refused.exit_code != 0 and "at least 1 month" in refused.output


def test_staff_find_download_and_erase_everything_about_an_email(sample_app, staff):
    mine = submit(sample_app, "Nora's Knitting Circle", NEW_IP, **NEW)
    other = submit(sample_app, "Someone Else's Club", OLD_IP, **OLD)
    assert (
        staff.post(f"/moderate/assets/{mine}/approve", data={"csrf_token": csrf_token(staff, "/moderate")}).status_code
        == 302
    )
    report(sample_app, mine, "198.51.100.99", f"Contact {NEW['submitter_email'].upper()} for the new hall")
    with sample_app.app_context():
        db.session.add(
            AuditEvent(
                actor="mod@example.gov.uk",
                action="reject",
                entity_type="asset",
                entity_id=str(other),
                note=f"Duplicate of one sent by {NEW['submitter_email']}",
            )
        )
        db.session.commit()

    page = staff_post(staff, "/privacy/requests", q=NEW["submitter_email"]).get_data(as_text=True)
    assert "Nora&#39;s Knitting Circle" in page and "1 record in change requests" in page
    assert "Someone Else" not in page.split("What is held")[1].split("Download")[0]

    as_json = staff_post(staff, "/privacy/requests/download", q=NEW["submitter_email"], format="json")
    assert as_json.headers["Content-Disposition"] == "attachment; filename=personal-data.json"
    held = json.loads(as_json.get_data(as_text=True))
    [asset] = held["assets"]
    assert (asset["submitter_name"], asset["submitter_phone"], asset["submitter_ip"]) == (
        NEW["submitter_name"],
        NEW["submitter_phone"],
        NEW_IP,
    )
    # The change report itself, its audit record, and the moderator's note on another place.
    assert len(held["change_requests"]) == 1 and len(held["audit_events"]) == 2
    rows = list(
        csv.reader(
            io.StringIO(
                staff_post(staff, "/privacy/requests/download", q=NEW["submitter_email"], format="csv").get_data(
                    as_text=True
                )
            )
        )
    )
    assert rows[0] == ["record", "id", "field", "value"] and ["assets", str(mine), "submitter_ip", NEW_IP] in rows

    unconfirmed = staff_post(staff, "/privacy/requests/erase", q=NEW["submitter_email"])
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    assert in_dump(database_dump(sample_app), NEW.values()) == set(NEW.values())

    done = staff_post(staff, "/privacy/requests/erase", q=NEW["submitter_email"], confirm="yes")
    assert done.status_code == 302
    dump = database_dump(sample_app)
    assert in_dump(dump, [*NEW.values(), NEW_IP]) == set()
    assert in_dump(dump, OLD.values()) == set(OLD.values())  # someone else's details are untouched
    with sample_app.app_context():
        erased = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "erase")).one()
        assert erased.actor == "mod@example.gov.uk" and erased.after["assets"] == 1
        assert db.session.get(Asset, mine).name == "Nora's Knitting Circle"
    after = staff_post(staff, "/privacy/requests", q=NEW["submitter_email"]).get_data(as_text=True)
    assert "Nothing is held about" in after


def test_erase_by_phone_matches_however_the_number_is_written(sample_app, staff):
    asset_id = submit(sample_app, "Phone Club", NEW_IP, submitter_phone="07700 900 528")
    page = staff_post(staff, "/privacy/requests", q="+44 7700 900528").get_data(as_text=True)
    assert "Phone Club" in page
    assert in_dump(database_dump(sample_app), ["07700 900 528", NEW_IP]) == {"07700 900 528", NEW_IP}  # stored
    assert staff_post(staff, "/privacy/requests/erase", q="+44 7700 900528", confirm="yes").status_code == 302
    with sample_app.app_context():
        asset = db.session.get(Asset, asset_id)
        assert (asset.submitter_phone, asset.submitter_ip) == (None, None)
    assert in_dump(database_dump(sample_app), ["07700 900 528", NEW_IP]) == set()


def test_a_listings_public_email_is_found_and_erased_too(sample_app, staff):
    asset_id = add_pending(
        sample_app, name="Public Email Club", postcode=a_postcode(sample_app), email="hello-club-9931@example.org"
    )
    assert (
        staff.post(
            f"/moderate/assets/{asset_id}/approve", data={"csrf_token": csrf_token(staff, "/moderate")}
        ).status_code
        == 302
    )
    assert "hello-club-9931@example.org" in sample_app.test_client().get(f"/assets/{asset_id}").get_data(as_text=True)
    assert in_dump(database_dump(sample_app), ["hello-club-9931@example.org"]) == {"hello-club-9931@example.org"}
    assert (
        staff_post(staff, "/privacy/requests/erase", q="HELLO-club-9931@example.org", confirm="yes").status_code == 302
    )
    assert in_dump(database_dump(sample_app), ["hello-club-9931@example.org"]) == set()  # audit snapshots included


def test_requests_page_is_for_staff_and_refuses_nonsense(sample_app, staff):
    anonymous = sample_app.test_client()
    assert anonymous.get("/privacy/requests").status_code == 302
    page = staff_post(staff, "/privacy/requests", q="not a person").get_data(as_text=True)
    assert "neither an email address nor a phone number" in page


def test_privacy_notice_is_filled_from_settings_and_linked_from_every_form(make_app, sample_app):
    app = make_app(
        PRIVACY_CONTROLLER="Exampleshire Council",
        PRIVACY_CONTACT="dpo@exampleshire.gov.uk",
        PERSONAL_DATA_RETENTION_MONTHS=6,
    )
    client = app.test_client()
    notice = client.get("/privacy").get_data(as_text=True)
    assert "Exampleshire Council" in notice and "mailto:dpo@exampleshire.gov.uk" in notice and "6 months" in notice
    with app.app_context():
        asset_id = db.session.scalar(select(Asset.id).where(Asset.status == "approved"))
    for url in ("/", "/assets/new", "/needs/new", f"/assets/{asset_id}/report", "/login"):
        html = client.get(url).get_data(as_text=True)
        assert html.count('href="/privacy"') >= (2 if url != "/" else 1), url
