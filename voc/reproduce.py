"""Reproduce a recorded run: re-run the study of a ``manifest.json`` and compare every table.

``voc reproduce outputs/<slug>/<run_id>/manifest.json`` checks the study's inputs against the
sha256 recorded in the manifest, runs the same notebooks with the same parameters into a
temporary outputs folder (the study's own ``outputs/`` and its ``latest`` are never touched),
and compares each recorded ``tables/*.csv`` with the new one:

- the same columns in the same order and the same number of rows;
- text cells (keys, labels, flags) exactly;
- numeric cells within a tolerance, ``|new - recorded| <= atol + rtol * |recorded|``
  (:func:`numpy.isclose`), a missing value matching only a missing value.

When the run folder has no ``tables/`` (only its manifest was kept), the tables are compared by
the sha256 the manifest records, exactly. Differences of Python, package versions or voc's
commit are listed as context, not as failures: a table that still matches reproduces.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.errors import VocError

__all__ = [
    "CellDiff",
    "InputChange",
    "ManifestError",
    "ReproduceReport",
    "TableComparison",
    "compare_tables",
    "read_manifest",
    "reproduce",
]

#: Differing cells shown per table.
MAX_CELLS = 5
#: Text values longer than this are shortened in messages.
_MAX_VALUE = 40
_MANIFEST_KEYS = ("run_id", "study", "inputs", "notebooks")
OK_STATUSES = ("identical", "within tolerance")


class ManifestError(VocError, ValueError):
    """A manifest cannot be reproduced: unreadable, not a voc manifest, or its study is gone."""


@dataclass(frozen=True)
class CellDiff:
    """One cell that differs: its row (0-based, ``line`` in the CSV), column and both values."""

    row: int
    column: str
    recorded: str
    new: str
    key: str = ""

    @property
    def line(self) -> int:
        """The line of the cell in the CSV file (line 1 is the header)."""
        return self.row + 2

    def __str__(self) -> str:
        where = f"line {self.line}" + (f" ({self.key})" if self.key else "")
        return (
            f"{where}, column {self.column!r}: recorded {_show(self.recorded)}, "
            f"now {_show(self.new)}"
        )


@dataclass(frozen=True)
class TableComparison:
    """How one table compares: ``identical``, ``within tolerance``, ``differs``, ``missing``
    (recorded, not produced again) or ``extra`` (produced, not recorded)."""

    name: str
    status: str
    detail: str = ""
    max_abs_diff: float | None = None
    cells: tuple[CellDiff, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    def describe(self) -> list[str]:
        """The lines printed for this table."""
        head = f"  {self.status:<17} {self.name}"
        if self.detail:
            head += f": {self.detail}"
        return [head] + [f"      {cell}" for cell in self.cells]


@dataclass(frozen=True)
class InputChange:
    """An input whose sha256 no longer matches the manifest: ``changed``, ``missing``, ``extra``."""

    name: str
    status: str

    def __str__(self) -> str:
        what = {
            "changed": "its sha256 differs from the one recorded",
            "missing": "recorded, but the file is gone",
            "extra": "declared by the study now, not recorded",
        }[self.status]
        return f"  {self.status:<8} {self.name} ({what})"


@dataclass
class ReproduceReport:
    """The outcome of :func:`reproduce`; ``reproduced`` is the verdict, ``summary()`` the text."""

    manifest_path: Path
    study_path: Path
    run_id: str
    rtol: float
    atol: float
    inputs: list[InputChange] = field(default_factory=list)
    n_inputs: int = 0
    tables: list[TableComparison] = field(default_factory=list)
    run_error: str | None = None
    context: list[str] = field(default_factory=list)
    new_run_dir: Path | None = None

    @property
    def differing(self) -> list[str]:
        """Names of the tables that did not reproduce."""
        return [t.name for t in self.tables if not t.ok]

    @property
    def reproduced(self) -> bool:
        """True when no input changed, the re-run succeeded and every table matches."""
        return not self.inputs and self.run_error is None and not self.differing

    def summary(self) -> str:
        """A readable account: inputs, every table, context, then the verdict."""
        lines = [
            f"Reproducing run {self.run_id} of {self.study_path} "
            f"(tolerance rtol={self.rtol:g}, atol={self.atol:g})",
            f"Inputs: {self.n_inputs - sum(c.status != 'extra' for c in self.inputs)} of "
            f"{self.n_inputs} unchanged",
        ]
        lines += [str(change) for change in self.inputs]
        if self.run_error:
            lines.append(f"The re-run failed: {self.run_error}")
        lines.append(f"Tables ({len(self.tables)}):")
        for table in self.tables:
            lines += table.describe()
        if self.context:
            lines.append("Context (not failures):")
            lines += [f"  {line}" for line in self.context]
        if self.new_run_dir is not None:
            lines.append(f"The re-run is kept in {self.new_run_dir}")
        lines.append(self.verdict())
        return "\n".join(lines)

    def verdict(self) -> str:
        """One line: ``REPRODUCED: ...`` or ``NOT REPRODUCED: ...`` naming what differs."""
        if self.reproduced:
            return (
                f"REPRODUCED: all {len(self.tables)} tables match the recorded run "
                "within tolerance."
            )
        why = []
        if self.inputs:
            why.append(
                "inputs differ from the manifest: "
                + ", ".join(f"{c.name} ({c.status})" for c in self.inputs)
            )
        if self.run_error:
            why.append("the re-run failed")
        if self.differing:
            why.append("tables differ: " + ", ".join(self.differing))
        return "NOT REPRODUCED: " + "; ".join(why) + "."


# ---------------------------------------------------------------------------------------------
# Comparing tables
# ---------------------------------------------------------------------------------------------


def _show(value: str) -> str:
    if value == "":
        return "(empty)"
    if len(value) > _MAX_VALUE:
        value = value[: _MAX_VALUE - 1] + "…"
    return repr(value)


def _as_text(data: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text a CSV holds ('' for a missing value)."""
    return data.astype(object).where(data.notna(), "").astype(str)


def _as_number(column: pd.Series) -> pd.Series | None:
    """The column as floats ('' and 'nan' as NaN), or None when a cell is not a number."""
    blank = column.str.strip().isin(["", "nan", "NaN", "NA", "<NA>", "None"])
    numbers = pd.to_numeric(column.where(~blank, "nan"), errors="coerce")
    if (numbers.isna() & ~blank).any():
        return None
    return numbers.astype(float)


def _row_labels(data: pd.DataFrame) -> list[str]:
    """``col=value`` of the leading text columns of each row (at most three), for messages."""
    keys = []
    for col in data.columns:
        if len(keys) == 3 or _as_number(data[col]) is not None:
            break
        keys.append(col)
    if not keys:
        return [""] * len(data)
    return [
        ", ".join(
            f"{k}={_show(v) if len(v) > _MAX_VALUE else v}" for k, v in zip(keys, row, strict=True)
        )
        for row in data[keys].itertuples(index=False)
    ]


def compare_tables(
    recorded: pd.DataFrame,
    new: pd.DataFrame,
    *,
    name: str = "table",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_cells: int = MAX_CELLS,
) -> TableComparison:
    """Compare a recorded table with a re-computed one, cell by cell.

    Both frames are compared as a CSV holds them: column names and order, the number of rows,
    then each column. A column whose cells are all numbers (or missing) in both tables is
    compared with :func:`numpy.isclose` (``|new - recorded| <= atol + rtol * |recorded|``,
    missing equal to missing only); any other column exactly, as text.

    Parameters
    ----------
    recorded, new : pandas.DataFrame
        The table of the recorded run and of the re-run (rows in the order they were written).
    name : str, default="table"
        The table's name, for the result.
    rtol, atol : float, default=1e-6, 1e-9
        Relative and absolute tolerance for numeric cells.
    max_cells : int, default=5
        How many differing cells to list.

    Returns
    -------
    TableComparison
        ``status`` is ``identical`` (every cell the same text), ``within tolerance``
        (``max_abs_diff`` is the largest numeric difference) or ``differs`` (``detail`` says
        how many cells or what structure, ``cells`` lists the first differing cells).

    Examples
    --------
    >>> import pandas as pd
    >>> recorded = pd.DataFrame({"group": ["a", "b"], "nps": [10.0, -5.0]})
    >>> compare_tables(recorded, recorded.assign(nps=[10.0, -5.0000001])).status
    'within tolerance'
    >>> result = compare_tables(recorded, recorded.assign(nps=[10.0, -4.0]), name="nps")
    >>> result.status, str(result.cells[0])
    ('differs', "line 3 (group=b), column 'nps': recorded '-5.0', now '-4.0'")
    """
    if rtol < 0 or atol < 0:
        raise ValueError(f"rtol and atol must be zero or positive, found rtol={rtol}, atol={atol}")
    old_cols = [str(c) for c in recorded.columns]
    new_cols = [str(c) for c in new.columns]
    if old_cols != new_cols:
        lost = [c for c in old_cols if c not in new_cols]
        added = [c for c in new_cols if c not in old_cols]
        parts = [f"missing columns {lost}" if lost else "", f"new columns {added}" if added else ""]
        detail = "; ".join(p for p in parts if p) or "the same columns in a different order"
        return TableComparison(name, "differs", f"columns differ: {detail}")
    old = _as_text(recorded).set_axis(old_cols, axis=1).reset_index(drop=True)
    now = _as_text(new).set_axis(new_cols, axis=1).reset_index(drop=True)
    if len(old) != len(now):
        return TableComparison(name, "differs", _row_count_detail(old, now))
    labels = _row_labels(old)
    mask = np.zeros(old.shape, dtype=bool)
    max_abs = 0.0
    for j, col in enumerate(old_cols):
        differs = (old[col] != now[col]).to_numpy()
        if not differs.any():
            continue
        a, b = _as_number(old[col]), _as_number(now[col])
        if a is not None and b is not None:
            a, b = a.to_numpy(), b.to_numpy()
            close = np.isclose(b, a, rtol=rtol, atol=atol, equal_nan=True)
            differs = ~close
            finite = np.isfinite(a) & np.isfinite(b) & close
            if finite.any():
                max_abs = max(max_abs, float(np.max(np.abs(a - b)[finite])))
        mask[:, j] = differs
    if mask.any():
        where = np.argwhere(mask)  # row by row, columns in table order
        cells = tuple(
            CellDiff(int(i), old_cols[j], old.iat[i, j], now.iat[i, j], labels[i])
            for i, j in where[:max_cells]
        )
        shown = f" (first {len(cells)} shown)" if len(where) > len(cells) else ""
        return TableComparison(
            name, "differs", f"{len(where)} of {mask.size} cells differ{shown}", cells=cells
        )
    if (old != now).to_numpy().any():
        return TableComparison(
            name, "within tolerance", f"max abs diff {max_abs:.3g}", max_abs_diff=max_abs
        )
    return TableComparison(name, "identical", max_abs_diff=0.0)


def _row_count_detail(old: pd.DataFrame, now: pd.DataFrame) -> str:
    detail = f"{len(old)} rows recorded, {len(now)} now"
    old_keys, new_keys = _row_labels(old), _row_labels(now)
    if old_keys and old_keys[0]:
        lost = [k for k in old_keys if k not in set(new_keys)]
        added = [k for k in new_keys if k not in set(old_keys)]
        if lost:
            detail += "; rows gone: " + "; ".join(lost[:MAX_CELLS])
        if added:
            detail += "; new rows: " + "; ".join(added[:MAX_CELLS])
    return detail


def _read_csv(path: Path) -> pd.DataFrame:
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return pd.DataFrame()
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)


# ---------------------------------------------------------------------------------------------
# Reading the manifest, checking inputs
# ---------------------------------------------------------------------------------------------


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read a run's ``manifest.json`` (or the run folder holding it) and check it is voc's.

    Raises
    ------
    ManifestError
        The file is missing, is not JSON, or lacks the keys a voc run manifest has.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "manifest.json"
    if not path.is_file():
        raise ManifestError(
            f"{path}: no such manifest; expected the manifest.json of a run folder, "
            "e.g. outputs/<slug>/latest/manifest.json"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: not UTF-8 text ({exc.reason}); expected JSON") from None
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"{path}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}); "
            "expected the manifest.json that voc run writes in each run folder"
        ) from None
    if not isinstance(manifest, dict):
        lacking = list(_MANIFEST_KEYS)
    else:
        lacking = [key for key in _MANIFEST_KEYS if key not in manifest]
        if not lacking and not isinstance(manifest["study"], dict | str):
            lacking = ["study"]
    if lacking:
        raise ManifestError(
            f"{path}: not a voc run manifest (no {', '.join(repr(k) for k in lacking)}); "
            f"expected the manifest.json that voc run writes, with the keys "
            f"{', '.join(_MANIFEST_KEYS)}"
        )
    return manifest


def _locate_study(manifest: dict[str, Any], path: Path, study: str | Path | None) -> Path:
    recorded = manifest["study"]
    recorded = recorded.get("path") if isinstance(recorded, dict) else recorded
    if study is None and not recorded:
        raise ManifestError(
            f"{path}: the manifest records no study path; pass --study PATH (the study folder)"
        )
    root = Path(study if study is not None else recorded).expanduser()
    if root.suffix in {".yaml", ".yml"} and root.is_file():
        root = root.parent
    if not (root / "study.yaml").is_file():
        where = "given with --study" if study is not None else f"recorded in {path}"
        raise ManifestError(
            f"the study folder {where} ({root}) has no study.yaml; pass --study PATH with the "
            "folder that holds the study's study.yaml and data/"
        )
    return root.resolve()


def _input_changes(recorded: dict[str, str], root: Path) -> list[InputChange]:
    from voc.io.files import sha256_file
    from voc.provenance import input_hashes
    from voc.study import load_study

    try:
        # named as the manifest names them (pseudonymised paths in a study with a roster)
        current = input_hashes(load_study(root))
    except (VocError, ValueError, OSError):
        current = {}  # the re-run reports why the study no longer loads
    changes = []
    for name, digest in recorded.items():
        now = current.get(name)
        if now is None:
            file = root / name
            now = sha256_file(file) if file.is_file() else "missing"
        if now != digest:
            changes.append(InputChange(name, "missing" if now == "missing" else "changed"))
    changes += [InputChange(name, "extra") for name in current if name not in recorded]
    return changes


def _options(manifest: dict[str, Any]) -> tuple[list[str] | None, list[str]]:
    """The ``only`` and ``sets`` of the recorded run (rebuilt from the notebooks when absent)."""
    options = manifest.get("options")
    if isinstance(options, dict):
        return options.get("only") or None, list(options.get("sets") or [])
    records = [r for r in manifest["notebooks"] if isinstance(r, dict)]
    only = sorted({r["section"] for r in records if r.get("section")}) or None
    sets = []
    for record in records:
        for key, value in (record.get("parameters") or {}).items():
            text = value if isinstance(value, str) else json.dumps(value)
            sets.append(f"{record['section']}.{key}={'none' if value is None else text}")
    return only, sets


def _context(manifest: dict[str, Any], new: dict[str, Any] | None) -> list[str]:
    from voc.provenance import environment, voc_commit

    lines = []
    was = manifest.get("environment") or {}
    now = environment()
    if was.get("python") and was.get("python") != now["python"]:
        lines.append(f"python: recorded {was['python']}, now {now['python']}")
    for name, version in (was.get("packages") or {}).items():
        current = now["packages"].get(name)
        if version != current:
            lines.append(f"{name}: recorded {version or 'absent'}, now {current or 'absent'}")
    if manifest.get("voc_commit") and manifest["voc_commit"] != voc_commit():
        lines.append(f"voc commit: recorded {manifest['voc_commit']}, now {voc_commit()}")
    if manifest.get("status") not in (None, "succeeded"):
        lines.append(f"the recorded run {manifest['status']}: {manifest.get('error')}")
    before = {r.get("name"): r for r in manifest["notebooks"] if isinstance(r, dict)}
    for record in (new or {}).get("notebooks", []):
        old = before.get(record["name"])
        if old is None:
            lines.append(f"notebook {record['name']}: not in the recorded run, {record['status']}")
            continue
        then = (old.get("status"), old.get("parameters") or {})
        if then != (record["status"], record["parameters"]):
            lines.append(
                f"notebook {record['name']}: recorded {then[0]} with parameters {then[1]}, "
                f"now {record['status']} with {record['parameters']}"
            )
    return lines


# ---------------------------------------------------------------------------------------------
# Reproducing
# ---------------------------------------------------------------------------------------------


def _recorded_tables(manifest: dict[str, Any], run_dir: Path) -> list[str]:
    names = set((manifest.get("tables") or {}).keys())
    if (run_dir / "tables").is_dir():
        names |= {f"tables/{p.name}" for p in (run_dir / "tables").glob("*.csv")}
    return sorted(names)


def _compare_run(
    manifest: dict[str, Any], run_dir: Path, new_dir: Path | None, *, rtol: float, atol: float
) -> tuple[list[TableComparison], list[str]]:
    from voc.io.files import sha256_file

    hashes: dict[str, str] = manifest.get("tables") or {}
    has_files = (run_dir / "tables").is_dir()
    new_names = (
        sorted(f"tables/{p.name}" for p in (new_dir / "tables").glob("*.csv"))
        if new_dir is not None and (new_dir / "tables").is_dir()
        else []
    )
    results, notes = [], []
    for name in _recorded_tables(manifest, run_dir):
        fresh = new_dir / name if new_dir is not None else None
        if fresh is None or not fresh.is_file():
            results.append(TableComparison(name, "missing", "recorded, not produced by the re-run"))
            continue
        old = run_dir / name
        if has_files and old.is_file():
            if name in hashes and sha256_file(old) != hashes[name]:
                notes.append(
                    f"{name}: the recorded file no longer matches its sha256 in the manifest"
                )
            try:
                results.append(
                    compare_tables(
                        _read_csv(old), _read_csv(fresh), name=name, rtol=rtol, atol=atol
                    )
                )
            except (pd.errors.ParserError, UnicodeDecodeError) as exc:
                results.append(TableComparison(name, "differs", f"cannot be read as CSV: {exc}"))
        elif sha256_file(fresh) == hashes.get(name):
            results.append(TableComparison(name, "identical", "sha256 matches the manifest"))
        else:
            why = "the recorded file is gone" if has_files else "no recorded tables/ folder"
            results.append(
                TableComparison(
                    name, "differs", f"sha256 differs from the manifest ({why}, compared exactly)"
                )
            )
    recorded = {r.name for r in results}
    results += [
        TableComparison(name, "extra", "produced by the re-run, not recorded")
        for name in new_names
        if name not in recorded
    ]
    return results, notes


def _run_dirs(outputs: Path) -> set[Path]:
    """The run folders under an outputs root (``<slug>/<run_id>/`` with a manifest)."""
    return {
        p.parent
        for p in outputs.glob("*/*/manifest.json")
        if not p.parent.name.startswith(".") and p.parent.name != "latest"
    }


def reproduce(
    manifest_path: str | Path,
    *,
    study: str | Path | None = None,
    outputs: str | Path | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    progress: Callable[[str], None] | None = None,
) -> ReproduceReport:
    """Re-run the study recorded in a run manifest and compare every table with the recorded one.

    Parameters
    ----------
    manifest_path : str or Path
        ``outputs/<slug>/<run_id>/manifest.json`` (or its run folder). The recorded tables are
        read from ``tables/`` beside it; without that folder, the sha256 the manifest records
        for each table are compared instead, exactly.
    study : str or Path, optional
        The study folder, when it is no longer where the manifest says (another machine).
    outputs : str or Path, optional
        Where to write the re-run, kept for inspection; default a temporary folder, removed
        afterwards unless the re-run failed (its error names the notebook kept there). Never
        the study's own outputs, whose ``latest`` a run would move.
    rtol, atol : float, default=1e-6, 1e-9
        Tolerance for numeric cells (see :func:`compare_tables`).
    progress : callable, optional
        Receives the progress lines of the re-run.

    Returns
    -------
    ReproduceReport
        ``reproduced`` is true when every input matches its recorded sha256, the re-run
        succeeded and every recorded table matches within tolerance (and none is new);
        ``summary()`` says what differs: inputs by file, tables by name and cell.

    Raises
    ------
    ManifestError
        The manifest is unreadable or not voc's, or the study folder cannot be found.
    """
    from voc.run import run_study

    if rtol < 0 or atol < 0:
        raise ValueError(f"rtol and atol must be zero or positive, found rtol={rtol}, atol={atol}")
    path = Path(manifest_path)
    manifest = read_manifest(path)
    run_dir = (path if path.is_dir() else path.parent).resolve()
    root = _locate_study(manifest, path, study)
    if not _recorded_tables(manifest, run_dir):
        raise ManifestError(
            f"{path}: nothing to compare: the run folder has no tables/ and the manifest records "
            "no table sha256 (manifests written by this voc record them)"
        )
    if outputs is not None and Path(outputs).resolve() == run_dir.parent.parent:
        raise ManifestError(
            f"--outputs {outputs} is the recorded run's own outputs folder; a re-run there would "
            "move its 'latest'. Choose another folder, or leave --outputs out for a temporary one"
        )
    recorded_inputs = manifest["inputs"] if isinstance(manifest["inputs"], dict) else {}
    report = ReproduceReport(
        manifest_path=path,
        study_path=root,
        run_id=str(manifest["run_id"]),
        rtol=rtol,
        atol=atol,
        inputs=_input_changes(recorded_inputs, root),
        n_inputs=len(recorded_inputs),
    )
    only, sets = _options(manifest)
    where = Path(outputs) if outputs else Path(tempfile.mkdtemp(prefix="voc-reproduce-"))
    before = _run_dirs(where)
    new_dir, new_manifest = None, None
    try:
        try:
            result = run_study(root, only=only, sets=sets, outputs=where, progress=progress)
            new_dir, new_manifest = result.run_dir, result.manifest
        except (VocError, ValueError) as exc:
            report.run_error = str(exc)
            made = sorted(_run_dirs(where) - before)  # a failed run keeps its folder
            new_dir = made[-1] if made else None
        report.tables, notes = _compare_run(manifest, run_dir, new_dir, rtol=rtol, atol=atol)
        report.context = notes + _context(manifest, new_manifest)
    finally:
        # a failed re-run is kept: its error points at the failed notebook inside it
        if outputs is not None or (report.run_error is not None and new_dir is not None):
            report.new_run_dir = new_dir
        else:
            shutil.rmtree(where, ignore_errors=True)
    return report
