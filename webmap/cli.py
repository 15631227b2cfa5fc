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

from webmap.opendata.cli import OPEN_DATA_COMMANDS
from .council.sources import SourceInfo, source_options
from .db import MIGRATIONS_DIR, db
from .hardening.inputs import InputRejected
from .importers import ImportFailed, ImportReport
from .imports.cli import imports_group
from .models import AuditEvent, DataSource, Ward, utcnow


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
    except InputRejected as exc:
        db.session.rollback()
        raise click.ClickException(f"Nothing was imported: {exc}") from exc
    except BaseException:
        db.session.rollback()
        raise


def run_import(command: str, dry_run: bool, work: Callable[[], ImportReport], attribution: str | None = None,
               attribution_from_report: bool = False, snapshot: Callable[[], None] | None = None,
               credit: SourceInfo | None = None) -> ImportReport:
    """Run one importer in a transaction, record it and its source in the audit trail, print its summary, then snapshot the gaps."""
    with transaction(dry_run):
        report = work()
        report.dry_run = dry_run
        db.session.add(AuditEvent(actor=f"cli: {command}", action="import", entity_type="file", entity_id=report.file[:50],
                                  after={"read": report.read, "imported": report.imported, "updated": report.updated,
                                         "skipped": dict(report.skipped), "refused": report.refused_rows}))
        attribution = attribution or (report.attribution if attribution_from_report else None)
        if credit is not None:
            record_source(credit.name_for(command, report.file), attribution, credit.licence, credit.publisher,
                          credit.source_date)
        elif attribution:
            record_source(report.file, attribution)
    click.echo(report.summary())
    if not dry_run:
        from .feedback.snapshots import after_change

        snapshot() if snapshot else after_change("import")
    return report


def record_source(name: str, attribution: str | None, licence: str | None = None, publisher: str | None = None,
                  source_date: str | None = None) -> None:
    """Remember a dataset's credits (attribution, licence, publisher, date) for the "About the data" page."""
    source = db.session.scalar(select(DataSource).where(DataSource.name == name)) or DataSource(name=name)
    source.attribution = attribution or source.attribution
    source.licence = licence or source.licence
    source.publisher = publisher or source.publisher
    source.source_date = source_date or source.source_date
    source.imported_at = utcnow()
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
    from .feedback.snapshots import after_change

    after_change("import")


@click.command("import-wards")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--code-col", help="Column holding the ONS ward code (found automatically if left out).")
@click.option("--name-col", help="Column holding the ward name.")
@click.option("--layer", help="Layer to read from a GeoPackage.")
@click.option("--crs", help="CRS of the coordinates, e.g. 27700 or EPSG:27700: for a file without one, or to correct a wrong one.")
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows; write the refused ones to a rejects CSV.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Where --skip-bad-rows writes refused rows (default: FILE-rejects.csv here).")
@click.option("--attribution", help="Attribution text to show on the About the data page.")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
@source_options
def import_wards_command(path, code_col, name_col, layer, crs, skip_bad_rows, rejects, attribution, dry_run, credit) -> None:
    """Import ward boundaries from GeoJSON, GeoPackage or Shapefile."""
    from .importers.wards import import_wards

    run_import("import-wards", dry_run, lambda: import_wards(path, code_col, name_col, crs, layer, skip_bad_rows=skip_bad_rows,
                                                             rejects_path=rejects), attribution, credit=credit)


@click.command("import-assets")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--register", help="Read the file with a national register's published layout: gias, epraccur, "
              "edispensary, libraries, cqc (see data/registers/); found from the header when left out.")
@click.option("--category", help="Give every row this category id (instead of a category column).")
@click.option("--category-col", help="Column holding category ids or labels (';' between several).")
@click.option("--source", help="Name of the source (default: the register, or the file name); re-importing it updates.")
@click.option("--source-date", help="The date the file's source states (e.g. 2025-05-24), for rows without their own.")
@click.option("--category-map", type=click.Path(), help="CSV with value,category[,kind] mapping source values to ids (and kinds).")
@click.option("--add-categories", is_flag=True, help="Add categories for values the taxonomy lacks.")
@click.option("--kind", help="group, business, venue or service, for rows whose category map gives none "
                             "(default: the register's, else service).")
@click.option("--crs", help="CRS of the coordinates, e.g. 27700: for a file without one, or to correct a wrong one.")
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows; write the refused ones to a rejects CSV.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Where --skip-bad-rows writes refused rows (default: FILE-rejects.csv here).")
@click.option("--attribution", help="Attribution text to show on the About the data page (default: the register's).")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
@source_options(shares_source_date=True)
def import_assets_command(path, register, category, category_col, source, source_date, category_map, add_categories, kind,
                          crs, skip_bad_rows, rejects, attribution, dry_run, credit) -> None:
    """Import community assets from GeoJSON/GPKG/SHP, CSV, or a national register as published."""
    from .importers.assets import import_assets
    from .importers.categories import read_category_kinds, read_category_map

    def work() -> ImportReport:
        mapping = read_category_map(category_map) if category_map else None
        kinds = read_category_kinds(category_map) if category_map else None
        return import_assets(path, category_col, source, mapping, add_categories, kind, crs=crs, category=category,
                             category_kinds=kinds,
                             register=register, source_date=source_date, skip_bad_rows=skip_bad_rows, rejects_path=rejects,
                             edge_m=float(current_app.config["ACCESS_DISTANCE_M"]))

    run_import("import-assets", dry_run, work, attribution, attribution_from_report=True, credit=credit)


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
@source_options
def import_population_command(path, lookup, lsoa_vintage, areas, population_col, code_col, attribution, dry_run, credit) -> None:
    """Import ward population, or small-area population with a lookup."""
    from .importers.population import import_population

    run_import("import-population", dry_run,
               lambda: import_population(path, lookup, population_col, code_col, lsoa_vintage, list(areas)), attribution, credit=credit)


@click.command("import-postcodes")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--attribution", help="Attribution text to show on the About the data page.")
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows; write the refused ones to a rejects CSV.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Where --skip-bad-rows writes refused rows (default: FILE-rejects.csv here).")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
@source_options
def import_postcodes_command(path, attribution, skip_bad_rows, rejects, dry_run, credit) -> None:
    """Import postcodes from an OS Code-Point Open or ONS Postcode Directory CSV."""
    from .importers.postcodes import import_postcodes

    run_import("import-postcodes", dry_run, lambda: import_postcodes(path, skip_bad_rows=skip_bad_rows, rejects_path=rejects),
               attribution, credit=credit)


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

    from webmap.staff.accounts import AccountError, create_user

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
@click.option("--round", "round_name", help="Survey round, e.g. 'Spring 2027 survey': a new round adds to the history, "
              "re-importing a round replaces that round only.")
@click.option("--round-date", help="Day the round was held (YYYY-MM-DD); needed for a new round.")
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows; write the refused ones to a rejects CSV.")
@click.option("--rejects", type=click.Path(dir_okay=False), help="Where --skip-bad-rows writes refused rows (default: FILE-rejects.csv here).")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_needs_command(path, source, category_map, round_name, round_date, skip_bad_rows, rejects, dry_run) -> None:
    """Import stated needs from a survey table (ward code or postcode per row)."""
    from .importers.categories import read_category_map
    from .importers.needs import import_needs

    def work() -> ImportReport:
        mapping = read_category_map(category_map) if category_map else None
        return import_needs(path, source, mapping, round_name, round_date, skip_bad_rows=skip_bad_rows,
                            rejects_path=rejects)

    def snapshot() -> None:
        from .feedback.snapshots import after_change
        from .importers.needs import parse_round_date

        # A round's snapshot counts that round's needs, dated on the round's day.
        after_change("round", parse_round_date(round_date) or _round_date(round_name)) if round_name else after_change("import")

    run_import("import-needs", dry_run, work, snapshot=snapshot)


def _round_date(name: str):
    from .models import SurveyRound

    return db.session.scalar(select(SurveyRound.held_on).where(SurveyRound.name == name.strip()))


@click.group("gaps", invoke_without_command=True)
@with_appcontext
@click.option("--category", default="all", show_default=True, help="Category id, or 'all' for the overall gap.")
@click.option("--method", type=click.Choice(["count", "share", "2sfca", "e2sfca"]), default="share", show_default=True,
              help="How access is measured.")
@click.option("--distance", type=float, help="Walking distance in metres (default: the ACCESS_DISTANCE_M setting).")
@click.option("--deprivation-weight", is_flag=True, help="Weight stated need by ward deprivation (decile 1 x1.5 ... decile 10 x1).")
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="File to write: .csv, .geojson or .gpkg (the format follows the extension).")
@click.pass_context
def gaps_command(ctx, category, method, distance, deprivation_weight, out) -> None:
    """Write the gap table for one category (or all needs) to CSV, GeoJSON or GeoPackage.

    `gaps snapshot` and `gaps history` keep and show the gap table over time.
    """
    from . import gaps_service

    if ctx.invoked_subcommand is not None:
        return
    if not out:
        raise click.UsageError("Missing option '--out': name the file to write (.csv, .geojson or .gpkg).", ctx)
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
            gaps_command, create_user_command, *OPEN_DATA_COMMANDS, imports_group]


def init_app(app: Flask) -> None:
    """Register the CLI commands; any but init-db says to run init-db when the database has no tables."""
    from .feedback.cli import register as register_feedback
    from .importers.ready import guard

    for command in COMMANDS:
        app.cli.add_command(command if command is init_db_command else guard(command))
    register_feedback(app, gaps_command)
