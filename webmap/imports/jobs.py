"""Import jobs: keep the upload, run the check or the import in a separate process, report progress.

A job runs in its own process (`flask --app webmap imports run ID PHASE`), started and watched
by the app: a long import never ties up a web worker, any worker can show its progress (the
state is in the database, the progress in the instance folder), and a crash of the import
process leaves the database as it was, because the import commits once, at the end.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from webmap.core.csvsafe import csv_text
from webmap.core.db import db
from webmap.core.models import AuditEvent, ImportJob, utcnow
from webmap.imports.kinds import KINDS, ImportKind

RUNNING = ("checking", "importing")


class JobBusy(Exception):
    """Another job of the same kind is being checked or imported."""


class UploadRefused(ValueError):
    """The uploaded file cannot be taken (wrong type, empty, no name)."""


def job_dir(job_id: int) -> Path:
    """Return the folder that holds one job's upload and progress."""
    return Path(current_app.config.get("IMPORT_FOLDER") or Path(current_app.instance_path) / "imports") / str(int(job_id))


def upload_path(job: ImportJob) -> Path:
    """Return where the job's uploaded file is kept."""
    return job_dir(job.id) / secure_filename(job.filename)


def create_job(kind: ImportKind, upload: FileStorage, options: dict, actor: str, user_id: int | None) -> ImportJob:
    """Save an upload for a new job, with its checksum; refuse names the kind cannot read."""
    filename = secure_filename(upload.filename or "")
    if not filename:
        raise UploadRefused("Choose a file to upload.")
    if not filename.lower().endswith(kind.suffixes):
        raise UploadRefused(f"“{upload.filename}” is not a file {kind.label.lower()} can be read from: "
                            f"use {', '.join(kind.suffixes)}.")
    # The name as uploaded, for messages to staff; the file itself is kept under the safe name.
    options = {**options, "uploaded_name": _display_name(upload.filename or filename)}
    job = ImportJob(kind=kind.key, options=options, filename=filename[:255], sha256="", size_bytes=0, actor=actor,
                    user_id=user_id, state="uploaded")
    db.session.add(job)
    db.session.flush()
    folder = job_dir(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(folder / filename, "wb") as out:
        for chunk in iter(lambda: upload.stream.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size == 0:
        raise UploadRefused(f"“{upload.filename}” is empty.")
    job.sha256, job.size_bytes = digest.hexdigest(), size
    return job


def _display_name(name: str) -> str:
    """Return an uploaded file's own name, fit to show: no folders, no control characters, at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable())[:200] or "the file"


def start(job: ImportJob, phase: str) -> None:
    """Claim the job's kind and start its check or import in a new process; raise JobBusy if taken."""
    job.state = "checking" if phase == "check" else "importing"
    job.running_kind = job.kind
    job.started_at = utcnow()
    write_progress(job.id, "Starting the " + ("check" if phase == "check" else "import"), 0, 0, fresh=True,
                   step=f"{'Check' if phase == 'check' else 'Import'} asked for at {utcnow():%H:%M:%S} UTC; "
                        "starting the process that runs it")
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise JobBusy(busy_message(job.kind)) from exc
    _spawn(job.id, phase)


def busy_message(kind: str) -> str:
    """Say which job of this kind is running."""
    other = db.session.scalar(select(ImportJob).where(ImportJob.running_kind == kind))
    label = KINDS[kind].label.lower()
    if other is None:
        return f"Another import of {label} is running. Try again when it has finished."
    return (f"Import #{other.id} ({other.filename}, started by {other.actor}) of {label} is still running; "
            "two imports of the same kind never run at once. Try again when it has finished.")


def _spawn(job_id: int, phase: str) -> None:
    """Start the job process with this app's database and data settings; reap it when it ends."""
    config = current_app.config
    env = {**os.environ, "WEBMAP_DATABASE_URL": config["DATABASE_URL"], "WEBMAP_DATA_DIR": str(config["DATA_DIR"]),
           "WEBMAP_MAX_IMPORT_MB": str(config["MAX_IMPORT_MB"]),
           "WEBMAP_MAX_UNPACKED_MB": str(config["MAX_UNPACKED_MB"]), "WEBMAP_MAX_UNPACK_RATIO": str(config["MAX_UNPACK_RATIO"]), "WEBMAP_ACCESS_DISTANCE_M": str(config["ACCESS_DISTANCE_M"]),
           "WEBMAP_KEEP_UPLOADS": "1" if config.get("KEEP_UPLOADS") else "0",
           "WEBMAP_GAP_SNAPSHOTS": str(config.get("GAP_SNAPSHOTS", "background"))}
    folder = job_dir(job_id)
    log = open(folder / f"{phase}.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "webmap", "imports", "run", str(job_id), phase,
                                "--folder", str(folder)],
                               env=env, cwd=str(Path(current_app.root_path).parent), stdout=log, stderr=log,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    # Only waits, so the finished process does not linger as a zombie that still looks alive.
    threading.Thread(target=process.wait, daemon=True).start()
    db.session.execute(ImportJob.__table__.update().where(ImportJob.id == job_id).values(pid=process.pid))
    db.session.commit()


def write_progress(job_id: int, label: str, done: int, total: int, folder: Path | None = None,
                   step: str | None = None, fresh: bool = False) -> None:
    """Write how far the job has got (and, with `step`, a finished step), atomically, for any web worker to read.

    Only the job's own process writes while it runs, so reading the earlier steps back is safe;
    `fresh` starts a new list (a new check or import of the same upload).
    """
    folder = folder or job_dir(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    steps = [] if fresh else _read(folder / "progress.json").get("steps", [])
    if step:
        steps.append({"text": step, "at": time.time()})
    tmp = folder / "progress.json.tmp"
    tmp.write_text(json.dumps({"label": label, "done": done, "total": total, "at": time.time(), "steps": steps}))
    os.replace(tmp, folder / "progress.json")


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # not written yet, or being replaced at this moment: the next poll reads it


def read_progress(job: ImportJob) -> dict:
    """Return the job's state and progress as shown on its page and in status.json."""
    check_alive(job)
    info = {"id": job.id, "state": job.state, "label": "", "done": 0, "total": 0, "percent": 0, "steps": []}
    written = _read(job_dir(job.id) / "progress.json")
    if job.state in RUNNING:
        info.update(written)
    info["steps"] = [s["text"] for s in written.get("steps", [])]
    if job.state in ("checked", "done", "failed", "rolled back", "cancelled"):
        info["percent"] = 100
    elif info["total"]:
        info["percent"] = min(99, int(100 * info["done"] / info["total"]))
    info["finished"] = job.state not in RUNNING
    return info


def check_alive(job: ImportJob) -> None:
    """Mark a running job failed when its process has gone without a word (killed, machine restarted)."""
    if job.state not in RUNNING or not job.pid:
        return
    try:
        os.kill(job.pid, 0)
        return
    except ProcessLookupError:
        pass
    except PermissionError:
        return
    db.session.refresh(job)
    if job.state in RUNNING:
        importing = job.state == "importing"
        job.state = "failed" if importing else "uploaded"
        job.error = "The import process stopped before it finished. Nothing from this file was saved."
        job.running_kind, job.finished_at = None, utcnow()
        if importing:  # as a failure the process reports itself is recorded (runner._finish)
            audit(job, "import failed", {"error": job.error})
        db.session.commit()


def problems_csv(job: ImportJob) -> str:
    """Return every problem the check or import found, one row each, as CSV text."""
    problems = (job.result or {}).get("problems") or (job.preview or {}).get("problems") or []
    return csv_text(problems, header=["file", "row", "field", "reason"])


def audit(job: ImportJob, action: str, after: dict, actor: str | None = None, user_id: int | None = None) -> None:
    """Record what happened to a job in the audit trail (by default as its importer), with file and checksum."""
    db.session.add(AuditEvent(actor=actor or job.actor, user_id=user_id if actor else job.user_id, action=action, entity_type="import",
                              entity_id=str(job.id), after={"file": job.filename, "sha256": job.sha256,
                                                            "kind": job.kind, **after}))


def remove_upload(job: ImportJob) -> None:
    """Delete the job's uploaded file unless settings say to keep uploads."""
    if current_app.config.get("KEEP_UPLOADS"):
        return
    path = upload_path(job)
    if path.exists():
        path.unlink()
