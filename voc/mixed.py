"""Mixed-methods integration: survey respondents and interviewees joined on ``participant_id``.

Joins are validated: one row per participant on each side, and participants found on only one
side are reported, never silently dropped.
"""

from __future__ import annotations

import pandas as pd

from voc.survey import nps_group

__all__ = ["interviewees", "nps_group"]


def interviewees(
    responses: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    score: str | None = None,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """One row per interviewed participant with their survey answers, if they answered.

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
    people = segments.groupby("participant_id", sort=True).size().rename("n_turns").reset_index()
    keep = ["participant_id", *(columns or [])]
    if score is not None:
        keep.insert(1, score)
    missing = [c for c in keep if c not in responses.columns]
    if missing:
        raise ValueError(f"responses has no column(s) {missing}")
    joined = people.merge(
        responses[keep], on="participant_id", how="left", validate="one_to_one", indicator=True
    )
    joined.insert(2, "in_survey", joined.pop("_merge").eq("both"))
    if score is not None:
        joined.insert(4, "nps_group", nps_group(joined[score]))
    return joined.reset_index(drop=True)
