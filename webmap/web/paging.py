"""Which page of a long list a request asks for."""

from __future__ import annotations

from flask import request


def page_number(name: str = "page") -> int:
    """Return the ?page= number (1 when missing or not a positive whole number)."""
    value = request.args.get(name, "1")
    # isdecimal, not isdigit: "²" is a digit to Python but int() cannot read it.
    return int(value) if value.isdecimal() and int(value) > 0 else 1
