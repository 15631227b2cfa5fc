"""Forms for groups: claim a listing, sign in, offers and needs, edit, and contact a group."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Optional, ValidationError

from webmap.groups.vocabulary import load_vocabulary
from webmap.places.forms import AssetDetailsForm, max_length, strip

EMAIL = Email("Enter an email address in the right form, with an @ and a domain")


def email_field(label: str, required_message: str) -> EmailField:
    return EmailField(
        label,
        filters=[strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
        validators=[DataRequired(required_message), max_length(200, "The email address"), EMAIL],
    )


class ClaimForm(FlaskForm):
    """Someone who runs a group asking to manage its listing."""

    name = StringField(
        "Your name",
        filters=[strip],
        render_kw={"autocomplete": "name"},
        validators=[DataRequired("Enter your name"), max_length(200, "Your name")],
    )
    email = email_field("Your email address", "Enter your email address")
    connection = TextAreaField(
        "How are you involved with the group?",
        filters=[strip],
        validators=[Optional(), max_length(1000, "Your answer")],
    )
    nickname = StringField("Leave this empty", render_kw={"autocomplete": "off", "tabindex": "-1"})


class SignInForm(FlaskForm):
    """A manager asking for a sign-in link."""

    email = email_field("Your email address", "Enter the email address you manage your listing with")


class ConfirmForm(FlaskForm):
    """A button that uses a one-time link (a GET never uses it, so mail scanners cannot)."""


class ExchangeForm(FlaskForm):
    """What a listing offers other groups and what it needs from them."""

    offers = SelectMultipleField("What your group can offer others", validate_choice=False)
    needs = SelectMultipleField("What your group needs", validate_choice=False)
    offers_text = TextAreaField(
        "Anything else you can offer", filters=[strip], validators=[Optional(), max_length(500, "What else you offer")]
    )
    needs_text = TextAreaField(
        "Anything else you need", filters=[strip], validators=[Optional(), max_length(500, "What else you need")]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [(i.id, i.label) for i in load_vocabulary()]
        self.offers.choices, self.needs.choices = choices, list(choices)

    def _known(self, field) -> None:
        known = dict(field.choices)
        unknown = [v for v in field.data or [] if v not in known]
        if unknown:
            raise ValidationError(f"'{unknown[0]}' is not on the list; choose from the boxes")

    validate_offers = _known
    validate_needs = _known


class ManagerEditForm(AssetDetailsForm):
    """A manager's edit of their listing: the public fields, with the pin."""


class StaffListingForm(AssetDetailsForm):
    """A moderator's edit of a listing, with the group's own (private) email."""

    contact_email = EmailField(
        "The group's own email address (private)",
        filters=[strip],
        render_kw={"spellcheck": "false"},
        validators=[Optional(), max_length(200, "The email address"), EMAIL],
    )


class ContactForm(FlaskForm):
    """A message to a group, relayed by email so nobody's address is shown."""

    name = StringField(
        "Your name",
        filters=[strip],
        render_kw={"autocomplete": "name"},
        validators=[DataRequired("Enter your name"), max_length(200, "Your name")],
    )
    email = email_field("Your email address", "Enter your email address, so the group can reply")
    message = TextAreaField(
        "Your message",
        filters=[strip],
        validators=[DataRequired("Write your message"), max_length(3000, "The message")],
    )
    nickname = StringField("Leave this empty", render_kw={"autocomplete": "off", "tabindex": "-1"})
