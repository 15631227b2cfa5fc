"""Email people expect: review outcomes, the moderators' digest, stale-listing re-checks, and stopping each."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login, make_staff
from tests.test_moderation import add_pending
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, ChangeRequest, Postcode, User, utcnow
from webmap.notify.recheck import LISTING_CONTACT

SUBMITTER = "sam.submitter@example.org"


@pytest.fixture
def mail_app(make_app, sample_app, mail_settings):
    """The sample area, with mail going to the local SMTP server."""
    return make_app(**mail_settings, PUBLIC_URL="https://map.example.gov.uk")


def postcode(app) -> str:
    with app.app_context():
        return db.session.scalars(select(Postcode.postcode).order_by(Postcode.postcode)).first()


def signed_in(app, email="mod@example.gov.uk", role="moderator"):
    make_staff(app, email=email, role=role)
    client = app.test_client()
    assert login(client, email=email).status_code == 302
    return client


def link_path(body: str, prefix: str) -> str:
    """Return the path of the first https://map.example.gov.uk link starting with `prefix` in a mail body."""
    match = re.search(r"https://map\.example\.gov\.uk(" + re.escape(prefix) + r"[^\s]*)", body)
    assert match, body
    return urlsplit(match.group(1)).path


def says_why_and_how_to_stop(message) -> str:
    body = message.get_content()
    assert "Why you got this:" in body and "To stop these emails: https://map.example.gov.uk/mail/stop/" in body
    assert message["List-Unsubscribe"].startswith("<https://map.example.gov.uk/mail/stop/")
    return body


def stop(app, body: str) -> str:
    client = app.test_client()
    path = link_path(body, "/mail/stop/")
    assert "Yes, stop" in client.get(path).get_data(as_text=True)  # a GET (a link scanner) changes nothing
    response = client.post(path)  # one-click unsubscribe: no form, no CSRF token, the signature is the proof
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_a_submitter_who_agreed_hears_of_approval_and_can_stop(mail_app, inbox):
    asset_id = add_pending(
        mail_app,
        name="Hilltop Tea Dance",
        postcode=postcode(mail_app),
        submitter_email=SUBMITTER,
        submitter_wants_updates="y",
    )
    staff = signed_in(mail_app)
    staff.post(f"/moderate/assets/{asset_id}/approve", data={"csrf_token": csrf_token(staff, "/moderate")})
    [message] = inbox.to(SUBMITTER)
    assert message["Subject"].strip() == f"Hilltop Tea Dance is now on the {area_site_name(mail_app)}"
    body = says_why_and_how_to_stop(message)
    assert f"https://map.example.gov.uk/assets/{asset_id}" in body and "ticked the box" in body
    assert "emails about the place you added" in stop(mail_app, body)
    with mail_app.app_context():
        assert db.session.get(Asset, asset_id).submitter_wants_updates is False


def test_a_rejected_submitter_hears_the_reason(mail_app, inbox):
    asset_id = add_pending(
        mail_app,
        name="Not A Real Place",
        postcode=postcode(mail_app),
        submitter_email=SUBMITTER,
        submitter_wants_updates="y",
    )
    staff = signed_in(mail_app)
    staff.post(
        f"/moderate/assets/{asset_id}/reject",
        data={"csrf_token": csrf_token(staff, "/moderate"), "reason": "It is outside the borough"},
    )
    [message] = inbox.to(SUBMITTER)
    assert message["Subject"].strip() == f"Not A Real Place was not added to the {area_site_name(mail_app)}"
    assert "The reason: It is outside the borough" in says_why_and_how_to_stop(message)


def test_no_mail_without_consent_and_consent_needs_an_email(mail_app, inbox):
    asset_id = add_pending(mail_app, name="Quiet Club", postcode=postcode(mail_app), submitter_email=SUBMITTER)
    staff = signed_in(mail_app)
    staff.post(f"/moderate/assets/{asset_id}/approve", data={"csrf_token": csrf_token(staff, "/moderate")})
    assert inbox.to(SUBMITTER) == []
    client = mail_app.test_client()
    html = client.post(
        "/assets/new",
        data={
            "csrf_token": csrf_token(client, "/assets/new"),
            "name": "X Club",
            "categories": ["food_support"],
            "kind": "group",
            "postcode": postcode(mail_app),
            "submitter_wants_updates": "y",
        },
    ).get_data(as_text=True)
    assert "Enter your email address, or untick the box about emails" in html


def test_the_digest_lists_new_places_and_reports_at_most_hourly(mail_app, inbox):
    make_staff(mail_app, email="admin@example.gov.uk", role="admin")
    make_staff(mail_app, email="mod@example.gov.uk")
    make_staff(mail_app, email="away@example.gov.uk")
    with mail_app.app_context():
        db.session.scalars(select(User).where(User.email == "away@example.gov.uk")).one().active = False
        approved = db.session.scalars(select(Asset).where(Asset.status == "approved")).first()
        db.session.add(ChangeRequest(asset_id=approved.id, kind="closed", proposed={}, status="open"))
        db.session.commit()
        approved_name = approved.name
    add_pending(mail_app, name="Brand New Food Bank", postcode=postcode(mail_app))
    runner = mail_app.test_cli_runner()

    result = runner.invoke(args=["send-digest"])
    assert result.exit_code == 0, result.output
    assert "Sent the digest (1 new place, 1 change report) to 2 staff." in result.output
    assert inbox.to("away@example.gov.uk") == []
    [message] = inbox.to("mod@example.gov.uk")
    body = says_why_and_how_to_stop(message)
    assert "Brand New Food Bank" in body and f"{approved_name}: closed" in body
    assert "https://map.example.gov.uk/moderate" in body

    add_pending(mail_app, name="Second Food Bank", postcode=postcode(mail_app))
    again = runner.invoke(args=["send-digest"])
    assert again.exit_code == 0 and "less than an hour ago" in again.output
    assert len(inbox.to("mod@example.gov.uk")) == 1

    with mail_app.app_context():  # an hour later (everything so far moved back), only what is new since
        for event in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "digest")):
            event.at -= timedelta(minutes=61)
        for row in [*db.session.scalars(select(Asset)), *db.session.scalars(select(ChangeRequest))]:
            row.created_at -= timedelta(minutes=61)
        db.session.commit()
    assert "stopped the moderators&#39; digest" in stop(mail_app, body)
    later = runner.invoke(args=["send-digest"])
    assert "(1 new place, 0 change reports) to 1 staff" in later.output
    assert "Second Food Bank" in inbox.to("admin@example.gov.uk")[-1].get_content()
    assert "Brand New Food Bank" not in inbox.to("admin@example.gov.uk")[-1].get_content()
    assert len(inbox.to("mod@example.gov.uk")) == 1  # stopped


def stale_listing(app, email="contact@lunchclub.example.org") -> int:
    with app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        asset.email, asset.last_verified_at = email, utcnow() - timedelta(days=400)
        db.session.commit()
        return asset.id


def test_a_stale_listing_is_asked_to_recheck_and_still_correct_marks_it_checked(mail_app, inbox):
    asset_id = stale_listing(mail_app)
    runner = mail_app.test_cli_runner()
    result = runner.invoke(args=["send-rechecks"])
    assert result.exit_code == 0 and "Sent 1 re-check request." in result.output, result.output
    assert "Sent 0 re-check requests." in runner.invoke(args=["send-rechecks"]).output  # once per stale period
    [message] = inbox.to("contact@lunchclub.example.org")
    body = says_why_and_how_to_stop(message)
    path = link_path(body, "/listing-check/")

    client = mail_app.test_client()
    page = client.get(path).get_data(as_text=True)
    assert "Still correct" in page and "Something changed" in page
    with mail_app.app_context():
        assert db.session.get(Asset, asset_id).last_verified_at < utcnow() - timedelta(days=300)  # GET changed nothing
    done = client.post(path, data={"csrf_token": csrf_token(client, path), "answer": "correct"})
    assert "marked as checked today" in done.get_data(as_text=True)
    with mail_app.app_context():
        assert db.session.get(Asset, asset_id).last_verified_at > utcnow() - timedelta(minutes=1)
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == str(asset_id)).order_by(AuditEvent.id.desc())
        ).first()
        assert (event.action, event.actor, event.user_id) == ("verify", LISTING_CONTACT, None)


def test_something_changed_opens_the_change_form_and_bad_links_are_refused(mail_app, inbox):
    asset_id = stale_listing(mail_app)
    mail_app.test_cli_runner().invoke(args=["send-rechecks"])
    path = link_path(inbox.messages[0].get_content(), "/listing-check/")
    client = mail_app.test_client()
    changed = client.post(path, data={"csrf_token": csrf_token(client, path), "answer": "changed"})
    assert changed.status_code == 302 and changed.headers["Location"].endswith(f"/assets/{asset_id}/report")
    assert client.get(path[:-3] + "xyz").status_code == 404  # forged
    with mail_app.app_context():  # the listing's email changed since: the old link no longer speaks for it
        db.session.get(Asset, asset_id).email = "new@lunchclub.example.org"
        db.session.commit()
    assert "no longer works" in client.get(path).get_data(as_text=True)


def test_a_listing_that_stopped_rechecks_gets_none(mail_app, inbox):
    stale_listing(mail_app)
    runner = mail_app.test_cli_runner()
    runner.invoke(args=["send-rechecks"])
    stop(mail_app, inbox.messages[0].get_content())
    with mail_app.app_context():
        db.session.query(Asset).update({Asset.recheck_sent_at: None})
        db.session.commit()
    assert "Sent 0 re-check requests." in runner.invoke(args=["send-rechecks"]).output


def test_mail_commands_say_so_when_no_server_is_set(sample_app):
    stale_listing(sample_app)
    result = sample_app.test_cli_runner().invoke(args=["send-rechecks"])
    assert result.exit_code != 0 and "WEBMAP_MAIL_SERVER" in result.output


def area_site_name(app) -> str:
    """Return the site's name as pages and emails give it (the sample area's, here)."""
    from webmap.council import site_name

    with app.app_context():
        return site_name()
