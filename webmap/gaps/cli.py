"""`flask gaps`: write a gap table to a file; `flask gaps rebuild` recomputes the derived tables (outlines, place counts, gap tables)."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from webmap.core import queue, store
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore
from webmap.scale import derived, size


@click.command("rebuild")
@with_appcontext
@click.option("--distance", type=float, help="Walking distance in metres (default: the ACCESS_DISTANCE_M setting).")
@click.option(
    "--stale",
    is_flag=True,
    help="Only what is out of date, and only if no other refresh is running (what a big area's pages start).",
)
@click.option(
    "--key",
    "keys",
    multiple=True,
    hidden=True,
    help="Also a stored gap table a page asked for (category|method|distance|0/1).",
)
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
    from webmap.gaps.tasks import refresh_stale

    try:
        click.echo(refresh_stale(distance, asked))
    except queue.TaskLocked:
        click.echo("Another refresh is running; it will bring everything up to date.")


def _rebuild_all(distance: float, asked: list) -> None:
    start = time.perf_counter()
    written = derived.rebuild_maps()
    click.echo(
        f"Ward outlines: {written['ward_outlines']:,} rows; place counts: {written['place_cells']:,} cells "
        f"({time.perf_counter() - start:.1f} s)."
    )
    if size.ward_count() == 0:
        click.echo("No wards yet, so no gap tables: import ward boundaries first.")
        return
    start = time.perf_counter()
    queries = _unique(
        gapstore.default_queries(store.category_labels(), distance)
        + asked
        + [gapstore.query_of(k) for k in gapstore.kept_keys()]
    )
    done = gapstore.rebuild(queries, kind="manual")
    click.echo(
        f"Gap tables: {done} (all needs and each category, share within {distance:g} m) "
        f"in {time.perf_counter() - start:.1f} s."
    )


def _unique(queries: list) -> list:
    return list(dict.fromkeys(queries))


@click.group("gaps", invoke_without_command=True)
@with_appcontext
@click.option("--category", default="all", show_default=True, help="Category id, or 'all' for the overall gap.")
@click.option(
    "--method",
    type=click.Choice(["count", "share", "2sfca", "e2sfca"]),
    default="share",
    show_default=True,
    help="How access is measured.",
)
@click.option("--distance", type=float, help="Walking distance in metres (default: the ACCESS_DISTANCE_M setting).")
@click.option(
    "--deprivation-weight",
    is_flag=True,
    help="Weight stated need by ward deprivation (decile 1 x1.5 ... decile 10 x1).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    help="File to write: .csv, .geojson or .gpkg (the format follows the extension).",
)
@click.pass_context
def gaps_command(ctx, category, method, distance, deprivation_weight, out) -> None:
    """Write the gap table for one category (or all needs) to CSV, GeoJSON or GeoPackage.

    `gaps snapshot` and `gaps history` keep and show the gap table over time.
    """
    from webmap.gaps import service as gaps_service

    if ctx.invoked_subcommand is not None:
        return
    if not out:
        raise click.UsageError("Missing option '--out': name the file to write (.csv, .geojson or .gpkg).", ctx)
    try:
        fmt = gaps_service.format_of(out)
        query = gaps_service.check_query(
            category, method, distance, current_app.config["ACCESS_DISTANCE_M"], deprivation_weight
        )
        table = gaps_service.gap_frame(query)
    except (ValueError, gaps_service.NoWards) as exc:
        raise click.ClickException(str(exc)) from exc
    gaps_service.write_table(table, out, fmt)
    unknown = int(table["population"].isna().sum())
    click.echo(
        f"Wrote {len(table)} wards to {out} ({fmt}; {query.category}, {query.method}, {query.distance:g} m)."
        + (f" {unknown} ward{' has' if unknown == 1 else 's have'} no population figure." if unknown else "")
    )
    for line in gaps_service.summary_lines(table) + gaps_service.caveats(query, table):
        click.echo(line)


gaps_command.add_command(rebuild_command)


@click.command("settle")
@with_appcontext
def settle_command() -> None:
    """Keep today's figures of every ward whose gap figures moved in the history (the worker does it daily)."""
    written = gapstore.settle()
    click.echo(f"Kept the day's gap figures: {written} ward rows had moved.")


gaps_command.add_command(settle_command)
