"""Throughput of the embedding backends, cold and warm (from the disk cache), and the cache at scale.

    python benchmarks/embeddings.py [--corpus PATH] [--column "Review Text"] [--n 5000]
                                    [--backends minilm,static,tfidf] [--cache-n 100000]

The corpus is read in place (never copied): the first ``--n`` non-empty values of ``--column``.
For each backend: "load" is building the backend and encoding one text (imports + model load,
and for ``static`` a one-time distillation if the model is missing, reported separately); "cold"
is ``embed`` into an empty cache folder; "warm" is the same call again through the backend's
name, as a rerun would do it (hash the texts, read the cache, encode nothing). The last table
times the cache alone on ``--cache-n`` synthetic texts of 384 dims. Single measurements on a
possibly busy machine: rerun before relying on one.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "womens_clothing_reviews.csv"


def _read_corpus(path: Path, column: str, n: int) -> list[str]:
    import pandas as pd

    frame = pd.read_csv(path, usecols=[column])
    texts = frame[column].dropna().astype(str)
    texts = texts[texts.str.strip() != ""]
    return texts.head(n).tolist()


def _bench_backend(name: str, texts: list[str], models_dir: str | None) -> dict[str, object]:
    from voc.embeddings import embed, get_backend, prepare_static_model

    options = {"models_dir": models_dir} if name == "static" and models_dir else {}
    row: dict[str, object] = {"backend": name, "n": len(texts)}
    if name == "static":
        started = time.perf_counter()
        message = prepare_static_model(**options)
        row["note"] = message
        if message.startswith("Distilled"):
            row["distil_s"] = time.perf_counter() - started
    started = time.perf_counter()
    backend = get_backend(name, **options)
    if name != "tfidf":
        backend.encode(["warm up"])
    row["load_s"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        cold = embed(texts, backend=backend, cache_dir=cache)
        row["cold_s"] = time.perf_counter() - started
        started = time.perf_counter()
        warm = embed(texts, backend=name, cache_dir=cache, **options)
        row["warm_s"] = time.perf_counter() - started
    row["dim"] = cold.shape[1]
    row["identical"] = bool(np.array_equal(cold, warm))
    return row


class _RandomBackend:
    """Instant random vectors: isolates the cost of the cache itself."""

    name = "random"
    identity = "random:bench"
    dim = 384

    def encode(self, texts: list[str]) -> np.ndarray:
        rng = np.random.default_rng(len(texts))
        return rng.standard_normal((len(texts), self.dim), dtype=np.float32)


def _bench_cache(n: int) -> list[tuple[str, float]]:
    from voc import _embedding_cache
    from voc.embeddings import embed

    texts = [f"synthetic customer comment number {i} about support and pricing" for i in range(n)]
    new = [f"a new comment {i}" for i in range(n // 100)]
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        _embedding_cache.text_keys(texts)
        rows.append((f"sha256 of {n:,} texts", time.perf_counter() - started))
        started = time.perf_counter()
        embed(texts, backend=_RandomBackend(), cache_dir=cache)
        rows.append((f"cold: encode (instant) + write {n:,} x 384", time.perf_counter() - started))
        started = time.perf_counter()
        embed(texts, backend=_RandomBackend(), cache_dir=cache)
        rows.append((f"warm: all {n:,} from the cache", time.perf_counter() - started))
        started = time.perf_counter()
        embed(texts[: n // 2] + new, backend=_RandomBackend(), cache_dir=cache)
        rows.append(
            (f"partial: {n // 2:,} cached + {len(new):,} new", time.perf_counter() - started)
        )
        started = time.perf_counter()
        embed(texts[:100], backend=_RandomBackend(), cache_dir=cache)
        rows.append(("100 texts from a cache of that size", time.perf_counter() - started))
        size = sum(p.stat().st_size for p in Path(cache).rglob("*.npz"))
        rows.append((f"cache size on disk, MB (value, not s): {size / 1e6:.0f}", float("nan")))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--column", default="Review Text")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--backends", default="minilm,static,tfidf")
    parser.add_argument("--models-dir", default=None, help="where the static model is kept")
    parser.add_argument("--cache-n", type=int, default=100_000, help="0 skips the cache table")
    args = parser.parse_args(argv)

    texts = _read_corpus(args.corpus, args.column, args.n)
    words = np.median([len(t.split()) for t in texts]) if texts else 0
    print(f"corpus {args.corpus} [{args.column}]: {len(texts):,} texts, median {words:.0f} words")
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}, "
        f"VOC_CACHE_DIR={os.environ.get('VOC_CACHE_DIR', '(unset)')}"
    )
    rows = [_bench_backend(b.strip(), texts, args.models_dir) for b in args.backends.split(",")]
    print()
    print(
        f"{'backend':<8} {'n':>6} {'dim':>4} {'load s':>7} {'cold s':>8} {'docs/s':>8} "
        f"{'warm s':>7} {'speed-up':>9} {'same bits':>9}"
    )
    for r in rows:
        cold, warm = float(r["cold_s"]), float(r["warm_s"])
        print(
            f"{r['backend']:<8} {r['n']:>6} {r['dim']:>4} {float(r['load_s']):>7.1f} {cold:>8.2f} "
            f"{r['n'] / cold:>8.0f} {warm:>7.2f} {cold / warm:>8.0f}x {r['identical']!s:>9}"
        )
    for r in rows:
        if "distil_s" in r:
            print(f"static: one-time distillation {float(r['distil_s']):.0f} s")
        if "note" in r:
            print(f"static: {r['note']}")
    if args.cache_n:
        print()
        print(f"{'cache alone (random 384-d vectors)':<52} {'s':>7}")
        for label, seconds in _bench_cache(args.cache_n):
            print(f"{label:<52} {seconds:>7.2f}" if seconds == seconds else label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
