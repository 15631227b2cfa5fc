"""`flask --app webmap imports …`: run a browser import's job process, and list past imports."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import ImportJob


@click.group("imports")
def imports_group() -> None:
    """Browser imports: list them, or run one's job (the app starts that itself)."""


@imports_group.command("run")
@click.argument("job_id", type=int)
@click.argument("phase", type=click.Choice(["check", "import"]))
@click.option("--folder", required=True, type=click.Path(file_okay=False, exists=True),
              help="The job's folder (upload and progress).")
@with_appcontext
def run_command(job_id: int, phase: str, folder: str) -> None:
    """Run a browser import's check or import to the end (started by the app)."""
    from webmap.imports.runner import pid_line, run_job

    click.echo(pid_line())
    try:
        state = run_job(job_id, phase, Path(folder))
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"import #{job_id}: {state}")


@imports_group.command("list")
@with_appcontext
def list_command() -> None:
    """List browser imports, newest first, with their state and summary."""
    for job in db.session.scalars(select(ImportJob).order_by(ImportJob.id.desc()).limit(50)):
        result = job.result or {}
        click.echo(f"#{job.id} {job.created_at:%Y-%m-%d %H:%M} {job.kind} {job.filename} {job.state} by {job.actor}: "
                   f"imported {result.get('imported', 0)}, updated {result.get('updated', 0)}")
