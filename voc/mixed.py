"""Mixed-methods integration: the survey and the interviews in one analysis.

Pure functions: frames in, new tidy frames out; no I/O, nothing printed, inputs never mutated.

The pieces, in the order a study uses them:

* :func:`match_participants` joins survey respondents and interviewees on a normalised
  ``participant_id`` (full outer match with a report; never a silent inner join);
  :func:`interviewees` is the interview-side view of it.
* :func:`quantitize_codes` turns codings into presence per participant and code (zeros
  included), :func:`wide_codes` into one 0/1 column per code.
* :func:`code_prevalence`: share of each group (e.g. NPS group) that raised each code, with
  exact tests and effect sizes.
* :func:`mentioner_nps`: NPS of those who mention a theme vs those who do not.
* :func:`codes_as_drivers`: code presence next to the Likert drivers in a relative importance
  analysis.
* :func:`joint_display`: one row per code with both halves side by side and a stated
  inference (:data:`INFERENCE_RULE`).

References
----------
Fetters, M. D., Curry, L. A., & Creswell, J. W. (2013). Achieving integration in mixed
methods designs: principles and practices. Health Services Research, 48(6 Pt 2), 2134-2156.
Guetterman, T. C., Fetters, M. D., & Creswell, J. W. (2015). Integrating quantitative and
qualitative results in health science mixed methods research through joint displays. Annals
of Family Medicine, 13(6), 554-561.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc._code_drivers import codes_as_drivers
from voc._joint_display import INFERENCE_RULE, joint_display
from voc._participants import check_id_column, interviewees, mask_id, match_participants
from voc._prevalence import code_prevalence
from voc._survey_base import as_columns, check_adjust, check_level, p_adjust
from voc.survey import compare_nps, nps, nps_group

__all__ = [
    "INFERENCE_RULE",
    "code_prevalence",
    "codes_as_drivers",
    "comment_mentions",
    "interviewees",
    "joint_display",
    "mask_id",
    "match_participants",
    "mentioner_nps",
    "nps_group",
    "quantitize_codes",
    "wide_codes",
]

# --------------------------------------------------------------------------------------------
# Quantitizing codes
# --------------------------------------------------------------------------------------------

_UNITS = ("participant", "source")


def quantitize_codes(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    coder: str | None = None,
    codes: Sequence[str] | None = None,
    unit: str = "participant",
) -> pd.DataFrame:
    """Presence of every code for every participant (zeros included): codes turned into data.

    A code is present for a participant when it is present on at least one of their turns
    under the *coder* rule of :mod:`voc.qual` (any coder, one coder, or consensus);
    ``n_segments`` counts those turns. Only participants' turns count (the coding is resolved
    with :func:`voc.qual.resolve_codings`, interviewer turns ignored), and every participant
    with at least one turn gets a row for every code. Codes are as applied (no roll-up to
    parent codes).

    Parameters
    ----------
    codings : DataFrame
        The ``codings`` table.
    segments : DataFrame
        The ``segments`` table (pass only the coded interviews).
    coder : str, optional
        None (any coder), a coder's name, or ``"consensus"``.
    codes : list of str, optional
        The codes to keep, in this order; each must occur in *codings*. Default: every code
        in *codings*, sorted.
    unit : {"participant", "source"}, default="participant"
        One row per participant and code, or per interview (``source``) and code, for
        participants interviewed more than once (then analyse with
        ``code_prevalence(..., cluster="participant_id")``).

    Returns
    -------
    DataFrame
        ``participant_id`` (``source`` too with ``unit="source"``), ``code``, ``present``
        (bool), ``n_segments`` (turns with the code), sorted by participant (and source),
        then code in *codes* order.

    Raises
    ------
    ValueError
        An unknown code, coder or unit, or codings that match no segment.

    See Also
    --------
    wide_codes : one 0/1 column per code.
    voc.qual.code_frequencies : the same counts summed over participants.

    References
    ----------
    .. [1] Sandelowski, M., Voils, C. I., & Knafl, G. (2009). On quantitizing. *Journal of
       Mixed Methods Research*, 3(3), 208-222.
    .. [2] Fetters, M. D., Curry, L. A., & Creswell, J. W. (2013). Achieving integration in
       mixed methods designs: principles and practices. *Health Services Research*, 48(6 Pt
       2), 2134-2156 (data transformation).

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.mixed import quantitize_codes
    >>> segments = pd.DataFrame({"segment_id": ["a1", "a2", "b1"], "source": ["a", "a", "b"],
    ...                          "participant_id": ["p1", "p1", "p2"], "role": "participant"})
    >>> codings = pd.DataFrame({"source": ["a", "a", "b"], "segment_id": ["a1", "a2", "b1"],
    ...                         "code": ["sync", "sync", "price"], "coder": "ana"})
    >>> quantitize_codes(codings, segments)
      participant_id   code  present  n_segments
    0             p1  price    False           0
    1             p1   sync     True           2
    2             p2  price     True           1
    3             p2   sync    False           0
    """
    from voc.qual import code_frequencies

    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {list(_UNITS)}, got {unit!r}")
    key = "participant_id" if unit == "participant" else "source"
    counts = code_frequencies(codings, segments, by=key, coder=coder, rollup=False)
    known = list(pd.unique(counts["code"]))
    if codes is None:
        wanted = known
    else:
        wanted = list(dict.fromkeys(as_columns(codes, name="codes")))
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise ValueError(f"code(s) {unknown!r} do not occur in codings; allowed: {known}")
    rank = {c: i for i, c in enumerate(wanted)}
    counts = counts[counts["code"].isin(wanted).to_numpy()]
    out = pd.DataFrame(
        {
            key: counts[key].to_numpy(object),
            "code": counts["code"].to_numpy(object),
            "present": counts["n_segments"].to_numpy() > 0,
            "n_segments": counts["n_segments"].to_numpy(np.int64),
        }
    )
    if unit == "source":
        owner = segments.drop_duplicates("source").set_index("source")["participant_id"]
        out.insert(0, "participant_id", out["source"].map(owner).to_numpy(object))
    order = ["participant_id", *(["source"] if unit == "source" else [])]
    out = out.assign(_rank=out["code"].map(rank))
    return (
        out.sort_values([*order, "_rank"], kind="stable")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )


def wide_codes(quantitized: pd.DataFrame) -> pd.DataFrame:
    """One row per participant with a 0/1 column per code (for regression).

    Parameters
    ----------
    quantitized : DataFrame
        ``participant_id, code, present``, one row per participant and code (from
        :func:`quantitize_codes`).

    Returns
    -------
    DataFrame
        ``participant_id`` then one int64 column per code named after it (1 = present),
        codes in their order of appearance, participants sorted.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.mixed import wide_codes
    >>> quantitized = pd.DataFrame({"participant_id": ["p1", "p1", "p2", "p2"],
    ...                             "code": ["price", "sync", "price", "sync"],
    ...                             "present": [False, True, True, False]})
    >>> wide_codes(quantitized)
      participant_id  price  sync
    0             p1      0     1
    1             p2      1     0
    """
    if not isinstance(quantitized, pd.DataFrame):
        raise TypeError(f"quantitized must be a DataFrame, got {type(quantitized).__name__}")
    needed = ["participant_id", "code", "present"]
    missing = [c for c in needed if c not in quantitized.columns]
    if missing:
        raise ValueError(f"quantitized lacks column(s) {missing}; expected {needed}")
    if quantitized.duplicated(["participant_id", "code"]).any():
        raise ValueError(
            "quantitized has several rows for one participant_id and code (unit='source'?); "
            "wide_codes needs one row per participant and code"
        )
    codes = list(pd.unique(quantitized["code"]))
    if "participant_id" in codes:
        raise ValueError("a code named 'participant_id' clashes with the id column; rename it")
    wide = (
        quantitized.assign(present=quantitized["present"].astype(np.int64))
        .pivot(index="participant_id", columns="code", values="present")
        .reindex(columns=codes)
        .fillna(0)
        .astype(np.int64)
        .sort_index()
    )
    wide.columns.name = None
    return wide.reset_index()


# --------------------------------------------------------------------------------------------
# Survey side: NPS of mentioners, codes among the drivers
# --------------------------------------------------------------------------------------------


def _check_mentions(mentions: Any, code_col: str) -> None:
    if not isinstance(mentions, pd.DataFrame):
        raise TypeError(f"mentions must be a DataFrame, got {type(mentions).__name__}")
    needed = ["participant_id", code_col, "present"]
    missing = [c for c in needed if c not in mentions.columns]
    if missing:
        raise ValueError(f"mentions lacks column(s) {missing}; expected {needed}")
    present = mentions["present"]
    if not pd.api.types.is_bool_dtype(present.dtype) or present.isna().any():
        raise ValueError(
            "mentions column 'present' must hold True/False with no missing values; "
            f"it has dtype {present.dtype}"
        )
    dup = mentions.duplicated(["participant_id", code_col])
    if dup.any():
        first = mentions.loc[dup, ["participant_id", code_col]].iloc[0].tolist()
        raise ValueError(f"mentions has several rows for (participant_id, {code_col}) {first!r}")


def mentioner_nps(
    responses: pd.DataFrame,
    mentions: pd.DataFrame,
    *,
    column: str,
    code_col: str = "code",
    adjust: str = "holm",
    level: float = 0.95,
) -> pd.DataFrame:
    """NPS of the respondents who mention each theme vs those who do not, with a z-test.

    For each code, the respondents listed in *mentions* for it are split into mentioners
    (``present`` True) and others (False), and :func:`voc.survey.nps` and
    :func:`voc.survey.compare_nps` are applied to the two groups.

    Parameters
    ----------
    responses : DataFrame
        One row per ``participant_id`` with the 0-10 *column*.
    mentions : DataFrame
        ``participant_id``, *code_col*, ``present`` (bool), one row per respondent and code:
        quantitized interview codes (:func:`quantitize_codes`) or survey comments mapped to
        codes (by a person or a model). The base of a code is the respondents listed for it:
        list everybody whose text was read, with False for "did not mention"; respondents
        absent from *mentions* (e.g. blank comments) count nowhere.
    column : str
        The 0-10 likelihood-to-recommend column of *responses*.
    code_col : str, default="code"
        The code column of *mentions*.
    adjust : {"holm", "bonferroni", "fdr_bh", "none"}, default="holm"
        Adjustment of ``p_val`` over the codes.
    level : float, default=0.95
        Confidence level of the NPS intervals and of the difference.

    Returns
    -------
    DataFrame
        One row per code (order of first appearance): ``code``, ``n_mention``,
        ``nps_mention``, ``ci_low_mention``, ``ci_high_mention``, ``n_other``,
        ``nps_other``, ``ci_low_other``, ``ci_high_other`` (adjusted-Wald intervals),
        ``diff`` (``nps_mention - nps_other``), ``se``, ``z``, ``p_val``, ``p_adj``,
        ``ci_low``, ``ci_high`` (Wald interval of ``diff``). ``n_*`` count respondents with
        an NPS answer. NaN where a side is empty.

    Raises
    ------
    ValueError
        Missing columns, ``present`` not boolean, duplicate rows, ids of *mentions* not in
        *responses*, an NPS column that is not 0-10.

    See Also
    --------
    voc.survey.nps, voc.survey.compare_nps : the estimators used.
    joint_display : puts these next to the interviews.

    Notes
    -----
    The two groups are independent samples, so the z-test of :func:`voc.survey.compare_nps`
    (Wald trinomial variances) applies. Mentioning a theme is not randomly assigned: the
    difference describes who raises the theme, not its effect on the score.

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "Net Promoter Score". *The American
       Statistician*, 70(4), 365-372.
    .. [2] Guetterman, T. C., Fetters, M. D., & Creswell, J. W. (2015). Integrating
       quantitative and qualitative results in health science mixed methods research through
       joint displays. *Annals of Family Medicine*, 13(6), 554-561.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.mixed import mentioner_nps
    >>> responses = pd.DataFrame({"participant_id": list("abcdef"),
    ...                           "ltr": [2, 5, 9, 10, 9, 8]})
    >>> mentions = pd.DataFrame({"participant_id": list("abcdef"), "code": "sync",
    ...                          "present": [True, True, True, False, False, False]})
    >>> mentioner_nps(responses, mentions, column="ltr")[
    ...     ["code", "n_mention", "nps_mention", "n_other", "nps_other", "diff"]].round(1)
       code  n_mention  nps_mention  n_other  nps_other   diff
    0  sync          3        -33.3        3       66.7 -100.0
    """
    check_id_column(responses, "responses")
    _check_mentions(mentions, code_col)
    check_adjust(adjust)
    check_level(level)
    if responses["participant_id"].duplicated().any():
        dup = responses.loc[responses["participant_id"].duplicated(), "participant_id"].iloc[0]
        raise ValueError(f"responses has participant_id {dup!r} more than once; one row each")
    if column not in responses.columns:
        raise ValueError(f"NPS column {column!r} is not in responses")
    unknown = sorted(set(mentions["participant_id"]) - set(responses["participant_id"]))
    if unknown:
        raise ValueError(
            f"{len(unknown)} participant_id(s) of mentions are not in responses, e.g. "
            f"{unknown[:3]!r}; match them first (voc.mixed.match_participants)"
        )
    scores = responses.set_index("participant_id")[column]
    rows = []
    for code, mine in mentions.groupby(code_col, sort=False):
        data = pd.DataFrame(
            {
                column: scores.reindex(mine["participant_id"].to_numpy()).to_numpy(),
                "_side": np.where(mine["present"].to_numpy(), "mention", "other"),
            }
        )
        est = nps(data, column, by="_side", level=level).set_index("_side")
        row: dict[str, Any] = {"code": code}
        for side in ("mention", "other"):
            get = est.loc[side] if side in est.index else None
            row[f"n_{side}"] = int(get["n"]) if get is not None else 0
            for out, name in (("nps", "nps"), ("ci_low", "ci_low"), ("ci_high", "ci_high")):
                row[f"{out}_{side}"] = float(get[name]) if get is not None else np.nan
        answered = est[est["n"] > 0]
        if len(answered) == 2:
            pair = compare_nps(data, column, by="_side", adjust="none", level=level).iloc[0]
            if pair["group_a"] != "mention":  # pragma: no cover - sorted labels guarantee it
                raise RuntimeError("compare_nps returned the groups in an unexpected order")
            row |= {k: float(pair[k]) for k in ("diff", "se", "z", "p_val", "ci_low", "ci_high")}
        else:
            row |= dict.fromkeys(("diff", "se", "z", "p_val", "ci_low", "ci_high"), np.nan)
        rows.append(row)
    columns = [
        "code",
        "n_mention",
        "nps_mention",
        "ci_low_mention",
        "ci_high_mention",
        "n_other",
        "nps_other",
        "ci_low_other",
        "ci_high_other",
        "diff",
        "se",
        "z",
        "p_val",
        "p_adj",
        "ci_low",
        "ci_high",
    ]
    table = pd.DataFrame(rows).reindex(columns=columns)
    table["p_adj"] = p_adjust(table["p_val"].to_numpy(dtype="float64"), adjust)
    return table.astype({"n_mention": np.int64, "n_other": np.int64})


def comment_mentions(
    comment_codes: pd.DataFrame,
    calibration: pd.DataFrame | None = None,
    *,
    reliable_only: bool = True,
) -> pd.DataFrame:
    """Which respondents' comments mention each code, from the model's codebook mapping.

    Turns the output of ``voc.topics.map_to_codebook`` into the long ``participant_id, code,
    present`` frame :func:`mentioner_nps` takes (a respondent mentions a code when any of their
    comments does). With the *calibration* table and ``reliable_only`` (default), only codes the
    model agrees with the human coders on (``is_reliable``) are kept: a survey-wide share is
    only as good as the model behind it.
    """
    needed = {"participant_id", "code", "is_present"}
    if missing := needed - set(comment_codes.columns):
        raise ValueError(
            f"comment_codes lacks {sorted(missing)}; pass voc.topics.map_to_codebook output"
        )
    codes = comment_codes
    if calibration is not None and reliable_only:
        reliable = set(calibration.loc[calibration["is_reliable"].astype(bool), "code"])
        codes = codes[codes["code"].isin(reliable)]
    present = codes["is_present"].astype("boolean").fillna(False).astype(bool)
    out = (
        codes.assign(present=present)
        .groupby(["participant_id", "code"], sort=True)["present"]
        .any()
        .reset_index()
    )
    return out
