"""Acceptance (issue 23): background work on the real queue (Redis), taken by real worker processes.

Two app servers (separate instance folders, one database, one queue) and `flask worker` processes:
an import started on A shows its progress on B and completes once, even after its worker is killed
with SIGKILL mid-import and the import is retried; two workers never run two refreshes or two imports
of one kind at once; emails are delivered by the worker to a real SMTP server (aiosmtpd), and with
the server stopped they are retried and then shown failed while the web request answered at once.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
import shapely
from sqlalchemy import func, select

from tests.conftest import BASE_CONFIG, REPO, csrf_token, empty_database, login, make_staff
from tests.dump_helpers import database_dump, without_rows_of
from webmap import create_app
from webmap.core import queue
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, BackgroundTask, ImportJob, Need, Ward

# Werkzeug's test client spools a multi-megabyte upload to a temporary file it leaves to the garbage collector.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def _redis_url() -> str:
    """Return the test Redis database: WEBMAP_TEST_REDIS_URL (default number 9), one number lower per xdist worker."""
    base = os.environ.get("WEBMAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    prefix, _, number = base.rpartition("/")
    return f"{prefix}/{max(0, int(number or 0) - int(worker.removeprefix('gw') or 0))}"


REDIS_URL = _redis_url()
SOURCE = "acceptance"
SETTINGS = {
    "QUEUE_URL": REDIS_URL,
    "WORKER_HEARTBEAT_S": 0.5,
    "WORKER_LOST_AFTER_S": 3,
    "MAIL_RETRIES": 1,
    "MAIL_RETRY_DELAY_S": 1,
    "MAIL_FROM": "map@example.gov.uk",
}


@pytest.fixture
def redis_queue():
    """The test Redis database, emptied; CI starts redis-server (.ci/run), so there it must answer."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL} (apt-get install redis-server; .ci/run starts it)")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


class Site:
    """Two app servers on one database and queue, and the worker processes they share."""

    def __init__(self, database_url: str, tmp_path: Path, **settings):
        self.database_url, self.tmp_path, self.settings = database_url, tmp_path, {**SETTINGS, **settings}
        self.a = self._server("a")
        self.b = self._server("b")
        self.workers: list[subprocess.Popen] = []

    def _server(self, name: str):
        return create_app(
            {**BASE_CONFIG, "DATABASE_URL": self.database_url, **self.settings},
            instance_path=str(self.tmp_path / f"server-{name}"),
        )

    def start_worker(self, **settings) -> subprocess.Popen:
        """Start `flask worker` in a process of its own (`settings` its own); return once it says it is alive."""
        folder = self.tmp_path / f"worker-{len(self.workers)}"
        folder.mkdir()
        env = {
            **os.environ,
            "WEBMAP_DATABASE_URL": self.database_url,
            "WEBMAP_INSTANCE_PATH": str(folder),
            "WEBMAP_SECRET_KEY": BASE_CONFIG["SECRET_KEY"],
            "WEBMAP_GAP_SNAPSHOTS": "off",
            "WEBMAP_REFRESH": "inline",
            **{f"WEBMAP_{k}": str(v) for k, v in {**self.settings, **settings}.items()},
        }
        with open(folder / "worker.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "webmap", "worker", "--no-schedule"],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.workers.append(proc)
        name = f"{socket.gethostname()}:{proc.pid}"
        deadline = time.monotonic() + 60
        with self.a.app_context():
            while queue.peek(queue.heartbeat_key(name)) is None:
                assert proc.poll() is None, (folder / "worker.log").read_text()
                assert time.monotonic() < deadline, "the worker did not start"
                time.sleep(0.1)
        proc.worker_name = name  # type: ignore[attr-defined]
        proc.log = folder / "worker.log"  # type: ignore[attr-defined]
        return proc

    def stop_workers(self) -> None:
        """Stop every worker (SIGINT: each finishes its task first); what is queued stays queued."""
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.workers:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def stop(self) -> None:
        self.stop_workers()
        for app in (self.a, self.b):
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def site(database_url, tmp_path, redis_queue):
    made = Site(database_url, tmp_path)
    with made.a.app_context():
        empty_database()
        from webmap.importers.categories import import_categories
        from webmap.importers.postcodes import import_postcodes
        from webmap.importers.wards import import_wards
        from webmap.imports.commands import transaction

        with transaction():
            import_categories(REPO / "data" / "categories.csv")
            import_wards(REPO / "data" / "boundaries" / "sample_wards.geojson")
            import_postcodes(REPO / "data" / "postcodes" / "sample_postcodes.csv")
    make_staff(made.a, "admin@example.gov.uk", role="admin")
    yield made
    made.stop()


def signed_in(app):
    client = app.test_client()
    assert login(client, "admin@example.gov.uk").status_code == 302
    return client


def big_places_file(tmp_path: Path, copies: int) -> Path:
    """Write the sample places `copies` times over, each copy with its own ids (a file slow enough to kill mid-import)."""
    data = json.loads((REPO / "data" / "assets" / "sample_assets.geojson").read_text())
    features = []
    for n in range(copies):
        for feature in data["features"]:
            copy = json.loads(json.dumps(feature))
            copy["properties"]["source_id"] = f"{feature['properties']['source_id']}-{n}"
            features.append(copy)
    path = tmp_path / "many-places.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def upload(client, path: Path) -> int:
    token = csrf_token(client, "/imports/new?kind=places")
    response = client.post(
        "/imports/new?kind=places",
        content_type="multipart/form-data",
        data={
            "csrf_token": token,
            "kind": "places",
            "source": SOURCE,
            "file": (io.BytesIO(path.read_bytes()), path.name),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def post(client, url: str, page: str):
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def status(client, job_id: int) -> dict:
    return client.get(f"/imports/{job_id}/status.json").get_json()


def wait_status(client, job_id: int, done, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = status(client, job_id)
        if done(now):
            return now
        time.sleep(0.2)
    raise AssertionError(f"import #{job_id} never got there: {now}")


def places_from_file(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Asset).where(Asset.source == SOURCE))
        db.session.remove()
        return count


def test_an_import_started_on_one_server_shows_on_the_other_survives_a_killed_worker_and_lands_once(site, tmp_path):
    worker = site.start_worker()
    a, b = signed_in(site.a), signed_in(site.b)
    path = big_places_file(tmp_path, copies=20)
    rows = 20 * 305
    job_id = upload(a, path)
    checked = wait_status(b, job_id, lambda s: s["finished"])
    assert checked["state"] == "checked", checked
    assert places_from_file(site.a) == 0  # the check is a dry run

    # The job's record, its tasks and upload and the audit trail are meant to change: checked below.
    changing = ("import_jobs", "audit_events", "background_tasks", "import_uploads")
    before = without_rows_of(database_dump(site.a), *changing)
    assert post(a, f"/imports/{job_id}/confirm", f"/imports/{job_id}").status_code == 302
    # Server B sees the worker's progress through the import's rows.
    running = wait_status(b, job_id, lambda s: s["state"] == "importing" and s["done"] > 0 and s["total"] >= rows // 2)
    assert 0 < running["percent"] < 100 and not running["finished"]
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)

    failed = wait_status(b, job_id, lambda s: s["finished"], timeout=60)
    assert failed["state"] == "failed"
    assert "stopped before it finished" in failed["error"] and worker.worker_name in failed["error"]
    assert places_from_file(site.a) == 0  # nothing from the file
    assert without_rows_of(database_dump(site.a), *changing) == before  # every other table exactly as it was
    page = b.get(f"/imports/{job_id}").get_data(as_text=True)
    assert "Retry the import" in page
    background = b.get("/admin/background?state=failed").get_data(as_text=True)
    assert f"Import #{job_id}" in background and "stopped before it finished" in background

    site.start_worker()
    assert post(b, f"/imports/{job_id}/retry", f"/imports/{job_id}").status_code == 302
    done = wait_status(a, job_id, lambda s: s["finished"])
    assert done["state"] == "done", done
    assert places_from_file(site.a) == rows  # landed once, whole
    with site.a.app_context():
        job = db.session.get(ImportJob, job_id)
        assert job.result["imported"] == rows
        imports = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity_type == "import", AuditEvent.entity_id == str(job_id))
        ).all()
        assert imports.count("import") == 1 and imports.count("import failed") == 1 and "import retried" in imports
        tasks = db.session.scalars(
            select(BackgroundTask).where(BackgroundTask.name == "imports.run").order_by(BackgroundTask.queued_at)
        ).all()
        assert [t.state for t in tasks[:2]] == ["done", "failed"]  # the check, the killed import
    assert _wait_task(site, tasks[2].id, ("done", "failed")).state == "done"  # the retry


def test_two_workers_run_one_refresh_at_a_time_and_one_import_of_a_kind(site, tmp_path):
    site.start_worker()
    site.start_worker()
    with site.a.app_context():
        site.a.test_cli_runner().invoke(args=["gaps", "rebuild"])
        code = db.session.scalars(select(Ward.code).order_by(Ward.code)).first()
        db.session.add(Need(ward_code=code, category_id="youth", count=40, source="test", asked_on=date.today()))
        db.session.commit()
        # Two servers ask at the same moment: one refresh is queued ...
        from webmap.scale import refresh

        assert refresh.request() is True
    with site.b.app_context():
        assert refresh.request() is False
        # ... and even two queued at once (two servers racing) run as one refresh.
        queue.enqueue("gaps.refresh", [])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with site.a.app_context():
            tasks = db.session.scalars(select(BackgroundTask).where(BackgroundTask.name == "gaps.refresh")).all()
            db.session.remove()
        if len(tasks) == 2 and all(t.state in ("done", "skipped", "failed") for t in tasks):
            break
        time.sleep(0.2)
    notes = sorted((t.state, t.note or t.error or "") for t in tasks)
    assert [n for _, n in notes if n.startswith("Refreshed")] and len(
        [n for _, n in notes if n.startswith("Refreshed")]
    ) == 1, notes
    assert {t.worker for t in tasks} <= {w.worker_name for w in site.workers} | {None}

    # Two imports of one kind: the second server's is refused from the moment the first is asked for
    # until it has finished. The workers stop first, so the first import waits in the queue and the
    # refusal does not hang on how fast an import runs (a fast one could finish before the second ask).
    a, b = signed_in(site.a), signed_in(site.b)
    path = big_places_file(tmp_path, copies=2)
    first = upload(a, path)
    assert wait_status(a, first, lambda s: s["finished"])["state"] == "checked"
    second = upload(b, path)
    assert wait_status(b, second, lambda s: s["finished"])["state"] == "checked"
    site.stop_workers()
    assert post(a, f"/imports/{first}/confirm", f"/imports/{first}").status_code == 302
    refused = post(b, f"/imports/{second}/confirm", f"/imports/{second}")
    assert refused.status_code == 302
    page = b.get(f"/imports/{second}").get_data(as_text=True)
    assert f"Import #{first}" in page and "never run at once" in page
    assert status(b, first)["state"] == "importing"
    assert status(b, second)["state"] == "checked"
    site.start_worker()
    site.start_worker()
    assert wait_status(a, first, lambda s: s["finished"])["state"] == "done"
    # Once the first has finished, the second may run (and, the same file, changes nothing).
    assert post(b, f"/imports/{second}/confirm", f"/imports/{second}").status_code == 302
    assert wait_status(b, second, lambda s: s["finished"])["state"] == "done"
    assert places_from_file(site.a) == 2 * 305


def test_emails_go_from_the_worker_and_a_dead_mail_server_is_retried_then_shown_failed(
    database_url, tmp_path, redis_queue
):
    from aiosmtpd.controller import Controller

    from tests.conftest import _Inbox

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    site = Site(database_url, tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        with site.a.app_context():
            empty_database()
            from webmap.importers.categories import import_categories

            import_categories(REPO / "data" / "categories.csv")
            for n in (1, 2):
                db.session.add(
                    Asset(
                        name=f"Lunch club {n}",
                        kind="group",
                        status="pending",
                        lat=51.9,
                        lon=-2.0,
                        geom=shapely.Point(-2.0, 51.9),
                        source="web",
                        submitter_email=f"resident{n}@example.org",
                        submitter_wants_updates=True,
                    )
                )
            db.session.commit()
            first, second = db.session.scalars(select(Asset.id).order_by(Asset.id)).all()
        make_staff(site.a, "admin@example.gov.uk", role="admin")
        a = signed_in(site.a)
        worker = site.start_worker()

        answer = post(a, f"/moderate/assets/{first}/approve", "/moderate/")
        assert answer.status_code == 302
        task = _mail_task(site, "Lunch club 1")
        assert task.state in ("queued", "running", "done")  # queued by the request, not sent by it
        task = _wait_task(site, task.id, ("done", "failed"))
        assert task.state == "done" and task.worker == worker.worker_name and task.attempts == 1
        [message] = inbox.to("resident1@example.org")
        assert message["Subject"].startswith("Lunch club 1 is now on the")

        smtp.stop()
        answer = post(a, f"/moderate/assets/{second}/approve", "/moderate/")
        assert answer.status_code == 302
        task = _mail_task(site, "Lunch club 2")
        assert task.state != "failed"  # the request answered before the tries were over
        with site.a.app_context():
            assert db.session.get(Asset, second).status == "approved"
        task = _wait_task(site, task.id, ("done", "failed"))
        assert task.state == "failed" and task.attempts == 2 and "ConnectionRefusedError" in task.error
        assert "resident2@example.org" not in (task.label + (task.error or ""))
        page = a.get("/admin/background?state=failed").get_data(as_text=True)
        assert "Email: Lunch club 2" in page and "ConnectionRefusedError" in page
        assert not inbox.to("resident2@example.org")
    finally:
        site.stop()


def _mail_task(site: Site, subject_part: str) -> BackgroundTask:
    with site.a.app_context():
        task = db.session.scalar(
            select(BackgroundTask).where(
                BackgroundTask.name == "notify.deliver", BackgroundTask.label.contains(subject_part)
            )
        )
        db.session.expunge_all()
    assert task is not None, f"no email task for {subject_part}"
    return task


def _wait_task(site: Site, task_id: str, states: tuple[str, ...], timeout: float = 60) -> BackgroundTask:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with site.a.app_context():
            task = db.session.get(BackgroundTask, task_id)
            db.session.expunge_all()
        if task.state in states:
            return task
        time.sleep(0.1)
    raise AssertionError(f"task {task_id} is still {task.state}: {task.error}")


def test_a_waiting_task_is_cancelled_from_the_other_server_and_run_again_from_it(site):
    # No worker yet: server A queues a refresh; an admin on server B sees it waiting and cancels it.
    with site.a.app_context():
        task_id = queue.enqueue("gaps.refresh", [])
    b = signed_in(site.b)
    waiting = b.get("/admin/background?state=queued").get_data(as_text=True)
    assert f"/admin/background/{task_id}/cancel" in waiting
    assert post(b, f"/admin/background/{task_id}/cancel", "/admin/background").status_code == 302
    # A worker started now never runs it: its record stays cancelled, never started.
    site.start_worker()
    with site.a.app_context():
        probe = queue.enqueue("gaps.refresh", [])  # queued after it: once this ran, the cancelled one was passed
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with site.a.app_context():
            rows = {t.id: t for t in db.session.scalars(select(BackgroundTask)).all()}
            db.session.remove()
        if rows[probe].state in ("done", "skipped", "failed"):
            break
        time.sleep(0.2)
    assert rows[probe].state == "done", (rows[probe].state, rows[probe].error)
    cancelled = rows[task_id]
    assert cancelled.state == "cancelled" and cancelled.started_at is None, (cancelled.state, cancelled.error)
    assert "admin@example.gov.uk" in cancelled.note
    # Cancelling it again is refused: it is no longer waiting.
    assert post(b, f"/admin/background/{task_id}/cancel", "/admin/background").status_code == 409
    # "Run again" from server B queues it anew, and the worker runs it.
    assert post(b, f"/admin/background/{task_id}/retry", "/admin/background").status_code == 302
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with site.a.app_context():
            again = db.session.scalars(
                select(BackgroundTask).where(BackgroundTask.label.like("%(again, asked by admin@example.gov.uk)"))
            ).all()
            db.session.remove()
        if again and again[0].state in ("done", "skipped", "failed"):
            break
        time.sleep(0.2)
    assert again and again[0].state == "done", again and (again[0].state, again[0].error)


def _starts(worker) -> list[str]:
    """Return the worker's log lines that say it (re)started, and why it started again."""
    return [
        line for line in worker.log.read_text().splitlines() if "taking tasks from" in line or "starts again" in line
    ]


def _wait_starts(worker, count: int, timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(said := _starts(worker)) < count:
        assert worker.poll() is None, worker.log.read_text()
        assert time.monotonic() < deadline, said
        time.sleep(0.1)
    return said


def test_a_worker_starts_afresh_after_an_import_and_its_gap_update_is_a_task_of_its_own(site, tmp_path):
    worker = site.start_worker(GAP_SNAPSHOTS="background")
    a = signed_in(site.a)
    job_id = upload(a, big_places_file(tmp_path, copies=1))
    assert wait_status(a, job_id, lambda s: s["finished"])["state"] == "checked"
    # The check read the file: the worker finishes recording it, then runs itself again, same process id.
    said = _wait_starts(worker, 3)
    assert "starts again: it ran imports.run" in said[1] and "taking tasks from" in said[2], said
    assert said[0].split()[1] == said[2].split()[1] == worker.worker_name  # "Worker host:pid taking tasks ..."
    assert post(a, f"/imports/{job_id}/confirm", f"/imports/{job_id}").status_code == 302
    assert wait_status(a, job_id, lambda s: s["finished"])["state"] == "done"
    assert places_from_file(site.a) == 305
    _wait_starts(worker, 5)
    with site.a.app_context():
        rows = db.session.scalars(select(BackgroundTask).order_by(BackgroundTask.queued_at)).all()
        db.session.expunge_all()
    update = [t for t in rows if t.name == "gaps.snapshot"]
    assert len(update) == 1, [(t.name, t.state) for t in rows]
    update = _wait_task(site, update[0].id, ("done", "failed"))
    imports = [t for t in rows if t.name == "imports.run"]
    # Nothing was lost in the restarts: each task ended as it should, in this one worker.
    assert [t.state for t in imports] == ["done", "done"] and update.state == "done", update.error
    assert {t.worker for t in [*imports, update]} == {worker.worker_name}
    assert update.started_at >= imports[1].finished_at  # in the new process, after the import's
    assert worker.poll() is None


def test_a_worker_left_over_its_memory_limit_starts_afresh_and_one_under_it_does_not(site):
    from webmap.scale import refresh

    big = site.start_worker(WORKER_MAX_MEMORY_MB=1)
    with site.a.app_context():
        assert refresh.request() is True
        task_id = db.session.scalar(select(BackgroundTask.id).where(BackgroundTask.name == "gaps.refresh"))
    assert _wait_task(site, task_id, ("done", "failed")).state == "done"
    said = _wait_starts(big, 3)
    assert "over WORKER_MAX_MEMORY_MB = 1" in said[1] and "after gaps.refresh" in said[1], said
    big.send_signal(signal.SIGINT)
    big.wait(20)

    roomy = site.start_worker(WORKER_MAX_MEMORY_MB=100_000)
    with site.a.app_context():
        task_id = queue.enqueue("gaps.refresh", [])
    assert _wait_task(site, task_id, ("done", "failed", "skipped")).state in ("done", "skipped")
    time.sleep(1)  # time enough to have started again, had it asked to
    assert len(_starts(roomy)) == 1 and roomy.poll() is None
