"""Tests for choropleth classification."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from webmap.analysis import classify


def test_quantiles_by_hand() -> None:
    result = classify([1, 2, 3, 4, 5, 6, 7, 8], k=4)
    # Quartile upper edges of 1..8: 2.75, 4.5, 6.25, 8.
    np.testing.assert_allclose(result.bins, [2.75, 4.5, 6.25, 8.0])
    assert result.classes.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_nan_values_get_no_class() -> None:
    values = pd.Series([0.1, np.nan, 0.9], index=["a", "b", "c"])
    result = classify(values, k=2)
    assert list(result.classes.index) == ["a", "b", "c"]
    assert pd.isna(result.classes["b"]) and result.classes["c"] == 1


@pytest.mark.parametrize(
    ("values", "k", "n_bins"),
    [
        ([1, 1, 1], 5, 1),
        ([0, 0, 0, 0, 1], 5, 2),
        ([0.0] * 10 + [1.0, 2.0], 3, 3),
        ([np.nan, np.nan], 5, 0),
        ([], 5, 0),
        ([3.0], 1, 1),
    ],
)
def test_fewer_distinct_values_than_k(values: list[float], k: int, n_bins: int) -> None:
    for scheme in ("quantiles", "fisher_jenks"):
        result = classify(values, k=k, scheme=scheme)
        assert len(result.bins) == n_bins
        assert np.all(np.diff(result.bins) > 0)
        finite = result.classes.dropna()
        assert ((finite >= 0) & (finite < max(n_bins, 1))).all()


def test_fisher_jenks_separates_clusters_and_is_repeatable() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.normal(0, 0.1, 3000), rng.normal(10, 0.1, 3000), rng.normal(20, 0.1, 3000)])
    a = classify(values, k=3, scheme="fisher_jenks")
    b = classify(values, k=3, scheme="fisher_jenks")
    np.testing.assert_array_equal(a.bins, b.bins)
    # Edges come from a 500-value sample, so a handful of a cluster's top values can spill over.
    counts = a.classes.value_counts().sort_index().to_numpy()
    assert len(counts) == 3 and np.all(np.abs(counts - 3000) < 60)
    assert a.bins[-1] == values.max()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"k": 0}, ValueError, "k must"),
        ({"k": 2.5}, ValueError, "k must"),
        ({"scheme": "jenks"}, ValueError, "jenks"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        classify([1.0, 2.0], **kwargs)


def test_non_numeric_values_rejected() -> None:
    with pytest.raises(ValueError, match="numeric"):
        classify(["a", "b"])
