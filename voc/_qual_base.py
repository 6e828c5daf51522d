"""Shared machinery of `voc.qual`: input checks, codings resolved to segments, code presence.

Private: the public functions and their documentation live in `voc.qual`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

PARTICIPANT = "participant"
CONSENSUS = "consensus"
SEGMENT_KEYS = ["source", "segment_id"]
PRESENCE_KEYS = ["source", "segment_id", "participant_id", "code"]
_SEGMENT_REQUIRED = ("segment_id", "participant_id", "source", "role")
_SHOWN = 5  # offending rows quoted in an error message


def require(frame: Any, columns: Sequence[str], name: str) -> None:
    """TypeError unless *frame* is a DataFrame; ValueError naming the missing columns."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {missing}; required: {list(columns)}")


def require_complete(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    """ValueError naming the first column of *columns* that has a missing value."""
    for column in columns:
        blank = frame[column].isna().to_numpy()
        if blank.any():
            label = frame.index[blank][0]
            raise ValueError(
                f"{name} column {column!r} has {int(blank.sum())} missing value(s) (first at "
                f"row {label!r}); every row needs one"
            )


def check_segments(segments: Any, extra: Sequence[str] = ()) -> None:
    """The ``segments`` table has its key columns, complete, and unique (source, segment_id)."""
    require(segments, [*_SEGMENT_REQUIRED, *extra], "segments")
    require_complete(segments, _SEGMENT_REQUIRED, "segments")
    keys = segments[SEGMENT_KEYS]
    dup = keys.duplicated()
    if dup.any():
        examples = list(keys[dup].itertuples(index=False, name=None))[:3]
        raise ValueError(f"segments has duplicate (source, segment_id) pairs, e.g. {examples!r}")


def check_choice(name: str, value: Any, allowed: Sequence[Any]) -> None:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}={value!r} is not supported; allowed: {list(allowed)!r}")


def check_count(name: str, value: Any, *, allow_none: bool = False) -> None:
    """ValueError unless *value* is a positive int (or None when allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        allowed = "a positive integer or None" if allow_none else "a positive integer"
        raise ValueError(f"{name} must be {allowed}; got {value!r}")


def check_random_state(random_state: Any) -> None:
    if isinstance(random_state, bool) or not (
        random_state is None or isinstance(random_state, int | np.integer | np.random.Generator)
    ):
        raise TypeError(
            f"random_state must be an int, a numpy Generator or None; got {random_state!r}"
        )


def _is_given(value: Any) -> bool:
    return not pd.isna(value) and str(value).strip() != ""


def _describe(frame: pd.DataFrame, rows: np.ndarray) -> str:
    """'row 12 (source 'a', segment_id 's9')', ... for up to _SHOWN rows of *frame*."""
    parts = []
    for i in rows[:_SHOWN]:
        row = frame.iloc[i]
        where = (
            f"segment_id {row['segment_id']!r}"
            if "segment_id" in frame.columns and _is_given(row["segment_id"])
            else f"span [{row.get('start')}, {row.get('end')})"
        )
        parts.append(f"row {frame.index[i]!r} (source {row['source']!r}, {where})")
    more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
    return "; ".join(parts) + more


def resolve(codings: Any, segments: Any) -> pd.DataFrame:
    """Implementation of `voc.qual.resolve_codings` (documented there)."""
    require(codings, ["source", "code", "coder"], "codings")
    has_ids = "segment_id" in codings.columns
    has_spans = {"start", "end"} <= set(codings.columns)
    if not (has_ids or has_spans):
        raise ValueError(
            "codings needs a 'segment_id' column or 'start' and 'end' columns (code-point "
            f"offsets); found {list(codings.columns)}"
        )
    require_complete(codings, ["source", "code", "coder"], "codings")
    check_segments(segments)
    n = len(codings)
    ids = codings["segment_id"].to_numpy(dtype=object) if has_ids else np.full(n, None)
    by_id = np.fromiter((_is_given(v) for v in ids), dtype=bool, count=n)
    by_span = ~by_id
    if by_span.any():
        if not has_spans:
            raise ValueError(
                f"codings has {int(by_span.sum())} row(s) without a segment_id and no 'start'/"
                f"'end' columns: {_describe(codings, np.flatnonzero(by_span))}"
            )
        check_segments(segments, ("start", "end"))
        require_complete(segments, ["start", "end"], "segments")
    sources = codings["source"].to_numpy(dtype=object)
    positions = np.arange(n)
    # rows given by segment id: look up (source, segment_id)
    keys = pd.MultiIndex.from_arrays(
        [segments["source"].to_numpy(object), segments["segment_id"].to_numpy(object)]
    )
    found = keys.get_indexer(pd.MultiIndex.from_arrays([sources[by_id], ids[by_id]]))
    pairs = [(positions[by_id][found >= 0], found[found >= 0])]
    unknown = [positions[by_id][found < 0]]
    if by_span.any():
        starts = pd.to_numeric(codings["start"], errors="coerce").to_numpy(dtype=float)
        ends = pd.to_numeric(codings["end"], errors="coerce").to_numpy(dtype=float)
        no_span = by_span & (np.isnan(starts) | np.isnan(ends))
        if no_span.any():
            raise ValueError(
                f"codings has {int(no_span.sum())} row(s) with neither a segment_id nor a "
                f"start and end offset: {_describe(codings, np.flatnonzero(no_span))}"
            )
        reversed_ = by_span & (starts > ends)
        if reversed_.any():
            raise ValueError(
                f"codings has {int(reversed_.sum())} row(s) with start > end: "
                f"{_describe(codings, np.flatnonzero(reversed_))}"
            )
        spans = pd.DataFrame(
            {
                "_row": positions[by_span],
                "source": sources[by_span],
                "_cs": starts[by_span],
                "_ce": ends[by_span],
            }
        )
        bounds = pd.DataFrame(
            {
                "source": segments["source"].to_numpy(object),
                "_seg": np.arange(len(segments)),
                "_ss": segments["start"].to_numpy(dtype=float),
                "_se": segments["end"].to_numpy(dtype=float),
            }
        )
        both = spans.merge(bounds, on="source", how="inner")
        point = both["_cs"] == both["_ce"]  # an empty span marks the segment it falls in
        hit = np.where(
            point,
            (both["_ss"] <= both["_cs"]) & (both["_cs"] < both["_se"]),
            (both["_ss"] < both["_ce"]) & (both["_cs"] < both["_se"]),
        )
        both = both[hit]
        pairs.append((both["_row"].to_numpy(), both["_seg"].to_numpy()))
        unknown.append(np.setdiff1d(positions[by_span], both["_row"].to_numpy()))
    missing = np.sort(np.concatenate(unknown))
    if missing.size:
        raise ValueError(
            f"codings has {missing.size} row(s) that match no segment (unknown source or "
            f"segment_id, same id types?, or a span outside every turn): "
            f"{_describe(codings, missing)}"
        )
    rows = np.concatenate([p[0] for p in pairs]).astype(np.int64)
    segs = np.concatenate([p[1] for p in pairs]).astype(np.int64)
    if "start" in segments.columns:  # a span's segments in text order
        seg_order = pd.to_numeric(segments["start"], errors="coerce").to_numpy(dtype=float)
    else:
        seg_order = np.arange(len(segments), dtype=float)
    order = np.lexsort((segs, seg_order[segs], rows))
    rows, segs = rows[order], segs[order]
    out = codings.iloc[rows].drop(columns=["participant_id", "role"], errors="ignore")
    out = out.assign(segment_id=segments["segment_id"].to_numpy(object)[segs])
    for column in ("start", "end"):
        if column not in out.columns:
            out[column] = pd.array([pd.NA] * len(out), dtype="Int64")
    first = ["source", "start", "end", "segment_id", "code", "coder"]
    out = out[first + [c for c in out.columns if c not in first]]
    return out.assign(
        participant_id=segments["participant_id"].to_numpy(object)[segs],
        role=segments["role"].to_numpy(object)[segs],
    )


def check_coder(coder: Any, coders: Sequence[Any]) -> None:
    allowed = f"None (any coder), {CONSENSUS!r} (all coders of the source) or one of {coders!r}"
    if coder is None:
        return
    if coder == CONSENSUS:
        if CONSENSUS in coders:
            raise ValueError(
                f"codings has a coder named {CONSENSUS!r}, which clashes with "
                f"coder={CONSENSUS!r} (all coders agree); rename that coder"
            )
        return
    if coder not in coders:
        raise ValueError(f"coder={coder!r} is not in codings column 'coder'; allowed: {allowed}")


@dataclass(frozen=True)
class Codebook:
    """A checked code hierarchy."""

    order: list[str]  # depth-first: each top-level code, then its descendants (codebook order)
    parent: dict[str, str | None]
    level: dict[str, int]  # 1 = top level
    ancestors: dict[str, list[str]]  # the code itself, its parent, ... up to the top level


def read_tree(codebook: Any) -> Codebook:
    require(codebook, ["code", "parent"], "codebook")
    require_complete(codebook, ["code"], "codebook")
    codes = list(codebook["code"].to_numpy(object))
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ValueError(f"codebook column 'code' has duplicates: {dup}")
    parent = {
        c: (p if _is_given(p) else None)
        for c, p in zip(codes, codebook["parent"].to_numpy(object), strict=True)
    }
    orphans = {c: p for c, p in parent.items() if p is not None and p not in parent}
    if orphans:
        raise ValueError(f"codebook column 'parent' names codes that are not codes: {orphans}")
    ancestors: dict[str, list[str]] = {}
    for code in codes:
        chain, node = [], code
        while node is not None:
            if node in chain:
                raise ValueError(f"codebook: the hierarchy has a cycle through {code!r}")
            chain.append(node)
            node = parent[node]
        ancestors[code] = chain
    children: dict[str | None, list[str]] = {}
    for code in codes:
        children.setdefault(parent[code], []).append(code)
    order: list[str] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        code = stack.pop()
        order.append(code)
        stack.extend(reversed(children.get(code, [])))
    return Codebook(order, parent, {c: len(a) for c, a in ancestors.items()}, ancestors)


def check_codes_known(codings: pd.DataFrame, tree: Codebook) -> None:
    unknown = sorted(set(codings["code"]) - set(tree.parent), key=str)
    if unknown:
        raise ValueError(
            f"codings column 'code' has code(s) that are not in the codebook: {unknown}"
        )


def applied(resolved: pd.DataFrame, coder: Any, tree: Codebook | None = None) -> pd.DataFrame:
    """Codes present on participant segments under the *coder* rule, one row per segment and code.

    Columns ``source, segment_id, participant_id, code, n_coders, n_coders_source``: the coders
    (of any name) who applied the code there, and the coders with any row in that source. With
    *tree*, each coding also counts for every ancestor of its code (per coder, before the coder
    rule), so that two coders who chose different children of one parent agree on the parent.
    """
    check_coder(coder, sorted(pd.unique(resolved["coder"].to_numpy(object)), key=str))
    per_source = resolved.groupby("source", sort=False)["coder"].nunique()
    rows = resolved.loc[resolved["role"].eq(PARTICIPANT).to_numpy(), [*PRESENCE_KEYS, "coder"]]
    rows = rows.astype({"code": object})
    if tree is not None:
        rows = rows.assign(code=rows["code"].map(tree.ancestors)).explode("code")
    rows = rows.drop_duplicates()
    table = rows.groupby(PRESENCE_KEYS, sort=True).size().rename("n_coders").reset_index()
    table["n_coders_source"] = table["source"].map(per_source).to_numpy(dtype=np.int64)
    if coder == CONSENSUS:
        table = table[table["n_coders"] == table["n_coders_source"]]
    elif coder is not None:
        mine = rows.loc[rows["coder"].eq(coder).to_numpy(), PRESENCE_KEYS]
        table = table.merge(mine, on=PRESENCE_KEYS, how="inner")
    return table.astype({"n_coders": np.int64}).reset_index(drop=True)


def participant_turns(segments: pd.DataFrame) -> pd.DataFrame:
    """The participants' segments (the units of analysis), sorted by source and segment_id."""
    turns = segments[segments["role"].eq(PARTICIPANT).to_numpy()]
    return turns.sort_values(SEGMENT_KEYS, kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Groups:
    """Group of each unit: ``index[i]`` is the position of unit i's group in ``labels``."""

    index: np.ndarray
    labels: pd.Index  # sorted (category order for categoricals), a missing group last
    name: str | None


def groups_of(
    turns: pd.DataFrame,
    segments: pd.DataFrame,
    by: Any,
    participants: Any,
    *,
    per_participant: bool,
) -> Groups:
    """The group of each participant turn: a column of *participants* (joined on
    participant_id) or, failing that, of *segments*. Without *by*, one group."""
    if by is None:
        return Groups(np.zeros(len(turns), dtype=np.int64), pd.Index([None]), None)
    if not isinstance(by, str):
        raise TypeError(f"by must be a column name (str) or None; got {by!r}")
    if participants is not None:
        require(participants, ["participant_id"], "participants")
        if participants["participant_id"].duplicated().any():
            dup = participants.loc[participants["participant_id"].duplicated(), "participant_id"]
            raise ValueError(
                f"participants has participant_id {dup.iloc[0]!r} more than once; the join "
                "needs one row per participant"
            )
    if participants is not None and by in participants.columns:
        lookup = participants.set_index("participant_id")[by]
        ids = turns["participant_id"]
        # the few interview ids are looked up among the participants, not the other way
        # round: a text Series' isin() walks its argument in Python (a million survey ids)
        if len(ids) and not lookup.index.isin(pd.unique(ids)).any():
            raise ValueError(
                "no participant_id of segments is in participants (same id types? "
                f"e.g. {ids.iloc[0]!r} vs {lookup.index[0] if len(lookup) else None!r})"
            )
        values = pd.Series(lookup.reindex(ids.to_numpy()).array, index=turns.index)
    elif by in segments.columns:
        values = turns[by]
        if per_participant:
            varies = values.groupby(turns["participant_id"], dropna=False).nunique(dropna=False)
            if (varies > 1).any():
                raise ValueError(
                    f"segments column by={by!r} varies within participant "
                    f"{varies.index[(varies > 1).to_numpy()][0]!r}; a participant-level analysis "
                    "needs one group per participant (pass participants=...)"
                )
    else:
        have = list(participants.columns) if participants is not None else None
        raise ValueError(
            f"by={by!r} is not a column of participants ({have}) or of segments "
            f"({list(segments.columns)})"
        )
    index, labels = pd.factorize(values, sort=True, use_na_sentinel=False)
    return Groups(np.asarray(index, dtype=np.int64), pd.Index(labels), by)


def group_column(groups: Groups, positions: np.ndarray) -> Any:
    """The labels of the groups at *positions*, keeping a categorical dtype."""
    return groups.labels.take(positions).array


def check_clash(by: str | None, columns: Sequence[str]) -> None:
    if by is not None and by in columns:
        raise ValueError(f"by={by!r} clashes with an output column; allowed: not one of {columns}")
