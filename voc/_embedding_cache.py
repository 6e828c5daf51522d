"""The machinery behind ``voc.embeddings``: the vector cache, model loading, the static model.

Private: use ``voc.embeddings``. Nothing here imports torch, transformers or
sentence-transformers at module level, and nothing touches the network.

Vector cache layout (one folder per backend identity under ``cache_dir``)::

    <cache_dir>/<identity-slug>-<hash>/
        meta.json                     identity and format, for people; never trusted
        shard-<ns>-<pid>-<rand>.npz   keys (n,) S32 = sha256 of the UTF-8 text; vectors (n, dim) float32

A call that encodes anything writes one new shard: to a hidden temporary file, then ``os.replace``
(atomic on POSIX and Windows), so a reader never sees a half-written shard under its final name.
Loading is vectorised: the key arrays of all shards are concatenated and matched with one
``searchsorted``; vectors are read only from the shards that hold a wanted key. A shard that cannot
be read — truncated, bit-flipped (the zip CRC-32 catches it), wrong dtype or shape, non-finite — is
skipped and its texts are encoded again; compaction later deletes it. When a folder holds more than
``MAX_SHARDS`` shards they are merged into one. Concurrent writers are safe (unique names; a key
written twice is deduplicated on load); no ``fsync`` is done, because a shard damaged by a crash is
detected and recomputed anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import re
import secrets
import sys
import time
import zipfile
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

KEY_DTYPE = np.dtype("S32")
MAX_SHARDS = 32
FORMAT = 1
_SHARD_GLOB = "shard-*.npz"
_TMP_PREFIX = ".tmp-"
_STALE_TMP_S = 3600.0
_BIG_FILE = 2 << 20  # files above 2 MiB are fingerprinted by size + first and last MiB
_MIB = 1 << 20


# --------------------------------------------------------------------------- keys and folders


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """sha256 of each text's UTF-8 bytes, as an ``S32`` array (one row per text)."""
    sha = hashlib.sha256
    return np.array(
        [sha(t.encode("utf-8", "surrogatepass")).digest() for t in texts], dtype=KEY_DTYPE
    ).reshape(len(texts))


def corpus_digest(keys: np.ndarray) -> str:
    """A short hash of an ordered corpus (its text keys, duplicates and order included)."""
    return hashlib.sha256(np.ascontiguousarray(keys, dtype=KEY_DTYPE).tobytes()).hexdigest()[:16]


def cache_folder(root: str | Path, identity: str) -> Path:
    """The folder of one backend identity: a readable slug plus a hash of the exact identity."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", identity).strip("-.")[:48] or "backend"
    return Path(root) / f"{slug}-{hashlib.sha256(identity.encode()).hexdigest()[:10]}"


def voc_cache_root() -> Path:
    """``$VOC_CACHE_DIR``, else the platform's user cache folder + ``voc``."""
    env = os.environ.get("VOC_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "voc" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "voc"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "voc"


def folder_fingerprint(folder: Path, salt: str = "") -> str:
    """A 16-hex hash of a model folder: every file's path and size, small files in full and big
    ones (weights) by their first and last MiB. Hidden files and README/markdown are skipped."""
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and p.suffix.lower() != ".md"
    )
    signature = tuple(
        (p.relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns)
        for p in files
        for st in [p.stat()]
    )
    return _fingerprint(str(folder), signature, salt)


@lru_cache(maxsize=32)
def _fingerprint(folder: str, signature: tuple[tuple[str, int, int], ...], salt: str) -> str:
    digest = hashlib.sha256(salt.encode())
    for rel, size, _mtime in signature:
        digest.update(f"{rel}\0{size}\0".encode())
        with open(Path(folder, rel), "rb") as f:
            if size <= _BIG_FILE:
                digest.update(f.read())
            else:
                digest.update(f.read(_MIB))
                f.seek(-_MIB, os.SEEK_END)
                digest.update(f.read(_MIB))
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- shards


def _shards(folder: Path) -> list[Path]:
    try:
        return sorted(folder.glob(_SHARD_GLOB))
    except OSError:
        return []


def _read_member(path: Path, name: str) -> np.ndarray | None:
    """One array of a shard, or None when the shard is missing or damaged in any way."""
    try:
        with zipfile.ZipFile(path) as zf, zf.open(f"{name}.npy") as f:
            array = np.lib.format.read_array(f, allow_pickle=False)
            # read_array stops at the array's last byte; read on so the zip CRC-32 is checked.
            if f.read(1):
                return None
            return array
    except Exception:  # a damaged cache file must never crash a run: it is recomputed
        return None


def lookup(folder: Path, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Find ``keys`` (unique) in the shards of ``folder``.

    Returns the hit mask (one bool per key) and the vectors of the hits, in key order
    (``None`` when nothing was found).
    """
    hit = np.zeros(len(keys), dtype=bool)
    paths, key_arrays = [], []
    for path in _shards(folder) if len(keys) else []:
        k = _read_member(path, "keys")
        if k is not None and k.dtype == KEY_DTYPE and k.ndim == 1 and len(k):
            paths.append(path)
            key_arrays.append(k)
    if not key_arrays:
        return hit, None
    all_keys = np.concatenate(key_arrays)
    owner = np.repeat(np.arange(len(key_arrays)), [len(k) for k in key_arrays])
    starts = np.cumsum([0] + [len(k) for k in key_arrays])
    order = np.argsort(all_keys, kind="stable")
    sorted_keys = all_keys[order]
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    hit = sorted_keys[pos] == keys
    source = order[pos]  # row in all_keys, meaningful where hit
    hit_owner = np.where(hit, owner[source], -1)
    out: np.ndarray | None = None
    dim = None
    for shard in np.unique(hit_owner[hit]):
        wanted = hit_owner == shard
        vectors = _read_member(paths[shard], "vectors")
        ok = (
            vectors is not None
            and vectors.dtype == np.float32
            and vectors.ndim == 2
            and vectors.shape[0] == len(key_arrays[shard])
            and vectors.shape[1] > 0
            and (dim is None or vectors.shape[1] == dim)
            and bool(np.isfinite(vectors).all())
        )
        if not ok:
            hit &= ~wanted
            continue
        if out is None:
            dim = vectors.shape[1]
            out = np.empty((len(keys), dim), dtype=np.float32)
        out[wanted] = vectors[source[wanted] - starts[shard]]
    if out is None or not hit.any():
        return np.zeros(len(keys), dtype=bool), None
    return hit, out[hit]


def store(folder: Path, identity: str, keys: np.ndarray, vectors: np.ndarray) -> Path:
    """Write one new shard atomically (and merge the folder's shards when there are too many).

    Raises OSError when the folder cannot be written; the caller decides what to do.
    """
    folder.mkdir(parents=True, exist_ok=True)
    meta = folder / "meta.json"
    if not meta.exists():
        text = json.dumps({"identity": identity, "format": FORMAT, "dim": int(vectors.shape[1])})
        _atomic_write(meta, lambda f: f.write(text.encode()))
    path = folder / f"shard-{time.time_ns()}-{os.getpid()}-{secrets.token_hex(4)}.npz"
    _write_shard(path, keys, vectors)
    if len(_shards(folder)) > MAX_SHARDS:
        compact(folder)
    return path


def compact(folder: Path) -> None:
    """Merge every readable shard into one; delete the old and damaged ones and stale temp files."""
    shards = _shards(folder)
    keys, vectors = [], []
    for path in shards:
        k, v = _read_member(path, "keys"), _read_member(path, "vectors")
        if (
            k is not None
            and v is not None
            and k.dtype == KEY_DTYPE
            and v.dtype == np.float32
            and v.ndim == 2
            and len(k) == len(v)
            and (not vectors or v.shape[1] == vectors[0].shape[1])
            and np.isfinite(v).all()
        ):
            keys.append(k)
            vectors.append(v)
    if keys:
        all_keys = np.concatenate(keys)
        unique, first = np.unique(all_keys, return_index=True)
        merged = folder / f"shard-{time.time_ns()}-{os.getpid()}-{secrets.token_hex(4)}.npz"
        _write_shard(merged, unique, np.concatenate(vectors)[first])
    for path in shards:
        with contextlib.suppress(OSError):
            path.unlink()
    now = time.time()
    for tmp in folder.glob(f"{_TMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            if now - tmp.stat().st_mtime > _STALE_TMP_S:
                tmp.unlink()


def _write_shard(path: Path, keys: np.ndarray, vectors: np.ndarray) -> None:
    keys = np.ascontiguousarray(keys, dtype=KEY_DTYPE)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    _atomic_write(path, lambda f: np.savez(f, keys=keys, vectors=vectors))


def _atomic_write(path: Path, write) -> None:
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}.{secrets.token_hex(4)}")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# --------------------------------------------------------------------------- runtime helpers


def n_cores() -> int:
    """CPU cores this process may use (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def limit_torch_threads() -> None:
    """Never run more torch threads than usable cores (no oversubscription on small machines)."""
    import torch

    if torch.get_num_threads() > n_cores():
        torch.set_num_threads(n_cores())


def set_offline() -> None:
    """Make the Hugging Face libraries refuse the network (set before they are imported)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No progress bars and no log lines from transformers / sentence-transformers meanwhile."""
    from transformers.utils import logging as hf_logging

    had_bars = hf_logging.is_progress_bar_enabled()
    verbosity = hf_logging.get_verbosity()
    st_logger = logging.getLogger("sentence_transformers")
    st_level = st_logger.level
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    st_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        st_logger.setLevel(st_level)
        hf_logging.set_verbosity(verbosity)
        if had_bars:
            hf_logging.enable_progress_bar()


# --------------------------------------------------------------------------- sentence-transformers


def require_sentence_transformers() -> None:
    """Fail early, with what to install, when sentence-transformers is missing."""
    if importlib.util.find_spec("sentence_transformers") is None:
        raise ModuleNotFoundError(
            "this embedding backend needs sentence-transformers (and torch): "
            "pip install sentence-transformers"
        )


@lru_cache(maxsize=4)
def load_sentence_transformer(path: str) -> Any:
    """The model in ``path``, loaded once per process, offline, quietly, on the CPU."""
    set_offline()
    require_sentence_transformers()
    from sentence_transformers import SentenceTransformer

    limit_torch_threads()
    with quiet_transformers():
        return SentenceTransformer(path, device="cpu", local_files_only=True)


def configured_dim(path: Path) -> int | None:
    """The output size read from the folder's config (Transformer + one-mode Pooling [+ Normalize]),
    or None when only loading the model can tell."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text("utf-8"))
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v is True]
        return int(pooling["word_embedding_dimension"]) if len(modes) == 1 else None
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def st_major() -> int:
    """The installed sentence-transformers major version (0 when unknown)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return int(version("sentence-transformers").split(".")[0])
    except (PackageNotFoundError, ValueError):
        return 0


def token_lengths(model: Any, texts: list[str], chunk: int = 4096) -> np.ndarray:
    """Each text's length in the model's tokens, special tokens included, after truncation."""
    lengths = []
    for start in range(0, len(texts), chunk):
        ids = model.tokenizer(
            texts[start : start + chunk],
            truncation=True,
            max_length=model.max_seq_length,
            return_attention_mask=False,
            return_token_type_ids=False,
        )["input_ids"]
        lengths.extend(len(x) for x in ids)
    return np.asarray(lengths, dtype=np.int64)


# --------------------------------------------------------------------------- static model

STATIC_RECIPE = "v1"
_SIF = 1e-4
_REMOVE = re.compile(r"\[unused\d+\]")


def distil_static_model(
    source: Path,
    target: Path,
    *,
    pca_dims: int = 256,
    token_ids: Sequence[int] | None = None,
    batch_size: int = 1024,
) -> None:
    """Distil a model2vec static model from the sentence-transformer in ``source`` into ``target``.

    The model2vec recipe (``model2vec.distill.distill`` 0.10 with its defaults, re-implemented here
    because that function needs the ``skeletoken`` package of the ``model2vec[distill]`` extra):
    one forward pass of ``[CLS] token [SEP]`` per vocabulary token, mean-pooled; ``[unusedN]``
    tokens dropped; PCA to ``pca_dims``; SIF weights ``1e-4 / (1e-4 + p)`` from a Zipf estimate of
    each token's frequency by its rank in the vocabulary; stored as float16. The tokenizer is the
    source's own, unchanged, so removed tokens keep a zero row. ``token_ids`` restricts the
    vocabulary (tests). Offline: reads ``source`` only. About 1–2 min on 2 CPU cores.
    """
    set_offline()
    import torch
    from model2vec import StaticModel
    from tokenizers import Tokenizer
    from transformers import AutoModel

    limit_torch_threads()
    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    probe = Tokenizer.from_file(str(source / "tokenizer.json"))
    probe.no_padding()
    probe.no_truncation()
    full = probe.encode("hello", add_special_tokens=True).ids
    bare = probe.encode("hello", add_special_tokens=False).ids
    start = next(i for i in range(len(full)) if full[i : i + len(bare)] == bare)
    prefix, suffix = full[:start], full[start + len(bare) :]

    tokens = sorted(tokenizer.get_vocab(with_added_tokens=False).items(), key=lambda kv: kv[1])
    vocab_size = tokenizer.get_vocab_size(with_added_tokens=True)
    wanted = set(range(vocab_size)) if token_ids is None else {int(i) for i in token_ids}
    kept = np.array(
        [i for t, i in tokens if i in wanted and not _REMOVE.fullmatch(t)], dtype=np.int64
    )
    if len(kept) < 2:
        raise ValueError("the vocabulary to distil has fewer than 2 tokens")

    with quiet_transformers():
        model = AutoModel.from_pretrained(str(source), local_files_only=True).eval()
    hidden = np.empty((len(kept), model.config.hidden_size), dtype=np.float32)
    pre = torch.tensor(prefix, dtype=torch.long)
    suf = torch.tensor(suffix, dtype=torch.long)
    with torch.inference_mode():
        for s in range(0, len(kept), batch_size):
            ids = torch.from_numpy(kept[s : s + batch_size])[:, None]
            n = len(ids)
            batch = torch.cat([pre.expand(n, -1), ids, suf.expand(n, -1)], dim=1)
            out = model(
                input_ids=batch,
                attention_mask=torch.ones_like(batch),
                token_type_ids=torch.zeros_like(batch),
            ).last_hidden_state
            hidden[s : s + n] = out.float().mean(dim=1).numpy()

    x = hidden.astype(np.float64)
    x -= x.mean(axis=0)
    dims = min(pca_dims, x.shape[1])
    if dims < len(x):  # model2vec skips PCA when there are fewer tokens than dimensions
        _, eigvecs = np.linalg.eigh(x.T @ x / (len(x) - 1))
        x = x @ eigvecs[:, ::-1][:, :dims]
        flip = np.sign(x[np.abs(x).argmax(axis=0), np.arange(dims)])
        x *= np.where(flip == 0, 1.0, flip)
    inv_rank = 1.0 / np.arange(2, len(x) + 2)
    weights = _SIF / (_SIF + inv_rank / inv_rank.sum())
    vectors = np.zeros((vocab_size, x.shape[1]), dtype=np.float16)
    vectors[kept] = (x * weights[:, None]).astype(np.float16)

    config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "tokenizer_name": source.name,
        "apply_pca": pca_dims,
        "sif_coefficient": _SIF,
        "hidden_dim": int(vectors.shape[1]),
        "seq_length": 1000000,
        "normalize": True,
        "pooling": "mean",
        "voc_recipe": f"voc-static-{STATIC_RECIPE}",
    }
    static = StaticModel(
        vectors=vectors,
        tokenizer=tokenizer,
        config=config,
        normalize=True,
        base_model_name="sentence-transformers/all-MiniLM-L6-v2",
        language=["en"],
    )
    static.save_pretrained(target)


def ensure_static_model(source: Path, final: Path, *, pca_dims: int = 256) -> str:
    """Distil into ``final`` unless it is already there; return what happened, in one sentence.

    Writes atomically: distils into a hidden sibling folder, then renames it. If another process
    finished first, its folder is kept and ours discarded.
    """
    if _is_static_folder(final):
        return f"Static model loaded from {final} (distilled earlier)."
    import shutil

    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():  # damaged (we only ever rename complete folders into place): rebuild
        shutil.rmtree(final, ignore_errors=True)
    tmp = final.with_name(f"{_TMP_PREFIX}{final.name}-{os.getpid()}-{secrets.token_hex(4)}")
    started = time.perf_counter()
    try:
        distil_static_model(source, tmp, pca_dims=pca_dims)
        try:
            os.rename(tmp, final)
        except OSError:
            if not _is_static_folder(final):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - started
    return (
        f"Distilled the static embedding model from all-MiniLM-L6-v2 in {seconds:.0f} s "
        f"(a one-time cost) into {final}; later loads take well under a second."
    )


def _is_static_folder(folder: Path) -> bool:
    return all(
        (folder / name).is_file() for name in ("model.safetensors", "tokenizer.json", "config.json")
    )
