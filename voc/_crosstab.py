"""Two-way survey tables: cells with column-proportion letters, and the independence test.

Private module; the public names are re-exported by :mod:`voc.survey`.
"""

from __future__ import annotations

from collections.abc import Hashable
from itertools import combinations
from typing import NamedTuple

import numpy as np
import pandas as pd

from voc._survey_base import (
    check_adjust,
    check_columns,
    check_frame,
    check_level,
    flag_bases,
    p_adjust,
    weight_column,
)

__all__ = ["column_letters", "crosstab", "crosstab_test"]


class _Table(NamedTuple):
    rows: list[Hashable]
    cols: list[Hashable]
    counts: np.ndarray  # unweighted cell counts, rows x cols
    weighted: np.ndarray  # weighted cell totals (= counts when unweighted)
    col_w2: np.ndarray  # sum of squared weights per column
    n_missing: int
    w_total: float
    w2_total: float


def column_letters(k: int) -> list[str]:
    """Letters that label ``k`` table columns: A, B, ..., Z, AA, AB, ..."""
    letters = []
    for i in range(k):
        label, j = "", i
        while True:
            label = chr(ord("A") + j % 26) + label
            j = j // 26 - 1
            if j < 0:
                break
        letters.append(label)
    return letters


def _levels(series: pd.Series) -> list[Hashable]:
    """Observed labels in category order (categorical) or sorted order (anything else)."""
    observed = pd.unique(series)
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(observed)
        return [c for c in series.cat.categories if c in present]
    return list(pd.Index(observed).sort_values())


def _build_table(data: pd.DataFrame, row: str, col: str, weight: str | None) -> _Table:
    check_frame(data)
    for name, value in (("row", row), ("col", col)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a column name, got {value!r}")
    check_columns(data, [row, col], role="crosstab")
    if row == col:
        raise ValueError(f"row and col must be different columns, both are {row!r}")
    weights = weight_column(data, weight)
    keep = (data[row].notna() & data[col].notna()).to_numpy()
    r_series, c_series, w = data[row][keep], data[col][keep], weights[keep]
    rows, cols = _levels(r_series), _levels(c_series)
    r_code = pd.Categorical(r_series, categories=rows).codes.astype(np.intp)
    c_code = pd.Categorical(c_series, categories=cols).codes.astype(np.intp)
    cell = r_code * len(cols) + c_code
    size = len(rows) * len(cols)
    shape = (len(rows), len(cols))
    counts = np.bincount(cell, minlength=size).reshape(shape)
    weighted = np.bincount(cell, weights=w, minlength=size).reshape(shape)
    col_w2 = np.bincount(c_code, weights=w**2, minlength=len(cols))
    return _Table(
        rows,
        cols,
        counts,
        weighted,
        col_w2,
        int((~keep).sum()),
        float(w.sum()),
        float((w**2).sum()),
    )


def _letters_for_row(
    shares: np.ndarray, n_eff: np.ndarray, letters: list[str], alpha: float, adjust: str
) -> list[str]:
    """Letters of the columns each cell's proportion is significantly higher than."""
    from statsmodels.stats.proportion import proportions_ztest

    k = shares.size
    pairs = list(combinations(range(k), 2))
    p_values = np.ones(len(pairs))
    for m, (i, j) in enumerate(pairs):
        if not (n_eff[i] > 0 and n_eff[j] > 0):
            p_values[m] = np.nan
            continue
        count = np.array([shares[i] * n_eff[i], shares[j] * n_eff[j]])
        nobs = np.array([n_eff[i], n_eff[j]])
        pooled = count.sum() / nobs.sum()
        if 0 < pooled < 1:  # otherwise both shares are 0 (or both 1): no difference to test
            p_values[m] = proportions_ztest(count, nobs)[1]
    adjusted = p_adjust(p_values, adjust)
    higher: list[list[int]] = [[] for _ in range(k)]
    for (i, j), p in zip(pairs, adjusted, strict=True):
        if np.isfinite(p) and p < alpha:
            if shares[i] > shares[j]:
                higher[i].append(j)
            elif shares[j] > shares[i]:
                higher[j].append(i)
    return ["".join(letters[j] for j in sorted(h)) for h in higher]


def crosstab(
    data: pd.DataFrame,
    row: str,
    col: str,
    *,
    weight: str | None = None,
    level: float = 0.95,
    adjust: str = "bonferroni",
) -> pd.DataFrame:
    """Two-way table in long form, with row/column percentages and column-proportion letters.

    Counts every (``row``, ``col``) combination and, as printed survey tables do, labels the
    columns A, B, C, ... and gives each cell the letters of the columns whose proportion it
    is significantly *higher* than (same row, two-sided pooled two-proportion z-test from
    statsmodels ``proportions_ztest``, p-values adjusted within the row). Rows with a
    missing ``row`` or ``col`` value are dropped (see :func:`crosstab_test` for the count).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    row, col : str
        The row and column variables (the column variable is usually the banner: segments,
        plans, waves). Labels come out in category order (categorical) or sorted order;
        categories without respondents are left out.
    weight : str, optional
        Column of survey weights. Percentages are weighted, and the letter tests use each
        column's Kish effective base.
    level : float, default=0.95
        Confidence level of the letter tests (significance ``1 - level``).
    adjust : {"bonferroni", "holm", "fdr_bh", "none"}, default="bonferroni"
        Adjustment over the ``k*(k-1)/2`` column pairs of each row (the convention of SPSS
        Custom Tables' column-proportion tests); ``"none"`` tests each pair at ``1 - level``.

    Returns
    -------
    pandas.DataFrame
        One row per cell, rows then columns in table order: ``row``, ``col``, ``col_letter``,
        ``n`` (unweighted count), ``n_weighted`` (weighted only), ``n_row`` and ``n_col``
        (unweighted row and column bases), ``n_eff_col`` (weighted only), ``pct_row``,
        ``pct_col`` (percent), ``sig_higher`` (letters, "" if none), and ``small_base`` /
        ``suppress`` flags of the column base (:func:`flag_bases` with ``base="n_col"``).

    See Also
    --------
    crosstab_test : chi-square or Fisher test of independence for the same table.

    Notes
    -----
    The letters are many tests, not one: even with the within-row adjustment, a large table
    will show some letters by chance. Cells with a suppressed column base still get tested;
    hide them in the report.

    References
    ----------
    .. [1] Agresti, A. (2013). *Categorical Data Analysis* (3rd ed.). Wiley, section 3.1.
    .. [2] IBM SPSS Statistics, *Custom Tables* documentation: test statistics, "Compare
       column proportions" (z-test of column proportions, Bonferroni adjustment).

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import crosstab
    >>> responses = pd.DataFrame({
    ...     "csat": ["sat"] * 30 + ["unsat"] * 10 + ["sat"] * 10 + ["unsat"] * 30,
    ...     "plan": ["free"] * 40 + ["pro"] * 40,
    ... })
    >>> cells = crosstab(responses, "csat", "plan")
    >>> cells[["row", "col", "col_letter", "n", "pct_col"]]
         row   col col_letter   n  pct_col
    0    sat  free          A  30     75.0
    1    sat   pro          B  10     25.0
    2  unsat  free          A  10     25.0
    3  unsat   pro          B  30     75.0
    >>> cells["sig_higher"].tolist()
    ['B', '', '', 'A']
    """
    alpha = 1 - check_level(level)
    check_adjust(adjust)
    table = _build_table(data, row, col, weight)
    weighted = weight is not None
    n_rows, n_cols = table.counts.shape
    letters = column_letters(n_cols)
    col_w = table.weighted.sum(axis=0)
    row_w = table.weighted.sum(axis=1)
    n_eff_col = np.divide(col_w**2, table.col_w2, out=np.zeros(n_cols), where=table.col_w2 > 0)
    pct_col = 100 * np.divide(
        table.weighted, col_w, out=np.full(table.weighted.shape, np.nan), where=col_w > 0
    )
    pct_row = 100 * np.divide(
        table.weighted,
        row_w[:, None],
        out=np.full(table.weighted.shape, np.nan),
        where=row_w[:, None] > 0,
    )
    sig = [
        _letters_for_row(pct_col[r] / 100, n_eff_col, letters, alpha, adjust) for r in range(n_rows)
    ]
    cells = pd.DataFrame(
        {
            "row": np.repeat(np.array(table.rows, dtype=object), n_cols),
            "col": np.tile(np.array(table.cols, dtype=object), n_rows),
            "col_letter": np.tile(letters, n_rows),
            "n": table.counts.ravel(),
            "n_weighted": table.weighted.ravel(),
            "n_row": np.repeat(table.counts.sum(axis=1), n_cols),
            "n_col": np.tile(table.counts.sum(axis=0), n_rows),
            "n_eff_col": np.tile(n_eff_col, n_rows),
            "pct_row": pct_row.ravel(),
            "pct_col": pct_col.ravel(),
            "sig_higher": [s for row_letters in sig for s in row_letters],
        }
    )
    if not weighted:
        cells = cells.drop(columns=["n_weighted", "n_eff_col"])
    for name, source in (("row", row), ("col", col)):
        if isinstance(data[source].dtype, pd.CategoricalDtype):
            cells[name] = pd.Categorical(cells[name], dtype=data[source].dtype)
        else:
            cells[name] = cells[name].infer_objects()
    return flag_bases(cells, base="n_col")


def crosstab_test(
    data: pd.DataFrame,
    row: str,
    col: str,
    *,
    weight: str | None = None,
    min_expected: float = 5,
) -> pd.DataFrame:
    """Test of independence for a two-way table: Pearson chi-square, or Fisher for sparse 2x2.

    Uses the same table as :func:`crosstab` (rows with a missing ``row`` or ``col`` value
    dropped and counted). A 2x2 table with any expected count below ``min_expected`` gets
    Fisher's exact test (scipy ``fisher_exact``); every other table gets Pearson's
    chi-square without continuity correction (scipy ``chi2_contingency(correction=False)``),
    with a ``note`` when expected counts are small.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    row, col : str
        The two categorical variables.
    weight : str, optional
        Column of survey weights; see Notes.
    min_expected : float, default=5
        Expected count below which a cell counts as sparse (Cochran's rule).

    Returns
    -------
    pandas.DataFrame
        One row: ``n`` (respondents in the table), ``n_missing``, ``n_weighted`` and
        ``n_eff`` (weighted only), ``test`` ("chi2" or "fisher"), ``stat`` (X^2, or the sample
        odds ratio for Fisher), ``dof`` (NaN for Fisher), ``p_val``, ``effect_size``
        (Cramér's V from the Pearson X^2 of the tested table), ``smallest_expected``,
        ``n_small_expected`` (cells below ``min_expected``) and ``note`` ("" when nothing to
        say). A table with fewer than 2 rows or columns has NaN results and a note.

    See Also
    --------
    crosstab : the cells, percentages and column letters.

    Notes
    -----
    Weighted, the chi-square is computed on the weighted table rescaled to the Kish
    effective sample size of the table, i.e. Pearson's X^2 on weighted shares divided by the
    design effect of weighting. This is a first-order correction in the spirit of Rao & Scott
    (1981); it ignores clustering and stratification. Fisher's test has no weighted version
    and is computed on the unweighted counts (the note says so).

    References
    ----------
    .. [1] Agresti, A. (2007). *An Introduction to Categorical Data Analysis* (2nd ed.). Wiley,
       sections 2.4 and 2.6.
    .. [2] Cochran, W. G. (1954). Some methods for strengthening the common chi-squared tests.
       *Biometrics*, 10(4), 417-451.
    .. [3] Rao, J. N. K., & Scott, A. J. (1981). The analysis of categorical data from complex
       sample surveys. *Journal of the American Statistical Association*, 76(374), 221-230.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import crosstab_test
    >>> responses = pd.DataFrame({
    ...     "csat": ["sat"] * 30 + ["unsat"] * 10 + ["sat"] * 10 + ["unsat"] * 30,
    ...     "plan": ["free"] * 40 + ["pro"] * 40,
    ... })
    >>> crosstab_test(responses, "csat", "plan")[["test", "stat", "dof"]]
       test  stat  dof
    0  chi2  20.0    1
    """
    from scipy.stats import chi2_contingency, fisher_exact
    from scipy.stats.contingency import expected_freq

    if (
        isinstance(min_expected, bool)
        or not isinstance(min_expected, int | float)
        or min_expected <= 0
    ):
        raise ValueError(f"min_expected must be a positive number, got {min_expected!r}")
    table = _build_table(data, row, col, weight)
    weighted = weight is not None
    n = int(table.counts.sum())
    n_eff = table.w_total**2 / table.w2_total if table.w2_total > 0 else float("nan")
    result: dict[str, object] = {
        "n": n,
        "n_missing": table.n_missing,
        "n_weighted": table.w_total,
        "n_eff": n_eff,
        "test": "chi2",
        "stat": np.nan,
        "dof": np.nan,
        "p_val": np.nan,
        "effect_size": np.nan,
        "smallest_expected": np.nan,
        "n_small_expected": 0,
        "note": "",
    }
    if min(table.counts.shape) < 2:
        result["note"] = (
            f"no test: the table has {table.counts.shape[0]} row and "
            f"{table.counts.shape[1]} column categories with answers; both need at least 2"
        )
        return _test_frame(result, weighted)
    observed = table.weighted * (n_eff / table.w_total) if weighted else table.counts.astype(float)
    expected = expected_freq(observed)
    small = int((expected < min_expected).sum())
    pearson = chi2_contingency(observed, correction=False)
    result |= {
        "smallest_expected": float(expected.min()),
        "n_small_expected": small,
        "effect_size": float(
            np.sqrt(pearson.statistic / (observed.sum() * (min(observed.shape) - 1)))
        ),
    }
    notes = []
    if observed.shape == (2, 2) and small:
        fisher = fisher_exact(table.counts)
        result |= {"test": "fisher", "stat": float(fisher.statistic), "p_val": float(fisher.pvalue)}
        notes.append(
            f"Fisher's exact test: a 2x2 table with an expected count below {min_expected:g} "
            "(stat is the sample odds ratio)"
        )
        if weighted:
            notes.append("computed on unweighted counts")
    else:
        result |= {
            "stat": float(pearson.statistic),
            "dof": int(pearson.dof),
            "p_val": float(pearson.pvalue),
        }
        if weighted:
            notes.append("chi-square on the weighted table rescaled to the Kish effective n")
        if small:
            notes.append(
                f"{small} of {expected.size} cells have an expected count below "
                f"{min_expected:g} (smallest {expected.min():.2f}); the chi-square p-value may "
                "be inaccurate: merge sparse categories"
            )
    result["note"] = "; ".join(notes)
    return _test_frame(result, weighted)


def _test_frame(result: dict[str, object], weighted: bool) -> pd.DataFrame:
    frame = pd.DataFrame([result])
    return frame if weighted else frame.drop(columns=["n_weighted", "n_eff"])
