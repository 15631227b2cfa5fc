"""Page weight: the bytes each page costs a visitor on a first and on a repeat visit.

Serves the fictional sample area from a temporary SQLite database on a local port, opens every
page of tests/browser/pages.py in headless Chromium and adds up what came over the wire (encoded
response bodies plus headers). No tile server is set, so background map tiles are not counted.
Prints a table; asserts nothing, but says whether the home map page is under 1.5 MB in all.

    .venv/bin/python bench/bench_pages.py
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests" / "browser")]

from pages import PAGES  # noqa: E402  (the one list of pages, shared with the browser tests)
from werkzeug.security import generate_password_hash  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bench.skipping import skip  # noqa: E402
from webmap import create_app  # noqa: E402
from webmap.cli import init_database  # noqa: E402
from webmap.core.db import db  # noqa: E402

CHROMIUM = os.environ.get("WEBMAP_CHROMIUM", "/usr/bin/chromium")
HOME_BUDGET = 1.5 * 1024 * 1024
STAFF = ("bench@example.org", "a long bench passphrase 9")


def start_app(folder: Path):
    """Create the sample app on a new SQLite file and serve it; return (app, base URL, server)."""
    from sqlalchemy import select

    from webmap.core.models import Asset, Postcode, User, Ward
    from webmap.imports.sample import load_sample

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
            "TILES_URL": "",
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        init_database()
        load_sample()
        db.session.add(
            User(email=STAFF[0], password_hash=generate_password_hash(STAFF[1]), role="moderator", can_import=True)
        )  # as the browser tests' moderator, so the import pages open
        db.session.commit()
        ward = db.session.scalars(select(Ward.code).order_by(Ward.code)).first()
        ids = {
            "asset": str(db.session.scalars(select(Asset.id).where(Asset.status == "approved")).first()),
            "ward": str(ward),
            "postcode": str(
                db.session.scalars(
                    select(Postcode.postcode).where(Postcode.ward_code == ward).order_by(Postcode.postcode)
                ).first()
            ),
        }
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app, f"http://127.0.0.1:{server.server_port}", server, ids


def visit(tab, url: str) -> tuple[int, int, int]:
    """Open url and return (status, requests, bytes transferred) for everything the page loaded."""
    seen = []

    def finished(request):
        seen.append(request)

    tab.on("requestfinished", finished)
    response = tab.goto(url, wait_until="networkidle")
    tab.remove_listener("requestfinished", finished)
    total = 0
    for request in seen:
        sizes = request.sizes()
        total += max(sizes["responseBodySize"], 0) + max(sizes["responseHeadersSize"], 0)
    return response.status if response else 0, len(seen), total


def sign_in(context, base: str) -> bool:
    """Sign in through the login form; False when it fails."""
    import re

    tab = context.new_page()
    tab.goto(base + "/login")
    tab.get_by_label(re.compile(r"e-?mail", re.I)).fill(STAFF[0])
    tab.get_by_label(re.compile(r"password", re.I)).fill(STAFF[1])
    tab.get_by_role("button", name=re.compile(r"sign in|log in|continue|submit", re.I)).click()
    tab.wait_for_load_state()
    ok = "/login" not in tab.url
    tab.close()
    return ok


def main() -> int:
    """Measure every page the app has and print the table."""
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if not Path(CHROMIUM).exists():
        return skip("bench_pages", f"Chromium not found at {CHROMIUM}: page weights not measured")
    with tempfile.TemporaryDirectory() as tmp:
        app, base, server, ids = start_app(Path(tmp))
        rows, home = [], None
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for spec in PAGES:
                path = spec.url(ids)
                context = browser.new_context(viewport={"width": 360, "height": 640})
                if spec.needs_login and not sign_in(context, base):
                    raise SystemExit(
                        f"bench_pages: signing in as the bench moderator failed, so {path} was not measured"
                    )
                tab = context.new_page()
                status, count, first = visit(tab, base + path)
                if status != spec.status:  # a page the app no longer serves is not weighed as if it were
                    raise SystemExit(f"bench_pages: {path} answered {status}, not {spec.status}")
                _, _, repeat = visit(tab, base + path)  # same context: the browser cache now holds Leaflet etc.
                context.close()
                rows.append((spec.name, path, count, first, repeat))
                if spec.name == "home":
                    home = first
            browser.close()
        server.shutdown()
        with app.app_context():
            db.engine.dispose()

    print(f"{'page':<16}{'path':<22}{'requests':>9}{'first visit':>14}{'repeat visit':>14}")
    for name, path, count, first, repeat in rows:
        print(f"{name:<16}{path:<22}{count:>9}{first / 1024:>11.1f} KB{repeat / 1024:>11.1f} KB")
    if home is not None:
        verdict = "under" if home < HOME_BUDGET else "OVER"
        print(
            f"\nHome map page: {home / 1024 / 1024:.2f} MB in all on a first visit: {verdict} the 1.5 MB budget "
            "(no background tiles counted)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
