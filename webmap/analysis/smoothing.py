"""Rates that rest on few responses, shrunk toward the area rate (empirical Bayes).

Global (aspatial) empirical Bayes smoothing of rates, Marshall (1991), the method of PySAL
``esda.smoothing.Empirical_Bayes``. With ``e_i`` events (here: residents saying they need a
kind of place) and ``b_i`` people at risk (the ward population) in each of ``n`` areas::

    m      = sum(e) / sum(b)                            area rate
    r_i    = e_i / b_i                                   the area's own (crude) rate
    s2     = sum(b_i (r_i - m)^2) / sum(b) - m / mean(b) between-area variance of the true rates
    w_i    = s2 / (s2 + m / b_i)                         weight on the area's own rate (0-1)
    r~_i   = w_i r_i + (1 - w_i) m                       smoothed rate

A ward whose own rate is mostly Poisson noise (few people, or few responses anywhere) gets a
small ``w_i`` and is pulled toward the area rate; a ward with plenty of evidence keeps its own.
The tests check these figures against ``esda.smoothing.Empirical_Bayes`` to 1e-12.

One deliberate difference from PySAL: when the spread of the crude rates is no larger than
Poisson noise alone would give, ``s2`` comes out negative. PySAL then uses the negative value,
which gives weights below 0 or above 1 (and can give negative rates); Marshall's method sets
``s2 = 0`` so every area gets the area rate, which is what we do. Areas with an unknown or zero
population take no part (NaN weight).

Only numpy here: importing esda (and with it libpysal and scikit-learn) costs about 4 s, too
much for the first page a server shows.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Smoothed(NamedTuple):
    """Empirical Bayes result: per-area weight on its own rate, the smoothed rate, and the area rate."""

    weight: np.ndarray  # w_i in [0, 1]; NaN where the population is unknown or 0
    rate: np.ndarray  # r~_i per person; NaN where the population is unknown or 0
    area_rate: float  # m per person (0 when nobody anywhere asked; NaN, unknown, when no ward has a population)


def empirical_bayes(events: np.ndarray, population: np.ndarray, prior: tuple[float, float] | None = None) -> Smoothed:
    """Return Marshall's global empirical Bayes rates (``s2`` floored at 0) for *events* over *population*.

    *prior*: the area's ``(m, s2)`` as :func:`area_prior` gave them for the whole area, to smooth
    part of it (one ward) exactly as the whole; None: worked out from these areas.
    """
    e = np.asarray(events, dtype="float64")
    b = np.asarray(population, dtype="float64")
    if e.shape != b.shape or e.ndim != 1:
        raise ValueError(f"events and population must be 1-d arrays of one length, got {e.shape} and {b.shape}")
    if (e[~np.isnan(e)] < 0).any():
        raise ValueError("events must be 0 or more")
    usable = (b > 0) & ~np.isnan(e)
    weight = np.full(len(e), np.nan)
    rate = np.full(len(e), np.nan)
    m, s2 = area_prior(e, b) if prior is None else (float(prior[0]), float(prior[1]))
    if not usable.any() or np.isnan(m):
        return Smoothed(weight, rate, m)
    eu, bu = e[usable], b[usable]
    own = eu / bu
    with np.errstate(invalid="ignore", divide="ignore"):
        # s2 == m == 0 (nobody asked anywhere): every rate is 0, so the weight does not matter; use 1.
        w = np.where(s2 + m / bu > 0, s2 / (s2 + m / bu), 1.0)
    weight[usable] = w
    rate[usable] = w * own + (1.0 - w) * m
    return Smoothed(weight, rate, m)


def area_prior(events: np.ndarray, population: np.ndarray) -> tuple[float, float]:
    """Return the area rate ``m`` and the floored spread ``s2`` of every area with a population (NaN, NaN if none)."""
    e = np.asarray(events, dtype="float64")
    b = np.asarray(population, dtype="float64")
    usable = (b > 0) & ~np.isnan(e)
    if not usable.any():
        return float("nan"), float("nan")
    eu, bu = e[usable], b[usable]
    m = eu.sum() / bu.sum()
    own = eu / bu
    spread = (bu * (own - m) ** 2).sum() / bu.sum() - m / bu.mean()
    return float(m), max(float(spread), 0.0)
