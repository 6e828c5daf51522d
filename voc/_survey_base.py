"""Validation and grouping helpers shared by the ``voc.survey`` estimators (private).

Everything here either checks an input and raises a ``ValueError``/``TypeError`` that names the
column, the first offending row label and the allowed values, or turns validated columns into
plain numpy arrays. Nothing here mutates ``data``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ADJUST_METHODS",
    "as_columns",
    "check_adjust",
    "check_columns",
    "check_frame",
    "check_level",
    "flag_bases",
    "iter_groups",
    "kish",
    "numeric_column",
    "p_adjust",
    "restore_by_dtypes",
    "weight_column",
]

#: Multiple-comparison methods accepted by ``adjust=`` (passed to statsmodels ``multipletests``).
ADJUST_METHODS = ("holm", "bonferroni", "fdr_bh", "none")


def check_frame(data: Any) -> None:
    """Raise ``TypeError`` unless ``data`` is a pandas DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")


def as_columns(value: str | Sequence[str] | None, *, name: str) -> list[str]:
    """Normalise a column name or a list of names to a list (``None`` gives ``[]``)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError(f"{name} must be a column name or a list of column names, got {value!r}")


def check_columns(data: pd.DataFrame, columns: Sequence[str], *, role: str) -> None:
    """Raise ``ValueError`` naming the first column of ``columns`` that ``data`` lacks."""
    for column in columns:
        if column not in data.columns:
            raise ValueError(
                f"{role} column {column!r} is not in data; available columns: "
                f"{[str(c) for c in data.columns]}"
            )


def check_level(level: float) -> float:
    """Return ``level`` if it is a confidence level strictly between 0 and 1."""
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise ValueError(
            f"level must be a number strictly between 0 and 1 (e.g. 0.95), got {level!r}"
        )
    return float(level)


def _first_offender(
    series: pd.Series, mask: np.ndarray, column: str, allowed: str, role: str = "column"
) -> ValueError:
    labels = series.index[mask]
    value = series.loc[labels[0]] if series.index.is_unique else series[mask].iloc[0]
    if isinstance(value, np.generic):
        value = value.item()  # show 7.5, not np.float64(7.5)
    more = f" (and {len(labels) - 1} more rows)" if len(labels) > 1 else ""
    return ValueError(
        f"{role} {column!r} must hold {allowed}; row {labels[0]!r} has {value!r}{more}"
    )


def numeric_column(
    data: pd.DataFrame,
    column: str,
    *,
    allowed: str,
    scale: tuple[int, int] | None = None,
) -> np.ndarray:
    """Return ``data[column]`` as float64 with NaN for missing values, after validation.

    Missing values (NaN, None, pd.NA) are allowed and come back as NaN. Any other value that is
    not a finite number raises; with ``scale=(low, high)`` values must also be integers in
    ``low..high``. ``allowed`` is the phrase used in the error message.
    """
    series = data[column]
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ValueError(f"column {column!r} must hold {allowed}; it holds booleans")
    missing = series.isna().to_numpy()
    numbers = pd.to_numeric(series, errors="coerce")
    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~missing & ~np.isfinite(values)
    if scale is not None:
        low, high = scale
        with np.errstate(invalid="ignore"):
            bad |= ~missing & ((values != np.round(values)) | (values < low) | (values > high))
    if bad.any():
        raise _first_offender(series, bad, column, allowed)
    return values


def weight_column(data: pd.DataFrame, weight: str | None) -> np.ndarray:
    """Return validated weights (all ones when ``weight`` is None) as a float64 array.

    Weights must be finite and non-negative and no weight may be missing; the error names the
    column and the first offending row label.
    """
    if weight is None:
        return np.ones(len(data))
    if not isinstance(weight, str):
        raise TypeError(f"weight must be a column name or None, got {weight!r}")
    check_columns(data, [weight], role="weight")
    series = data[weight]
    allowed = "finite non-negative numbers with no missing values"
    if pd.api.types.is_bool_dtype(series.dtype):
        raise ValueError(f"weight column {weight!r} must hold {allowed}; it holds booleans")
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise _first_offender(series, bad, weight, allowed, role="weight column")
    return values


def kish(weights: np.ndarray) -> tuple[float, float]:
    """Return ``(sum of weights, Kish effective n)``; ``n_eff`` is NaN when the sum is 0."""
    total = float(weights.sum())
    if total <= 0:
        return total, float("nan")
    return total, total**2 / float(np.square(weights).sum())


def iter_groups(
    data: pd.DataFrame, by: list[str]
) -> Iterator[tuple[tuple[Hashable, ...], np.ndarray]]:
    """Yield ``(labels, positions)`` per group in sorted (categorical) order.

    Rows with a missing label in any ``by`` column belong to no group. Categories of a
    categorical ``by`` column that have no rows are skipped.
    """
    if not by:
        yield (), np.arange(len(data))
        return
    labels = data[by].reset_index(drop=True)
    grouped = labels.groupby(by, sort=True, observed=True, dropna=True)
    for key, frame in grouped:
        yield tuple(key), frame.index.to_numpy()


def restore_by_dtypes(table: pd.DataFrame, data: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Give the ``by`` columns of a result the categorical dtype they had in ``data``."""
    categorical = {
        b: pd.Categorical(table[b], dtype=data[b].dtype)
        for b in by
        if isinstance(data[b].dtype, pd.CategoricalDtype)
    }
    return table.assign(**categorical) if categorical else table


def p_adjust(p_values: np.ndarray, method: str) -> np.ndarray:
    """Adjust p-values with statsmodels ``multipletests``; NaN p-values stay NaN."""
    from statsmodels.stats.multitest import multipletests

    p_values = np.asarray(p_values, dtype="float64")
    if method == "none":
        return p_values.copy()
    adjusted = np.full_like(p_values, np.nan)
    finite = np.isfinite(p_values)
    if finite.any():
        adjusted[finite] = _adjust(p_values[finite], method, multipletests)
    return adjusted


def _adjust(p: np.ndarray, method: str, multipletests: Any) -> np.ndarray:
    # Holm (1979) and Bonferroni in closed form: statsmodels' multipletests runs a full garbage
    # collection on every call, which made tables of many codes slow. Same numbers (tested).
    m = len(p)
    if method == "bonferroni":
        return np.minimum(1.0, p * m)
    if method == "holm":
        order = np.argsort(p, kind="stable")
        steps = np.maximum.accumulate((m - np.arange(m)) * p[order])
        out = np.empty(m)
        out[order] = np.minimum(1.0, steps)
        return out
    return multipletests(p, method=method)[1]


def check_adjust(adjust: str) -> str:
    """Return ``adjust`` if it names a known multiple-comparison method."""
    if adjust not in ADJUST_METHODS:
        raise ValueError(f"adjust must be one of {list(ADJUST_METHODS)}, got {adjust!r}")
    return adjust


def flag_bases(
    table: pd.DataFrame,
    *,
    base: str = "n",
    min_base: int = 30,
    suppress_below: int = 5,
) -> pd.DataFrame:
    """Flag rows of a result table whose unweighted base is small or too small to show.

    Adds (or replaces) two boolean columns: ``small_base`` (``table[base] < min_base``: show
    the estimate with a warning) and ``suppress`` (``table[base] < suppress_below``: do not
    show it). Returns a new frame; ``table`` is not modified. A missing base counts as 0.

    Parameters
    ----------
    table : pandas.DataFrame
        A result table with an unweighted count column.
    base : str, default="n"
        The count column the flags are based on (``"n_col"`` for :func:`crosstab` cells).
    min_base : int, default=30
        Bases below this are flagged ``small_base``.
    suppress_below : int, default=5
        Bases below this are flagged ``suppress``; must not exceed ``min_base``.

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``small_base`` and ``suppress`` columns.

    See Also
    --------
    nps, top_box, mean_score : call this on their results.

    Notes
    -----
    Flags use the unweighted base because that is what sampling error depends on; a
    weighted count can look comfortable while resting on a handful of respondents. The
    defaults (30 and 5) are common market-research reporting conventions, not statistical
    laws; set them per study.

    References
    ----------
    .. [1] Kish, L. (1965). *Survey Sampling*. New York: Wiley (sampling error depends on the
       number of respondents, not on their weighted total).

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import flag_bases
    >>> flag_bases(pd.DataFrame({"n": [3, 12, 40]}))
        n  small_base  suppress
    0   3        True      True
    1  12        True     False
    2  40       False     False
    """
    check_frame(table)
    check_columns(table, [base], role="base")
    for name, value in (("min_base", min_base), ("suppress_below", suppress_below)):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    if suppress_below > min_base:
        raise ValueError(f"suppress_below ({suppress_below}) must not exceed min_base ({min_base})")
    counts = pd.to_numeric(table[base], errors="coerce").fillna(0).to_numpy()
    return table.assign(small_base=counts < min_base, suppress=counts < suppress_below)
