"""`flask gaps rebuild`: recompute the derived tables (outlines, place counts, gap tables) now."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import gaps_service, store
from . import derived, gapstore


@click.command("rebuild")
@with_appcontext
@click.option("--distance", type=float, help="Walking distance in metres (default: the ACCESS_DISTANCE_M setting).")
def rebuild_command(distance: float | None) -> None:
    """Recompute ward outlines, place counts and the default gap tables from the current data.

    Safe to run while the site is serving (each table is replaced in one transaction) and
    from cron or after a large import, so no visitor waits for the first computation.
    """
    distance = float(distance or current_app.config["ACCESS_DISTANCE_M"])
    try:
        gaps_service.check_query(None, "share", distance, distance)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    start = time.perf_counter()
    written = derived.rebuild_maps()
    click.echo(f"Ward outlines: {written['ward_outlines']:,} rows; place counts: {written['place_cells']:,} cells "
               f"({time.perf_counter() - start:.1f} s).")
    if derived.ward_count() == 0:
        click.echo("No wards yet, so no gap tables: import ward boundaries first.")
        return
    start = time.perf_counter()
    queries = gapstore.default_queries(store.category_labels(), distance)
    done = gapstore.rebuild(queries)
    click.echo(f"Gap tables: {done} (all needs and each category, share within {distance:g} m) "
               f"in {time.perf_counter() - start:.1f} s.")
