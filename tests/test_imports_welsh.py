"""The import pages, their problems and the API docs page in Welsh; what imports store stays English."""

from __future__ import annotations

import pytest

from tests.conftest import make_staff
from tests.test_imports_web import admin, import_app, job_id_of, places_file, post, upload, wait  # noqa: F401
from tests.welsh_helpers import english_left
from webmap.core.db import db
from webmap.core.models import ImportJob


def welsh(client, url: str) -> str:
    """Return a page asked for in Welsh, checking it says so and shows none of the site's English."""
    joiner = "&" if "?" in url else "?"
    response = client.get(f"{url}{joiner}lang=cy")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    html = response.get_data(as_text=True)
    assert 'lang="cy"' in html
    assert english_left(html) == [], url
    return html


@pytest.mark.parametrize(
    "url, phrases",
    [
        ("/imports/new", ["Mewnforio data: beth yw’r ffeil?", "Ffiniau wardiau", "Arolwg anghenion"]),
        (
            "/imports/new?kind=places",
            ["Mewnforio lleoedd (asedau cymunedol)", "Llwytho i fyny a gwirio", "Canfod o bennawd y ffeil"],
        ),
        ("/imports/new?kind=wards", ["Colofn cod y ward", "System gyfesurynnau, pan nad yw’r ffeil yn dweud"]),
        ("/imports/new?kind=needs", ["Rownd arolwg", "Enw’r arolwg"]),
        ("/imports/new?kind=osm", ["Beth yw’r lleoedd", "Lleoliad"]),
    ],
)
def test_the_upload_pages_are_welsh(admin, url, phrases):  # noqa: F811
    html = welsh(admin, url)
    for phrase in phrases:
        assert phrase in html


def test_the_history_and_who_may_import_are_welsh(import_app, admin, tmp_path):  # noqa: F811
    make_staff(import_app, "mod@example.gov.uk", role="moderator")
    html = welsh(admin, "/imports/")
    assert "Mewnforion blaenorol" in html and "Pwy gaiff fewnforio" in html and "ni chaiff fewnforio" in html
    job_id_of(upload(admin, places_file(tmp_path)))
    html = welsh(admin, "/imports/")
    assert "y mwyaf newydd yn gyntaf" in html and "wedi’i wirio" in html  # the state, in Welsh


def test_a_bad_file_shows_its_problems_in_welsh_and_stores_them_in_english(import_app, admin, tmp_path):  # noqa: F811
    admin.get("/imports/new?lang=cy")  # the choice is remembered: the upload and its job run for a Welsh reader
    job = job_id_of(upload(admin, places_file(tmp_path, bad_row=6)))
    assert wait(admin, job)["state"] == "checked"
    html = welsh(admin, f"/imports/{job}")
    assert "Ni ellir mewnforio’r ffeil hon fel y mae" in html
    assert "nid yw’r categorïau hyn yn y tacsonomeg: &#39;no-such-category&#39; (y cyntaf yn rhes 8)" in html
    assert "Rhesi na ellir eu defnyddio" in html and "Lawrlwytho pob problem fel CSV" in html
    assert "Gwirio wedi gorffen: 1 broblem wedi’i chanfod; dim wedi’i gadw" in html  # a step, with its Welsh plural
    # Stored as the importer said it, in English: the CSV, the audit trail and an English reader get English.
    with import_app.app_context():
        reason = db.session.get(ImportJob, job).preview["problems"][0][3]
    assert reason.startswith("these categories are not in the taxonomy: 'no-such-category' (first in row 8).")
    assert "first in row 8" in admin.get(f"/imports/{job}/problems.csv").get_data(as_text=True)
    english = admin.get(f"/imports/{job}?lang=en").get_data(as_text=True)
    assert "cannot be imported as it is" in english and "(first in row 8)" in english


def test_a_check_its_progress_and_the_import_are_welsh(import_app, admin, tmp_path):  # noqa: F811
    admin.get("/imports/new?lang=cy")
    job = job_id_of(upload(admin, places_file(tmp_path, no_place=9), source="sample"))
    status = wait(admin, job)
    assert status["state"] == "checked"
    assert any(step.startswith("Darllenwyd 305 rhes o places.geojson") for step in status["steps"]), status["steps"]
    html = welsh(admin, f"/imports/{job}")
    assert "Beth ganfu’r gwirio" in html and "Os byddwch yn hepgor y rhesi na ellir eu defnyddio" in html
    assert "mae’r geometreg ar goll (null)" in html and "Ble byddai’n glanio" in html
    assert "Mewnforio’r rhesi da, hepgor y 1 na ellir eu defnyddio" in html
    token_page = f"/imports/{job}"
    from tests.conftest import csrf_token

    token = csrf_token(admin, token_page)
    assert admin.post(f"/imports/{job}/confirm", data={"csrf_token": token, "skip_bad_rows": "1"}).status_code == 302
    assert wait(admin, job)["state"] == "done"
    html = welsh(admin, f"/imports/{job}")
    assert "Wedi gorffen ar" in html and "Beth wnaeth y mewnforio, gam wrth gam" in html
    assert "Dadwneud y mewnforiad hwn…" in html
    html = welsh(admin, f"/imports/{job}/rollback")
    assert "Beth fyddai dadwneud yn ei wneud" in html and "Ie, dadwneud: archifo 304" in html
    assert post(admin, f"/imports/{job}/rollback", f"/imports/{job}/rollback").status_code == 302
    html = welsh(admin, f"/imports/{job}")
    assert "Mewnforiad #" in html and "wedi’i ddadwneud: 304 lle wedi’u harchifo" in html  # the flash message
    assert "Wedi’i mewnforio, yna wedi’i dadwneud" in html


def test_the_upload_form_refuses_in_welsh(admin, tmp_path):  # noqa: F811
    admin.get("/imports/new?lang=cy")
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    response = upload(admin, bad)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nid yw “notes.txt” yn ffeil y gellir darllen lleoedd (asedau cymunedol) ohoni" in html
    assert english_left(html) == []


def test_stored_english_is_shown_in_the_readers_language(import_app):  # noqa: F811
    from webmap.web.stored import said

    stored = [
        "Read 1,234 rows from x.csv",
        "Check finished: 2 problems found; nothing saved",
        "no coordinates, and the postcode is not in the postcode table",
        "is not valid JSON (line 1, column 2: Expecting value)",
        "there is no column 'population' (columns: population, name)",
        "a message from a library that the catalogues do not know",
    ]
    with import_app.test_request_context("/?lang=cy"):
        assert [said(text) for text in stored] == [
            "Darllenwyd 1,234 rhes o x.csv",
            "Gwirio wedi gorffen: 2 broblem wedi’u canfod; dim wedi’i gadw",
            "dim cyfesurynnau, a nid yw’r cod post yn y tabl codau post",
            "nid yw’n JSON dilys (llinell 1, colofn 2: Expecting value)",
            "nid oes colofn 'population' (colofnau: population, name)",  # column names are data
            "a message from a library that the catalogues do not know",
        ]
    with import_app.test_request_context("/?lang=en"):
        assert [said(text) for text in stored] == stored


def test_the_api_docs_page_is_welsh_and_the_document_stays_english(app):
    html = welsh(app.test_client(), "/api/docs")
    assert "Dogfennaeth yr API" in html and "Paramedrau" in html and "Asedau cymeradwy o fewn radiws i bwynt" in html
    spec = app.test_client().get("/api/openapi.json?lang=cy").get_json()
    assert spec["paths"]["/api/nearby"]["get"]["summary"].startswith("Approved assets within a radius")


def test_api_errors_follow_the_readers_language(app):
    client = app.test_client()
    english = client.get("/api/assets.geojson?bbox=1,2").get_data(as_text=True)
    assert "bbox: give four numbers" in english
    client.get("/api/docs?lang=cy")
    welsh_error = client.get("/api/assets.geojson?bbox=1,2").get_data(as_text=True)
    assert "bbox: rhowch bedwar rhif" in welsh_error
