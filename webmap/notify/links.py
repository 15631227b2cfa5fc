"""Signed links in emails: to confirm a listing, or to stop a kind of email, with no account needed."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

# How long an emailed link works.
LINK_DAYS = 60


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"webmap.notify.{purpose}")


def make_token(purpose: str, payload: Any) -> str:
    """Return a signed token for `payload`, good only for `purpose`."""
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_days: int = LINK_DAYS) -> Any | None:
    """Return the payload of a token made for `purpose`, or None when it is forged or too old."""
    try:
        return _serializer(purpose).loads(token, max_age=max_days * 86400)
    except BadSignature:
        return None


def link_language() -> str | None:
    """Return the language a link in mail composed here should open its page in, or None to leave it out.

    Mail written in Welsh (inside `webmap.notify.mail.in_language("cy")`) links to Welsh pages with
    `?lang=cy`, whatever the reader's browser says; English mail on an English-first site needs no mark.
    """
    from webmap.web.language import language, offered

    codes = offered()
    code = language()
    if len(codes) < 2 or code not in codes or (code == "en" and codes[0] == "en"):
        return None
    return code


def external_url(endpoint: str, **values: Any) -> str:
    """Return an absolute link to `endpoint` on the public site (PUBLIC_URL), for emails sent from cron too.

    The link opens the page in the language the mail is written in (see `link_language`).
    """
    if "lang" not in values and (code := link_language()):
        values["lang"] = code
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for(endpoint, _external=True, **values)


def stop_url(kind: str, subject: Any) -> str:
    """Return the link that stops one kind of email ("digest", "updates", "recheck") for one subject."""
    return external_url("notify.stop", token=make_token("stop", {"kind": kind, "id": subject}))
