"""Everything a person can be shown says "unknown" as unknown (issue 22, item 4).

Every GET route of the app, with real arguments, is read as a resident and as an admin on three
set-ups: the sample area, the real open data kit with the made-up survey, and an area with wards
and places but no population and no needs. Every route answers 200, and no page, CSV, GeoJSON,
GeoPackage attribute, ORUK or OpenAPI-described JSON shows "nan", "None", "NaN", "undefined" or
"null" as text. Where population is unknown, the columns documented as unknown without it
(docs/gap-analysis.md) are empty or null, never 0.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
from pathlib import Path

import geopandas as gpd
import pytest
from sqlalchemy import select

from tests.conftest import REPO, login, make_staff
from webmap.core.db import db
from webmap.core.models import Asset, Ward

BAD_TEXT = re.compile(r"\b(nan|NaN|None|undefined|null)\b")
BAD_VALUES = {"nan", "NaN", "None", "none", "undefined", "null", "NULL", "inf", "-inf"}
# Routes that serve files from disk, not data.
FILE_ROUTES = {"static", "vendor.static_file"}
# Routes whose argument is a secret link token: a made-up one gives the page people see when a link has expired.
TOKEN_ROUTES = {
    "groups.confirm_claim",
    "groups.signin_link",
    "notify.recheck",
    "notify.stop",
    "staff.set_password",
    "feedback.unsubscribe",
}
# Without a population, these gap-table columns cannot be worked out (docs/gap-analysis.md): empty / null, never 0.
UNKNOWN_WITHOUT_POPULATION = (
    "population",
    "need_per_1000",
    "area_need_per_1000",
    "need_per_1000_smoothed",
    "gap_score",
    "unmet_residents",
    "rank",
    "assets_per_1000",
    "access_share",
    "unmet_share",
)
ADMIN = "admin-crawl@example.gov.uk"
MANAGER = "manager-crawl@example.org"
# Pages only a listing's manager (signed in by a one-time link) may open.
MANAGER_ROUTES = {"groups.edit", "groups.exchange"}


def _tile(lon: float, lat: float, z: int = 14) -> dict:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return {"z": z, "x": x, "y": y}


def _arguments(app, client) -> dict:
    """Real values for route arguments: the busiest ward, an approved place, ORUK ids read from the feed."""
    with app.app_context():
        ward = db.session.scalars(select(Ward.code).order_by(Ward.code)).first()
        asset = db.session.scalars(
            select(Asset).where(Asset.status == "approved", Asset.ward_code.is_not(None)).order_by(Asset.id)
        ).first()
        # A listing with a private contact address, so its contact form (the relay) is a page too.
        asset.contact_email = asset.contact_email or "crawl-group@example.org"
        db.session.commit()
        values = {
            "code": ward,
            "asset_id": asset.id,
            **_tile(asset.lon, asset.lat),
            "query": {"api.nearby": {"lat": asset.lat, "lon": asset.lon, "radius": 2000}},
        }
    services = client.get("/oruk/services?per_page=1").get_json()
    values["oruk.service"] = values["oruk.service_at_location"] = None
    if services and services.get("contents"):
        service = services["contents"][0]
        values["oruk.service"] = service["id"]
        sal = client.get("/oruk/service_at_locations?per_page=1").get_json()
        values["oruk.service_at_location"] = sal["contents"][0]["id"]
    taxonomies = client.get("/oruk/taxonomies").get_json()
    values["oruk.taxonomy"] = taxonomies["contents"][0]["id"]
    terms = client.get("/oruk/taxonomy_terms?per_page=1").get_json()
    values["oruk.taxonomy_term"] = terms["contents"][0]["id"]
    return values


def route_urls(app, values: dict) -> list[tuple[str, str]]:
    """Return (endpoint, URL) for every GET route, each filled with real arguments; fail on a route it cannot fill."""
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in FILE_ROUTES:
            continue
        args = {}
        for arg in rule.arguments:
            if arg == "fmt":
                continue
            if rule.endpoint in TOKEN_ROUTES:
                args[arg] = "made-up-token-0000"
            elif arg == "id":
                args[arg] = values[rule.endpoint]
            elif arg == "job_id":
                args[arg] = values.get("job_id")
            else:
                assert arg in values, f"no real value for <{arg}> of {rule.rule}: add one to this test"
                args[arg] = values[arg]
        if any(v is None for v in args.values()):
            continue  # e.g. no import job in this set-up
        formats = ["csv", "geojson"] if "fmt" in rule.arguments else [None]
        with app.test_request_context():
            for fmt in formats:
                query = values["query"].get(rule.endpoint, {})
                out.append(
                    (rule.endpoint, app.url_for(rule.endpoint, **args, **query, **({"fmt": fmt} if fmt else {})))
                )
    return out


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    # Attribute values people read: alt text, titles, labels and form values.
    said = " ".join(re.findall(r'\b(?:alt|title|aria-label|value|placeholder)="([^"]*)"', html))
    return re.sub(r"<[^>]+>", " ", html) + " " + said


def _json_problems(url: str, value, path: str = "$") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _json_problems(url, v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _json_problems(url, v, f"{path}[{i}]")]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{url}: {path} is {value}"]
    if isinstance(value, str) and (value.strip() in BAD_VALUES or BAD_TEXT.search(re.sub(r"<[^>]+>", " ", value))):
        if path.startswith("$.components") or path.startswith("$.paths"):
            return []  # the OpenAPI document describes "nullable" types in words of its own
        return [f"{url}: {path} = {value[:120]!r}"]
    return []


def check_body(url: str, content_type: str, body: bytes) -> tuple[list[str], list[dict]]:
    """Return (problems, table rows) for one response: its text, or its cells and values."""
    kind = content_type.split(";")[0].strip()
    if kind == "text/html":
        text = _visible(body.decode("utf-8"))
        return [
            f"{url}: '{m.group(0)}' in: {text[max(0, m.start() - 80) : m.end() + 80]!r}"
            for m in BAD_TEXT.finditer(text)
        ][:3], []
    if kind == "text/csv":
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        bad = [
            f"{url}: row {i + 2} {k} = {v!r}"
            for i, r in enumerate(rows)
            for k, v in r.items()
            if (v or "").strip() in BAD_VALUES
        ]
        return bad[:3], rows
    if kind == "application/geopackage+sqlite3":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "x.gpkg"
            path.write_bytes(body)
            frame = gpd.read_file(path)
        rows = frame.drop(columns="geometry").to_dict("records")
        bad = [
            f"{url}: {k} = {v!r}" for r in rows for k, v in r.items() if isinstance(v, str) and v.strip() in BAD_VALUES
        ]
        return bad[:3], rows
    if "json" in kind:
        data = json.loads(body.decode("utf-8"), parse_constant=lambda c: float(c))
        rows = [f.get("properties", {}) for f in data.get("features", [])] if isinstance(data, dict) else []
        return _json_problems(url, data)[:3], rows
    return [], []


def crawl(app, client, urls: list[tuple[str, str]], extra: list[str] = ()) -> dict[str, list[dict]]:
    """GET each URL (following redirects), assert 200, check what it shows; return the tables it gave."""
    problems, tables = [], {}
    for endpoint, url in list(urls) + [("", u) for u in extra]:
        response = client.get(url, follow_redirects=True)
        if endpoint in TOKEN_ROUTES:
            assert response.status_code in (200, 400, 404, 410), f"{url}: {response.status_code}"
        else:
            assert response.status_code == 200, f"{url} ({endpoint}): {response.status_code}"
        found, rows = check_body(url, response.content_type or "", response.get_data())
        problems += found
        tables[url] = rows
    assert not problems, "\n".join(problems[:30])
    return tables


def _manager(app, asset_id: int):
    """Return a client signed in, by a real one-time link, as the manager of the listing."""
    from tests.conftest import csrf_token
    from webmap.groups.listings import add_manager
    from webmap.groups.tokens import issue

    with app.app_context():
        add_manager(db.session.get(Asset, asset_id), MANAGER, "Mo Manager", "test", "test")
        secret = issue("signin", MANAGER, 30)
        db.session.commit()
    client = app.test_client()
    path = f"/groups/sign-in/{secret}"
    assert client.post(path, data={"csrf_token": csrf_token(client, path)}).status_code == 302
    return client


def read_everything(app, extra: list[str] = ()) -> dict[str, list[dict]]:
    """Crawl every route as a resident, a listing's manager and an admin; return the admin's tables by URL."""
    make_staff(app, ADMIN, role="admin")
    staff = app.test_client()
    assert login(staff, ADMIN).status_code == 302
    values = _arguments(app, staff)
    urls = route_urls(app, values)
    managed = [(e, u) for e, u in urls if e in MANAGER_ROUTES or e == "groups.mine"]
    crawl(app, _manager(app, values["asset_id"]), managed)
    urls = [(e, u) for e, u in urls if e not in MANAGER_ROUTES]
    everyone = app.test_client()
    public = [(e, u) for e, u in urls if everyone.get(u).status_code not in (302, 401, 403)]
    crawl(app, everyone, public, extra)
    return crawl(app, staff, urls, [*extra, *_gap_exports()])


def _gap_exports() -> list[str]:
    return [
        f"/gaps/export?format={f}&category={c}" for f in ("csv", "geojson", "gpkg") for c in ("all", "food_support")
    ]


def _unknown_columns_are_empty(tables: dict[str, list[dict]]) -> None:
    checked = 0
    for url, rows in tables.items():
        if not url.startswith("/gaps/export"):
            continue
        for row in rows:
            for column in UNKNOWN_WITHOUT_POPULATION:
                if column in row:
                    value = row[column]
                    empty = value in ("", None) or (isinstance(value, float) and math.isnan(value))
                    assert empty, f"{url}: {column} = {value!r} with no population (documented as unknown)"
                    checked += 1
    assert checked, "no gap export was read"


def _edge_place_and_web_need(app) -> None:
    """A place kept just outside the area (no ward), a need from the web form beside a survey round: each once showed "nan"."""
    from datetime import date

    import shapely

    from webmap.core import store
    from webmap.core.models import Category, Need, SurveyRound

    with app.app_context():
        ward = db.session.scalars(select(Ward).order_by(Ward.code)).first()
        minx, miny, _, maxy = store.wards_frame().total_bounds
        lon, lat = round(minx - 0.003, 6), round((miny + maxy) / 2, 6)
        place = Asset(
            name="Bickleigh Edge School",
            lon=lon,
            lat=lat,
            geom=shapely.Point(lon, lat),
            kind="venue",
            source="resident",
            status="approved",
            ward_code=None,
            categories=[db.session.get(Category, "education")],
        )
        db.session.add(place)
        db.session.add(Need(ward_code=ward.code, category_id="youth", count=1.0, source="web form"))
        spring = SurveyRound(name="Spring 2026 survey", held_on=date(2026, 3, 31))
        db.session.add(spring)
        db.session.flush()
        db.session.add(
            Need(
                ward_code=ward.code,
                category_id="youth",
                count=3.0,
                source="survey",
                round_id=spring.id,
                asked_on=spring.held_on,
            )
        )
        db.session.commit()


def test_sample_area_shows_nothing_unknown_as_a_value(sample_app):
    _edge_place_and_web_need(sample_app)
    read_everything(sample_app, extra=["/?q=Bickleigh", "/embed?q=Bickleigh", "/gaps?method=count&deprivation=1"])


def test_area_without_population_or_needs_says_unknown(app, tmp_path):
    from webmap.importers.assets import import_assets
    from webmap.importers.wards import import_wards

    wards = gpd.read_file(REPO / "data" / "boundaries" / "sample_wards.geojson")
    path = tmp_path / "wards_only.geojson"
    wards[["ward_code", "ward_name", "lad_code", "lad_name", "geometry"]].to_file(path, driver="GeoJSON")
    with app.app_context():
        import_wards(path)
        import_assets(REPO / "data" / "assets" / "sample_assets.geojson", source="sample")
        db.session.commit()
    tables = read_everything(app)
    _unknown_columns_are_empty(tables)


@pytest.mark.realdata
def test_real_kit_shows_nothing_unknown_as_a_value(app):
    from tests.kit_helpers import load_study_area

    load_study_area(app)
    read_everything(app, extra=["/gaps?category=youth", "/needs/?ward=E05014989"])
