"""Every email in the language its reader used (issue 25), and no email sent from a web request's thread (issue 23).

Mail goes to the real local SMTP server (tests/conftest.py `smtp_server`), which checks each message's
standard headers; a Welsh email says `Content-Language: cy`, has no English left from the site's
catalogues (`english_left`), and links to the Welsh pages (`?lang=cy`).
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from babel.dates import format_date
from sqlalchemy import select

from tests.conftest import csrf_token, load_fresh_sample, login, mail_header_problems, make_staff
from tests.groups_helpers import approved, claim_by_link, link_in
from tests.test_feedback_responses import record, state_need
from tests.test_moderation import add_pending
from tests.welsh_helpers import english_left
from webmap.core.db import db
from webmap.core.models import Asset, BackgroundTask, NeedFollowUp, Postcode, User
from webmap.notify.mail import Mail, build_message, in_language

PUBLIC = "https://map.example.gov.uk"
WELSH_READER, ENGLISH_READER = "darllenydd@example.cymru", "reader@example.org"
ORGANISER, GROUP = "olive@organiser.example.org", "hello@pantry.example.org"


@pytest.fixture
def mail_app(make_app, mail_settings):
    """The sample area, with mail going to the local SMTP server and links on the public address."""
    app = make_app(**mail_settings, PUBLIC_URL=PUBLIC)
    with app.app_context():
        load_fresh_sample()
    return app


def text_of(message) -> str:
    """Return what a reader sees of an email: its subject and its body."""
    return f"{message['Subject']}\n{message.get_content()}"


def assert_welsh(message, words_from_groups: bool = False) -> str:
    """Check an email is written for a Welsh reader; return its body.

    `words_from_groups`: the email's own words are the groups package's, translated in its catalogue
    on its own branch; until that is merged, only what this package adds is checked here.
    """
    body = message.get_content()
    assert message["Content-Language"] == "cy"
    assert "Pam cawsoch chi hwn:" in body and "Why you got this" not in body
    assert mail_header_problems(message.raw) == []
    if words_from_groups and message["Subject"].startswith("Sign in to manage"):
        pytest.xfail("the sign-in email's own words are translated in the groups catalogue (w25-partners)")
    assert english_left(text_of(message)) == []
    return body


def assert_english(message) -> str:
    body = message.get_content()
    assert message["Content-Language"] == "en-GB"
    assert "Why you got this:" in body and "Pam cawsoch" not in body
    assert "lang=" not in body  # English links are the site's plain addresses, as before
    return body


def staff_client(app, **query):
    make_staff(app)
    client = app.test_client()
    assert login(client).status_code == 302
    if query:
        client.get("/", query_string=query)  # the page language staff chose, remembered in a cookie
    return client


# --- what every email shares ---


def test_a_mail_written_in_welsh_keeps_its_language_for_the_footer_and_headers(make_app):
    app = make_app(PUBLIC_URL=PUBLIC, MAIL_FROM="map@example.gov.uk")
    with app.app_context():
        with in_language("cy"):
            welsh = Mail(
                to="a@example.org", subject="Pwnc", body="Corff", reason="rheswm", unsubscribe_url=f"{PUBLIC}/u/1"
            )
        english = Mail(to="a@example.org", subject="Subject", body="Body", reason="a reason")
        assert (welsh.language, english.language) == ("cy", "en")
        # Built later (in the worker, outside any request), each in its own language.
        message = build_message(welsh)
        assert message["Content-Language"] == "cy"
        body = message.get_content()
        assert "Pam cawsoch chi hwn: rheswm" in body and f"I atal yr e-byst hyn: {PUBLIC}/u/1" in body
        assert message["List-Unsubscribe"] == f"<{PUBLIC}/u/1>"  # header values stay standard
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        plain = build_message(english)
        assert plain["Content-Language"] == "en-GB"
        assert "You will not get this email again unless the same thing happens." in plain.get_content()


def test_links_in_welsh_mail_open_the_welsh_page(make_app):
    from webmap.notify.links import external_url

    app = make_app(PUBLIC_URL=PUBLIC)
    with app.app_context():
        assert external_url("main.index") == f"{PUBLIC}/"
        with in_language("cy"):
            assert external_url("main.index") == f"{PUBLIC}/?lang=cy"
        with in_language("en"):
            assert external_url("main.index") == f"{PUBLIC}/"
    welsh_first = make_app(PUBLIC_URL=PUBLIC, DEFAULT_LANGUAGE="cy")
    with welsh_first.app_context(), in_language("en"):
        assert external_url("main.index") == f"{PUBLIC}/?lang=en"  # English on a Welsh-first site says so
    english_only = make_app(PUBLIC_URL=PUBLIC, LANGUAGES="en")
    with english_only.app_context(), in_language("cy"):
        assert external_url("main.index") == f"{PUBLIC}/"


# --- "You said, we did" ---


def test_a_follow_up_comes_in_the_language_the_resident_used(mail_app, inbox):
    for email, language in ((WELSH_READER, "cy"), (ENGLISH_READER, "en")):
        assert state_need(mail_app.test_client(), email=email).status_code == 302
        with mail_app.app_context():
            person = db.session.scalars(select(NeedFollowUp).where(NeedFollowUp.email == email)).one()
            person.language = language
            db.session.commit()
    # The staff member records it on the Welsh pages: each resident still hears in their own language.
    assert record(staff_client(mail_app, lang="cy")).status_code == 302

    [welsh] = inbox.to(WELSH_READER)
    body = assert_welsh(welsh)
    assert welsh["Subject"].startswith("Chi ddywedodd, ni wnaeth: ")
    assert "Dywedoch wrthym fod angen" in body and "Dyma beth a wnaed" in body
    assert format_date(date.today(), "long", locale="cy_GB") in body  # the date in Welsh
    assert "Opened a weekly food bank at the library" in body  # what staff wrote is data, kept as written
    assert "/you-said-we-did?lang=cy" in body
    assert welsh["List-Unsubscribe"].startswith(f"<{PUBLIC}/unsubscribe/") and "?lang=cy>" in welsh["List-Unsubscribe"]

    [english] = inbox.to(ENGLISH_READER)
    body = assert_english(english)
    assert english["Subject"].startswith("You said, we did: ")
    assert "You told us Northgate needs food support services." in body


# --- review outcomes ---


def postcode(app) -> str:
    with app.app_context():
        return db.session.scalars(select(Postcode.postcode).order_by(Postcode.postcode)).first()


def submit(app, name: str, email: str, language: str) -> int:
    asset_id = add_pending(app, name=name, postcode=postcode(app), submitter_email=email, submitter_wants_updates="y")
    with app.app_context():
        db.session.get(Asset, asset_id).submitter_language = language
        db.session.commit()
    return asset_id


def test_an_approval_reaches_a_welsh_submitter_in_welsh_and_its_stop_link_opens_in_welsh(mail_app, inbox):
    asset_id = submit(mail_app, "Te Dawns y Bryn", WELSH_READER, "cy")
    staff = staff_client(mail_app)  # an English-speaking moderator
    staff.post(f"/moderate/assets/{asset_id}/approve", data={"csrf_token": csrf_token(staff, "/moderate")})
    [message] = inbox.to(WELSH_READER)
    body = assert_welsh(message)
    assert "mae Te Dawns y Bryn ar y map erbyn hyn" in message["Subject"]
    assert "Diolch am ychwanegu Te Dawns y Bryn" in body
    assert f"{PUBLIC}/assets/{asset_id}?lang=cy" in body
    stop_link = body.split("I atal yr e-byst hyn: ")[1].split()[0]
    assert "lang=cy" in stop_link
    page = mail_app.test_client().get(stop_link.removeprefix(PUBLIC)).get_data(as_text=True)
    assert 'lang="cy"' in page and "Ie, ataliwch e-byst am y lle a ychwanegwyd gennych" in page


def test_a_rejection_from_a_welsh_page_reaches_an_english_submitter_in_english(mail_app, inbox):
    asset_id = submit(mail_app, "Not A Real Place", ENGLISH_READER, "en")
    staff = staff_client(mail_app, lang="cy")
    staff.post(
        f"/moderate/assets/{asset_id}/reject",
        data={"csrf_token": csrf_token(staff, "/moderate"), "reason": "It is outside the borough"},
    )
    [message] = inbox.to(ENGLISH_READER)
    body = assert_english(message)
    assert message["Subject"].startswith("Not A Real Place was not added to the ")
    assert "The reason: It is outside the borough" in body


def test_the_digest_goes_to_each_moderator_in_their_language(mail_app, inbox):
    make_staff(mail_app, email="cymedrolwr@example.gov.uk", role="moderator")
    make_staff(mail_app, email="admin@example.gov.uk", role="admin")
    with mail_app.app_context():
        for user in db.session.scalars(select(User)):
            user.wants_digest = True
            user.language = "cy" if user.email.startswith("cymedrolwr") else None
        db.session.commit()
    add_pending(mail_app, name="Banc Bwyd Newydd", postcode=postcode(mail_app))
    assert mail_app.test_cli_runner().invoke(args=["send-digest"]).exit_code == 0
    [welsh] = inbox.to("cymedrolwr@example.gov.uk")
    body = assert_welsh(welsh)
    assert "1 lle newydd" in welsh["Subject"] and "Lleoedd newydd:" in body and "Banc Bwyd Newydd" in body
    assert f"{PUBLIC}/moderate?lang=cy" in body and "rydych chi’n gymedrolwr" in body
    [english] = inbox.to("admin@example.gov.uk")
    body = assert_english(english)
    assert "1 new place and 0 change reports to review" in english["Subject"]
    assert "you are an admin on the" in body


# --- group sign-in links: Welsh, and through the queue ---


def ask_for_signin(app, **query):
    client = app.test_client()
    if query:
        client.get("/groups/sign-in", query_string=query)
    return client.post(
        "/groups/sign-in", data={"csrf_token": csrf_token(client, "/groups/sign-in"), "email": ORGANISER}
    )


def test_a_sign_in_link_asked_for_on_a_welsh_page_comes_in_welsh(mail_app, inbox):
    [aid] = approved(mail_app, 1)
    claim_by_link(mail_app, mail_app.test_client(), inbox, aid, GROUP, ORGANISER)
    before = len(inbox.to(ORGANISER))
    assert ask_for_signin(mail_app, lang="cy").status_code == 200
    [message] = inbox.to(ORGANISER)[before:]
    body = message.get_content()
    assert "/groups/sign-in/" in body and "?lang=cy" in link_line(body)
    page = mail_app.test_client().get(link_in(message) + "?lang=cy")
    assert page.status_code == 200 and 'lang="cy"' in page.get_data(as_text=True)
    assert_welsh(message, words_from_groups=True)


def link_line(body: str) -> str:
    return next(line for line in body.splitlines() if "/groups/sign-in/" in line)


def test_a_sign_in_link_is_sent_by_a_queue_task_not_a_thread_of_the_request(mail_app, inbox):
    [aid] = approved(mail_app, 1)
    claim_by_link(mail_app, mail_app.test_client(), inbox, aid, GROUP, ORGANISER)
    before = len(inbox.to(ORGANISER))
    threads = {t.name for t in threading.enumerate()}
    assert ask_for_signin(mail_app).status_code == 200
    assert {t.name for t in threading.enumerate()} - threads == set()  # no thread started for the mail
    assert len(inbox.to(ORGANISER)) == before + 1
    with mail_app.app_context():
        [task] = db.session.scalars(select(BackgroundTask).where(BackgroundTask.name == "notify.after_response"))
        assert (task.state, task.label, task.args) == ("done", "Email: group sign-in link", None)  # no address kept
        delivered = db.session.scalars(
            select(BackgroundTask).where(BackgroundTask.name == "notify.deliver").order_by(BackgroundTask.queued_at)
        ).all()
        assert delivered[-1].state == "done" and delivered[-1].args is None


def test_a_sign_in_link_waits_for_the_worker_and_the_page_does_not(mail_app, inbox, queue_worker, tmp_path):
    from webmap.core import queue

    [aid] = approved(mail_app, 1)
    claim_by_link(mail_app, mail_app.test_client(), inbox, aid, GROUP, ORGANISER)
    before = len(inbox.to(ORGANISER))
    mail_app.config["QUEUE_URL"] = f"sqlite:///{tmp_path / 'queue.sqlite'}"
    queue.configure(mail_app)
    assert ask_for_signin(mail_app, lang="cy").status_code == 200
    with mail_app.app_context():
        [task] = db.session.scalars(select(BackgroundTask).where(BackgroundTask.name == "notify.after_response"))
        assert task.state == "queued"  # nothing looked up or sent by the request
    assert len(inbox.to(ORGANISER)) == before

    queue_worker(mail_app)
    deadline = time.monotonic() + 20
    while len(inbox.to(ORGANISER)) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    [message] = inbox.to(ORGANISER)[before:]
    with mail_app.app_context():
        task = db.session.get(BackgroundTask, task.id)
        assert task.state == "done" and task.worker == queue.worker_id()
    assert_welsh(
        message, words_from_groups=True
    )  # composed by the worker, outside any request, in the asker's language
