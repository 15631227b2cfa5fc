"""One way to fold text for matching what residents type: case, accents, apostrophes and punctuation ignored.

`fold("St Mary’s")` and `fold("st marys")` are both "st marys"; `fold("Llechan Lân")` is "llechan lan".
Every search compares folded text with folded text: the ward and place searches in Python, and the
database's first narrowing of a big area through the `assets.search_text` column, which holds the
folded name, description and address (kept up to date on every save, see webmap/core/models.py), so
SQLite and PostGIS give the same answers without either database folding anything itself.
"""

from __future__ import annotations

import re
import unicodedata

# Straight and typographic apostrophes (and the backtick and prime people type for them) join words.
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc\u2032`\u00b4]")
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: object) -> str:
    """Return text lower-cased, without accents or apostrophes, punctuation as single spaces."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", _APOSTROPHES.sub("", plain.casefold())).split())


def search_text(*parts: object) -> str:
    """Return the folded text a place is searched by (its name, description and address, space-separated)."""
    return " ".join(f for f in (fold(p) for p in parts) if f)
