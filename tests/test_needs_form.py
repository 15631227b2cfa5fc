"""The needs form /needs/new: where, what (one to five kinds), an optional comment; CSRF, rate limit, honeypot."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from webmap.core.db import db
from webmap.core.models import Need

URL = "/needs/new"
# In the sample postcode table XX1 3HE lies in Bishop's Wood (E05900003).
SAMPLE_POSTCODE, SAMPLE_POSTCODE_WARD = "XX1 3HE", "E05900003"


def csrf_token(client, url: str) -> str:
    """Return the form's CSRF token (as conftest.csrf_token; `from conftest import` would find tests/analysis/conftest.py)."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def web_needs(app) -> list[Need]:
    with app.app_context():
        rows = db.session.scalars(select(Need).where(Need.source == "web form").order_by(Need.category_id)).all()
        db.session.expunge_all()
        return rows


def post(client, **fields):
    data = {"csrf_token": csrf_token(client, URL), **fields}
    return client.post(URL, data=data)


def test_form_asks_where_and_what_but_no_personal_details(sample_app):
    html = sample_app.test_client().get(URL).get_data(as_text=True)
    for control in ('id="postcode"', 'id="ward"', 'id="lat"', 'id="lon"', 'id="comment"', 'name="csrf_token"'):
        assert control in html
    for label in ('for="postcode"', 'for="ward"', 'for="lat"', 'for="lon"', 'for="comment"'):
        assert label in html
    assert html.count('type="checkbox" id="category-') == 21
    assert "Hollins Cross" in html  # the ward picker lists the wards
    assert not re.search(r'name="(name|phone|submitter[^"]*)"', html)
    # The only contact detail is an optional email to hear back (issue 13), with its consent box.
    assert re.findall(r'name="(email|consent)"', html) == ["email", "consent"]
    assert 'type="email"' in html and "Hear what was done (optional)" in html
    assert "Skip the map" in html
    assert "/static/need_point.js" in html
    assert re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:)?//', html) == []


def test_ward_picker_stores_one_need_per_category(sample_app):
    client = sample_app.test_client()
    response = post(client, ward="E05900009", categories=["youth", "library"], comment="A youth club please")
    assert response.status_code == 302 and "/needs/thanks" in response.headers["Location"]
    needs = web_needs(sample_app)
    assert [(n.ward_code, n.category_id, n.count, n.comment) for n in needs] == [
        ("E05900009", "library", 1.0, "A youth club please"),
        ("E05900009", "youth", 1.0, "A youth club please"),
    ]
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you" in thanks and "Hollins Cross" in thanks and "2 needs" in thanks


def test_postcode_finds_the_ward(sample_app):
    response = post(sample_app.test_client(), postcode="xx13he", categories=["advice"])
    assert response.status_code == 302
    assert [(n.ward_code, n.category_id) for n in web_needs(sample_app)] == [(SAMPLE_POSTCODE_WARD, "advice")]


def test_map_point_finds_the_ward_and_is_kept_only_roughly(sample_app):
    with sample_app.app_context():
        from webmap.core import store

        wards = store.wards_frame()
        target = wards[wards["code"] == "E05900005"].geometry.iloc[0].representative_point()
    response = post(sample_app.test_client(), lat=f"{target.y:.6f}", lon=f"{target.x:.6f}", categories=["sport"])
    assert response.status_code == 302
    [need] = web_needs(sample_app)
    assert need.ward_code == "E05900005"
    assert need.lat == round(target.y, 3) and need.lon == round(target.x, 3)


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"categories": ["youth"]}, "postcode", "Enter a postcode, choose a ward or pick a point on the map"),
        ({"postcode": "not a postcode", "categories": ["youth"]}, "postcode", "Enter a real postcode"),
        ({"postcode": "ZZ9 9ZZ", "categories": ["youth"]}, "postcode", "We do not know that postcode"),
        ({"ward": "E05999999", "categories": ["youth"]}, "ward", "Choose a ward from the list."),
        ({"lat": "north", "lon": "-2.1", "categories": ["youth"]}, "lat", "Pick a point on the map, or enter both"),
        ({"lat": "53.5", "lon": "", "categories": ["youth"]}, "lat", "Pick a point on the map, or enter both"),
        ({"lat": "10.0", "lon": "10.0", "categories": ["youth"]}, "lat", "That point is outside the area"),
        ({"ward": "E05900001"}, "categories", "Choose at least one kind of place"),
        (
            {"ward": "E05900001", "categories": ["youth", "unicorns"]},
            "categories",
            "Choose kinds of place from the list.",
        ),
        (
            {"ward": "E05900001", "categories": ["youth", "library", "sport", "advice", "dentist", "faith"]},
            "categories",
            "Choose up to 5 kinds of place (you chose 6).",
        ),
        (
            {"ward": "E05900001", "categories": ["youth"], "comment": "x" * 501},
            "comment",
            "Keep your comment to 500 characters or fewer (it has 501).",
        ),
    ],
)
def test_each_mistake_gets_a_summary_link_and_a_message_beside_the_field(sample_app, fields, field, message):
    response = post(sample_app.test_client(), **fields)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    anchor = "category-food_support" if field == "categories" else field
    assert re.search(rf'<a href="#{anchor}">[^<]*{re.escape(message)}', summary), summary
    assert f'id="{field}-error"' in html and message in html.split(f'id="{field}-error"')[1][:400]
    assert web_needs(sample_app) == []


def test_answers_are_kept_when_the_form_comes_back(sample_app):
    html = post(sample_app.test_client(), postcode="nonsense", categories=["youth"], comment="<b>more</b>").get_data(
        as_text=True
    )
    assert 'value="nonsense"' in html
    assert 'id="category-youth" name="categories" value="youth" checked' in html
    assert "&lt;b&gt;more&lt;/b&gt;" in html and "<b>more</b>" not in html


def test_missing_csrf_token_is_refused(sample_app):
    response = sample_app.test_client().post(URL, data={"ward": "E05900001", "categories": ["youth"]})
    assert response.status_code == 400
    assert "This form has expired or was not sent from this site" in response.get_data(as_text=True)
    assert web_needs(sample_app) == []


def test_honeypot_thanks_bots_and_stores_nothing(sample_app):
    response = post(sample_app.test_client(), ward="E05900001", categories=["youth"], website="http://spam.example")
    assert response.status_code == 302
    assert web_needs(sample_app) == []


def test_rate_limit_answers_429(sample_app, make_app):
    limited = make_app(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per minute")
    client = limited.test_client()
    codes = [post(client, ward="E05900001", categories=["youth"]).status_code for _ in range(3)]
    assert codes == [302, 302, 429]
    assert "Too many requests" in post(client, ward="E05900001", categories=["youth"]).get_data(as_text=True)
    assert client.get(URL).status_code == 200  # reading the form is not limited
    with limited.app_context():
        assert db.session.scalar(select(func.count()).select_from(Need).where(Need.source == "web form")) == 2
