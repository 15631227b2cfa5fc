"""Tiny hand-checkable layers in EPSG:27700 shared by the analysis tests.

Three 1 km square wards in a row: E1 (x 0-1000), E2 (1000-2000), E3 (2000-3000).
Population points: E1 one point of 1000 at (500, 500); E2 two points, 1200 at (1250, 500)
and 800 at (1750, 500); E3 has no points, so its population is unknown.
One GP ``g1`` sits on the E1/E2 boundary at (1000, 900); a library ``l1`` sits in E3.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point, box

BNG = "EPSG:27700"


@pytest.fixture
def wards() -> gpd.GeoDataFrame:
    """Three adjacent square wards; E3's population figure is unknown."""
    return gpd.GeoDataFrame(
        {
            "code": ["E1", "E2", "E3"],
            "name": ["East One", "East Two", "East Three"],
            "population": [1000.0, 2000.0, np.nan],
            "deprivation": [1.0, 10.0, 5.0],
        },
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 3000, 1000)],
        crs=BNG,
    )


@pytest.fixture
def pop_points() -> gpd.GeoDataFrame:
    """Population points for E1 and E2 (E3 has none)."""
    return gpd.GeoDataFrame(
        {"population": [1000.0, 1200.0, 800.0]},
        geometry=[Point(500, 500), Point(1250, 500), Point(1750, 500)],
        crs=BNG,
    )


@pytest.fixture
def assets() -> gpd.GeoDataFrame:
    """One GP on the E1/E2 boundary and one library inside E3."""
    return gpd.GeoDataFrame(
        {"asset_id": ["g1", "l1"], "category": ["gp_practice", "library"]},
        geometry=[Point(1000, 900), Point(2500, 500)],
        crs=BNG,
    )


@pytest.fixture
def needs() -> pd.DataFrame:
    """Stated need for GPs in every ward (E3's cannot be scaled: no population)."""
    return pd.DataFrame({"ward_code": ["E1", "E2", "E3"], "category": ["gp_practice"] * 3, "count": [2.0, 12.0, 4.0]})
