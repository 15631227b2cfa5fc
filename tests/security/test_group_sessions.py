"""A group manager's session ends on the server, as a staff one does: one mechanism for both.

Each test replays the manager's cookie saved before the event, as an attacker holding a copy
would. Before the fix the group session was only a key in the signed cookie, so after
POST /groups/sign-out the saved copy still opened /groups/my and saved the listing's offers.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, login, make_staff
from tests.groups_helpers import approved, claim_by_link, confirm, link_in
from webmap.core.db import db
from webmap.core.models import Asset, SignedInSession
from webmap.groups.models import ListingManager

GROUP = "hello@pantry.example.org"
ORGANISER = "olive@organiser.example.org"


@pytest.fixture
def mail_app(make_app, mail_settings):
    from tests.conftest import REPO, empty_database
    from webmap.importers.categories import import_categories
    from webmap.imports.sample import load_sample

    app = make_app(**mail_settings)
    with app.app_context():
        empty_database()
        import_categories(REPO / "data" / "categories.csv")
        db.session.commit()
        load_sample()
    return app


def _replay(app, cookie: str, asset_id: int, token: str) -> tuple[int, str, int]:
    """Use nothing but a saved cookie (and the form token issued with it): /groups/my, then save offers."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    mine = other.get("/groups/my")
    saved = other.post(
        f"/groups/listings/{asset_id}/offers-needs",
        data={"csrf_token": token, "offers_text": "Free room hire, said the attacker"},
    )
    return mine.status_code, mine.headers.get("Location", ""), saved.status_code


def _sign_out(app, client, inbox, asset_id):
    client.post("/groups/sign-out", data={"csrf_token": csrf_token(client, "/groups/my")})


def _new_link(app, client, inbox, asset_id):
    other = app.test_client()
    other.post("/groups/sign-in", data={"csrf_token": csrf_token(other, "/groups/sign-in"), "email": ORGANISER})
    assert confirm(other, link_in(inbox.to(ORGANISER)[-1])).status_code == 302


def _removed(app, client, inbox, asset_id):
    make_staff(app)
    staff = app.test_client()
    login(staff)
    with app.app_context():
        manager_id = db.session.scalars(select(ListingManager.id).where(ListingManager.email == ORGANISER)).one()
    path = f"/moderate/assets/{asset_id}/managers/{manager_id}/remove"
    assert staff.post(path, data={"csrf_token": csrf_token(staff, f"/assets/{asset_id}")}).status_code == 302


def _archived(app, client, inbox, asset_id):
    with app.app_context():
        db.session.get(Asset, asset_id).status = "archived"
        db.session.commit()


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (_sign_out, "signed out"),
        (_new_link, "signed in with a new link"),
        (_removed, "removed as a manager of a listing"),
        (_archived, "their listing was archived"),
    ],
)
def test_saved_manager_cookie_gets_the_signed_out_answer(mail_app, inbox, event, reason):
    first, second = approved(mail_app, 2)
    client = mail_app.test_client()
    claim_by_link(mail_app, client, inbox, first, GROUP, ORGANISER)
    saved = client.get_cookie("session").value
    token = csrf_token(client, f"/groups/listings/{first}/offers-needs")
    assert _replay(mail_app, saved, first, token)[::2] == (200, 302)  # the copy works while the session lives

    event(mail_app, client, inbox, first)

    status, location, saved_status = _replay(mail_app, saved, first, token)
    assert (status, location.endswith("/groups/sign-in")) == (302, True)
    assert saved_status in (403, 404)
    with mail_app.app_context():
        ended = db.session.scalars(
            select(SignedInSession.end_reason).where(
                SignedInSession.kind == "group_manager", SignedInSession.ended_at.is_not(None)
            )
        )
        assert reason in list(ended)
        # The table never holds the manager's address, only keyed hashes.
        assert ORGANISER not in repr(db.session.execute(select(SignedInSession.__table__)).all())


def test_unrelated_change_keeps_the_manager_signed_in(mail_app, inbox):
    [first] = approved(mail_app, 1)
    client = mail_app.test_client()
    claim_by_link(mail_app, client, inbox, first, GROUP, ORGANISER)
    with mail_app.app_context():
        db.session.get(Asset, first).description = "Now open on Sundays"
        db.session.commit()
    assert client.get("/groups/my").status_code == 200


def test_staff_sign_out_and_manager_sign_out_are_separate_kinds_of_one_mechanism(mail_app, inbox):
    [first] = approved(mail_app, 1)
    client = mail_app.test_client()
    claim_by_link(mail_app, client, inbox, first, GROUP, ORGANISER)
    make_staff(mail_app)
    staff = mail_app.test_client()
    login(staff)
    staff.post("/logout", data={"csrf_token": csrf_token(staff, "/")})
    assert client.get("/groups/my").status_code == 200  # a staff member signing out ends only staff sessions
    with mail_app.app_context():
        kinds = sorted(set(db.session.scalars(select(SignedInSession.kind))))
    assert kinds == ["group_manager", "staff"]
