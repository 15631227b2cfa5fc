"""The staff pages in Welsh: moderation, staff accounts and sign-in, background work, privacy (issue 25).

Each page, asked for with ?lang=cy, says `lang="cy"` and shows none of the site's English messages;
sign-in errors and flash messages are in Welsh; the privacy notice lists every holding in Welsh; and
a staff member's language is recorded when they sign in, for their emails.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests.conftest import STAFF_PASSWORD, csrf_token, login, make_staff
from tests.test_moderation import add_pending
from tests.welsh_helpers import english_left
from webmap.core.db import db
from webmap.core.models import Asset, BackgroundTask, ChangeRequest, User, utcnow
from webmap.privacy.register import FILES, NOT_STORED, REGISTER

ADMIN = "admin@example.gov.uk"


def html_lang(html: str) -> str:
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", html)
    assert match, "no <html lang>"
    return match.group(1)


def welsh(client, url: str, status: int = 200) -> str:
    """GET a page in Welsh; check it answers, says lang="cy" and has no English message left."""
    response = client.get(url + ("&" if "?" in url else "?") + "lang=cy")
    html = response.get_data(as_text=True)
    assert response.status_code == status, (url, html[:1000])
    assert html_lang(html) == "cy", url
    assert english_left(html) == [], url
    return html


@pytest.fixture
def admin(sample_app):
    """An admin signed in through the Welsh sign-in page, with a pending place, a suggested change and a task."""
    make_staff(sample_app, email=ADMIN, role="admin")
    client = sample_app.test_client()
    client.get("/login?lang=cy")  # the cookie keeps Welsh from here on
    response = login(client, ADMIN)
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    with sample_app.app_context():
        approved = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        approved.last_verified_at = approved.updated_at = utcnow() - timedelta(days=800)
        near = (approved.lon + 0.0001, approved.lat)
        db.session.add(ChangeRequest(asset_id=approved.id, kind="details", proposed={"phone": "01234 567890"}))
        db.session.add(
            BackgroundTask(id="t-welsh", name="gaps.refresh", label="Refresh the gaps", state="failed", args=[])
        )
        db.session.commit()
        client.approved_id = approved.id
        client.approved_name = approved.name
    client.pending_id = add_pending(sample_app, name=f"{client.approved_name} Two", lon=near[0], lat=near[1])
    return client


def test_signing_in_from_a_welsh_page_records_welsh_for_their_emails(sample_app, admin):
    with sample_app.app_context():
        assert db.session.scalar(select(User.language).where(User.email == ADMIN)) == "cy"
    make_staff(sample_app)  # a moderator who signs in from an English page
    client = sample_app.test_client()
    client.get("/login?lang=en")
    assert login(client).status_code == 302
    with sample_app.app_context():
        assert db.session.scalar(select(User.language).where(User.email == "mod@example.gov.uk")) == "en"


def test_the_moderation_pages_are_in_welsh(admin):
    queue = welsh(admin, "/moderate")
    assert "Cymedroli" in queue and "Newidiadau a awgrymwyd (1)" in queue and "lle yn aros" in queue
    assert "Cymeradwyo" in queue and "Dyblygiad posibl:" in queue
    assert "Ffôn" in queue and "manylion newydd" in queue  # the suggested change's field and kind
    for status in ("approved", "rejected", "archived"):
        welsh(admin, f"/moderate?status={status}")
    stale = welsh(admin, "/moderate/stale")
    assert "Lleoedd sydd angen eu gwirio" in stale and "lle rhestredig nad oes neb wedi" in stale
    merge = welsh(admin, f"/moderate/assets/{admin.pending_id}/merge?with={admin.approved_id}")
    assert "ochr yn ochr" in merge and "yn debyg" in merge and "Cyfuno" in merge
    edit = welsh(admin, f"/moderate/assets/{admin.approved_id}/edit")
    assert "Statws: <strong>wedi’i gymeradwyo</strong>" in edit


def test_moderation_answers_in_welsh(admin):
    token = csrf_token(admin, "/moderate")
    response = admin.post(f"/moderate/assets/{admin.pending_id}/reject", data={"csrf_token": token, "reason": " "})
    assert "Rhowch reswm dros wrthod" in admin.get(response.headers["Location"]).get_data(as_text=True)
    response = admin.post(f"/moderate/assets/{admin.pending_id}/approve", data={"csrf_token": token})
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Mae ar y map nawr." in page and english_left(page) == []
    response = admin.post("/moderate/bulk-approve", data={"csrf_token": token})
    assert "Ticiwch o leiaf un lle" in admin.get(response.headers["Location"]).get_data(as_text=True)


def test_the_staff_account_pages_are_in_welsh(admin):
    users = welsh(admin, "/admin/users")
    assert "Cyfrifon staff" in users and "Gwahodd rhywun" in users and "gweinyddwr" in users and "(chi)" in users
    audit = welsh(admin, "/admin/audit")
    assert "Log archwilio" in audit and "digwyddiad" in audit
    welsh(admin, "/admin/audit?from=not-a-date", status=400)
    background = welsh(admin, "/admin/background")
    assert "Gwaith cefndir" in background and "wedi methu" in background and "Rhedeg eto" in background
    welsh(admin, "/admin/background?state=done")
    # The menu: staff links in Welsh too.
    assert "Allgofnodi" in users and "Data personol" in users


def test_signing_in_and_its_errors_are_in_welsh(sample_app):
    make_staff(sample_app)
    client = sample_app.test_client()
    page = welsh(client, "/login")
    assert "Mewngofnodi staff" in page and "Cyfeiriad e-bost" in page
    token = csrf_token(client, "/login")
    empty = client.post("/login", data={"csrf_token": token, "email": "", "password": ""}).get_data(as_text=True)
    assert "Rhowch eich cyfeiriad e-bost" in empty and "Rhowch eich cyfrinair" in empty
    assert english_left(empty) == []
    wrong = client.post(
        "/login", data={"csrf_token": token, "email": "mod@example.gov.uk", "password": "not it at all"}
    ).get_data(as_text=True)
    assert "Nid yw’r cyfeiriad e-bost na’r cyfrinair yn gywir." in wrong and english_left(wrong) == []
    assert "not right" not in wrong
    link_used = welsh(client, "/staff/password/not-a-real-token", status=404)
    assert "Nid yw’r ddolen hon yn gweithio mwyach" in link_used
    assert login(client, password=STAFF_PASSWORD).status_code == 302
    signed_out = client.post("/logout", data={"csrf_token": csrf_token(client, "/moderate")})
    assert "Rydych wedi allgofnodi." in client.get(signed_out.headers["Location"]).get_data(as_text=True)


def test_the_privacy_notice_in_welsh_lists_every_holding_in_welsh(sample_app):
    html = welsh(sample_app.test_client(), "/privacy").replace("&#39;", "'")
    assert "Hysbysiad preifatrwydd" in html and "Eich hawliau" in html and "Pam:" in html
    with sample_app.test_request_context("/?lang=cy"), force_locale("cy_GB"):
        texts = [(h.notice, h.purpose, h.retention.describe(sample_app.config)) for h in REGISTER if h.notice]
        texts += [(f.notice, f.purpose, f.retention.describe(sample_app.config)) for f in FILES if f.notice]
        texts += [(text, "", "") for text in NOT_STORED.values()]
        welsh_texts = [tuple(str(t) for t in row) for row in texts]
    for (notice, purpose, retention), english in zip(welsh_texts, texts, strict=True):
        assert notice in html and purpose in html and retention in html, notice
        assert notice != str(english[0]), f"not in Welsh: {notice}"
    assert "yn cael eu dileu 12 mis ar ôl i chi eu rhoi" in html


def test_the_personal_data_pages_are_in_welsh(admin):
    page = welsh(admin, "/privacy/requests")
    assert "Ceisiadau data personol" in page
    token = csrf_token(admin, "/privacy/requests")
    found = admin.post("/privacy/requests", data={"csrf_token": token, "q": ADMIN}).get_data(as_text=True)
    assert "Beth sy’n cael ei gadw am" in found and "staff y cyngor sy’n mewngofnodi" in found.lower()
    assert english_left(found) == []
    nothing = admin.post("/privacy/requests", data={"csrf_token": token, "q": "nobody@example.org"})
    assert "Nid oes dim yn cael ei gadw am" in nothing.get_data(as_text=True)
    bad = admin.post("/privacy/requests", data={"csrf_token": token, "q": "hello"}).get_data(as_text=True)
    assert "yn gyfeiriad e-bost nac yn rhif ffôn" in bad and english_left(bad) == []


def test_the_background_work_page_shows_what_tasks_stored_in_welsh(sample_app, admin):
    """Tasks store their label, note and error in English; the page gives them in the reader's language."""
    from webmap.core import queue
    from webmap.gaps.tasks import refresh_task

    with sample_app.app_context():
        queue.enqueue(refresh_task, [])  # run at once in the tests: its row holds the English label and note
        queue.enqueue("notify.rechecks")
        db.session.add(
            BackgroundTask(
                id="t-lost",
                name="gaps.refresh",
                label="Refresh the derived tables (place counts, gap tables)",
                state="failed",
                error="The worker running it (vm:12, never heard from) stopped before it finished. It can be run again.",
            )
        )
        db.session.commit()
        stored = db.session.scalars(select(BackgroundTask.note).where(BackgroundTask.note.is_not(None))).all()
    assert any(note.startswith(("Refreshed what was out of date", "Nothing was out of date")) for note in stored)
    page = welsh(admin, "/admin/background")
    assert "Adnewyddu’r tablau deilliedig (cyfrif lleoedd, tablau bylchau)" in page.replace("&#39;", "’").replace(
        "'", "’"
    )
    assert "Ceisiadau i ailwirio rhestrau sydd wedi dyddio" in page and "cais i ailwirio yn y ciw" in page
    assert "Stopiodd y gweithiwr oedd yn ei rhedeg (vm:12, ni chlywyd ganddo erioed)" in page
    english = admin.get("/admin/background?lang=en").get_data(as_text=True)
    assert "Refresh the derived tables (place counts, gap tables)" in english and "Adnewyddu" not in english


def test_every_task_label_is_in_the_welsh_catalogue(sample_app):
    from webmap.core import queue
    from webmap.web.stored import TASKS, said

    queue._register_schedules(sample_app)  # the scheduled jobs' labels too ("... (scheduled)"), as a worker has them
    assert len(queue.LABELS) >= 10 and any(label.endswith("(scheduled)") for label in queue.LABELS.values())
    with sample_app.test_request_context("/?lang=cy"):
        untranslated = [label for label in queue.LABELS.values() if said(label, TASKS) == label]
    assert untranslated == []
