"""A large import writes its places a part at a time: the same places, the same report, nothing held."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.importing_helpers import WARD_A, WARD_B, load_two_wards, write_csv
from tests.test_imports_web import PLACES, admin, import_app, job_id_of, post, upload, wait  # noqa: F401  (fixtures)
from webmap.core.db import db
from webmap.core.models import Asset, ImportJob
from webmap.importers import ImportFailed, writing
from webmap.importers.assets import import_assets

IN_A, IN_B = ("-2.18", "53.52"), ("-2.12", "53.53")
HEADER = ["id", "name", "category", "longitude", "latitude"]


@pytest.fixture
def in_parts_of_two(app, tmp_path, monkeypatch):
    """The app with the two test wards, importing two rows at a time."""
    load_two_wards(app, tmp_path)
    monkeypatch.setattr(writing, "PART", 2)
    return app


def _imported(client, file, data: dict) -> int:
    """Write the places to the file, import it through the pages (check, then import) and return the job's id."""
    file.write_text(json.dumps(data))
    job = job_id_of(upload(client, file, source="sample"))
    wait(client, job)
    post(client, f"/imports/{job}/confirm", f"/imports/{job}")
    assert wait(client, job)["state"] == "done"
    return job


def _held_places() -> list[Asset]:
    return [o for o in db.session.identity_map.values() if isinstance(o, Asset)]


def test_a_reimport_in_parts_updates_adds_and_reports_what_it_changed(in_parts_of_two, tmp_path):
    first = write_csv(
        tmp_path / "v1.csv", HEADER, [[str(i), f"Place {i}", "youth", *(IN_A if i % 2 else IN_B)] for i in range(1, 6)]
    )
    second = write_csv(
        tmp_path / "v2.csv",
        HEADER,
        [
            ["1", "Place 1 (renamed)", "youth", *IN_A],
            ["2", "Place 2", "youth", *IN_B],
            ["3", "Place 3", "sport", *IN_B],  # moved to the other ward, and another category
            ["4", "Place 4", "youth", *IN_B],
            ["6", "Place 6", "library", *IN_A],
            ["5", "Place 5", "youth", *IN_A],
            ["6", "Place 6 again", "library", *IN_A],  # the same id, two parts later
        ],
    )
    with in_parts_of_two.app_context():
        report = import_assets(first, category_col="category", source="register")
        db.session.commit()
        ids = {a.source_id: a.id for a in db.session.scalars(select(Asset))}
        assert sorted(report.created) == sorted(ids.values()) and report.changed == {}

        report = import_assets(second, category_col="category", source="register")
        assert not _held_places()  # every part was let go of once written
        db.session.commit()

        assert (report.read, report.imported, report.updated) == (7, 1, 5)
        assert report.skipped == {"the same id appears earlier in the file": 1}
        assert report.created == [db.session.scalar(select(Asset.id).where(Asset.source_id == "6"))]
        assert sorted(report.changed) == [ids["1"], ids["3"]]  # 2, 4 and 5 came again as they were
        assert report.changed[ids["1"]]["name"] == "Place 1"
        assert (report.changed[ids["3"]]["ward_code"], report.changed[ids["3"]]["categories"]) == (WARD_A, ["youth"])
        places = {a.source_id: a for a in db.session.scalars(select(Asset))}
        assert sorted(places) == ["1", "2", "3", "4", "5", "6"]
        assert (places["3"].ward_code, places["3"].category_ids()) == (WARD_B, ["sport"])
        assert (places["1"].name, places["6"].name) == ("Place 1 (renamed)", "Place 6")


def test_a_bad_row_in_a_later_part_stops_the_whole_file(in_parts_of_two, tmp_path):
    rows = [[str(i), f"Place {i}", "youth", *IN_A] for i in range(1, 8)]
    rows[1][1] = "Hall\x07"  # part 1
    rows[5][1] = "x" * 300  # part 3
    bad = write_csv(tmp_path / "bad.csv", HEADER, rows)
    with in_parts_of_two.app_context():
        with pytest.raises(ImportFailed) as failed:
            import_assets(bad, category_col="category", source="register")
        assert [(p.row, p.field) for p in failed.value.problems] == [(3, "name"), (7, "name")]
        assert not _held_places()
        db.session.rollback()
        assert db.session.scalars(select(Asset)).all() == []


def test_a_browser_reimport_in_parts_records_the_places_it_changed(import_app, admin, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(writing, "PART", 40)
    data = json.loads(PLACES.read_text())
    first = tmp_path / "places.geojson"
    job = _imported(admin, first, data)
    with import_app.app_context():
        added = db.session.get(ImportJob, job).changes["created"]
        ids = list(db.session.scalars(select(Asset.id)))
    assert sorted(added) == sorted(ids) and len(added) == len(data["features"]) > 40

    renamed = data["features"][100]["properties"]["name"]
    data["features"][100]["properties"]["name"] = "Renamed in the register"
    first.write_text(json.dumps(data))
    again = job_id_of(upload(admin, first, source="sample"))
    checked = wait(admin, again)
    assert checked["state"] == "checked"
    with import_app.app_context():
        preview = db.session.get(ImportJob, again).preview
    assert preview["would_import"] == 0 and preview["points_total"] == len(added)
    assert not any(point[4] for point in preview["points"])  # none of them new
    post(admin, f"/imports/{again}/confirm", f"/imports/{again}")
    assert wait(admin, again)["state"] == "done"
    with import_app.app_context():
        changes = db.session.get(ImportJob, again).changes
        place = db.session.scalar(select(Asset.id).where(Asset.name == "Renamed in the register"))
    assert changes["created"] == [] and list(changes["updated"]) == [str(place)]
    assert changes["updated"][str(place)]["name"] == renamed


def test_a_large_import_is_rolled_back_a_part_at_a_time(import_app, admin, tmp_path, monkeypatch):  # noqa: F811
    from webmap.imports import rollback

    monkeypatch.setattr(rollback, "PART", 40)
    data = json.loads(PLACES.read_text())
    file = tmp_path / "places.geojson"
    first = _imported(admin, file, data)

    # Edited since, in two different parts: the job page counts both.
    with import_app.app_context():
        ids = sorted(db.session.scalars(select(Asset.id)))
        for asset_id in (ids[5], ids[-5]):
            db.session.get(Asset, asset_id).description = "Edited by a moderator"
        db.session.commit()
    page = admin.get(f"/imports/{first}").get_data(as_text=True)
    assert "2 of its places were changed since it ran" in page
    with import_app.app_context():
        _as_if_unedited(first)

    renamed = {i: data["features"][i]["properties"]["name"] for i in (10, 200)}
    for i in renamed:
        data["features"][i]["properties"]["name"] = f"Renamed {i}"
    again = _imported(admin, file, data)
    plan = admin.get(f"/imports/{again}/rollback").get_data(as_text=True)
    assert "Renamed 10" in plan and "Renamed 200" in plan
    assert post(admin, f"/imports/{again}/rollback", f"/imports/{again}").status_code == 302
    with import_app.app_context():
        names = set(db.session.scalars(select(Asset.name)))
    assert set(renamed.values()) <= names and not {"Renamed 10", "Renamed 200"} & names

    with import_app.app_context():
        _as_if_unedited(first)
    plan = admin.get(f"/imports/{first}/rollback").get_data(as_text=True)
    assert f"To be archived ({len(ids)})" in plan and f"… and {len(ids) - 100} more." in plan
    assert post(admin, f"/imports/{first}/rollback", f"/imports/{first}").status_code == 302
    with import_app.app_context():
        assert set(db.session.scalars(select(Asset.status))) == {"archived"}
        assert db.session.get(ImportJob, first).result["rollback"]["archived"] == len(ids)


def _as_if_unedited(job_id: int) -> None:
    """Date every place's last change back to the job's end, as if nobody had edited them since."""
    from sqlalchemy import update

    finished = db.session.get(ImportJob, job_id).finished_at
    db.session.execute(update(Asset).values(updated_at=finished))
    db.session.commit()
