"""Flask CLI commands: set up the database, import data, load the sample area."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from .cli_opendata import OPEN_DATA_COMMANDS
from .db import MIGRATIONS_DIR, db
from .importers import ImportFailed, ImportReport
from .models import AuditEvent, DataSource, Ward


@contextmanager
def transaction(dry_run: bool = False) -> Iterator[None]:
    """Commit everything at the end, or nothing at all on an error or a dry run."""
    try:
        yield
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except ImportFailed as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    except BaseException:
        db.session.rollback()
        raise


def run_import(command: str, dry_run: bool, work: Callable[[], ImportReport], attribution: str | None = None) -> ImportReport:
    """Run one importer in a transaction, record it in the audit trail, and print its summary."""
    with transaction(dry_run):
        report = work()
        report.dry_run = dry_run
        db.session.add(AuditEvent(actor=f"cli: {command}", action="import", entity_type="file", entity_id=report.file[:50],
                                  after={"read": report.read, "imported": report.imported, "updated": report.updated,
                                         "skipped": dict(report.skipped)}))
        if attribution:
            record_source(report.file, attribution)
    click.echo(report.summary())
    return report


def record_source(name: str, attribution: str, licence: str | None = None) -> None:
    """Remember a dataset's attribution for the "About the data" page."""
    source = db.session.scalar(select(DataSource).where(DataSource.name == name)) or DataSource(name=name)
    source.attribution, source.licence = attribution, licence or source.licence
    db.session.add(source)


def init_database() -> None:
    """Bring the schema up to date and load the category taxonomy."""
    from .importers.categories import import_categories

    upgrade(directory=MIGRATIONS_DIR)
    with transaction():
        import_categories(Path(current_app.config["DATA_DIR"]) / "categories.csv")


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database and load the categories (safe to run again)."""
    init_database()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("load-sample")
@with_appcontext
@click.option("--force", is_flag=True, help="Load even if the database already has wards.")
def load_sample_command(force: bool) -> None:
    """Load the fictional sample area when the database is empty."""
    from .sample import load_sample

    if not force and db.session.scalar(select(func.count()).select_from(Ward)):
        click.echo("The database already has wards; sample area not loaded.")
        return
    load_sample()


@click.command("import-wards")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--code-col", help="Column holding the ONS ward code (found automatically if left out).")
@click.option("--name-col", help="Column holding the ward name.")
@click.option("--layer", help="Layer to read from a GeoPackage.")
@click.option("--crs", help="CRS of the coordinates, e.g. EPSG:27700: for a file without one, or to correct a wrong one.")
@click.option("--attribution", help="Attribution text to show on the About the data page.")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_wards_command(path, code_col, name_col, layer, crs, attribution, dry_run) -> None:
    """Import ward boundaries from GeoJSON, GeoPackage or Shapefile."""
    from .importers.wards import import_wards

    run_import("import-wards", dry_run, lambda: import_wards(path, code_col, name_col, crs, layer), attribution)


@click.command("import-assets")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--category-col", help="Column holding category ids or labels (';' between several).")
@click.option("--source", help="Name of the source (default: the file name); re-importing it updates.")
@click.option("--category-map", type=click.Path(), help="CSV with value,category mapping source values to ids.")
@click.option("--add-categories", is_flag=True, help="Add categories for values the taxonomy lacks.")
@click.option("--kind", default="service", show_default=True, help="group, business, venue or service.")
@click.option("--crs", help="CRS of the coordinates: for a file without one, or to correct a wrong one.")
@click.option("--attribution", help="Attribution text to show on the About the data page.")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_assets_command(path, category_col, source, category_map, add_categories, kind, crs, attribution, dry_run) -> None:
    """Import community assets from GeoJSON/GPKG/SHP or CSV."""
    from .importers.assets import import_assets
    from .importers.categories import read_category_map

    def work() -> ImportReport:
        mapping = read_category_map(category_map) if category_map else None
        return import_assets(path, category_col, source, mapping, add_categories, kind, crs=crs,
                             edge_m=float(current_app.config["ACCESS_DISTANCE_M"]))

    run_import("import-assets", dry_run, work, attribution)


@click.command("import-population")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--lookup", type=click.Path(), help="Small area (LSOA) to ward lookup CSV, for small-area tables.")
@click.option("--lsoa-vintage", help="Use only lookup rows of this vintage (e.g. 2021).")
@click.option("--areas", multiple=True, type=click.Path(),
              help="Boundaries of the small areas (repeatable), to place their population at points for the access analysis.")
@click.option("--population-col", help="Column holding the population.")
@click.option("--code-col", help="Column holding the ward or small-area code.")
@click.option("--attribution", help="Attribution text to show on the About the data page.")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_population_command(path, lookup, lsoa_vintage, areas, population_col, code_col, attribution, dry_run) -> None:
    """Import ward population, or small-area population with a lookup."""
    from .importers.population import import_population

    run_import("import-population", dry_run,
               lambda: import_population(path, lookup, population_col, code_col, lsoa_vintage, list(areas)), attribution)


@click.command("import-postcodes")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--attribution", help="Attribution text to show on the About the data page.")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_postcodes_command(path, attribution, dry_run) -> None:
    """Import postcodes from an OS Code-Point Open or ONS Postcode Directory CSV."""
    from .importers.postcodes import import_postcodes

    run_import("import-postcodes", dry_run, lambda: import_postcodes(path), attribution)


@click.command("import-categories")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_categories_command(path, dry_run) -> None:
    """Add or update categories from a CSV (id,label,group,description,osm_tags)."""
    from .importers.categories import import_categories

    run_import("import-categories", dry_run, lambda: import_categories(path))


@click.command("create-user")
@click.argument("email")
@with_appcontext
@click.option("--role", type=click.Choice(["moderator", "admin"]), default="moderator", show_default=True,
              help="moderator: review submissions; admin: everything.")
def create_user_command(email: str, role: str) -> None:
    """Create a staff account (or reset its password); the password is asked for, or read from WEBMAP_NEW_USER_PASSWORD."""
    import os

    from .accounts import AccountError, create_user

    password = os.environ.get("WEBMAP_NEW_USER_PASSWORD")
    if not password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with transaction():
            user, created = create_user(email, password, role)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{'Created' if created else 'Updated'} {role} {user.email}.")


@click.command("import-needs")
@click.argument("path", type=click.Path())
@with_appcontext
@click.option("--source", help="Name of the survey (default: 'survey: FILE NAME'); re-importing it replaces its rows.")
@click.option("--category-map", type=click.Path(), help="CSV with value,category mapping survey answers to category ids.")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_needs_command(path, source, category_map, dry_run) -> None:
    """Import stated needs from a survey table (ward code or postcode per row)."""
    from .importers.categories import read_category_map
    from .importers.needs import import_needs

    def work() -> ImportReport:
        mapping = read_category_map(category_map) if category_map else None
        return import_needs(path, source, mapping)

    run_import("import-needs", dry_run, work)


@click.group("gaps", invoke_without_command=True)
@with_appcontext
@click.pass_context
@click.option("--category", default="all", show_default=True, help="Category id, or 'all' for the overall gap.")
@click.option("--method", type=click.Choice(["count", "share", "2sfca", "e2sfca"]), default="share", show_default=True,
              help="How access is measured.")
@click.option("--distance", type=float, help="Walking distance in metres (default: the ACCESS_DISTANCE_M setting).")
@click.option("--deprivation-weight", is_flag=True, help="Weight stated need by ward deprivation (decile 1 x1.5 ... decile 10 x1).")
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="File to write: .csv, .geojson or .gpkg (the format follows the extension).")
def gaps_command(ctx, category, method, distance, deprivation_weight, out) -> None:
    """Write the gap table for one category (or all needs) to CSV, GeoJSON or GeoPackage."""
    from . import gaps_service

    if ctx.invoked_subcommand:
        return
    if not out:
        raise click.UsageError("Missing option '--out': the file to write the table to (or run 'gaps rebuild').")

    try:
        fmt = gaps_service.format_of(out)
        query = gaps_service.check_query(category, method, distance, current_app.config["ACCESS_DISTANCE_M"],
                                         deprivation_weight)
        table = gaps_service.gap_frame(query)
    except (ValueError, gaps_service.NoWards) as exc:
        raise click.ClickException(str(exc)) from exc
    gaps_service.write_table(table, out, fmt)
    unknown = int(table["population"].isna().sum())
    click.echo(f"Wrote {len(table)} wards to {out} ({fmt}; {query.category}, {query.method}, {query.distance:g} m)."
               + (f" {unknown} ward{' has' if unknown == 1 else 's have'} no population figure." if unknown else ""))
    for line in gaps_service.summary_lines(table) + gaps_service.caveats(query, table):
        click.echo(line)


from .scale.cli import rebuild_command  # noqa: E402  (`flask gaps rebuild`)

gaps_command.add_command(rebuild_command)

COMMANDS = [init_db_command, load_sample_command, import_wards_command, import_assets_command,
            import_population_command, import_postcodes_command, import_categories_command, import_needs_command,
            gaps_command, create_user_command, *OPEN_DATA_COMMANDS]


def init_app(app: Flask) -> None:
    """Register the CLI commands."""
    for command in COMMANDS:
        app.cli.add_command(command)
