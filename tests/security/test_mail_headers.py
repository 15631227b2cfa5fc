"""No form value can add lines to an email header: CR/LF in any field bound for a header is a 400 naming the field.

Before the fix, POST /admin/users/invite with email=a@b.example\\r\\nBcc: x@evil.example was an HTTP 500 (an
uncaught ValueError from the email library), and the groups' and residents' forms answered 200.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, login, make_staff
from webmap.core.db import db
from webmap.core.inputs import HEADER_FIELDS, InputRejected
from webmap.core.models import Asset, User
from webmap.notify.mail import Mail, build_message

INJECTIONS = ["a@b.example\r\nBcc: x@evil.example", "a@b.example\nBcc: x@evil.example", "Olive\rBcc: x@evil.example"]


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


def _asset_id(app) -> int:
    with app.app_context():
        asset = db.session.scalar(select(Asset).where(Asset.status == "approved").order_by(Asset.id).limit(1))
        asset.contact_email = "hello@pantry.example.org"
        db.session.commit()
        return asset.id


def _refused(response, field: str) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 400, (response.status_code, body[:300])
    assert (
        f"The field &#39;{field}&#39; contains a line break" in body
        or f"The field '{field}' contains a line break" in body
    )


@pytest.mark.parametrize("value", INJECTIONS)
def test_invite_with_a_line_break_is_a_400_naming_the_field_and_sends_nothing(mail_app, inbox, value):
    make_staff(mail_app, "admin@example.gov.uk", role="admin")
    admin = mail_app.test_client()
    login(admin, "admin@example.gov.uk")
    response = admin.post(
        "/admin/users/invite",
        data={"csrf_token": csrf_token(admin, "/admin/users"), "email": value, "role": "moderator"},
    )
    _refused(response, "email")
    assert inbox.messages == []
    with mail_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


# Every form whose fields reach an email header, in the flow a person uses (the page that issues its token).
FORMS = [
    ("/groups/sign-in", "/groups/sign-in", {}, ["email"]),
    ("/assets/{id}/claim", "/assets/{id}/claim", {"connection": "secretary"}, ["email", "name"]),
    ("/assets/{id}/contact", "/assets/{id}/contact", {"message": "Hello"}, ["email", "name"]),
    ("/assets/new", "/assets/new", {}, ["name", "email", "submitter_email"]),
    ("/needs/new", "/needs/new", {"consent": "1"}, ["email"]),
]


@pytest.mark.parametrize(("path", "page", "extra", "fields"), FORMS, ids=[f[0] for f in FORMS])
def test_every_header_bound_field_of_the_public_forms_refuses_line_breaks(mail_app, inbox, path, page, extra, fields):
    asset_id = _asset_id(mail_app)
    for field in fields:
        for value in INJECTIONS:
            client = mail_app.test_client()
            token = csrf_token(client, page.format(id=asset_id))
            response = client.post(
                path.format(id=asset_id),
                data={"csrf_token": token, "name": "Olive", "email": "olive@example.org", **extra, field: value},
            )
            _refused(response, field)
    assert inbox.messages == []


def test_staff_listing_edit_refuses_line_breaks_in_the_groups_email(mail_app):
    asset_id = _asset_id(mail_app)
    make_staff(mail_app)
    staff = mail_app.test_client()
    login(staff)
    page = f"/moderate/assets/{asset_id}/edit"
    for field in ("contact_email", "email", "name"):
        response = staff.post(page, data={"csrf_token": csrf_token(staff, page), field: INJECTIONS[0]})
        _refused(response, field)


def test_every_post_route_refuses_line_breaks_in_every_header_field(make_app):
    """The rule runs before any view, so a form added later is covered too."""
    app = make_app(WTF_CSRF_ENABLED=False)
    client = app.test_client()
    posts = [r for r in app.url_map.iter_rules() if "POST" in (r.methods or ())]
    assert len(posts) > 20
    for rule in posts:
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
        for field in HEADER_FIELDS:
            _refused(client.post(path, data={field: "x@example.org\r\nBcc: x@evil.example"}), field)


def test_line_breaks_that_come_from_data_never_reach_a_header(mail_app):
    with mail_app.app_context():
        with pytest.raises(InputRejected, match="To contains a line break"):
            build_message(Mail(to="a@b.example\nBcc: x@evil.example", subject="Hi", body="", reason="test"))
        message = build_message(
            Mail(to="a@b.example", subject="Is the listing for Tea\nRoom still right?", body="", reason="test")
        )
        assert message["Subject"] == "Is the listing for Tea Room still right?"


def test_command_line_refuses_line_breaks_in_an_email(app, runner, monkeypatch):
    monkeypatch.setenv("WEBMAP_NEW_USER_PASSWORD", "a long enough password")
    result = runner.invoke(args=["create-user", "a@b.example\r\nBcc: x@evil.example"])
    assert result.exit_code != 0 and "is not an email address" in result.output
