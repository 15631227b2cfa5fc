"""The /gaps page, ward profiles and exports, on the sample area and on tiny hand-made areas."""

from __future__ import annotations

import html as htmllib
import io
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import select

from webmap.analysis import GAP_COLUMNS
from webmap.core import store
from webmap.core.db import db
from webmap.core.models import Asset, Category, Need, Ward
from webmap.gaps import service as gaps_service

# ---------------------------------------------------------------- a tiny area
# Three 0.01 degree squares side by side near Oldham: E05000001 | E05000002 | E05000003.
# E05000003 has no population figure. One library stands exactly on the 1|2 boundary.
X0, Y0, STEP = -2.12, 53.50, 0.01
BOUNDARY_LON = X0 + STEP


def add_ward(code: str, i: int, population: float | None) -> None:
    square = shapely.box(X0 + i * STEP, Y0, X0 + (i + 1) * STEP, Y0 + STEP)
    db.session.add(Ward(code=code, name=f"Ward {i + 1}", population=population, geom=shapely.MultiPolygon([square])))


def add_asset(name: str, lon: float, lat: float, category: str) -> Asset:
    asset = Asset(
        name=name,
        lon=lon,
        lat=lat,
        geom=shapely.Point(lon, lat),
        status="approved",
        source="test",
        source_id=name,
        categories=[db.session.get(Category, category)],
    )
    db.session.flush()
    ward = store.ward_at(lon, lat)
    asset.ward_code = ward.code if ward else None
    db.session.add(asset)
    return asset


def tiny_area(app, wards: int = 3, needs: bool = True) -> None:
    with app.app_context():
        for i, pop in enumerate([4000.0, 6000.0, None][:wards]):
            add_ward(f"E0500000{i + 1}", i, pop)
        db.session.flush()
        add_asset("Boundary Library", BOUNDARY_LON, Y0 + STEP / 2, "library")
        if needs:
            for code, count in [("E05000001", 3), ("E05000002", 9), ("E05000003", 2)][:wards]:
                db.session.add(Need(ward_code=code, category_id="library", count=count, source="test"))
            db.session.add(Need(ward_code="E05000001", category_id="youth", count=4, source="test"))
        db.session.commit()


def table_rows(html: str) -> list[list[str]]:
    """Return the ranked table's body rows as lists of cell texts."""
    body = html.split('id="gap-table"')[1].split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [
        [
            htmllib.unescape(re.sub(r"<[^>]+>", "", c).strip())
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.S)
        ]
        for r in rows
    ]


def records(html: str) -> dict[str, dict[str, str]]:
    """Return the ranked table as {ward name: {heading: cell text}}."""
    names = headings(html)
    return {r[1]: dict(zip(names, r)) for r in table_rows(html)}


def headings(html: str) -> list[str]:
    head = html.split('id="gap-table"')[1].split("<thead>")[1].split("</thead>")[0]
    return [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head, flags=re.S)]


def map_fills(html: str) -> dict[str, list[str]]:
    """Return the map's {ward code: [fill colour, tooltip line, ...]} (outlines come by view and are filled from it)."""
    start = html.index('"fills": ') + len('"fills": ')
    return json.JSONDecoder().raw_decode(html[start:])[0]


def service_table(app, category="all", method="share", distance=800):
    with app.app_context():
        return gaps_service.gap_frame(gaps_service.GapQuery(category, method, float(distance)))


# ---------------------------------------------------------------- the sample area
def test_gaps_page_has_choropleth_legend_with_numbers_and_ranked_table(sample_app):
    html = sample_app.test_client().get("/gaps?category=youth").get_data(as_text=True)
    expected = service_table(sample_app, "youth")
    assert 'class="folium-map"' in html and "Skip the map" in html
    assert re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:)?//', html) == []
    # Legend: a swatch and a number range per class, with the count of wards in it.
    legend = html.split('class="legend"')[1].split("</figure>")[0]
    entries = re.findall(r'background: (#[0-9a-f]{6})"></span><span>([^<]+)</span>', legend)
    assert len(entries) >= 2
    assert all(re.search(r"\d\.\d{2}", label) for _, label in entries)
    assert sum(int(re.search(r"\((\d+) wards?\)", label).group(1)) for _, label in entries) == len(expected)
    # The map's fill colours are the legend's colours.
    assert {c for c, _ in entries} <= {v[0] for v in map_fills(html).values()}
    # The ranked table holds every ward, in rank order, with the service's figures.
    rows = table_rows(html)
    assert len(rows) == len(expected) == 16
    # Rank order; wards sharing a rank in name order.
    expected = expected.sort_values(["rank", "ward_name"], kind="stable")
    assert [r[1] for r in rows] == expected["ward_name"].tolist()
    assert [r[2] for r in rows] == [f"{g:,.2f}" for g in expected["gap_score"]]
    assert headings(html)[:5] == ["Rank", "Ward", "Unmet need per 1,000 residents", "Responses", "Stated needs"]
    top = expected.iloc[0]
    assert rows[0][5] == f"{top['population']:,.0f}" and rows[0][3].startswith(f"{top['responses']:,.0f}")
    assert rows[0][4] == f"{top['need_count']:,.0f}"
    flagged = expected[expected["few_responses"]]["ward_name"]
    assert {r[1] for r in rows if r[3].endswith("few responses")} == set(flagged)
    tips = [line for v in map_fills(html).values() for line in v if line.startswith("Responses")]
    assert sum(t.endswith("(few responses)") for t in tips) == len(flagged) > 0
    assert re.search(r'<th scope="col" class="num" aria-sort="ascending">\s*<a[^>]*>Rank', html)


def test_tooltip_carries_the_wards_figures_and_clicking_opens_the_profile(sample_app):
    html = sample_app.test_client().get("/gaps?category=youth&method=2sfca").get_data(as_text=True)
    assert "webmapViewport(" in html
    lines = {line.split(":")[0] for v in map_fills(html).values() for line in v[1:]}
    assert {"Population", "Stated needs", "Unmet need per 1,000 residents"} <= lines
    assert (
        '"link": "/wards/{code}?method=2sfca\\u0026distance=800"' in html
        or '"link": "/wards/{code}?method=2sfca&distance=800"' in html
    )
    first = re.search(
        r'<th scope="row" class="ward"><a href="(/wards/E05900\d{3}\?method=2sfca&amp;distance=800)">', html
    ).group(1)
    profile = sample_app.test_client().get(first.replace("&amp;", "&"))
    assert profile.status_code == 200 and "Unmet need for each kind of place" in profile.get_data(as_text=True)


def test_resident_and_imported_text_is_escaped_in_tooltip_and_table(sample_app):
    payload = "<img src=x onerror=alert(1)>`${alert(2)}`"
    with sample_app.app_context():
        db.session.scalar(select(Ward).where(Ward.code == "E05900010")).name = payload
        db.session.commit()
    html = sample_app.test_client().get("/gaps?category=youth").get_data(as_text=True)
    assert "<img src=x" not in html
    # The map's tooltips take ward names from the outline tiles, which escape them (tests/test_scale.py).
    assert "&lt;img src=x onerror=alert(1)&gt;`${alert(2)}`" in html.split('id="gap-table"')[1]


@pytest.mark.parametrize(
    "column, key",
    [
        ("population", lambda t: t["population"]),
        ("responses", lambda t: t["responses"]),
        ("ward_name", lambda t: t["ward_name"].str.lower()),
    ],
)
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_table_sorts_on_the_server_by_any_column(sample_app, column, key, direction):
    html = sample_app.test_client().get(f"/gaps?category=youth&sort={column}&dir={direction}").get_data(as_text=True)
    expected = service_table(sample_app, "youth")
    expected = expected.assign(_k=key(expected)).sort_values(
        ["_k", "ward_name"], ascending=[direction == "asc", True], kind="stable"
    )
    assert [r[1] for r in table_rows(html)] == expected["ward_name"].tolist()
    label = {"asc": "ascending", "desc": "descending"}[direction]
    assert len(re.findall(rf'aria-sort="{label}"', html)) == 1
    # The active heading's link flips the direction; the others sort ascending first.
    flip = "desc" if direction == "asc" else "asc"
    assert f"sort={column}&amp;dir={flip}" in html


def test_methods_and_plain_english_explanations(sample_app):
    client = sample_app.test_client()
    for method in ("share", "count", "2sfca", "e2sfca"):
        html = client.get(f"/gaps?category=gp_practice&method={method}&distance=1200").get_data(as_text=True)
        assert f'value="{method}" aria-describedby="method-{method}-hint" checked' in html
        assert ("Access score (per 1,000 residents)" in headings(html)) == (method in ("2sfca", "e2sfca"))
        assert "Residents within 1,200 m of one" in headings(html)
    assert "how many places per person can reach each, shared among everyone nearby" in html
    overall = client.get("/gaps").get_data(as_text=True)
    assert "All needs (overall gap)" in overall and "Biggest gap in" in headings(overall)
    assert 'value="share" aria-describedby="method-share-hint" checked' in overall
    assert 'name="distance" type="number"' in overall and 'value="800"' in overall


@pytest.mark.parametrize(
    "query, message",
    [
        ("category=unicorns", "Category: &#39;unicorns&#39; is not a category"),
        ("method=magic", "Method: &#39;magic&#39; is not a method"),
        ("distance=far", "Distance: enter the walking distance as a number of metres"),
        ("distance=5", "Distance: enter a number of metres between 100 and 10,000"),
        ("distance=nan", "Distance: enter a number of metres between 100 and 10,000"),
    ],
)
def test_bad_choices_are_plain_400s(sample_app, query, message):
    for url in (f"/gaps?{query}", f"/gaps/export?format=csv&{query}"):
        response = sample_app.test_client().get(url)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


def test_exports_keep_every_column_in_csv_geojson_and_geopackage(sample_app, tmp_path):
    client = sample_app.test_client()
    expected = service_table(sample_app, "food_support", "e2sfca", 1000)
    args = "category=food_support&method=e2sfca&distance=1000"

    csv = client.get(f"/gaps/export?{args}&format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert 'filename="gaps_food_support_e2sfca_1000m.csv"' in csv.headers["Content-Disposition"]
    frame = pd.read_csv(io.StringIO(csv.get_data(as_text=True)))
    assert list(frame.columns) == GAP_COLUMNS
    assert frame["gap_score"].tolist() == pytest.approx(expected["gap_score"].tolist())

    geo = json.loads(client.get(f"/gaps/export?{args}&format=geojson").get_data(as_text=True))
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(expected)
    assert set(GAP_COLUMNS) <= set(geo["features"][0]["properties"])

    gpkg = client.get(f"/gaps/export?{args}&format=gpkg")
    assert gpkg.status_code == 200 and gpkg.data[:16] == b"SQLite format 3\x00"
    path = tmp_path / "gaps.gpkg"
    path.write_bytes(gpkg.data)
    back = gpd.read_file(path, layer="gaps", engine="pyogrio")
    assert set(GAP_COLUMNS) <= set(back.columns) and len(back) == len(expected)
    assert back.crs.to_epsg() == 4326
    assert back["ward_code"].tolist() == expected["ward_code"].tolist()
    assert back["access_score"].tolist() == pytest.approx(expected["access_score"].tolist())
    assert client.get(f"/gaps/export?{args}&format=xlsx").status_code == 400


def test_ward_profile_lists_places_needs_gaps_and_neighbours(sample_app):
    client = sample_app.test_client()
    html = client.get("/wards/E05900010").get_data(as_text=True)
    with sample_app.app_context():
        assets = db.session.scalars(
            select(Asset).where(Asset.ward_code == "E05900010", Asset.status == "approved")
        ).all()
        needs = pd.DataFrame(
            [(n.category_id, n.count) for n in db.session.scalars(select(Need).where(Need.ward_code == "E05900010"))],
            columns=["category", "count"],
        )
        wards = store.wards_frame()
    assert "<h1>Canal Side ward</h1>" in html
    for asset in assets:
        assert f'href="/assets/{asset.id}"' in html
    # Responses and stated needs by category, as recorded (a count table: each unit of count is one response).
    youth = needs[needs["category"] == "youth"]["count"].sum()
    assert re.search(rf"<td>Youth</td><td class=\"num\">{youth:.0f}</td><td class=\"num\">{youth:.0f}</td>", html)
    # Gap per category: a bar with the number beside it, for every category.
    bars = re.findall(r'class="bar-fill" style="width: ([\d.]+)%"></span></span> ([\d.,]+)</td>', html)
    assert len(bars) == 21
    # Bars are drawn against the ward's biggest category figure.
    top = max(float(g.replace(",", "")) for _, g in bars)
    assert all(abs(float(w) - float(g.replace(",", "")) / top * 100) < 0.2 for w, g in bars)
    expected = service_table(sample_app, "youth")
    youth_gap = expected[expected["ward_code"] == "E05900010"]["gap_score"].iloc[0]
    assert f"{youth_gap:,.2f}" in html.split(">Youth</th>")[1].split("</tr>")[0]
    # Neighbours: the wards whose outlines touch this one.
    me = wards[wards["code"] == "E05900010"].geometry.iloc[0]
    touching = sorted(wards[wards.geometry.intersects(me) & (wards["code"] != "E05900010")]["name"])
    listed = re.findall(r'<li><a href="/wards/(E\d+)[^"]*">([^<]+)</a></li>', html.split('id="neighbours-heading"')[1])
    assert sorted(name for _, name in listed) == touching and touching
    assert 'class="folium-map"' in html and "Skip the map" in html
    assert client.get("/wards/E05999999").status_code == 404


# ---------------------------------------------------------------- edge cases
def test_ward_without_population_says_so_instead_of_nan(app):
    tiny_area(app)
    client = app.test_client()
    html = client.get("/gaps?category=library").get_data(as_text=True)
    rows = records(html)
    assert rows["Ward 3"]["Population"] == "population unknown"
    assert rows["Ward 3"]["Unmet need per 1,000 residents"] == "not computed" and rows["Ward 3"]["Rank"] == "–"
    assert "population unknown" in rows["Ward 3"]["Notes"]
    assert "1 ward has no population figure" in html
    assert "not computed (population unknown) (1 ward)" in html  # the legend's grey class
    assert not re.search(r"\bnan\b", html, flags=re.I)
    assert "population unknown" in client.get("/wards/E05000003").get_data(as_text=True)
    csv = pd.read_csv(io.StringIO(client.get("/gaps/export?category=library&format=csv").get_data(as_text=True)))
    assert (
        csv.set_index("ward_code").loc["E05000003", "population"]
        != csv.set_index("ward_code").loc["E05000003", "population"]
    )


def test_asset_on_a_ward_boundary_is_counted_once(app):
    tiny_area(app)
    client = app.test_client()
    table = service_table(app, "library")
    assert table["assets_in_ward"].sum() == 1
    rows = records(client.get("/gaps?category=library").get_data(as_text=True))
    assert [rows[w]["Places in ward"] for w in ("Ward 1", "Ward 2", "Ward 3")] == ["1", "0", "0"]
    assert [rows[w]["Places in or within 800 m"] for w in ("Ward 1", "Ward 2")] == ["1", "1"]
    in_one = client.get("/wards/E05000001").get_data(as_text=True)
    in_two = client.get("/wards/E05000002").get_data(as_text=True)
    listed = in_one.split('id="assets-heading"')[1].split("</section>")[0]
    listed_two = in_two.split('id="assets-heading"')[1].split("</section>")[0]
    assert listed.count("Boundary Library</a>") == 1 and "Boundary Library" not in listed_two


def test_category_with_no_places_anywhere(app):
    tiny_area(app)
    html = app.test_client().get("/gaps?category=youth").get_data(as_text=True)
    assert "There are no youth places on the map anywhere in the area" in html
    rows = records(html)
    # Only Ward 1 asked (4 of 4,000): nobody can reach one, so all of its smoothed need is unmet.
    table = service_table(app, "youth").set_index("ward_name")
    assert rows["Ward 1"]["Unmet need per 1,000 residents"] == f"{table.loc['Ward 1', 'gap_score']:,.2f}"
    assert rows["Ward 1"]["Rank"] == "1" and rows["Ward 1"]["Share who cannot reach one"] == "100%"
    assert table.loc["Ward 1", "gap_score"] > table.loc["Ward 2", "gap_score"]
    assert rows["Ward 1"]["Responses"] == "4 few responses" and rows["Ward 1"]["Stated needs"] == "4"
    # By hand (docs/gap-analysis.md): youth rates 4/4000 and 0/6000, area rate m = 4/10000;
    # s2 = (4000 (0.001 - m)^2 + 6000 m^2) / 10000 - m / 5000 = 1.6e-7, so the weight on a ward's own
    # rate is s2 / (s2 + m / population): 8/13 for Ward 1, 12/17 for Ward 2. Smoothed per 1,000:
    # Ward 1 = 8/13 x 1 + 5/13 x 0.4 = 10/13; Ward 2 = 5/17 x 0.4 = 2/17. Nobody reaches a place: all unmet.
    assert table.loc["Ward 1", "own_rate_weight"] == pytest.approx(8 / 13)
    assert table.loc["Ward 2", "own_rate_weight"] == pytest.approx(12 / 17)
    assert table.loc["Ward 1", "gap_score"] == pytest.approx(10 / 13, abs=1e-4)
    assert table.loc["Ward 2", "gap_score"] == pytest.approx(2 / 17, abs=1e-4)
    assert (rows["Ward 1"]["Unmet need per 1,000 residents"], rows["Ward 2"]["Unmet need per 1,000 residents"]) == (
        "0.77",
        "0.12",
    )


def test_category_nobody_asked_for(app):
    tiny_area(app)
    html = app.test_client().get("/gaps?category=faith").get_data(as_text=True)
    assert "Nobody has said they need faith yet, so every gap score is 0" in html
    # Ward 3 has no population: its figure is unknown, not 0 (issue 22).
    assert {r[2] for r in table_rows(html)} == {"0.00", "not computed"}


def test_no_needs_at_all(app, tmp_path):
    tiny_area(app, needs=False)
    client = app.test_client()
    html = client.get("/gaps").get_data(as_text=True)
    assert "Nobody has said what any ward needs yet, so every gap score is 0" in html
    assert {r[2] for r in table_rows(html)} == {"0.00", "not computed"}
    assert client.get("/gaps/export?format=geojson").status_code == 200
    assert "Nobody has said what this ward needs yet" in client.get("/wards/E05000001").get_data(as_text=True)


def test_a_single_ward(app):
    tiny_area(app, wards=1)
    client = app.test_client()
    html = client.get("/gaps?category=library").get_data(as_text=True)
    assert len(table_rows(html)) == 1
    legend = html.split('class="legend"')[1].split("</figure>")[0]
    assert "(1 ward)" in legend
    assert "No other ward touches this one." in client.get("/wards/E05000001").get_data(as_text=True)
    geo = json.loads(client.get("/gaps/export?category=library&format=geojson").get_data(as_text=True))
    assert len(geo["features"]) == 1


def test_no_wards_yet(app):
    client = app.test_client()
    html = client.get("/gaps").get_data(as_text=True)
    assert "There are no wards yet" in html
    assert client.get("/gaps/export?format=csv").status_code == 404


# ---------------------------------------------------------------- honest legends
def _legend(html: str) -> tuple[str, list[tuple[str, str, int]]]:
    legend = html.split('class="legend"')[1].split("</figure>")[0]
    caption = re.sub(r"<[^>]+>", "", legend.split("<figcaption")[1].split("</figcaption>")[0].split(">", 1)[1]).strip()
    entries = [
        (c, label, int(n))
        for c, label, n in re.findall(
            r'background: (#[0-9a-f]{6})"></span><span>([^<]+) \((\d+) wards?\)</span>', legend
        )
    ]
    return caption, entries


@pytest.mark.parametrize("query", ["category=youth", "category=gp_practice&method=count", "", "category=library"])
def test_legend_counts_are_the_true_counts_and_ties_are_said(sample_app, query):
    html = sample_app.test_client().get(f"/gaps?{query}").get_data(as_text=True)
    caption, entries = _legend(html)
    fills = [v[0] for v in map_fills(html).values()]
    assert len(fills) == 16
    # Each legend row's number is how many wards the map really fills with its colour.
    assert [n for _, _, n in entries] == [fills.count(c) for c, _, _ in entries]
    assert all(re.search(r"\d", label) for _, label, _ in entries)  # numbers in every row, not colour alone
    counts = [n for _, _, n in entries]
    if len(counts) > 1 and max(counts) - min(counts) > 1:
        assert "cannot be of equal size" in caption
    assert "about equal size" not in caption and "0 classes" not in caption


def test_legend_when_every_ward_ties(sample_app):
    html = sample_app.test_client().get("/gaps?category=faith").get_data(as_text=True)
    caption, entries = _legend(html)
    assert "every ward with a figure has the same value, so there is one class" in caption
    assert entries == [(entries[0][0], "0.00", 16)]


@pytest.mark.parametrize(
    "counts, said",
    [
        ([22, 1, 1, 1, 1], "cannot be of equal size"),
        ([4, 3, 3, 3, 3], "in 5 classes by quantiles."),
        ([16], "the same value, so there is one class"),
        ([], "no ward has a figure to shade"),
    ],
)
def test_legend_caption_says_when_ties_make_classes_unequal(counts, said):
    from webmap.gaps.views import legend_caption
    from webmap.maps.choropleth import LegendEntry

    entries = [LegendEntry(f"#00000{i}", f"{i}", n) for i, n in enumerate(counts)]
    entries.append(LegendEntry("#bdbdbd", "not computed (population unknown)", 3))  # the grey class never counts
    caption = legend_caption(entries)
    assert said in caption and "about equal size" not in caption
    assert ("cannot be of equal size" in caption) == (said == "cannot be of equal size")


def test_legend_edges_never_read_the_same(sample_app):
    html = sample_app.test_client().get("/gaps?category=library").get_data(as_text=True)
    _, entries = _legend(html)
    labels = [label for _, label, _ in entries]
    assert len(set(labels)) == len(labels)
    assert not any(re.fullmatch(r"more than ([\d.,]+) up to \1", label) for label in labels)
