"""One way to fold text for matching what residents type: case, accents, apostrophes and punctuation ignored.

`fold("St Mary’s")` and `fold("st marys")` are both "st marys"; `fold("Llechan Lân")` is "llechan lan".
Every search compares folded text with folded text: the ward and place searches in Python, and the
database's narrowing through the `assets.search_text` column (the folded English and Welsh names and
descriptions and the address) and the `wards.search_text` column (both names folded, kept apart by
NAME_BREAK), both kept up to date on every save (webmap/core/models.py). So SQLite and PostGIS give the
same answers without either database folding anything itself; on PostGIS a trigram index on each column
(migration i25b) serves the `LIKE '%...%'` the searches ask.
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


# Between a ward's folded names in its search column: fold() never leaves one, so no search term matches across it.
NAME_BREAK = "|"


def ward_search_text(*names: object) -> str:
    """Return a ward's folded names (English first, then Welsh), each once, joined by NAME_BREAK."""
    folded: list[str] = []
    for name in names:
        f = fold(name)
        if f and f not in folded:
            folded.append(f)
    return NAME_BREAK.join(folded)
