"""/gaps on the national set, in process: warm wall and CPU time per request, and where the time goes.

Builds (or reuses) the national set as bench/bench_national.py does (WEBMAP_BENCH_PLACES,
WEBMAP_BENCH_DIR, SQLite unless WEBMAP_BENCH_POSTGIS_URL is set), then asks /gaps through Flask's
test client: one cold request, then the median wall and CPU seconds of `WEBMAP_PROFILE_RUNS` warm
ones (5 by default), in English and in Welsh, and a cProfile of one warm request with the share of
its time spent compiling Jinja templates and building the wards' fills and tooltip lines.

    WEBMAP_BENCH_PLACES=20000 WEBMAP_BENCH_DIR=/tmp/webmap-bench-x .venv/bin/python bench/profile_gaps_page.py
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_national import PLACES, POSTGIS, WORK, _app  # noqa: E402
from bench.national_set import NATIONAL_WARDS  # noqa: E402
from bench.skipping import skip  # noqa: E402

RUNS = int(os.environ.get("WEBMAP_PROFILE_RUNS", "5"))
# Functions whose cumulative time is reported as a share of one warm request.
WATCHED = {
    "template compile": ("jinja2/environment.py", "compile"),
    "fills and tooltip lines": ("webmap/gaps/views.py", "ward_fills"),
    "JSON of the page's map": ("jinja2/utils.py", "htmlsafe_json_dumps"),
}


def timed(client, path: str) -> tuple[float, float, int]:
    """Return (wall s, CPU s, bytes) of one request."""
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(path)
    body = response.get_data()
    assert response.status_code == 200, f"{path}: {response.status_code}"
    return time.perf_counter() - wall, time.process_time() - cpu, len(body)


def share(stats: pstats.Stats, where: str, name: str, total: float) -> tuple[float, float]:
    """Return (seconds, share of total) spent in functions called `name` in files ending with `where`."""
    seconds = max(
        (row[3] for (path, _line, func), row in stats.stats.items() if func == name and path.endswith(where)),  # type: ignore[attr-defined]
        default=0.0,
    )
    return seconds, seconds / total if total else 0.0


def main() -> int:
    if not NATIONAL_WARDS.exists():
        return skip("profile_gaps_page", f"national wards not found ({NATIONAL_WARDS})")
    WORK.mkdir(parents=True, exist_ok=True)
    url = POSTGIS or f"sqlite:///{WORK / f'national-{PLACES}.sqlite'}"
    subprocess.check_call([sys.executable, str(REPO / "bench" / "bench_national.py"), "--build", url], cwd=REPO)
    app = _app(url)
    client = app.test_client()
    print(f"/gaps in process, 8,533 wards, {PLACES:,} places ({'PostGIS' if POSTGIS else 'SQLite'})")
    for path in ("/gaps", "/gaps?lang=cy"):
        cold = timed(client, path)
        warm = [timed(client, path) for _ in range(RUNS)]
        print(
            f"  {path:<16} cold {cold[0]:.3f} s wall {cold[1]:.3f} s CPU; warm (median of {RUNS}) "
            f"{statistics.median(w[0] for w in warm):.3f} s wall {statistics.median(w[1] for w in warm):.3f} s CPU; "
            f"{warm[-1][2] / 1024:,.0f} KB"
        )
    profile = cProfile.Profile(time.process_time)  # CPU seconds: other work on the machine does not count
    start = time.process_time()
    profile.enable()
    timed(client, "/gaps")
    profile.disable()
    total = time.process_time() - start
    stats = pstats.Stats(profile)
    print(f"  one warm /gaps under cProfile: {total:.3f} s CPU")
    for label, (where, name) in WATCHED.items():
        seconds, part = share(stats, where, name, total)
        print(f"    {label:<26}{seconds:>8.3f} s {part:>6.0%}")
    if os.environ.get("WEBMAP_PROFILE_TOP"):
        stats.sort_stats("cumulative").print_stats(int(os.environ["WEBMAP_PROFILE_TOP"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
