"""Load the category taxonomy (a CSV kept in the repo) and category maps."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Category
from webmap.importers.common import ImportFailed, ImportReport, Problem, checked_text, read_table, row_number, text
from webmap.importers.problems import _

_ID = re.compile(r"^[a-z][a-z0-9_]{1,49}$")
REQUIRED = ("id", "label")


def import_categories(path: str | Path) -> ImportReport:
    """Insert or update categories from a CSV with id,label,group,description,osm_tags."""
    table = read_table(path)
    file = Path(path).name
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ImportFailed(
            Problem(file, None, missing[0], _("this column is required (id,label,group,description,osm_tags)"))
        )
    problems: list[Problem] = []
    for i, row in table.iterrows():
        if not _ID.match(row["id"] or ""):
            problems.append(
                Problem(
                    file,
                    row_number(i),
                    "id",
                    _("'%(value)s' is not a category id (lower case letters, digits and _)", value=row["id"]),
                )
            )
        if not text(row["label"]):
            problems.append(Problem(file, row_number(i), "label", _("the label is empty")))
    dupes = table["id"][table["id"].duplicated()].tolist()
    if dupes:
        problems.append(Problem(file, None, "id", _("ids appear more than once: %(ids)s", ids=", ".join(dupes))))
    if problems:
        raise ImportFailed(problems)

    report = ImportReport(file=file, read=len(table))
    existing = {c.id: c for c in db.session.scalars(select(Category))}
    start = max((c.sort_order for c in existing.values()), default=0)
    for i, row in table.iterrows():
        category = existing.get(row["id"])
        if category is None:
            category = Category(id=row["id"], sort_order=start + i + 1)
            db.session.add(category)
            report.imported += 1
        else:
            report.updated += 1
        category.label = checked_text(row["label"])
        category.group = text(row.get("group"))
        category.description = text(row.get("description"))
        category.osm_tags = text(row.get("osm_tags"))
    db.session.flush()
    return report


def read_category_kinds(path: str | Path) -> dict[str, str]:
    """Read the optional `kind` column of a category map: {source value: kind} for the rows that give one."""
    from webmap.core.models import ASSET_KINDS

    table = read_table(path)
    if "kind" not in table.columns:
        return {}
    file = Path(path).name
    kinds = {
        str(row["value"]).strip().lower(): str(row["kind"]).strip().lower()
        for _, row in table.iterrows()
        if isinstance(row["kind"], str) and row["kind"].strip()
    }
    problems = [
        Problem(
            file,
            row_number(i),
            "kind",
            _("'%(value)s' is not one of %(allowed)s", value=row["kind"], allowed=", ".join(ASSET_KINDS)),
        )
        for i, row in table.iterrows()
        if isinstance(row["kind"], str) and row["kind"].strip() and row["kind"].strip().lower() not in ASSET_KINDS
    ]
    if problems:
        raise ImportFailed(problems)
    return kinds


def read_category_map(path: str | Path) -> dict[str, str]:
    """Read a CSV mapping source values to category ids (columns: value,category, and optionally kind)."""
    table = read_table(path)
    file = Path(path).name
    if not {"value", "category"} <= set(table.columns):
        raise ImportFailed(Problem(file, None, None, _("a category map needs the columns value,category")))
    known = set(db.session.scalars(select(Category.id)))
    problems = [
        Problem(file, row_number(i), "category", _("'%(value)s' is not a category id", value=row["category"]))
        for i, row in table.iterrows()
        if row["category"] not in known
    ]
    if problems:
        raise ImportFailed(problems)
    return {row["value"].strip().lower(): row["category"] for _, row in table.iterrows()}
