"""A small synthetic area for incremental-refresh tests: a grid of wards, places, residents and needs.

Built inline from a seed (no files): 9 x 7 wards of 500 m in British National Grid near Leeds,
some with an unknown population or deprivation decile, three categories of place, and a few
hundred stated needs. Small enough that a full rebuild takes milliseconds, big enough that an
800 m catchment reaches some wards and not others, and
2SFCA demand reaches past a ward's neighbours.
"""

from __future__ import annotations

import random

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import Point, box

BNG = "EPSG:27700"
X0, Y0 = 425_000, 430_000  # Leeds, so the lon/lat copies lie in Great Britain
COLUMNS, ROWS, SIDE = 9, 7, 500.0
CATEGORIES = ("gp_practice", "library", "youth")
METHODS = ("share", "count", "2sfca", "e2sfca")
DISTANCE = 800.0


def wards(rng: random.Random) -> gpd.GeoDataFrame:
    """Return the grid of wards (code, name, population, deprivation) in BNG."""
    rows = []
    for i in range(COLUMNS):
        for j in range(ROWS):
            n = len(rows)
            population = np.nan if n in (5, 17) else float(rng.randint(800, 6000))
            deprivation = np.nan if n % 9 == 4 else float(rng.randint(1, 10))
            rows.append(
                {
                    "code": f"E05{n:06d}",
                    "name": f"Ward {n}",
                    "population": population,
                    "deprivation": deprivation,
                    "geometry": box(X0 + i * SIDE, Y0 + j * SIDE, X0 + (i + 1) * SIDE, Y0 + (j + 1) * SIDE),
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=BNG)


def random_point(rng: random.Random) -> Point:
    """Return a point somewhere in the grid."""
    return Point(X0 + rng.uniform(0, COLUMNS * SIDE), Y0 + rng.uniform(0, ROWS * SIDE))


def assets(rng: random.Random, count: int = 40) -> gpd.GeoDataFrame:
    """Return places: one row per (asset_id, category); a few places have two categories."""
    rows = []
    for n in range(count):
        point = random_point(rng)
        for category in rng.sample(CATEGORIES, 2 if n % 7 == 0 else 1):
            rows.append({"asset_id": n + 1, "category": category, "geometry": point})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=BNG)


def needs(rng: random.Random, grid: gpd.GeoDataFrame, count: int = 120) -> pd.DataFrame:
    """Return stated needs (ward_code, category, count, response_key), one row per statement.

    Every fourth response states needs of both first categories (two rows sharing a key), every
    tenth is a count-table row (no key, a count of several people); the rest state one need each.
    """
    codes = list(grid["code"])
    rows = []
    for n in range(count):
        ward = rng.choice(codes)
        if n % 10 == 9:
            rows.append({"ward_code": ward, "category": rng.choice(CATEGORIES[:2]), "count": 3.0, "response_key": None})
            continue
        chosen = list(CATEGORIES[:2]) if n % 4 == 0 else [rng.choice(CATEGORIES[:2])]
        rows += [{"ward_code": ward, "category": c, "count": 1.0, "response_key": f"r{n}"} for c in chosen]
    return pd.DataFrame(rows)


def response(rng: random.Random, codes: list[str], key: str) -> list[dict]:
    """Return the needs of one new response: one to three categories sharing *key*, or (1 in 5) a keyless count."""
    ward = rng.choice(codes)
    if rng.random() < 0.2:
        return [{"ward_code": ward, "category": rng.choice(CATEGORIES), "count": 2.0, "response_key": None}]
    chosen = rng.sample(CATEGORIES, rng.randint(1, 3))
    return [{"ward_code": ward, "category": c, "count": 1.0, "response_key": key} for c in chosen]


def ward_of(grid: gpd.GeoDataFrame, point: Point) -> str:
    """Return the code of the ward holding the point (lowest code on a boundary)."""
    return str(sorted(grid.loc[grid.intersects(point), "code"])[0])
