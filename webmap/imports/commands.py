"""The import commands (`flask import-wards` ...) and the transaction and credits every import shares."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.inputs import InputRejected
from webmap.core.models import AuditEvent, DataSource, utcnow
from webmap.council.sources import SourceInfo, source_options
from webmap.importers import ImportFailed, ImportReport

OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
OSM_LICENCE = "Open Database Licence (ODbL) 1.0"


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


def run_import(
    command: str,
    dry_run: bool,
    work: Callable[[], ImportReport],
    attribution: str | None = None,
    attribution_from_report: bool = False,
    snapshot: Callable[[], None] | None = None,
    credit: SourceInfo | None = None,
) -> ImportReport:
    """Run one importer in a transaction, record it and its source in the audit trail, print its summary, then snapshot the gaps."""
    with transaction(dry_run):
        report = work()
        report.dry_run = dry_run
        db.session.add(
            AuditEvent(
                actor=f"cli: {command}",
                action="import",
                entity_type="file",
                entity_id=report.file[:50],
                after={
                    "read": report.read,
                    "imported": report.imported,
                    "updated": report.updated,
                    "skipped": dict(report.skipped),
                    "refused": report.refused_rows,
                },
            )
        )
        attribution = attribution or (report.attribution if attribution_from_report else None)
        if credit is not None:
            record_source(
                credit.name_for(command, report.file), attribution, credit.licence, credit.publisher, credit.source_date
            )
        elif attribution:
            record_source(report.file, attribution)
    click.echo(report.summary())
    if not dry_run:
        from webmap.gaps.history import after_change

        snapshot() if snapshot else after_change("import")
    return report


def record_source(
    name: str,
    attribution: str | None,
    licence: str | None = None,
    publisher: str | None = None,
    source_date: str | None = None,
) -> None:
    """Remember a dataset's credits (attribution, licence, publisher, date) for the "About the data" page."""
    source = db.session.scalar(select(DataSource).where(DataSource.name == name)) or DataSource(name=name)
    source.attribution = attribution or source.attribution
    source.licence = licence or source.licence
    source.publisher = publisher or source.publisher
    source.source_date = source_date or source.source_date
    source.imported_at = utcnow()
    db.session.add(source)


@click.command("import-wards")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--code-col", help="Column holding the ONS ward code (found automatically if left out).")
@click.option("--name-col", help="Column holding the ward name.")
@click.option(
    "--name-cy-col",
    help="Column holding the ward's Welsh name (found automatically if left out: WD23NMW, ward_name_welsh).",
)
@click.option("--layer", help="Layer to read from a GeoPackage.")
@click.option(
    "--crs", help="CRS of the coordinates, e.g. 27700 or EPSG:27700: for a file without one, or to correct a wrong one."
)
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows; write the refused ones to a rejects CSV.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False),
    help="Where --skip-bad-rows writes refused rows (default: FILE-rejects.csv here).",
)
@click.option("--attribution", help="Attribution text to show on the About the data page.")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
@source_options
def import_wards_command(
    path, code_col, name_col, name_cy_col, layer, crs, skip_bad_rows, rejects, attribution, dry_run, credit
) -> None:
    """Import ward boundaries from GeoJSON, GeoPackage or Shapefile."""
    from webmap.importers.wards import import_wards

    run_import(
        "import-wards",
        dry_run,
        lambda: import_wards(
            path,
            code_col,
            name_col,
            crs,
            layer,
            skip_bad_rows=skip_bad_rows,
            rejects_path=rejects,
            name_cy_col=name_cy_col,
        ),
        attribution,
        credit=credit,
    )


@click.command("import-assets")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option(
    "--register",
    help="Read the file with a national register's published layout: gias, epraccur, "
    "edispensary, libraries, cqc (see data/registers/); found from the header when left out.",
)
@click.option("--category", help="Give every row this category id (instead of a category column).")
@click.option("--category-col", help="Column holding category ids or labels (';' between several).")
@click.option("--source", help="Name of the source (default: the register, or the file name); re-importing it updates.")
@click.option("--source-date", help="The date the file's source states (e.g. 2025-05-24), for rows without their own.")
@click.option(
    "--category-map", type=click.Path(), help="CSV with value,category[,kind] mapping source values to ids (and kinds)."
)
@click.option("--add-categories", is_flag=True, help="Add categories for values the taxonomy lacks.")
@click.option(
    "--kind",
    help="group, business, venue or service, for rows whose category map gives none "
    "(default: the register's, else service).",
)
@click.option("--crs", help="CRS of the coordinates, e.g. 27700: for a file without one, or to correct a wrong one.")
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows; write the refused ones to a rejects CSV.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False),
    help="Where --skip-bad-rows writes refused rows (default: FILE-rejects.csv here).",
)
@click.option("--attribution", help="Attribution text to show on the About the data page (default: the register's).")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
@source_options(shares_source_date=True)
def import_assets_command(
    path,
    register,
    category,
    category_col,
    source,
    source_date,
    category_map,
    add_categories,
    kind,
    crs,
    skip_bad_rows,
    rejects,
    attribution,
    dry_run,
    credit,
) -> None:
    """Import community assets from GeoJSON/GPKG/SHP, CSV, or a national register as published."""
    from webmap.importers.assets import import_assets
    from webmap.importers.categories import read_category_kinds, read_category_map

    def work() -> ImportReport:
        mapping = read_category_map(category_map) if category_map else None
        kinds = read_category_kinds(category_map) if category_map else None
        return import_assets(
            path,
            category_col,
            source,
            mapping,
            add_categories,
            kind,
            crs=crs,
            category=category,
            category_kinds=kinds,
            register=register,
            source_date=source_date,
            skip_bad_rows=skip_bad_rows,
            rejects_path=rejects,
            edge_m=float(current_app.config["ACCESS_DISTANCE_M"]),
        )

    run_import("import-assets", dry_run, work, attribution, attribution_from_report=True, credit=credit)


@click.command("import-population")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--lookup", type=click.Path(), help="Small area (LSOA) to ward lookup CSV, for small-area tables.")
@click.option("--lsoa-vintage", help="Use only lookup rows of this vintage (e.g. 2021).")
@click.option(
    "--areas",
    multiple=True,
    type=click.Path(),
    help="Boundaries of the small areas (repeatable), to place their population at points for the access analysis.",
)
@click.option("--population-col", help="Column holding the population.")
@click.option("--code-col", help="Column holding the ward or small-area code.")
@click.option("--attribution", help="Attribution text to show on the About the data page.")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
@source_options
def import_population_command(
    path, lookup, lsoa_vintage, areas, population_col, code_col, attribution, dry_run, credit
) -> None:
    """Import ward population, or small-area population with a lookup."""
    from webmap.importers.population import import_population

    run_import(
        "import-population",
        dry_run,
        lambda: import_population(path, lookup, population_col, code_col, lsoa_vintage, list(areas)),
        attribution,
        credit=credit,
    )


@click.command("import-postcodes")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--attribution", help="Attribution text to show on the About the data page.")
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows; write the refused ones to a rejects CSV.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False),
    help="Where --skip-bad-rows writes refused rows (default: FILE-rejects.csv here).",
)
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
@source_options
def import_postcodes_command(path, attribution, skip_bad_rows, rejects, dry_run, credit) -> None:
    """Import postcodes from an OS Code-Point Open or ONS Postcode Directory CSV."""
    from webmap.importers.postcodes import import_postcodes

    run_import(
        "import-postcodes",
        dry_run,
        lambda: import_postcodes(path, skip_bad_rows=skip_bad_rows, rejects_path=rejects),
        attribution,
        credit=credit,
    )


@click.command("import-categories")
@with_appcontext
@click.argument("path", type=click.Path())
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_categories_command(path, dry_run) -> None:
    """Add or update categories from a CSV (id,label,group,description,osm_tags)."""
    from webmap.importers.categories import import_categories

    run_import("import-categories", dry_run, lambda: import_categories(path))


@click.command("import-needs")
@click.argument("path", type=click.Path())
@with_appcontext
@click.option("--source", help="Name of the survey (default: 'survey: FILE NAME'); re-importing it replaces its rows.")
@click.option(
    "--category-map", type=click.Path(), help="CSV with value,category mapping survey answers to category ids."
)
@click.option(
    "--round",
    "round_name",
    help="Survey round, e.g. 'Spring 2027 survey': a new round adds to the history, "
    "re-importing a round replaces that round only.",
)
@click.option("--round-date", help="Day the round was held (YYYY-MM-DD); needed for a new round.")
@click.option("--skip-bad-rows", is_flag=True, help="Import the good rows; write the refused ones to a rejects CSV.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False),
    help="Where --skip-bad-rows writes refused rows (default: FILE-rejects.csv here).",
)
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_needs_command(path, source, category_map, round_name, round_date, skip_bad_rows, rejects, dry_run) -> None:
    """Import stated needs from a survey table (ward code or postcode per row)."""
    from webmap.importers.categories import read_category_map
    from webmap.importers.needs import import_needs

    def work() -> ImportReport:
        mapping = read_category_map(category_map) if category_map else None
        return import_needs(
            path, source, mapping, round_name, round_date, skip_bad_rows=skip_bad_rows, rejects_path=rejects
        )

    def snapshot() -> None:
        from webmap.gaps.history import after_change
        from webmap.importers.needs import parse_round_date

        # A round's snapshot counts that round's needs, dated on the round's day.
        after_change("round", parse_round_date(round_date) or _round_date(round_name)) if round_name else after_change(
            "import"
        )

    run_import("import-needs", dry_run, work, snapshot=snapshot)


def _round_date(name: str):
    from webmap.core.models import SurveyRound

    return db.session.scalar(select(SurveyRound.held_on).where(SurveyRound.name == name.strip()))


@click.command("import-oruk")
@click.argument("path", type=click.Path())
@click.option(
    "--category-map",
    type=click.Path(),
    help="CSV with value,category mapping taxonomy term ids or names to category ids.",
)
@click.option("--default-category", help="Category id for services whose terms map to no category.")
@click.option("--add-categories", is_flag=True, help="Add categories for taxonomy terms the taxonomy lacks.")
@click.option(
    "--schema-dir",
    type=click.Path(file_okay=False),
    help="Folder of the ORUK JSON Schemas (default: WEBMAP_ORUK_SCHEMA_DIR or ../shared/oruk/schema).",
)
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_oruk_command(path, category_map, default_category, add_categories, schema_dir, dry_run) -> None:
    """Import services from Open Referral UK JSON (a service, a page of services or of service_at_locations)."""
    from webmap.importers.categories import read_category_map
    from webmap.opendata.oruk_import import import_oruk

    def work() -> ImportReport:
        mapping = read_category_map(category_map) if category_map else None
        return import_oruk(path, mapping, default_category, add_categories, schema_dir)

    run_import("import-oruk", dry_run, work)


@click.command("import-osm")
@click.argument("path", type=click.Path())
@click.option("--kind", default="venue", show_default=True, help="group, business, venue or service.")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_osm_command(path, kind, dry_run) -> None:
    """Import OpenStreetMap places (.osm.pbf, OSM GeoJSON or Overpass JSON) through the categories' OSM tags."""
    from webmap.importers.osm import import_osm

    def work() -> ImportReport:
        report = import_osm(path, kind=kind)
        record_source("OpenStreetMap", OSM_ATTRIBUTION, licence=OSM_LICENCE)
        return report

    run_import("import-osm", dry_run, work)


COMMANDS = [
    import_wards_command,
    import_assets_command,
    import_population_command,
    import_postcodes_command,
    import_categories_command,
    import_needs_command,
    import_oruk_command,
    import_osm_command,
]
