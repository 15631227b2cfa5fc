"""Helpers for the groups tests: pick listings, read links from mail, sign a manager in."""

from __future__ import annotations

import re
import time

from sqlalchemy import select

from tests.conftest import csrf_token
from webmap.core.db import db
from webmap.core.models import Asset

LINK = re.compile(r"https?://\S+/groups/(?:claim|sign-in)/[A-Za-z0-9_\-]+")


def approved(app, n: int = 2) -> list[int]:
    """Return the ids of the first n approved sample listings."""
    with app.app_context():
        return list(db.session.scalars(select(Asset.id).where(Asset.status == "approved").order_by(Asset.id).limit(n)))


def set_contact_email(app, asset_id: int, email: str) -> None:
    with app.app_context():
        db.session.get(Asset, asset_id).contact_email = email
        db.session.commit()


def link_in(message) -> str:
    """Return the one-time link in an email, as a path."""
    match = LINK.search(message.get_content())
    assert match, message.get_content()
    return "/" + match.group(0).split("/", 3)[3]


def confirm(client, path: str):
    """Open a one-time link and press its button, as a person would."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(client, path)})


def claim_by_link(app, client, inbox, asset_id: int, group_email: str, organiser: str):
    """Claim a listing whose own email is group_email for organiser, and sign the organiser in."""
    set_contact_email(app, asset_id, group_email)
    response = client.post(
        f"/assets/{asset_id}/claim",
        data={
            "csrf_token": csrf_token(client, f"/assets/{asset_id}/claim"),
            "name": "Olive Organiser",
            "email": organiser,
            "connection": "I am the secretary",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    # With a real queue the worker sends the link a moment later; with the tests' immediate queue, at once.
    deadline = time.monotonic() + 30
    while not inbox.to(group_email) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert confirm(client, link_in(inbox.to(group_email)[-1])).status_code == 200
    while not inbox.to(organiser) and time.monotonic() < deadline:
        time.sleep(0.05)
    return confirm(client, link_in(inbox.to(organiser)[-1]))
