"""Messages stored in English and shown in the reader's language.

Work done outside a request (a worker's task, an importer, the command line) has no reader to
translate for: what it says is stored, logged and printed in English, the source language. These
two functions mark such a message for the Welsh catalogue of the module that says it and return it
in English with its values filled in; webmap.web.stored.said() recognises the stored text as that
message when a page shows it, and gives it again in the reader's language.
"""

from __future__ import annotations


def _(message: str, **values: object) -> str:
    """Mark a message for the catalogue; return it in English, its values filled in."""
    return message % values if values else message


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """Mark a message with a count for the catalogue; return it in English (see `_`)."""
    return (singular if n == 1 else plural) % values
