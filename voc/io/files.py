"""Atomic writes, hashing and the small output files notebooks write (tables, headlines).

Every file voc writes goes through :func:`atomic_write_bytes`: the bytes land in a temporary
file in the same folder, are flushed to disk, and are renamed over the target. A reader (or a
crash) never sees half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "Headline",
    "atomic_write_bytes",
    "atomic_write_text",
    "neutralise_formulas",
    "read_headlines",
    "save_headline",
    "save_table",
    "sha256_file",
]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
HEADLINES_FILE = "headlines.json"


def sha256_file(path: str | Path, *, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def _temporary_sibling(path: Path) -> Iterator[tuple[int, Path]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp_path = Path(tmp)
    try:
        yield fd, tmp_path
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        tmp_path.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write *data* to *path* atomically (temporary file in the same folder, then rename).

    On any failure (including a full disk) the temporary file is removed and the previous
    content of *path*, if any, is untouched.
    """
    path = Path(path)
    with _temporary_sibling(path) as (fd, tmp):
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 *text* to *path* atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(data: pd.DataFrame) -> pd.DataFrame:
    """Return a copy where text cells that a spreadsheet would run as a formula start with ``'``.

    Only text cells are touched (a negative *number* stays a number). This is the OWASP
    advice against CSV injection: ``=HYPERLINK(...)`` in a verbatim must stay text when a
    stakeholder opens the CSV in Excel.
    """

    def fix(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(_FORMULA_START):
            return "'" + value
        return value

    out = data.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(fix)
    if out.index.dtype == object:
        out.index = out.index.map(fix)
    return out


def _output_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(
            f"output name {name!r} must be lower-case letters, digits, '_' or '-' "
            "(it becomes a file name), e.g. 'nps_by_region'"
        )
    return name


def save_table(
    data: pd.DataFrame, name: str, output_dir: str | Path, *, index: bool = False
) -> pd.DataFrame:
    """Save a tidy table as ``<output_dir>/tables/<name>.csv`` (UTF-8, atomic) and return it.

    Text cells that start like a spreadsheet formula are neutralised (see
    :func:`neutralise_formulas`). Tidy tables keep everything in columns, so the index is
    left out unless *index* is true.
    """
    path = Path(output_dir) / "tables" / f"{_output_name(name)}.csv"
    text = neutralise_formulas(data).to_csv(index=index, lineterminator="\n")
    atomic_write_text(path, text)
    return data


class Headline(dict):
    """One headline number for the report's index page (a dict that displays itself)."""

    def _repr_html_(self) -> str:
        from voc.report import render_headlines

        return render_headlines([self])


def save_headline(
    output_dir: str | Path,
    key: str,
    *,
    label: str,
    value: str,
    detail: str = "",
    section: str = "",
) -> Headline:
    """Publish a headline number to the run's index page and return it for display.

    Headlines are stored in ``<output_dir>/headlines.json`` keyed by *key*, so re-running a
    cell replaces its headline instead of adding a second one.
    """
    _output_name(key)
    path = Path(output_dir) / HEADLINES_FILE
    headlines = {h["key"]: h for h in read_headlines(output_dir)}
    headline = Headline(
        key=key, label=str(label), value=str(value), detail=str(detail), section=str(section)
    )
    headlines[key] = dict(headline)
    atomic_write_text(path, json.dumps(list(headlines.values()), indent=2, ensure_ascii=False))
    return headline


def read_headlines(output_dir: str | Path) -> list[dict[str, str]]:
    """The headlines published so far in *output_dir* (empty when none)."""
    path = Path(output_dir) / HEADLINES_FILE
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))
