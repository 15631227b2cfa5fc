"""Claiming a listing and signing in as its manager, by one-time links sent by email."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from webmap.core import audit
from webmap.core.db import db
from webmap.core.emails import normalise_email
from webmap.core.models import Asset, ChangeRequest, utcnow
from webmap.council import site_name
from webmap.groups import tokens
from webmap.groups.listings import CLAIM_KIND, add_manager, managed_listings, manager_actor
from webmap.groups.models import ListingManager
from webmap.notify.links import external_url
from webmap.notify.mail import Mail, send_if_configured
from webmap.web.language import language as current_language
from webmap.web.language import locale_for, pick


def public_link(endpoint: str, **values) -> str:
    """Return an absolute link for an email, on the site's PUBLIC_URL (never the request's Host header), in a request or not."""
    return external_url(endpoint, **values)


def request_claim(
    asset: Asset,
    email: str,
    name: str | None,
    connection: str | None,
    ip: str | None,
    language: str | None = None,
) -> str:
    """Start a claim: email a link to the listing's own address, or else queue it for a moderator.

    `language` is the one the person asked in ("en"/"cy"): the claim email is written in it, and
    the new manager's emails later. Return "link" or "moderation", so the page can say what happens next.
    """
    email = normalise_email(email)
    language = language or current_language()
    if asset.contact_email:
        hours = int(current_app.config["GROUP_CLAIM_LINK_HOURS"])
        secret = tokens.issue("claim", email, hours * 60, asset_id=asset.id, name=name, language=language)
        audit.record(
            "claim_link",
            "asset",
            asset.id,
            who="resident",
            note="a link to confirm a new manager was emailed to the listing's own address",
        )
        db.session.commit()
        who = f"{name} ({email})" if name else email
        with force_locale(locale_for(language)):
            listing, site = pick(asset.name, asset.name_cy), site_name()
            send_if_configured(
                Mail(
                    to=asset.contact_email,
                    subject=_("Confirm who manages %(name)s on %(site)s", name=listing, site=site),
                    body=(
                        _(
                            "%(who)s asked to manage the listing for %(name)s on %(site)s.",
                            who=who,
                            name=listing,
                            site=site,
                        )
                        + "\n"
                        + (_("They said: %(connection)s", connection=connection) + "\n" if connection else "")
                        + "\n"
                        + _(
                            "If they run it with you, confirm here (the link works once, for %(hours)s hours):",
                            hours=hours,
                        )
                        + f"\n{public_link('groups.confirm_claim', secret=secret)}\n\n"
                        + _("If you do not know them, ignore this email and nothing will change.")
                    ),
                    reason=_(
                        "this is the address %(name)s gave the council for the group; it is private and never "
                        "shown on the map",
                        name=listing,
                    ),
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
        language=language,
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
        raise tokens.LinkError(_("This listing is no longer on the map, so it cannot be claimed."))
    manager = add_manager(
        asset, token.email, token.name, "claim link", who=manager_actor(token.email), language=token.language
    )
    return asset, manager


class ClaimError(ValueError):
    """A claim that cannot be granted, with the reason to show the moderator."""


def grant_from_request(change: ChangeRequest, by: str) -> ListingManager:
    """Accept a moderated claim: add the manager and email them a sign-in link."""
    proposed = change.proposed or {}
    email = normalise_email(proposed.get("manager_email"))
    if "@" not in email:
        raise ClaimError("This claim has no email address to add.")
    manager = add_manager(
        change.asset,
        email,
        proposed.get("manager_name") or None,
        granted_by=by,
        who=by,
        language=change.language,
    )
    send_signin_link(email, welcome=change.asset, language=manager.language)
    return manager


def _manager_language(email: str) -> str | None:
    """Return the language a manager last used with us (their newest manager record that has one)."""
    return db.session.scalar(
        select(ListingManager.language)
        .where(ListingManager.email == email, ListingManager.language.is_not(None))
        .order_by(ListingManager.created_at.desc(), ListingManager.id.desc())
        .limit(1)
    )


def send_signin_link(email: str, welcome: Asset | None = None, language: str | None = None) -> bool:
    """Email a one-time sign-in link when this address manages a listing; say whether one was sent.

    The email is in `language` (the one the link was asked for in), else the manager's own, else the site's.
    It may run after the answer, outside the request, so it never reads the request's language itself.
    """
    email = normalise_email(email)
    listings = managed_listings(email)
    if not listings:
        return False
    language = language or _manager_language(email)
    minutes = int(current_app.config["GROUP_SIGNIN_LINK_MINUTES"])
    secret = tokens.issue("signin", email, minutes, language=language)
    with force_locale(locale_for(language)):
        names = "\n".join(f"- {pick(a.name, a.name_cy)}" for a in listings)
        intro = (
            _("You can now manage the listing for %(name)s.", name=pick(welcome.name, welcome.name_cy)) + "\n\n"
            if welcome
            else ""
        )
        return send_if_configured(
            Mail(
                to=email,
                subject=_("Sign in to manage your listing on %(site)s", site=site_name()),
                body=(
                    intro
                    + _("Sign in with this link (it works once, for %(minutes)s minutes):", minutes=minutes)
                    + f"\n{public_link('groups.signin_link', secret=secret)}\n\n"
                    + _("You manage:")
                    + f"\n{names}\n\n"
                    + _("If you did not ask to sign in, ignore this email.")
                ),
                reason=_("someone asked for a sign-in link for this address, which manages a listing on the map"),
            )
        )
