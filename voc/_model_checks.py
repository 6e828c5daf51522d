"""Checks behind ``voc.drivers.fit_model``, before and after fitting (private).

Reading which columns a formula uses, listwise deletion, constant and collinear predictors,
outcome coding, separation in (ordinal) logit models, and turning statsmodels' convergence
and separation warnings into ``ValueError``. Every error names the column or design term.
Nothing here mutates ``data``.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize
import warnings
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "check_design",
    "check_rows",
    "fit_checked",
    "formula_names",
    "logit_outcome",
    "ordinal_outcome",
    "separating",
]

#: Names a formula may use that are not columns: formula-engine helpers, contrasts, numpy.
_FORMULA_NAMES = frozenset(
    {"C", "I", "Q", "np", "numpy", "Treatment", "Sum", "Diff", "Helmert", "Poly"}
    | {"center", "standardize", "scale", "bs", "cr", "cc", "te", "True", "False", "None"}
)


# --------------------------------------------------------------------------------------------
# Formula inspection and data checks
# --------------------------------------------------------------------------------------------


def formula_names(formula: str) -> tuple[str, list[str], list[str]]:
    """``(outcome text, outcome names, predictor names)`` referenced by ``formula``.

    A name counts as a column reference unless it is a function (``log(``), an attribute or
    module (``np.log``), a keyword argument (``reference=``) or a known formula-engine name.
    ``Q("odd name")`` and formulaic's backtick quotes count as the quoted column.
    """
    if not isinstance(formula, str):
        raise TypeError(f"formula must be a string such as 'nps ~ support', got {formula!r}")
    quoted: dict[str, str] = {}

    def _placeholder(match: re.Match[str]) -> str:
        key = f"__voc_quoted_{len(quoted)}__"
        quoted[key] = match.group(1)
        return key

    text = re.sub(r"`([^`]+)`", _placeholder, formula)
    if text.count("~") != 1:
        raise ValueError(
            f"formula must have exactly one '~' between the outcome and the predictors, "
            f"e.g. 'nps ~ support + integration'; got {formula!r}"
        )
    try:
        tokens = [
            t
            for t in tokenize.generate_tokens(io.StringIO(text).readline)
            if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
        ]
    except (tokenize.TokenError, SyntaxError) as exc:
        raise ValueError(f"formula {formula!r} cannot be read: {exc}") from exc
    sides: tuple[list[str], list[str]] = ([], [])
    side = 0
    for i, tok in enumerate(tokens):
        if tok.type == tokenize.OP and tok.string == "~":
            side = 1
            continue
        if tok.type != tokenize.NAME or keyword.iskeyword(tok.string):
            continue
        before = tokens[i - 1].string if i > 0 else ""
        after = tokens[i + 1].string if i + 1 < len(tokens) else ""
        if tok.string in quoted:
            name = quoted[tok.string]
        elif tok.string == "Q" and after == "(" and i + 2 < len(tokens):
            if tokens[i + 2].type == tokenize.STRING:
                name = ast.literal_eval(tokens[i + 2].string)
            else:
                continue
        elif before == "." or after in ("(", ".", "=") or tok.string in _FORMULA_NAMES:
            continue
        else:
            name = tok.string
        if name not in sides[side]:
            sides[side].append(name)
    lhs = text.split("~", 1)[0].strip()
    return quoted.get(lhs, lhs), sides[0], sides[1]


def check_rows(
    data: pd.DataFrame,
    outcome: list[str],
    predictors: list[str],
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Mask of the rows a model uses, after checking the referenced columns can be used.

    A row is used when every referenced column is observed (listwise deletion) and, with
    ``weights``, its weight is positive.
    """
    used = list(dict.fromkeys(outcome + predictors))
    for column in used:
        if data[column].isna().all():
            raise ValueError(f"column {column!r} has no values: every row is missing")
    complete = data[used].notna().all(axis=1).to_numpy()
    if weights is not None:
        complete = complete & (weights > 0)
    n = int(complete.sum())
    if n == 0:
        missing = {c: int(data[c].isna().sum()) for c in used}
        zero = "" if weights is None else f"; rows with weight 0: {int((weights == 0).sum())}"
        raise ValueError(
            f"no row has all of {used} observed, so listwise deletion leaves no data. "
            f"Missing values per column: {missing}{zero}"
        )
    for column in used:
        values = pd.unique(data[column].to_numpy()[complete])
        if len(values) <= 1:
            value = values[0].item() if isinstance(values[0], np.generic) else values[0]
            role, problem = (
                ("outcome", "there is no variation to model")
                if column in outcome
                else ("predictor", "its effect cannot be estimated. Drop it or check the data")
            )
            raise ValueError(
                f"{role} {column!r} is constant in the {n} complete rows (every value is "
                f"{value!r}); {problem}."
            )
    return complete


def logit_outcome(data: pd.DataFrame, column: str, complete: np.ndarray) -> pd.Series:
    """The outcome as 0/1 floats (True/False accepted), or raise naming what was found."""
    series = data[column]
    if pd.api.types.is_bool_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(values, index=series.index)
    found = pd.unique(series.to_numpy()[complete])
    is_numeric = pd.api.types.is_numeric_dtype(series.dtype)
    if not is_numeric or not set(np.asarray(found, dtype="float64").tolist()) <= {0.0, 1.0}:
        shown = sorted(found.tolist(), key=str)[:10]
        raise ValueError(
            f"logit outcome {column!r} must hold 0/1 (or True/False) values; found {shown}. "
            "Recode it first, e.g. data.assign(promoter=(data['nps'] >= 9).astype(int))"
        )
    return series


def ordinal_outcome(data: pd.DataFrame, column: str, complete: np.ndarray) -> pd.Series:
    """The outcome as an ordered Categorical of the categories used by complete rows."""
    series = data[column]
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        if not dtype.ordered:
            raise ValueError(
                f"ordinal outcome {column!r} is an unordered Categorical; make it ordered, e.g. "
                f"pd.Categorical(data[{column!r}], categories=[...], ordered=True)"
            )
        used = set(series[complete].tolist())
        return series.cat.set_categories([c for c in dtype.categories if c in used])
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        raise ValueError(
            f"ordinal outcome {column!r} must be numeric (e.g. 0-10, 1-5) or an ordered pandas "
            f"Categorical; it has dtype {dtype}"
        )
    values = series.astype("float64")
    levels = np.unique(values.to_numpy()[complete])
    if np.all(levels == np.round(levels)):
        return pd.Series(
            pd.Categorical(values.astype("Int64"), categories=levels.astype("int64"), ordered=True),
            index=series.index,
        )
    return pd.Series(pd.Categorical(values, categories=levels, ordered=True), index=series.index)


def check_design(model: Any, kind: str, formula: str) -> None:
    """Check rows against parameters, constant design columns and exact collinearity."""
    exog = np.asarray(model.exog, dtype="float64")
    n, k = exog.shape
    names = [str(x) for x in model.exog_names[:k]]
    n_params = k + (model.k_levels - 1 if kind == "ordinal" else 0)
    if n < n_params + 1:
        raise ValueError(
            f"too few complete rows: {n} rows for {n_params} parameters in {formula!r} "
            f"(listwise deletion); at least {n_params + 1} are needed"
        )
    if k == 0:
        return
    ones = np.all(exog == 1, axis=0)
    if kind == "ordinal" or ones.any():
        for j in np.flatnonzero(~ones & (np.ptp(exog, axis=0) == 0)):
            raise ValueError(
                f"predictor {names[j]!r} is constant in the {n} complete rows (every value is "
                f"{exog[0, j]:g}); its effect cannot be estimated. Drop it or check the data."
            )
    if kind == "ordinal":
        fitted = np.linalg.lstsq(exog, np.ones(n), rcond=None)[0]
        if np.allclose(exog @ fitted, 1.0, atol=1e-8):
            raise ValueError(
                f"the ordinal model {formula!r} has an implicit intercept (e.g. '0 +' or '- 1' "
                "with a categorical predictor); keep the default intercept, which voc removes "
                "because the thresholds take its place"
            )
    scaled = exog / np.where(np.abs(exog).max(axis=0) > 0, np.abs(exog).max(axis=0), 1.0)
    _, sv, vt = np.linalg.svd(scaled, full_matrices=False)
    rank = int((sv > sv.max() * max(n, k) * np.finfo(float).eps).sum())
    if rank < k:
        null = np.abs(vt[rank:]).max(axis=0)
        involved = [name for name, v in zip(names, null, strict=True) if v > 1e-6]
        raise ValueError(
            f"predictors {involved} are perfectly collinear in the {n} complete rows (one is "
            "an exact linear combination of the others), so their coefficients are not "
            "identified; drop one of them"
        )


def _separated(x: np.ndarray, codes: np.ndarray, n_cat: int, free: bool) -> np.ndarray | None:
    """A direction of unbounded likelihood of a (cumulative) logit model, or None.

    Konis's (2007) linear program, extended to ordered outcomes: find slopes ``b`` and
    threshold shifts ``t`` (non-decreasing; fixed at 0 when ``free`` is False, i.e. a binary
    model without intercept) with ``t[c-1] <= x_i'b <= t[c]`` for every row i of category c,
    maximising the total slack. A positive optimum means that moving the parameters along
    ``(b, t)`` never lowers the likelihood and raises it for some rows: complete or
    quasi-complete separation, so the maximum likelihood estimates do not exist. Returns the
    slopes ``b`` of such a direction.
    """
    from scipy.optimize import linprog

    k = x.shape[1]
    m = n_cat - 1
    rows = []
    for c in range(n_cat):
        xc = x[codes == c]
        if c < m:  # x'b - t[c] <= 0
            rows.append(np.hstack([xc, -np.tile(np.eye(m)[c], (len(xc), 1))]))
        if c > 0:  # t[c-1] - x'b <= 0
            rows.append(np.hstack([-xc, np.tile(np.eye(m)[c - 1], (len(xc), 1))]))
    obs = np.vstack(rows)
    order = np.hstack([np.zeros((m - 1, k)), np.eye(m)[:-1] - np.eye(m)[1:]])
    lp = linprog(
        obs.sum(axis=0),
        A_ub=np.vstack([obs, order]),
        b_ub=np.zeros(len(obs) + m - 1),
        bounds=[(-1, 1)] * k + [(-1, 1) if free else (0, 0)] * m,
        method="highs",
    )
    if lp.status != 0 or -lp.fun <= 1e-6:
        return None
    return lp.x[:k]


def separating(model: Any, kind: str) -> list[str] | None:
    """Predictors (design columns) that separate the outcome categories, or None.

    One linear program over all predictors decides; when it finds separation, each predictor
    is tried on its own so that the message can name the culprit, and otherwise the columns
    of the separating combination are returned (Albert & Anderson 1984; Konis 2007).
    """
    exog = np.asarray(model.exog, dtype="float64")
    codes = np.asarray(model.endog, dtype="float64").astype(int)
    weights = np.asarray(getattr(model, "var_weights", np.ones(len(codes))), dtype="float64")
    exog, codes = exog[weights > 0], codes[weights > 0]
    names = [str(x) for x in model.exog_names[: exog.shape[1]]]
    n_cat = int(model.k_levels) if kind == "ordinal" else 2
    const = np.all(exog == 1, axis=0)
    free = kind == "ordinal" or bool(const.any())
    keep = np.flatnonzero(~const)
    scale = np.abs(exog[:, keep]).max(axis=0)
    x = exog[:, keep] / np.where(scale > 0, scale, 1.0)
    direction = _separated(x, codes, n_cat, free)
    if direction is None:
        return None
    single = [
        names[j]
        for i, j in enumerate(keep)
        if _separated(x[:, [i]], codes, n_cat, free) is not None
    ]
    return single or [names[j] for i, j in enumerate(keep) if abs(direction[i]) > 1e-6] or names


# --------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------


def fit_checked(model: Any, kind: str, weighted: bool, formula: str) -> Any:
    """Fit ``model``, turning non-convergence and separation warnings into ``ValueError``.

    Unweighted fits use model-based standard errors; weighted fits use the sandwich (HC1 for
    OLS with a t reference, HC0 for the binomial GLM). A fit that did not converge, or whose
    standard errors are not finite, raises; overflow warnings from the optimiser are dropped
    once the fit is known to be sound, and any other warning is passed on.
    """
    from statsmodels.tools.sm_exceptions import (
        ConvergenceWarning,
        HessianInversionWarning,
        PerfectSeparationError,
        PerfectSeparationWarning,
    )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if kind == "ols":
                result = model.fit(cov_type="HC1", use_t=True) if weighted else model.fit()
            elif kind == "logit" and weighted:
                result = model.fit(cov_type="HC0", maxiter=100)
            elif kind == "logit":
                result = model.fit(disp=False, maxiter=100)
            else:
                result = model.fit(method="bfgs", disp=False, maxiter=2000)
        except PerfectSeparationError as exc:
            raise ValueError(
                f"perfect separation in {formula!r}: the outcome is perfectly predicted, so "
                "the coefficients are infinite"
            ) from exc
        except np.linalg.LinAlgError as exc:
            raise ValueError(
                f"the {kind} model {formula!r} cannot be fitted: its information matrix is "
                f"singular ({exc}). Drop predictors or merge rare categories."
            ) from exc
    categories = {w.category for w in caught}
    if PerfectSeparationWarning in categories:
        raise ValueError(
            f"perfect separation in {formula!r}: the outcome is perfectly predicted by the "
            f"predictors {list(model.exog_names)}, so some coefficients are infinite"
        )
    retvals = getattr(result, "mle_retvals", None) or {}
    converged = retvals.get("converged", getattr(result, "converged", True))
    if ConvergenceWarning in categories or not converged:
        raise ValueError(
            f"the {kind} model {formula!r} did not converge, so its estimates cannot be "
            "trusted. Check for near-separation or categories with very few rows, rescale "
            "predictors with very different ranges, or simplify the model."
        )
    bse = np.asarray(result.bse, dtype="float64")
    if HessianInversionWarning in categories or not np.isfinite(bse).all():
        raise ValueError(
            f"standard errors of the {kind} model {formula!r} cannot be computed (singular "
            "information matrix): a predictor or threshold is not identified. Merge rare "
            "outcome categories or drop predictors."
        )
    for w in caught:
        # Overflow in exp() during the optimiser's line search is harmless once the fit has
        # converged with finite standard errors (checked above); pass anything else on.
        if not issubclass(w.category, RuntimeWarning | PerfectSeparationWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result
