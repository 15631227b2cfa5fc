"""Forms for adding, editing and reporting changes to assets, with plain messages in the reader's language.

Labels and messages are lazy (`_l`): the forms are declared once, and each request shows them in
its own language (docs/welsh.md).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms import BooleanField, EmailField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp, ValidationError

from webmap.core import store
from webmap.core.geo import normalise_postcode
from webmap.core.inputs import SafeForm
from webmap.core.models import ASSET_KINDS, CHANGE_KINDS, Ward
from webmap.places.search.postcodes import not_set_up, postcodes_ready
from webmap.web.language import pick

KIND_LABELS = {
    "group": _l("A group or club"),
    "business": _l("A local business"),
    "venue": _l("A venue or building"),
    "service": _l("A service"),
}
CHANGE_LABELS = {
    "closed": _l("It has closed"),
    "details": _l("Some details have changed"),
    "other": _l("Something else"),
}
PHONE = Regexp(r"^\+?[0-9 ()\-]{7,20}$", message=_l("Enter a phone number like 01632 960 001 or +44 1632 960 001"))
REAL_POSTCODE = _l("Enter a real postcode, like XX1 1AB")
WEB_ADDRESS = _l("Enter a web address like https://www.example.org")
# Fields a resident may propose new values for in a change report, in display order.
CHANGEABLE = ("name", "description", "address", "postcode", "website", "phone", "opening_times", "accessibility")


def strip(value):
    """Trim spaces from typed text (None stays None)."""
    return value.strip() if isinstance(value, str) else value


def web_address(value):
    """Add https:// to a web address typed without it ("www.example.org")."""
    value = strip(value)
    if value and not re.match(r"^[a-z][a-z0-9+.-]*://", value, flags=re.I):
        return f"https://{value}"
    return value


def http_only(form, field) -> None:
    """Refuse web addresses that are not http(s), such as javascript: links."""
    if field.data and not re.match(r"^https?://", field.data, flags=re.I):
        raise ValidationError(_("Enter a web address starting with https:// or http://"))


# "X must be N characters or fewer", a whole sentence per field so each reads naturally in Welsh.
TOO_LONG = {
    "The name": _l("The name must be %(max)s characters or fewer"),
    "The Welsh name": _l("The Welsh name must be %(max)s characters or fewer"),
    "The description": _l("The description must be %(max)s characters or fewer"),
    "The Welsh description": _l("The Welsh description must be %(max)s characters or fewer"),
    "The address": _l("The address must be %(max)s characters or fewer"),
    "The postcode": _l("The postcode must be %(max)s characters or fewer"),
    "Opening times": _l("Opening times must be %(max)s characters or fewer"),
    "The web address": _l("The web address must be %(max)s characters or fewer"),
    "The email address": _l("The email address must be %(max)s characters or fewer"),
    "Accessibility notes": _l("Accessibility notes must be %(max)s characters or fewer"),
    "Your name": _l("Your name must be %(max)s characters or fewer"),
    "Your email address": _l("Your email address must be %(max)s characters or fewer"),
    "The note": _l("The note must be %(max)s characters or fewer"),
    "Your answer": _l("Your answer must be %(max)s characters or fewer"),
    "What else you offer": _l("What else you offer must be %(max)s characters or fewer"),
    "What else you need": _l("What else you need must be %(max)s characters or fewer"),
}


def _too_long(n: int, what) -> str:
    known = TOO_LONG.get(what) if isinstance(what, str) else None
    if known is not None:
        return known % {"max": n}
    return _("%(what)s must be %(max)s characters or fewer", what=what, max=n)


def max_length(n: int, what) -> Length:
    """Limit a field to n characters; `what` names it ("The name"), in English or as a lazy message."""
    # Length formats its message with %(max)d etc.: the sentence, made per request, has no % left in it.
    return Length(max=n, message=LazyString(lambda: _too_long(n, what).replace("%", "%%")))


class AssetDetailsForm(SafeForm):
    """The details of an asset: what residents type in and moderators edit."""

    name = StringField(
        _l("Name of the place"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the name of the place")), max_length(200, "The name")],
    )
    categories = SelectMultipleField(_l("What kind of place is it?"), validate_choice=False)
    kind = RadioField(_l("Is it a group, business, venue or service?"), validate_choice=False)
    description = TextAreaField(
        _l("What it offers"), filters=[strip], validators=[Optional(), max_length(2000, "The description")]
    )
    address = StringField(_l("Address"), filters=[strip], validators=[Optional(), max_length(300, "The address")])
    postcode = StringField(
        _l("Postcode"),
        filters=[strip],
        render_kw={"autocomplete": "postal-code", "spellcheck": "false"},
        validators=[Optional(), max_length(10, "The postcode")],
    )
    lat = StringField(_l("Latitude"), filters=[strip], render_kw={"inputmode": "decimal"})
    lon = StringField(_l("Longitude"), filters=[strip], render_kw={"inputmode": "decimal"})
    opening_times = TextAreaField(
        _l("When it is open"), filters=[strip], validators=[Optional(), max_length(500, "Opening times")]
    )
    website = StringField(
        _l("Website"),
        filters=[web_address],
        render_kw={"inputmode": "url", "spellcheck": "false"},
        validators=[
            Optional(),
            max_length(300, "The web address"),
            URL(message=WEB_ADDRESS),
            http_only,
        ],
    )
    phone = StringField(
        _l("Phone number"), filters=[strip], render_kw={"inputmode": "tel"}, validators=[Optional(), PHONE]
    )
    email = EmailField(
        _l("Public email address"),
        filters=[strip],
        render_kw={"spellcheck": "false"},
        validators=[
            Optional(),
            max_length(200, "The email address"),
            Email(_l("Enter an email address like info@example.org")),
        ],
    )
    accessibility = TextAreaField(
        _l("Accessibility"), filters=[strip], validators=[Optional(), max_length(1000, "Accessibility notes")]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.categories.choices = [(c.id, pick(c.label, c.label_cy)) for c in store.categories()]
        self.kind.choices = [(k, KIND_LABELS[k]) for k in ASSET_KINDS]
        self.located: Location | None = None

    # The text fields an edit of an existing listing changes (a form may add its own, e.g. a private email).
    LISTING_FIELDS = (
        "name",
        "kind",
        "description",
        "address",
        "postcode",
        "website",
        "phone",
        "opening_times",
        "accessibility",
    )

    def show_listing(self, asset) -> None:
        """Fill the categories and pin of an existing listing (obj= fills the plain fields)."""
        self.categories.data = asset.category_ids()
        self.lon.data, self.lat.data = f"{asset.lon:.6f}", f"{asset.lat:.6f}"

    def listing_values(self, extra: tuple[str, ...] = ()) -> dict:
        """Return the edited text fields (empty ones as None)."""
        return {f: (self[f].data or None) for f in (*self.LISTING_FIELDS, *extra)}

    def validate_categories(self, field) -> None:
        if not field.data:
            raise ValidationError(_("Choose at least one kind of place"))
        known = dict(field.choices)
        unknown = [c for c in field.data if c not in known]
        if unknown:
            raise ValidationError(_("'%(id)s' is not one of the kinds of place on this map", id=unknown[0]))

    def validate_kind(self, field) -> None:
        if field.data not in ASSET_KINDS:
            raise ValidationError(_("Choose whether it is a group, business, venue or service"))

    def validate_postcode(self, field) -> None:
        if field.data and normalise_postcode(field.data) is None:
            raise ValidationError(str(REAL_POSTCODE))

    def validate(self, extra_validators=None) -> bool:
        """Check every field, then find the place from the pin or the postcode and its ward."""
        ok = super().validate(extra_validators)
        if not self.lon.errors and not self.lat.errors and not self.postcode.errors:
            self.located = self._locate()
            self._errors = None  # wtforms caches form.errors; errors were added after validating
        return ok and self.located is not None

    def _locate(self) -> Location | None:
        pin = self._pin()
        if pin is False:
            return None
        postcode = None
        if self.postcode.data:
            postcode = store.lookup_postcode(self.postcode.data)
            if postcode is not None:
                self.postcode.data = postcode.postcode
            elif not postcodes_ready() and pin is not None:
                # Nothing to check the postcode against: keep it as part of the address; the pin says where.
                self.postcode.data = normalise_postcode(self.postcode.data)
            elif not postcodes_ready():
                self.postcode.errors.append(not_set_up("pin"))
                return None
            else:
                self.postcode.errors.append(
                    _(
                        "We do not know the postcode %(postcode)s. Check it, or place a pin on the map",
                        postcode=normalise_postcode(self.postcode.data),
                    )
                )
                return None
        if pin is None and postcode is None:
            self.postcode.errors.append(_("Enter a postcode, or place a pin on the map"))
            return None
        lon, lat = pin if pin else (postcode.lon, postcode.lat)
        ward = store.ward_at(lon, lat)
        if ward is None:
            where = self.lon if pin else self.postcode
            where.errors.append(
                _("That place is outside the council's wards. Move the pin, or enter a postcode in the area")
            )
            return None
        return Location(lon, lat, ward)

    def _pin(self):
        """Return (lon, lat) from the pin fields, None when both are empty, False after an error."""
        lon, lat = self.lon.data, self.lat.data
        if not lon and not lat:
            return None
        if not lon or not lat:
            (self.lat if lon else self.lon).errors.append(_("Give both longitude and latitude, or leave both empty"))
            return False
        try:
            x, y = float(lon), float(lat)
        except ValueError:
            self.lon.errors.append(_("Longitude and latitude must be numbers, like -2.1 and 53.5"))
            return False
        if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
            self.lon.errors.append(_("Longitude must be between -180 and 180, and latitude between -90 and 90"))
            return False
        return x, y


@dataclass
class Location:
    """Where a submitted place is, and the ward that holds it."""

    lon: float
    lat: float
    ward: Ward


class SubmissionForm(AssetDetailsForm):
    """A resident's new place, with their optional private contact details and a honeypot."""

    # Optional: the place's own Welsh name and description, shown to Welsh readers (same limits as the English).
    name_cy = StringField(
        _l("Welsh name (optional)"),
        filters=[strip],
        render_kw={"lang": "cy"},
        validators=[Optional(), max_length(200, "The Welsh name")],
    )
    description_cy = TextAreaField(
        _l("Welsh description (optional)"),
        filters=[strip],
        render_kw={"lang": "cy"},
        validators=[Optional(), max_length(2000, "The Welsh description")],
    )

    submitter_name = StringField(
        _l("Your name (optional)"),
        filters=[strip],
        render_kw={"autocomplete": "name"},
        validators=[Optional(), max_length(200, "Your name")],
    )
    submitter_email = EmailField(
        _l("Your email address (optional)"),
        filters=[strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
        validators=[
            Optional(),
            max_length(200, "Your email address"),
            Email(_l("Enter an email address like name@example.com")),
        ],
    )
    submitter_phone = StringField(
        _l("Your phone number (optional)"),
        filters=[strip],
        render_kw={"autocomplete": "tel"},
        validators=[Optional(), PHONE],
    )
    submitter_wants_updates = BooleanField(_l("Email me when a moderator has reviewed my place"))

    def validate_submitter_wants_updates(self, field) -> None:
        if field.data and not self.submitter_email.data:
            raise ValidationError(_("Enter your email address, or untick the box about emails"))

    # Hidden from people by CSS; bots that fill in every box fill this one too.
    nickname = StringField(_l("Leave this empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})


class ChangeReportForm(SafeForm):
    """Someone telling us a listed place has changed or closed."""

    kind = RadioField(_l("What has changed?"), validate_choice=False)
    name = StringField(_l("New name"), filters=[strip], validators=[Optional(), max_length(200, "The name")])
    description = TextAreaField(
        _l("New description"), filters=[strip], validators=[Optional(), max_length(2000, "The description")]
    )
    address = StringField(_l("New address"), filters=[strip], validators=[Optional(), max_length(300, "The address")])
    postcode = StringField(_l("New postcode"), filters=[strip], validators=[Optional(), max_length(10, "The postcode")])
    website = StringField(
        _l("New website"),
        filters=[web_address],
        validators=[
            Optional(),
            max_length(300, "The web address"),
            URL(message=WEB_ADDRESS),
            http_only,
        ],
    )
    phone = StringField(_l("New phone number"), filters=[strip], validators=[Optional(), PHONE])
    opening_times = TextAreaField(
        _l("New opening times"), filters=[strip], validators=[Optional(), max_length(500, "Opening times")]
    )
    accessibility = TextAreaField(
        _l("New accessibility notes"), filters=[strip], validators=[Optional(), max_length(1000, "Accessibility notes")]
    )
    note = TextAreaField(
        _l("Anything else we should know"), filters=[strip], validators=[Optional(), max_length(2000, "The note")]
    )
    nickname = StringField(_l("Leave this empty"), render_kw={"autocomplete": "off", "tabindex": "-1"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, CHANGE_LABELS[k]) for k in CHANGE_KINDS]

    def validate_kind(self, field) -> None:
        if field.data not in CHANGE_KINDS:
            raise ValidationError(_("Choose what has changed"))

    def validate_postcode(self, field) -> None:
        if field.data:
            if normalise_postcode(field.data) is None:
                raise ValidationError(str(REAL_POSTCODE))
            field.data = normalise_postcode(field.data)

    def proposed(self, current: dict) -> dict:
        """Return the typed values that differ from the current record: {field: new value}."""
        return {f: self[f].data for f in CHANGEABLE if self[f].data and self[f].data != (current.get(f) or "")}

    def check_has_content(self, current: dict) -> bool:
        """Ask for at least one new value (for new details) or a note (for anything else)."""
        if self.kind.data == "details" and not self.proposed(current):
            self.kind.errors.append(_("Type at least one new detail below, or choose another option"))
        elif self.kind.data == "other" and not self.note.data:
            self.note.errors.append(_("Tell us what has changed"))
        else:
            return True
        self._errors = None  # wtforms caches form.errors
        return False
