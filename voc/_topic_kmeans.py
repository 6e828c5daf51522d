"""The k-means topic fit: sample, reduce, choose k, fit, assign everything (private).

Used by ``voc.topics.fit_topics`` for ``method="kmeans"`` (the default). See
`voc._topic_engine` for why this path does not import BERTopic.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from voc._topic_docs import Docs, content_order
from voc._topic_engine import (
    FittedKMeans,
    assign_partition,
    c_tf_idf,
    cluster_centroids,
    sample_positions,
)
from voc._topic_select import choose_k, clean_texts, k_range, top_words, vocabulary

__all__ = ["DEFAULT_PARTITION_SIZE", "assign_topics", "fit_kmeans"]

#: documents per partition when assigning (local engine and Dask tasks)
DEFAULT_PARTITION_SIZE = 20_000
_N_REPRESENTATIVE = 3


def _digest(text: str, doc_id: Any) -> bytes:
    return hashlib.blake2b(f"{text}\x1f{doc_id}".encode(), digest_size=16).digest()


def _fit_sample(
    docs: Docs,
    positions: np.ndarray,
    vectors: np.ndarray,
    *,
    n_topics: Any,
    min_topic_size: int,
    random_state: int,
    reduction_model: Any,
    cluster_model: Any,
    make_reducer: Any,
    make_kmeans: Any,
    make_search_kmeans: Any,
) -> tuple[Any, Any, np.ndarray, list[str], str, Any, np.ndarray]:
    """Fit reduction and k-means on the sample (in content order); its labels in sample order."""
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    sample = Docs(
        doc_ids=docs.doc_ids[positions],
        texts=[docs.texts[i] for i in positions],
        participant_ids=None,
    )
    order = content_order(sample, vectors)
    sorted_vectors = vectors[order]
    clean = clean_texts([sample.texts[i] for i in order])
    vocab = vocabulary(clean)
    n, dim = sorted_vectors.shape
    selection = None
    with threadpool_limits(limits=1):
        reducer = clone(reduction_model) if reduction_model is not None else make_reducer(n, dim)
        reduced = reducer.fit_transform(sorted_vectors)
        if cluster_model is not None:
            clusterer, criterion = clone(cluster_model), "given cluster_model"
        elif isinstance(n_topics, int):
            clusterer, criterion = make_kmeans(n_topics), f"n_topics={n_topics} given"
        else:
            low, high = k_range(n, min_topic_size, n_topics)
            selection = choose_k(
                reduced, clean, vocab, k_low=low, k_high=high,
                min_topic_size=min_topic_size, random_state=random_state,
                make_cluster=make_search_kmeans,
            )  # fmt: skip
            clusterer, criterion = make_kmeans(selection.k), selection.criterion
        clusterer.fit(reduced)
    labels = np.asarray(clusterer.labels_, dtype=np.int64)
    k = int(getattr(clusterer, "n_clusters", labels.max() + 1))
    centroids = cluster_centroids(sorted_vectors, labels, k)
    sample_labels = np.empty_like(labels)
    sample_labels[order] = labels  # back to the order of `positions`
    return reducer, clusterer, centroids, vocab, criterion, selection, sample_labels


def _keyword_labels(per_cluster: Any, vocab: list[str]) -> tuple[list[list[str]], list[str]]:
    from voc._topic_model import _short_label

    tops = top_words(c_tf_idf(per_cluster), np.asarray(vocab, dtype=object))
    return tops, [_short_label(t) for t in tops]


def fit_kmeans(
    docs: Docs,
    vectors: np.ndarray | None,
    *,
    backend: str,
    n_topics: Any,
    min_topic_size: int,
    random_state: int,
    reduction_model: Any,
    cluster_model: Any,
    max_fit_docs: int,
    engine: str,
    scheduler: Any,
    partition_size: int,
    make_reducer: Any,
    make_kmeans: Any,
    make_search_kmeans: Any,
) -> dict[str, Any]:
    """Fit on a content-keyed sample, then place every document; the pieces of a TopicResult."""
    from voc._topic_model import _embed

    n = len(docs)
    if vectors is None and engine == "local":
        vectors = _embed(docs, content_order(docs), backend, random_state)
    if vectors is None and _corpus_dependent(backend):
        raise ValueError(
            f"engine='dask' embeds the documents partition by partition, but the {backend!r} "
            "backend is fitted on the whole corpus: use 'static', 'minilm' or 'local:<path>', "
            "or pass embeddings="
        )
    positions = sample_positions(docs.doc_ids, docs.texts, max_fit_docs, random_state)
    if vectors is None:
        sample_docs = Docs(docs.doc_ids[positions], [docs.texts[i] for i in positions], None)
        sample_vectors = _embed(sample_docs, content_order(sample_docs), backend, random_state)
    else:
        sample_vectors = vectors[positions]
    reducer, kmeans, centroids, vocab, criterion, selection, sample_labels = _fit_sample(
        docs, positions, sample_vectors, n_topics=n_topics, min_topic_size=min_topic_size,
        random_state=random_state, reduction_model=reduction_model,
        cluster_model=cluster_model, make_reducer=make_reducer, make_kmeans=make_kmeans,
        make_search_kmeans=make_search_kmeans,
    )  # fmt: skip
    fitted = FittedKMeans(
        reducer, kmeans, centroids, vocab, backend, {"random_state": random_state}
    )
    if len(positions) < n:
        criterion += (
            f"; fitted on a content-keyed sample of {len(positions):,} of {n:,} documents "
            f"(random_state={random_state}), every document then placed at its nearest "
            "k-means centre"
        )
    given = None
    if not hasattr(kmeans, "predict"):  # e.g. agglomerative clustering: its own labels
        if len(positions) < n or engine != "local":
            raise ValueError(
                f"cluster_model {type(kmeans).__name__} cannot place documents outside its fit "
                "(it has no predict): raise max_fit_docs above the number of documents and use "
                "engine='local'"
            )
        given = sample_labels
    if engine == "dask":
        from voc._topic_dask import assign_dask

        labels, scores, per_cluster = assign_dask(
            fitted, docs.texts, vectors, scheduler=scheduler, partition_size=partition_size
        )
    else:
        labels, scores, per_cluster = assign_local(
            fitted, docs.texts, vectors, partition_size, labels=given
        )
    return _assemble(docs, fitted, labels, scores, per_cluster, criterion, selection)


def _corpus_dependent(backend: str) -> bool:
    from voc.embeddings import get_backend

    return bool(getattr(get_backend(backend), "corpus_dependent", False))


def assign_local(
    fitted: FittedKMeans,
    texts: list[str],
    vectors: np.ndarray | None,
    partition_size: int,
    *,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, Any]:
    """`assign_partition` over consecutive partitions in this process (``labels``: given)."""
    given = labels
    labels, scores, per_cluster = [], [], None
    for start in range(0, len(texts), partition_size):
        stop = min(start + partition_size, len(texts))
        part = None if vectors is None else vectors[start:stop]
        fixed = None if given is None else given[start:stop]
        lab, sc, counts = assign_partition(fitted, texts[start:stop], part, labels=fixed)
        labels.append(lab)
        scores.append(sc)
        per_cluster = counts if per_cluster is None else per_cluster + counts
    return np.concatenate(labels), np.concatenate(scores), per_cluster


def _assemble(
    docs: Docs,
    fitted: FittedKMeans,
    labels: np.ndarray,
    scores: np.ndarray,
    per_cluster: Any,
    criterion: str,
    selection: Any,
) -> dict[str, Any]:
    """Number topics by content (size, label, smallest member digest) and build the tables."""
    n, k = len(labels), fitted.k
    sizes = np.bincount(labels, minlength=k)
    tops, names = _keyword_labels(per_cluster, fitted.vocabulary)
    alive = [c for c in range(k) if sizes[c] > 0]
    tied = pd.Series([(sizes[c], names[c]) for c in alive]).duplicated(keep=False).to_numpy()
    first = {c: b"" for c in alive}
    for c, is_tied in zip(alive, tied, strict=True):
        if is_tied:  # only then is the smallest member digest needed
            members = np.flatnonzero(labels == c)
            first[c] = min(_digest(docs.texts[i], docs.doc_ids[i]) for i in members)
    ranked = sorted(alive, key=lambda c: (-sizes[c], names[c], first[c]))
    new_id = np.full(k, -1, dtype=np.int64)
    new_id[ranked] = np.arange(len(ranked))
    topic = new_id[labels]
    records = []
    for c in ranked:
        members = np.flatnonzero(labels == c)
        # best score first; ties by content (text digest), never by input position
        best = members[np.argsort(-scores[members], kind="stable")]
        cut = scores[best[min(_N_REPRESENTATIVE, len(best)) - 1]]
        pool = best[scores[best] >= cut]
        pool = sorted(pool, key=lambda i: (-scores[i], _digest(docs.texts[i], docs.doc_ids[i])))
        picks = pool[:_N_REPRESENTATIVE]
        records.append(
            {
                "topic": int(new_id[c]),
                "label": names[c],
                "size": int(sizes[c]),
                "share": sizes[c] / n,
                "keywords": list(tops[c]),
                "representative_docs": [docs.texts[i] for i in picks],
                "representative_doc_ids": [docs.doc_ids[i] for i in picks],
            }
        )
    topics = pd.DataFrame.from_records(records).astype({"topic": "int64", "size": "int64"})
    doc_topics = pd.DataFrame({"doc_id": docs.doc_ids})
    if docs.participant_ids is not None:
        doc_topics["participant_id"] = docs.participant_ids
    doc_topics["topic"] = topic
    doc_topics["topic_label"] = np.asarray(names, dtype=object)[labels]
    doc_topics["score"] = scores
    doc_topics["is_outlier"] = np.zeros(n, dtype=bool)
    return {
        "doc_topics": doc_topics,
        "topics": topics,
        "centroids": fitted.centroids[ranked],
        "fitted": fitted,
        "cluster_topic": new_id,
        "criterion": criterion,
        "selection": selection.table if selection is not None else None,
    }


def assign_topics(result: Any, texts: Any, *, embeddings: Any = None) -> pd.DataFrame:
    """Place new documents in the topics of a k-means fit (``fit_topics(method="kmeans")``).

    Each document goes to its nearest k-means centre in the fitted reduced space — the rule
    the fit itself used for documents outside its sample — and gets that topic's label and
    its cosine similarity to the topic centroid.

    Parameters
    ----------
    result : TopicResult
        A k-means fit.
    texts : DataFrame, Series or list of str
        As for `fit_topics`.
    embeddings : array-like, optional
        Their embeddings, from the backend the fit used; when None they are embedded with
        that backend (not possible for ``tfidf``, which is fitted on a whole corpus).

    Returns
    -------
    DataFrame
        ``doc_id``, (``participant_id``), ``topic``, ``topic_label``, ``score``.
    """
    from voc._topic_docs import as_docs, as_embeddings

    if getattr(result, "fitted", None) is None:
        raise ValueError("assign_topics needs a k-means fit (fit_topics with method='kmeans')")
    docs = as_docs(texts)
    vectors = None if embeddings is None else as_embeddings(embeddings, len(docs))
    if vectors is None and _corpus_dependent(result.fitted.backend):
        raise ValueError(
            f"the {result.fitted.backend!r} backend is fitted on a whole corpus: pass embeddings="
        )
    labels, scores, _ = assign_local(result.fitted, docs.texts, vectors, DEFAULT_PARTITION_SIZE)
    topic = result._cluster_topic[labels]
    names = dict(zip(result.topics["topic"], result.topics["label"], strict=True))
    out = pd.DataFrame({"doc_id": docs.doc_ids})
    if docs.participant_ids is not None:
        out["participant_id"] = docs.participant_ids
    out["topic"] = topic.astype(np.int64)
    out["topic_label"] = [names[t] for t in topic.tolist()]
    out["score"] = scores
    return out
