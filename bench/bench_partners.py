"""Benchmark partner suggestions (webmap.partners.exchange.suggest) for every listing of the open data kit.

Run: ./.venv/bin/python bench/bench_partners.py [--radius M] [--postgis-url URL]

Loads the kit's wards and 1,565 community assets into a temporary SQLite file (or the PostGIS
database given, which is emptied first), gives a third of the listings two random offers and one
need from data/offers_needs.csv (seeded, the same every run), then times suggest() for every
listing at the radius a listing page uses (2,000 m): the work behind "Find partners nearby".
Exits 77 ("skipped" to run_all.py), saying why, when the kit is absent.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.skipping import skip  # noqa: E402
from webmap import create_app  # noqa: E402
from webmap.cli import init_database  # noqa: E402
from webmap.core.db import db  # noqa: E402

SHARED = Path(os.environ.get("WEBMAP_SHARED_DATA", REPO / ".." / "shared" / "data"))
WARDS = SHARED / "boundaries/wards/study_area_wards.geojson"
ASSETS = SHARED / "assets/study_area/community_assets_study_area.geojson"
CATEGORY_MAP = {
    "school_or_education": "education",
    "place_of_worship": "faith",
    "polling_station": "public_service",
    "hospital_or_clinic": "health",
    "post_office": "public_service",
    "food_bank": "food_support",
    "fire_station": "public_service",
    "green_flag_park": "green_space",
    "jobcentre": "employment",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--radius", type=float, default=2000)
    parser.add_argument("--postgis-url", default=None)
    args = parser.parse_args()
    if not ASSETS.exists():
        return skip("bench_partners", f"open data kit not found at {SHARED}")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgis_url or f"sqlite:///{tmp}/bench.sqlite"
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "TILES_URL": "", "DATABASE_URL": url})
        with app.app_context():
            from sqlalchemy import select, text

            from webmap.core.models import Asset
            from webmap.groups.listings import Exchange, set_exchange
            from webmap.groups.vocabulary import load_vocabulary
            from webmap.importers.assets import import_assets
            from webmap.importers.wards import import_wards
            from webmap.partners.exchange import suggest

            if args.postgis_url:
                with db.engine.begin() as conn:
                    conn.execute(
                        text(
                            "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public; "
                            "CREATE EXTENSION IF NOT EXISTS postgis"
                        )
                    )
            init_database()
            import_wards(WARDS)
            import_assets(ASSETS, source="study_area", category_map=CATEGORY_MAP)
            db.session.commit()
            listings = list(db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)))
            items = [i.id for i in load_vocabulary()]
            rng = random.Random(20261201)
            for asset in rng.sample(listings, len(listings) // 3):
                set_exchange(asset, Exchange(rng.sample(items, 2), rng.sample(items, 1)), who="bench")
            db.session.commit()
            times, counts = [], []
            for asset in listings:
                start = time.perf_counter()
                counts.append(len(suggest(asset, args.radius)))
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            backend = "PostGIS" if args.postgis_url else "SQLite"
            print(
                f"  {backend}: suggest() for {len(listings):,} listings at {args.radius:,.0f} m: "
                f"median {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95)]:.1f} ms, "
                f"max {times[-1]:.1f} ms; {statistics.mean(counts):.0f} partners per listing on average"
            )
            db.session.remove()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
