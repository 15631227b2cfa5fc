"""Gap rows worked out from what each ward's stored row keeps equal a full analysis, bit for bit."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest

from tests import gap_area
from webmap.analysis import derive, gap_tables, ward_responses


def _full(seed: int, method: str, weighted: bool, needs_count: int = 120):
    rng = random.Random(seed)
    wards = gap_area.wards(rng)
    wards.loc[wards.index[0], "population"] = np.nan  # an unknown population
    wards.loc[wards.index[1], "population"] = 0  # and an empty ward
    assets = gap_area.assets(rng)
    needs = gap_area.needs(rng, wards, needs_count)
    if needs.empty:
        needs = pd.DataFrame({"ward_code": [], "category": [], "count": [], "response_key": []})
    tables = gap_tables(wards, assets, needs, list(gap_area.CATEGORIES), method, gap_area.DISTANCE, None, weighted)
    return needs, {c: pd.DataFrame(t.drop(columns="geometry")) for c, t in tables.items()}


def _round_trip(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows as the store keeps them: JSON, NaN as null, read back."""
    text = json.dumps(
        [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()} for r in frame.to_dict("records")]
    )
    return pd.DataFrame.from_records(json.loads(text))


def _same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    for column in want.columns:
        a = got[column].astype(object).where(got[column].notna(), None).tolist()
        b = want[column].astype(object).where(want[column].notna(), None).tolist()
        assert a == b, column  # exactly: the same operations on the same numbers


@pytest.mark.parametrize("method", gap_area.METHODS)
@pytest.mark.parametrize("weighted", [False, True])
def test_category_rows_from_stored_rows_equal_the_full_analysis(method, weighted):
    _needs, tables = _full(3, method, weighted)
    for category in gap_area.CATEGORIES:
        want = tables[category]
        stored = _round_trip(derive.category_inputs(want).sample(frac=1, random_state=1))
        _same(derive.category_table(stored, category, method, gap_area.DISTANCE, weighted), want)


@pytest.mark.parametrize("method", gap_area.METHODS)
def test_some_wards_from_the_area_figures_equal_their_rows_of_the_whole(method):
    _needs, tables = _full(4, method, True)
    for category in gap_area.CATEGORIES:
        want = tables[category]
        stored = _round_trip(derive.category_inputs(want))
        area = json.loads(json.dumps(derive.category_area(stored)))
        some = stored[stored["ward_code"].isin(want["ward_code"].iloc[[0, 3, 7]])]
        got = derive.category_table(some, category, method, gap_area.DISTANCE, True, area)
        expected = want.set_index("ward_code").loc[some["ward_code"]].reset_index().drop(columns="rank")
        _same(got, expected[list(got.columns)])


@pytest.mark.parametrize("method", gap_area.METHODS)
@pytest.mark.parametrize("weighted", [False, True])
def test_all_needs_rows_from_stored_rows_equal_the_full_analysis(method, weighted):
    needs, tables = _full(5, method, weighted)
    asked = sorted(needs.groupby("category")["count"].sum().pipe(lambda s: s[s > 0]).index)
    kept = derive.overall_inputs({c: tables[c] for c in gap_area.CATEGORIES}, ward_responses(needs), method)
    stored = _round_trip(kept.sample(frac=1, random_state=2))
    want = tables["all"]
    _same(derive.overall_table(stored, asked, method, gap_area.DISTANCE, weighted), want)
    area = json.loads(json.dumps(derive.overall_area(stored, asked, method)))
    some = stored.iloc[[2, 5]]
    got = derive.overall_table(some, asked, method, gap_area.DISTANCE, weighted, area)
    expected = want.set_index("ward_code").loc[some["ward_code"]].reset_index().drop(columns="rank")
    _same(got, expected[list(got.columns)])


def test_nobody_asked_anything():
    needs, tables = _full(6, "share", False, needs_count=0)
    kept = derive.overall_inputs({c: tables[c] for c in gap_area.CATEGORIES}, ward_responses(needs), "share")
    _same(derive.overall_table(_round_trip(kept), [], "share", gap_area.DISTANCE, False), tables["all"])
    for category in gap_area.CATEGORIES:
        stored = _round_trip(derive.category_inputs(tables[category]))
        _same(derive.category_table(stored, category, "share", gap_area.DISTANCE, False), tables[category])
