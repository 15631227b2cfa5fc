"""Staff accounts on the web: admins invite, change roles, disable and reset (all audited); moderators cannot."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import STAFF_PASSWORD, csrf_token, login, make_staff
from webmap.core.db import db
from webmap.core.models import AuditEvent, User

ADMIN, MOD = "admin@example.gov.uk", "mod@example.gov.uk"
NEW_PASSWORD = "a brand new long passphrase"


@pytest.fixture
def site(make_app, app, mail_settings):
    """An app sending mail to the local SMTP server, with one admin and one moderator."""
    site = make_app(**mail_settings, PUBLIC_URL="https://map.example.gov.uk")
    make_staff(site, email=ADMIN, role="admin")
    make_staff(site, email=MOD, role="moderator")
    return site


def signed_in(app, email):
    client = app.test_client()
    assert login(client, email=email).status_code == 302
    return client


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/moderate"), **data})


def user(app, email) -> User:
    with app.app_context():
        row = db.session.scalars(select(User).where(User.email == email)).one()
        db.session.expunge(row)
        return row


def user_events(app, email) -> list[AuditEvent]:
    with app.app_context():
        uid = str(db.session.scalars(select(User.id).where(User.email == email)).one())
        rows = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "user", AuditEvent.entity_id == uid)
            .order_by(AuditEvent.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def emailed_link(inbox, to) -> str:
    body = inbox.to(to)[-1].get_content()
    assert "Why you got this:" in body
    return urlsplit(re.search(r"https://map\.example\.gov\.uk(/staff/password/\S+)", body).group(1)).path


def set_password(app, path, password, confirm=None):
    client = app.test_client()
    page = client.get(path)
    if page.status_code != 200:
        return page  # a used, expired or forged link offers no form at all
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/admin/users"),
        ("get", "/admin/audit"),
        ("post", "/admin/users/invite"),
        ("post", "/admin/users/1/role"),
        ("post", "/admin/users/1/disable"),
        ("post", "/admin/users/1/reset"),
    ],
)
def test_moderators_cannot_manage_staff(site, method, url):
    moderator = signed_in(site, MOD)
    if method == "get":
        assert moderator.get(url).status_code == 403
    else:
        assert post(moderator, url, email="x@example.org", role="admin").status_code == 403
    assert site.test_client().get("/admin/users").status_code == 302  # not signed in: to the sign-in page
    assert user(site, MOD).role == "moderator"


def test_an_invited_person_sets_a_password_once_and_signs_in(site, inbox):
    admin = signed_in(site, ADMIN)
    assert "Staff accounts" in admin.get("/moderate").get_data(as_text=True)  # in the admin's menu
    response = post(admin, "/admin/users/invite", email="New.Officer@example.gov.uk", role="moderator")
    assert "Invited new.officer@example.gov.uk as moderator" in admin.get(response.headers["Location"]).get_data(
        as_text=True
    )
    path = emailed_link(inbox, "new.officer@example.gov.uk")
    assert login(site.test_client(), email="new.officer@example.gov.uk").status_code == 200  # no usable password yet

    assert "at least 10 characters" in set_password(site, path, "short").get_data(as_text=True)
    assert "not the same" in set_password(site, path, NEW_PASSWORD, "something else entirely").get_data(as_text=True)
    assert set_password(site, path, NEW_PASSWORD).status_code == 302
    assert login(site.test_client(), email="new.officer@example.gov.uk", password=NEW_PASSWORD).status_code == 302
    again = set_password(site, path, "an attacker's own password")  # single use
    assert again.status_code == 404 and "no longer works" in again.get_data(as_text=True)
    used = again.get_data(as_text=True)  # about staff passwords, not a listing's email address
    assert "set a staff password work once, for 72 hours" in used and "listing" not in used
    events = user_events(site, "new.officer@example.gov.uk")
    assert [(e.action, e.actor) for e in events] == [("invite", ADMIN), ("set password", "new.officer@example.gov.uk")]
    assert events[0].after == {"email": "new.officer@example.gov.uk", "role": "moderator", "active": True}


def test_invitation_links_expire_and_cannot_be_forged(site, inbox, monkeypatch):
    admin = signed_in(site, ADMIN)
    post(admin, "/admin/users/invite", email="late@example.gov.uk", role="moderator")
    path = emailed_link(inbox, "late@example.gov.uk")
    assert site.test_client().get(path[:-4] + "abcd").status_code == 404
    real_time = time.time
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: real_time() + 73 * 3600)
    assert site.test_client().get(path).status_code == 404


def test_inviting_an_existing_account_or_without_mail_changes_nothing(site, make_app):
    admin = signed_in(site, ADMIN)
    html = admin.get(post(admin, "/admin/users/invite", email=MOD, role="admin").headers["Location"]).get_data(
        as_text=True
    )
    assert "already has an account" in html and user(site, MOD).role == "moderator"
    no_mail = make_app(MAIL_SERVER="")
    client = signed_in(no_mail, ADMIN)
    html = client.get(
        post(client, "/admin/users/invite", email="x@example.gov.uk", role="moderator").headers["Location"]
    ).get_data(as_text=True)
    assert "the email could not be sent" in html
    with no_mail.app_context():
        assert db.session.scalars(select(User).where(User.email == "x@example.gov.uk")).first() is None


def test_changing_a_role_is_audited_and_ends_their_sessions(site):
    moderator = signed_in(site, MOD)
    admin = signed_in(site, ADMIN)
    post(admin, f"/admin/users/{user(site, MOD).id}/role", role="admin")
    assert user(site, MOD).role == "admin"
    assert moderator.get("/moderate").status_code == 302  # must sign in again, with the new role
    [event] = [e for e in user_events(site, MOD) if e.action == "change role"]
    assert (event.actor, event.before["role"], event.after["role"]) == (ADMIN, "moderator", "admin")


def test_disabling_ends_sessions_and_sign_in_and_can_be_undone(site):
    moderator = signed_in(site, MOD)
    admin = signed_in(site, ADMIN)
    mod_id = user(site, MOD).id
    post(admin, f"/admin/users/{mod_id}/disable")
    assert moderator.get("/moderate").status_code == 302
    assert login(site.test_client(), email=MOD).status_code == 200  # refused
    post(admin, f"/admin/users/{mod_id}/enable")
    assert login(site.test_client(), email=MOD).status_code == 302
    assert [e.action for e in user_events(site, MOD)][-2:] == ["disable", "enable"]


def test_admins_cannot_lock_everyone_out(site):
    admin = signed_in(site, ADMIN)
    admin_id = user(site, ADMIN).id
    html = admin.get(post(admin, f"/admin/users/{admin_id}/disable").headers["Location"]).get_data(as_text=True)
    assert "cannot disable your own account" in html
    html = admin.get(post(admin, f"/admin/users/{admin_id}/role", role="moderator").headers["Location"]).get_data(
        as_text=True
    )
    assert "only active admin" in html and user(site, ADMIN).role == "admin"


def test_a_reset_stops_the_old_password_ends_sessions_and_emails_a_link(site, inbox):
    moderator = signed_in(site, MOD)
    admin = signed_in(site, ADMIN)
    post(admin, f"/admin/users/{user(site, MOD).id}/reset")
    assert moderator.get("/moderate").status_code == 302
    assert login(site.test_client(), email=MOD, password=STAFF_PASSWORD).status_code == 200  # old password refused
    path = emailed_link(inbox, MOD)
    assert set_password(site, path, NEW_PASSWORD).status_code == 302
    assert login(site.test_client(), email=MOD, password=NEW_PASSWORD).status_code == 302
    assert "reset password" in [e.action for e in user_events(site, MOD)]


def test_the_audit_log_filters_by_who_what_when_and_which_record(site):
    admin = signed_in(site, ADMIN)
    post(admin, f"/admin/users/{user(site, MOD).id}/role", role="admin")
    with site.app_context():
        db.session.add(
            AuditEvent(
                actor="resident", action="create", entity_type="asset", entity_id="77", note="<script>alert(1)</script>"
            )
        )
        db.session.commit()
    everything = admin.get("/admin/audit").get_data(as_text=True)
    assert "change role" in everything and "&lt;script&gt;alert(1)&lt;/script&gt;" in everything
    assert "<script>alert(1)" not in everything
    by_who = admin.get("/admin/audit?who=ADMIN@").get_data(as_text=True)
    assert "change role" in by_who and "alert(1)" not in by_who
    by_record = admin.get("/admin/audit?entity_type=asset&entity_id=77").get_data(as_text=True)
    assert "1 event." in by_record and 'href="/assets/77"' in by_record
    assert "0 events." in admin.get("/admin/audit?action=create&from=2001-01-01&to=2001-12-31").get_data(as_text=True)
    assert "1 event." in admin.get("/admin/audit?action=change+role&from=2001-01-01").get_data(as_text=True)
    assert admin.get("/admin/audit?from=yesterday").status_code == 400
