"""The importers on the real open data kit (../shared/data): Oldham, Wigan and Wirral. Skips when it is absent."""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import select

from tests.conftest import shared_data
from tests.importing_helpers import count, run
from webmap.core.db import db
from webmap.core.models import Asset, DataSource, PopulationArea, Postcode, Ward

pytestmark = pytest.mark.realdata

REPO = Path(__file__).resolve().parent.parent
CATEGORY_MAP = REPO / "data" / "category_maps" / "study_area.csv"
LA_POPULATION = {"E08000004": 242_104, "E08000010": 329_339, "E08000015": 320_197}  # SOURCES.md §3


def ok(result):
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def study_app(app):
    """The app with the 67 study-area wards imported."""
    ok(run(app, "import-wards", shared_data("boundaries", "wards", "study_area_wards.geojson")))
    return app


def ward_table(app) -> pd.DataFrame:
    with app.app_context():
        rows = db.session.execute(
            select(Ward.code, Ward.name, Ward.lad_code, Ward.population, Ward.deprivation, Ward.geom)
        ).all()
    return pd.DataFrame(rows, columns=["code", "name", "lad_code", "population", "deprivation", "geom"]).set_index(
        "code"
    )


def test_study_area_wards(app):
    path = shared_data("boundaries", "wards", "study_area_wards.geojson")
    source = gpd.read_file(path)

    result = ok(run(app, "import-wards", path, "--attribution", "Source: Office for National Statistics (OGL v3.0)"))

    assert "read 67, imported 67, updated 0, skipped 0, refused 0." in result.output
    wards = ward_table(app)
    assert len(wards) == 67
    assert wards.groupby("lad_code").size().to_dict() == {"E08000004": 20, "E08000010": 25, "E08000015": 22}
    assert wards["name"].to_dict() == dict(zip(source["ward_code"], source["ward_name"]))
    assert all(g.is_valid and g.geom_type == "MultiPolygon" for g in wards["geom"])
    # Stored on a 1e-7 degree grid: the area hardly changes.
    areas = dict(zip(source["ward_code"], shapely.area(source.geometry.to_numpy())))
    assert all(abs(wards.loc[c, "geom"].area - a) / a < 1e-4 for c, a in areas.items())
    with app.app_context():
        # Each import is recorded as a source under a readable name; the wards' carries the ONS attribution.
        attributions = list(db.session.scalars(select(DataSource.attribution)))
        assert any((a or "").startswith("Source: Office") for a in attributions), attributions


def test_wirral_wards_with_wd13_columns(app):
    path = shared_data("boundaries", "wards", "wirral_wards_bgc.geojson")

    result = ok(run(app, "import-wards", path))

    assert "read 22, imported 22" in result.output
    wards = ward_table(app)
    assert sorted(wards.index) == [f"E05000{n}" for n in range(954, 976)]
    source = gpd.read_file(path)
    assert wards["name"].to_dict() == dict(zip(source["WD13CD"], source["WD13NM"]))


def test_codepoint_open_postcodes(study_app):
    path = shared_data("postcodes", "codepoint_open_2025-10_study_area.csv")
    source = pd.read_csv(path, dtype=str)

    started = time.perf_counter()
    result = ok(run(study_app, "import-postcodes", path))
    seconds = time.perf_counter() - started

    assert "read 22575, imported 22575, updated 0" in result.output
    assert count(study_app, Postcode) == 22_575 == len(source)
    with study_app.app_context():
        ours = dict(db.session.execute(select(Postcode.postcode, Postcode.ward_code)).all())
    agree = sum(ours[p] == w for p, w in zip(source["postcode"], source["admin_ward_code"]))
    print(
        f"\nimport-postcodes: 22,575 Code-Point Open rows in {seconds:.1f} s; "
        f"ward by point-in-polygon equals Code-Point's admin_ward_code for {agree:,} ({agree / len(source):.2%})"
    )
    assert agree / len(source) >= 0.99


def test_lsoa_population_sums_to_the_local_authority_totals(study_app):
    table = shared_data("population", "census2021_lsoa21_usual_residents_by_age_ew.csv.gz")
    lookup = shared_data("lookups", "lsoa_to_ward_best_fit_study_area.csv")

    without_vintage = run(study_app, "import-population", table, "--lookup", lookup)
    assert without_vintage.exit_code != 0 and "--lsoa-vintage" in without_vintage.output

    result = ok(run(study_app, "import-population", table, "--lookup", lookup, "--lsoa-vintage", "2021"))

    assert "imported 551, updated 67" in result.output
    assert count(study_app, PopulationArea) == 551
    wards = ward_table(study_app)
    assert wards.groupby("lad_code")["population"].sum().to_dict() == LA_POPULATION
    assert wards["population"].notna().all()


def test_ward_level_population_and_deprivation(study_app):
    path = shared_data("population", "ward_population_deprivation_study_area.csv")
    source = pd.read_csv(path).set_index("ward_code")

    result = ok(run(study_app, "import-population", path))

    assert "read 67, imported 0, updated 67, skipped 0, refused 0." in result.output
    wards = ward_table(study_app)
    assert wards["population"].to_dict() == source["census2021_usual_residents_total"].astype(float).to_dict()
    assert wards["deprivation"].to_dict() == source["imd2019_popweighted_mean_decile"].astype(float).to_dict()
    assert wards.groupby("lad_code")["population"].sum().to_dict() == LA_POPULATION


def test_study_area_assets_with_category_map(study_app):
    path = shared_data("assets", "study_area", "community_assets_study_area.geojson")
    source = gpd.read_file(path)
    mapping = pd.read_csv(CATEGORY_MAP)
    assert set(source["category"]) == set(mapping["value"]), "the map covers every category value in the file"

    without_map = run(study_app, "import-assets", path)
    assert without_map.exit_code != 0 and "school_or_education" in without_map.output
    result = ok(run(study_app, "import-assets", path, "--category-map", CATEGORY_MAP))

    assert "read 1565, imported 1565, updated 0, skipped 0, refused 0." in result.output
    with study_app.app_context():
        assets = {a.source_id: (a.ward_code, a.category_ids()) for a in db.session.scalars(select(Asset))}
    assert len(assets) == 1565
    assert all(ward for ward, _ in assets.values())
    same = sum(assets[i][0] == w for i, w in zip(source["asset_id"], source["ward_code"]))
    print(f"\nimport-assets: {same} of {len(source)} assets ({same / len(source):.2%}) are in the ward the file names")
    assert same / len(source) >= 0.99
    to_id = dict(zip(mapping["value"], mapping["category"]))
    assert all(assets[i][1] == [to_id[c]] for i, c in zip(source["asset_id"], source["category"]))

    again = ok(run(study_app, "import-assets", path, "--category-map", CATEGORY_MAP))
    assert "imported 0, updated 1565" in again.output and count(study_app, Asset) == 1565


def test_gm_post_office_polygons_become_points_and_outsiders_are_skipped(study_app, tmp_path):
    path = shared_data("assets", "greater_manchester", "gm_post_offices.geojson")
    source = gpd.read_file(path)
    mapping = tmp_path / "po.csv"
    mapping.write_text("value,category\nPost Office,public_service\n")
    in_study_las = int(source["area_name"].isin(["Oldham", "Wigan"]).sum())

    result = ok(run(study_app, "import-assets", path, "--category-col", "CLASSIFICA", "--category-map", mapping))

    # Post offices beyond the study area but within 800 m of one of its wards are kept "outside the area".
    wards = gpd.read_file(shared_data("boundaries", "wards", "study_area_wards.geojson")).to_crs(27700)
    points = source.geometry.representative_point().to_crs(27700)
    near = (points.distance(wards.union_all()) <= 800) & ~source["area_name"].isin(["Oldham", "Wigan"])
    outside = len(source) - in_study_las - int(near.sum())
    assert near.sum() > 0 and f"kept {int(near.sum())} places outside the area but within 800 m" in result.output
    assert (
        f"read {len(source)}, imported {in_study_las + int(near.sum())}, updated 0, skipped {outside}, refused 0."
        in result.output
    )
    assert f"skipped {outside}: the point is more than 800 m outside every ward" in result.output
    assert "rows outside every ward: " in result.output
    with study_app.app_context():
        assets = db.session.execute(select(Asset.source_id, Asset.lon, Asset.lat, Ward.lad_code).join(Ward)).all()
    assert len(assets) == in_study_las
    polygons = dict(zip(source["ID"], source.geometry))
    la_of = dict(zip(source["ID"], source["area_code"]))
    assert all(polygons[a.source_id].contains(shapely.Point(a.lon, a.lat)) for a in assets)
    assert all(a.lad_code == la_of[a.source_id] for a in assets)


def test_national_ward_file(app):
    path = shared_data("boundaries", "national", "wards_2013_england_wales_bgc.gpkg")
    started = time.perf_counter()
    result = ok(run(app, "import-wards", path))
    seconds = time.perf_counter() - started
    print(f"\nimport-wards: 8,533 England and Wales wards in {seconds:.1f} s")
    assert "read 8533, imported 8533" in result.output
    assert "repaired 1 invalid geometries with make_valid" in result.output
    assert count(app, Ward) == 8533
