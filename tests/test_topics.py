"""Tests of voc.topics: reproducible topics, stability, prevalence by group, codebook mapping.

Embeddings are make_blobs or TF-IDF + SVD (STYLE T8): nothing is downloaded and no UMAP is
fitted (its numba JIT costs 20-45 s per process; the HDBSCAN path is tested with PCA).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

import voc
import voc.topics as vt

EXAMPLE = Path(__file__).resolve().parent.parent / "studies" / "example"

pytestmark = [
    # umap (imported by bertopic) warns at import that TensorFlow is missing: ImportWarning
    pytest.mark.filterwarnings(
        "ignore:Tensorflow not installed; ParametricUMAP will be unavailable:ImportWarning"
    ),
]

THEMES = {
    "price": ["price", "invoice", "cost", "fees", "billing", "expensive"],
    "support": ["support", "ticket", "reply", "agent", "slow", "response"],
    "integration": ["integration", "sync", "api", "connector", "export", "hris"],
}
FILLER = ["really", "quite", "platform", "team", "month", "okay"]


def planted(n_per: int = 20, *, seed: int = 0, std: float = 1.0) -> tuple[pd.DataFrame, np.ndarray]:
    """Three themes of n_per documents each: texts from word banks, blob embeddings."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, words in THEMES.items():
        for i in range(n_per):
            text = [*rng.choice(words, 4, replace=False), *rng.choice(FILLER, 2, replace=False)]
            rows.append((f"{name[:3]}{i:02d}", f"P{i % 7}", " ".join(text), name))
    documents = pd.DataFrame(rows, columns=["doc_id", "participant_id", "text", "theme"])
    blobs, blob = make_blobs([n_per] * 3, n_features=8, cluster_std=std, random_state=seed)
    return documents, blobs[np.argsort(blob, kind="stable")]


def tfidf_embed(texts: list[str], dim: int = 100) -> np.ndarray:
    """TF-IDF + truncated SVD, rows scaled to unit length (STYLE T8)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    tfidf = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=2).fit_transform(texts)
    return normalize(TruncatedSVD(dim, random_state=0).fit_transform(tfidf))


@pytest.fixture(scope="module")
def corpus() -> tuple[pd.DataFrame, np.ndarray]:
    return planted()


@pytest.fixture(scope="module")
def fitted(corpus: tuple[pd.DataFrame, np.ndarray]) -> vt.TopicResult:
    documents, embeddings = corpus
    return vt.fit_topics(documents[["doc_id", "participant_id", "text"]], embeddings=embeddings)


@pytest.fixture(scope="module")
def example() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The example study's survey comments, respondents and TF-IDF embeddings."""
    study = voc.load_study(EXAMPLE)
    documents = voc.io.read_documents(study)
    comments = documents[documents["origin"] == "survey:comment"].reset_index(drop=True)
    return comments, voc.io.read_responses(study), tfidf_embed(comments["text"].tolist())


# --- fit_topics -------------------------------------------------------------------------------
def test_fit_topics_finds_planted_themes(corpus, fitted) -> None:
    documents, _ = corpus
    assert fitted.method == "kmeans"
    assert fitted.outlier_share == 0.0
    assert "topic quality" in fitted.n_topics_criterion
    assert fitted.selection["is_chosen"].sum() == 1
    assert len(fitted.topics) == 3
    joined = fitted.doc_topics.merge(documents[["doc_id", "theme"]], on="doc_id")
    assert (joined.groupby("theme")["topic"].nunique() == 1).all()  # each theme is one topic
    assert list(fitted.doc_topics.columns) == [
        "doc_id", "participant_id", "topic", "topic_label", "score", "is_outlier",
    ]  # fmt: skip
    assert fitted.doc_topics["doc_id"].tolist() == documents["doc_id"].tolist()  # input order
    assert fitted.topics["share"].sum() == pytest.approx(1.0)


def test_labels_are_top_keywords_and_topics_numbered_by_size(corpus, fitted) -> None:
    documents, _ = corpus
    topics = fitted.topics
    for _, row in topics.iterrows():
        assert row["label"] == ", ".join(row["keywords"][:3])  # no 2-grams here
        theme = documents.set_index("doc_id").loc[row["representative_doc_ids"][0], "theme"]
        assert set(row["keywords"][:3]) <= set(THEMES[theme])
    key = list(zip(-topics["size"], topics["label"], strict=True))
    assert key == sorted(key)  # size descending, ties by label
    labels = dict(zip(topics["topic"], topics["label"], strict=True))
    assert (fitted.doc_topics["topic_label"] == fitted.doc_topics["topic"].map(labels)).all()


def test_same_input_gives_identical_tables(corpus, fitted) -> None:
    documents, embeddings = corpus
    frame = documents[["doc_id", "participant_id", "text"]]
    before = frame.copy()
    again = vt.fit_topics(frame, embeddings=embeddings)
    pd.testing.assert_frame_equal(again.doc_topics, fitted.doc_topics)
    pd.testing.assert_frame_equal(again.topics, fitted.topics)
    pd.testing.assert_frame_equal(frame, before)  # input untouched


def test_permuted_input_gives_same_topics_and_assignments(corpus, fitted) -> None:
    documents, embeddings = corpus
    order = np.random.default_rng(7).permutation(len(documents))
    shuffled = vt.fit_topics(
        documents[["doc_id", "participant_id", "text"]].iloc[order], embeddings=embeddings[order]
    )
    pd.testing.assert_frame_equal(shuffled.topics, fitted.topics)
    assert shuffled.doc_topics["doc_id"].tolist() == documents["doc_id"].iloc[order].tolist()
    by_doc = shuffled.doc_topics.set_index("doc_id").loc[documents["doc_id"]].reset_index()
    pd.testing.assert_frame_equal(by_doc, fitted.doc_topics)


def test_labels_are_keyed_by_content_not_by_seed(corpus, fitted) -> None:
    documents, embeddings = corpus
    other = vt.fit_topics(documents[["doc_id", "text"]], embeddings=embeddings, random_state=3)
    mine = fitted.doc_topics.set_index("doc_id")["topic_label"]
    theirs = other.doc_topics.set_index("doc_id")["topic_label"]
    assert (mine == theirs.loc[mine.index]).all()


def test_representative_docs_are_closest_to_the_centroid(corpus, fitted) -> None:
    documents, embeddings = corpus
    scores = fitted.doc_topics.set_index("doc_id")
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    for _, row in fitted.topics.iterrows():
        members = scores[scores["topic"] == row["topic"]]
        top = members["score"].sort_values(ascending=False, kind="stable")
        assert len(row["representative_doc_ids"]) == 3
        assert set(row["representative_doc_ids"]) == set(top.index[:3]) or (
            top.iloc[2] == top.iloc[3]  # a tie at the cut is resolved by content order
        )
        picks = members.loc[row["representative_doc_ids"], "score"].to_numpy()
        assert (np.diff(picks) <= 0).all()
        texts = documents.set_index("doc_id").loc[row["representative_doc_ids"], "text"]
        assert row["representative_docs"] == texts.tolist()
        # oracle: cosine to the mean of the members' unit vectors
        mask = documents["doc_id"].isin(members.index).to_numpy()
        centroid = unit[mask].mean(axis=0)
        expected = unit[mask] @ (centroid / np.linalg.norm(centroid))
        np.testing.assert_allclose(members["score"].to_numpy(), expected)


def test_small_corpus_uses_kmeans_within_bounds() -> None:
    documents, embeddings = planted(10, seed=1)  # 30 documents, like one interview study
    result = vt.fit_topics(documents[["doc_id", "text"]], embeddings=embeddings)
    assert result.method == "kmeans"
    assert result.selection["k"].tolist() == [2, 3]  # 2 .. n // min_topic_size
    assert 2 <= len(result.topics) <= 3
    assert (result.doc_topics["topic"] >= 0).all()


def test_too_few_documents_is_a_clear_error() -> None:
    documents, embeddings = planted(5)
    with pytest.raises(ValueError, match=r"at least 20 documents .*got 15"):
        vt.fit_topics(documents[["doc_id", "text"]], embeddings=embeddings)
    with pytest.raises(ValueError, match=r"at least 10 documents .*got 6"):
        vt.fit_topics(documents["text"][:6].tolist(), embeddings=embeddings[:6], min_topic_size=2)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"method": "lda"}, "method must be one of"),
        ({"n_topics": 1}, "n_topics must be an integer >= 2"),
        ({"n_topics": (5, 3)}, "n_topics range"),
        ({"embeddings": np.zeros((3, 4))}, "one row per document"),
        ({"random_state": -1}, "random_state"),
    ],
)
def test_bad_arguments(corpus, change, message) -> None:
    documents, embeddings = corpus
    kwargs = {"embeddings": embeddings} | change
    with pytest.raises(ValueError, match=message):
        vt.fit_topics(documents[["doc_id", "text"]], **kwargs)


def test_bad_documents(corpus) -> None:
    documents, embeddings = corpus
    with pytest.raises(ValueError, match="duplicate doc_id"):
        vt.fit_topics(documents.assign(doc_id="x")[["doc_id", "text"]], embeddings=embeddings)
    with pytest.raises(ValueError, match="must all be strings; document 'pri00'"):
        vt.fit_topics(
            documents.assign(text=[None, *documents["text"][1:]])[["doc_id", "text"]],
            embeddings=embeddings,
        )


def test_fixed_n_topics_and_injected_components(corpus) -> None:
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.decomposition import PCA

    documents, embeddings = corpus
    fixed = vt.fit_topics(documents[["doc_id", "text"]], embeddings=embeddings, n_topics=4)
    assert len(fixed.topics) == 4 and fixed.selection is None
    assert fixed.n_topics_criterion == "n_topics=4 given"
    reduction, clusterer = PCA(4), AgglomerativeClustering(3)
    custom = vt.fit_topics(
        documents[["doc_id", "text"]],
        embeddings=embeddings,
        reduction_model=reduction,
        cluster_model=clusterer,
    )
    assert len(custom.topics) == 3 and custom.n_topics_criterion == "given cluster_model"
    assert not hasattr(reduction, "components_")  # the injected objects are cloned


def test_hdbscan_path_reports_and_reassigns_outliers(corpus) -> None:
    from sklearn.decomposition import PCA

    documents, embeddings = corpus
    rng = np.random.default_rng(0)
    noise = rng.uniform(-25, 25, size=(12, embeddings.shape[1]))
    texts = [*documents["text"], *(f"odd remark number{i}" for i in range(12))]
    vectors = np.vstack([embeddings, noise])
    kept = vt.fit_topics(
        texts,
        embeddings=vectors,
        method="hdbscan",
        reduce_outliers=False,
        reduction_model=PCA(5, random_state=0),
    )
    assert kept.method == "hdbscan" and kept.outlier_share > 0
    outliers = kept.doc_topics[kept.doc_topics["topic"] == -1]
    assert outliers["topic_label"].eq(vt.OUTLIER_LABEL).all() and outliers["score"].isna().all()
    assert kept.topics["topic"].iloc[-1] == -1
    reduced = vt.fit_topics(
        texts, embeddings=vectors, method="hdbscan", reduction_model=PCA(5, random_state=0)
    )
    assert reduced.outlier_share == kept.outlier_share
    assert reduced.doc_topics["is_outlier"].sum() == len(outliers)
    # BERTopic keeps an outlier whose cosine to every topic is <= 0 (threshold=0)
    left = reduced.doc_topics["topic"] == -1
    assert left.sum() < len(outliers) and (left <= reduced.doc_topics["is_outlier"]).all()


def test_embeds_lazily_in_content_order(corpus, monkeypatch) -> None:
    documents, embeddings = corpus
    by_text = dict(zip(documents["text"], embeddings, strict=True))
    calls = []

    def embed(texts, *, backend, random_state=0, **_):
        calls.append((list(texts), backend))
        return np.array([by_text[t] for t in texts], dtype=np.float32)

    monkeypatch.setitem(sys.modules, "voc.embeddings", types.SimpleNamespace(embed=embed))
    shuffled = documents.iloc[::-1][["doc_id", "text"]]
    result = vt.fit_topics(shuffled, backend="static")
    assert len(calls) == 1 and calls[0][1] == "static"
    assert sorted(calls[0][0]) == sorted(documents["text"])
    again = vt.fit_topics(documents[["doc_id", "text"]], backend="static")
    assert calls[1][0] == calls[0][0]  # same content order whatever the input order
    pd.testing.assert_frame_equal(result.topics, again.topics)


def test_build_topic_model_injects_seeded_components() -> None:
    kmeans = vt.build_topic_model(n_topics=5, random_state=3)
    assert kmeans.hdbscan_model.get_params()["n_clusters"] == 5
    assert kmeans.hdbscan_model.random_state == 3
    assert kmeans.umap_model.named_steps["pca"].n_components == 10
    assert kmeans.embedding_model is None and not kmeans.calculate_probabilities
    assert kmeans.vectorizer_model.ngram_range == (1, 2)
    density = vt.build_topic_model(method="hdbscan", n_topics=None, min_topic_size=7)
    assert density.hdbscan_model.min_cluster_size == 7 and density.nr_topics is None
    assert density.umap_model.random_state == 0
    with pytest.raises(ValueError, match="n_topics must be an integer"):
        vt.build_topic_model(n_topics=None)


# --- topic_stability --------------------------------------------------------------------------
def test_stability_of_separated_blobs_and_of_noise(corpus) -> None:
    documents, embeddings = corpus
    stable = vt.topic_stability(documents[["doc_id", "text"]], embeddings=embeddings)
    assert list(stable.columns) == [
        "topic", "label", "size", "stability", "min_jaccard", "is_stable",
    ]  # fmt: skip
    assert stable["is_stable"].all() and stable["stability"].min() == pytest.approx(1.0)
    resampled = vt.topic_stability(
        documents[["doc_id", "text"]], embeddings=embeddings, seeds=(0, 1, 2), subsample=0.8
    )
    assert resampled["is_stable"].all()

    rng = np.random.default_rng(1)
    words = np.array([f"w{i}" for i in range(40)])
    texts = [" ".join(rng.choice(words, 6)) for _ in range(80)]
    noise = vt.topic_stability(
        texts, embeddings=rng.normal(size=(80, 8)), n_topics=6, min_topic_size=5
    )
    assert len(noise) == 6
    assert not noise["is_stable"].all()
    assert (noise["stability"] >= 0).all() and (noise["stability"] <= 1).all()


def test_jaccard_matrix_by_hand() -> None:
    from voc._topic_stability import jaccard_matrix

    first = np.array([0, 0, 0, 1, 1, -1])
    second = np.array([5, 5, 7, 7, 7, 7])
    matrix, rows, cols = jaccard_matrix(first, second)
    assert rows == [0, 1] and cols == [5, 7]
    # {0,1,2} vs {0,1}: 2/3; {0,1,2} vs {2,3,4,5}: 1/6; {3,4} vs {0,1}: 0; {3,4} vs {2..5}: 2/4
    np.testing.assert_allclose(matrix, [[2 / 3, 1 / 6], [0.0, 0.5]])


# --- topics_by_group --------------------------------------------------------------------------
def _doc_topics(counts: dict[str, list[int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """doc_topics and groups with counts[group][topic] documents."""
    rows = [
        (f"{group}-{topic}-{i}", f"p-{group}-{topic}-{i}", topic, group)
        for group, per_topic in counts.items()
        for topic, n in enumerate(per_topic)
        for i in range(n)
    ]
    frame = pd.DataFrame(rows, columns=["doc_id", "participant_id", "topic", "segment"])
    doc_topics = frame.assign(topic_label=frame["topic"].map(lambda t: f"t{t}"))
    return doc_topics.drop(columns="segment"), frame[["participant_id", "segment"]]


def test_topics_by_group_against_scipy() -> None:
    """Oracles: scipy chi2_contingency (Pearson, no correction), statsmodels Wilson and Holm."""
    from scipy.stats import chi2_contingency
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.proportion import proportion_confint

    counts = {"APAC": [30, 10, 20], "EMEA": [15, 25, 20], "LATAM": [10, 12, 28]}
    doc_topics, groups = _doc_topics(counts)
    result = vt.topics_by_group(doc_topics, groups, by="segment")
    assert len(result) == 9 and set(result["by"]) == {"segment"}
    table = np.array(list(counts.values())).T  # topics x groups
    p_values = []
    for topic in range(3):
        rows = result[result["topic"] == topic]
        observed = np.vstack([table[topic], table.sum(axis=0) - table[topic]])
        oracle = chi2_contingency(observed, correction=False)
        assert rows["test"].eq("chi2").all()
        assert rows["stat"].iloc[0] == pytest.approx(oracle.statistic)
        assert rows["p_val"].iloc[0] == pytest.approx(oracle.pvalue)
        assert rows["dof"].iloc[0] == 2
        low, high = proportion_confint(table[topic], table.sum(axis=0), method="wilson")
        np.testing.assert_allclose(rows["ci_low"], low)
        np.testing.assert_allclose(rows["ci_high"], high)
        np.testing.assert_allclose(rows["share"], table[topic] / table.sum(axis=0))
        p_values.append(oracle.pvalue)
    holm = multipletests(p_values, method="holm")[1]
    np.testing.assert_allclose(result.groupby("topic")["p_adj"].first(), holm)


def test_topics_by_group_sparse_tables_use_fisher() -> None:
    from scipy.stats import fisher_exact

    two = _doc_topics({"a": [1, 20], "b": [6, 12]})
    result = vt.topics_by_group(*two, by="segment", adjust="none")
    rows = result[result["topic"] == 0]
    assert rows["test"].iloc[0] == "fisher"
    assert rows["p_val"].iloc[0] == pytest.approx(fisher_exact([[1, 6], [20, 12]]).pvalue)
    three = _doc_topics({"a": [1, 20], "b": [4, 12], "c": [2, 15]})
    first = vt.topics_by_group(*three, by="segment", random_state=1)
    assert first["test"].iloc[0] == "fisher_mc" and 0 < first["p_val"].iloc[0] <= 1
    pd.testing.assert_frame_equal(first, vt.topics_by_group(*three, by="segment", random_state=1))


def test_topics_by_group_joins_and_errors() -> None:
    doc_topics, groups = _doc_topics({"a": [5, 5], "b": [5, 5]})
    by_doc = groups.assign(doc_id=doc_topics["doc_id"].to_numpy())[["doc_id", "segment"]]
    by_doc.loc[0, "segment"] = None
    result = vt.topics_by_group(doc_topics, by_doc, by=["segment"])
    assert result["n_missing"].eq(1).all() and result["n_group"].max() == 10
    with pytest.raises(ValueError, match="repeated participant_id"):
        vt.topics_by_group(doc_topics, pd.concat([groups, groups]), by="segment")
    with pytest.raises(ValueError, match="not in groups"):
        vt.topics_by_group(doc_topics, groups, by="region")
    with pytest.raises(ValueError, match="has no 'participant_id'"):
        vt.topics_by_group(doc_topics.drop(columns="participant_id"), groups, by="segment")


# --- codebook mapping -------------------------------------------------------------------------
def _codebook_case(seed: int = 0) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Segments near 'pricing' (clearly separable) and a code humans apply at random."""
    rng = np.random.default_rng(seed)
    codes = np.eye(6)[:2]  # 'pricing' and 'vague' code vectors
    is_pricing = np.arange(120) < 30
    segments = rng.normal(0, 0.25, size=(120, 6)) + 0.2
    segments[is_pricing] += 1.5 * codes[0]
    presence = pd.DataFrame({"pricing": is_pricing.astype(int), "vague": rng.random(120) < 0.3})
    return segments, codes, presence


def test_calibration_finds_a_reliable_threshold_for_a_separable_code() -> None:
    from voc.agreement import cohen_kappa

    segments, codes, presence = _codebook_case()
    result = vt.calibrate_codebook_map(segments, codes, presence)
    assert result["code"].tolist() == ["pricing", "vague"]
    pricing = result.set_index("code").loc["pricing"]
    assert pricing["kappa"] > 0.9 and pricing["is_reliable"]
    assert pricing["n_positive"] == 30 and pricing["n_segments"] == 120
    assert not result.set_index("code").loc["vague", "is_reliable"]
    # oracle: kappa at the chosen threshold, and no threshold on a fine grid does better
    unit = segments / np.linalg.norm(segments, axis=1, keepdims=True)
    sims = unit @ codes[0]
    assert cohen_kappa(presence["pricing"], sims >= pricing["threshold"]) == pricing["kappa"]
    grid = np.linspace(sims.min(), sims.max(), 400)
    assert max(cohen_kappa(presence["pricing"], sims >= t) for t in grid) <= pricing["kappa"]


def test_map_to_codebook_applies_calibrated_thresholds() -> None:
    segments, codes, presence = _codebook_case()
    calibration = vt.calibrate_codebook_map(segments, codes, presence)
    codebook = pd.DataFrame({"code": ["pricing", "vague"], "description": ["fees", "stuff"]})
    texts = pd.DataFrame({"doc_id": [f"s{i}" for i in range(120)], "text": "a comment"})
    mapped = vt.map_to_codebook(
        texts, codebook, embeddings=segments, code_embeddings=codes, threshold=calibration
    )
    assert list(mapped.columns) == ["doc_id", "code", "similarity", "threshold", "is_present"]
    assert len(mapped) == 240 and mapped["doc_id"].iloc[:2].tolist() == ["s0", "s0"]
    pricing = mapped[mapped["code"] == "pricing"]
    assert pricing["is_present"].sum() == calibration.iloc[0]["n_predicted"]
    unscored = vt.map_to_codebook(texts, codebook, embeddings=segments, code_embeddings=codes)
    assert unscored["is_present"].isna().all()
    with pytest.raises(ValueError, match="same backend"):
        vt.map_to_codebook(texts, codebook, embeddings=segments, code_embeddings=codes[:, :4])
    with pytest.raises(ValueError, match="in one call"):
        vt.map_to_codebook(texts, codebook, embeddings=segments, backend="tfidf")


def test_map_to_codebook_embeds_documents_and_codes_together(monkeypatch) -> None:
    calls = []

    def embed(texts, *, backend, **_):
        calls.append((list(texts), backend))
        return np.array([[len(t), t.count("e") + 1.0] for t in texts])

    monkeypatch.setitem(sys.modules, "voc.embeddings", types.SimpleNamespace(embed=embed))
    codebook = pd.DataFrame({"code": ["price", "misc"], "description": ["what it costs", None]})
    mapped = vt.map_to_codebook(["too expensive", "fine"], codebook, backend="tfidf", threshold=0.9)
    assert calls == [(["too expensive", "fine", "price: what it costs", "misc"], "tfidf")]
    assert mapped["is_present"].dtype == "boolean" and mapped["threshold"].eq(0.9).all()


def test_calibration_drops_missing_codings_and_checks_values() -> None:
    segments, codes, presence = _codebook_case()
    partial = presence.astype("float64")
    partial.loc[:9, "pricing"] = np.nan
    result = vt.calibrate_codebook_map(segments, codes, partial)
    assert result.set_index("code").loc["pricing", "n_segments"] == 110
    with pytest.raises(ValueError, match="0/1 or booleans"):
        vt.calibrate_codebook_map(segments, codes, presence.assign(vague=2))
    indexed = pd.DataFrame(codes[::-1], index=["vague", "pricing"])  # a frame indexed by code
    pd.testing.assert_frame_equal(
        vt.calibrate_codebook_map(segments, indexed, presence),
        vt.calibrate_codebook_map(segments, codes, presence),
    )


# --- the example study ------------------------------------------------------------------------
def test_example_comments_planted_integration_theme(example) -> None:
    """Planted truth (studies/example/README.md): 8 themes; detractors write about fragmented
    systems far more than promoters (46.8 % vs 7.5 % of their comments)."""
    comments, responses, embeddings = example
    result = vt.fit_topics(comments, embeddings=embeddings)
    assert 6 <= len(result.topics) <= 10
    is_systems = result.topics["keywords"].map(
        lambda words: bool({"integration", "sync", "systems"} & set(words[:5]))
    )
    assert is_systems.any()
    topic = int(result.topics.loc[is_systems, "topic"].iloc[0])
    ids = result.model_topic_ids  # our keywords are BERTopic's own, renumbered
    for _, row in result.topics.iterrows():
        assert result.model.get_topic(ids[row["topic"]])[0][0] == row["keywords"][0]
    groups = responses.assign(nps_group=voc.survey.nps_group(responses["nps"]))
    prevalence = vt.topics_by_group(
        result.doc_topics, groups[["participant_id", "nps_group"]], by="nps_group"
    )
    rows = prevalence[prevalence["topic"] == topic].set_index("group")
    assert rows.loc["detractor", "share"] > 3 * rows.loc["promoter", "share"]
    assert rows["p_adj"].iloc[0] < 0.001
