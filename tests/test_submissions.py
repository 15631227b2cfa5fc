"""Residents adding places and reporting changes: validation, privacy of the queue, limits, concurrency."""

from __future__ import annotations

import re
import threading
from html import unescape

import pytest
import requests
import shapely
from sqlalchemy import func, select

from tests.conftest import csrf_token, login, make_staff
from webmap.core import store
from webmap.core.db import db
from webmap.core.models import Asset, AuditEvent, ChangeRequest, Postcode, Ward


def client_at(app, address: str):
    """Return a test client whose requests come from this IP address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def form_data(client, **overrides) -> dict:
    data = {
        "csrf_token": csrf_token(client, "/assets/new"),
        "name": "Riverside Lunch Club",
        "categories": ["food_support"],
        "kind": "group",
        "description": "Hot lunches on Tuesdays",
        "opening_times": "Tue 12-2",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def a_postcode(app) -> Postcode:
    with app.app_context():
        postcode = db.session.scalars(
            select(Postcode).where(Postcode.ward_code.is_not(None)).order_by(Postcode.postcode)
        ).first()
        db.session.expunge(postcode)
        return postcode


def summary_links(html: str) -> dict[str, str]:
    """Return {field id: message} from the error summary at the top of the page."""
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return {href: unescape(text) for href, text in re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)}


def pending(app) -> list[Asset]:
    with app.app_context():
        rows = db.session.scalars(select(Asset).where(Asset.status == "pending").order_by(Asset.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_form_offers_map_pin_postcode_and_my_location(sample_app):
    client = sample_app.test_client()
    html = client.get("/assets/new").get_data(as_text=True)
    assert 'class="folium-map"' in html and "Skip the map" in html
    assert '<script src="/static/location-picker.js">' in html
    for name in ("postcode", "lon", "lat", "name", "submitter_email", "nickname"):
        assert f'name="{name}"' in html
    assert 'id="use-my-location"' in html
    assert not re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:)?//', html)
    with client.get("/static/location-picker.js") as response:
        js = response.get_data(as_text=True)
    assert 'map.on("click"' in js and "dragend" in js and "geolocation" in js


def test_postcode_submission_is_saved_pending_with_ward_and_audit(sample_app):
    client = client_at(sample_app, "198.51.100.23")
    postcode = a_postcode(sample_app)
    response = client.post(
        "/assets/new",
        data=form_data(
            client,
            postcode=postcode.postcode.replace(" ", "").lower(),
            submitter_name="Pat",
            submitter_email="pat@example.com",
        ),
    )
    assert response.status_code == 302 and response.headers["Location"] == "/assets/new/thanks"
    assert "A council moderator will check it" in client.get("/assets/new/thanks").get_data(as_text=True)
    [asset] = pending(sample_app)
    assert (asset.lon, asset.lat) == (postcode.lon, postcode.lat)
    assert asset.postcode == postcode.postcode
    with sample_app.app_context():
        assert asset.ward_code == store.ward_at(postcode.lon, postcode.lat).code
        asset = db.session.get(Asset, asset.id)
        assert asset.category_ids() == ["food_support"]
        assert (asset.submitter_name, asset.submitter_email, asset.submitter_ip) == (
            "Pat",
            "pat@example.com",
            "198.51.100.23",
        )
        assert asset.source == "resident" and asset.geom.equals(shapely.Point(asset.lon, asset.lat))
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "asset")).all()
        assert (event.actor, event.action, event.entity_id) == ("resident", "create", str(asset.id))
        assert event.after["name"] == "Riverside Lunch Club" and "submitter_email" not in event.after
    # Nothing is public until a moderator approves it.
    assert client.get(f"/assets/{asset.id}").status_code == 404
    assert "Riverside Lunch Club" not in client.get("/").get_data(as_text=True)
    assert "Riverside Lunch Club" not in client.get("/api/assets.geojson").get_data(as_text=True)


def test_pin_location_is_placed_in_the_ward_holding_it(sample_app):
    with sample_app.app_context():
        ward = db.session.scalars(select(Ward).order_by(Ward.code.desc())).first()
        point = ward.geom.representative_point()
        code = ward.code
    client = sample_app.test_client()
    response = client.post("/assets/new", data=form_data(client, lon=f"{point.x:.6f}", lat=f"{point.y:.6f}"))
    assert response.status_code == 302, summary_links(response.get_data(as_text=True))
    [asset] = pending(sample_app)
    assert asset.ward_code == code
    assert abs(asset.lon - point.x) < 1e-6 and asset.postcode is None


def test_empty_form_lists_every_problem_at_the_top_and_beside_fields(sample_app):
    client = sample_app.test_client()
    html = client.post("/assets/new", data={"csrf_token": csrf_token(client, "/assets/new")}).get_data(as_text=True)
    links = summary_links(html)
    assert links["name"] == "Enter the name of the place"
    assert links["categories"] == "Choose at least one kind of place"
    assert links["kind"] == "Choose whether it is a group, business, venue or service"
    assert links["postcode"] == "Enter a postcode, or place a pin on the map"
    # Each message also sits beside its field, tied to the input for screen readers.
    assert 'id="name-error"' in html and 'aria-describedby="name-error"' in html
    assert re.search(r'<input[^>]+id="categories"', html)  # the summary link lands on the first checkbox
    assert pending(sample_app) == []


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"postcode": "not a postcode"}, "postcode", "Enter a real postcode, like XX1 1AB"),
        ({"postcode": "ZZ9 9ZZ"}, "postcode", "We do not know the postcode ZZ9 9ZZ"),
        ({"lon": "-2.5", "lat": ""}, "lat", "Give both longitude and latitude"),
        ({"lon": "east", "lat": "north"}, "lon", "must be numbers"),
        ({"lon": "0.0", "lat": "0.0"}, "lon", "outside the council's wards"),
        ({"name": "x" * 201}, "name", "The name must be 200 characters or fewer"),
        ({"categories": ["food_support", "moon_bases"]}, "categories", "'moon_bases' is not one of the kinds of place"),
        ({"kind": "empire"}, "kind", "Choose whether it is a group"),
        ({"website": "not a website"}, "website", "Enter a web address like https://www.example.org"),
        ({"website": "javascript://example.com/%0aalert(1)"}, "website", "starting with https:// or http://"),
        ({"phone": "call me"}, "phone", "Enter a phone number like"),
        ({"submitter_email": "pat@"}, "submitter_email", "Enter an email address like name@example.com"),
        ({"description": "y" * 2001}, "description", "The description must be 2000 characters or fewer"),
    ],
)
def test_each_bad_value_gets_a_message_naming_the_field(sample_app, overrides, field, message):
    client = sample_app.test_client()
    base = {"postcode": a_postcode(sample_app).postcode}
    html = client.post("/assets/new", data=form_data(client, **{**base, **overrides})).get_data(as_text=True)
    links = summary_links(html)
    assert field in links and message in links[field], links
    assert pending(sample_app) == []


def test_website_without_scheme_is_accepted(sample_app):
    client = sample_app.test_client()
    data = form_data(client, postcode=a_postcode(sample_app).postcode, website="www.example.org", phone="01632 960 001")
    assert client.post("/assets/new", data=data).status_code == 302
    assert pending(sample_app)[0].website == "https://www.example.org"


def test_asset_page_links_only_http_websites(sample_app):
    asset = approved_asset(sample_app)
    with sample_app.app_context():
        db.session.get(Asset, asset.id).website = "javascript://example.com/%0aalert(1)"  # e.g. from an import
        db.session.commit()
    html = sample_app.test_client().get(f"/assets/{asset.id}").get_data(as_text=True)
    assert 'href="javascript:' not in html and "javascript://example.com/%0aalert(1)" in html


def test_honeypot_pretends_success_and_saves_nothing(sample_app):
    client = sample_app.test_client()
    data = form_data(client, postcode=a_postcode(sample_app).postcode, nickname="bot-filled")
    response = client.post("/assets/new", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/assets/new/thanks"
    assert pending(sample_app) == []


def test_post_without_csrf_token_is_refused(sample_app):
    client = sample_app.test_client()
    data = form_data(client, postcode=a_postcode(sample_app).postcode)
    del data["csrf_token"]
    response = client.post("/assets/new", data=data)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert pending(sample_app) == []
    assert client.post("/assets/1/report", data={"kind": "closed"}).status_code == 400


def test_rate_limit_answers_429_past_threshold(sample_app, make_app):
    limited = make_app(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="3 per minute")
    client = client_at(limited, "203.0.113.9")
    postcode = a_postcode(sample_app).postcode
    for i in range(3):
        assert (
            client.post("/assets/new", data=form_data(client, postcode=postcode, name=f"Place {i}")).status_code == 302
        )
    response = client.post("/assets/new", data=form_data(client, postcode=postcode, name="One too many"))
    assert response.status_code == 429
    assert "Too many requests" in response.get_data(as_text=True)
    assert client.get("/assets/new").status_code == 200  # reading the form is not limited
    # Another address has its own allowance.
    other = client_at(limited, "203.0.113.10")
    assert other.post("/assets/new", data=form_data(other, postcode=postcode, name="Neighbour")).status_code == 302
    assert sorted(a.name for a in pending(sample_app)) == ["Neighbour", "Place 0", "Place 1", "Place 2"]


def approved_asset(app) -> Asset:
    with app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        db.session.expunge(asset)
        return asset


def test_asset_page_shows_details_map_categories_ward_and_report_link(sample_app):
    asset = approved_asset(sample_app)
    html = sample_app.test_client().get(f"/assets/{asset.id}").get_data(as_text=True)
    with sample_app.app_context():
        fresh = db.session.get(Asset, asset.id)
        assert fresh.ward.name in html
        for category in fresh.categories:
            assert category.label in html
    assert 'class="folium-map"' in html and "Skip the map" in html
    assert f'href="/assets/{asset.id}/report"' in html
    assert "Audit trail" not in html and "Submitted by" not in html
    assert sample_app.test_client().get("/assets/999999").status_code == 404


def test_staff_see_pending_asset_with_its_trail(sample_app):
    client = sample_app.test_client()
    client.post(
        "/assets/new", data=form_data(client, postcode=a_postcode(sample_app).postcode, submitter_name="Pat Private")
    )
    [asset] = pending(sample_app)
    assert client.get(f"/assets/{asset.id}").status_code == 404
    make_staff(sample_app)
    staff = sample_app.test_client()
    login(staff)
    html = staff.get(f"/assets/{asset.id}").get_data(as_text=True)
    assert "Status: <strong>pending</strong>" in html
    assert "Audit trail" in html and "resident" in html and "Pat Private" in html


def report(client, asset_id, **data):
    token = csrf_token(client, f"/assets/{asset_id}/report")
    return client.post(f"/assets/{asset_id}/report", data={"csrf_token": token, **data})


def test_report_a_change_stores_only_the_changed_fields(sample_app):
    asset = approved_asset(sample_app)
    client = client_at(sample_app, "192.0.2.44")
    response = report(
        client, asset.id, kind="details", name=asset.name, opening_times="Weekdays 9-5", note="New hours from May"
    )
    assert response.status_code == 302
    with sample_app.app_context():
        [change] = db.session.scalars(select(ChangeRequest)).all()
        assert change.proposed == {"opening_times": "Weekdays 9-5"}  # the unchanged name is left out
        assert (change.kind, change.status, change.note, change.reporter_ip) == (
            "details",
            "open",
            "New hours from May",
            "192.0.2.44",
        )
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "report")) == 1
        assert db.session.get(Asset, asset.id).opening_times == asset.opening_times  # nothing applied yet


def test_report_needs_a_change_and_only_for_listed_places(sample_app):
    asset = approved_asset(sample_app)
    client = sample_app.test_client()
    links = summary_links(report(client, asset.id, kind="details").get_data(as_text=True))
    assert links == {"kind": "Type at least one new detail below, or choose another option"}
    links = summary_links(report(client, asset.id, kind="other").get_data(as_text=True))
    assert links == {"note": "Tell us what has changed"}
    assert report(client, asset.id, kind="closed").status_code == 302
    with sample_app.app_context():
        db.session.get(Asset, asset.id).status = "archived"
        db.session.commit()
    assert client.get(f"/assets/{asset.id}/report").status_code == 404


def _submit_over_http(base_url: str, name: str, postcode: str, results: list, barrier: threading.Barrier) -> None:
    session = requests.Session()
    try:
        html = session.get(f"{base_url}/assets/new", timeout=60).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        barrier.wait(timeout=60)  # all 50 POSTs start together
        response = session.post(
            f"{base_url}/assets/new",
            allow_redirects=False,
            timeout=120,
            data={
                "csrf_token": token,
                "name": name,
                "categories": "community_space",
                "kind": "venue",
                "postcode": postcode,
            },
        )
        results.append(response.status_code)
    except Exception as exc:  # recorded, so the assertion below names it
        results.append(repr(exc))
    finally:
        session.close()


def test_fifty_concurrent_submissions_lose_none(sample_app, live_server):
    # Real HTTP with a CSRF token per thread's own session (CSRF stays on).
    postcode = a_postcode(sample_app).postcode
    results: list = []
    barrier = threading.Barrier(50)
    threads = [
        threading.Thread(
            target=_submit_over_http, args=(live_server, f"Concurrent place {i:02d}", postcode, results, barrier)
        )
        for i in range(50)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert results == [302] * 50, results
    names = [a.name for a in pending(sample_app)]
    assert sorted(names) == [f"Concurrent place {i:02d}" for i in range(50)]
    with sample_app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "create")) == 50
        )
