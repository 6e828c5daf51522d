"""Time `voc run` on a study, cold and warm, and measure the peak memory of the process tree.

    python benchmarks/run_example.py [--study studies/example] [--runs 2]

"Cold" is the first run into an empty outputs folder (no caches of a previous run); "warm" is
each later run. Peak memory is the largest sum of the resident set sizes of voc and every
process it started (the notebook kernels), sampled every 50 ms from /proc (Linux).
Targets (issue: the spine): the example study in < 120 s cold, < 60 s warm, peak < 3 GB.
"""

from __future__ import annotations

import argparse
import contextlib
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

REPO = Path(__file__).resolve().parent.parent


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def _rss(pid: int) -> int:
    total = 0
    for p in _tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def measure(cmd: list[str], cwd: Path) -> dict[str, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"run failed ({proc.returncode}):\n{output}")
    return {"seconds": round(seconds, 1), "peak_mb": round(peak / 2**20)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--study", default=str(REPO / "studies" / "example"))
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    voc = Path(sys.executable).parent / "voc"
    with tempfile.TemporaryDirectory() as tmp:
        study = Path(tmp) / "studies" / Path(args.study).name
        shutil.copytree(args.study, study)
        results = []
        for i in range(args.runs):
            r = measure([str(voc), "run", str(study)], cwd=Path(tmp))
            r["run"] = "cold" if i == 0 else "warm"
            results.append(r)
            print(f"{r['run']:>4}: {r['seconds']:6.1f} s   peak {r['peak_mb']:5d} MB", flush=True)
    print(
        json.dumps(
            {
                "machine": f"{platform.machine()} {os.cpu_count()} cores",
                "python": platform.python_version(),
                "study": args.study,
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
