"""Send plain-text email through the SMTP server named in settings, always from the worker.

`send` queues a delivery task (webmap.core.queue) and returns at once: no web request waits on the
mail server. The worker tries again with growing waits (MAIL_RETRIES, MAIL_RETRY_DELAY_S) and then
marks the task failed, which /admin/background shows with the reason.

Every message says why it was sent and how to stop it: callers pass `reason` and, where a
person can opt out, `unsubscribe_url`; both are appended to the body and the latter also goes
into a `List-Unsubscribe` header so mail clients show a one-click link.

Every message carries `Date` and `Message-ID`; unsubscribe links go out as `List-Unsubscribe: <URL>`
with `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 2369 and RFC 8058).

Every message is written in its reader's language: compose it inside `in_language(code)` (the language
the person used, kept with their record), and the `Mail` made there remembers that language. Its
footer is written in it when the worker builds the message, which says so in `Content-Language`;
links made with `webmap.notify.links.external_url` inside `in_language("cy")` open the Welsh page.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_babel import gettext as _

from webmap.core import english, queue
from webmap.core.inputs import InputRejected, header_problem
from webmap.council import site_name
from webmap.web.language import HTML_LANG, language, locale_for

log = logging.getLogger(__name__)
# The default policy folds a header longer than 78 characters, and folds an unbreakable URL by
# RFC 2047-encoding it (=?utf-8?q?=3Chttp...), which mail clients do not read as a link. SMTP's
# own limit is 998 characters a line, so fold only there; non-ASCII text is still encoded.
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


@contextmanager
def in_language(code: str | None) -> Iterator[None]:
    """Write what is composed inside in the language `code` ("en", "cy"; None: the site default), in a request or not."""
    with force_locale(locale_for(code)):
        yield


def current_language() -> str | None:
    """Return the language mail composed here is written in: the one forced by `in_language`, else the page's."""
    return language() if has_app_context() else None


class MailNotConfigured(RuntimeError):
    """No SMTP server is set (WEBMAP_MAIL_SERVER), so nothing can be sent."""


@dataclass(frozen=True)
class Mail:
    """One message to one recipient."""

    to: str
    subject: str
    body: str
    reason: str
    unsubscribe_url: str | None = None
    reply_to: str | None = None
    # What the log says instead of the subject, when the subject names a person (a relayed message's sender).
    log_as: str | None = None
    # The language the subject and body were written in ("en", "cy"): the footer is written in it too.
    language: str | None = field(default_factory=current_language)

    @property
    def logged(self) -> str:
        return self.log_as or self.subject


def mail_enabled() -> bool:
    """Say whether an SMTP server is configured."""
    return bool(current_app.config.get("MAIL_SERVER"))


def build_message(mail: Mail) -> EmailMessage:
    """Return the email for `mail`, with the reason and the way to stop it at the foot, in the mail's language."""
    # A message queued before mail had a language (an older worker's pickle) has no attribute for it.
    code = getattr(mail, "language", None)
    with in_language(code):
        return _build_message(mail, language() if code is None else code)


def _build_message(mail: Mail, code: str) -> EmailMessage:
    config = current_app.config
    for header, value in (("To", mail.to), ("Reply-To", mail.reply_to), ("List-Unsubscribe", mail.unsubscribe_url)):
        problem = header_problem(value) if value else None
        if problem:
            # The backstop for values that came from data rather than a form (a form answers 400 first).
            raise InputRejected(f"The email's {header} {problem}.")
    message = EmailMessage(policy=MAIL_POLICY)
    message["Date"] = format_datetime(datetime.now(UTC))  # "+0000": a known zone, not "-0000"
    message["From"] = formataddr((config["MAIL_FROM_NAME"] or site_name(), config["MAIL_FROM"]))
    message["To"] = mail.to
    # Names in subjects come from data (a place's name as imported): keep them to one line.
    message["Subject"] = " ".join(mail.subject.split())
    message["Message-ID"] = make_msgid(domain=config["MAIL_FROM"].rpartition("@")[2] or None)
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    footer = [_("Why you got this: %(reason)s", reason=mail.reason)]
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        footer.append(_("To stop these emails: %(link)s", link=mail.unsubscribe_url))
    else:
        footer.append(_("You will not get this email again unless the same thing happens."))
    message.set_content(mail.body.rstrip() + "\n\n-- \n" + "\n".join(footer) + "\n")
    # After set_content, which clears every Content-* header.
    message["Content-Language"] = HTML_LANG.get(code, code)
    return message


def deliver(mail: Mail) -> EmailMessage:
    """Hand one message to the SMTP server now (in the worker); raise on any failure so it is retried."""
    if not mail_enabled():
        raise MailNotConfigured("No mail server is set: set WEBMAP_MAIL_SERVER (and WEBMAP_MAIL_PORT).")
    message = build_message(mail)
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)
    # Log that a message went, never to whom: addresses are personal data.
    log.info("mail sent: %s", mail.logged)
    return message


@queue.task("notify.deliver", english._("Send an email"), retry_backoff=2)
def deliver_task(mail: Mail) -> None:
    """Deliver one queued email."""
    deliver(mail)


def send(mail: Mail) -> str:
    """Queue one message for the worker to send and return the task's id; raise MailNotConfigured when no SMTP server is set."""
    if not mail_enabled():
        raise MailNotConfigured("No mail server is set: set WEBMAP_MAIL_SERVER (and WEBMAP_MAIL_PORT).")
    config = current_app.config
    # The subject (or what the log may say instead) names the email on the background work page;
    # the address is kept only in the queue.
    return queue.enqueue(
        deliver_task,
        mail,
        label=english._("Email: %(what)s", what=mail.logged),
        keep_args=False,
        retries=int(config["MAIL_RETRIES"]),
        retry_delay=int(config["MAIL_RETRY_DELAY_S"]),
    )


def send_if_configured(mail: Mail) -> bool:
    """Queue `mail` when a server is set and say so; otherwise log and return False (a form must not fail for it)."""
    if not mail_enabled():
        log.warning("mail not sent (no WEBMAP_MAIL_SERVER): %s", mail.logged)
        return False
    try:
        send(mail)
    except Exception as error:  # noqa: BLE001 - the queue being down must not fail the form that asked for the mail
        log.error("mail not queued (%s): %s", type(error).__name__, mail.logged)
        return False
    return True
