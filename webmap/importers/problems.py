"""What every importer reports: a problem naming file, row and field, and the failure that carries them.

Kept apart from common.py so the readers it uses (compressed.py) can raise them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def _(message: str, **values: object) -> str:
    """Mark an importer's message for the Welsh catalogue and return it in English, its values filled in.

    Importers run on a worker or the command line: what they say is stored (the job's preview,
    result and steps) and printed in English, then shown in the reader's language by
    webmap.imports.wording.said(), which finds the message in the catalogues and translates it.
    """
    return message % values if values else message


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    """Mark a message with a count for the catalogue; return it in English (see `_`)."""
    return (singular if n == 1 else plural) % values


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and why it is wrong."""

    file: str
    row: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.reason}"


class ImportFailed(Exception):
    """The input cannot be imported; nothing was written."""

    def __init__(self, problems: Sequence[Problem] | Problem, limit: int = 25, hint: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        shown = [str(p) for p in self.problems[:limit]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(f"... and {more} more problems")
        message = "Nothing was imported:\n" + "\n".join(f"  - {s}" for s in shown)
        super().__init__(message + (f"\n{hint}" if hint else ""))
