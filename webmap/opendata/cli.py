"""CLI commands for open data in and out: exports, Open Referral UK and OpenStreetMap imports.

Kept apart from cli.py so that module stays small; cli.py lists these in COMMANDS.
"""
from __future__ import annotations

from pathlib import Path

import click

from webmap.importers import ImportReport

OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
OSM_LICENCE = "Open Database Licence (ODbL) 1.0"


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson", "gpkg", "oruk"]),
              help="Output format (default: from the file's extension: .csv, .geojson, .gpkg).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--bom", is_flag=True, help="CSV only: write UTF-8 with a byte-order mark, so Excel shows accents.")
def export_command(fmt, out, bom) -> None:
    """Export approved assets (public fields only) as CSV, GeoJSON, GeoPackage or ORUK JSON."""
    from webmap.opendata import exports

    fmt = exports.format_for(out, fmt)
    if fmt is None:
        raise click.ClickException(f"Cannot tell the format from '{Path(out).name}': give --format csv, geojson, gpkg or oruk.")
    if bom and fmt != "csv":
        raise click.ClickException("--bom only applies to CSV exports.")
    if fmt == "oruk":
        import json

        from webmap.opendata.oruk import service_package

        services = service_package()
        Path(out).write_text(json.dumps(services, ensure_ascii=False, indent=1), encoding="utf-8")
        click.echo(f"Wrote {len(services)} ORUK services to {out}.")
        return
    frame = exports.assets_export_frame()
    if fmt == "gpkg":
        exports.write_gpkg(frame, out)
    else:
        Path(out).write_bytes(exports.export_bytes(fmt, frame, bom=bom))
    click.echo(f"Wrote {len(frame)} approved assets to {out} ({fmt}).")


@click.command("import-oruk")
@click.argument("path", type=click.Path())
@click.option("--category-map", type=click.Path(), help="CSV with value,category mapping taxonomy term ids or names to category ids.")
@click.option("--default-category", help="Category id for services whose terms map to no category.")
@click.option("--add-categories", is_flag=True, help="Add categories for taxonomy terms the taxonomy lacks.")
@click.option("--schema-dir", type=click.Path(file_okay=False),
              help="Folder of the ORUK JSON Schemas (default: WEBMAP_ORUK_SCHEMA_DIR or ../shared/oruk/schema).")
@click.option("--dry-run", is_flag=True, help="Check and report, but save nothing.")
def import_oruk_command(path, category_map, default_category, add_categories, schema_dir, dry_run) -> None:
    """Import services from Open Referral UK JSON (a service, a page of services or of service_at_locations)."""
    from webmap.cli import run_import
    from webmap.importers.categories import read_category_map
    from webmap.importers.oruk import import_oruk

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
    from webmap.cli import record_source, run_import
    from webmap.importers.osm import import_osm

    def work() -> ImportReport:
        report = import_osm(path, kind=kind)
        record_source("OpenStreetMap", OSM_ATTRIBUTION, licence=OSM_LICENCE)
        return report

    run_import("import-osm", dry_run, work)


OPEN_DATA_COMMANDS = [export_command, import_oruk_command, import_osm_command]
