"""Pseudonymisation at read time: a study with ``privacy.roster`` never hands out a roster name.

The study-level readers (``read_segments``, ``read_responses``) pass their text through the
study's :class:`voc.privacy.Pseudonymizer`, so every table, quote, chart and notebook built from
them carries pseudonyms only. The key comes from ``privacy.key_file`` or ``VOC_PSEUDONYM_KEY``
and never from inside the study or the outputs.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd
import yaml

from voc.errors import InputError, Problem, StudyError
from voc.study import Study

__all__ = ["KEY_ENV", "pseudonymize_responses", "pseudonymize_segments", "pseudonymizer"]

KEY_ENV = "VOC_PSEUDONYM_KEY"


def _key(study: Study) -> str:
    pv = study.privacy
    if pv.key_file is not None:
        if not pv.key_file.is_file():
            raise StudyError(
                [
                    Problem(
                        study.path,
                        f"the key file {pv.key_file} does not exist; "
                        f"create it with: voc keygen {pv.key_file}",
                        key="privacy.key_file",
                    )
                ]
            )
        return pv.key_file.read_text(encoding="utf-8").strip()
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        raise StudyError(
            [
                Problem(
                    study.path,
                    "the study declares a roster but no pseudonym key: create one outside the study with "
                    f"`voc keygen ~/.config/voc/{study.slug}.key` and set privacy.key_file to it, or put "
                    f"the key in the environment variable {KEY_ENV}",
                    key="privacy",
                )
            ]
        )
    return key


@functools.lru_cache(maxsize=8)
def _cached(roster_path: Path, roster_mtime: float, key: str, flags: tuple[bool, bool, bool]):
    from voc.privacy import Pseudonymizer, Roster

    try:
        data = yaml.safe_load(roster_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(roster_path, "the roster file does not exist") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            roster_path, "not valid YAML", line=mark.line + 1 if mark else None
        ) from None
    try:
        roster = Roster.from_dict(data)
    except (TypeError, ValueError) as exc:
        raise InputError(roster_path, str(exc)) from None
    emails, phones, urls = flags
    return Pseudonymizer(roster, key, detect_emails=emails, detect_phones=phones, detect_urls=urls)


def pseudonymizer(study: Study):
    """The study's :class:`voc.privacy.Pseudonymizer`, or None when it declares no roster."""
    pv = study.privacy
    if pv is None:
        return None
    mtime = pv.roster.stat().st_mtime if pv.roster.exists() else 0.0
    return _cached(pv.roster, mtime, _key(study), (pv.emails, pv.phones, pv.urls))


def pseudonymize_segments(
    study: Study, segments: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Speaker labels and turn text pseudonymised (offsets still refer to the source file)."""
    engine = pseudonymizer(study)
    if engine is None:
        return segments, None
    data, log = engine.pseudonymize(segments, ["speaker", "text"], row_id="segment_id")
    return data, log


def pseudonymize_responses(
    study: Study, responses: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The survey's open-ended columns pseudonymised."""
    engine = pseudonymizer(study)
    text = list(study.survey.columns.text) if study.survey is not None else []
    if engine is None or not text:
        return responses, None
    data, log = engine.pseudonymize(responses, text, row_id="participant_id")
    return data, log
