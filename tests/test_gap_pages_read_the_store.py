"""Every gap page reads the one gap store, the same way whatever the area's size.

The pages (/gaps, the ward profile, its report, "you said, we did" and their CSV, the gap
export) must never run the analysis themselves: with the store filled, the analysis entry
points are made to fail, and every page must still answer, small area or big, having read the
store's latest rows (or its history rows). And no gap view may ask how big the area is.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from webmap.gaps import history
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore

REPO = Path(__file__).resolve().parent.parent
GAP_VIEWS = ["webmap/gaps/views.py", "webmap/gaps/report.py", "webmap/feedback/views.py", "webmap/feedback/report.py"]
WARD = "E05900001"
PAGES = [
    "/gaps?category=youth",
    "/gaps",
    "/gaps?category=youth&method=2sfca",
    f"/wards/{WARD}",
    f"/wards/{WARD}/report",
    "/gaps/export?category=youth&format=csv",
    "/gaps/export?category=youth&format=geojson",
]
# "You said, we did": "when residents asked" is read from the store's history (the figures kept at
# the first ask), "now" from the latest rows; never recomputed in the request (gaps_service.tables_at).
FEEDBACK = [
    f"/wards/{WARD}/you-said-we-did",
    f"/wards/{WARD}/you-said-we-did.csv",
    "/you-said-we-did",
    "/you-said-we-did.csv",
]


@pytest.mark.parametrize("path", GAP_VIEWS)
def test_no_gap_view_asks_how_big_the_area_is(path):
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
    }
    asked = names & {"by_view", "in_background", "ward_count", "approved_count"}
    assert not asked, f"{path} branches on the area's size through {sorted(asked)}"


def _visit(sample_app, monkeypatch, big: bool, pages: list[str], analysis: tuple[str, ...]) -> dict[str, set[str]]:
    """Fill the store, make the analysis entry points fail, visit the pages; return what each read of the store."""
    sample_app.config.update(GAP_SNAPSHOT_METHODS="share,2sfca")
    with sample_app.app_context():
        history.take_snapshot("import")  # fills the store: what an import's hook does
    if big:
        sample_app.config.update(VIEWPORT_ABOVE_WARDS=0, VIEWPORT_ABOVE_PLACES=0, REFRESH="auto")
    reads: list[str] = []
    for name in ("table_for_page", "ward_rows_for_page", "history_rows"):
        real = getattr(gapstore, name)
        monkeypatch.setattr(
            gapstore, name, lambda *a, _real=real, _name=name, **k: reads.append(_name) or _real(*a, **k)
        )

    def no_analysis(*_args, **_kwargs):
        raise AssertionError("a page ran the gap analysis instead of reading the store")

    for name in analysis:
        monkeypatch.setattr(gaps_service, name, no_analysis)
    client = sample_app.test_client()
    seen = {}
    for path in pages:
        reads.clear()
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.status_code}"
        text = response.get_data(as_text=True)
        assert "nan" not in text.replace("Nan", "").split() and ">None<" not in text, path
        seen[path] = set(reads)
    return seen


ANALYSIS = ("gap_frame", "gap_frames", "ward_profile", "ward_gaps", "snapshot_tables")


@pytest.mark.parametrize("big", [False, True], ids=["small area", "big area"])
def test_every_gap_page_reads_the_store_and_never_the_analysis(sample_app, monkeypatch, big):
    seen = _visit(sample_app, monkeypatch, big, PAGES, ANALYSIS)
    assert seen["/gaps?category=youth"] == {"table_for_page"}
    assert seen["/gaps/export?category=youth&format=csv"] == {"table_for_page"}
    assert "ward_rows_for_page" in seen[f"/wards/{WARD}"] and "history_rows" in seen[f"/wards/{WARD}"]
    assert seen[f"/wards/{WARD}/report"] == {"ward_rows_for_page"}


def test_you_said_we_did_reads_then_and_now_from_the_store(sample_app, monkeypatch):
    seen = _visit(sample_app, monkeypatch, False, FEEDBACK, (*ANALYSIS, "tables_at"))
    assert all("history_rows" in seen[path] for path in FEEDBACK)
