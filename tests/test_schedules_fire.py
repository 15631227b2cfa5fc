"""The worker's own schedule fires: a real `flask worker` process, a cron line, and the task it runs.

Issue 23 item 2: the hourly digest, re-checks, the purge and follow-up erasure run on the worker's
schedule, each a setting. Here the purge's setting is "every minute"; the worker (SQLite queue, no
other service) must run it within the next minute boundary, recorded on the background work page's
table as a scheduled task that finished. A schedule set to "off" must not fire.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import select

from tests.conftest import BASE_CONFIG, REPO
from webmap.core.db import db
from webmap.core.models import BackgroundTask


def _worker(database_url: str, tmp_path, log, **schedules: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "WEBMAP_DATABASE_URL": database_url,
        "WEBMAP_INSTANCE_PATH": str(tmp_path / "worker"),
        "WEBMAP_SECRET_KEY": BASE_CONFIG["SECRET_KEY"],
        "WEBMAP_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.sqlite'}",
        **{f"WEBMAP_{k}": v for k, v in schedules.items()},
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "webmap", "worker"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def test_a_cron_line_runs_its_task_on_the_worker(make_app, tmp_path):
    app = make_app(QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite'}")
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed in finally, after the worker
    proc = _worker(
        app.config["DATABASE_URL"],
        tmp_path,
        log,
        SCHEDULE_PURGE="* * * * *",
        SCHEDULE_DIGEST="off",
        SCHEDULE_RECHECKS="off",
        SCHEDULE_FOLLOWUP_ERASURE="off",
    )
    try:
        deadline = time.monotonic() + 130  # the next minute boundary, with room for a slow start
        rows: list = []
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "worker.log").read_text()
            with app.app_context():
                rows = db.session.execute(
                    select(BackgroundTask.name, BackgroundTask.state, BackgroundTask.label, BackgroundTask.error)
                ).all()
                db.session.remove()
            if any(name == "privacy.purge@schedule" and state == "done" for name, state, _, _ in rows):
                break
            time.sleep(1)
        fired = [row for row in rows if row.name == "privacy.purge@schedule"]
        assert fired, f"the every-minute purge never ran; tasks seen: {rows}\n" + (tmp_path / "worker.log").read_text()
        assert fired[0].state == "done", fired[0].error
        assert "(scheduled)" in fired[0].label
        assert not any(name.startswith(("notify.digest", "notify.rechecks", "feedback.")) for name, _, _, _ in rows), (
            f"a schedule set to 'off' fired: {rows}"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_every_schedule_registers_its_task_from_its_setting(make_app, tmp_path):
    from webmap.core import queue

    app = make_app(QUEUE_URL=f"sqlite:///{tmp_path / 'queue.sqlite'}", SCHEDULE_DIGEST="off")
    said = queue._register_schedules(app)
    # The nightly settle keeps every ward's figures in the history (a change writes only the wards it touched).
    assert "SCHEDULE_GAP_HISTORY: 50 23 * * *" in said
    assert "gaps.settle@schedule" in queue.TASKS
    assert "SCHEDULE_DIGEST: off" in said
    assert {line.split(":")[0] for line in said} == {
        "SCHEDULE_DIGEST",
        "SCHEDULE_RECHECKS",
        "SCHEDULE_PURGE",
        "SCHEDULE_FOLLOWUP_ERASURE",
        "SCHEDULE_GAP_HISTORY",
    }
