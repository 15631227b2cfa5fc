"""How "You said, we did" writes numbers, dates and kinds of place in the reader's language.

English pages read exactly as before ("6 December 2026", "14 requests", "800 m"); Welsh pages get
Welsh month names and Welsh words. These work outside a request too (tests, the worker): there
the locale is British English.
"""

from __future__ import annotations

from datetime import date

from babel import dates, numbers
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from webmap.core.wording import Words, category_words


def _locale() -> str:
    try:
        found = get_locale()
    except RuntimeError:  # no app: British English
        found = None
    return str(found) if found is not None else "en_GB"


def welsh() -> bool:
    """Say whether the reader is reading Welsh."""
    return _locale().startswith("cy")


def day(d: date | None) -> str:
    """Return a day as "6 December 2026" (or "6 Rhagfyr 2026")."""
    return dates.format_date(d, "long", locale=_locale()) if d else ""


def month(d: date) -> str:
    """Return a month as "December 2026" (or "Rhagfyr 2026")."""
    return dates.format_date(d, "LLLL y", locale=_locale())


def metres(distance: float) -> str:
    """Return a whole number of metres with thousands separators: "1,200"."""
    return numbers.format_decimal(round(float(distance)), "#,##0", locale=_locale())


def number(value: float | None) -> str:
    """Return a count as the page writes it ("14", "1.5"), or "unknown"."""
    return _("unknown") if value is None else f"{value:g}"


def percent(share: float | None) -> str:
    """Return a share as a whole percentage ("41%"), or "unknown"."""
    return _("unknown") if share is None else numbers.format_percent(share, "#,##0%", locale=_locale())


def _plural(n: float) -> int:
    # gettext picks a plural form from a whole number; 1.5 requests reads as "other".
    return int(n) if float(n).is_integer() else 100


def requests(n: float | None) -> str:
    """Return "1 request", "14 requests", or "an unknown number of requests"."""
    if n is None:
        return _("an unknown number of requests")
    shown = f"{n:g}"
    return ngettext("%(count)s request", "%(count)s requests", _plural(n), count=shown)


def kind(category_id: str, label: str, label_cy: str | None = None) -> Words:
    """Return how a sentence names a kind of place in the reader's language (the wording files, else the label)."""
    return category_words(category_id, label_cy if label_cy and welsh() else label)
