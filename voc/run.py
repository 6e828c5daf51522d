"""Run a study: validate, execute the notebook templates with papermill, render, promote.

The life of a run::

    outputs/<slug>/.lock                    held for the whole run (a second run fails clearly)
    outputs/<slug>/.staging-<run_id>/       everything is written here first
        notebooks/  report/  tables/  figures/  headlines.json  manifest.json
    outputs/<slug>/<run_id>/                the staging folder renamed when the run ends
    outputs/<slug>/latest -> <run_id>       swapped atomically, and only when the run succeeded

A failed notebook leaves a complete run folder whose manifest says ``failed``. A write that
fails (a full disk) or Ctrl-C removes the staging folder at once; SIGKILL leaves at most a hidden
staging folder (removed by the next run). ``latest`` always points at the last good run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from voc.errors import RunError
from voc.params import RESERVED, RUNNER_SET, Parameter, coerce, is_identifier, read_parameters
from voc.study import Study, load_study, suggest

__all__ = [
    "RunResult",
    "Template",
    "check_study",
    "list_templates",
    "notebooks_dir",
    "plan_run",
    "run_study",
]

#: What a template may require of a study, and how to tell.
_CAPABILITIES: dict[str, tuple[Callable[[Study], bool], str]] = {
    "survey": (lambda s: s.has_survey, "the study declares no survey"),
    "interviews": (lambda s: s.has_interviews, "the study declares no interviews"),
    "codings": (lambda s: s.has_codings, "the study declares no codings of its interviews"),
    "text": (lambda s: s.has_text, "the study has no open-ended comments or transcripts"),
    "nps": (
        lambda s: s.survey is not None and s.survey.columns.nps is not None,
        "the survey declares no NPS column",
    ),
    "comments": (
        lambda s: s.survey is not None and bool(s.survey.columns.text),
        "the survey declares no open-ended (text) columns",
    ),
    "likert": (
        lambda s: s.survey is not None and s.survey.columns.likert is not None,
        "the survey declares no Likert battery",
    ),
    "comment_corpus": (
        lambda s: _n_documents(s, "survey") >= 2 * s.analysis.topics.min_topic_size,
        "too few survey comments for topics (fewer than twice analysis.topics.min_topic_size)",
    ),
    "interview_corpus": (
        lambda s: _n_documents(s, "interviews") >= 2 * s.analysis.topics.min_topic_size,
        "too few participant turns for topics (fewer than twice analysis.topics.min_topic_size)",
    ),
}


def _n_documents(study: Study, origin: str) -> int:
    """How many texts a topic model of *origin* would see (read only when a cell asks)."""
    from voc.io import read_documents

    if origin == "survey" and (study.survey is None or not study.survey.columns.text):
        return 0
    if origin == "interviews" and study.interviews is None:
        return 0
    return len(read_documents(study, origin=origin))


@dataclass(frozen=True)
class Template:
    """A notebook template in ``notebooks/``: ``NN_section.ipynb``."""

    path: Path
    section: str
    title: str
    requires: tuple[str, ...]
    parameters: dict[str, Parameter]

    @property
    def stem(self) -> str:
        return self.path.stem

    def skip_reason(self, study: Study) -> str | None:
        """Why this template does not apply to *study*, or None when it does."""
        for need in self.requires:
            ok, why = _CAPABILITIES[need]
            if not ok(study):
                return why
        return None


def notebooks_dir() -> Path:
    """The templates folder: ``$VOC_NOTEBOOKS``, else ``notebooks/`` of the checkout voc runs
    from, else the copy a non-editable install carries in ``voc/_notebooks``."""
    env = os.environ.get("VOC_NOTEBOOKS")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    checkout = here.parent / "notebooks"
    return checkout if checkout.is_dir() else here / "_notebooks"


def list_templates(folder: str | Path | None = None) -> list[Template]:
    """Every ``NN_name.ipynb`` template in *folder*, in order, with its declared parameters."""
    folder = Path(folder) if folder is not None else notebooks_dir()
    if not folder.is_dir():
        raise RunError(f"no notebook templates: {folder} is not a folder (set VOC_NOTEBOOKS)")
    templates = []
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        meta = nb.metadata.get("voc", {})
        requires = tuple(meta.get("requires", ()))
        requires_cells = [r for cell in nb.cells for r in _cell_requirements(cell)]
        unknown = [r for r in (*requires, *requires_cells) if r not in _CAPABILITIES]
        if unknown:
            raise RunError(
                f"{path}: 'requires' (notebook metadata or a cell tag) names unknown {unknown}; "
                f"allowed: {list(_CAPABILITIES)}"
            )
        try:
            params = read_parameters(nb)
        except ValueError as exc:
            raise RunError(str(exc).replace("notebook:", f"{path}:", 1)) from None
        section = meta.get("section", path.stem.split("_", 1)[1])
        templates.append(
            Template(path, section, meta.get("title", section.title()), requires, params)
        )
    if not templates:
        raise RunError(f"no notebook templates (NN_name.ipynb) in {folder}")
    return templates


@dataclass
class Planned:
    template: Template
    parameters: dict[str, Any] = field(default_factory=dict)
    skip: str | None = None


def _parse_sets(
    sets: Sequence[str], templates: list[Template]
) -> list[tuple[str | None, str, str]]:
    scopes = {t.section: t for t in templates} | {t.stem: t for t in templates}
    parsed = []
    for item in sets:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected key=value, e.g. --set min_base=50")
        key, value = item.split("=", 1)
        key = key.strip()
        scope, _, name = key.rpartition(".")
        if not is_identifier(name) or (scope and not re.fullmatch(r"\w+", scope)):
            raise ValueError(
                f"--set {item!r}: {key!r} is not a valid parameter name (an identifier, "
                "optionally after a notebook name and a dot: survey.level=0.9)"
            )
        if scope and scope not in scopes:
            raise ValueError(
                f"--set {item!r}: {scope!r} is not a notebook.{suggest(scope, list(scopes))} "
                f"Notebooks: {', '.join(t.section for t in templates)}"
            )
        if name in RESERVED or name in RUNNER_SET:
            raise ValueError(f"--set {item!r}: {name} is set by voc run itself")
        parsed.append((scopes[scope].section if scope else None, name, value))
    return parsed


def _declared(templates: list[Template]) -> str:
    lines = []
    for t in templates:
        names = [
            p.describe() for p in t.parameters.values() if p.name not in (*RESERVED, *RUNNER_SET)
        ]
        lines.append(f"  {t.stem}: " + ("; ".join(names) if names else "(no options)"))
    return "\n".join(lines)


def plan_run(
    study: Study,
    *,
    only: Sequence[str] | None = None,
    sets: Sequence[str] = (),
    templates: list[Template] | None = None,
) -> list[Planned]:
    """Decide which templates run with which parameters. Validates everything up front.

    Raises
    ------
    ValueError
        For an unknown ``--only`` section, or a ``--set`` that no selected notebook declares,
        that is not an identifier, or whose value has the wrong type; the message lists the
        parameters the notebooks declare.
    """
    templates = templates if templates is not None else list_templates()
    sections = [t.section for t in templates]
    selected = templates
    if only:
        unknown = [o for o in only if o not in sections]
        if unknown:
            raise ValueError(
                f"--only {unknown[0]!r} is not a section.{suggest(unknown[0], sections)} "
                f"Sections: {', '.join(sections)}"
            )
        selected = [t for t in templates if t.section in only]
    plans = [Planned(t, skip=t.skip_reason(study)) for t in selected]
    for scope, name, raw in _parse_sets(sets, selected):
        targets = [
            p
            for p in plans
            if (scope is None or p.template.section == scope) and name in p.template.parameters
        ]
        if not targets:
            declared = sorted(
                {n for t in selected for n in t.parameters if n not in (*RESERVED, *RUNNER_SET)}
            )
            raise ValueError(
                f"--set {name}: no selected notebook declares a parameter {name!r}."
                f"{suggest(name, declared)} Declared parameters:\n{_declared(selected)}"
            )
        for p in targets:
            p.parameters[name] = coerce(raw, p.template.parameters[name].type, name=name)
    return plans


# ---------------------------------------------------------------------------------------------
# Execution
# ---------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    """What a run produced. ``report`` is the index page inside the run folder."""

    run_dir: Path
    status: str
    manifest: dict[str, Any]

    @property
    def report(self) -> Path:
        return self.run_dir / "report" / "index.html"

    @property
    def latest_report(self) -> Path:
        return self.run_dir.parent / "latest" / "report" / "index.html"


def default_outputs(study: Study) -> Path:
    """``outputs/`` beside ``studies/`` when the study lives in a ``studies`` folder, else ./outputs."""
    if study.root.parent.name == "studies":
        return study.root.parent.parent / "outputs"
    return Path.cwd() / "outputs"


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ".lock"
    fh = open(path, "a+")  # noqa: SIM115 - held for the whole run
    try:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX: no lock, documented
            pass
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise RunError(
                f"another run of this study is in progress ({holder}); outputs of two runs are "
                f"never mixed, so wait for it to finish and run again (lock: {path})"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {_now()}")
        fh.flush()
        yield
    finally:
        fh.close()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _kernel_manager_class() -> type:
    """A kernel manager that always starts the interpreter voc runs in (papermill#251, #761)."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    spec = KernelSpec(
        argv=[
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=CRITICAL",
        ],
        display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (voc)",
        language="python",
        env={},
    )

    class VocKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:  # type: ignore[override]
            return spec

    return VocKernelManager


def _kernel_env() -> dict[str, str]:
    return {
        "PYTHONHASHSEED": "0",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _failure(stem: str, exc: Any, nb_path: Path, template: Template) -> str:
    cell = getattr(exc, "cell_index", None)
    source = (getattr(exc, "source", "") or "").strip().splitlines()
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    where = ""
    if cell is not None:
        # The executed notebook has papermill's injected-parameters cell after the parameters
        # cell; count cells as they are in the template.
        template_cell = cell if cell <= _param_index(template) else cell - 1
        first = source[0] if source else ""
        where = f" in cell {template_cell + 1} (`{first[:80]}`)"
    return f"Notebook {stem} failed{where}: {ename}: {evalue}. The failed notebook is kept at {nb_path}."


def _pseudonymizer(study: Study) -> Any:
    """The study's pseudonymizer (``voc.privacy.Pseudonymizer``), or None without a roster."""
    from voc.io._pseudonyms import pseudonymizer

    return pseudonymizer(study)


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _scrubbed(value: Any, engine: Any) -> Any:
    """*value* (text, or lists and dicts of it) with roster names pseudonymised.

    Colour codes are dropped from a text that holds a name, so that a name split by them
    (a highlighted traceback) is found too.
    """
    if isinstance(value, str):
        plain = _ANSI.sub("", value)
        new = engine.pseudonymize_text(plain)
        return value if new == plain else new
    if isinstance(value, list):
        return [_scrubbed(v, engine) for v in value]
    if isinstance(value, dict):
        return {k: _scrubbed(v, engine) for k, v in value.items()}
    return value


def _pseudonymize_notebook(path: Path, engine: Any) -> None:
    """Pseudonymise what an executed notebook holds beside the (already pseudonymised) data.

    Error outputs (name, message, traceback), printed text and warnings, the injected
    parameters and papermill's record of them and of the paths: a parameter, a file name or an
    exception message may name a person.
    """
    if engine is None or not path.is_file():
        return
    nb = nbformat.read(str(path), as_version=4)
    meta = nb.metadata.get("papermill", {})
    for key in ("parameters", "input_path", "output_path"):
        if key in meta:
            meta[key] = _scrubbed(meta[key], engine)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = _scrubbed(cell.source, engine)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                for key in ("ename", "evalue", "traceback"):
                    output[key] = _scrubbed(output.get(key, ""), engine)
            elif output.get("output_type") == "stream":
                output["text"] = _scrubbed(output.get("text", ""), engine)
    from voc.io.files import atomic_write_text

    atomic_write_text(path, nbformat.writes(nb))


def _param_index(template: Template) -> int:
    from voc.params import parameters_cell

    return parameters_cell(nbformat.read(str(template.path), as_version=4))


def _cell_requirements(cell: Any) -> list[str]:
    return [
        t.split(":", 1)[1]
        for t in cell.get("metadata", {}).get("tags", [])
        if t.startswith("requires:")
    ]


def skip_cells(nb: Any, study: Study) -> Any:
    """Replace each cell tagged ``requires:<what>`` that does not apply to *study* by a note.

    A template stays free of ``if``: a cell that needs codings, say, is tagged
    ``requires:codings`` and, for a study without codings, becomes a Markdown cell saying it
    was skipped and why. Cells keep their positions, so cell numbers in errors stay right.
    """
    from nbformat.v4 import new_markdown_cell

    nb = nbformat.from_dict(nb)  # a copy
    known: dict[str, bool] = {}  # some checks read the data: once per notebook is enough
    for i, cell in enumerate(nb.cells):
        for need in _cell_requirements(cell):
            ok, why = _CAPABILITIES[need]
            if need not in known:
                known[need] = ok(study)
            if not known[need]:
                note = new_markdown_cell(f"*Skipped: {why}.*")
                note.metadata["tags"] = ["skipped"]
                note.id = cell.get("id", note.id)
                nb.cells[i] = note
                break
    return nb


def _execute(plan: Planned, study: Study, staging: Path) -> tuple[Path, float]:
    import papermill

    params = {"study_dir": str(study.root), "output_dir": ".", **plan.parameters}
    if "cache_dir" in plan.template.parameters:
        # shared by every run of the study (embeddings), outside any one run's folder
        params["cache_dir"] = str(staging.parent / "cache")
    out = staging / "notebooks" / f"{plan.template.stem}.ipynb"
    nb = skip_cells(nbformat.read(str(plan.template.path), as_version=4), study)
    started = time.monotonic()
    # headlines saved by the notebook name it as their page (voc.io.save_headline)
    with _environ({**_kernel_env(), "VOC_NOTEBOOK": plan.template.stem}):
        papermill.execute_notebook(
            nb,
            str(out),
            parameters=params,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(staging),
            start_timeout=120,
            kernel_manager_class=_kernel_manager_class(),
        )
    return out, time.monotonic() - started


def _render_pages(
    plans: list[Planned],
    records: list[dict[str, Any]],
    study: Study,
    staging: Path,
    manifest: dict[str, Any],
) -> None:
    from voc import report
    from voc.io.files import atomic_write_text, read_headlines
    from voc.report_index import manifest_footer, render_index

    nav = [("Overview", "index.html")] + [
        (p.template.title, f"{p.template.stem}.html")
        for p, r in zip(plans, records, strict=True)
        if r["status"] in {"succeeded", "failed"}
    ]
    footer = manifest_footer(manifest)
    anchors: dict[str, set[str]] = {}
    for plan, record in zip(plans, records, strict=True):
        if record["status"] not in {"succeeded", "failed"}:
            continue
        nb = nbformat.read(str(staging / record["notebook"]), as_version=4)
        html = report.render_notebook(
            nb,
            title=plan.template.title,
            study_title=study.title,
            nav=nav,
            current=f"{plan.template.stem}.html",
            footer=footer,
        )
        anchors[plan.template.stem] = report.page_anchors(html)
        atomic_write_text(staging / "report" / f"{plan.template.stem}.html", html)
        record["html"] = f"report/{plan.template.stem}.html"
    index = render_index(study, manifest, read_headlines(staging), nav=nav, anchors=anchors)
    atomic_write_text(staging / "report" / "index.html", index)


def _promote(outputs: Path, run_id: str) -> None:
    link = outputs / "latest"
    tmp = outputs / f".latest-{run_id}"
    tmp.unlink(missing_ok=True)
    os.symlink(run_id, tmp, target_is_directory=True)
    os.replace(tmp, link)  # atomic: readers see the old run or the new one, never neither


def _clean_stale(outputs: Path) -> None:
    for stale in outputs.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in outputs.glob(".latest-*"):
        stale.unlink(missing_ok=True)


#: errno values of a full disk, an exhausted quota or a file size limit
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


@contextlib.contextmanager
def _unfinished_removed(staging: Path) -> Iterator[None]:
    """Remove the staging folder of a run that stops before it is complete.

    A run whose notebook failed is complete (renamed, its manifest says ``failed``) and is
    kept. A run stopped by anything else (a write that fails, Ctrl-C) leaves nothing behind,
    and an ``OSError`` becomes a :class:`RunError` that names the file; ``latest`` is untouched.
    """
    try:
        yield
    except BaseException as exc:
        unfinished = staging.is_dir()
        shutil.rmtree(staging, ignore_errors=True)
        if not isinstance(exc, OSError):
            raise
        raise RunError(_stop_message(exc, staging, removed=unfinished)) from exc


def _stop_message(exc: OSError, staging: Path, *, removed: bool) -> str:
    name = exc.filename
    with contextlib.suppress(TypeError, ValueError):
        name = Path(name).relative_to(staging).as_posix()
    reason = exc.strerror or str(exc)
    if exc.errno in _DISK_FULL:
        what = f"could not write {name}: {reason} (the disk is full or a file size limit was hit)"
    else:
        what = f"{reason}: {name}" if name else reason
    run_dir = staging.parent / staging.name.removeprefix(".staging-")
    done = "The unfinished run was removed." if removed else "Nothing of it was kept."
    if run_dir.is_dir():
        done = f"The run folder {run_dir} is complete but 'latest' was not updated."
    last = staging.parent / "latest" / "report" / "index.html"
    keep = f" The last good report is still {last}." if last.exists() else ""
    return f"The run stopped: {what}. {done}{keep}"


def _progress_default(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_study(
    study_path: str | Path,
    *,
    only: Sequence[str] | None = None,
    sets: Sequence[str] = (),
    outputs: str | Path | None = None,
    templates_dir: str | Path | None = None,
    progress: Callable[[str], None] | None = _progress_default,
) -> RunResult:
    """Run every applicable notebook template on a study and build its report.

    Parameters
    ----------
    study_path : str or Path
        The study folder (or its ``study.yaml``).
    only : sequence of str, optional
        Sections to run (``survey``, ``interviews``, ``topics``, ``mixed``); default all.
    sets : sequence of str, optional
        ``key=value`` or ``section.key=value`` parameter overrides, validated against the
        parameters the templates declare before any kernel starts.
    outputs : str or Path, optional
        The outputs root; default ``outputs/`` beside ``studies/``.

    Returns
    -------
    RunResult
        With ``status`` ``"succeeded"``; a failed run raises instead.

    Raises
    ------
    StudyError
        The study or an input file is invalid (nothing is run or written).
    ValueError
        A bad ``--only`` or ``--set``.
    RunError
        A notebook failed or an input changed during the run. The message names the notebook,
        the cell and the error; the failed run is kept with ``manifest.json`` saying
        ``failed`` and ``latest`` is untouched.
    """
    from voc.io import check_inputs
    from voc.io.files import atomic_write_text, sha256_file
    from voc.provenance import environment, input_hashes, voc_commit

    say = progress or (lambda _msg: None)
    study = load_study(study_path)
    summary = check_inputs(study)
    # With a roster, nothing written under outputs/ names a person: not a parameter, a path or
    # an error message (the data themselves are pseudonymised when read).
    engine = _pseudonymizer(study)
    private: Callable[[str], str] = engine.pseudonymize_text if engine else str
    plans = plan_run(
        study,
        only=only,
        sets=sets,
        templates=list_templates(templates_dir) if templates_dir else None,
    )
    outputs = Path(outputs) if outputs is not None else default_outputs(study)
    folder = outputs / study.slug
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)
    staging = folder / f".staging-{run_id}"
    with _lock(folder), _unfinished_removed(staging):
        _clean_stale(folder)
        for sub in ("notebooks", "report", "tables", "figures"):
            (staging / sub).mkdir(parents=True)
        hashes = input_hashes(study)
        manifest: dict[str, Any] = {
            "run_id": run_id,
            "status": "running",
            "study": {
                "slug": study.slug,
                "title": study.title,
                "path": engine.pseudonymize_path(str(study.root)) if engine else str(study.root),
            },
            "started": _now(),
            "finished": None,
            "duration_s": None,
            "inputs": hashes,
            "input_summary": summary,
            "seeds": {"random_seed": study.analysis.random_seed},
            "options": {"only": list(only) if only else None, "sets": [private(s) for s in sets]},
            "environment": environment(),
            "voc_commit": voc_commit(),
            "kernel": sys.executable,
            "notebooks": [],
            "error": None,
        }
        records: list[dict[str, Any]] = []
        t0 = time.monotonic()
        error: str | None = None
        todo = [p for p in plans if p.skip is None]
        for plan in plans:
            t = plan.template
            record: dict[str, Any] = {
                "name": t.stem,
                "section": t.section,
                "title": t.title,
                "parameters": {
                    k: private(v) if isinstance(v, str) else v for k, v in plan.parameters.items()
                },
                "status": "not run",
                "reason": None,
                "duration_s": None,
                "notebook": None,
                "html": None,
            }
            records.append(record)
            if plan.skip is not None:
                record.update(status="skipped", reason=plan.skip)
                say(f"  skip {t.stem}: {plan.skip}")
                continue
            if error is not None:
                record["reason"] = "an earlier notebook failed"
                continue
            k = todo.index(plan) + 1
            say(
                f"[{k}/{len(todo)}] {t.stem} ({t.title}) running… ({time.monotonic() - t0:.0f} s elapsed)"
            )
            record["notebook"] = f"notebooks/{t.stem}.ipynb"
            try:
                _, seconds = _execute(plan, study, staging)
            except Exception as exc:  # papermill raises PapermillExecutionError and friends
                if isinstance(exc, OSError) and exc.errno is not None:
                    # voc itself could not write the executed notebook (a full disk): the run
                    # stops. (A cell timeout is a TimeoutError without errno: a failed notebook.)
                    exc.filename = exc.filename or str(staging / record["notebook"])
                    raise
                record.update(status="failed", duration_s=None)
                error = private(_failure(t.stem, exc, folder / run_id / record["notebook"], t))
                say(f"[{k}/{len(todo)}] {t.stem} FAILED")
                _pseudonymize_notebook(staging / record["notebook"], engine)
                continue
            _pseudonymize_notebook(staging / record["notebook"], engine)
            record.update(status="succeeded", duration_s=round(seconds, 2))
            say(f"[{k}/{len(todo)}] {t.stem} done in {seconds:.1f} s")
        after = input_hashes(study)
        # a file added (a new transcript) or removed counts as a change too
        changed = sorted(
            name for name in hashes.keys() | after.keys() if after.get(name) != hashes.get(name)
        )
        if changed and error is None:
            error = (
                f"input file{'s' if len(changed) > 1 else ''} {', '.join(changed)} changed during "
                "the run (sha256 before and after differ); raw study files must not be modified "
                "while voc runs. Run again."
            )
        manifest.update(
            notebooks=records,
            status="failed" if error else "succeeded",
            error=error,
            finished=_now(),
            duration_s=round(time.monotonic() - t0, 2),
        )
        try:
            _render_pages(plans, records, study, staging, manifest)
        except OSError:  # a write failed (a full disk): the run stops
            raise
        except Exception as exc:
            if error is None:
                error = private(f"rendering the report failed: {type(exc).__name__}: {exc}")
                manifest.update(status="failed", error=error)
        manifest["tables"] = {
            f"tables/{path.name}": sha256_file(path)
            for path in sorted((staging / "tables").glob("*.csv"))
        }
        atomic_write_text(
            staging / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False)
        )
        run_dir = folder / run_id
        os.replace(staging, run_dir)
        if error:
            last = folder / "latest"
            keep = (
                f" The last good report is still {last / 'report' / 'index.html'}."
                if last.exists()
                else ""
            )
            raise RunError(error + keep)
        _promote(folder, run_id)
    return RunResult(run_dir, "succeeded", manifest)


def check_study(study_path: str | Path) -> tuple[Study, dict[str, int]]:
    """Validate a study and every input file without running anything."""
    from voc.io import check_inputs

    study = load_study(study_path)
    return study, check_inputs(study)
