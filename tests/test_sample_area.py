"""Checks on the fictional sample area written by scripts/make_sample_area.py."""

from __future__ import annotations

import re
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
SCRIPT = REPO / "scripts" / "make_sample_area.py"
GENERATED = [
    "boundaries/sample_wards.geojson",
    "assets/sample_assets.geojson",
    "postcodes/sample_postcodes.csv",
    "assets/sample_needs.csv",
    "README.md",
]
POSTCODE = re.compile(r"^XX[1-6] [0-9][ABDEFGHJLNPQRSTUWXYZ]{2}$")


@pytest.fixture(scope="module")
def wards() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "boundaries" / "sample_wards.geojson")


@pytest.fixture(scope="module")
def assets() -> gpd.GeoDataFrame:
    return gpd.read_file(DATA / "assets" / "sample_assets.geojson")


@pytest.fixture(scope="module")
def postcodes() -> pd.DataFrame:
    return pd.read_csv(DATA / "postcodes" / "sample_postcodes.csv", dtype={"postcode": str})


@pytest.fixture(scope="module")
def needs() -> pd.DataFrame:
    return pd.read_csv(DATA / "assets" / "sample_needs.csv", keep_default_na=False)


@pytest.fixture(scope="module")
def category_ids() -> set[str]:
    return set(pd.read_csv(DATA / "categories.csv")["id"])


def containing_ward(wards: gpd.GeoDataFrame, points) -> np.ndarray:
    """Ward code containing each point; fails unless exactly one ward contains it."""
    inside = shapely.contains(wards.geometry.to_numpy()[:, None], np.asarray(points)[None, :])
    assert (inside.sum(axis=0) == 1).all(), "a point is in no ward or in more than one"
    return wards["ward_code"].to_numpy()[inside.argmax(axis=0)]


def test_files_exist_and_parse(wards, assets, postcodes, needs):
    for name in GENERATED:
        assert (DATA / name).is_file(), name
    assert wards.crs.to_epsg() == 4326 and assets.crs.to_epsg() == 4326
    assert len(assets) >= 250 and len(postcodes) >= 350 and len(needs) >= 60
    assert "fictional" in (DATA / "README.md").read_text(encoding="utf-8").lower()


def test_wards_tile_the_borough(wards):
    assert len(wards) == 16
    assert wards["ward_code"].tolist() == [f"E05900{i:03d}" for i in range(1, 17)]
    assert wards["ward_name"].is_unique
    assert (wards["lad_code"] == "E08900001").all()
    assert (wards["lad_name"] == "Asterby Vale (fictional)").all()
    assert wards["population"].between(5000, 14000).all()
    assert wards["imd_decile"].between(1, 10).all() and wards["imd_decile"].nunique() >= 8
    assert wards.geometry.is_valid.all() and (wards.geom_type == "Polygon").all()
    metric = wards.to_crs(27700).geometry
    for a, b in combinations(metric, 2):
        assert a.intersection(b).area < 1.0  # square metres: touching, not overlapping
    union = shapely.union_all(metric.values)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    assert union.area == pytest.approx(metric.area.sum(), rel=1e-9)


def test_assets_in_one_ward_with_postcode_in_same_ward(wards, assets, postcodes):
    assert (assets.geom_type == "Point").all()
    assert assets["source_id"].is_unique and assets["name"].is_unique
    asset_ward = containing_ward(wards, assets.geometry.values)
    pc_points = gpd.points_from_xy(postcodes["longitude"], postcodes["latitude"])
    pc_ward = containing_ward(wards, pc_points)
    assert (pc_ward == postcodes["admin_ward_code"].to_numpy()).all()
    ward_of_postcode = dict(zip(postcodes["postcode"], pc_ward))
    assert [ward_of_postcode[p] for p in assets["postcode"]] == list(asset_ward)
    # No asset sits on a ward boundary.
    edges = shapely.union_all(wards.boundary.values)
    assert (shapely.distance(assets.geometry.values, edges) > 0).all()


def test_postcodes_shape(postcodes):
    assert postcodes["postcode"].is_unique
    assert postcodes["postcode"].map(lambda p: bool(POSTCODE.match(p))).all()
    assert (postcodes["country_code"] == "E92000001").all()
    assert (postcodes["admin_district_code"] == "E08900001").all()
    assert postcodes[["easting", "northing"]].dtypes.map(pd.api.types.is_integer_dtype).all()


def test_asset_contact_details_are_fictional(assets):
    phones = assets["phone"].fillna("")
    assert phones.map(lambda p: p == "" or bool(re.match(r"^(01632 960|07700 900)\d{3}$", p))).all()
    sites = assets["website"].fillna("")
    assert sites.map(lambda s: s == "" or s.startswith(("https://example.org/", "https://example.com/"))).all()
    assert set(assets["kind"]) == {"group", "business", "venue", "service"}
    assert (assets["note"] == "Fictional").all()


def test_categories_come_from_taxonomy(assets, needs, category_ids):
    used = {c for cats in assets["category"] for c in cats.split(";")}
    assert used <= category_ids
    assert used == category_ids  # every category appears at least once
    assert set(needs["category"]) <= category_ids
    assert 0.05 < assets["category"].str.contains(";").mean() < 0.2


def test_needs(needs, wards):
    assert set(needs["ward_code"]) <= set(wards["ward_code"])
    assert needs["count"].between(1, 40).all()
    assert not needs.duplicated(["ward_code", "category"]).any()


def test_generator_is_deterministic(tmp_path):
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, capture_output=True)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
