"""/admin/background: every task on the queue, queued, running, failed or finished, with times and reasons."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from webmap.core import english, queue
from webmap.core.db import db
from webmap.core.models import BackgroundTask
from webmap.ops.health import bp
from webmap.web.security import role_required
from webmap.web.stored import TASKS, InWords, said

STATES = ("queued", "running", "retrying", "failed", "cancelled", "done", "skipped")
# Each state in words, for the page (the stored value stays English).
STATE_WORDS = {
    "queued": _l("queued"),
    "running": _l("running"),
    "retrying": _l("retrying"),
    "failed": _l("failed"),
    "cancelled": _l("cancelled"),
    "done": _l("done"),
    "skipped": _l("skipped"),
}
# Tasks an admin may run again from this page with their kept arguments (no personal data in them).
RETRYABLE = {
    "gaps.refresh",
    "gaps.snapshot",
    "notify.digest",
    "notify.rechecks",
    "privacy.purge",
    "feedback.erase_followups",
}


@bp.get("/admin/background")
@role_required("admin")
def background():
    """List the latest tasks, newest first, optionally of one state, with counts per state."""
    queue.sweep_lost()
    state = request.args.get("state", "")
    query = select(BackgroundTask).order_by(BackgroundTask.queued_at.desc()).limit(200)
    if state in STATES:
        query = query.where(BackgroundTask.state == state)
    counts = dict(db.session.execute(select(BackgroundTask.state, func.count()).group_by(BackgroundTask.state)).all())
    return render_template(
        "ops/background.html",
        tasks=[InWords(task) for task in db.session.scalars(query)],
        counts=counts,
        states=STATES,
        state=state,
        retryable=RETRYABLE,
        state_words=STATE_WORDS,
        title=_("Background work"),
    )


@bp.post("/admin/background/<task_id>/retry")
@role_required("admin")
def retry(task_id: str):
    """Queue a failed task again with the same arguments."""
    task = db.session.get(BackgroundTask, task_id)
    if task is None:
        abort(404)
    if (
        task.state not in ("failed", "cancelled")
        or task.name.removesuffix("@schedule") not in RETRYABLE
        or task.args is None
    ):
        abort(
            409,
            _(
                "Only a failed refresh, snapshot or scheduled job can be run again here; "
                "an import is retried from its own page."
            ),
        )
    name = task.name.removesuffix("@schedule")
    queue.enqueue(
        name,
        *task.args,
        label=english._("%(label)s (again, asked by %(who)s)", label=task.label, who=current_user.email),
    )
    flash(_("“%(task)s” queued again.", task=said(task.label, TASKS)))
    return redirect(url_for(".background"))


@bp.post("/admin/background/<task_id>/cancel")
@role_required("admin")
def cancel(task_id: str):
    """Cancel a task that is waiting, so no worker runs it."""
    task = db.session.get(BackgroundTask, task_id)
    if task is None:
        abort(404)
    if task.name.startswith("imports."):
        abort(409, _("An import is cancelled from its own page."))
    if not queue.cancel(task_id, current_user.email):
        abort(409, _("Only a task that is still waiting can be cancelled; this one has started or ended."))
    flash(_("“%(task)s” cancelled: no worker will run it.", task=said(task.label, TASKS)))
    return redirect(url_for(".background"))
