"""The task queue (huey): all background work is a task here, run by a worker process, never by a web request.

Where tasks wait follows the QUEUE_URL setting: empty means a SQLite file in the instance folder
(one machine; `make run` runs a worker thread beside the dev server), ``redis://…`` is for several
servers, and ``immediate`` runs each task at once in the caller (the test suite). Every task has a
row in ``background_tasks``, kept up to date by the signal handlers below, so any server shows what
is queued, running, failed or finished, and why. A worker says it is alive in the queue's own
key/value store; a running task whose worker has gone silent is shown failed (see ``sweep_lost``).
"""

from __future__ import annotations

import functools
import gc
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab
from huey import signals as S
from huey.exceptions import CancelExecution, TaskLockedException
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import delete, event, insert, select, update
from sqlalchemy.orm import Session

from webmap.core import english, memory
from webmap.core.db import db
from webmap.core.models import BackgroundTask, utcnow

log = logging.getLogger(__name__)
huey = Huey("webmap", immediate=True)
_app: Flask | None = None
# Scheduled jobs: setting name -> task, registered as periodic tasks when a worker starts.
SCHEDULES: dict[str, Any] = {}
LABELS: dict[str, str] = {}
TASKS: dict[str, Any] = {}
IN_REQUEST = "in the caller (immediate mode)"


class TaskFailed(Exception):
    """A task that cannot finish, with the reason to show staff."""


def worker_id() -> str:
    """Name this process as a worker: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def configure(app: Flask) -> None:
    """Point the queue at the storage QUEUE_URL names, for this process."""
    global _app
    _app = app
    url = str(app.config.get("QUEUE_URL") or "").strip()
    if url == "immediate":
        huey._immediate = True
        huey.storage = huey.create_storage()
        return
    if url.startswith("redis://") or url.startswith("rediss://"):
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": url}
    else:
        path = (
            url.removeprefix("sqlite:///")
            if url.startswith("sqlite:///")
            else str(Path(app.instance_path) / "queue.sqlite")
        )
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": path}
    huey._immediate = False
    huey.storage = huey.create_storage()


def _task_app() -> Flask:
    """Return the app a task runs in: the caller's (immediate mode) or the worker's."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _app is None:
        raise RuntimeError("the task queue is not configured: create the app first")
    return _app


def task(name: str, label: str, restart_after: bool = False, **options: Any) -> Callable:
    """Make `fn` a queue task called `name`, run in an app context with a session of its own.

    `restart_after`: a worker process starts afresh once it has run this task (see `_after_task`).
    """

    def wrap(fn: Callable) -> Any:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> None:
            with _task_app().app_context():
                try:
                    note = fn(*args, **kwargs)
                    if isinstance(note, str):
                        _set(current_task_id(), note=note)
                finally:
                    db.session.remove()
                    # A worker runs task after task: what this one freed goes back before the next one's peak.
                    gc.collect()
                    memory.give_back()
                    _after_task(name, restart_after)

        LABELS[name] = label
        TASKS[name] = huey.task(name=name, **options)(run)
        return TASKS[name]

    return wrap


_local = threading.local()
# Set by a worker process that can start itself again (`flask worker`, not the thread beside `flask dev`):
# called with the reason once a task leaves the process wanting a new start.
_restart: Callable[[str], None] | None = None


def _after_task(name: str, restart_after: bool) -> None:
    """Ask for a new worker process after a task that leaves this one big (WORKER_MAX_MEMORY_MB) or asks for it.

    Freed memory is not all given back: the heap stays fragmented, and reading a file loads GDAL's
    libraries for good. On a national set a worker that has run an import holds about 100 MB more
    than a new one, and the full refresh after it would take it past 500 MB. Like Celery's
    max_memory_per_child, the process finishes what it runs and then starts again (see `flask worker`).
    """
    if _restart is None:
        return
    if restart_after:
        _restart(f"it ran {name}, which asks for a new process after it")
        return
    limit = float(_task_app().config.get("WORKER_MAX_MEMORY_MB") or 0)
    held = memory.resident_mb()
    if limit > 0 and held is not None and held > limit:
        _restart(f"it holds {held:.0f} MB after {name}, over WORKER_MAX_MEMORY_MB = {limit:.0f}")


def current_task_id() -> str | None:
    """Return the id of the task running in this thread, if any."""
    return getattr(_local, "task_id", None)


def scheduled(setting: str, name: str, label: str) -> Callable:
    """Make `fn` a task the worker runs on the cron schedule in `setting` ("off" to stop it)."""

    def wrap(fn: Callable) -> Any:
        wrapped = task(name, label)(fn)
        SCHEDULES[setting] = wrapped
        return wrapped

    return wrap


def new_id() -> str:
    return str(uuid.uuid4())


def enqueue(
    fn: Any, *args: Any, label: str | None = None, task_id: str | None = None, keep_args: bool = True, **options: Any
) -> str:
    """Record and queue one run of a task (options: retries, retry_delay, retry_backoff, delay); return its id.

    When the caller's session has written something not yet committed, the task is queued only once
    that commits (and dropped if it rolls back): a worker never sees a change half made, and on
    SQLite the record does not wait for the caller's write lock.
    """
    # By name: a task of a feature the caller may not import (e.g. scale asking gaps to refresh).
    fn = TASKS[fn] if isinstance(fn, str) else fn
    task_obj = fn.s(*args, id=task_id or new_id(), **options)
    row = {
        "id": task_obj.id,
        "name": task_obj.name,
        "label": (label or LABELS.get(task_obj.name, task_obj.name))[:300],
        "state": "queued",
        "attempts": 0,
        "args": list(args) if keep_args else None,
        "queued_at": utcnow(),
    }
    session = db.session() if has_app_context() else None
    if (
        session is not None
        and session.in_transaction()
        and (session.new or session.dirty or session.deleted or session.info.get(_WROTE))
    ):
        session.add(BackgroundTask(**row))
        session.info.setdefault(_AFTER_COMMIT, []).append(task_obj)
        return task_obj.id
    with _engine_context():
        with db.engine.begin() as conn:
            conn.execute(insert(BackgroundTask).values(**row))
    huey.enqueue(task_obj)
    return task_obj.id


_WROTE, _AFTER_COMMIT = "webmap.queue.wrote", "webmap.queue.after_commit"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_WROTE, None)
    for task_obj in session.info.pop(_AFTER_COMMIT, []):
        huey.enqueue(task_obj)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)
    session.info.pop(_AFTER_COMMIT, None)


class _engine_context:
    """Use the caller's app context when there is one, or push the worker's."""

    def __enter__(self) -> None:
        self._ctx = None if has_app_context() else _task_app().app_context()
        if self._ctx is not None:
            self._ctx.push()

    def __exit__(self, *exc: Any) -> None:
        if self._ctx is not None:
            self._ctx.pop()


def _set(task_id: str | None, **values: Any) -> None:
    if not task_id:
        return
    with _engine_context():
        with db.engine.begin() as conn:
            conn.execute(update(BackgroundTask).where(BackgroundTask.id == task_id).values(**values))


def _row(task_obj: Any) -> Any:
    """Return the task's background_tasks row (a plain row, read on its own connection), or None."""
    with _engine_context():
        with db.engine.connect() as conn:
            return conn.execute(select(BackgroundTask).where(BackgroundTask.id == task_obj.id)).first()


def reason(error: BaseException) -> str:
    """Say why a task failed in one line, for staff."""
    if isinstance(error, TaskFailed):
        return str(error)
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:1000] if text else type(error).__name__


@huey.signal(S.SIGNAL_ENQUEUED)
def _enqueued(signal: str, task_obj: Any, *args: Any) -> None:
    # A scheduled job or a retry: record it unless enqueue() did already.
    row = _row(task_obj)
    if row is None:
        with _engine_context():
            with db.engine.begin() as conn:
                conn.execute(
                    insert(BackgroundTask).values(
                        id=task_obj.id,
                        name=task_obj.name,
                        label=LABELS.get(task_obj.name, task_obj.name),
                        state="queued",
                        attempts=0,
                        args=list(task_obj.args),
                        queued_at=utcnow(),
                    )
                )
    elif row.state != "queued":
        _set(task_obj.id, state="queued")


@huey.signal(S.SIGNAL_EXECUTING)
def _executing(signal: str, task_obj: Any, *args: Any) -> None:
    _local.task_id = task_obj.id
    row = _row(task_obj)
    _set(
        task_obj.id,
        state="running",
        started_at=utcnow(),
        finished_at=None,
        attempts=(row.attempts if row else 0) + 1,
        worker=IN_REQUEST if huey.immediate else worker_id(),
    )


@huey.signal(S.SIGNAL_COMPLETE)
def _complete(signal: str, task_obj: Any, *args: Any) -> None:
    _set(task_obj.id, state="done", finished_at=utcnow(), error=None)


@huey.signal(S.SIGNAL_ERROR)
def _error(signal: str, task_obj: Any, error: BaseException, *args: Any) -> None:
    if task_obj.retries:
        delay = task_obj.retry_delay or 0
        _set(
            task_obj.id,
            state="retrying",
            error=english.ngettext(
                "%(reason)s (trying again in %(delay)s s; %(num)d try left)",
                "%(reason)s (trying again in %(delay)s s; %(num)d tries left)",
                task_obj.retries,
                reason=reason(error),
                delay=f"{delay:g}",
                num=task_obj.retries,
            ),
        )
    else:
        _set(task_obj.id, state="failed", finished_at=utcnow(), error=reason(error))


@huey.signal(S.SIGNAL_LOCKED)
def _locked(signal: str, task_obj: Any, *args: Any) -> None:
    _set(
        task_obj.id,
        state="skipped",
        finished_at=utcnow(),
        note=english._("Not run: the same work was running already."),
    )


@huey.signal(S.SIGNAL_INTERRUPTED, S.SIGNAL_CANCELED, S.SIGNAL_REVOKED, S.SIGNAL_EXPIRED, S.SIGNAL_TIMEOUT)
def _stopped(signal: str, task_obj: Any, *args: Any) -> None:
    row = _row(task_obj)
    if row is not None and row.state == "cancelled":
        return  # cancelled by staff before it ran: the record says so already
    _set(
        task_obj.id,
        state="failed",
        finished_at=utcnow(),
        error=english._("The task was %(signal)s before it finished.", signal=signal),
    )


@huey.pre_execute()
def _not_if_cancelled(task_obj: Any) -> None:
    # A worker may have taken the task just before staff cancelled it: it still does not run.
    row = _row(task_obj)
    if row is not None and row.state == "cancelled":
        raise CancelExecution()


def cancel(task_id: str, by: str) -> bool:
    """Cancel a task that has not started, whichever server or worker holds it; say whether it was cancelled.

    The record is marked first, so a worker that takes the task a moment later sees it and does not
    run it (`_not_if_cancelled`); the queue is told too, so it is dropped unread.
    """
    with _engine_context():
        with db.engine.begin() as conn:
            result = conn.execute(
                update(BackgroundTask)
                .where(BackgroundTask.id == task_id, BackgroundTask.state.in_(("queued", "retrying")))
                .values(
                    state="cancelled",
                    finished_at=utcnow(),
                    note=english._("Cancelled by %(who)s before it ran.", who=by),
                )
            )
    if not result.rowcount:
        return False
    if not huey.immediate:
        huey.revoke_by_id(task_id)
    return True


class lock:
    """A lock held in the queue's store, shared by every worker; entering raises TaskLocked when it is taken.

    It lapses after `ttl_s`, so a worker killed while holding it does not block the work for ever
    (huey's own TaskLock has no time limit on SQLite storage).
    """

    def __init__(self, name: str, ttl_s: float = 6 * 3600):
        self.key, self.ttl_s = f"lock:{name}", ttl_s

    def __enter__(self) -> lock:
        now = time.time()
        if not huey.put_if_empty(self.key, now):
            held = peek(self.key)
            if held is not None and now - float(held) < self.ttl_s:
                raise TaskLocked(f"{self.key} is held since {time.strftime('%H:%M:%S', time.gmtime(float(held)))} UTC")
            huey.delete(self.key)  # lapsed: its holder died
            if not huey.put_if_empty(self.key, now):
                raise TaskLocked(f"{self.key} was just taken")
        return self

    def __exit__(self, *exc: Any) -> None:
        huey.delete(self.key)


TaskLocked = TaskLockedException


def put(key: str, value: Any) -> None:
    """Keep a small value in the queue's store (progress, heartbeats), for every server to read."""
    huey.put(key, value)


def peek(key: str) -> Any:
    return huey.get(key, peek=True)


def waiting(name: str) -> bool:
    """Say whether a task of this name is queued and not yet started."""
    return (
        db.session.scalar(
            select(BackgroundTask.id).where(BackgroundTask.name == name, BackgroundTask.state == "queued").limit(1)
        )
        is not None
    )


def running(name: str) -> bool:
    """Say whether a task of this name is running now."""
    sweep_lost()
    return (
        db.session.scalar(
            select(BackgroundTask.id).where(BackgroundTask.name == name, BackgroundTask.state == "running").limit(1)
        )
        is not None
    )


def heartbeat_key(worker: str) -> str:
    return f"worker-alive:{worker}"


def lost_after_s() -> float:
    return float(current_app.config.get("WORKER_LOST_AFTER_S", 30))


def sweep_lost() -> int:
    """Mark failed the running tasks whose worker has stopped saying it is alive; return how many."""
    rows = db.session.execute(
        select(BackgroundTask.id, BackgroundTask.worker).where(BackgroundTask.state == "running")
    ).all()
    now, marked = time.time(), 0
    for task_id, worker in rows:
        if not worker or worker == IN_REQUEST:
            continue
        seen = peek(heartbeat_key(worker))
        if seen is not None and now - float(seen) < lost_after_s():
            continue
        when = (
            english._("last heard from %(time)s UTC", time=time.strftime("%H:%M:%S", time.gmtime(float(seen))))
            if seen
            else english._("never heard from")
        )
        _set(
            task_id,
            state="failed",
            finished_at=utcnow(),
            error=english._(
                "The worker running it (%(worker)s, %(when)s) stopped before it finished. It can be run again.",
                worker=worker,
                when=when,
            ),
        )
        marked += 1
    if marked:
        db.session.expire_all()
    return marked


def _beat(stop: threading.Event, interval: float) -> None:
    me = worker_id()
    while not stop.is_set():
        try:
            put(heartbeat_key(me), time.time())
        except Exception:  # noqa: BLE001 - the queue may be restarting; try again next beat
            log.exception("worker heartbeat failed")
        stop.wait(interval)


def _register_schedules(app: Flask) -> list[str]:
    """Register each scheduled job whose setting is a cron line; return what runs when, in words."""
    said = []
    for setting, wrapped in SCHEDULES.items():
        line = str(app.config.get(setting) or "off").strip()
        if line.lower() == "off":
            said.append(f"{setting}: off")
            continue
        parts = line.split()
        if len(parts) != 5:
            raise ValueError(f"{setting} = {line!r}: give five cron fields (minute hour day month weekday) or 'off'")
        name = f"{wrapped.name}@schedule"
        if name not in TASKS:
            TASKS[name] = huey.periodic_task(crontab(*parts), name=name)(wrapped.func)
            LABELS[name] = english._("%(label)s (scheduled)", label=LABELS.get(wrapped.name, wrapped.name))
        said.append(f"{setting}: {line}")
    return said


def start_worker(
    app: Flask, threads: int = 1, schedule: bool = True, embedded: bool = False
) -> tuple[Any, threading.Event]:
    """Make a consumer for this process (threads, the scheduler) and start its heartbeat; return it and the stop flag.

    `embedded`: beside a server in the same process, which keeps its own Ctrl-C handling.
    """
    if huey.immediate:
        raise RuntimeError("QUEUE_URL is 'immediate': there is no queue for a worker to take tasks from")
    said = _register_schedules(app)
    log.info("worker %s on %s; schedules: %s", worker_id(), huey.storage_class.__name__, "; ".join(said))
    stop = threading.Event()
    interval = float(app.config.get("WORKER_HEARTBEAT_S", 5))
    put(heartbeat_key(worker_id()), time.time())
    threading.Thread(target=_beat, args=(stop, interval), name="worker-heartbeat", daemon=True).start()
    consumer = huey.create_consumer(
        workers=threads,
        worker_type="thread",
        periodic=schedule,
        initial_delay=0.1,
        max_delay=1.0,
        check_worker_health=True,
    )
    if embedded:
        consumer._set_signal_handlers = lambda: None
    else:
        _asked.clear()
        _restart_with(consumer)
    return consumer, stop


_asked: list[str] = []


def _restart_with(consumer: Any) -> None:
    """Let a task ask this worker process to start again: it takes no more tasks and `flask worker` re-runs itself."""
    global _restart

    def ask(why: str) -> None:
        _asked.append(why)
        # The stop flag, not a signal: the task's own thread must not take another task first.
        consumer.stop_flag.set()

    _restart = ask


def restart_reason() -> str | None:
    """Return why a task asked this worker to start again, if one did."""
    return _asked[0] if _asked else None


def forget_older_than(days: int) -> int:
    """Delete records of tasks that ended more than `days` ago; return how many."""
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(
        delete(BackgroundTask).where(
            BackgroundTask.state.in_(("done", "failed", "skipped", "cancelled")), BackgroundTask.finished_at < cutoff
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)  # a DELETE's result is a CursorResult
