"""Forms for adding, editing and reporting changes to assets, with plain-English messages."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from wtforms import BooleanField, EmailField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp, ValidationError

from webmap.core import store
from webmap.core.geo import normalise_postcode
from webmap.core.inputs import SafeForm
from webmap.core.models import ASSET_KINDS, CHANGE_KINDS, Ward
from webmap.places.search.postcodes import not_set_up, postcodes_ready

KIND_LABELS = {
    "group": "A group or club",
    "business": "A local business",
    "venue": "A venue or building",
    "service": "A service",
}
CHANGE_LABELS = {"closed": "It has closed", "details": "Some details have changed", "other": "Something else"}
PHONE = Regexp(r"^\+?[0-9 ()\-]{7,20}$", message="Enter a phone number like 01632 960 001 or +44 1632 960 001")
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
        raise ValidationError("Enter a web address starting with https:// or http://")


def max_length(n: int, what: str) -> Length:
    return Length(max=n, message=f"{what} must be {n} characters or fewer")


class AssetDetailsForm(SafeForm):
    """The details of an asset: what residents type in and moderators edit."""

    name = StringField(
        "Name of the place",
        filters=[strip],
        validators=[DataRequired("Enter the name of the place"), max_length(200, "The name")],
    )
    categories = SelectMultipleField("What kind of place is it?", validate_choice=False)
    kind = RadioField("Is it a group, business, venue or service?", validate_choice=False)
    description = TextAreaField(
        "What it offers", filters=[strip], validators=[Optional(), max_length(2000, "The description")]
    )
    address = StringField("Address", filters=[strip], validators=[Optional(), max_length(300, "The address")])
    postcode = StringField(
        "Postcode",
        filters=[strip],
        render_kw={"autocomplete": "postal-code", "spellcheck": "false"},
        validators=[Optional(), max_length(10, "The postcode")],
    )
    lat = StringField("Latitude", filters=[strip], render_kw={"inputmode": "decimal"})
    lon = StringField("Longitude", filters=[strip], render_kw={"inputmode": "decimal"})
    opening_times = TextAreaField(
        "When it is open", filters=[strip], validators=[Optional(), max_length(500, "Opening times")]
    )
    website = StringField(
        "Website",
        filters=[web_address],
        render_kw={"inputmode": "url", "spellcheck": "false"},
        validators=[
            Optional(),
            max_length(300, "The web address"),
            URL(message="Enter a web address like https://www.example.org"),
            http_only,
        ],
    )
    phone = StringField("Phone number", filters=[strip], render_kw={"inputmode": "tel"}, validators=[Optional(), PHONE])
    email = EmailField(
        "Public email address",
        filters=[strip],
        render_kw={"spellcheck": "false"},
        validators=[
            Optional(),
            max_length(200, "The email address"),
            Email("Enter an email address like info@example.org"),
        ],
    )
    accessibility = TextAreaField(
        "Accessibility", filters=[strip], validators=[Optional(), max_length(1000, "Accessibility notes")]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.categories.choices = [(c.id, c.label) for c in store.categories()]
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
            raise ValidationError("Choose at least one kind of place")
        known = dict(field.choices)
        unknown = [c for c in field.data if c not in known]
        if unknown:
            raise ValidationError(f"'{unknown[0]}' is not one of the kinds of place on this map")

    def validate_kind(self, field) -> None:
        if field.data not in ASSET_KINDS:
            raise ValidationError("Choose whether it is a group, business, venue or service")

    def validate_postcode(self, field) -> None:
        if field.data and normalise_postcode(field.data) is None:
            raise ValidationError("Enter a real postcode, like XX1 1AB")

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
                    f"We do not know the postcode {normalise_postcode(self.postcode.data)}. "
                    "Check it, or place a pin on the map"
                )
                return None
        if pin is None and postcode is None:
            self.postcode.errors.append("Enter a postcode, or place a pin on the map")
            return None
        lon, lat = pin if pin else (postcode.lon, postcode.lat)
        ward = store.ward_at(lon, lat)
        if ward is None:
            where = self.lon if pin else self.postcode
            where.errors.append(
                "That place is outside the council's wards. Move the pin, or enter a postcode in the area"
            )
            return None
        return Location(lon, lat, ward)

    def _pin(self):
        """Return (lon, lat) from the pin fields, None when both are empty, False after an error."""
        lon, lat = self.lon.data, self.lat.data
        if not lon and not lat:
            return None
        if not lon or not lat:
            (self.lat if lon else self.lon).errors.append("Give both longitude and latitude, or leave both empty")
            return False
        try:
            x, y = float(lon), float(lat)
        except ValueError:
            self.lon.errors.append("Longitude and latitude must be numbers, like -2.1 and 53.5")
            return False
        if not (math.isfinite(x) and math.isfinite(y) and -180 <= x <= 180 and -90 <= y <= 90):
            self.lon.errors.append("Longitude must be between -180 and 180, and latitude between -90 and 90")
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

    submitter_name = StringField(
        "Your name (optional)",
        filters=[strip],
        render_kw={"autocomplete": "name"},
        validators=[Optional(), max_length(200, "Your name")],
    )
    submitter_email = EmailField(
        "Your email address (optional)",
        filters=[strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
        validators=[
            Optional(),
            max_length(200, "Your email address"),
            Email("Enter an email address like name@example.com"),
        ],
    )
    submitter_phone = StringField(
        "Your phone number (optional)",
        filters=[strip],
        render_kw={"autocomplete": "tel"},
        validators=[Optional(), PHONE],
    )
    submitter_wants_updates = BooleanField("Email me when a moderator has reviewed my place")

    def validate_submitter_wants_updates(self, field) -> None:
        if field.data and not self.submitter_email.data:
            raise ValidationError("Enter your email address, or untick the box about emails")

    # Hidden from people by CSS; bots that fill in every box fill this one too.
    nickname = StringField("Leave this empty", render_kw={"autocomplete": "off", "tabindex": "-1"})


class ChangeReportForm(SafeForm):
    """Someone telling us a listed place has changed or closed."""

    kind = RadioField("What has changed?", validate_choice=False)
    name = StringField("New name", filters=[strip], validators=[Optional(), max_length(200, "The name")])
    description = TextAreaField(
        "New description", filters=[strip], validators=[Optional(), max_length(2000, "The description")]
    )
    address = StringField("New address", filters=[strip], validators=[Optional(), max_length(300, "The address")])
    postcode = StringField("New postcode", filters=[strip], validators=[Optional(), max_length(10, "The postcode")])
    website = StringField(
        "New website",
        filters=[web_address],
        validators=[
            Optional(),
            max_length(300, "The web address"),
            URL(message="Enter a web address like https://www.example.org"),
            http_only,
        ],
    )
    phone = StringField("New phone number", filters=[strip], validators=[Optional(), PHONE])
    opening_times = TextAreaField(
        "New opening times", filters=[strip], validators=[Optional(), max_length(500, "Opening times")]
    )
    accessibility = TextAreaField(
        "New accessibility notes", filters=[strip], validators=[Optional(), max_length(1000, "Accessibility notes")]
    )
    note = TextAreaField(
        "Anything else we should know", filters=[strip], validators=[Optional(), max_length(2000, "The note")]
    )
    nickname = StringField("Leave this empty", render_kw={"autocomplete": "off", "tabindex": "-1"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k, CHANGE_LABELS[k]) for k in CHANGE_KINDS]

    def validate_kind(self, field) -> None:
        if field.data not in CHANGE_KINDS:
            raise ValidationError("Choose what has changed")

    def validate_postcode(self, field) -> None:
        if field.data:
            if normalise_postcode(field.data) is None:
                raise ValidationError("Enter a real postcode, like XX1 1AB")
            field.data = normalise_postcode(field.data)

    def proposed(self, current: dict) -> dict:
        """Return the typed values that differ from the current record: {field: new value}."""
        return {f: self[f].data for f in CHANGEABLE if self[f].data and self[f].data != (current.get(f) or "")}

    def check_has_content(self, current: dict) -> bool:
        """Ask for at least one new value (for new details) or a note (for anything else)."""
        if self.kind.data == "details" and not self.proposed(current):
            self.kind.errors.append("Type at least one new detail below, or choose another option")
        elif self.kind.data == "other" and not self.note.data:
            self.note.errors.append("Tell us what has changed")
        else:
            return True
        self._errors = None  # wtforms caches form.errors
        return False
