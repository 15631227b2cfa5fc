"""Find partners: the form, its errors, partners for an asset, and /api/nearby."""

from __future__ import annotations

import re

import pytest
import shapely
from flask import render_template_string
from pyproj import Geod
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset, Category, Postcode
from webmap.partners.complements import partner_categories

GEOD = Geod(ellps="WGS84")
SECRETS = ("secret-person@example.com", "Secret Person", "10.9.8.7", "07700 900999")


@pytest.fixture
def client(sample_app):
    return sample_app.test_client()


def a_postcode(app) -> Postcode:
    with app.app_context():
        pc = db.session.scalars(
            select(Postcode).where(Postcode.ward_code.is_not(None)).order_by(Postcode.postcode)
        ).first()
        db.session.expunge(pc)
        return pc


def within(app, lon, lat, radius, category=None):
    """Approved assets within radius by brute force: {id: distance}."""
    with app.app_context():
        out = {}
        for a in db.session.scalars(select(Asset).where(Asset.status == "approved")):
            if category and category not in a.category_ids():
                continue
            d = GEOD.inv(lon, lat, a.lon, a.lat)[2]
            if d <= radius:
                out[a.id] = d
        return out


def listed(html: str) -> list[int]:
    """Asset ids in the results list, in order (the list comes before the map)."""
    section = html.split('id="results"', 1)[1].split('class="map-frame"', 1)[0]
    return [int(i) for i in re.findall(r'<a href="/assets/(\d+)">', section)]


def add_secret_asset(app, lon, lat, cats=("youth",)):
    with app.app_context():
        asset = Asset(
            name="Secretive Club",
            lon=lon,
            lat=lat,
            geom=shapely.Point(lon, lat),
            status="approved",
            kind="group",
            source="test",
            submitter_name="Secret Person",
            submitter_email="secret-person@example.com",
            submitter_phone="07700 900999",
            submitter_ip="10.9.8.7",
            categories=[db.session.get(Category, c) for c in cats],
        )
        db.session.add(asset)
        db.session.commit()
        return asset.id


def test_empty_form_has_labelled_fields_and_a_map(client):
    response = client.get("/partners")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for field in ("postcode", "lat", "lon", "kind", "radius", "category-0", "match-any", "match-all"):
        assert f'<label for="{field}"' in html
    assert 'value="1000"' in html  # default radius
    assert 'class="folium-map"' in html and "Skip the map" in html
    assert "/static/partners.js" in html
    assert "error-summary" not in html


def test_big_area_map_before_a_search_loads_only_what_it_draws(sample_app, client):
    """Outlines by view, no tile beyond the wards' box; no marker clustering, no jQuery (no places, no popups)."""
    import json

    from webmap.scale import pages

    sample_app.config["VIEWPORT_ABOVE_WARDS"] = 0
    html = client.get("/partners").get_data(as_text=True)
    options = json.loads(re.search(r"webmapViewport\(\w+, (\{.*\})\);", html).group(1))
    with sample_app.app_context():
        minx, miny, maxx, maxy = pages.extent()
    west, south, east, north = options["extent"]
    assert west <= minx < west + 1e-5 and south <= miny < south + 1e-5  # rounded outwards: every ward inside
    assert east - 1e-5 < maxx <= east and north - 1e-5 < maxy <= north
    assert options["places"] is None and options["wards"].startswith("/map-tiles/wards/")
    assert "leaflet.markercluster.js" not in html and "MarkerCluster.css" not in html and "jquery" not in html
    # A results page: its markers' popups are built with jQuery, so it loads it.
    pc = a_postcode(sample_app)
    found = client.get(f"/partners?postcode={pc.postcode}&radius=2000").get_data(as_text=True)
    assert "/vendor/jquery/jquery.min.js" in found and "leaflet.markercluster.js" in found


def test_postcode_search_lists_places_nearest_first_before_the_map(sample_app, client):
    pc = a_postcode(sample_app)
    expected = within(sample_app, pc.lon, pc.lat, 2000)
    assert expected, "the sample postcode should have places near it"
    html = client.get(f"/partners?postcode={pc.postcode.lower().replace(' ', '')}&radius=2000").get_data(as_text=True)
    ids = listed(html)
    assert ids == sorted(expected, key=lambda i: (expected[i], i))[: sample_app.config["PAGE_SIZE"]]
    assert f"{len(expected)} place" in html and f"of {pc.postcode}" in html
    assert "straight-line distance" in html
    first = min(expected, key=lambda i: (expected[i], i))
    assert f"{expected[first]:,.0f} m</strong>" in html
    # List before map (screen readers meet the results first); circle and one marker per result on the map.
    assert html.index('id="results"') < html.index('class="map-frame"')
    assert html.count("L.circle(") == 1
    assert html.count("L.marker(") == len(ids)


def test_category_kind_and_match_filters(sample_app, client):
    pc = a_postcode(sample_app)
    expected = within(sample_app, pc.lon, pc.lat, 5000, "youth")
    html = client.get(f"/partners?postcode={pc.postcode}&radius=5000&category=youth").get_data(as_text=True)
    assert set(listed(html)) == set(expected)
    html = client.get(f"/partners?postcode={pc.postcode}&radius=5000&category=youth&category=sport&match=all").get_data(
        as_text=True
    )
    with sample_app.app_context():
        for i in listed(html):
            assert {"youth", "sport"} <= set(db.session.get(Asset, i).category_ids())
    html = client.get(f"/partners?postcode={pc.postcode}&radius=5000&kind=venue").get_data(as_text=True)
    with sample_app.app_context():
        kinds = {db.session.get(Asset, i).kind for i in listed(html)}
    assert kinds <= {"venue"}


def test_map_point_search(sample_app, client):
    pc = a_postcode(sample_app)
    expected = within(sample_app, pc.lon + 0.002, pc.lat, 1500)
    html = client.get(f"/partners?lat={pc.lat}&lon={pc.lon + 0.002}&radius=1500").get_data(as_text=True)
    assert set(listed(html)) == set(expected)
    assert "of the chosen point" in html


def test_long_lists_are_paged(sample_app):
    sample_app.config["PAGE_SIZE"] = 5
    client = sample_app.test_client()
    pc = a_postcode(sample_app)
    expected = within(sample_app, pc.lon, pc.lat, 10_000)
    order = sorted(expected, key=lambda i: (expected[i], i))
    assert len(order) > 10
    first = client.get(f"/partners?postcode={pc.postcode}&radius=10000").get_data(as_text=True)
    second = client.get(f"/partners?postcode={pc.postcode}&radius=10000&page=2").get_data(as_text=True)
    assert listed(first) == order[:5] and listed(second) == order[5:10]
    assert 'rel="next"' in first and "page=2" in first and "radius=10000" in first
    assert '<ol class="asset-list partner-list" start="6">' in second


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("postcode=ZZ99+9ZZ", "postcode", "We could not find the postcode ZZ99 9ZZ"),
        ("postcode=hello", "postcode", "Enter a full UK postcode"),
        ("search=1", "postcode", "Enter a postcode, or choose a point on the map"),
        ("lat=abc&lon=-2.1", "lat", "Latitude must be a number"),
        ("lat=51.9&lon=west", "lon", "Longitude must be a number"),
        ("lat=91&lon=-2.1", "lat", "Latitude must be between -90 and 90"),
        ("lat=51.9&lon=-200", "lon", "Longitude must be between -180 and 180"),
        ("lat=51.9", "lon", "Enter a longitude as well as a latitude"),
        ("lat=55.5&lon=-2.1", "lat", "outside the area this map covers"),
        ("lat=nan&lon=-2.1", "lat", "Latitude must be a number"),
        ("lat=51.92&lon=-2.05&radius=lots", "radius", "Radius must be a number"),
        ("lat=51.92&lon=-2.05&radius=20000", "radius", "Radius must be between 1 and 10,000 metres"),
        ("lat=51.92&lon=-2.05&radius=0", "radius", "Radius must be between 1 and 10,000 metres"),
        ("lat=51.92&lon=-2.05&kind=spaceship", "kind", "Kind must be one of"),
        ("lat=51.92&lon=-2.05&category=unicorns", "category-0", "is not a category on this map"),
        ("lat=51.92&lon=-2.05&match=some", "match-any", "Choose whether places must offer any or all"),
    ],
)
def test_form_errors_are_summarised_and_shown_beside_the_field(client, query, field, message):
    response = client.get(f"/partners?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert re.search(rf'<a href="#{field}">[^<]*{re.escape(message)}', summary), summary
    # The same message beside the field, and the page keeps what was typed.
    beside = re.findall(
        r'class="error-message" id="([^"]+)-error"><span class="visually-hidden">Error:</span> ([^<]*)</span>',
        html.split("<h1>", 1)[1],
    )
    assert any(message in text and field.startswith(name) for name, text in beside), beside
    assert html.index('id="error-summary"') < html.index("<h1>")
    assert "<title>Error: " in html


def test_typed_text_is_escaped(client):
    html = client.get("/partners?postcode=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_partners_for_an_asset_match_or_complement_its_categories(sample_app, client):
    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        wanted = set(partner_categories(asset.category_ids()))
        lon, lat, aid = asset.lon, asset.lat, asset.id
        own = set(asset.category_ids())
        expected, fit = {}, {}
        for other in db.session.scalars(select(Asset).where(Asset.status == "approved", Asset.id != aid)):
            d = GEOD.inv(lon, lat, other.lon, other.lat)[2]
            if d <= 2000 and wanted & set(other.category_ids()):
                expected[other.id] = d
                # With no offers or needs set, a complementary category ranks above the same one.
                fit[other.id] = 2 if (wanted - own) & set(other.category_ids()) else 1
    assert wanted > set(asset.category_ids())  # complements widen the search
    assert set(fit.values()) == {1, 2}, "the sample should exercise both kinds of category fit"
    html = client.get(f"/assets/{aid}/partners").get_data(as_text=True)
    assert listed(html) == sorted(expected, key=lambda i: (-fit[i], expected[i], i))[:50]
    assert aid not in listed(html)
    assert f"{len(expected)} partner" in html
    wider = client.get(f"/assets/{aid}/partners?radius=5000").get_data(as_text=True)
    assert len(listed(wider)) >= len(listed(html))
    bad = client.get(f"/assets/{aid}/partners?radius=abc")
    assert bad.status_code == 400 and "Radius must be a number" in bad.get_data(as_text=True)


def test_partners_for_a_pending_or_missing_asset_is_404(sample_app, client):
    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).order_by(Asset.id)).first()
        asset.status = "pending"
        db.session.commit()
        aid = asset.id
    assert client.get(f"/assets/{aid}/partners").status_code == 404
    assert client.get("/assets/999999/partners").status_code == 404


def test_the_snippet_for_asset_pages(sample_app):
    with sample_app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        with sample_app.test_request_context():
            html = render_template_string('{% include "partners/_for_asset.html" %}', asset=asset)
        first = db.session.get(Asset, int(re.findall(r'href="/assets/(\d+)"', html)[0]))
        assert set(first.category_ids()) & set(partner_categories(asset.category_ids()))
    assert "Find partners nearby" in html
    assert f'href="/assets/{asset.id}/partners?radius=2000"' in html
    assert 0 < len(re.findall(r"<li>", html)) <= 5
    assert "straight-line distance" in html


def test_api_nearby_is_geojson_with_distances(sample_app, client):
    pc = a_postcode(sample_app)
    add_secret_asset(sample_app, pc.lon + 0.001, pc.lat)
    expected = within(sample_app, pc.lon, pc.lat, 1500, "youth")
    response = client.get(f"/api/nearby?lat={pc.lat}&lon={pc.lon}&radius=1500&category=youth")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    data = response.json
    assert data["type"] == "FeatureCollection" and data["numberMatched"] == len(expected)
    got = [(f["properties"]["id"], f["properties"]["distance_m"]) for f in data["features"]]
    assert [i for i, _ in got] == sorted(expected, key=lambda i: (expected[i], i))
    assert all(abs(d - expected[i]) < 0.1 for i, d in got)
    for f in data["features"]:
        assert f["geometry"]["type"] == "Point" and "youth" in f["properties"]["categories"]
    body = response.get_data(as_text=True)
    for secret in (*SECRETS, "submitter"):
        assert secret not in body


def test_api_nearby_leaves_out_unapproved_assets(sample_app, client):
    pc = a_postcode(sample_app)
    aid = add_secret_asset(sample_app, pc.lon, pc.lat)
    assert aid in [f["properties"]["id"] for f in client.get(f"/api/nearby?lat={pc.lat}&lon={pc.lon}").json["features"]]
    with sample_app.app_context():
        db.session.get(Asset, aid).status = "pending"
        db.session.commit()
    assert aid not in [
        f["properties"]["id"] for f in client.get(f"/api/nearby?lat={pc.lat}&lon={pc.lon}").json["features"]
    ]


@pytest.mark.parametrize(
    "query, words",
    [
        ("", "lat and lon"),
        ("lat=51.9", "longitude as well"),
        ("lat=abc&lon=-2.1", "Latitude must be a number"),
        ("lat=51.9&lon=abc", "Longitude must be a number"),
        ("lat=-91&lon=-2.1", "between -90 and 90"),
        ("lat=51.9&lon=181", "between -180 and 180"),
        ("lat=60&lon=-2.1", "outside the area"),
        ("lat=51.92&lon=-2.05&radius=ten", "Radius must be a number"),
        ("lat=51.92&lon=-2.05&radius=10001", "between 1 and 10,000 metres"),
        ("lat=51.92&lon=-2.05&radius=-5", "between 1 and 10,000 metres"),
        ("lat=51.92&lon=-2.05&category=nope", "'nope' is not a category"),
        ("lat=51.92&lon=-2.05&kind=castle", "Kind must be one of"),
        ("lat=51.92&lon=-2.05&match=maybe", "any or all"),
        ("lat=51.92&lon=-2.05&limit=5000", "limit"),
        ("postcode=ZZ99+9ZZ", "ZZ99 9ZZ"),
    ],
)
def test_api_nearby_bad_input_is_a_clear_400(client, query, words):
    response = client.get(f"/api/nearby?{query}")
    assert response.status_code == 400
    assert response.json["error"]["status"] == 400
    assert words in response.json["error"]["message"]


@pytest.mark.browser
def test_browser_postcode_search_shows_list_and_markers(live_server, sample_app, page):
    pc = a_postcode(sample_app)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/partners")
    page.get_by_label("Postcode").fill(pc.postcode)
    page.get_by_label("Distance, in metres").fill("2000")
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("#results ol li")
    items = page.locator("#results ol li")
    expected = within(sample_app, pc.lon, pc.lat, 2000)
    assert items.count() == min(len(expected), sample_app.config["PAGE_SIZE"]) > 0
    assert "straight-line distance" in items.first.inner_text()
    page.locator(".folium-map .leaflet-marker-icon").first.wait_for()
    # Markers are clustered (places in one building would overlap): count them through Leaflet.
    alts = page.evaluate(
        """(id) => { const out = []; window[id].eachLayer((l) => {
        if (L.MarkerClusterGroup && l instanceof L.MarkerClusterGroup) l.getLayers().forEach((m) => out.push(m.options.alt)); });
        return out; }""",
        page.locator(".folium-map").get_attribute("id"),
    )
    assert len(alts) == items.count()
    # The first marker is named like the first place in the list.
    first_name = items.first.locator("a").inner_text()
    assert f"1. {first_name}" in alts
    assert page.locator(".folium-map .leaflet-overlay-pane path").count() == 2  # the search circle and its centre
    assert not errors, errors


@pytest.mark.browser
def test_browser_clicking_the_map_fills_the_point(live_server, page):
    page.goto(f"{live_server}/partners")
    page.get_by_label("Postcode").fill("XX1 1AA")
    page.locator(".folium-map").click()
    assert page.get_by_label("Latitude").input_value() != ""
    assert page.get_by_label("Longitude").input_value() != ""
    assert page.get_by_label("Postcode").input_value() == ""
    assert "Point chosen on the map" in page.locator("#place-status").inner_text()
    page.get_by_role("button", name="Search").click()
    page.wait_for_selector("#results-heading")
    assert "of the chosen point" in page.locator("#results-heading").inner_text()
