"""Load the fictional sample area that `make run` shows on a new installation."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from webmap.imports.commands import record_source, transaction

SAMPLE_NAME = "Asterby Vale sample area (fictional)"
SAMPLE_NOTE = "Made up by scripts/make_sample_area.py to demonstrate the map; not real places or people."


def load_sample() -> None:
    """Import the sample wards, postcodes, assets and needs in one transaction."""
    from webmap.importers.assets import import_assets
    from webmap.importers.needs import import_needs
    from webmap.importers.postcodes import import_postcodes
    from webmap.importers.wards import import_wards

    data = Path(current_app.config["DATA_DIR"])
    with transaction():
        reports = [
            import_wards(data / "boundaries" / "sample_wards.geojson"),
            import_postcodes(data / "postcodes" / "sample_postcodes.csv"),
            import_assets(data / "assets" / "sample_assets.geojson", source="sample"),
            import_needs(data / "assets" / "sample_needs.csv", source="sample survey"),
        ]
        record_source(SAMPLE_NAME, SAMPLE_NOTE, licence="fictional")
    for report in reports:
        click.echo(report.summary())
    click.echo("Sample area loaded. It is fictional: replace it with your own data (see README).")
