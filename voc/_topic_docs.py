"""Documents for the topic and sentiment functions: input forms, content order, group joins.

Private module shared by ``voc.topics`` and ``voc.sentiment``. Nothing here imports a heavy
library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Docs", "as_docs", "as_embeddings", "content_order", "join_groups", "wilson"]


@dataclass(frozen=True)
class Docs:
    """Validated documents in input order."""

    doc_ids: np.ndarray  # object array, unique
    texts: list[str]
    participant_ids: np.ndarray | None  # object array when the input had ``participant_id``

    def __len__(self) -> int:
        return len(self.texts)


def as_docs(texts: Any, *, what: str = "texts") -> Docs:
    """Accept a ``doc_id, text[, participant_id]`` frame, a Series or a sequence of strings.

    A DataFrame needs a ``text`` column; its ``doc_id`` column (else its index) names the
    documents. A Series is named by its index, a plain sequence by position (0, 1, ...).
    """
    participant_ids = None
    if isinstance(texts, pd.DataFrame):
        if "text" not in texts.columns:
            raise ValueError(
                f"{what} must have a 'text' column (and 'doc_id'); got columns "
                f"{[str(c) for c in texts.columns]}"
            )
        values = texts["text"].to_numpy(dtype=object)
        ids = (texts["doc_id"] if "doc_id" in texts.columns else texts.index).to_numpy(dtype=object)
        if "participant_id" in texts.columns:
            participant_ids = texts["participant_id"].to_numpy(dtype=object)
    elif isinstance(texts, pd.Series):
        values, ids = texts.to_numpy(dtype=object), texts.index.to_numpy(dtype=object)
    elif isinstance(texts, Sequence | np.ndarray) and not isinstance(texts, str | bytes):
        values = np.asarray(list(texts), dtype=object)
        ids = np.arange(len(values)).astype(object)
    else:
        raise TypeError(
            f"{what} must be a DataFrame with 'doc_id' and 'text', a Series or a list of "
            f"strings; got {type(texts).__name__}"
        )
    if values.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional; got shape {values.shape}")
    bad = [i for i, v in enumerate(values) if not isinstance(v, str)]
    if bad:
        raise ValueError(
            f"{what} must all be strings; document {ids[bad[0]]!r} has {values[bad[0]]!r}"
            + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else "")
            + "; drop blank answers first"
        )
    index = pd.Index(ids)
    if index.has_duplicates:
        dup = index[index.duplicated()][:3].tolist()
        raise ValueError(f"{what} has duplicate doc_id values, e.g. {dup!r}; each must be unique")
    return Docs(ids, [str(v) for v in values], participant_ids)


def as_embeddings(embeddings: Any, n: int, *, what: str = "embeddings") -> np.ndarray:
    """A finite (n, dim) float64 array, validated against the number of documents."""
    array = np.asarray(embeddings, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != n:
        raise ValueError(
            f"{what} must be a 2-D array with one row per document ({n}); got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise ValueError(f"{what} has a non-finite value in row {row}")
    return array


def content_order(docs: Docs, embeddings: np.ndarray | None = None) -> np.ndarray:
    """Positions that sort the documents by content: text hash, embedding hash, doc_id.

    Fitting in this order makes every result independent of the order of the input (k-means
    seeding, PCA sums and BERTopic's topic ids all depend on row order).
    """

    def digest(data: bytes) -> bytes:
        return hashlib.blake2b(data, digest_size=16).digest()

    rows = (
        [b""] * len(docs)
        if embeddings is None
        else [digest(np.ascontiguousarray(row).tobytes()) for row in embeddings]
    )
    keys = [
        (digest(text.encode("utf-8")), row, str(doc_id))
        for text, row, doc_id in zip(docs.texts, rows, docs.doc_ids, strict=True)
    ]
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def join_groups(
    frame: pd.DataFrame, groups: pd.DataFrame, by: list[str], *, what: str
) -> tuple[pd.DataFrame, str]:
    """Attach the ``by`` columns of ``groups`` to ``frame`` (one row per document).

    ``groups`` is keyed by ``doc_id`` when it has that column, else by ``participant_id``
    (then ``frame`` needs that column too). Each key must be unique in ``groups``: a
    participant may have many documents, but a document gets one group. Returns the joined
    frame and the key used.
    """
    if not isinstance(groups, pd.DataFrame):
        raise TypeError(f"groups must be a DataFrame; got {type(groups).__name__}")
    if not by:
        raise ValueError("by must name at least one column of groups")
    missing = [b for b in by if b not in groups.columns]
    if missing:
        raise ValueError(
            f"by column(s) {missing} not in groups; available: {[str(c) for c in groups.columns]}"
        )
    key = "doc_id" if "doc_id" in groups.columns else "participant_id"
    if key not in groups.columns:
        raise ValueError("groups needs a 'doc_id' or a 'participant_id' column to join on")
    if key not in frame.columns:
        raise ValueError(
            f"groups is keyed by {key!r} but {what} has no {key!r} column; pass {what} made "
            "from a documents frame with participant_id, or key groups by doc_id"
        )
    if key in by:
        raise ValueError(f"by must not include the join key {key!r}")
    clash = [b for b in by if b in frame.columns and b != key]
    if clash:
        raise ValueError(f"by column(s) {clash} are already columns of {what}; rename them")
    keys = groups[key]
    if keys.duplicated().any():
        dup = keys[keys.duplicated()].iloc[:3].tolist()
        raise ValueError(
            f"groups has repeated {key} values, e.g. {dup!r}; each {key} needs one row "
            "(no many-to-many joins)"
        )
    left, right = frame[key], keys
    if left.dtype != right.dtype and (left.dtype == object or right.dtype == object):
        left, right = left.astype(str), right.astype(str)
    joined = frame.assign(_key=left.to_numpy()).merge(
        groups[by].assign(_key=right.to_numpy()), on="_key", how="left", validate="many_to_one"
    )
    return joined.drop(columns="_key"), key


def wilson(count: np.ndarray, nobs: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (statsmodels ``proportion_confint``); NaN where ``nobs`` is 0."""
    from statsmodels.stats.proportion import proportion_confint

    count, nobs = np.asarray(count, dtype=float), np.asarray(nobs, dtype=float)
    low, high = np.full(count.shape, np.nan), np.full(count.shape, np.nan)
    ok = nobs > 0
    if ok.any():
        low[ok], high[ok] = proportion_confint(
            count[ok], nobs[ok], alpha=1 - level, method="wilson"
        )
    return low, high
