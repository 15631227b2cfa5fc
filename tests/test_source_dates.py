"""Honest dates: an import keeps its source's date; "last checked" is only set by a person; stale uses both."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import login, make_staff
from tests.importing_helpers import load_two_wards, run, write_csv
from webmap.core.db import db
from webmap.core.models import Asset, utcnow

IN_A, IN_B = (-2.18, 53.52), (-2.12, 53.53)


def import_dated(app, tmp_path):
    load_two_wards(app, tmp_path)
    path = write_csv(
        tmp_path / "dated.csv",
        ["id", "name", "category", "longitude", "latitude", "source_date"],
        [
            ["1", "Old Hall", "community_space", *IN_A, "2018"],
            ["2", "New Hall", "community_space", *IN_B, ""],
            ["3", "July Hall", "community_space", *IN_B, "2024-07"],
        ],
    )
    result = run(app, "import-assets", path, "--source", "halls", "--source-date", "17/07/2025")
    assert result.exit_code == 0, result.output
    with app.app_context():
        return {a.name: a.id for a in db.session.scalars(select(Asset))}


def test_import_keeps_the_source_date_and_never_sets_last_checked(app, tmp_path):
    ids = import_dated(app, tmp_path)
    with app.app_context():
        found = {a.name: a for a in db.session.scalars(select(Asset))}
        assert {n: a.source_date for n, a in found.items()} == {
            "Old Hall": "2018",
            "New Hall": "2025-07-17",
            "July Hall": "2024-07",
        }
        assert all(a.last_verified_at is None for a in found.values())
    page = app.test_client().get(f"/assets/{ids['New Hall']}").get_data(as_text=True)
    assert "Source date" in page and "17 July 2025" in page and "Not yet checked by us" in page
    assert "July 2024" in app.test_client().get(f"/assets/{ids['July Hall']}").get_data(as_text=True)


def test_exports_and_oruk_carry_the_source_date(app, tmp_path):
    ids = import_dated(app, tmp_path)
    out = tmp_path / "out.geojson"
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["export", "--out", str(out)]).exit_code == 0
    rows = {f["properties"]["name"]: f["properties"] for f in json.loads(out.read_text())["features"]}
    assert rows["Old Hall"]["source_date"] == "2018" and rows["Old Hall"]["last_verified"] is None
    client = app.test_client()
    services = client.get("/oruk/services?per_page=50").get_json()["contents"]
    assured = {s["name"]: s.get("assured_date") for s in services}
    # ORUK's assured_date is a full date: a year-only source date is not stretched into one.
    assert assured["New Hall"] == "2025-07-17" and assured["Old Hall"] is None
    assert ids


def test_stale_list_uses_a_persons_check_or_the_source_date(app, tmp_path):
    ids = import_dated(app, tmp_path)
    with app.app_context():
        db.session.get(Asset, ids["July Hall"]).last_verified_at = utcnow() - timedelta(days=3)
        db.session.commit()
    make_staff(app)
    client = app.test_client()
    login(client)
    html = client.get("/moderate/stale").get_data(as_text=True)
    # Old Hall: its source says 2018 and nobody has checked it. July Hall: a person checked it three days ago.
    assert f'id="stale-{ids["Old Hall"]}"' in html
    assert f'id="stale-{ids["July Hall"]}"' not in html
    fresh = (utcnow() - timedelta(days=30)).date().isoformat()
    with app.app_context():
        db.session.get(Asset, ids["New Hall"]).source_date = fresh
        db.session.commit()
    html = client.get("/moderate/stale").get_data(as_text=True)
    assert f'id="stale-{ids["New Hall"]}"' not in html and "1 listed place " in html
