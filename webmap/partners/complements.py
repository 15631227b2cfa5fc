"""Which categories complement each other, kept as data in data/category_complements.csv.

Each row names a pair; a pair works both ways (food support helps a community space and
the other way round), and every category also matches itself.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_app_context

from webmap.core.config import REPO_ROOT

FILE_NAME = "category_complements.csv"


def complements_path() -> Path:
    """Return the complements file of the current app's data folder (or the repo's)."""
    data = Path(current_app.config["DATA_DIR"]) if has_app_context() else REPO_ROOT / "data"
    return data / FILE_NAME


@lru_cache(maxsize=8)
def _load(path: Path) -> dict[str, frozenset[str]]:
    pairs: dict[str, set[str]] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != ["category", "complements"]:
            raise ValueError(f"{path.name}: expected the columns category,complements, found {reader.fieldnames}")
        for number, row in enumerate(reader, start=2):
            a, b = (row["category"] or "").strip(), (row["complements"] or "").strip()
            if not a or not b:
                raise ValueError(f"{path.name} row {number}: both category and complements are needed")
            pairs.setdefault(a, set()).add(b)
            pairs.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in pairs.items()}


def load_complements(path: str | Path | None = None) -> dict[str, frozenset[str]]:
    """Return {category id: the ids that complement it}, symmetric, read once per file."""
    return _load(Path(path) if path else complements_path())


def partner_categories(category_ids: Iterable[str], path: str | Path | None = None) -> list[str]:
    """Return the given categories plus every category that complements one of them, sorted."""
    table = load_complements(path)
    found = set(category_ids)
    for cid in list(found):
        found |= table.get(cid, frozenset())
    return sorted(found)
