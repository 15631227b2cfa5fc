"""The body of an import job's task: run the importer, then save the preview or the import.

The check is the importer's dry run: the same function, rolled back at the end. The import is the
same function committed together with the job's record and audit event, so either all of it lands
or none of it does.
"""

from __future__ import annotations

import os
import traceback
from contextvars import ContextVar
from pathlib import Path

import shapely
from sqlalchemy import func, select

from webmap.core.db import db
from webmap.core.models import Asset, ImportJob, Ward, utcnow
from webmap.importers import ImportFailed, ImportReport
from webmap.importers.common import milestone_listener, progress_listener, without_paths
from webmap.importers.problems import _, ngettext  # stored in English, shown translated (webmap/web/stored.py)
from webmap.imports.jobs import audit, remove_upload, write_progress
from webmap.imports.kinds import KINDS, ImportKind

# The name staff gave the file, for the problems this process reports.
_uploaded_name: ContextVar[str | None] = ContextVar("uploaded_name", default=None)
PREVIEW_POINTS = 2000
PREVIEW_WARDS = 1000


def run_job(job_id: int, phase: str, folder: Path) -> str:
    """Run one job's check or import to the end and return its new state."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise LookupError(f"there is no import #{job_id}")
    kind = KINDS[job.kind]
    path = folder / Path(job.filename).name
    source = kind.source_name(path, job.options)
    _uploaded_name.set(job.options.get("uploaded_name") or job.filename)
    token = progress_listener.set(lambda label, done, total: write_progress(job_id, label, done, total, folder))
    said = milestone_listener.set(lambda text: write_progress(job_id, text, 0, 0, folder, step=text))
    started = (
        _("Started the check; reading %(file)s", file=job.filename)
        if phase == "check"
        else _("Started the import; reading %(file)s", file=job.filename)
    )
    write_progress(job_id, _("Reading the file"), 0, 0, folder, step=started)
    finished = _("Finished")
    try:
        report = kind.run(path, job.options)
        if phase == "check":
            preview = _preview(kind, report, source)
            db.session.rollback()
            _finish(job_id, "checked", preview=preview)
            finished = _(
                "Check finished, nothing saved yet: read %(read)s; would add %(added)s, update %(updated)s, "
                "skip %(skipped)s; %(refused)s rows cannot be used",
                read=f"{report.read:,}",
                added=f"{report.imported:,}",
                updated=f"{report.updated:,}",
                skipped=f"{sum(report.skipped.values()):,}",
                refused=f"{report.refused_rows:,}",
            )
        else:
            changes = _changes(source, report) if source else None
            job = db.session.get(ImportJob, job_id)
            job.result, job.changes = _summary(report), changes
            job.state, job.running_kind, job.finished_at = "done", None, utcnow()
            audit(job, "import", _summary(report, problems=False))
            db.session.commit()
            write_progress(
                job_id,
                _("Updating the gap history"),
                1,
                1,
                folder,
                step=_(
                    "Saved: added %(added)s, updated %(updated)s",
                    added=f"{report.imported:,}",
                    updated=f"{report.updated:,}",
                ),
            )
            _snapshot(job.kind, job.options)
            finished = _(
                "Finished: read %(read)s, added %(added)s, updated %(updated)s, skipped %(skipped)s, "
                "refused %(refused)s",
                read=f"{report.read:,}",
                added=f"{report.imported:,}",
                updated=f"{report.updated:,}",
                skipped=f"{sum(report.skipped.values()):,}",
                refused=f"{report.refused_rows:,}",
            )
    except ImportFailed as failed:
        db.session.rollback()
        problems = staff_problems(failed.problems, path, job.options.get("uploaded_name") or job.filename)
        outcome = {"read": 0, "problems": problems, "refused": True}
        count = f"{len(problems):,}"
        finished = (
            ngettext(
                "Check finished: %(count)s problem found; nothing saved",
                "Check finished: %(count)s problems found; nothing saved",
                len(problems),
                count=count,
            )
            if phase == "check"
            else ngettext(
                "Stopped: the file has %(count)s problem; nothing was saved",
                "Stopped: the file has %(count)s problems; nothing was saved",
                len(problems),
                count=count,
            )
        )
        if phase == "check":
            _finish(job_id, "checked", preview=_with_skipping(kind, path, job_id, source, outcome))
        else:
            _finish(job_id, "failed", result=outcome, error=_("Nothing was imported: the file has problems."))
    except Exception as error:  # anything unexpected: say so on the page, keep the details in the log
        db.session.rollback()
        traceback.print_exc()
        _finish(
            job_id,
            "failed" if phase == "import" else "uploaded",
            error=_(
                "The import stopped with an unexpected error (%(error)s). Nothing from this file was saved.",
                error=type(error).__name__,
            )
            if phase == "import"
            else _(
                "The check stopped with an unexpected error (%(error)s). Nothing from this file was saved.",
                error=type(error).__name__,
            ),
        )
        finished = _("Stopped by an unexpected error; nothing was saved")
    finally:
        progress_listener.reset(token)
        milestone_listener.reset(said)
    job = db.session.get(ImportJob, job_id)
    # A failed import's file is kept for a retry, unless the file itself was refused.
    if job.state == "done" or (job.state == "failed" and (job.result or {}).get("refused")):
        remove_upload(job)
        db.session.commit()
    write_progress(job_id, _("Finished"), 1, 1, folder, step=finished)
    return job.state


def _snapshot(kind: str, options: dict) -> None:
    """Keep the gap table's history after an import, as the command line does."""
    from webmap.gaps.history import after_change
    from webmap.importers.needs import parse_round_date

    # A task of its own: the worker starts afresh after an import (imports/tasks.py), and the update
    # of a large import is a full refresh that would otherwise add its peak to what the import left.
    if kind == "needs" and options.get("round_name"):
        after_change("round", parse_round_date(options.get("round_date") or None), own_task=True)
    else:
        after_change("import", own_task=True)


def _with_skipping(kind: ImportKind, path: Path, job_id: int, source: str | None, refused: dict) -> dict:
    """After a refused check, say what skipping the unusable rows would import, when the kind can skip them."""
    job = db.session.get(ImportJob, job_id)
    if not kind.can_skip or job.options.get("skip_bad_rows") or not any(p[1] is not None for p in refused["problems"]):
        return refused
    try:
        report = kind.run(path, {**job.options, "skip_bad_rows": True})
        preview = _preview(kind, report, source)
    except ImportFailed:
        return refused  # the file has problems beyond single rows: skipping does not help
    finally:
        db.session.rollback()
    return {**preview, "problems": refused["problems"], "refused": True, "skipping_helps": True}


def _finish(job_id: int, state: str, **values) -> None:
    job = db.session.get(ImportJob, job_id)
    job.state, job.running_kind = state, None
    if state in ("done", "failed"):
        job.finished_at = utcnow()
    for name, value in values.items():
        setattr(job, name, value)
    if state == "failed":
        audit(job, "import failed", {"error": values.get("error")})
    db.session.commit()


def staff_problems(problems, path: Path, shown: str) -> list[list]:
    """Return problems as rows for staff: the file named as they uploaded it, and no server path in any reason."""

    def words(text: str) -> str:
        return without_paths(str(text).replace(str(path), shown)).replace(path.name, shown)

    return [
        [shown if p.file in (path.name, str(path)) else words(p.file), p.row, p.field, words(p.reason)]
        for p in problems
    ]


def _summary(report: ImportReport, problems: bool = True) -> dict:
    """Return the report as plain data for the job row and the audit trail."""
    out = {
        "read": report.read,
        "imported": report.imported,
        "updated": report.updated,
        "skipped": [[reason, n] for reason, n in report.skipped.most_common()],
        "notes": list(report.notes),
    }
    out["refused"] = report.refused_rows  # rows refused one by one, when skipping was chosen
    if problems and report.refused:
        path = Path(report.file)
        out["problems"] = staff_problems(report.refused, path, _uploaded_name.get() or path.name)
    return out


def _changes(source: str, report: ImportReport) -> dict:
    """Return what the import did to the places of its source: ids it created and earlier values it changed."""
    updated = {str(i): before for i, before in sorted(report.changed.items())}
    return {"source": source, "created": sorted(report.created), "updated": updated}


def _preview(kind: ImportKind, report: ImportReport, source: str | None) -> dict:
    """Return the dry run's summary and what would land where, before it is rolled back."""
    preview = _summary(report)
    preview["would_import"], preview["would_update"] = preview.pop("imported"), preview.pop("updated")
    if source:
        # The first points by id, and how many in all: a big file's places are never all held here.
        rows = db.session.execute(
            select(Asset.id, Asset.name, Asset.lat, Asset.lon, Asset.ward_code)
            .where(Asset.source == source)
            .order_by(Asset.id)
            .limit(PREVIEW_POINTS)
        ).all()
        added = set(report.created)
        preview["points"] = [[round(r.lat, 5), round(r.lon, 5), r.name, r.ward_code, r.id in added] for r in rows]
        preview["points_total"] = db.session.scalar(
            select(func.count()).select_from(Asset).where(Asset.source == source)
        )
    elif kind.key == "wards":
        rows = db.session.execute(
            select(Ward.code, Ward.name, Ward.geom).order_by(Ward.code).limit(PREVIEW_WARDS)
        ).all()
        preview["outlines"] = [
            [
                r.code,
                r.name,
                shapely.to_geojson(shapely.simplify(r.geom, 0.0005, preserve_topology=True).normalize(), indent=None),
            ]
            for r in rows
            if r.geom is not None
        ]
        preview["outlines_total"] = db.session.scalar(select(func.count()).select_from(Ward))
    return preview


def pid_line() -> str:
    """Return a line naming this process, for the worker's log."""
    return f"import in process {os.getpid()} started {utcnow():%Y-%m-%d %H:%M:%S} UTC"
