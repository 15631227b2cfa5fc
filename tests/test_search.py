"""Search and filters on the home map: the pure filter functions, then the page and its URL."""

from __future__ import annotations

import html as html_lib
import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import Point

from webmap.core.db import db
from webmap.core.models import Asset, Postcode
from webmap.places.search import filter_assets, keyword_mask, split_near


def places(crs="EPSG:4326"):
    # Three places in Oldham about 0, 700 m and 5 km east of a centre point.
    return gpd.GeoDataFrame(
        {
            "asset_id": [1, 2, 3],
            "name": ["Youth Club", "Food Bank", "Library"],
            "description": ["Games night", "Emergency food parcels for families", None],
            "address": [None, "1 High St", "2 Low St"],
            "category_labels": ["Youth", "Food support", "Library"],
            "kind": ["group", "service", "venue"],
            "ward_code": ["W1", "W1", "W2"],
        },
        geometry=[Point(-2.1, 53.54), Point(-2.0895, 53.54), Point(-2.025, 53.54)],
        crs=crs,
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("youth club near OL1 1AA", ("youth club", "OL1 1AA")),
        ("near Alexandra", ("", "Alexandra")),
        ("  food   bank ", ("food bank", "")),
        ("Nearby Café", ("Nearby Café", "")),  # "near" must be a word of its own
        ("", ("", "")),
    ],
)
def test_split_near(text, expected):
    assert split_near(text) == expected


@pytest.mark.parametrize(
    "words, ids",
    [
        ("", [1, 2, 3]),
        ("food", [2]),
        ("FAMILIES", [2]),  # from the description
        ("food parcels", [2]),  # every word must match
        ("food youth", []),
        ("high st", [2]),  # the address
        ("library", [3]),  # name and category label
    ],
)
def test_keyword_mask(words, ids):
    frame = places()
    assert frame[keyword_mask(frame, words)]["asset_id"].tolist() == ids


def test_keyword_mask_needs_a_text_column():
    with pytest.raises(ValueError, match="no columns to search"):
        keyword_mask(places()[["asset_id", "geometry"]], "x")


def test_filters_combine():
    frame = places()
    assert filter_assets(frame, kind="service")["asset_id"].tolist() == [2]
    assert filter_assets(frame, ward="W2")["asset_id"].tolist() == [3]
    assert filter_assets(frame, words="food", ward="W2").empty


def test_near_keeps_places_within_radius_nearest_first_in_metres():
    found = filter_assets(places(), near=(-2.1, 53.54), radius_m=1000)
    assert found["asset_id"].tolist() == [1, 2]
    # 0.0105 degrees of longitude at 53.54 N is about 700 m, measured in EPSG:27700.
    assert found["distance_m"].iloc[1] == pytest.approx(697, abs=10)
    assert filter_assets(places(), near=(-2.1, 53.54), radius_m=10_000)["asset_id"].tolist() == [1, 2, 3]


def test_filter_on_an_empty_layer_and_bad_inputs():
    empty = places().iloc[0:0]
    assert filter_assets(empty, words="x", near=(-2.1, 53.54)).empty
    with pytest.raises(ValueError, match="no CRS"):
        filter_assets(places(crs=None))
    with pytest.raises(ValueError, match="radius_m must be positive"):
        filter_assets(places(), near=(-2.1, 53.54), radius_m=0)


def test_filter_does_not_change_its_input():
    frame = places()
    filter_assets(frame, near=(-2.1, 53.54))
    assert "distance_m" not in frame.columns


# --- the page -------------------------------------------------------------------------------------


def listed(html: str) -> list[str]:
    """Return the names in the home page's list of places."""
    section = html.split('id="asset-list"')[1].split("</section>")[0]
    return [html_lib.unescape(n) for n in re.findall(r"<a href=\"/assets/\d+\">([^<]+)</a>", section)]


def count(html: str) -> int:
    return int(re.search(r'id="asset-list"[^>]*data-items="(\d+)"', html).group(1))


def map_rows(html: str) -> int:
    return sum(len(json.loads(chunk)) for chunk in re.findall(r"var rows = (\[.*?\]);\n", html, flags=re.S))


def test_keyword_search_matches_descriptions_and_keeps_map_and_list_in_step(sample_app):
    client = sample_app.test_client()
    with sample_app.app_context():
        expected = sorted(
            a.name
            for a in db.session.query(Asset).filter_by(status="approved")
            if "lunch" in (a.name + " " + (a.description or "")).lower()
        )
    assert expected, "the sample area should have places whose description mentions lunch"
    html = client.get("/?q=Lunch").get_data(as_text=True)
    assert count(html) == len(expected)
    assert map_rows(html) == len(expected)
    assert sorted(listed(html)) == expected[:50]
    assert "Places matching &#39;Lunch&#39;." in html


def test_near_a_postcode_lists_nearest_first_with_distances(sample_app):
    with sample_app.app_context():
        postcode = db.session.query(Postcode).first()
        code = postcode.postcode
    html = sample_app.test_client().get(f"/?q=near+{code.replace(' ', '+')}&radius=500").get_data(as_text=True)
    distances = [int(d.replace(",", "")) for d in re.findall(r"· ([\d,]+) m away", html)]
    assert distances and distances == sorted(distances) and max(distances) <= 500
    assert f"within 500 m of {code}, nearest first" in html
    assert 'value="' + code + '"' in html  # the "near" box keeps what was asked


def test_near_a_ward_name(sample_app):
    html = sample_app.test_client().get("/?near=northgate&radius=2000").get_data(as_text=True)
    assert "of Northgate, nearest first" in html


def test_filters_by_kind_and_ward(sample_app):
    with sample_app.app_context():
        asset = db.session.query(Asset).filter_by(status="approved").first()
        kind, ward = asset.kind, asset.ward_code
        expected = db.session.query(Asset).filter_by(status="approved", kind=kind, ward_code=ward).count()
    html = sample_app.test_client().get(f"/?kind={kind}&ward={ward}").get_data(as_text=True)
    assert count(html) == expected == map_rows(html)
    assert f'<option value="{ward}" selected>' in html


def test_unknown_postcode_is_explained_and_nothing_is_lost(sample_app):
    response = sample_app.test_client().get("/?q=library&near=ZZ9+9ZZ")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "We could not find the postcode ZZ9 9ZZ" in html
    assert 'class="error-summary"' in html and 'href="#near"' in html
    assert 'value="library"' in html


def test_without_a_postcode_table_the_form_says_so(sample_app):
    with sample_app.app_context():
        db.session.query(Postcode).delete()
        db.session.commit()
    html = sample_app.test_client().get("/?near=XX1+3HE").get_data(as_text=True)
    assert "Postcode search is not set up on this map yet" in html
    assert "choose a ward from the list" in html


@pytest.mark.parametrize(
    "query, field",
    [
        ("kind=castle", "Kind must be one of"),
        ("ward=E09999999", "There is no ward with the code"),
        ("radius=abc&near=Northgate", "Distance must be a number"),
        ("category=nonsense", "is not a category on this map"),
    ],
)
def test_values_no_form_offers_are_refused_with_a_reason(sample_app, query, field):
    response = sample_app.test_client().get(f"/?{query}")
    assert response.status_code == 400
    assert field in response.get_data(as_text=True)


def test_view_in_the_url_sets_the_map_centre_and_zoom(sample_app):
    html = sample_app.test_client().get("/?category=youth&lat=51.95&lon=-2.10&zoom=15").get_data(as_text=True)
    assert re.search(r"center: \[51\.95, -2\.1\]", html)
    assert '"zoom": 15' in html
    assert "fitBounds" not in html
    # The link box reproduces the view and the filters.
    link = re.search(r'id="view-link"[^>]*value="([^"]+)"', html).group(1)
    assert "category=youth" in link and "zoom=15" in link and "lat=51.95000" in link


def test_a_view_out_of_range_is_ignored_with_a_message(sample_app):
    html = sample_app.test_client().get("/?lat=99&lon=0&zoom=5").get_data(as_text=True)
    assert "The map view in this link is not valid" in html
    assert "fitBounds" in html


def test_pager_links_keep_the_search(sample_app):
    html = sample_app.test_client().get("/?kind=service&q=a").get_data(as_text=True)
    nxt = re.search(r'rel="next" href="([^"]+)"', html)
    assert nxt, "expected more than one page of services"
    assert "kind=service" in nxt.group(1) and "q=a" in nxt.group(1)


def test_search_text_is_escaped(sample_app):
    html = sample_app.test_client().get("/?q=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in html
