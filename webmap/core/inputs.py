"""One set of input rules, checked before anything reaches the database, on SQLite and PostGIS alike.

SQLite stores a NUL byte, an over-long string or a 20-digit id without complaint; PostgreSQL
refuses them with a DataError (a 500). So the rules are checked here, the same way for every way
in: forms (SafeForm), query strings (refuse_bad_query_strings), URL ids (DatabaseIdConverter), and
every ORM write, importers included (check_before_flush, the backstop). Lengths come from the
models' own String(n) columns, so there is one number per field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter
from wtforms import StringField, TextAreaField

# Integer primary keys on PostgreSQL are 32-bit; larger ids cannot exist, so they are "not found".
MAX_DB_ID = 2**31 - 1
MAX_QUERY_VALUE = 2000
# C0 controls except tab, newline and carriage return (allowed in multi-line text), DEL, and C1 controls.
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class InputRejected(ValueError):
    """A value broke an input rule; the message says which value and why, in plain English."""


def text_problem(value: str, max_length: int | None = None, multiline: bool = True) -> str | None:
    """Return why this text cannot be saved ("contains a NUL character ..."), or None when it can."""
    if "\x00" in value:
        return _("contains a NUL character (often left by copying from another program); remove it")
    bad = (_CONTROL_MULTILINE if multiline else _CONTROL_ONE_LINE).search(value)
    if bad:
        code = format(ord(bad.group()), "04X")
        return _("contains an invisible control character (U+%(code)s); remove it", code=code)
    if max_length is not None and len(value) > max_length:
        length, most = format(len(value), ","), format(max_length, ",")
        return _("is %(length)s characters long; the most allowed is %(most)s", length=length, most=most)
    return None


# Form fields whose value can end up in an email header: To (invitations, sign-in links, claim and
# follow-up mail), Reply-To (messages relayed to a group) or Subject (a place's or a sender's name).
# A line break there would add headers (Bcc: ...), so these are refused with 400 before any view runs.
HEADER_FIELDS = ("email", "submitter_email", "contact_email", "name")
# The longest an email address can be (RFC 3696 errata: 320); names are held to the same.
MAX_HEADER_LENGTH = 320


def header_problem(value: str, max_length: int = MAX_HEADER_LENGTH) -> str | None:
    """Return why a value cannot go into an email header (a line break, or too long), or None.

    Other control characters are SafeForm's to refuse, with a message beside the field.
    """
    if "\r" in value or "\n" in value:
        return _("contains a line break (CR or LF), which would add lines to an email's header; remove it")
    if len(value) > max_length:
        length, most = format(len(value), ","), format(max_length, ",")
        return _(
            "is %(length)s characters long; the most an email header allows here is %(most)s", length=length, most=most
        )
    return None


def header_fields_problem(form: Any) -> str | None:
    """Return why a posted form is refused, naming the field, when a value bound for an email header breaks the rules."""
    for name in HEADER_FIELDS:
        for value in form.getlist(name) if hasattr(form, "getlist") else [form.get(name)]:
            problem = header_problem(value) if isinstance(value, str) else None
            if problem:
                return _("The field '%(name)s' %(problem)s. Nothing was saved or sent.", name=name, problem=problem)
    return None


class DatabaseIdConverter(IntegerConverter):
    """The `int` URL converter, limited to ids a database can hold, so /assets/99999999999999999999 is a 404."""

    def __init__(
        self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_DB_ID if max is None else max, signed=signed)


def parse_id(raw: Any) -> int | None:
    """Return raw as a database id (1 .. 2**31-1), or None when it cannot be one."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_DB_ID else None


def query_string_problem(items: Iterable[tuple[str, str]]) -> str | None:
    """Return why a query string is refused (a control character or a very long value), or None."""
    for name, value in items:
        for what, text in (("name", name), ("value", value)):
            problem = text_problem(text, MAX_QUERY_VALUE, multiline=False)
            if problem:
                label = f"'{name[:40]}'" if what == "value" and not text_problem(name, 100, False) else "name"
                return _("The query parameter %(label)s %(problem)s.", label=label, problem=problem)
    return None


class SafeForm(FlaskForm):
    """A form whose text fields refuse NUL and control characters with a message beside the field."""

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field, (StringField, TextAreaField)) and isinstance(field.data, str):
                problem = text_problem(field.data, multiline=isinstance(field, TextAreaField))
                if problem:
                    field.errors = [*field.errors, f"{field.label.text} {problem}"]
                    ok = False
        if not ok:
            self._errors = None  # wtforms caches form.errors
        return ok


_LIMITS: dict[type, list[tuple[str, int | None]]] = {}


def _limits(mapper) -> list[tuple[str, int | None]]:
    """Return (attribute, maximum length or None) for a model's text columns (Text is a String without a length)."""
    cached = _LIMITS.get(mapper.class_)
    if cached is None:
        cached = [
            (attr.key, attr.columns[0].type.length)
            for attr in mapper.column_attrs
            if isinstance(attr.columns[0].type, String)
        ]
        _LIMITS[mapper.class_] = cached
    return cached


def _describe(obj) -> str:
    for key in ("name", "code", "source_id", "email"):
        value = getattr(obj, key, None)
        if isinstance(value, str) and value and not text_problem(value, 60, multiline=False):
            return f"{type(obj).__name__.lower()} '{value}'"
    return type(obj).__name__.lower()


def object_problems(obj, only_changed: bool = False) -> list[tuple[str, str]]:
    """Return (field, reason) for every text value of a model object that breaks the rules.

    only_changed looks at changed values alone, so a row stored before these rules can still be
    moderated or archived without first being cleaned.
    """
    state = inspect(obj)
    problems = []
    for key, length in _limits(state.mapper):
        if only_changed and not state.attrs[key].history.added:
            continue
        value = state.dict.get(key)
        if isinstance(value, str):
            problem = text_problem(value, length)
            if problem:
                problems.append((key, problem))
    return problems


@event.listens_for(Session, "before_flush")
def check_before_flush(session: Session, _context, _instances) -> None:
    """Refuse to write any new or changed row whose text breaks the rules (the backstop for every caller)."""
    new = session.new  # built from the identity map on each read: once, not once per object
    for obj in [*new, *session.dirty]:
        problems = object_problems(obj, only_changed=obj not in new)
        if problems:
            field, reason = problems[0]
            raise InputRejected(f"The {field.replace('_', ' ')} of {_describe(obj)} {reason}.")
