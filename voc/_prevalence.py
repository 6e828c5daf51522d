"""Prevalence of quantitized codes by group, with exact tests and interval estimates (private).

The public function, :func:`code_prevalence`, is re-exported by :mod:`voc.mixed`; import it
from there. The helpers (Wilson, Newcombe, exact 2 x k test, cluster-robust logit) are private.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, gammaln
from scipy.stats import chi2, fisher_exact, norm

from voc._survey_base import check_adjust, check_level, p_adjust

__all__ = ["SMALL_N", "code_prevalence"]

#: A group with fewer participants (independent units) than this sets ``small_n``.
SMALL_N = 10
#: Largest number of 2 x k tables enumerated by the exact test; beyond it, Pearson's chi-square.
_MAX_TABLES = 2_000_000
#: Relative tolerance when comparing table probabilities (as scipy and R's fisher.test).
_REL_TOL = 1 + 1e-7
QUANTITIZED_COLUMNS = ("participant_id", "code", "present")
_TEST_COLUMNS = (
    "test",
    "p_val",
    "p_adj",
    "group_a",
    "group_b",
    "effect_size",
    "effect_ci_low",
    "effect_ci_high",
    "small_n",
    "n_excluded",
    "note",
)


# --------------------------------------------------------------------------------------------
# Interval and test helpers
# --------------------------------------------------------------------------------------------


def wilson(count: int, n: int, alpha: float) -> tuple[float, float]:
    """Wilson score interval of ``count / n`` (statsmodels); NaN when ``n`` is 0."""
    from statsmodels.stats.proportion import proportion_confint

    if n == 0:
        return float("nan"), float("nan")
    low, high = proportion_confint(count, n, alpha=alpha, method="wilson")
    return float(low), float(high)


def newcombe(x1: int, n1: int, x2: int, n2: int, alpha: float) -> tuple[float, float, float]:
    """``p1 - p2`` and Newcombe's hybrid score interval (his method 10), as proportions.

    ``low = d - sqrt((p1 - l1)**2 + (u2 - p2)**2)`` and
    ``high = d + sqrt((u1 - p1)**2 + (p2 - l2)**2)`` with ``(l_i, u_i)`` the Wilson limits.
    """
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan"), float("nan")
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, alpha)
    l2, u2 = wilson(x2, n2, alpha)
    d = p1 - p2
    return d, d - float(np.hypot(p1 - l1, u2 - p2)), d + float(np.hypot(u1 - p1, p2 - l2))


def _log_choose(n: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    return gammaln(np.add(n, 1)) - gammaln(np.add(k, 1)) - gammaln(np.subtract(n, k) + 1)


def exact_2xk(present: np.ndarray, sizes: np.ndarray) -> float | None:
    """Fisher–Freeman–Halton exact p-value of a 2 x k table (present counts, group sizes).

    Enumerates every table with the observed margins (multivariate hypergeometric under
    independence) and sums the probabilities of those no more probable than the observed one.
    Returns None when there are more than ``_MAX_TABLES`` candidate tables.
    """
    present = np.asarray(present, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    if float(np.prod(sizes + 1.0)) > _MAX_TABLES:
        return None
    m = int(present.sum())
    log_terms = [_log_choose(n_j, np.arange(n_j + 1)) for n_j in sizes]
    observed = float(sum(t[x] for t, x in zip(log_terms, present, strict=True)))
    rest = np.concatenate([np.cumsum(sizes[::-1])[::-1][1:], [0]])  # capacity still to come
    sums, logp = np.zeros(1, dtype=np.int64), np.zeros(1)
    for n_j, terms, after in zip(sizes, log_terms, rest, strict=True):
        s = (sums[:, None] + np.arange(n_j + 1)[None, :]).ravel()
        lp = (logp[:, None] + terms[None, :]).ravel()
        keep = (s <= m) & (s + after >= m)
        sums, logp = s[keep], lp[keep]
    total = float(_log_choose(int(sizes.sum()), m))
    probs = np.exp(logp - total)
    p = float(probs[logp <= observed + np.log(_REL_TOL)].sum())
    return min(p, 1.0)


def _chi2_fallback(present: np.ndarray, sizes: np.ndarray) -> tuple[float, str]:
    """Pearson chi-square (no continuity correction) via `voc.survey.crosstab_test`."""
    from voc.survey import crosstab_test

    frame = pd.DataFrame(
        {
            "present": np.concatenate(
                [
                    np.r_[np.ones(x, bool), np.zeros(n - x, bool)]
                    for x, n in zip(present, sizes, strict=True)
                ]
            ),
            "group": np.repeat(np.arange(len(sizes)), sizes),
        }
    )
    result = crosstab_test(frame, "present", "group").iloc[0]
    note = "chi-square: too many tables for the exact test"
    if result["note"]:
        note += f"; {result['note']}"
    return float(result["p_val"]), note


def _group_test(present: np.ndarray, sizes: np.ndarray) -> tuple[str, float, str]:
    """Test of presence vs group for independent units: (test, p_val, note)."""
    if len(sizes) < 2:
        return "none", float("nan"), "fewer than 2 groups: nothing to compare"
    if present.sum() in (0, sizes.sum()):
        return "none", float("nan"), "present for every participant or for none: no test"
    if len(sizes) == 2:
        table = np.column_stack([present, sizes - present])
        return "fisher", float(fisher_exact(table).pvalue), ""
    p = exact_2xk(present, sizes)
    if p is not None:
        return "fisher_freeman_halton", p, ""
    p, note = _chi2_fallback(present, sizes)
    return "chi2", p, note


def _cluster_logit(
    frame: pd.DataFrame, cluster: str, group_a: int, group_b: int, n_groups: int, z: float
) -> tuple[float, float, float, float, str]:
    """Cluster-robust logit of presence on group: (p_val, diff, ci_low, ci_high, note).

    Fitted with `voc.drivers.fit_model` (which checks separation and convergence), then refitted
    from its estimates with a cluster-robust covariance; Wald chi-square on the group terms and
    a delta-method interval of ``P(a) - P(b)`` (treatment coding, group 0 the reference).
    """
    from voc.drivers import fit_model

    data = pd.DataFrame({"y": frame["present"].astype(int).to_numpy(), "g": frame["_g"].to_numpy()})
    nan = float("nan")
    try:
        result = fit_model("y ~ C(g)", data, kind="logit")
        robust = result.model.fit(  # from the checked optimum: only the covariance changes
            start_params=result.params,
            disp=0,
            cov_type="cluster",
            cov_kwds={"groups": pd.factorize(frame[cluster])[0]},
        )
    except ValueError as exc:
        return nan, nan, nan, nan, f"logit not estimable: {exc}"
    params = np.asarray(robust.params, dtype="float64")
    cov = np.asarray(robust.cov_params(), dtype="float64")
    k = n_groups - 1
    restriction = np.zeros((k, k + 1))
    restriction[:, 1:] = np.eye(k)
    b = restriction @ params
    stat = float(b @ np.linalg.solve(restriction @ cov @ restriction.T, b))
    p_val = float(chi2.sf(stat, k))

    def gradient(g: int) -> tuple[float, np.ndarray]:
        x = np.zeros(k + 1)
        x[0] = 1.0
        if g > 0:
            x[g] = 1.0
        p = float(expit(x @ params))
        return p, p * (1 - p) * x

    p_a, g_a = gradient(group_a)
    p_b, g_b = gradient(group_b)
    grad = g_a - g_b
    se = float(np.sqrt(grad @ cov @ grad))
    diff = p_a - p_b
    note = "cluster-robust logit; per-group Wilson intervals treat interviews as independent"
    return p_val, diff, max(diff - z * se, -1.0), min(diff + z * se, 1.0), note


# --------------------------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------------------------


def _check_inputs(quantitized: Any, participants: Any, by: Any, cluster: Any) -> None:
    for name, frame in (("quantitized", quantitized), ("participants", participants)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in QUANTITIZED_COLUMNS if c not in quantitized.columns]
    if missing:
        raise ValueError(
            f"quantitized lacks column(s) {missing}; expected {list(QUANTITIZED_COLUMNS)} "
            "(from voc.mixed.quantitize_codes)"
        )
    if not isinstance(by, str):
        raise TypeError(f"by must be a column name of participants, got {by!r}")
    for column in ("participant_id", by):
        if column not in participants.columns:
            raise ValueError(
                f"participants has no column {column!r}; available: {list(participants.columns)}"
            )
    if participants["participant_id"].duplicated().any():
        dup = participants.loc[participants["participant_id"].duplicated(), "participant_id"]
        raise ValueError(
            f"participants has participant_id {dup.iloc[0]!r} more than once; one row each"
        )
    present = quantitized["present"]
    if not pd.api.types.is_bool_dtype(present.dtype) or present.isna().any():
        raise ValueError(
            f"quantitized column 'present' must hold True/False with no missing values; "
            f"it has dtype {present.dtype}"
        )
    unit_keys = ["participant_id", "code"]
    if cluster is None:
        if quantitized.duplicated(unit_keys).any():
            first = quantitized.loc[quantitized.duplicated(unit_keys), unit_keys].iloc[0]
            raise ValueError(
                f"quantitized has several rows for participant_id {first['participant_id']!r} "
                f"and code {first['code']!r}; with one unit per participant use "
                "quantitize_codes(unit='participant'), or pass cluster='participant_id' for "
                "several units (e.g. interviews) per participant"
            )
    elif not isinstance(cluster, str) or cluster not in quantitized.columns:
        raise ValueError(
            f"cluster={cluster!r} must be a column of quantitized; available: "
            f"{list(quantitized.columns)}"
        )
    unknown = sorted(set(quantitized["participant_id"]) - set(participants["participant_id"]))
    if unknown:
        raise ValueError(
            f"{len(unknown)} participant_id(s) of quantitized are not in participants, e.g. "
            f"{unknown[:3]!r}; join them first (voc.mixed.match_participants)"
        )


def code_prevalence(
    quantitized: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    by: str,
    adjust: str = "holm",
    level: float = 0.95,
    cluster: str | None = None,
) -> pd.DataFrame:
    r"""Share of each group's participants who raised each code, with tests and effect sizes.

    Joins *quantitized* (one row per participant and code) to the groups of *participants*
    on ``participant_id`` and, per code and group, counts the participants with the code
    present and gives a Wilson interval for the share. Per code, presence is tested against
    group (independence of a 2 x k table) and the difference in the share between the two
    extreme groups (the first and the last in group order) is estimated with an interval.

    Parameters
    ----------
    quantitized : DataFrame
        ``participant_id, code, present`` (bool), e.g. from :func:`quantitize_codes`; one
        row per participant and code, or per unit (interview) and code with *cluster*.
    participants : DataFrame
        One row per ``participant_id`` with the *by* column (e.g. ``nps_group`` from
        :func:`match_participants` or :func:`interviewees`). Every participant of
        *quantitized* must be in it; those with a missing *by* value are left out and counted
        in ``n_excluded``.
    by : str
        The group column. Groups come in category order for a categorical column (so
        ``nps_group`` gives detractor, passive, promoter), else sorted.
    adjust : {"holm", "bonferroni", "fdr_bh", "none"}, default="holm"
        Multiple-comparison adjustment of ``p_val`` over the codes.
    level : float, default=0.95
        Confidence level of every interval.
    cluster : str, optional
        Only when *quantitized* has several rows per participant and code (e.g.
        ``quantitize_codes(unit="source")`` for participants interviewed more than once): the
        column of independent units, usually ``"participant_id"``. See Notes.

    Returns
    -------
    DataFrame
        One row per code and group, codes in their order in *quantitized*, groups in group
        order: ``code``, the *by* column, ``n_group`` (participants, or units with
        *cluster*), ``n_present``, ``pct`` (0-100), ``ci_low``, ``ci_high`` (Wilson, 0-100);
        then per code (repeated on each of its rows): ``test`` (``"fisher"``,
        ``"fisher_freeman_halton"``, ``"chi2"``, ``"logit_cluster"`` or ``"none"``),
        ``p_val``, ``p_adj``, ``group_a``, ``group_b`` (first and last group),
        ``effect_size`` (``pct`` of *group_a* minus ``pct`` of *group_b*, percentage
        points), ``effect_ci_low``, ``effect_ci_high``, ``small_n`` (some group has fewer
        than 10 participants), ``n_excluded`` and ``note``.

    Raises
    ------
    ValueError
        Naming the column: missing columns, ``present`` not boolean, duplicate participants,
        participants of *quantitized* absent from *participants*, several rows per
        participant and code without *cluster*, an unknown *adjust*.

    See Also
    --------
    quantitize_codes : builds *quantitized*.
    voc.qual.code_by_group : the same shares without tests.
    joint_display : puts these next to the survey.

    Notes
    -----
    **Tests** (one unit per participant). A 2 x 2 table (two groups) gets Fisher's exact
    test (``scipy.stats.fisher_exact``, two-sided). A 2 x k table gets the
    Fisher–Freeman–Halton exact test, computed here by enumerating every table with the
    observed margins (scipy's own r x c ``fisher_exact`` is a Monte Carlo approximation,
    which would make the result depend on a seed); the p-value sums the probabilities of the
    tables no more probable than the observed one (relative tolerance 1e-7, as R's
    ``fisher.test``). When there are more than two million candidate tables (large groups,
    i.e. not an interview sample) it falls back to Pearson's chi-square
    (:func:`voc.survey.crosstab_test`), with a ``note``, which also says when expected counts
    are small. A code present for every participant or for none is not tested.

    **Effect size**: the difference in proportions between *group_a* and *group_b* with
    Newcombe's (1998) hybrid score interval (his method 10, built from the two Wilson
    intervals), which keeps its coverage with small groups and proportions of 0 or 1.

    **Clusters**. Interview codes are usually quantitized per participant, one row each, and
    the tests above apply. When the units are interviews and some participants gave more than
    one, those units are not independent: with ``cluster="participant_id"`` the test is a
    logistic regression of presence on group (:func:`voc.drivers.fit_model`,
    ``kind="logit"``) with cluster-robust standard errors (statsmodels ``cov_type=
    "cluster"``), a Wald chi-square on the k - 1 group terms, and the effect is the same
    difference with a delta-method interval from that model. Cluster-robust errors need many
    clusters (tens), so read them with caution in interview samples; perfect separation (a
    group where every or no interview has the code) makes the model inestimable, and the
    ``note`` says so. ``small_n`` then counts clusters.

    With interview samples the groups are small and the tests have little power: a
    non-significant result is not evidence of no difference, and ``small_n`` flags the codes
    to read descriptively (Sandelowski, Voils & Knafl 2009).

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. *JASA*, 22(158), 209-212.
    .. [2] Newcombe, R. G. (1998). Interval estimation for the difference between
       independent proportions: comparison of eleven methods. *Statistics in Medicine*,
       17(8), 873-890.
    .. [3] Freeman, G. H., & Halton, J. H. (1951). Note on an exact treatment of contingency,
       goodness of fit and other problems of significance. *Biometrika*, 38(1/2), 141-149.
    .. [4] Sandelowski, M., Voils, C. I., & Knafl, G. (2009). On quantitizing. *Journal of
       Mixed Methods Research*, 3(3), 208-222.
    .. [5] Fetters, M. D., Curry, L. A., & Creswell, J. W. (2013). Achieving integration in
       mixed methods designs: principles and practices. *Health Services Research*, 48(6 Pt
       2), 2134-2156.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.mixed import code_prevalence
    >>> quantitized = pd.DataFrame({
    ...     "participant_id": ["p1", "p2", "p3", "p4", "p5", "p6"], "code": "sync",
    ...     "present": [True, True, True, False, False, True]})
    >>> participants = pd.DataFrame({"participant_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
    ...                              "group": ["a", "a", "a", "b", "b", "b"]})
    >>> table = code_prevalence(quantitized, participants, by="group")
    >>> table[["code", "group", "n_present", "pct", "p_val", "effect_size"]].round(1)
       code group  n_present    pct  p_val  effect_size
    0  sync     a          3  100.0    0.4         66.7
    1  sync     b          1   33.3    0.4         66.7
    """
    _check_inputs(quantitized, participants, by, cluster)
    check_adjust(adjust)
    alpha = 1 - check_level(level)
    z = float(norm.ppf(1 - alpha / 2))
    reserved = ["code", "n_group", "n_present", "pct", "ci_low", "ci_high", *_TEST_COLUMNS]
    if by in reserved:
        raise ValueError(f"by={by!r} clashes with an output column; not one of {reserved}")

    lookup = participants.set_index("participant_id")[by]
    groups = lookup.reindex(quantitized["participant_id"].to_numpy())
    has_group = groups.notna().to_numpy()
    labels_all = pd.Series(groups.array)
    if isinstance(lookup.dtype, pd.CategoricalDtype):
        used = set(labels_all.dropna())
        labels = [c for c in lookup.cat.categories if c in used]
    else:
        labels = sorted(pd.unique(labels_all.dropna()), key=str)
    index = {label: i for i, label in enumerate(labels)}
    units = quantitized.loc[has_group, ["participant_id", "code", "present"]].assign(
        _g=[index[g] for g in labels_all[has_group]]
    )
    if cluster is not None and cluster not in units.columns:
        units[cluster] = quantitized.loc[has_group, cluster].to_numpy()
    n_excluded = quantitized.loc[~has_group].groupby("code", sort=False)["participant_id"].nunique()
    codes = list(pd.unique(quantitized["code"]))
    k = len(labels)
    rows, per_code = [], []
    for code in codes:
        mine = units[units["code"].eq(code).to_numpy()]
        sizes = np.bincount(mine["_g"].to_numpy(), minlength=k)
        weights = mine["present"].to_numpy(dtype="float64")
        present = np.bincount(mine["_g"].to_numpy(), weights=weights, minlength=k).astype(np.int64)
        if cluster is None:
            independent = sizes
        else:
            independent = (
                mine.groupby("_g")[cluster].nunique().reindex(range(k), fill_value=0).to_numpy()
            )
        for g, label in enumerate(labels):
            low, high = wilson(int(present[g]), int(sizes[g]), alpha)
            rows.append(
                {
                    "code": code,
                    by: label,
                    "n_group": int(sizes[g]),
                    "n_present": int(present[g]),
                    "pct": 100 * present[g] / sizes[g] if sizes[g] else float("nan"),
                    "ci_low": 100 * low,
                    "ci_high": 100 * high,
                }
            )
        a, b = 0, k - 1
        if cluster is None or k < 2 or present.sum() in (0, sizes.sum()):
            test, p_val, note = _group_test(present, sizes)
            if k >= 2:
                diff, d_low, d_high = newcombe(
                    int(present[a]), int(sizes[a]), int(present[b]), int(sizes[b]), alpha
                )
            else:
                diff = d_low = d_high = float("nan")
        else:
            test = "logit_cluster"
            p_val, diff, d_low, d_high, note = _cluster_logit(mine, cluster, a, b, k, z)
        per_code.append(
            {
                "test": test,
                "p_val": p_val,
                "group_a": labels[a] if k else None,
                "group_b": labels[b] if k else None,
                "effect_size": 100 * diff,
                "effect_ci_low": 100 * d_low,
                "effect_ci_high": 100 * d_high,
                "small_n": bool((independent < SMALL_N).any()) if k else True,
                "n_excluded": int(n_excluded.get(code, 0)),
                "note": note,
            }
        )
    tests = pd.DataFrame(per_code)
    if len(tests):
        tests["p_adj"] = p_adjust(tests["p_val"].to_numpy(dtype="float64"), adjust)
    else:
        tests["p_adj"] = pd.Series(dtype="float64")
    tests = tests.reindex(columns=list(_TEST_COLUMNS))
    repeated = tests.iloc[np.repeat(np.arange(len(codes)), k)].reset_index(drop=True)
    table = pd.DataFrame(
        rows, columns=["code", by, "n_group", "n_present", "pct", "ci_low", "ci_high"]
    )
    table = pd.concat([table, repeated], axis=1)
    if isinstance(lookup.dtype, pd.CategoricalDtype):
        table[by] = pd.Categorical(table[by], dtype=lookup.dtype)
    return table
