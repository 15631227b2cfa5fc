"""Small helpers shared by the importer tests: run a CLI command, count rows, write test files."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import geopandas as gpd
import shapely
from sqlalchemy import func, select

from webmap.core.db import db

# Two adjacent square wards near Oldham; they share the vertical edge at lon -2.15.
WEST, MID, EAST, SOUTH, NORTH = -2.20, -2.15, -2.10, 53.50, 53.55
WARD_A, WARD_B = "E05900101", "E05900102"


def run(app, *args: str):
    """Invoke a flask CLI command on the app and return click's Result."""
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def count(app, model) -> int:
    """Return the number of rows of a model."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(x0, y0, x1, y1)


def write_vector(path: Path, records: list[dict], crs: str | None = "EPSG:4326", driver: str | None = None) -> Path:
    """Write records (with a 'geometry' key) as a GIS file; the driver follows the suffix."""
    frame = gpd.GeoDataFrame(records, geometry="geometry", crs=crs)
    with warnings.catch_warnings():
        if crs is None:  # geopandas warns that the file will lack a CRS: that is the point here
            warnings.simplefilter("ignore", UserWarning)
        frame.to_file(path, driver=driver) if driver else frame.to_file(path)
    return path


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    """Write a CSV with a header row."""
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def two_wards_file(tmp_path: Path, reverse: bool = False) -> Path:
    """Write the two test wards (A west, B east) as GeoJSON, optionally B first."""
    rows = [
        {"ward_code": WARD_A, "ward_name": "Alpha", "geometry": box(WEST, SOUTH, MID, NORTH)},
        {"ward_code": WARD_B, "ward_name": "Beta", "geometry": box(MID, SOUTH, EAST, NORTH)},
    ]
    return write_vector(tmp_path / "two_wards.geojson", rows[::-1] if reverse else rows)


def load_two_wards(app, tmp_path: Path, reverse: bool = False) -> None:
    """Import the two test wards through the CLI."""
    result = run(app, "import-wards", two_wards_file(tmp_path, reverse))
    assert result.exit_code == 0, result.output
