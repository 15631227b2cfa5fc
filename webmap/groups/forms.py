"""Forms for groups: claim a listing, sign in, offers and needs, edit, and contact a group."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from webmap.groups.vocabulary import load_vocabulary
from webmap.places.forms import AssetDetailsForm, strip
from webmap.web.language import pick

EMAIL = Email(_l("Enter an email address in the right form, with an @ and a domain"))


def max_length(n: int, message) -> Length:
    """Refuse text longer than n characters, with a whole sentence (lazy, so it is in the reader's language)."""
    return Length(max=n, message=message)


def email_field(label, required_message) -> EmailField:
    return EmailField(
        label,
        filters=[strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
        validators=[
            DataRequired(required_message),
            max_length(200, _l("The email address must be 200 characters or fewer")),
            EMAIL,
        ],
    )


def name_field() -> StringField:
    return StringField(
        _l("Your name"),
        filters=[strip],
        render_kw={"autocomplete": "name"},
        validators=[
            DataRequired(_l("Enter your name")),
            max_length(200, _l("Your name must be 200 characters or fewer")),
        ],
    )


def honeypot_field() -> StringField:
    """A field people never see or fill in (hidden by CSS, out of the tab order): bots that fill it are refused."""
    return StringField(_l("Leave this empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})


class ClaimForm(FlaskForm):
    """Someone who runs a group asking to manage its listing."""

    name = name_field()
    email = email_field(_l("Your email address"), _l("Enter your email address"))
    connection = TextAreaField(
        _l("How are you involved with the group?"),
        filters=[strip],
        validators=[Optional(), max_length(1000, _l("Your answer must be 1000 characters or fewer"))],
    )
    nickname = honeypot_field()


class SignInForm(FlaskForm):
    """A manager asking for a sign-in link."""

    email = email_field(_l("Your email address"), _l("Enter the email address you manage your listing with"))


class ConfirmForm(FlaskForm):
    """A button that uses a one-time link (a GET never uses it, so mail scanners cannot)."""


class ExchangeForm(FlaskForm):
    """What a listing offers other groups and what it needs from them."""

    offers = SelectMultipleField(_l("What your group can offer others"), validate_choice=False)
    needs = SelectMultipleField(_l("What your group needs"), validate_choice=False)
    offers_text = TextAreaField(
        _l("Anything else you can offer"),
        filters=[strip],
        validators=[Optional(), max_length(500, _l("What else you offer must be 500 characters or fewer"))],
    )
    needs_text = TextAreaField(
        _l("Anything else you need"),
        filters=[strip],
        validators=[Optional(), max_length(500, _l("What else you need must be 500 characters or fewer"))],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(i.id, pick(i.label, i.label_cy)) for i in load_vocabulary()]
        self.offers.choices, self.needs.choices = choices, list(choices)

    def _known(self, field) -> None:
        known = dict(field.choices)
        unknown = [v for v in field.data or [] if v not in known]
        if unknown:
            raise ValidationError(_("'%(value)s' is not on the list; choose from the boxes", value=unknown[0]))

    validate_offers = _known
    validate_needs = _known


class ManagerEditForm(AssetDetailsForm):
    """A manager's edit of their listing: the public fields, with the pin."""


class StaffListingForm(AssetDetailsForm):
    """A moderator's edit of a listing, with the group's own (private) email."""

    contact_email = EmailField(
        _l("The group's own email address (private)"),
        filters=[strip],
        render_kw={"spellcheck": "false"},
        validators=[Optional(), max_length(200, _l("The email address must be 200 characters or fewer")), EMAIL],
    )


class ContactForm(FlaskForm):
    """A message to a group, relayed by email so nobody's address is shown."""

    name = name_field()
    email = email_field(_l("Your email address"), _l("Enter your email address, so the group can reply"))
    message = TextAreaField(
        _l("Your message"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write your message")),
            max_length(3000, _l("The message must be 3000 characters or fewer")),
        ],
    )
    nickname = honeypot_field()
