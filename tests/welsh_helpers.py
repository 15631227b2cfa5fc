"""Find English left on a page shown in Welsh, by checking its text against the catalogues.

A page in Welsh should show no English sentence from the site's own messages: every message whose
Welsh differs from its English is split into its literal pieces (between placeholders and tags), and
a piece of two words or more found in the page's visible text is English left behind. Data shown on
the page (a place's name, a resident's words) is not in the catalogues, so it is not flagged.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser

from webmap.web import catalogues

_SPLIT = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|<[^>]+>|\{\w*\}")
_VISIBLE_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder", "aria-description")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in _VISIBLE_ATTRIBUTES or (tag == "input" and name == "value")):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """Return a page's visible text and readable attributes, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" .,:;()–-")


@lru_cache(maxsize=1)
def english_pieces() -> tuple[str, ...]:
    """Return the literal English pieces of every translated message (two words or more)."""
    welsh_text: list[str] = []
    english: set[str] = set()
    for domain in catalogues.domains():
        for message in catalogues.read(domain):
            if not message.id or not catalogues.translated(message):
                continue
            ids, strs = catalogues._forms(message)
            welsh_text.extend(strs)
            if all(i == s for i, s in zip(ids, strs, strict=False)):
                continue  # the same in both languages (a name, an acronym)
            for text in ids:
                for piece in _SPLIT.split(text):
                    piece = _normal(piece)
                    # Two words or more, and long enough not to be a phrase data may hold ("on the").
                    if len(piece.split()) >= 2 and len(piece) >= 10:
                        english.add(piece)
    welsh = _normal(" ".join(welsh_text))
    return tuple(sorted(p for p in english if p not in welsh))


def english_left(html: str) -> list[str]:
    """Return the site's English phrases found in a page meant to be in Welsh."""
    text = visible_text(html)
    return [piece for piece in english_pieces() if piece in text]
