"""Benchmark the radius search (webmap.partners.nearby.find_nearby) on 1,000,000 synthetic approved assets.

Run: ./.venv/bin/python bench/bench_nearby.py [--rows N] [--queries N] [--postgis-url URL]

Each backend gets a database of its own, made and thrown away here: a temporary SQLite file,
and a PostGIS database named webmap_bench (created and dropped; skipped with a message when
PostgreSQL cannot be reached). Assets are spread uniformly over a box the size of England and
Wales (about 105,000 km², ~9.5 assets per km²), each with one or two categories. The search
points are random points inside the box; every query asks for the first page (PAGE_SIZE rows)
nearest first, as the /partners page does. Target: p95 under 50 ms on PostGIS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webmap import create_app  # noqa: E402
from webmap.cli import init_database  # noqa: E402
from webmap.core.db import db  # noqa: E402

BOX = (-4.0, 51.0, 0.0, 54.5)  # lon/lat: roughly England and Wales
MARGIN = 0.1  # keep search centres away from the edge, so circles are full
RADII = (1000, 5000)
PAGE = 50
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BENCH_DB = "webmap_bench"
SEED = 20251129


def synthetic(rows: int, categories: list[str]):
    """Return ids, lon, lat, WKB points and (asset id, category) pairs, the same every run."""
    rng = np.random.default_rng(SEED)
    lon = np.round(rng.uniform(BOX[0], BOX[2], rows), 7)
    lat = np.round(rng.uniform(BOX[1], BOX[3], rows), 7)
    ids = np.arange(1, rows + 1)
    first = rng.integers(0, len(categories), rows)
    second = rng.integers(0, len(categories), rows)
    two = (rng.random(rows) < 0.3) & (second != first)
    pairs = [(int(i), categories[c]) for i, c in zip(ids, first)]
    pairs += [(int(i), categories[c]) for i, c in zip(ids[two], second[two])]
    return ids, lon, lat, shapely.points(lon, lat), pairs


def search_points(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack(
        [rng.uniform(BOX[0] + MARGIN, BOX[2] - MARGIN, n), rng.uniform(BOX[1] + MARGIN, BOX[3] - MARGIN, n)]
    )


def load_sqlite(rows: int, categories: list[str]) -> None:
    """Bulk insert with executemany on the raw sqlite3 connection, in one transaction."""
    ids, lon, lat, points, pairs = synthetic(rows, categories)
    wkb = shapely.to_wkb(points)
    now = "2025-11-29 00:00:00.000000"
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.executemany(
            "INSERT INTO assets (id, name, kind, lon, lat, geom, source, source_id, status, created_at, updated_at)"
            " VALUES (?, ?, 'service', ?, ?, ?, 'bench', ?, 'approved', ?, ?)",
            ((int(i), f"Asset {i}", float(x), float(y), w, str(i), now, now) for i, x, y, w in zip(ids, lon, lat, wkb)),
        )
        cur.executemany("INSERT INTO asset_categories (asset_id, category_id) VALUES (?, ?)", pairs)
        raw.commit()
        cur.execute("ANALYZE")
    finally:
        raw.close()


def load_postgis(rows: int, categories: list[str]) -> None:
    """COPY through psycopg, building the indexes once afterwards (far faster than row by row)."""
    ids, lon, lat, points, pairs = synthetic(rows, categories)
    ewkb = shapely.to_wkb(shapely.set_srid(points, 4326), hex=True, include_srid=True)
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        for name in ("ix_assets_geog", "ix_assets_geom", "ix_assets_lon_lat", "ix_assets_status"):
            cur.execute(f"DROP INDEX {name}")
        with cur.copy(
            "COPY assets (id, name, kind, lon, lat, geom, source, source_id, status, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i, x, y, g in zip(ids, lon, lat, ewkb):
                copy.write_row(
                    (
                        int(i),
                        f"Asset {i}",
                        "service",
                        float(x),
                        float(y),
                        g,
                        "bench",
                        str(i),
                        "approved",
                        "2025-11-29",
                        "2025-11-29",
                    )
                )
        with cur.copy("COPY asset_categories (asset_id, category_id) FROM STDIN") as copy:
            for pair in pairs:
                copy.write_row(pair)
        # The same definitions as migration 0001.
        cur.execute("CREATE INDEX ix_assets_geog ON assets USING gist ((geom::geography))")
        cur.execute("CREATE INDEX ix_assets_geom ON assets USING gist (geom)")
        cur.execute("CREATE INDEX ix_assets_lon_lat ON assets (lon, lat)")
        cur.execute("CREATE INDEX ix_assets_status ON assets (status)")
        cur.execute("SELECT setval('assets_id_seq', (SELECT max(id) FROM assets))")
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def time_queries(label: str, queries: int, categories: list[str]) -> list[tuple]:
    """Time find_nearby at each radius (and once with a category filter); return result rows."""
    from webmap.partners.nearby import find_nearby

    out = []
    cases = [(r, None) for r in RADII] + [(5000, [categories[0]])]
    for radius, cats in cases:
        pts = search_points(queries + 20, seed=radius + (7 if cats else 0))
        times, counts = [], []
        for n, (x, y) in enumerate(pts):
            start = time.perf_counter()
            found = find_nearby(float(x), float(y), radius, categories=cats, limit=PAGE)
            elapsed = (time.perf_counter() - start) * 1000
            db.session.remove()  # each request has a fresh session, as in the app
            if n >= 20:  # the first 20 warm the caches
                times.append(elapsed)
                counts.append(len(found))
        case = f"{radius / 1000:g} km" + (f", category={cats[0]}" if cats else "")
        out.append((label, case, len(times), statistics.median(times), percentile(times, 95), statistics.mean(counts)))
        print(
            f"  {label:8} {case:28} median {statistics.median(times):7.2f} ms   p95 {percentile(times, 95):7.2f} ms"
            f"   (mean {statistics.mean(counts):.1f} results per page)",
            flush=True,
        )
    return out


def matches_per_query(radius: int) -> float:
    from webmap.partners.nearby import count_nearby

    pts = search_points(20, seed=radius)
    return statistics.mean(count_nearby(float(x), float(y), radius) for x, y in pts)


def run_backend(label: str, url: str, rows: int, queries: int, loader) -> list[tuple]:
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "bench", "TILES_URL": "", "RATELIMIT_ENABLED": False, "DATABASE_URL": url}
    )
    with app.app_context():
        init_database()
        categories = [c for (c,) in db.session.execute(text("SELECT id FROM categories ORDER BY sort_order, id"))]
        start = time.perf_counter()
        loader(rows, categories)
        print(f"  {label}: loaded {rows:,} assets in {time.perf_counter() - start:.1f} s", flush=True)
        for radius in RADII:
            print(f"  {label}: {matches_per_query(radius):,.0f} assets within {radius:,} m on average", flush=True)
        if label == "PostGIS":
            from webmap.partners.nearby import explain_nearby

            plan = explain_nearby(-2.0, 52.5, 5000)
            print(
                "  PostGIS plan:", "uses ix_assets_geog" if "ix_assets_geog" in plan else "DOES NOT use ix_assets_geog"
            )
        results = time_queries(label, queries, categories)
        db.session.remove()
        db.engine.dispose()
    return results


def postgis_available(admin_url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(admin_url, connect_timeout=3):
            return True
    except psycopg.OperationalError as exc:
        print(f"PostGIS skipped: cannot connect to {admin_url} ({str(exc).strip().splitlines()[0]})")
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--postgis-admin-url",
        default=os.environ.get("WEBMAP_BENCH_POSTGIS_ADMIN_URL", ADMIN_URL),
        help="a database to connect to for creating and dropping webmap_bench",
    )
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgis", action="store_true")
    parser.add_argument("--keep-postgis", action="store_true", help="leave webmap_bench in place for inspection")
    args = parser.parse_args()
    print(
        f"Radius search benchmark: {args.rows:,} approved assets, {args.queries} queries per case, first page of {PAGE}"
    )
    rows: list[tuple] = []

    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="webmap-bench-") as tmp:
            rows += run_backend(
                "SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}", args.rows, args.queries, load_sqlite
            )

    if not args.skip_postgis and postgis_available(args.postgis_admin_url):
        import psycopg

        with psycopg.connect(args.postgis_admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            admin.execute(f"CREATE DATABASE {BENCH_DB}")
        base = args.postgis_admin_url.rsplit("/", 1)[0]
        try:
            with psycopg.connect(f"{base}/{BENCH_DB}", autocommit=True) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            url = f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{BENCH_DB}"
            rows += run_backend("PostGIS", url, args.rows, args.queries, load_postgis)
        finally:
            if args.keep_postgis:
                print(f"  kept database {BENCH_DB}; the next run drops it")
            else:
                with psycopg.connect(args.postgis_admin_url, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")

    print("\nbackend   case                          queries  median ms   p95 ms  results/page")
    for label, case, n, median, p95, mean in rows:
        print(f"{label:9} {case:29} {n:7} {median:10.2f} {p95:8.2f} {mean:13.1f}")
    postgis = [r for r in rows if r[0] == "PostGIS"]
    if postgis:
        worst = max(r[4] for r in postgis)
        print(f"\nPostGIS worst p95 {worst:.1f} ms: target p95 < 50 ms {'met' if worst < 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
