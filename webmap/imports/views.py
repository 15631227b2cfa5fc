"""The "Import data" pages: choose what the file is, upload, check, confirm, watch, look back, roll back."""

from __future__ import annotations

import json

import folium
import shapely
from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import BackgroundTask, ImportJob, User
from webmap.imports import jobs, rollback
from webmap.imports.kinds import KINDS, clean_options
from webmap.maps import new_map, render_parts
from webmap.maps.layers import safe_text
from webmap.web.security import login_manager
from webmap.web.stored import IMPORTS, InWords, said

bp = Blueprint("imports", __name__, url_prefix="/imports", template_folder="templates")

# A job's state as staff read it (the state itself is stored as the English word).
STATE_WORDS = {
    "uploaded": _l("uploaded"),
    "checking": _l("checking"),
    "checked": _l("checked"),
    "importing": _l("importing"),
    "done": _l("done"),
    "failed": _l("failed"),
    "rolled back": _l("rolled back"),
    "cancelled": _l("cancelled"),
}


@bp.context_processor
def _wording() -> dict:
    """Give the import pages what they need to show stored English in the reader's language."""
    return {"said": said, "state_words": STATE_WORDS}


def may_import() -> bool:
    """Say whether the signed-in person may use the import pages (admins, and moderators an admin allowed)."""
    if not current_user.is_authenticated:
        return False
    if current_user.role == "admin":
        return True
    user = db.session.get(User, int(current_user.id))
    return bool(user and user.can_import)


@bp.before_request
def importers_only():
    """Let only admins, and moderators an admin allowed, use any page here."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not may_import():
        abort(403, _("Importing data is for admins, and for moderators an admin has allowed to import."))
    return None


def _job(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id) if 0 < job_id < 2**31 else None
    if job is None:
        abort(404)
    return job


@bp.get("/")
def index():
    """List past imports with their summaries, newest first."""
    history = db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(100)).all()
    for job in history:
        jobs.check_alive(job)
    tasks = db.session.scalars(
        select(BackgroundTask)
        .where(BackgroundTask.name == "imports.run")
        .order_by(BackgroundTask.queued_at.desc())
        .limit(30)
    ).all()
    tasks = [InWords(task, IMPORTS) for task in tasks]
    moderators = []
    if current_user.role == "admin":
        moderators = db.session.scalars(select(User).where(User.role == "moderator").order_by(User.email)).all()
    return render_template(
        "imports/index.html", history=history, kinds=KINDS, moderators=moderators, tasks=tasks, title=_("Import data")
    )


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Show the upload form for one kind of file; on upload, save it and start its check."""
    kind = KINDS.get(request.values.get("kind", ""))
    if kind is None:
        return render_template("imports/choose.html", kinds=KINDS, title=_("Import data: what is the file?"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            options = clean_options(kind, request.form)
        except ValueError as exc:
            errors["options"] = str(exc)  # in the reader's language: kinds.clean_options
            options = {}
        if upload is None or not upload.filename:
            errors["file"] = _("Choose a file to upload.")
        if not errors:
            try:
                job = jobs.create_job(kind, upload, options, current_user.email, int(current_user.id))
            except jobs.UploadRefused as exc:
                db.session.rollback()
                errors["file"] = str(exc)
            else:
                jobs.audit(job, "import uploaded", {"options": options, "size_bytes": job.size_bytes})
                db.session.commit()
                return _start(job, "check")
    limit = current_app.config["MAX_UPLOAD_MB"]
    return render_template(
        "imports/new.html",
        kind=kind,
        errors=errors,
        values=request.form,
        limit_mb=limit,
        title=_("Import %(what)s", what=kind.label.lower()),
    ), (400 if errors else 200)


@bp.get("/<int:job_id>")
def show(job_id: int):
    """Show one import: its progress while it runs, the check's preview, or what it did."""
    job = _job(job_id)
    status = jobs.read_progress(job)
    preview = job.preview or {}
    parts = (
        _preview_map(preview) if job.state == "checked" and (preview.get("points") or preview.get("outlines")) else None
    )
    kind = KINDS[job.kind]
    source = (job.changes or {}).get("source") or (
        kind.source_name(jobs.upload_path(job), job.options)
        if job.state in ("uploaded", "checking", "checked", "importing")
        else None
    )
    return render_template(
        "imports/job.html",
        job=job,
        kind=kind,
        status=status,
        preview=preview,
        source=source,
        map=parts,
        can_retry=_can_retry(job),
        rollback_refusal=rollback.why_not(job) if job.state in ("done", "rolled back") else None,
        title=_("Import #%(id)s: %(file)s", id=job.id, file=job.filename),
    )


def _can_retry(job: ImportJob) -> bool:
    """Say whether a failed import can run again: its file was not refused and is still kept."""
    return job.state == "failed" and not (job.result or {}).get("refused") and jobs.upload_bytes(job.id) is not None


@bp.get("/<int:job_id>/status.json")
def status(job_id: int):
    """Return the import's state and progress, for the progress bar."""
    info = jobs.read_progress(_job(job_id))
    # The words in the reader's language; the keys and the state stay as they are.
    info["label"], info["error"] = said(info["label"]), said(info["error"])
    info["steps"] = [said(text) for text in info["steps"]]
    return jsonify(info)


@bp.get("/<int:job_id>/problems.csv")
def problems(job_id: int):
    """Download every problem the check or import found, with file, row, field and reason."""
    job = _job(job_id)
    return Response(
        jobs.problems_csv(job),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-problems.csv"'},
    )


def _start(job: ImportJob, phase: str):
    try:
        jobs.start(job, phase)
    except jobs.JobBusy as exc:
        flash(str(exc))  # in the reader's language: jobs.busy_message
    return redirect(url_for(".show", job_id=job.id))


@bp.post("/<int:job_id>/check")
def check(job_id: int):
    """Start (again) the check of an uploaded file."""
    job = _job(job_id)
    if job.state != "uploaded":
        abort(409, _("This file has been checked already."))
    return _start(job, "check")


@bp.post("/<int:job_id>/confirm")
def confirm(job_id: int):
    """Start the import of a checked file."""
    job = _job(job_id)
    preview = job.preview or {}
    skip = request.form.get("skip_bad_rows") == "1"
    if job.state != "checked" or (preview.get("refused") and not (skip and preview.get("skipping_helps"))):
        abort(409, _("This file cannot be imported as it is: see the problems the check found."))
    if skip:
        job.options = {**job.options, "skip_bad_rows": True}
    jobs.audit(
        job, "import confirmed", {"options": job.options}, actor=current_user.email, user_id=int(current_user.id)
    )
    return _start(job, "import")


@bp.post("/<int:job_id>/cancel")
def cancel(job_id: int):
    """Drop a checked file without importing it."""
    job = _job(job_id)
    if job.state not in ("checked", "uploaded"):
        abort(409, _("Only a file that has not been imported can be cancelled."))
    job.state = "cancelled"
    jobs.remove_upload(job)
    jobs.audit(job, "import cancelled", {}, actor=current_user.email, user_id=int(current_user.id))
    db.session.commit()
    flash(_("Import #%(id)s cancelled; the file was not imported.", id=job.id))
    return redirect(url_for(".index"))


@bp.post("/<int:job_id>/retry")
def retry(job_id: int):
    """Run a failed import again from its kept file (after a worker stopped, or an unexpected error)."""
    job = _job(job_id)
    if not _can_retry(job):
        abort(
            409,
            _("Only an import that stopped without a problem in its file, and whose file is kept, can be retried."),
        )
    jobs.audit(job, "import retried", {"error": job.error}, actor=current_user.email, user_id=int(current_user.id))
    return _start(job, "import")


@bp.get("/<int:job_id>/rollback")
def confirm_rollback(job_id: int):
    """Show, place by place, what rolling the import back would archive, add back and restore; ask to confirm."""
    job = _job(job_id)
    refusal = rollback.why_not(job)
    return render_template(
        "imports/rollback.html",
        job=job,
        kind=KINDS[job.kind],
        refusal=refusal,
        plan=None if refusal else rollback.plan(job),
        title=_("Roll back import #%(id)s?", id=job.id),
    )


@bp.post("/<int:job_id>/rollback")
def undo(job_id: int):
    """Roll back a finished places import, when nothing later depends on it (confirmed on the page before)."""
    job = _job(job_id)
    try:
        counts = rollback.roll_back(job)
    except ValueError as exc:
        abort(409, str(exc))
    rollback.record_rollback(job, counts, current_user.email, int(current_user.id))
    db.session.commit()
    flash(
        _(
            "Import #%(id)s rolled back: %(archived)s archived, %(restored)s put back as they were.",
            id=job.id,
            archived=_places(counts["archived"]),
            restored=_places(counts["restored"]),
        )
    )
    return redirect(url_for(".show", job_id=job.id))


def _places(n: int) -> str:
    return ngettext("%(count)s place", "%(count)s places", n, count=f"{n:,}")


@bp.post("/access")
def access():
    """Let an admin allow or stop a moderator importing data."""
    if current_user.role != "admin":
        abort(403, _("Only an admin can decide who may import data."))
    user = db.session.get(User, request.form.get("user_id", type=int) or 0)
    if user is None or user.role != "moderator":
        abort(404)
    allow = request.form.get("allow") == "1"
    before = user.can_import
    user.can_import = allow
    from webmap.core.audit import record

    record("import permission", "user", user.id, {"can_import": before}, {"can_import": allow})
    db.session.commit()
    flash(
        _("%(email)s may now import data.", email=user.email)
        if allow
        else _("%(email)s may no longer import data.", email=user.email)
    )
    return redirect(url_for(".index"))


def _preview_map(preview: dict):
    """Return a small map of what would land where: new places, updated ones, and any outside every ward."""
    points, outlines = preview.get("points") or [], preview.get("outlines") or []
    m = new_map(None, current_app.config["TILES_URL"], current_app.config["TILES_ATTRIBUTION"], height="360px")
    bounds = []
    if outlines:
        features = [
            {"type": "Feature", "properties": {"name": safe_text(f"{name} ({code})")}, "geometry": json.loads(geo)}
            for code, name, geo in outlines
        ]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=_("Wards"),
            tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=[_("Ward")]),
        ).add_to(m)
        for _code, _name, geo in outlines:
            minx, miny, maxx, maxy = shapely.from_geojson(geo).bounds
            bounds += [(miny, minx), (maxy, maxx)]
    for lat, lon, name, ward, is_new in points:
        outside = not ward
        folium.CircleMarker(
            [lat, lon],
            radius=5,
            weight=1,
            color="#b10e1e" if outside else "#1d4f91",
            fill=True,
            fill_opacity=0.9 if is_new else 0.4,
            tooltip=safe_text(_("%(name)s: %(ward)s", name=name, ward=_("outside every ward") if outside else ward)),
        ).add_to(m)
        bounds.append((lat, lon))
    if bounds:
        lats, lons = [b[0] for b in bounds], [b[1] for b in bounds]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    return render_parts(m)
