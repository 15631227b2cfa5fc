"""Contact a group without showing anyone's address: the message is relayed by email."""

from __future__ import annotations

import re

from flask_babel import force_locale
from flask_babel import gettext as _

from webmap.core import audit
from webmap.core.models import Asset
from webmap.council import site_name
from webmap.groups.listings import active_managers
from webmap.notify.mail import Mail, send_if_configured
from webmap.web.language import language, locale_for, pick


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def relay_message(asset: Asset, sender_name: str, sender_email: str, message: str) -> int:
    """Send the message to the listing's managers (or its own email); return how many copies went.

    Each manager gets it in the language they claimed the listing in; the listing's own address, in
    the language the sender wrote from.
    """
    managers = [(m.email, m.language) for m in active_managers(asset.id)]
    recipients = managers or ([(asset.contact_email, language())] if asset.contact_email else [])
    name = _one_line(sender_name)
    sent = 0
    for to, to_language in recipients:
        with force_locale(locale_for(to_language)):
            listing, site = pick(asset.name, asset.name_cy), site_name()
            reason = (
                _("you manage the listing for %(name)s on %(site)s", name=listing, site=site)
                if managers
                else _("this is the email address of %(name)s on %(site)s", name=listing, site=site)
            )
            body = (
                _("%(sender)s sent this message to %(name)s through %(site)s.", sender=name, name=listing, site=site)
                + "\n"
                + _("Their email address is %(email)s: reply to this email to answer them.", email=sender_email)
                + "\n"
                + _("They have not been given your address; they see it only if you reply.")
                + f"\n\n{message}\n"
            )
            mail = Mail(
                to=to,
                subject=_("Message for %(name)s from %(sender)s", name=listing, sender=name),
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
