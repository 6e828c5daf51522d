"""Survey weights: Kish effective sample size, design effect and raking (private module).

The public names are re-exported by :mod:`voc.survey`; import them from there.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from voc._survey_base import check_columns, check_frame, weight_column

__all__ = ["design_effect", "effective_n", "rake"]

#: How far the target shares of one raking variable may sum away from 1.
SHARE_SUM_TOL = 1e-6


def _weight_array(weights: Any) -> np.ndarray:
    try:
        values = np.asarray(weights, dtype="float64")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"weights must be numbers, got {weights!r}") from exc
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"weights must be a non-empty 1-D sequence, got shape {values.shape}")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise ValueError(
            "weights must be finite non-negative numbers with no missing values; "
            f"position {position} has {values[position]!r}"
        )
    if values.sum() <= 0:
        raise ValueError("weights must not all be zero")
    return values


def effective_n(weights: Any) -> float:
    """Kish's effective sample size of a set of weights.

    ``n_eff = (sum w)**2 / sum(w**2)``: the number of unweighted respondents that would give the
    same precision as the weighted sample, *if* the weights are unrelated to the outcome. It
    equals ``n`` when all weights are equal and shrinks as the weights get more variable.

    Parameters
    ----------
    weights : array-like of float
        Finite, non-negative weights, not all zero (a Series, list or 1-D array).

    Returns
    -------
    float
        The effective sample size, between 1 and ``len(weights)``.

    See Also
    --------
    design_effect : ``n / n_eff``.

    References
    ----------
    .. [1] Kish, L. (1965). *Survey Sampling*. New York: Wiley, section 11.7.

    Examples
    --------
    >>> from voc.survey import effective_n
    >>> effective_n([1.0, 1.0, 1.0, 3.0])
    3.0
    """
    values = _weight_array(weights)
    return float(values.sum() ** 2 / np.square(values).sum())


def design_effect(weights: Any) -> float:
    """Kish's design effect due to unequal weighting.

    ``deff = n * sum(w**2) / (sum w)**2 = n / n_eff``: the factor by which unequal weights
    inflate the variance of a mean or a proportion (ignoring clustering and stratification,
    which voc does not model).

    Parameters
    ----------
    weights : array-like of float
        Finite, non-negative weights, not all zero.

    Returns
    -------
    float
        The design effect, ``>= 1``.

    See Also
    --------
    effective_n : ``n / deff``.

    References
    ----------
    .. [1] Kish, L. (1965). *Survey Sampling*. New York: Wiley, section 11.7.
    .. [2] Kish, L. (1992). Weighting for unequal Pi. *Journal of Official Statistics*, 8(2),
       183-200.

    Examples
    --------
    >>> from voc.survey import design_effect
    >>> round(design_effect([1.0, 1.0, 1.0, 3.0]), 4)
    1.3333
    """
    values = _weight_array(weights)
    return float(values.size * np.square(values).sum() / values.sum() ** 2)


def _raking_codes(
    data: pd.DataFrame, variable: str, shares: Any, base: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Validate one raking variable; return (category code per row, target share per code)."""
    if not isinstance(shares, Mapping) or not shares:
        raise TypeError(
            f"targets[{variable!r}] must be a non-empty dict of category -> share, got {shares!r}"
        )
    series = data[variable]
    if series.isna().any():
        label = series.index[series.isna().to_numpy()][0]
        raise ValueError(
            f"raking variable {variable!r} has a missing value in row {label!r}; "
            "impute or recode it (e.g. to 'Unknown' with its own target) before raking"
        )
    categories: list[Hashable] = list(shares)
    targets = np.array([_share(variable, c, shares[c]) for c in categories], dtype="float64")
    if abs(targets.sum() - 1) > SHARE_SUM_TOL:
        raise ValueError(
            f"target shares of raking variable {variable!r} must sum to 1, they sum to "
            f"{targets.sum():.6g}; give proportions (not percentages) over all its categories"
        )
    unknown = [v for v in pd.unique(series) if v not in shares]
    if unknown:
        raise ValueError(
            f"raking variable {variable!r} has category {unknown[0]!r} in data but not in "
            f"targets[{variable!r}] (which has {categories}); add it or recode the data"
        )
    codes = pd.Categorical(series, categories=categories).codes.astype(np.intp)
    present = np.bincount(codes, weights=base, minlength=len(categories))
    for category, target, weight_sum in zip(categories, targets, present, strict=True):
        if target > 0 and weight_sum <= 0:
            raise ValueError(
                f"raking variable {variable!r}: category {category!r} has target share "
                f"{target:g} but no respondents with positive weight in data"
            )
    return codes, targets


def _share(variable: str, category: Hashable, share: Any) -> float:
    if isinstance(share, bool) or not isinstance(share, int | float | np.number):
        raise ValueError(
            f"targets[{variable!r}][{category!r}] must be a number in [0, 1], got {share!r}"
        )
    if not np.isfinite(share) or not 0 <= share <= 1:
        raise ValueError(
            f"targets[{variable!r}][{category!r}] must be a number in [0, 1], got {share!r}"
        )
    return float(share)


def rake(
    data: pd.DataFrame,
    targets: Mapping[str, Mapping[Hashable, float]],
    *,
    weight: str | None = None,
    max_iter: int = 100,
    tol: float = 1e-6,
) -> pd.Series:
    """Rake weights to population margins by iterative proportional fitting.

    Starting from ``data[weight]`` (or 1 for everyone), the weights are multiplied, one
    variable at a time, by ``target share / current weighted share`` of the respondent's
    category, and the sweep over all variables repeats until every weighted margin is within
    ``tol`` of its target. The weights keep their starting total (``n`` when unweighted).
    ``data`` is not modified.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    targets : dict of str to dict of category to float
        ``{variable: {category: population share}}``. Shares of each variable must be
        proportions that sum to 1 (within 1e-6), and every category seen in ``data`` must have
        a share (a share of 0 zeroes that category's weights).
    weight : str, optional
        Column of starting (design) weights. Default: all 1.
    max_iter : int, default=100
        Maximum number of full sweeps over the variables.
    tol : float, default=1e-6
        Convergence tolerance on the largest absolute difference between a weighted share and
        its target.

    Returns
    -------
    pandas.Series
        The raked weights, float, indexed like ``data`` and named ``"weight"``.

    Raises
    ------
    ValueError
        If a variable is not a column, has missing values, its shares do not sum to 1, a
        category of the data has no target (the message names the variable and the category),
        a targeted category has no respondents, or the fit does not converge within
        ``max_iter`` sweeps (the message gives the iteration count and the remaining error).

    See Also
    --------
    effective_n, design_effect : how much precision the raked weights cost.

    Notes
    -----
    Raking matches the *margins* only; it preserves the sample's interactions (for a two-way
    table, IPF keeps the sample's odds ratios [3]_). Raked weights can be extreme when a
    cell is small: check :func:`design_effect` and consider trimming before use. Non-
    convergence usually means the targets are inconsistent with the sample's empty cells.

    References
    ----------
    .. [1] Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a sampled
       frequency table when the expected marginal totals are known. *Annals of Mathematical
       Statistics*, 11(4), 427-444.
    .. [2] Kolenikov, S. (2014). Calibrating survey data using iterative proportional fitting
       (raking). *The Stata Journal*, 14(1), 22-59.
    .. [3] Bishop, Y. M. M., Fienberg, S. E., & Holland, P. W. (1975). *Discrete Multivariate
       Analysis*. MIT Press, chapter 3.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.survey import rake
    >>> responses = pd.DataFrame({"sex": ["f", "f", "f", "m", "m"],
    ...                           "age": ["young", "old", "old", "young", "old"]})
    >>> targets = {"sex": {"f": 0.5, "m": 0.5}, "age": {"young": 0.4, "old": 0.6}}
    >>> w = rake(responses, targets)
    >>> w.groupby(responses["sex"]).sum().round(6).tolist()
    [2.5, 2.5]
    >>> w.groupby(responses["age"]).sum().round(6).tolist()
    [3.0, 2.0]
    """
    check_frame(data)
    if not isinstance(targets, Mapping) or not targets:
        raise TypeError("targets must be a non-empty dict of {variable: {category: share}}")
    check_columns(data, list(targets), role="raking")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if not isinstance(tol, int | float) or not tol > 0:
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    base = weight_column(data, weight)
    if len(data) == 0 or base.sum() <= 0:
        raise ValueError("cannot rake: data has no rows with positive weight")
    margins = [_raking_codes(data, variable, targets[variable], base) for variable in targets]

    weights = base.copy()
    total = float(base.sum())
    error = float("inf")
    for _ in range(max_iter):
        for codes, shares in margins:
            current = np.bincount(codes, weights=weights, minlength=shares.size)
            factor = np.divide(
                shares * total, current, out=np.zeros_like(shares), where=current > 0
            )
            weights = weights * factor[codes]
        error = max(
            float(np.abs(np.bincount(c, weights=weights, minlength=s.size) / total - s).max())
            for c, s in margins
        )
        if error < tol:
            return pd.Series(weights, index=data.index, name="weight")
    raise ValueError(
        f"raking did not converge in {max_iter} iterations: the largest margin error is "
        f"{error:.3g} (tol={tol:g}); the targets may be inconsistent with empty cells of the "
        "sample, or raise max_iter"
    )
