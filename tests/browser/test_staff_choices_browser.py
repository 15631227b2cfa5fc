"""In Chromium, a moderator merges by choosing a likely match (pair side by side); rolling back asks first."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import shapely
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import axe_violations, describe
from webmap.core.audit import snapshot
from webmap.core.db import db
from webmap.core.models import Asset, ImportJob, utcnow

pytestmark = pytest.mark.browser


def add_place(name: str, near: Asset, east_m: float, status: str, source: str = "web form") -> Asset:
    """Add a place `east_m` metres east of another (about 68 m per 0.001° of longitude at 52° N)."""
    lon = near.lon + east_m / 68_000
    place = Asset(
        name=name,
        kind="service",
        lon=lon,
        lat=near.lat,
        geom=shapely.Point(lon, near.lat),
        status=status,
        ward_code=near.ward_code,
        source=source,
        source_id=name,
    )
    place.categories = list(near.categories)
    db.session.add(place)
    db.session.flush()
    return place


@pytest.fixture
def staff_tab(browser, site):
    context = browser.new_context(viewport={"width": 360, "height": 640})
    tab = context.new_page()
    sign_in(tab, site)
    yield tab
    context.close()


def test_merge_by_choosing_a_likely_match_seen_side_by_side(site, staff_tab):
    with site.app.app_context():
        original = db.session.get(Asset, int(site.ids["asset"]))
        twin = add_place(f"{original.name} (sent again)", original, 40, "pending")
        renamed = add_place("Hall under its new name", original, 90, "approved")  # same spot, another name
        far = add_place(original.name, original, 3000, "approved")  # same name, 3 km away: not this place
        db.session.commit()
        ids = {"original": original.id, "twin": twin.id, "renamed": renamed.id, "far": far.id, "name": original.name}

    staff_tab.goto(f"{site.url}/moderate")
    item = staff_tab.locator(f"#asset-{ids['twin']}")
    item.get_by_role("link", name=re.compile("Merge with a likely match")).click()
    choices = staff_tab.locator("#merge-choices")
    expect(choices).to_be_visible()
    offered = [int(v) for v in choices.locator("input[name=with]").evaluate_all("(els) => els.map((e) => e.value)")]
    assert ids["original"] in offered and ids["renamed"] in offered  # alike name; same place, other name
    assert ids["far"] not in offered and ids["twin"] not in offered
    assert offered.index(ids["original"]) < offered.index(ids["renamed"])  # the alike name first
    assert not staff_tab.get_by_label(re.compile("place number", re.I)).count()  # nothing to type

    staff_tab.get_by_label(re.compile(re.escape(ids["name"]) + r" \(place " + str(ids["original"]) + r"\)")).check()
    staff_tab.get_by_role("button", name="Compare side by side").click()
    pair = staff_tab.locator("#merge-pair")
    expect(pair).to_be_visible()
    heads = pair.locator("thead th").all_inner_texts()
    assert heads[1].startswith("This place: archived") and f"place {ids['twin']}" in heads[1]
    assert heads[2] == f"Kept (place {ids['original']})"
    names = pair.get_by_role("row", name=re.compile(r"^Name\b"))
    expect(names).to_contain_text(f"{ids['name']} (sent again)")
    expect(names).to_contain_text(ids["name"])
    width = staff_tab.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"the side-by-side pair is {width} px wide on a phone"
    violations = axe_violations(staff_tab)
    assert not violations, describe(violations)

    pair.get_by_role("button", name=re.compile(r"^Merge ")).click()
    expect(staff_tab.locator(".notice-success")).to_contain_text(
        f"Merged {ids['name']} (sent again) into {ids['name']}"
    )
    with site.app.app_context():
        twin = db.session.get(Asset, ids["twin"])
        assert (twin.status, twin.merged_into_id) == ("archived", ids["original"])
        assert db.session.get(Asset, ids["renamed"]).status == "approved"


def test_rollback_shows_what_it_will_archive_add_back_and_restore_before_doing_it(site, staff_tab):
    with site.app.app_context():
        anchor = db.session.get(Asset, int(site.ids["asset"]))
        before = utcnow() - timedelta(days=2)
        added = [
            add_place(f"Register place {n}", anchor, 500 + 100 * n, "approved", source="rollback register")
            for n in range(2)
        ]
        changed = add_place("Changed by the register", anchor, 800, "approved", source="rollback register")
        dropped = add_place("Taken off by the register", anchor, 900, "approved", source="rollback register")
        earlier = {str(changed.id): snapshot(changed), str(dropped.id): snapshot(dropped)}
        changed.phone, dropped.status = "0161 000 0000", "archived"
        for place in (*added, changed, dropped):
            place.updated_at = before
        job = ImportJob(
            kind="places",
            options={"source": "rollback register"},
            filename="register.csv",
            sha256="1" * 64,
            size_bytes=100,
            actor="admin@example.org",
            state="done",
            started_at=before,
            finished_at=before,
            result={"read": 4, "imported": 2, "updated": 2, "skipped": [], "notes": [], "refused": 0},
            changes={"source": "rollback register", "created": [a.id for a in added], "updated": earlier},
        )
        db.session.add(job)
        db.session.commit()
        job_id, added_ids, changed_id, dropped_id = job.id, [a.id for a in added], changed.id, dropped.id

    staff_tab.goto(f"{site.url}/imports/{job_id}")
    staff_tab.get_by_role("link", name=re.compile("Roll back this import")).click()
    expect(staff_tab.get_by_role("heading", level=1)).to_contain_text(f"Roll back import #{job_id}")
    counts = staff_tab.locator("#rollback-counts")
    expect(counts.get_by_role("row", name=re.compile(r"added, to be archived\s+2$"))).to_be_visible()
    expect(counts.get_by_role("row", name=re.compile(r"took off the map, to be added back\s+1$"))).to_be_visible()
    expect(counts.get_by_role("row", name=re.compile(r"earlier details back\s+1$"))).to_be_visible()
    page_text = staff_tab.locator("main").inner_text()
    assert "Register place 0" in page_text and "Register place 1" in page_text
    assert "Taken off by the register" in page_text and "status “archived” back to “approved”" in page_text
    assert "phone “0161 000 0000” back to “empty”" in page_text
    with site.app.app_context():  # nothing has happened yet: the page only asks
        assert db.session.get(ImportJob, job_id).state == "done"
        assert {db.session.get(Asset, i).status for i in added_ids} == {"approved"}
    assert staff_tab.evaluate("() => document.documentElement.scrollWidth") <= 360
    violations = axe_violations(staff_tab)
    assert not violations, describe(violations)

    staff_tab.get_by_role("button", name="Yes, roll back: archive 2, add back 1, restore 1").click()
    expect(staff_tab.locator(".notice")).to_contain_text(
        "rolled back: 2 places archived, 2 places put back as they were"
    )
    with site.app.app_context():
        assert db.session.get(ImportJob, job_id).state == "rolled back"
        assert {db.session.get(Asset, i).status for i in added_ids} == {"archived"}
        assert db.session.get(Asset, dropped_id).status == "approved"
        assert db.session.get(Asset, changed_id).phone is None
