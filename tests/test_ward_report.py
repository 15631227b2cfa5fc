"""The printable ward report: key figures, gaps with response counts, asks, places by kind (each once), sources."""

from __future__ import annotations

import re
from html import unescape

import shapely
from sqlalchemy import select

from webmap.core.db import db
from webmap.core.models import Asset, Need, Ward


def first_ward(app) -> Ward:
    with app.app_context():
        ward = db.session.scalars(select(Ward).order_by(Ward.code)).first()
        db.session.expunge(ward)
        return ward


def test_report_has_figures_gaps_asks_places_and_sources(sample_app):
    ward = first_ward(sample_app)
    response = sample_app.test_client().get(f"/wards/{ward.code}/report")
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert f"<h1>{ward.name} ward: local places and gaps</h1>" in html
    assert f"{ward.population:,.0f}" in html
    assert "Unmet need for each kind of place" in html and "Stated needs" in html
    with sample_app.app_context():
        asked = db.session.scalars(select(Need).where(Need.ward_code == ward.code)).all()
        places = db.session.scalars(select(Asset).where(Asset.ward_code == ward.code, Asset.status == "approved")).all()
        names = [p.name for p in places]
    assert asked and f"{sum(n.count for n in asked):,.0f}" in html
    places_part = html.split('id="places-heading"')[1].split("</section>")[0]
    for name in names:
        assert name in places_part
    assert "Asterby Vale sample area (fictional)" in html.split('class="report-sources"')[1]
    assert "nan" not in re.sub(r"<[^>]+>", " ", html).lower().split()


def test_a_place_listed_many_times_appears_once(sample_app):
    ward = first_ward(sample_app)
    with sample_app.app_context():
        model = db.session.scalars(
            select(Asset).where(Asset.ward_code == ward.code, Asset.status == "approved")
        ).first()
        for i in range(5):  # a site's buildings, 60 m apart in a chain
            lon = model.lon + i * 0.0009
            db.session.add(
                Asset(
                    name="St Anne's Hospital",
                    kind="venue",
                    lon=lon,
                    lat=model.lat,
                    geom=shapely.Point(lon, model.lat),
                    ward_code=ward.code,
                    status="approved",
                    source="test",
                    source_id=f"b{i}",
                )
            )
        db.session.commit()
    html = unescape(sample_app.test_client().get(f"/wards/{ward.code}/report").get_data(as_text=True))
    assert html.count("St Anne's Hospital") == 1
    assert "St Anne's Hospital (listed 5 times)" in re.sub(r"\s*<span[^>]*>", " ", html).replace("</span>", "")


def test_download_is_a_self_contained_page_to_attach(sample_app):
    ward = first_ward(sample_app)
    response = sample_app.test_client().get(f"/wards/{ward.code}/report?download=1")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(f'attachment; filename="ward-report-{ward.code}-')
    html = response.get_data(as_text=True)
    assert "<style>" in html and "@page { size: A4" in html and 'rel="stylesheet"' not in html


def test_unknown_ward_and_bad_method(sample_app):
    client = sample_app.test_client()
    assert client.get("/wards/E09999999/report").status_code == 404
    ward = first_ward(sample_app)
    assert client.get(f"/wards/{ward.code}/report?method=magic").status_code == 400


def test_ward_page_links_to_its_report(sample_app):
    ward = first_ward(sample_app)
    html = sample_app.test_client().get(f"/wards/{ward.code}").get_data(as_text=True)
    assert f"/wards/{ward.code}/report" in html


def _gap_table(html: str) -> list[list[str]]:
    table = html.split("<caption>Unmet need in")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    return [
        [
            re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def _legend(html: str) -> str:
    found = re.search(
        r'<p class="(?:hint|small)">([^<]*walking distance\. <strong>Unmet need per 1,000 residents.*?)</p>', html, re.S
    )
    return re.sub(r"\s+", " ", found.group(1))


def test_report_says_what_the_ward_profile_says(sample_app):
    """Issue 22 item 2: the same measure, units, legend, order, few-responses flags and a readable decile."""
    ward = first_ward(sample_app)
    client = sample_app.test_client()
    report = unescape(client.get(f"/wards/{ward.code}/report").get_data(as_text=True))
    profile = unescape(client.get(f"/wards/{ward.code}").get_data(as_text=True))
    assert _legend(report) == _legend(profile) and "0 = nobody asking is out of reach" in _legend(report)
    assert "1 = the biggest gap" not in report and "Gap score" not in report
    shown, listed = _gap_table(report), _gap_table(profile)
    assert shown and shown == [row for row in listed if row in shown]  # the same rows, cells and order
    assert any("few responses" in cell for row in shown for cell in row)
    decile = f"IMD decile {round(ward.deprivation)} of 10 (1 = the most deprived tenth of England)"
    assert decile in report and decile in profile


def test_report_without_population_says_unknown_as_the_profile_does(app, tmp_path):
    import geopandas as gpd

    from tests.conftest import REPO
    from webmap.importers.assets import import_assets
    from webmap.importers.needs import import_needs
    from webmap.importers.wards import import_wards

    wards = gpd.read_file(REPO / "data" / "boundaries" / "sample_wards.geojson")
    path = tmp_path / "wards_only.geojson"
    wards[["ward_code", "ward_name", "geometry"]].to_file(path, driver="GeoJSON")
    with app.app_context():
        import_wards(path)
        import_assets(REPO / "data" / "assets" / "sample_assets.geojson", source="sample")
        import_needs(REPO / "data" / "assets" / "sample_needs.csv", source="sample survey")
        db.session.commit()
    ward = first_ward(app)
    client = app.test_client()
    report = unescape(client.get(f"/wards/{ward.code}/report").get_data(as_text=True))
    profile = unescape(client.get(f"/wards/{ward.code}").get_data(as_text=True))
    for html in (report, profile):
        assert "This ward has no population figure, so no rate per 1,000 residents can be worked out" in html
        assert "unknown (no deprivation decile imported)" in html
    rows = _gap_table(report)
    assert rows and all(r[1].startswith("not computed") for r in rows), rows  # unmet need: the second column
    assert " none " not in re.sub(r"<[^>]+>", " ", report) and "0 = no gap" not in report
    assert rows == [r for r in _gap_table(profile) if r in rows]


def test_the_report_reads_its_own_ward_and_places_not_the_whole_area(sample_app, monkeypatch):
    """A national register holds a million places: reading them all for one ward's report took 23 s and 1.5 GB."""
    from webmap.core import store

    ward = first_ward(sample_app)
    # The first visit brings the gap store up to date (a small area: at once, reading everything).
    assert sample_app.test_client().get(f"/wards/{ward.code}/report").status_code == 200
    real_wards, real_assets = store.wards_frame, store.assets_frame
    read = []

    def wards_frame(codes=None):
        assert codes is not None, "the report read every ward's outline"
        read.append(("wards", list(codes)))
        return real_wards(codes)

    def assets_frame(*args, **kwargs):
        assert kwargs.get("ward") or kwargs.get("bbox"), "the report read every place of the area"
        read.append(("assets", kwargs.get("ward")))
        return real_assets(*args, **kwargs)

    monkeypatch.setattr(store, "wards_frame", wards_frame)
    monkeypatch.setattr(store, "assets_frame", assets_frame)
    html = sample_app.test_client().get(f"/wards/{ward.code}/report").get_data(as_text=True)
    assert ("wards", [ward.code]) in read and ("assets", ward.code) in read
    with sample_app.app_context():
        other = db.session.scalars(
            select(Asset).where(Asset.ward_code != ward.code, Asset.status == "approved").order_by(Asset.id)
        ).first()
    assert other.name not in html.split('id="places-heading"')[1].split("</section>")[0]
