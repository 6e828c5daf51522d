"""voc's default topic pipeline, without BERTopic's import cost (private).

``import bertopic`` pulls in sentence-transformers, transformers and torch: about 9 s on a
2-core laptop before anything is fitted, more than the whole default pipeline takes on
5,000 comments. The k-means path therefore runs on scikit-learn alone, with BERTopic's own
formulas: its text cleaning (`voc._topic_select.clean_texts`), a CountVectorizer with
English stop words and 1-2-grams, and its class-based TF-IDF (``ClassTfidfTransformer``
defaults, `c_tf_idf`). ``TopicResult.model`` builds the equivalent BERTopic model on first
use, for the analyst who wants BERTopic's own tools.

The fit is split so that it scales out: `fit_sample` fits the reduction and k-means on a
sample, and `assign_partition` places any batch of documents (embedding it first when no
vectors are given) — the same function runs in-process (engine "local") and on Dask workers
(engine "dask"), so both give the same assignments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from voc._topic_select import stop_words

__all__ = [
    "FittedKMeans",
    "assign_partition",
    "c_tf_idf",
    "count_terms",
    "sample_positions",
]


@dataclass(frozen=True, eq=False)
class FittedKMeans:
    """Everything needed to place new documents (picklable: shipped to Dask workers).

    Attributes
    ----------
    reducer : sklearn Pipeline
        Fitted PCA + row normalisation.
    kmeans : sklearn KMeans
        Fitted k-means on the reduced sample.
    centroids : ndarray of shape (k, dim)
        Unit mean embedding of each k-means cluster's sample members (cluster order): the
        reference of a document's ``score``.
    vocabulary : list of str
        Keyword terms (1-2-grams) found in the sample.
    backend : str or None
        Embedding backend used for documents given without vectors.
    backend_options : dict
        Its options (``random_state`` etc.).
    """

    reducer: Any
    kmeans: Any
    centroids: np.ndarray
    vocabulary: list[str]
    backend: str | None = None
    backend_options: dict[str, Any] | None = None

    @property
    def k(self) -> int:
        return int(self.kmeans.n_clusters)


def sample_positions(doc_ids: Any, texts: list[str], size: int, random_state: int) -> np.ndarray:
    """A content-keyed random sample: the ``size`` documents with the smallest seeded hash.

    The hash covers the text and the doc_id, keyed by ``random_state``, so the same
    documents in any order give the same sample, and another seed another sample.
    Returned sorted (input positions).
    """
    n = len(texts)
    if size >= n:
        return np.arange(n, dtype=np.int64)
    key = int(random_state).to_bytes(8, "little", signed=False)
    digests = [
        hashlib.blake2b(f"{d}\x1f{t}".encode(), digest_size=8, key=key).digest()
        for d, t in zip(doc_ids, texts, strict=True)
    ]
    ranks = np.argsort(np.array(digests, dtype="S8"), kind="stable")
    return np.sort(ranks[:size]).astype(np.int64)


def _unit(vectors: np.ndarray) -> np.ndarray:
    x = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def cluster_centroids(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Unit mean of the unit embeddings of each cluster 0..k-1 (a zero row for an empty one)."""
    import scipy.sparse as sp

    n = len(labels)
    member = sp.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    return _unit(member @ _unit(vectors))


def count_terms(clean: list[str], vocabulary: list[str]) -> Any:
    """Document-term counts (CSR) over a fixed 1-2-gram vocabulary, BERTopic's tokenising."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(stop_words=stop_words(), ngram_range=(1, 2), vocabulary=vocabulary)
    return vectorizer.transform(clean).tocsr()


def class_counts(counts: Any, labels: np.ndarray, k: int) -> Any:
    """Term counts summed per class 0..k-1 (CSR, k x terms)."""
    import scipy.sparse as sp

    n = counts.shape[0]
    member = sp.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    return (member @ counts).tocsr()


def c_tf_idf(per_class: Any) -> np.ndarray:
    """BERTopic's class-based TF-IDF with ``ClassTfidfTransformer()`` defaults.

    ``tf`` = the class's term counts scaled to sum 1 (L1), ``idf = log(1 + A / f_t)`` with
    ``A`` the average number of words per class (as an int) and ``f_t`` the term's count
    over all classes (Grootendorst 2022, eq. 1). Dense, classes x terms.
    """
    counts = np.asarray(per_class.todense() if hasattr(per_class, "todense") else per_class)
    counts = counts.astype(float)
    total = counts.sum(axis=0)
    avg = int(counts.sum(axis=1).mean()) if len(counts) else 0
    idf = np.log(np.divide(avg, total, out=np.zeros_like(total), where=total > 0) + 1)
    sums = counts.sum(axis=1, keepdims=True)
    tf = np.divide(counts, sums, out=np.zeros_like(counts), where=sums > 0)
    return tf * idf


def _embed_partition(texts: list[str], fitted: FittedKMeans) -> np.ndarray:
    from voc.embeddings import embed

    if fitted.backend is None:
        raise ValueError("these documents have no embeddings and the fit names no backend")
    return embed(texts, backend=fitted.backend, cache_dir=None, **(fitted.backend_options or {}))


def assign_partition(
    fitted: FittedKMeans,
    texts: list[str],
    vectors: np.ndarray | None = None,
    *,
    labels: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, Any]:
    """Place one batch of documents: k-means cluster, score and per-cluster term counts.

    Parameters
    ----------
    fitted : FittedKMeans
    texts : list of str
        The documents (raw text; cleaned here as BERTopic cleans them).
    vectors : ndarray, optional
        Their embeddings; embedded with ``fitted.backend`` when None.
    labels : ndarray, optional
        Clusters already known (a clusterer without ``predict``, on its own fit documents).

    Returns
    -------
    labels : ndarray of int64
        The nearest k-means centre in the reduced space (k-means' own rule).
    scores : ndarray of float64
        Cosine similarity of each document to its cluster's centroid (embedding space).
    counts : scipy.sparse.csr_matrix
        Term counts summed per cluster (k x vocabulary).
    """
    from threadpoolctl import threadpool_limits

    from voc._topic_select import clean_texts

    if vectors is None:
        vectors = _embed_partition(list(texts), fitted)
    vectors = np.asarray(vectors)
    if labels is None:
        with threadpool_limits(limits=1):
            reduced = fitted.reducer.transform(vectors)
            labels = np.asarray(fitted.kmeans.predict(reduced), dtype=np.int64)
    unit = _unit(vectors)
    scores = np.einsum("ij,ij->i", unit, fitted.centroids[labels])
    counts = class_counts(
        count_terms(clean_texts(list(texts)), fitted.vocabulary), labels, fitted.k
    )
    return labels, scores, counts
