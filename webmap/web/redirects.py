"""Where a `next` parameter may send someone: same-site paths only, checked after normalising."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MAX_NEXT_LENGTH = 2000
# C0 controls, DEL and C1 controls: browsers drop tabs and newlines from URLs (so "/\t/evil" becomes
# "//evil"), and a CR or LF in a Location header is header injection. Refuse, never strip.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_next(target: str | None) -> str | None:
    """Return a same-site path to go to next, or None for anything that could leave the site or break a header.

    Refused: absolute and scheme-relative URLs ("//host", "/\\host"), backslashes anywhere (browsers
    read them as slashes), control characters raw or percent-encoded, and very long values.
    """
    if not isinstance(target, str) or not target or len(target) > MAX_NEXT_LENGTH:
        return None
    decoded = unquote(target)
    if _CONTROL.search(target) or _CONTROL.search(decoded) or "\\" in decoded:
        return None
    if not target.startswith("/") or target.startswith("//") or decoded.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
