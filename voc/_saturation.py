"""Code saturation curves over orders of interviews (private; see `voc.qual.saturation`)."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

_MAX_EXACT = 10  # 10! = 3,628,800 orders: the most ever enumerated
CI_LEVEL = 0.95


@dataclass(frozen=True)
class Curve:
    """Per position k = 1..N over the orders: mean new and cumulative codes, percentile CI."""

    mean_new: np.ndarray
    mean_cumulative: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n_orders: int
    is_exact: bool


def orders_for(n_units: int, n_orders: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """Every permutation of ``range(n_units)`` when there are no more than *n_orders* of them,
    else *n_orders* uniformly random permutations (one per row)."""
    if n_units <= _MAX_EXACT and math.factorial(n_units) <= n_orders:
        perms = np.array(list(itertools.permutations(range(n_units))), dtype=np.int64)
        return perms.reshape(-1, n_units), True
    return np.argsort(rng.random((n_orders, n_units)), axis=1), False


def curve(incidence: np.ndarray, n_orders: int, rng: np.random.Generator) -> Curve:
    """Saturation curve of a units x codes boolean *incidence* matrix.

    In each order, a code is new at the first position whose unit has it; the cumulative count
    at k is the number of codes first seen at positions 1..k.
    """
    n_units, n_codes = incidence.shape
    orders, is_exact = orders_for(n_units, n_orders, rng)
    position = np.argsort(orders, axis=1)  # position[o, u]: where unit u comes in order o
    new = np.zeros(orders.shape, dtype=np.int64)
    rows = np.arange(len(orders))
    for c in range(n_codes):
        holders = np.flatnonzero(incidence[:, c])
        if holders.size:
            np.add.at(new, (rows, position[:, holders].min(axis=1)), 1)
    cumulative = new.cumsum(axis=1)
    tail = (1.0 - CI_LEVEL) / 2.0
    low, high = np.quantile(cumulative, [tail, 1.0 - tail], axis=0)
    return Curve(
        new.mean(axis=0), cumulative.mean(axis=0), low, high, len(orders), is_exact
    )
