"""Format readers behind :mod:`voc.io.survey`: a survey export → cells as text, located.

Every reader returns a :class:`RawSurvey`: one column per header, every cell a ``str`` or
``None`` (blank), indexed by where the response is in the file, the line a text editor shows
(CSV) or the row a spreadsheet shows (XLSX), or the 1-based case number (SPSS, Parquet).
Validation against ``study.yaml`` happens in :mod:`voc.io.survey`.

Files are only ever opened for reading. Nothing is guessed: an undecodable byte, an ambiguous
delimiter, a formula without a value or a malformed quote is an :class:`~voc.errors.InputError`
that says where it is and what to declare in ``study.yaml``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from voc.errors import InputError
from voc.io._survey_sheets import (
    column_letter,
    read_parquet,
    read_sav,
    xlsx_records,
)
from voc.io._survey_text import csv_records
from voc.study import SurveySpec, suggest

__all__ = ["RawSurvey", "load_survey"]

_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".sav": "sav",
    ".zsav": "sav",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class RawSurvey:
    """The cells of a survey export and where each response came from.

    ``frame`` holds ``str`` or ``None`` cells; its index is named ``line`` (text files) or
    ``row`` (spreadsheets, SPSS and Parquet cases). ``header_at`` is the line or row of the
    header (None when the format has no header line). ``labels`` maps a column to its SPSS
    value labels, keyed by the code as text (``"1"`` → ``"EMEA"``).
    """

    frame: pd.DataFrame
    fmt: str
    header_at: int | None = None
    labels: dict[str, dict[str, str]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# Dispatch
# --------------------------------------------------------------------------------------------


def load_survey(spec: SurveySpec) -> RawSurvey:
    """Read the export declared by *spec* into located text cells (see :class:`RawSurvey`)."""
    path = spec.file
    if not path.is_file():
        siblings = [p.name for p in path.parent.glob("*")] if path.parent.is_dir() else []
        what = "is a folder, not a file" if path.is_dir() else "not found"
        raise InputError(path, f"survey file {what}.{suggest(path.name, siblings)}")
    fmt = spec.format
    suffix = path.suffix.lower()
    if fmt == "auto":
        fmt = _FORMATS.get(suffix, "")
        if not fmt:
            old = " Save an old .xls workbook as .xlsx or CSV." if suffix == ".xls" else ""
            raise InputError(
                path,
                f"cannot tell the format from the extension {suffix!r}; set survey.format to "
                f"one of csv, xlsx, sav, parquet, qualtrics.{old}",
            )
    container = "xlsx" if fmt == "qualtrics" and suffix in {".xlsx", ".xlsm"} else fmt
    if container == "qualtrics":
        container = "csv"
    _check_options(spec, fmt, container)
    if container in {"csv", "xlsx"}:
        if container == "csv":
            records = csv_records(path, spec)
            kind = "line"
        else:
            records = xlsx_records(path, spec)
            kind = "row"
        frame, header_at = _frame_from_records(path, records, spec, fmt=fmt, kind=kind)
        return RawSurvey(frame, fmt, header_at)
    if container == "parquet":
        return RawSurvey(read_parquet(path), fmt)
    frame, labels = read_sav(path, spec)
    return RawSurvey(frame, fmt, labels=labels)


def _check_options(spec: SurveySpec, fmt: str, container: str) -> None:
    """Refuse reading options that do nothing for this format (a silent no-op misleads)."""
    applies = {
        "encoding": {"csv", "sav"},
        "delimiter": {"csv"},
        "sheet": {"xlsx"},
    }
    kind = {"csv": "a text (CSV) file", "xlsx": "an .xlsx workbook", "sav": "an SPSS file"}
    found = kind.get(container, "a Parquet file")
    for key, formats in applies.items():
        if getattr(spec, key) is not None and container not in formats:
            raise InputError(
                spec.file, f"survey.{key} does not apply to {found}; remove it from study.yaml"
            )
    if spec.header_rows != 1 and (fmt == "qualtrics" or container in {"sav", "parquet"}):
        why = "a Qualtrics export always has 3" if fmt == "qualtrics" else f"{found} has none"
        raise InputError(
            spec.file, f"survey.header_rows does not apply here ({why}); remove it from study.yaml"
        )


# --------------------------------------------------------------------------------------------
# Records → frame: header rows, Qualtrics, duplicate and blank headers, ragged rows
# --------------------------------------------------------------------------------------------


def _is_import_id(cell: str | None) -> bool:
    text = (cell or "").strip()
    if not text.startswith("{"):
        return False
    try:
        parsed = json.loads(text)
    except ValueError:
        return False
    return isinstance(parsed, dict) and "ImportId" in parsed


def _looks_like_import_ids(cells: list[str | None]) -> bool:
    filled = [c for c in cells if c is not None and c.strip()]
    return bool(filled) and all(_is_import_id(c) for c in filled)


def _where(kind: str, index: int) -> str:
    return f"column {index + 1}" if kind == "line" else f"column {column_letter(index)}"


def _combine_headers(rows: list[list[str | None]]) -> list[str]:
    """Several header rows → one name per column (see ``SurveySpec.header_rows``)."""
    texts = [[(c or "").strip() for c in row] for row in rows]
    width = len(texts[0])
    for upper in range(len(texts) - 1):
        last = ""
        for j in range(width):
            if texts[upper][j]:
                last = texts[upper][j]
            elif any(texts[lower][j] for lower in range(upper + 1, len(texts))):
                texts[upper][j] = last  # a merged cell spanning the sub-answers below it
    names = []
    for j in range(width):
        parts = [row[j] for row in texts]
        if parts[-1] == "Response":  # SurveyMonkey's marker of a single-answer question
            parts[-1] = ""
        names.append(" - ".join(p for p in parts if p))
    return names


def _rename_duplicates(names: list[str]) -> list[str]:
    taken = set(names)
    seen: set[str] = set()
    out = []
    for name in names:
        if name in seen:
            k = 2
            while f"{name}_{k}" in taken:
                k += 1
            name = f"{name}_{k}"
            taken.add(name)
        seen.add(name)
        out.append(name)
    return out


def _frame_from_records(
    path: Path,
    records: list[tuple[int, list[Any]]],
    spec: SurveySpec,
    *,
    fmt: str,
    kind: str,
) -> tuple[pd.DataFrame, int]:
    if not records:
        what = "the sheet is empty" if kind == "row" else "the file has no records"
        raise InputError(path, f"{what}; expected a header {kind} and responses")
    width = len(records[0][1])
    if kind == "line":
        _check_ragged(path, records, width)
    header_at = records[0][0]
    n_header = 3 if fmt == "qualtrics" else spec.header_rows
    if fmt == "qualtrics":
        if len(records) < 3 or not _looks_like_import_ids(records[2][1]):
            _qualtrics_problem(path, records, spec, kind)
    elif len(records) > 2 and _looks_like_import_ids(records[2][1]):
        raise InputError(
            path,
            "this looks like a Qualtrics export (ImportIds under the question texts); declare "
            "'format: qualtrics' in the survey section of study.yaml",
            **{kind: records[2][0]},
        )
    if len(records) > 1 and n_header == 1:
        second = [(c or "").strip() for c in records[1][1]]
        if "Open-Ended Response" in second or second.count("Response") >= 2:
            raise InputError(
                path,
                "this looks like a SurveyMonkey export with a second header row ('Response', "
                "'Open-Ended Response'); declare 'header_rows: 2' in the survey section of "
                "study.yaml",
                **{kind: records[1][0]},
            )
    if n_header == 1 or fmt == "qualtrics":
        names = [c if c is not None else "" for c in records[0][1]]
    else:
        names = _combine_headers([cells for _, cells in records[:n_header]])
    body = records[n_header:]
    if not body:
        raise InputError(
            path,
            f"the file has {'a header' if n_header == 1 else f'{n_header} header {kind}s'} but "
            "no responses",
            **{kind: header_at},
        )
    names, keep = _name_columns(path, names, body, spec, kind=kind, header_at=header_at)
    rows = (  # text records all have the header's width (checked above): used as they are
        [cells for _, cells in body]
        if kind == "line" and keep == list(range(width))
        else [[cells[j] for j in keep] for _, cells in body]
    )
    frame = pd.DataFrame(rows, columns=names, dtype=object)
    frame.index = pd.Index([number for number, _ in body], name=kind)
    return frame, header_at


def _check_ragged(path: Path, records: list[tuple[int, list[Any]]], width: int) -> None:
    ragged = [(line, cells) for line, cells in records if len(cells) != width]
    if not ragged:
        return
    line, cells = ragged[0]
    header = records[0][1]
    more = ""
    if len(ragged) > 1:
        lines = ", ".join(str(n) for n, _ in ragged[:10]) + (", …" if len(ragged) > 10 else "")
        more = f" ({len(ragged)} such lines: {lines})"
    if len(cells) > width:
        column = header[-1]
        why = f"an extra field after column {column!r}: an unquoted delimiter inside a value?"
    else:
        column = header[len(cells)]
        why = f"nothing from column {column!r} on"
    raise InputError(
        path,
        f"found {len(cells)} fields but the header has {width} ({why}){more}",
        line=line,
        column=column,
    )


def _qualtrics_problem(path: Path, records, spec: SurveySpec, kind: str) -> None:
    if len(records) < 3:
        raise InputError(
            path,
            "a Qualtrics export has 3 header lines (names, question texts, ImportIds); this "
            f"file has {len(records)} record(s) in all",
            **{kind: records[-1][0]},
        )
    number, cells = records[2]
    header = records[0][1]
    index = next((j for j, c in enumerate(cells) if not _is_import_id(c) and (c or "").strip()), 0)
    column = header[index] if index < len(header) else None
    value = cells[index] if index < len(cells) else None
    shown = (
        f"a value of {len(value)} characters"
        if column in spec.columns.text and value
        else repr(value if value is None or len(value) <= 60 else value[:57] + "...")
    )
    raise InputError(
        path,
        f'expected Qualtrics\' third header line of ImportIds ({{"ImportId":"QID1"}}), found '
        f"{shown}. Export with 'Use legacy format' off, or declare 'format: csv' if the file "
        "is not a Qualtrics export",
        **{kind: number},
        column=str(column) if column is not None else None,
    )


def _name_columns(
    path: Path,
    names: list[str],
    body: list[tuple[int, list[Any]]],
    spec: SurveySpec,
    *,
    kind: str,
    header_at: int,
) -> tuple[list[str], list[int]]:
    """Name blank headers, drop empty unnamed columns, refuse or number duplicate names."""
    keep: list[int] = []
    named: list[str] = []
    for j, name in enumerate(names):
        if name.strip():
            keep.append(j)
            named.append(name)
        elif any((cells[j] or "").strip() for _, cells in body):
            keep.append(j)
            named.append(f"column_{j + 1}")
    if spec.duplicate_headers == "rename":
        return _rename_duplicates(named), keep
    first: dict[str, int] = {}
    for j, name in zip(keep, named, strict=True):
        if name in first:
            raise InputError(
                path,
                f"{_where(kind, first[name])} and {_where(kind, j)} are both named {name!r}; "
                "every column needs a unique name. For exports that repeat a column (e.g. "
                "'Comments' after every item), declare 'duplicate_headers: rename' to number "
                f"the repeats ({name}, {name}_2, …)",
                **{kind: header_at},
                column=name,
            )
        first[name] = j
    return named, keep
