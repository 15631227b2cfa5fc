"""Big areas: data versions, outlines and places by tile, paged tables, stored gap tables, validators."""

from __future__ import annotations

import gzip
import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box
from sqlalchemy import delete, func, select

from webmap.core.db import db
from webmap.core.models import Asset, Need, User, Ward
from webmap.gaps import service as gaps_service
from webmap.gaps import store as gapstore
from webmap.scale import derived, size, versions
from webmap.scale.outlines import simplified_levels
from webmap.scale.places import count_cells
from webmap.scale.tiles import outline_level, tile_bounds

BY_VIEW = {"VIEWPORT_ABOVE_WARDS": 0}


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    import math

    n = 2**z
    r = math.radians(lat)
    return z, int((lon + 180) / 360 * n), int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)


def _sample_centre(app) -> tuple[float, float]:
    with app.app_context():
        asset = db.session.scalars(select(Asset).where(Asset.status == "approved").order_by(Asset.id)).first()
        return asset.lon, asset.lat


# --- data versions ---------------------------------------------------------------------------------


def test_versions_rise_with_the_data_they_count_and_not_otherwise(sample_app):
    with sample_app.app_context():
        wards, data = versions.current(versions.WARDS), versions.current(versions.DATA)
        assert wards > 0 and data > 0  # the sample import raised both
        asset = db.session.scalars(select(Asset).order_by(Asset.id)).first()
        asset.name = "Renamed hall"
        db.session.commit()
        assert (versions.current(versions.WARDS), versions.current(versions.DATA)) == (wards, data + 1)
        db.session.execute(delete(Need).where(Need.source == "no such source"))  # a bulk statement counts too
        db.session.commit()
        assert versions.current(versions.DATA) == data + 2
        db.session.add(User(email="x@example.org", password_hash="x", role="moderator"))
        db.session.commit()
        assert versions.current(versions.DATA) == data + 2
        asset.name = "Never saved"
        db.session.flush()
        db.session.rollback()
        db.session.add(User(email="y@example.org", password_hash="x", role="moderator"))
        db.session.commit()
        assert versions.current(versions.DATA) == data + 2  # a rolled-back change raises nothing


# --- pure helpers ----------------------------------------------------------------------------------


def test_count_cells_counts_each_place_once_overall_and_once_per_category():
    points = pd.DataFrame(
        {
            "asset_id": [1, 1, 2, 3],
            "lon": [-2.0, -2.0, -2.0001, 1.5],
            "lat": [53.0, 53.0, 53.0001, 52.0],
            "category": ["youth", "health", "youth", None],
        }
    )
    cells = count_cells(points, 8)
    overall = cells[cells["category"] == ""]
    assert overall["count"].sum() == 3 and len(overall) == 2
    assert cells.loc[cells["category"] == "youth", "count"].tolist() == [2]
    assert cells.loc[cells["category"] == "health", "count"].tolist() == [1]
    near = overall[overall["count"] == 2].iloc[0]
    assert near["lon"] == pytest.approx(-2.00005) and near["lat"] == pytest.approx(53.00005)


def test_count_cells_on_an_empty_layer_and_a_missing_column():
    empty = pd.DataFrame({"asset_id": [], "lon": [], "lat": [], "category": []})
    assert count_cells(empty, 6).empty
    with pytest.raises(ValueError, match="'category'"):
        count_cells(pd.DataFrame({"asset_id": [1], "lon": [0.0], "lat": [0.0]}), 6)


def test_simplified_levels_keep_every_ward_and_refuse_no_crs():
    wards = gpd.GeoDataFrame(
        {"code": ["A", "B"]}, geometry=[box(-2, 53, -1.9, 53.1), box(-1.9, 53, -1.89999, 53.00001)], crs="EPSG:4326"
    )
    levels = simplified_levels(wards)
    assert len(levels) == 4
    for level in levels:
        assert not level.is_empty.any() and level.crs.to_epsg() == 4326
    with pytest.raises(ValueError, match="no CRS"):
        simplified_levels(wards.set_crs(None, allow_override=True))


@pytest.mark.parametrize("zoom, level", [(5, 0), (8, 0), (9, 1), (10, 1), (11, 2), (13, 3), (18, 3)])
def test_outline_level_by_zoom(zoom, level):
    assert outline_level(zoom) == level


def test_tile_bounds():
    assert tile_bounds(0, 0, 0) == pytest.approx((-180, -85.0511, 180, 85.0511), abs=1e-3)
    minx, miny, maxx, maxy = tile_bounds(10, 511, 340)
    assert minx < -0.1 < maxx and miny < 51.5 < maxy


# --- tiles -----------------------------------------------------------------------------------------


def test_ward_tiles_carry_each_ward_met_simplified_for_the_zoom(sample_app):
    lon, lat = _sample_centre(sample_app)
    client = sample_app.test_client()
    z, x, y = _tile_of(lon, lat, 8)
    coarse = client.get(f"/map-tiles/wards/{z}/{x}/{y}.json?zoom=5").get_json()
    fine = client.get(f"/map-tiles/wards/{z}/{x}/{y}.json?zoom=14").get_json()
    with sample_app.app_context():
        names = dict(db.session.execute(select(Ward.code, Ward.name)).all())
    assert {f["properties"]["code"] for f in coarse["features"]} == set(names)
    assert all(f["properties"]["name"] == names[f["properties"]["code"]] for f in fine["features"])
    assert (coarse["level"], fine["level"]) == (0, 3)
    count = lambda data: sum(len(json.dumps(f["geometry"])) for f in data["features"])  # noqa: E731
    assert count(coarse) < count(fine)
    far = client.get("/map-tiles/wards/8/0/0.json").get_json()
    assert far["features"] == []
    assert client.get("/map-tiles/wards/3/9/0.json").status_code == 404


def test_place_tiles_count_at_low_zoom_and_list_at_high_zoom(sample_app):
    lon, lat = _sample_centre(sample_app)
    client = sample_app.test_client()
    with sample_app.app_context():
        approved = size.approved_count()
        youth = size.approved_count("youth")
    z, x, y = _tile_of(lon, lat, 6)
    clusters = client.get(f"/map-tiles/places/{z}/{x}/{y}.json").get_json()["clusters"]
    assert sum(n for _, _, n in clusters) == approved  # the sample area fits in one zoom-6 tile
    youth_clusters = client.get(f"/map-tiles/places/{z}/{x}/{y}.json?category=youth").get_json()["clusters"]
    assert sum(n for _, _, n in youth_clusters) == youth
    z, x, y = _tile_of(lon, lat, 16)
    places = client.get(f"/map-tiles/places/{z}/{x}/{y}.json").get_json()["places"]
    assert places and all(len(row) == 6 for row in places)
    with sample_app.app_context():
        first = db.session.get(Asset, places[0][2])
        assert first.status == "approved" and places[0][3] == first.name
    assert client.get(f"/map-tiles/places/{z}/{x}/{y}.json?category=nope").status_code == 400


def test_place_counts_follow_an_approval(sample_app):
    lon, lat = _sample_centre(sample_app)
    client = sample_app.test_client()
    z, x, y = _tile_of(lon, lat, 6)
    url = f"/map-tiles/places/{z}/{x}/{y}.json"
    before = sum(n for *_, n in client.get(url).get_json()["clusters"])
    with sample_app.app_context():
        db.session.add(Asset(name="New hall", lon=lon, lat=lat, geom=Point(lon, lat), status="approved"))
        db.session.commit()
    assert sum(n for *_, n in client.get(url).get_json()["clusters"]) == before + 1


def test_tiles_answer_304_to_a_browser_that_has_them(sample_app):
    client = sample_app.test_client()
    lon, lat = _sample_centre(sample_app)
    z, x, y = _tile_of(lon, lat, 8)
    first = client.get(f"/map-tiles/wards/{z}/{x}/{y}.json")
    assert first.headers["ETag"] and "max-age" in first.headers["Cache-Control"]
    again = client.get(f"/map-tiles/wards/{z}/{x}/{y}.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_an_outline_tile_is_built_once_then_served_gzipped_from_memory(sample_app, monkeypatch):
    from webmap.scale import outlines

    built = []
    real = outlines.outlines_in
    monkeypatch.setattr(outlines, "outlines_in", lambda *a: built.append(a) or real(*a))
    client = sample_app.test_client()
    lon, lat = _sample_centre(sample_app)
    z, x, y = _tile_of(lon, lat, 8)
    url = f"/map-tiles/wards/{z}/{x}/{y}.json?zoom=5"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    again = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert len(built) == 1  # the second visitor's tile came from memory
    assert first.headers["Content-Encoding"] == "gzip" and again.data == first.data
    assert "Accept-Encoding" in first.headers["Vary"] and first.headers["ETag"].startswith('W/"')
    plain = client.get(url)  # a client that takes no gzip gets the same JSON, plain
    assert "Content-Encoding" not in plain.headers
    assert json.loads(gzip.decompress(first.data)) == plain.get_json() and plain.get_json()["features"]
    assert len(built) == 1
    # The browser's weak ETag comes back: a 304, without building anything.
    repeat = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
    assert repeat.status_code == 304 and repeat.data == b"" and len(built) == 1
    # New wards, new outlines: a new version, so a new tile, never the kept one.
    with sample_app.app_context():
        ward = db.session.scalars(select(Ward).order_by(Ward.code)).first()
        ward.name = "Renamed ward"
        db.session.commit()
        derived.rebuild_maps()
    names = {f["properties"]["name"] for f in client.get(url).get_json()["features"]}
    assert "Renamed ward" in names and len(built) == 2


def test_tile_cache_keeps_within_its_budget_dropping_the_least_recently_used():
    from webmap.scale.views import _TileCache

    cache = _TileCache(budget=120)
    bodies = {k: "".join(chr(65 + (i * 7 + ord(k)) % 26) for i in range(400)) for k in "abc"}  # 51 B gzipped: two fit
    for key in "ab":
        cache.get(key, lambda key=key: bodies[key])
    cache.get("a", lambda: "not this: a is kept")  # a is used again, so b is now the oldest
    cache.get("c", lambda: bodies["c"])
    assert list(cache.tiles) == ["a", "c"] and cache.size <= 120
    assert gzip.decompress(cache.get("a", lambda: "rebuilt")).decode() == bodies["a"]


def test_first_outline_tiles_are_preloaded_only_when_the_first_level_is_sure():
    from webmap.scale.layers import first_outline_tiles

    template = "/map-tiles/wards/{z}/{x}/{y}.json?v=1.2&lang=en"
    england_and_wales = (-6.41856, 49.86474, 1.76053, 55.81108)
    urls = first_outline_tiles(template, england_and_wales)
    # Zoom-6 tiles meeting the box: x 30-32 (6.4 W to 1.8 E), y 19-21 (55.8 N to 49.9 N), as viewport.js asks.
    assert urls == [f"/map-tiles/wards/6/{x}/{y}.json?v=1.2&lang=en&zoom=0" for x in (30, 31, 32) for y in (19, 20, 21)]
    for x, y in ((30, 19), (32, 21)):
        west, south, east, north = tile_bounds(6, x, y)
        assert west <= england_and_wales[2] and east >= england_and_wales[0]
        assert south <= england_and_wales[3] and north >= england_and_wales[1]
    # A county fits a big screen at zoom 9 or closer, where finer outlines are asked for: nothing preloaded.
    assert first_outline_tiles(template, (-2.6, 53.3, -1.9, 53.7)) == []
    assert first_outline_tiles(None, england_and_wales) == [] and first_outline_tiles(template, None) == []


# --- pages of a big area ---------------------------------------------------------------------------


def test_home_page_of_a_big_area_loads_by_view_and_pages_its_tables(sample_app):
    sample_app.config.update(BY_VIEW, PAGE_SIZE=5)
    client = sample_app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert "webmapViewport(" in html and "/static/viewport.js" in html
    assert "Page 1 of 4" in html  # 16 sample wards, 5 to a page
    with sample_app.app_context():
        names = list(db.session.scalars(select(Ward.name).order_by(Ward.name, Ward.code)))
    second = client.get("/?wards_page=2").get_data(as_text=True)
    assert f"<td>{names[5]}</td>" in second and f"<td>{names[0]}</td>" not in second
    assert ">nan<" not in html and ">None<" not in html


def test_gaps_page_of_a_big_area_fills_outlines_from_the_stored_table(sample_app):
    sample_app.config.update(BY_VIEW)
    client = sample_app.test_client()
    html = client.get("/gaps?category=youth").get_data(as_text=True)
    assert "webmapViewport(" in html and '"fills"' in html
    with sample_app.app_context():
        fresh = gaps_service.gap_frame(gaps_service.check_query("youth", "share", None, 800))
        stored = gapstore.stored_table(gaps_service.check_query("youth", "share", None, 800))
    assert stored is not None
    merged = fresh.drop(columns="geometry").merge(stored, on="ward_code", suffixes=("", "_stored"))
    assert len(merged) == len(fresh)
    for col in ("gap_score", "need_count", "population", "access_share", "assets_in_ward"):
        pd.testing.assert_series_equal(
            merged[col].astype(float), merged[f"{col}_stored"].astype(float), check_names=False
        )
    top = fresh.dropna(subset=["rank"]).sort_values("rank").iloc[0]
    assert top["ward_name"] in html and f'"{top["ward_code"]}":' in html


def test_stored_ward_rows_equal_a_fresh_computation(sample_app):
    client = sample_app.test_client()
    with sample_app.app_context():
        code = db.session.scalars(select(Ward.code).order_by(Ward.code)).first()
        fresh = gaps_service.ward_gaps(code, "share", 800.0)
    assert client.get(f"/wards/{code}").status_code == 200
    with sample_app.app_context():
        stored = gapstore.ward_rows(code, "share", 800.0, fresh["category"].tolist())
    pd.testing.assert_series_equal(
        stored["gap_score"].astype(float), fresh["gap_score"].astype(float).reset_index(drop=True), check_names=False
    )


def _ward_page_text(html: str) -> str:
    """The ward page's tables as text (the map's script differs between the two ways of building it)."""
    import re

    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"<script.*?</script>", "", main, flags=re.S)


def test_ward_profile_of_a_big_area_reads_the_stored_rows_and_says_the_same(sample_app, monkeypatch):
    client = sample_app.test_client()
    with sample_app.app_context():
        code = db.session.scalars(select(Ward.code).order_by(Ward.code).offset(3)).first()
    small = client.get(f"/wards/{code}?method=e2sfca")
    assert small.status_code == 200
    sample_app.config.update(BY_VIEW)
    # The first visit after the data changed fills the derived tables (outlines, e2sfca gap tables) ...
    assert client.get(f"/wards/{code}?method=e2sfca").status_code == 200
    # ... after which the page reads no list of every ward or place, and runs no analysis.
    from webmap.core import store as data
    from webmap.gaps import service

    some_wards, all_places = data.wards_frame, data.assets_frame

    def wards_frame(codes=None):
        assert codes is not None, "every ward was read"
        return some_wards(codes)

    def assets_frame(*args, **kwargs):
        assert kwargs.get("ward") or kwargs.get("bbox") or kwargs.get("category"), "every place was read"
        return all_places(*args, **kwargs)

    def ward_profile(*args, **kwargs):
        raise AssertionError("the analysis ran for one page")

    monkeypatch.setattr(data, "wards_frame", wards_frame)
    monkeypatch.setattr(data, "assets_frame", assets_frame)
    monkeypatch.setattr(service, "ward_profile", ward_profile)
    big = client.get(f"/wards/{code}?method=e2sfca")
    assert big.status_code == 200, big.get_data(as_text=True)[:2000]
    assert _ward_page_text(big.get_data(as_text=True)) == _ward_page_text(small.get_data(as_text=True))
    assert ">nan<" not in big.get_data(as_text=True) and ">None<" not in big.get_data(as_text=True)


def test_gaps_rebuild_command_fills_every_table(sample_app):
    result = sample_app.test_cli_runner().invoke(args=["gaps", "rebuild"])
    assert result.exit_code == 0, result.output
    with sample_app.app_context():
        from webmap.core import store

        assert f"Gap tables: {len(store.category_labels()) + 1} " in result.output
        assert derived.is_current("ward_outlines") and derived.is_current("place_cells")
        assert gapstore.stored_table(gaps_service.check_query("all", "share", None, 800)) is not None


def test_gaps_rebuild_with_no_wards(app):
    result = app.test_cli_runner().invoke(args=["gaps", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "No wards yet" in result.output


def test_gaps_command_still_needs_a_file_without_rebuild(sample_app):
    result = sample_app.test_cli_runner().invoke(args=["gaps", "--category", "youth"])
    assert result.exit_code != 0 and "--out" in result.output


# --- validators and streaming ----------------------------------------------------------------------


def test_a_repeat_fetch_of_map_data_costs_a_304(sample_app):
    client = sample_app.test_client()
    first = client.get("/api/wards.geojson", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get("/api/wards.geojson", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_pages_with_a_script_nonce_are_never_answered_304(sample_app):
    """A 304 would pair the cached page's old CSP nonce with a new header and block its scripts."""
    client = sample_app.test_client()
    first = client.get("/")
    assert "nonce-" in first.headers["Content-Security-Policy"]
    assert "ETag" not in first.headers and first.headers["Cache-Control"] == "no-cache"
    assert client.get("/", headers={"If-None-Match": '"*"'}).status_code == 200


def test_streamed_text_is_gzipped_as_it_streams(sample_app):
    from flask import Response

    @sample_app.get("/test-stream")
    def stream():
        return Response((f"line {i}\n" for i in range(5000)), mimetype="text/csv")

    response = sample_app.test_client().get("/test-stream", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip" and "Content-Length" not in response.headers
    assert gzip.decompress(response.data).decode().splitlines()[4999] == "line 4999"


def test_ward_geometry_in_tiles_is_multipolygon_or_polygon(sample_app):
    lon, lat = _sample_centre(sample_app)
    z, x, y = _tile_of(lon, lat, 12)
    data = sample_app.test_client().get(f"/map-tiles/wards/{z}/{x}/{y}.json?zoom=13").get_json()
    assert data["features"] and {f["geometry"]["type"] for f in data["features"]} <= {"Polygon", "MultiPolygon"}


def test_embedded_map_of_a_big_area_loads_by_view_and_never_reads_every_place(sample_app, monkeypatch):
    """Nationally, /embed read a million places into the page (47 s, 2 GB): a big area's loads by view."""
    from webmap.core import store

    sample_app.config.update(BY_VIEW, PAGE_SIZE=5)
    client = sample_app.test_client()
    assert client.get("/embed").status_code == 200  # the first visit builds the kept outlines from the wards
    real = store.assets_frame

    def assets_frame(*args, **kwargs):
        assert kwargs.get("where") or kwargs.get("bbox") or kwargs.get("limit"), "the embed read every place"
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "assets_frame", assets_frame)
    _forbid_every_ward(monkeypatch, "the embed")
    html = client.get("/embed").get_data(as_text=True)
    assert "webmapViewport(" in html
    with sample_app.app_context():
        first = db.session.scalars(
            select(Asset.name).where(Asset.status == "approved").order_by(Asset.name, Asset.id)
        ).first()
        total = db.session.scalar(select(func.count()).select_from(Asset).where(Asset.status == "approved"))
    assert first in html and f"{total} places" in html and "and " in html  # the first page, and how many more
    searched = client.get("/embed?q=library").get_data(as_text=True)
    assert "Library" in searched or "library" in searched
    assert ">nan<" not in html and ">None<" not in html


def test_the_pin_picking_map_of_a_big_area_loads_its_outlines_by_view(sample_app, monkeypatch):
    """The "Add a place" form drew every ward's outline into the page: 7 s and 670 MB nationally."""

    sample_app.config.update(BY_VIEW)
    client = sample_app.test_client()
    assert client.get("/assets/new").status_code == 200  # the first visit builds the kept outlines
    _forbid_every_ward(monkeypatch, "the form")
    html = client.get("/assets/new").get_data(as_text=True)
    assert "webmapViewport(" in html and 'id="location-picker"' in html
    map_id = html.split('id="location-picker" data-map="')[1].split('"')[0]
    assert f"webmapViewport({map_id}," in html  # the pin goes on the map the outlines load into


def _forbid_every_ward(monkeypatch, who: str) -> None:
    """Fail the test if `who` reads every ward's outline (store.wards_frame without codes)."""
    from webmap.core import store

    real = store.wards_frame

    def wards_frame(codes=None):
        assert codes is not None, f"{who} read every ward's outline"
        return real(codes)

    monkeypatch.setattr(store, "wards_frame", wards_frame)
