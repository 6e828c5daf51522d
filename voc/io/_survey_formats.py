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

import codecs
import csv
import datetime as dt
import io
import json
import math
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from voc.errors import InputError
from voc.study import SurveySpec, suggest

__all__ = ["RawSurvey", "cell_text", "load_survey"]

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
# UTF-32 first: its little-endian BOM starts with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DELIMITERS = (",", ";", "\t", "|")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCODING_HINT = (
    "Declare the file's encoding in study.yaml with the 'encoding:' key of the survey section, "
    "e.g. 'encoding: cp1252' for a Windows/Excel CSV or 'encoding: utf-16' for an Excel "
    "'Unicode text' export."
)


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


def cell_text(value: Any) -> str | None:
    """One cell as text: blanks and NaN → None, 7.0 → ``"7"``, dates → ISO 8601."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time() and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return cell_text(value.item())
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


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
            records = _csv_records(path, spec)
            kind = "line"
        else:
            records = _xlsx_records(path, spec)
            kind = "row"
        frame, header_at = _frame_from_records(path, records, spec, fmt=fmt, kind=kind)
        return RawSurvey(frame, fmt, header_at)
    if container == "parquet":
        return RawSurvey(_read_parquet(path), fmt)
    frame, labels = _read_sav(path, spec)
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
# Text files: decoding, delimiter, records
# --------------------------------------------------------------------------------------------


def _bom_encoding(raw: bytes) -> str | None:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    return None


def _codec(name: str) -> str:
    return codecs.lookup(name).name


def _decode(path: Path, raw: bytes, declared: str | None) -> str:
    """Decode *raw* strictly: a BOM, else the declared encoding, else UTF-8; never a guess."""
    bom = _bom_encoding(raw)
    encoding = bom or "utf-8"
    if declared is not None:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            raise InputError(
                path, f"unknown encoding {declared!r} in survey.encoding (try utf-8, cp1252, utf-16)"
            ) from None
        family = codecs.lookup(bom).name.removesuffix("-sig") if bom else None
        if family is not None and not codec.startswith(family):
            raise InputError(
                path,
                f"the file starts with a {family} byte-order mark but survey.encoding is "
                f"{declared!r}; remove the 'encoding:' key (a byte-order mark is always honoured)",
            )
        if bom is None:
            encoding = declared
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        bad = raw[exc.start : min(exc.end, exc.start + 4)]
        raise InputError(
            path,
            f"bytes {bad.hex(' ')} at byte offset {exc.start} cannot be decoded as "
            f"{encoding.replace('-sig', '')} ({exc.reason}). {_ENCODING_HINT}",
            line=line,
        ) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(
            path,
            "the text contains NUL characters: this looks like a UTF-16 file without a "
            "byte-order mark. Declare 'encoding: utf-16-le' (or utf-16-be) in study.yaml.",
            line=line,
        )
    return text


def _first_record_counts(text: str) -> dict[str, int]:
    """How often each candidate delimiter occurs outside quotes in the first record."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            if char in "\r\n":
                break
            if char in counts:
                counts[char] += 1
    return counts


def _sniff_delimiter(path: Path, text: str) -> str:
    counts = _first_record_counts(text)
    best = max(counts.values())
    if best == 0:
        return ","
    winners = [d for d, n in counts.items() if n == best]
    if len(winners) > 1:
        shown = " and ".join(f"{n} {d!r}" for d, n in counts.items() if n == best)
        raise InputError(
            path,
            f"cannot tell the delimiter from the header line (it has {shown}); declare it in "
            "study.yaml, e.g. 'delimiter: \";\"' or 'delimiter: tab'",
            line=1,
        )
    return winners[0]


def _csv_records(path: Path, spec: SurveySpec) -> list[tuple[int, list[str]]]:
    """Parse a delimited text file into ``(first line of the record, fields)`` pairs."""
    with path.open("rb") as handle:
        raw = handle.read()
    text = _decode(path, raw, spec.encoding)
    if not text.strip():
        raise InputError(path, "the file is empty; expected a header line and responses")
    delimiter = spec.delimiter or _sniff_delimiter(path, text)
    # Lines end at "\n" only, so a lone "\r" inside quotes stays part of its field and the line
    # numbers are the ones an editor shows.
    reader = csv.reader(io.StringIO(text, newline="\n"), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(path, _csv_problem(str(exc), start, reader.line_num), line=start)
        if any(cell.strip() for cell in row):
            records.append((start, row))
        start = reader.line_num + 1
    return records


def _csv_problem(message: str, start: int, end: int) -> str:
    if "unexpected end of data" in message:
        return (
            "a quoted field that starts in this record is never closed (the file ends inside "
            "quotes); close the quote or double any quote inside the field (\"\")"
        )
    if "expected after" in message:
        return (
            f"a closing quote must be followed by the delimiter or the end of the line "
            f"(line {end}); quote the whole field and double any quote inside it (\"\")"
        )
    if "new-line character seen in unquoted field" in message:
        return (
            f"a lone carriage return (\\r) outside quotes on line {end}: the file mixes line "
            "endings; re-export it with Windows or Unix line endings"
        )
    if "field larger than field limit" in message:
        return (
            f"a field longer than {csv.field_size_limit():,} characters ends on line {end}: "
            "usually a quote that is never closed"
        )
    return f"not valid CSV ({message}, detected on line {end})"


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _open_workbook(path: Path, *, data_only: bool):
    import openpyxl

    with warnings.catch_warnings():
        # openpyxl warns about styles and extensions it does not read; they carry no data.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)


def _xlsx_records(path: Path, spec: SurveySpec) -> list[tuple[int, list[str | None]]]:
    """Read one sheet into ``(spreadsheet row, cells)`` pairs, refusing uncalculated formulas."""
    with path.open("rb") as handle:
        magic = handle.read(8)
    if magic == _OLE_MAGIC:
        raise InputError(
            path,
            "not an .xlsx workbook but an OLE2 file: an old .xls workbook or a "
            "password-protected .xlsx. Save it unprotected as .xlsx, or export CSV.",
        )
    if not zipfile.is_zipfile(path):
        raise InputError(
            path, "not an .xlsx workbook (an .xlsx file is a zip archive and this is not one)"
        )
    try:
        values_book = _open_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise InputError(path, f"not a readable .xlsx workbook ({exc})") from None
    try:
        sheets = {ws.title: ws.sheet_state for ws in values_book.worksheets}
        names = list(sheets)
        listed = ", ".join(
            f"{name!r}" + ("" if state == "visible" else f" ({state.replace('veryH', 'very h')})")
            for name, state in sheets.items()
        )
        if spec.sheet is None and len(names) != 1:
            raise InputError(
                path,
                f"the workbook has {len(names)} sheets ({listed}); declare the one holding the "
                "responses with 'sheet:' in the survey section of study.yaml",
            )
        sheet = spec.sheet if spec.sheet is not None else names[0]
        if sheet not in sheets:
            raise InputError(
                path, f"no sheet {sheet!r}.{suggest(sheet, names)} Sheets in the workbook: {listed}"
            )
        formula_book = _open_workbook(path, data_only=False)
        try:
            return _sheet_records(path, values_book[sheet], formula_book[sheet])
        finally:
            formula_book.close()
    finally:
        values_book.close()


def _sheet_records(path: Path, values, formulas) -> list[tuple[int, list[str | None]]]:
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    values.reset_dimensions()
    formulas.reset_dimensions()
    pairs = zip(
        values.iter_rows(values_only=True), formulas.iter_rows(values_only=True), strict=False
    )
    raw_rows: list[tuple[int, list[Any]]] = []
    for number, (cells, sources) in enumerate(pairs, start=1):
        header = raw_rows[0][1] if raw_rows else cells
        for index, (value, source) in enumerate(zip(cells, sources, strict=False)):
            is_formula = isinstance(source, ArrayFormula | DataTableFormula) or (
                isinstance(source, str) and source.startswith("=")
            )
            if value is None and is_formula:
                name = cell_text(header[index]) if index < len(header) else None
                cell = f"{_column_letter(index)}{number}"
                raise InputError(
                    path,
                    f"cell {cell} holds the formula {cell_text(source)!r} but no calculated "
                    "value (the workbook was written by a program that does not calculate). "
                    "Open and save it in Excel or LibreOffice, or export the sheet as CSV.",
                    row=number,
                    column=name or _column_letter(index),
                )
        if not all(_blank(c) for c in cells):
            raw_rows.append((number, list(cells)))
    width = max((len(r) for _, r in raw_rows), default=0)
    return [(n, [cell_text(c) for c in r] + [None] * (width - len(r))) for n, r in raw_rows]


# --------------------------------------------------------------------------------------------
# Records → frame: header rows, Qualtrics, duplicate and blank headers, ragged rows
# --------------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    text = cell_text(value)
    return text is None or not text.strip()


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
    return f"column {index + 1}" if kind == "line" else f"column {_column_letter(index)}"


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
    if n_header == 1:
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
    frame = pd.DataFrame(
        [[cells[j] for j in keep] for _, cells in body], columns=names, dtype=object
    )
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
    index = next(
        (j for j, c in enumerate(cells) if not _is_import_id(c) and (c or "").strip()), 0
    )
    column = header[index] if index < len(header) else None
    value = cells[index] if index < len(cells) else None
    shown = (
        f"a value of {len(value)} characters"
        if column in spec.columns.text and value
        else repr(value if value is None or len(value) <= 60 else value[:57] + "...")
    )
    raise InputError(
        path,
        f"expected Qualtrics' third header line of ImportIds ({{\"ImportId\":\"QID1\"}}), found "
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


# --------------------------------------------------------------------------------------------
# Parquet and SPSS
# --------------------------------------------------------------------------------------------


def _cells(columns: dict[str, list[Any]], n_rows: int) -> pd.DataFrame:
    out = pd.DataFrame(
        {name: [cell_text(v) for v in values] for name, values in columns.items()},
        index=pd.RangeIndex(1, n_rows + 1, name="row"),
        dtype=object,
    )
    return out


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(path, f"not a readable Parquet file ({exc})") from None
    names = [str(n) for n in table.column_names]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(path, f"more than one column is named {dupes[0]!r}", column=dupes[0])
    if table.num_rows == 0:
        raise InputError(path, "the file has columns but no responses")
    # Every stored column, a pandas index included, as plain Python values (no dtype guessing).
    return _cells({n: table.column(i).to_pylist() for i, n in enumerate(names)}, table.num_rows)


def _read_sav(path: Path, spec: SurveySpec) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    import pyreadstat

    try:
        # user_missing=False: readstat turns the file's user-missing codes (99 "Don't know")
        # into missing values, with its own handling of discrete values and ranges.
        frame, meta = pyreadstat.read_sav(
            path, user_missing=False, apply_value_formats=False, encoding=spec.encoding
        )
    except Exception as exc:  # pyreadstat raises its own ReadstatError and friends
        raise InputError(path, f"not a readable SPSS .sav file ({exc})") from None
    if frame.empty:
        raise InputError(path, "the file has variables but no cases (responses)")
    cells = _cells({str(c): frame[c].tolist() for c in frame.columns}, len(frame))
    for column, fmt in (meta.original_variable_types or {}).items():
        match = re.fullmatch(r"N(\d+)(?:\.0)?", fmt or "")
        if match and column in cells.columns:  # SPSS "N" format: restricted numeric, zero-padded
            width = int(match.group(1))
            cells[column] = cells[column].map(lambda v, w=width: None if v is None else v.zfill(w))
    labels = {
        column: {cell_text(code): str(label) for code, label in mapping.items()}
        for column, mapping in (meta.variable_value_labels or {}).items()
    }
    return cells, labels
