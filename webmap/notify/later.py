"""Mail that must not hold up the answer: composed and sent by the queue's worker, never by the web request.

A page whose answer must not depend on whether an email goes out (a sign-in link, which only a
listing's manager gets) hands the work to `send_after_response`. It becomes a queue task (retried
with growing waits, shown on /admin/background like every email), so the visitor gets the page at
once, in the same time whatever they typed; the lookup, the link and the email happen in the worker,
written in the language of the page the visitor asked from.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app

from webmap.core import english, queue
from webmap.core.db import db
from webmap.notify.mail import current_language, in_language


@queue.task("notify.after_response", english._("Send an email asked for on a page"), retry_backoff=2)
def after_response_task(work: Callable[[], object], language: str | None) -> None:
    """Do the work a page handed over (look things up, queue the email), in the asker's language; commit it."""
    try:
        with in_language(language):
            work()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def send_after_response(work: Callable[[], object], what: str) -> str:
    """Queue `work` (a picklable callable that looks things up and sends mail) for the worker; return the task's id.

    The work runs in the language of the page that asked (or the site default outside a request).
    The task's arguments are not kept on the background work page: they may hold an email address.
    """
    config = current_app.config
    return queue.enqueue(
        after_response_task,
        work,
        current_language(),
        label=english._("Email: %(what)s", what=what),
        keep_args=False,
        retries=int(config["MAIL_RETRIES"]),
        retry_delay=int(config["MAIL_RETRY_DELAY_S"]),
    )


def init_app(app: Flask) -> None:
    """Nothing to set up: the work goes on the queue (kept so older callers need no change)."""


def wait(timeout: float = 30) -> None:
    """Nothing to wait for: no mail is sent from a web request's thread any more (kept for tests' teardown)."""
