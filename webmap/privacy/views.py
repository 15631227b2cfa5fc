"""The public privacy notice, and staff pages to find, download and erase what is held about a person."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webmap.core.csvsafe import csv_text
from webmap.core.db import db
from webmap.council import area_name
from webmap.privacy.personal_data import erase, find
from webmap.privacy.register import FILES, NOT_STORED, REGISTER
from webmap.web.security import role_required

bp = Blueprint("privacy", __name__, template_folder="templates")


@bp.get("/privacy")
def notice():
    """Explain what personal data the site keeps, why, for how long, and whom to ask."""
    config = current_app.config
    # Written from the register of personal data, so the notice says exactly what is stored and for how long.
    holdings = [(h.notice, h.purpose, h.retention.describe(config)) for h in REGISTER if h.notice]
    holdings += [(f.notice, f.purpose, f.retention.describe(config)) for f in FILES if f.notice]
    return render_template(
        "privacy/notice.html",
        controller=config["PRIVACY_CONTROLLER"] or area_name(),
        contact=config["PRIVACY_CONTACT"],
        months=int(config["PERSONAL_DATA_RETENTION_MONTHS"]),
        holdings=holdings,
        not_stored=NOT_STORED.values(),
    )


def _lookup():
    """Return (query, holdings or None, error or None) from the posted search box."""
    query = (request.form.get("q") or "").strip()
    if not query:
        return query, None, _("Enter an email address or phone number.")
    try:
        return query, find(query), None
    except ValueError as error:
        return query, None, str(error)


@bp.route("/privacy/requests", methods=["GET", "POST"])
@role_required("moderator")
def requests():
    """Find everything held about an email address or phone number (searched by POST, so it stays out of logs)."""
    if request.method == "GET":
        return render_template("privacy/requests.html", query="", found=None, error=None)
    query, found, error = _lookup()
    return render_template("privacy/requests.html", query=query, found=found, error=error)


@bp.post("/privacy/requests/download")
@role_required("moderator")
def download():
    """Download everything held about a person, as JSON or CSV (a subject access response)."""
    query, found, error = _lookup()
    if error:
        flash(error, "error")
        return redirect(url_for("privacy.requests"))
    if request.form.get("format") == "csv":
        # The person's own text may start with "=": csv_text keeps a spreadsheet from running it.
        rows = (
            [
                kind,
                "" if record_id is None else record_id,
                name,
                value if isinstance(value, str) else json.dumps(value, default=str),
            ]
            for kind, record_id, name, value in found.as_rows()
        )
        body, mimetype, ext = csv_text(rows, header=["record", "id", "field", "value"]), "text/csv", "csv"
    else:
        body, mimetype, ext = json.dumps(found.as_dict(), indent=2, default=str), "application/json", "json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=personal-data.{ext}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/privacy/requests/erase")
@role_required("moderator")
def erase_view():
    """Erase everything held about a person; the audit trail records that it happened, not what it was."""
    query, found, error = _lookup()
    if error:
        flash(error, "error")
        return redirect(url_for("privacy.requests"))
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm the erasure."), "error")
        return render_template("privacy/requests.html", query=query, found=found, error=None)
    try:
        counts = erase(found, current_user.email, int(current_user.id))
    except ValueError as refused:
        db.session.rollback()
        return render_template("privacy/requests.html", query=query, found=found, error=str(refused))
    db.session.commit()
    held = ", ".join(
        _("%(count)s in %(table)s", count=n, table=table.replace("_", " ")) for table, n in counts.items() if n
    )
    flash(
        _("Erased everything held about %(query)s (%(held)s).", query=query, held=held or _("nothing left to change")),
        "success",
    )
    return redirect(url_for("privacy.requests"))
