"""What every importer reports: a problem naming file, row and field, and the failure that carries them.

Kept apart from common.py so the readers it uses (compressed.py) can raise them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# What importers say is stored in English and shown translated (webmap/core/english.py).
from webmap.core.english import _, ngettext  # noqa: F401


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
