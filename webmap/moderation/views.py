"""Staff moderation: the queue of new places and suggested changes, editing, and places needing a check."""

from __future__ import annotations

import math

import geopandas as gpd
import shapely
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from webmap.core import store
from webmap.core.db import db
from webmap.core.models import ASSET_STATUSES, Asset, Category, ChangeRequest, Ward
from webmap.gaps.history import after_change
from webmap.groups.forms import StaffListingForm
from webmap.moderation import actions as moderation
from webmap.moderation.actions import ModerationError, kind_word, status_word
from webmap.notify.outcomes import tell_submitter
from webmap.places.duplicates import (
    RADIUS_M,
    SAME_NAME_RADIUS_M,
    duplicates_by_asset,
    find_duplicates,
    likely_matches,
)
from webmap.places.freshness import stale_query
from webmap.web.language import pick
from webmap.web.paging import page_number
from webmap.web.redirects import safe_next
from webmap.web.security import role_required

bp = Blueprint("moderation", __name__, url_prefix="/moderate", template_folder="templates")
# A place's status in the reader's language, for any page that shows one.
bp.add_app_template_global(status_word, "status_word")
bp.add_app_template_global(kind_word, "kind_word")


@bp.before_request
@role_required("moderator")
def staff_only():
    """Let only signed-in moderators and admins use any page here."""
    return None


def ward_choices() -> list[tuple[str, str]]:
    """Return (code, name) for every ward, by name."""
    return [(c, n) for c, n in db.session.execute(select(Ward.code, Ward.name).order_by(Ward.name))]


def filters() -> tuple[str, str | None, str | None]:
    """Return the queue's status, category and ward filters, refusing unknown values."""
    status = request.args.get("status") or "pending"
    category = request.args.get("category") or None
    ward = request.args.get("ward") or None
    if status not in ASSET_STATUSES:
        abort(
            400,
            _(
                "'%(status)s' is not a status; choose one of %(statuses)s.",
                status=status,
                statuses=", ".join(ASSET_STATUSES),
            ),
        )
    if category and category not in store.category_labels():
        abort(400, _("'%(category)s' is not a category id.", category=category))
    if ward and ward not in dict(ward_choices()):
        abort(400, _("'%(ward)s' is not a ward code.", ward=ward))
    return status, category, ward


def _frame(assets: list[Asset]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": [a.id for a in assets], "name": [a.name for a in assets], "postcode": [a.postcode for a in assets]},
        geometry=[shapely.Point(a.lon, a.lat) for a in assets],
        crs="EPSG:4326",
    )


def _mergeable(assets: list[Asset]) -> gpd.GeoDataFrame:
    """Return the pending and approved places these could duplicate: near one of them or at its postcode.

    find_duplicates pairs nothing further away (SAME_NAME_RADIUS_M) unless the postcode is shared,
    so only those are read: a national register holds a million places, a queue page a few.
    """
    found = store.assets_near(
        [(a.lon, a.lat) for a in assets], SAME_NAME_RADIUS_M, [a.postcode for a in assets], ("approved", "pending")
    )
    return found.rename(columns={"asset_id": "id"})


def duplicates_for(assets: list[Asset]) -> dict:
    """Return likely duplicates of these assets among all pending and approved ones."""
    if not assets:
        return {}
    return duplicates_by_asset(find_duplicates(_frame(assets), _mergeable(assets)))


# The facts a moderator compares side by side before merging two places.
COMPARED = (
    (_l("Name"), "name"),
    (_l("Status"), "status"),
    (_l("Kind"), "kind"),
    (_l("Address"), "address"),
    (_l("Postcode"), "postcode"),
    (_l("Website"), "website"),
    (_l("Phone"), "phone"),
    (_l("Email shown on the listing"), "email"),
    (_l("Opening times"), "opening_times"),
    (_l("Description"), "description"),
    (_l("Source"), "source"),
)


def _facts(asset: Asset) -> list[str]:
    values = [str(getattr(asset, field) or "") for _label, field in COMPARED]
    values[1], values[2] = status_word(asset.status), kind_word(asset.kind)
    categories = ", ".join(pick(c.label, c.label_cy) for c in asset.categories)
    added = format_date(asset.created_at, "long")
    ward = pick(asset.ward.name, asset.ward.name_cy) if asset.ward else _("Outside every ward")
    return [*values, categories or _("None"), ward, added]


@bp.get("/assets/<int:asset_id>/merge")
def merge_choice(asset_id: int):
    """Let a moderator choose which likely match a place duplicates, then compare the pair before merging."""
    asset = db.session.get(Asset, asset_id) or abort(404)
    if asset.status not in ("pending", "approved"):
        abort(
            409,
            _(
                "'%(name)s' is %(status)s: only a pending or approved place can be merged.",
                name=asset.name,
                status=status_word(asset.status),
            ),
        )
    matches = [d for d in likely_matches(_frame([asset]), _mergeable([asset])) if d.other_id != asset.id]
    chosen = request.args.get("with", type=int)
    other = None
    if chosen is not None:
        other = db.session.get(Asset, chosen)
        if other is None or other.id == asset.id or other.status not in ("pending", "approved"):
            abort(404)
    match = next((d for d in matches if d.other_id == chosen), None)
    rows = (
        list(
            zip(
                [str(label) for label, _field in COMPARED] + [_("Categories"), _("Ward"), _("Added")],
                _facts(asset),
                _facts(other),
            )
        )
        if other
        else []
    )
    return render_template(
        "moderation/merge.html",
        asset=asset,
        matches=matches,
        other=other,
        match=match,
        rows=rows,
        radius=RADIUS_M,
        title=_("Merge %(name)s", name=asset.name),
    )


@bp.get("")
def queue():
    """List places waiting for review (or in another status) and suggested changes, with duplicate warnings."""
    status, category, ward = filters()
    query = select(Asset).where(Asset.status == status)
    changes_query = select(ChangeRequest).join(Asset).where(ChangeRequest.status == "open")
    if category:
        query = query.where(Asset.categories.any(Category.id == category))
        changes_query = changes_query.where(Asset.categories.any(Category.id == category))
    if ward:
        query = query.where(Asset.ward_code == ward)
        changes_query = changes_query.where(Asset.ward_code == ward)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    size = int(current_app.config["PAGE_SIZE"])
    pages = max(1, math.ceil(total / size))
    page = min(page_number(), pages)
    assets = list(db.session.scalars(query.order_by(Asset.created_at, Asset.id).offset((page - 1) * size).limit(size)))
    changes = list(db.session.scalars(changes_query.order_by(ChangeRequest.created_at))) if status == "pending" else []
    return render_template(
        "moderation/queue.html",
        assets=assets,
        total=total,
        page=page,
        pages=pages,
        status=status,
        category=category,
        ward=ward,
        statuses=ASSET_STATUSES,
        categories=store.categories(),
        wards=ward_choices(),
        duplicates=duplicates_for(assets) if status in ("pending", "approved") else {},
        changes=changes,
        diff=moderation.change_diff,
        field_word=moderation.field_word,
        here=request.full_path.rstrip("?"),
    )


@bp.route("/assets/<int:asset_id>/edit", methods=["GET", "POST"])
def edit(asset_id: int):
    """Let a moderator correct a place's details and location (the ward follows the location)."""
    asset = db.session.get(Asset, asset_id) or abort(404)
    form = StaffListingForm(obj=asset)
    if request.method == "GET":
        form.show_listing(asset)
    if form.validate_on_submit():
        where = form.located
        values = form.listing_values(extra=("email", "contact_email"))
        values["contact_email"] = (values["contact_email"] or "").lower() or None
        values.update(lon=where.lon, lat=where.lat, ward_code=where.ward.code)
        if (where.lon, where.lat) != (asset.lon, asset.lat):
            values["geom"] = shapely.Point(where.lon, where.lat)
        categories = [db.session.get(Category, c) for c in dict.fromkeys(form.categories.data)]
        changed = moderation.edit(asset, values, categories)
        db.session.commit()
        flash(_("Saved the changes to %(name)s.", name=asset.name) if changed else _("Nothing was changed."), "success")
        return redirect(url_for("assets.detail", asset_id=asset.id))
    from webmap.places.picker import picker_map

    return render_template("moderation/edit.html", form=form, asset=asset, map=picker_map())


@bp.get("/stale")
def stale():
    """List approved places nobody has checked for the set number of months."""
    months = int(current_app.config["STALE_AFTER_MONTHS"])
    query = stale_query(months)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    size = int(current_app.config["PAGE_SIZE"])
    pages = max(1, math.ceil(total / size))
    page = min(page_number(), pages)
    assets = list(db.session.scalars(query.offset((page - 1) * size).limit(size)))
    return render_template(
        "moderation/stale.html",
        assets=assets,
        total=total,
        page=page,
        pages=pages,
        months=months,
        here=request.full_path.rstrip("?"),
    )


# The moderators' POST actions: approve, reject, archive, verify, merge, bulk approve, and suggested changes.


def back():
    """Return to the page the action was sent from (same site only), else the queue."""
    return redirect(safe_next(request.form.get("next")) or url_for("moderation.queue"))


def asset_or_404(asset_id: int) -> Asset:
    return db.session.get(Asset, asset_id) or abort(404)


def done(message: str):
    db.session.commit()
    flash(message, "success")
    return back()


@bp.errorhandler(ModerationError)
def refused(error: ModerationError):
    """Undo the action, say why it was refused, and go back (one place for every action below)."""
    db.session.rollback()
    flash(str(error), "error")
    return back()


@bp.post("/assets/<int:asset_id>/approve")
def approve(asset_id: int):
    """Approve a place so it appears on the public map."""
    asset = asset_or_404(asset_id)
    moderation.approve(asset)
    answer = done(_("Approved %(name)s. It is now on the map.", name=asset.name))
    tell_submitter(asset)  # after the commit: a mail server that is down must not undo the approval
    after_change("approval")
    return answer


@bp.post("/assets/<int:asset_id>/reject")
def reject(asset_id: int):
    """Reject a pending place, with a reason kept in the audit trail."""
    asset = asset_or_404(asset_id)
    reason = request.form.get("reason", "")
    moderation.reject(asset, reason)
    response = done(_("Rejected %(name)s.", name=asset.name))
    tell_submitter(asset, reason.strip())
    return response


@bp.post("/assets/<int:asset_id>/archive")
def archive(asset_id: int):
    """Archive a place: it leaves the map but is never deleted."""
    asset = asset_or_404(asset_id)
    moderation.archive(asset, request.form.get("reason"))
    return done(_("Archived %(name)s.", name=asset.name))


@bp.post("/assets/<int:asset_id>/verify")
def verify(asset_id: int):
    """Record that a place's details were checked today."""
    asset = asset_or_404(asset_id)
    moderation.verify(asset)
    return done(_("Marked %(name)s as checked today.", name=asset.name))


@bp.post("/assets/<int:asset_id>/merge")
def merge(asset_id: int):
    """Merge a duplicate into an existing place; the duplicate is archived and points at it."""
    duplicate = asset_or_404(asset_id)
    target_id = (request.form.get("target_id") or "").strip()
    if not target_id.isdigit() or db.session.get(Asset, int(target_id)) is None:
        raise ModerationError(_("Choose the place to merge '%(name)s' into.", name=duplicate.name))
    target = db.session.get(Asset, int(target_id))
    moderation.merge(duplicate, target)
    return done(_("Merged %(name)s into %(target)s.", name=duplicate.name, target=target.name))


def selected_ids() -> list[int]:
    """Return the asset ids ticked in a bulk form."""
    return sorted({int(v) for v in request.form.getlist("ids") if v.isdigit()})


@bp.post("/bulk-approve")
def bulk_approve():
    """Approve every ticked pending place at once."""
    ids = selected_ids()
    if not ids:
        raise ModerationError(_("Tick at least one place to approve."))
    approved = list(db.session.query(Asset).filter(Asset.id.in_(ids), Asset.status == "pending").order_by(Asset.id))
    for asset in approved:
        moderation.approve(asset)
    answer = done(ngettext("Approved %(num)d place.", "Approved %(num)d places.", len(approved)))
    for asset in approved:
        tell_submitter(asset)
    after_change("approval")
    return answer


@bp.post("/stale/verify")
def bulk_verify():
    """Mark every ticked place as checked today."""
    ids = selected_ids()
    if not ids:
        raise ModerationError(_("Tick at least one place to mark as checked."))
    assets = db.session.query(Asset).filter(Asset.id.in_(ids)).order_by(Asset.id).all()
    for asset in assets:
        moderation.verify(asset)
    return done(
        ngettext("Marked %(num)d place as checked today.", "Marked %(num)d places as checked today.", len(assets))
    )


def change_or_404(change_id: int) -> ChangeRequest:
    return db.session.get(ChangeRequest, change_id) or abort(404)


@bp.post("/changes/<int:change_id>/accept")
def accept_change(change_id: int):
    """Apply a suggested change to its place."""
    change = change_or_404(change_id)
    moderation.accept_change(change, current_user.email)
    return done(_("Applied the suggested change to %(name)s.", name=change.asset.name))


@bp.post("/changes/<int:change_id>/reject")
def reject_change(change_id: int):
    """Turn down a suggested change, leaving the place as it is."""
    change = change_or_404(change_id)
    moderation.reject_change(change, current_user.email, request.form.get("reason"))
    return done(_("Turned down the suggested change to %(name)s.", name=change.asset.name))
