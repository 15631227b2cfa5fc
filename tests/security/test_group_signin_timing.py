"""Asking for a manager's sign-in link answers in the same time whatever the email, so timing tells nobody who manages a listing.

Before the fix the link was made and emailed during the request: 8-16 ms for a manager's email, 4-6 ms for an
unknown one, and a distant mail server widened the gap (here, one that takes 60 ms to accept a message).
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import time

import pytest

from tests.conftest import _Inbox, csrf_token
from tests.groups_helpers import approved, claim_by_link
from webmap.notify import later

GROUP = "hello@pantry.example.org"
ORGANISER = "olive@organiser.example.org"


class _SlowInbox(_Inbox):
    """A mail server far away: it takes a while to accept each message."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(0.06)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_mail_app(make_app, tmp_path):
    from aiosmtpd.controller import Controller

    from tests.conftest import REPO, empty_database
    from webmap.core.db import db
    from webmap.importers.categories import import_categories
    from webmap.imports.sample import load_sample

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    # A real queue with a worker thread, as in production: the page only queues the link, whoever asks.
    app = make_app(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_FROM="map@example.gov.uk",
        QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite'}",
    )
    with app.app_context():
        empty_database()
        import_categories(REPO / "data" / "categories.csv")
        db.session.commit()
        load_sample()
    from webmap.core import queue

    consumer, stop = queue.start_worker(app, threads=1, schedule=False, embedded=True)
    consumer.start()
    try:
        yield app, inbox
    finally:
        stop.set()
        consumer.stop(graceful=True)
        controller.stop()


def test_manager_and_unknown_emails_take_similar_time(slow_mail_app):
    app, inbox = slow_mail_app
    [aid] = approved(app, 1)
    claim_by_link(app, app.test_client(), inbox, aid, GROUP, ORGANISER)
    client = app.test_client()
    token = csrf_token(client, "/groups/sign-in")
    times: dict[str, list[float]] = {ORGANISER: [], "nobody@example.org": []}
    pages = set()
    for _ in range(9):
        for email in times:  # interleaved, so any drift in the machine's speed hits both alike
            start = time.perf_counter()
            response = client.post("/groups/sign-in", data={"csrf_token": token, "email": email})
            times[email].append(time.perf_counter() - start)
            pages.add(response.get_data(as_text=True))
            later.wait()  # the previous link has gone before the next is timed
    manager, unknown = (statistics.median(times[e]) for e in times)
    assert len(pages) == 1  # the same answer
    # The same time: before the fix the manager's median was over ten times the unknown one's here.
    assert 0.5 < manager / unknown < 2, (manager, unknown)
    # And the link still arrives, from the worker; the unknown address gets nothing.
    deadline = time.monotonic() + 60
    while len(inbox.to(ORGANISER)) < 10 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(inbox.to(ORGANISER)) >= 10 and inbox.to("nobody@example.org") == []
