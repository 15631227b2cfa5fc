"""A person imports a places file in the browser: the check's preview, confirm, progress to 100 %, the map."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests.browser.conftest import REPO, sign_in
from tests.browser.test_accessibility import axe_violations, describe
from webmap.core.db import db
from webmap.core.models import Asset

pytestmark = pytest.mark.browser


def test_upload_check_confirm_and_watch_it_run(site, browser, tmp_path):
    data = json.loads((REPO / "data" / "assets" / "sample_assets.geojson").read_text())
    for number, feature in enumerate(data["features"][:40]):
        feature["properties"]["source_id"] = f"browser-{number}"
        feature["properties"]["name"] = f"Browser-imported place {number}"
    data["features"] = data["features"][:40]
    data["features"][4]["geometry"] = None  # a deliberately bad row: row 6 as a spreadsheet counts
    path = tmp_path / "new_places.geojson"
    path.write_text(json.dumps(data))

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, site)
    page.goto(site.url + "/imports/")
    page.get_by_role("link", name="Import a file").click()
    page.get_by_role("link", name="Places (community assets)").click()
    page.get_by_label("The file", exact=True).set_input_files(str(path))
    page.get_by_label("Name of this source").fill("browser test")
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_role("heading", name="What the check found")).to_be_visible(timeout=90_000)
    expect(page.get_by_text("1 row cannot be used")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^6\s+geometry\s+the geometry is missing"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"Would be added\s+39"))).to_be_visible()
    expect(page.locator(".leaflet-interactive").first).to_be_visible()
    assert not axe_violations(page), describe(axe_violations(page))
    page.get_by_text("What the check did, step by step").click()
    checked = page.locator(".job-steps-done li").all_inner_texts()
    assert (
        checked[0].startswith("Check asked for at") and checked[-1] == "Check finished: 1 problem found; nothing saved"
    )
    assert "Read 40 rows from new_places.geojson" in checked and "Checked 40 rows: 39 can be used, 1 cannot" in checked

    page.get_by_role("button", name="Import the good rows, skip the 1 unusable").click()
    # While it runs, the page lists each finished step as it comes (the first before the process has started).
    live = page.locator("#job-steps li")
    if live.count():
        assert live.first.inner_text().startswith("Import asked for at")
    expect(page.get_by_role("heading", name="Imported")).to_be_visible(timeout=90_000)
    page.get_by_text("What the import did, step by step").click()
    steps = page.locator(".job-steps-done li").all_inner_texts()
    assert steps[1] == "Started the import; reading new_places.geojson"
    assert (
        steps.index("Read 40 rows from new_places.geojson")
        < steps.index("Checked 40 rows: 39 can be used, 1 cannot")
        < steps.index("Importing assets: 39 of 39 done")
        < steps.index("Saved: added 39, updated 0")
    )
    assert steps[-1] == "Finished: read 40, added 39, updated 0, skipped 0, refused 1"
    expect(
        page.get_by_text(re.compile(r"^Finished on .*added 39,\s+updated 0,\s+skipped 0,\s+refused 1", re.S))
    ).to_be_visible()
    job_url = page.url

    # A second tab (or a reload) shows the same finished job: its state lives on the server.
    other = context.new_page()
    other.goto(job_url)
    expect(other.get_by_role("heading", name="Imported")).to_be_visible()
    status = other.request.get(job_url + "/status.json").json()
    assert status["percent"] == 100 and status["state"] == "done"

    page.get_by_role("link", name="the map").click()
    page.wait_for_load_state("load")
    assert "Browser-imported place 0" in page.content()
    with site.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Asset).where(Asset.source == "browser test")) == 39
    context.close()
