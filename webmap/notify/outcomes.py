"""Tell a submitter who left an email and agreed whether their place was approved, and why not."""

from __future__ import annotations

from webmap.core.models import Asset
from webmap.council import site_name
from webmap.notify.links import external_url, stop_url
from webmap.notify.mail import Mail, send_if_configured


def outcome_mail(asset: Asset, reason: str | None = None) -> Mail | None:
    """Return the mail telling the submitter about `asset`'s review, or None when they did not ask for one."""
    if not (asset.submitter_wants_updates and asset.submitter_email) or asset.status not in ("approved", "rejected"):
        return None
    area = site_name()
    if asset.status == "approved":
        subject = f"{asset.name} is now on the {area}"
        body = (
            f"Thank you for adding {asset.name}. A moderator has checked it and it is now on the map:\n\n"
            f"{external_url('assets.detail', asset_id=asset.id)}\n"
        )
    else:
        subject = f"{asset.name} was not added to the {area}"
        body = (
            f"Thank you for telling us about {asset.name}. A moderator has looked at it and has not added it "
            f"to the map.\n\nThe reason: {reason or 'no reason was given'}\n\n"
            f"If something was missing, you are welcome to add it again: {external_url('assets.new')}\n"
        )
    return Mail(
        to=asset.submitter_email,
        subject=subject,
        body=body,
        reason=f"you added {asset.name} to the {area} and ticked the box to hear when it had been reviewed.",
        unsubscribe_url=stop_url("updates", asset.id),
    )


def tell_submitter(asset: Asset, reason: str | None = None) -> bool:
    """Send the outcome mail when the submitter asked for it; return whether one went."""
    mail = outcome_mail(asset, reason)
    return send_if_configured(mail) if mail else False
