"""Import jobs: keep the upload, run the check or the import as a queue task, report progress.

A job runs as an `imports.run` task on a worker (webmap/imports/tasks.py): a long import never
ties up a web worker; the upload is in the database and the progress in the queue's store, so any
server shows, cancels or retries it; and a worker killed mid-import leaves the database as it
was, because the import commits once, at the end.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from webmap.core import queue
from webmap.core.csvsafe import csv_text
from webmap.core.db import db
from webmap.core.models import AuditEvent, BackgroundTask, ImportJob, ImportUpload, utcnow
from webmap.importers.problems import _  # stored in English, shown translated (webmap/web/stored.py)
from webmap.imports.kinds import KINDS, ImportKind

RUNNING = ("checking", "importing")


class JobBusy(Exception):
    """Another job of the same kind is being checked or imported."""


class UploadRefused(ValueError):
    """The uploaded file cannot be taken (wrong type, empty, no name)."""


def progress_key(job_id: int) -> str:
    """Name the job's progress in the queue's store (kept per database, as job ids are)."""
    return f"import-progress:{db.engine.url.render_as_string(hide_password=True)}:{int(job_id)}"


def create_job(kind: ImportKind, upload: FileStorage, options: dict, actor: str, user_id: int | None) -> ImportJob:
    """Keep an upload for a new job in the database, with its checksum; refuse names the kind cannot read."""
    filename = secure_filename(upload.filename or "")
    if not filename:
        raise UploadRefused(gettext("Choose a file to upload."))
    if not filename.lower().endswith(kind.suffixes):
        raise UploadRefused(
            gettext(
                "“%(name)s” is not a file %(what)s can be read from: use %(types)s.",
                name=upload.filename,
                what=kind.label.lower(),
                types=", ".join(kind.suffixes),
            )
        )
    # The name as uploaded, for messages to staff; the file itself is kept under the safe name.
    options = {**options, "uploaded_name": _display_name(upload.filename or filename)}
    # MAX_UPLOAD_MB (Flask's MAX_CONTENT_LENGTH) bounds what is read here.
    data = upload.stream.read()
    upload.close()  # a big upload is spooled to a temporary file: free it now that its bytes are read
    if not data:
        raise UploadRefused(gettext("“%(name)s” is empty.", name=upload.filename))
    job = ImportJob(
        kind=kind.key,
        options=options,
        filename=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        actor=actor,
        user_id=user_id,
        state="uploaded",
    )
    db.session.add(job)
    db.session.flush()
    db.session.add(ImportUpload(job_id=job.id, data=data))
    return job


def upload_path(job: ImportJob) -> Path:
    """Return the upload's name as a path (the bytes are in the database; see upload_bytes)."""
    return Path(secure_filename(job.filename))


def upload_bytes(job_id: int) -> bytes | None:
    """Return the job's uploaded file, or None once it has been removed."""
    return db.session.scalar(select(ImportUpload.data).where(ImportUpload.job_id == job_id))


def _display_name(name: str) -> str:
    """Return an uploaded file's own name, fit to show: no folders, no control characters, at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:200] or "the file"


def start(job: ImportJob, phase: str) -> None:
    """Claim the job's kind and queue its check or import for a worker; raise JobBusy if taken."""
    job.state = "checking" if phase == "check" else "importing"
    job.running_kind = job.kind
    job.started_at, job.finished_at, job.error = utcnow(), None, None
    job.task_id = queue.new_id()
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise JobBusy(busy_message(job.kind)) from exc
    asked = f"{utcnow():%H:%M:%S}"
    write_progress(
        job.id,
        _("Waiting for a worker"),
        0,
        0,
        fresh=True,
        step=_("Check asked for at %(time)s UTC; waiting for a worker to take it", time=asked)
        if phase == "check"
        else _("Import asked for at %(time)s UTC; waiting for a worker to take it", time=asked),
    )
    # By name: the task (webmap/imports/tasks.py) runs this module's functions.
    queue.enqueue(
        "imports.run",
        job.id,
        phase,
        task_id=job.task_id,
        label=_("Check #%(id)s: %(file)s", id=job.id, file=job.filename)
        if phase == "check"
        else _("Import #%(id)s: %(file)s", id=job.id, file=job.filename),
    )


def busy_message(kind: str) -> str:
    """Say which job of this kind is running."""
    other = db.session.scalar(select(ImportJob).where(ImportJob.running_kind == kind))
    label = KINDS[kind].label.lower()
    if other is None:
        return gettext("Another import of %(what)s is running. Try again when it has finished.", what=label)
    return gettext(
        "Import #%(id)s (%(file)s, started by %(actor)s) of %(what)s is still running; "
        "two imports of the same kind never run at once. Try again when it has finished.",
        id=other.id,
        file=other.filename,
        actor=other.actor,
        what=label,
    )


def write_progress(
    job_id: int,
    label: str,
    done: int,
    total: int,
    folder: Path | None = None,
    step: str | None = None,
    fresh: bool = False,
) -> None:
    """Note how far the job has got (and, with `step`, a finished step) in the queue's store, for any server to read.

    Only the job's own task writes while it runs, so reading the earlier steps back is safe;
    `fresh` starts a new list (a new check or import of the same upload). `folder` is unused.
    """
    steps = [] if fresh else list((queue.peek(progress_key(job_id)) or {}).get("steps", []))
    if step:
        steps.append({"text": step, "at": time.time()})
    queue.put(progress_key(job_id), {"label": label, "done": done, "total": total, "at": time.time(), "steps": steps})


def read_progress(job: ImportJob) -> dict:
    """Return the job's state and progress as shown on its page and in status.json."""
    check_alive(job)
    info = {"id": job.id, "state": job.state, "label": "", "done": 0, "total": 0, "percent": 0, "steps": []}
    written = queue.peek(progress_key(job.id)) or {}
    if job.state in RUNNING:
        info.update(written)
    info["steps"] = [s["text"] for s in written.get("steps", [])]
    if job.state in ("checked", "done", "failed", "rolled back", "cancelled"):
        info["percent"] = 100
    elif info["total"]:
        info["percent"] = min(99, int(100 * info["done"] / info["total"]))
    info["finished"] = job.state not in RUNNING
    info["error"] = job.error
    return info


def check_alive(job: ImportJob) -> None:
    """Mark a running job failed when its task has failed without a word (worker killed, machine restarted)."""
    if job.state not in RUNNING:
        return
    if job.task_id:
        queue.sweep_lost()
        task = db.session.get(BackgroundTask, job.task_id)
        if task is None or task.state != "failed":
            return  # queued, running, or run by hand from the command line
        why = task.error
    else:
        why = _("it was started by a version of the site without the task queue.")
    db.session.refresh(job)
    if job.state in RUNNING:
        phase = "import" if job.state == "importing" else "check"
        job.state = "failed" if phase == "import" else "uploaded"
        job.error = (
            _(
                "The import stopped before it finished: %(why)s Nothing from this file was saved; "
                "retry the import to run it again.",
                why=why,
            )
            if phase == "import"
            else _(
                "The check stopped before it finished: %(why)s Nothing from this file was saved; "
                "check it again to run it again.",
                why=why,
            )
        )
        job.running_kind, job.finished_at = None, utcnow()
        if phase == "import":
            audit(job, "import failed", {"error": job.error})
        db.session.commit()


def problems_csv(job: ImportJob) -> str:
    """Return every problem the check or import found, one row each, as CSV text."""
    problems = (job.result or {}).get("problems") or (job.preview or {}).get("problems") or []
    return csv_text(problems, header=["file", "row", "field", "reason"])


def audit(job: ImportJob, action: str, after: dict, actor: str | None = None, user_id: int | None = None) -> None:
    """Record what happened to a job in the audit trail (by default as its importer), with file and checksum."""
    db.session.add(
        AuditEvent(
            actor=actor or job.actor,
            user_id=user_id if actor else job.user_id,
            action=action,
            entity_type="import",
            entity_id=str(job.id),
            after={"file": job.filename, "sha256": job.sha256, "kind": job.kind, **after},
        )
    )


def remove_upload(job: ImportJob) -> None:
    """Delete the job's uploaded file unless settings say to keep uploads (the caller commits)."""
    if current_app.config.get("KEEP_UPLOADS"):
        return
    db.session.execute(ImportUpload.__table__.delete().where(ImportUpload.job_id == job.id))
