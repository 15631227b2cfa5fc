"""The background refresh as a queue task: bring out-of-date derived tables (outlines, place counts, gap tables) up to date.

Pages on a big area ask for it (webmap.scale.refresh.request) and show the last tables meanwhile.
One refresh runs at a time, whichever worker took it: a lock in the queue's store makes any other
skip (its row on the background work page says so), and the running one repeats while the data
keeps changing under it.
"""

from __future__ import annotations

import time

from flask import current_app

from webmap.core import english, queue, store
from webmap.gaps import store as gapstore
from webmap.scale import derived, size

REFRESH = "gaps.refresh"
# A refresh repeats while the data keeps changing under it, at most this many times.
ROUNDS = 3


def refresh_stale(distance: float | None = None, asked: list | None = None) -> str:
    """Refresh what is out of date, holding the refresh lock (raise queue.TaskLocked if held); say what was done."""
    distance = float(distance or current_app.config["ACCESS_DISTANCE_M"])
    start, tables, did_any = time.perf_counter(), 0, False
    with queue.lock("derived-refresh"):
        asked = list(asked or [])
        for _ in range(ROUNDS):
            did, count = _refresh_once(distance, asked)
            tables += count
            did_any = did_any or did
            if not did:
                break
            asked = []
    took = time.perf_counter() - start
    return (
        english._(
            "Refreshed what was out of date (%(tables)d gap tables) in %(took)s s.", tables=tables, took=f"{took:.1f}"
        )
        if did_any
        else english._("Nothing was out of date (%(took)s s).", took=f"{took:.1f}")
    )


def _refresh_once(distance: float, asked: list) -> tuple[bool, int]:
    """Bring out-of-date tables up to date once; return whether anything was, and how many gap tables."""
    did = False
    for name, build in (("ward_outlines", derived.rebuild_outline_table), ("place_cells", derived.rebuild_cell_table)):
        if not derived.is_current(name):
            build()
            did = True
    if size.ward_count() == 0:
        return did, 0
    queries = [
        q
        for q in dict.fromkeys(
            gapstore.default_queries(store.category_labels(), distance)
            + asked
            + [gapstore.query_of(k) for k in gapstore.stale_keys()]
        )
        if not gapstore.is_current(q)
    ]
    if queries:
        gapstore.rebuild(queries)
        did = True
    return did, len(queries)


@queue.task(REFRESH, english._("Refresh the derived tables (place counts, gap tables)"))
def refresh_task(keys: list[str] | None = None) -> str:
    """Run one background refresh, also computing the gap tables pages asked for by key."""
    return refresh_stale(None, [gapstore.query_of(k) for k in keys or []])


@queue.scheduled(
    "SCHEDULE_GAP_HISTORY", "gaps.settle", english._("Keep the day's gap figures of every ward in the history")
)
def settle_task() -> str:
    """Write each ward's figures that moved since its last history row (the daily history); say how many."""
    written = gapstore.settle()
    return english._("Kept the day's gap figures: %(rows)d ward rows had moved.", rows=written)
