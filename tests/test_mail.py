"""Mail goes through a real local SMTP server and says why it was sent and how to stop it."""
from __future__ import annotations

import pytest

from webmap.notify.mail import Mail, MailNotConfigured, send, send_if_configured


def test_a_message_reaches_the_smtp_server_with_reason_and_unsubscribe(make_app, mail_settings, inbox):
    app = make_app(**mail_settings)
    with app.app_context():
        send(Mail(to="resident@example.org", subject="Your place is live", body="Thanks.",
                  reason="you asked to hear about your submission", unsubscribe_url="https://map.test/u/abc"))
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
        assert send_if_configured(Mail(to="a@example.org", subject="s", body="b", reason="r")) is False
