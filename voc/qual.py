"""Qualitative analysis on tidy tables: transcripts (``segments``), ``codebook`` and ``codings``.

Pure functions: frames in, new frames out; no I/O, nothing printed, inputs never mutated.

Conventions shared by every function here:

* **Units.** Only the participants' words are analysed: segments with ``role ==
  "participant"``. Codings on interviewer turns are kept by `resolve_codings` (with their
  ``role``) but count nowhere else.
* **Coders** (``coder=``). ``None`` (default): a code is present on a segment if *any* coder
  applied it there. A coder's name: only that coder's codings. ``"consensus"``: present only if
  *every* coder who coded that source (has any row in ``codings`` for it) applied it; with a
  single coder on a source, that coder's codings. Repeated rows count once. Intercoder
  agreement itself lives in `voc.agreement`.
* **Bases.** A participant counts in a base when they have at least one participant turn in
  ``segments``; pass only the segments of the interviews that were coded.
* **Groups** (``by=``). A column of ``participants`` (one row per ``participant_id``, joined
  on it), else of ``segments``. Participants missing from ``participants`` form a missing-value
  group rather than being dropped. Groups are sorted (categories in their order), missing last.
* Percentages (``pct_*``) are 0-100.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from voc import _qual_base as qb
from voc._quotes import exemplar_quotes
from voc._saturation import saturation, saturation_point

__all__ = [
    "code_by_group",
    "code_frequencies",
    "cooccurrence",
    "exemplar_quotes",
    "interview_summary",
    "resolve_codings",
    "saturation",
    "saturation_point",
    "segment_presence",
]

_SEGMENT_COLUMNS = ("segment_id", "participant_id", "source", "role", "text")
_UNITS = ("segment", "participant")


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
        ``participant_id, source, n_turns, n_participant_turns, n_words, duration_min``
        (words in the participant's turns only; duration from the first to the last timed
        turn, NaN for untimed transcripts), sorted by ``participant_id`` then ``source``.
    """
    _check_segments(segments)
    words = segments["text"].fillna("").str.split().str.len()
    is_participant = segments["role"].eq("participant")
    frame = segments.assign(
        _words=words.where(is_participant, 0),
        _p=is_participant.astype(int),
        _t0=segments["t_start"] if "t_start" in segments else float("nan"),
        _t1=segments["t_end"] if "t_end" in segments else float("nan"),
    )
    out = (
        frame.groupby(["participant_id", "source"], sort=True)
        .agg(
            n_turns=("segment_id", "size"),
            n_participant_turns=("_p", "sum"),
            n_words=("_words", "sum"),
            _t0=("_t0", "min"),
            _t1=("_t1", "max"),
        )
        .reset_index()
    )
    out["duration_min"] = (out.pop("_t1") - out.pop("_t0")) / 60
    return out.astype(
        {
            "n_turns": "int64",
            "n_participant_turns": "int64",
            "n_words": "int64",
            "duration_min": "float64",
        }
    )


def resolve_codings(codings: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Tie every coding to the segment(s) it is about, with the speaker's participant and role.

    A row with a ``segment_id`` is looked up by ``(source, segment_id)``; its offsets, if any,
    are not used. A row given by offsets (``segment_id`` missing or blank) is tied to **every
    segment of its source that the span** ``[start, end)`` **overlaps** (code-point offsets, as
    in ``segments``), in text order: a span over a question and its answer lands on both turns,
    and a span over two answers codes both. An empty span (``start == end``) marks the segment
    that contains ``start``. Interviewer turns are kept and flagged by ``role``; the analysis
    functions of this module then ignore them.

    Parameters
    ----------
    codings : DataFrame
        ``source, code, coder`` and ``segment_id`` and/or ``start, end`` (as from
        ``voc.io.read_codings``; the index, there the file line, is kept).
    segments : DataFrame
        ``segment_id, participant_id, source, role``, plus ``start, end`` when any coding is
        given by offsets; ``(source, segment_id)`` unique.

    Returns
    -------
    DataFrame
        ``source, start, end, segment_id, code, coder``, any other columns of *codings*, then
        ``participant_id`` and ``role`` of the segment (taken from *segments*, replacing columns
        of those names). One row per coding and segment: a span over k segments gives k rows
        that share the coding's index label. ``start``/``end`` stay as the coder gave them.

    Raises
    ------
    ValueError
        Listing the codings that match no segment (unknown source or segment id, or a span that
        overlaps no turn), that have neither a segment id nor offsets, or have ``start > end``.

    See Also
    --------
    voc.io.read_codings : reads the table and checks the file.

    References
    ----------
    Evers, J. C., et al. (2019). REFI-QDA Standard: project exchange format for qualitative
    data analysis software (codings as selections of a source by character offsets).

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.qual as vq
    >>> segments = pd.DataFrame({
    ...     "segment_id": ["i1-1", "i1-2", "i1-3"], "participant_id": "p1", "source": "i1",
    ...     "role": ["interviewer", "participant", "participant"],
    ...     "start": [0, 20, 50], "end": [18, 48, 90]})
    >>> codings = pd.DataFrame({"source": "i1", "start": [25, 10], "end": [60, 30],
    ...                         "segment_id": None, "code": ["price", "speed"], "coder": "ana"})
    >>> vq.resolve_codings(codings, segments)[["start", "end", "segment_id", "code", "role"]]
       start  end segment_id   code         role
    0     25   60       i1-2  price  participant
    0     25   60       i1-3  price  participant
    1     10   30       i1-1  speed  interviewer
    1     10   30       i1-2  speed  participant
    """
    return qb.resolve(codings, segments)


def _counts(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    coder: Any,
    tree: qb.Codebook | None,
    rollup: bool,
    by: str | None,
    participants: pd.DataFrame | None,
) -> tuple[pd.DataFrame, qb.Groups]:
    """Counts per code x group (every pair, zeros included; code-major) and the groups."""
    resolved = qb.resolve(codings, segments)
    if tree is not None:
        qb.check_codes_known(resolved, tree)
    present = qb.applied(resolved, coder, tree if rollup else None)
    turns = qb.participant_turns(segments)
    groups = qb.groups_of(turns, segments, by, participants, per_participant=False)
    turns = turns[[*qb.SEGMENT_KEYS, "participant_id"]].assign(_g=groups.index)
    present = present.merge(turns[[*qb.SEGMENT_KEYS, "_g"]], on=qb.SEGMENT_KEYS, how="inner")
    codes = tree.order if tree is not None else sorted(pd.unique(resolved["code"]), key=str)
    n_groups = len(groups.labels)
    grid = pd.MultiIndex.from_product([codes, range(n_groups)], names=["code", "_g"])
    counts = (
        present.groupby(["code", "_g"])
        .agg(
            n_segments=("segment_id", "size"),
            n_participants=("participant_id", "nunique"),
            n_sources=("source", "nunique"),
        )
        .reindex(grid, fill_value=0)
        .reset_index()
    )
    counts["code"] = np.repeat(np.array(codes, dtype=object), n_groups)  # keep the codes' type
    base = turns.groupby("_g")["participant_id"].nunique().reindex(range(n_groups), fill_value=0)
    counts["n_base"] = base.to_numpy()[counts["_g"].to_numpy()]
    counts["pct_participants"] = 100.0 * counts["n_participants"] / counts["n_base"]
    int_columns = ["n_segments", "n_participants", "n_sources", "n_base"]
    return counts.astype(dict.fromkeys(int_columns, np.int64)), groups


def code_frequencies(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: pd.DataFrame | None = None,
    *,
    by: str | None = None,
    participants: pd.DataFrame | None = None,
    coder: str | None = None,
    rollup: bool = True,
) -> pd.DataFrame:
    """How often each code was applied: segments, participants and interviews, overall or by group.

    Counts a code once per participant segment (however many coders or spans applied it), then
    the participants and sources with at least one such segment. With a *codebook* and
    ``rollup=True``, a parent code counts a segment when the parent **or any descendant** (at any
    depth) was applied there, so a parent's counts answer "did the talk touch this category?";
    ``rollup=False`` counts the codes exactly as applied.

    Parameters
    ----------
    codings : DataFrame
        The ``codings`` table (see `resolve_codings`).
    segments : DataFrame
        The ``segments`` table.
    codebook : DataFrame, optional
        ``code, parent`` (parent missing for a top-level code). Every coded code must be in
        it; codes nobody applied get rows of zeros. Without it: the codes found in *codings*,
        sorted, each at level 1 with no parent (nothing to roll up).
    by : str, optional
        Group column, of *participants* if it has one, else of *segments* (a segment-level
        column such as an interview section is allowed: a participant then counts in each
        group they have a turn in).
    participants : DataFrame, optional
        One row per ``participant_id`` with group columns (e.g. region, NPS group).
    coder : str, optional
        None (any coder), a coder's name, or ``"consensus"`` (see the module notes).
    rollup : bool, default=True
        Count descendants' codings for their ancestors (needs *codebook*).

    Returns
    -------
    DataFrame
        One row per group (if *by*) and code: the *by* column, ``code``, ``parent``,
        ``level`` (1 = top level), ``n_segments``, ``n_participants``,
        ``n_participants_total`` (participants with a turn in the group),
        ``pct_participants`` (percent of them), ``n_sources`` (interviews). Sorted by group,
        then codebook order (each top-level code followed by its descendants).

    See Also
    --------
    code_by_group : the code x group matrix with bases and small-base flags.
    voc.agreement.code_agreement : how far the coders agree on each code.

    References
    ----------
    Saldaña, J. (2021). The Coding Manual for Qualitative Researchers (4th ed.). SAGE.
    Sandelowski, M., Voils, C. I., & Knafl, G. (2009). On quantitizing. Journal of Mixed
    Methods Research, 3(3), 208-222.

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.qual as vq
    >>> segments = pd.DataFrame({"segment_id": ["a1", "a2", "b1"], "source": ["a", "a", "b"],
    ...                          "participant_id": ["p1", "p1", "p2"], "role": "participant"})
    >>> codings = pd.DataFrame({"source": ["a", "a", "b"], "segment_id": ["a1", "a2", "b1"],
    ...                         "code": ["ats_sync", "price", "ats_sync"], "coder": "ana"})
    >>> codebook = pd.DataFrame({"code": ["systems", "ats_sync", "price"],
    ...                          "parent": [None, "systems", None]})
    >>> result = vq.code_frequencies(codings, segments, codebook)
    >>> result[["code", "level", "n_segments", "n_participants", "pct_participants"]]
           code  level  n_segments  n_participants  pct_participants
    0   systems      1           2               2             100.0
    1  ats_sync      2           2               2             100.0
    2     price      1           1               1              50.0
    """
    if not isinstance(rollup, bool):
        raise TypeError(f"rollup must be True or False; got {rollup!r}")
    columns = [
        "code",
        "parent",
        "level",
        "n_segments",
        "n_participants",
        "n_participants_total",
        "pct_participants",
        "n_sources",
    ]
    qb.check_clash(by, columns)
    tree = qb.read_tree(codebook) if codebook is not None else None
    counts, groups = _counts(
        codings, segments, coder=coder, tree=tree, rollup=rollup, by=by, participants=participants
    )
    codes = counts["code"]
    out = pd.DataFrame(
        {
            "code": codes.to_numpy(object),
            "parent": pd.Series(  # None for a top-level code, as in the codebook
                [tree.parent[c] for c in codes] if tree else [None] * len(codes), dtype=object
            ),
            "level": codes.map(tree.level).to_numpy(np.int64) if tree else np.int64(1),
            "n_segments": counts["n_segments"],
            "n_participants": counts["n_participants"],
            "n_participants_total": counts["n_base"],
            "pct_participants": counts["pct_participants"],
            "n_sources": counts["n_sources"],
        }
    )
    out = out.astype({"level": np.int64})
    if by is not None:
        out.insert(0, by, qb.group_column(groups, counts["_g"].to_numpy()))
    order = np.lexsort((np.arange(len(out)), counts["_g"].to_numpy()))  # group-major
    return out.iloc[order].reset_index(drop=True)


def code_by_group(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    by: str,
    coder: str | None = None,
    min_base: int = 30,
) -> pd.DataFrame:
    """The code x group matrix in long form: share of each group's participants who raised a code.

    For a stakeholder table of "who talks about what" (quantitized codes): a participant raised
    a code if it is present on at least one of their turns (codes as applied, no roll-up; use
    `code_frequencies` with a codebook for categories). With interview samples, bases are
    small: every group of fewer than *min_base* participants is flagged, and a difference
    between groups is a lead to read the transcripts, not an estimate.

    Parameters
    ----------
    codings : DataFrame
        The ``codings`` table.
    segments : DataFrame
        The ``segments`` table.
    participants : DataFrame
        One row per ``participant_id`` with the *by* column (e.g. built from the survey
        responses with `voc.mixed.nps_group`).
    by : str
        The group column (of *participants*, else of *segments*).
    coder : str, optional
        None (any coder), a coder's name, or ``"consensus"`` (see the module notes).
    min_base : int, default=30
        Groups with fewer participants are flagged ``small_base``.

    Returns
    -------
    DataFrame
        One row per code and group (zeros included), sorted by code, then group: ``code``, the
        *by* column, ``n_participants`` (who raised it), ``n_group`` (participants in the group
        with at least one turn), ``pct_participants`` (percent of ``n_group``), ``small_base``.

    See Also
    --------
    code_frequencies : segment, participant and interview counts, with roll-up.

    References
    ----------
    Sandelowski, M., Voils, C. I., & Knafl, G. (2009). On quantitizing. Journal of Mixed
    Methods Research, 3(3), 208-222.
    Guest, G., Bunce, A., & Johnson, L. (2006). How many interviews are enough? Field Methods,
    18(1), 59-82.

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.qual as vq
    >>> segments = pd.DataFrame({"segment_id": ["a1", "b1", "c1"], "source": ["a", "b", "c"],
    ...                          "participant_id": ["p1", "p2", "p3"], "role": "participant"})
    >>> codings = pd.DataFrame({"source": ["a", "b"], "segment_id": ["a1", "b1"],
    ...                         "code": "ats_sync", "coder": "ana"})
    >>> participants = pd.DataFrame({"participant_id": ["p1", "p2", "p3"],
    ...                              "nps_group": ["detractor", "detractor", "promoter"]})
    >>> vq.code_by_group(codings, segments, participants, by="nps_group")
           code  nps_group  n_participants  n_group  pct_participants  small_base
    0  ats_sync  detractor               2        2             100.0        True
    1  ats_sync   promoter               0        1               0.0        True
    """
    if by is None:
        raise ValueError("by must name a group column (of participants or segments); got None")
    qb.require(participants, ["participant_id"], "participants")
    if isinstance(min_base, bool) or not isinstance(min_base, Real) or min_base < 0:
        raise ValueError(f"min_base must be a non-negative number; got {min_base!r}")
    columns = ["code", "n_participants", "n_group", "pct_participants", "small_base"]
    qb.check_clash(by, columns)
    counts, groups = _counts(
        codings, segments, coder=coder, tree=None, rollup=False, by=by, participants=participants
    )
    out = pd.DataFrame(
        {
            "code": counts["code"].to_numpy(object),
            by: qb.group_column(groups, counts["_g"].to_numpy()),
            "n_participants": counts["n_participants"],
            "n_group": counts["n_base"],
            "pct_participants": counts["pct_participants"],
            "small_base": counts["n_base"] < min_base,
        }
    )
    return out


def cooccurrence(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    unit: str = "segment",
    coder: str | None = None,
) -> pd.DataFrame:
    """How often two codes are present on the same segment (or for the same participant).

    Builds the unit x code presence matrix (participant turns, or participants: a participant
    has a code if any of their turns has it) and, for every unordered pair of codes found in
    *codings*, counts the units with both. Two overlap measures are given, both 0 (never
    together) to 1 (always together):

    * Jaccard: ``n_both / (n_a + n_b - n_both)``, the share of units with either code that
      have both;
    * Ochiai (cosine of the two presence vectors): ``n_both / sqrt(n_a * n_b)``, less pulled
      down when one code is much more frequent than the other.

    Jaccard is NaN when neither code is on any unit, Ochiai when either is not (e.g. a code
    a named ``coder`` never applied).
    Codes are as applied (no roll-up: a child would trivially co-occur with its parent).

    Parameters
    ----------
    codings : DataFrame
        The ``codings`` table.
    segments : DataFrame
        The ``segments`` table.
    unit : {"segment", "participant"}, default="segment"
        What "together" means: on one participant turn, or said by one participant.
    coder : str, optional
        None (any coder), a coder's name, or ``"consensus"`` (see the module notes).

    Returns
    -------
    DataFrame
        One row per unordered pair (``code_a < code_b``, sorted by ``code_a`` then ``code_b``),
        pairs never seen together included: ``code_a, code_b, n_both, n_a, n_b, n_units``
        (participant turns or participants), ``jaccard, ochiai``.

    References
    ----------
    Jaccard, P. (1912). The distribution of the flora in the alpine zone. New Phytologist,
    11(2), 37-50.
    Ochiai, A. (1957). Zoogeographical studies on the soleoid fishes found in Japan and its
    neighbouring regions. Bulletin of the Japanese Society of Scientific Fisheries, 22(9),
    526-530.
    Namey, E., Guest, G., Thairu, L., & Johnson, L. (2008). Data reduction techniques for
    large qualitative data sets. In G. Guest & K. M. MacQueen (Eds.), Handbook for Team-Based
    Qualitative Research (pp. 137-161). AltaMira.

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.qual as vq
    >>> segments = pd.DataFrame({"segment_id": ["s1", "s2", "s3"], "source": "a",
    ...                          "participant_id": "p1", "role": "participant"})
    >>> codings = pd.DataFrame({"source": "a", "segment_id": ["s1", "s1", "s2", "s3"],
    ...                         "code": ["price", "speed", "price", "speed"], "coder": "ana"})
    >>> vq.cooccurrence(codings, segments).round(3)
      code_a code_b  n_both  n_a  n_b  n_units  jaccard  ochiai
    0  price  speed       1    2    2        3    0.333     0.5
    """
    qb.check_choice("unit", unit, _UNITS)
    resolved = qb.resolve(codings, segments)
    present = qb.applied(resolved, coder)
    turns = qb.participant_turns(segments)
    codes = pd.Index(sorted(pd.unique(resolved["code"]), key=str), dtype=object)
    if unit == "segment":
        keys = pd.MultiIndex.from_frame(turns[qb.SEGMENT_KEYS])
        rows = keys.get_indexer(pd.MultiIndex.from_frame(present[qb.SEGMENT_KEYS]))
    else:
        keys = pd.Index(sorted(pd.unique(turns["participant_id"]), key=str), dtype=object)
        rows = keys.get_indexer(present["participant_id"].to_numpy(object))
    incidence = np.zeros((len(keys), len(codes)), dtype=np.int64)
    incidence[rows, codes.get_indexer(present["code"].to_numpy(object))] = 1
    both = incidence.T @ incidence
    n_code = np.diag(both)
    a, b = np.triu_indices(len(codes), k=1)
    n_both, n_a, n_b = both[a, b], n_code[a], n_code[b]
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(n_a + n_b > 0, n_both / (n_a + n_b - n_both), np.nan)
        ochiai = np.where(n_a * n_b > 0, n_both / np.sqrt(n_a * n_b), np.nan)
    return pd.DataFrame(
        {
            "code_a": codes.to_numpy()[a],
            "code_b": codes.to_numpy()[b],
            "n_both": n_both.astype(np.int64),
            "n_a": n_a.astype(np.int64),
            "n_b": n_b.astype(np.int64),
            "n_units": np.int64(len(keys)),
            "jaccard": jaccard.astype(float),
            "ochiai": ochiai.astype(float),
        }
    )


def segment_presence(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    *,
    coder: Any = "consensus",
    codes: list[str] | None = None,
) -> pd.DataFrame:
    """Participant turns × codes: whether the code applies to the turn under the *coder* rule.

    The table a model is calibrated against (``voc.topics.calibrate_codebook_map``): one row per
    participant turn, in the order of *segments*, indexed by ``segment_id``; one boolean column
    per code (all codes in *codes*, else every code coded). ``coder="consensus"`` (default) keeps
    a code where every coder of that interview applied it; None where any did; a name, that
    coder's codes. Turns of an interview that no coder coded are left out (unknown, not absent).
    """
    resolved = resolve_codings(codings, segments)
    table = qb.applied(resolved, coder)
    turns = segments[segments["role"].eq("participant")]
    coded_sources = set(resolved["source"])
    turns = turns[turns["source"].isin(coded_sources)]
    codes = list(codes) if codes is not None else sorted(pd.unique(resolved["code"].astype(str)))
    present = set(zip(table["segment_id"], table["code"], strict=True))
    data = {code: [(sid, code) in present for sid in turns["segment_id"]] for code in codes}
    return pd.DataFrame(data, index=pd.Index(turns["segment_id"].to_numpy(), name="segment_id"))
