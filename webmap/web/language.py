"""The reader's language: Welsh and English through Flask-Babel's gettext catalogues.

The language of a request is, in order: `?lang=` in the URL (so a link can be shared in either
language, and the choice is remembered in a cookie), the `lang` cookie, the browser's
Accept-Language, then the site's DEFAULT_LANGUAGE. LANGUAGES lists what the site offers: "en,cy"
by default, "en" for an English council that wants English only. Catalogues are the standard
`.po` files under webmap/translations (docs/welsh.md says how to update and review them).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel, get_locale
from werkzeug.wrappers import Response

from webmap.web import catalogues

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

# Each language's name in itself (a switch reads "Cymraeg" to a Welsh reader on an English page)
# and the value of <html lang> and hreflang.
NAMES = {"en": "English", "cy": "Cymraeg"}
HTML_LANG = {"en": "en-GB", "cy": "cy"}
# The Babel locale of each: dates and numbers in British English, not American.
LOCALES = {"en": "en_GB", "cy": "cy_GB"}


def offered(app: Flask | None = None) -> list[str]:
    """Return the language codes the site offers, the default first."""
    config = (app or current_app).config
    codes = [c.strip() for c in str(config.get("LANGUAGES") or "en").split(",") if c.strip() in NAMES]
    default = str(config.get("DEFAULT_LANGUAGE") or "en")
    if default not in NAMES:
        default = "en"
    return [default] + [c for c in codes if c != default]


def select_locale() -> str:
    """Choose the language of this request (URL, cookie, browser, site default)."""
    codes = offered()
    if not has_request_context():  # a CLI command or queue task: the site default (emails force their own)
        return LOCALES[codes[0]]
    asked = request.args.get("lang", "")
    if asked in codes:
        g.language_from_url = asked
        return LOCALES[asked]
    cookie = request.cookies.get(COOKIE, "")
    if cookie in codes:
        return LOCALES[cookie]
    # "cy-GB, en;q=0.5" means Welsh: compare primary tags in the browser's order of preference.
    for value, _quality in request.accept_languages:
        primary = value.split("-")[0].split("_")[0].lower()
        if primary in codes:
            return LOCALES[primary]
    return LOCALES[codes[0]]


def language() -> str:
    """Return the code of the language this request is shown in ("en" or "cy")."""
    try:
        locale = get_locale()
    except RuntimeError:  # outside a request: the site default
        return str(current_app.config.get("DEFAULT_LANGUAGE") or "en")
    return locale.language if locale is not None else "en"


def pick(english: object, welsh: object = None) -> object:
    """Return the Welsh value for a Welsh reader when there is one, else the English."""
    return welsh if welsh and language() == "cy" else english


def locale_for(code: str | None) -> str:
    """Return the Babel locale for a stored language code (for emails: `force_locale(locale_for(x))`)."""
    return LOCALES.get(code or "", LOCALES.get(str(current_app.config.get("DEFAULT_LANGUAGE") or "en"), "en_GB"))


def url_in(code: str) -> str:
    """Return this page's address in another language, keeping its path and filters."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    args.append(("lang", code))
    return f"{request.path}?{urlencode(args)}"


def _remember_and_vary(response: Response) -> Response:
    chosen = g.get("language_from_url")
    if chosen:
        response.set_cookie(
            COOKIE,
            chosen,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            secure=bool(current_app.config.get("HTTPS") or current_app.config.get("SECURE_COOKIES")),
            httponly=True,
        )
    if len(offered()) > 1:
        # The same URL answers in either language: caches must key on what chose it.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        response.headers["Content-Language"] = HTML_LANG.get(language(), "en-GB")
    return response


def _template_helpers() -> dict[str, object]:
    def other_languages() -> list[tuple[str, str, str]]:
        here = language()
        return [(c, NAMES[c], url_in(c)) for c in offered() if c != here]

    def alternates() -> list[tuple[str, str]]:
        codes = offered()
        return [(HTML_LANG[c], url_in(c)) for c in codes] if len(codes) > 1 else []

    return {
        "html_lang": lambda: HTML_LANG.get(language(), "en-GB"),
        "pick": pick,
        "current_language": language,
        "other_languages": other_languages,
        "alternate_languages": alternates,
    }


def init_app(app: Flask) -> None:
    """Set up Flask-Babel with the site's catalogues and the language chooser."""
    try:
        for written in catalogues.compile_stale():
            app.logger.info("compiled %s", written)
    except OSError as error:  # a read-only install: the compiled catalogues shipped with it serve
        app.logger.warning("could not compile the translation catalogues: %s", error)
    names = catalogues.domains()
    app.config["BABEL_DOMAIN"] = ";".join(names)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join([str(catalogues.TRANSLATIONS)] * len(names))
    app.config["BABEL_DEFAULT_LOCALE"] = LOCALES[offered(app)[0]]
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/London")
    Babel(app, locale_selector=select_locale)
    # {% trans %} blocks are looked up with their whitespace collapsed, as they are extracted.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.after_request(_remember_and_vary)
    app.context_processor(_template_helpers)
