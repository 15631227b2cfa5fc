"""Mail that must not hold up the answer: sent after it, off the request's thread.

A page whose answer must not depend on whether an email goes out (a sign-in link, which only a
listing's manager gets) hands the sending to `send_after_response`. The visitor gets the page at
once, in the same time whatever they typed; the lookup, the link and the SMTP conversation happen
afterwards. Everything goes through this one function, so moving it onto a task queue later is a
change here only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, current_app, g, has_request_context

from webmap.core.db import db

log = logging.getLogger(__name__)
_threads: list[threading.Thread] = []
# How long the work waits after the answer is made, so the answer is sent before it starts.
START_AFTER_S = 0.02


def send_after_response(work: Callable[[], object], what: str) -> None:
    """Run `work` (which looks things up and sends mail) once this request's answer is made, then commit what it stored.

    Outside a web request (a command) there is no answer to protect, so it runs at once.
    """
    if not has_request_context():
        _run(work, what)
        return
    g.setdefault("_after_response", []).append((work, what))


def _start_pending(error: BaseException | None) -> None:
    """Start the request's waiting work in a thread, once its answer is made (never when the request failed)."""
    pending = g.pop("_after_response", None)
    if not pending or error is not None:
        return
    app = current_app._get_current_object()

    def run() -> None:
        # Let the answer leave first: this thread's work would otherwise compete with it for the interpreter.
        time.sleep(START_AFTER_S)
        with app.app_context():
            for work, what in pending:
                _run(work, what)

    thread = threading.Thread(target=run, name=f"mail-{pending[0][1]}", daemon=True)
    _threads.append(thread)
    thread.start()


def init_app(app: Flask) -> None:
    """Start each request's after-the-answer work when the request ends."""
    app.teardown_request(_start_pending)


def _run(work: Callable[[], object], what: str) -> None:
    try:
        work()
        db.session.commit()
    except Exception:  # noqa: BLE001 - the visitor has had their answer; log, never raise into nothing
        db.session.rollback()
        log.exception("sending %s after the response failed", what)
    finally:
        db.session.remove()


def wait(timeout: float = 30) -> None:
    """Wait for mail being sent in the background (tests, and a command before it exits)."""
    for thread in list(_threads):
        thread.join(timeout)
    _threads[:] = [t for t in _threads if t.is_alive()]
