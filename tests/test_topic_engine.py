"""The BERTopic-free k-means engine: c-TF-IDF, fit on a sample, the Dask engine."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

import voc.topics as vt
from voc._topic_engine import c_tf_idf, class_counts, count_terms, sample_positions
from voc._topic_select import clean_texts

THEMES = [
    "invoice price fees billing",
    "support ticket slow answer",
    "search candidates filter profile",
    "sync integration api export",
]


def _corpus(n: int = 1200, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    vectors, cluster = make_blobs(n, n_features=8, centers=4, random_state=seed)
    rng = np.random.default_rng(seed)
    texts = [
        f"{THEMES[c]} {' '.join(rng.choice(THEMES[c].split(), 3))} item{i % 5}"
        for i, c in enumerate(cluster)
    ]
    return texts, vectors, cluster


def test_c_tf_idf_equals_bertopics_class_tfidf_transformer() -> None:
    """Same numbers as BERTopic's own ClassTfidfTransformer (defaults) on the same counts."""
    from voc._topic_model import _import_bertopic

    _import_bertopic()  # quietly
    from bertopic.vectorizers import ClassTfidfTransformer

    texts, _, cluster = _corpus(300)
    vocab = sorted({w for t in THEMES for w in t.split()} | {"item0", "item1"})
    per_class = class_counts(count_terms(clean_texts(texts), vocab), cluster, 4)
    theirs = (
        ClassTfidfTransformer().fit_transform(per_class.copy()).toarray()
    )  # it normalises in place
    np.testing.assert_allclose(c_tf_idf(per_class), theirs, rtol=1e-12)


def test_default_pipeline_does_not_import_bertopic() -> None:
    code = (
        "import sys, numpy as np\n"
        "from sklearn.datasets import make_blobs\n"
        "import voc.topics as vt\n"
        "v, c = make_blobs(120, n_features=5, centers=3, random_state=0)\n"
        "w = ['price fees', 'support slow', 'search filter']\n"
        "r = vt.fit_topics([w[k] + ' x' for k in c], embeddings=v, n_topics=3)\n"
        "assert len(r.topics) == 3, r.topics\n"
        "print(sorted(m for m in ('bertopic', 'sentence_transformers', 'torch', 'umap')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_bertopic_model_has_our_topics_and_keywords() -> None:
    texts, vectors, _ = _corpus(400)
    result = vt.fit_topics(texts, embeddings=vectors, n_topics=4)
    ids = result.model_topic_ids
    assert sorted(ids) == [0, 1, 2, 3]
    for _, row in result.topics.iterrows():
        words = [w for w, _ in result.model.get_topic(ids[row["topic"]])]
        assert set(words[:3]) <= set(row["keywords"][:5])
        assert len(result.model.get_representative_docs(ids[row["topic"]]) or [1]) >= 1
    sizes = result.model.get_topic_info().set_index("Topic")["Count"]
    for topic, model_topic in ids.items():
        assert sizes[model_topic] == result.topics.set_index("topic").loc[topic, "size"]


def test_sample_is_content_keyed_and_seeded() -> None:
    texts = [f"comment {i}" for i in range(500)]
    ids = np.arange(500)
    first = sample_positions(ids, texts, 100, 0)
    assert len(first) == 100 and len(set(first)) == 100
    perm = np.random.default_rng(3).permutation(500)
    again = sample_positions(ids[perm], [texts[i] for i in perm], 100, 0)
    assert sorted(ids[perm][again]) == sorted(ids[first])
    assert set(sample_positions(ids, texts, 100, 1)) != set(first)
    assert list(sample_positions(ids, texts, 600, 0)) == list(range(500))


def test_fit_on_a_sample_places_the_rest_at_the_nearest_centre() -> None:
    texts, vectors, _ = _corpus(1200)
    full = vt.fit_topics(texts, embeddings=vectors, n_topics=4)
    sampled = vt.fit_topics(texts, embeddings=vectors, n_topics=4, max_fit_docs=200)
    assert "sample of 200 of 1,200 documents" in sampled.n_topics_criterion
    assert sampled.topics["size"].sum() == 1200
    # well-separated blobs: the sample finds the same four themes as the full fit
    crosstab = pd.crosstab(full.doc_topics["topic"], sampled.doc_topics["topic"])
    assert (crosstab.max(axis=1) == crosstab.sum(axis=1)).all()
    assert sorted(sampled.topics["label"]) == sorted(full.topics["label"])
    # the same numbers from assign_topics on new copies of the documents
    placed = vt.assign_topics(sampled, texts[:50], embeddings=vectors[:50])
    assert (placed["topic"].to_numpy() == sampled.doc_topics["topic"].to_numpy()[:50]).all()
    np.testing.assert_allclose(placed["score"], sampled.doc_topics["score"][:50])
    permuted = np.random.default_rng(0).permutation(1200)
    again = vt.fit_topics(
        [texts[i] for i in permuted], embeddings=vectors[permuted], n_topics=4, max_fit_docs=200
    )
    assert (
        again.doc_topics["topic"].to_numpy() == sampled.doc_topics["topic"].to_numpy()[permuted]
    ).all()


def test_local_partitions_do_not_change_the_result() -> None:
    texts, vectors, _ = _corpus(900)
    one = vt.fit_topics(texts, embeddings=vectors, n_topics=4, max_fit_docs=300)
    many = vt.fit_topics(texts, embeddings=vectors, n_topics=4, max_fit_docs=300, partition_size=97)
    pd.testing.assert_frame_equal(one.doc_topics, many.doc_topics)
    pd.testing.assert_frame_equal(one.topics, many.topics)


def test_engine_arguments_are_checked() -> None:
    texts, vectors, _ = _corpus(100)
    with pytest.raises(ValueError, match="engine must be one of"):
        vt.fit_topics(texts, embeddings=vectors, engine="spark")
    with pytest.raises(ValueError, match="use method='kmeans'"):
        vt.fit_topics(texts, embeddings=vectors, engine="dask", method="hdbscan")
    with pytest.raises(ValueError, match="fitted on the whole corpus"):
        vt.fit_topics(texts, backend="tfidf", engine="dask")
    with pytest.raises(TypeError, match="scheduler must be"):
        vt.fit_topics(texts, embeddings=vectors, n_topics=4, engine="dask", scheduler=2.5)


@pytest.mark.slow
def test_dask_engine_on_a_two_worker_local_cluster_equals_local() -> None:
    """The issue's contract: on the same data, Dask assignments equal the single-machine ones."""
    from dask.distributed import Client, LocalCluster

    texts, vectors, _ = _corpus(1500)
    local = vt.fit_topics(texts, embeddings=vectors, max_fit_docs=400, partition_size=250)
    local_static = vt.fit_topics(
        texts[:600], backend="static", n_topics=4, max_fit_docs=200, partition_size=150
    )
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        remote = vt.fit_topics(
            texts, embeddings=vectors, max_fit_docs=400, partition_size=250,
            engine="dask", scheduler=client,
        )  # fmt: skip
        # no vectors: the workers embed their partitions with the offline static model
        remote_static = vt.fit_topics(
            texts[:600], backend="static", n_topics=4, max_fit_docs=200, partition_size=150,
            engine="dask", scheduler=client,
        )  # fmt: skip
        assert len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(local.doc_topics, remote.doc_topics)
    pd.testing.assert_frame_equal(local.topics, remote.topics)
    pd.testing.assert_frame_equal(local_static.doc_topics, remote_static.doc_topics)
    pd.testing.assert_frame_equal(local_static.topics, remote_static.topics)


def test_topic_colours_follow_content_not_numbering() -> None:
    from voc.report import TOPIC_PALETTE, topic_colours, topic_sizes_chart

    labels = ["fees, invoice, price", "slow, support, ticket", "filter, search", "api, sync"]
    colours = topic_colours(labels)
    assert colours == topic_colours(labels[::-1])  # order and numbering do not matter
    assert len(set(colours.values())) == len(labels)
    assert set(colours.values()) <= set(TOPIC_PALETTE)
    texts, vectors, _ = _corpus(400)
    result = vt.fit_topics(texts, embeddings=vectors, n_topics=4)
    permuted = np.random.default_rng(1).permutation(400)
    again = vt.fit_topics(
        [texts[i] for i in permuted], embeddings=vectors[permuted], n_topics=4, random_state=0
    )
    assert topic_colours(result.topics["label"]) == topic_colours(again.topics["label"])
    chart = topic_sizes_chart(result.topics)
    svg = chart._repr_svg_()[0]
    for colour in topic_colours(result.topics["label"]).values():
        assert colour in svg.lower()
