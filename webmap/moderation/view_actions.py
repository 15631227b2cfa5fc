"""The moderators' POST actions: approve, reject, archive, verify, merge, bulk approve, and suggested changes."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from webmap.moderation import actions as moderation
from webmap.db import db
from webmap.feedback.snapshots import after_change
from webmap.hardening.redirects import safe_next
from webmap.models import Asset, ChangeRequest
from webmap.moderation.actions import ModerationError
from webmap.notify.outcomes import tell_submitter
from webmap.moderation.views import bp


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
    answer = done(f"Approved {asset.name}. It is now on the map.")
    tell_submitter(asset)  # after the commit: a mail server that is down must not undo the approval
    after_change("approval")
    return answer


@bp.post("/assets/<int:asset_id>/reject")
def reject(asset_id: int):
    """Reject a pending place, with a reason kept in the audit trail."""
    asset = asset_or_404(asset_id)
    reason = request.form.get("reason", "")
    moderation.reject(asset, reason)
    response = done(f"Rejected {asset.name}.")
    tell_submitter(asset, reason.strip())
    return response


@bp.post("/assets/<int:asset_id>/archive")
def archive(asset_id: int):
    """Archive a place: it leaves the map but is never deleted."""
    asset = asset_or_404(asset_id)
    moderation.archive(asset, request.form.get("reason"))
    return done(f"Archived {asset.name}.")


@bp.post("/assets/<int:asset_id>/verify")
def verify(asset_id: int):
    """Record that a place's details were checked today."""
    asset = asset_or_404(asset_id)
    moderation.verify(asset)
    return done(f"Marked {asset.name} as checked today.")


@bp.post("/assets/<int:asset_id>/merge")
def merge(asset_id: int):
    """Merge a duplicate into an existing place; the duplicate is archived and points at it."""
    duplicate = asset_or_404(asset_id)
    target_id = (request.form.get("target_id") or "").strip()
    if not target_id.isdigit() or db.session.get(Asset, int(target_id)) is None:
        raise ModerationError(f"Choose the place to merge '{duplicate.name}' into.")
    target = db.session.get(Asset, int(target_id))
    moderation.merge(duplicate, target)
    return done(f"Merged {duplicate.name} into {target.name}.")


def selected_ids() -> list[int]:
    """Return the asset ids ticked in a bulk form."""
    return sorted({int(v) for v in request.form.getlist("ids") if v.isdigit()})


@bp.post("/bulk-approve")
def bulk_approve():
    """Approve every ticked pending place at once."""
    ids = selected_ids()
    if not ids:
        raise ModerationError("Tick at least one place to approve.")
    approved = list(db.session.query(Asset).filter(Asset.id.in_(ids), Asset.status == "pending").order_by(Asset.id))
    for asset in approved:
        moderation.approve(asset)
    answer = done(f"Approved {len(approved)} place{'s' if len(approved) != 1 else ''}.")
    for asset in approved:
        tell_submitter(asset)
    after_change("approval")
    return answer


@bp.post("/stale/verify")
def bulk_verify():
    """Mark every ticked place as checked today."""
    ids = selected_ids()
    if not ids:
        raise ModerationError("Tick at least one place to mark as checked.")
    assets = db.session.query(Asset).filter(Asset.id.in_(ids)).order_by(Asset.id).all()
    for asset in assets:
        moderation.verify(asset)
    return done(f"Marked {len(assets)} place{'s' if len(assets) != 1 else ''} as checked today.")


def change_or_404(change_id: int) -> ChangeRequest:
    return db.session.get(ChangeRequest, change_id) or abort(404)


@bp.post("/changes/<int:change_id>/accept")
def accept_change(change_id: int):
    """Apply a suggested change to its place."""
    change = change_or_404(change_id)
    moderation.accept_change(change, current_user.email)
    return done(f"Applied the suggested change to {change.asset.name}.")


@bp.post("/changes/<int:change_id>/reject")
def reject_change(change_id: int):
    """Turn down a suggested change, leaving the place as it is."""
    change = change_or_404(change_id)
    moderation.reject_change(change, current_user.email, request.form.get("reason"))
    return done(f"Turned down the suggested change to {change.asset.name}.")
