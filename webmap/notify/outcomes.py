"""Tell a submitter who left an email and agreed whether their place was approved, and why not."""

from __future__ import annotations

from flask_babel import gettext as _

from webmap.core.models import Asset
from webmap.council import site_name
from webmap.notify.links import external_url, stop_url
from webmap.notify.mail import Mail, in_language, send_if_configured
from webmap.web.language import pick


def outcome_mail(asset: Asset, reason: str | None = None) -> Mail | None:
    """Return the mail telling the submitter about `asset`'s review, in the language they used, or None when they did not ask for one."""
    if not (asset.submitter_wants_updates and asset.submitter_email) or asset.status not in ("approved", "rejected"):
        return None
    with in_language(asset.submitter_language):
        return _outcome_mail(asset, reason)


def _outcome_mail(asset: Asset, reason: str | None) -> Mail:
    area = site_name()
    place = str(pick(asset.name, getattr(asset, "name_cy", None)))
    if asset.status == "approved":
        subject = _("%(place)s is now on the %(site)s", place=place, site=area)
        body = _(
            "Thank you for adding %(place)s. A moderator has checked it and it is now on the map:\n\n%(link)s\n",
            place=place,
            link=external_url("assets.detail", asset_id=asset.id),
        )
    else:
        subject = _("%(place)s was not added to the %(site)s", place=place, site=area)
        body = _(
            "Thank you for telling us about %(place)s. A moderator has looked at it and has not added it "
            "to the map.\n\nThe reason: %(reason)s\n\n"
            "If something was missing, you are welcome to add it again: %(link)s\n",
            place=place,
            reason=reason or _("no reason was given"),
            link=external_url("assets.new"),
        )
    return Mail(
        to=asset.submitter_email,
        subject=subject,
        body=body,
        reason=_(
            "you added %(place)s to the %(site)s and ticked the box to hear when it had been reviewed.",
            place=place,
            site=area,
        ),
        unsubscribe_url=stop_url("updates", asset.id),
    )


def tell_submitter(asset: Asset, reason: str | None = None) -> bool:
    """Send the outcome mail when the submitter asked for it; return whether one went."""
    mail = outcome_mail(asset, reason)
    return send_if_configured(mail) if mail else False
