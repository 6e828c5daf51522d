"""Participants across the survey and the interviews: validated, normalised id matching (private).

The public names are re-exported by :mod:`voc.mixed`; import them from there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc.survey import nps_group

__all__ = ["check_id_column", "interviewees", "mask_id", "match_participants"]

_CASES = ("upper", "lower", None)
_STATUSES = ("matched", "survey_only", "interview_only")
_SHOWN_IDS = 20  # masked ids listed per status in the match report
_DIGITS = re.compile(r"\d+")


# --------------------------------------------------------------------------------------------
# Joining participants
# --------------------------------------------------------------------------------------------


def mask_id(value: Any) -> str:
    """Mask an id for stakeholders: first character, ``***``, last character.

    Ids of one or two characters are masked entirely (``"***"``), since first + last would
    reveal them.

    Examples
    --------
    >>> from voc.mixed import mask_id
    >>> mask_id("R0017"), mask_id("R7")
    ('R***7', '***')
    """
    text = str(value)
    return "***" if len(text) <= 2 else f"{text[0]}***{text[-1]}"


def check_id_column(frame: Any, name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    if "participant_id" not in frame.columns:
        raise ValueError(f"{name} has no 'participant_id' column; available: {list(frame.columns)}")
    blank = frame["participant_id"].isna().to_numpy()
    if blank.any():
        raise ValueError(
            f"{name} column 'participant_id' has {int(blank.sum())} missing value(s) (first at "
            f"row {frame.index[blank][0]!r}); every row needs one"
        )


def _normaliser(case: str | None, strip: bool, zero_pad: int | None) -> Any:
    if case not in _CASES:
        raise ValueError(f"case must be one of {list(_CASES)}, got {case!r}")
    if not isinstance(strip, bool):
        raise TypeError(f"strip must be True or False, got {strip!r}")
    if zero_pad is not None and (
        isinstance(zero_pad, bool) or not isinstance(zero_pad, int) or zero_pad < 1
    ):
        raise ValueError(f"zero_pad must be a positive integer or None, got {zero_pad!r}")

    def normalise(value: Any) -> str:
        text = str(value)
        if strip:
            text = text.strip()
        if case == "upper":
            text = text.upper()
        elif case == "lower":
            text = text.lower()
        if zero_pad is not None:
            text = _DIGITS.sub(lambda m: m.group().zfill(zero_pad), text, count=1)
        return text

    return normalise


def _check_unique(originals: pd.Series, normalised: pd.Series, name: str) -> None:
    """ValueError when distinct originals (or survey rows) share one normalised id."""
    pairs = pd.DataFrame({"original": originals.to_numpy(), "id": normalised.to_numpy()})
    if name == "responses":
        clash = pairs[pairs["id"].duplicated(keep=False)]
    else:
        distinct = pairs.drop_duplicates()
        clash = distinct[distinct["id"].duplicated(keep=False)]
    if len(clash):
        first = clash["id"].iloc[0]
        originals_of = clash.loc[clash["id"].eq(first), "original"].tolist()
        raise ValueError(
            f"{name} column 'participant_id': {len(clash)} rows share a normalised id, e.g. "
            f"{first!r} from {originals_of!r}; fix the ids, or map one to the other "
            "explicitly with mapping= (interview ids)"
        )


def _masked_list(ids: Sequence[str]) -> str:
    shown = [mask_id(i) for i in ids[:_SHOWN_IDS]]
    more = f" … (+{len(ids) - _SHOWN_IDS} more)" if len(ids) > _SHOWN_IDS else ""
    return ", ".join(shown) + more


def match_participants(
    responses: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    case: str | None = "upper",
    strip: bool = True,
    zero_pad: int | None = None,
    mapping: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Match survey respondents and interviewees on a normalised ``participant_id``.

    Ids on both sides are turned into strings and normalised by explicit rules, in this
    order: *mapping* (interview ids only, exact keys), *strip* (surrounding whitespace),
    *case*, *zero_pad* (the first run of digits left-padded with zeros to that width:
    ``"r12 "`` becomes ``"R0012"`` with the defaults and ``zero_pad=4``). Then every
    respondent and every interviewee gets one row (a full outer match): nobody is dropped,
    and the report says who is on one side only.

    Parameters
    ----------
    responses : DataFrame
        The ``responses`` table (one row per respondent).
    segments : DataFrame
        The ``segments`` table (one row per turn); ``source`` and ``role`` are used when
        present.
    case : {"upper", "lower", None}, default="upper"
        Case folding; None keeps the case.
    strip : bool, default=True
        Remove surrounding whitespace.
    zero_pad : int, optional
        Width to zero-pad the first run of digits to (longer runs are kept as they are).
    mapping : dict of str to str, optional
        Interview id -> survey id, applied first, to ids as they appear in *segments*
        (the survey id is then normalised like any other). Every key must occur.

    Returns
    -------
    joined : DataFrame
        One row per normalised id, sorted by it: ``participant_id`` (normalised),
        ``status`` (``"matched"``, ``"survey_only"`` or ``"interview_only"``),
        ``survey_id`` and ``interview_id`` (the ids as written, missing on the side
        where the person is absent), ``n_turns`` (rows of *segments*),
        ``n_participant_turns`` (rows with ``role == "participant"``; NaN without a
        ``role`` column), ``n_sources`` (interviews; NaN without ``source``), then the
        other columns of *responses*.
    report : DataFrame
        Three rows, one per status in the order above: ``status``, ``n`` and
        ``ids_masked`` (the first 20 normalised ids masked as first character + ``***`` +
        last character, see :func:`mask_id`, so the report can be shown to stakeholders).

    Raises
    ------
    ValueError
        A missing id; two survey rows with the same normalised id, or two distinct interview
        ids that normalise to one (naming the normalised id and the originals); a *mapping*
        key that is not an interview id; a bad option or a clash of a *responses* column with
        an output column.

    See Also
    --------
    interviewees : the interviewed participants with their score.

    Notes
    -----
    Normalisation merges only what the rules make identical, and a clash is an error rather
    than a guess: ``"R12"`` and ``"r0012"`` in one survey are two respondents as far as the
    data go. To declare two spellings of one interviewee the same person, map them with
    *mapping* (its targets may coincide). Validated keys before any join (the study style's
    S2; Wilson et al. 2017, "Good enough practices", 1e).

    References
    ----------
    .. [1] Fetters, M. D., Curry, L. A., & Creswell, J. W. (2013). Achieving integration in
       mixed methods designs: principles and practices. *Health Services Research*, 48(6 Pt
       2), 2134-2156 (integration through linking: connecting the samples).
    .. [2] Wilson, G., Bryan, J., Cranston, K., Kitzes, J., Nederbragt, L., & Teal, T. K.
       (2017). Good enough practices in scientific computing. *PLOS Computational Biology*,
       13(6), e1005510.

    Examples
    --------
    >>> import pandas as pd
    >>> from voc.mixed import match_participants
    >>> responses = pd.DataFrame({"participant_id": ["R0012", "R0013", "R0014"],
    ...                           "nps": [3, 9, 10]})
    >>> segments = pd.DataFrame({"participant_id": [" r12", " r12", "R0099"],
    ...                          "role": ["interviewer", "participant", "participant"]})
    >>> joined, report = match_participants(responses, segments, zero_pad=4)
    >>> joined[["participant_id", "status", "interview_id", "n_participant_turns", "nps"]]
      participant_id          status interview_id  n_participant_turns   nps
    0          R0012         matched          r12                  1.0   3.0
    1          R0013     survey_only          NaN                  NaN   9.0
    2          R0014     survey_only          NaN                  NaN  10.0
    3          R0099  interview_only        R0099                  1.0   NaN
    >>> report
               status  n    ids_masked
    0         matched  1         R***2
    1     survey_only  2  R***3, R***4
    2  interview_only  1         R***9
    """
    check_id_column(responses, "responses")
    check_id_column(segments, "segments")
    normalise = _normaliser(case, strip, zero_pad)
    interview_raw = segments["participant_id"].map(str)
    if mapping is not None:
        if not isinstance(mapping, Mapping):
            raise TypeError(f"mapping must be a dict of interview id -> survey id, got {mapping!r}")
        unknown = sorted(set(map(str, mapping)) - set(interview_raw))
        if unknown:
            raise ValueError(
                f"mapping key(s) {unknown!r} are not participant_id values of segments; "
                "keys must be interview ids exactly as written"
            )
        lookup = {str(k): str(v) for k, v in mapping.items()}
        interview_mapped = interview_raw.map(lambda i: lookup.get(i, i))
    else:
        interview_mapped = interview_raw
    survey_raw = responses["participant_id"].map(str)
    survey_ids = survey_raw.map(normalise)
    interview_ids = interview_mapped.map(normalise)
    _check_unique(survey_raw, survey_ids, "responses")
    _check_unique(interview_mapped, interview_ids, "segments")

    added = [
        "participant_id",
        "status",
        "survey_id",
        "interview_id",
        "n_turns",
        "n_participant_turns",
        "n_sources",
    ]
    clash = [c for c in responses.columns if c in added and c != "participant_id"]
    if clash:
        raise ValueError(f"responses column(s) {clash} clash with output columns {added}")

    turns = pd.DataFrame(
        {
            "participant_id": interview_ids.to_numpy(object),
            "interview_id": segments["participant_id"].to_numpy(object),
            "_p": segments["role"].eq("participant").to_numpy()
            if "role" in segments.columns
            else np.nan,
            "_s": segments["source"].to_numpy(object) if "source" in segments.columns else None,
        }
    )
    people = turns.groupby("participant_id", sort=True).agg(
        interview_id=("interview_id", lambda s: " | ".join(sorted(pd.unique(s.map(str))))),
        n_turns=("interview_id", "size"),
        n_participant_turns=("_p", "sum"),
        n_sources=("_s", "nunique"),
    )
    people = people.astype({"n_participant_turns": "float64", "n_sources": "float64"})
    if "role" not in segments.columns:
        people["n_participant_turns"] = np.nan
    if "source" not in segments.columns:
        people["n_sources"] = np.nan
    survey = responses.drop(columns="participant_id").assign(
        participant_id=survey_ids.to_numpy(object), survey_id=responses["participant_id"]
    )
    joined = survey.merge(
        people.reset_index(),
        on="participant_id",
        how="outer",
        validate="one_to_one",
        indicator=True,
        sort=True,
    )
    status = joined.pop("_merge").map(
        {"both": "matched", "left_only": "survey_only", "right_only": "interview_only"}
    )
    joined = joined.assign(status=status.astype(object))
    others = [c for c in responses.columns if c != "participant_id"]
    joined = joined[[*added, *others]].reset_index(drop=True)
    joined["participant_id"] = joined["participant_id"].astype(str)
    report = pd.DataFrame(
        [
            {
                "status": s,
                "n": int(joined["status"].eq(s).sum()),
                "ids_masked": _masked_list(
                    joined.loc[joined["status"].eq(s), "participant_id"].tolist()
                ),
            }
            for s in _STATUSES
        ]
    )
    return joined, report


def interviewees(
    responses: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    score: str | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """One row per interviewed participant with their survey answers, if they answered.

    Ids are matched exactly as written (no normalisation; use :func:`match_participants`
    for that, and for the respondents who were not interviewed).

    Parameters
    ----------
    responses : DataFrame
        The ``responses`` table (one row per ``participant_id``).
    segments : DataFrame
        The ``segments`` table.
    score : str, optional
        A 0–10 NPS column of *responses*; adds it and ``nps_group``.
    columns : list of str, optional
        Further columns of *responses* to carry over (e.g. segments).

    Returns
    -------
    DataFrame
        ``participant_id, n_turns, in_survey`` then *score*, ``nps_group`` and *columns*
        (missing when the participant is not in the survey), sorted by ``participant_id``.

    Raises
    ------
    ValueError
        When ``participant_id`` is not unique in *responses* (the join would multiply rows).
    """
    for name, frame in (("responses", responses), ("segments", segments)):
        if "participant_id" not in frame.columns:
            raise ValueError(f"{name} has no 'participant_id' column")
    if responses["participant_id"].duplicated().any():
        dup = responses.loc[responses["participant_id"].duplicated(), "participant_id"].iloc[0]
        raise ValueError(
            f"responses has participant_id {dup!r} more than once; a join needs one row each"
        )
    keep = [*([score] if score is not None else []), *(columns or [])]
    missing = [c for c in keep if c not in responses.columns]
    if missing:
        raise ValueError(f"responses has no column(s) {missing}")
    joined, _ = match_participants(
        responses[["participant_id", *keep]], segments, case=None, strip=False
    )
    people = joined[joined["status"].ne("survey_only").to_numpy()]
    out = pd.DataFrame(
        {
            "participant_id": people["participant_id"].to_numpy(),
            "n_turns": people["n_turns"].to_numpy(np.int64),
            "in_survey": people["status"].eq("matched").to_numpy(),
        }
    )
    if score is not None:
        out[score] = people[score].to_numpy()
        out["nps_group"] = nps_group(out[score])
    for column in columns or []:
        out[column] = people[column].to_numpy()
    return out
