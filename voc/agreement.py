"""Intercoder agreement: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

Ratings come as a **units x coders** table (rows = units, columns = coders, missing = not rated;
Krippendorff 2011 prints coders x units: pass ``table.T``), or as the long ``codings`` table plus
``segments`` for `code_agreement` and `disagreements`. An undefined coefficient is NaN, never 1.0:
when all ratings fall in one category, chance agreement is perfect and cannot be told apart from
real agreement (Krippendorff 2011; kappa's ``1 - p_e`` is 0). Intervals are percentile
bootstraps over units, seeded by ``random_state``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "agreement",
    "code_agreement",
    "cohen_kappa",
    "disagreements",
    "fleiss_kappa",
    "krippendorff_alpha",
    "percent_agreement",
]

_LEVELS = ("nominal", "ordinal", "interval", "ratio")
_ROLE = "participant"
_OVERALL = "(overall)"
_NEEDS = {"ordinal": "order", "interval": "numbers", "ratio": "numbers"}  # what a level needs


def _check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if not any(value is a or (isinstance(value, str) and value == a) for a in allowed):
        raise ValueError(f"{name}={value!r} is not supported; allowed: {list(allowed)!r}")


def _check_ci(ci: float | None, n_boot: int) -> None:
    if ci is not None and not (isinstance(ci, Real) and 0 < ci < 1):
        raise ValueError(f"ci must be a level between 0 and 1 (e.g. 0.95) or None; got {ci!r}")
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}")


def _as_table(data: Any) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        array = np.asarray(data, dtype=object)
        if array.ndim != 2:
            raise ValueError(f"data must be a 2-D units x coders table; got {array.ndim}-D")
        data = pd.DataFrame(array)
    if data.shape[1] < 2:
        raise ValueError(f"data needs >= 2 coder columns (units x coders); got {data.shape[1]}")
    return data


@dataclass(frozen=True)
class _Coded:
    codes: np.ndarray  # (n_units, n_coders) category positions, -1 = missing
    k: int  # number of categories
    values: np.ndarray | None  # (k,) category values when the labels are numbers


def _encode(table: pd.DataFrame, labels: Sequence[Any] | None, what: str, need: str = "") -> _Coded:
    """Categories -> positions; ``need`` is "order", "numbers" or "" (``what`` names the caller)."""
    cells = table.to_numpy(dtype=object)
    is_missing = pd.isna(cells)
    present = cells[~is_missing]
    cats = (list(pd.unique(present)) or [0]) if labels is None else list(labels)  # [0]: no ratings
    if labels is not None and (not cats or any(pd.isna(c) for c in cats)):
        raise ValueError(f"labels must list the categories, without missing values; got {labels!r}")
    is_numeric = all(isinstance(c, Real) for c in cats)
    if is_numeric and labels is None:
        cats = sorted(cats)
    elif not is_numeric and need == "numbers":
        raise ValueError(f"{what} needs numeric ratings; got values such as {cats[0]!r}")
    elif not is_numeric and need == "order" and labels is None:
        raise ValueError(
            f"{what} needs ordered categories; the ratings are not numbers, so pass "
            f"labels=[...] from lowest to highest (seen: {cats[:5]!r})"
        )
    index = pd.Index(np.asarray(cats, dtype=float) if is_numeric else cats)
    if not index.is_unique:
        raise ValueError(f"labels must be unique; got {labels!r}")
    if is_numeric:
        positions = np.full(present.shape, -1)
        is_number = np.array([isinstance(v, Real) for v in present], dtype=bool)
        positions[is_number] = index.get_indexer(present[is_number].astype(float))
    else:
        positions = index.get_indexer(present)
    if (positions < 0).any():
        unknown = pd.unique(present[positions < 0])[:5].tolist()
        raise ValueError(f"data has values that are not in labels: {unknown!r}; labels={cats!r}")
    codes = np.full(cells.shape, -1, dtype=np.int64)
    codes[~is_missing] = positions
    return _Coded(codes, len(cats), index.to_numpy(dtype=float) if is_numeric else None)


@dataclass(frozen=True)
class _Parts:
    """A coefficient as a sum over units, ``finish(per_unit.sum(0))``; a bootstrap replicate is
    ``finish(counts @ per_unit)`` with ``counts`` the times each unit was drawn."""

    per_unit: np.ndarray  # (n_units, d); zero rows for units that cannot be used
    finish: Callable[[np.ndarray], np.ndarray]  # (..., d) -> (...)
    is_used: np.ndarray  # (n_units,) bool
    n_coders: int  # coders with a rating on a used unit

    def stat(self) -> float:
        return float(self.finish(self.per_unit.sum(axis=0)))


def _safe_div(num: Any, den: Any) -> np.ndarray:
    num, den = np.broadcast_arrays(np.asarray(num, dtype=float), np.asarray(den, dtype=float))
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def _counts(coded: _Coded) -> tuple[np.ndarray, np.ndarray]:
    """Ratings per unit and category (n_units, k), and ratings per unit."""
    counts = np.zeros((coded.codes.shape[0], coded.k))
    rows, cols = np.nonzero(coded.codes >= 0)
    np.add.at(counts, (rows, coded.codes[rows, cols]), 1.0)
    return counts, counts.sum(axis=1)


def _parts(coded: _Coded, per_unit: np.ndarray, finish: Callable, is_used: np.ndarray) -> _Parts:
    n_coders = int((coded.codes[is_used] >= 0).any(axis=0).sum())
    return _Parts(per_unit, finish, is_used, n_coders)


def _pair_agreement(counts: np.ndarray, m: np.ndarray, is_used: np.ndarray) -> np.ndarray:
    """Share of agreeing ordered coder pairs within each unit."""
    pairs = (counts * (counts - 1)).sum(axis=1)
    return np.divide(pairs, m * (m - 1), out=np.zeros_like(m), where=is_used)


def _percent_parts(coded: _Coded) -> _Parts:
    counts, m = _counts(coded)
    is_used = m >= 2
    per_unit = np.column_stack([_pair_agreement(counts, m, is_used), is_used])
    return _parts(coded, per_unit, lambda t: _safe_div(t[..., 0], t[..., 1]), is_used)


def _cohen_parts(coded: _Coded, weights: str | None) -> _Parts:
    if coded.codes.shape[1] != 2:
        raise ValueError(
            f"Cohen's kappa compares exactly 2 coders; data has "
            f"{coded.codes.shape[1]}: use method='krippendorff' or 'fleiss'"
        )
    k, (a, b) = coded.k, coded.codes.T
    is_used = (a >= 0) & (b >= 0)
    position = coded.values if coded.values is not None else np.arange(k, dtype=float)
    distance = np.abs(position[:, None] - position[None, :])
    w = {None: 1.0 - np.eye(k), "linear": distance, "quadratic": distance**2}[weights]
    eye = np.eye(k)  # per unit: its disagreement weight, then one-hot ratings of a and of b
    per_unit = np.column_stack([w[a, b], eye[a], eye[b]]) * is_used[:, None]

    def finish(total: np.ndarray) -> np.ndarray:
        rows, cols = total[..., 1 : k + 1], total[..., k + 1 :]
        expected = np.einsum("...c,ck,...k->...", rows, w, cols)
        return 1.0 - _safe_div(rows.sum(axis=-1) * total[..., 0], expected)

    return _parts(coded, per_unit, finish, is_used)


def _fleiss_parts(coded: _Coded) -> _Parts:
    counts, m = _counts(coded)
    is_used = m > 0
    sizes = np.unique(m[is_used])
    if sizes.size > 1 or (sizes.size == 1 and sizes[0] < 2):
        raise ValueError(
            f"fleiss_kappa needs the same number (>= 2) of ratings on every "
            f"rated unit; data has units with {sizes.astype(int).tolist()} ratings. "
            "Use krippendorff_alpha, which allows missing ratings."
        )
    k = coded.k
    per_unit = np.column_stack([counts, _pair_agreement(counts, m, is_used), is_used])

    def finish(total: np.ndarray) -> np.ndarray:
        shares = _safe_div(total[..., :k], total[..., :k].sum(axis=-1, keepdims=True))
        p_e = (shares**2).sum(axis=-1)
        return _safe_div(_safe_div(total[..., k], total[..., k + 1]) - p_e, 1.0 - p_e)

    return _parts(coded, per_unit, finish, is_used)


def _ordinal_delta(n_c: np.ndarray) -> np.ndarray:
    """Krippendorff's ordinal difference from the category totals ``n_c`` (..., k)."""
    idx = np.arange(n_c.shape[-1])
    lo, hi = np.minimum.outer(idx, idx), np.maximum.outer(idx, idx)
    cum = np.cumsum(n_c, axis=-1)
    between = cum[..., hi] - cum[..., lo] + n_c[..., lo]
    return (between - (n_c[..., :, None] + n_c[..., None, :]) / 2.0) ** 2


def _alpha_parts(coded: _Coded, level: str) -> _Parts:
    k = coded.k
    counts, m = _counts(coded)
    is_used = m >= 2  # a unit with fewer than 2 values has no pairable values
    counts *= is_used[:, None]
    scale = np.divide(1.0, m - 1, out=np.zeros_like(m), where=is_used)
    if level == "ordinal":  # the difference depends on the margins: keep each unit's coincidences
        pairs = counts[:, :, None] * counts[:, None, :]
        pairs[:, np.arange(k), np.arange(k)] -= counts
        per_unit = (pairs * scale[:, None, None]).reshape(len(m), k * k)

        def finish(total: np.ndarray) -> np.ndarray:
            coincidence = total.reshape(*total.shape[:-1], k, k)
            n_c = coincidence.sum(axis=-1)
            d2 = _ordinal_delta(n_c)
            return _alpha(n_c, (coincidence * d2).sum(axis=(-2, -1)), d2)

        return _parts(coded, per_unit, finish, is_used)
    v = coded.values if coded.values is not None else np.arange(k, dtype=float)
    delta = 1.0 - np.eye(k) if level == "nominal" else (v[:, None] - v[None, :]) ** 2
    if level == "ratio":
        if (v < 0).any():
            raise ValueError("level='ratio' needs ratings >= 0 (a ratio scale has a true zero)")
        delta = np.nan_to_num(_safe_div(delta, (v[:, None] + v[None, :]) ** 2), nan=0.0)
    # per unit: its weighted disagreement sum(o_ck * delta_ck) (delta_cc = 0), then its values
    observed = np.einsum("uc,ck,uk->u", counts, delta, counts) * scale
    per_unit = np.column_stack([observed, counts])
    return _parts(coded, per_unit, lambda t: _alpha(t[..., 1:], t[..., 0], delta), is_used)


def _alpha(n_c: np.ndarray, observed: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """alpha = 1 - (n - 1) sum(o * delta) / sum(n_c n_k delta) from the value totals ``n_c``."""
    expected = np.einsum("...c,...ck,...k->...", n_c, delta, n_c)
    return 1.0 - _safe_div((n_c.sum(axis=-1) - 1) * observed, expected)


def _bootstrap(parts: Sequence[_Parts], n_boot: int, ci: float | None, seed: Any) -> list[tuple]:
    """Percentile intervals; every statistic sees the same resamples of the rows of
    ``per_unit``. Replicates where a statistic is undefined (NaN) are left out of its interval."""
    n = parts[0].per_unit.shape[0]
    if ci is None or n == 0:
        return [(np.nan, np.nan)] * len(parts)
    rng = np.random.default_rng(seed)
    draws: list[list[np.ndarray]] = [[] for _ in parts]
    chunk = max(1, min(n_boot, 2_000_000 // n))  # bounds memory at ~16 MB of counts
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        picks = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
        counts = np.bincount(picks.ravel(), minlength=size * n).reshape(size, n).astype(float)
        for out, part in zip(draws, parts, strict=True):
            out.append(part.finish(counts @ part.per_unit))
    tail, result = (1.0 - ci) / 2.0, []
    for out in draws:
        values = np.concatenate(out)
        values = values[np.isfinite(values)]
        low, high = np.quantile(values, [tail, 1 - tail]) if values.size else (np.nan, np.nan)
        result.append((float(low), float(high)))
    return result


def percent_agreement(data: pd.DataFrame | npt.ArrayLike) -> float:
    """Share of coder pairs that gave a unit the same category, averaged over units.

    Two coders: the share of units rated identically; more: each unit scores its share of
    agreeing coder pairs. Units rated by fewer than 2 coders are left out. Not chance-corrected.

    Parameters
    ----------
    data : DataFrame or 2-D array-like
        Units x coders, strings or numbers; NaN/None = not rated.

    Returns
    -------
    float
        A proportion from 0 to 1 (not 0-100); NaN when no unit was rated twice.

    See Also
    --------
    agreement : with a bootstrap confidence interval (``method="percent"``).

    References
    ----------
    Hallgren, K. A. (2012). Computing inter-rater reliability for observational data.
    Tutorials in Quantitative Methods for Psychology, 8(1), 23-34.

    Examples
    --------
    >>> import voc.agreement as va
    >>> va.percent_agreement([["pos", "pos"], ["neg", "pos"], ["neg", "neg"], ["pos", None]])
    0.6666666666666666
    """
    return _percent_parts(_encode(_as_table(data), None, "percent_agreement")).stat()


def cohen_kappa(
    a: npt.ArrayLike, b: npt.ArrayLike, *, weights: str | None = None, labels: Any = None
) -> float:
    """Cohen's kappa between two coders, unweighted or weighted for ordered categories.

    ``a`` and ``b`` are paired by position (not index); pairs with a missing rating are dropped.
    kappa = 1 - sum(w * p_observed) / sum(w * p_row * p_col) with disagreement weights ``w``.

    Parameters
    ----------
    a, b : array-like
        The two coders' ratings of the same units, strings or numbers.
    weights : {None, "linear", "quadratic"}, default=None
        None: Cohen's (1960) kappa. "linear"/"quadratic": a disagreement weighs the distance
        between the categories, or its square (Cohen 1968). Distances are the category values
        when the labels are numbers (1 vs 5 is 4 steps even if 2-4 were never used), otherwise
        positions in ``labels``; on an equally spaced scale this is the usual ``|i - j|``.
    labels : sequence, optional
        The categories, lowest first; required for weighted kappa on non-numeric labels.
        Ratings outside ``labels`` raise ValueError.

    Returns
    -------
    float
        Kappa; NaN when chance agreement is perfect (both coders used the same single category)
        or no unit was rated by both.

    See Also
    --------
    agreement : with a bootstrap confidence interval (``method="cohen"``).

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
    Psychological Measurement, 20(1), 37-46.
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin, 70(4), 213-220.

    Examples
    --------
    >>> import voc.agreement as va
    >>> round(va.cohen_kappa([1, 2, 3, 3, 2], [1, 2, 3, 2, 2]), 3)
    0.688
    >>> va.cohen_kappa(["lo", "hi"], ["lo", "mid"], weights="linear", labels=["lo", "mid", "hi"])
    0.5
    """
    _check_choice("weights", weights, (None, "linear", "quadratic"))
    first, second = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if first.ndim != 1 or second.ndim != 1 or len(first) != len(second):
        raise ValueError(
            f"a and b must be 1-D and of equal length; got {first.shape}, {second.shape}"
        )
    table = pd.DataFrame({"a": first, "b": second})
    coded = _encode(table, labels, f"weights={weights!r}", "order" if weights else "")
    return _cohen_parts(coded, weights).stat()


def fleiss_kappa(data: pd.DataFrame | npt.ArrayLike) -> float:
    """Fleiss' kappa for any number of coders on nominal categories.

    Every rated unit must have the same number of ratings (Fleiss 1971), not necessarily from
    the same coders: columns are rating slots. Units with no rating are dropped; any other
    missing ratings raise ValueError (use `krippendorff_alpha`).

    Parameters
    ----------
    data : DataFrame or 2-D array-like
        Units x coders (or rating slots), strings or numbers.

    Returns
    -------
    float
        Kappa; NaN when all ratings fall in one category.

    See Also
    --------
    krippendorff_alpha : allows missing ratings and ordered or numeric scales.

    References
    ----------
    Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
    Bulletin, 76(5), 378-382.

    Examples
    --------
    >>> import voc.agreement as va
    >>> round(va.fleiss_kappa([["a", "a", "a"], ["a", "b", "b"], ["b", "b", "b"]]), 3)
    0.55
    """
    return _fleiss_parts(_encode(_as_table(data), None, "fleiss_kappa")).stat()


def krippendorff_alpha(
    data: pd.DataFrame | npt.ArrayLike, *, level: str = "nominal", labels: Any = None
) -> float:
    """Krippendorff's alpha for any number of coders, with missing ratings.

    Computed from the coincidence matrix (Krippendorff 2011): a unit with m >= 2 ratings adds its
    m(m-1) ordered pairs of values, each weighing 1/(m-1); alpha = 1 - D_o / D_e, observed over
    expected disagreement under the difference function of ``level``. Units with fewer than 2
    ratings are dropped.

    Parameters
    ----------
    data : DataFrame or 2-D array-like
        **Units x coders**, missing = not rated (for Krippendorff's coders x units, ``data.T``).
    level : {"nominal", "ordinal", "interval", "ratio"}, default="nominal"
        Level of measurement. "ordinal" needs an order (numbers or ``labels``); "interval" and
        "ratio" need numbers ("ratio": >= 0).
    labels : sequence, optional
        The categories, lowest first; ratings outside ``labels`` raise ValueError.

    Returns
    -------
    float
        Alpha; NaN when there is no variation (a single value) or no unit with 2 ratings.

    See Also
    --------
    agreement : with a bootstrap confidence interval.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Departmental Papers
    (ASC), University of Pennsylvania. https://repository.upenn.edu/asc_papers/43

    Examples
    --------
    >>> import voc.agreement as va
    >>> ratings = [[1, 1, None], [2, 2, 3], [3, 3, 3], [4, 4, 4], [1, 2, 1]]
    >>> round(va.krippendorff_alpha(ratings), 3)
    0.644
    >>> round(va.krippendorff_alpha(ratings, level="interval"), 3)
    0.893
    """
    _check_choice("level", level, _LEVELS)
    coded = _encode(_as_table(data), labels, f"level={level!r}", _NEEDS.get(level, ""))
    return _alpha_parts(coded, level).stat()


_METHODS: dict[str, Callable[[_Coded, str], _Parts]] = {
    "krippendorff": _alpha_parts,
    "cohen": lambda coded, _: _cohen_parts(coded, None),
    "cohen_linear": lambda coded, _: _cohen_parts(coded, "linear"),
    "cohen_quadratic": lambda coded, _: _cohen_parts(coded, "quadratic"),
    "fleiss": lambda coded, _: _fleiss_parts(coded),
    "percent": lambda coded, _: _percent_parts(coded),
}
_WEIGHTED = {"cohen_linear": "ordinal", "cohen_quadratic": "ordinal"}  # the level they assume
_AGREEMENT_COLUMNS = ["method", "level", "stat", "ci_low", "ci_high", "n_units", "n_coders"]


def agreement(
    data: pd.DataFrame | npt.ArrayLike,
    *,
    method: str = "krippendorff",
    level: str = "nominal",
    labels: Sequence[Any] | None = None,
    ci: float | None = 0.95,
    n_boot: int = 1000,
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """One agreement coefficient with a bootstrap confidence interval, as a one-row table.

    The interval is a percentile bootstrap resampling the units used (rows, ratings kept
    together); replicates where the coefficient is undefined are left out.

    Parameters
    ----------
    data : DataFrame or 2-D array-like
        Units x coders, missing = not rated.
    method : str, default="krippendorff"
        "krippendorff" (`krippendorff_alpha`), "cohen", "cohen_linear", "cohen_quadratic"
        (`cohen_kappa`, exactly 2 coder columns), "fleiss" (`fleiss_kappa`) or "percent"
        (`percent_agreement`).
    level : {"nominal", "ordinal", "interval", "ratio"}, default="nominal"
        Level of measurement for "krippendorff"; other methods take "nominal" only.
    labels : sequence, optional
        The categories, lowest first.
    ci : float or None, default=0.95
        Confidence level; None skips the bootstrap (``ci_low``, ``ci_high`` NaN).
    n_boot : int, default=1000
        Bootstrap replicates.
    random_state : int, Generator or None, default=0
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        One row: ``method``, ``level`` (that the coefficient treats ratings at; weighted kappas
        are "ordinal"), ``stat``, ``ci_low``, ``ci_high``, ``n_units`` (units used),
        ``n_coders`` (coders with a rating on a used unit).

    See Also
    --------
    code_agreement : agreement per code from the long codings table.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.

    Examples
    --------
    >>> import voc.agreement as va
    >>> ratings = [[1, 1, None], [2, 2, 3], [3, 3, 3], [4, 4, 4], [1, 2, 1]]
    >>> result = va.agreement(ratings, level="interval", n_boot=200)
    >>> result[["method", "level", "stat", "n_units", "n_coders"]].round(3)
             method     level   stat  n_units  n_coders
    0  krippendorff  interval  0.893        5         3
    """
    _check_choice("method", method, tuple(_METHODS))
    _check_choice("level", level, _LEVELS)
    if method != "krippendorff" and level != "nominal":
        raise ValueError(
            f"level={level!r} applies to method='krippendorff' only; for kappa on "
            "ordered categories use method='cohen_linear' or 'cohen_quadratic'"
        )
    _check_ci(ci, n_boot)
    need = "order" if method in _WEIGHTED else _NEEDS.get(level, "")
    coded = _encode(_as_table(data), labels, f"method={method!r}, level={level!r}", need)
    parts = _METHODS[method](coded, level)
    used = _Parts(
        parts.per_unit[parts.is_used], parts.finish, parts.is_used[parts.is_used], parts.n_coders
    )
    stat = parts.stat()
    ((low, high),) = _bootstrap([used], n_boot, ci if np.isfinite(stat) else None, random_state)
    row = [method, _WEIGHTED.get(method, level), stat, low, high, len(used.is_used), used.n_coders]
    return pd.DataFrame([row], columns=_AGREEMENT_COLUMNS)


def _require(frame: Any, columns: Sequence[str], name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}; required: {list(columns)}")
    for column in columns:
        if frame[column].isna().any():
            raise ValueError(f"{name} column {column!r} has missing values; every row needs one")


def _presence(codings: pd.DataFrame, segments: pd.DataFrame, code: Any) -> tuple:
    """Units (sorted), codes, coders, presence (unit x code x coder: 1/0/NaN), is_rated."""
    _require(codings, ("source", "segment_id", "code", "coder"), "codings")
    _require(segments, ("source", "segment_id", "role"), "segments")
    segment_keys = pd.MultiIndex.from_frame(segments[["source", "segment_id"]])
    if segment_keys.has_duplicates:
        dup = segment_keys[segment_keys.duplicated()][:3].tolist()
        raise ValueError(f"segments has duplicate (source, segment_id) pairs, e.g. {dup!r}")
    coding_keys = pd.MultiIndex.from_frame(codings[["source", "segment_id"]])
    unknown = ~coding_keys.isin(segment_keys)
    if unknown.any():
        raise ValueError(
            f"codings has {unknown.sum()} row(s) whose (source, segment_id) is not in "
            f"segments, e.g. {coding_keys[unknown][:3].tolist()!r} (same id types?)"
        )
    column = {c: codings[c].to_numpy(dtype=object) for c in ("source", "code", "coder")}
    coders = sorted(pd.unique(column["coder"]), key=str)
    if len(coders) < 2:
        raise ValueError(f"codings column 'coder' has {coders!r}; agreement needs >= 2 coders")
    units = segments[segments["role"] == _ROLE].sort_values(["source", "segment_id"], kind="stable")
    units = units.reset_index(drop=True)
    if units.empty:
        raise ValueError(f"segments has no row with role == {_ROLE!r}; those are the coded units")
    unit_pos = pd.MultiIndex.from_frame(units[["source", "segment_id"]]).get_indexer(coding_keys)
    if code is None:
        codes = sorted(pd.unique(column["code"][unit_pos >= 0]), key=str)
    else:
        codes = sorted(set([code] if isinstance(code, str) else code), key=str)
    if not codes:
        raise ValueError(f"no code to report: code is empty or no code is on a {_ROLE!r} segment")
    code_pos = pd.Index(codes, dtype=object).get_indexer(column["code"])
    coder_pos = pd.Index(coders, dtype=object).get_indexer(column["coder"])
    presence = np.zeros((len(units), len(codes), len(coders)))
    hit = (unit_pos >= 0) & (code_pos >= 0)
    presence[unit_pos[hit], code_pos[hit], coder_pos[hit]] = 1.0
    sources = pd.Index(pd.unique(units["source"].to_numpy(dtype=object)), dtype=object)
    source_pos = sources.get_indexer(column["source"])
    touched = np.zeros((len(sources), len(coders)), dtype=bool)  # coder coded that source at all
    touched[source_pos[source_pos >= 0], coder_pos[source_pos >= 0]] = True
    is_rated = touched[sources.get_indexer(units["source"].to_numpy(dtype=object))]
    presence = np.where(is_rated[:, None, :], presence, np.nan)
    return units, codes, coders, presence, is_rated


def code_agreement(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    code: str | Sequence[str] | None = None,
    method: str = "krippendorff",
    ci: float | None = 0.95,
    n_boot: int = 1000,
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Intercoder agreement per code (presence/absence on participant segments), plus overall.

    Units are the segments with ``role == "participant"``. Per code, a coder scores 1 on a unit
    if they applied the code there and 0 if not -- **absence is a real 0, but only if the coder
    coded that source at all** (has any row in ``codings`` for it, on any segment or code); a
    source a coder never touched is *missing* for that coder, not a run of "absent" votes.
    Units rated by fewer than 2 coders are dropped. Repeated rows count once; codings on
    interviewer segments only count towards "coded that source".

    Parameters
    ----------
    codings : DataFrame
        ``source``, ``segment_id``, ``code``, ``coder``: a row means that coder applied that
        code to that segment. Every (source, segment_id) must be in ``segments``.
    segments : DataFrame
        ``source``, ``segment_id``, ``role``; one row per segment.
    code : str or list of str, optional
        The codes to report; default: every code applied to a unit. A listed code nobody
        applied gets a row with alpha and kappa NaN (no variation).
    method : {"krippendorff", "cohen", "percent"}, default="krippendorff"
        The statistic the interval is for ("cohen": exactly 2 coders); all three are reported.
    ci : float or None, default=0.95
        Confidence level; None skips the bootstrap.
    n_boot : int, default=1000
        Bootstrap replicates; units are resampled, the same resamples for every code.
    random_state : int, Generator or None, default=0
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        One row per code (sorted), then ``code == "(overall)"``: the codes pooled by stacking
        the unit x code presence tables (one row per unit and code), resampling whole units.
        Columns: ``code``, ``n_units`` (units rated by >= 2 coders), ``n_coders``,
        ``pct_agreement`` (0-1), ``kappa`` (Cohen's; NaN unless exactly 2 coders), ``alpha``
        (Krippendorff's, nominal), ``method`` (what the interval is for), ``ci_low``, ``ci_high``.

    See Also
    --------
    disagreements : the segments behind a low agreement.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Departmental Papers
    (ASC), University of Pennsylvania.
    O'Connor, C., & Joffe, H. (2020). Intercoder reliability in qualitative research: debates
    and practical guidelines. International Journal of Qualitative Methods, 19, 1-13.

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.agreement as va
    >>> segments = pd.DataFrame({"source": "int01", "segment_id": ["s1", "s2", "s3", "s4"],
    ...                          "role": "participant"})
    >>> codings = pd.DataFrame({"source": "int01", "segment_id": ["s1", "s2", "s1", "s3"],
    ...                         "code": "price", "coder": ["ana", "ana", "ben", "ben"]})
    >>> result = va.code_agreement(codings, segments, n_boot=200)
    >>> result[["code", "n_units", "pct_agreement", "kappa", "alpha"]].round(3)
            code  n_units  pct_agreement  kappa  alpha
    0      price        4            0.5    0.0  0.125
    1  (overall)        4            0.5    0.0  0.125
    """
    _check_choice("method", method, ("krippendorff", "cohen", "percent"))
    _check_ci(ci, n_boot)
    _, codes, coders, presence, is_rated = _presence(codings, segments, code)
    if method == "cohen" and len(coders) != 2:
        raise ValueError(f"method='cohen' needs exactly 2 coders; codings has {coders!r}")
    is_used = is_rated.sum(axis=1) >= 2
    n_units, n_coders = int(is_used.sum()), int(is_rated[is_used].any(axis=0).sum())
    used = presence[is_used]
    tables = [used[:, j, :] for j in range(len(codes))] + [used.reshape(-1, len(coders))]
    records, primary = [], []
    for j, table in enumerate(tables):
        coded = _Coded(np.nan_to_num(table, nan=-1).astype(np.int64), 2, np.array([0.0, 1.0]))
        parts = {"percent": _percent_parts(coded), "krippendorff": _alpha_parts(coded, "nominal")}
        if len(coders) == 2:
            parts["cohen"] = _cohen_parts(coded, None)
        stats = {name: p.stat() for name, p in parts.items()}
        main = parts[method]
        if j == len(codes):  # overall: sum the (unit, code) rows of each unit, resample units
            per_unit = main.per_unit.reshape(n_units, len(codes), main.per_unit.shape[1]).sum(
                axis=1
            )
            main = _Parts(per_unit, main.finish, np.ones(n_units, dtype=bool), main.n_coders)
        primary.append(main)
        label = codes[j] if j < len(codes) else _OVERALL
        records.append((label, stats["percent"], stats.get("cohen", np.nan), stats["krippendorff"]))
    result = pd.DataFrame(records, columns=["code", "pct_agreement", "kappa", "alpha"])
    result.insert(1, "n_units", n_units)
    result.insert(2, "n_coders", n_coders)
    stat = result[{"percent": "pct_agreement", "cohen": "kappa"}.get(method, "alpha")].to_numpy()
    low, high = np.array(_bootstrap(primary, n_boot, ci, random_state)).T
    return result.assign(
        method=method,
        ci_low=np.where(np.isfinite(stat), low, np.nan),
        ci_high=np.where(np.isfinite(stat), high, np.nan),
    )


def disagreements(
    codings: pd.DataFrame, segments: pd.DataFrame, *, code: str | Sequence[str] | None = None
) -> pd.DataFrame:
    """The (segment, code) pairs on which coders disagree, with each coder's decision.

    Same units and absence rule as `code_agreement`: a disagreement is a participant segment
    where at least one coder applied the code and at least one coder who coded that source
    did not.

    Parameters
    ----------
    codings : DataFrame
        ``source``, ``segment_id``, ``code``, ``coder``.
    segments : DataFrame
        ``source``, ``segment_id``, ``role``, and optionally ``text``.
    code : str or list of str, optional
        Only these codes; default: every code applied to a unit.

    Returns
    -------
    DataFrame
        One row per disagreement, sorted by ``source``, ``segment_id``, ``code``: those three
        columns, one nullable-boolean column per coder (sorted; True = applied, False = did
        not, NA = never coded that source), then ``text`` if ``segments`` has it.

    See Also
    --------
    code_agreement : the agreement coefficients per code.

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.agreement as va
    >>> segments = pd.DataFrame({"source": "int01", "segment_id": ["s1", "s2", "s3"],
    ...                          "role": "participant", "text": ["Too dear.", "Fine.", "Pricey!"]})
    >>> codings = pd.DataFrame({"source": "int01", "segment_id": ["s1", "s1", "s3"],
    ...                         "code": "price", "coder": ["ana", "ben", "ben"]})
    >>> va.disagreements(codings, segments)
      source segment_id   code    ana   ben     text
    0  int01         s3  price  False  True  Pricey!
    """
    units, codes, coders, presence, is_rated = _presence(codings, segments, code)
    clash = {str(c) for c in coders} & {"source", "segment_id", "code", "text"}
    if clash:
        raise ValueError(
            f"codings column 'coder' has names that clash with output columns: {clash}"
        )
    n_applied = np.nansum(presence, axis=2)
    unit_idx, code_idx = np.nonzero((n_applied > 0) & (n_applied < is_rated.sum(axis=1)[:, None]))
    result = units.iloc[unit_idx][["source", "segment_id"]].reset_index(drop=True)
    result["code"] = np.asarray(codes, dtype=object)[code_idx]
    for j, coder in enumerate(coders):
        value = presence[unit_idx, code_idx, j]
        decided = pd.array(value == 1.0, dtype="boolean")
        decided[np.isnan(value)] = pd.NA
        result[coder] = decided
    if "text" in units.columns:
        result["text"] = units["text"].to_numpy()[unit_idx]
    return result
