"""Every feature's queue tasks, gathered so that web processes and workers know the same task names."""

from __future__ import annotations

from flask import Flask

from webmap.core import queue


def init_app(app: Flask) -> None:
    """Register every task and point the queue at this app's storage (QUEUE_URL)."""
    from webmap.feedback import tasks as _feedback  # noqa: F401
    from webmap.gaps import tasks as _gaps  # noqa: F401
    from webmap.imports import tasks as _imports  # noqa: F401
    from webmap.notify import later as _later  # noqa: F401
    from webmap.notify import mail as _mail  # noqa: F401
    from webmap.notify import tasks as _notify  # noqa: F401
    from webmap.privacy import tasks as _privacy  # noqa: F401

    queue.configure(app)
