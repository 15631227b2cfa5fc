"""Claiming a listing (emailed link, or a moderator's approval) and managers' sign-in by one-time link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login, make_staff
from tests.groups_helpers import approved, claim_by_link, confirm, link_in, set_contact_email
from webmap.core.db import db
from webmap.core.models import AuditEvent, ChangeRequest
from webmap.groups.models import GroupToken, ListingManager

GROUP = "hello@pantry.example.org"
ORGANISER = "olive@organiser.example.org"


@pytest.fixture
def mail_app(make_app, mail_settings):
    """The sample area, sending mail to the local SMTP server."""
    from tests.conftest import load_fresh_sample

    app = make_app(**mail_settings)
    with app.app_context():
        load_fresh_sample()
    return app


def managers(app, asset_id: int) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                select(ListingManager.email).where(ListingManager.asset_id == asset_id, ListingManager.active.is_(True))
            )
        )


def test_claim_by_a_link_sent_to_the_listings_own_email(mail_app, inbox):
    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    set_contact_email(mail_app, aid, GROUP)
    page = client.get(f"/assets/{aid}/claim").get_data(as_text=True)
    assert GROUP not in page  # the address we hold is never shown
    client.post(
        f"/assets/{aid}/claim",
        data={
            "csrf_token": csrf_token(client, f"/assets/{aid}/claim"),
            "name": "Olive",
            "email": ORGANISER,
            "connection": "Treasurer",
        },
    )
    [to_group] = inbox.to(GROUP)
    assert "Olive (olive@organiser.example.org) asked to manage" in to_group.get_content()
    assert "Treasurer" in to_group.get_content()
    # The group's address is private (never on the map): the mail must not call it public.
    assert "it is private and never shown on the map" in to_group.get_content()
    assert "public" not in to_group.get_content().split("Why you got this:")[1]
    assert managers(mail_app, aid) == []  # nothing happens until the group's mailbox confirms

    path = link_in(to_group)
    assert client.get(path).status_code == 200 and managers(mail_app, aid) == []  # a GET never uses the link
    done = confirm(client, path)
    assert "They can now manage" in done.get_data(as_text=True)
    assert managers(mail_app, aid) == [ORGANISER]
    # The organiser's own address gets a sign-in link; the claim link is used up.
    assert client.post(path, data={"csrf_token": csrf_token(client, f"/assets/{aid}/claim")}).status_code == 400
    signed_in = confirm(client, link_in(inbox.to(ORGANISER)[-1]))
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/groups/my")
    mine = client.get("/groups/my").get_data(as_text=True)
    assert f"/groups/listings/{aid}/edit" in mine
    with mail_app.app_context():
        actions = [
            (e.actor, e.action)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.entity_type == "asset", AuditEvent.entity_id == str(aid))
            )
        ]
    assert ("resident", "claim_link") in actions and (f"manager: {ORGANISER}", "add_manager") in actions


def test_claiming_with_the_groups_own_address_signs_in_at_once(mail_app, inbox):
    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    set_contact_email(mail_app, aid, GROUP)
    client.post(
        f"/assets/{aid}/claim",
        data={"csrf_token": csrf_token(client, f"/assets/{aid}/claim"), "name": "Olive", "email": GROUP.upper()},
    )
    response = confirm(client, link_in(inbox.to(GROUP)[-1]))
    assert response.status_code == 302 and response.headers["Location"].endswith("/groups/my")
    assert managers(mail_app, aid) == [GROUP]
    assert len(inbox.to(GROUP)) == 1  # no second link was needed


def test_without_a_public_email_a_moderator_approves_the_claim(mail_app, inbox):
    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    sent = client.post(
        f"/assets/{aid}/claim",
        data={
            "csrf_token": csrf_token(client, f"/assets/{aid}/claim"),
            "name": "Olive",
            "email": ORGANISER,
            "connection": "Chair",
        },
    )
    assert "moderator will check" in client.get(sent.headers["Location"]).get_data(as_text=True)
    assert inbox.messages == []
    make_staff(mail_app)
    staff = mail_app.test_client()
    login(staff)
    queue = staff.get("/moderate").get_data(as_text=True)
    assert "someone asks to manage this listing" in queue and ORGANISER in queue and "Chair" in queue
    with mail_app.app_context():
        change = db.session.scalars(select(ChangeRequest).where(ChangeRequest.kind == "claim")).one()
    staff.post(f"/moderate/changes/{change.id}/accept", data={"csrf_token": csrf_token(staff, "/moderate")})
    assert managers(mail_app, aid) == [ORGANISER]
    [welcome] = inbox.to(ORGANISER)
    assert "You can now manage the listing" in welcome.get_content()
    assert confirm(mail_app.test_client(), link_in(welcome)).status_code == 302


def test_several_managers_per_listing_and_several_listings_per_manager(mail_app, inbox):
    first, second = approved(mail_app, 2)
    client = mail_app.test_client()
    claim_by_link(mail_app, client, inbox, first, GROUP, ORGANISER)
    claim_by_link(mail_app, client, inbox, second, "info@second.example.org", ORGANISER)
    claim_by_link(mail_app, mail_app.test_client(), inbox, first, GROUP, "sam@second.example.org")
    assert managers(mail_app, first) == [ORGANISER, "sam@second.example.org"]
    mine = client.get("/groups/my").get_data(as_text=True)
    assert f"/groups/listings/{first}/edit" in mine and f"/groups/listings/{second}/edit" in mine


def test_sign_in_link_works_once_and_expires(mail_app, inbox):
    [aid] = approved(mail_app, 1)
    claim_by_link(mail_app, mail_app.test_client(), inbox, aid, GROUP, ORGANISER)
    client = mail_app.test_client()
    page = client.post(
        "/groups/sign-in", data={"csrf_token": csrf_token(client, "/groups/sign-in"), "email": ORGANISER}
    )
    unknown = client.post(
        "/groups/sign-in", data={"csrf_token": csrf_token(client, "/groups/sign-in"), "email": "nobody@example.org"}
    )
    # The same answer for an address that manages nothing, and no mail to it.
    assert page.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert inbox.to("nobody@example.org") == []
    path = link_in(inbox.to(ORGANISER)[-1])
    assert confirm(client, path).status_code == 302
    again = mail_app.test_client().get(path)
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)

    client.post("/groups/sign-in", data={"csrf_token": csrf_token(client, "/groups/sign-in"), "email": ORGANISER})
    late = link_in(inbox.to(ORGANISER)[-1])
    with mail_app.app_context():
        token = db.session.scalars(select(GroupToken).order_by(GroupToken.id.desc())).first()
        token.expires_at -= timedelta(hours=2)
        db.session.commit()
    expired = mail_app.test_client().get(late)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    assert mail_app.test_client().get("/groups/sign-in/not-a-real-token").status_code == 400


def test_a_manager_session_is_not_a_staff_login_and_only_covers_their_listings(mail_app, inbox):
    first, second = approved(mail_app, 2)
    client = mail_app.test_client()
    claim_by_link(mail_app, client, inbox, first, GROUP, ORGANISER)
    assert client.get(f"/groups/listings/{first}/edit").status_code == 200
    assert client.get(f"/groups/listings/{second}/edit").status_code == 403
    assert client.get("/moderate").status_code == 302  # staff pages still ask for a staff login
    assert mail_app.test_client().get(f"/groups/listings/{first}/edit").status_code == 403
    client.post("/groups/sign-out", data={"csrf_token": csrf_token(client, "/groups/my")})
    assert client.get(f"/groups/listings/{first}/edit").status_code == 403


def test_manager_session_runs_out(make_app, mail_settings, inbox):
    from tests.conftest import load_fresh_sample

    app = make_app(**mail_settings, GROUP_SESSION_HOURS=0)
    with app.app_context():
        load_fresh_sample()
    [aid] = approved(app, 1)
    client = app.test_client()
    claim_by_link(app, client, inbox, aid, GROUP, ORGANISER)
    assert client.get(f"/groups/listings/{aid}/edit").status_code == 403


def test_claim_form_errors_name_the_field(mail_app):
    [aid] = approved(mail_app, 1)
    client = mail_app.test_client()
    response = client.post(
        f"/assets/{aid}/claim",
        data={"csrf_token": csrf_token(client, f"/assets/{aid}/claim"), "name": "", "email": "not-an-address"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is a problem" in html
    assert "Enter your name" in html and "Enter an email address in the right form" in html


def test_staff_see_managers_and_can_remove_one(mail_app, inbox):
    [aid] = approved(mail_app, 1)
    organiser = mail_app.test_client()
    claim_by_link(mail_app, organiser, inbox, aid, GROUP, ORGANISER)
    make_staff(mail_app)
    staff = mail_app.test_client()
    login(staff)
    page = staff.get(f"/assets/{aid}").get_data(as_text=True)
    assert ORGANISER in page and GROUP in page
    with mail_app.app_context():
        manager_id = db.session.scalars(select(ListingManager.id)).one()
    path = f"/moderate/assets/{aid}/managers/{manager_id}/remove"
    assert organiser.post(path, data={"csrf_token": csrf_token(organiser, "/groups/my")}).status_code == 302  # to login
    assert managers(mail_app, aid) == [ORGANISER]
    staff.post(path, data={"csrf_token": csrf_token(staff, f"/assets/{aid}")})
    assert managers(mail_app, aid) == []
    assert organiser.get(f"/groups/listings/{aid}/edit").status_code == 403  # at once, in the same session
    with mail_app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "remove_manager")).one()
        assert event.actor == "mod@example.gov.uk"
