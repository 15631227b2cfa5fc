"""The home map, its list, the About page and the public GeoJSON."""

from __future__ import annotations

import json
import re

import pytest

from webmap.core.db import db
from webmap.core.models import Asset, Category


def test_home_shows_map_and_same_places_in_list(sample_app):
    client = sample_app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'class="folium-map"' in html
    assert "L.markerClusterGroup" in html
    assert "Skip the map" in html
    with sample_app.app_context():
        approved = db.session.query(Asset).filter_by(status="approved").count()
    assert f"{approved} places" in html
    # The first page of the list links to asset pages.
    assert len(re.findall(r'<li>\s*<a href="/assets/\d+">', html)) == sample_app.config["PAGE_SIZE"]


def test_sample_area_is_labelled_fictional(sample_app):
    assert "This is a made-up sample area." in sample_app.test_client().get("/").get_data(as_text=True)


def test_real_data_is_not_labelled_fictional(client):
    assert "made-up sample area" not in client.get("/").get_data(as_text=True)


def test_pages_load_nothing_from_other_sites(sample_app):
    html = sample_app.test_client().get("/").get_data(as_text=True)
    external = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:)?//', html)
    assert external == []
    assert "/vendor/leaflet/leaflet.js" in html


def test_vendored_leaflet_is_served(client):
    with client.get("/vendor/leaflet/leaflet.js") as response:
        assert response.status_code == 200
        assert b"Leaflet" in response.data[:2000]
    assert client.get("/vendor/nothing/x.js").status_code == 404


def test_category_filter_limits_map_and_list(sample_app):
    client = sample_app.test_client()
    with sample_app.app_context():
        youth = [a for a in db.session.query(Asset).all() if "youth" in a.category_ids()]
    html = client.get("/?category=youth").get_data(as_text=True)
    assert f"{len(youth)} places" in html or f"{len(youth)} place<" in html
    assert client.get("/?category=nonsense").status_code == 400


PAYLOAD = "<img src=x onerror=alert(1)>`${alert(2)}`</script>"


def test_home_map_carries_resident_text_as_safe_json(sample_app):
    with sample_app.app_context():
        asset = db.session.query(Asset).first()
        asset.name = PAYLOAD
        db.session.commit()
    html = sample_app.test_client().get("/").get_data(as_text=True)
    # The home map sends each place as a JSON row and builds popups from text nodes in the browser.
    rows = re.findall(r"var rows = (\[.*?\]);\n", html, flags=re.S)
    assert rows, "no marker data on the home map"
    assert any(PAYLOAD in [r[3] for r in json.loads(chunk)] for chunk in rows)
    assert "<img src=x onerror" not in html and "`${alert(2)}`</script>" not in html
    assert "textContent" in html and "innerHTML" not in "".join(
        re.findall(r"\(function \(\) \{.*?\}\)\(\);", html, flags=re.S)
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in html.split('id="asset-list"')[1]


def test_folium_popups_and_tooltips_escape_resident_text():
    import geopandas as gpd
    import shapely

    from webmap.maps import add_asset_markers, new_map, render_parts

    assets = gpd.GeoDataFrame(
        {
            "asset_id": [1],
            "name": [PAYLOAD],
            "categories": ["youth"],
            "address": ["1 `${x}` St"],
            "ward_name": ["Ward & Co"],
        },
        geometry=[shapely.Point(-2.1, 53.5)],
        crs="EPSG:4326",
    )
    m = new_map((-2.2, 53.4, -2.0, 53.6), None, None)
    add_asset_markers(m, assets, {"youth": "Youth"})
    parts = render_parts(m)
    # folium puts popup and tooltip HTML in JavaScript template literals, where ${...} runs.
    literals = re.findall(r"\$\(`(.*?)`\)\[0\]", parts.script, flags=re.S) + re.findall(
        r"bindTooltip\(\s*`(.*?)`", parts.script, flags=re.S
    )
    assert len(literals) == 2
    assert not [lit for lit in literals if "${" in lit or "<img" in lit or "</script" in lit]
    assert all("&lt;img src=x onerror=alert(1)&gt;&#96;&#36;{alert(2)}&#96;&lt;/script&gt;" in lit for lit in literals)


def test_public_geojson_has_no_private_fields(sample_app):
    with sample_app.app_context():
        asset = db.session.query(Asset).first()
        asset.submitter_email = "secret-person@example.com"
        asset.submitter_name = "Secret Person"
        asset.submitter_ip = "10.9.8.7"
        db.session.commit()
    client = sample_app.test_client()
    body = client.get("/api/assets.geojson").get_data(as_text=True)
    data = json.loads(body)
    assert data["type"] == "FeatureCollection" and len(data["features"]) > 0
    for secret in ("secret-person@example.com", "Secret Person", "10.9.8.7", "submitter"):
        assert secret not in body


def test_unknown_page_is_a_plain_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "We could not find that page." in response.get_data(as_text=True)
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.json["error"]["status"] == 404


def test_home_map_has_a_layer_per_category_group_and_a_key(sample_app):
    html = sample_app.test_client().get("/").get_data(as_text=True)
    with sample_app.app_context():
        groups = {c.group for c in db.session.query(Category).all()}
        first_groups = {a.categories[0].group for a in db.session.query(Asset).filter_by(status="approved")}
    assert "L.control.layers" in html
    layer_names = re.findall(r'"([A-Za-z ]+) \((\d+)\)" : feature_group_sub_group_', html)
    assert {name for name, _ in layer_names} == first_groups and first_groups <= groups
    total = int(re.search(r"id=\"asset-list-heading\">(\d+) place", html).group(1))
    assert sum(int(n) for _, n in layer_names) == total
    assert 'id="map-legend"' in html and "Map key" in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("ward=E05900001", lambda f: f["properties"]["ward_code"] == "E05900001"),
        (
            "bbox=-2.08,51.9,-2.06,51.95",
            lambda f: (
                -2.08 <= f["geometry"]["coordinates"][0] <= -2.06 and 51.9 <= f["geometry"]["coordinates"][1] <= 51.95
            ),
        ),
    ],
)
def test_assets_geojson_filters(sample_app, query, expected):
    client = sample_app.test_client()
    everything = client.get("/api/assets.geojson").json["features"]
    chosen = client.get(f"/api/assets.geojson?{query}").json["features"]
    assert 0 < len(chosen) < len(everything)
    assert all(expected(f) for f in chosen)
    assert len(chosen) == sum(1 for f in everything if expected(f))


@pytest.mark.parametrize(
    "query, message",
    [
        ("ward=E05999999", "ward:"),
        ("bbox=1,2,3", "bbox:"),
        ("bbox=a,b,c,d", "bbox:"),
        ("bbox=10,10,5,5", "bbox:"),
        ("category=nope", "category:"),
    ],
)
def test_assets_geojson_rejects_bad_filters(client, query, message):
    response = client.get(f"/api/assets.geojson?{query}")
    assert response.status_code == 400
    assert response.json["error"]["message"].startswith(message)


def test_pages_carry_a_content_security_policy_of_this_site_only(client):
    response = client.get("/about")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]  # inline scripts need the nonce
    assert "http" not in policy.split("img-src")[0]  # no other site may serve scripts or styles
    assert response.headers["X-Content-Type-Options"] == "nosniff"
