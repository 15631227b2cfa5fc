"""Residents' pages for one asset: add a place, see a place, and report that it has changed."""

from __future__ import annotations

import folium
import shapely
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webmap.core import audit
from webmap.core.db import db
from webmap.core.models import Asset, Category, ChangeRequest
from webmap.maps import new_map, render_parts
from webmap.maps.layers import popup_html, safe_text
from webmap.places.forms import ChangeReportForm, SubmissionForm
from webmap.places.matches import likely_matches
from webmap.places.picker import picker_map
from webmap.web.language import language, pick
from webmap.web.security import limiter

bp = Blueprint("assets", __name__, url_prefix="/assets", template_folder="templates")


def submission_limit() -> str:
    """Return the per-address limit on sending forms (a setting, e.g. "20 per hour")."""
    return current_app.config["SUBMISSION_RATE_LIMIT"]


def is_staff() -> bool:
    """Say whether a signed-in moderator or admin is looking."""
    return bool(current_user.is_authenticated and current_user.role in ("moderator", "admin"))


def asset_map(asset: Asset):
    """Build a small map centred on one asset, its popup text escaped."""
    pad = 0.004
    m = new_map(
        (asset.lon - pad, asset.lat - pad * 0.6, asset.lon + pad, asset.lat + pad * 0.6),
        current_app.config["TILES_URL"],
        current_app.config["TILES_ATTRIBUTION"],
    )
    name = pick(asset.name, asset.name_cy)
    labels = ", ".join(pick(c.label, c.label_cy) for c in asset.categories)
    ward = pick(asset.ward.name, asset.ward.name_cy) if asset.ward else ""
    html = popup_html(name, [(_("Type"), labels), (_("Address"), asset.address or ""), (_("Ward"), ward)])
    folium.Marker(
        [asset.lat, asset.lon],
        popup=folium.Popup(html, max_width=300),
        tooltip=folium.Tooltip(safe_text(name)),
        alt=name,
        title=name,
    ).add_to(m)
    return render_parts(m)


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(submission_limit, methods=["POST"])
def new():
    """Let a resident add a place; it waits for a moderator before anyone else sees it."""
    form = SubmissionForm()
    if request.method == "POST" and form.nickname.data:
        # Only bots fill in the hidden box: answer as if it worked, and save nothing.
        current_app.logger.info("Honeypot submission ignored")  # no IP address: logs keep no personal data
        return redirect(url_for("assets.thanks"))
    valid, matches = form.validate_on_submit(), []
    if valid and not request.form.get("not_a_duplicate"):
        # Show places it may already be, before anything is saved; the resident decides.
        matches = likely_matches(form.name.data, form.located.lon, form.located.lat, form.postcode.data or None)
    if valid and not matches:
        where = form.located
        asset = Asset(
            name=form.name.data,
            name_cy=form.name_cy.data or None,
            kind=form.kind.data,
            description=form.description.data or None,
            description_cy=form.description_cy.data or None,
            address=form.address.data or None,
            postcode=form.postcode.data or None,
            website=form.website.data or None,
            phone=form.phone.data or None,
            email=form.email.data or None,
            opening_times=form.opening_times.data or None,
            accessibility=form.accessibility.data or None,
            lon=where.lon,
            lat=where.lat,
            geom=shapely.Point(where.lon, where.lat),
            ward_code=where.ward.code,
            source="resident",
            status="pending",
            submitter_name=form.submitter_name.data or None,
            submitter_email=form.submitter_email.data or None,
            submitter_phone=form.submitter_phone.data or None,
            submitter_ip=request.remote_addr,
            submitter_wants_updates=bool(form.submitter_wants_updates.data and form.submitter_email.data),
            submitter_language=language(),
        )
        asset.categories = [db.session.get(Category, c) for c in dict.fromkeys(form.categories.data)]
        db.session.add(asset)
        db.session.flush()
        audit.record("create", "asset", asset.id, after=audit.snapshot(asset))
        db.session.commit()
        return redirect(url_for("assets.thanks"))
    return render_template("assets/new.html", form=form, map=picker_map(), matches=matches)


@bp.get("/new/thanks")
def thanks():
    """Thank the resident and say what happens next."""
    return render_template("assets/thanks.html")


def visible_asset(asset_id: int) -> Asset:
    """Return the asset if this visitor may see it: approved for everyone, any status for staff."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or (asset.status != "approved" and not is_staff()):
        abort(404)
    return asset


@bp.get("/<int:asset_id>")
def detail(asset_id: int):
    """Show one place: its details, a small map, its categories and ward."""
    asset = db.session.get(Asset, asset_id)
    if asset is not None and asset.merged_into_id and not is_staff():
        return redirect(url_for("assets.detail", asset_id=asset.merged_into_id), 301)
    asset = visible_asset(asset_id)
    context = {}
    if is_staff():
        context["events"] = audit.trail("asset", asset.id)
        context["changes"] = audit.changes
        context["open_reports"] = db.session.query(ChangeRequest).filter_by(asset_id=asset.id, status="open").count()
    return render_template("assets/detail.html", asset=asset, map=asset_map(asset), staff=is_staff(), **context)


@bp.route("/<int:asset_id>/report", methods=["GET", "POST"])
@limiter.limit(submission_limit, methods=["POST"])
def report(asset_id: int):
    """Let anyone say a listed place has closed or changed; a moderator checks it."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.status != "approved":
        abort(404)
    form = ChangeReportForm()
    if request.method == "POST" and form.nickname.data:
        return redirect(url_for("assets.reported", asset_id=asset.id))
    current = asset.public_dict()
    if form.validate_on_submit() and form.check_has_content(current):
        change = ChangeRequest(
            asset_id=asset.id,
            kind=form.kind.data,
            proposed=form.proposed(current),
            note=form.note.data or None,
            status="open",
            reporter_ip=request.remote_addr,
            language=language(),
        )
        db.session.add(change)
        db.session.flush()
        audit.record(
            "report",
            "change_request",
            change.id,
            after={"asset_id": asset.id, "kind": change.kind, "proposed": change.proposed, "note": change.note},
        )
        db.session.commit()
        return redirect(url_for("assets.reported", asset_id=asset.id))
    return render_template("assets/report.html", form=form, asset=asset)


@bp.get("/<int:asset_id>/report/thanks")
def reported(asset_id: int):
    """Thank the person who reported a change."""
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.status != "approved":
        abort(404)
    return render_template("assets/reported.html", asset=asset)
