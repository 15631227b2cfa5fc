"""Time the open data routes on the real study area (1,565 assets): ORUK feed, exports, imports.

Usage: .venv/bin/python bench/open_data.py [DATABASE_URL]   (default: a temporary SQLite file)
Needs ../shared/data (WEBMAP_SHARED_DATA) for the study-area wards and assets.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webmap import create_app  # noqa: E402
from webmap.cli import init_database  # noqa: E402
from webmap.core.db import db  # noqa: E402
from webmap.imports.commands import transaction  # noqa: E402

DATA = Path(os.environ.get("WEBMAP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def timed(label: str, fn, repeat: int = 5) -> None:
    best = min(_once(fn) for _ in range(repeat))
    print(f"{label:55s} {best * 1000:8.1f} ms (best of {repeat})")


def _once(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    tmp = tempfile.mkdtemp()
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{tmp}/bench.sqlite"
    app = create_app({"DATABASE_URL": url, "TESTING": True, "TILES_URL": ""})
    with app.app_context():
        init_database()
        from webmap.importers.assets import import_assets
        from webmap.importers.postcodes import import_postcodes
        from webmap.importers.wards import import_wards

        start = time.perf_counter()
        with transaction():
            import_wards(DATA / "boundaries" / "wards" / "study_area_wards.geojson")
            report = import_assets(
                DATA / "assets" / "study_area" / "community_assets_study_area.geojson",
                source="study area",
                add_categories=True,
            )
            import_postcodes(DATA / "postcodes" / "codepoint_open_2025-10_study_area.csv")
        print(f"loaded {report.imported} assets in {time.perf_counter() - start:.1f} s ({db.engine.dialect.name})")
        from webmap.core.models import Asset
        from webmap.opendata import oruk

        sid = oruk.service_id(db.session.scalar(db.select(Asset)))
    client = app.test_client()
    timed("GET /oruk/services?per_page=50", lambda: client.get("/oruk/services?per_page=50"))
    timed("GET /oruk/services?per_page=1000", lambda: client.get("/oruk/services?per_page=1000"))
    timed("GET /oruk/services/{id}", lambda: client.get(f"/oruk/services/{sid}"))
    response = client.get("/oruk/service_at_locations?postcode=OL8%202BY&proximity=2000")
    assert response.status_code == 200, response.get_data(as_text=True)
    print(f"  (OL8 2BY within 2 km: {response.get_json()['total_items']} services)")
    timed(
        "GET /oruk/service_at_locations?postcode=OL8 2BY&proximity=2000",
        lambda: client.get("/oruk/service_at_locations?postcode=OL8%202BY&proximity=2000"),
    )
    timed("GET /export/assets.csv", lambda: client.get("/export/assets.csv"))
    timed("GET /export/assets.geojson", lambda: client.get("/export/assets.geojson"))
    timed("GET /export/assets.gpkg", lambda: client.get("/export/assets.gpkg"))
    out = Path(tmp) / "services.json"
    with app.app_context():
        timed(
            "flask export --format oruk (all services)",
            lambda: app.test_cli_runner().invoke(args=["export", "--format", "oruk", "--out", str(out)]),
            repeat=1,
        )
        timed(
            "flask import-oruk (re-import: all updates)",
            lambda: app.test_cli_runner().invoke(args=["import-oruk", str(out), "--add-categories"]),
            repeat=1,
        )


if __name__ == "__main__":
    main()
