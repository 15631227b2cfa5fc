"""`flask gaps rebuild`: recompute the derived tables (outlines, place counts, gap tables) now."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import gaps_service, store
from . import derived, gapstore, refresh

# A refresh repeats while the data keeps changing under it, at most this many times.
ROUNDS = 3


@click.command("rebuild")
@with_appcontext
@click.option("--distance", type=float, help="Walking distance in metres (default: the ACCESS_DISTANCE_M setting).")
@click.option("--stale", is_flag=True,
              help="Only what is out of date, and only if no other refresh is running (what a big area's pages start).")
@click.option("--key", "keys", multiple=True, hidden=True, help="Also a stored gap table a page asked for (category|method|distance|0/1).")
def rebuild_command(distance: float | None, stale: bool, keys: tuple[str, ...]) -> None:
    """Recompute ward outlines, place counts and the default gap tables from the current data.

    Safe to run while the site is serving (each table is replaced in one transaction) and
    from cron or after a large import, so no visitor waits for the first computation.
    """
    distance = float(distance or current_app.config["ACCESS_DISTANCE_M"])
    try:
        gaps_service.check_query(None, "share", distance, distance)
        asked = [gapstore.query_of(key) for key in keys]
        for query in asked:
            gaps_service.check_query(query.category, query.method, query.distance, distance)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not stale:
        _rebuild_all(distance, asked)
        return
    lock = refresh.hold_lock()
    if lock is None:
        click.echo("Another refresh is running; it will bring everything up to date.")
        return
    try:
        for _ in range(ROUNDS):
            changed = _refresh_stale(distance, asked)
            taken = refresh.take_queued_snapshots()
            if taken:
                click.echo(f"Gap snapshots taken: {taken}.")
            if not changed and not taken:
                break
            asked = []
    finally:
        # The next page to find something out of date may start a refresh at once.
        (refresh.folder() / refresh.ASKED_FILE).unlink(missing_ok=True)
        lock.close()


def _rebuild_all(distance: float, asked: list) -> None:
    start = time.perf_counter()
    written = derived.rebuild_maps()
    click.echo(f"Ward outlines: {written['ward_outlines']:,} rows; place counts: {written['place_cells']:,} cells "
               f"({time.perf_counter() - start:.1f} s).")
    if derived.ward_count() == 0:
        click.echo("No wards yet, so no gap tables: import ward boundaries first.")
        return
    start = time.perf_counter()
    queries = _unique(gapstore.default_queries(store.category_labels(), distance) + asked)
    done = gapstore.rebuild(queries)
    click.echo(f"Gap tables: {done} (all needs and each category, share within {distance:g} m) "
               f"in {time.perf_counter() - start:.1f} s.")


def _refresh_stale(distance: float, asked: list) -> bool:
    """Bring out-of-date tables up to date; return whether anything was out of date."""
    start = time.perf_counter()
    did = False
    for name, build in (("ward_outlines", derived.rebuild_outline_table), ("place_cells", derived.rebuild_cell_table)):
        if not derived.is_current(name):
            build()
            did = True
    if derived.ward_count() == 0:
        return did
    queries = [q for q in _unique(gapstore.default_queries(store.category_labels(), distance) + asked
                                  + [gapstore.query_of(k) for k in gapstore.stale_keys()])
               if not gapstore.is_current(q)]
    if queries:
        gapstore.rebuild(queries)
        did = True
    click.echo(f"Refreshed {'what was out of date' if did else 'nothing: all current'} in {time.perf_counter() - start:.1f} s"
               f" ({len(queries)} gap tables).")
    return did


def _unique(queries: list) -> list:
    return list(dict.fromkeys(queries))
