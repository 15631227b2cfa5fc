"""Nothing lost under load or faults, against the production server (`make bench`, or run this script).

1. Load: 1,000 resident submissions from 50 concurrent clients against gunicorn (`make serve`'s command,
   4 workers) on SQLite and, when --postgis-url is given, PostGIS. Every accepted submission must be in
   the database exactly once, with no 5xx answer.
2. Fault: `kill -9` of `flask import-wards` halfway through the national wards file (halfway as timed
   by a whole import on the same backend); the database must be exactly as before (compared as a full
   dump) and the app must start and answer /healthz.

Usage: .venv/bin/python bench/bench_serving.py [--postgis-url postgresql+psycopg://postgres@127.0.0.1:5432/DB]
The PostGIS database given is emptied first.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SHARED = Path(os.environ.get("WEBMAP_SHARED_DATA", REPO.parent / "shared" / "data"))
NATIONAL_WARDS = SHARED / "boundaries" / "national" / "wards_2013_england_wales_bgc.gpkg"
REDIS_SERVER = "/usr/bin/redis-server"
SUBMISSIONS, CLIENTS, WORKERS = 1000, 50, 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(database_url: str, instance: Path, redis_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "WEBMAP_DATABASE_URL": database_url,
        "WEBMAP_SECRET_KEY": secrets.token_hex(32),
        "WEBMAP_TILES_URL": "",
        "WEBMAP_SUBMISSION_RATE_LIMIT": "100000 per hour",
        "WEBMAP_RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "FLASK_APP": "webmap",
    }
    env["WEBMAP_INSTANCE"] = str(instance)
    return env


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(BIN / "flask"), "--app", "webmap", *args], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL
    )


def reset(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        Path(url.database).unlink(missing_ok=True)
        return
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()


class Server:
    """gunicorn serving the app, as `make serve` runs it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
                "webmap:create_app()",
            ],
            env=env,
            cwd=REPO,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.time() + 600  # a busy machine needs minutes to boot 4 workers
        while time.time() < deadline:
            try:
                if requests.get(f"{self.base}/healthz", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not become healthy within 600 s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def postcodes(database_url: str, n: int = 50) -> list[str]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        found = [
            r[0] for r in conn.execute(text("SELECT postcode FROM postcodes ORDER BY postcode LIMIT :n"), {"n": n})
        ]
    engine.dispose()
    return found


def submit_all(base: str, codes: list[str]) -> tuple[dict[str, int], list[float], Counter]:
    """Send SUBMISSIONS submissions from CLIENTS threads; return {name: status}, latencies, status counts."""
    results: dict[str, int] = {}
    latencies: list[float] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        session = requests.Session()
        for i in range(k, SUBMISSIONS, CLIENTS):
            name = f"Load test place {i:04d}"
            started = time.perf_counter()
            try:
                page = session.get(f"{base}/assets/new", timeout=120)
                token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
                response = session.post(
                    f"{base}/assets/new",
                    allow_redirects=False,
                    timeout=120,
                    data={
                        "csrf_token": token,
                        "name": name,
                        "categories": ["food_support"],
                        "kind": "group",
                        "postcode": codes[i % len(codes)],
                        "submitter_email": f"load{i}@example.org",
                    },
                )
                status = response.status_code
                if status == 302 and not response.headers["Location"].endswith("/assets/new/thanks"):
                    status = -302  # redirected somewhere unexpected: not accepted
            except (requests.RequestException, AttributeError):
                status = 0  # connection error or no form: counted as a failure
            with lock:
                results[name] = status
                latencies.append(time.perf_counter() - started)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return results, latencies, Counter(results.values())


def stored_names(database_url: str) -> Counter:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        names = Counter(r[0] for r in conn.execute(text("SELECT name FROM assets WHERE name LIKE 'Load test place %'")))
    engine.dispose()
    return names


def load_test(label: str, database_url: str, instance: Path, redis_url: str | None) -> bool:
    reset(database_url)
    env = environment(database_url, instance, redis_url)
    flask(env, "init-db")
    flask(env, "load-sample")
    server = Server(env)
    started = time.perf_counter()
    try:
        results, latencies, statuses = submit_all(server.base, postcodes(database_url))
    finally:
        server.stop()
    elapsed = time.perf_counter() - started
    accepted = {name for name, status in results.items() if status == 302}
    stored = stored_names(database_url)
    duplicates = {name: n for name, n in stored.items() if n > 1}
    missing = accepted - set(stored)
    unexpected = set(stored) - accepted
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    latencies.sort()
    ok = not duplicates and not missing and not unexpected and server_errors == 0 and len(accepted) == SUBMISSIONS
    print(
        f"[{label}] {SUBMISSIONS} submissions (form GET + POST each) from {CLIENTS} clients, {WORKERS} gunicorn "
        f"workers, rate limits in {'Redis' if redis_url else 'memory'}: {elapsed:.1f} s, "
        f"{SUBMISSIONS / elapsed:.1f} submissions/s, p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms"
    )
    print(
        f"[{label}] statuses {dict(statuses)}; accepted {len(accepted)}, stored {sum(stored.values())}, "
        f"duplicates {len(duplicates)}, accepted but missing {len(missing)}, stored but not accepted "
        f"{len(unexpected)}, 5xx {server_errors} -> {'OK' if ok else 'FAILED'}"
    )
    return ok


def dump(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as con:
            out = "\n".join(con.iterdump())
        con.close()
        return out
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    text_dump = subprocess.run(["pg_dump", "--no-owner", libpq], check=True, capture_output=True, text=True).stdout
    return "\n".join(line for line in text_dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def kill_test(label: str, database_url: str, instance: Path, wards: Path) -> bool:
    """Kill -9 an import of the wards file halfway through this backend's own import; return whether the
    database is unchanged and the app starts."""
    env = environment(database_url, instance, None)

    def sample_site() -> None:
        reset(database_url)
        flask(env, "init-db")
        flask(env, "load-sample")

    # Time a whole import on this very backend first (PostGIS and SQLite differ several-fold), up to its
    # commit (the summary line it prints next, before the gap snapshot), to know when its "halfway" is;
    # then start again from the same sample site.
    sample_site()
    started = time.perf_counter()
    timing = import_wards(env, wards)
    committed = next((time.perf_counter() - started for line in timing.stdout if SUMMARY.search(line)), None)
    if timing.wait() or committed is None:
        raise RuntimeError(f"[{label}] import-wards {wards} failed (exit {timing.returncode})")
    halfway = committed / 2
    print(f"[{label}] an import of {wards.name} commits after {committed:.1f} s here")
    sample_site()
    before = dump(database_url)
    process = import_wards(env, wards)
    time.sleep(halfway)
    still_running = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait()
    too_late = any(SUMMARY.search(line) for line in process.stdout)  # it had committed before the kill
    unchanged = dump(database_url) == before
    server = Server(env)  # raises if the app does not start and answer /healthz
    try:
        home = requests.get(f"{server.base}/", timeout=60).status_code
    finally:
        server.stop()
    ok = still_running and not too_late and unchanged and home == 200
    print(
        f"[{label}] kill -9 of import-wards after {halfway:.1f} s (still running: {still_running}; "
        f"{'had ALREADY COMMITTED' if too_late else 'before its commit'}): database "
        f"{'exactly as before' if unchanged else 'CHANGED'}; app started, /healthz 200, home page {home} "
        f"-> {'OK' if ok else 'FAILED'}"
    )
    return ok


SUMMARY = re.compile(r": read [\d,]+, imported ")  # the line import-wards prints once it has committed


def import_wards(env: dict[str, str], wards: Path) -> subprocess.Popen:
    """Start `flask import-wards` on the file, its output readable line by line."""
    return subprocess.Popen(
        [str(BIN / "flask"), "--app", "webmap", "import-wards", str(wards)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def start_redis(folder: Path) -> tuple[subprocess.Popen | None, str | None]:
    if not Path(REDIS_SERVER).exists():
        print("redis-server not installed: rate limits counted per worker in memory")
        return None, None
    port = free_port()
    process = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--postgis-url",
        default=os.environ.get("WEBMAP_BENCH_POSTGIS_URL"),
        help="A PostGIS database to empty and use (default: WEBMAP_BENCH_POSTGIS_URL; none: SQLite only).",
    )
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-kill", action="store_true")
    parser.add_argument(
        "--wards",
        type=Path,
        default=NATIONAL_WARDS,
        help="The wards file the kill test imports (default: the national one; a smaller one for a trial).",
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        backends = [("SQLite", f"sqlite:///{folder / 'bench.sqlite'}")]
        if args.postgis_url:
            backends.append(("PostGIS", args.postgis_url))
        if not args.skip_load:
            redis, redis_url = start_redis(folder)
            try:
                for label, url in backends:
                    results.append(load_test(label, url, folder, redis_url))
            finally:
                if redis:
                    redis.terminate()
                    redis.wait()
        if not args.skip_kill:
            if not args.wards.exists():
                print(f"kill test skipped: {args.wards} not found")
            else:
                for label, url in backends:
                    results.append(kill_test(label, url, folder, args.wards))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
