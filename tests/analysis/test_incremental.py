"""Incremental gap rows equal a full rebuild after every one of 50 random single changes."""

from __future__ import annotations

import random

import geopandas as gpd
import numpy as np
import pandas as pd

from tests import gap_area
from webmap.analysis import derive, gap_tables, incremental, need_summary, ward_responses

KEYS = [(m, c) for m in gap_area.METHODS for c in ["all", *gap_area.CATEGORIES]]


def _full(wards, assets, needs, method, points=None):
    tables = gap_tables(wards, assets, needs, list(gap_area.CATEGORIES), method, gap_area.DISTANCE, points)
    return {c: pd.DataFrame(t.drop(columns="geometry")) for c, t in tables.items()}


def assert_same(got: pd.DataFrame, want: pd.DataFrame, where: str) -> None:
    """Same rows, same columns, numbers equal to 1e-9 (NaN where NaN)."""
    got = got.sort_values("ward_code").reset_index(drop=True)
    want = want.sort_values("ward_code").reset_index(drop=True)
    assert list(got.columns) == list(want.columns), where
    for column in want.columns:
        a, b = got[column], want[column]
        if pd.api.types.is_numeric_dtype(b) and not pd.api.types.is_bool_dtype(b):
            x, y = pd.to_numeric(a).to_numpy(dtype=float, na_value=np.nan), b.to_numpy(dtype=float, na_value=np.nan)
            assert np.array_equal(np.isnan(x), np.isnan(y)), f"{where}: {column} missing in different wards"
            np.testing.assert_allclose(
                x[~np.isnan(x)], y[~np.isnan(y)], rtol=0, atol=1e-9, err_msg=f"{where}: {column}"
            )
        else:
            assert (
                a.astype(object).where(a.notna(), None).tolist() == b.astype(object).where(b.notna(), None).tolist()
            ), f"{where}: {column}"


def _change(rng, wards, assets, needs):
    """Apply one random change; return (assets, needs, places it moved or touched, categories)."""
    kind = rng.choice(["add place", "withdraw place", "move place", "add need", "withdraw need"])
    if kind == "add place" or (kind in ("withdraw place", "move place") and assets.empty):
        point, category = gap_area.random_point(rng), rng.choice(gap_area.CATEGORIES)
        new = gpd.GeoDataFrame(
            [{"asset_id": int(assets["asset_id"].max() or 0) + 1, "category": category, "geometry": point}],
            geometry="geometry",
            crs=assets.crs,
        )
        return pd.concat([assets, new], ignore_index=True), needs, [point], {category}
    if kind == "withdraw place":
        gone = rng.choice(sorted(assets["asset_id"].unique()))
        rows = assets[assets["asset_id"] == gone]
        return (
            assets[assets["asset_id"] != gone].reset_index(drop=True),
            needs,
            list(rows.geometry),
            set(rows["category"]),
        )
    if kind == "move place":
        moved = rng.choice(sorted(assets["asset_id"].unique()))
        rows = assets["asset_id"] == moved
        old, new = assets.loc[rows].geometry.iloc[0], gap_area.random_point(rng)
        assets = assets.copy()
        assets.loc[rows, "geometry"] = new
        return assets, needs, [old, new], set(assets.loc[rows, "category"])
    if kind == "add need" or needs.empty:
        # A response stating one to three needs (one key), or a count table's row (no key).
        rows = gap_area.response(rng, list(wards["code"]), f"new{len(needs)}-{rng.random()}")
        return assets, pd.concat([needs, pd.DataFrame(rows)], ignore_index=True), [], {r["category"] for r in rows}
    index = rng.choice(list(needs.index))
    key = needs.loc[index, "response_key"]
    if key is not None and rng.random() < 0.5:
        # The whole response withdrawn (every need it stated), else just one of its needs.
        gone = needs["response_key"] == key
        return assets, needs[~gone].reset_index(drop=True), [], set(needs.loc[gone, "category"])
    category = needs.loc[index, "category"]
    return assets, needs.drop(index=index).reset_index(drop=True), [], {category}


def test_fifty_random_changes_equal_a_full_rebuild() -> None:
    rng = random.Random(24)
    wards = gap_area.wards(rng)
    assets = gap_area.assets(rng)
    needs = gap_area.needs(rng, wards)
    # Residents at small-area points (the general case: ward_spread is points too, one grid per ward).
    points = gpd.GeoDataFrame(
        {"population": [float(rng.randint(50, 900)) for _ in range(150)]},
        geometry=[gap_area.random_point(rng) for _ in range(150)],
        crs=gap_area.BNG,
    )
    # What the store keeps of each table: each ward's own figures (derive.CATEGORY_INPUTS).
    kept = {
        m: {c: derive.category_inputs(t) for c, t in _full(wards, assets, needs, m, points).items() if c != "all"}
        for m in gap_area.METHODS
    }
    stored: dict[str, dict[str, pd.DataFrame]] = {}
    changed_rows = 0
    for step in range(50):
        assets, needs, places, categories = _change(rng, wards, assets, needs)
        codes = incremental.touched_wards(wards, gpd.GeoSeries(places, crs=gap_area.BNG), gap_area.DISTANCE)
        summary = need_summary(needs).set_index(["ward_code", "category"])
        asked = sorted(c for c, n in needs.groupby("category")["count"].sum().items() if n > 0)
        for method in gap_area.METHODS:
            for category in categories:
                inputs = kept[method][category].set_index("ward_code")
                # The access figures of the wards within reach of the change, from the places near them only.
                access = incremental.local_access(wards, assets, points, category, method, gap_area.DISTANCE, codes)
                changed_rows += len(access)
                inputs.loc[access.index, access.columns] = access.to_numpy()
                mine = summary.xs(category, level="category") if category in summary.index.levels[1] else None
                for column, source in (("need_count", "count"), ("responses", "responses")):
                    values = mine[source] if mine is not None else pd.Series(dtype=float)
                    inputs[column] = values.reindex(inputs.index, fill_value=0.0).to_numpy()
                kept[method][category] = inputs.reset_index()
            tables = {c: derive.category_table(i, c, method, gap_area.DISTANCE, False) for c, i in kept[method].items()}
            overall = derive.overall_inputs(kept[method], ward_responses(needs), method)
            tables["all"] = derive.overall_table(overall, asked, method, gap_area.DISTANCE, False)
            stored[method] = tables
            full = _full(wards, assets, needs, method, points)
            for category, want in full.items():
                assert_same(tables[category], want, f"step {step}, {method}, {category}")
    # Responses stating several needs were among the changes: overall responses fell short of stated needs.
    overall = stored["share"]["all"]
    assert (overall["responses"] < overall["need_count"]).any()
    assert (overall["responses"] > 0).any()
    # The spatial part really was local: far fewer ward rows than 50 changes x every ward.
    assert 0 < changed_rows < 50 * len(gap_area.METHODS) * len(wards) / 3


def test_touched_wards_are_those_within_the_distance() -> None:
    wards = gap_area.wards(random.Random(1))
    near = gap_area.SIDE - 100
    corner = gpd.GeoSeries([gap_area.Point(gap_area.X0 + near, gap_area.Y0 + near)], crs=gap_area.BNG)
    # 100 m from the corner ward's far corner: it, its two neighbours and the diagonal one are within 150 m.
    north, east = "E05000001", f"E05{gap_area.ROWS:06d}"
    assert incremental.touched_wards(wards, corner, 150) == sorted(
        ["E05000000", north, east, f"E05{gap_area.ROWS + 1:06d}"]
    )
    assert incremental.touched_wards(wards, corner, 50) == ["E05000000"]
