"""Qualitative analysis on tidy tables: transcripts (``segments``), ``codebook`` and ``codings``.

Pure functions: frames in, new frames out; no I/O, nothing printed, inputs never mutated.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["interview_summary"]

_SEGMENT_COLUMNS = ("segment_id", "participant_id", "source", "role", "text")


def _check_segments(segments: pd.DataFrame) -> None:
    if not isinstance(segments, pd.DataFrame):
        raise TypeError(f"segments must be a DataFrame, found {type(segments).__name__}")
    missing = [c for c in _SEGMENT_COLUMNS if c not in segments.columns]
    if missing:
        raise ValueError(
            f"segments lacks the column(s) {missing}; expected {list(_SEGMENT_COLUMNS)}"
        )


def interview_summary(segments: pd.DataFrame) -> pd.DataFrame:
    """One row per interview: who, how many turns, how many words the participant said.

    Parameters
    ----------
    segments : DataFrame
        The ``segments`` table (see ``voc.io.read_segments``).

    Returns
    -------
    DataFrame
        ``participant_id, source, n_turns, n_participant_turns, n_words`` (words in the
        participant's turns only), sorted by ``participant_id`` then ``source``.
    """
    _check_segments(segments)
    words = segments["text"].fillna("").str.split().str.len()
    is_participant = segments["role"].eq("participant")
    frame = segments.assign(_words=words.where(is_participant, 0), _p=is_participant.astype(int))
    out = (
        frame.groupby(["participant_id", "source"], sort=True)
        .agg(
            n_turns=("segment_id", "size"),
            n_participant_turns=("_p", "sum"),
            n_words=("_words", "sum"),
        )
        .reset_index()
    )
    return out.astype({"n_turns": "int64", "n_participant_turns": "int64", "n_words": "int64"})
