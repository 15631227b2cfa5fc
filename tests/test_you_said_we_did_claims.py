"""A claim needs a dated record behind it (issue 22, item 1): "You said, we did" after a later import.

A survey round dated 31 March 2026, then the schools register imported months later: schools whose
register says they opened long ago are never "opened since residents asked" (only "newly recorded on
the map"); a school whose opening date is after the ask is listed with that date; the figures "when
residents asked" are the map as it stood that day, so the later import leaves them as they were.
"""

from __future__ import annotations

import csv
import io
import re

from pyproj import Transformer
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset

WARD = "E05900001"  # Northgate, in the sample area
TO_BNG = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
HEADER = [
    "URN",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "EstablishmentStatus (name)",
    "PhaseOfEducation (name)",
    "OpenDate",
    "Postcode",
    "Easting",
    "Northing",
]


def invoke(app, *args) -> str:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _item(app, fmt: str = "csv"):
    body = app.test_client().get(f"/wards/{WARD}/you-said-we-did.{fmt}").get_data(as_text=True)
    return next(r for r in csv.DictReader(io.StringIO(body)) if r["category"] == "education")


def _section(page: str, heading: str) -> str:
    article = next(a for a in re.findall(r'<article class="ysd".*?</article>', page, re.S) if ">Education" in a)
    found = re.search(re.escape(heading) + r"</h3>(.*?)(?=<h3>|</article>)", article, re.S)
    return found.group(1) if found else ""


def test_register_import_after_the_ask_claims_only_what_its_dates_say(sample_app, tmp_path):
    survey = tmp_path / "spring.csv"
    survey.write_text(f"ward_code,category,count\n{WARD},education,12\n", encoding="utf-8")
    invoke(sample_app, "import-needs", survey, "--round", "Spring 2026 survey", "--round-date", "2026-03-31")
    then = _item(sample_app)
    assert then["when_asked_date"] == "2026-03-31" and float(then["need_when_asked"]) == 12

    with sample_app.app_context():
        lon, lat = db.session.execute(select(Asset.lon, Asset.lat).where(Asset.ward_code == WARD)).first()
    e, n = (str(round(v)) for v in TO_BNG.transform(lon, lat))
    rows = [
        HEADER,
        ["900001", "Old Grammar School", "Community school", "Open", "Secondary", "01-09-1961", "", e, n],
        ["900002", "Riverside Primary", "Academy converter", "Open", "Primary", "", "", e, n],
        ["900003", "New Horizons Free School", "Free schools", "Open", "Secondary", "01-09-2026", "", e, n],
    ]
    path = tmp_path / "edubasealldata20261101.csv"
    with path.open("w", newline="", encoding="cp1252") as fh:
        csv.writer(fh).writerows(rows)
    invoke(sample_app, "import-assets", path, "--source-date", "2026-11-01")
    with sample_app.app_context():
        opened = dict(db.session.execute(select(Asset.name, Asset.opened_on).where(Asset.source == "gias")).all())
    assert {k: v and v.isoformat() for k, v in opened.items()} == {
        "Old Grammar School": "1961-09-01",
        "Riverside Primary": None,
        "New Horizons Free School": "2026-09-01",
    }

    page = sample_app.test_client().get(f"/wards/{WARD}/you-said-we-did").get_data(as_text=True)
    new = _section(page, "Places opened nearby since residents asked")
    recorded = _section(page, "Newly recorded on the map since residents asked")
    assert "New Horizons Free School</a>, opened 1 September 2026" in new
    assert "Old Grammar School" not in new and "Riverside Primary" not in new
    assert "Old Grammar School</a>, first recorded on the map" in recorded
    assert "Riverside Primary</a>, first recorded on the map" in recorded and "New Horizons" not in recorded

    # "When residents asked" is the map of 31 March 2026: the import of November changes nothing in it.
    after = _item(sample_app)
    for column in (
        "when_asked_date",
        "need_when_asked",
        "places_within_reach_when_asked",
        "access_share_when_asked",
        "unmet_need_per_1000_when_asked",
    ):
        assert after[column] == then[column], column
    assert int(after["places_within_reach_now"]) == int(then["places_within_reach_now"]) + 3
    # (The sample's own places were also imported after 31 March: recorded, never "opened", as well.)
    assert after["places_new_count"] == "1" and then["places_new_count"] == "0"
    assert int(after["newly_recorded_count"]) == int(then["newly_recorded_count"]) + 2
    assert "New Horizons Free School (opened 2026-09-01)" in after["places_new_since"]

    # The ward profile names the same one place, with its date.
    profile = sample_app.test_client().get(f"/wards/{WARD}").get_data(as_text=True)
    changed = profile.split('id="changed-heading"')[1].split("</section>")[0]
    assert "New Horizons Free School</a>, opened 1 September 2026" in changed and "Old Grammar" not in changed


def test_an_opened_column_dates_places_in_any_file(app, tmp_path):
    from tests.importing_helpers import load_two_wards

    load_two_wards(app, tmp_path)
    path = tmp_path / "hubs.csv"
    path.write_text(
        "name,category,longitude,latitude,opened\nCanal Hub,community_space,-2.18,53.52,2019-07\n"
        "Mill Hub,community_space,-2.18,53.521,\n",
        encoding="utf-8",
    )
    invoke(app, "import-assets", path)
    with app.app_context():
        opened = dict(db.session.execute(select(Asset.name, Asset.opened_on)).all())
    assert opened["Canal Hub"].isoformat() == "2019-07-01" and opened["Mill Hub"] is None


def test_the_gap_store_keeps_when_residents_asked_once_and_the_pages_read_it(make_app, tmp_path, monkeypatch):
    """Issues 22/24: the hook after a change keeps "when residents asked" in the store's history; pages only read it."""
    from datetime import datetime, time

    from tests.conftest import load_fresh_sample
    from webmap.core.models import GapSnapshot, GapSnapshotRow
    from webmap.gaps import service as gaps_service
    from webmap.gaps import store as gapstore

    app = make_app(GAP_SNAPSHOTS="inline", GAP_SNAPSHOT_METHODS="share")
    with app.app_context():
        load_fresh_sample()
    survey = tmp_path / "spring.csv"
    survey.write_text(f"ward_code,category,count\n{WARD},education,12\n", encoding="utf-8")
    invoke(app, "import-needs", survey, "--round", "Spring 2026 survey", "--round-date", "2026-03-31")

    def kept():
        with app.app_context():
            return db.session.execute(
                select(GapSnapshot.as_of, GapSnapshotRow.asked_at, GapSnapshotRow.need_count)
                .join(GapSnapshotRow, GapSnapshotRow.snapshot_id == GapSnapshot.id)
                .where(
                    GapSnapshot.kind == gapstore.ASKED,
                    GapSnapshotRow.ward_code == WARD,
                    GapSnapshotRow.category == "education",
                )
            ).all()

    moment = datetime.combine(datetime(2026, 3, 31).date(), time.max)
    assert [(str(a), m, n) for a, m, n in kept()] == [("2026-03-31", moment, 12)]

    def no_analysis(*_args, **_kwargs):
        raise AssertionError("a page worked out 'when residents asked' instead of reading the store")

    monkeypatch.setattr(gaps_service, "tables_at", no_analysis)
    then = _item(app)
    assert then["when_asked_date"] == "2026-03-31" and float(then["need_when_asked"]) == 12
    assert app.test_client().get("/you-said-we-did").status_code == 200
    # A later change of the map (another import) neither rewrites nor adds to what was kept.
    invoke(app, "import-needs", survey, "--source", "later answers")
    assert len(kept()) == 1 and _item(app)["need_when_asked"] == then["need_when_asked"]
