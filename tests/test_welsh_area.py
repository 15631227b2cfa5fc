"""A Welsh area from the national ward set's Welsh names: Gwynedd's 71 wards, imported with both names.

The national set (boundaries/national/wards_2013_england_wales_bgc.gpkg in the open data kit) gives
each Welsh ward its `ward_name_welsh`; 19 of Gwynedd's differ from the English (Aberdovey/Aberdyfi,
Penisarwaun/Penisa'r-waun, Bala/Y Bala ...). Imported from a GeoPackage and from a Shapefile (where
the column is cut to `ward_name_`), every ward is found by either name, typed with or without
accents and with either apostrophe.
"""

from __future__ import annotations

import warnings
from html import unescape

import pyogrio
import pytest
from sqlalchemy import select

from tests.conftest import shared_data
from tests.importing_helpers import run
from webmap.core.db import db
from webmap.core.models import Ward

pytestmark = pytest.mark.realdata

GWYNEDD = "W06000002"


@pytest.fixture(scope="module")
def gwynedd():
    """Gwynedd's rows of the national set (code, names, outline), read once."""
    path = shared_data("boundaries", "national", "wards_2013_england_wales_bgc.gpkg")
    frame = pyogrio.read_dataframe(path, layer="wards_2013", where=f"lad_code = '{GWYNEDD}'")
    assert len(frame) == 71 and (frame["ward_name"] != frame["ward_name_welsh"]).sum() == 19
    return frame


def _import(app, tmp_path, gwynedd, suffix: str):
    path = tmp_path / f"gwynedd{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL says it cut the Shapefile's long column names
        gwynedd.to_file(path)
    result = run(app, "import-wards", path)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("suffix, welsh_column", [(".gpkg", "ward_name_welsh"), (".shp", "ward_name_")])
def test_gwynedd_imports_with_both_names_from_a_geopackage_and_a_shapefile(
    app, tmp_path, gwynedd, suffix, welsh_column
):
    output = _import(app, tmp_path, gwynedd, suffix)

    assert f"Welsh names from column '{welsh_column}'" in output
    with app.app_context():
        wards = {w.code: w for w in db.session.scalars(select(Ward))}
    assert len(wards) == 71
    for row in gwynedd.itertuples():
        ward = wards[row.ward_code]
        assert ward.name == row.ward_name
        assert ward.name_cy == (row.ward_name_welsh if row.ward_name_welsh != row.ward_name else None)
    assert (wards["W05000042"].name, wards["W05000042"].name_cy) == ("Aberdovey", "Aberdyfi")


def test_every_gwynedd_ward_is_found_by_its_english_and_its_welsh_name(app, tmp_path, gwynedd):
    from webmap.places.search.wards import wards_called

    _import(app, tmp_path, gwynedd, ".gpkg")
    with app.test_request_context("/"):
        for row in gwynedd.itertuples():
            for name in {row.ward_name, row.ward_name_welsh}:
                assert row.ward_code in [w.code for w in wards_called(name)], name
                assert row.ward_code in [w.code for w in wards_called(name.upper())], name


def test_the_map_finds_gwynedd_wards_typed_in_either_language_with_accents_and_apostrophes(app, tmp_path, gwynedd):
    _import(app, tmp_path, gwynedd, ".gpkg")
    client = app.test_client()
    for typed, label in [
        ("Aberdovey", "Aberdovey"),  # the English name of a ward imported with both (what was seen)
        ("Aberdyfi", "Aberdyfi"),
        ("ABERDŶFI", "Aberdyfi"),  # a circumflex typed where the name has none
        ("Penisa'r-waun", "Penisa'r-waun"),
        ("Penisa’r-waun", "Penisa'r-waun"),  # a typographic apostrophe
        ("penisar waun", "Penisa'r-waun"),
        ("Penisarwaun", "Penisarwaun"),
        ("Y Bala", "Y Bala"),
        ("Cricieth", "Cricieth"),
        ("Criccieth", "Criccieth"),
        ("Pen-y-groes", "Pen-y-groes"),
        ("Dolgellau – Gogledd", "Dolgellau - Gogledd"),
    ]:
        html = unescape(client.get("/", query_string={"near": typed}).get_data(as_text=True))
        assert "We could not find a postcode or ward" not in html, typed
        assert f"of {label}" in html, typed
    html = unescape(client.get("/", query_string={"near": "Aberystwyth"}).get_data(as_text=True))
    assert "We could not find a postcode or ward called 'Aberystwyth'" in html


@pytest.mark.browser
def test_a_gwynedd_ward_report_prints_in_welsh_with_its_welsh_name(app, tmp_path, gwynedd, page):
    import re
    import unicodedata

    from tests.serving import serve_wsgi
    from tests.test_gaps_welsh import pdf_text
    from tests.welsh_helpers import english_left

    _import(app, tmp_path, gwynedd, ".gpkg")
    with serve_wsgi(app) as url:
        page.goto(f"{url}/wards/W05000042/report?lang=cy")
        assert page.locator("html").get_attribute("lang") == "cy"
        heading = page.locator("h1").inner_text()
        assert "Aberdyfi" in heading and "Aberdovey" not in heading
        assert english_left(page.content()) == []
        pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    flat = re.sub(r"\s+", "", unicodedata.normalize("NFKC", pdf_text(pdf)))
    assert "WardAberdyfi" in flat and "Ffigurauallweddol" in flat
