"""Tests for gap_table / overall_gaps, with ward E2 worked out by hand (see conftest.py)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import Point

from webmap.analysis import GAP_COLUMNS, deprivation_factor, empirical_bayes, gap_table, overall_gaps


def _row(table: gpd.GeoDataFrame, code: str) -> pd.Series:
    return table.set_index("ward_code").loc[code]


def _gp_rate(code: str) -> float:
    """Smoothed GP need per 1,000 for the conftest wards (E1 2 of 1000, E2 12 of 2000; E3 unknown)."""
    smoothed = empirical_bayes(np.array([2.0, 12.0]), np.array([1000.0, 2000.0]))
    return float(smoothed.rate[{"E1": 0, "E2": 1}[code]] * 1000)


def test_share_gap_by_hand(wards, assets, needs, pop_points) -> None:
    table = gap_table(wards, assets, needs, "gp_practice", method="share", population=pop_points)
    assert list(table.columns) == GAP_COLUMNS + ["geometry"]
    e1, e2, e3 = _row(table, "E1"), _row(table, "E2"), _row(table, "E3")
    # g1 at (1000, 900) is 471.7 m from E2's 1200-person point and 850 m from its 800-person
    # point, so 1200 / 2000 = 0.6 of E2 is within 800 m. E1's only point is 640 m away: share 1.
    assert e2["access_share"] == pytest.approx(0.6)
    assert e1["access_share"] == 1.0
    # need_per_1000: E1 2 / 1000 * 1000 = 2; E2 12 / 2000 * 1000 = 6; smoothed toward the area's 14 / 3000.
    assert e2["need_per_1000"] == 6.0 and e1["need_per_1000"] == 2.0
    assert e1["area_need_per_1000"] == pytest.approx(14 / 3)
    assert 14 / 3 < e2["need_per_1000_smoothed"] < 6 and e2["need_per_1000_smoothed"] == pytest.approx(_gp_rate("E2"))
    # gap(E2) = smoothed * (1 - 0.6); gap(E1) = smoothed * (1 - 1) = 0.
    assert e2["unmet_share"] == pytest.approx(0.4)
    assert e2["gap_score"] == pytest.approx(_gp_rate("E2") * 0.4, abs=1e-6) and e1["gap_score"] == 0.0
    assert e2["unmet_residents"] == pytest.approx(e2["gap_score"] * 2, abs=1e-9)
    assert (e1["responses"], e2["responses"]) == (2, 12) and e1["few_responses"] and not e2["few_responses"]
    assert (e2["rank"], e1["rank"]) == (1, 2)
    # g1 lies on the E1/E2 boundary: counted in E1 only (lowest code), but within 800 m of both.
    assert (e1["assets_in_ward"], e2["assets_in_ward"], e3["assets_in_ward"]) == (1, 0, 0)
    assert (e1["assets_within_distance"], e2["assets_within_distance"], e3["assets_within_distance"]) == (1, 1, 0)
    assert e1["assets_per_1000"] == 1.0
    assert e1["population_method"] == "lsoa_points"


def test_unknown_population_gives_nan_gap_with_note(wards, assets, needs, pop_points) -> None:
    table = gap_table(wards, assets, needs, "gp_practice", population=pop_points)
    e3 = _row(table, "E3")
    assert np.isnan(e3["population"]) and e3["population_method"] == "unknown"
    assert np.isnan(e3["need_per_1000"]) and np.isnan(e3["assets_per_1000"]) and np.isnan(e3["gap_score"])
    assert pd.isna(e3["rank"]) and "population unknown" in e3["note"]
    assert table["ward_code"].iloc[-1] == "E3"  # unranked rows come last


def test_ward_spread_population_method(wards, assets, needs) -> None:
    table = gap_table(wards, assets, needs, "gp_practice")
    assert _row(table, "E1")["population_method"] == "ward_spread"
    assert _row(table, "E3")["population_method"] == "unknown"
    assert _row(table, "E2")["population"] == 2000.0


def test_two_step_fca_gap_by_hand(wards, assets, needs, pop_points) -> None:
    table = gap_table(wards, assets, needs, "gp_practice", method="2sfca", population=pop_points)
    # D_g1 = 1000 (E1 point, 640 m) + 1200 (E2 point, 472 m) = 2200; R = 1/2200.
    # E1 score = 1/2200 * 1000 = 0.4545; E2 = (1200/2000) / 2200 * 1000 = 0.2727 -> norm 0.6.
    assert _row(table, "E1")["access_score"] == pytest.approx(1000 / 2200)
    assert _row(table, "E2")["access_norm"] == pytest.approx(0.6)
    assert _row(table, "E2")["gap_score"] == pytest.approx(_gp_rate("E2") * 0.4, abs=1e-6)


def test_enhanced_two_step_fca_gap_by_hand(wards, assets, needs, pop_points) -> None:
    table = gap_table(wards, assets, needs, "gp_practice", method="e2sfca", population=pop_points)
    # 640 m is in the 0.22 band, 472 m in the 0.68 band: D = 0.22*1000 + 0.68*1200 = 1036.
    # E1 score 0.22/1036; E2 0.6 * 0.68/1036 = 0.408/1036 (the max) -> E1 norm 0.22/0.408.
    # gap(E1) = smoothed * (1 - 0.22/0.408); gap(E2) = 0.
    assert _row(table, "E1")["gap_score"] == pytest.approx(_gp_rate("E1") * (1 - 0.22 / 0.408), abs=1e-6)
    assert _row(table, "E2")["gap_score"] == 0.0
    assert _row(table, "E1")["rank"] == 1


def test_count_method(wards, assets, needs, pop_points) -> None:
    table = gap_table(wards, assets, needs, "gp_practice", method="count", population=pop_points)
    # E1 has 1 per 1000 (max) -> access 1; E2 has none -> gap = its whole smoothed need.
    assert _row(table, "E1")["access_norm"] == 1.0
    assert _row(table, "E2")["gap_score"] == pytest.approx(_gp_rate("E2"), abs=1e-6)
    assert set(table["method"]) == {"count"} and set(table["distance_m"]) == {800.0}


def test_deprivation_weight(wards, assets, needs, pop_points) -> None:
    table = gap_table(
        wards, assets, needs, "gp_practice", method="e2sfca", population=pop_points, deprivation_weight=True
    )
    plain = gap_table(wards, assets, needs, "gp_practice", method="e2sfca", population=pop_points)
    # E1 decile 1 -> x1.5; E2 decile 10 -> x1.0.
    assert _row(table, "E1")["deprivation_factor"] == 1.5 and _row(table, "E2")["deprivation_factor"] == 1.0
    assert _row(table, "E1")["gap_score"] == pytest.approx(1.5 * _row(plain, "E1")["gap_score"], abs=1e-6)
    assert _row(plain, "E1")["deprivation_factor"] == 1.0


@pytest.mark.parametrize(("decile", "factor"), [(1, 1.5), (10, 1.0), (5.5, 1.25), (np.nan, 1.0)])
def test_deprivation_factor(decile: float, factor: float) -> None:
    assert deprivation_factor(np.array([decile]))[0] == pytest.approx(factor)


def test_category_with_no_assets_anywhere(wards, assets, pop_points) -> None:
    needs = pd.DataFrame({"ward_code": ["E1", "E2"], "category": ["dentist"] * 2, "count": [1.0, 4.0]})
    for method in ("count", "share", "2sfca", "e2sfca"):
        table = gap_table(wards, assets, needs, "dentist", method=method, population=pop_points)
        assert _row(table, "E1")["access_norm"] == 0.0
        # No access anywhere: gap = smoothed need. 1 of 1000 and 4 of 2000 differ by no more than
        # Poisson noise, so both wards get the area rate, 5 per 3,000.
        assert _row(table, "E1")["gap_score"] == pytest.approx(5 / 3, abs=1e-6)
        assert _row(table, "E2")["gap_score"] == pytest.approx(5 / 3, abs=1e-6)


def test_no_needs_at_all(wards, assets, pop_points) -> None:
    empty = pd.DataFrame({"ward_code": [], "category": [], "count": []})
    table = gap_table(wards, assets, empty, "gp_practice", population=pop_points)
    # E3 has no population: a rate per 1,000 of an unknown number of residents is unknown, never 0 (issue 22).
    assert table["gap_score"].tolist()[:2] == [0.0, 0.0] and pd.isna(table["gap_score"].tolist()[2])
    assert table["responses"].tolist() == [0.0, 0.0, 0.0] and table["few_responses"].all()
    assert (table["rank"].iloc[:2] == 1).all() and pd.isna(table["rank"].iloc[2])
    assert table["note"].tolist() == ["nobody in the area asked for this: gap is 0"] * 2 + [
        "population unknown: per-1,000 figures and gap cannot be computed"
    ]


def test_category_nobody_asked_for(wards, assets, needs, pop_points) -> None:
    table = gap_table(wards, assets, needs, "library", population=pop_points)
    # 0 where the population is known; unknown (E3 has none) rather than 0 (issue 22).
    assert (table["gap_score"].iloc[:2] == 0.0).all() and pd.isna(_row(table, "E3")["gap_score"])
    assert (table["need_count"] == 0).all()
    assert _row(table, "E3")["assets_in_ward"] == 1


def test_single_ward(wards, assets, needs, pop_points) -> None:
    table = gap_table(wards.iloc[[1]], assets, needs, "gp_practice", population=pop_points)
    assert len(table) == 1
    # One ward is its own area: its rate is the area rate, 6 per 1,000, and 40% cannot reach a GP.
    assert table["own_rate_weight"].iloc[0] == 0.0 and table["gap_score"].iloc[0] == pytest.approx(2.4)


def test_empty_assets_layer(wards, needs, pop_points) -> None:
    empty = gpd.GeoDataFrame({"asset_id": [], "category": []}, geometry=[])  # no CRS either
    table = gap_table(wards, empty, needs, "gp_practice", population=pop_points)
    assert (table["assets_in_ward"] == 0).all()
    assert _row(table, "E2")["gap_score"] == pytest.approx(_gp_rate("E2"), abs=1e-6)


def test_crs_mismatch_gives_same_answer(wards, assets, needs, pop_points) -> None:
    shift = (390000, 400000)
    wards = wards.set_geometry(wards.translate(*shift))
    assets = assets.set_geometry(assets.translate(*shift))
    pop_points = pop_points.set_geometry(pop_points.translate(*shift))
    same = gap_table(wards, assets, needs, "gp_practice", population=pop_points)
    mixed = gap_table(wards.to_crs(4326), assets.to_crs(3857), needs, "gp_practice", population=pop_points.to_crs(4326))
    assert mixed.crs.to_epsg() == 4326  # output geometry stays in the wards' CRS
    cols = ["ward_code", "access_share", "gap_score", "assets_within_distance"]
    pd.testing.assert_frame_equal(same[cols], mixed[cols], atol=1e-6)


def test_duplicate_asset_rows_count_once(wards, assets, needs, pop_points) -> None:
    doubled = pd.concat([assets, assets])
    table = gap_table(wards, doubled, needs, "gp_practice", population=pop_points)
    assert _row(table, "E1")["assets_in_ward"] == 1


def test_input_frames_not_modified(wards, assets, needs, pop_points) -> None:
    before = (wards.copy(), assets.copy(), needs.copy())
    gap_table(wards, assets, needs, "gp_practice", population=pop_points)
    pd.testing.assert_frame_equal(wards, before[0])
    pd.testing.assert_frame_equal(assets, before[1])
    pd.testing.assert_frame_equal(needs, before[2])


@pytest.mark.parametrize(
    ("target", "change", "error", "match"),
    [
        ("wards", lambda f: f.drop(columns="deprivation"), ValueError, "deprivation"),
        ("wards", lambda f: f.drop(columns="name"), ValueError, "name"),
        ("wards", lambda f: f.assign(deprivation=[0.0, 5.0, 5.0]), ValueError, "decile"),
        ("wards", lambda f: f.iloc[0:0], ValueError, "empty"),
        ("assets", lambda f: f.drop(columns="category"), ValueError, "category"),
        ("assets", lambda f: f.drop(columns="asset_id"), ValueError, "asset_id"),
        ("assets", lambda f: f.set_crs(None, allow_override=True), ValueError, "no CRS"),
        ("assets", lambda f: pd.DataFrame(f), TypeError, "GeoDataFrame"),
        ("needs", lambda f: f.rename(columns={"count": "n"}), ValueError, "count"),
        ("needs", lambda f: f.assign(count=[1.0, -1.0, 0.0]), ValueError, "count"),
        ("needs", lambda f: f.assign(count=[1.0, np.nan, 0.0]), ValueError, "count"),
    ],
)
def test_validation_names_the_problem(wards, assets, needs, target, change, error, match) -> None:
    frames = {"wards": wards, "assets": assets, "needs": needs}
    frames[target] = change(frames[target])
    with pytest.raises(error, match=match):
        gap_table(frames["wards"], frames["assets"], frames["needs"], "gp_practice")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "gravity"}, ValueError, "gravity"),
        ({"distance": -1.0}, ValueError, "distance"),
        ({"category": 5}, TypeError, "category"),
        ({"deprivation_weight": "yes"}, TypeError, "deprivation_weight"),
    ],
)
def test_bad_arguments(wards, assets, needs, kwargs, error, match) -> None:
    args = {"category": "gp_practice"} | kwargs
    with pytest.raises(error, match=match):
        gap_table(wards, assets, needs, **args)


def test_overall_gaps(wards, assets, pop_points) -> None:
    needs = pd.DataFrame(
        {
            "ward_code": ["E1", "E2", "E2", "E3"],
            "category": ["gp_practice", "gp_practice", "dentist", "gp_practice"],
            "count": [2.0, 12.0, 4.0, 1.0],
        }
    )
    table = overall_gaps(wards, assets, needs, population=pop_points)
    via_gap_table = gap_table(wards, assets, needs, None, population=pop_points)
    pd.testing.assert_frame_equal(table, via_gap_table)
    e1, e2, e3 = _row(table, "E1"), _row(table, "E2"), _row(table, "E3")
    # Totals: E1 2 of 1000, E2 16 of 2000 -> one weight per ward from its total responses.
    smoothed = empirical_bayes(np.array([2.0, 16.0]), np.array([1000.0, 2000.0]))
    w = smoothed.weight[1]
    gp_area, dentist_area = 14 / 3, 4 / 3  # per 1,000 over the 3,000 residents with a population
    gp = w * 6 + (1 - w) * gp_area  # E2's own GP rate 12 / 2000
    dentist = w * 2 + (1 - w) * dentist_area
    # E2: 40% cannot reach a GP, nobody can reach a dentist (none anywhere): the two add up.
    assert e2["gap_score"] == pytest.approx(gp * 0.4 + dentist * 1.0, abs=1e-6)
    assert e2["need_per_1000_smoothed"] == pytest.approx(smoothed.rate[1] * 1000)
    # Counts kept: 12 GP requests with 40% out of reach add more than 4 dentist requests with none in reach.
    assert gp * 0.4 > dentist
    assert e2["top_category"] == "gp_practice" and e2["top_category_gap"] == pytest.approx(gp * 0.4, abs=1e-6)
    assert e2["categories_considered"] == 2 and e2["rank"] == 1 and e2["responses"] == 16
    # E1 reaches a GP; it never asked for a dentist, but the area did: its smoothed share remains.
    assert e1["top_category"] == "gp_practice" and e1["few_responses"]
    w1 = smoothed.weight[0]
    assert e1["gap_score"] == pytest.approx((1 - w1) * dentist_area, abs=1e-6)
    assert np.isnan(e3["gap_score"]) and e3["top_category"] is None
    assert set(table["category"]) == {"all"}


def test_overall_gaps_without_any_need(wards, assets) -> None:
    empty = pd.DataFrame({"ward_code": [], "category": [], "count": []})
    table = overall_gaps(wards, assets, empty)
    known = table["population"].notna()
    assert (table.loc[known, "gap_score"] == 0.0).all() and table.loc[~known, "gap_score"].isna().all()
    assert table["top_category"].isna().all()


def test_zero_population_ward(wards, assets, needs) -> None:
    wards = wards.assign(population=[1000.0, 0.0, 10.0])
    table = gap_table(wards, assets, needs, "gp_practice")
    e2 = _row(table, "E2")
    assert np.isnan(e2["need_per_1000"]) and np.isnan(e2["gap_score"]) and "population is 0" in e2["note"]
    assert np.isnan(e2["own_rate_weight"]) and pd.isna(e2["rank"])


def test_asset_outside_all_wards_still_gives_access(wards, needs, pop_points) -> None:
    outside = gpd.GeoDataFrame(
        {"asset_id": ["x"], "category": ["gp_practice"]}, geometry=[Point(500, -300)], crs="EPSG:27700"
    )
    table = gap_table(wards, outside, needs, "gp_practice", population=pop_points)
    assert (table["assets_in_ward"] == 0).all()
    assert _row(table, "E1")["access_share"] == 1.0 and _row(table, "E1")["assets_within_distance"] == 1


def test_several_methods_from_one_preparation_are_each_methods_tables(
    wards, assets, needs, pop_points, monkeypatch
) -> None:
    from webmap.analysis import gaps as gaps_module
    from webmap.analysis import iter_gap_tables, iter_method_tables

    runs = [("share", 800.0, False, ["gp_practice", "all"]), ("e2sfca", 600.0, True, ["library", "gp_practice"])]
    expected = [
        ((method, distance, weighted, category), table)
        for method, distance, weighted, wanted in runs
        for category, table in iter_gap_tables(wards, assets, needs, wanted, method, distance, pop_points, weighted)
    ]
    made = []
    real = gaps_module._context
    monkeypatch.setattr(gaps_module, "_context", lambda *a, **k: made.append(1) or real(*a, **k))
    got = list(iter_method_tables(wards, assets, needs, runs, pop_points))
    assert made == [1]  # the inputs were prepared once for both methods
    assert [key for key, _ in got] == [key for key, _ in expected]
    for (_, table), (_, reference) in zip(got, expected):
        pd.testing.assert_frame_equal(pd.DataFrame(table), pd.DataFrame(reference), check_exact=True)
    with pytest.raises(ValueError, match="unknown method 'nearest'"):
        list(iter_method_tables(wards, assets, needs, [("nearest", 800.0, False, ["gp_practice"])]))


@pytest.mark.parametrize("as_text", [False, True])
def test_each_category_counts_an_asset_listed_twice_once_whatever_its_ids(as_text):
    from webmap.analysis.gaps import _category_rows

    assets = pd.DataFrame(
        {
            "asset_id": [5, 3, 5, 9, 3, 5, 11, 3],
            "category": ["youth", "youth", "youth", "sport", "sport", None, "youth", "youth"],
        }
    )
    if as_text:
        assets["asset_id"] = assets["asset_id"].astype(str)
    rows = _category_rows(assets)
    assert sorted(rows) == ["sport", "youth"]  # a row with no category is in none
    assert rows["youth"].tolist() == [0, 1, 6] and rows["sport"].tolist() == [3, 4]
    assert _category_rows(assets.iloc[:0]) == {}
