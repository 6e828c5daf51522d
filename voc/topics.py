"""Topics of open-ended text: survey comments and transcript turns.

Heavy libraries (BERTopic, sentence-transformers) are imported inside functions, never at import.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["corpus_summary"]


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
