"""`flask export`: approved places as CSV, GeoJSON, GeoPackage or Open Referral UK JSON."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "geojson", "gpkg", "oruk"]),
    help="Output format (default: from the file's extension: .csv, .geojson, .gpkg).",
)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--bom", is_flag=True, help="CSV only: write UTF-8 with a byte-order mark, so Excel shows accents.")
def export_command(fmt, out, bom) -> None:
    """Export approved assets (public fields only) as CSV, GeoJSON, GeoPackage or ORUK JSON."""
    from webmap.opendata import exports

    fmt = exports.format_for(out, fmt)
    if fmt is None:
        raise click.ClickException(
            f"Cannot tell the format from '{Path(out).name}': give --format csv, geojson, gpkg or oruk."
        )
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


OPEN_DATA_COMMANDS = [export_command]
