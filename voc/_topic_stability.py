"""How reproducible each topic is across random seeds (private; see ``voc.topics``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc._topic_docs import as_docs, as_embeddings, content_order

__all__ = ["STABILITY_THRESHOLD", "jaccard_matrix", "topic_stability"]

#: A topic is called stable when its mean best-match Jaccard across seeds is at least this.
STABILITY_THRESHOLD = 0.6


def jaccard_matrix(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, list, list]:
    """Jaccard index of the document sets of every topic of ``first`` vs ``second``.

    ``first`` and ``second`` are topic ids per document (same documents, same order); -1
    (outliers) belongs to no topic. Returns the matrix and the topic ids of its rows/columns.
    """
    rows = sorted(t for t in set(first.tolist()) if t != -1)
    cols = sorted(t for t in set(second.tolist()) if t != -1)
    a = (first[:, None] == np.asarray(rows)[None, :]).astype(float)
    b = (second[:, None] == np.asarray(cols)[None, :]).astype(float)
    inter = a.T @ b
    union = a.sum(axis=0)[:, None] + b.sum(axis=0)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0), rows, cols


def topic_stability(
    texts: Any,
    *,
    embeddings: Any,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
    subsample: float | None = None,
    **fit_kwargs: Any,
) -> pd.DataFrame:
    """Refit the topics with other seeds and measure how well each topic comes back.

    The topics of the first seed are the reference. For every other seed, the topics are
    refitted (with ``subsample``: on a seeded random share of the documents) and aligned
    one-to-one with the reference topics by the Hungarian algorithm on the Jaccard index of
    their document sets (scipy ``linear_sum_assignment``, maximising total Jaccard; with a
    subsample, the reference topics are cut to the documents drawn); a reference topic
    left without a partner scores 0. A topic's stability is its mean matched Jaccard over
    the other seeds. For k-means the number of topics is held at the reference fit's
    (unless ``n_topics`` is given), so the comparison measures the clustering, not the
    choice of k.

    Seeds alone test only the fitting (k-means restarts, UMAP); they cannot move documents
    that the data place firmly. ``subsample=0.8`` also asks whether the topic would appear
    in a somewhat different sample, Hennig's (2007) subsetting scheme: slower to pass, and
    the better test before reporting a topic as a finding.

    Parameters
    ----------
    texts : DataFrame, Series or list of str
        As for `fit_topics`.
    embeddings : array-like of shape (n_docs, dim) or None
        Embeddings in the order of ``texts``; None embeds once with ``backend``.
    seeds : sequence of int, default=(0, 1, 2, 3, 4)
        At least 2; the first is the reference (fitted on all documents).
    subsample : float or None, default=None
        Share of the documents (0-1) each other seed refits on; None refits on all.
    **fit_kwargs
        Passed to `fit_topics` (not ``random_state`` or ``embeddings``).

    Returns
    -------
    DataFrame
        One row per topic of the reference fit: ``topic``, ``label``, ``size``,
        ``stability`` (0-1), ``min_jaccard`` (worst seed), ``is_stable``
        (``stability >= 0.6``). Hennig (2007) reads a mean Jaccard of 0.5 or less as a
        dissolved cluster, 0.6-0.75 as a pattern in the data and above 0.85 as highly
        stable; voc calls a topic stable from 0.6.

    References
    ----------
    Hennig, C. (2007). Cluster-wise assessment of cluster stability. Computational
    Statistics & Data Analysis, 52(1), 258-271.
    """
    from scipy.optimize import linear_sum_assignment

    from voc._topic_model import _embed, fit_topics

    for name in ("random_state", "embeddings"):
        if name in fit_kwargs:
            raise ValueError(f"topic_stability sets {name} itself; remove it from fit_kwargs")
    seeds = list(seeds)
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must hold at least 2 different seeds; got {seeds!r}")
    if subsample is not None and not (isinstance(subsample, float) and 0 < subsample < 1):
        raise ValueError(f"subsample must be a share between 0 and 1, or None; got {subsample!r}")
    docs = as_docs(texts)
    frame = pd.DataFrame({"doc_id": docs.doc_ids, "text": docs.texts})
    if embeddings is None:
        embeddings = _embed(docs, content_order(docs), fit_kwargs.get("backend", "tfidf"), seeds[0])
    vectors = as_embeddings(embeddings, len(docs))
    reference = fit_topics(frame, embeddings=vectors, random_state=seeds[0], **fit_kwargs)
    topics = reference.topics[reference.topics["topic"] != -1]
    kwargs = dict(fit_kwargs)
    if (
        reference.method == "kmeans"
        and kwargs.get("n_topics") is None
        and kwargs.get("cluster_model") is None
    ):
        kwargs["n_topics"] = len(topics)
    base = reference.doc_topics["topic"].to_numpy()
    order = content_order(docs, vectors)  # draw subsamples in content order: order-free
    position = {t: i for i, t in enumerate(topics["topic"])}
    scores = np.zeros((len(topics), len(seeds) - 1))
    for j, seed in enumerate(seeds[1:]):
        keep = np.arange(len(docs))
        if subsample is not None:
            drawn = np.random.default_rng(seed).choice(
                len(docs), round(subsample * len(docs)), replace=False
            )
            keep = np.sort(order[drawn])
        other = fit_topics(frame.iloc[keep], embeddings=vectors[keep], random_state=seed, **kwargs)
        jaccard, rows, _ = jaccard_matrix(base[keep], other.doc_topics["topic"].to_numpy())
        if jaccard.size == 0:
            continue
        matched_rows, matched_cols = linear_sum_assignment(jaccard, maximize=True)
        for r, c in zip(matched_rows, matched_cols, strict=True):
            scores[position[rows[r]], j] = jaccard[r, c]
    stability = scores.mean(axis=1)
    return pd.DataFrame(
        {
            "topic": topics["topic"].to_numpy(),
            "label": topics["label"].to_numpy(),
            "size": topics["size"].to_numpy(),
            "stability": stability,
            "min_jaccard": scores.min(axis=1),
            "is_stable": stability >= STABILITY_THRESHOLD,
        }
    )
