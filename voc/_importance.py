"""Relative importance of key drivers: Johnson's relative weights and dominance analysis (private).

:func:`relative_importance` is re-exported by :mod:`voc.drivers`; import it from there. Both
methods split the R² of the linear regression of an outcome on a set of drivers into one
non-negative share per driver. Everything is computed from the (weighted) correlation matrix of
the complete rows, for the full sample and for every bootstrap replicate at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import comb

import numpy as np
import pandas as pd

from voc._survey_base import as_columns, check_frame, check_level, numeric_column, weight_column

__all__ = ["BOOT_MAX_ROWS", "MAX_DOMINANCE_DRIVERS", "check_named_columns", "relative_importance"]

#: Dominance analysis fits all 2**p subsets; above this many drivers it is refused.
MAX_DOMINANCE_DRIVERS = 12

#: An eigenvalue of the driver correlation matrix below this counts as zero (perfect collinearity).
_EIGEN_TOL = 1e-10

#: Bootstrap replicates are drawn in batches of at most this many (replicate x row) cells.
_BOOT_CELLS = 2_000_000

#: Above this many complete rows a bootstrap replicate draws this many rows (m-out-of-n) and
#: its deviation from the estimate is scaled by sqrt(m / n); see :func:`relative_importance`.
BOOT_MAX_ROWS = 20_000


def check_named_columns(data: pd.DataFrame, columns: Sequence[str], *, role: str) -> None:
    """Raise ``ValueError`` for the first of ``columns`` not in ``data``, suggesting a close match."""
    from voc.study import suggest

    available = [str(c) for c in data.columns]
    for column in columns:
        if column not in data.columns:
            raise ValueError(
                f"{role} column {column!r} is not in data.{suggest(column, available)} "
                f"Available columns: {available}"
            )


def _collinear_names(corr: np.ndarray, names: Sequence[str]) -> list[str] | None:
    """Names involved in an exact linear dependence among drivers, or None if there is none."""
    values, vectors = np.linalg.eigh(corr)
    null = vectors[:, values < _EIGEN_TOL]
    if null.shape[1] == 0:
        return None
    involved = np.abs(null).max(axis=1) > 1e-6
    return [name for name, hit in zip(names, involved, strict=True) if hit]


def _correlations(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted correlation matrices, one per row of ``weights``.

    ``values`` is (n, q); ``weights`` is (B, n) (bootstrap count times survey weight). Returns
    (B, q, q); a replicate in which a column has no variance gets NaN correlations.
    """
    n, q = values.shape
    centred = values - np.average(values, axis=0, weights=weights.sum(axis=0))
    total = weights.sum(axis=1)
    mean = weights @ centred / total[:, None]
    if len(weights) == 1:  # the full sample: no (n, q * q) array of products
        cov = ((centred * weights[0][:, None]).T @ centred)[None] / total[:, None, None]
    else:
        products = (centred[:, :, None] * centred[:, None, :]).reshape(n, q * q)
        cov = (weights @ products).reshape(-1, q, q) / total[:, None, None]
    cov -= mean[:, :, None] * mean[:, None, :]
    return _standardise(cov)


def _sample_correlations(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted correlation matrices of B samples of rows: ``values`` (B, m, q), ``weights``
    (B, m). Returns (B, q, q), NaN correlations where a column has no variance."""
    total = weights.sum(axis=1)
    mean = np.einsum("bm,bmq->bq", weights, values) / total[:, None]
    centred = values - mean[:, None, :]
    cov = np.swapaxes(centred * weights[:, :, None], 1, 2) @ centred / total[:, None, None]
    return _standardise(cov)


def _standardise(cov: np.ndarray) -> np.ndarray:
    """Covariance matrices (B, q, q) → correlation matrices, NaN for a column without variance."""
    q = cov.shape[1]
    sd = np.sqrt(np.clip(np.diagonal(cov, axis1=1, axis2=2), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / (sd[:, :, None] * sd[:, None, :])
    idx = np.arange(q)
    corr[:, idx, idx] = np.where(sd > 0, 1.0, np.nan)
    return corr


def _split(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Driver correlations, driver-outcome correlations and a validity mask, per replicate.

    A replicate is invalid when a correlation is undefined (a constant column) or the driver
    correlation matrix is singular; its matrix is replaced by the identity so that batched
    linear algebra does not fail, and its results are set to NaN by the caller.
    """
    rxx, rxy = corr[:, 1:, 1:].copy(), corr[:, 1:, 0].copy()
    valid = np.isfinite(corr).all(axis=(1, 2))
    p = rxx.shape[1]
    rxx[~valid], rxy[~valid] = np.eye(p), 0.0
    valid &= np.linalg.eigvalsh(rxx)[:, 0] > _EIGEN_TOL
    rxx[~valid] = np.eye(p)
    return rxx, rxy, valid


def _relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's (2000) raw relative weights, (B, p), from positive definite ``rxx``.

    With ``rxx = Q diag(lam) Q'``: ``Lambda = rxx**(1/2)`` holds the loadings of the drivers on
    their closest orthonormal counterparts Z, ``beta = rxx**(-1/2) rxy`` the regression of the
    outcome on Z, and the weight of driver j is ``sum_k Lambda[j, k]**2 * beta[k]**2``.
    """
    lam, q = np.linalg.eigh(rxx)
    q_t = np.swapaxes(q, 1, 2)
    half = (q * np.sqrt(lam)[:, None, :]) @ q_t
    inv_half = (q * (1 / np.sqrt(lam))[:, None, :]) @ q_t
    beta = (inv_half @ rxy[:, :, None])[:, :, 0]
    return np.einsum("bjk,bk->bj", half**2, beta**2)


def _subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R² of every subset of drivers, (2**p, B); row ``mask`` is the subset of its set bits.

    Subsets are visited depth first, each one grown from its parent by adding a driver with a
    higher index. Adding driver j to S raises R² by ``e**2 / d``, where ``d = 1 - c' u`` is the
    part of j's variance that S leaves unexplained (``c`` = correlations of j with S,
    ``u = R_SS^-1 c``) and ``e = r_jy - c' b_S`` the part of its correlation with the outcome
    that S leaves unexplained; the inverse and coefficients are updated by block inversion.
    Exact, and far cheaper than one linear solve per subset.
    """
    n_rep, p = rxy.shape
    r2 = np.zeros((2**p, n_rep))

    def grow(mask: int, members: list[int], inv: np.ndarray, beta: np.ndarray) -> None:
        for j in range(members[-1] + 1 if members else 0, p):
            c = rxx[:, members, j]
            u = np.einsum("bkl,bl->bk", inv, c)
            d = 1.0 - np.einsum("bk,bk->b", c, u)
            e = rxy[:, j] - np.einsum("bk,bk->b", c, beta)
            child = mask | (1 << j)
            r2[child] = r2[mask] + e**2 / d
            if j < p - 1:
                k = len(members)
                new_inv = np.empty((n_rep, k + 1, k + 1))
                new_inv[:, :k, :k] = inv + u[:, :, None] * u[:, None, :] / d[:, None, None]
                new_inv[:, :k, k] = new_inv[:, k, :k] = -u / d[:, None]
                new_inv[:, k, k] = 1.0 / d
                new_beta = np.concatenate([beta - u * (e / d)[:, None], (e / d)[:, None]], axis=1)
                grow(child, [*members, j], new_inv, new_beta)

    grow(0, [], np.zeros((n_rep, 0, 0)), np.zeros((n_rep, 0)))
    return r2


def _general_dominance(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """General dominance weights, (B, p): the mean over subset sizes of the mean R² increment.

    For driver j and each size k = 0..p-1, average ``R²(S + j) - R²(S)`` over the
    ``C(p-1, k)`` subsets S of the other drivers with k members, then average over k. The
    weights are the Shapley values of R² and sum to the full-model R².
    """
    n_rep, p = rxy.shape
    masks = np.arange(2**p)
    sizes = ((masks[:, None] >> np.arange(p)) & 1).sum(axis=1)
    size_coef = np.array([1 / (p * comb(p - 1, k)) for k in range(p)])
    r2 = _subset_r2(rxx, rxy)
    out = np.empty((n_rep, p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        out[:, j] = size_coef[sizes[without]] @ (r2[without | (1 << j)] - r2[without])
    return out


#: Registry of importance methods: name -> function(rxx, rxy) -> raw weights (B, p).
_METHODS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "relative_weights": _relative_weights,
    "dominance": _general_dominance,
}


def _raw_weights(method: str, corr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw weights (B, p) and full-model R² (B,), NaN for invalid replicates."""
    rxx, rxy, valid = _split(corr)
    raw = _METHODS[method](rxx, rxy)
    r2 = (rxy * np.linalg.solve(rxx, rxy[..., None])[..., 0]).sum(axis=1)
    raw[~valid], r2[~valid] = np.nan, np.nan
    return raw, r2


def _bootstrap_interval(
    method: str,
    values: np.ndarray,
    weights: np.ndarray,
    n_boot: int,
    level: float,
    random_state: int | None,
    estimate: np.ndarray,
) -> np.ndarray:
    """Percentile interval of each driver's rescaled weight, (p, 2); NaN without replicates.

    Rows are resampled with replacement (multinomial counts, in batches that bound memory),
    each carrying its survey weight. Replicates in which a driver is constant or the drivers
    are collinear are skipped. Above ``BOOT_MAX_ROWS`` rows a replicate draws that many rows
    and the percentiles are pulled towards ``estimate`` (the rescaled weights of the full
    sample) by sqrt(m / n): the m-out-of-n bootstrap, whose cost does not grow with n.
    """
    p = values.shape[1] - 1
    if n_boot == 0:
        return np.full((p, 2), np.nan)
    rng = np.random.default_rng(random_state)
    n = len(values)
    m = min(n, BOOT_MAX_ROWS)
    # a batch of drawn rows holds (replicate, row, column) cells; of counts, (replicate, row)
    chunk = max(1, _BOOT_CELLS // (m if m == n else m * values.shape[1]))
    raw_parts, r2_parts = [], []
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        if m == n:
            counts = rng.multinomial(n, np.full(n, 1 / n), size=size)
            corr = _correlations(values, counts * weights)
        else:
            rows = rng.integers(0, n, size=(size, m))
            corr = _sample_correlations(values[rows], weights[rows])
        raw, r2 = _raw_weights(method, corr)
        raw_parts.append(raw)
        r2_parts.append(r2)
    raw, r2 = np.concatenate(raw_parts), np.concatenate(r2_parts)
    ok = np.isfinite(r2) & (r2 > 0)
    if not ok.any():
        return np.full((p, 2), np.nan)
    tail = 100 * (1 - level) / 2
    bounds = np.percentile(100 * raw[ok] / r2[ok, None], [tail, 100 - tail], axis=0).T
    if m == n:
        return bounds
    return estimate[:, None] + np.sqrt(m / n) * (bounds - estimate[:, None])


def _check_options(
    method: str, n_boot: int, random_state: int | None, level: float, n_drivers: int
) -> None:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {list(_METHODS)}, got {method!r}")
    check_level(level)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise ValueError(
            f"n_boot must be a non-negative integer (0 skips the bootstrap), got {n_boot!r}"
        )
    if random_state is not None and (
        isinstance(random_state, bool) or not isinstance(random_state, int | np.integer)
    ):
        raise TypeError(f"random_state must be an int or None, got {random_state!r}")
    if method == "dominance" and n_drivers > MAX_DOMINANCE_DRIVERS:
        raise ValueError(
            f"dominance analysis fits all 2**p subsets of drivers and is limited to p <= "
            f"{MAX_DOMINANCE_DRIVERS}; got p = {n_drivers} drivers. Use "
            "method='relative_weights', or group or drop drivers."
        )


def _content_order(ids: np.ndarray | None, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Positions that put rows in an order set by their content, never by their position.

    Rows are sorted by their participant id (as text) when there are ids, then by their
    values and weight, so that rows in another order (a shuffled survey file) come out
    the same and the bootstrap draws the same respondents. Rows that tie on every key are
    identical, so their order does not matter.
    """
    keys = [weights, *values.T[::-1]]
    if ids is not None:
        keys.append(ids.astype(str))
    return np.lexsort(keys)


def _complete_values(
    data: pd.DataFrame, outcome: str, drivers: list[str], weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Validated [outcome, drivers] values and weights of the complete rows (listwise).

    The rows are in content order (:func:`_content_order`): the result, bootstrap included,
    does not depend on the order of the rows in ``data``.
    """
    columns = [outcome, *drivers]
    values = np.column_stack(
        [numeric_column(data, c, allowed="numbers or missing values") for c in columns]
    )
    for j, column in enumerate(columns):
        if np.isnan(values[:, j]).all():
            raise ValueError(f"column {column!r} has no values: every row is missing")
    complete = ~np.isnan(values).any(axis=1) & (weights > 0)
    n, p = int(complete.sum()), len(drivers)
    if n < p + 2:
        missing = {c: int(np.isnan(values[:, j]).sum()) for j, c in enumerate(columns)}
        raise ValueError(
            f"too few complete rows: {n} rows have {outcome!r} and all {p} drivers observed "
            f"(listwise deletion) and a positive weight, and at least p + 2 = {p + 2} are "
            f"needed. Missing values per column: {missing}"
        )
    ids = data["participant_id"].to_numpy()[complete] if "participant_id" in data else None
    order = _content_order(ids, values[complete], weights[complete])
    values, weights = values[complete][order], weights[complete][order]
    spread = np.ptp(values, axis=0)
    for j, column in enumerate(columns):
        if spread[j] == 0:
            role = "outcome" if j == 0 else "driver"
            raise ValueError(
                f"{role} {column!r} is constant in the {n} complete rows (every value is "
                f"{values[0, j]:g}); it has no variance to explain or share"
            )
    return values, weights


def relative_importance(
    data: pd.DataFrame,
    outcome: str,
    drivers: Sequence[str],
    *,
    method: str = "relative_weights",
    weight: str | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    random_state: int | None = 0,
) -> pd.DataFrame:
    r"""Share of the explained variance (R²) of a linear regression owed to each driver.

    Rows with a missing outcome or driver are dropped (listwise deletion, counted in ``n``).
    The R² of the linear regression of ``outcome`` on all ``drivers`` is split into one
    non-negative weight per driver by Johnson's relative weights or by dominance analysis
    (general dominance). Both are computed from the (weighted) correlation matrix of the
    complete rows, and the raw weights of both sum exactly to the full-model R². A bootstrap
    over respondents gives a percentile interval for each driver's share.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    outcome : str
        The numeric outcome column (e.g. 0-10 likelihood to recommend).
    drivers : list of str
        Numeric driver columns (e.g. 1-5 Likert items); at least one, none repeated, not the
        outcome. Categorical drivers are not supported: code them as numbers first.
    method : {"relative_weights", "dominance"}, default="relative_weights"
        ``"relative_weights"`` (Johnson 2000) or ``"dominance"`` (general dominance, Budescu
        1993; Azen & Budescu 2003; equal to the LMG / Shapley decomposition). Dominance is
        exact over all :math:`2^p` subsets and limited to p <= 12 drivers.
    weight : str, optional
        Column of non-negative survey weights (no missing values). Correlations, and so R² and
        the weights, are then weighted; rows with weight 0 are left out.
    n_boot : int, default=1000
        Bootstrap replicates for the intervals; 0 skips the bootstrap (NaN intervals).
    level : float, default=0.95
        Confidence level of the percentile intervals.
    random_state : int or None, default=0
        Seed of the bootstrap; the same seed gives the same intervals.

    Returns
    -------
    pandas.DataFrame
        One row per driver, most important first: ``driver``, ``raw_weight`` (share of R² in
        R² units; the column sums to ``r2``), ``rescaled`` (percent of R²; sums to 100),
        ``ci_low``, ``ci_high`` (bootstrap percentile interval of ``rescaled``), ``rank``
        (1 = largest weight; ties share the smaller rank), ``r2`` (R² of the full model,
        repeated on every row) and ``n`` (complete rows used, weight 0 excluded).

    Raises
    ------
    ValueError
        Naming the column: a column that is not in ``data`` (with a close match), a
        non-numeric or all-missing column, too few complete rows (fewer than p + 2), a
        constant driver or outcome, perfectly collinear drivers (named), more than 12 drivers
        for dominance analysis, or an unknown ``method``.

    See Also
    --------
    fit_model : the regression itself, with coefficients and standard errors.

    Notes
    -----
    With :math:`R_{xx} = Q \Lambda Q'` the driver correlation matrix and :math:`r_{xy}` the
    driver-outcome correlations, Johnson's raw weight of driver :math:`j` is
    :math:`\varepsilon_j = \sum_k \lambda_{jk}^2 \beta_k^2`, where
    :math:`[\lambda_{jk}] = R_{xx}^{1/2} = Q\Lambda^{1/2}Q'` relates the drivers to their
    closest orthonormal counterparts and :math:`\beta = R_{xx}^{-1/2} r_{xy}` regresses the
    outcome on those counterparts; :math:`\sum_j \varepsilon_j = \beta'\beta = R^2`.

    The general dominance weight of driver :math:`j` is
    :math:`C_j = \frac1p \sum_{k=0}^{p-1} \binom{p-1}{k}^{-1}
    \sum_{|S|=k,\, j\notin S} [R^2(S \cup j) - R^2(S)]`, with :math:`R^2(S)` the R² of the
    regression on the subset :math:`S` (Azen & Budescu 2003). It equals relaimpo's ``lmg``
    and the Shapley value of R², and :math:`\sum_j C_j = R^2`.

    The two methods usually agree closely (Johnson 2000; LeBreton et al. 2004); relative
    weights are much cheaper for many drivers.

    Bootstrap: ``n_boot`` resamples of the complete rows with replacement
    (``numpy.random.default_rng(random_state)``), each row carrying its survey weight. The
    rows are first put in an order set by their content (a ``participant_id`` column when
    ``data`` has one, then the values), so the same rows in another order give the same
    intervals. The interval is the percentile interval of ``rescaled`` (Tonidandel, LeBreton
    & Johnson 2009). Replicates in which a driver happens to be constant or the drivers
    collinear are skipped. Weights are treated as survey weights unrelated to the resampling;
    strata and clusters are not modelled (voc models neither).

    Above ``BOOT_MAX_ROWS`` (20,000) complete rows each replicate draws m = 20,000 rows with
    replacement instead of n (the m-out-of-n bootstrap), and the percentiles are pulled towards
    the estimate by :math:`\sqrt{m/n}`: the interval is
    :math:`\hat\theta + \sqrt{m/n}\,(q^*_m - \hat\theta)` for the percentiles
    :math:`q^*_m` of the replicates (Bickel, Götze & van Zwet 1997). The shares are smooth
    functions of the correlation matrix, for which this gives intervals of the same width as
    resampling all n rows, at a cost that does not grow with the survey (a million rows take
    seconds, not minutes).

    The weights describe how the explained variance is shared among *correlated* drivers;
    they are not causal effects and do not say how much the outcome would move if a driver
    were improved. Read them next to the regression coefficients (:func:`fit_model`).

    References
    ----------
    .. [1] Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
       predictor variables in multiple regression. *Multivariate Behavioral Research*, 35(1),
       1-19. https://doi.org/10.1207/S15327906MBR3501_1
    .. [2] Budescu, D. V. (1993). Dominance analysis: A new approach to the problem of relative
       importance of predictors in multiple regression. *Psychological Bulletin*, 114(3),
       542-551.
    .. [3] Azen, R., & Budescu, D. V. (2003). The dominance analysis approach for comparing
       predictors in multiple regression. *Psychological Methods*, 8(2), 129-148.
    .. [4] Grömping, U. (2006). Relative importance for linear regression in R: The package
       relaimpo. *Journal of Statistical Software*, 17(1), 1-27.
    .. [5] Tonidandel, S., LeBreton, J. M., & Johnson, J. W. (2009). Determining the
       statistical significance of relative weights. *Psychological Methods*, 14(4), 387-399.
    .. [6] Tonidandel, S., & LeBreton, J. M. (2011). Relative importance analysis: A useful
       supplement to regression analysis. *Journal of Business and Psychology*, 26(1), 1-9.
    .. [7] LeBreton, J. M., Ployhart, R. E., & Ladd, R. T. (2004). A Monte Carlo comparison
       of relative importance methodologies. *Organizational Research Methods*, 7(3),
       258-282.
    .. [8] Bickel, P. J., Götze, F., & van Zwet, W. R. (1997). Resampling fewer than n
       observations: gains, losses, and remedies for losses. *Statistica Sinica*, 7(1), 1-31.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.drivers import relative_importance
    >>> responses = pd.DataFrame({
    ...     "ltr": [9, 7, 10, 4, 8, 6, 9, 3, 7, 10],
    ...     "support": [5, 4, 5, 2, 4, 3, 4, 1, 3, 5],
    ...     "pricing": [4, 3, 4, 3, 5, 2, 5, 2, 4, 3],
    ... })
    >>> table = relative_importance(responses, "ltr", ["support", "pricing"], n_boot=0)
    >>> table[["driver", "raw_weight", "rescaled", "rank", "r2"]].round(3)
        driver  raw_weight  rescaled  rank     r2
    0  support       0.746    78.872     1  0.946
    1  pricing       0.200    21.128     2  0.946
    """
    check_frame(data)
    if not isinstance(outcome, str):
        raise TypeError(f"outcome must be a column name, got {outcome!r}")
    driver_cols = as_columns(drivers, name="drivers")
    if not driver_cols:
        raise ValueError("drivers must name at least one column")
    repeated = sorted({d for d in driver_cols if driver_cols.count(d) > 1})
    if repeated:
        raise ValueError(f"drivers must not repeat a column; repeated: {repeated}")
    if outcome in driver_cols:
        raise ValueError(f"outcome {outcome!r} must not also be one of the drivers")
    _check_options(method, n_boot, random_state, level, len(driver_cols))
    check_named_columns(data, [outcome], role="outcome")
    check_named_columns(data, driver_cols, role="driver")
    values, weights = _complete_values(data, outcome, driver_cols, weight_column(data, weight))

    corr = _correlations(values, weights[None, :])
    collinear = _collinear_names(corr[0, 1:, 1:], driver_cols)
    if collinear is not None:
        raise ValueError(
            f"drivers {collinear} are perfectly collinear in the complete rows (one is an exact "
            "linear combination of the others), so their shares are not defined; drop one"
        )
    raw, r2 = _raw_weights(method, corr)
    raw, r2 = raw[0], float(r2[0])
    rescaled = 100 * raw / r2 if r2 > 0 else np.full(len(raw), np.nan)

    ci = _bootstrap_interval(method, values, weights, n_boot, level, random_state, rescaled)

    table = pd.DataFrame(
        {
            "driver": driver_cols,
            "raw_weight": raw,
            "rescaled": rescaled,
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
        }
    )
    table["rank"] = table["raw_weight"].rank(ascending=False, method="min").astype("int64")
    table = table.assign(r2=r2, n=len(values))
    return table.sort_values("rank", kind="stable").reset_index(drop=True)
