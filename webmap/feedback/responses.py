"""What the council did ("we did"): record a response to a ward + category need, audited."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webmap.core import audit
from webmap.core.db import db
from webmap.core.models import Asset, Category, Response, Ward, utcnow

SUMMARY_LIMIT = 200
DETAILS_LIMIT = 2000


class ResponseError(ValueError):
    """A response that cannot be recorded, in plain words in the reader's language, keyed by the form field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def snapshot(response: Response) -> dict:
    """Return a response's values as plain JSON data for the audit trail."""
    return {
        "ward_code": response.ward_code,
        "category_id": response.category_id,
        "summary": response.summary,
        "details": response.details,
        "done_on": response.done_on.isoformat(),
        "status": response.status,
        "assets": sorted(a.id for a in response.assets),
    }


def check(
    ward_code: str, category_id: str, summary: str, details: str, done_on: str, asset_ids: list[str]
) -> tuple[Ward, Category, str, str | None, date, list[Asset]]:
    """Return the checked values, or raise ResponseError naming each field that is wrong."""
    errors: dict[str, str] = {}
    ward = db.session.scalar(select(Ward).where(Ward.code == (ward_code or "").strip()))
    if ward is None:
        errors["ward"] = _("Choose the ward the response is for.")
    category = db.session.get(Category, (category_id or "").strip()) if category_id else None
    if category is None:
        errors["category"] = _("Choose the kind of place or service the response is about.")
    summary, details = (summary or "").strip(), (details or "").strip()
    if not summary:
        errors["summary"] = _("Say in a sentence what was done, like 'Opened a food bank at the community centre'.")
    elif len(summary) > SUMMARY_LIMIT:
        errors["summary"] = _(
            "Keep the summary to %(limit)d characters (it has %(length)d); put more in the details.",
            limit=SUMMARY_LIMIT,
            length=len(summary),
        )
    if len(details) > DETAILS_LIMIT:
        errors["details"] = _(
            "Keep the details to %(limit)d characters (they have %(length)d).", limit=DETAILS_LIMIT, length=len(details)
        )
    when = None
    try:
        when = date.fromisoformat((done_on or "").strip())
    except ValueError:
        errors["done_on"] = _("Enter the date it was done as YYYY-MM-DD, like 2027-04-30.")
    if when is not None and when > utcnow().date():
        errors["done_on"] = _("The date it was done cannot be in the future.")
    assets: list[Asset] = []
    ids = [i for i in (a.strip() for a in asset_ids) if i]
    if ids:
        if not all(i.isdigit() for i in ids):
            errors["assets"] = _("Choose places from the list.")
        else:
            assets = list(
                db.session.scalars(select(Asset).where(Asset.id.in_([int(i) for i in ids]), Asset.status == "approved"))
            )
            if len(assets) != len(set(ids)):
                errors["assets"] = _("Choose approved places from the list.")
    if errors:
        raise ResponseError(errors)
    return ward, category, summary, details or None, when, assets


def record(
    ward: Ward, category: Category, summary: str, details: str | None, done_on: date, assets: list[Asset]
) -> Response:
    """Add a response and its audit event (the caller commits)."""
    response = Response(
        ward_code=ward.code,
        category_id=category.id,
        summary=summary,
        details=details,
        done_on=done_on,
        assets=assets,
        created_by=current_user.email if current_user else "cli",
    )
    db.session.add(response)
    db.session.flush()
    audit.record("create", "response", response.id, after=snapshot(response))
    return response
