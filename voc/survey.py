"""Survey estimates: NPS, CSAT/CES box scores, means, Likert summaries, reliability, crosstabs.

Every function takes a DataFrame of responses (one row per respondent) first, takes its
options as keywords, returns a new tidy DataFrame with ``n`` (the unweighted base) on every
row and never modifies its input. Weights are survey weights: estimates are weighted, and
variances use Kish's effective sample size ``n_eff = (sum w)**2 / sum(w**2)``. voc models
neither strata nor clusters; for a complex design use a survey package.

Estimates: :func:`nps`, :func:`compare_nps`, :func:`nps_trend`, :func:`top_box`,
:func:`mean_score`, :func:`likert_summary`, :func:`cronbach_alpha`, :func:`crosstab`,
:func:`crosstab_test`. Weights: :func:`effective_n`, :func:`design_effect`, :func:`rake`.
Reporting helper: :func:`flag_bases`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from voc._crosstab import crosstab, crosstab_test
from voc._nps import compare_nps, nps, nps_trend
from voc._survey_base import (
    as_columns,
    check_columns,
    check_frame,
    check_level,
    flag_bases,
    iter_groups,
    kish,
    numeric_column,
    restore_by_dtypes,
    weight_column,
)
from voc._survey_views import (
    apply_weighting,
    likert_overview,
    missing_summary,
    nps_by_segments,
    nps_by_wave,
    nps_group,
    score_summary,
    weighting_summary,
    with_nps_group,
)
from voc._weights import design_effect, effective_n, rake

__all__ = [
    "apply_weighting",
    "compare_nps",
    "cronbach_alpha",
    "crosstab",
    "crosstab_test",
    "design_effect",
    "effective_n",
    "flag_bases",
    "likert_overview",
    "likert_summary",
    "mean_score",
    "missing_summary",
    "nps",
    "nps_by_segments",
    "nps_by_wave",
    "nps_group",
    "nps_trend",
    "rake",
    "score_summary",
    "top_box",
    "weighting_summary",
    "with_nps_group",
]


def _check_scale(scale: tuple[int, int]) -> tuple[int, int]:
    ok = (
        isinstance(scale, tuple | list)
        and len(scale) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in scale)
        and scale[0] < scale[1]
    )
    if not ok:
        raise ValueError(
            f"scale must be a (low, high) pair of integers with low < high, got {scale!r}"
        )
    return int(scale[0]), int(scale[1])


def _scale_values(data: pd.DataFrame, column: str, scale: tuple[int, int]) -> np.ndarray:
    low, high = scale
    return numeric_column(
        data, column, allowed=f"integers {low}-{high} or missing values", scale=scale
    )


def _weighted_mean_ci(x: np.ndarray, w: np.ndarray, alpha: float) -> dict[str, float]:
    """Mean, sd, se and t interval with weights normalised to the Kish effective n."""
    from statsmodels.stats.weightstats import DescrStatsW

    total, n_eff = kish(w)
    nan = float("nan")
    if x.size == 0 or not total > 0:
        return {"mean": nan, "sd": nan, "se": nan, "ci_low": nan, "ci_high": nan}
    mean = float(np.average(x, weights=w))
    if not n_eff > 1 or x.size < 2:
        return {"mean": mean, "sd": nan, "se": nan, "ci_low": nan, "ci_high": nan}
    stats = DescrStatsW(x, weights=w * (n_eff / total), ddof=1)
    low, high = stats.tconfint_mean(alpha=alpha)
    return {
        "mean": mean,
        "sd": float(stats.std),
        "se": float(stats.std_mean),
        "ci_low": float(low),
        "ci_high": float(high),
    }


def _weighted_cols(weighted: bool) -> list[str]:
    return ["n_weighted", "n_eff"] if weighted else []


def top_box(
    data: pd.DataFrame,
    column: str,
    *,
    scale: tuple[int, int] = (1, 5),
    top: int = 2,
    bottom: bool = False,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of answers in the top (or bottom) boxes of a rating scale, with a Wilson interval.

    For CSAT on 1-5, ``top=2`` gives the usual top-2-box share (4 or 5). For CES, where the
    box that counts depends on the direction of the scale, set ``bottom=True`` when *low*
    means *easy* (e.g. 1 = "very easy": ``top=2, bottom=True`` is the share answering 1 or
    2), and leave ``bottom=False`` when high means easy (CES 2.0, 1-7 agree scale). Missing
    answers are dropped and counted; any other value outside ``scale`` raises.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    column : str
        The rating column.
    scale : tuple of int, default=(1, 5)
        Lowest and highest scale point.
    top : int, default=2
        How many boxes are counted, from 1 to the number of scale points minus 1.
    bottom : bool, default=False
        Count the ``top`` *lowest* boxes instead of the highest.
    by : str or list of str, optional
        Grouping column(s), as in :func:`nps` (sorted groups; missing labels dropped).
    weight : str, optional
        Column of survey weights.
    level : float, default=0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``by`` columns, ``box`` (e.g. "top2", "bottom2"), ``n``,
        ``n_missing``, ``n_weighted`` and ``n_eff`` (weighted only), ``n_box`` (unweighted
        answers in the box), ``pct``, ``ci_low``, ``ci_high`` (percent), ``small_base``,
        ``suppress``.

    See Also
    --------
    likert_summary : the full distribution of several items.

    Notes
    -----
    The interval is Wilson's score interval from statsmodels
    ``proportion_confint(method="wilson")``. Weighted, it is computed with the weighted share
    and the Kish effective sample size (``count = pct * n_eff``, ``nobs = n_eff``).

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
       inference. *Journal of the American Statistical Association*, 22(158), 209-212.
    .. [2] Brown, L. D., Cai, T. T., & DasGupta, A. (2001). Interval estimation for a binomial
       proportion. *Statistical Science*, 16(2), 101-133.
    .. [3] Dixon, M., Freeman, K., & Toman, N. (2010). Stop trying to delight your customers.
       *Harvard Business Review*, 88(7/8), 116-122 (the Customer Effort Score).

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import top_box
    >>> responses = pd.DataFrame({"csat": [5, 4, 4, 3, 2, 5, 1, 4, 5, 3]})
    >>> top_box(responses, "csat")[["box", "n", "n_box", "pct"]]
        box   n  n_box   pct
    0  top2  10      6  60.0
    """
    check_frame(data)
    low, high = _check_scale(scale)
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top < high - low + 1:
        raise ValueError(
            f"top must be an integer from 1 to {high - low} for scale {scale!r}, got {top!r}"
        )
    by_cols = as_columns(by, name="by")
    check_columns(data, [column], role="rating")
    check_columns(data, by_cols, role="by")
    alpha = 1 - check_level(level)
    values = _scale_values(data, column, (low, high))
    weights = weight_column(data, weight)
    with np.errstate(invalid="ignore"):
        in_box = values <= low + top - 1 if bottom else values >= high - top + 1
    box = f"{'bottom' if bottom else 'top'}{top}"

    from statsmodels.stats.proportion import proportion_confint

    rows = []
    for labels, positions in iter_groups(data, by_cols):
        answered = ~np.isnan(values[positions])
        hit, w = in_box[positions][answered], weights[positions][answered]
        total, n_eff = kish(w)
        row = dict(zip(by_cols, labels, strict=True)) | {
            "box": box,
            "n": int(answered.sum()),
            "n_missing": int((~answered).sum()),
            "n_weighted": total,
            "n_eff": n_eff,
            "n_box": int(hit.sum()),
            "pct": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
        }
        if total > 0:
            share = float(w[hit].sum() / total)
            ci_low, ci_high = proportion_confint(share * n_eff, n_eff, alpha=alpha, method="wilson")
            row |= {"pct": 100 * share, "ci_low": 100 * ci_low, "ci_high": 100 * ci_high}
        rows.append(row)
    columns = [*by_cols, "box", "n", "n_missing", *_weighted_cols(weight is not None)]
    columns += ["n_box", "pct", "ci_low", "ci_high"]
    table = flag_bases(pd.DataFrame(rows, columns=columns))
    return restore_by_dtypes(table, data, by_cols)


def mean_score(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    weight: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean of one or more numeric scores with a t-based confidence interval.

    Missing values are dropped per column (and counted). Weighted, the mean is the weighted
    mean and the standard error uses the weights rescaled to sum to the Kish effective
    sample size (statsmodels ``DescrStatsW``): ``se = sd / sqrt(n_eff)`` with
    ``n_eff - 1`` degrees of freedom.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    columns : str or list of str
        Numeric columns (e.g. a CSAT, a CES or the 0-10 NPS question).
    by : str or list of str, optional
        Grouping column(s), as in :func:`nps`.
    weight : str, optional
        Column of survey weights.
    level : float, default=0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per group and column (groups outer, columns in the order given): ``by``
        columns, ``item``, ``n``, ``n_missing``, ``n_weighted`` and ``n_eff`` (weighted only),
        ``mean``, ``sd``, ``se``, ``ci_low``, ``ci_high``, ``small_base``, ``suppress``.
        ``sd`` and the interval are NaN with fewer than 2 answers.

    See Also
    --------
    likert_summary : means plus the distribution of scale items.

    References
    ----------
    .. [1] Student (1908). The probable error of a mean. *Biometrika*, 6(1), 1-25.
    .. [2] Kish, L. (1965). *Survey Sampling*. New York: Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import mean_score
    >>> responses = pd.DataFrame({"csat": [5, 4, 4, 3, 2, 5, 1, 4, 5, 3]})
    >>> mean_score(responses, "csat")[["item", "n", "mean"]]
       item   n  mean
    0  csat  10   3.6
    """
    check_frame(data)
    items = as_columns(columns, name="columns")
    if not items:
        raise ValueError("columns must name at least one column")
    by_cols = as_columns(by, name="by")
    check_columns(data, items, role="score")
    check_columns(data, by_cols, role="by")
    alpha = 1 - check_level(level)
    values = {c: numeric_column(data, c, allowed="finite numbers or missing values") for c in items}
    weights = weight_column(data, weight)
    rows = []
    for labels, positions in iter_groups(data, by_cols):
        for item in items:
            x = values[item][positions]
            answered = ~np.isnan(x)
            total, n_eff = kish(weights[positions][answered])
            rows.append(
                dict(zip(by_cols, labels, strict=True))
                | {
                    "item": item,
                    "n": int(answered.sum()),
                    "n_missing": int((~answered).sum()),
                    "n_weighted": total,
                    "n_eff": n_eff,
                }
                | _weighted_mean_ci(x[answered], weights[positions][answered], alpha)
            )
    cols = [*by_cols, "item", "n", "n_missing", *_weighted_cols(weight is not None)]
    cols += ["mean", "sd", "se", "ci_low", "ci_high"]
    table = flag_bases(pd.DataFrame(rows, columns=cols))
    return restore_by_dtypes(table, data, by_cols)


def likert_summary(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    scale: tuple[int, int] = (1, 5),
    labels: Mapping[str, str] | None = None,
    weight: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per Likert item: base, mean with t interval, top/bottom-2 and distribution.

    Each item is summarised on its own answers (missing values dropped and counted, so bases
    can differ between items). Values must be integers within ``scale``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    items : list of str
        The item columns, in the order wanted.
    scale : tuple of int, default=(1, 5)
        Lowest and highest scale point; the distribution has one column per point.
    labels : dict of str to str, optional
        Display label (e.g. the question wording) per item; items without one use their
        column name.
    weight : str, optional
        Column of survey weights (shares and means weighted; interval via Kish ``n_eff``).
    level : float, default=0.95
        Confidence level of the interval of the mean.

    Returns
    -------
    pandas.DataFrame
        ``item``, ``label``, ``n``, ``n_missing``, ``n_weighted`` and ``n_eff`` (weighted
        only), ``mean``, ``sd``, ``ci_low``, ``ci_high`` (t interval of the mean, as in
        :func:`mean_score`), ``top2``, ``bottom2`` and ``pct_<low>`` ... ``pct_<high>``
        (percent of answers), ``small_base``, ``suppress``.

    See Also
    --------
    mean_score, top_box, cronbach_alpha

    References
    ----------
    .. [1] Likert, R. (1932). A technique for the measurement of attitudes. *Archives of
       Psychology*, 140, 1-55.
    .. [2] Kish, L. (1965). *Survey Sampling*. New York: Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import likert_summary
    >>> responses = pd.DataFrame({"q1": [5, 4, 4, 3, 2], "q2": [1, 2, 2, None, 5]})
    >>> likert_summary(responses, ["q1", "q2"])[["item", "n", "mean", "top2", "pct_1"]]
      item  n  mean  top2  pct_1
    0   q1  5   3.6  60.0    0.0
    1   q2  4   2.5  25.0   25.0
    """
    check_frame(data)
    item_cols = as_columns(items, name="items")
    if not item_cols:
        raise ValueError("items must name at least one column")
    check_columns(data, item_cols, role="item")
    low, high = _check_scale(scale)
    alpha = 1 - check_level(level)
    labels = dict(labels or {})
    unknown = [k for k in labels if k not in item_cols]
    if unknown:
        raise ValueError(f"labels has key {unknown[0]!r}, which is not one of items {item_cols}")
    weights = weight_column(data, weight)
    points = np.arange(low, high + 1)
    rows = []
    for item in item_cols:
        x = _scale_values(data, item, (low, high))
        answered = ~np.isnan(x)
        x, w = x[answered], weights[answered]
        total, n_eff = kish(w)
        shares = np.full(points.size, np.nan)
        if total > 0:
            shares = np.array([w[x == p].sum() for p in points]) / total * 100
        stats = _weighted_mean_ci(x, w, alpha)
        rows.append(
            {
                "item": item,
                "label": labels.get(item, item),
                "n": int(answered.sum()),
                "n_missing": int((~answered).sum()),
                "n_weighted": total,
                "n_eff": n_eff,
                "mean": stats["mean"],
                "sd": stats["sd"],
                "ci_low": stats["ci_low"],
                "ci_high": stats["ci_high"],
                "top2": shares[-2:].sum() if total > 0 else np.nan,
                "bottom2": shares[:2].sum() if total > 0 else np.nan,
            }
            | {f"pct_{p}": s for p, s in zip(points, shares, strict=True)}
        )
    cols = ["item", "label", "n", "n_missing", *_weighted_cols(weight is not None)]
    cols += ["mean", "sd", "ci_low", "ci_high", "top2", "bottom2", *(f"pct_{p}" for p in points)]
    return flag_bases(pd.DataFrame(rows, columns=cols))


def cronbach_alpha(
    data: pd.DataFrame, items: Sequence[str], *, level: float = 0.95
) -> pd.DataFrame:
    r"""Cronbach's alpha of a multi-item scale, with Feldt's confidence interval.

    Uses respondents who answered every item (listwise deletion):
    :math:`\alpha = \frac{k}{k-1}\left(1 - \frac{\sum_i s_i^2}{s_X^2}\right)` with item
    variances :math:`s_i^2` and total-score variance :math:`s_X^2` (``ddof=1``). The interval
    follows Feldt (1965): :math:`(1-\alpha)/(1-\hat\alpha)` is F-distributed with
    :math:`n-1` and :math:`(n-1)(k-1)` degrees of freedom, so
    :math:`[1 - (1-\hat\alpha) F_{1-a/2},\; 1 - (1-\hat\alpha) F_{a/2}]` with
    :math:`a = 1 - \text{level}` (the same computation as pingouin's ``cronbach_alpha``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, one column per item (reverse-keyed items already recoded).
    items : list of str
        At least two numeric item columns.
    level : float, default=0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row: ``n`` (complete cases), ``n_missing`` (rows dropped), ``n_items``,
        ``alpha``, ``ci_low``, ``ci_high``.

    See Also
    --------
    likert_summary : per-item distributions.

    Notes
    -----
    Alpha assumes essentially tau-equivalent items; it is a lower bound of reliability
    otherwise and rises with the number of items. It can be negative when items correlate
    negatively (often a reverse-keyed item that was not recoded). Unweighted by design.

    References
    ----------
    .. [1] Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
       *Psychometrika*, 16(3), 297-334.
    .. [2] Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
       reliability coefficient twenty. *Psychometrika*, 30(3), 357-370.
    .. [3] Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
       coefficient alpha. *Applied Psychological Measurement*, 11(1), 93-103.
    .. [4] Vallat, R. (2018). Pingouin: statistics in Python. *Journal of Open Source
       Software*, 3(31), 1026 (``pingouin.cronbach_alpha``).

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import cronbach_alpha
    >>> scale = pd.DataFrame({"q1": [1, 2, 3, 4, 5], "q2": [2, 2, 3, 5, 5],
    ...                       "q3": [1, 3, 3, 4, 4]})
    >>> cronbach_alpha(scale, ["q1", "q2", "q3"])[["n", "n_items", "alpha"]].round(3)
       n  n_items  alpha
    0  5        3  0.954
    """
    from scipy.stats import f

    check_frame(data)
    item_cols = as_columns(items, name="items")
    check_columns(data, item_cols, role="item")
    if len(set(item_cols)) < 2:
        raise ValueError(f"cronbach_alpha needs at least 2 distinct items, got {item_cols}")
    a = 1 - check_level(level)
    matrix = np.column_stack(
        [numeric_column(data, c, allowed="finite numbers or missing values") for c in item_cols]
    )
    complete = ~np.isnan(matrix).any(axis=1)
    x = matrix[complete]
    n, k = x.shape
    if n < 2:
        raise ValueError(f"cronbach_alpha needs at least 2 complete rows over {item_cols}, got {n}")
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        raise ValueError(
            f"cronbach_alpha is undefined: the total score over {item_cols} is constant"
        )
    alpha = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total_var)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return pd.DataFrame(
        {
            "n": [n],
            "n_missing": [int((~complete).sum())],
            "n_items": [k],
            "alpha": [float(alpha)],
            "ci_low": [float(1 - (1 - alpha) * f.isf(a / 2, df1, df2))],
            "ci_high": [float(1 - (1 - alpha) * f.isf(1 - a / 2, df1, df2))],
        }
    )
