"""Pages for "You said, we did": needs over time, the public report per ward and area, staff responses, unsubscribe."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, func, select

from webmap.core import store
from webmap.core.csvsafe import csv_text
from webmap.core.db import db
from webmap.core.models import Need, SurveyRound, Ward
from webmap.feedback import followups, report, responses, trends, words
from webmap.feedback.nearby_changes import places_within
from webmap.gaps import history as snapshots
from webmap.web.language import pick
from webmap.web.paging import page_number
from webmap.web.security import csrf, role_required

bp = Blueprint("feedback", __name__, template_folder="templates")
# Numbers, dates and kinds of place in the reader's language, for these pages and the ward profile.
bp.add_app_template_global(words, "feedback_words")  # type: ignore[arg-type]
bp.add_app_template_global(trends.period, "feedback_period")
EXPORTS = {"csv": "text/csv", "geojson": "application/geo+json"}


# ---- needs over time -------------------------------------------------------------------------


def _date_arg(name: str, errors: list[str], label: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(
            _("%(label)s: enter a date as YYYY-MM-DD, like 2027-03-31 (you entered '%(raw)s').", label=label, raw=raw)
        )
        return None


def _needs_filters() -> tuple[dict, list[str]]:
    """Return the checked filters from the query string and any errors in plain words."""
    errors: list[str] = []
    filters = {
        "round": (request.args.get("round") or "").strip(),
        "ward": (request.args.get("ward") or "").strip(),
        "category": (request.args.get("category") or "").strip(),
        "from": _date_arg("from", errors, _("From")),
        "to": _date_arg("to", errors, _("To")),
    }
    if filters["round"] and filters["round"] != "none" and not filters["round"].isdigit():
        errors.append(_("Survey round: choose one from the list."))
    if filters["from"] and filters["to"] and filters["from"] > filters["to"]:
        errors.append(_("The 'from' date is after the 'to' date: swap them."))
    return filters, errors


def _needs_where(query, filters: dict):
    """Return the query narrowed to the needs the filters pick."""
    if filters["round"] == "none":
        query = query.where(Need.round_id.is_(None))
    elif filters["round"]:
        query = query.where(Need.round_id == int(filters["round"]))
    if filters["ward"]:
        query = query.where(Need.ward_code == filters["ward"])
    if filters["category"]:
        query = query.where(Need.category_id == filters["category"])
    if filters["from"]:
        query = query.where(Need.asked_on >= filters["from"])
    if filters["to"]:
        query = query.where(Need.asked_on <= filters["to"])
    return query


# Responses (people) behind a set of needs: one per distinct response key, plus one per unit of count
# of needs with no key (count tables, needs kept before keys). See webmap.analysis.gaps.
_RESPONSES = func.count(func.distinct(Need.response_key)) + func.coalesce(
    func.sum(case((Need.response_key.is_(None), Need.count), else_=0.0)), 0.0
)


def _responses_total(filters: dict) -> float:
    """Return how many responses the filtered needs came from (one answer naming several kinds counts once)."""
    return float(db.session.scalar(_needs_where(select(_RESPONSES).join(Ward, Ward.code == Need.ward_code), filters)))


def _needs_table(filters: dict) -> pd.DataFrame:
    """Return needs summed by ward, category and period (round, or day for needs without one).

    ``count`` is the stated needs, ``responses`` the responses they came from.
    """
    query = (
        select(
            Need.ward_code,
            Ward.name,
            Need.category_id,
            SurveyRound.name,
            Need.asked_on,
            Need.source,
            func.sum(Need.count),
            func.count(Need.id),
            _RESPONSES,
        )
        .join(Ward, Ward.code == Need.ward_code)
        .join(SurveyRound, SurveyRound.id == Need.round_id, isouter=True)
        .group_by(Need.ward_code, Ward.name, Need.category_id, SurveyRound.name, Need.asked_on, Need.source)
        .order_by(Need.asked_on.desc(), Ward.name, Need.category_id)
    )
    frame = pd.DataFrame(
        db.session.execute(_needs_where(query, filters)).all(),
        columns=["ward_code", "ward_name", "category", "round", "asked_on", "source", "count", "rows", "responses"],
    )
    frame["count"] = frame["count"].astype(float)
    frame["responses"] = frame["responses"].astype(float)
    frame["asked_on"] = frame["asked_on"].map(lambda d: d.isoformat())
    # A need from the web form has no round: None (the page says so in words), never NaN shown as "nan".
    frame["round"] = frame["round"].astype(object).where(frame["round"].notna(), None)
    return frame


def _labels() -> dict[str, str]:
    """Return {category id: label} in the reader's language, in display order."""
    return {c.id: pick(c.label, c.label_cy) for c in store.categories()}


def _ward_choices() -> list[tuple[str, str]]:
    """Return (code, name in the reader's language) for every ward, by English name."""
    rows = db.session.execute(select(Ward.code, Ward.name, Ward.name_cy).order_by(Ward.name)).all()
    return [(code, pick(name, name_cy)) for code, name, name_cy in rows]


@bp.get("/needs/")
def needs_index():
    """List stated needs over time, filtered by survey round, date range, ward and kind of place."""
    filters, errors = _needs_filters()
    table = _needs_table(filters) if not errors else None
    responses_total = _responses_total(filters) if not errors else None
    labels = _labels()
    rounds = list(db.session.scalars(select(SurveyRound).order_by(SurveyRound.held_on.desc())))
    wards = _ward_choices()
    args = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v}
    return render_template(
        "feedback/needs.html",
        table=table,
        responses_total=responses_total,
        errors=errors,
        filters=filters,
        args=args,
        labels=labels,
        rounds=rounds,
        wards=wards,
        ward_names=dict(wards),
        # The form's own source name is ours to translate; an import's is its file name (data).
        source_names={"web form": _("web form")},
        title=_("What residents asked for, over time"),
    )


@bp.get("/needs/export.<fmt>")
def needs_export(fmt: str):
    """Download the filtered needs as CSV, or GeoJSON with each ward's outline."""
    if fmt not in EXPORTS:
        abort(404)
    filters, errors = _needs_filters()
    if errors:
        abort(400, " ".join(errors))
    table = _needs_table(filters)
    return _download(table, fmt, "needs")


def _download(table: pd.DataFrame, fmt: str, name: str) -> Response:
    if fmt == "csv":
        body = csv_text(table)
    else:
        wards = store.wards_frame()[["code", "geometry"]].rename(columns={"code": "ward_code"})
        joined = gpd.GeoDataFrame(table.merge(wards, on="ward_code", how="left"), geometry="geometry", crs=wards.crs)
        body = joined.to_json(drop_id=True, na="null")
    return Response(
        body, mimetype=EXPORTS[fmt], headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    )


# ---- the public report -----------------------------------------------------------------------


def _ward_or_404(code: str) -> Ward:
    return db.session.scalar(select(Ward).where(Ward.code == code)) or abort(404)


@bp.get("/you-said-we-did")
def area():
    """Show what residents asked for and what was done, across the whole area, newest first, a page at a time."""
    listing = report.page(page_number())
    if listing is None:
        abort(404)
    return render_template(
        "feedback/report.html",
        items=listing.items,
        listing=listing,
        # The pager keeps the other arguments of the address (the reader's ?lang=).
        pager_args={k: v for k, v in request.args.items() if k != "page"},
        ward=None,
        title=_("You said, we did"),
        distance=current_app.config["ACCESS_DISTANCE_M"],
    )


@bp.get("/you-said-we-did.<fmt>")
def area_export(fmt: str):
    """Download the area's "You said, we did" as CSV or GeoJSON."""
    if fmt not in EXPORTS:
        abort(404)
    return _download(report.rows(report.items()), fmt, "you-said-we-did")


@bp.get("/wards/<code>/you-said-we-did")
def ward(code: str):
    """Show one ward's "You said, we did": asks by round, responses, places opened since, and the gap."""
    found_ward = _ward_or_404(code)
    found = report.items(code)
    return render_template(
        "feedback/report.html",
        items=found,
        ward=found_ward,
        title=_("You said, we did: %(ward)s", ward=pick(found_ward.name, found_ward.name_cy)),
        distance=current_app.config["ACCESS_DISTANCE_M"],
    )


@bp.get("/wards/<code>/you-said-we-did.<fmt>")
def ward_export(code: str, fmt: str):
    """Download one ward's "You said, we did" as CSV or GeoJSON."""
    if fmt not in EXPORTS:
        abort(404)
    _ward_or_404(code)
    return _download(report.rows(report.items(code)), fmt, f"you-said-we-did_{code}")


@bp.app_template_global()
def ward_feedback(code: str) -> dict:
    """Return the trend charts, "what changed since" and the ward's name in the reader's language, for its profile."""
    labels = store.category_labels()
    labels_cy = {c.id: c.label_cy for c in store.categories()}
    distance = float(current_app.config["ACCESS_DISTANCE_M"])
    asked = list(db.session.scalars(select(Need.category_id).where(Need.ward_code == code).distinct()))
    found = []
    for category in sorted(asked, key=lambda c: labels.get(c, c)):
        points = snapshots.series(code, category)
        if points:
            found.append(
                trends.trend(
                    category, labels.get(category, category), points, points[-1].distance_m, labels_cy.get(category)
                )
            )
    changed = [i for i in report.items(code, figures=False) if i.places]
    names = db.session.execute(select(Ward.name, Ward.name_cy).where(Ward.code == code)).first()
    ward_name = pick(*names) if names else code
    return {"trends": found, "changed": changed, "distance": distance, "ward_name": ward_name}


# ---- staff record responses ------------------------------------------------------------------


def _nearby_places(ward: Ward | None, category: str) -> list:
    """Return approved places of this kind in or within the access distance of the ward, by name."""
    if ward is None or not category:
        return []
    distance = float(current_app.config["ACCESS_DISTANCE_M"])
    outline = store.wards_frame([ward.code])
    if outline.empty:
        return []
    # Only places in a box the distance around the ward are read, then tested in metres.
    assets = store.assets_frame(category=category, bbox=store.box_around(outline.total_bounds, distance))
    if assets.empty:
        return []
    near = assets[places_within(outline, assets, distance)]
    return sorted(near.itertuples(), key=lambda r: r.name.lower())


@bp.route("/responses/new", methods=["GET", "POST"])
@role_required("moderator")
def new_response():
    """Record what the council or partners did about a ward + category need, and tell residents who asked."""
    source = request.form if request.method == "POST" else request.args
    code, category = (source.get("ward") or "").strip(), (source.get("category") or "").strip()
    chosen_ward = db.session.scalar(select(Ward).where(Ward.code == code)) if code else None
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            values = responses.check(
                code,
                category,
                request.form.get("summary", ""),
                request.form.get("details", ""),
                request.form.get("done_on", ""),
                request.form.getlist("assets"),
            )
        except responses.ResponseError as exc:
            errors = exc.errors
        else:
            response = responses.record(*values)
            db.session.commit()
            sent = followups.notify(response)
            db.session.commit()
            done = _(
                "Recorded the response for %(kind)s in %(ward)s.",
                kind=pick(response.category.label, response.category.label_cy),
                ward=pick(response.ward.name, response.ward.name_cy),
            )
            if sent:
                done += " " + ngettext("%(num)d resident was emailed.", "%(num)d residents were emailed.", sent)
            flash(done, "success")
            return redirect(url_for("feedback.ward", code=response.ward_code))
    wards = _ward_choices()
    summary = [(f, errors[f]) for f in ("ward", "category", "summary", "details", "done_on", "assets") if f in errors]
    return render_template(
        "feedback/response_form.html",
        form=source,
        errors=errors,
        summary=summary,
        wards=wards,
        categories=store.categories(),
        ward=chosen_ward,
        category=category,
        places=_nearby_places(chosen_ward, category),
        today=date.today().isoformat(),
        chosen_assets=set(source.getlist("assets")) if hasattr(source, "getlist") else set(),
        distance=current_app.config["ACCESS_DISTANCE_M"],
        title=_("Record what was done"),
    )


# ---- residents stop emails -------------------------------------------------------------------


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """Stop follow-up emails in one click (mail clients POST here) and erase the address."""
    if request.method == "POST":
        if not followups.unsubscribe(token):
            abort(404)
        db.session.commit()
        return render_template("feedback/unsubscribed.html", title=_("You will get no more emails"))
    return render_template("feedback/unsubscribe.html", token=token, title=_("Stop emails about your request"))
