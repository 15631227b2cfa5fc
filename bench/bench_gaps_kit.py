"""Server time of the gap pages on the real study area (67 wards, LSOA points, 1,565 places, survey).

Loads the kit into a temporary SQLite database through the import commands, then times the
ward profile (every kind of place in one pass), /gaps for all needs, and the CSV export; then the
ward's rows worked out one gap_table per kind (before) and in one pass (after), checked to be the same.
Usage: .venv/bin/python bench/bench_gaps_kit.py   (needs ../shared/data, or WEBMAP_SHARED_DATA)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from bench.skipping import skip  # noqa: E402
from webmap import create_app  # noqa: E402
from webmap.cli import init_database  # noqa: E402


def best(client, url: str, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return min(times)


def main() -> int:
    from tests.kit_helpers import SHARED_DATA, load_study_area

    if not SHARED_DATA.exists():
        return skip("bench_gaps_kit", f"open data kit not found at {SHARED_DATA}")
    folder = tempfile.mkdtemp()
    app = create_app({"DATABASE_URL": f"sqlite:///{folder}/kit.sqlite", "TESTING": True, "TILES_URL": ""})
    with app.app_context():
        init_database()
        from webmap.core.db import db
        from webmap.importers.categories import import_categories

        import_categories(Path(__file__).resolve().parent.parent / "data" / "categories.csv")
        db.session.commit()
    start = time.perf_counter()
    load_study_area(app)
    print(f"loaded the study area in {time.perf_counter() - start:.1f} s")
    client = app.test_client()
    client.get("/wards/E05014646")  # warm up imports and caches
    for label, url in [
        ("ward profile /wards/E05014646 (Alexandra, 21 kinds)", "/wards/E05014646"),
        ("ward profile, 2SFCA", "/wards/E05014646?method=2sfca"),
        ("/gaps (all needs)", "/gaps"),
        ("/gaps?category=gp_practice", "/gaps?category=gp_practice"),
        ("/gaps/export?format=csv (all needs)", "/gaps/export?format=csv"),
    ]:
        print(f"{label:55s} {best(client, url) * 1000:8.0f} ms (best of 5)")
    # The same ward's rows the old way (one whole-area gap_table per category) against the one pass.
    from webmap import analysis
    from webmap.core import store
    from webmap.gaps import service as gaps_service

    with app.app_context():
        wards, assets, needs, points = gaps_service._inputs()
        categories = list(store.category_labels())

        def per_category():
            rows = []
            for category in categories:
                table = analysis.gap_table(wards, assets, needs, category, "share", 800.0, points)
                rows.append(table[table["ward_code"] == "E05014646"])
            return pd.concat(rows, ignore_index=True)

        def one_pass():
            return analysis.category_gaps(
                wards, assets, needs, categories, "share", 800.0, points, ward_codes=["E05014646"]
            )

        results = {}
        for label, fn in [
            ("analysis: one gap_table per category (before)", per_category),
            ("analysis: category_gaps, one pass (ward profile)", one_pass),
        ]:
            times = []
            for _ in range(3):
                start = time.perf_counter()
                results[label] = fn()
                times.append(time.perf_counter() - start)
            print(f"{label:55s} {min(times) * 1000:8.0f} ms (best of 3)")
    # Timing the two is only a fair comparison if they give the same rows.
    before, after = results.values()
    columns = [c for c in after.columns if c in before.columns]
    if len(columns) < len(after.columns) or len(before) != len(after) or len(after) != len(categories):
        print(
            f"bench_gaps_kit FAILED: the one pass gave {len(after)} rows of {len(after.columns)} columns, the "
            f"per-category tables {len(before)} rows with {len(columns)} of those columns ({len(categories)} kinds)"
        )
        return 1
    try:
        pd.testing.assert_frame_equal(
            before[columns].reset_index(drop=True), after[columns].reset_index(drop=True), check_dtype=False, rtol=1e-12
        )
    except AssertionError as differ:
        print(f"bench_gaps_kit FAILED: the one pass and the per-category tables differ: {differ}")
        return 1
    print(f"same rows both ways: {len(after)} kinds x {len(columns)} columns for Alexandra")
    return 0


if __name__ == "__main__":
    sys.exit(main())
