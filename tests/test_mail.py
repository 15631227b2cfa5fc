"""Mail goes through a real local SMTP server, from a queue worker, and says why it was sent and how to stop it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from webmap.core import queue
from webmap.core.db import db
from webmap.core.models import BackgroundTask
from webmap.notify.mail import Mail, MailNotConfigured, send, send_if_configured


def task_of(app, task_id: str) -> BackgroundTask:
    with app.app_context():
        task = db.session.get(BackgroundTask, task_id)
        db.session.expunge_all()
        return task


def wait_for(app, task_id: str, states: tuple[str, ...], timeout: float = 60) -> BackgroundTask:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = task_of(app, task_id)
        if task.state in states:
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} still {task.state}: {task.error}")


def test_a_message_reaches_the_smtp_server_with_reason_and_unsubscribe(make_app, mail_settings, inbox):
    app = make_app(**mail_settings)
    with app.app_context():
        send(
            Mail(
                to="resident@example.org",
                subject="Your place is live",
                body="Thanks.",
                reason="you asked to hear about your submission",
                unsubscribe_url="https://map.test/u/abc",
            )
        )
    [message] = inbox.to("resident@example.org")
    assert message["Subject"] == "Your place is live"
    assert message["List-Unsubscribe"] == "<https://map.test/u/abc>"
    body = message.get_content()
    assert "Why you got this: you asked to hear about your submission" in body
    assert "https://map.test/u/abc" in body


def test_without_a_server_send_refuses_and_send_if_configured_says_no(make_app):
    app = make_app(MAIL_SERVER="")
    mail = Mail(to="a@example.org", subject="s", body="b", reason="r")
    with app.app_context():
        with pytest.raises(MailNotConfigured):
            send(mail)
        assert send_if_configured(mail) is False


def test_an_unreachable_server_does_not_break_the_caller(make_app):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)
    with app.app_context():
        assert send_if_configured(Mail(to="a@example.org", subject="s", body="b", reason="r")) is True
        task = db.session.scalar(select(BackgroundTask).where(BackgroundTask.label == "Email: s"))
    assert task.state == "retrying" and "ConnectionRefusedError" in task.error and task.args is None


def test_the_worker_delivers_the_mail_not_the_caller(make_app, mail_settings, inbox, queue_worker):
    app = make_app(**mail_settings)
    queue_worker(app)
    with app.app_context():
        task_id = send(Mail(to="resident@example.org", subject="Queued", body="b", reason="r"))
    task = wait_for(app, task_id, ("done", "failed"))
    assert task.state == "done" and task.worker == queue.worker_id() and task.attempts == 1
    assert [m["Subject"] for m in inbox.to("resident@example.org")] == ["Queued"]


def test_a_failing_mail_is_tried_again_with_longer_waits_then_shown_failed(make_app, queue_worker):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_RETRIES=2, MAIL_RETRY_DELAY_S=1)
    queue_worker(app)
    with app.app_context():
        task_id = send(Mail(to="a@example.org", subject="Never", body="b", reason="r"))
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        task = task_of(app, task_id)
        if not seen or seen[-1] != (task.state, task.attempts):
            seen.append((task.state, task.attempts))
        if task.state == "failed":
            break
        time.sleep(0.05)
    assert task.state == "failed" and task.attempts == 3, seen
    assert "ConnectionRefusedError" in task.error
    assert ("retrying", 1) in seen and ("retrying", 2) in seen
    # Waits grow: 1 s after the first try, 2 s after the second.
    assert (task.finished_at - task.started_at).total_seconds() < 1
    assert (task.finished_at - task.queued_at).total_seconds() >= 3


LONG_URL = "https://map.example.gov.uk/you-said-we-did/unsubscribe/" + "Zq3-_x" * 8


def test_raw_message_has_date_message_id_and_a_plain_one_click_unsubscribe(make_app, mail_settings, inbox):
    app = make_app(**mail_settings)
    with app.app_context():
        send(
            Mail(
                to="resident@example.org",
                subject="Message for Caffi Llechan Lân from Zoë",
                body="Diolch.",
                reason="you asked",
                unsubscribe_url=LONG_URL,
            )
        )
        send(Mail(to="staff@example.org", subject="You are invited", body="Hello.", reason="an admin invited you"))
    [message] = inbox.to("resident@example.org")
    raw = message.raw.decode("ascii")
    # Read from the bytes on the wire: one unfolded header, the URL in angle brackets, never RFC 2047.
    assert f"\r\nList-Unsubscribe: <{LONG_URL}>\r\n" in raw
    assert "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw
    assert "=?utf-8?q?=3C" not in raw
    assert message["Subject"] == "Message for Caffi Llechan Lân from Zoë"  # non-ASCII still encoded and read back
    assert message["Date"].datetime.tzinfo is not None and message["Message-ID"].endswith("@example.gov.uk>")
    [invite] = inbox.to("staff@example.org")
    assert invite["Date"] and invite["Message-ID"] and "List-Unsubscribe" not in invite  # nothing to stop
    assert inbox.nonstandard() == []


def test_the_header_check_catches_each_fault():
    from tests.conftest import mail_header_problems

    good = (
        b"Date: Sun, 06 Dec 2026 18:00:00 +0000\r\nMessage-ID: <1@example.gov.uk>\r\n"
        b"List-Unsubscribe: <https://map.test/u/1>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nbody"
    )
    assert mail_header_problems(good) == []
    assert mail_header_problems(good.replace(b"Date: Sun, 06 Dec 2026 18:00:00 +0000\r\n", b""))
    assert mail_header_problems(good.replace(b"<https://map.test/u/1>", b"=?utf-8?q?=3Chttps=3A//map.test/u/1=3E?="))
    assert mail_header_problems(good.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", b""))
