"""Code saturation over orders of interviews: `voc.qual.saturation` and `saturation_point`.

Private module; import the functions from `voc.qual`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
import pandas as pd

from voc import _qual_base as qb

_MAX_EXACT = 8  # 8! = 40,320 orders: the most ever enumerated
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
    return Curve(new.mean(axis=0), cumulative.mean(axis=0), low, high, len(orders), is_exact)


def saturation(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    by: str | None = None,
    participants: pd.DataFrame | None = None,
    n_orders: int = 200,
    random_state: int | np.random.Generator | None = 0,
    coder: str | None = None,
) -> pd.DataFrame:
    """Code saturation: how many distinct codes the first k interviews yield, over random orders.

    The unit is the participant (all of their interviews together). For each order of the N
    participants, a code is *new* at the first position whose participant has it; the curve
    averages, over the orders, the new and the cumulative number of distinct codes at each
    position k = 1..N. Averaging over orders removes the accident of the order in which the
    interviews happened to be done. When ``N! <= n_orders`` (and N <= 8) every order is
    enumerated (the curve is then exact); otherwise *n_orders* random orders are drawn. The
    exact mean is ``sum over codes of 1 - C(N - m, k) / C(N, k)``, m the participants with
    the code. Codes
    are as applied (no roll-up); the total is the number of distinct codes the group's
    participants yielded, so the curve reaches 100 % at k = N by construction: it shows how
    early the codes were found, not whether unseen codes remain.

    Parameters
    ----------
    codings : DataFrame
        The ``codings`` table.
    segments : DataFrame
        The ``segments`` table; every participant with a turn is one interview position.
    by : str, optional
        A group column (of *participants*, else a participant-level column of *segments*):
        one curve per group, on that group's participants and codes.
    participants : DataFrame, optional
        One row per ``participant_id`` with the *by* column.
    n_orders : int, default=200
        Random orders per group (fewer when all ``N!`` orders fit: then all of them).
    random_state : int, Generator or None, default=0
        Seed. An int seeds each group's orders afresh, so a group's curve does not depend on
        the other groups; a Generator is drawn from group after group.
    coder : str, optional
        None (any coder), a coder's name, or ``"consensus"`` (see the module notes).

    Returns
    -------
    DataFrame
        One row per group (if *by*) and position: the *by* column, ``k``, ``n_participants``
        (N), ``n_codes`` (distinct codes in the group), ``n_orders`` (orders used),
        ``is_exact`` (all orders enumerated), ``mean_new_codes``, ``mean_cumulative_codes``,
        ``ci_low``, ``ci_high`` (2.5th and 97.5th percentiles of the cumulative count over the
        orders, linear interpolation), ``pct_of_codes`` (mean cumulative as percent of
        ``n_codes``; NaN when the group has no code).

    See Also
    --------
    saturation_point : the first k at which a share of the codes is reached on average.

    References
    ----------
    Guest, G., Bunce, A., & Johnson, L. (2006). How many interviews are enough? An experiment
    with data saturation and variability. Field Methods, 18(1), 59-82.
    Guest, G., Namey, E., & Chen, M. (2020). A simple method to assess and report thematic
    saturation in qualitative research. PLoS ONE, 15(5), e0232076.
    Lowe, A., Norris, A. C., Farris, A. J., & Babbage, D. R. (2018). Quantifying thematic
    saturation in qualitative data analysis. Field Methods, 30(3), 191-207.

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.qual as vq
    >>> segments = pd.DataFrame({"segment_id": ["a1", "b1", "c1"], "source": ["a", "b", "c"],
    ...                          "participant_id": ["p1", "p2", "p3"], "role": "participant"})
    >>> codings = pd.DataFrame({"source": ["a", "a", "b", "b", "c"],
    ...                         "segment_id": ["a1", "a1", "b1", "b1", "c1"],
    ...                         "code": ["x", "y", "y", "z", "x"], "coder": "ana"})
    >>> curves = vq.saturation(codings, segments)
    >>> columns = ["k", "n_orders", "mean_new_codes", "mean_cumulative_codes", "pct_of_codes"]
    >>> curves[columns].round(2)
       k  n_orders  mean_new_codes  mean_cumulative_codes  pct_of_codes
    0  1         6            1.67                   1.67         55.56
    1  2         6            1.00                   2.67         88.89
    2  3         6            0.33                   3.00        100.00
    """
    qb.check_count("n_orders", n_orders)
    qb.check_random_state(random_state)
    resolved = qb.resolve(codings, segments)
    present = qb.applied(resolved, coder)
    turns = qb.participant_turns(segments)
    groups = qb.groups_of(turns, segments, by, participants, per_participant=True)
    people = (
        pd.DataFrame(
            {"participant_id": turns["participant_id"].to_numpy(object), "_g": groups.index}
        )
        .drop_duplicates("participant_id")
        .sort_values("participant_id", kind="stable", key=lambda s: s.astype(str))
    )
    frames = []
    for g in range(len(groups.labels)):
        ids = pd.Index(people.loc[people["_g"].eq(g).to_numpy(), "participant_id"], dtype=object)
        mine = present[present["participant_id"].isin(ids).to_numpy()]
        codes = pd.Index(sorted(pd.unique(mine["code"]), key=str), dtype=object)
        incidence = np.zeros((len(ids), len(codes)), dtype=bool)
        incidence[
            ids.get_indexer(mine["participant_id"].to_numpy(object)),
            codes.get_indexer(mine["code"].to_numpy(object)),
        ] = True
        result = curve(incidence, int(n_orders), np.random.default_rng(random_state))
        n_codes = len(codes)
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = 100.0 * result.mean_cumulative / n_codes if n_codes else np.nan
        frame = pd.DataFrame(
            {
                "k": np.arange(1, len(ids) + 1, dtype=np.int64),
                "n_participants": np.int64(len(ids)),
                "n_codes": np.int64(n_codes),
                "n_orders": np.int64(result.n_orders),
                "is_exact": result.is_exact,
                "mean_new_codes": result.mean_new,
                "mean_cumulative_codes": result.mean_cumulative,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "pct_of_codes": pct,
            }
        )
        if by is not None:
            qb.check_clash(by, list(frame.columns))
            frame.insert(0, by, qb.group_column(groups, np.full(len(frame), g)))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


_CURVE_COLUMNS = [
    "k",
    "n_participants",
    "n_codes",
    "n_orders",
    "is_exact",
    "mean_new_codes",
    "mean_cumulative_codes",
    "ci_low",
    "ci_high",
    "pct_of_codes",
]


def saturation_point(curves: pd.DataFrame, *, threshold: float = 0.95) -> pd.DataFrame:
    """The first interview position at which a share of the codes is reached on average.

    Parameters
    ----------
    curves : DataFrame
        The result of `saturation` (any columns other than its own are group columns).
    threshold : float, default=0.95
        The share of the group's distinct codes (between 0 and 1).

    Returns
    -------
    DataFrame
        One row per group: the group column(s), ``n_participants``, ``n_codes``,
        ``threshold``, ``k_saturation`` (smallest k with ``mean_cumulative_codes >= threshold *
        n_codes``) and ``pct_participants`` (``k_saturation`` as percent of N).

    See Also
    --------
    saturation : the curves.

    References
    ----------
    Guest, G., Namey, E., & Chen, M. (2020). A simple method to assess and report thematic
    saturation in qualitative research. PLoS ONE, 15(5), e0232076.

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.qual as vq
    >>> curves = pd.DataFrame({"k": [1, 2, 3], "n_participants": 3, "n_codes": 3,
    ...                        "mean_cumulative_codes": [5 / 3, 8 / 3, 3.0]})
    >>> vq.saturation_point(curves, threshold=0.8)
       n_participants  n_codes  threshold  k_saturation  pct_participants
    0               3        3        0.8             2         66.666667
    """
    qb.require(curves, ["k", "n_participants", "n_codes", "mean_cumulative_codes"], "curves")
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or not 0 < threshold <= 1:
        raise ValueError(f"threshold must be a share in (0, 1], e.g. 0.95; got {threshold!r}")
    keys = [c for c in curves.columns if c not in _CURVE_COLUMNS]
    reached = curves["mean_cumulative_codes"] >= threshold * curves["n_codes"] - 1e-9
    hits = curves[reached.to_numpy()]
    if keys:
        first = hits.groupby(keys, sort=False, dropna=False, observed=True).first()
        firsts = first.reset_index()
        order = curves[keys].drop_duplicates()
        firsts = order.merge(firsts, on=keys, how="left")
    else:
        firsts = hits.head(1).reset_index(drop=True)
    out = firsts[keys].copy() if keys else pd.DataFrame(index=firsts.index)
    out["n_participants"] = firsts["n_participants"].to_numpy()
    out["n_codes"] = firsts["n_codes"].to_numpy()
    out["threshold"] = float(threshold)
    out["k_saturation"] = firsts["k"].to_numpy()
    out["pct_participants"] = 100.0 * out["k_saturation"] / out["n_participants"]
    return out.reset_index(drop=True)
