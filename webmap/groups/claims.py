"""Claiming a listing and signing in as its manager, by one-time links sent by email."""

from __future__ import annotations

from flask import current_app

from webmap.core import audit
from webmap.core.db import db
from webmap.core.emails import normalise_email
from webmap.core.models import Asset, ChangeRequest, utcnow
from webmap.council import site_name
from webmap.groups import tokens
from webmap.groups.listings import CLAIM_KIND, add_manager, managed_listings, manager_actor
from webmap.groups.models import ListingManager
from webmap.notify.links import external_url
from webmap.notify.mail import Mail, in_language, send_if_configured


def public_link(endpoint: str, **values) -> str:
    """Return an absolute link for an email, on the site's PUBLIC_URL (never the request's Host header), in a request or not."""
    return external_url(endpoint, **values)


def request_claim(asset: Asset, email: str, name: str | None, connection: str | None, ip: str | None) -> str:
    """Start a claim: email a link to the listing's own address, or else queue it for a moderator.

    Return "link" or "moderation", so the page can say what happens next.
    """
    email = normalise_email(email)
    if asset.contact_email:
        hours = int(current_app.config["GROUP_CLAIM_LINK_HOURS"])
        secret = tokens.issue("claim", email, hours * 60, asset_id=asset.id, name=name)
        audit.record(
            "claim_link",
            "asset",
            asset.id,
            who="resident",
            note="a link to confirm a new manager was emailed to the listing's own address",
        )
        db.session.commit()
        who = f"{name} ({email})" if name else email
        send_if_configured(
            Mail(
                to=asset.contact_email,
                subject=f"Confirm who manages {asset.name} on {site_name()}",
                body=(
                    f"{who} asked to manage the listing for {asset.name} on {site_name()}.\n"
                    + (f"They said: {connection}\n" if connection else "")
                    + f"\nIf they run it with you, confirm here (the link works once, for {hours} hours):\n"
                    f"{public_link('groups.confirm_claim', secret=secret)}\n\n"
                    "If you do not know them, ignore this email and nothing will change."
                ),
                reason=f"this is the address {asset.name} gave the council for the group; it is private and never "
                "shown on the map",
            )
        )
        return "link"
    change = ChangeRequest(
        asset_id=asset.id,
        kind=CLAIM_KIND,
        status="open",
        reporter_ip=ip,
        created_at=utcnow(),
        proposed={"manager_email": email, "manager_name": name or ""},
        note=connection or None,
    )
    db.session.add(change)
    db.session.flush()
    # The trail is shown to staff; the requester's address stays on the request only.
    audit.record(
        "report", "change_request", change.id, after={"asset_id": asset.id, "kind": CLAIM_KIND}, who="resident"
    )
    db.session.commit()
    return "moderation"


def confirm_claim(secret: str) -> tuple[Asset, ListingManager]:
    """Use a claim link: the person who asked becomes a manager of the listing."""
    token = tokens.use(secret, "claim")
    asset = db.session.get(Asset, token.asset_id)
    if asset is None or asset.status == "archived":
        raise tokens.LinkError("This listing is no longer on the map, so it cannot be claimed.")
    manager = add_manager(asset, token.email, token.name, "claim link", who=manager_actor(token.email))
    return asset, manager


class ClaimError(ValueError):
    """A claim that cannot be granted, with the reason to show the moderator."""


def grant_from_request(change: ChangeRequest, by: str) -> ListingManager:
    """Accept a moderated claim: add the manager and email them a sign-in link."""
    proposed = change.proposed or {}
    email = normalise_email(proposed.get("manager_email"))
    if "@" not in email:
        raise ClaimError("This claim has no email address to add.")
    manager = add_manager(change.asset, email, proposed.get("manager_name") or None, granted_by=by, who=by)
    # In the language the person used when they asked (not the moderator's).
    with in_language(change.language):
        send_signin_link(email, welcome=change.asset)
    return manager


def send_signin_link(email: str, welcome: Asset | None = None) -> bool:
    """Email a one-time sign-in link when this address manages a listing; say whether one was sent."""
    email = normalise_email(email)
    listings = managed_listings(email)
    if not listings:
        return False
    minutes = int(current_app.config["GROUP_SIGNIN_LINK_MINUTES"])
    secret = tokens.issue("signin", email, minutes)
    names = "\n".join(f"- {a.name}" for a in listings)
    intro = f"You can now manage the listing for {welcome.name}.\n\n" if welcome else ""
    return send_if_configured(
        Mail(
            to=email,
            subject=f"Sign in to manage your listing on {site_name()}",
            body=(
                f"{intro}Sign in with this link (it works once, for {minutes} minutes):\n"
                f"{public_link('groups.signin_link', secret=secret)}\n\nYou manage:\n{names}\n\n"
                "If you did not ask to sign in, ignore this email."
            ),
            reason="someone asked for a sign-in link for this address, which manages a listing on the map",
        )
    )
