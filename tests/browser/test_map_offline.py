"""The home map works offline: it draws, logs no console errors, and asks nothing of other hosts."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser


def test_home_map_renders_with_no_errors_and_no_outside_requests(page, live_server):
    requested, errors = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{live_server}/")
    page.wait_for_selector(".leaflet-marker-icon, .marker-cluster")
    page.wait_for_load_state("networkidle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home-offline-desktop.png"), full_page=True)

    hosts = {urlsplit(url).hostname for url in requested if not url.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"requests left this machine: {sorted(hosts)}"
    assert any(url.endswith("/vendor/leaflet/leaflet.js") for url in requested)
    assert errors == []
    # The wards are drawn as SVG paths and every group layer is listed in the layer control.
    assert page.locator("path.leaflet-interactive").count() >= 16
    assert page.locator(".leaflet-control-layers-overlays label").count() >= 5  # in the DOM even while collapsed
    assert page.locator(".marker-cluster, .leaflet-marker-icon").count() > 0
