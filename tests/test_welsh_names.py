"""Welsh names: wards, categories and places keep both languages' names, and either finds them.

Ward files name the Welsh column as ONS does (WD23NMW), as the national set does (ward_name_welsh)
or cut to 10 characters by the Shapefile format (ward_name_); places may carry name_cy and
description_cy. Search folds case, accents and apostrophes both ways. The search-equality test at
the end runs on whichever database the suite runs on (SQLite, or PostGIS with
WEBMAP_TEST_DATABASE_URL), so `make test` compares both with the same expected places.
"""

from __future__ import annotations

import csv
import io
import warnings
from html import unescape

import pytest
from sqlalchemy import select, text

from tests.importing_helpers import box, run, write_csv, write_vector
from tests.test_scale_search import BY_VIEW, _found
from webmap.core.db import db
from webmap.core.models import Asset, Category, Ward

SMALL = {"VIEWPORT_ABOVE_WARDS": 400}

# Three small wards in Gwynedd, well apart: (code, English name, Welsh name, west, south).
WARDS = [
    ("W05000042", "Aberdovey", "Aberdyfi", -4.06, 52.53),
    ("W05000094", "Penisarwaun", "Penisa’r-waun", -4.17, 53.14),
    ("W05000999", "Llechan Green", "Llechan Lân", -4.30, 52.90),
]
SIZE = 0.02  # degrees: about 1.3 km east-west and 2.2 km north-south


def ward_records(english: str = "ward_name", welsh: str = "ward_name_welsh", code: str = "ward_code") -> list[dict]:
    return [{code: c, english: en, welsh: cy, "geometry": box(x, y, x + SIZE, y + SIZE)} for c, en, cy, x, y in WARDS]


def centre(code: str) -> tuple[float, float]:
    x, y = next((x, y) for c, _, _, x, y in WARDS if c == code)
    return x + SIZE / 2, y + SIZE / 2


def names(app) -> dict[str, tuple[str, str | None, str | None]]:
    with app.app_context():
        return {w.code: (w.name, w.name_cy, w.search_text) for w in db.session.scalars(select(Ward))}


def refused(result, *parts: str) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for part in parts:
        assert part in result.output, result.output
    return result.output


# --- Wards ------------------------------------------------------------------------------------


def test_a_geopackage_of_the_national_set_gives_both_names(app, tmp_path):
    path = write_vector(tmp_path / "wards.gpkg", ward_records())

    result = run(app, "import-wards", path)

    assert result.exit_code == 0, result.output
    assert "Welsh names from column 'ward_name_welsh'" in result.output
    found = names(app)
    assert found["W05000042"] == ("Aberdovey", "Aberdyfi", "aberdovey|aberdyfi")
    assert found["W05000094"][:2] == ("Penisarwaun", "Penisa’r-waun")
    assert found["W05000999"][2] == "llechan green|llechan lan"


@pytest.mark.parametrize("year", ["13", "23"])
def test_ons_welsh_name_columns_are_found_by_themselves(app, tmp_path, year):
    path = write_vector(
        tmp_path / "ons.shp", ward_records(f"WD{year}NM", f"WD{year}NMW", f"WD{year}CD"), driver="ESRI Shapefile"
    )

    result = run(app, "import-wards", path)

    assert result.exit_code == 0, result.output
    assert f"names from 'WD{year}NM'" in result.output and f"Welsh names from column 'WD{year}NMW'" in result.output
    assert names(app)["W05000094"][:2] == ("Penisarwaun", "Penisa’r-waun")


def test_a_welsh_name_equal_to_the_english_is_not_kept_twice(app, tmp_path):
    records = ward_records()
    records[0]["ward_name_welsh"] = "Aberdovey"
    assert run(app, "import-wards", write_vector(tmp_path / "w.gpkg", records)).exit_code == 0
    assert names(app)["W05000042"] == ("Aberdovey", None, "aberdovey")


def shapefile_of_the_national_set(tmp_path, records=None):
    """As geopandas writes the national set: ward_code_old -> ward_code_, ward_name_welsh -> ward_name_."""
    records = records or [{**r, "ward_code_old": "00NCQB"} for r in ward_records()]
    return write_shapefile(tmp_path / "council.shp", records)


def write_shapefile(path, records):
    """Write a Shapefile with long column names, which the format cuts to 10 characters (and GDAL warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return write_vector(path, records, driver="ESRI Shapefile")


def test_a_shapefile_s_truncated_welsh_column_is_found_by_itself(app, tmp_path):
    path = shapefile_of_the_national_set(tmp_path)

    result = run(app, "import-wards", path)

    assert result.exit_code == 0, result.output
    assert "names from 'ward_name'" in result.output and "Welsh names from column 'ward_name_'" in result.output
    assert names(app)["W05000042"][:2] == ("Aberdovey", "Aberdyfi")


def test_the_long_column_names_given_as_options_find_the_truncated_columns(app, tmp_path):
    path = shapefile_of_the_national_set(tmp_path)

    result = run(app, "import-wards", path, "--name-cy-col", "ward_name_welsh")
    assert result.exit_code == 0, result.output
    assert names(app)["W05000042"][:2] == ("Aberdovey", "Aberdyfi")


def test_naming_the_welsh_column_as_the_name_keeps_the_english_name_too(app, tmp_path):
    # What was seen: "--name-col ward_name_welsh" gave Welsh names only, and on a Shapefile was refused.
    for path in (write_vector(tmp_path / "w.gpkg", ward_records()), shapefile_of_the_national_set(tmp_path)):
        result = run(app, "import-wards", path, "--name-col", "ward_name_welsh")
        assert result.exit_code == 0, result.output
        assert names(app)["W05000042"][:2] == ("Aberdovey", "Aberdyfi"), path
    client = app.test_client()
    for near in ("Aberdovey", "Aberdyfi"):
        html = client.get("/", query_string={"near": near}).get_data(as_text=True)
        assert "We could not find a postcode or ward" not in html, near


def test_an_english_only_import_keeps_the_welsh_names_already_there(app, tmp_path):
    assert run(app, "import-wards", write_vector(tmp_path / "w.gpkg", ward_records())).exit_code == 0
    english = [{k: v for k, v in r.items() if k != "ward_name_welsh"} for r in ward_records()]
    assert run(app, "import-wards", write_vector(tmp_path / "english.geojson", english)).exit_code == 0
    assert names(app)["W05000042"] == ("Aberdovey", "Aberdyfi", "aberdovey|aberdyfi")


def test_an_ambiguous_truncated_column_is_refused_naming_the_file_and_column(app, tmp_path):
    records = [{**r, "ward_name_english": r["ward_name"]} for r in ward_records()]
    path = write_shapefile(tmp_path / "council.shp", records)

    output = refused(run(app, "import-wards", path), "council.shp", "'ward_name_'", "'ward_nam_1'", "--name-cy-col")
    assert "cut to 10 characters" in output
    # Naming the column itself settles it.
    result = run(app, "import-wards", path, "--name-cy-col", "ward_name_")
    assert result.exit_code == 0, result.output
    assert names(app)["W05000042"][:2] == ("Aberdovey", "Aberdyfi")


# --- Categories and places --------------------------------------------------------------------


def test_every_category_has_a_welsh_label_and_description(app):
    with app.app_context():
        categories = list(db.session.scalars(select(Category)))
        assert categories and all(c.label_cy and c.description_cy for c in categories)
        assert db.session.get(Category, "library").label_cy == "Llyfrgell"


def test_a_categories_csv_with_welsh_columns_is_read(app, tmp_path):
    from webmap.importers.categories import import_categories

    path = write_csv(
        tmp_path / "c.csv",
        ["id", "label", "label_cy", "description", "description_cy"],
        [["play_area", "Play area", "Man chwarae", "Swings and slides.", "Siglenni a llithrennau."]],
    )
    with app.app_context():
        import_categories(path)
        db.session.commit()
        category = db.session.get(Category, "play_area")
        assert (category.label_cy, category.description_cy) == ("Man chwarae", "Siglenni a llithrennau.")


PLACES = [  # (id, English name, Welsh name, Welsh description, ward)
    ("hall", "Aberdovey Community Hall", "Neuadd Gymunedol Aberdyfi", "Neuadd i grwpiau lleol.", "W05000042"),
    ("chapel", "Penisarwaun Chapel", "Capel Penisa’r-waun", "Capel ac ystafell gymunedol.", "W05000094"),
    ("cafe", "Green Café", "Caffi Llechan Lân", None, "W05000999"),
]


@pytest.fixture
def welsh_area(app, tmp_path):
    """The three wards with both names, and a place in each with its Welsh name; {key: asset id}."""
    assert run(app, "import-wards", write_vector(tmp_path / "wards.gpkg", ward_records())).exit_code == 0
    rows = [[key, en, cy, desc or "", "community_space", *centre(ward)] for key, en, cy, desc, ward in PLACES]
    # The national set's spelling of the column for one of them: name_welsh.
    path = write_csv(
        tmp_path / "places.csv",
        ["id", "name", "name_welsh", "description_cy", "category", "longitude", "latitude"],
        rows,
    )
    result = run(app, "import-assets", path, "--source", "welsh-test")
    assert result.exit_code == 0, result.output
    with app.app_context():
        return {a.source_id: a.id for a in db.session.scalars(select(Asset))}


def test_places_keep_their_welsh_name_and_description_and_are_searched_by_them(app, welsh_area):
    with app.app_context():
        chapel = db.session.get(Asset, welsh_area["chapel"])
        assert (chapel.name_cy, chapel.description_cy) == ("Capel Penisa’r-waun", "Capel ac ystafell gymunedol.")
        stored = db.session.execute(text("SELECT search_text FROM assets WHERE id = :id"), {"id": chapel.id}).scalar()
        assert stored == "penisarwaun chapel capel penisar waun capel ac ystafell gymunedol"
        # An edit (the submission form, moderation) keeps the column in step through the model.
        chapel.description_cy = "Capel a festri."
        db.session.commit()
        stored = db.session.execute(text("SELECT search_text FROM assets WHERE id = :id"), {"id": chapel.id}).scalar()
        assert stored.endswith("capel a festri")


def test_exports_and_the_oruk_feed_keep_both_names(app, welsh_area):
    client = app.test_client()
    rows = list(csv.DictReader(io.StringIO(client.get("/export/assets.csv").get_data(as_text=True))))
    chapel = next(r for r in rows if r["id"] == str(welsh_area["chapel"]))
    assert (chapel["name"], chapel["name_cy"]) == ("Penisarwaun Chapel", "Capel Penisa’r-waun")
    assert chapel["description_cy"] == "Capel ac ystafell gymunedol."
    services = client.get("/oruk/services").get_json()["contents"]
    chapel = next(s for s in services if s["name"] == "Penisarwaun Chapel")
    assert chapel["alternate_name"] == "Capel Penisa’r-waun"
    cafe = next(s for s in services if s["name"] == "Green Café")
    assert cafe["alternate_name"] == "Caffi Llechan Lân"


# --- The same search results on either database -----------------------------------------------

# (query string, the places listed). Typed with and without accents, straight and typographic
# apostrophes, in English and in Welsh.
SEARCHES = [
    ("q=Neuadd", {"hall"}),
    ("q=neuadd+gymunedol", {"hall"}),
    ("q=Aberdyfi", {"hall"}),
    ("q=Llechan+Lan", {"cafe"}),
    ("q=caffi+l%C3%A2n", {"cafe"}),
    ("q=LLECHAN+L%C3%82N", {"cafe"}),
    ("q=cafe", {"cafe"}),
    ("q=Penisa%27r-waun", {"chapel"}),
    ("q=Penisa%E2%80%99r-waun", {"chapel"}),
    ("q=penisarwaun", {"chapel"}),
    ("q=ystafell", {"chapel"}),
    ("q=capel", {"chapel"}),
    ("q=zzzz", set()),
    ("near=Aberdovey", {"hall"}),
    ("near=Aberdyfi", {"hall"}),
    ("near=aberdyfi", {"hall"}),
    ("near=Penisarwaun", {"chapel"}),
    ("near=Penisa%27r-waun", {"chapel"}),
    ("near=Penisa%E2%80%99r-waun", {"chapel"}),
    ("near=penisar+waun", {"chapel"}),
    ("near=Llechan+Lan", {"cafe"}),
    ("near=Llechan+L%C3%A2n", {"cafe"}),
    ("near=Llechan+Green", {"cafe"}),
    ("q=neuadd&near=Aberdovey", {"hall"}),
    ("q=neuadd&near=Llechan+Lan", set()),
]


def _listed(app, client, query: str) -> tuple[set[str], set[str]]:
    app.config.update(SMALL)
    small = _found(client.get(f"/?{query}").get_data(as_text=True))[1]
    app.config.update(BY_VIEW)
    big = _found(client.get(f"/?{query}").get_data(as_text=True))[1]
    return set(small), set(big)


def test_the_same_searches_list_the_same_places_on_this_database(app, welsh_area):
    client = app.test_client()
    by_id = {str(v): k for k, v in welsh_area.items()}
    for query, wanted in SEARCHES:
        small, big = _listed(app, client, query)
        assert small == big, query  # the database's narrowing agrees with the exact filter
        assert {by_id[i] for i in small} == wanted, query


def test_a_ward_typed_in_either_language_is_named_as_typed(app, welsh_area):
    client = app.test_client()
    for typed, label in [
        ("Aberdovey", "Aberdovey"),
        ("aberdyfi", "Aberdyfi"),
        ("Penisa'r waun", "Penisa’r-waun"),
        ("LLECHAN LAN", "Llechan Lân"),
    ]:
        html = unescape(client.get("/", query_string={"near": typed}).get_data(as_text=True))
        assert "We could not find a postcode or ward" not in html, typed
        assert f"of {label}" in html, typed
    html = unescape(client.get("/", query_string={"near": "Aberystwyth"}).get_data(as_text=True))
    assert "We could not find a postcode or ward called 'Aberystwyth'" in html


def test_the_sample_area_shows_bilingual_data(sample_app):
    with sample_app.app_context():
        millbrook = db.session.scalars(select(Ward).where(Ward.name == "Millbrook")).one()
        assert millbrook.name_cy == "Nant-y-felin"
        welsh = dict(db.session.execute(select(Asset.source_id, Asset.id).where(Asset.name_cy.isnot(None))).all())
    assert len(welsh) == 4
    client = sample_app.test_client()
    for query, wanted in [
        ("q=llyfrgell", {welsh["sample-0246"], welsh["sample-0266"]}),
        ("q=Dol+y+Brenin", {welsh["sample-0266"]}),
        ("q=pantri", {welsh["sample-0003"]}),
    ]:
        small, big = _listed(sample_app, client, query)
        assert small == big and {int(i) for i in small} == wanted, query
    html = unescape(client.get("/", query_string={"near": "nant y felin"}).get_data(as_text=True))
    assert "We could not find a postcode or ward" not in html and "of Nant-y-felin" in html
