"""The "You said, we did" email: what was done about a need a resident told us of, in the language they used."""

from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from webmap.core.models import NeedFollowUp, Response
from webmap.core.wording import category_words
from webmap.council import site_name
from webmap.notify.links import external_url
from webmap.notify.mail import Mail, in_language
from webmap.web.language import pick


def followup_mail(person: NeedFollowUp, response: Response) -> Mail:
    """Return the one email telling a resident what was done, written in NeedFollowUp.language."""
    with in_language(person.language):
        return _followup_mail(person, response)


def _followup_mail(person: NeedFollowUp, response: Response) -> Mail:
    area = site_name()
    category = response.category
    ward = str(pick(response.ward.name, response.ward.name_cy))
    label = str(pick(category.label, category.label_cy))
    # The category as a noun in the email's language (data/category_words*.csv).
    needs = category_words(response.category_id, label).many
    body = (
        _("You told us %(ward)s needs %(needs)s.", ward=ward, needs=needs)
        + "\n\n"
        + _(
            "Here is what was done (%(date)s):\n%(summary)s",
            date=format_date(response.done_on, "long"),
            summary=response.summary,
        )
        + "\n\n"
        + _(
            "See what residents asked for, what was done and how things have changed in %(ward)s:\n%(link)s",
            ward=ward,
            link=external_url("feedback.ward", code=response.ward_code),
        )
        + "\n"
    )
    return Mail(
        to=person.email,
        subject=_("You said, we did: %(category)s in %(ward)s", category=label, ward=ward),
        body=body,
        reason=_(
            "you gave this address on the %(site)s needs form and asked to hear what was done.",
            site=area,
        ),
        unsubscribe_url=external_url("feedback.unsubscribe", token=person.token),
    )
