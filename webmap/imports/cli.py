"""`flask --app webmap imports …`: run a browser import by hand, and list past imports."""

from __future__ import annotations

import os

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webmap.core.db import db
from webmap.core.models import ImportJob, utcnow


@click.group("imports")
def imports_group() -> None:
    """Browser imports: list them, or run one by hand (workers run them otherwise)."""


@imports_group.command("run")
@click.argument("job_id", type=int)
@click.argument("phase", type=click.Choice(["check", "import"]))
@with_appcontext
def run_command(job_id: int, phase: str) -> None:
    """Run a browser import's check or import here, to the end, instead of on a worker (by hand)."""
    from webmap.imports import jobs
    from webmap.imports.tasks import run_task

    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise click.ClickException(f"there is no import #{job_id}")
    job.state, job.running_kind, job.started_at = ("checking" if phase == "check" else "importing"), job.kind, utcnow()
    job.task_id = f"by hand in process {os.getpid()}"  # no queue task: pages leave it running
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise click.ClickException(jobs.busy_message(job.kind)) from exc
    try:
        run_task.call_local(job_id, phase)
    except Exception as exc:  # noqa: BLE001 - the job's own record says what went wrong
        raise click.ClickException(str(exc)) from exc
    click.echo(f"import #{job_id}: {db.session.get(ImportJob, job_id).state}")


@imports_group.command("list")
@with_appcontext
def list_command() -> None:
    """List browser imports, newest first, with their state and summary."""
    for job in db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(50)):
        result = job.result or {}
        click.echo(
            f"#{job.id} {job.created_at:%Y-%m-%d %H:%M} {job.kind} {job.filename} {job.state} by {job.actor}: "
            f"imported {result.get('imported', 0)}, updated {result.get('updated', 0)}"
        )
