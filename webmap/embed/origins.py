"""Read the EMBED_ORIGINS setting: the sites allowed to frame /embed, each checked to be a plain origin."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

_SPLIT = re.compile(r"[\s,]+")


def parse_origins(value: str | None) -> list[str]:
    """Return the origins listed (spaces or commas between them); raise ValueError naming any that is not one.

    An origin is a scheme and host, with a port if needed: https://www.example.gov.uk or http://localhost:8000.
    A path, a wildcard or 'self' would either not work or let any site frame the map, so they are refused.
    """
    origins = []
    for item in (i for i in _SPLIT.split(value or "") if i):
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.hostname or "*" in item \
                or parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            raise ValueError(f"EMBED_ORIGINS: '{item}' is not a site's origin; write it like https://www.example.gov.uk "
                             "(scheme and host, and a port if needed; no path or wildcard)")
        origins.append(f"{parts.scheme}://{parts.netloc.lower()}")
    return list(dict.fromkeys(origins))
