"""Import stated needs from survey tables (ward code or postcode per row)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import delete, select

from ..db import db
from ..geo import normalise_postcode
from ..models import Category, Need, Postcode, Ward
from .common import ImportFailed, ImportReport, Problem, find_column, read_table, require_column, row_number, text
from .wards import CODE_NAMES, CODE_PATTERNS


def import_needs(path: str | Path, source: str = "survey", category_map: dict[str, str] | None = None) -> ImportReport:
    """Add needs from a table: ward code or postcode, category, and a count (or one response per row).

    Needs imported earlier from the same source are replaced, so re-importing a survey does not count it twice.
    """
    table = read_table(path)
    file = Path(path).name
    report = ImportReport(file=file, read=len(table))
    cat_col = require_column(table, file, None, ["category", "need", "category_id"], [], "category", "a 'category' column")
    ward_col = find_column(table.columns, CODE_NAMES, CODE_PATTERNS)
    pc_col = find_column(table.columns, ["postcode", "post_code"])
    if ward_col is None and pc_col is None:
        raise ImportFailed(Problem(file, None, None, "each row needs a ward code or a postcode column"))
    count_col = find_column(table.columns, ["count", "responses", "weight", "n"])
    comment_col = find_column(table.columns, ["comment", "comments", "note"])

    wards = set(db.session.scalars(select(Ward.code)))
    categories = {c.id: c.id for c in db.session.scalars(select(Category))}
    categories.update({c.label.lower(): c.id for c in db.session.scalars(select(Category))})
    categories.update(category_map or {})
    postcodes = {p.postcode: p.ward_code for p in db.session.scalars(select(Postcode))} if pc_col else {}

    problems, needs = [], []
    for i, row in table.iterrows():
        n = row_number(i)
        raw_cat = text(row[cat_col]) or ""
        category = categories.get(raw_cat) or categories.get(raw_cat.lower())
        if category is None:
            problems.append(Problem(file, n, cat_col, f"'{raw_cat}' is not a category in the taxonomy"))
        ward = _ward_for(row, ward_col, pc_col, wards, postcodes, file, n, problems)
        count = 1.0
        if count_col and text(row[count_col]) is not None:
            count = pd.to_numeric(row[count_col], errors="coerce")
            if pd.isna(count) or count < 0:
                problems.append(Problem(file, n, count_col, f"'{row[count_col]}' is not a count (a number of 0 or more)"))
        if category and ward:
            needs.append(Need(ward_code=ward, category_id=category, count=float(count), source=source,
                              comment=(text(row[comment_col]) if comment_col else None)))
    if problems:
        raise ImportFailed(problems)
    replaced = db.session.execute(delete(Need).where(Need.source == source)).rowcount
    if replaced:
        report.notes.append(f"replaced {replaced} needs imported earlier from '{source}'")
    db.session.add_all(needs)
    db.session.flush()
    report.imported = len(needs)
    return report


def _ward_for(row, ward_col, pc_col, wards, postcodes, file, n, problems) -> str | None:
    """Return the row's ward code from its ward column or its postcode, noting any problem."""
    if ward_col and text(row[ward_col]):
        code = text(row[ward_col])
        if code not in wards:
            problems.append(Problem(file, n, ward_col, f"ward {code} is not among the loaded wards"))
            return None
        return code
    if pc_col and text(row[pc_col]):
        pc = normalise_postcode(row[pc_col])
        if pc is None:
            problems.append(Problem(file, n, pc_col, f"'{row[pc_col]}' is not a UK postcode"))
        elif not postcodes.get(pc):
            problems.append(Problem(file, n, pc_col, f"postcode {pc} is not in a loaded ward"))
        else:
            return postcodes[pc]
        return None
    problems.append(Problem(file, n, ward_col or pc_col, "the row has neither a ward code nor a postcode"))
    return None
