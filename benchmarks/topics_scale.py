"""Topics at scale: 100,000 comments on this machine, and 1,000,000 on a Dask cluster.

    python benchmarks/topics_scale.py                    # both parts, default sizes
    python benchmarks/topics_scale.py --local 100000 --dask 0
    python benchmarks/topics_scale.py --local 0 --dask 1000000 --workers 1,2

The comments are synthetic short survey comments written from the example study's phrase
banks (``voc/datasets/_example_text.py``, seeded), so the planted theme of each is known and
the adjusted mutual information (AMI) of the topics against it is printed too.

- local: a fresh process runs voc's default topic stage on ``--local`` comments: the study
  default backend (``tfidf``), then ``fit_topics`` (k-means fitted on a 20,000-comment
  content-keyed sample, every comment placed at its nearest centre). Wall time and the peak
  RSS of the process tree (sampled from /proc) are printed.
- dask: for each worker count, a ``LocalCluster`` of single-threaded worker processes;
  ``fit_topics(engine="dask", backend="static")`` fits on the sample in the client and
  the workers embed and place the rest, partition by partition. Printed: wall time, the
  throughput (comments per second over the whole call), and the peak RSS of the tree.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_example import _rss  # process-tree RSS from /proc


def comments(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` synthetic comments and their planted theme (at most 50,000 distinct texts)."""
    import numpy as np

    from voc.datasets._example_text import COMMENTS, fill

    rng = np.random.default_rng(seed)
    keys = sorted(COMMENTS)
    distinct = min(n, 50_000)
    texts, themes = [], []
    for _ in range(distinct):
        theme, tone = keys[rng.integers(len(keys))]
        template = COMMENTS[(theme, tone)][rng.integers(len(COMMENTS[(theme, tone)]))]
        texts.append(fill(template, rng))
        themes.append(theme)
    if n > distinct:
        pick = rng.integers(distinct, size=n - distinct)
        texts += [texts[i] for i in pick]
        themes += [themes[i] for i in pick]
    return texts, themes


def _local(n: int) -> dict[str, object]:
    import voc.embeddings
    import voc.topics

    texts, themes = comments(n)
    start = time.perf_counter()
    vectors = voc.embeddings.embed(texts, backend="tfidf")
    result = voc.topics.fit_topics(texts, embeddings=vectors)
    seconds = time.perf_counter() - start
    return _summary("local, tfidf", n, seconds, result, themes)


def _dask(n: int, workers: int) -> dict[str, object]:
    import logging

    from dask.distributed import Client, LocalCluster

    import voc.topics

    texts, themes = comments(n)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(lambda: __import__("voc.embeddings").embeddings.get_backend("static").model)
        start = time.perf_counter()
        result = voc.topics.fit_topics(
            texts, backend="static", engine="dask", scheduler=client, partition_size=50_000
        )
        seconds = time.perf_counter() - start
    return _summary(f"dask, static, {workers} worker(s)", n, seconds, result, themes)


def _summary(name: str, n: int, seconds: float, result, themes) -> dict[str, object]:
    from sklearn.metrics import adjusted_mutual_info_score

    return {
        "run": name,
        "n_docs": n,
        "seconds": round(seconds, 1),
        "docs_per_s": round(n / seconds),
        "n_topics": len(result.topics),
        "ami": round(float(adjusted_mutual_info_score(themes, result.doc_topics["topic"])), 3),
    }


def _measure(extra: list[str]) -> dict[str, object]:
    proc = subprocess.Popen(
        [sys.executable, __file__, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _rss(proc.pid))
        time.sleep(0.1)
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(err[-3000:])
    row = json.loads(out.strip().splitlines()[-1])
    row["peak_rss_mb"] = round(peak / 2**20)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--local", type=int, default=100_000, help="comments, local (0: skip)")
    parser.add_argument("--dask", type=int, default=1_000_000, help="comments, dask (0: skip)")
    parser.add_argument("--workers", default="1,2", help="Dask worker counts to time")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--w", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part == "local":
        print(json.dumps(_local(args.n)))
        return
    if args.part == "dask":
        print(json.dumps(_dask(args.n, args.w)))
        return
    subprocess.run(
        [sys.executable, "-c", "import voc.embeddings as e; e.prepare_static_model()"], check=True
    )
    runs = []
    if args.local:
        runs.append(["--part", "local", "--n", str(args.local)])
    if args.dask:
        runs += [
            ["--part", "dask", "--n", str(args.dask), "--w", w] for w in args.workers.split(",")
        ]
    rows = []
    for extra in runs:
        rows.append(_measure(extra))
        r = rows[-1]
        print(
            f"{r['run']:<28} {r['n_docs']:>9,} docs {r['seconds']:>8.1f} s "
            f"{r['docs_per_s']:>8,}/s  peak {r['peak_rss_mb']:>6} MB  topics {r['n_topics']:>3}"
            f"  AMI {r['ami']:.3f}",
            flush=True,
        )
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
