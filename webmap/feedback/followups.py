"""Residents who asked to hear back: their private email, the one message per response, unsubscribe, erasure."""

from __future__ import annotations

import secrets

from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Need, NeedFollowUp, Response, utcnow
from webmap.notify.mail import Mail, send_if_configured
from webmap.web.language import language

EMAIL_LIMIT = 200


def consent_sentence() -> str:
    """Return the sentence a resident agrees to when they give an email, in their language (stored with it)."""
    months = current_app.config["FOLLOWUP_RETENTION_MONTHS"]
    return _(
        "Email me once when the council records what it did about this need in my ward. Use my address for "
        "nothing else, never show it publicly, and delete it after %(months)s months.",
        months=months,
    )


def looks_like_email(value: str) -> bool:
    """Say whether a typed address is plausible (one @, a dot in the domain, no spaces)."""
    local, at, domain = value.partition("@")
    return bool(
        at
        and local
        and "." in domain.strip(".")
        and " " not in value
        and "@" not in domain
        and len(value) <= EMAIL_LIMIT
    )


def follow_up(email: str, ward_code: str, needs: list[Need]) -> NeedFollowUp:
    """Keep a resident's address for these needs, with the consent they gave and the language they used.

    The consent is stored in the words the resident saw (Welsh on the Welsh form); the caller commits.
    """
    record = NeedFollowUp(
        email=email.strip(),
        token=secrets.token_urlsafe(32),
        ward_code=ward_code,
        consent_text=consent_sentence(),
        language=language(),
    )
    db.session.add(record)
    db.session.flush()
    for need in needs:
        need.followup_id = record.id
    return record


def unsubscribe(token: str) -> bool:
    """Stop emails to the follow-up with this token and erase its address; return False for an unknown token."""
    record = db.session.scalar(select(NeedFollowUp).where(NeedFollowUp.token == token))
    if record is None:
        return False
    if record.unsubscribed_at is None:
        record.unsubscribed_at = utcnow()
    # Nothing more will be sent, so the address is no longer needed.
    record.email, record.erased_at = None, record.erased_at or utcnow()
    return True


def erase_expired(months: int) -> int:
    """Erase addresses given more than `months` ago; return how many were erased (the caller commits)."""
    from webmap.privacy.personal_data import purge_expired

    return purge_expired(months, only={"followups"})["followups"]


def page_url(ward_code: str) -> str:
    """Return the public address of the ward's "You said, we did" page, for emails."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return base + url_for("feedback.ward", code=ward_code)


def notify(response: Response) -> int:
    """Email each resident waiting on this ward + category once; return how many were sent (the caller commits)."""
    waiting = db.session.execute(
        select(Need, NeedFollowUp)
        .join(NeedFollowUp, Need.followup_id == NeedFollowUp.id)
        .where(
            Need.ward_code == response.ward_code,
            Need.category_id == response.category_id,
            Need.notified_at.is_(None),
            NeedFollowUp.email.is_not(None),
            NeedFollowUp.unsubscribed_at.is_(None),
            Need.asked_on <= response.done_on,
        )
    ).all()
    by_person: dict[int, tuple[NeedFollowUp, list[Need]]] = {}
    for need, person in waiting:
        by_person.setdefault(person.id, (person, []))[1].append(need)
    sent = 0
    for person, needs in by_person.values():
        if send_if_configured(_mail(person, response)):
            for need in needs:
                need.notified_at = utcnow()
            sent += 1
    return sent


def _mail(person: NeedFollowUp, response: Response) -> Mail:
    # Composed by webmap.notify, in the language the resident used on the form (NeedFollowUp.language).
    from webmap.notify.followups import followup_mail

    return followup_mail(person, response)
