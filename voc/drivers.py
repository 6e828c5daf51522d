"""Key-driver models: formula regressions with tidy output, and relative importance of drivers.

:func:`fit_model` fits an OLS, binary logit or ordinal (cumulative logit) model with the
statsmodels formula API after checking the data, and returns the statsmodels results: nothing
is hidden behind a score. :func:`tidy_model` turns the results into one row per coefficient and
:func:`model_fit` into one row of fit statistics. :func:`relative_importance` splits the R² of
a linear key-driver regression among correlated drivers (relative weights or dominance
analysis) with bootstrap intervals.

Formulas follow statsmodels/patsy syntax: ``"nps ~ support + integration + C(region)"``; they
may use the engine's ``C()``, ``I()``, ``Q("odd name")`` and numpy as ``np``. Every other name
must be a column of ``data``. Survey weights are supported as sampling weights (point estimates
are weighted, standard errors are sandwich estimates); strata and clusters are not: for a
complex design use a survey package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from voc._importance import MAX_DOMINANCE_DRIVERS, check_named_columns, relative_importance
from voc._model_checks import (
    check_design,
    check_rows,
    fit_checked,
    formula_names,
    logit_outcome,
    ordinal_outcome,
    separating,
)
from voc._survey_base import check_frame, check_level, weight_column

__all__ = [
    "MAX_DOMINANCE_DRIVERS",
    "fit_model",
    "key_drivers",
    "model_fit",
    "relative_importance",
    "tidy_model",
]

# --------------------------------------------------------------------------------------------
# Building and fitting
# --------------------------------------------------------------------------------------------


def _build_ols(formula: str, frame: pd.DataFrame, weights: np.ndarray | None) -> Any:
    import statsmodels.formula.api as smf

    if weights is None:
        return smf.ols(formula, frame)
    return smf.wls(formula, frame, weights=weights)


def _build_logit(formula: str, frame: pd.DataFrame, weights: np.ndarray | None) -> Any:
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    if weights is None:
        return smf.logit(formula, frame)
    return smf.glm(formula, frame, family=sm.families.Binomial(), var_weights=weights)


def _build_ordinal(formula: str, frame: pd.DataFrame, weights: np.ndarray | None) -> Any:
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    return OrderedModel.from_formula(formula, frame, distr="logit")


#: Registry of model kinds: name -> builder(formula, frame, weights or None) -> statsmodels model.
_BUILDERS: dict[str, Callable[[str, pd.DataFrame, np.ndarray | None], Any]] = {
    "ols": _build_ols,
    "logit": _build_logit,
    "ordinal": _build_ordinal,
}


#: Added to formula-engine errors, per kind.
_BUILD_HINTS = {
    "ols": "",
    "logit": " (the outcome must be a single 0/1 column)",
    "ordinal": (
        " (keep the default intercept, which is removed because the thresholds take its "
        "place: no '0 +' or '- 1' with categorical predictors)"
    ),
}


def fit_model(
    formula: str,
    data: pd.DataFrame,
    *,
    kind: str = "ols",
    weight: str | None = None,
) -> Any:
    r"""Fit a key-driver regression with the statsmodels formula API, after checking the data.

    Rows with a missing value in any column the formula uses (or a weight of 0) are dropped
    (listwise deletion); :func:`model_fit` reports how many rows were used (``n``) and
    dropped (``n_dropped``).
    Before fitting, the data are checked and every problem is raised as a ``ValueError``
    naming the column; after fitting, non-convergence is an error too. ``data`` is not
    modified.

    Parameters
    ----------
    formula : str
        A patsy formula, e.g. ``"nps ~ support + integration + C(region)"``. Every name that
        is not a formula function (``C``, ``I``, ``Q``, ``np.log``, ...) must be a column of
        ``data``.
    data : pandas.DataFrame
        One row per respondent.
    kind : {"ols", "logit", "ordinal"}, default="ols"
        ``"ols"``: linear regression (``smf.ols``; ``smf.wls`` with weights).
        ``"logit"``: binary logistic regression of a 0/1 (or True/False) outcome
        (``smf.logit``; a binomial GLM with ``var_weights`` with weights).
        ``"ordinal"``: proportional-odds cumulative logit model of an ordered outcome such as
        0-10 likelihood to recommend or a 1-5 Likert item (statsmodels ``OrderedModel``,
        ``distr="logit"``); the outcome must be a column name (numeric or an ordered
        Categorical).
    weight : str, optional
        Column of non-negative survey (sampling) weights with no missing values; rows with
        weight 0 are left out like rows with missing values. Not available for
        ``kind="ordinal"`` (statsmodels' ``OrderedModel`` takes no weights).

    Returns
    -------
    statsmodels results
        ``RegressionResults`` (ols), ``LogitResults`` or ``GLMResults`` (weighted logit), or
        ``OrderedResults`` (ordinal). Pass them to :func:`tidy_model` and :func:`model_fit`,
        or use them directly (``.summary()``, ``.predict()``).

    Raises
    ------
    ValueError
        Naming the column or term: a column that is not in ``data`` (with a close match), a
        column with no values, no complete rows or fewer complete rows than parameters + 1, a
        constant outcome or predictor, perfectly collinear predictors, a logit outcome that is
        not 0/1, perfect or quasi-complete separation in a logit or ordinal model, an ordinal outcome
        that is neither numeric nor ordered, weights with ``kind="ordinal"``, a fit that did
        not converge or whose standard errors cannot be computed.

    See Also
    --------
    tidy_model : one row per coefficient (with odds ratios for logit and ordinal models).
    model_fit : one row of fit statistics.
    relative_importance : split R² among correlated drivers.

    Notes
    -----
    **Weights** are sampling weights (e.g. from :func:`voc.survey.rake`), not precision or
    frequency weights. The estimates are the weighted (pseudo-maximum-likelihood) estimates
    and the standard errors are sandwich (linearisation) estimates, which do not depend on
    the scale of the weights: ``HC1`` for OLS (the ``n/(n-k)`` factor, t reference as for
    Stata's ``regress [pweight=]``) and ``HC0`` for logit (statsmodels' GLM applies no small
    sample factor; design-based software such as R's ``survey`` package typically applies
    ``n/(n-1)``). Binomial
    ``var_weights`` and ``freq_weights`` give the same estimates, but ``freq_weights`` would
    treat a weight of 40 as 40 respondents and shrink model-based standard errors; the
    sandwich makes the choice immaterial. Strata and clusters are not modelled. Unweighted
    fits use the classical (model-based) standard errors, as R's ``lm`` and ``glm``.

    **Ordinal** models are statsmodels' proportional-odds model
    :math:`P(y \le j) = F(\theta_j - x'\beta)` with logistic :math:`F`, so a positive
    coefficient shifts answers to *higher* categories, as in R's ``MASS::polr``. The
    thresholds :math:`\theta_j` replace the intercept: write the formula as usual
    (``nps ~ support``); the intercept that patsy adds is removed by statsmodels (``0 +``
    is unnecessary and, with a categorical predictor, is refused). A numeric outcome uses
    the values observed in the complete rows as its ordered categories, and an ordered
    Categorical drops the categories no complete row uses (their thresholds are not
    identified). Fitted by BFGS.

    **Separation**: in a logit model where a predictor (or a combination) perfectly
    separates the 0s from the 1s, the maximum likelihood estimate does not exist (Albert &
    Anderson 1984), and the same holds in an ordinal model where the linear predictor puts
    the outcome categories in order without overlap. It is detected before fitting with
    Konis's (2007) linear program (extended to ordered thresholds) and reported with the
    predictor's name, trying each predictor alone first. Consider Firth's penalised
    likelihood (R's ``logistf``) or merging categories.

    **Convergence**: a fit that does not converge raises ``ValueError`` rather than warning,
    because its coefficients and standard errors are not estimates that can be reported.

    References
    ----------
    .. [1] Seabold, S., & Perktold, J. (2010). statsmodels: Econometric and statistical
       modeling with Python. *Proceedings of the 9th Python in Science Conference*, 92-96.
    .. [2] McCullagh, P. (1980). Regression models for ordinal data. *Journal of the Royal
       Statistical Society, Series B*, 42(2), 109-142.
    .. [3] Albert, A., & Anderson, J. A. (1984). On the existence of maximum likelihood
       estimates in logistic regression models. *Biometrika*, 71(1), 1-10.
    .. [4] Konis, K. (2007). *Linear programming algorithms for detecting separated data in
       binary logistic regression models*. DPhil thesis, University of Oxford.
    .. [5] Binder, D. A. (1983). On the variances of asymptotically normal estimators from
       complex surveys. *International Statistical Review*, 51(3), 279-292.
    .. [6] White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator and a
       direct test for heteroskedasticity. *Econometrica*, 48(4), 817-838.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.drivers import fit_model, tidy_model
    >>> responses = pd.DataFrame({
    ...     "ltr": [9, 7, 10, 4, 8, 6, 9, 3, 7, 10],
    ...     "support": [5, 4, 5, 2, 4, 3, 4, 1, 3, 5],
    ... })
    >>> result = fit_model("ltr ~ support", responses)
    >>> tidy_model(result)[["term", "coef", "se", "p_val"]].round(3)
            term  coef     se  p_val
    0  Intercept  1.11  0.634  0.118
    1    support  1.72  0.166  0.000
    """
    check_frame(data)
    if kind not in _BUILDERS:
        raise ValueError(f"kind must be one of {list(_BUILDERS)}, got {kind!r}")
    if weight is not None and kind == "ordinal":
        raise ValueError(
            f"weight={weight!r} is not available for kind='ordinal': statsmodels' OrderedModel "
            "takes no weights. Fit it unweighted, or use kind='ols' or 'logit' with weights."
        )
    lhs, outcome, predictors = formula_names(formula)
    check_named_columns(data, outcome, role="outcome")
    check_named_columns(data, predictors, role="predictor")
    weights = weight_column(data, weight) if weight is not None else None
    complete = check_rows(data, outcome, predictors, weights)
    if weights is not None:  # statsmodels drops rows with a missing weight, like missing data
        weights = np.where(weights > 0, weights, np.nan)

    frame = data
    if kind == "ols" and lhs in data.columns:
        if not pd.api.types.is_numeric_dtype(data[lhs].dtype) or pd.api.types.is_bool_dtype(
            data[lhs].dtype
        ):
            raise ValueError(
                f"outcome {lhs!r} must be numeric for kind='ols'; it has dtype {data[lhs].dtype}"
            )
    elif kind == "logit" and lhs in data.columns:
        frame = data.assign(**{lhs: logit_outcome(data, lhs, complete)})
    elif kind == "ordinal":
        if lhs not in data.columns:
            raise ValueError(
                f"the outcome of an ordinal model must be a column name, got {lhs!r}; "
                "create the column first with data.assign(...)"
            )
        frame = data.assign(**{lhs: ordinal_outcome(data, lhs, complete)})

    try:
        model = _BUILDERS[kind](formula, frame, weights)
    except Exception as exc:  # formula-engine errors come in many types; report them as one
        raise ValueError(f"cannot build the model {formula!r}{_BUILD_HINTS[kind]}: {exc}") from exc
    if kind == "logit" and not set(np.unique(model.endog)) <= {0.0, 1.0}:
        raise ValueError(f"logit outcome {lhs!r} must hold only 0/1 values")
    check_design(model, kind, formula)
    if kind in ("logit", "ordinal"):
        culprits = separating(model, kind)
        if culprits is not None:
            raise ValueError(
                f"perfect separation in {formula!r}: the outcome categories are perfectly "
                f"separated by {culprits} (complete or quasi-complete separation), so the "
                "maximum likelihood estimates do not exist. Drop the predictor, merge its "
                "categories (or the outcome's), or use a penalised (Firth) regression."
            )
    return fit_checked(model, kind, weights is not None, formula)


# --------------------------------------------------------------------------------------------
# Tidy output
# --------------------------------------------------------------------------------------------


def _result_kind(result: Any) -> str:
    """``"ols"``, ``"logit"`` or ``"ordinal"`` for a statsmodels results object."""
    from statsmodels.discrete.discrete_model import Logit
    from statsmodels.genmod.families import Binomial
    from statsmodels.genmod.families.links import Logit as LogitLink
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.miscmodels.ordinal_model import OrderedModel
    from statsmodels.regression.linear_model import RegressionModel

    model = getattr(result, "model", None)
    if isinstance(model, RegressionModel):
        return "ols"
    if isinstance(model, Logit) or (
        isinstance(model, GLM)
        and isinstance(model.family, Binomial)
        and isinstance(model.family.link, LogitLink)
    ):
        return "logit"
    if isinstance(model, OrderedModel) and model.distr.name == "logistic":
        return "ordinal"
    raise TypeError(
        "result must come from fit_model (or be a statsmodels OLS/WLS, Logit, binomial-logit "
        f"GLM or logit OrderedModel fit), got {type(result).__name__}"
    )


def _is_weighted(model: Any) -> bool:
    for attr in ("weights", "var_weights", "freq_weights"):
        values = getattr(model, attr, None)
        if values is not None and not np.allclose(np.asarray(values, dtype="float64"), 1.0):
            return True
    return False


def _thresholds(result: Any, k: int, z: float) -> pd.DataFrame:
    """Ordinal cut-points on the logit scale, with delta-method standard errors.

    statsmodels estimates the first threshold and the logs of the increments; the cut-points
    are their cumulative sums ``theta_j = a_1 + sum_{i<=j, i>1} exp(a_i)``.
    """
    raw = np.asarray(result.params, dtype="float64")[k:]
    cov = np.asarray(result.cov_params(), dtype="float64")[k:, k:]
    steps = np.concatenate([raw[:1], np.exp(raw[1:])])
    cuts = np.cumsum(steps)
    jac = np.tril(np.ones((len(raw), len(raw)))) * steps[None, :]
    jac[:, 0] = 1.0
    se = np.sqrt(np.diag(jac @ cov @ jac.T))
    stat = cuts / se
    return pd.DataFrame(
        {
            "term": [str(x) for x in result.model.exog_names[k:]],
            "coef": cuts,
            "se": se,
            "stat": stat,
            "p_val": 2 * norm.sf(np.abs(stat)),
            "ci_low": cuts - z * se,
            "ci_high": cuts + z * se,
        }
    )


def tidy_model(result: Any, *, level: float = 0.95) -> pd.DataFrame:
    """One row per coefficient of a fitted model: estimate, standard error, test, interval.

    Parameters
    ----------
    result : statsmodels results
        From :func:`fit_model` (or a statsmodels OLS/WLS, Logit, binomial-logit GLM or logit
        ``OrderedModel`` fit of your own).
    level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per term, in model order: ``term``, ``coef``, ``se``, ``stat`` (t for OLS, z
        otherwise), ``p_val``, ``ci_low``, ``ci_high``. Logit and ordinal models add
        ``odds_ratio``, ``or_ci_low``, ``or_ci_high`` (``exp`` of the coefficient and its
        interval). Ordinal models add ``term_type`` ("coefficient" or "threshold") and list
        the thresholds (named ``"lower/upper"`` after the categories they separate) after the
        coefficients, as cut-points on the logit scale; their odds-ratio columns are NaN.

    See Also
    --------
    fit_model : fits the model.
    model_fit : one row of fit statistics (n, R², AIC, ...).

    Notes
    -----
    Standard errors are those of the fit (sandwich for weighted fits, see :func:`fit_model`).
    statsmodels parameterises ordinal thresholds as the first cut-point and the logs of the
    increments; here they are reported as the cut-points themselves, as R's ``MASS::polr``
    does, with delta-method standard errors and Wald intervals. The p-value of a threshold
    tests a cut-point of 0, which is rarely of interest.

    References
    ----------
    .. [1] Agresti, A. (2010). *Analysis of Ordinal Categorical Data* (2nd ed.). Hoboken, NJ:
       Wiley (odds ratios of the proportional-odds model).
    .. [2] Wickham, H. (2014). Tidy data. *Journal of Statistical Software*, 59(10), 1-23.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.drivers import fit_model, tidy_model
    >>> responses = pd.DataFrame({
    ...     "promoter": [1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0],
    ...     "support": [5, 4, 4, 2, 3, 3, 4, 1, 3, 5, 2, 4],
    ... })
    >>> result = fit_model("promoter ~ support", responses, kind="logit")
    >>> tidy_model(result)[["term", "coef", "odds_ratio"]].round(3)
            term   coef  odds_ratio
    0  Intercept -2.833       0.059
    1    support  0.843       2.323
    """
    kind = _result_kind(result)
    alpha = 1 - check_level(level)
    z = float(norm.ppf(1 - alpha / 2))
    model = result.model
    k = np.asarray(model.exog).shape[1]
    ci = np.asarray(result.conf_int(alpha=alpha), dtype="float64")
    table = pd.DataFrame(
        {
            "term": [str(x) for x in model.exog_names[:k]],
            "coef": np.asarray(result.params, dtype="float64")[:k],
            "se": np.asarray(result.bse, dtype="float64")[:k],
            "stat": np.asarray(result.tvalues, dtype="float64")[:k],
            "p_val": np.asarray(result.pvalues, dtype="float64")[:k],
            "ci_low": ci[:k, 0],
            "ci_high": ci[:k, 1],
        }
    )
    if kind == "ols":
        return table
    with np.errstate(over="ignore"):
        table = table.assign(
            odds_ratio=np.exp(table["coef"]),
            or_ci_low=np.exp(table["ci_low"]),
            or_ci_high=np.exp(table["ci_high"]),
        )
    if kind == "logit":
        return table
    cuts = _thresholds(result, k, z).assign(odds_ratio=np.nan, or_ci_low=np.nan, or_ci_high=np.nan)
    table = pd.concat(
        [table.assign(term_type="coefficient"), cuts.assign(term_type="threshold")],
        ignore_index=True,
    )
    return table


def model_fit(result: Any) -> pd.DataFrame:
    """One row of fit statistics for a fitted model: sample size, R², information criteria.

    Parameters
    ----------
    result : statsmodels results
        From :func:`fit_model` (or a statsmodels fit of the kinds :func:`tidy_model` accepts).

    Returns
    -------
    pandas.DataFrame
        One row: ``kind`` ("ols", "logit", "ordinal"), ``n`` (rows used), ``n_dropped`` (rows
        of ``data`` left out: missing values or weight 0), ``df_model`` (number of slope
        coefficients), ``r2``, ``adj_r2`` (OLS only), ``aic``, ``bic``, ``llf``
        (unweighted fits only), ``pseudo_r2`` (McFadden's, logit and ordinal only) and
        ``cov_type`` (``"nonrobust"`` or the sandwich estimator of a weighted fit). Values
        that do not apply are NaN.

    See Also
    --------
    tidy_model : the coefficients.

    Notes
    -----
    For a weighted fit, R² is the weighted R² and McFadden's pseudo-R² uses weighted
    log-likelihoods, both descriptive. ``aic``, ``bic`` and ``llf`` are NaN: under sampling
    weights the objective is a pseudo-likelihood, and information criteria computed from it
    are not valid (Lumley & Scott 2015). For OLS, ``aic`` and ``bic`` follow statsmodels,
    which does not count the error variance as a parameter: R's ``AIC()`` and ``BIC()`` of
    the same ``lm`` are larger by 2 and by ``log(n)``. Compare models within one tool.

    References
    ----------
    .. [1] McFadden, D. (1974). Conditional logit analysis of qualitative choice behavior. In
       P. Zarembka (Ed.), *Frontiers in Econometrics* (pp. 105-142). New York: Academic Press.
    .. [2] Lumley, T., & Scott, A. (2015). AIC and BIC for modeling with complex survey data.
       *Journal of Survey Statistics and Methodology*, 3(1), 1-18.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.drivers import fit_model, model_fit
    >>> responses = pd.DataFrame({
    ...     "ltr": [9, 7, 10, 4, 8, 6, 9, 3, 7, None],
    ...     "support": [5, 4, 5, 2, 4, 3, 4, 1, 3, 5],
    ... })
    >>> model_fit(fit_model("ltr ~ support", responses))[["kind", "n", "n_dropped", "r2"]].round(3)
      kind  n  n_dropped    r2
    0  ols  9          1  0.92
    """
    from statsmodels.genmod.generalized_linear_model import GLM

    kind = _result_kind(result)
    model = result.model
    nan = float("nan")
    n = int(result.nobs)
    frame = getattr(model.data, "frame", None)
    weighted = _is_weighted(model)
    if kind == "logit":
        pseudo = result.pseudo_rsquared(kind="mcf") if isinstance(model, GLM) else result.prsquared
    elif kind == "ordinal":
        pseudo = result.prsquared
    else:
        pseudo = nan
    bic = result.bic_llf if isinstance(model, GLM) else result.bic
    row = {
        "kind": kind,
        "n": n,
        "n_dropped": len(frame) - n if isinstance(frame, pd.DataFrame) else pd.NA,
        "df_model": float(result.df_model),
        "r2": float(result.rsquared) if kind == "ols" else nan,
        "adj_r2": float(result.rsquared_adj) if kind == "ols" else nan,
        "aic": nan if weighted else float(result.aic),
        "bic": nan if weighted else float(bic),
        "llf": nan if weighted else float(result.llf),
        "pseudo_r2": float(pseudo),
        "cov_type": str(result.cov_type),
    }
    return pd.DataFrame([row])


def key_drivers(
    data: pd.DataFrame,
    columns: object,
    *,
    method: str = "relative_weights",
    weight: str | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Relative importance of the study's Likert items for its NPS (the key-driver chart).

    Applies :func:`relative_importance` to ``survey.columns.nps`` and the items of
    ``survey.columns.likert`` as declared in study.yaml, adding each item's wording as
    ``label``. No rows when the study declares no NPS or no Likert battery.
    """
    nps_column = getattr(columns, "nps", None)
    likert = getattr(columns, "likert", None)
    if nps_column is None or likert is None:
        return pd.DataFrame(
            columns=[
                "driver",
                "label",
                "raw_weight",
                "rescaled",
                "ci_low",
                "ci_high",
                "rank",
                "r2",
                "n",
            ]
        )
    table = relative_importance(
        data,
        nps_column,
        list(likert.items),
        method=method,
        weight=weight,
        n_boot=n_boot,
        level=level,
        random_state=random_state,
    )
    table.insert(1, "label", table["driver"].map(dict(likert.items)))
    return table
