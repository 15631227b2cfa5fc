"""Importing in the browser: who may, the check before saving, the job process, history, rollback."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.conftest import REPO, csrf_token, login, make_staff
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, BackgroundTask, ImportJob, utcnow

PLACES = REPO / "data" / "assets" / "sample_assets.geojson"


@pytest.fixture
def import_app(make_app, tmp_path):
    """An app with the sample wards and postcodes (no places yet), keeping job folders under tmp_path."""
    from tests.conftest import empty_database
    from webmap.importers.categories import import_categories
    from webmap.importers.postcodes import import_postcodes
    from webmap.importers.wards import import_wards
    from webmap.imports.commands import transaction

    app = make_app()
    with app.app_context():
        empty_database()
        with transaction():
            import_categories(REPO / "data" / "categories.csv")
            import_wards(REPO / "data" / "boundaries" / "sample_wards.geojson")
            import_postcodes(REPO / "data" / "postcodes" / "sample_postcodes.csv")
    return app


@pytest.fixture
def admin(import_app):
    make_staff(import_app, "admin@example.gov.uk", role="admin")
    client = import_app.test_client()
    assert login(client, "admin@example.gov.uk").status_code == 302
    return client


def places_file(tmp_path: Path, bad_row: int | None = None, no_place: int | None = None) -> Path:
    """Write the sample places file, with one feature's category made unknown, or its point taken away, when asked."""
    data = json.loads(PLACES.read_text())
    if bad_row is not None:
        data["features"][bad_row]["properties"]["category"] = "no-such-category"
    if no_place is not None:
        data["features"][no_place]["geometry"] = None
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps(data))
    return path


def upload(client, path: Path, kind: str = "places", **options):
    token = csrf_token(client, f"/imports/new?kind={kind}")
    upload = FileStorage(io.BytesIO(path.read_bytes()), filename=path.name)
    # Encoded in memory: the test client's own encoder spills a big file to a temporary file it never closes.
    boundary, body = encode_multipart({"csrf_token": token, "kind": kind, "file": upload, **options})
    return client.post(
        f"/imports/new?kind={kind}",
        input_stream=io.BytesIO(body),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Content-Length": str(len(body))},
    )


def wait(client, job_id: int, timeout: float = 90) -> dict:
    """Poll the job's status as the page does until it has finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/imports/{job_id}/status.json").get_json()
        if status["finished"]:
            return status
        time.sleep(0.3)
    raise AssertionError(f"import #{job_id} did not finish in {timeout} s: {status}")


def job_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def post(client, url: str, page: str):
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def table_rows(app) -> list[tuple]:
    """Return every place's public and source fields, without ids and timestamps."""
    with app.app_context():
        return sorted(
            (
                a.source,
                a.source_id,
                a.name,
                a.kind,
                a.description,
                a.address,
                a.postcode,
                a.ward_code,
                a.website,
                a.phone,
                a.opening_times,
                a.accessibility,
                a.status,
                a.lon,
                a.lat,
                tuple(sorted(a.category_ids())),
            )
            for a in db.session.scalars(select(Asset))
        )


def test_anonymous_visitors_are_sent_to_sign_in(import_app):
    response = import_app.test_client().get("/imports/new?kind=places")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_moderator_needs_an_admins_permission(import_app, admin):
    moderator_id = make_staff(import_app, "mod@example.gov.uk", role="moderator")
    moderator = import_app.test_client()
    login(moderator, "mod@example.gov.uk")
    assert moderator.get("/imports/").status_code == 403
    assert "Import data" not in moderator.get("/moderate/").get_data(as_text=True)

    token = csrf_token(admin, "/imports/")
    assert (
        admin.post("/imports/access", data={"csrf_token": token, "user_id": moderator_id, "allow": "1"}).status_code
        == 302
    )
    assert moderator.get("/imports/").status_code == 200
    assert "Import data" in moderator.get("/moderate/").get_data(as_text=True)
    with import_app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import permission"))
        assert event.actor == "admin@example.gov.uk" and event.after == {"can_import": True}


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(make_app, tmp_path):
    app = make_app(MAX_UPLOAD_MB=1)
    make_staff(app, "admin@example.gov.uk", role="admin")
    client = app.test_client()
    login(client, "admin@example.gov.uk")
    token = csrf_token(client, "/imports/new?kind=places")
    body = (
        b'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b'\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        + b"name,lon,lat\n"
        + b"x" * 1_200_000
        + b"\r\n--b--\r\n"
    )
    response = client.post(
        "/imports/new?kind=places",
        input_stream=io.BytesIO(body),
        content_type="multipart/form-data; boundary=b",
        headers={"Content-Length": str(len(body))},
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ImportJob)) is None
    assert not (tmp_path / "imports").exists()


def test_the_check_names_the_bad_row_and_saves_nothing(import_app, admin, tmp_path):
    job = job_id_of(upload(admin, places_file(tmp_path, bad_row=6)))
    assert wait(admin, job)["state"] == "checked"
    page = admin.get(f"/imports/{job}").get_data(as_text=True)
    assert "cannot be imported as it is" in page
    assert "no-such-category" in page and "row 8" in page  # feature 7 of the file is row 8 in its messages
    assert "Import this file" not in page
    csv_text = admin.get(f"/imports/{job}/problems.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0] == "file,row,field,reason" and "no-such-category" in csv_text
    assert table_rows(import_app) == []
    assert post(admin, f"/imports/{job}/confirm", f"/imports/{job}").status_code == 409


def test_check_confirm_and_import_match_the_command_line(import_app, admin, tmp_path):
    path = places_file(tmp_path)
    job = job_id_of(upload(admin, path, source="sample"))
    assert wait(admin, job)["state"] == "checked"
    page = admin.get(f"/imports/{job}").get_data(as_text=True)
    assert "Would be added" in page and ">305<" in page
    assert "Where it would land" in page and "Tea &amp; Chat at Thornley" in page
    assert table_rows(import_app) == []  # the check saved nothing

    assert post(admin, f"/imports/{job}/confirm", f"/imports/{job}").status_code == 302
    status = wait(admin, job)
    assert status["state"] == "done" and status["percent"] == 100
    via_web = table_rows(import_app)
    assert len(via_web) == 305
    with import_app.app_context():
        record = db.session.get(ImportJob, job)
        assert record.result["imported"] == 305
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "import", AuditEvent.entity_id == str(job))
        )
        assert event.actor == "admin@example.gov.uk"
        assert event.after["sha256"] == record.sha256 and len(record.sha256) == 64 and event.after["imported"] == 305
    assert not (tmp_path / "imports" / str(job) / "places.geojson").exists()  # uploads are not kept

    # The same file through the command line gives the same table.
    with import_app.app_context():
        db.session.execute(Asset.__table__.delete())
        db.session.commit()
    result = import_app.test_cli_runner().invoke(args=["import-assets", str(path), "--source", "sample"])
    assert result.exit_code == 0, result.output
    assert table_rows(import_app) == via_web


def test_unusable_rows_are_named_and_skipped_only_when_chosen_as_on_the_command_line(import_app, admin, tmp_path):
    path = places_file(tmp_path, no_place=9)  # the 10th feature: row 11 as the importer counts
    job = job_id_of(upload(admin, path, source="sample"))
    assert wait(admin, job)["state"] == "checked"
    page = admin.get(f"/imports/{job}").get_data(as_text=True)
    assert "1 row cannot be used" in page and "If you skip the unusable rows" in page
    assert "<td>11</td><td>geometry</td>" in page
    assert "Would be added</th><td>304<" in page
    assert post(admin, f"/imports/{job}/confirm", f"/imports/{job}").status_code == 409  # not without choosing to skip
    token = csrf_token(admin, f"/imports/{job}")
    assert admin.post(f"/imports/{job}/confirm", data={"csrf_token": token, "skip_bad_rows": "1"}).status_code == 302
    assert wait(admin, job)["state"] == "done"
    assert "added 304, updated 0, skipped 0, refused 1" in " ".join(
        admin.get(f"/imports/{job}").get_data(as_text=True).split()
    )
    rejects = admin.get(f"/imports/{job}/problems.csv").get_data(as_text=True).splitlines()
    assert len(rejects) == 2 and rejects[1].startswith("places.geojson,11,geometry,")
    via_web = table_rows(import_app)
    assert len(via_web) == 304

    with import_app.app_context():
        db.session.execute(Asset.__table__.delete())
        db.session.commit()
    result = import_app.test_cli_runner().invoke(
        args=[
            "import-assets",
            str(path),
            "--source",
            "sample",
            "--skip-bad-rows",
            "--rejects",
            str(tmp_path / "cli-rejects.csv"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert table_rows(import_app) == via_web


def test_two_imports_of_one_kind_never_run_at_once(import_app, admin, tmp_path):
    with import_app.app_context():
        running = ImportJob(
            kind="places",
            options={},
            filename="other.csv",
            sha256="0" * 64,
            size_bytes=1,
            state="importing",
            running_kind="places",
            actor="someone@example.gov.uk",
            pid=None,
        )
        db.session.add(running)
        db.session.commit()
        running_id = running.id
    response = upload(admin, places_file(tmp_path))
    job = job_id_of(response)
    page = admin.get(f"/imports/{job}").get_data(as_text=True)
    assert f"Import #{running_id} (other.csv, started by someone@example.gov.uk)" in page
    assert "never run at once" in page
    with import_app.app_context():
        assert db.session.get(ImportJob, job).state == "uploaded"


def test_an_import_whose_worker_stopped_is_reported_and_frees_the_kind(import_app, admin):
    with import_app.app_context():
        ghost = ImportJob(
            kind="places",
            options={},
            filename="x.csv",
            sha256="0" * 64,
            size_bytes=1,
            state="importing",
            running_kind="places",
            actor="a",
            task_id="t-ghost",
        )
        db.session.add(ghost)
        # Running on a worker that has never said it is alive (killed at once, or on a machine that restarted).
        db.session.add(
            BackgroundTask(
                id="t-ghost",
                name="imports.run",
                label="Import #1",
                state="running",
                attempts=1,
                worker="gone-host:12345",
                started_at=utcnow(),
            )
        )
        db.session.commit()
        ghost_id = ghost.id
    status = admin.get(f"/imports/{ghost_id}/status.json").get_json()
    assert status["state"] == "failed" and status["finished"]
    page = admin.get(f"/imports/{ghost_id}").get_data(as_text=True)
    assert "stopped before it finished" in page and "gone-host:12345" in page and "Retry the import" not in page
    with import_app.app_context():
        assert db.session.get(ImportJob, ghost_id).running_kind is None
        assert db.session.get(BackgroundTask, "t-ghost").state == "failed"


def test_rollback_archives_what_it_added_unless_someone_edited_since(import_app, admin, tmp_path):
    job = job_id_of(upload(admin, places_file(tmp_path), source="sample"))
    wait(admin, job)
    post(admin, f"/imports/{job}/confirm", f"/imports/{job}")
    assert wait(admin, job)["state"] == "done"

    with import_app.app_context():
        edited = db.session.scalars(select(Asset).order_by(Asset.id)).first()
        edited.name = "Renamed by a moderator"
        db.session.commit()
        edited_id = edited.id
    page = admin.get(f"/imports/{job}").get_data(as_text=True)
    assert "changed since it ran" in page and "Renamed by a moderator" in page
    assert post(admin, f"/imports/{job}/rollback", f"/imports/{job}").status_code == 409

    with import_app.app_context():
        edited = db.session.get(Asset, edited_id)
        edited.updated_at = db.session.get(ImportJob, job).finished_at  # as if the edit had not happened
        db.session.commit()
    assert post(admin, f"/imports/{job}/rollback", f"/imports/{job}").status_code == 302
    with import_app.app_context():
        statuses = set(db.session.scalars(select(Asset.status)))
        assert statuses == {"archived"}
        assert db.session.get(ImportJob, job).state == "rolled back"
        assert (
            db.session.scalar(select(AuditEvent).where(AuditEvent.action == "import rolled back")).after["archived"]
            == 305
        )


def test_unknown_kind_shows_the_choice_and_bad_options_are_refused(admin, tmp_path):
    page = admin.get("/imports/new?kind=nope").get_data(as_text=True)
    assert "what is the file?" in page and "Ward boundaries" in page
    token = csrf_token(admin, "/imports/new?kind=places")
    odd = admin.post(
        "/imports/new?kind=places",
        data={"csrf_token": token, "kind": "places", "asset_kind": "castle", "file": (io.BytesIO(b"x"), "x.csv")},
        content_type="multipart/form-data",
    )
    assert odd.status_code == 400 and "&#39;castle&#39; is not a choice" in odd.get_data(as_text=True)
    token = csrf_token(admin, "/imports/new?kind=osm")
    bad = admin.post(
        "/imports/new?kind=osm",
        data={"csrf_token": token, "kind": "osm", "file": (io.BytesIO(b"{}"), "x.txt")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400 and "is not a file" in bad.get_data(as_text=True)


def test_the_source_name_is_the_one_the_importer_uses_and_the_form_says_so(admin, tmp_path):
    """Left empty, a register's places are kept under its name (gias), not the file's: the form and job say so."""
    from tests.test_import_registers import gias_file
    from webmap.imports.kinds import KINDS

    places, register = KINDS["places"], gias_file(tmp_path)
    assert places.source_name(register, {"register": "detect", "source": ""}) == "gias"  # recognised from its header
    assert places.source_name(register, {"register": "gias", "source": ""}) == "gias"
    assert places.source_name(register, {"register": "detect", "source": "Our schools"}) == "Our schools"
    assert places.source_name(places_file(tmp_path), {"register": "detect", "source": ""}) == "places"
    form = admin.get("/imports/new?kind=places").get_data(as_text=True)
    assert "Leave empty to use the register&#39;s own name" in form and "Leave empty to use the file name." not in form
