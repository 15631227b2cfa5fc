"""A big area's pages never recompute in the request: they show the last figures and a queue worker catches up."""

from __future__ import annotations

import re
import time
from datetime import date

import pandas as pd
from sqlalchemy import select

from webmap.core import queue
from webmap.core.db import db
from webmap.core.models import BackgroundTask, Need, Ward
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore
from webmap.gaps.views import BEHIND as _BEHIND
from webmap.gaps.views import WORKING as _WORKING
from webmap.scale import derived, refresh

BEHIND, WORKING = str(_BEHIND), str(_WORKING)  # lazy messages, read as English here

BIG = {"VIEWPORT_ABOVE_WARDS": 0, "REFRESH": "auto"}
YOUTH = ("youth", "share", 800.0)


def _wait_until_current(app, query, timeout: float = 180.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with app.app_context():
            current = gapstore.is_current(query) and derived.is_current("place_cells") and not refresh.running()
            db.session.remove()
        if current:
            return
        time.sleep(0.5)
    raise AssertionError(f"the background refresh did not finish in {timeout:.0f} s: {refresh_tasks(app)}")


def refresh_tasks(app) -> list[tuple]:
    """Return the refresh tasks' states, notes and errors."""
    with app.app_context():
        return [
            (t.state, t.note, t.error)
            for t in db.session.scalars(select(BackgroundTask).where(BackgroundTask.name == "gaps.refresh"))
        ]


def _ask_for_youth(app, code: str, count: float) -> None:
    with app.app_context():
        db.session.add(Need(ward_code=code, category_id="youth", count=count, source="test", asked_on=date.today()))
        db.session.commit()


def test_gaps_page_shows_the_last_figures_while_a_background_refresh_catches_up(sample_app, queue_worker):
    sample_app.config.update(BIG)
    queue_worker(sample_app)
    result = sample_app.test_cli_runner().invoke(args=["gaps", "rebuild"])
    assert result.exit_code == 0, result.output
    client = sample_app.test_client()
    query = gaps_service.GapQuery(*YOUTH)
    first = client.get("/gaps?category=youth").get_data(as_text=True)
    assert BEHIND not in first and WORKING not in first
    with sample_app.app_context():
        code = db.session.scalars(select(Ward.code).order_by(Ward.code)).first()
        before = gapstore.latest_table(query)[0].set_index("ward_code").loc[code, "need_count"]
        tag = derived.tag("place_cells")

    _ask_for_youth(sample_app, code, 40)
    started = time.perf_counter()
    behind = client.get("/gaps?category=youth").get_data(as_text=True)
    answered = time.perf_counter() - started
    assert BEHIND in behind  # the last figures, said to be out of date ...
    with sample_app.app_context():
        assert gapstore.latest_table(query)[0].set_index("ward_code").loc[code, "need_count"] == before
    ward_page = client.get(f"/wards/{code}").get_data(as_text=True)
    assert BEHIND in ward_page

    _wait_until_current(sample_app, query)  # ... until the worker's refresh has stored new ones
    assert any(state == "done" and "Refreshed" in (note or "") for state, note, _ in refresh_tasks(sample_app))
    after = client.get("/gaps?category=youth").get_data(as_text=True)
    assert BEHIND not in after and BEHIND not in client.get(f"/wards/{code}").get_data(as_text=True)
    with sample_app.app_context():
        stored = gapstore.latest_table(query)[0].set_index("ward_code")
        fresh = gaps_service.gap_frame(query).set_index("ward_code")
        assert stored.loc[code, "need_count"] == before + 40
        pd.testing.assert_series_equal(
            stored["gap_score"].sort_index(), fresh["gap_score"].astype(float).sort_index(), check_names=False
        )
        # The map's tile addresses changed with the place counts, so browsers fetch the new ones.
        assert derived.tag("place_cells") != tag
    assert f"v={tag}" not in after and re.search(r"v=\d+\.\d+", after)
    assert answered < 5.0, f"the out-of-date page took {answered:.1f} s: it must not wait for the analysis"


def test_a_choice_never_worked_out_says_so_and_is_worked_out_in_the_background(sample_app, queue_worker):
    sample_app.config.update(BIG)
    queue_worker(sample_app)
    client = sample_app.test_client()
    query = gaps_service.GapQuery("youth", "e2sfca", 1200.0)
    page = client.get("/gaps?category=youth&method=e2sfca&distance=1200")
    assert page.status_code == 200 and WORKING in page.get_data(as_text=True)
    _wait_until_current(sample_app, query)
    html = client.get("/gaps?category=youth&method=e2sfca&distance=1200").get_data(as_text=True)
    assert WORKING not in html and BEHIND not in html and "<table" in html


def test_a_second_refresh_waits_for_the_first(sample_app):
    with sample_app.app_context():
        with queue.lock("derived-refresh"):
            result = sample_app.test_cli_runner().invoke(args=["gaps", "rebuild", "--stale"])
            assert result.exit_code == 0, result.output
            assert "Another refresh is running" in result.output
    result = sample_app.test_cli_runner().invoke(args=["gaps", "rebuild", "--stale"])
    assert "Another refresh is running" not in result.output and "out of date" in result.output


def test_a_small_area_still_recomputes_in_the_request(sample_app):
    client = sample_app.test_client()
    sample_app.config.update({"REFRESH": "auto"})
    with sample_app.app_context():
        code = db.session.scalars(select(Ward.code).order_by(Ward.code)).first()
        assert not refresh.in_background()
    _ask_for_youth(sample_app, code, 7)
    html = client.get("/gaps?category=youth").get_data(as_text=True)
    assert BEHIND not in html and WORKING not in html


def test_the_rebuild_command_refuses_a_bad_key(sample_app):
    result = sample_app.test_cli_runner().invoke(args=["gaps", "rebuild", "--stale", "--key", "youth|share|5|0"])
    assert result.exit_code != 0 and "Distance" in result.output


def test_a_web_change_leaves_its_gap_snapshot_to_a_worker(sample_app, queue_worker):
    from webmap.gaps import history as snapshots

    sample_app.config.update(BIG, GAP_SNAPSHOTS="background", GAP_SNAPSHOT_METHODS="share")
    queue_worker(sample_app)
    with sample_app.app_context():
        before = snapshots.snapshot_count()
    with sample_app.test_request_context("/needs/new", method="POST"):
        snapshots.after_change("need")
        task = db.session.scalar(select(BackgroundTask).where(BackgroundTask.name == "gaps.snapshot"))
        assert task is not None  # queued for a worker: no web process reads every place
    deadline = time.time() + 180
    while time.time() < deadline:
        with sample_app.app_context():
            taken = snapshots.snapshot_count()
            state, worker = db.session.execute(
                select(BackgroundTask.state, BackgroundTask.worker).where(BackgroundTask.id == task.id)
            ).one()
            db.session.remove()
        if taken > before and state == "done":
            break
        time.sleep(0.3)
    assert taken == before + 1 and state == "done"
    assert worker == queue.worker_id()  # this process's worker thread, not the request
