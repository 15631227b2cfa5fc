"""Show in the reader's language what an import stored in English.

An import runs on a worker (or the command line), outside any request: its problems, skip
reasons, notes, steps and errors are stored in English, the source language, as the audit log and
the CLI have them. The importers mark each such message for the catalogues (webmap.importers.problems._),
so this module can recognise a stored text as one of those messages, read its values back out of
it, and give it again through gettext: a Welsh reader sees it in Welsh, an English reader sees it
exactly as stored. A text that matches no message (a library's own error, an old wording) is shown
as stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext, ngettext

from webmap.web import catalogues
from webmap.web.language import language

# The catalogues holding what importers and import jobs store.
DOMAINS = ("importers", "imports", "opendata")
# Longer texts are shown as stored (no message is this long; matching stays quick whatever a file holds).
LONGEST = 3000
# Values that are data from the file or the site (a column's name, a value in a cell), never words to translate.
DATA = frozenset({"value", "column", "columns", "name", "names", "file", "codes", "code", "ids", "held", "first"})
_PART = re.compile(r"%\((\w+)\)([sd])|%%")
_NUMBER = re.compile(r"-?\d[\d,]*")


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    msgid: str | tuple[str, str]
    literal: int  # characters of fixed text: the most specific message wins
    numbers: frozenset[str]


def _compile(text: str) -> tuple[re.Pattern[str], int, frozenset[str]]:
    out, seen, numbers, literal, last = [], set(), set(), 0, 0
    for match in _PART.finditer(text):
        fixed = text[last : match.start()]
        out.append(re.escape(fixed))
        literal += len(fixed.strip())
        last = match.end()
        if match.group(0) == "%%":
            out.append("%")
            literal += 1
            continue
        name, kind = match.group(1), match.group(2)
        if kind == "d":
            numbers.add(name)
        if name in seen:
            out.append(f"(?P={name})")
        else:
            seen.add(name)
            out.append(f"(?P<{name}>-?\\d[\\d,]*)" if kind == "d" else f"(?P<{name}>.+?)")
    fixed = text[last:]
    out.append(re.escape(fixed))
    literal += len(fixed.strip())
    return re.compile("".join(out), re.DOTALL), literal, frozenset(numbers)


@lru_cache(maxsize=1)
def _patterns() -> tuple[_Pattern, ...]:
    """Return a pattern for every message (each English form of a plural) of the import catalogues."""
    found = []
    for domain in DOMAINS:
        for message in catalogues.read(domain):
            if not message.id:
                continue
            forms = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
            msgid = tuple(forms) if len(forms) > 1 else forms[0]
            for form in forms:
                regex, literal, numbers = _compile(form)
                if literal >= 4:  # a bare placeholder would match anything
                    found.append(_Pattern(regex, msgid, literal, numbers))
    return tuple(sorted(found, key=lambda p: -p.literal))


def _count(value: str) -> int:
    match = _NUMBER.search(value)
    return int(match.group(0).replace(",", "")) if match else 0


def _translate(text: str, depth: int) -> str:
    if depth and ", " in text:
        # A value listing several messages ("'a' (first in row 8), 'b' (first in row 9)"): each on its own.
        parts = [_message(part, depth) for part in text.split(", ")]
        if all(part is not None for part in parts):
            return ", ".join(parts)  # type: ignore[arg-type]
    found = _message(text, depth)
    return text if found is None else found


def _message(text: str, depth: int) -> str | None:
    """Return the text in the reader's language when it is one of the messages, else None."""
    for pattern in _patterns():
        match = pattern.regex.fullmatch(text)
        if match is None:
            continue
        values: dict[str, object] = {}
        for name, value in match.groupdict().items():
            if name in pattern.numbers:
                values[name] = int(value.replace(",", ""))
            elif name in DATA or depth >= 3:
                values[name] = value
            else:
                values[name] = _translate(value, depth + 1)
        if isinstance(pattern.msgid, tuple):
            raw = match.groupdict()
            counted = raw.get("num", raw.get("count", next(iter(raw.values()), "")))
            values.pop("num", None)  # gettext fills %(num)d from the count
            return ngettext(pattern.msgid[0], pattern.msgid[1], _count(counted), **values)
        return gettext(pattern.msgid, **values) if values else gettext(pattern.msgid)
    return None


def said(text: object) -> object:
    """Return a stored English text in the reader's language, when it is one of the import messages."""
    if not isinstance(text, str) or not text or len(text) > LONGEST or language() == "en":
        return text
    return _translate(text, 0)
