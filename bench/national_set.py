"""The national set: all 8,533 England and Wales wards plus generated places, loaded into a database.

Used by `make bench` (bench/bench_national.py) and the national browser tests. Wards come from the
shared open data kit (../shared/data/boundaries/national/); places, their categories and ward
populations are generated deterministically (seeded), scattered around each ward's interior so
towns with many small wards get many places, as real ones do.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from sqlalchemy import insert, select, text

from webmap.core.db import db
from webmap.core.models import Asset, Category, Need, Ward, asset_categories

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("WEBMAP_SHARED_DATA", REPO.parent / "shared" / "data"))
NATIONAL_WARDS = SHARED / "boundaries" / "national" / "wards_2013_england_wales_bgc.gpkg"
SEED = 12
BATCH = 50_000


def read_wards(path: Path = NATIONAL_WARDS) -> gpd.GeoDataFrame:
    """Read the national ward outlines (EPSG:4326), repairing the few invalid ones."""
    wards = gpd.read_file(path, layer="wards_2013")
    invalid = ~wards.is_valid
    wards.loc[invalid, "geometry"] = shapely.make_valid(wards.geometry[invalid].values)
    wards["geometry"] = [
        g
        if g.geom_type == "MultiPolygon"
        else shapely.MultiPolygon([p for p in getattr(g, "geoms", [g]) if p.geom_type == "Polygon"])
        for g in wards.geometry
    ]
    return wards.to_crs(4326)


def scatter(wards: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (lon, lat, ward index) of n points near ward interiors, more per ward in dense areas."""
    metric = wards.to_crs(27700)
    rep = shapely.point_on_surface(metric.geometry.values)
    size = np.sqrt(metric.area.to_numpy()) / 6
    pick = rng.integers(0, len(wards), n)
    x = shapely.get_x(rep)[pick] + rng.normal(0, 1, n) * size[pick]
    y = shapely.get_y(rep)[pick] + rng.normal(0, 1, n) * size[pick]
    lonlat = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=27700).to_crs(4326)
    return lonlat.x.to_numpy(), lonlat.y.to_numpy(), pick


def load_national(places: int, wards_path: Path = NATIONAL_WARDS, seed: int = SEED) -> dict[str, int]:
    """Load the national wards and `places` approved generated places into the app's database."""
    rng = np.random.default_rng(seed)
    wards = read_wards(wards_path)
    codes = wards["ward_code"].to_numpy()
    populations = rng.integers(1000, 15000, len(wards)).astype(float)
    rows = [
        {"code": c, "name": n, "lad_code": lad, "lad_name": lad, "population": p, "geom": g, "source": "national bench"}
        for c, n, lad, p, g in zip(codes, wards["ward_name"], wards["lad_code"], populations, wards.geometry)
    ]
    db.session.execute(insert(Ward), rows)
    categories = list(db.session.scalars(select(Category.id).order_by(Category.sort_order)))
    lon, lat, pick = scatter(wards, places, rng)
    postgres = db.engine.dialect.name == "postgresql"
    next_id = (db.session.scalar(select(db.func.max(Asset.id))) or 0) + 1
    for start in range(0, places, BATCH):
        stop = min(start + BATCH, places)
        ids = range(next_id + start, next_id + stop)
        geoms = shapely.points(lon[start:stop], lat[start:stop])
        db.session.execute(
            insert(Asset),
            [
                {
                    "id": i,
                    "name": f"Place {i}",
                    "kind": "service",
                    "lon": float(x),
                    "lat": float(y),
                    "geom": g,
                    "ward_code": codes[w],
                    "source": "bench",
                    "status": "approved",
                    "address": f"{i} High Street",
                }
                for i, x, y, w, g in zip(ids, lon[start:stop], lat[start:stop], pick[start:stop], geoms)
            ],
        )
        cats = rng.integers(0, len(categories), stop - start)
        db.session.execute(
            insert(asset_categories), [{"asset_id": i, "category_id": categories[c]} for i, c in zip(ids, cats)]
        )
    # Stated needs: a survey round of 20,000 answers spread over the wards and categories.
    answers = 20_000
    db.session.execute(
        insert(Need),
        [
            {"ward_code": codes[w], "category_id": categories[c], "count": float(n), "source": "national bench survey"}
            for w, c, n in zip(
                rng.integers(0, len(wards), answers),
                rng.integers(0, len(categories), answers),
                rng.integers(1, 20, answers),
            )
        ],
    )
    if postgres:
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('assets', 'id'), (SELECT max(id) FROM assets))"))
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE assets"))
            conn.execute(text("VACUUM ANALYZE asset_categories"))
            conn.execute(text("VACUUM ANALYZE wards"))
    else:
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return {"wards": len(wards), "places": places}
