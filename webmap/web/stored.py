"""Show in the reader's language what work outside a request stored in English.

An import or any other queue task runs on a worker (or the command line), outside any request: its
labels, problems, skip reasons, notes, steps and errors are stored in English, the source language,
as the audit log and the CLI have them. The code marks each such message for the catalogues
(webmap.core.english), so this module can recognise a stored text as one of those messages, read
its values back out of it, and give it again through gettext: a Welsh reader sees it in Welsh, an
English reader sees it exactly as stored. A text that matches no message (a library's own error, an
old wording) is shown as stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext, ngettext

from webmap.web import catalogues
from webmap.web.language import language

# The catalogues holding what importers and import jobs store.
IMPORTS = ("importers", "imports", "opendata")
# ... and what any queue task stores (its label, note or error): the shared catalogue and every feature's.
TASKS = (catalogues.SHARED, *catalogues.FEATURES)
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


@lru_cache(maxsize=4)
def _patterns(domains: tuple[str, ...]) -> tuple[_Pattern, ...]:
    """Return a pattern for every message (each English form of a plural) of the catalogues."""
    found = []
    for domain in domains:
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


def _translate(text: str, depth: int, domains: tuple[str, ...]) -> str:
    if depth and ", " in text:
        # A value listing several messages ("'a' (first in row 8), 'b' (first in row 9)"): each on its own.
        parts = [_message(part, depth, domains) for part in text.split(", ")]
        if all(part is not None for part in parts):
            return ", ".join(parts)  # type: ignore[arg-type]
    found = _message(text, depth, domains)
    return text if found is None else found


def _message(text: str, depth: int, domains: tuple[str, ...]) -> str | None:
    """Return the text in the reader's language when it is one of the messages, else None."""
    for pattern in _patterns(domains):
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
                values[name] = _translate(value, depth + 1, domains)
        if isinstance(pattern.msgid, tuple):
            raw = match.groupdict()
            counted = raw.get("num", raw.get("count", next(iter(raw.values()), "")))
            values.pop("num", None)  # gettext fills %(num)d from the count
            return ngettext(pattern.msgid[0], pattern.msgid[1], _count(counted), **values)
        return gettext(pattern.msgid, **values) if values else gettext(pattern.msgid)
    return None


def said(text: object, domains: tuple[str, ...] = IMPORTS) -> object:
    """Return a stored English text in the reader's language, when it is one of the messages of `domains`."""
    if not isinstance(text, str) or not text or len(text) > LONGEST or language() == "en":
        return text
    return _said(text, language(), domains)


@lru_cache(maxsize=2048)
def _said(text: str, lang: str, domains: tuple[str, ...]) -> str:
    # Task lists repeat their labels ("Send an email", "Browser import"): each is looked for once.
    return _translate(text, 0, domains)


class InWords:
    """A queue task as a tasks table shows it: its label, note and error in the reader's language."""

    def __init__(self, task: object, domains: tuple[str, ...] = TASKS) -> None:
        self._task = task
        self.label, self.note, self.error = (said(getattr(task, n), domains) for n in ("label", "note", "error"))

    def __getattr__(self, name: str):
        return getattr(self._task, name)
