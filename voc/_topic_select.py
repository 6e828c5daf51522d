"""Keyword vocabulary and the choice of the number of topics for ``voc.topics.fit_topics``.

Private module. The criterion (see `choose_k`): fit k-means for every k in a range on the
reduced embeddings and keep the k whose topics read best, measured as **topic quality =
NPMI coherence x topic diversity** of each topic's top-10 c-TF-IDF unigrams (Dieng, Ruiz &
Blei 2020; the two measures BERTopic itself is evaluated with, Grootendorst 2022), averaged
over k-1, k and k+1, among the k whose every topic has at least ``min_topic_size`` documents.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "N_TOP_WORDS",
    "Selection",
    "choose_k",
    "clean_texts",
    "k_range",
    "min_df_for",
    "stop_words",
    "top_words",
    "vocabulary",
]

N_TOP_WORDS = 10
_NON_WORD = re.compile(r"[^A-Za-z0-9 ]+")
# BERTopic strips apostrophes ("don't" -> "dont"), so the stripped contractions are stop words
_CONTRACTIONS = frozenset(
    "arent didnt doesnt dont hadnt havent im isnt ive lets shouldnt thats theres theyd "  # noqa: SIM905
    "theyll theyre theyve wasnt werent weve whats wont wouldnt youd youll youre youve".split()
)


def stop_words() -> list[str]:
    """scikit-learn's English stop words plus contractions as BERTopic's cleaning leaves them."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted(ENGLISH_STOP_WORDS | _CONTRACTIONS)


def clean_texts(texts: list[str]) -> list[str]:
    """BERTopic's own preprocessing for English (``BERTopic._preprocess_text``).

    Keywords are counted on this text, so the vocabulary is built on it too.
    """
    out = [_NON_WORD.sub("", t.replace("\n", " ").replace("\t", " ")) for t in texts]
    return [t if t else "emptydoc" for t in out]


def min_df_for(n_docs: int) -> int:
    """Documents a term must occur in to be a keyword: 1 below 50 docs, 2 below 2,000, else
    0.1 % of the documents (typos and one-off names drop out of large corpora)."""
    if n_docs < 50:
        return 1
    if n_docs < 2000:
        return 2
    return math.ceil(n_docs / 1000)


def vocabulary(clean: list[str], ngram_range: tuple[int, int] = (1, 2)) -> list[str]:
    """Terms (English stop words and contractions removed) that occur in at least `min_df_for` documents.

    The frequency floor is applied here, on single documents: BERTopic's CountVectorizer
    sees one concatenated document per *topic*, so its own ``min_df`` would count topics
    and drop the words that make a topic distinctive.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    for min_df in dict.fromkeys((min_df_for(len(clean)), 1)):
        vectorizer = CountVectorizer(
            stop_words=stop_words(), ngram_range=ngram_range, min_df=min_df
        )
        try:
            vectorizer.fit(clean)
        except ValueError:  # empty vocabulary
            continue
        terms = [str(t) for t in vectorizer.get_feature_names_out()]
        return [t for t in terms if "emptydoc" not in t.split()] or terms
    raise ValueError(
        "the documents have no keywords left after removing English stop words and "
        "punctuation; topics need texts with words"
    )


def k_range(n_docs: int, min_topic_size: int, n_topics: Any) -> tuple[int, int]:
    """The k searched: ``n_topics=(low, high)``, or 2 .. min(30, n_docs // min_topic_size)."""
    if n_topics is None:
        return 2, max(2, min(30, n_docs // min_topic_size))
    low, high = n_topics
    return int(low), int(high)


def top_words(scores: np.ndarray, words: np.ndarray, n: int = N_TOP_WORDS) -> list[list[str]]:
    """The ``n`` highest-scoring words per row; ties go to the alphabetically first word,
    words scoring 0 are left out."""
    rank = np.argsort(words, kind="stable")  # words are usually sorted already
    alpha = np.empty_like(rank)
    alpha[rank] = np.arange(len(words))
    out = []
    for row in scores:
        order = np.lexsort((alpha, -row))[:n]
        out.append([str(words[j]) for j in order if row[j] > 0])
    return out


def _ctfidf(counts: sp.csr_matrix, labels: np.ndarray, k: int) -> np.ndarray:
    """BERTopic's c-TF-IDF (``ClassTfidfTransformer`` defaults) of the k label classes."""
    import scipy.sparse as sp

    n = counts.shape[0]
    member = sp.csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    per_topic = np.asarray((member @ counts).todense(), dtype=float)
    total = per_topic.sum(axis=0)
    avg = int(per_topic.sum(axis=1).mean())
    idf = np.log(np.divide(avg, total, out=np.zeros_like(total), where=total > 0) + 1)
    tf = per_topic / np.maximum(per_topic.sum(axis=1, keepdims=True), 1e-12)
    return tf * idf


def _npmi(present: sp.csc_matrix, columns: list[int]) -> float:
    """Mean NPMI over the word pairs of one topic (document co-occurrence in the corpus);
    a pair that never co-occurs scores -1, one that always does scores 1."""
    if len(columns) < 2:
        return np.nan
    n = present.shape[0]
    block = present[:, columns]
    joint = np.asarray((block.T @ block).todense(), dtype=float) / n
    single = np.diag(joint).copy()
    values = []
    for i in range(len(columns)):
        for j in range(i + 1, len(columns)):
            p_ij = joint[i, j]
            if p_ij <= 0:
                values.append(-1.0)
            elif p_ij >= 1:
                values.append(1.0)
            else:
                values.append(math.log(p_ij / (single[i] * single[j])) / -math.log(p_ij))
    return float(np.mean(values))


def topic_quality(
    counts: sp.csr_matrix, present: sp.csc_matrix, words: np.ndarray, labels: np.ndarray, k: int
) -> tuple[float, float]:
    """NPMI coherence (mean over topics) and diversity (share of unique top words)."""
    tops = top_words(_ctfidf(counts, labels, k), words)
    index = {w: j for j, w in enumerate(words)}
    coherence = np.nanmean([_npmi(present, [index[w] for w in top]) for top in tops] or [np.nan])
    n_words = sum(len(top) for top in tops)
    diversity = len({w for top in tops for w in top}) / n_words if n_words else np.nan
    return float(coherence), float(diversity)


@dataclass(frozen=True)
class Selection:
    k: int
    table: pd.DataFrame
    criterion: str


def choose_k(
    reduced: np.ndarray,
    clean: list[str],
    vocab: list[str],
    *,
    k_low: int,
    k_high: int,
    min_topic_size: int,
    random_state: int,
    make_cluster: Any,
) -> Selection:
    """Fit ``make_cluster(k)`` for k in ``k_low..k_high`` and keep the best-reading k.

    Among the admissible k (every topic >= ``min_topic_size`` documents) the one with the
    highest topic quality wins, ties to the smaller k. When no k is admissible, the k with
    the largest smallest topic wins. The silhouette (Euclidean, on the reduced embeddings,
    a seeded sample of at most 1,000 documents) is reported alongside, not used.
    """
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.metrics import silhouette_score

    unigrams = [t for t in vocab if " " not in t] or list(vocab)
    counts = CountVectorizer(vocabulary=unigrams, ngram_range=(1, 1)).transform(clean)
    counts = sp.csr_matrix(counts, dtype=float)
    present = sp.csc_matrix((counts > 0).astype(float))
    words = np.asarray(unigrams, dtype=object)
    n = reduced.shape[0]
    records = []
    for k in range(k_low, k_high + 1):
        labels = np.asarray(make_cluster(k).fit(reduced).labels_)
        sizes = np.bincount(labels, minlength=k)
        coherence, diversity = topic_quality(counts, present, words, labels, k)
        silhouette = np.nan
        if len(np.unique(labels)) > 1:
            silhouette = float(
                silhouette_score(
                    reduced, labels, sample_size=min(n, 1000), random_state=random_state
                )
            )
        records.append((k, coherence, diversity, coherence * diversity, silhouette, sizes.min()))
    table = pd.DataFrame(
        records, columns=["k", "coherence", "diversity", "quality", "silhouette", "min_size"]
    )
    table["min_size"] = table["min_size"].astype("int64")
    # one k-means solution's quality is a noisy estimate; neighbouring k share most topics
    table["quality_smoothed"] = table["quality"].rolling(3, center=True, min_periods=1).mean()
    table["is_admissible"] = table["min_size"] >= min_topic_size
    ok = table[table["is_admissible"] & table["quality_smoothed"].notna()]
    if len(ok):
        ranked = ok.sort_values(["quality_smoothed", "k"], ascending=[False, True], kind="stable")
        k = int(ranked["k"].iloc[0])
        rule = "highest smoothed topic quality among the admissible k"
    else:
        k = int(table.sort_values(["min_size", "k"], ascending=[False, True])["k"].iloc[0])
        rule = (
            f"no k gave every topic >= {min_topic_size} documents; took the k with the "
            "largest smallest topic"
        )
    table["is_chosen"] = table["k"] == k
    criterion = (
        f"k={k} chosen from k={k_low}..{k_high}: {rule}; topic quality = NPMI coherence x "
        f"topic diversity of the top-{N_TOP_WORDS} c-TF-IDF unigrams per topic "
        f"(Dieng et al. 2020), smoothed = mean over k-1, k, k+1; admissible = every topic "
        f">= {min_topic_size} documents; "
        f"k-means random_state={random_state}, 3 restarts per k tried and 10 for the final fit"
    )
    return Selection(k, table, criterion)
