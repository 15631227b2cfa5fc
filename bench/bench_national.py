"""National scale: every page light and fast with all 8,533 England and Wales wards and many places.

For SQLite (always) and PostGIS (when WEBMAP_BENCH_POSTGIS_URL names a database with PostGIS):
builds the national set once (bench/national_set.py; kept between runs in WEBMAP_BENCH_DIR, default
/tmp/webmap-bench), fills the derived tables (`gaps rebuild`), serves it with gunicorn (one worker)
and measures each page in headless Chromium: bytes on a first visit (tiles fetched for the first
view included), server time warm, and the time until the map has drawn ("script done"). Beside
them, the run's own reference rows: folium's simplified choropleth of the same wards and
FastMarkerCluster of 100,000 of the same places, opened in the same browser and timed to the same
moment (their shapes or cluster icons in the map).

    .venv/bin/python bench/bench_national.py            # WEBMAP_BENCH_PLACES=1000000 by default
"""

from __future__ import annotations

import gzip
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CHROMIUM = os.environ.get("WEBMAP_CHROMIUM", "/usr/bin/chromium")
PLACES = int(os.environ.get("WEBMAP_BENCH_PLACES", "1000000"))
WORK = Path(os.environ.get("WEBMAP_BENCH_DIR", "/tmp/webmap-bench"))
POSTGIS = os.environ.get("WEBMAP_BENCH_POSTGIS_URL", "")
TARGETS = {"bytes": 1.5 * 1024 * 1024, "server": 0.5, "script": 2.0, "bbox": 0.1, "radius_p95": 0.05, "memory": 300}


def _app(url: str):
    from webmap import create_app

    return create_app({"DATABASE_URL": url, "TILES_URL": "", "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})


def build(url: str) -> None:
    """Create the national set in the database at url unless it is already there; fill derived tables."""
    from sqlalchemy import func, select, text

    from bench.national_set import load_national
    from webmap.cli import init_database
    from webmap.core.db import db
    from webmap.core.models import Asset, Ward
    from webmap.gaps import store as gapstore
    from webmap.scale import derived

    app = _app(url)
    with app.app_context():
        init_database()
        have = (
            db.session.scalar(select(func.count()).select_from(Ward)),
            db.session.scalar(select(func.count()).select_from(Asset)),
        )
        if have != (8533, PLACES):
            if any(have):
                for table in (
                    "gap_rows",
                    "place_cells",
                    "ward_outlines",
                    "derived_builds",
                    "asset_categories",
                    "assets",
                    "wards",
                ):
                    db.session.execute(text(f"DELETE FROM {table}"))
                db.session.commit()
            start = time.perf_counter()
            load_national(PLACES)
            print(f"  built the national set ({PLACES:,} places) in {time.perf_counter() - start:.0f} s", flush=True)
        if not (derived.is_current("ward_outlines") and derived.is_current("place_cells")):
            start = time.perf_counter()
            derived.rebuild_maps()
            print(f"  outlines and place counts in {time.perf_counter() - start:.0f} s", flush=True)
        from webmap.core import store

        queries = gapstore.default_queries(store.category_labels(), 800)
        if any(gapstore.stored_table(q) is None for q in queries):
            start = time.perf_counter()
            gapstore.rebuild(queries)
            print(f"  {len(queries)} gap tables in {time.perf_counter() - start:.0f} s", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str):
    """Start gunicorn with one worker on the database; return (process, base URL)."""
    port = _free_port()
    env = {**os.environ, "WEBMAP_DATABASE_URL": url, "WEBMAP_TILES_URL": "", "WEBMAP_SECRET_KEY": "bench"}
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-w",
            "1",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "600",
            "webmap:create_app()",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/about", timeout=5).read()
            return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def worker_peak_mb(proc) -> float:
    """Return the highest resident memory of gunicorn's worker (VmHWM), in MB."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    peaks = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks) if peaks else float("nan")


def server_time(url: str, runs: int = 5) -> float:
    """Median seconds for the server to answer url in full (after one warm-up), gzip accepted."""

    def once() -> float:
        request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
        start = time.perf_counter()
        urllib.request.urlopen(request, timeout=600).read()
        return time.perf_counter() - start

    once()
    return statistics.median(once() for _ in range(runs))


def p95(url: str, runs: int = 40) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        urllib.request.urlopen(url, timeout=60).read()
        times.append(time.perf_counter() - start)
    return sorted(times)[int(0.95 * runs) - 1]


DONE_JS = """() => {
  const box = document.querySelector('.folium-map');
  if (!box || document.readyState !== 'complete') return null;
  if (box.dataset.viewportPending === undefined && !window.webmapViewport) return performance.now();
  if (box.dataset.viewportPending !== '0' || box.dataset.wardsShown === undefined) return null;
  return performance.now();
}"""


# folium's own pages draw their one layer as the page loads; "drawn" is when its shapes or cluster
# icons are in the map, the same moment DONE_JS waits for on the app's pages.
REF_DONE_JS = """() => {
  if (document.readyState !== 'complete') return null;
  const drawn = document.querySelector('.leaflet-overlay-pane path, .leaflet-marker-pane .leaflet-marker-icon');
  return drawn ? performance.now() : null;
}"""


def until_drawn(tab, script: str, seconds: float = 120) -> float:
    """Poll the page until `script` returns its performance.now(); NaN (and say why) if it never does."""
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    deadline = time.time() + seconds
    while time.time() < deadline:
        if errors:
            print(f"  {tab.url[:80]} never drew: {errors[0]}", flush=True)
            return float("nan")
        done = tab.evaluate(script)
        if done is not None:
            return done
        time.sleep(0.05)
    print(f"  {tab.url[:80]} had not drawn after {seconds:.0f} s", flush=True)
    return float("nan")


def visit(browser, url: str) -> tuple[int, float]:
    """Open url in a fresh context; return (bytes transferred until the map drew, ms to script done)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    seen = []
    tab.on("requestfinished", lambda request: seen.append(request))
    tab.goto(url, wait_until="load", timeout=600_000)
    done = until_drawn(tab, DONE_JS)
    total = 0
    for request in seen:
        sizes = request.sizes()
        total += max(sizes["responseBodySize"], 0) + max(sizes["responseHeadersSize"], 0)
    context.close()
    return total, done


def references(url: str, folder: Path, browser) -> list[tuple[str, int, int, float, float]]:
    """Build folium's own simplified choropleth and a 100,000-point FastMarkerCluster; measure them."""
    import folium
    import numpy as np
    from branca.colormap import StepColormap
    from folium.plugins import FastMarkerCluster

    from webmap.core import store
    from webmap.maps.base import LOCAL_FILES, _localise
    from webmap.maps.layers import simplify_for_display
    from webmap.web.vendor import PACKAGES

    files = {
        name: Path(PACKAGES[path.split("/")[2]]) / "/".join(path.split("/")[3:])
        if path.startswith("/vendor/")
        else REPO / "webmap" / path.lstrip("/")
        for name, path in LOCAL_FILES.items()
    }
    app = _app(url)
    rows = []
    with app.app_context():
        wards = store.wards_frame()
        sample = (
            store.assets_frame(bbox=None).sample(100_000, random_state=1) if PLACES > 100_000 else store.assets_frame()
        )
    # folium.Choropleth's legend and FastMarkerCluster's default icons load d3 and Leaflet.awesome-markers
    # from CDNs, which an offline run cannot reach: the page then never draws. So the same layers without
    # them: the choropleth as the GeoJson layer Choropleth makes (its step colours, no legend), and the
    # clusters of plain markers.
    colours = StepColormap(["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"], vmin=0, vmax=len(wards))
    shapes = simplify_for_display(wards)[["code", "geometry"]].assign(v=np.arange(len(wards)))
    plain = "function (row) { return L.marker(new L.LatLng(row[0], row[1])); }"
    for name, make in (
        (
            "folium choropleth (GeoJson), simplified (ref.)",
            lambda m: folium.GeoJson(
                shapes.__geo_interface__,
                style_function=lambda f: {
                    "fillColor": colours(f["properties"]["v"]),
                    "color": "#555",
                    "weight": 1,
                    "fillOpacity": 0.7,
                },
            ).add_to(m),
        ),
        (
            f"folium FastMarkerCluster, {len(sample):,} places (ref.)",
            lambda m: FastMarkerCluster(
                list(zip(sample.geometry.y.round(5), sample.geometry.x.round(5))), callback=plain
            ).add_to(m),
        ),
    ):
        start = time.perf_counter()
        m = folium.Map(location=[53, -1.5], zoom_start=6, tiles=None, maxZoom=19)  # clusters draw only with a maxZoom
        make(m)
        _localise(m)
        html = m.get_root().render()
        built = time.perf_counter() - start
        for local, path in LOCAL_FILES.items():
            html = html.replace(f'"{path}"', f'"{files[local].as_uri()}"')
        page = folder / f"ref{len(rows)}.html"
        page.write_text(html, encoding="utf-8")
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        tab = context.new_page()
        tab.goto(page.as_uri(), wait_until="load", timeout=600_000)
        script = until_drawn(tab, REF_DONE_JS)  # as the app's pages: until the map has drawn, not at load
        context.close()
        rows.append((name, len(html.encode()), len(gzip.compress(html.encode())), built, script))
    return rows


REFRESH_DEADLINE_S = 900


def after_a_change(url: str, base: str, ward: str) -> tuple[float, float, float, bool]:
    """Record one new need; return the server time of /gaps and / just after, how long the refresh was
    waited for, and whether it finished before REFRESH_DEADLINE_S."""
    from datetime import date

    from sqlalchemy import select

    from webmap.core.db import db
    from webmap.core.models import Need
    from webmap.gaps import service as gaps_service
    from webmap.gaps import store as gapstore
    from webmap.scale import refresh

    app = _app(url)
    with app.app_context():
        category = db.session.scalar(select(Need.category_id).limit(1)) or "youth"
        db.session.add(Need(ward_code=ward, category_id=category, count=1, source="bench", asked_on=date.today()))
        db.session.commit()
    start = time.perf_counter()
    timings = []
    for path in ("/gaps", "/"):
        request = urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"})
        began = time.perf_counter()
        urllib.request.urlopen(request, timeout=600).read()
        timings.append(time.perf_counter() - began)
    query = gaps_service.GapQuery(gaps_service.OVERALL, "share", 800.0)
    deadline = time.time() + REFRESH_DEADLINE_S
    done = False
    while not done and time.time() < deadline:
        with app.app_context():
            done = gapstore.is_current(query) and not refresh.running()
            db.session.remove()
        if not done:
            time.sleep(1)
    return timings[0], timings[1], time.perf_counter() - start, done


def bench_backend(label: str, url: str) -> bool:
    """Measure one backend and print its table; return whether the background refresh finished in time."""
    from playwright.sync_api import sync_playwright

    print(f"\n--- {label}: building or reusing the national set", flush=True)
    subprocess.check_call([sys.executable, __file__, "--build", url], cwd=REPO)
    proc, base = serve(url)
    try:
        app = _app(url)
        with app.app_context():
            from sqlalchemy import select

            from webmap.core.db import db
            from webmap.core.models import Asset, Ward

            ward = db.session.scalar(select(Ward.code).where(Ward.name.like("%Moss Side%")))
            if ward is None or db.session.scalar(select(Asset.id).where(Asset.ward_code == ward).limit(1)) is None:
                # A small trial set (WEBMAP_BENCH_PLACES) may have no place there: the first place's ward then.
                ward = db.session.scalar(select(Asset.ward_code).where(Asset.ward_code.is_not(None)).order_by(Asset.id))
            asset = db.session.get(Asset, db.session.scalar(select(Asset.id).where(Asset.ward_code == ward).limit(1)))
        pages = [("/", "/"), ("/gaps", "/gaps"), ("ward profile", f"/wards/{ward}"), ("/partners", "/partners")]
        rows = []
        with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
            browser = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"]
            )
            for name, path in pages:
                warm = server_time(base + path)
                sent, script = visit(browser, base + path)
                rows.append((name, sent, warm, script))
            refs = references(url, Path(tmp), browser)
            browser.close()
        lon, lat = asset.lon, asset.lat
        box = f"{lon - 0.0147:.5f},{lat - 0.009:.5f},{lon + 0.0147:.5f},{lat + 0.009:.5f}"  # about 2 km square
        bbox = server_time(f"{base}/api/assets.geojson?bbox={box}")
        radius = p95(f"{base}/api/nearby?lat={lat}&lon={lon}&radius=5000")
        changed = after_a_change(url, base, ward)
        memory = worker_peak_mb(proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    ok = lambda value, target: "ok" if value <= target else "OVER"  # noqa: E731
    print(f"\n{label}: 8,533 wards, {PLACES:,} places")
    print(f"{'page':<44}{'first visit':>13}{'server warm':>13}{'script done':>13}")
    for name, sent, warm, script in rows:
        print(
            f"{name:<44}{sent / 1024 / 1024:>9.2f} MB{warm:>11.2f} s{script / 1000:>11.2f} s   "
            f"{ok(sent, TARGETS['bytes'])}/{ok(warm, TARGETS['server'])}/{ok(script / 1000, TARGETS['script'])}"
        )
    for name, raw, packed, built, script in refs:
        print(
            f"{name:<44}{raw / 1024 / 1024:>9.2f} MB{built:>11.2f} s{script / 1000:>11.2f} s   "
            f"(raw HTML; gzip {packed / 1024 / 1024:.2f} MB; middle column: folium build time)"
        )
    print(f"{'/api/assets.geojson?bbox= (2 km box)':<44}{'':>13}{bbox:>11.3f} s{'':>13}   {ok(bbox, TARGETS['bbox'])}")
    print(
        f"{'radius search p95 at 5 km (/api/nearby)':<44}{'':>13}{radius:>11.3f} s{'':>13}   {ok(radius, TARGETS['radius_p95'])}"
    )
    print(f"{'peak server memory (gunicorn worker)':<44}{memory:>10.0f} MB{'':>26}   {ok(memory, TARGETS['memory'])}")
    gaps_s, home_s, waited_s, refreshed = changed
    outcome = (
        f"background refresh done in {waited_s:.0f} s"
        if refreshed
        else f"background refresh NOT DONE after {waited_s:.0f} s (deadline {REFRESH_DEADLINE_S} s)"
    )
    print(f"{'after one new need: /gaps, / (last figures)':<44}{'':>13}{gaps_s:>7.2f}, {home_s:.2f} s   {outcome}")
    return refreshed


def main() -> int:
    """Benchmark SQLite, then PostGIS when a database is named."""
    from bench.national_set import NATIONAL_WARDS
    from bench.skipping import skip

    if not NATIONAL_WARDS.exists():
        return skip("bench_national", f"national wards not found ({NATIONAL_WARDS})")
    if not Path(CHROMIUM).exists():
        return skip("bench_national", f"Chromium not found at {CHROMIUM}")
    WORK.mkdir(parents=True, exist_ok=True)
    unrefreshed = []
    if os.environ.get("WEBMAP_BENCH_SQLITE", "1") != "0":  # 0: PostGIS only
        if not bench_backend("SQLite", f"sqlite:///{WORK / f'national-{PLACES}.sqlite'}"):
            unrefreshed.append("SQLite")
    if POSTGIS:
        if not bench_backend("PostGIS", POSTGIS):
            unrefreshed.append("PostGIS")
    else:
        print("\n(PostGIS not measured: set WEBMAP_BENCH_POSTGIS_URL to a database with the postgis extension)")
    if unrefreshed:
        print(f"\nbench_national: the background refresh did not finish on {', '.join(unrefreshed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--build":
        build(sys.argv[2])
        sys.exit(0)
    sys.exit(main())
