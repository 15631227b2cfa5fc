"""Residents say what their area needs: a short form, no account; an email only if they want to hear back."""

from __future__ import annotations

import json
import uuid

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from webmap.core import store
from webmap.core.db import db
from webmap.core.geo import normalise_postcode, valid_lon_lat
from webmap.core.inputs import text_problem
from webmap.core.models import AuditEvent, Need, Ward
from webmap.feedback import followups
from webmap.gaps.history import after_change
from webmap.places.search.postcodes import not_set_up, postcodes_ready
from webmap.scale import pages as scale_pages
from webmap.web.language import pick
from webmap.web.security import limiter

bp = Blueprint("needs", __name__, url_prefix="/needs", template_folder="templates")

MAX_CATEGORIES = 5
COMMENT_LIMIT = 500
# A clicked point is kept only to about 100 m: enough to find the ward, not a front door.
POINT_DECIMALS = 3


def _submission_limit() -> str:
    return current_app.config["SUBMISSION_RATE_LIMIT"]


def _wards() -> list[tuple[str, str]]:
    """Return (code, name in the reader's language) for every ward, by English name."""
    # Names only: the outlines of 8,533 wards, read for a list of names, took a second on every answer.
    rows = db.session.execute(select(Ward.code, Ward.name, Ward.name_cy).order_by(Ward.name))
    return [(code, pick(name, name_cy)) for code, name, name_cy in rows]


def _resolve_place(form, ward_codes: set[str], errors: dict[str, str]) -> tuple[str | None, float | None, float | None]:
    """Return (ward code, lon, lat) from the ward picker, the map point or the postcode, noting errors."""
    ward = form.get("ward", "").strip()
    postcode = form.get("postcode", "").strip()
    lat_raw, lon_raw = form.get("lat", "").strip(), form.get("lon", "").strip()
    found: str | None = None
    lon = lat = None

    if ward and ward not in ward_codes:
        errors["ward"] = _("Choose a ward from the list.")
    elif ward:
        found = ward

    if lat_raw or lon_raw:
        try:
            lat, lon = float(lat_raw), float(lon_raw)
        except ValueError:
            lat = lon = None
        if lat is None or not valid_lon_lat(lon, lat):
            errors["lat"] = _(
                "Pick a point on the map, or enter both latitude and longitude as numbers (like 53.54 and -2.11)."
            )
            lat = lon = None
        else:
            at = store.ward_at(lon, lat)
            if at is None:
                errors["lat"] = _(
                    "That point is outside the area this map covers. Pick a point inside one of the wards."
                )
            else:
                found = found or at.code
                lon, lat = round(lon, POINT_DECIMALS), round(lat, POINT_DECIMALS)

    if postcode:
        normal = normalise_postcode(postcode)
        record = store.lookup_postcode(postcode) if normal else None
        if normal is None:
            errors["postcode"] = _("Enter a real postcode, like SW1A 1AA.")
        elif record is None and not postcodes_ready():
            errors["postcode"] = not_set_up("ward") + "."
        elif record is None:
            errors["postcode"] = _("We do not know that postcode. Check it, or choose your ward from the list instead.")
        elif record.ward_code not in ward_codes:
            errors["postcode"] = _("That postcode is outside the area this map covers.")
        else:
            found = found or record.ward_code

    if not (ward or postcode or lat_raw or lon_raw):
        errors["postcode"] = _(
            "Enter a postcode, choose a ward or pick a point on the map, so we know which area you mean."
        )
    return (found if not errors else None), lon, lat


def _check_categories(chosen: list[str], known: dict[str, str], errors: dict[str, str]) -> list[str]:
    chosen = list(dict.fromkeys(c for c in chosen if c))
    if not chosen:
        errors["categories"] = _("Choose at least one kind of place or service the area needs.")
    elif any(c not in known for c in chosen):
        errors["categories"] = _("Choose kinds of place from the list.")
    elif len(chosen) > MAX_CATEGORIES:
        errors["categories"] = _(
            "Choose up to %(most)d kinds of place (you chose %(chosen)d).", most=MAX_CATEGORIES, chosen=len(chosen)
        )
    return chosen


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(_submission_limit, methods=["POST"])
def new():
    """Ask which area the resident means and what it needs, then record one need per category."""
    labels = store.category_labels()
    wards = _wards()
    form = request.form if request.method == "POST" else {"ward": request.args.get("ward", "")}
    errors: dict[str, str] = {}
    chosen: list[str] = []
    if request.method == "POST":
        if request.form.get("website"):
            # Only bots fill the hidden field: thank them and store nothing.
            return redirect(url_for("needs.thanks"))
        code, lon, lat = _resolve_place(request.form, {c for c, _ in wards}, errors)
        chosen = _check_categories(request.form.getlist("categories"), labels, errors)
        comment = request.form.get("comment", "").strip()
        if len(comment) > COMMENT_LIMIT:
            errors["comment"] = _(
                "Keep your comment to %(limit)d characters or fewer (it has %(length)d).",
                limit=COMMENT_LIMIT,
                length=len(comment),
            )
        elif problem := text_problem(comment):
            errors["comment"] = _("Your comment %(problem)s.", problem=problem)
        email = request.form.get("email", "").strip()
        if email and not followups.looks_like_email(email):
            errors["email"] = _("Enter an email address like name@example.com, or leave it empty.")
        elif email and not request.form.get("consent"):
            errors["consent"] = _("Tick the box to say we may email you, or leave the email address empty.")
        if not errors:
            # One submission is one response, however many kinds of place it names.
            key = "w:" + uuid.uuid4().hex
            needs = [
                Need(
                    ward_code=code,
                    category_id=c,
                    count=1.0,
                    comment=comment or None,
                    source="web form",
                    lon=lon,
                    lat=lat,
                    response_key=key,
                )
                for c in chosen
            ]
            db.session.add_all(needs)
            db.session.flush()
            if email:
                followups.follow_up(email, code, needs)
            db.session.add(
                AuditEvent(
                    actor="resident",
                    action="create",
                    entity_type="need",
                    entity_id=str(needs[0].id),
                    after={"ward_code": code, "categories": chosen},
                )
            )
            db.session.commit()
            after_change("need")
            return redirect(url_for("needs.thanks", ward=code, n=len(chosen), email="1" if email else None))
    extent = scale_pages.extent() if wards else None  # from the kept outlines, not every ward's shape
    bounds = [round(float(b), 5) for b in extent] if extent else None
    # Error summary in the order of the fields on the page.
    summary = [
        (f, errors[f]) for f in ("postcode", "ward", "lat", "categories", "comment", "email", "consent") if f in errors
    ]
    return render_template(
        "needs/new.html",
        form=form,
        errors=errors,
        summary=summary,
        chosen=chosen,
        wards=wards,
        categories=store.categories(),
        max_categories=MAX_CATEGORIES,
        comment_limit=COMMENT_LIMIT,
        bounds=json.dumps(bounds),
        consent_sentence=followups.consent_sentence(),
        title=_("Say what your area needs"),
    )


@bp.get("/thanks")
def thanks():
    """Thank the resident and say where their answer went."""
    code = request.args.get("ward", "")
    ward = db.session.scalar(select(Ward).where(Ward.code == code)) if code else None
    count = request.args.get("n", "")
    return render_template(
        "needs/thanks.html",
        ward=ward,
        count=int(count) if count.isdigit() else None,
        email=request.args.get("email") == "1",
        title=_("Thank you"),
    )
