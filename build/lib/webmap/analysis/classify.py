"""Choropleth classes for gap scores (mapclassify), robust to NaN and few distinct values."""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

SCHEMES = ("quantiles", "fisher_jenks")
#: FisherJenksSampled draws from numpy's global RNG; we seed a private state for repeatable maps.
_SEED = 20240601
#: Fisher-Jenks always runs on this many draws (with replacement). For small inputs that
#: over-samples, so every value is almost surely represented; for large ones it keeps the
#: pure-Python optimiser (numba is not installed) well under a second.
_SAMPLE = 500


class Classification(NamedTuple):
    """Upper bin edges and the class (0..k-1, <NA> for NaN input) of every value."""

    bins: np.ndarray
    classes: pd.Series


def classify(values: pd.Series | np.ndarray | list[float], k: int = 5, scheme: str = "quantiles") -> Classification:
    """Classify *values* into at most *k* classes with ``Quantiles`` or ``FisherJenksSampled``."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose one of {list(SCHEMES)}")
    index = values.index if isinstance(values, pd.Series) else pd.RangeIndex(len(values))
    try:
        y = np.asarray(pd.to_numeric(pd.Series(values, index=index)), dtype="float64")
    except (TypeError, ValueError) as exc:
        raise ValueError("values must be numeric") from exc
    if np.isinf(y).any():
        raise ValueError("values must be finite or NaN")
    finite = ~np.isnan(y)
    classes = pd.Series(pd.NA, index=index, dtype="Int64")
    distinct = np.unique(y[finite])
    if len(distinct) == 0:
        return Classification(np.empty(0), classes)
    k_eff = min(int(k), len(distinct))
    bins = _bins(y[finite], distinct, k_eff, scheme)
    # A value belongs to the first class whose upper edge is >= the value.
    classes.iloc[np.flatnonzero(finite)] = np.searchsorted(bins, y[finite], side="left")
    return Classification(bins, classes)


def _bins(y: np.ndarray, distinct: np.ndarray, k: int, scheme: str) -> np.ndarray:
    """Unique, increasing upper bin edges (last edge = max) for k classes."""
    if k == 1 or len(distinct) <= k:
        # With no more distinct values than classes, each distinct value is its own class.
        return distinct[-k:] if k == 1 else distinct
    if scheme == "quantiles":
        # Quantiles would warn (an error here) when ties make edges coincide: compute directly.
        edges = np.quantile(y, np.linspace(0, 1, k + 1)[1:])
    else:
        edges = _fisher_jenks_sampled(y, k)
    edges = np.unique(np.append(edges, y.max()))
    return edges[edges <= y.max()]


def _fisher_jenks_sampled(y: np.ndarray, k: int) -> np.ndarray:
    """FisherJenksSampled bins with a fixed seed (never plain FisherJenks: minutes without numba)."""
    # Imported here: mapclassify brings scikit-learn and scipy.stats (~160 MB and ~0.8 s per server
    # process), and the pages only use quantiles.
    import mapclassify

    pct = _SAMPLE / len(y)
    state = np.random.get_state()
    try:
        np.random.seed(_SEED)
        with warnings.catch_warnings():
            # The sample is small (_SAMPLE values), so the pure-Python path is fine;
            # only this one known message is silenced.
            warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
            return np.asarray(mapclassify.FisherJenksSampled(y, k=k, pct=pct).bins, dtype="float64")
    finally:
        np.random.set_state(state)
