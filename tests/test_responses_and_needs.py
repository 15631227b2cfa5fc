"""Responses and stated needs, named and counted apart on every page and export (issue 22).

A survey row naming three kinds of place is one response and three stated needs; a web-form
submission naming two is one response; a count table's 40 is 40 responses. Runs on SQLite, and on
PostGIS with WEBMAP_TEST_DATABASE_URL.
"""

from __future__ import annotations

import io
import re
from html import unescape

import pandas as pd
from sqlalchemy import delete, select

from tests.test_needs_form import post
from webmap.core.db import db
from webmap.core.models import Need
from webmap.gaps import service as gaps_service

WARD, OTHER = "E05900001", "E05900002"


def invoke(app, *args: str):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _import(app, tmp_path, name: str, text: str, source: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = invoke(app, "import-needs", str(path), "--source", source)
    assert result.exit_code == 0, result.output


def _survey(app, tmp_path) -> None:
    """Only these needs: WARD one response row naming three kinds; OTHER a count table's 40 for youth."""
    with app.app_context():
        db.session.execute(delete(Need))
        db.session.commit()
    _import(app, tmp_path, "answers.csv", "ward_code,categories\nE05900001,youth; library; sport\n", "answers")
    _import(app, tmp_path, "summary.csv", "ward_code,category,count\nE05900002,youth,40\n", "summary")


def _keys(app, ward: str) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(select(Need.response_key).where(Need.ward_code == ward).order_by(Need.id)))


def _dd(html: str, term: str) -> str:
    found = re.search(rf"<dt>{re.escape(term)}</dt><dd>([^<]*)</dd>", html)
    assert found, f"no {term!r}"
    return found.group(1).strip()


def test_a_survey_row_naming_three_kinds_is_one_response_and_three_stated_needs(sample_app, tmp_path):
    _survey(sample_app, tmp_path)
    keys = _keys(sample_app, WARD)
    assert len(keys) == 3 and len(set(keys)) == 1 and keys[0]
    assert _keys(sample_app, OTHER) == [None]  # a count table: its count is of people
    # Imported again, the row keeps its key (replaced, not counted twice).
    _import(sample_app, tmp_path, "answers.csv", "ward_code,categories\nE05900001,youth; library; sport\n", "answers")
    assert _keys(sample_app, WARD) == keys

    client = sample_app.test_client()
    # The analysis (through the store) and its CSV exports: all needs, and one kind.
    every = pd.read_csv(io.BytesIO(client.get("/gaps/export?format=csv").data)).set_index("ward_code")
    assert (every.loc[WARD, "responses"], every.loc[WARD, "need_count"]) == (1, 3)
    assert (every.loc[OTHER, "responses"], every.loc[OTHER, "need_count"]) == (40, 40)
    assert every.loc[WARD, "few_responses"] and not every.loc[OTHER, "few_responses"]
    youth = pd.read_csv(io.BytesIO(client.get("/gaps/export?format=csv&category=youth").data)).set_index("ward_code")
    assert (youth.loc[WARD, "responses"], youth.loc[WARD, "need_count"]) == (1, 1)
    assert (youth.loc[OTHER, "responses"], youth.loc[OTHER, "need_count"]) == (40, 40)
    geojson = client.get("/gaps/export?format=geojson").get_json()
    props = {f["properties"]["ward_code"]: f["properties"] for f in geojson["features"]}
    assert (props[WARD]["responses"], props[WARD]["need_count"]) == (1, 3)

    # The ward page: 1 response and 3 stated needs over all kinds; 1 and 1 for youth.
    html = client.get(f"/wards/{WARD}").get_data(as_text=True)
    assert _dd(html, "Responses (all kinds)") == "1" and _dd(html, "Stated needs (all kinds)") == "3"
    assert re.search(r'<td>Youth</td><td class="num">1</td><td class="num">1</td>', html)
    youth_row = unescape(html.split(">Youth</th>")[1].split("</tr>")[0])
    assert re.search(r'data-label="Responses">1 <span class="flag">few responses', youth_row)
    # The printed report says the same.
    report = client.get(f"/wards/{WARD}/report").get_data(as_text=True)
    assert _dd(report, "Responses (all kinds)") == "1" and _dd(report, "Stated needs (all kinds)") == "3"
    other = client.get(f"/wards/{OTHER}/report").get_data(as_text=True)
    assert _dd(other, "Responses (all kinds)") == "40" and _dd(other, "Stated needs (all kinds)") == "40"

    # /gaps: the two figures in two columns, the flag beside the responses.
    page = client.get("/gaps").get_data(as_text=True)
    row = next(r for r in page.split("<tr>") if f"/wards/{WARD}?" in r)
    cells = [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
    assert cells[3:5] == ["1 few responses", "3"]


def test_a_web_form_submission_naming_two_kinds_is_one_response(sample_app):
    with sample_app.app_context():
        db.session.execute(delete(Need))
        db.session.commit()
    client = sample_app.test_client()
    assert post(client, ward=WARD, categories=["youth", "library"]).status_code == 302
    first = _keys(sample_app, WARD)
    assert len(first) == 2 and first[0] == first[1] and first[0]
    with sample_app.app_context():
        assert gaps_service.ward_need_totals(WARD) == (1.0, 2.0)
    # A second resident: another response, with its own key.
    assert post(client, ward=WARD, categories=["youth"]).status_code == 302
    assert len(set(_keys(sample_app, WARD))) == 2
    with sample_app.app_context():
        assert gaps_service.ward_need_totals(WARD) == (2.0, 3.0)
    csv = pd.read_csv(io.BytesIO(client.get("/gaps/export?format=csv").data)).set_index("ward_code")
    assert (csv.loc[WARD, "responses"], csv.loc[WARD, "need_count"]) == (2, 3)
    html = client.get(f"/wards/{WARD}").get_data(as_text=True)
    assert _dd(html, "Responses (all kinds)") == "2" and _dd(html, "Stated needs (all kinds)") == "3"


def test_a_count_table_row_of_forty_is_forty_responses(sample_app, tmp_path):
    _survey(sample_app, tmp_path)
    with sample_app.app_context():
        assert gaps_service.ward_need_totals(OTHER) == (40.0, 40.0)
        assert gaps_service.ward_need_totals(WARD) == (1.0, 3.0)


def test_needs_over_time_shows_responses_beside_stated_needs(sample_app, tmp_path):
    _survey(sample_app, tmp_path)
    client = sample_app.test_client()
    assert post(client, ward=OTHER, categories=["youth", "library"]).status_code == 302
    page = client.get("/needs/").get_data(as_text=True)
    # 1 survey row + 40 counted people + 1 web-form answer = 42 responses; 3 + 40 + 2 = 45 stated needs.
    assert "45 stated needs" in page
    assert re.search(r'id="needs-responses">Responses behind these needs: 42\.', page)
    head = page.split("<thead>")[1].split("</thead>")[0]
    assert re.sub(r"<[^>]+>", "|", head).count("|Responses|") == 1 and "Stated needs" in head
    rows = list(pd.read_csv(io.BytesIO(client.get(f"/needs/export.csv?ward={WARD}").data)).itertuples())
    assert sorted((r.category, r.responses, r.count) for r in rows) == [
        ("library", 1, 1),
        ("sport", 1, 1),
        ("youth", 1, 1),
    ]
    ward_page = client.get(f"/needs/?ward={WARD}").get_data(as_text=True)
    assert re.search(r'id="needs-responses">Responses behind these needs: 1\.', ward_page)
