"""Net Promoter Score: estimates with intervals, pairwise group tests and wave trends (private).

The public names are re-exported by :mod:`voc.survey`; import them from there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.stats import norm

from voc._survey_base import (
    as_columns,
    check_adjust,
    check_columns,
    check_frame,
    check_level,
    flag_bases,
    iter_groups,
    kish,
    numeric_column,
    p_adjust,
    restore_by_dtypes,
    weight_column,
)

__all__ = ["compare_nps", "nps", "nps_trend"]

NPS_ALLOWED = "integers 0-10 (likelihood to recommend) or missing values"
#: Pseudo-counts of the adjusted-Wald interval (Rocks 2016; Sauro & Lewis 2021).
ADJUST_PROMOTERS = 0.75
ADJUST_DETRACTORS = 0.75
ADJUST_N = 3.0
_BOOT_CELLS = 2_000_000  # resampled cells held in memory at once by the bootstrap
#: Up to this many rows the bootstrap draws rows; above, counts of the distinct values.
BOOT_ROWS_DRAWN = 20_000


class _Trinomial(NamedTuple):
    """One group's NPS inputs: scores in {-1, 0, 1}, weights and weighted summaries."""

    scores: np.ndarray
    weights: np.ndarray
    p_promoters: float
    p_detractors: float
    n_eff: float


def _wald_interval(
    t: _Trinomial, z: float, rng: np.random.Generator, n_boot: int
) -> tuple[float, float]:
    est = t.p_promoters - t.p_detractors
    se = _trinomial_se(t.p_promoters, t.p_detractors, t.n_eff)
    return est - z * se, est + z * se


def _adjusted_wald_interval(
    t: _Trinomial, z: float, rng: np.random.Generator, n_boot: int
) -> tuple[float, float]:
    n_adj = t.n_eff + ADJUST_N
    p_pro = (t.p_promoters * t.n_eff + ADJUST_PROMOTERS) / n_adj
    p_det = (t.p_detractors * t.n_eff + ADJUST_DETRACTORS) / n_adj
    est = p_pro - p_det
    se = _trinomial_se(p_pro, p_det, n_adj)
    return est - z * se, est + z * se


def _bootstrap_interval(
    t: _Trinomial, z: float, rng: np.random.Generator, n_boot: int
) -> tuple[float, float]:
    n = t.scores.size
    level = 2 * norm.cdf(z) - 1
    if n > BOOT_ROWS_DRAWN:
        stats = _bootstrap_pairs(t, rng, n_boot)
    else:
        stats = np.empty(n_boot)
        chunk = max(1, _BOOT_CELLS // n)
        for start in range(0, n_boot, chunk):
            size = min(chunk, n_boot - start)
            rows = rng.integers(0, n, size=(size, n))
            w = t.weights[rows]
            total = w.sum(axis=1)
            num = (w * t.scores[rows]).sum(axis=1)
            stats[start : start + size] = np.divide(
                num, total, out=np.full(size, np.nan), where=total > 0
            )
    stats = stats[np.isfinite(stats)]
    if stats.size == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(stats, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)


def _bootstrap_pairs(t: _Trinomial, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """Bootstrap NPS values of a large sample, replicates drawn as counts of distinct values.

    Drawing n rows with replacement draws each distinct (score, weight) pair as often as a
    multinomial of its share of the rows: the same resampling distribution, at a cost set by
    the number of distinct pairs (3 without weights), not by n.
    """
    n = t.scores.size
    pairs, counts = np.unique(np.column_stack([t.scores, t.weights]), axis=0, return_counts=True)
    stats = np.empty(n_boot)
    chunk = max(1, _BOOT_CELLS // len(pairs))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.multinomial(n, counts / n, size=size)
        total = draws @ pairs[:, 1]
        num = draws @ (pairs[:, 0] * pairs[:, 1])
        stats[start : start + size] = np.divide(
            num, total, out=np.full(size, np.nan), where=total > 0
        )
    return stats


#: Registry of NPS interval methods (``ci=``).
NPS_INTERVALS: dict[
    str, Callable[[_Trinomial, float, np.random.Generator, int], tuple[float, float]]
] = {
    "wald": _wald_interval,
    "adjusted-wald": _adjusted_wald_interval,
    "bootstrap": _bootstrap_interval,
}


def _trinomial_se(p_pro: float, p_det: float, n: float) -> float:
    """Standard error of ``p_pro - p_det`` for a trinomial sample of (effective) size ``n``."""
    variance = p_pro + p_det - (p_pro - p_det) ** 2
    return float(np.sqrt(max(variance, 0.0) / n))


def _nps_scores(data: pd.DataFrame, column: str) -> np.ndarray:
    """Validate the 0-10 column; return +1 / 0 / -1 per row and NaN where missing."""
    values = numeric_column(data, column, allowed=NPS_ALLOWED, scale=(0, 10))
    return np.select([values >= 9, values >= 7, values >= 0], [1.0, 0.0, -1.0], default=np.nan)


def _nps_columns(by: list[str], weighted: bool) -> list[str]:
    return [
        *by,
        "n",
        "n_missing",
        *(["n_weighted", "n_eff"] if weighted else []),
        "n_promoters",
        "n_passives",
        "n_detractors",
        "pct_promoters",
        "pct_passives",
        "pct_detractors",
        "nps",
        "se",
        "ci_low",
        "ci_high",
        "small_base",
        "suppress",
    ]


def _nps_group(
    scores: np.ndarray,
    weights: np.ndarray,
    *,
    ci: str,
    z: float,
    n_boot: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    answered = ~np.isnan(scores)
    s, w = scores[answered], weights[answered]
    total, n_eff = kish(w)
    row: dict[str, float] = {
        "n": int(s.size),
        "n_missing": int((~answered).sum()),
        "n_weighted": total,
        "n_eff": n_eff,
        "n_promoters": int((s == 1).sum()),
        "n_passives": int((s == 0).sum()),
        "n_detractors": int((s == -1).sum()),
    }
    if s.size == 0 or total <= 0:
        nan = float("nan")
        return row | dict.fromkeys(
            ["pct_promoters", "pct_passives", "pct_detractors", "nps", "se", "ci_low", "ci_high"],
            nan,
        )
    p_pro = float(w[s == 1].sum() / total)
    p_det = float(w[s == -1].sum() / total)
    t = _Trinomial(s, w, p_pro, p_det, n_eff)
    low, high = NPS_INTERVALS[ci](t, z, rng, n_boot)
    return row | {
        "pct_promoters": 100 * p_pro,
        "pct_passives": 100 * float(w[s == 0].sum() / total),
        "pct_detractors": 100 * p_det,
        "nps": 100 * (p_pro - p_det),
        "se": 100 * _trinomial_se(p_pro, p_det, n_eff),
        "ci_low": float(np.clip(100 * low, -100, 100)),
        "ci_high": float(np.clip(100 * high, -100, 100)),
    }


def nps(
    data: pd.DataFrame,
    column: str,
    *,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    ci: str = "adjusted-wald",
    level: float = 0.95,
    n_boot: int = 2000,
    random_state: int | None = 0,
) -> pd.DataFrame:
    r"""Net Promoter Score with a confidence interval, overall or per group.

    Answers 9-10 are promoters, 7-8 passives and 0-6 detractors; the NPS is
    ``100 * (p_P - p_D)``, from -100 to 100. Rows with a missing answer are dropped and
    counted in ``n_missing``; any other value that is not an integer 0-10 raises. With
    ``weight``, the shares are weighted and the Kish effective sample size
    ``n_eff = (sum w)**2 / sum(w**2)`` takes the place of ``n`` in every variance.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    column : str
        The 0-10 likelihood-to-recommend column.
    by : str or list of str, optional
        Grouping column(s). Groups come out in sorted order (category order for a
        categorical column; unused categories are skipped). Rows whose label is missing in any
        ``by`` column belong to no group and are counted nowhere; recode them first (e.g.
        ``fillna("Unknown")``) to keep them.
    weight : str, optional
        Column of non-negative survey weights (no missing values).
    ci : {"adjusted-wald", "wald", "bootstrap"}, default="adjusted-wald"
        Interval method, see Notes.
    level : float, default=0.95
        Confidence level.
    n_boot : int, default=2000
        Bootstrap replicates (``ci="bootstrap"`` only).
    random_state : int or None, default=0
        Seed of the bootstrap; the same seed gives the same interval.

    Returns
    -------
    pandas.DataFrame
        One row per group: the ``by`` columns, ``n`` (answered), ``n_missing``,
        ``n_weighted`` and ``n_eff`` (weighted only), ``n_promoters``, ``n_passives``,
        ``n_detractors`` (unweighted counts), ``pct_promoters``, ``pct_passives``,
        ``pct_detractors`` (percent, weighted if ``weight``), ``nps``, ``se`` (the Wald
        standard error of ``nps``, whatever ``ci`` is), ``ci_low``, ``ci_high`` (clipped to
        [-100, 100]), ``small_base`` (``n < 30``) and ``suppress`` (``n < 5``). Estimates are
        NaN for a group without answers.

    See Also
    --------
    compare_nps : pairwise differences between groups.
    nps_trend : NPS per wave and the change between consecutive waves.

    Notes
    -----
    With :math:`n_P, n_D` promoters and detractors out of :math:`n` answers,
    :math:`\hat p_P = n_P/n`, :math:`\hat p_D = n_D/n` and :math:`z` the
    :math:`(1+\text{level})/2` normal quantile:

    * ``"wald"``: :math:`\widehat{NPS} \pm z\,SE`, with the trinomial variance
      :math:`SE^2 = [\hat p_P + \hat p_D - (\hat p_P - \hat p_D)^2] / n`.
    * ``"adjusted-wald"`` (Rocks 2016, as described by Sauro & Lewis 2021): add 3/4 of a
      promoter, 3/4 of a detractor (so 3/2 of a passive) and 3 to the sample size,
      :math:`n' = n + 3`, :math:`p'_P = (n_P + 3/4)/n'`, :math:`p'_D = (n_D + 3/4)/n'`, and
      use the Wald formula on the adjusted values:
      :math:`(p'_P - p'_D) \pm z \sqrt{[p'_P + p'_D - (p'_P - p'_D)^2]/n'}`. The interval is
      centred on the adjusted estimate, so it is not symmetric around ``nps``. It keeps
      sensible coverage for small samples and extreme scores where the Wald interval
      collapses (e.g. all promoters gives a zero-width Wald interval).
    * ``"bootstrap"``: percentile interval of ``n_boot`` weighted NPS values computed on rows
      resampled with replacement (``numpy.random.default_rng(random_state)``, groups drawn in
      output order). Above ``BOOT_ROWS_DRAWN`` (20,000) rows a replicate is drawn as
      multinomial counts of the distinct (answer group, weight) pairs: the same resampling
      distribution as drawing the rows, and as fast for a million rows as for a thousand.

    Weighted, :math:`n` is replaced by the Kish :math:`n_{eff}` and :math:`n_P, n_D` by
    :math:`n_{eff}\hat p_P, n_{eff}\hat p_D`; this treats the weights as unrelated to the
    answer and ignores strata and clusters (voc models neither). Bounds are clipped to
    [-100, 100].

    References
    ----------
    .. [1] Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business
       Review*, 81(12), 46-54.
    .. [2] Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
       Statistician*, 70(4), 365-372. https://doi.org/10.1080/00031305.2016.1158124
    .. [3] Sauro, J., & Lewis, J. R. (2021). Confidence intervals for Net Promoter Scores.
       MeasuringU. https://measuringu.com/nps-confidence-intervals/
    .. [4] Kish, L. (1965). *Survey Sampling*. New York: Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import nps
    >>> responses = pd.DataFrame({"ltr": [10, 9, 9, 8, 7, 6, 3, 10, 9, 0]})
    >>> nps(responses, "ltr", ci="wald")[["n", "nps", "se"]].round(2)
        n   nps     se
    0  10  20.0  27.57
    """
    check_frame(data)
    if not isinstance(column, str):
        raise TypeError(f"column must be a column name, got {column!r}")
    by_cols = as_columns(by, name="by")
    check_columns(data, [column], role="NPS")
    check_columns(data, by_cols, role="by")
    if ci not in NPS_INTERVALS:
        raise ValueError(f"ci must be one of {list(NPS_INTERVALS)}, got {ci!r}")
    z = float(norm.ppf((1 + check_level(level)) / 2))
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}")
    if random_state is not None and (
        isinstance(random_state, bool) or not isinstance(random_state, int | np.integer)
    ):
        raise TypeError(f"random_state must be an int or None, got {random_state!r}")

    scores = _nps_scores(data, column)
    weights = weight_column(data, weight)
    rng = np.random.default_rng(random_state)
    rows = []
    for labels, positions in iter_groups(data, by_cols):
        stats = _nps_group(
            scores[positions], weights[positions], ci=ci, z=z, n_boot=n_boot, rng=rng
        )
        rows.append(dict(zip(by_cols, labels, strict=True)) | stats)
    columns = _nps_columns(by_cols, weighted=weight is not None)
    table = pd.DataFrame(rows, columns=[c for c in columns if c not in ("small_base", "suppress")])
    table = flag_bases(table)
    return restore_by_dtypes(table, data, by_cols)


def _two_sided(diff: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """z and two-sided normal p-value; both NaN where the standard error is 0 or NaN."""
    ok = np.isfinite(diff) & np.isfinite(se) & (se > 0)
    z = np.divide(diff, se, out=np.full(diff.shape, np.nan), where=ok)
    p = np.where(ok, 2 * norm.sf(np.abs(np.where(ok, z, 0.0))), np.nan)
    return z, p


def compare_nps(
    data: pd.DataFrame,
    column: str,
    *,
    by: str | Sequence[str],
    weight: str | None = None,
    adjust: str = "holm",
    level: float = 0.95,
) -> pd.DataFrame:
    r"""Pairwise differences in NPS between groups, with z-tests and adjusted p-values.

    Every pair of groups (in the order :func:`nps` returns them) is compared as two
    independent samples: ``diff = nps_a - nps_b``, ``se = sqrt(se_a**2 + se_b**2)`` from the
    Wald (trinomial) variances of each group (Kish ``n_eff`` when weighted),
    ``z = diff / se``, a two-sided normal p-value and ``diff +/- z_crit * se``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    column : str
        The 0-10 likelihood-to-recommend column.
    by : str or list of str
        Grouping column(s); with several, group labels are tuples.
    weight : str, optional
        Column of survey weights.
    adjust : {"holm", "bonferroni", "fdr_bh", "none"}, default="holm"
        Multiple-comparison adjustment over all pairs
        (``statsmodels.stats.multitest.multipletests``).
    level : float, default=0.95
        Confidence level of the interval of each difference.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``group_a, group_b, n_a, n_b, nps_a, nps_b, diff, se, z, p_val,
        p_adj, ci_low, ci_high``. ``z`` and the p-values are NaN when ``se`` is 0 (both
        groups unanimous) or a group has no answers; such pairs are left out of the
        adjustment.

    See Also
    --------
    nps : the per-group estimates.

    Notes
    -----
    Groups must be independent samples (each respondent in one group). The Wald variance is
    used because it is the variance of the reported estimate; with small groups the test is
    approximate (check ``small_base`` in :func:`nps`).

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
       Statistician*, 70(4), 365-372.
    .. [2] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
       *Scandinavian Journal of Statistics*, 6(2), 65-70.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import compare_nps
    >>> responses = pd.DataFrame({"ltr": [10, 9, 9, 8, 3, 10, 6, 5, 7, 9],
    ...                           "plan": ["pro"] * 5 + ["free"] * 5})
    >>> compare_nps(responses, "ltr", by="plan")[["group_a", "group_b", "diff"]]
      group_a group_b  diff
    0    free     pro -40.0
    """
    if by is None:
        raise TypeError("compare_nps needs by= (the column that defines the groups)")
    by_cols = as_columns(by, name="by")
    z_crit = float(norm.ppf((1 + check_level(level)) / 2))
    check_adjust(adjust)
    estimates = nps(data, column, by=by_cols, weight=weight, ci="wald", level=level)
    if len(estimates) < 2:
        raise ValueError(
            f"compare_nps needs at least 2 groups in by={by!r}, found {len(estimates)}"
        )
    labels = (
        estimates[by_cols[0]].tolist()
        if len(by_cols) == 1
        else list(estimates[by_cols].itertuples(index=False, name=None))
    )
    pairs = list(combinations(range(len(estimates)), 2))
    a = np.array([i for i, _ in pairs])
    b = np.array([j for _, j in pairs])
    nps_v = estimates["nps"].to_numpy(dtype="float64")
    se_v = estimates["se"].to_numpy(dtype="float64")
    n_v = estimates["n"].to_numpy()
    diff = nps_v[a] - nps_v[b]
    se = np.hypot(se_v[a], se_v[b])
    z, p = _two_sided(diff, se)
    return pd.DataFrame(
        {
            "group_a": [labels[i] for i in a],
            "group_b": [labels[j] for j in b],
            "n_a": n_v[a],
            "n_b": n_v[b],
            "nps_a": nps_v[a],
            "nps_b": nps_v[b],
            "diff": diff,
            "se": se,
            "z": z,
            "p_val": p,
            "p_adj": p_adjust(p, adjust),
            "ci_low": diff - z_crit * se,
            "ci_high": diff + z_crit * se,
        }
    )


def nps_trend(
    data: pd.DataFrame,
    column: str,
    *,
    wave: str,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    ci: str = "adjusted-wald",
    level: float = 0.95,
) -> pd.DataFrame:
    """NPS per survey wave and the change from the previous wave, with a z-test.

    Computes :func:`nps` per ``by`` group and wave (waves in sorted / categorical order) and,
    within each ``by`` group, compares every wave with the previous wave that has answers:
    ``change = nps - nps_prev``, ``se_change = sqrt(se**2 + se_prev**2)`` (Wald variances,
    independent samples), ``z`` and a two-sided normal ``p_val``. The first wave of each
    group has NaN in these columns.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent and wave.
    column : str
        The 0-10 likelihood-to-recommend column.
    wave : str
        Column that identifies the wave (a date, number or ordered categorical).
    by : str or list of str, optional
        Further grouping columns; trends are computed within each group.
    weight : str, optional
        Column of survey weights.
    ci : {"adjusted-wald", "wald", "bootstrap"}, default="adjusted-wald"
        Interval method of each wave's NPS (bootstrap with 2000 replicates, seed 0).
    level : float, default=0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`nps` (``by`` columns, then ``wave``) plus ``change``,
        ``se_change``, ``z`` and ``p_val``.

    See Also
    --------
    nps, compare_nps

    Notes
    -----
    The test assumes independent samples per wave. For a panel (the same customers in every
    wave) the answers are positively correlated and the test is conservative. P-values are
    not adjusted for the number of waves.

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
       Statistician*, 70(4), 365-372.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import nps_trend
    >>> responses = pd.DataFrame({"ltr": [10, 9, 6, 8, 10, 9, 9, 7],
    ...                           "wave": [1, 1, 1, 1, 2, 2, 2, 2]})
    >>> nps_trend(responses, "ltr", wave="wave")[["wave", "nps", "change"]]
       wave   nps  change
    0     1  25.0     NaN
    1     2  75.0    50.0
    """
    if not isinstance(wave, str):
        raise TypeError(f"wave must be a column name, got {wave!r}")
    by_cols = as_columns(by, name="by")
    if wave in by_cols:
        raise ValueError(f"wave column {wave!r} must not also be in by={by_cols}")
    table = nps(data, column, by=[*by_cols, wave], weight=weight, ci=ci, level=level)
    answered = table[table["n"] > 0]
    if by_cols:
        previous = answered.groupby(by_cols, sort=False, observed=True)[["nps", "se"]].shift(1)
    else:
        previous = answered[["nps", "se"]].shift(1)
    previous = previous.reindex(table.index)
    change = (table["nps"] - previous["nps"]).to_numpy(dtype="float64")
    se_change = np.hypot(
        table["se"].to_numpy(dtype="float64"), previous["se"].to_numpy(dtype="float64")
    )
    z, p = _two_sided(change, se_change)
    return table.assign(change=change, se_change=se_change, z=z, p_val=p)
