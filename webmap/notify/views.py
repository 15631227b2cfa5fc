"""Pages behind emailed links: confirm a listing is still right, and stop a kind of email."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from webmap.core.db import db
from webmap.core.models import Asset, User
from webmap.notify.links import read_token
from webmap.notify.recheck import asset_for_token, confirm_still_correct
from webmap.web.security import csrf

bp = Blueprint("notify", __name__, template_folder="templates")

STOP_WHAT = {
    "digest": _l("the moderators' digest"),
    "updates": _l("emails about the place you added"),
    "recheck": _l("requests to check this listing"),
}


@bp.route("/listing-check/<token>", methods=["GET", "POST"])
def recheck(token: str):
    """Let a listing's contact say it is still correct, or go on to report a change."""
    asset = asset_for_token(token)
    if asset is None:
        return render_template("notify/link_expired.html"), 404
    if request.method == "POST":
        if request.form.get("answer") == "changed":
            return redirect(url_for("assets.report", asset_id=asset.id))
        confirm_still_correct(asset)
        db.session.commit()
        return render_template("notify/recheck_done.html", asset=asset)
    return render_template("notify/recheck.html", asset=asset, token=token)


def _stop(kind: str, subject_id) -> str | None:
    """Turn one kind of email off; return what was stopped, or None if there is nothing to stop."""
    if kind == "digest":
        user = db.session.get(User, subject_id)
        if user is None:
            return None
        user.wants_digest = False
    elif kind in ("updates", "recheck"):
        asset = db.session.get(Asset, subject_id)
        if asset is None:
            return None
        if kind == "updates":
            asset.submitter_wants_updates = False
        else:
            asset.recheck_opt_out = True
    else:
        return None
    db.session.commit()
    return str(STOP_WHAT[kind])


@bp.route("/mail/stop/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the proof; mail clients' one-click unsubscribe posts without a form
def stop(token: str):
    """Stop a kind of email: GET asks to confirm (link scanners follow links), POST does it."""
    payload = read_token("stop", token, max_days=3650)
    if not isinstance(payload, dict) or payload.get("kind") not in STOP_WHAT:
        return render_template("notify/link_expired.html"), 404
    if request.method == "GET":
        return render_template("notify/stop.html", what=str(STOP_WHAT[payload["kind"]]), token=token)
    what = _stop(payload["kind"], payload.get("id"))
    if what is None:
        abort(404)
    return render_template("notify/stopped.html", what=what)
