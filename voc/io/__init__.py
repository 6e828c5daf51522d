"""Every read and write of files: survey exports, transcripts, codebooks, codings, outputs.

Analysis modules never touch the disk; notebooks read through ``voc.io.read_*`` and write
through ``voc.io.save_*``. The study-level readers take a :class:`voc.Study` and read what its
``study.yaml`` declares.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from voc.errors import Problem, StudyError
from voc.io.coding import read_codebook as _read_codebook_file
from voc.io.coding import read_codings as _read_codings_file
from voc.io.coding import validate_codings
from voc.io.files import (
    atomic_write_bytes,
    atomic_write_text,
    read_headlines,
    save_headline,
    save_table,
    sha256_file,
)
from voc.io.survey import read_responses as _read_responses_spec
from voc.study import Study

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "check_inputs",
    "read_codebook",
    "read_codings",
    "read_documents",
    "read_headlines",
    "read_responses",
    "read_segments",
    "save_headline",
    "save_table",
    "sha256_file",
]


def _need(study: Study, what: str) -> None:
    if what == "survey" and study.survey is None:
        raise ValueError(f"{study.path}: the study declares no 'survey:' section")
    if what == "interviews" and study.interviews is None:
        raise ValueError(f"{study.path}: the study declares no 'interviews:' section")


def read_responses(study: Study) -> pd.DataFrame:
    """The validated ``responses`` table of *study* (see :func:`voc.io.survey.read_responses`)."""
    _need(study, "survey")
    return _read_responses_spec(study.survey)


def read_segments(study: Study) -> pd.DataFrame:
    """The ``segments`` table: every transcript of *study*, one row per speaker turn."""
    from voc.io.transcripts import read_transcripts

    _need(study, "interviews")
    iv = study.interviews
    return read_transcripts(
        iv.transcripts, pattern=iv.participant_pattern, interviewer=tuple(iv.interviewer)
    )


def read_codebook(study: Study | str | Path) -> pd.DataFrame | None:
    """The ``codebook`` table (``code, parent, description``), or None when none is declared."""
    if isinstance(study, Study):
        _need(study, "interviews")
        if study.interviews.codebook is None:
            return None
        return _read_codebook_file(study.interviews.codebook)
    return _read_codebook_file(study)


def read_codings(study: Study | str | Path) -> pd.DataFrame | None:
    """The ``codings`` table, or None when the study declares no codings."""
    if isinstance(study, Study):
        _need(study, "interviews")
        if study.interviews.codings is None:
            return None
        return _read_codings_file(study.interviews.codings)
    return _read_codings_file(study)


def read_documents(study: Study) -> pd.DataFrame:
    """Every free text of *study* as one table: survey comments and participants' turns.

    Returns
    -------
    DataFrame
        ``doc_id, participant_id, origin, text``: ``origin`` is ``survey:<column>`` or
        ``interviews``; blank comments and interviewer turns are left out.
    """
    frames = []
    if study.survey is not None:
        responses = read_responses(study)
        for col in study.survey.columns.text:
            texts = responses[["participant_id", col]].dropna()
            frames.append(
                pd.DataFrame(
                    {
                        "doc_id": [f"{pid}:{col}" for pid in texts["participant_id"]],
                        "participant_id": texts["participant_id"].to_numpy(),
                        "origin": f"survey:{col}",
                        "text": texts[col].to_numpy(),
                    }
                )
            )
    if study.interviews is not None:
        segments = read_segments(study)
        turns = segments[segments["role"].eq("participant")]
        frames.append(
            pd.DataFrame(
                {
                    "doc_id": turns["segment_id"].to_numpy(),
                    "participant_id": turns["participant_id"].to_numpy(),
                    "origin": "interviews",
                    "text": turns["text"].to_numpy(),
                }
            )
        )
    columns = ["doc_id", "participant_id", "origin", "text"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def check_inputs(study: Study) -> dict[str, int]:
    """Read and validate every input of *study*; return counts of what was found.

    Collects the problems of every input before raising, so one ``voc check`` lists them all.

    Raises
    ------
    StudyError
        One entry per problem, each naming the file, the line or row and the column.
    """
    problems: list[Problem] = []
    summary: dict[str, int] = {}
    if study.survey is not None:
        try:
            responses = read_responses(study)
            summary["respondents"] = len(responses)
        except StudyError as exc:
            problems += exc.problems
    if study.interviews is not None:
        iv = study.interviews
        segments = codebook = None
        try:
            segments = read_segments(study)
            summary["interviews"] = segments["source"].nunique()
            summary["segments"] = len(segments)
        except StudyError as exc:
            problems += exc.problems
        if iv.codebook is not None:
            try:
                codebook = read_codebook(study)
                summary["codes"] = len(codebook)
            except StudyError as exc:
                problems += exc.problems
        if iv.codings is not None:
            try:
                codings = read_codings(study)
                summary["codings"] = len(codings)
                if segments is not None:
                    problems += validate_codings(codings, segments, codebook, file=iv.codings)
            except StudyError as exc:
                problems += exc.problems
    if problems:
        raise StudyError(problems)
    return summary
