"""Import stated needs from survey tables (ward code or postcode per row).

Two shapes are read:

* a count table: one row per place and category with a count column
  (``ward_code,category,count``), e.g. a summary a council already made;
* a response table: one row per response, no count column; the category cell may hold
  several categories separated by ";" (as Microsoft Forms and Google Forms export
  multiple-choice answers), each counted once.

Each row of a response table is one response: its needs share a ``response_key`` (a hash of
the source or round and the row number, so the same file imported again gives the same keys),
and a row naming three categories is one response and three stated needs. A count table's
rows have no key: its counts are of people, each one response.

Re-importing the same source replaces what that source imported before, so a corrected
survey file can be loaded again without counting anybody twice. With a survey round
(``--round "Spring 2027 survey" --round-date 2027-03-31``) the needs are dated on the round's
day; a new round adds to the history, and re-importing a round replaces that round only.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import and_, delete, func, select

from webmap.core.db import db
from webmap.core.geo import normalise_postcode
from webmap.core.models import Category, Need, Postcode, SurveyRound, Ward, utcnow
from webmap.importers.common import (
    ImportFailed,
    ImportReport,
    Problem,
    find_column,
    progress,
    read_table,
    require_column,
    row_number,
    settle_rows,
    text,
)
from webmap.importers.problems import _
from webmap.importers.wards import CODE_NAMES, CODE_PATTERNS

WEB_FORM_SOURCE = "web form"
COMMENT_LIMIT = 1000
CATEGORY_NAMES = ["category", "categories", "need", "needs", "category_id"]
COUNT_NAMES = ["count", "responses", "weight", "n"]
POSTCODE_NAMES = ["postcode", "post_code", "postal_code", "pcds"]


def default_source(path: str | Path) -> str:
    """Return the source name used when none is given: the survey file's name."""
    return f"survey: {Path(path).name}"[:50]


def import_needs(
    path: str | Path,
    source: str | None = None,
    category_map: dict[str, str] | None = None,
    round_name: str | None = None,
    round_date: date | str | None = None,
    *,
    skip_bad_rows: bool = False,
    rejects_path: str | Path | None = None,
) -> ImportReport:
    """Add needs from a table: ward code or postcode, category, and a count (or one response per row).

    A row with an unknown category, ward or postcode, or a count that is not a number, stops the
    import; with `skip_bad_rows` such rows go to a rejects CSV (`rejects_path`) and the rest are added.
    """
    file = Path(path).name
    survey_round = _survey_round(file, round_name, round_date)
    table = read_table(path)
    source = (source or default_source(path)).strip()[:50]
    if source == WEB_FORM_SOURCE:
        raise ImportFailed(
            Problem(
                file,
                None,
                None,
                _(
                    "the source name '%(source)s' is kept for the web form; give the survey another name with --source",
                    source=WEB_FORM_SOURCE,
                ),
            )
        )
    report = ImportReport(file=file, read=len(table))
    cat_col = require_column(table, file, None, CATEGORY_NAMES, [], "category", "a 'category' column")
    ward_col = find_column(table.columns, CODE_NAMES, CODE_PATTERNS)
    pc_col = find_column(table.columns, POSTCODE_NAMES)
    if ward_col is None and pc_col is None:
        raise ImportFailed(
            Problem(
                file,
                None,
                None,
                _(
                    "each row needs a ward code or a postcode: add a 'ward_code' or 'postcode' column "
                    "(columns: %(columns)s)",
                    columns=", ".join(map(str, table.columns)),
                ),
            )
        )
    count_col = find_column(table.columns, COUNT_NAMES)
    comment_col = find_column(table.columns, ["comment", "comments", "note"])
    report.notes.append(
        _("read as a count table (column '%(column)s')", column=count_col)
        if count_col
        else _("read as one response per row (no count column)")
    )

    wards = set(db.session.scalars(select(Ward.code)))
    if not wards:
        raise ImportFailed(Problem(file, None, None, _("there are no wards yet; run import-wards first")))
    categories = _category_lookup(category_map)
    postcodes = {p.postcode: p.ward_code for p in db.session.scalars(select(Postcode))} if pc_col else {}

    by_position: dict[int, list[Problem]] = {}
    read: list[tuple[int, Need]] = []
    for i, row in progress(list(table.iterrows()), _("Reading survey rows")):
        n = row_number(i)
        raw = text(row[cat_col])
        if raw is None:
            report.skip(_("no category given"))
            continue
        problems: list[Problem] = []
        cats = _categories_of(raw, categories, file, n, cat_col, problems)
        count = _count_of(row, count_col, file, n, problems)
        ward = _ward_for(row, ward_col, pc_col, wards, postcodes, file, n, problems, report)
        if problems:
            by_position[n - 2] = problems
        if not cats or ward is None or count is None:
            continue
        if count == 0:
            report.skip(_("the count is 0"))
            continue
        comment = text(row[comment_col]) if comment_col else None
        key = None if count_col else response_key(source, round_name, n)
        read += [
            (
                n,
                Need(
                    ward_code=ward,
                    category_id=c,
                    count=count,
                    source=source,
                    comment=comment[:COMMENT_LIMIT] if comment else None,
                    response_key=key,
                ),
            )
            for c in cats
        ]
    settle_rows(table, by_position, report, skip_bad_rows, rejects_path)
    # A refused row adds nothing, not even the categories on it that were known.
    needs = [need for n, need in read if n - 2 not in by_position]

    if survey_round is not None:
        # A round replaces only its own needs: earlier rounds stay in the history.
        db.session.add(survey_round)
        db.session.flush()
        earlier = Need.round_id == survey_round.id
        what = _("round '%(name)s'", name=survey_round.name)
        for need in needs:
            need.round_id, need.asked_on = survey_round.id, survey_round.held_on
    else:
        earlier = and_(Need.source == source, Need.round_id.is_(None))
        what = _("source '%(name)s'", name=source)
    replaced = db.session.scalar(select(func.count()).select_from(Need).where(earlier)) or 0
    if replaced:
        db.session.execute(delete(Need).where(earlier))
        report.notes.append(_("replaced %(count)s needs imported earlier for %(what)s", count=replaced, what=what))
    db.session.add_all(needs)
    db.session.flush()
    report.imported = len(needs)
    stated = {
        "count": f"{sum(x.count for x in needs):,.0f}",
        "wards": len({x.ward_code for x in needs}),
        "source": source,
    }
    report.notes.append(
        _(
            "%(count)s stated needs in %(wards)s wards, source '%(source)s', round '%(round)s' of %(date)s",
            **stated,
            round=survey_round.name,
            date=f"{survey_round.held_on:%d %B %Y}",
        )
        if survey_round is not None
        else _("%(count)s stated needs in %(wards)s wards, source '%(source)s'", **stated)
    )
    return report


def response_key(source: str, round_name: str | None, row: int) -> str:
    """Return the key of one row of a response table: the same for the same source, round and row."""
    where = f"{source}\x1f{(round_name or '').strip()}\x1f{row}"
    return "s:" + hashlib.sha256(where.encode("utf-8")).hexdigest()[:40]


def parse_round_date(value: date | str | None) -> date | None:
    """Return the round date from YYYY-MM-DD, or raise ValueError saying what is wrong."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(
            _("the round date '%(value)s' is not a date written as YYYY-MM-DD (like 2027-03-31)", value=value)
        ) from None


def _survey_round(file: str, name: str | None, when: date | str | None) -> SurveyRound | None:
    """Return the named round (new or existing), or None; refuse a date that is missing, bad or contradicts it."""
    if name is None or not name.strip():
        if when is not None:
            raise ImportFailed(Problem(file, None, None, _("--round-date needs --round: name the survey round too")))
        return None
    name = name.strip()[:100]
    try:
        held_on = parse_round_date(when)
    except ValueError as exc:
        raise ImportFailed(Problem(file, None, None, str(exc))) from None
    if held_on is not None and held_on > utcnow().date():
        raise ImportFailed(
            Problem(
                file,
                None,
                None,
                _(
                    "the round date %(date)s is in the future; give the day the survey closed",
                    date=f"{held_on:%Y-%m-%d}",
                ),
            )
        )
    existing = db.session.scalar(select(SurveyRound).where(SurveyRound.name == name))
    if existing is None:
        if held_on is None:
            raise ImportFailed(
                Problem(
                    file,
                    None,
                    None,
                    _("'%(name)s' is a new survey round: give its date with --round-date YYYY-MM-DD", name=name),
                )
            )
        return SurveyRound(name=name, held_on=held_on)
    if held_on is not None and held_on != existing.held_on:
        raise ImportFailed(
            Problem(
                file,
                None,
                None,
                _(
                    "round '%(name)s' was held on %(held)s, not %(given)s; leave --round-date out or give the same date",
                    name=name,
                    held=f"{existing.held_on:%Y-%m-%d}",
                    given=f"{held_on:%Y-%m-%d}",
                ),
            )
        )
    return existing


def _category_lookup(category_map: dict[str, str] | None) -> dict[str, str]:
    """Return {lower-case id, label or mapped value: category id}."""
    lookup: dict[str, str] = {}
    for c in db.session.scalars(select(Category)):
        lookup[c.id.lower()] = c.id
        lookup[c.label.lower()] = c.id
    lookup.update({k.strip().lower(): v for k, v in (category_map or {}).items()})
    return lookup


def _categories_of(raw: str, lookup: dict[str, str], file: str, n: int, col: str, problems: list[Problem]) -> list[str]:
    """Return the category ids in a cell (";" between several), noting values the taxonomy lacks."""
    found: list[str] = []
    for value in (v.strip() for v in raw.split(";")):
        if not value:
            continue
        cid = lookup.get(value.lower())
        if cid is None:
            problems.append(
                Problem(
                    file,
                    n,
                    col,
                    _("'%(value)s' is not a category in the taxonomy (map it with --category-map FILE)", value=value),
                )
            )
        elif cid not in found:
            found.append(cid)
    return found


def _count_of(row, count_col: str | None, file: str, n: int, problems: list[Problem]) -> float | None:
    """Return the row's count (1 for a response row), or None after noting a bad value."""
    raw = text(row[count_col]) if count_col else None
    if raw is None:
        return 1.0
    count = pd.to_numeric(raw.replace(",", ""), errors="coerce")
    if pd.isna(count) or count < 0 or count == float("inf"):
        problems.append(Problem(file, n, count_col, _("'%(value)s' is not a count (a number of 0 or more)", value=raw)))
        return None
    return float(count)


def _ward_for(row, ward_col, pc_col, wards, postcodes, file, n, problems, report) -> str | None:
    """Return the row's ward code from its ward column or its postcode, noting any problem."""
    given = text(row[ward_col]) if ward_col else None
    if given:
        code = given.upper()
        if code not in wards:
            problems.append(Problem(file, n, ward_col, _("ward %(code)s is not among the loaded wards", code=code)))
            return None
        return code
    if pc_col and text(row[pc_col]):
        pc = normalise_postcode(row[pc_col])
        if pc is None:
            problems.append(Problem(file, n, pc_col, _("'%(value)s' is not a UK postcode", value=row[pc_col])))
        elif pc not in postcodes:
            problems.append(
                Problem(
                    file,
                    n,
                    pc_col,
                    _("postcode %(postcode)s is not in the postcode table (run import-postcodes)", postcode=pc),
                )
            )
        elif postcodes[pc] not in wards:
            # Like an asset outside every ward: counted and reported, not fatal.
            report.skip(_("the postcode lies outside the loaded wards"))
        else:
            return postcodes[pc]
        return None
    problems.append(Problem(file, n, ward_col or pc_col, _("the row has neither a ward code nor a postcode")))
    return None
