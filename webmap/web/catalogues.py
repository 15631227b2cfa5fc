"""The translation catalogues: one gettext domain per feature, standard `.po` files in one folder.

Each feature package (places, gaps, ...) has its own catalogue, `webmap/translations/cy/LC_MESSAGES/
<feature>.po`, holding the messages of its pages, forms and Python code; "messages" holds the shared
templates, the web plumbing, the core, maps and analysis wording. One folder keeps a translator's work
in one place; one file per feature keeps two changes from colliding. Flask-Babel merges them all, so
any code may use any message. `scripts/translations.py` extracts, updates, checks and compiles them
(docs/welsh.md).
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(__file__).resolve().parents[1]
TRANSLATIONS = PACKAGE / "translations"
LANGUAGES = ("cy",)  # catalogues kept beside the source language, English
SHARED = "messages"
# Feature packages with a catalogue of their own; everything else in webmap/ is in SHARED.
FEATURES = (
    "feedback",
    "gaps",
    "groups",
    "importers",
    "imports",
    "maps",
    "moderation",
    "needs",
    "notify",
    "opendata",
    "ops",
    "partners",
    "places",
    "privacy",
    "scale",
    "staff",
)
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "_n": (1, 2),
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
}
_SOURCES = [("**.py", "python"), ("**/templates/**.html", "jinja2"), ("**/templates/**.txt", "jinja2")]
_OPTIONS = {"**/templates/**": {"trimmed": "true", "extensions": "jinja2.ext.i18n"}}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|%[sdfr]|\{\w*\}")


def domains() -> list[str]:
    """Return the catalogue names: the shared one, then one per feature."""
    return [SHARED, *FEATURES]


def _method_map(domain: str) -> list[tuple[str, str]]:
    if domain != SHARED:
        return _SOURCES
    ignored = [(f"{feature}/**", "ignore") for feature in FEATURES] + [("migrations/**", "ignore")]
    return ignored + [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]


def extract(domain: str) -> Catalog:
    """Extract the messages of one domain from its source files into a template catalogue."""
    root = PACKAGE if domain == SHARED else PACKAGE / domain
    template = Catalog(project="Community Asset Map", domain=domain)
    options = {"**.html": _OPTIONS["**/templates/**"], "**.txt": _OPTIONS["**/templates/**"]}
    # Babel prints a warning for each f-string passed as a value (`_("%(n)s", n=f"{x:,}")`): harmless here.
    with contextlib.redirect_stderr(io.StringIO()):
        found = list(
            extract_from_dir(
                str(root),
                _method_map(domain),
                options,
                KEYWORDS,
                comment_tags=("Translators:",),
                strip_comment_tags=True,
            )
        )
    for filename, lineno, message, comments, context in found:
        where = (str((root / filename).relative_to(PACKAGE.parent)), lineno)
        template.add(message, None, [where], auto_comments=comments, context=context)
    return template


def po_path(domain: str, language: str = "cy") -> Path:
    """Return where a domain's catalogue for a language lives."""
    return TRANSLATIONS / language / "LC_MESSAGES" / f"{domain}.po"


def read(domain: str, language: str = "cy") -> Catalog:
    """Read a domain's catalogue (an empty one if there is none yet)."""
    path = po_path(domain, language)
    if not path.exists():
        return Catalog(
            locale=language,
            domain=domain,
            project="Community Asset Map",
            header_comment=f"# {language} translations of Community Asset Map: the {domain} catalogue (docs/welsh.md).",
            copyright_holder="Community Asset Map contributors",
            msgid_bugs_address="see docs/welsh.md",
            last_translator="see docs/welsh.md",
            language_team="Cymraeg",
            fuzzy=False,
        )
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=domain)


def write(catalog: Catalog, domain: str, language: str = "cy") -> None:
    """Write a domain's catalogue as a sorted `.po` file without line numbers (small diffs)."""
    path = po_path(domain, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, include_lineno=False)


def update(domain: str, language: str = "cy") -> Catalog:
    """Bring a domain's catalogue up to date with its source, keeping every translation it has."""
    catalog = read(domain, language)
    catalog.update(extract(domain), update_header_comment=False, no_fuzzy_matching=True)
    catalog.obsolete.clear()
    catalog.fuzzy = False
    write(catalog, domain, language)
    return catalog


@dataclass(frozen=True)
class Problem:
    domain: str
    msgid: str
    reason: str

    def __str__(self) -> str:
        return f"{self.domain}.po: {self.msgid!r}: {self.reason}"


def _forms(message: Message) -> tuple[list[str], list[str]]:
    ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
    strs = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
    return ids, [s or "" for s in strs]


def translated(message: Message) -> bool:
    """Tell whether a message has every one of its forms translated."""
    return all(s.strip() for s in _forms(message)[1])


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in _PLACEHOLDER.finditer(text.replace("%%", ""))}


def check(domain: str, language: str = "cy") -> list[Problem]:
    """List every message of a domain's source that its catalogue lacks, leaves empty or mistranslates."""
    catalog = read(domain, language)
    problems: list[Problem] = []
    for wanted in extract(domain):
        if not wanted.id:
            continue
        key = wanted.id[0] if isinstance(wanted.id, (list, tuple)) else wanted.id
        found = catalog.get(key, context=wanted.context)
        if found is None:
            problems.append(Problem(domain, key, "not in the catalogue (run scripts/translations.py update)"))
            continue
        ids, strs = _forms(found)
        if found.fuzzy:
            problems.append(Problem(domain, key, "marked fuzzy: needs review"))
        if not translated(found):
            problems.append(Problem(domain, key, "no translation"))
            continue
        expected = set().union(*(_placeholders(i) for i in ids))
        for text in strs:
            got = _placeholders(text)
            # A plural form may leave out the number (Welsh "one" and "two" forms often do).
            if got - expected or (len(ids) == 1 and got != expected):
                problems.append(Problem(domain, key, f"placeholders {sorted(got)} differ from {sorted(expected)}"))
                break
    return problems


def conflicts(language: str = "cy") -> list[Problem]:
    """List messages translated differently in two catalogues: merged, one would silently win on every page."""
    seen: dict[tuple[str, str | None], tuple[str, str]] = {}
    problems = []
    for domain in domains():
        for message in read(domain, language):
            if not message.id or not translated(message):
                continue
            ids, strs = _forms(message)
            key, text = (ids[0], message.context), "\x00".join(strs)
            if key in seen and seen[key][1] != text:
                problems.append(
                    Problem(
                        domain, ids[0], f"translated differently in {seen[key][0]}.po: {seen[key][1]!r} here {text!r}"
                    )
                )
            seen.setdefault(key, (domain, text))
    return problems


def compile_stale(language: str = "cy") -> Iterator[Path]:
    """Compile each `.po` whose `.mo` is missing or older; yield what was written."""
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language, domain=po.stem)
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        yield mo
