"""Contact a group without showing anyone's address: the message is relayed by email."""

from __future__ import annotations

import re

from webmap.core import audit
from webmap.core.models import Asset
from webmap.council import site_name
from webmap.groups.listings import active_managers
from webmap.notify.mail import Mail, in_language, send_if_configured


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def relay_message(asset: Asset, sender_name: str, sender_email: str, message: str) -> int:
    """Send the message to the listing's managers (or its own email); return how many copies went."""
    managers = active_managers(asset.id)
    # Each manager's copy is written in the language they used when they claimed the listing; the
    # listing's own address has none on record, so it gets the site's default language.
    recipients = [(m.email, m.language) for m in managers] or (
        [(asset.contact_email, None)] if asset.contact_email else []
    )
    name = _one_line(sender_name)
    sent = 0
    for to, language in recipients:
        with in_language(language):
            reason = (
                f"you manage the listing for {asset.name} on {site_name()}"
                if managers
                else f"this is the email address of {asset.name} on {site_name()}"
            )
            body = (
                f"{name} sent this message to {asset.name} through {site_name()}.\n"
                f"Their email address is {sender_email}: reply to this email to answer them.\n"
                "They have not been given your address; they see it only if you reply.\n\n"
                f"{message}\n"
            )
            mail = Mail(
                to=to,
                subject=f"Message for {asset.name} from {name}",
                body=body,
                reason=reason,
                reply_to=sender_email,
                log_as=f"message relayed to listing {asset.id}",
            )
        # The log names the listing, never the sender: the site keeps nothing about them (privacy notice).
        if send_if_configured(mail):
            sent += 1
    # The trail says a message went, never who sent it or what it said.
    audit.record(
        "contact",
        "asset",
        asset.id,
        who="resident",
        note=f"message queued for {sent} of {len(recipients)} address(es) ({'managers' if managers else 'listing email'})",
    )
    return sent
