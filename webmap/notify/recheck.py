"""Ask a stale listing's public email whether the listing is still right, with signed links."""

from __future__ import annotations

import hashlib

from flask_babel import gettext as _
from sqlalchemy import or_

from webmap.core import audit
from webmap.core.db import db
from webmap.core.models import Asset, utcnow
from webmap.council import site_name
from webmap.notify.links import external_url, make_token, read_token, stop_url
from webmap.notify.mail import Mail, in_language, send
from webmap.places.freshness import stale_cutoff, stale_query
from webmap.web.language import pick

# Who the audit trail says confirmed a listing through the emailed link.
LISTING_CONTACT = "listing contact (emailed link)"


def due_for_recheck(months: int) -> list[Asset]:
    """Return stale listings with a public email that has not been asked this period nor opted out."""
    cutoff = stale_cutoff(months)
    query = stale_query(months).where(
        Asset.email.is_not(None),
        Asset.recheck_opt_out.is_(False),
        or_(Asset.recheck_sent_at.is_(None), Asset.recheck_sent_at < cutoff),
    )
    return list(db.session.scalars(query))


def _email_tag(email: str | None) -> str:
    """Return a short digest of an email address: links carry it, never the address (they reach logs)."""
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:16]


def recheck_token(asset: Asset) -> str:
    """Return the signed token in a re-check link; it stops working if the listing's email changes."""
    return make_token("recheck", {"a": asset.id, "e": _email_tag(asset.email)})


def asset_for_token(token: str) -> Asset | None:
    """Return the listing a re-check link is about, or None when it is forged, old or out of date."""
    payload = read_token("recheck", token)
    if not isinstance(payload, dict):
        return None
    asset = db.session.get(Asset, payload.get("a"))
    if asset is None or asset.status != "approved" or _email_tag(asset.email) != payload.get("e"):
        return None
    return asset


def recheck_mail(asset: Asset) -> Mail:
    """Return the re-check request for one listing, in the site's default language (a listing's contact has no other on record)."""
    with in_language(None):
        area, place = site_name(), str(pick(asset.name, asset.name_cy))
        link = external_url("notify.recheck", token=recheck_token(asset))
        details = [
            f"{label}: {value}"
            for label, value in (
                (_("Name"), asset.name),
                (_("Address"), asset.address),
                (_("Postcode"), asset.postcode),
                (_("Phone"), asset.phone),
                (_("Website"), asset.website),
                (_("Opening times"), asset.opening_times),
            )
            if value
        ]
        body = (
            _(
                "%(place)s is listed on the %(site)s, and nobody has checked the listing for a while.",
                place=place,
                site=area,
            )
            + "\n\n"
            + "\n".join(details)
            + "\n\n"
            + _(
                'Is it still right? Open this link to say "still correct" or "something changed" '
                "(no account needed):\n%(link)s\n",
                link=link,
            )
        )
        return Mail(
            to=asset.email,
            subject=_("Is the listing for %(place)s still right?", place=place),
            body=body,
            reason=_("this address is the public contact for %(place)s on the %(site)s.", place=place, site=area),
            unsubscribe_url=stop_url("recheck", asset.id),
        )


def send_rechecks(months: int) -> int:
    """Send a re-check request to every listing due one; commit after each so a failure loses nothing."""
    sent = 0
    for asset in due_for_recheck(months):
        send(recheck_mail(asset))
        asset.recheck_sent_at = utcnow()
        db.session.commit()
        sent += 1
    return sent


def confirm_still_correct(asset: Asset) -> None:
    """Record that the listing's own contact says it is still right (audited as them, not as staff)."""
    before = audit.snapshot(asset)
    asset.last_verified_at = utcnow()
    db.session.flush()
    db.session.add(
        audit.AuditEvent(
            actor=LISTING_CONTACT,
            action="verify",
            entity_type="asset",
            entity_id=str(asset.id),
            before=before,
            after=audit.snapshot(asset),
            note="confirmed still correct by the listing's contact",
        )
    )
