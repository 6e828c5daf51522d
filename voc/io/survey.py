"""Survey readers: a survey export → the ``responses`` table, validated against study.yaml.

Every problem is reported with the file, the line (as a spreadsheet or text editor counts it),
the column, the value found and what is allowed. Nothing falls back silently: an undecodable
byte is an error that says which encoding to declare, never a guess.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from voc.errors import InputError, Problem, StudyError
from voc.study import SurveySpec, suggest

__all__ = ["read_responses", "read_survey_file"]

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(path: Path, raw: bytes, encoding: str | None) -> str:
    if encoding is None:
        for bom, name in _BOMS:
            if raw.startswith(bom):
                encoding = name
                break
        else:
            encoding = "utf-8"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = (
            " If this is a Windows export, declare it in study.yaml as 'survey.encoding: cp1252'."
            if encoding.startswith("utf-8")
            else ""
        )
        raise InputError(
            path,
            f"byte {raw[exc.start : exc.start + 1]!r} at offset {exc.start} is not valid "
            f"{encoding}.{hint}",
            line=line,
        ) from None
    except LookupError:
        raise InputError(path, f"unknown encoding {encoding!r} in survey.encoding") from None


def _read_csv(path: Path, spec: SurveySpec) -> tuple[pd.DataFrame, int]:
    raw = path.read_bytes()
    text = _decode(path, raw, spec.encoding)
    if not text.strip():
        raise InputError(path, "the file is empty; expected a header row and responses")
    delimiter = spec.delimiter
    if delimiter is None:
        first = text.lstrip("\ufeff").split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            raise InputError(
                path,
                f"duplicate header {name!r} (columns {seen[name] + 1} and {i + 1}); "
                "every column needs a unique name",
                line=1,
            )
        seen[name] = i
    rows = []
    for row in reader:
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(
                path,
                f"expected {len(header)} fields (as in the header), found {len(row)}",
                line=reader.line_num,
            )
        rows.append((reader.line_num, row))
    if not rows:
        raise InputError(path, "the file has a header but no responses", line=1)
    frame = pd.DataFrame([r for _, r in rows], columns=header, dtype=object)
    frame.index = pd.Index([line for line, _ in rows], name="line")
    return frame, 0


def read_survey_file(spec: SurveySpec) -> pd.DataFrame:
    """Read the raw export as text columns, indexed by the line (or row) it came from."""
    path = spec.file
    if not path.exists():
        siblings = [p.name for p in path.parent.glob("*")] if path.parent.is_dir() else []
        raise InputError(path, f"survey file not found.{suggest(path.name, siblings)}")
    fmt = spec.format
    if fmt == "auto":
        fmt = {
            ".csv": "csv",
            ".txt": "csv",
            ".tsv": "csv",
            ".xlsx": "xlsx",
            ".sav": "sav",
            ".parquet": "parquet",
        }.get(path.suffix.lower(), "")
        if not fmt:
            raise InputError(
                path,
                f"cannot tell the format from the extension {path.suffix!r}; set survey.format "
                "to one of csv, xlsx, sav, parquet, qualtrics",
            )
    if fmt in {"csv", "qualtrics"}:
        frame, _ = _read_csv(path, spec)
        if fmt == "qualtrics":
            # Qualtrics puts the question text and an ImportId row under the header.
            frame = frame.iloc[2:]
        return frame
    if fmt == "parquet":
        frame = pd.read_parquet(path)
    elif fmt == "xlsx":
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a bad zip
            raise InputError(path, f"not a readable .xlsx workbook ({exc})") from None
        sheets = book.sheetnames
        sheet = spec.sheet or sheets[0]
        if sheet not in sheets:
            raise InputError(path, f"no sheet {sheet!r}; available sheets: {', '.join(sheets)}")
        frame = pd.read_excel(path, sheet_name=sheet, dtype=object)
    else:
        import pyreadstat

        frame, _meta = pyreadstat.read_sav(path, apply_value_formats=True, user_missing=False)
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    return frame.astype(object).where(frame.notna(), None)


def _fail_value(path: Path, frame: pd.DataFrame, mask: pd.Series, column: str, expected: str):
    where = mask[mask].index[0]
    count = int(mask.sum())
    more = f" ({count} such values in all)" if count > 1 else ""
    value = frame.loc[where, column]
    kind = "line" if frame.index.name == "line" else "row"
    raise InputError(
        path,
        f"found {value!r}; expected {expected}{more}",
        **{kind: int(where)},
        column=column,
    )


def _numeric(path: Path, frame: pd.DataFrame, column: str, spec: SurveySpec) -> pd.Series:
    raw = frame[column]
    text = raw.map(lambda v: None if v is None else str(v).strip())
    missing = text.isna() | (text == "") | text.isin([str(m) for m in spec.missing])
    cleaned = text.where(~missing)
    if spec.decimal != ".":
        cleaned = cleaned.str.replace(spec.decimal, ".", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce")
    bad = values.isna() & ~missing
    if bad.any():
        _fail_value(path, frame, bad, column, "a number or a blank")
    return values.astype("float64")


def _check_scale(path, frame, values, column, low, high, what):
    bad = values.notna() & ((values < low) | (values > high) | (values % 1 != 0))
    if bad.any():
        _fail_value(path, frame, bad, column, f"{what}: a whole number from {low} to {high}")


def read_responses(spec: SurveySpec) -> pd.DataFrame:
    """Read and validate the survey export declared in ``study.yaml``.

    Parameters
    ----------
    spec : SurveySpec
        ``study.survey``.

    Returns
    -------
    pandas.DataFrame
        The ``responses`` table: ``participant_id`` (str) first, then the declared columns
        under their own names: scores as floats (NaN when blank), segments and text as
        strings (``None`` when blank). Undeclared columns are dropped. The index is the line
        (CSV) or row (spreadsheet) each response came from.

    Raises
    ------
    InputError
        Naming the file, line or row, column, the value found and what is allowed.
    """
    path = spec.file
    frame = read_survey_file(spec)
    cols = spec.columns
    declared = cols.declared()
    missing = [(c, key) for c, key in declared.items() if c not in frame.columns]
    if missing:
        available = [str(c) for c in frame.columns]
        problems = [
            Problem(
                path,
                f"column {c!r} declared in study.yaml ({key}) is not in the file."
                f"{suggest(c, available)} Columns in the file: {', '.join(available)}",
            )
            for c, key in missing
        ]
        raise StudyError(problems)
    ids = frame[cols.id].map(lambda v: None if v is None else str(v).strip())
    blank = ids.isna() | (ids == "")
    if blank.any():
        _fail_value(path, frame, blank, cols.id, "a participant id (never blank)")
    dup = ids.duplicated(keep=False)
    if dup.any():
        lines = ids[dup].index.tolist()
        first = ids[dup].iloc[0]
        at = [str(i) for i, v in ids[dup].items() if v == first]
        kind = "lines" if frame.index.name == "line" else "rows"
        raise InputError(
            path,
            f"duplicate participant id {first!r} on {kind} {', '.join(at)} "
            f"({len(lines)} rows share an id); ids must be unique",
            column=cols.id,
        )
    out = pd.DataFrame(index=frame.index)
    out["participant_id"] = ids.astype(object)
    if cols.nps is not None:
        values = _numeric(path, frame, cols.nps, spec)
        _check_scale(path, frame, values, cols.nps, 0, 10, "NPS")
        out[cols.nps] = values
    for key in ("csat", "ces"):
        score = getattr(cols, key)
        if score is not None:
            values = _numeric(path, frame, score.column, spec)
            _check_scale(path, frame, values, score.column, *score.scale, key.upper())
            out[score.column] = values
    if cols.likert is not None:
        low, high = cols.likert.scale
        for item in cols.likert.items:
            values = _numeric(path, frame, item, spec)
            _check_scale(path, frame, values, item, low, high, "Likert item")
            out[item] = values
    if cols.weight is not None:
        values = _numeric(path, frame, cols.weight, spec)
        bad = values.isna() | (values <= 0) | ~np.isfinite(values)
        if bad.any():
            _fail_value(path, frame, bad, cols.weight, "a positive weight")
        out[cols.weight] = values
    for col in [*cols.segments, *[c for c in (cols.wave, cols.date) if c]]:
        values = frame[col].map(lambda v: None if v is None or str(v).strip() == "" else str(v))
        out[col] = values.astype(object)
    for col in cols.text:
        out[col] = frame[col].map(lambda v: None if v is None or str(v).strip() == "" else str(v))
    if cols.id != "participant_id" and cols.id in out.columns:
        out = out.drop(columns=cols.id)
    return out
