"""Joint display: interview and survey results per code, with a stated inference (private).

The public names, :func:`joint_display` and :data:`INFERENCE_RULE`, are re-exported by
:mod:`voc.mixed`; import them from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from voc._prevalence import _TEST_COLUMNS

__all__ = ["DESCRIPTIVE_MIN_DIFF", "INFERENCES", "INFERENCE_RULE", "joint_display"]

#: Smallest detractor-promoter gap (percentage points) that counts as descriptive interview
#: evidence when the groups are small (``small_n``) and the test is not significant.
DESCRIPTIVE_MIN_DIFF = 20.0

#: The values of ``inference``.
INFERENCES = ("convergent", "divergent", "expansion", "inconclusive")

#: The rule behind ``inference``, in words (print it under the joint display).
INFERENCE_RULE = f"""\
Each code gets two halves of evidence, each with a direction on the NPS axis.
Interviews (code_prevalence by NPS group): the share of detractors minus the share of promoters
who raised the code. It is evidence when the test of presence vs NPS group is significant after
adjustment over codes (p_adj < alpha), or, when some group has fewer than 10 participants, when
the gap is at least {DESCRIPTIVE_MIN_DIFF:g} percentage points (descriptive evidence, not a test).
Direction: "worse" if detractors raise it more, "better" if promoters do.
Survey (mentioner_nps): the NPS of respondents who mention the code minus the NPS of those who
do not. It is evidence when p_adj < alpha. Direction: "worse" if mentioners score lower.
Inference: convergent when both halves carry evidence in the same direction; divergent when
both carry evidence in opposite directions; expansion when only one half carries evidence (the
other is silent or not measured); inconclusive when neither does. Key-driver importance is
shown beside the code but does not enter the rule (relative weights have no sign)."""

# the columns of voc.mixed.code_prevalence this display reads
_PREVALENCE = ("code", "n_group", "n_present", "pct", "ci_low", "ci_high", *_TEST_COLUMNS)
_MENTIONER = ("code", "n_mention", "n_other", "nps_mention", "nps_other", "diff", "p_adj")
_LOW, _HIGH = "detractor", "promoter"


def _require(frame: Any, name: str, columns: tuple[str, ...] | list[str], source: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing} (expected the output of {source})")


def _one_row_per_code(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    if frame["code"].duplicated().any():
        dup = frame.loc[frame["code"].duplicated(), "code"].iloc[0]
        raise ValueError(f"{name} has code {dup!r} more than once; one row per code expected")
    return frame.set_index("code")


def _group_column(prevalence: pd.DataFrame) -> str:
    extra = [c for c in prevalence.columns if c not in _PREVALENCE]
    if len(extra) != 1:
        raise ValueError(
            f"prevalence must have exactly one group column besides {list(_PREVALENCE)}; "
            f"found {extra}"
        )
    return extra[0]


def _qual_half(tests: pd.Series, alpha: float) -> tuple[str, int, str]:
    """(evidence, direction, words) of the interview half; direction +1 = worse (detractors)."""
    a, b = tests["group_a"], tests["group_b"]
    if {a, b} != {_LOW, _HIGH}:
        raise ValueError(
            f"prevalence must compare NPS groups: group_a/group_b must be {_LOW!r} and "
            f"{_HIGH!r} (code_prevalence(..., by='nps_group')), got {a!r} and {b!r}"
        )
    gap = float(tests["effect_size"]) * (1 if a == _LOW else -1)  # detractors - promoters
    if not np.isfinite(gap) or gap == 0:
        return "none", 0, "no detractor-promoter gap"
    sign = 1 if gap > 0 else -1
    words = f"detractors {gap:+.0f} pp vs promoters"
    p_adj = float(tests["p_adj"])
    if np.isfinite(p_adj) and p_adj < alpha:
        return "significant", sign, f"{words} (p_adj {p_adj:.3f})"
    if bool(tests["small_n"]) and abs(gap) >= DESCRIPTIVE_MIN_DIFF:
        return "descriptive", sign, f"{words} (small n, descriptive)"
    return "none", 0, f"{words} (not significant)"


def _quant_half(row: pd.Series | None, alpha: float) -> tuple[str, int, str]:
    """(evidence, direction, words) of the survey half; direction +1 = worse (lower NPS)."""
    if row is None:
        return "not measured", 0, "not measured in the survey"
    diff, p_adj = float(row["diff"]), float(row["p_adj"])
    if not np.isfinite(diff):
        return "not measured", 0, "no mentioners or no others in the survey"
    words = f"mentioners' NPS {diff:+.0f} vs others"
    if np.isfinite(p_adj) and p_adj < alpha and diff != 0:
        return "significant", (1 if diff < 0 else -1), f"{words} (p_adj {p_adj:.3f})"
    return "none", 0, f"{words} (not significant)"


def _infer(qual: tuple[str, int, str], quant: tuple[str, int, str]) -> str:
    q_dir, s_dir = qual[1], quant[1]
    if q_dir and s_dir:
        return "convergent" if q_dir == s_dir else "divergent"
    if q_dir or s_dir:
        return "expansion"
    return "inconclusive"


def _by_group_text(rows: pd.DataFrame, group: str) -> str:
    parts = [
        f"{label} {pct:.0f}%" if np.isfinite(pct) else f"{label} –"
        for label, pct in zip(rows[group], rows["pct"].astype(float), strict=True)
    ]
    return " · ".join(parts)


def joint_display(
    frequencies: pd.DataFrame,
    prevalence: pd.DataFrame,
    mentioner: pd.DataFrame,
    drivers: pd.DataFrame | None = None,
    quotes: pd.DataFrame | None = None,
    *,
    code_to_driver: Mapping[str, str] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """One row per code: what the interviews and the survey say, side by side, and how they fit.

    A joint display (Guetterman, Fetters & Creswell 2015) of a convergent mixed-methods
    design: the interview share, its split by NPS group, the survey share and the NPS of those
    who mention the code, the matching key driver and two exemplar quotes, with an
    ``inference`` from the rule in :data:`INFERENCE_RULE` (printed below).

    Parameters
    ----------
    frequencies : DataFrame
        :func:`voc.qual.code_frequencies` without *by*: ``code, pct_participants`` (one row
        per code; its codes and their order define the rows, codes found only in the other
        tables follow, sorted).
    prevalence : DataFrame
        :func:`code_prevalence` with ``by="nps_group"`` (groups ``detractor`` … ``promoter``).
    mentioner : DataFrame
        :func:`mentioner_nps` (survey comments mapped to the same codes).
    drivers : DataFrame, optional
        :func:`voc.drivers.relative_importance` or :func:`codes_as_drivers`: ``driver,
        rescaled`` (and ``kind``: rows of kind ``"code"`` are matched to the code of that
        name, the others through *code_to_driver*).
    quotes : DataFrame, optional
        :func:`voc.qual.exemplar_quotes`: ``code, participant_id, segment_id, text`` in rank
        order.
    code_to_driver : dict of str to str, optional
        Code -> driver name in *drivers* (e.g. ``{"fragmented_systems": "integration"}``).
        A code that *drivers* lists by its own name (from :func:`codes_as_drivers`) is
        matched without it.
    alpha : float, default=0.05
        Significance level applied to the adjusted p-values of both halves.

    Returns
    -------
    DataFrame
        One row per code: ``code``, ``interview_pct`` (percent of interviewees),
        ``interview_pct_by_group`` (e.g. ``"detractor 89% · passive 57% · promoter 50%"``),
        ``survey_pct`` (percent of respondents in the mentioner base who mention it:
        ``100 * n_mention / (n_mention + n_other)``), ``nps_mention``, ``nps_other``,
        ``nps_diff``, ``nps_diff_ci`` (text ``"[low, high]"``), ``driver``,
        ``driver_importance`` (``rescaled``: percent of R²), ``quote_1``,
        ``quote_1_source``, ``quote_2``, ``quote_2_source`` (``"participant_id,
        segment_id"``), ``interview_evidence`` (``significant``, ``descriptive`` or
        ``none``), ``survey_evidence`` (``significant``, ``none`` or ``not measured``),
        ``inference`` (``convergent``, ``divergent``, ``expansion`` or ``inconclusive``) and
        ``inference_basis`` (the two halves in words).

    Raises
    ------
    ValueError
        Missing columns, a code twice in *frequencies*/*mentioner*, prevalence not by NPS
        group, a *code_to_driver* driver that is not in *drivers*, alpha not in (0, 1).

    See Also
    --------
    code_prevalence, mentioner_nps, codes_as_drivers, voc.qual.exemplar_quotes

    Notes
    -----
    The rule, verbatim (:data:`INFERENCE_RULE`):

    .. code-block:: text

        {rule}

    Fetters, Curry & Creswell (2013) name three ways the two strands can fit: confirmation
    (here ``convergent``), discordance (``divergent``) and expansion. A code that only one
    strand speaks to is what O'Cathain, Murphy & Nicholl (2010) call "silence" in their
    triangulation protocol; it is reported here as ``expansion``, and ``inconclusive`` is
    kept for codes neither strand gives evidence on. With interview samples the interview half
    is usually descriptive: a ``convergent`` row then rests on a significant survey result and
    a consistent interview pattern, which ``interview_evidence`` makes visible.

    References
    ----------
    .. [1] Fetters, M. D., Curry, L. A., & Creswell, J. W. (2013). Achieving integration in
       mixed methods designs: principles and practices. *Health Services Research*, 48(6 Pt
       2), 2134-2156.
    .. [2] Guetterman, T. C., Fetters, M. D., & Creswell, J. W. (2015). Integrating
       quantitative and qualitative results in health science mixed methods research through
       joint displays. *Annals of Family Medicine*, 13(6), 554-561.
    .. [3] O'Cathain, A., Murphy, E., & Nicholl, J. (2010). Three techniques for integrating
       data in mixed methods studies. *BMJ*, 341, c4587.
    """
    _require(frequencies, "frequencies", ["code", "pct_participants"], "voc.qual.code_frequencies")
    _require(prevalence, "prevalence", list(_PREVALENCE), "voc.mixed.code_prevalence")
    _require(mentioner, "mentioner", list(_MENTIONER), "voc.mixed.mentioner_nps")
    if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number strictly between 0 and 1, got {alpha!r}")
    freq = _one_row_per_code(frequencies, "frequencies")
    survey = _one_row_per_code(mentioner, "mentioner")
    group = _group_column(prevalence)
    mapping = dict(code_to_driver or {})
    importance: pd.Series | None = None
    is_code: np.ndarray | None = None
    code_weights = pd.DataFrame()
    if drivers is not None:
        _require(drivers, "drivers", ["driver", "rescaled"], "voc.drivers.relative_importance")
        # codes_as_drivers lists codes (kind "code") beside the items; a code may share an
        # item's name, so codes are matched among the code rows and items among the others
        is_code = drivers["kind"].eq("code").to_numpy() if "kind" in drivers else None
        items = drivers if is_code is None else drivers[~is_code]
        importance = items.drop_duplicates("driver").set_index("driver")["rescaled"]
        if is_code is not None:
            code_weights = drivers[is_code].drop_duplicates("driver").set_index("driver")
        absent = sorted({d for d in mapping.values() if d not in importance.index})
        if absent:
            raise ValueError(
                f"code_to_driver names driver(s) {absent} that are not in drivers column "
                f"'driver'; allowed: {list(importance.index)}"
            )
    picked: dict[Any, list[tuple[str, str]]] = {}
    if quotes is not None:
        _require(
            quotes,
            "quotes",
            ["code", "participant_id", "segment_id", "text"],
            "voc.qual.exemplar_quotes",
        )
        for code, rows in quotes.groupby("code", sort=False):
            picked[code] = [
                (str(t), f"{p}, {s}")
                for t, p, s in zip(
                    rows["text"], rows["participant_id"], rows["segment_id"], strict=True
                )
            ][:2]

    codes = list(freq.index)
    others = set(prevalence["code"]) | set(survey.index)
    codes += sorted((c for c in others if c not in set(codes)), key=str)
    records = []
    for code in codes:
        prev = prevalence[prevalence["code"].eq(code).to_numpy()]
        qual = _qual_half(prev.iloc[0], alpha) if len(prev) else ("none", 0, "not coded")
        srow = survey.loc[code] if code in survey.index else None
        quant = _quant_half(srow, alpha)
        n_base = float(srow["n_mention"] + srow["n_other"]) if srow is not None else np.nan
        driver = mapping.get(code)
        weight = (
            float(importance[driver]) if driver is not None and importance is not None else np.nan
        )
        if driver is None and importance is not None:
            own = importance if is_code is None else code_weights["rescaled"]
            if code in own.index:
                driver, weight = code, float(own[code])
        quote = picked.get(code, [])
        low = srow.get("ci_low", np.nan) if srow is not None else np.nan
        high = srow.get("ci_high", np.nan) if srow is not None else np.nan
        records.append(
            {
                "code": code,
                "interview_pct": float(freq.loc[code, "pct_participants"])
                if code in freq.index
                else np.nan,
                "interview_pct_by_group": _by_group_text(prev, group) if len(prev) else "",
                "survey_pct": 100 * float(srow["n_mention"]) / n_base
                if srow is not None and n_base > 0
                else np.nan,
                "nps_mention": float(srow["nps_mention"]) if srow is not None else np.nan,
                "nps_other": float(srow["nps_other"]) if srow is not None else np.nan,
                "nps_diff": float(srow["diff"]) if srow is not None else np.nan,
                "nps_diff_ci": f"[{low:.1f}, {high:.1f}]"
                if np.isfinite(low) and np.isfinite(high)
                else "",
                "driver": driver,
                "driver_importance": weight,
                "quote_1": quote[0][0] if len(quote) > 0 else None,
                "quote_1_source": quote[0][1] if len(quote) > 0 else None,
                "quote_2": quote[1][0] if len(quote) > 1 else None,
                "quote_2_source": quote[1][1] if len(quote) > 1 else None,
                "interview_evidence": qual[0],
                "survey_evidence": quant[0],
                "inference": _infer(qual, quant),
                "inference_basis": f"interviews: {qual[2]} · survey: {quant[2]}",
            }
        )
    return pd.DataFrame(records)


joint_display.__doc__ = (joint_display.__doc__ or "").replace(
    "{rule}", INFERENCE_RULE.replace("\n", "\n        ")
)
