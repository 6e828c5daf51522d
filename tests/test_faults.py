"""Faults a run must survive, provoked for real on ``voc run`` in subprocesses.

* SIGKILL in the middle of a notebook: nothing half-written is visible, ``latest`` is intact,
  the next run succeeds and removes the killed run's staging folder.
* Two runs of one study at once: the second fails at once naming the lock; outputs never mix.
* A write that fails (a file size limit set with ``RLIMIT_FSIZE``, which fails writes with
  ``EFBIG`` as a full disk fails them with ``ENOSPC``): a clear error naming the file, no
  temporary or staging file left, ``latest`` intact.
* An input changed (or a transcript added) while the run goes: the run fails naming the file.
* Determinism: the same inputs twice give byte-identical tables and topic assignments; the
  survey rows shuffled give the same tables (see ``FOLLOW_INPUT_ORDER``).

The study is a survey-only slice of the example study (300 respondents over both waves, TF-IDF
topics), so it runs the survey and topics notebooks. It is run fully three times (baseline,
rerun after the kill, shuffled copy); every other run stops early or runs the survey only.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from voc.errors import RunError
from voc.run import run_study

from .conftest import EXAMPLE, write_study

pytestmark = pytest.mark.slow

SLUG = "faults"
STUDY_YAML = """\
title: Faults
survey:
  file: data/survey.csv
  columns:
    id: participant_id
    nps: nps
    likert:
      scale: [1, 5]
      items:
        search_ease: Finding suitable candidates is easy
        candidate_quality: Candidates match our requirements
        integration: The platform integrates with our HR systems
        support: Support responds quickly and solves our problem
        pricing_clarity: Pricing is clear and predictable
        compliance_help: The platform helps us stay compliant across countries
    segments: [region, company_size]
    text: [comment]
    wave: wave
analysis:
  random_seed: 7
  topics: {backend: tfidf, min_topic_size: 10}
"""
RUN_TIMEOUT = 300

#: Tables with one row per document, in the order the survey gives them: a shuffled survey
#: shuffles their rows, so they are compared after sorting by their key. Every other table is
#: ordered by its content and must come out in the same order.
FOLLOW_INPUT_ORDER = {"comment_doc_topics": "doc_id", "sentiment": "doc_id"}
#: Columns computed from the comment embeddings: the notebook embeds the comments in input
#: order and the TF-IDF backend fits its SVD on them in that order, so these agree to single
#: precision, not to the last bit. Topic assignments themselves are identical.
EMBEDDING_COLUMNS = {"comment_doc_topics": ["score"]}


def _make_study(root: Path, *, shuffle_seed: int | None = None) -> Path:
    """Every 5th example respondent (both waves), rows shuffled when a seed is given."""
    study = root / "studies" / SLUG
    (study / "data").mkdir(parents=True)
    (study / "study.yaml").write_text(STUDY_YAML, encoding="utf-8")
    with open(EXAMPLE / "data" / "survey.csv", newline="", encoding="utf-8") as fh:
        header, *records = list(csv.reader(fh))
    records = records[::5]
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(records)
    with open(study / "data" / "survey.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *records])
    return study


def _command(study: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "voc.cli", "run", str(study), *args]


def _voc_run(
    study: Path, *args: str, preexec_fn: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(study, *args),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        cwd=study.parent.parent,
        preexec_fn=preexec_fn,
        check=False,
    )


def _start(study: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``voc run`` in its own process group, stdout and stderr into *log*."""
    with open(log, "wb") as fh:
        return subprocess.Popen(
            _command(study, *args),
            stdout=fh,
            stderr=subprocess.STDOUT,
            cwd=study.parent.parent,
            start_new_session=True,
        )


def _wait_for(condition: Callable[[], object], what: str, *, proc=None, timeout=120.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"voc run exited with {proc.returncode} before {what}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _staged_notebooks(folder: Path, name: str = "*") -> list[Path]:
    return sorted(folder.glob(f".staging-*/notebooks/{name}.ipynb"))


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL voc's process group and every process it started (the kernel has its own
    session, so killing the group alone would leave it running)."""
    if proc.poll() is not None:
        return
    family = psutil.Process(proc.pid).children(recursive=True)
    os.killpg(proc.pid, signal.SIGKILL)
    for child in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            child.kill()  # psutil checks the process is still the one it listed
    proc.wait(timeout=30)
    psutil.wait_procs(family, timeout=30)


@dataclass(frozen=True)
class Snapshot:
    """What a reader of ``outputs/<slug>/`` sees."""

    latest: str
    index_html: bytes
    runs: frozenset[str]
    staging: frozenset[str]


def _snapshot(folder: Path) -> Snapshot:
    return Snapshot(
        latest=os.readlink(folder / "latest"),
        index_html=(folder / "latest" / "report" / "index.html").read_bytes(),
        runs=frozenset(p.name for p in folder.iterdir() if p.name[0].isdigit()),
        staging=frozenset(p.name for p in folder.glob(".staging-*")),
    )


def _assert_every_visible_file_is_whole(folder: Path) -> None:
    """Outside the hidden staging folders, every run has a manifest that parses, every
    notebook and JSON file parses, and no temporary file is left."""
    visible = [p for p in folder.iterdir() if not p.name.startswith(".")]
    assert {p.name for p in visible if not p.name[0].isdigit()} <= {"latest", "cache"}
    for run in (p for p in visible if p.name[0].isdigit()):
        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["run_id"] == run.name
        assert manifest["status"] in {"succeeded", "failed"}
        for path in run.rglob("*"):
            assert not path.name.endswith(".tmp"), path
            if path.suffix == ".ipynb":
                nbformat.read(str(path), as_version=4)
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
    assert not [p for p in folder.glob(".*.tmp")]


def _tables(run_dir: Path) -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in sorted((run_dir / "tables").glob("*.csv"))}


# --------------------------------------------------------------------------------------------
# The runs, shared by the tests
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    study: Path
    folder: Path
    run_dir: Path


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    study = _make_study(tmp_path_factory.mktemp("faults"))
    done = _voc_run(study)
    assert done.returncode == 0, done.stderr
    folder = study.parent.parent / "outputs" / SLUG
    return Baseline(study, folder, folder / os.readlink(folder / "latest"))


@dataclass(frozen=True)
class Killed:
    before: Snapshot
    after: Snapshot
    log: str


@pytest.fixture(scope="module")
def killed(baseline: Baseline, tmp_path_factory: pytest.TempPathFactory) -> Killed:
    """A run SIGKILLed while its first notebook executes."""
    before = _snapshot(baseline.folder)
    log = tmp_path_factory.mktemp("killed") / "voc.log"
    proc = _start(baseline.study, log)
    try:
        _wait_for(lambda: _staged_notebooks(baseline.folder, "10_survey"), "a notebook", proc=proc)
        time.sleep(2.0)  # the kernel is executing cells
        assert proc.poll() is None, "the run ended before it could be killed"
    finally:
        _kill_tree(proc)
    assert proc.returncode == -signal.SIGKILL
    return Killed(before, _snapshot(baseline.folder), log.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Rerun:
    run_dir: Path
    returncode: int
    log: str
    second: subprocess.CompletedProcess[str]
    pid: int
    lock_text: str
    runs_before: frozenset[str]


@pytest.fixture(scope="module")
def rerun(baseline: Baseline, killed: Killed, tmp_path_factory: pytest.TempPathFactory) -> Rerun:
    """The run after the kill, with a second run of the same study started while it runs."""
    stale = killed.after.staging
    log = tmp_path_factory.mktemp("rerun") / "voc.log"
    runs_before = _snapshot(baseline.folder).runs
    proc = _start(baseline.study, log)
    try:
        # the lock is held once the stale staging folder is gone and a new one exists
        _wait_for(
            lambda: (
                {p.name for p in baseline.folder.glob(".staging-*")} - stale
                and not stale & {p.name for p in baseline.folder.glob(".staging-*")}
            ),
            "the first run to take the lock",
            proc=proc,
        )
        second = _voc_run(baseline.study)
        proc.wait(timeout=RUN_TIMEOUT)
    finally:
        if proc.poll() is None:
            _kill_tree(proc)
    lock_text = (baseline.folder / ".lock").read_text(encoding="utf-8")
    run_dir = baseline.folder / os.readlink(baseline.folder / "latest")
    return Rerun(
        run_dir,
        proc.returncode,
        log.read_text(encoding="utf-8"),
        second,
        proc.pid,
        lock_text,
        runs_before,
    )


@pytest.fixture(scope="module")
def shuffled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The latest run folder of the same study with its survey rows shuffled."""
    study = _make_study(tmp_path_factory.mktemp("shuffled"), shuffle_seed=1)
    done = _voc_run(study)
    assert done.returncode == 0, done.stderr
    folder = study.parent.parent / "outputs" / SLUG
    return folder / os.readlink(folder / "latest")


# --------------------------------------------------------------------------------------------
# SIGKILL, two runs at once
# --------------------------------------------------------------------------------------------


def test_a_killed_run_leaves_latest_intact_and_nothing_half_written(
    baseline: Baseline, killed: Killed
) -> None:
    assert "10_survey (Survey) running" in killed.log
    assert killed.after.latest == killed.before.latest == baseline.run_dir.name
    assert killed.after.index_html == killed.before.index_html
    assert killed.after.runs == killed.before.runs  # the killed run left no run folder
    (stale,) = killed.after.staging - killed.before.staging  # only a hidden staging folder
    assert (baseline.folder / stale / "notebooks" / "10_survey.ipynb").is_file()
    _assert_every_visible_file_is_whole(baseline.folder)


def test_the_next_run_succeeds_and_removes_the_killed_runs_staging(
    baseline: Baseline, killed: Killed, rerun: Rerun
) -> None:
    assert rerun.returncode == 0, rerun.log
    assert "Report: outputs/faults/latest/report/index.html" in rerun.log
    assert not list(baseline.folder.glob(".staging-*"))
    assert rerun.run_dir.name not in killed.before.runs
    manifest = json.loads((rerun.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "succeeded"
    _assert_every_visible_file_is_whole(baseline.folder)


def test_a_second_run_at_once_fails_naming_the_lock_and_outputs_never_mix(
    baseline: Baseline, rerun: Rerun
) -> None:
    second = rerun.second
    assert second.returncode == 1
    assert f"another run of this study is in progress (pid {rerun.pid} since " in second.stderr
    assert str(baseline.folder / ".lock") in second.stderr
    assert "Traceback" not in second.stderr
    assert rerun.lock_text.startswith(f"pid {rerun.pid} since ")  # the second never took it
    # exactly one new run folder, holding the first run's notebooks and nothing else
    assert _snapshot(baseline.folder).runs - rerun.runs_before == {rerun.run_dir.name}
    manifest = json.loads((rerun.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == rerun.run_dir.name
    ran = {nb["name"] for nb in manifest["notebooks"] if nb["status"] == "succeeded"}
    assert ran == {"10_survey", "30_topics"}
    assert {p.stem for p in (rerun.run_dir / "notebooks").iterdir()} == ran
    assert set(_tables(rerun.run_dir)) == set(_tables(baseline.run_dir))


# --------------------------------------------------------------------------------------------
# Determinism
# --------------------------------------------------------------------------------------------


def test_the_same_inputs_twice_give_identical_tables_and_topics(
    baseline: Baseline, rerun: Rerun
) -> None:
    first, again = _tables(baseline.run_dir), _tables(rerun.run_dir)
    assert len(first) >= 10 and {"comment_doc_topics", "comment_topics", "drivers"} <= set(first)
    for name in first:
        assert again[name] == first[name], f"tables/{name}.csv differs between two runs"
    headlines = "headlines.json"
    assert (rerun.run_dir / headlines).read_bytes() == (baseline.run_dir / headlines).read_bytes()
    topics = pd.read_csv(baseline.run_dir / "tables" / "comment_doc_topics.csv")
    assert topics["topic"].nunique() >= 3  # real topics, not one blob


def _read_table(run_dir: Path, name: str) -> pd.DataFrame:
    table = pd.read_csv(run_dir / "tables" / f"{name}.csv", keep_default_na=False, na_values=[""])
    key = FOLLOW_INPUT_ORDER.get(name)
    return table.sort_values(key).reset_index(drop=True) if key else table


def test_shuffled_survey_rows_give_the_same_tables(baseline: Baseline, shuffled: Path) -> None:
    names = set(_tables(baseline.run_dir))
    assert set(_tables(shuffled)) == names
    for name in sorted(names):
        first, other = _read_table(baseline.run_dir, name), _read_table(shuffled, name)
        if name == "drivers":  # the bootstrap intervals: see the test below
            first, other = (t.drop(columns=["ci_low", "ci_high"]) for t in (first, other))
        close = EMBEDDING_COLUMNS.get(name, [])
        for column in close:
            assert other[column].to_numpy() == pytest.approx(first[column].to_numpy(), rel=1e-5)
        # sums over rows in another order differ in the last bits only
        first, other = (t.drop(columns=close) for t in (first, other))
        pd.testing.assert_frame_equal(other, first, rtol=1e-9, obj=f"tables/{name}.csv")
    for name, key in FOLLOW_INPUT_ORDER.items():
        raw = pd.read_csv(shuffled / "tables" / f"{name}.csv")
        assert not raw[key].is_monotonic_increasing  # the rows did follow the shuffled input


def test_shuffled_survey_rows_give_the_same_driver_intervals(
    baseline: Baseline, shuffled: Path
) -> None:
    first, other = _read_table(baseline.run_dir, "drivers"), _read_table(shuffled, "drivers")
    pd.testing.assert_frame_equal(other, first, rtol=1e-9)


# --------------------------------------------------------------------------------------------
# A write that fails, an input that changes
# --------------------------------------------------------------------------------------------

FILE_LIMIT = 64 * 1024  # below an executed notebook with charts, above every input read


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))


def test_a_write_that_fails_stops_the_run_cleanly(baseline: Baseline) -> None:
    before = _snapshot(baseline.folder)
    done = _voc_run(baseline.study, "--only", "survey", preexec_fn=_limit_file_size)
    assert done.returncode == 1
    assert (
        "error: The run stopped: could not write notebooks/10_survey.ipynb: File too large "
        "(the disk is full or a file size limit was hit). The unfinished run was removed. "
        f"The last good report is still {baseline.folder / 'latest' / 'report' / 'index.html'}."
    ) in done.stderr
    assert "Traceback" not in done.stderr
    after = _snapshot(baseline.folder)
    assert (after.latest, after.index_html) == (before.latest, before.index_html)
    assert after.runs == before.runs and after.staging <= before.staging
    assert not [p for p in baseline.folder.rglob("*") if p.name.endswith(".tmp")]
    _assert_every_visible_file_is_whole(baseline.folder)


def test_an_atomic_write_past_the_limit_leaves_the_old_file_and_no_temporary(
    tmp_path: Path,
) -> None:
    target = tmp_path / "tables" / "big.csv"
    target.parent.mkdir()
    target.write_text("old\n")
    script = (
        "import resource, signal, sys\n"
        "from voc.io.files import atomic_write_bytes\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "try:\n"
        "    atomic_write_bytes(sys.argv[1], b'x' * 10_000)\n"
        "except OSError as exc:\n"
        "    print(exc.errno, exc.filename)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.split() == ["27", str(target)]  # EFBIG, naming the target
    assert target.read_text() == "old\n"
    assert [p.name for p in target.parent.iterdir()] == ["big.csv"]


def test_an_input_changed_during_the_run_fails_naming_the_file(baseline: Baseline) -> None:
    survey = baseline.study / "data" / "survey.csv"
    original = survey.read_bytes()
    before = _snapshot(baseline.folder)
    log = baseline.study.parent.parent / "changed.log"
    proc = _start(baseline.study, log, "--only", "survey")
    try:
        _wait_for(lambda: _staged_notebooks(baseline.folder), "a notebook", proc=proc)
        with open(survey, "ab") as fh:  # another program appends a respondent
            fh.write(original.splitlines(keepends=True)[1].replace(b"R0", b"X9", 1))
        proc.wait(timeout=RUN_TIMEOUT)
    finally:
        if proc.poll() is None:
            _kill_tree(proc)
        survey.write_bytes(original)
    text = log.read_text(encoding="utf-8")
    assert proc.returncode == 1, text
    assert (
        "error: input file data/survey.csv changed during the run (sha256 before and after "
        "differ); raw study files must not be modified while voc runs. Run again."
    ) in text
    after = _snapshot(baseline.folder)
    assert (after.latest, after.index_html) == (before.latest, before.index_html)
    (failed,) = after.runs - before.runs  # the failed run is kept, marked failed
    manifest = json.loads((baseline.folder / failed / "manifest.json").read_text("utf-8"))
    assert manifest["status"] == "failed" and "data/survey.csv changed" in manifest["error"]
    _assert_every_visible_file_is_whole(baseline.folder)


def test_a_transcript_added_during_the_run_fails_naming_it(tmp_path: Path) -> None:
    study = write_study(
        tmp_path / "studies" / "talks",
        "title: Talks\ninterviews:\n  transcripts: transcripts\n"
        "  participant_pattern: '(?P<id>R\\d{4})_.*'\n",
    )
    (study / "transcripts").mkdir()
    shutil.copy(EXAMPLE / "data" / "transcripts" / "R0037_interview.txt", study / "transcripts")
    templates = tmp_path / "templates"
    templates.mkdir()
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "voc": {"section": "late", "title": "Late", "requires": ["interviews"]},
    }
    params = new_code_cell('study_dir: str = "."  # the study\noutput_dir: str = "."  # outputs')
    params.metadata["tags"] = ["parameters"]
    late = "R0099_interview.txt"
    nb.cells = [
        params,
        new_code_cell(
            "from pathlib import Path\n"
            f"(Path(study_dir) / 'transcripts' / {late!r}).write_text('Interviewer: Hi?')"
        ),
    ]
    nbformat.write(nb, str(templates / "10_late.ipynb"))
    with pytest.raises(RunError, match=rf"input file transcripts/{late} changed during the run"):
        run_study(study, templates_dir=templates, progress=None)
    folder = tmp_path / "outputs" / "talks"
    assert not (folder / "latest").exists()
    assert not list(folder.glob(".staging-*"))
