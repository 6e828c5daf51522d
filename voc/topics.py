"""Topics of open-ended text: survey comments and transcript turns.

BERTopic is the engine, built from seeded, injected components (`build_topic_model`,
`fit_topics`): by default PCA + k-means with the number of topics chosen by a stated
criterion, or UMAP + HDBSCAN for outlier detection. Documents are fitted in content order
and topics are numbered and labelled by content, so the same documents in any order give
the same topics. Around the fit: `topic_stability` (do the topics survive other seeds?),
`topics_by_group` (prevalence by segment, NPS group or wave, with tests) and the
codebook-guided mapping `map_to_codebook` / `calibrate_codebook_map` (carry human codes to
the whole survey where they agree with the coders).

Heavy libraries (BERTopic, UMAP, sentence-transformers) are imported inside functions, never
at import; nothing is downloaded. Survey comments, transcript segments and code
descriptions that are compared must be embedded with the same ``voc.embeddings`` backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from voc._codebook_map import (
    KAPPA_RELIABLE,
    agreed_presence,
    calibrate_codebook_map,
    code_texts,
    map_to_codebook,
)
from voc._topic_groups import topics_by_group
from voc._topic_kmeans import assign_topics
from voc._topic_model import METHODS, OUTLIER_LABEL, TopicResult, build_topic_model, fit_topics
from voc._topic_stability import STABILITY_THRESHOLD, topic_stability

__all__ = [
    "KAPPA_RELIABLE",
    "METHODS",
    "OUTLIER_LABEL",
    "STABILITY_THRESHOLD",
    "TopicResult",
    "agreed_presence",
    "align",
    "assign_topics",
    "build_topic_model",
    "calibrate_codebook_map",
    "code_shares",
    "code_texts",
    "corpus_summary",
    "fit_topics",
    "map_to_codebook",
    "topic_stability",
    "topics_by_group",
]


def corpus_summary(documents: pd.DataFrame) -> pd.DataFrame:
    """Size of the text corpus per origin (a survey comment column, or interviews).

    Parameters
    ----------
    documents : DataFrame
        ``doc_id, participant_id, origin, text`` (see ``voc.io.read_documents``).

    Returns
    -------
    DataFrame
        ``origin, n_docs, n_participants, median_words, max_words``.
    """
    missing = [
        c for c in ("doc_id", "participant_id", "origin", "text") if c not in documents.columns
    ]
    if missing:
        raise ValueError(f"documents lacks the column(s) {missing}")
    words = documents["text"].str.split().str.len()
    out = (
        documents.assign(_words=words)
        .groupby("origin", sort=True)
        .agg(
            n_docs=("doc_id", "size"),
            n_participants=("participant_id", "nunique"),
            median_words=("_words", "median"),
            max_words=("_words", "max"),
        )
        .reset_index()
    )
    return out.astype(
        {
            "n_docs": "int64",
            "n_participants": "int64",
            "median_words": "float64",
            "max_words": "int64",
        }
    )


def align(vectors: Any, documents: pd.DataFrame, presence: pd.DataFrame) -> np.ndarray:
    """The rows of *vectors* (one per row of *documents*) in the order of ``presence.index``.

    *documents* has a ``doc_id`` column (for interview turns, the ``segment_id``); *presence*
    is indexed by those ids (``voc.qual.segment_presence``). An id of *presence* with no
    document is a ValueError.
    """
    vectors = np.asarray(vectors)
    if len(vectors) != len(documents):
        raise ValueError(f"{len(vectors)} vectors for {len(documents)} documents")
    position = pd.Series(np.arange(len(documents)), index=documents["doc_id"].to_numpy())
    missing = presence.index.difference(position.index)
    if len(missing):
        raise ValueError(f"{len(missing)} coded turns have no document, e.g. {missing[0]!r}")
    return vectors[position.loc[presence.index].to_numpy()]


def code_shares(mapped: pd.DataFrame, calibration: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of documents the model assigns to each code (from :func:`map_to_codebook`).

    Returns ``code, n_docs, n_present, pct`` and, with the *calibration* table, ``kappa`` and
    ``is_reliable`` so a reader sees which shares the model can be trusted with.
    """
    present = mapped["is_present"].astype("boolean").fillna(False).astype(bool)
    out = (
        mapped.assign(_p=present)
        .groupby("code", sort=False)
        .agg(n_docs=("doc_id", "nunique"), n_present=("_p", "sum"))
        .reset_index()
    )
    out["pct"] = 100 * out["n_present"] / out["n_docs"]
    if calibration is not None:
        out = out.merge(calibration[["code", "kappa", "is_reliable"]], on="code", how="left")
    return out.astype({"n_docs": "int64", "n_present": "int64"})
