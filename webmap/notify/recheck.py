"""Ask a stale listing's public email whether the listing is still right, with signed links."""

from __future__ import annotations

import hashlib

from sqlalchemy import or_

from webmap.core import audit
from webmap.core.db import db
from webmap.core.models import Asset, utcnow
from webmap.council import site_name
from webmap.notify.links import external_url, make_token, read_token, stop_url
from webmap.notify.mail import Mail, send
from webmap.places.freshness import stale_cutoff, stale_query

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
    """Return the re-check request for one listing."""
    area = site_name()
    link = external_url("notify.recheck", token=recheck_token(asset))
    details = [
        f"{label}: {value}"
        for label, value in (
            ("Name", asset.name),
            ("Address", asset.address),
            ("Postcode", asset.postcode),
            ("Phone", asset.phone),
            ("Website", asset.website),
            ("Opening times", asset.opening_times),
        )
        if value
    ]
    body = (
        f"{asset.name} is listed on the {area}, and nobody has checked the listing for a while.\n\n"
        + "\n".join(details)
        + f'\n\nIs it still right? Open this link to say "still correct" or "something changed" '
        f"(no account needed):\n{link}\n"
    )
    return Mail(
        to=asset.email,
        subject=f"Is the listing for {asset.name} still right?",
        body=body,
        reason=f"this address is the public contact for {asset.name} on the {area}.",
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
