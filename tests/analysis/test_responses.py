"""Responses (people's answers) are counted apart from stated needs (what they asked for), issue 22.

The wards, places and population are conftest.py's: E1 1,000 residents, E2 2,000, E3 unknown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from webmap.analysis import FEW_RESPONSES, empirical_bayes, gap_table, gap_tables, need_summary, ward_responses


def _needs(rows: list[tuple[str, str, float, str | None]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["ward_code", "category", "count", "response_key"])


def _row(table: pd.DataFrame, code: str) -> pd.Series:
    return table.set_index("ward_code").loc[code]


# E1: one survey row naming three kinds of place (one key), and a count table's "40 residents asked".
# E2: four answers each naming three kinds: 4 responses, 12 stated needs (enough needs, few people).
THREE = ["gp_practice", "library", "youth"]
ROWS = (
    [("E1", c, 1.0, "row-2") for c in THREE]
    + [("E1", "library", 40.0, None)]
    + [("E2", c, 1.0, f"answer-{n}") for n in range(4) for c in THREE]
)


def test_one_response_naming_three_kinds_is_one_response_and_three_stated_needs(wards, assets, pop_points):
    tables = gap_tables(wards, assets, _needs(ROWS), THREE, population=pop_points)
    e1_all = _row(tables["all"], "E1")
    # All needs: the row-2 answer once, plus 40 people of the count table; 3 + 40 stated needs.
    assert (e1_all["responses"], e1_all["need_count"]) == (41, 43)
    # Each kind: the answer is one response in each kind it named.
    assert (_row(tables["youth"], "E1")["responses"], _row(tables["youth"], "E1")["need_count"]) == (1, 1)
    assert (_row(tables["library"], "E1")["responses"], _row(tables["library"], "E1")["need_count"]) == (41, 41)
    e2_all = _row(tables["all"], "E2")
    assert (e2_all["responses"], e2_all["need_count"]) == (4, 12)
    # E3: nobody asked.
    assert (_row(tables["all"], "E3")["responses"], _row(tables["all"], "E3")["need_count"]) == (0, 0)


def test_few_responses_follows_responses_not_stated_needs(wards, assets, pop_points):
    tables = gap_tables(wards, assets, _needs(ROWS), THREE, population=pop_points)
    e1, e2 = _row(tables["all"], "E1"), _row(tables["all"], "E2")
    # E2 has 12 stated needs (>= 10) but only 4 people behind them: flagged. E1's 41 people: not flagged.
    assert e2["need_count"] >= FEW_RESPONSES > e2["responses"] and e2["few_responses"]
    assert not e1["few_responses"]
    # A count table's 40 is 40 people: not "few".
    assert not _row(tables["library"], "E1")["few_responses"] and _row(tables["youth"], "E1")["few_responses"]


def test_rates_and_smoothing_rest_on_stated_needs(wards, assets, pop_points):
    """The smoothing counts stated needs (the Poisson events), whatever the responses behind them."""
    keyed = gap_table(wards, assets, _needs(ROWS), "youth", population=pop_points)
    # The same needs with no keys: every unit of count a response. Only responses and the flag differ.
    plain = gap_table(wards, assets, _needs([(w, c, n, None) for w, c, n, _k in ROWS]), "youth", population=pop_points)
    for column in ("need_count", "need_per_1000", "own_rate_weight", "need_per_1000_smoothed", "gap_score"):
        np.testing.assert_allclose(_row(keyed, "E2")[column], _row(plain, "E2")[column], err_msg=column)
    smoothed = empirical_bayes(np.array([1.0, 4.0]), np.array([1000.0, 2000.0]))
    assert _row(keyed, "E2")["need_per_1000_smoothed"] == pytest.approx(smoothed.rate[1] * 1000)
    overall_keyed = gap_tables(wards, assets, _needs(ROWS), THREE, population=pop_points)["all"]
    overall_plain = gap_tables(
        wards, assets, _needs([(w, c, n, None) for w, c, n, _k in ROWS]), THREE, population=pop_points
    )["all"]
    assert _row(overall_plain, "E2")["responses"] == 12 and _row(overall_keyed, "E2")["responses"] == 4
    assert _row(overall_keyed, "E2")["gap_score"] == pytest.approx(_row(overall_plain, "E2")["gap_score"])


def test_without_keys_each_unit_of_count_is_one_response(wards, assets, needs, pop_points):
    table = gap_table(wards, assets, needs, "gp_practice", population=pop_points)
    assert (table["responses"] == table["need_count"]).all()
    assert "response_key" not in needs.columns


def test_summaries_count_responses_apart_from_stated_needs():
    frame = _needs(ROWS + [("E2", "youth", 0.0, "withdrawn")])
    # A need with a count of 0 is no response.
    assert ward_responses(frame).to_dict() == {"E1": 41.0, "E2": 4.0}
    summary = need_summary(frame).set_index(["ward_code", "category"])
    assert summary.loc[("E1", "library"), ["count", "responses"]].tolist() == [41.0, 41.0]
    assert summary.loc[("E2", "youth"), ["count", "responses"]].tolist() == [4.0, 4.0]
    # Empty keys are no keys.
    assert ward_responses(_needs([("E9", "youth", 3.0, "")])).to_dict() == {"E9": 3.0}
