"""National scale: every page light and fast with all 8,533 England and Wales wards and many places.

For SQLite (always) and PostGIS (when WEBMAP_BENCH_POSTGIS_URL names a database with PostGIS):
builds the national set once (bench/national_set.py; kept between runs in WEBMAP_BENCH_DIR, default
/tmp/webmap-bench), fills the derived tables (`gaps rebuild`), serves it with gunicorn (one worker)
and measures each page in headless Chromium: bytes on a first visit (tiles fetched for the first
view included), server time warm, and the time until the map has drawn ("script done"). Beside
them, the run's own reference rows: folium's simplified choropleth of the same wards and
FastMarkerCluster of 100,000 of the same places, opened in the same browser and timed to the same
moment (their shapes or cluster icons in the map).

A queue worker (`flask worker`) runs beside gunicorn, as `make serve` runs them, on a queue of its own
(a SQLite queue file in WEBMAP_BENCH_DIR, or WEBMAP_BENCH_QUEUE_URL such as redis://...). After two new
needs (the first after the worker started, then another) and after one approval the bench waits for the worker's incremental refresh and reports, for
each: the time until the refreshed /gaps, / and ward profile are served, the worker's CPU seconds for
it and its peak memory; and at the end the peak memory of every process the site started. Then a
browser import of WEBMAP_BENCH_IMPORT_PLACES new places (100,000 by default; 0 leaves it out) through
the import pages: its check, its import and the full refresh after it, with the worker's CPU and its
peak memory from the upload on; the places are taken out again afterwards (the next run's build
refreshes the gap tables they moved).

    .venv/bin/python bench/bench_national.py            # WEBMAP_BENCH_PLACES=1000000 by default
    WEBMAP_BENCH_PORT=8123 ...                          # serve on this port (default: a free one)
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
import threading
import time
import urllib.request
from datetime import UTC
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CHROMIUM = os.environ.get("WEBMAP_CHROMIUM", "/usr/bin/chromium")
PLACES = int(os.environ.get("WEBMAP_BENCH_PLACES", "1000000"))
WORK = Path(os.environ.get("WEBMAP_BENCH_DIR", "/tmp/webmap-bench"))
POSTGIS = os.environ.get("WEBMAP_BENCH_POSTGIS_URL", "")
PORT = int(os.environ.get("WEBMAP_BENCH_PORT", "0"))
QUEUE_URL = os.environ.get("WEBMAP_BENCH_QUEUE_URL", "")
TARGETS = {
    "bytes": 1.5 * 1024 * 1024,
    "server": 0.5,
    "script": 2.0,
    "bbox": 0.1,
    "radius_p95": 0.05,
    "memory": 300,
    # Issue 24 item 3: after one change, refreshed pages within 5 s, at most 2 s CPU and 400 MB in the
    # process that does it; issue 23 item 6: a worker under 500 MB whatever it runs.
    "change_s": 5.0,
    "change_cpu_s": 2.0,
    "change_mb": 400,
    "worker_mb": 500,
}


def _queue_url(url: str) -> str:
    """Return the queue the bench's server and worker share: its own, so a run never takes another's tasks."""
    if QUEUE_URL:
        return QUEUE_URL
    name = "queue-postgis.sqlite" if url.startswith("postgresql") else f"queue-{PLACES}.sqlite"
    return f"sqlite:///{WORK / name}"


def _app(url: str):
    from webmap import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "TILES_URL": "",
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "QUEUE_URL": _queue_url(url),
        }
    )


def build(url: str) -> None:
    """Create the national set in the database at url unless it is already there; fill derived tables."""
    from sqlalchemy import func, select

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
            # The set's own places: a place the bench approved in an earlier run does not count.
            db.session.scalar(select(func.count()).select_from(Asset).where(Asset.source == "bench")),
        )
        if have != (8533, PLACES):
            if any(have):
                _empty_every_table()
                from webmap.importers.categories import import_categories

                import_categories(REPO / "data" / "categories.csv")
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
        # The history's tables (every method), as a site has them after its first import: a change then
        # costs only what it touches, which is what the after-a-change figures measure.
        from webmap.gaps import history

        missing = [k for k in history.history_keys() if k not in set(gapstore.kept_keys())]
        missing += [k for k in gapstore.stale_keys() if k not in missing]  # kept by an older release, say
        if missing:
            start = time.perf_counter()
            gapstore.refresh(missing, "import")
            db.session.commit()
            print(f"  {len(missing)} history tables in {time.perf_counter() - start:.0f} s", flush=True)
        # What residents asked is kept once, as an import's refresh keeps it (history.catch_up).
        start = time.perf_counter()
        kept = history.keep_first_asks()
        if kept:
            print(f"  the figures of {kept:,} first asks in {time.perf_counter() - start:.0f} s", flush=True)


def _empty_every_table() -> None:
    """Delete every row of every table (children first), so a run with another size starts clean."""
    from sqlalchemy import text

    from webmap.core.db import db

    names = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    else:
        for name in names:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.commit()


def _free_port() -> int:
    if PORT:
        return PORT
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str):
    """Start gunicorn with one worker on the database, and a queue worker beside it; return (processes, base URL)."""
    port = _free_port()
    env = {
        **os.environ,
        "WEBMAP_DATABASE_URL": url,
        "WEBMAP_TILES_URL": "",
        "WEBMAP_SECRET_KEY": "bench",
        "WEBMAP_QUEUE_URL": _queue_url(url),
        # A refresh runs on the worker, as in production, whatever the area's size.
        "WEBMAP_REFRESH": "background",
    }
    log = WORK / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "flask"), "--app", "webmap", "worker"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    worker.log = log  # type: ignore[attr-defined]
    worker.watch = Watch(worker.pid)  # type: ignore[attr-defined]
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
            return (proc, worker), base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    worker.kill()
    raise RuntimeError("gunicorn did not start")


def _tree(pid: int) -> list[int]:
    """Return a process and all its descendants."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found.extend(_tree(int(child)))
    return found


def _status(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peaks_mb(processes, since_reset: bool = False) -> list[tuple[str, float]]:
    """Return (name, peak resident MB) of every process the site started: gunicorn's master and workers, the queue worker."""
    out = []
    for proc in processes:
        for pid in _tree(proc.pid):
            try:
                name = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:60].strip()
                watch = getattr(proc, "watch", None)
                if watch is not None and pid == watch.pid:
                    mb = watch.peak_mb() if since_reset else watch.overall
                else:
                    mb = _status(pid, "VmHWM")
                out.append((f"{pid} {Path(name.split()[0]).name} {' '.join(name.split()[1:3])}", mb))
            except OSError:
                continue
    return out


class Watch:
    """Keep the highest resident memory a process reaches, read every 0.1 s.

    The queue worker starts itself again (exec, same process id) after an import or when it holds
    too much, and a new process starts VmHWM afresh: the kernel's own figure would lose the peak.
    """

    def __init__(self, pid: int, every: float = 0.1):
        self.pid, self.since_reset, self.overall = pid, 0.0, 0.0
        self._lock = threading.Lock()
        threading.Thread(target=self._run, args=(every,), daemon=True).start()

    def _read(self) -> None:
        try:
            mb = _status(self.pid, "VmHWM")
        except OSError:  # the process has ended
            return
        with self._lock:
            self.since_reset = max(self.since_reset, mb)
            self.overall = max(self.overall, mb)

    def _run(self, every: float) -> None:
        while Path(f"/proc/{self.pid}").exists():
            self._read()
            time.sleep(every)

    def reset(self) -> None:
        """Start the peak again from what the process holds now."""
        reset_peak(self.pid)
        with self._lock:
            self.since_reset = _status(self.pid, "VmHWM")

    def peak_mb(self) -> float:
        """Return the highest resident MB since the last reset (or the start)."""
        self._read()
        return self.since_reset


def restarts(worker) -> int:
    """Return how many times the queue worker has started itself again so far (its log says each)."""
    return worker.log.read_text(errors="replace").count("starts again")


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU seconds so far (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_peak_mb(proc) -> float:
    """Return the highest resident memory of gunicorn's worker (VmHWM), in MB."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    peaks = [_status(int(pid), "VmHWM") for pid in children]
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


# FastMarkerCluster's default icons load Leaflet.awesome-markers from a CDN, which an offline run cannot
# reach (the page then never draws): its clusters of plain markers instead.
PLAIN_MARKER = "function (row) { return L.marker(new L.LatLng(row[0], row[1])); }"


def reference_html(make) -> tuple[str, float]:
    """Return (HTML, seconds folium took to build it) of a folium map holding what make(map) adds, its
    vendored scripts and styles read from files (the page opens from a file: URL, offline)."""
    import folium

    from webmap.maps.base import LOCAL_FILES, _localise
    from webmap.web.vendor import PACKAGES

    files = {
        name: Path(PACKAGES[path.split("/")[2]]) / "/".join(path.split("/")[3:])
        if path.startswith("/vendor/")
        else REPO / "webmap" / path.lstrip("/")
        for name, path in LOCAL_FILES.items()
    }
    start = time.perf_counter()
    m = folium.Map(location=[53, -1.5], zoom_start=6, tiles=None, maxZoom=19)  # clusters draw only with a maxZoom
    make(m)
    _localise(m)
    html = m.get_root().render()
    built = time.perf_counter() - start
    for local, path in LOCAL_FILES.items():
        html = html.replace(f'"{path}"', f'"{files[local].as_uri()}"')
    return html, built


def fast_marker_cluster(points) -> tuple[str, float]:
    """Return (HTML, build seconds) of folium's FastMarkerCluster of points ([(lat, lon), ...]), plain markers."""
    from folium.plugins import FastMarkerCluster

    return reference_html(lambda m: FastMarkerCluster(points, callback=PLAIN_MARKER).add_to(m))


def open_reference(browser, page: Path) -> float:
    """Open a reference page from its file in a fresh context; return ms until its layer has drawn."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(page.as_uri(), wait_until="load", timeout=600_000)
    script = until_drawn(tab, REF_DONE_JS)  # as the app's pages: until the map has drawn, not at load
    context.close()
    return script


def references(url: str, folder: Path, browser) -> list[tuple[str, int, int, float, float]]:
    """Build folium's own simplified choropleth and a 100,000-point FastMarkerCluster; measure them."""
    import folium
    import numpy as np
    from branca.colormap import StepColormap

    from webmap.core import store
    from webmap.maps.layers import simplify_for_display

    app = _app(url)
    rows = []
    with app.app_context():
        wards = store.wards_frame()
        sample = (
            store.assets_frame(bbox=None).sample(100_000, random_state=1) if PLACES > 100_000 else store.assets_frame()
        )
    # folium.Choropleth's legend loads d3 from a CDN: the same layer without it, as the GeoJson layer
    # Choropleth makes (its step colours, no legend).
    colours = StepColormap(["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"], vmin=0, vmax=len(wards))
    shapes = simplify_for_display(wards)[["code", "geometry"]].assign(v=np.arange(len(wards)))
    for name, build in (
        (
            "folium choropleth (GeoJson), simplified (ref.)",
            lambda: reference_html(
                lambda m: folium.GeoJson(
                    shapes.__geo_interface__,
                    style_function=lambda f: {
                        "fillColor": colours(f["properties"]["v"]),
                        "color": "#555",
                        "weight": 1,
                        "fillOpacity": 0.7,
                    },
                ).add_to(m)
            ),
        ),
        (
            f"folium FastMarkerCluster, {len(sample):,} places (ref.)",
            lambda: fast_marker_cluster(list(zip(sample.geometry.y.round(5), sample.geometry.x.round(5)))),
        ),
    ):
        html, built = build()
        page = folder / f"ref{len(rows)}.html"
        page.write_text(html, encoding="utf-8")
        script = open_reference(browser, page)
        rows.append((name, len(html.encode()), len(gzip.compress(html.encode())), built, script))
    return rows


REFRESH_DEADLINE_S = 900
BENCH_STAFF = ("bench-moderator@example.gov.uk", "bench password that is long enough 1")


def _csrf(session, url: str) -> str:
    import re

    html = session.get(url, timeout=600).text
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    if not match:
        raise RuntimeError(f"no CSRF token on {url}")
    return match.group(1)


def _wait_for_tasks(url: str, since) -> tuple[float, list[str]]:
    """Wait until every queue task queued since `since` has finished; return (seconds waited, their names)."""
    from sqlalchemy import select

    from webmap.core.db import db
    from webmap.core.models import BackgroundTask

    app = _app(url)
    start = time.perf_counter()
    deadline = time.time() + REFRESH_DEADLINE_S
    while time.time() < deadline:
        with app.app_context():
            rows = db.session.execute(
                select(BackgroundTask.name, BackgroundTask.state).where(BackgroundTask.queued_at >= since)
            ).all()
            db.session.remove()
        if rows and all(state in ("done", "failed", "skipped") for _, state in rows):
            failed = [name for name, state in rows if state == "failed"]
            if failed:
                print(f"  task(s) failed: {failed}", flush=True)
            return time.perf_counter() - start, [f"{name} {state}" for name, state in rows]
        time.sleep(0.1)
    return float("nan"), ["deadline passed"]


def one_change(url: str, base: str, ward: str, worker, kind: str) -> dict:
    """Make one change through the site (a need sent on the form, or a moderator's approval), then time the
    worker's refresh, its CPU seconds and peak memory, and the refreshed pages."""
    from datetime import datetime

    import requests
    from sqlalchemy import select

    from webmap.core.db import db
    from webmap.core.models import Asset, Need

    session = requests.Session()
    app = _app(url)
    with app.app_context():
        category = db.session.scalar(select(Need.category_id).limit(1)) or "youth"
        if kind == "approval":
            from webmap.staff.accounts import create_user

            create_user(*BENCH_STAFF, "moderator", actor="bench")
            near = db.session.scalar(select(Asset).where(Asset.ward_code == ward).limit(1))
            import shapely

            from webmap.core.models import Category

            lon, lat = near.lon + 0.001, near.lat + 0.001
            pending = Asset(
                name="Bench youth club",
                kind="group",
                lon=lon,
                lat=lat,
                geom=shapely.Point(lon, lat),
                ward_code=ward,
                status="pending",
                source="resident",
            )
            pending.categories = [db.session.get(Category, category)]
            db.session.add(pending)
            db.session.commit()
            pending_id = pending.id
        db.session.remove()
    if kind == "approval":
        token = _csrf(session, base + "/login")
        session.post(base + "/login", data={"email": BENCH_STAFF[0], "password": BENCH_STAFF[1], "csrf_token": token})
    since = datetime.now(UTC).replace(tzinfo=None)
    cpu_before = cpu_seconds(worker.pid)
    began = time.perf_counter()
    if kind == "need":
        token = _csrf(session, base + "/needs/new")
        answer = session.post(
            base + "/needs/new", data={"csrf_token": token, "ward": ward, "categories": category}, timeout=600
        )
    else:
        token = _csrf(session, base + "/moderate")
        answer = session.post(base + f"/moderate/assets/{pending_id}/approve", data={"csrf_token": token}, timeout=600)
    answered = time.perf_counter() - began
    if answer.status_code >= 400:
        raise RuntimeError(f"{kind}: the site answered {answer.status_code}")
    waited, tasks = _wait_for_tasks(url, since)
    cpu = cpu_seconds(worker.pid) - cpu_before
    pages = {}
    for name, path in (("/gaps", "/gaps"), ("/", "/"), ("ward", f"/wards/{ward}")):
        start = time.perf_counter()
        urllib.request.urlopen(
            urllib.request.Request(base + path, headers={"Accept-Encoding": "gzip"}), timeout=600
        ).read()
        pages[name] = time.perf_counter() - start
    return {
        "kind": kind,
        "answered": answered,
        "refresh": waited,
        "pages": pages,
        "total": answered + waited + sum(pages.values()),
        "cpu": cpu,
        "worker_mb": worker.watch.peak_mb(),
        "tasks": tasks,
    }


def full_refresh(url: str, worker) -> dict:
    """Queue the refresh a ward or population import makes (every kept table in full) and time the worker's run of it."""
    from datetime import datetime

    from sqlalchemy import select

    from webmap.core import queue
    from webmap.core.db import db
    from webmap.core.models import Ward
    from webmap.gaps import apply, changes, history

    app = _app(url)
    since = datetime.now(UTC).replace(tzinfo=None)
    cpu_before = cpu_seconds(worker.pid)
    with app.app_context():
        # One ward's population corrected, as a population import does: every table rests on it.
        ward = db.session.scalar(select(Ward).order_by(Ward.code).limit(1))
        ward.population = (ward.population or 0) + 1
        db.session.commit()
        change = apply.merged(changes.taken(db.session))
        assert change is not None and change.full, change
        queue.enqueue(history.snapshot_task, "import", None, change.to_json(), label="bench: a full refresh")
        db.session.commit()
        db.session.remove()
    waited, tasks = _wait_for_tasks(url, since)
    return {
        "refresh": waited,
        "cpu": cpu_seconds(worker.pid) - cpu_before,
        "worker_mb": worker.watch.peak_mb(),
        "tasks": tasks,
    }


IMPORT_PLACES = int(os.environ.get("WEBMAP_BENCH_IMPORT_PLACES", "100000"))
IMPORT_SOURCE = "bench import"
BENCH_ADMIN = ("bench-admin@example.gov.uk", "bench password that is long enough 2")


def reset_peak(pid: int) -> None:
    """Start a process's peak memory (VmHWM) again from what it holds now, so the next task's own peak is read."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def import_file(url: str) -> Path:
    """Write (once) a GeoJSON of IMPORT_PLACES new places, each a few tens of metres from one of the set's own."""
    import json

    import numpy as np
    from sqlalchemy import select

    from webmap.core.db import db
    from webmap.core.models import Asset

    path = WORK / f"import-{IMPORT_PLACES}.geojson"
    if path.exists():
        return path
    with _app(url).app_context():
        where = np.array(db.session.execute(select(Asset.lon, Asset.lat).where(Asset.source == "bench")).all())
        categories = ["food_support", "youth", "older_people", "health"]
    rng = np.random.default_rng(23)
    picked = where[rng.choice(len(where), IMPORT_PLACES, replace=False)] + rng.normal(0, 0.0003, (IMPORT_PLACES, 2))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(float(x), 6), round(float(y), 6)]},
            "properties": {
                "id": f"b{i}",
                "name": f"Imported place {i}",
                "category": categories[i % len(categories)],
                "address": f"{i} High Street",
            },
        }
        for i, (x, y) in enumerate(picked)
    ]
    part = path.with_suffix(".part")
    part.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    part.rename(path)
    return path


def large_import(url: str, base: str, worker) -> dict:
    """Import IMPORT_PLACES places through the site's import pages (upload, check, import, the refresh after it);
    time each task on the queue worker, its CPU and its peak memory; then take the places out again."""
    from datetime import datetime

    import requests
    from sqlalchemy import select

    from webmap.core.db import db
    from webmap.core.models import BackgroundTask, ImportJob
    from webmap.staff.accounts import create_user

    path = import_file(url)
    app = _app(url)
    with app.app_context():
        create_user(*BENCH_ADMIN, "admin", actor="bench")
        db.session.commit()
        db.session.remove()
    session = requests.Session()
    token = _csrf(session, base + "/login")
    session.post(base + "/login", data={"email": BENCH_ADMIN[0], "password": BENCH_ADMIN[1], "csrf_token": token})
    worker.watch.reset()
    restarted = restarts(worker)
    cpu_before = cpu_seconds(worker.pid)
    since = datetime.now(UTC).replace(tzinfo=None)
    began = time.perf_counter()
    token = _csrf(session, base + "/imports/new?kind=places")
    with path.open("rb") as file:
        answer = session.post(
            base + "/imports/new?kind=places",
            data={"csrf_token": token, "kind": "places", "category_col": "category", "source": IMPORT_SOURCE},
            files={"file": (path.name, file, "application/geo+json")},
            timeout=600,
        )
    uploaded = time.perf_counter() - began
    job_id = int(answer.url.rstrip("/").rsplit("/", 1)[1])
    checked, _ = _wait_for_tasks(url, since)
    token = _csrf(session, base + f"/imports/{job_id}")
    session.post(base + f"/imports/{job_id}/confirm", data={"csrf_token": token}, timeout=600)
    imported, _ = _wait_for_tasks(url, since)
    cpu = cpu_seconds(worker.pid) - cpu_before
    peak = worker.watch.peak_mb()
    restarted = restarts(worker) - restarted
    start = time.perf_counter()
    page = session.get(base + f"/imports/{job_id}", timeout=600)
    page_s = time.perf_counter() - start
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        tasks = [
            (t.label, t.state, (t.finished_at - t.started_at).total_seconds() if t.finished_at else float("nan"))
            for t in db.session.scalars(
                select(BackgroundTask).where(BackgroundTask.queued_at >= since).order_by(BackgroundTask.queued_at)
            )
        ]
        outcome = (job.state, (job.result or {}).get("imported"), len((job.changes or {}).get("created", [])))
        db.session.remove()
    _remove_imported(url)
    return {
        "uploaded": uploaded,
        "checked": checked,
        "imported": imported,
        "cpu": cpu,
        "worker_mb": peak,
        "restarts": restarted,
        "page": (page.status_code, page_s),
        "tasks": tasks,
        "outcome": outcome,
    }


def _remove_imported(url: str) -> None:
    """Take the bench's imported places out again, so the next run starts from the same set."""
    from sqlalchemy import delete, select, text

    from webmap.core.db import db
    from webmap.core.models import Asset, asset_categories

    with _app(url).app_context():
        ids = select(Asset.id).where(Asset.source == IMPORT_SOURCE)
        db.session.execute(delete(asset_categories).where(asset_categories.c.asset_id.in_(ids)))
        # Each deleted place is looked for in merged_into_id, which the site never needs an index on (it
        # archives, never deletes): without one, every delete would read all the places.
        db.session.execute(text("CREATE INDEX bench_merged_into ON assets (merged_into_id)"))
        db.session.execute(delete(Asset).where(Asset.source == IMPORT_SOURCE))
        db.session.execute(text("DROP INDEX bench_merged_into"))
        db.session.commit()
        db.session.remove()


def bench_backend(label: str, url: str) -> bool:
    """Measure one backend and print its table; return whether the background refresh finished in time."""
    from playwright.sync_api import sync_playwright

    print(f"\n--- {label}: building or reusing the national set", flush=True)
    subprocess.check_call([sys.executable, __file__, "--build", url], cwd=REPO)
    (proc, worker), base = serve(url)
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
        memory = worker_peak_mb(proc)
        # The first need after the worker started reads the touched tables' rows once; the next finds them read.
        changes = [one_change(url, base, ward, worker, kind) for kind in ("need", "need", "approval")]
        changes[0]["kind"], changes[1]["kind"] = "need (1st)", "need (2nd)"
        # Last, as it raises the worker's peak (VmHWM) the changes above are measured by.
        full = full_refresh(url, worker)
        every = peaks_mb([proc, worker])
        # Its own peak: the worker's peak is started again from what it holds before the upload.
        imported = large_import(url, base, worker) if IMPORT_PLACES else None
        every_after = peaks_mb([proc, worker], since_reset=True)
    finally:
        for each in (proc, worker):
            each.send_signal(signal.SIGTERM)
            each.wait(timeout=60)

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
    print(
        f"\nafter one change, through the site, refreshed by the queue worker (targets: {TARGETS['change_s']:.0f} s, "
        f"{TARGETS['change_cpu_s']:.0f} s CPU, {TARGETS['change_mb']} MB)"
    )
    print(
        f"{'change':<12}{'answer':>9}{'refresh':>9}{'/gaps':>8}{'/':>8}{'ward':>8}{'total':>9}{'CPU':>9}{'worker peak':>13}"
    )
    refreshed = True
    for c in changes:
        p = c["pages"]
        verdict = "/".join(
            ok(v, TARGETS[t])
            for v, t in ((c["total"], "change_s"), (c["cpu"], "change_cpu_s"), (c["worker_mb"], "change_mb"))
        )
        print(
            f"{c['kind']:<12}{c['answered']:>7.2f} s{c['refresh']:>7.2f} s{p['/gaps']:>6.2f} s{p['/']:>6.2f} s"
            f"{p['ward']:>6.2f} s{c['total']:>7.2f} s{c['cpu']:>7.2f} s{c['worker_mb']:>10.0f} MB   {verdict}   ({', '.join(c['tasks'])})"
        )
        refreshed = refreshed and c["refresh"] == c["refresh"]  # NaN when the deadline passed
    print(
        f"\na full refresh by the queue worker (every kept table, as after a ward or population import): "
        f"{full['refresh']:.0f} s, {full['cpu']:.0f} s CPU, worker peak {full['worker_mb']:.0f} MB   "
        f"{ok(full['worker_mb'], TARGETS['worker_mb'])}   ({', '.join(full['tasks'])})"
    )
    refreshed = refreshed and full["refresh"] == full["refresh"]
    if imported:
        state, added, created = imported["outcome"]
        print(
            f"\na browser import of {IMPORT_PLACES:,} places (upload {imported['uploaded']:.1f} s, check "
            f"{imported['checked']:.0f} s, import and the refresh after it {imported['imported']:.0f} s): "
            f"{imported['cpu']:.0f} s CPU, worker peak {imported['worker_mb']:.0f} MB "
            f"(it started itself again {imported['restarts']} times)   "
            f"{ok(imported['worker_mb'], TARGETS['worker_mb'])}; the job: {state}, {added:,} added "
            f"({created:,} ids kept for a rollback); its page {imported['page'][0]} in {imported['page'][1]:.2f} s"
        )
        for label, task_state, seconds in imported["tasks"]:
            print(f"  {label[:60]:<60} {task_state:<8} {seconds:>7.1f} s")
        refreshed = refreshed and imported["imported"] == imported["imported"] and state == "done"
    print("\npeak memory of every process the site started (VmHWM):")
    for name, mb in every:
        print(f"  {name:<60}{mb:>8.0f} MB")
    print(f"  {'all together (sum of peaks)':<60}{sum(mb for _, mb in every):>8.0f} MB")
    if imported:
        print("  after the import (the queue worker's peak started again before it):")
        for name, mb in every_after:
            print(f"  {name:<60}{mb:>8.0f} MB")
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
