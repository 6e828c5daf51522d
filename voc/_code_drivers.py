"""Interview codes next to the survey drivers in one relative importance model (private).

The public function, :func:`codes_as_drivers`, is re-exported by :mod:`voc.mixed`; import it
from there.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from voc._participants import check_id_column
from voc._survey_base import as_columns

__all__ = ["ROWS_PER_PREDICTOR", "codes_as_drivers"]

#: Default number of complete rows the model needs for each predictor it holds.
ROWS_PER_PREDICTOR = 10

_ESTIMATES = ("raw_weight", "rescaled", "ci_low", "ci_high", "rank", "r2")
COLUMNS = (
    "driver",
    "kind",
    "included",
    "n_present",
    *_ESTIMATES,
    "n",
    "n_interviewed",
    "n_predictors",
    "n_needed",
    "note",
)


def _check(
    responses: pd.DataFrame,
    wide: pd.DataFrame,
    outcome: str,
    driver_cols: list[str],
    code_cols: list[str],
    rows_per_predictor: int,
) -> None:
    known = [c for c in wide.columns if c != "participant_id"]
    unknown = [c for c in code_cols if c not in known]
    if unknown:
        raise ValueError(f"code(s) {unknown!r} are not in quantitized; allowed: {known}")
    for name in [outcome, *driver_cols]:
        if name not in responses.columns:
            raise ValueError(f"column {name!r} is not in responses")
    if responses["participant_id"].duplicated().any():
        dup = responses.loc[responses["participant_id"].duplicated(), "participant_id"].iloc[0]
        raise ValueError(f"responses has participant_id {dup!r} more than once; one row each")
    not_surveyed = sorted(set(wide["participant_id"]) - set(responses["participant_id"]))
    if not_surveyed:
        raise ValueError(
            f"{len(not_surveyed)} interviewee(s) are not in responses, e.g. {not_surveyed[:3]!r}; "
            "match them first (voc.mixed.match_participants)"
        )
    if (
        isinstance(rows_per_predictor, bool)
        or not isinstance(rows_per_predictor, int | np.integer)
        or rows_per_predictor < 1
    ):
        raise ValueError(
            f"rows_per_predictor must be a positive integer, got {rows_per_predictor!r}"
        )


def _rank_codes(data: pd.DataFrame, code_cols: list[str]) -> tuple[list[str], dict[str, str]]:
    """Codes that vary, most balanced first (the outcome is not looked at); notes for the rest."""
    n = len(data)
    present = {c: int(data[c].sum()) for c in code_cols}
    notes: dict[str, str] = {}
    varying = []
    for code in code_cols:
        if present[code] in (0, n):
            who = "all" if present[code] == n else "none of the"
            notes[code] = f"not in the model: present for {who} n = {n} interviewees"
        else:
            varying.append(code)
    order = {c: i for i, c in enumerate(code_cols)}
    varying.sort(key=lambda c: (-min(present[c], n - present[c]), order[c]))
    return varying, notes


def codes_as_drivers(
    responses: pd.DataFrame,
    quantitized: pd.DataFrame,
    *,
    outcome: str,
    drivers: Sequence[str],
    codes: Sequence[str] | None = None,
    rows_per_predictor: int = ROWS_PER_PREDICTOR,
    method: str = "relative_weights",
    n_boot: int = 1000,
    random_state: int | None = 0,
) -> pd.DataFrame:
    """Relative importance of the survey drivers and of interview codes, for the interviewees.

    Joins the survey answers of the interviewed respondents to :func:`voc.mixed.wide_codes`
    (one 0/1 column per code) and splits the R² of *outcome* among the *drivers* and the
    codes with :func:`voc.drivers.relative_importance`, under a stated sample-size rule:

    1. ``n`` = interviewees with *outcome* and every driver answered (codes are never
       missing: a code a participant did not raise is a 0).
    2. The model may hold ``n // rows_per_predictor`` predictors (10 rows per predictor by
       default, the usual floor for a linear model; Harrell 2015, 4.4).
    3. Every survey driver is kept (they are the model the codes are set beside); codes
       present for everybody or nobody carry no information and are left out; the other
       codes enter most balanced first (largest ``min(n_present, n - n_present)``, the
       information a 0/1 predictor carries; ties in *codes* order) until the budget is
       spent. The outcome plays no part in the choice, so the selection cannot flatter
       the codes.
    4. When the budget leaves no room for one code beside the drivers, nothing is fitted:
       every row says so, with ``n`` and the ``n_needed`` for the smallest model
       (the drivers and one code).

    Parameters
    ----------
    responses : DataFrame
        One row per ``participant_id`` with *outcome* and *drivers*.
    quantitized : DataFrame
        From :func:`voc.mixed.quantitize_codes` (one row per participant and code).
    outcome : str
        The outcome column (e.g. the 0-10 NPS answer).
    drivers : list of str
        Numeric survey drivers (e.g. the Likert items); may be empty.
    codes : list of str, optional
        The candidate codes, in order of preference for ties; default every code in
        *quantitized*.
    rows_per_predictor : int, default=10
        Complete rows the model needs for each predictor it holds.
    method : {"relative_weights", "dominance"}, default="relative_weights"
        See :func:`voc.drivers.relative_importance`.
    n_boot : int, default=1000
        Bootstrap replicates of the intervals (0 skips them).
    random_state : int or None, default=0
        Seed of the bootstrap.

    Returns
    -------
    DataFrame
        One row per driver and candidate code: the predictors in the model first (most
        important first), then the codes left out. Columns ``driver`` (the item or the code;
        a code may share its name with an item), ``kind`` (``"survey"`` or ``"code"``), ``included`` (in the fitted model), ``n_present`` (interviewees in
        ``n`` with the code; missing for survey drivers), ``raw_weight``, ``rescaled``,
        ``ci_low``, ``ci_high``, ``rank``, ``r2`` (as :func:`voc.drivers.relative_importance`;
        missing when not in a model), ``n`` (complete interviewed rows), ``n_interviewed``
        (participants in *quantitized*), ``n_predictors`` (in the model, or in the smallest
        model when none was fitted), ``n_needed`` (``n_predictors * rows_per_predictor``)
        and ``note`` (in words: in the model, or why not).

    Raises
    ------
    ValueError
        Interviewees not in the survey, a code that is not in *quantitized*, a bad
        *rows_per_predictor*, and the errors of :func:`voc.drivers.relative_importance` (e.g.
        a constant survey driver).

    See Also
    --------
    voc.drivers.relative_importance : the decomposition.
    voc.mixed.joint_display : where the survey-wide driver importance meets the codes.

    Notes
    -----
    Interview samples are small and purposive: even a fitted model describes the
    interviewees, not the customer base, and its bootstrap intervals are wide. A code's
    weight is the variance in the outcome it shares with the code's presence, not an effect
    of the theme. Ten rows per predictor is a floor against fitting noise, not a guarantee
    of stable weights; Green (1991) asks for 50 + 8p to test R² itself.

    References
    ----------
    .. [1] Harrell, F. E. (2015). *Regression Modeling Strategies* (2nd ed.), section 4.4.
       Springer.
    .. [2] Green, S. B. (1991). How many subjects does it take to do a regression analysis?
       *Multivariate Behavioral Research*, 26(3), 499-510.
    .. [3] Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
       predictor variables in multiple regression. *Multivariate Behavioral Research*, 35(1),
       1-19.
    .. [4] Fetters, M. D., Curry, L. A., & Creswell, J. W. (2013). Achieving integration in
       mixed methods designs: principles and practices. *Health Services Research*, 48(6 Pt
       2), 2134-2156 (merging through data transformation).

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.mixed import codes_as_drivers
    >>> responses = pd.DataFrame({"participant_id": [f"p{i}" for i in range(24)],
    ...                           "ltr": range(24), "ease": [i % 5 for i in range(24)]})
    >>> quantitized = pd.DataFrame({"participant_id": [f"p{i}" for i in range(24)],
    ...                             "code": "sync", "present": [i < 8 for i in range(24)]})
    >>> codes_as_drivers(responses, quantitized, outcome="ltr", drivers=["ease"],
    ...                  n_boot=0)[["driver", "included", "n", "n_needed"]]
      driver  included   n  n_needed
    0   sync      True  24        20
    1   ease      True  24        20
    """
    from voc.drivers import relative_importance
    from voc.mixed import wide_codes

    check_id_column(responses, "responses")
    wide = wide_codes(quantitized)
    known = [c for c in wide.columns if c != "participant_id"]
    code_cols = known if codes is None else list(dict.fromkeys(as_columns(codes, name="codes")))
    driver_cols = list(dict.fromkeys(as_columns(drivers, name="drivers")))
    _check(responses, wide, outcome, driver_cols, code_cols, rows_per_predictor)
    # codes enter the model under their own column names, so a code may share its name with a
    # survey item (the example codes candidate_quality next to the candidate_quality item)
    keys = {f"code: {c}": c for c in code_cols}
    taken = sorted(set(keys) & {outcome, *driver_cols})
    if taken:
        raise ValueError(f"column(s) {taken} of responses clash with voc's names for the codes")
    data = (
        wide[["participant_id", *code_cols]]
        .set_axis(["participant_id", *keys], axis=1)
        .merge(
            responses[["participant_id", outcome, *driver_cols]],
            on="participant_id",
            how="left",
            validate="one_to_one",
        )
    )
    data = data[data[[outcome, *driver_cols]].notna().all(axis=1).to_numpy()]
    n = len(data)
    ranked, notes = _rank_codes(data, list(keys))
    budget = n // rows_per_predictor
    room = budget - len(driver_cols)
    fitted = bool(room >= 1 and budget >= 2 and ranked)
    chosen = ranked[:room] if fitted else []
    n_predictors = len(driver_cols) + len(chosen) if fitted else max(len(driver_cols) + 1, 2)
    needed = n_predictors * rows_per_predictor
    if fitted:
        for key in ranked[len(chosen) :]:
            notes[key] = (
                f"not in the model: n = {n} allows {budget} predictors ({rows_per_predictor} "
                f"rows each) and more balanced codes took the {len(chosen)} places left"
            )
        in_model = "in the model"
    elif not ranked:
        in_model = "not fitted: no code varies among the interviewees"
    else:
        in_model = (
            f"not fitted: n = {n} interviewees with complete answers, and "
            f"{len(driver_cols)} survey driver(s) and at least 1 code = {n_predictors} "
            f"predictors need at least {needed} ({rows_per_predictor} per predictor)"
        )
    if fitted:
        table = relative_importance(
            data,
            outcome,
            [*driver_cols, *chosen],
            method=method,
            n_boot=n_boot,
            random_state=random_state,
        ).drop(columns="n")
    else:
        table = pd.DataFrame({"driver": driver_cols})
    left_out = pd.DataFrame(
        {"driver": [k for k in dict.fromkeys([*ranked, *keys]) if k not in chosen]}
    )
    out = pd.concat(
        [
            table.reindex(columns=["driver", *_ESTIMATES]),
            left_out.reindex(columns=["driver", *_ESTIMATES]),
        ],
        ignore_index=True,
    )
    names = out["driver"].tolist()
    is_code = [d in keys for d in names]
    included = [fitted and (d in chosen or not c) for d, c in zip(names, is_code, strict=True)]
    return pd.DataFrame(
        {
            "driver": pd.Series([keys.get(d, d) for d in names], dtype=object),
            "kind": pd.Series(np.where(is_code, "code", "survey"), dtype=object),
            "included": np.asarray(included, dtype=bool),
            "n_present": pd.array(
                [int(data[d].sum()) if c else pd.NA for d, c in zip(names, is_code, strict=True)],
                dtype="Int64",
            ),
            **{col: out[col].astype("float64").to_numpy() for col in _ESTIMATES},
            "rank": out["rank"].astype("Float64").round().astype("Int64"),
            "n": np.int64(n),
            "n_interviewed": np.int64(len(wide)),
            "n_predictors": np.int64(n_predictors),
            "n_needed": np.int64(needed),
            "note": pd.Series(
                [
                    in_model if inc else notes.get(d, in_model)
                    for d, inc in zip(names, included, strict=True)
                ],
                dtype=object,
            ),
        }
    )[list(COLUMNS)]
