"""Category names inside sentences, kept as data in data/category_words.csv, and counted nouns.

A category's label ("Youth") names a filter or a column; in a sentence it needs a noun: "Coldhurst
needs youth services", "no new youth service within 800 m", "1 request". Columns: id, one (with its
article, "a youth service"), many ("youth services"). A category the file does not list (a council's
own) falls back to its label in lower case. Welsh readers get data/category_words_cy.csv (Welsh has
no indefinite article: "one" is the bare singular, "gwasanaeth ieuenctid").
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from webmap.core.config import REPO_ROOT

FILE_NAME = "category_words.csv"
FILE_NAMES = {"en": FILE_NAME, "cy": "category_words_cy.csv"}
COLUMNS = ["id", "one", "many"]
ARTICLES = ("a ", "an ")


@dataclass(frozen=True)
class Words:
    """How a sentence names one category: with an article, bare singular, and plural."""

    one: str
    singular: str
    many: str


def _reader_language() -> str:
    locale = get_locale() if has_app_context() else None  # a request, or an email under force_locale
    return locale.language if locale is not None else "en"


def words_path(lang: str = "en") -> Path:
    """Return the wording file of the current app's data folder (or the repo's) for a language."""
    data = Path(current_app.config["DATA_DIR"]) if has_app_context() else REPO_ROOT / "data"
    return data / FILE_NAMES.get(lang, FILE_NAME)


@lru_cache(maxsize=8)
def _load(path: Path) -> dict[str, Words]:
    if not path.exists():
        return {}
    out: dict[str, Words] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            raise ValueError(f"{path.name}: expected the columns {','.join(COLUMNS)}, found {reader.fieldnames}")
        for number, row in enumerate(reader, start=2):
            one, many = (row["one"] or "").strip(), (row["many"] or "").strip()
            if path.name != FILE_NAME:  # Welsh: no article
                if not one or not many:
                    raise ValueError(f"{path.name} row {number}: 'one' and 'many' must be given")
                out[row["id"].strip()] = Words(one, one, many)
                continue
            if not one.startswith(ARTICLES) or not many:
                raise ValueError(f"{path.name} row {number}: 'one' must start with 'a' or 'an', and 'many' be given")
            out[row["id"].strip()] = Words(one, one.split(" ", 1)[1], many)
    return out


def mid_sentence(label: str) -> str:
    """Return a label as it reads mid-sentence: "Food support" -> "food support", "GP practice" kept."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def category_words(category_id: str, label: str | None = None) -> Words:
    """Return the sentence forms of a category, falling back to its label for one the file does not list."""
    lang = _reader_language()
    found = _load(words_path(lang)).get(category_id)
    if found:
        return found
    bare = mid_sentence(label or category_id.replace("_", " "))
    if lang == "cy":
        return Words(bare, bare, bare)
    return Words(("an " if bare[:1].lower() in "aeiou" else "a ") + bare, bare, bare)


def counted(n: float | int | None, singular: str, plural: str | None = None) -> str:
    """Return "1 request", "2 requests", "1.5 requests" or "an unknown number of requests"."""
    plural = plural or singular + "s"
    if n is None:
        return _("an unknown number of %(things)s", things=plural)
    return f"{n:g} {singular if n == 1 else plural}"


def source_date_text(value: str | None) -> str | None:
    """Return a source's date ("2018", "2018-07" or "2018-07-17") for people, months in the reader's language."""
    if not value:
        return None
    parts = value.split("-")
    try:
        numbers = [int(p) for p in parts[:3]]
        if len(numbers) == 1:
            return str(numbers[0])
        if len(numbers) == 2:
            return format_date(date(numbers[0], numbers[1], 1), "MMMM y")
        return format_date(date(*numbers), "long")
    except ValueError:
        return value
