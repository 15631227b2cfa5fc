"""Pages for "You said, we did": needs over time, the public report per ward and area, staff responses, unsubscribe."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from webmap.core import store
from webmap.core.csvsafe import csv_text
from webmap.core.db import db
from webmap.core.models import Need, SurveyRound, Ward
from webmap.feedback import followups, report, responses, trends
from webmap.feedback.nearby_changes import places_within
from webmap.gaps import history as snapshots
from webmap.web.security import csrf, role_required

bp = Blueprint("feedback", __name__, template_folder="templates")
EXPORTS = {"csv": "text/csv", "geojson": "application/geo+json"}


# ---- needs over time -------------------------------------------------------------------------


def _date_arg(name: str, errors: list[str], label: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label}: enter a date as YYYY-MM-DD, like 2027-03-31 (you entered '{raw}').")
        return None


def _needs_filters() -> tuple[dict, list[str]]:
    """Return the checked filters from the query string and any errors in plain English."""
    errors: list[str] = []
    filters = {
        "round": (request.args.get("round") or "").strip(),
        "ward": (request.args.get("ward") or "").strip(),
        "category": (request.args.get("category") or "").strip(),
        "from": _date_arg("from", errors, "From"),
        "to": _date_arg("to", errors, "To"),
    }
    if filters["round"] and filters["round"] != "none" and not filters["round"].isdigit():
        errors.append("Survey round: choose one from the list.")
    if filters["from"] and filters["to"] and filters["from"] > filters["to"]:
        errors.append("The 'from' date is after the 'to' date: swap them.")
    return filters, errors


def _needs_table(filters: dict) -> pd.DataFrame:
    """Return needs summed by ward, category and period (round, or day for needs without one)."""
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
        )
        .join(Ward, Ward.code == Need.ward_code)
        .join(SurveyRound, SurveyRound.id == Need.round_id, isouter=True)
        .group_by(Need.ward_code, Ward.name, Need.category_id, SurveyRound.name, Need.asked_on, Need.source)
        .order_by(Need.asked_on.desc(), Ward.name, Need.category_id)
    )
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
    frame = pd.DataFrame(
        db.session.execute(query).all(),
        columns=["ward_code", "ward_name", "category", "round", "asked_on", "source", "count", "rows"],
    )
    frame["count"] = frame["count"].astype(float)
    frame["asked_on"] = frame["asked_on"].map(lambda d: d.isoformat())
    # A need from the web form has no round: None (the page says so in words), never NaN shown as "nan".
    frame["round"] = frame["round"].astype(object).where(frame["round"].notna(), None)
    return frame


@bp.get("/needs/")
def needs_index():
    """List stated needs over time, filtered by survey round, date range, ward and kind of place."""
    filters, errors = _needs_filters()
    table = _needs_table(filters) if not errors else None
    labels = store.category_labels()
    rounds = list(db.session.scalars(select(SurveyRound).order_by(SurveyRound.held_on.desc())))
    wards = list(db.session.execute(select(Ward.code, Ward.name).order_by(Ward.name)).all())
    args = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v}
    return render_template(
        "feedback/needs.html",
        table=table,
        errors=errors,
        filters=filters,
        args=args,
        labels=labels,
        rounds=rounds,
        wards=wards,
        title="What residents asked for, over time",
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
    """Show what residents asked for and what was done, across the whole area, newest first."""
    found = report.items()
    return render_template(
        "feedback/report.html",
        items=found,
        ward=None,
        title="You said, we did",
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
        title=f"You said, we did: {found_ward.name}",
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
    """Return the trend charts and "what changed since" for the ward profile page."""
    labels = store.category_labels()
    distance = float(current_app.config["ACCESS_DISTANCE_M"])
    asked = list(db.session.scalars(select(Need.category_id).where(Need.ward_code == code).distinct()))
    found = []
    for category in sorted(asked, key=lambda c: labels.get(c, c)):
        points = snapshots.series(code, category)
        if points:
            found.append(trends.trend(category, labels.get(category, category), points, points[-1].distance_m))
    changed = [i for i in report.items(code, figures=False) if i.places]
    return {"trends": found, "changed": changed, "distance": distance}


# ---- staff record responses ------------------------------------------------------------------


def _nearby_places(ward: Ward | None, category: str) -> list:
    """Return approved places of this kind in or within the access distance of the ward, by name."""
    if ward is None or not category:
        return []
    assets = store.assets_frame(category=category)
    if assets.empty:
        return []
    outline = store.wards_frame()
    outline = outline[outline["code"] == ward.code]
    near = assets[places_within(outline, assets, float(current_app.config["ACCESS_DISTANCE_M"]))]
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
            told = f" {sent} resident{'s were' if sent != 1 else ' was'} emailed." if sent else ""
            flash(f"Recorded the response for {response.category.label} in {response.ward.name}.{told}", "success")
            return redirect(url_for("feedback.ward", code=response.ward_code))
    wards = list(db.session.execute(select(Ward.code, Ward.name).order_by(Ward.name)).all())
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
        title="Record what was done",
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
        return render_template("feedback/unsubscribed.html", title="You will get no more emails")
    return render_template("feedback/unsubscribe.html", token=token, title="Stop emails about your request")
