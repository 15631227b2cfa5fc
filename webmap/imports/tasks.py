"""A browser import's check or import as a queue task: the upload comes from the database into a temporary folder."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from werkzeug.utils import secure_filename

from webmap.core import queue
from webmap.core.db import db
from webmap.core.models import ImportJob
from webmap.importers.problems import _  # stored in English, shown translated (webmap/web/stored.py)
from webmap.imports.jobs import RUNNING, upload_bytes
from webmap.imports.runner import pid_line, run_job

log = logging.getLogger(__name__)


# A worker that has read a file holds GDAL's libraries and a fragmented heap: it starts afresh after it.
@queue.task("imports.run", _("Browser import"), restart_after=True)
def run_task(job_id: int, phase: str) -> str:
    """Run one job's check or import to the end; say how it ended."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise queue.TaskFailed(_("There is no import #%(id)s.", id=job_id))
    if job.state not in RUNNING:
        return _("Import #%(id)s is %(state)s; nothing to do.", id=job_id, state=job.state)
    data = upload_bytes(job_id)
    if data is None:
        raise queue.TaskFailed(_("The file of import #%(id)s is no longer kept; upload it again.", id=job_id))
    log.info("%s: #%s %s", pid_line(), job_id, phase)
    with tempfile.TemporaryDirectory(prefix=f"webmap-import-{job_id}-") as folder:
        (Path(folder) / secure_filename(job.filename)).write_bytes(data)
        del data
        state = run_job(job_id, phase, Path(folder))
    job = db.session.get(ImportJob, job_id)
    if state == "failed" or (phase == "check" and state == "uploaded"):
        # The job's page says why; the task fails too, so the background work page shows it.
        raise queue.TaskFailed(job.error or _("Import #%(id)s %(state)s.", id=job_id, state=state))
    return _("Import #%(id)s: %(state)s.", id=job_id, state=state)
