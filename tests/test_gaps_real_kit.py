"""The gap analysis on the real kit (Oldham, Wigan, Wirral), as a council officer would meet it.

* One population per ward: /gaps, the ward profile, the CLI, exports and the API show the same
  figure. The rule (docs/gap-analysis.md): with small-area points loaded, the sum of the points
  inside the ward. On the kit the LSOA-to-ward lookup and the points disagree for some wards
  (Ashton-in-Makerfield South: 10,756 by lookup, 9,032 by points): never two figures.
* "All needs" matches an independent geopandas recomputation of the unmet-need formula.
* No page says "nan", "None" or "0 classes", with population loaded and without it.
"""

from __future__ import annotations

import io
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tests.kit_helpers import SURVEY, invoke, kit, load_study_area
from webmap.core.db import db
from webmap.core.models import Asset, Category, Need, PopulationArea

pytestmark = pytest.mark.realdata
BAD_WORDS = [
    re.compile(r"\bnan\b", re.I),
    re.compile(r"\bNone\b"),
    re.compile(r"\b0 classes\b"),
    re.compile(r"\bundefined\b"),
]


def _figure(text: str) -> float:
    return float(text.replace(",", ""))


def assert_clean(url: str, html: str) -> None:
    """No missing value leaks into the text people read, nor into the tooltip data on the map."""
    scripts = " ".join(re.findall(r"<script[^>]*>(.*?)</script>", html, re.S))
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S))
    for word in BAD_WORDS:
        found = word.search(visible)
        assert not found, f"{url}: '{found.group(0)}' in: {visible[max(0, found.start() - 80) : found.end() + 80]}"
    for leak in ('"nan"', '"None"', '"NaN"', '": NaN', '"t_population": null'):
        assert leak not in scripts, f"{url}: {leak} in the map data"


def _table(html: str) -> dict[str, dict[str, str]]:
    table = html.split('id="gap-table"')[1].split("</table>")[0]
    heads = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table, re.S)]
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S):
        code = re.search(r"/wards/(E05\d{6})", row).group(1)
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        out[code] = dict(zip(heads, cells))
    return out


def _independent_all_needs(app, export: pd.DataFrame, distance: float = 800.0) -> pd.Series:
    """Unmet need per 1,000 for "all needs", from the database rows with plain geopandas (no webmap.analysis)."""
    with app.app_context():
        areas = db.session.execute(db.select(PopulationArea.population, PopulationArea.lon, PopulationArea.lat)).all()
        places = db.session.execute(db.select(Asset.id, Asset.lon, Asset.lat).where(Asset.status == "approved")).all()
        from webmap.core.models import asset_categories

        cats = pd.DataFrame(
            db.session.execute(db.select(asset_categories.c.asset_id, asset_categories.c.category_id)).all(),
            columns=["id", "category"],
        )
    wards = gpd.read_file(kit("boundaries", "wards", "study_area_wards.geojson")).to_crs(27700)
    people = gpd.GeoDataFrame(
        {"pop": [a[0] for a in areas]},
        geometry=gpd.points_from_xy([a[1] for a in areas], [a[2] for a in areas]),
        crs=4326,
    ).to_crs(27700)
    people = gpd.sjoin(people, wards[["ward_code", "geometry"]], predicate="intersects")
    people = people[~people.index.duplicated()]
    pop = people.groupby("ward_code")["pop"].sum()
    listed = pd.DataFrame(places, columns=["id", "lon", "lat"]).merge(cats, on="id")
    points = gpd.GeoDataFrame(listed, geometry=gpd.points_from_xy(listed["lon"], listed["lat"]), crs=4326).to_crs(27700)
    with app.app_context():
        needs = pd.DataFrame(
            db.session.execute(db.select(Need.ward_code, Need.category_id, Need.count)).all(),
            columns=["ward_code", "category", "count"],
        )
    asked = needs.groupby("category")["count"].sum()
    asked = asked[asked > 0].index
    need = (
        needs.pivot_table(index="ward_code", columns="category", values="count", aggfunc="sum")
        .reindex(index=pop.index, columns=asked)
        .fillna(0.0)
    )
    unmet = pd.DataFrame(index=pop.index, columns=asked, dtype=float)
    for category in asked:
        mine = points[points["category"] == category]
        if len(mine):
            near = gpd.sjoin_nearest(
                people[["pop", "ward_code", "geometry"]],
                mine[["geometry"]],
                max_distance=distance,
                how="left",
                distance_col="d",
            )
            near = near[~near.index.duplicated()]
            reached = near["d"].notna()
        else:
            reached = pd.Series(False, index=people.index)
        within = (
            people["pop"].where(reached.reindex(people.index, fill_value=False), 0).groupby(people["ward_code"]).sum()
        )
        unmet[category] = 1 - within.reindex(pop.index) / pop
    total = need.sum(axis=1)
    m = total.sum() / pop.sum()
    s2 = max((pop * (total / pop - m) ** 2).sum() / pop.sum() - m / pop.mean(), 0.0)
    w = s2 / (s2 + m / pop)
    area = need.sum() / pop.sum()
    rates = need.div(pop, axis=0).mul(w, axis=0) + np.outer(1 - w, area)
    return (rates * unmet).sum(axis=1) * 1000


def test_real_kit_one_population_same_gaps_and_clean_pages(app, tmp_path):
    load_study_area(app)
    client = app.test_client()

    # Independent population: each LSOA's residents at its placed point, summed inside each ward polygon.
    with app.app_context():
        rows = db.session.execute(db.select(PopulationArea.population, PopulationArea.lon, PopulationArea.lat)).all()
    points = gpd.GeoDataFrame(
        {"population": [r[0] for r in rows]},
        geometry=gpd.points_from_xy([r[1] for r in rows], [r[2] for r in rows]),
        crs=4326,
    )
    wards = gpd.read_file(kit("boundaries", "wards", "study_area_wards.geojson"))
    joined = gpd.sjoin(points, wards[["ward_code", "geometry"]], predicate="within")
    expected = joined.groupby("ward_code")["population"].sum().reindex(wards["ward_code"])
    assert expected.notna().all() and len(expected) == 67
    lookup = pd.read_csv(kit("population", "ward_population_deprivation_study_area.csv")).set_index("ward_code")
    assert (lookup["census2021_usual_residents_total"].reindex(expected.index) != expected).sum() > 0

    page = client.get("/gaps").get_data(as_text=True)
    assert_clean("/gaps", page)
    on_page = _table(page)
    export = pd.read_csv(io.BytesIO(client.get("/gaps/export?format=csv").data)).set_index("ward_code")
    out = tmp_path / "gp.csv"
    invoke(app, "gaps", "--category", "gp_practice", "--method", "2sfca", "--out", out)
    cli = pd.read_csv(out).set_index("ward_code")["population"]
    api = {
        f["properties"]["code"]: f["properties"]["population"]
        for f in json.loads(client.get("/api/wards.geojson").data)["features"]
    }

    for code, want in expected.items():
        url = f"/wards/{code}"
        profile = client.get(url).get_data(as_text=True)
        assert_clean(url, profile)
        shown = _figure(re.search(r"<dt>Population</dt><dd>([^<]+)</dd>", profile).group(1))
        figures = {
            "page": _figure(on_page[code]["Population"]),
            "export": export.loc[code, "population"],
            "cli": cli[code],
            "api": api[code],
            "profile": shown,
        }
        assert all(round(v) == round(want) for v in figures.values()), (code, want, figures)
        flagged = export.loc[code, "few_responses"]
        assert on_page[code]["Responses"].endswith("few responses") == flagged
    ashton = wards.set_index("ward_name").loc["Ashton-in-Makerfield South", "ward_code"]
    assert round(export.loc[ashton, "population"]) == 9032
    assert lookup.loc[ashton, "census2021_usual_residents_total"] == 10756

    # "All needs" under the new formula, recomputed independently for all 67 wards.
    independent = _independent_all_needs(app, export)
    np.testing.assert_allclose(export["gap_score"].reindex(independent.index), independent, atol=2e-6)

    # Every other page a visitor can reach, and the gap page for every kind of place and method.
    with app.app_context():
        from webmap.core import store

        categories = list(store.category_labels())
        outside = db.session.scalars(db.select(Asset.id).where(Asset.ward_code.is_(None)).limit(5)).all()
        some = db.session.scalars(db.select(Asset.id).order_by(Asset.id).limit(10)).all()
    urls = ["/", "/about", "/needs/new", "/partners", "/assets/new", "/gaps?deprivation=1"]
    urls += [f"/gaps?category={c}" for c in categories]
    urls += [f"/gaps?method={m}" for m in ("count", "2sfca", "e2sfca")]
    urls += [f"/assets/{i}" for i in [*some, *outside]]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_clean(url, response.get_data(as_text=True))


def test_no_population_says_which_import_is_missing_and_ranks_nothing(app, tmp_path):
    load_study_area(app, population=False)
    client = app.test_client()
    html = client.get("/gaps").get_data(as_text=True)
    assert_clean("/gaps", html)
    assert "No ward has a population figure yet" in html and "flask import-population" in html
    assert {row["Rank"] for row in _table(html).values()} == {"–"}
    out = tmp_path / "all.csv"
    output = invoke(app, "gaps", "--out", out)
    assert "No ward has a population figure yet" in output and "import-population" in output
    assert "  1. " not in output  # nothing ranked
    assert pd.read_csv(out)["rank"].isna().all()
    # A ward profile lists what residents asked for first.
    survey = pd.read_csv(SURVEY)
    code = survey["ward_code"].value_counts().index[0]
    asked = {c for cell in survey[survey["ward_code"] == code]["category"] for c in cell.split(";")}
    profile = client.get(f"/wards/{code}").get_data(as_text=True)
    assert_clean(f"/wards/{code}", profile)
    table = profile.split('id="ward-gaps-heading"')[1].split("</table>")[0]
    # Kind of place, then unmet need (the key column), then stated needs.
    rows = re.findall(
        r'<tr>\s*<th scope="row">([^<]+)</th>\s*<td[^>]*>.*?</td>\s*<td class="num"[^>]*>([\d,.]+)', table, re.S
    )
    with app.app_context():
        labels = {c.id: c.label for c in db.session.scalars(db.select(Category))}
    assert {name for name, _ in rows[: len(asked)]} == {labels[c] for c in asked}
    assert all(float(n.replace(",", "")) == 0 for _, n in rows[len(asked) :])
    assert "population unknown" in profile
    for url in ("/", "/gaps?category=youth", "/gaps?method=2sfca"):
        assert_clean(url, client.get(url).get_data(as_text=True))
