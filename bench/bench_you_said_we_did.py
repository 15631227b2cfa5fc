"""Server time of "you said, we did" on the real study area (67 wards, 1,565 places, the made-up survey).

Loads the kit through the import commands (the survey as a round dated before today, the gap
store kept inline), then times, warm, the area page /you-said-we-did, a ward's own page and a
ward profile (/wards/CODE, whose "what changed since residents asked" block is the feedback one):
median of 5, wall time and this process's CPU time (time.process_time) per request.

Usage: .venv/bin/python bench/bench_you_said_we_did.py [DATABASE_URL] [--reuse] [--only=TEXT]
(default: a temporary SQLite file; --reuse times a database this script loaded before; --only
times only the addresses containing TEXT.)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.skipping import skip  # noqa: E402
from webmap import create_app  # noqa: E402
from webmap.cli import init_database  # noqa: E402

WARD = "E05000955"  # a Wigan ward residents asked for 12 kinds of place in (the made-up survey)
CONFIG = {"TESTING": True, "TILES_URL": "", "GAP_SNAPSHOTS": "inline", "GAP_SNAPSHOT_METHODS": "share"}


def timed(client, url: str, repeat: int = 5) -> tuple[float, float]:
    """Return the median (wall, CPU) seconds of `repeat` warm requests."""
    client.get(url)  # warm: imports, caches, and anything a first visit writes once
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(walls), statistics.median(cpus)


def load(app, tmp: Path) -> None:
    from tests.kit_helpers import SURVEY, invoke, load_study_area
    from webmap.core.db import db
    from webmap.importers.categories import import_categories

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import text

            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        init_database()
        import_categories(Path(__file__).resolve().parent.parent / "data" / "categories.csv")
        db.session.commit()
    start = time.perf_counter()
    load_study_area(app, survey=False)
    invoke(app, "import-needs", SURVEY, "--round", "Study area survey 2026", "--round-date", "2026-06-30")
    print(f"loaded the study area in {time.perf_counter() - start:.1f} s")


def main() -> int:
    from tests.kit_helpers import SHARED_DATA

    if not SHARED_DATA.exists():
        return skip("bench_you_said_we_did", f"open data kit not found at {SHARED_DATA}")
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    url = args[0] if args else f"sqlite:///{tempfile.mkdtemp()}/kit.sqlite"
    app = create_app({**CONFIG, "DATABASE_URL": url})
    if "--reuse" not in sys.argv:
        load(app, Path(tempfile.mkdtemp()))
    else:
        with app.app_context():
            init_database()  # the schema of this code (migrations), on a database loaded before
    client = app.test_client()
    only = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")), "")
    for label, path in [
        ("/you-said-we-did (area page)", "/you-said-we-did"),
        ("/you-said-we-did?page=2", "/you-said-we-did?page=2"),
        (f"/wards/{WARD}/you-said-we-did", f"/wards/{WARD}/you-said-we-did"),
        (f"/wards/{WARD} (ward profile)", f"/wards/{WARD}"),
        ("/you-said-we-did.csv (whole area)", "/you-said-we-did.csv"),
    ]:
        if only and only not in path:
            continue
        wall, cpu = timed(client, path)
        print(f"{label:45s} wall {wall * 1000:8.0f} ms   CPU {cpu * 1000:8.0f} ms (median of 5, warm)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
