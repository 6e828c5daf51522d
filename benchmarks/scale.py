"""A large study end to end: a 1,000,000-row survey and 200 interviews through ``voc run``.

    python benchmarks/scale.py [--rows 1000000] [--transcripts 200] [--only survey,mixed]
                               [--out DIR [--reuse]] [--keep] [--json results.json]
                               [--privacy] [--backend minilm|static|tfidf]

Writes a synthetic study shaped like ``studies/example`` (same columns, the same latent model
and the same phrase banks, drawn with vectorised numpy/pandas) into ``DIR/studies/scale`` (a
temporary folder unless ``--out``; never the repository's ``studies/``), then runs
``voc run`` on it in a fresh process. Reported: the time to generate the study, the wall time
of the run and of each notebook (from the run's manifest), the peak resident memory of the
whole process tree (voc and its notebook kernels, sampled from /proc every 50 ms as
``benchmarks/run_example.py`` does; Linux only), and the size of each report page and of the
run's outputs. The table is printed; ``--json`` writes the figures to a file as well.
``--reuse`` runs again on a study already generated in ``--out`` with the same size.
``--privacy`` adds a roster (the interviewees' and account managers' first names, with
e-mail addresses) so that every comment and turn is pseudonymised; the benchmark sets a
throw-away key in ``VOC_PSEUDONYM_KEY`` for the run. ``--backend`` sets the embedding
backend of the topic and mixed-methods notebooks (``analysis.topics.backend``; default
``minilm`` as in the example; ``static`` or ``tfidf`` embed a million comments far faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run_example import _tree  # noqa: E402  (the /proc sampling of run_example.py)

from voc.datasets import _example_text as text  # noqa: E402
from voc.datasets import example  # noqa: E402
from voc.datasets._example_interviews import build_interview, code_interviews  # noqa: E402
from voc.datasets._example_readme import codebook_yaml  # noqa: E402

SEED = 20240517
SLUG = "scale"
#: filled variants drawn per template of a phrase bank (slots such as {ats} differ)
VARIANTS = 12


# --- the survey -------------------------------------------------------------------------------
def simulate_survey(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """The example study's latent model (``voc.datasets.example``), vectorised over ``n`` rows."""
    ex = example
    frame = pd.DataFrame(
        {
            "region": rng.choice(ex.REGIONS, size=n, p=ex.REGION_P),
            "company_size": rng.choice(ex.SIZES, size=n, p=ex.SIZE_P),
            "role": rng.choice(ex.ROLES, size=n, p=ex.ROLE_P),
            "wave": np.where(rng.random(n) < 0.48, "2024-03", "2024-09"),
        }
    )
    attitude = rng.normal(size=n)
    latent = {}
    for item in ex.ITEMS:
        x = ex.ITEM_MEAN[item] + ex.LOADING * attitude
        x = x + np.sqrt(1 - ex.LOADING**2) * rng.normal(size=n)
        for (column, value), shifts in ex.ITEM_SHIFT.items():
            x = x + np.where(frame[column].to_numpy() == value, shifts.get(item, 0.0), 0.0)
        latent[item] = x
        frame[item] = np.searchsorted(ex.LIKERT_CUTS, x) + 1
    y = sum(ex.DRIVER_WEIGHT[item] * latent[item] for item in ex.ITEMS)
    y = y + frame["region"].map(ex.NPS_SHIFT).to_numpy()
    y = y + np.where(frame["wave"].to_numpy() == "2024-09", ex.WAVE2_NPS, 0.0)
    y = ex._zscore(y + ex.NPS_NOISE * rng.normal(size=n))
    frame["nps"] = np.searchsorted(ex._norm_cuts(ex.NPS_PMF), y)
    effort = -0.6 * y - 0.25 * ex._zscore(latent["integration"]) + 0.75 * rng.normal(size=n)
    frame["ces"] = np.searchsorted(ex.CES_CUTS, effort) + 1
    satisfied = 0.65 * y + 0.2 * ex._zscore(latent["support"]) + 0.7 * rng.normal(size=n)
    frame["csat"] = np.searchsorted(ex.CSAT_CUTS, satisfied) + 1

    starts = frame["wave"].map({w: np.datetime64(d, "D") for w, d in ex.WAVES.items()})
    offsets = np.minimum(rng.exponential(5.0, size=n).astype(int), 20)
    dates = starts.to_numpy().astype("datetime64[D]") + offsets.astype("timedelta64[D]")
    order = np.lexsort((rng.random(n), dates.astype(np.int64)))
    frame = frame.iloc[order].reset_index(drop=True)
    width = max(4, len(str(n)))
    frame.insert(0, "response_date", pd.Series(dates[order]).dt.strftime("%Y-%m-%d"))
    ids = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)
    frame.insert(0, "participant_id", "R" + ids)
    return frame


def _pool(rng: np.random.Generator, banks: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Every bank's templates filled ``VARIANTS`` times, concatenated; and each bank's offsets."""
    sentences: list[str] = []
    offsets = [0]
    for bank in banks:
        sentences += [text.fill(t, rng) for t in bank for _ in range(VARIANTS)]
        offsets.append(len(sentences))
    return np.array(sentences, dtype=object), np.array(offsets)


def _draw(rng: np.random.Generator, offsets: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """A random position in bank ``bank[i]`` of a pool for every row ``i``."""
    size = offsets[bank + 1] - offsets[bank]
    return offsets[bank] + (rng.random(len(bank)) * size).astype(int)


def _choose(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column per row, with probability proportional to that row's weights."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return (cum > u[:, None]).argmax(axis=1)


def add_comments(rng: np.random.Generator, frame: pd.DataFrame) -> pd.Series:
    """Comments written like ``voc.datasets.example.make_comment``, vectorised.

    Themes are drawn with the example's weights from the item scores and the NPS group; each
    theme gives a sentence from its bank, with the example's openers, closers, generic lines,
    occasional lower-casing and the same blank rates per group (about 80% answer).
    """
    n = len(frame)
    group = np.select([frame["nps"] <= 6, frame["nps"] <= 8], ["detractor", "passive"], "promoter")
    v = {item: frame[item].fillna(3).astype(int).to_numpy() for item in example.ITEMS}
    low = np.array([0.0, *example._LOW.values()])
    high = np.array([0.0, *example._HIGH.values()])
    per_group = {
        "time_to_hire_pos": {"promoter": 0.5, "passive": 0.15, "detractor": 0.05},
        "time_to_hire_neg": {"promoter": 0.05, "passive": 0.15, "detractor": 0.5},
    }
    g = pd.Series(group)
    columns = {
        ("fragmented_systems", "neg"): 3.0
        * low[v["integration"]]
        * np.where(group == "detractor", 1.6, 1.0),
        ("slow_support", "neg"): 2.2 * low[v["support"]],
        ("account_manager", "pos"): 1.2 * high[v["support"]],
        ("account_manager", "neg"): 0.4 * low[v["support"]],
        ("search_experience", "pos"): 1.0 * high[v["search_ease"]],
        ("search_experience", "neg"): 0.8 * low[v["search_ease"]],
        ("candidate_quality", "pos"): 1.1 * high[v["candidate_quality"]],
        ("candidate_quality", "neg"): 1.0 * low[v["candidate_quality"]],
        ("time_to_hire", "pos"): g.map(per_group["time_to_hire_pos"]).to_numpy(),
        ("time_to_hire", "neg"): g.map(per_group["time_to_hire_neg"]).to_numpy(),
        ("pricing_surprises", "neg"): 1.6 * low[v["pricing_clarity"]],
        ("cross_border_compliance", "pos"): 0.6 * high[v["compliance_help"]],
        ("cross_border_compliance", "neg"): 0.9 * low[v["compliance_help"]],
    }
    keys = list(columns)
    tone = g.map(example._TONE)
    pos, neg = np.array([t[0] for t in tone]), np.array([t[1] for t in tone])
    weights = np.column_stack([columns[k] * (pos if k[1] == "pos" else neg) for k in keys]).astype(
        float
    )

    pool, offsets = _pool(rng, [text.COMMENTS[k] for k in keys])
    lowered = np.array([text.lower_first(s) for s in pool], dtype=object)
    tones = {"detractor": "neg", "passive": "mid", "promoter": "pos"}
    generic_keys = [("generic", t) for t in ("neg", "mid", "pos")]
    generic, generic_at = _pool(rng, [text.COMMENTS[k] for k in generic_keys])
    generic_low = np.array([text.lower_first(s) for s in generic], dtype=object)
    tone_index = g.map({grp: ["neg", "mid", "pos"].index(t) for grp, t in tones.items()})

    has_theme = rng.random(n) > 0.08
    first = _choose(rng, weights)
    codes = np.array([k[0] for k in keys])
    second_weights = np.where(codes[None, :] == codes[first][:, None], 0.0, weights)
    second = _choose(rng, second_weights)
    has_second = has_theme & (rng.random(n) >= 0.68)
    s1 = _draw(rng, offsets, first)
    sentence1 = np.where(has_theme, pool[s1], "")
    sentence1_low = np.where(has_theme, lowered[s1], "")
    extra1 = np.where(has_theme & (rng.random(n) < 0.15), pool[_draw(rng, offsets, first)], "")
    sentence2 = np.where(has_second, pool[_draw(rng, offsets, second)], "")
    g_at = _draw(rng, generic_at, tone_index.to_numpy())
    gen = generic[g_at]
    add_generic = ~has_theme | (rng.random(n) < 0.12)
    generic_line = np.where(add_generic, gen, "")
    # with no theme the generic line leads, and the opener may run into it
    lead = np.where(has_theme, sentence1, gen)
    lead_low = np.where(has_theme, sentence1_low, generic_low[g_at])
    generic_line = np.where(has_theme, generic_line, "")

    polarity = np.where(
        has_theme,
        np.array([k[1] for k in keys])[first],
        np.where(group == "promoter", "pos", "neg"),
    )
    opener_keys = list(text.OPENERS)
    openers, opener_at = _pool(rng, [text.OPENERS[k] for k in opener_keys])
    opener_index = (g + "|" + polarity).map({f"{a}|{b}": i for i, (a, b) in enumerate(opener_keys)})
    opener = openers[_draw(rng, opener_at, opener_index.to_numpy())]
    has_opener = rng.random(n) < 0.35
    runs_on = pd.Series(opener).str.endswith((":", "but", ",")).to_numpy()
    head = np.where(
        has_opener,
        np.where(runs_on, opener + " " + lead_low, opener + " " + lead),
        lead,
    )
    closer_keys = list(text.CLOSERS)
    closers, closer_at = _pool(rng, [text.CLOSERS[k] for k in closer_keys])
    closer = closers[_draw(rng, closer_at, g.map(closer_keys.index).to_numpy())]
    closer = np.where(rng.random(n) < 0.2, closer, "")

    comment = pd.Series(
        head + " " + extra1 + " " + sentence2 + " " + generic_line + " " + closer, dtype=object
    )
    comment = comment.str.replace(r"\s+", " ", regex=True).str.strip()
    lower = rng.random(n) < 0.05
    comment[lower] = comment[lower].str.lower()
    blank = rng.random(n) < g.map(example.COMMENT_BLANK).to_numpy()
    comment[blank] = ""
    return comment


def write_survey(frame: pd.DataFrame, rng: np.random.Generator, path: Path) -> pd.DataFrame:
    """Blank the example's share of answers per column, write the CSV export, return it."""
    out = frame.copy()
    for column, p in example.MISSING.items():
        out[column] = out[column].astype("object").where(rng.random(len(out)) >= p, None)
    out[example.COLUMNS].to_csv(path, index=False, lineterminator="\n", na_rep="")
    return out


# --- the interviews ---------------------------------------------------------------------------
def write_interviews(
    rng: np.random.Generator, frame: pd.DataFrame, n: int, dest: Path
) -> tuple[int, int]:
    """Interview ``n`` respondents with complete answers and a comment; code them twice."""
    complete = frame.dropna(subset=[*example.ITEMS, "role", "company_size"])
    pool = complete[complete["comment"].ne("")]
    chosen = pool.iloc[np.sort(rng.choice(len(pool), size=min(n, len(pool)), replace=False))]
    transcripts = dest / "data" / "transcripts"
    transcripts.mkdir(parents=True, exist_ok=True)
    interviews = []
    for row in chosen.to_dict("records"):
        row = {k: (int(v) if isinstance(v, np.integer | float) else v) for k, v in row.items()}
        name = str(rng.choice(text.FIRST_NAMES[row["region"]]))
        interview = build_interview(rng, row, name, "txt")
        (transcripts / interview.source).write_text(
            example.transcript_txt(interview), encoding="utf-8", newline=""
        )
        interviews.append(interview)
    codings = code_interviews(rng, interviews)
    (dest / "data" / "codings.csv").write_text(
        example.codings_csv(codings), encoding="utf-8", newline=""
    )
    (dest / "codebook.yaml").write_text(codebook_yaml(), encoding="utf-8", newline="")
    return len(interviews), len(codings)


def _roster() -> dict[str, Any]:
    names = sorted(
        {n for names in text.FIRST_NAMES.values() for n in names} | {*text.SLOTS["am_name"]}
    )
    return {"people": [{"name": n, "email": f"{n.lower()}@customer.example.com"} for n in names]}


def write_study(
    dest: Path,
    *,
    rows: int,
    transcripts: int,
    seed: int = SEED,
    privacy: bool = False,
    backend: str = "minilm",
) -> dict[str, Any]:
    """Write the scale study into ``dest`` and return what was written."""
    start = time.perf_counter()
    rng_survey, rng_comments, rng_missing, rng_interviews = np.random.default_rng(seed).spawn(4)
    (dest / "data").mkdir(parents=True, exist_ok=True)
    frame = simulate_survey(rng_survey, rows)
    frame["comment"] = add_comments(rng_comments, frame)
    frame = write_survey(frame, rng_missing, dest / "data" / "survey.csv")
    n_interviews, n_codings = write_interviews(rng_interviews, frame, transcripts, dest)
    config = yaml.safe_load((REPO / "studies" / "example" / "study.yaml").read_text())
    width = max(4, len(str(rows)))
    config["title"] = f"Scale benchmark: {rows:,} survey rows, {n_interviews} interviews"
    config["description"] = "Synthetic, written by benchmarks/scale.py like studies/example."
    config["interviews"]["participant_pattern"] = rf"(?P<id>R\d{{{width}}})_.*"
    config["analysis"]["topics"]["backend"] = backend
    if privacy:
        (dest / "roster.yaml").write_text(yaml.safe_dump(_roster()), encoding="utf-8")
        analysis = config.pop("analysis")
        config["privacy"] = {"roster": "roster.yaml"}
        config["analysis"] = analysis
    (dest / "study.yaml").write_text(
        yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return {
        "rows": rows,
        "privacy": privacy,
        "backend": backend,
        "comments": int(frame["comment"].ne("").sum()),
        "transcripts": n_interviews,
        "codings": n_codings,
        "survey_mb": round((dest / "data" / "survey.csv").stat().st_size / 2**20, 1),
        "generate_s": round(time.perf_counter() - start, 1),
    }


# --- the run ----------------------------------------------------------------------------------
def _rss(pid: int) -> tuple[int, int]:
    """The resident set size of the process tree of ``pid``: the sum and the largest process."""
    sizes = []
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) * 1024)
        except OSError:
            pass
    return sum(sizes), max(sizes, default=0)


def measure(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd``, echo its output with the elapsed time, and sample its memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    peak, peak_one = 0, 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_one
        while not done.is_set():
            total, one = _rss(proc.pid)
            peak, peak_one = max(peak, total), max(peak_one, one)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        print(f"  [{time.perf_counter() - start:7.1f} s] {line.rstrip()}", flush=True)
    proc.wait()
    done.set()
    sampler.join()
    return {
        "returncode": proc.returncode,
        "wall_s": round(time.perf_counter() - start, 1),
        "peak_rss_mb": round(peak / 2**20),
        "peak_rss_one_process_mb": round(peak_one / 2**20),
        "output": "".join(lines[-40:]),
    }


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def outputs_summary(run_dir: Path) -> dict[str, Any]:
    """Per-notebook seconds from the manifest, page sizes and output sizes in bytes."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    tables = sorted((run_dir / "tables").glob("*.csv"), key=lambda p: -p.stat().st_size)
    return {
        "status": manifest["status"],
        "run_s": manifest["duration_s"],
        "notebooks": {
            nb["name"]: {"status": nb["status"], "seconds": nb["duration_s"]}
            for nb in manifest["notebooks"]
        },
        "report_bytes": {p.name: p.stat().st_size for p in sorted(run_dir.glob("report/*.html"))},
        "output_bytes": {
            sub: _size(run_dir / sub)
            for sub in ("report", "tables", "notebooks", "figures", "exports")
            if (run_dir / sub).exists()
        }
        | {"run_folder": _size(run_dir), "cache": _size(run_dir.parent / "cache")},
        "largest_tables": {p.name: p.stat().st_size for p in tables[:5]},
    }


def _mb(n: int) -> str:
    return f"{n / 2**20:8.2f} MB"


def print_table(result: dict[str, Any]) -> None:
    study, run = result["study"], result["run"]
    print()
    print(
        f"rows {study['rows']:,}  comments {study['comments']:,}  transcripts "
        f"{study['transcripts']}  codings {study['codings']:,}  survey.csv "
        f"{study['survey_mb']} MB  (generated in {study['generate_s']} s)"
    )
    print(f"{'notebook':<22}{'status':>11}{'seconds':>10}{'page':>14}")
    pages = run.get("report_bytes", {})
    for name, nb in run.get("notebooks", {}).items():
        seconds = "" if nb["seconds"] is None else f"{nb['seconds']:.1f}"
        page = _mb(pages[f"{name}.html"]) if f"{name}.html" in pages else ""
        print(f"{name:<22}{nb['status']:>11}{seconds:>10}{page:>14}")
    if "index.html" in pages:
        print(f"{'index':<22}{'':>11}{'':>10}{_mb(pages['index.html']):>14}")
    print(f"{'voc run (wall)':<22}{'':>11}{run['wall_s']:>10.1f}")
    print(
        f"peak RSS, process tree: {run['peak_rss_mb']:,} MB "
        f"(largest single process {run['peak_rss_one_process_mb']:,} MB)"
    )
    for name, size in run.get("output_bytes", {}).items():
        print(f"  {name:<20}{_mb(size)}")
    for name, size in run.get("largest_tables", {}).items():
        print(f"  tables/{name:<13}{_mb(size)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--transcripts", type=int, default=200)
    parser.add_argument("--only", help="comma-separated sections, as for voc run --only")
    parser.add_argument("--out", type=Path, help="folder for studies/ and outputs/ (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--reuse", action="store_true", help="reuse the study in --out")
    parser.add_argument("--privacy", action="store_true", help="pseudonymise with a roster")
    parser.add_argument("--backend", default="minilm", help="embedding backend (minilm)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()

    root = args.out.resolve() if args.out else Path(tempfile.mkdtemp(prefix="voc-scale-"))
    if root == REPO or REPO / "studies" in [root, *root.parents]:
        sys.exit("--out must be outside the repository's studies/ folder")
    study_dir = root / "studies" / SLUG
    facts_file = study_dir / "scale.json"
    try:
        if args.reuse and facts_file.exists():
            facts = json.loads(facts_file.read_text())
            wanted = (args.rows, args.transcripts, args.privacy)
            if (facts["rows"], facts["transcripts"], facts.get("privacy", False)) != wanted:
                sys.exit(f"{study_dir} was written with other options; run without --reuse")
            config = yaml.safe_load((study_dir / "study.yaml").read_text())
            config["analysis"]["topics"]["backend"] = facts["backend"] = args.backend
            (study_dir / "study.yaml").write_text(
                yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8"
            )
        else:
            if study_dir.exists():
                shutil.rmtree(study_dir)
            print(
                f"writing {args.rows:,} rows and {args.transcripts} transcripts into {study_dir}",
                flush=True,
            )
            facts = write_study(
                study_dir,
                rows=args.rows,
                transcripts=args.transcripts,
                seed=args.seed,
                privacy=args.privacy,
                backend=args.backend,
            )
            facts_file.write_text(json.dumps(facts))
            print(f"written in {facts['generate_s']} s", flush=True)
        cmd = [str(Path(sys.executable).parent / "voc"), "run", str(study_dir)]
        if args.only:
            cmd += ["--only", args.only]
        key = {"VOC_PSEUDONYM_KEY": "0" * 64} if args.privacy else None  # a throw-away key
        run = measure(cmd, cwd=root, env=key)
        if run["returncode"] == 0:
            run |= outputs_summary((root / "outputs" / SLUG / "latest").resolve())
        else:
            runs = sorted((root / "outputs" / SLUG).glob("2*"))
            if runs and (runs[-1] / "manifest.json").exists():
                run |= outputs_summary(runs[-1])
        result = {
            "machine": f"{platform.machine()} {os.cpu_count()} cores",
            "python": platform.python_version(),
            "only": args.only,
            "study": facts,
            "run": run,
        }
        print_table(result)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
            print(f"figures written to {args.json}")
        if run["returncode"] != 0:
            sys.exit(f"voc run failed ({run['returncode']}):\n{run['output']}")
    finally:
        if not (args.out or args.keep):
            shutil.rmtree(root, ignore_errors=True)
        elif not args.out:
            print(f"kept {root}")


if __name__ == "__main__":
    main()
