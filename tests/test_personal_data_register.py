"""The register of personal data: complete for the models, and behind search, download, erasure and the notice.

The acceptance test puts four people in the database the way they really get there (a resident, a
follow-up subscriber, a relay sender, a group manager), plus a bystander who used the same IP address,
and reads a full dump of the database (SQLite iterdump or pg_dump) before and after erasing each.
"""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from tests.conftest import csrf_token, login, make_staff
from tests.dump_helpers import database_dump
from tests.groups_helpers import approved, claim_by_link
from tests.test_groups_claims import mail_app  # noqa: F401  (fixture)
from tests.test_personal_data import a_postcode, in_dump, report, staff_post
from webmap.core.db import db
from webmap.core.models import Asset, ChangeRequest, NeedFollowUp
from webmap.privacy.register import NOT_PERSONAL, PERSONAL_LOOKING, REGISTER, declared_columns

SHARED_IP = "203.0.113.77"  # a library's public computer: the resident and the bystander both use it
RESIDENT = {
    "submitter_name": "Rhiannon Resident-Quill",
    "submitter_email": "rhiannon.quill-3391@example.org",
    "submitter_phone": "07700 900 391",
}
BYSTANDER = {
    "submitter_name": "Barnaby Bystander-Vole",
    "submitter_email": "barnaby.vole-8802@example.org",
    "submitter_phone": "07700 900 802",
}
SUBSCRIBER = "fern.follow-up-5120@example.net"
SENDER = {"name": "Sabine Sender-Wren", "email": "sabine.wren-6634@example.net"}
GROUP, MANAGER, OTHER_MANAGER = (
    "hello@pantry-4410.example.org",
    "olive.org-7719@example.org",
    "otto.org-2210@example.org",
)


def test_every_column_that_looks_personal_is_in_the_register():
    tables = db.metadata.tables
    looks_personal = {
        f"{t}.{c.name}" for t, table in tables.items() for c in table.columns if PERSONAL_LOOKING.search(c.name)
    }
    assert looks_personal - declared_columns() == set(), "declare these in webmap/privacy/register.py"
    # And the register names only columns that exist, so it cannot drift from the models.
    for holding in REGISTER:
        assert holding.table in tables, holding.key
        assert set(holding.columns) <= set(tables[holding.table].columns.keys()), holding.key
    assert {n.split(".")[0] for n in NOT_PERSONAL} <= set(tables)


def test_a_new_personal_looking_column_fails_the_check():
    from sqlalchemy import Column, MetaData, String, Table

    scratch = MetaData()
    Table(
        "clubs",
        scratch,
        Column("id", String, primary_key=True),
        Column("secretary_phone", String),
        Column("visitor_ip", String),
        Column("description", String),
    )
    found = {f"clubs.{c.name}" for c in scratch.tables["clubs"].columns if PERSONAL_LOOKING.search(c.name)}
    assert found - declared_columns() == {"clubs.secretary_phone", "clubs.visitor_ip"}


def _submit(app, ip: str, name: str, details: dict) -> int:
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


def _people(app, inbox) -> dict[str, int]:
    """Put the four people and the bystander into the database through the site's own forms."""
    ids = {
        "resident": _submit(app, SHARED_IP, "Rhiannon's Repair Cafe", RESIDENT),
        "bystander": _submit(app, SHARED_IP, "Barnaby's Board Games", BYSTANDER),
    }
    # Both report a change from the same address; only the resident's mentions her.
    reported = approved(app, 3)[2]
    report(app, reported, SHARED_IP, f"Ask {RESIDENT['submitter_email']} about the new hall")
    report(app, reported, SHARED_IP, "The bystander's own report, nothing about anyone")
    need = app.test_client()
    need.environ_base["REMOTE_ADDR"] = SHARED_IP
    assert (
        need.post(
            "/needs/new",
            data={
                "csrf_token": csrf_token(need, "/needs/new"),
                "ward": "E05900001",
                "categories": ["food_support"],
                "comment": f"Ring me on {RESIDENT['submitter_phone'].replace(' ', '')} about a lunch club",
            },
        ).status_code
        == 302
    )
    subscriber = app.test_client()
    assert (
        subscriber.post(
            "/needs/new",
            data={
                "csrf_token": csrf_token(subscriber, "/needs/new"),
                "ward": "E05900001",
                "categories": ["youth"],
                "email": SUBSCRIBER,
                "consent": "yes",
            },
        ).status_code
        == 302
    )
    listing, other = approved(app, 2)
    manager = app.test_client()
    claim_by_link(app, manager, inbox, listing, GROUP, MANAGER)
    path = f"/groups/listings/{listing}/still-correct"
    assert manager.post(path, data={"csrf_token": csrf_token(manager, "/groups/my")}).status_code == 302
    claim_by_link(app, app.test_client(), inbox, other, "other@pantry-4410.example.org", OTHER_MANAGER)
    with app.app_context():  # the helper names every claimant Olive Organiser; this one is someone else
        from webmap.groups.models import GroupToken, ListingManager

        for model in (ListingManager, GroupToken):
            for row in db.session.scalars(select(model).where(model.email == OTHER_MANAGER)):
                row.name = "Otto Other-Manager"
        db.session.commit()
    sender = app.test_client()
    contact = f"/assets/{listing}/contact"
    assert (
        sender.post(
            contact,
            data={"csrf_token": csrf_token(sender, contact), **SENDER, "message": "Could we borrow your kitchen?"},
        ).status_code
        == 302
    )
    assert any(SENDER["email"] in m.get_content() for m in inbox.to(MANAGER))  # relayed, so it really went
    ids["listing"] = listing
    return ids


def _download(staff, query: str) -> tuple[dict, str]:
    held = json.loads(staff_post(staff, "/privacy/requests/download", q=query, format="json").get_data(as_text=True))
    rows = staff_post(staff, "/privacy/requests/download", q=query, format="csv").get_data(as_text=True)
    assert next(csv.reader(io.StringIO(rows))) == ["record", "id", "field", "value"]
    return held, rows


def test_four_people_are_found_handed_over_and_erased_and_nobody_else(mail_app, inbox, caplog):  # noqa: F811
    import logging

    caplog.set_level(logging.DEBUG)
    ids = _people(mail_app, inbox)
    # The site's own log (not the test SMTP server's, "mail.log") says a message went, never who sent it.
    site_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith(("mail.log", "aiosmtpd")))
    assert "message relayed to listing" in site_log
    assert SENDER["name"] not in site_log and SENDER["email"] not in site_log
    make_staff(mail_app)
    staff = mail_app.test_client()
    assert login(staff).status_code == 302
    with mail_app.app_context():
        token = db.session.scalars(select(NeedFollowUp.token)).one()
    people = {
        "resident": (RESIDENT["submitter_email"], set(RESIDENT.values()), {"assets", "change_requests", "needs"}),
        "subscriber": (SUBSCRIBER, {SUBSCRIBER, token}, {"need_followups"}),
        "manager": (MANAGER, {MANAGER, "Olive Organiser"}, {"listing_managers", "group_tokens", "audit_events"}),
    }
    bystanders = {*BYSTANDER.values(), OTHER_MANAGER, "Otto Other-Manager"}
    dump = database_dump(mail_app)
    everyone = set().union(*(values for _, values, _ in people.values())) | bystanders | {SHARED_IP}
    assert in_dump(dump, everyone) == everyone  # really stored, so "gone" below means erased
    # The relay passes the sender on by email and keeps nothing, as the notice says.
    assert in_dump(dump, SENDER.values()) == set()
    assert "Nothing is held about" in staff_post(staff, "/privacy/requests", q=SENDER["email"]).get_data(as_text=True)
    assert "We do not keep the message, your name or your address" in mail_app.test_client().get("/privacy").get_data(
        as_text=True
    )

    for who, (query, values, tables) in people.items():
        held, rows = _download(staff, query)
        assert tables <= set(held), (who, sorted(held))
        as_text = json.dumps(held)
        assert {v for v in values if v in as_text and v in rows} == values, who
        page = staff_post(staff, "/privacy/requests", q=query).get_data(as_text=True)
        for table in tables:
            assert f"in {table.replace('_', ' ')}" in page, (who, table)

    for who, (query, values, _) in people.items():
        assert staff_post(staff, "/privacy/requests/erase", q=query, confirm="yes").status_code == 302
        assert in_dump(database_dump(mail_app), values) == set(), who
        after = staff_post(staff, "/privacy/requests", q=query).get_data(as_text=True)
        assert "Nothing is held about" in after, who

    dump = database_dump(mail_app)
    assert in_dump(dump, bystanders) == bystanders  # other people's records are untouched
    with mail_app.app_context():
        resident = db.session.get(Asset, ids["resident"])
        bystander = db.session.get(Asset, ids["bystander"])
        assert resident.submitter_ip is None and resident.name == "Rhiannon's Repair Cafe"
        # Same IP address, another person: never matched by it, so kept.
        assert bystander.submitter_ip == SHARED_IP
        reports = {c.note: c.reporter_ip for c in db.session.scalars(select(ChangeRequest))}
        assert reports["The bystander's own report, nothing about anyone"] == SHARED_IP
        assert "Ask [erased] about the new hall" in reports


def test_a_staff_account_is_found_but_not_erased_here(sample_app):
    make_staff(sample_app)
    staff = sample_app.test_client()
    assert login(staff).status_code == 302
    page = staff_post(staff, "/privacy/requests", q="mod@example.gov.uk").get_data(as_text=True)
    assert "in users" in page
    refused = staff_post(staff, "/privacy/requests/erase", q="mod@example.gov.uk", confirm="yes")
    assert "has a staff account" in refused.get_data(as_text=True)
    assert login(sample_app.test_client()).status_code == 302  # still there


def test_the_privacy_notice_is_the_register(make_app, sample_app):
    app = make_app(FOLLOWUP_RETENTION_MONTHS=12, PERSONAL_DATA_RETENTION_MONTHS=18)
    notice = app.test_client().get("/privacy").get_data(as_text=True).replace("&#39;", "'")
    with app.app_context():
        for holding in REGISTER:
            assert str(holding.notice) in notice and holding.retention.describe(app.config) in notice, holding.key
    # What the issue found missing or wrong.
    assert (
        "email you once when the council records what it did" in notice
        and "erased 12 months after you give it" in notice
    )
    assert "If you manage a group's listing" in notice and "erased 18 months after you stop" in notice
    assert "through the site" in notice and "no contact details" not in notice


def test_the_docs_list_every_declared_column():
    from tests.conftest import REPO

    docs = (REPO / "docs" / "personal-data.md").read_text()
    for holding in REGISTER:
        for column in holding.columns:
            assert f"| {holding.table}.{column} (" in docs, f"{holding.table}.{column}"


def test_a_kept_import_upload_holding_the_address_is_found_and_deleted(make_app, sample_app, tmp_path):
    from webmap.core.models import ImportJob, ImportUpload

    app = make_app(KEEP_UPLOADS=True)
    with app.app_context():
        for name, data in (
            ("survey.csv", b"ward,need,email\nE05900001,youth,fern.follow-up-5120@example.net\n"),
            ("places.csv", b"name\nSomeone else's club\n"),
        ):
            job = ImportJob(
                kind="needs", options={}, filename=name, sha256="0" * 64, size_bytes=len(data), actor="a", state="done"
            )
            db.session.add(job)
            db.session.flush()
            db.session.add(ImportUpload(job_id=job.id, data=data))
        db.session.commit()
        kept_id, other_id = db.session.scalars(select(ImportJob.id).order_by(ImportJob.id)).all()
    make_staff(app)
    staff = app.test_client()
    assert login(staff).status_code == 302
    held, rows = _download(staff, SUBSCRIBER)
    kept = f"import #{kept_id}: survey.csv"
    assert held["files"] == [kept] and kept in rows
    assert staff_post(staff, "/privacy/requests/erase", q=SUBSCRIBER, confirm="yes").status_code == 302
    with app.app_context():
        assert db.session.get(ImportUpload, kept_id) is None and db.session.get(ImportUpload, other_id) is not None


def test_the_notice_says_whether_uploads_are_kept(make_app, sample_app):
    for keep, words in ((False, "deleted as soon as the import has finished"), (True, "kept until an administrator")):
        notice = make_app(KEEP_UPLOADS=keep).test_client().get("/privacy").get_data(as_text=True)
        assert words in notice, keep
