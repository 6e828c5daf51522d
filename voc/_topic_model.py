"""BERTopic with injected, seeded components; topics keyed by content (private).

The public names are re-exported by :mod:`voc.topics`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from voc._topic_docs import Docs, as_docs, as_embeddings, content_order
from voc._topic_select import (
    N_TOP_WORDS,
    clean_texts,
    stop_words,
    top_words,
    vocabulary,
)

__all__ = ["ENGINES", "METHODS", "OUTLIER_LABEL", "TopicResult", "build_topic_model", "fit_topics"]

#: ``method=`` values of `fit_topics` ("auto" is "kmeans").
METHODS = ("auto", "kmeans", "hdbscan")
#: ``engine=`` values of `fit_topics`.
ENGINES = ("local", "dask")
#: ``topic_label`` of documents in no topic (HDBSCAN outliers, topic -1).
OUTLIER_LABEL = "(outliers)"
_N_COMPONENTS = 10  # PCA dimensions before k-means
_N_INIT = 10  # k-means restarts of the final fit
_N_INIT_SEARCH = 3  # ... and of each k tried while choosing k
_N_REPRESENTATIVE = 3


@dataclass(frozen=True, eq=False)
class TopicResult:
    """A fitted topic model and its tables (returned by `fit_topics`).

    Attributes
    ----------
    doc_topics : DataFrame
        One row per document, in input order: ``doc_id``, ``participant_id`` (when the input
        had it), ``topic`` (-1 = outlier), ``topic_label``, ``score`` (cosine similarity of the
        document to its topic's centroid; NaN for outliers), ``is_outlier`` (HDBSCAN left it
        out, even if `reduce_outliers` then reassigned it).
    topics : DataFrame
        One row per topic (0, 1, ... by size, ties by label; -1 last if any): ``topic``,
        ``label`` (the top 3 keywords, skipping one that shares a word with a kept one),
        ``size``, ``share``, ``keywords`` (top 10 by c-TF-IDF, ties alphabetical; list),
        ``representative_docs`` and ``representative_doc_ids`` (the 3 documents closest to
        the centroid, ties by content).
    outlier_share : float
        Share of documents HDBSCAN put in no topic (before any reassignment); 0 for k-means.
    method : str
        "kmeans" or "hdbscan".
    n_topics_criterion : str
        How the number of topics was chosen (and, for a large corpus, the fit sample).
    selection : DataFrame or None
        The k search (``k, coherence, diversity, quality, silhouette, min_size,
        quality_smoothed, is_admissible, is_chosen``) when `fit_topics` chose k, else None.
    centroids : ndarray or None
        Unit-length mean embedding of each topic 0, 1, ... (rows in topic order), the
        reference of ``score`` and of the representative documents.
    fitted : FittedKMeans or None
        k-means only: the fitted reduction and k-means that `assign_topics` uses to place
        new documents.
    model : bertopic.BERTopic
        The equivalent BERTopic model. For k-means it is built on first access from the
        documents and their topics (BERTopic's manual topic modelling), so the default
        pipeline never pays BERTopic's import; ``model_topic_ids`` maps voc's topic numbers
        to the model's.
    """

    doc_topics: pd.DataFrame = field(repr=False)
    topics: pd.DataFrame = field(repr=False)
    outlier_share: float
    method: str
    n_topics_criterion: str
    selection: pd.DataFrame | None = field(default=None, repr=False)
    centroids: np.ndarray | None = field(default=None, repr=False)
    fitted: Any = field(default=None, repr=False)
    _cluster_topic: np.ndarray | None = field(default=None, repr=False)
    _model_source: Any = field(default=None, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def model(self) -> Any:
        if "model" not in self._cache:
            self._cache["model"], self._cache["ids"] = self._model_source()
        return self._cache["model"]

    @property
    def model_topic_ids(self) -> dict[int, int]:
        """voc topic number -> the topic id inside `model`."""
        self.model  # noqa: B018 - builds it
        return dict(self._cache["ids"])


def _bertopic_from_assignments(
    texts: list[str], vectors: np.ndarray, topics: np.ndarray, vocab: list[str]
) -> tuple[Any, dict[int, int]]:
    """A BERTopic fitted on given assignments (``BaseCluster``: no clustering of its own)."""
    bertopic = _import_bertopic()
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction

    model = _assemble(BaseDimensionalityReduction(), BaseCluster(), vocab)
    with _quiet_bertopic():
        model.fit(texts, embeddings=vectors, y=np.asarray(topics))
    del bertopic
    theirs = np.asarray(model.topics_, dtype=np.int64)
    ids = {
        int(t): int(m) for t, m in zip(np.asarray(topics).tolist(), theirs.tolist(), strict=True)
    }
    return model, ids


def _import_bertopic() -> Any:
    import warnings

    try:
        with warnings.catch_warnings():  # umap: "Tensorflow not installed; ParametricUMAP ..."
            warnings.simplefilter("ignore", ImportWarning)
            import bertopic
    except ImportError as error:  # pragma: no cover - bertopic is a core dependency
        raise ImportError(
            "voc.topics needs BERTopic: pip install 'bertopic>=0.16.4' (or pip install voc)"
        ) from error
    return bertopic


@contextmanager
def _quiet_bertopic() -> Iterator[None]:
    """Silence BERTopic's logger (it prints advice when topics are set by hand)."""
    logger = logging.getLogger("BERTopic")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")
    return int(value)


def _default_reduction(n_docs: int, dim: int, random_state: int) -> Any:
    """PCA to 10 dimensions, then each row scaled to unit length (k-means on directions).

    Without the scaling, documents that load weakly on every component pile up near the
    origin and k-means makes one large catch-all topic of them (a third of the example
    study's comments with TF-IDF embeddings).
    """
    from sklearn.decomposition import PCA
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Normalizer

    n_components = max(1, min(_N_COMPONENTS, dim, n_docs - 1))
    return Pipeline(
        [("pca", PCA(n_components=n_components, random_state=random_state)), ("norm", Normalizer())]
    )


def _kmeans(k: int, random_state: int, n_init: int = _N_INIT) -> Any:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=n_init, random_state=random_state)


def _umap(n_docs: int, random_state: int) -> Any:
    from umap import UMAP

    # n_jobs=1: a seeded UMAP runs single-threaded anyway (and warns if told otherwise)
    return UMAP(
        n_neighbors=min(15, n_docs - 1),
        n_components=5,
        min_dist=0.0,
        metric="cosine",
        random_state=random_state,
        n_jobs=1,
    )


def _hdbscan(min_topic_size: int) -> Any:
    from hdbscan import HDBSCAN

    return HDBSCAN(
        min_cluster_size=min_topic_size,
        metric="euclidean",
        cluster_selection_method="eom",
        prediction_data=True,
    )


def _assemble(
    reduction_model: Any, cluster_model: Any, vocab: list[str] | None, **options: Any
) -> Any:
    bertopic = _import_bertopic()
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(stop_words=stop_words(), ngram_range=(1, 2), vocabulary=vocab)
    return bertopic.BERTopic(
        embedding_model=None,  # embeddings always come precomputed: nothing to download
        umap_model=reduction_model,
        hdbscan_model=cluster_model,
        vectorizer_model=vectorizer,
        ctfidf_model=ClassTfidfTransformer(),
        top_n_words=N_TOP_WORDS,
        calculate_probabilities=False,
        verbose=False,
        **options,
    )


def build_topic_model(
    *,
    method: str = "kmeans",
    n_topics: int | None = 8,
    min_topic_size: int = 10,
    random_state: int = 0,
    vocabulary: list[str] | None = None,
) -> Any:
    """An unfitted BERTopic with voc's seeded components, for use outside `fit_topics`.

    "kmeans": PCA to 10 dimensions, rows scaled to unit length, ``KMeans(n_topics,
    n_init=10)``; "hdbscan":
    ``UMAP(n_neighbors=15, n_components=5, metric="cosine")`` + ``HDBSCAN(min_topic_size)``,
    merged down to ``n_topics`` when it is given. Both: ``embedding_model=None`` (pass
    embeddings to ``fit``), c-TF-IDF keywords from a ``CountVectorizer`` with English stop
    words and ngrams (1, 2), ``calculate_probabilities=False``. Prefer `fit_topics`, which
    also fixes the document order, chooses k and keys topics by content.

    Parameters
    ----------
    method : {"kmeans", "hdbscan"}, default="kmeans"
    n_topics : int or None, default=8
        Number of k-means clusters (required for "kmeans"); for "hdbscan", BERTopic's
        ``nr_topics`` (None = keep HDBSCAN's clusters).
    min_topic_size : int, default=10
    random_state : int, default=0
        Seed of PCA, k-means and UMAP.
    vocabulary : list of str, optional
        Fixed keyword vocabulary for the CountVectorizer.

    Returns
    -------
    bertopic.BERTopic
    """
    if method not in ("kmeans", "hdbscan"):
        raise ValueError(f"method must be 'kmeans' or 'hdbscan'; got {method!r}")
    random_state = _check_int("random_state", random_state, 0)
    if method == "kmeans":
        k = _check_int("n_topics", n_topics, 2)
        return _assemble(
            _default_reduction(10**9, 10**9, random_state), _kmeans(k, random_state), vocabulary
        )
    return _assemble(
        _umap(16, random_state),
        _hdbscan(_check_int("min_topic_size", min_topic_size, 2)),
        vocabulary,
        min_topic_size=min_topic_size,
        nr_topics=None if n_topics is None else _check_int("n_topics", n_topics, 2),
    )


def _check_n_topics(n_topics: Any, n_docs: int, method: str) -> Any:
    if n_topics is None:
        return None
    if isinstance(n_topics, tuple | list) and method == "kmeans":
        if len(n_topics) != 2:
            raise ValueError(f"n_topics as a range must be (low, high); got {n_topics!r}")
        low, high = (_check_int("n_topics", v, 2) for v in n_topics)
        if low > high or high >= n_docs:
            raise ValueError(f"n_topics range {n_topics!r} must have 2 <= low <= high < n_docs")
        return (low, high)
    k = _check_int("n_topics", n_topics, 2)
    if k >= n_docs:
        raise ValueError(f"n_topics={k} must be smaller than the number of documents ({n_docs})")
    return k


def _embed(docs: Docs, order: np.ndarray, backend: str, random_state: int) -> np.ndarray:
    from voc.embeddings import embed  # lazy: loads a model only when no embeddings are given

    sorted_texts = [docs.texts[i] for i in order]
    vectors = as_embeddings(
        embed(sorted_texts, backend=backend, random_state=random_state), len(docs)
    )
    out = np.empty_like(vectors)
    out[order] = vectors
    return out


def _normalise(embeddings: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    return np.divide(embeddings, norms, out=np.zeros_like(embeddings), where=norms > 0)


def _short_label(keywords: list[str]) -> str:
    """Top 3 keywords without repeats: a term sharing a word with a kept term is skipped."""
    kept: list[str] = []
    seen: set[str] = set()
    for term in keywords:
        words = set(term.split())
        if words & seen:
            continue
        kept.append(term)
        seen |= words
        if len(kept) == 3:
            break
    return ", ".join(kept) if kept else "(no keywords)"


def _keywords(model: Any, topic_ids: list[int]) -> dict[int, list[str]]:
    """Top c-TF-IDF terms per BERTopic topic, ties broken alphabetically."""
    words = np.asarray(model.vectorizer_model.get_feature_names_out(), dtype=object)
    scores = model.c_tf_idf_.toarray()
    rows = sorted(topic_ids)  # c_tf_idf_ has one row per topic, in sorted topic order
    tops = top_words(scores, words)
    return {t: tops[rows.index(t)] for t in topic_ids}


def _tables(
    docs: Docs,
    order: np.ndarray,
    sorted_embeddings: np.ndarray,
    model_topics: np.ndarray,
    is_outlier: np.ndarray,
    model: Any,
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, dict[int, int]]:
    """doc_topics, topics, centroids and voc -> model topic ids (arrays in content order)."""
    n = len(model_topics)
    unit = _normalise(sorted_embeddings)
    ids = sorted(set(model_topics.tolist()))
    keywords = _keywords(model, ids)
    real = [t for t in ids if t != -1]
    info = {}
    for t in real:
        members = np.flatnonzero(model_topics == t)
        centroid = _normalise(unit[members].mean(axis=0, keepdims=True))[0]
        info[t] = (members, centroid, _short_label(keywords[t]))
    # content-keyed numbering: size desc, then label, then the first member in content order
    ranked = sorted(real, key=lambda t: (-len(info[t][0]), info[t][2], int(info[t][0][0])))
    new_id = {t: i for i, t in enumerate(ranked)} | {-1: -1}
    centroids = np.vstack([info[t][1] for t in ranked]) if ranked else np.empty((0, unit.shape[1]))
    score = np.full(n, np.nan)
    records = []
    for t in [*ranked, *([-1] if -1 in ids else [])]:
        members = np.flatnonzero(model_topics == t)
        if t == -1:
            label, picks = OUTLIER_LABEL, members[:0]
        else:
            label = info[t][2]
            score[members] = unit[members] @ info[t][1]
            picks = members[np.argsort(-score[members], kind="stable")[:_N_REPRESENTATIVE]]
        records.append(
            {
                "topic": new_id[t],
                "label": label,
                "size": len(members),
                "share": len(members) / n,
                "keywords": list(keywords[t]) if t != -1 else [],
                "representative_docs": [docs.texts[order[i]] for i in picks],
                "representative_doc_ids": [docs.doc_ids[order[i]] for i in picks],
            }
        )
    topics = pd.DataFrame.from_records(records).astype({"topic": "int64", "size": "int64"})
    labels = dict(zip(topics["topic"], topics["label"], strict=True))
    topic_sorted = np.array([new_id[t] for t in model_topics.tolist()], dtype=np.int64)
    back = np.empty(n, dtype=np.int64)
    back[order] = np.arange(n)  # input position -> content position
    doc_topics = pd.DataFrame({"doc_id": docs.doc_ids})
    if docs.participant_ids is not None:
        doc_topics["participant_id"] = docs.participant_ids
    doc_topics["topic"] = topic_sorted[back]
    doc_topics["topic_label"] = [labels[t] for t in doc_topics["topic"]]
    doc_topics["score"] = score[back]
    doc_topics["is_outlier"] = is_outlier[back]
    return doc_topics, topics, centroids, {int(v): int(t) for t, v in new_id.items()}


def fit_topics(
    texts: Any,
    *,
    embeddings: Any = None,
    backend: str = "tfidf",
    n_topics: int | tuple[int, int] | None = None,
    min_topic_size: int = 10,
    method: str = "auto",
    random_state: int = 0,
    reduce_outliers: bool = True,
    reduction_model: Any = None,
    cluster_model: Any = None,
    max_fit_docs: int = 20_000,
    engine: str = "local",
    scheduler: Any = None,
    partition_size: int = 20_000,
) -> TopicResult:
    """Topics of short texts with BERTopic: reproducible, order-free and keyed by content.

    The documents are sorted by a hash of their content (text, embedding, doc_id) before
    anything is fitted and mapped back afterwards, so the same documents in any order give
    the same topics and assignments. Topics are numbered by size (ties by label) and
    labelled by their top 3 c-TF-IDF keywords, never by BERTopic's arbitrary ids.

    ``method="auto"``/``"kmeans"`` (the default pipeline): PCA to 10 dimensions, rows scaled
    to unit length, then ``KMeans(k, n_init=10, random_state)``; every document gets a topic. With
    ``n_topics=None`` k is chosen: see Notes. ``method="hdbscan"``: UMAP (5-d, cosine,
    seeded) + HDBSCAN(``min_cluster_size=min_topic_size``) for outlier detection; outliers
    (topic -1) are reassigned to the most similar topic with BERTopic's
    ``reduce_outliers(strategy="embeddings")`` when ``reduce_outliers`` is True (keywords are
    then recomputed; an outlier with no positive cosine similarity to any topic stays one). Keywords: BERTopic's c-TF-IDF over a vocabulary of 1-2-grams without
    English stop words, kept if they occur in enough documents (1 below 50 documents, 2
    below 2,000, else 0.1 %).

    Parameters
    ----------
    texts : DataFrame, Series or list of str
        ``doc_id, text`` (and optionally ``participant_id``, which is carried into
        ``doc_topics``), e.g. one ``origin`` of ``voc.io.read_documents``; a Series (index =
        doc_id) or a list (doc_id = position).
    embeddings : array-like of shape (n_docs, dim), optional
        Precomputed embeddings in the order of ``texts``. When None, ``voc.embeddings.embed``
        is called with ``backend`` (on the texts in content order).
    backend : str, default="tfidf"
        Embedding backend when ``embeddings`` is None (see ``voc.embeddings``).
    n_topics : int, (int, int) or None, default=None
        k-means: a fixed k, a range to search, or None to search
        2..min(30, n_docs // min_topic_size). HDBSCAN: None keeps its clusters, an int merges
        them down with BERTopic's ``nr_topics``.
    min_topic_size : int, default=10
        Smallest topic wanted: a k whose k-means topics are smaller is not chosen; HDBSCAN's
        ``min_cluster_size``. At least ``max(10, 2 * min_topic_size)`` documents are needed.
    method : {"auto", "kmeans", "hdbscan"}, default="auto"
    random_state : int, default=0
        Seed of PCA, k-means, UMAP and the silhouette sample.
    reduce_outliers : bool, default=True
        HDBSCAN only: reassign outliers to the nearest topic.
    reduction_model, cluster_model : estimator, optional
        Replace the default PCA / clusterer (cloned, never mutated). With a ``cluster_model``
        k is whatever it finds.

    Returns
    -------
    TopicResult
        ``model``, ``doc_topics``, ``topics``, ``outlier_share``, ``method``,
        ``n_topics_criterion``, ``selection`` (the k search) and ``centroids`` (unit vectors,
        one row per topic 0, 1, ... in embedding space).

    Raises
    ------
    ValueError
        Too few documents (the message says how many are needed), bad parameters.

    Notes
    -----
    **Choosing k.** For each k in the range, k-means (seeded) is fitted on the reduced
    embeddings; the chosen k maximises *topic quality* = NPMI coherence x topic diversity of
    the top-10 c-TF-IDF unigrams of its topics (Dieng, Ruiz & Blei 2020), averaged over k-1,
    k and k+1 (one k-means solution's quality is noisy; neighbouring k share most topics),
    among the k whose every topic has >= ``min_topic_size`` documents. Coherence rewards
    topics whose keywords occur together in documents (NPMI over document co-occurrence in
    this corpus); diversity penalises topics that repeat each other's keywords. Silhouette is
    reported in ``selection`` but not used: on survey comments that mix themes it keeps
    rising with k. Each k tried gets 3 k-means restarts (the smoothing absorbs the extra
    noise), the chosen k a final fit with 10. k-means runs
    single-threaded: on small machines its OpenMP threads fight with BLAS (seconds instead
    of milliseconds), and one thread gives the same numbers on any machine.

    **Reduction.** PCA to 10 dimensions, then each row scaled to unit length: k-means then
    groups directions (cosine), and documents that load weakly on every component do not
    pile up in one catch-all topic near the origin.

    K-means over UMAP + HDBSCAN: on a labelled news set k-means found the classes far
    better (AMI 0.60 vs 0.29-0.38) and has no outlier topic; UMAP costs 20-45 s of JIT
    compilation per fresh process (measurements in REFERENCES.md).

    References
    ----------
    Dieng, A. B., Ruiz, F. J. R., & Blei, D. M. (2020). Topic modeling in embedding spaces.
    TACL, 8, 439-453. Grootendorst, M. (2022). BERTopic: Neural topic modeling with a
    class-based TF-IDF procedure. arXiv:2203.05794.

    Examples
    --------
    The fit is skipped in doctests: importing BERTopic takes ~10 s and makes umap warn.

    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> import voc.topics as vt
    >>> vectors, cluster = make_blobs(40, n_features=5, centers=2, random_state=0)
    >>> words = ["invoice price fees", "support ticket slow"]
    >>> texts = [f"{words[c]} case{i % 4}" for i, c in enumerate(cluster)]
    >>> result = vt.fit_topics(texts, embeddings=vectors, n_topics=2)  # doctest: +SKIP
    >>> result.topics[["topic", "label", "size"]]  # doctest: +SKIP
       topic                  label  size
    0      0   fees, invoice, price    20
    1      1  slow, support, ticket    20
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}; got {method!r}")
    method = "kmeans" if method == "auto" else method
    random_state = _check_int("random_state", random_state, 0)
    min_topic_size = _check_int("min_topic_size", min_topic_size, 2)
    docs = as_docs(texts)
    n = len(docs)
    needed = max(10, 2 * min_topic_size)
    if n < needed:
        raise ValueError(
            f"fit_topics needs at least {needed} documents (2 x min_topic_size={min_topic_size}"
            f", and never fewer than 10); got {n}. Lower min_topic_size, or code so few "
            "documents by hand"
        )
    n_topics = _check_n_topics(n_topics, n, method)
    max_fit_docs = _check_int("max_fit_docs", max_fit_docs, needed)
    partition_size = _check_int("partition_size", partition_size, 1)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}; got {engine!r}")
    if method == "kmeans":
        return _fit_kmeans(
            docs, embeddings, backend=backend, n_topics=n_topics,
            min_topic_size=min_topic_size, random_state=random_state,
            reduction_model=reduction_model, cluster_model=cluster_model,
            max_fit_docs=max_fit_docs, engine=engine, scheduler=scheduler,
            partition_size=partition_size,
        )  # fmt: skip
    if engine != "local":
        raise ValueError("engine='dask' places documents by k-means: use method='kmeans'")
    if embeddings is None:
        vectors = _embed(docs, content_order(docs), backend, random_state)
    else:
        vectors = as_embeddings(embeddings, n)
    order = content_order(docs, vectors)
    sorted_vectors = vectors[order]
    clean = clean_texts([docs.texts[i] for i in order])
    vocab = vocabulary(clean)
    return _fit(
        docs, order, sorted_vectors, clean, vocab, method, n_topics, min_topic_size,
        random_state, reduce_outliers, reduction_model, cluster_model,
    )  # fmt: skip


def _fit_kmeans(docs: Docs, embeddings: Any, **options: Any) -> TopicResult:
    from voc._topic_kmeans import fit_kmeans

    n = len(docs)
    vectors = None if embeddings is None else as_embeddings(embeddings, n)
    random_state = options["random_state"]
    parts = fit_kmeans(
        docs,
        vectors,
        make_reducer=lambda n_docs, dim: _default_reduction(n_docs, dim, random_state),
        make_kmeans=lambda k: _kmeans(k, random_state),
        make_search_kmeans=lambda k: _kmeans(k, random_state, _N_INIT_SEARCH),
        **options,
    )
    doc_topics = parts["doc_topics"]

    def source() -> tuple[Any, dict[int, int]]:
        used = vectors
        if used is None:
            used = _embed(docs, content_order(docs), options["backend"], random_state)
        order = content_order(docs, used)
        topics = doc_topics["topic"].to_numpy()[order]
        return _bertopic_from_assignments(
            [docs.texts[i] for i in order], used[order], topics, parts["fitted"].vocabulary
        )

    return TopicResult(
        doc_topics=doc_topics,
        topics=parts["topics"],
        outlier_share=0.0,
        method="kmeans",
        n_topics_criterion=parts["criterion"],
        selection=parts["selection"],
        centroids=parts["centroids"],
        fitted=parts["fitted"],
        _cluster_topic=parts["cluster_topic"],
        _model_source=source,
    )


def _fit(
    docs: Docs,
    order: np.ndarray,
    sorted_vectors: np.ndarray,
    clean: list[str],
    vocab: list[str],
    method: str,
    n_topics: Any,
    min_topic_size: int,
    random_state: int,
    reduce_outliers: bool,
    reduction_model: Any,
    cluster_model: Any,
) -> TopicResult:
    """UMAP + HDBSCAN through BERTopic (``method="hdbscan"``)."""
    from sklearn.base import clone
    from threadpoolctl import threadpool_limits

    n = sorted_vectors.shape[0]
    sorted_texts = [docs.texts[i] for i in order]
    options: dict[str, Any] = {"min_topic_size": min_topic_size, "nr_topics": n_topics}
    with threadpool_limits(limits=1):
        reducer = clone(reduction_model) if reduction_model is not None else _umap(n, random_state)
        clusterer = clone(cluster_model) if cluster_model is not None else _hdbscan(min_topic_size)
        criterion = (
            f"HDBSCAN density clusters (min_cluster_size={min_topic_size}) on UMAP "
            f"(random_state={random_state})"
            + (f", merged to {n_topics} by BERTopic's topic reduction" if n_topics else "")
        )
        model = _assemble(reducer, clusterer, vocab, **options)
        with _quiet_bertopic():
            model.fit(sorted_texts, embeddings=sorted_vectors)
            topics = np.asarray(model.topics_, dtype=np.int64)
            is_outlier = topics == -1
            if reduce_outliers and is_outlier.any() and not is_outlier.all():
                topics = np.asarray(
                    model.reduce_outliers(
                        sorted_texts, topics.tolist(), strategy="embeddings",
                        embeddings=sorted_vectors,
                    ),
                    dtype=np.int64,
                )  # fmt: skip
                model.update_topics(
                    sorted_texts,
                    topics=topics.tolist(),
                    top_n_words=N_TOP_WORDS,
                    vectorizer_model=model.vectorizer_model,
                    ctfidf_model=model.ctfidf_model,
                )
    doc_topics, table, centroids, ids = _tables(
        docs, order, sorted_vectors, topics, is_outlier, model
    )
    return TopicResult(
        doc_topics=doc_topics,
        topics=table,
        outlier_share=float(is_outlier.mean()),
        method=method,
        n_topics_criterion=criterion,
        centroids=centroids,
        _model_source=lambda: (model, ids),
    )
