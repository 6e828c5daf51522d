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
    "Headlines",
    "atomic_write_bytes",
    "atomic_write_text",
    "neutralise_formulas",
    "read_headlines",
    "save_headline",
    "save_headlines",
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


def _proc_umask() -> int | None:
    """The umask from ``/proc/self/status`` (Linux), read without changing it; None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return None


def _import_umask() -> int:
    umask = _proc_umask()
    if umask is None:  # no /proc: set and restore it once, while voc is imported
        umask = os.umask(0o022)
        os.umask(umask)
    return umask


#: The umask when voc was imported; used where ``/proc/self/status`` cannot be read.
_UMASK = _import_umask()


def _file_mode() -> int:
    """The mode a plain ``open(path, "w")`` gives a new file: ``0o666`` less the umask."""
    umask = _proc_umask()
    return 0o666 & ~(_UMASK if umask is None else umask)


@contextlib.contextmanager
def _temporary_sibling(path: Path) -> Iterator[tuple[int, Path]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp_path = Path(tmp)
    try:
        # mkstemp makes the file 0600; reports, tables and manifests get the usual mode
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _file_mode())
        yield fd, tmp_path
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.close(fd)
        tmp_path.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None:
            exc.filename = str(path)  # a failed write() names no file: name the target
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write *data* to *path* atomically (temporary file in the same folder, then rename).

    On any failure (including a full disk) the temporary file is removed and the previous
    content of *path*, if any, is untouched; the ``OSError`` raised names *path*.
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
# A plain decimal number written as text ("-3.5", "+12", "1e-3"): a spreadsheet reads it as that
# number, never as a formula, so it is left as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_formulas(data: pd.DataFrame) -> pd.DataFrame:
    """Return a copy where text cells that a spreadsheet would run as a formula start with ``'``.

    Text cells and column names starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return are prefixed, except plain numbers written as text (``"-3.5"``); numeric columns
    are never touched (a negative *number* stays a number). This is the OWASP advice against
    CSV injection: ``=HYPERLINK(...)`` in a verbatim, or a survey column named
    ``@SUM(...)``, must stay text when a stakeholder opens the CSV in Excel.
    """

    def fix(value: Any) -> Any:
        if (
            isinstance(value, str)
            and value.startswith(_FORMULA_START)
            and not _PLAIN_NUMBER.fullmatch(value)
        ):
            return "'" + value
        return value

    out = data.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(fix)
    if not isinstance(out.columns, pd.MultiIndex):
        out.columns = [fix(c) for c in out.columns]
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


def _line_end(data: pd.DataFrame, *, index: bool) -> str:
    """``"\\n"``, or ``"\\r\\n"`` when a text holds a carriage return.

    Python's csv writer quotes a field for the characters of the line end it writes only, so
    with ``"\\n"`` a lone ``"\\r"`` in a verbatim is written bare and every CSV reader takes
    it for a line break (a phantom row). With ``"\\r\\n"`` (RFC 4180) that field is quoted.
    """

    def has_cr(values: Any) -> bool:
        return any(isinstance(v, str) and "\r" in v for v in values)

    columns = (data.iloc[:, i] for i in range(data.shape[1]))  # by position: labels may repeat
    texts = [col for col in columns if not pd.api.types.is_numeric_dtype(col)]
    if has_cr(data.columns) or (index and has_cr(data.index)) or any(map(has_cr, texts)):
        return "\r\n"
    return "\n"


def save_table(
    data: pd.DataFrame, name: str, output_dir: str | Path, *, index: bool = False
) -> pd.DataFrame:
    """Save a tidy table as ``<output_dir>/tables/<name>.csv`` (UTF-8, atomic) and return it.

    Text cells that start like a spreadsheet formula are neutralised (see
    :func:`neutralise_formulas`). Tidy tables keep everything in columns, so the index is
    left out unless *index* is true.

    The frame is tagged with its name (``data.attrs["voc_table"]``, nothing else changes), so
    the report shows it with a stable anchor (``tbl-<name>``) that key findings link to.
    """
    path = Path(output_dir) / "tables" / f"{_output_name(name)}.csv"
    safe = neutralise_formulas(data)
    text = safe.to_csv(index=index, lineterminator=_line_end(safe, index=index))
    atomic_write_text(path, text)
    data.attrs["voc_table"] = name
    return data


class Headline(dict):
    """One headline number or key finding for the report's index page (displays itself)."""

    def _repr_html_(self) -> str:
        from voc.report_index import render_findings

        return render_findings([self])


class Headlines(list):
    """Several headlines or findings (displays them)."""

    def _repr_html_(self) -> str:
        from voc.report_index import render_findings

        return render_findings(self)


#: Optional headline fields: where the supporting table is (``page``: the notebook stem, set by
#: ``voc run``; ``anchor``: the table's id in that page), what the claim rests on (``base``, with
#: n), how it was tested (``test``), and one quote with its provenance.
HEADLINE_FIELDS = ("page", "anchor", "base", "test", "quote", "quote_source")


def _headline(key: str, fields: dict[str, Any]) -> Headline:
    _output_name(key)
    unknown = sorted(
        set(fields) - {"label", "value", "detail", "section", "group", *HEADLINE_FIELDS}
    )
    if unknown:
        raise ValueError(
            f"headline {key!r}: unknown field(s) {unknown}; allowed: label, value, detail, "
            f"section, {', '.join(HEADLINE_FIELDS)}"
        )
    for required in ("label", "value"):
        if required not in fields:
            raise ValueError(f"headline {key!r} needs a {required!r}")
    page = fields.get("page") or os.environ.get("VOC_NOTEBOOK", "")
    headline = Headline(
        key=key,
        label=str(fields["label"]),
        value=str(fields["value"]),
        detail=str(fields.get("detail") or ""),
        section=str(fields.get("section") or ""),
    )
    extra = {"page": page, "group": fields.get("group")}
    extra |= {f: fields.get(f) for f in HEADLINE_FIELDS if f != "page"}
    headline.update({k: str(v) for k, v in extra.items() if v is not None and str(v) != ""})
    return headline


def _write_headlines(output_dir: str | Path, headlines: dict[str, dict[str, str]]) -> None:
    path = Path(output_dir) / HEADLINES_FILE
    atomic_write_text(path, json.dumps(list(headlines.values()), indent=2, ensure_ascii=False))


def save_headline(
    output_dir: str | Path,
    key: str,
    *,
    label: str,
    value: str,
    detail: str = "",
    section: str = "",
    page: str = "",
    anchor: str = "",
    base: str = "",
    test: str = "",
    quote: str = "",
    quote_source: str = "",
) -> Headline:
    """Publish a headline number or a key finding to the run's index page; return it for display.

    Headlines are stored in ``<output_dir>/headlines.json`` keyed by *key*, so re-running a
    cell replaces its headline instead of adding a second one.

    A headline with an *anchor*, a *base* or a *test* is a claim: the index shows it under
    "Key findings" only when it has both its *base* (who it rests on, with n) and its *test*,
    linked to the table with id *anchor* in the page of notebook *page* (default: the notebook
    ``voc run`` is running). Other headlines are shown as plain numbers.
    """
    fields = {"label": label, "value": value, "detail": detail, "section": section, "page": page}
    fields |= {"anchor": anchor, "base": base, "test": test}
    fields |= {"quote": quote, "quote_source": quote_source}
    headline = _headline(key, fields)
    headlines = {h["key"]: h for h in read_headlines(output_dir)}
    headlines[key] = dict(headline)
    _write_headlines(output_dir, headlines)
    return headline


def save_headlines(
    output_dir: str | Path, group: str, headlines: list[dict[str, Any]]
) -> Headlines:
    """Publish a group of findings (e.g. one per segment) as ``<group>_1``, ``<group>_2``, ...

    Every headline saved earlier under *group* is replaced, so a re-run that finds fewer
    leaves none behind. Each dict holds the keyword fields of :func:`save_headline`.
    """
    _output_name(group)
    kept = {h["key"]: h for h in read_headlines(output_dir) if h.get("group") != group}
    made = Headlines(
        _headline(f"{group}_{i}", {**h, "group": group}) for i, h in enumerate(headlines, 1)
    )
    for headline in made:
        kept[headline["key"]] = dict(headline)
    _write_headlines(output_dir, kept)
    return made


def read_headlines(output_dir: str | Path) -> list[dict[str, str]]:
    """The headlines published so far in *output_dir* (empty when none)."""
    path = Path(output_dir) / HEADLINES_FILE
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))
