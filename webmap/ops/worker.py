"""`flask worker` (the queue's worker, for production) and `flask dev` (the dev server with a worker thread beside it)."""

from __future__ import annotations

import os
import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from webmap.core import memory, queue
from webmap.core.db import db


@click.command("worker")
@click.option("--threads", default=1, show_default=True, help="Tasks this process runs at once.")
@click.option("--no-schedule", is_flag=True, help="Do not run the schedules here (run them on one worker only).")
@with_appcontext
def worker_command(threads: int, no_schedule: bool) -> None:
    """Take tasks from the queue (QUEUE_URL) and run them, and the schedules, until stopped."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    memory.map_large_allocations()
    consumer, stop = queue.start_worker(app, threads=threads, schedule=not no_schedule)
    click.echo(
        f"Worker {queue.worker_id()} taking tasks from {queue.huey.storage_class.__name__} "
        f"({threads} thread{'s' if threads != 1 else ''}); Ctrl-C stops it."
    )
    try:
        consumer.run()
        why = queue.restart_reason()
        if why:
            # A task asked for a new process: wait (still saying it is alive) for every task thread to
            # finish and record its task, then become a new process with the same id (the same worker
            # name, the same place under systemd or a supervisor).
            consumer.stop(graceful=True)
    finally:
        stop.set()
    if why:
        click.echo(f"Worker {queue.worker_id()} starts again: {why}.")
        db.engine.dispose()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, sys.orig_argv)


@click.command("dev")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@with_appcontext
def dev_command(host: str, port: int) -> None:
    """Serve the site for development with a worker thread beside it, on the embedded SQLite queue."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    consumer, stop = queue.start_worker(app, threads=1, schedule=True, embedded=True)
    consumer.start()
    click.echo(
        f"Background work: a worker thread on {queue.huey.storage_class.__name__} (the jobs page is /admin/background)."
    )
    try:
        # Werkzeug's server directly: Flask's app.run() refuses to start under the `flask` command.
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        stop.set()
        consumer.stop(graceful=True)


COMMANDS = [worker_command, dev_command]
