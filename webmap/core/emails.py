"""Email addresses as the site stores them: trimmed, lower case, one address."""

from __future__ import annotations

import re


def normalise_email(email: str | None) -> str:
    """Return an email address trimmed and in lower case, the form staff and managers are stored under."""
    return (email or "").strip().lower()


def clean_email(value: str | None) -> str | None:
    """Return an email from imported data in lower case, or None when it is not one address."""
    value = normalise_email(value).removeprefix("mailto:")
    if re.fullmatch(r"[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+", value) and len(value) <= 200:
        return value
    return None
