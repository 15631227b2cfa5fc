"""What groups can offer and need, kept as data in data/offers_needs.csv (like the category taxonomy).

Columns: id (stable, lower case), label (for forms and lists), phrase (for sentences such as
"offers a kitchen, which you need"), description (a hint under the tick box); then, optionally,
label_cy, phrase_cy and description_cy, the same in Welsh (shown to Welsh readers with
webmap.web.language.pick; a blank Welsh value falls back to the English).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app, has_app_context

from webmap.core.config import REPO_ROOT

FILE_NAME = "offers_needs.csv"
COLUMNS = ["id", "label", "phrase", "description"]
WELSH_COLUMNS = ["label_cy", "phrase_cy", "description_cy"]
_ID = re.compile(r"^[a-z][a-z0-9_]{1,49}$")


@dataclass(frozen=True)
class Item:
    """One thing a group can offer or need."""

    id: str
    label: str
    phrase: str
    description: str
    label_cy: str = ""
    phrase_cy: str = ""
    description_cy: str = ""


def vocabulary_path() -> Path:
    """Return the vocabulary file of the current app's data folder (or the repo's)."""
    data = Path(current_app.config["DATA_DIR"]) if has_app_context() else REPO_ROOT / "data"
    return data / FILE_NAME


@lru_cache(maxsize=8)
def _load(path: Path) -> tuple[Item, ...]:
    items: list[Item] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames not in (COLUMNS, COLUMNS + WELSH_COLUMNS):
            raise ValueError(
                f"{path.name}: expected the columns {','.join(COLUMNS)} (then, for Welsh, "
                f"{','.join(WELSH_COLUMNS)}), found {reader.fieldnames}"
            )
        for number, row in enumerate(reader, start=2):
            item_id, label = (row["id"] or "").strip(), (row["label"] or "").strip()
            if not _ID.match(item_id):
                raise ValueError(
                    f"{path.name} row {number}, id: '{item_id}' is not an id (lower case letters, digits and _)"
                )
            if not label:
                raise ValueError(f"{path.name} row {number}, label: the label is empty")
            if any(i.id == item_id for i in items):
                raise ValueError(f"{path.name} row {number}, id: '{item_id}' appears more than once")
            label_cy = (row.get("label_cy") or "").strip()
            items.append(
                Item(
                    item_id,
                    label,
                    (row["phrase"] or "").strip() or label.lower(),
                    (row["description"] or "").strip(),
                    label_cy,
                    (row.get("phrase_cy") or "").strip() or label_cy.lower(),
                    (row.get("description_cy") or "").strip(),
                )
            )
    return tuple(items)


def load_vocabulary(path: str | Path | None = None) -> tuple[Item, ...]:
    """Return the vocabulary in file order, read once per file."""
    return _load(Path(path) if path else vocabulary_path())


def items_by_id(path: str | Path | None = None) -> dict[str, Item]:
    """Return {id: Item}."""
    return {i.id: i for i in load_vocabulary(path)}
