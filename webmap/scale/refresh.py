"""Bring a big area's derived tables up to date on the task queue, never inside a page request.

On a big area (webmap.scale.size.by_view) rebuilding the place counts or a gap table means reading
every place: tens of seconds and over a gigabyte. So when a page finds one built from older data it
shows that one, says so, and asks for a refresh here: a `gaps.refresh` task (webmap/gaps/tasks.py)
for a worker, queued unless one is waiting already. A small area rebuilds inline, as before: it
takes a moment and the page is then exact.

Setting ``REFRESH``: ``auto`` (background on a big area, inline otherwise), ``inline`` or ``background``.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from webmap.core import english, queue
from webmap.scale import size

TASK = "gaps.refresh"


def in_background() -> bool:
    """Say whether stale derived tables are refreshed in the background rather than in the request."""
    mode = str(current_app.config.get("REFRESH", "auto")).lower()
    if mode in ("inline", "background"):
        return mode == "background"
    return size.by_view()


def running() -> bool:
    """Say whether a refresh is running on a worker now."""
    return queue.running(TASK)


def request(keys: Iterable[str] = ()) -> bool:
    """Queue a background refresh (also computing these gap table keys) unless one is waiting; say if queued."""
    if queue.waiting(TASK):
        return False
    queue.enqueue(TASK, list(keys), label=english._("Refresh the derived tables (place counts, gap tables)"))
    return True
