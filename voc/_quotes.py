"""Exemplar quotes per code: `voc.qual.exemplar_quotes`.

Private module; import the function from `voc.qual`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc import _qual_base as qb

_WORD = re.compile(r"\S+")


def _seeded_key(seed: int, *parts: Any) -> int:
    """A stable pseudo-random rank for a row: a hash of the seed and the row's identity."""
    text = "\x1f".join([str(seed), *map(str, parts)])
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _trim(text: Any, max_words: int | None) -> tuple[str, bool]:
    text = "" if pd.isna(text) else str(text)
    if max_words is None:
        return text, False
    words = [m for _, m in zip(range(max_words + 1), _WORD.finditer(text), strict=False)]
    if len(words) <= max_words:
        return text, False
    return text[: words[max_words - 1].end()].rstrip(",;:-–—") + " …", True


def exemplar_quotes(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    code: str | Sequence[str] | None = None,
    n: int = 2,
    random_state: int | np.random.Generator | None = 0,
    coder: str | None = None,
    max_words: int | None = 80,
) -> pd.DataFrame:
    """Pick *n* illustrative participant quotes per code, reproducibly.

    Candidates are the participant turns on which the code is present (under *coder*). They
    are ranked: first the turns on which **every** coder of the interview applied the code,
    then by the number of coders who applied it, then by a seeded hash of (code, source,
    segment_id), so the choice never depends on row order and a different *random_state*
    gives another fair draw. At most one quote per participant per code is taken while other
    participants have candidates; only then a participant's next-ranked turn. Long turns are
    cut after *max_words* words at a word boundary and marked with " …".

    Parameters
    ----------
    codings : DataFrame
        The ``codings`` table.
    segments : DataFrame
        The ``segments`` table with ``text`` (``start, end, t_start, t_end`` are carried
        over when present, else missing).
    code : str or list of str, optional
        The codes (in this order); default: every code present on a participant turn, sorted.
        Each must occur in *codings*.
    n : int, default=2
        Quotes per code (fewer when fewer turns have the code).
    random_state : int, Generator or None, default=0
        Seed of the ranking hash (a Generator or None gives one draw of it).
    coder : str, optional
        None (any coder), a coder's name, or ``"consensus"`` (see the module notes).
    max_words : int or None, default=80
        Longest quote in words; None keeps whole turns.

    Returns
    -------
    DataFrame
        One row per code and quote, in rank order: ``code, participant_id, source,
        segment_id, start, end, t_start, t_end`` (of the whole turn), ``text`` (possibly
        trimmed), ``n_coders`` (coders who applied the code to that turn), ``is_trimmed``.

    References
    ----------
    Lingard, L. (2019). Beyond the default colon: Effective use of quotes in qualitative
    research. Perspectives on Medical Education, 8(6), 360-364.
    Eldh, A. C., Årestedt, L., & Berterö, C. (2020). Quotations in qualitative studies:
    reflections on constituents, custom, and purpose. International Journal of Qualitative
    Methods, 19, 1-6.

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.qual as vq
    >>> segments = pd.DataFrame({
    ...     "segment_id": ["a1", "a2", "b1"], "source": ["a", "a", "b"],
    ...     "participant_id": ["p1", "p1", "p2"], "role": "participant",
    ...     "text": ["The ATS never syncs, we copy everything by hand every Friday.",
    ...              "Again the sync.", "Our HRIS and the platform do not talk."]})
    >>> codings = pd.DataFrame({"source": ["a", "a", "b"], "segment_id": ["a1", "a2", "b1"],
    ...                         "code": "fragmented", "coder": "ana"})
    >>> quotes = vq.exemplar_quotes(codings, segments, n=2, max_words=6)
    >>> quotes[["participant_id", "text", "is_trimmed"]]
      participant_id                            text  is_trimmed
    0             p1  The ATS never syncs, we copy …        True
    1             p2  Our HRIS and the platform do …        True
    """
    qb.check_count("n", n)
    qb.check_count("max_words", max_words, allow_none=True)
    qb.check_random_state(random_state)
    qb.check_segments(segments, ("text",))
    resolved = qb.resolve(codings, segments)
    present = qb.applied(resolved, coder)
    known = set(resolved["code"])
    if code is None:
        wanted = sorted(pd.unique(present["code"]), key=str)
    else:
        wanted = list(dict.fromkeys([code] if isinstance(code, str) else code))
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise ValueError(
                f"code {unknown!r} does not occur in codings; allowed: {sorted(known, key=str)}"
            )
    if isinstance(random_state, int | np.integer):
        seed = int(random_state)
    else:
        seed = int(np.random.default_rng(random_state).integers(2**62))
    detail = ["start", "end", "t_start", "t_end", "text"]
    carried = segments[[*qb.SEGMENT_KEYS, *[c for c in detail if c in segments.columns]]]
    for column in detail:
        if column not in carried.columns:
            carried = carried.assign(**{column: np.nan})
    rank = {c: i for i, c in enumerate(wanted)}
    candidates = present[present["code"].isin(wanted).to_numpy()]
    candidates = candidates.merge(carried, on=qb.SEGMENT_KEYS, how="left").assign(
        _code=lambda f: f["code"].map(rank),
        _disagree=lambda f: (f["n_coders"] < f["n_coders_source"]).astype(int),
        _fewer=lambda f: -f["n_coders"],
        _hash=lambda f: [
            _seeded_key(seed, *row)
            for row in zip(f["code"], f["source"], f["segment_id"], strict=True)
        ],
    )
    candidates = candidates.sort_values(
        ["_code", "_disagree", "_fewer", "_hash", "source", "segment_id"], kind="stable"
    ).reset_index(drop=True)
    candidates["_turn"] = candidates.groupby(["code", "participant_id"], sort=False).cumcount()
    candidates["_pos"] = np.arange(len(candidates))
    chosen = (
        candidates.sort_values(["_code", "_turn", "_pos"], kind="stable")
        .groupby("code", sort=False)
        .head(n)
    )
    trimmed = [_trim(t, max_words) for t in chosen["text"]]
    columns = ["code", "participant_id", "source", "segment_id", *detail, "n_coders"]
    out = chosen[columns].reset_index(drop=True)
    out["text"] = pd.Series([t for t, _ in trimmed], dtype=object)
    out["is_trimmed"] = np.array([f for _, f in trimmed], dtype=bool)
    return out
