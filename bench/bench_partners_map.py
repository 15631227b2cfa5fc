"""/partners beside folium's FastMarkerCluster with 100,000 places (issue 24 item 4), in the same browser.

Builds (once, kept in WEBMAP_BENCH_DIR, default /tmp/webmap-bench) a SQLite national set: all 8,533
England and Wales wards and WEBMAP_BENCH_MAP_PLACES (default 100,000) generated places, with the map's
derived tables; serves it with gunicorn (one worker) and opens, in one headless Chromium, /partners and
folium's FastMarkerCluster of the same places, each in a fresh context, in turn, three times. Each is
timed to "script done" as bench_national.py times it: the app's map has drawn what it loads (nothing
pending, its wards in), the reference's cluster icons are in the map. Prints the median of each, the
ratio, and Chromium's CPU seconds per visit (its processes, from /proc).

    .venv/bin/python bench/bench_partners_map.py
    WEBMAP_BENCH_PORT=8166 WEBMAP_BENCH_DIR=/tmp/webmap-bench-x ...

Exits 1 when /partners is slower than the reference; 77 ("skipped") without the kit or Chromium.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import bench_national as national  # noqa: E402
from bench.skipping import skip  # noqa: E402

PLACES = int(os.environ.get("WEBMAP_BENCH_MAP_PLACES", "100000"))
RUNS = int(os.environ.get("WEBMAP_BENCH_RUNS", "3"))
SMALLER = int(os.environ.get("WEBMAP_BENCH_MAP_SMALLER", "20000"))  # a second reference, for scale (0: none)


def build(url: str) -> None:
    """Create the wards and places at url unless they are there; fill the map's derived tables."""
    from sqlalchemy import func, select

    from bench.national_set import load_national
    from webmap import create_app
    from webmap.cli import init_database
    from webmap.core.db import db
    from webmap.core.models import Asset
    from webmap.scale import derived

    app = create_app({"DATABASE_URL": url, "TILES_URL": "", "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
    with app.app_context():
        init_database()
        if not db.session.scalar(select(func.count()).select_from(Asset)):
            start = time.perf_counter()
            load_national(PLACES)
            print(f"  built {PLACES:,} places on the national wards in {time.perf_counter() - start:.0f} s", flush=True)
        if not (derived.is_current("ward_outlines") and derived.is_current("place_cells")):
            start = time.perf_counter()
            derived.rebuild_maps()
            print(f"  outlines and place counts in {time.perf_counter() - start:.0f} s", flush=True)


def serve(url: str, port: int) -> subprocess.Popen:
    """Start gunicorn (one worker, as bench_national.py) on the database; return it once it answers."""
    env = {
        **os.environ,
        "WEBMAP_DATABASE_URL": url,
        "WEBMAP_TILES_URL": "",
        "WEBMAP_SECRET_KEY": "bench",
        "WEBMAP_RATELIMIT_ENABLED": "0",
    }
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = subprocess.Popen(
        [gunicorn, "-w", "1", "--threads", "4", "-b", f"127.0.0.1:{port}", "--timeout", "600", "webmap:create_app()"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/about", timeout=5).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def _descendants(pid: int) -> list[int]:
    """Return a process and all its descendants (those that end while being read are left out)."""
    found = [pid]
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.extend(_descendants(int(child)))
    return found


def browser_cpu() -> float:
    """CPU seconds so far of the Chromium processes under this one, with their reaped children's (a
    closed context's renderer counts once its parent has waited for it)."""
    total = 0.0
    for pid in _descendants(os.getpid()):
        try:
            if "chrom" not in Path(f"/proc/{pid}/comm").read_text():
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue
    return total


def main() -> int:
    from bench.national_set import NATIONAL_WARDS

    if not NATIONAL_WARDS.exists():
        return skip("bench_partners_map", f"national wards not found ({NATIONAL_WARDS})")
    if not Path(national.CHROMIUM).exists():
        return skip("bench_partners_map", f"Chromium not found at {national.CHROMIUM}")
    from playwright.sync_api import sync_playwright

    from webmap import create_app
    from webmap.core import store

    national.WORK.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{national.WORK / f'partners-map-{PLACES}.sqlite'}"
    subprocess.check_call([sys.executable, __file__, "--build", url], cwd=REPO)
    with create_app({"DATABASE_URL": url, "TILES_URL": "", "SECRET_KEY": "bench"}).app_context():
        places = store.assets_frame()
    points = list(zip(places.geometry.y.round(5), places.geometry.x.round(5)))
    references = {f"FastMarkerCluster {len(points):,}": national.fast_marker_cluster(points)[0]}
    if SMALLER and SMALLER < len(points):  # the number bench_national.py's reference had on a smaller set
        sample = places.sample(SMALLER, random_state=1)
        references[f"FastMarkerCluster {SMALLER:,}"] = national.fast_marker_cluster(
            list(zip(sample.geometry.y.round(5), sample.geometry.x.round(5)))
        )[0]
    proc = serve(url, national._free_port())
    port = proc.args[proc.args.index("-b") + 1].rsplit(":", 1)[1]
    base = f"http://127.0.0.1:{port}"
    times: dict[str, list[float]] = {"/partners": [], **{name: [] for name in references}}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    try:
        urllib.request.urlopen(base + "/partners", timeout=600).read()  # warm the server
        with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
            files = {}
            for i, (name, html) in enumerate(references.items()):
                files[name] = Path(tmp) / f"reference{i}.html"
                files[name].write_text(html, encoding="utf-8")
            browser = p.chromium.launch(
                executable_path=national.CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--allow-file-access-from-files",
                ],
            )
            for _ in range(RUNS):
                for name in times:
                    before = browser_cpu()
                    if name == "/partners":
                        times[name].append(national.visit(browser, base + "/partners")[1])
                    else:
                        times[name].append(national.open_reference(browser, files[name]))
                    cpu[name].append(browser_cpu() - before)
            browser.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    target = next(iter(references))
    mine, ref = (statistics.median(times[n]) / 1000 for n in ("/partners", target))
    print(f"\n8,533 wards, {len(places):,} places; script done, median of {RUNS} (each run's figures in brackets)")
    for name in times:
        runs = ", ".join(f"{t / 1000:.2f}" for t in times[name])
        print(
            f"  {name:<26}{statistics.median(times[name]) / 1000:>7.2f} s  ({runs})   "
            f"browser CPU {statistics.median(cpu[name]):.2f} s per visit"
        )
    print(f"  /partners ÷ {target}: {mine / ref:.2f}  ({'ok' if mine <= ref else 'OVER'}: target at most 1)")
    for name in list(references)[1:]:
        print(f"  /partners ÷ {name}: {mine / (statistics.median(times[name]) / 1000):.2f}")
    return 0 if mine <= ref else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--build":
        build(sys.argv[2])
        sys.exit(0)
    sys.exit(main())
