"""Binary survey exports: .xlsx (openpyxl), SPSS .sav (pyreadstat) and Parquet (pyarrow).

Part of :mod:`voc.io.survey`. Every cell becomes text (:func:`cell_text`); the heavy readers are
imported inside the functions that need them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from voc.errors import InputError
from voc.study import SurveySpec, suggest

__all__ = ["cell_text", "column_letter", "is_blank", "read_parquet", "read_sav", "xlsx_records"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


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


def is_blank(value: Any) -> bool:
    """Whether a cell is empty or only whitespace."""
    text = cell_text(value)
    return text is None or not text.strip()


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 → ``A``, 27 → ``AB``."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _open_workbook(path: Path, *, data_only: bool):
    import openpyxl

    with warnings.catch_warnings():
        # openpyxl warns about styles and extensions it does not read; they carry no data.
        warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)


def xlsx_records(path: Path, spec: SurveySpec) -> list[tuple[int, list[str | None]]]:
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
                cell = f"{column_letter(index)}{number}"
                raise InputError(
                    path,
                    f"cell {cell} holds the formula {cell_text(source)!r} but no calculated "
                    "value (the workbook was written by a program that does not calculate). "
                    "Open and save it in Excel or LibreOffice, or export the sheet as CSV.",
                    row=number,
                    column=name or column_letter(index),
                )
        if not all(is_blank(c) for c in cells):
            raw_rows.append((number, list(cells)))
    width = max((len(r) for _, r in raw_rows), default=0)
    return [(n, [cell_text(c) for c in r] + [None] * (width - len(r))) for n, r in raw_rows]


def _cells(columns: dict[str, list[Any]], n_rows: int) -> pd.DataFrame:
    out = pd.DataFrame(
        {name: [cell_text(v) for v in values] for name, values in columns.items()},
        index=pd.RangeIndex(1, n_rows + 1, name="row"),
        dtype=object,
    )
    return out


def read_parquet(path: Path) -> pd.DataFrame:
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


def read_sav(path: Path, spec: SurveySpec) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
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
            padded = [None if v is None else v.zfill(width) for v in cells[column]]
            cells[column] = pd.Series(padded, index=cells.index, dtype=object)
    labels = {
        column: {cell_text(code): str(label) for code, label in mapping.items()}
        for column, mapping in (meta.variable_value_labels or {}).items()
    }
    return cells, labels
