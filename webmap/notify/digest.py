"""The moderators' digest: new submissions and change reports since the last one, at most once an hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from webmap.core import english
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, ChangeRequest, User, utcnow
from webmap.council import site_name
from webmap.notify.links import external_url, stop_url
from webmap.notify.mail import Mail, in_language, send
from webmap.web.language import pick

MIN_INTERVAL = timedelta(hours=1)


@dataclass
class DigestResult:
    """What the digest command did, in words for its output."""

    sent_to: int = 0
    places: int = 0
    changes: int = 0
    skipped: str | None = None


def last_digest_at() -> datetime | None:
    """Return when the last digest went out."""
    return db.session.scalar(
        select(AuditEvent.at)
        .where(AuditEvent.action == "digest", AuditEvent.entity_type == "mail")
        .order_by(AuditEvent.at.desc())
        .limit(1)
    )


def send_digest(now: datetime | None = None) -> DigestResult:
    """Email each moderator who wants it the new places and change reports; commit the send time."""
    now = now or utcnow()
    last = last_digest_at()
    if last and now - last < MIN_INTERVAL:
        return DigestResult(
            skipped=english._("the last digest went at %(time)s UTC, less than an hour ago", time=f"{last:%H:%M}")
        )
    since = last or datetime(1970, 1, 1)
    places = list(
        db.session.scalars(
            select(Asset)
            .where(Asset.status == "pending", Asset.created_at > since, Asset.created_at <= now)
            .order_by(Asset.created_at)
        )
    )
    changes = list(
        db.session.scalars(
            select(ChangeRequest)
            .where(ChangeRequest.status == "open", ChangeRequest.created_at > since, ChangeRequest.created_at <= now)
            .order_by(ChangeRequest.created_at)
        )
    )
    if not places and not changes:
        return DigestResult(skipped=english._("nothing new since the last digest"))
    staff = list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.wants_digest.is_(True), User.role.in_(("moderator", "admin")))
            .order_by(User.id)
        )
    )
    for user in staff:
        send(digest_mail(user, places, changes))
    db.session.add(
        AuditEvent(
            at=now,
            actor="cli: send-digest",
            action="digest",
            entity_type="mail",
            after={"recipients": len(staff), "places": len(places), "changes": len(changes)},
        )
    )
    db.session.commit()
    return DigestResult(sent_to=len(staff), places=len(places), changes=len(changes))


def count_of(n: int, noun: str) -> str:
    """Return "1 new place", "2 new places": for the commands' output, which is for operators and stays English."""
    return f"{n} {noun}{'s' if n != 1 else ''}"


def digest_mail(user: User, places: list[Asset], changes: list[ChangeRequest]) -> Mail:
    """Return one staff member's digest, written in their language (User.language)."""
    with in_language(user.language):
        area = site_name()
        subject = _(
            "%(site)s: %(places)s and %(changes)s to review",
            site=area,
            places=ngettext("%(num)d new place", "%(num)d new places", len(places)),
            changes=ngettext("%(num)d change report", "%(num)d change reports", len(changes)),
        )
        if user.role == "admin":
            reason = _("you are an admin on the %(site)s and digests are on for your account.", site=area)
        else:
            reason = _("you are a moderator on the %(site)s and digests are on for your account.", site=area)
        return Mail(
            to=user.email,
            subject=subject,
            body=_body(places, changes),
            reason=reason,
            unsubscribe_url=stop_url("digest", user.id),
        )


def _body(places: list[Asset], changes: list[ChangeRequest]) -> str:
    lines = [_("Waiting for review: %(link)s", link=external_url("moderation.queue")), ""]
    if places:
        lines.append(_("New places:"))
        lines += [
            f"- {pick(a.name, a.name_cy)} "
            f"({pick(a.ward.name, a.ward.name_cy) if a.ward else _('ward not known')}): "
            f"{external_url('assets.detail', asset_id=a.id)}"
            for a in places
        ]
        lines.append("")
    if changes:
        lines.append(_("Change reports:"))
        lines += [f"- {pick(c.asset.name, c.asset.name_cy)}: {c.kind}" for c in changes]
    return "\n".join(lines)
