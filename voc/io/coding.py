"""Codebook and codings readers: qualitative codes as tidy tables.

The codebook is YAML (``codes:`` list of ``code``, ``parent``, ``description``) or CSV with the
same columns. Codings are a long CSV, one row per code applied by a coder to a segment:
``source, segment_id, code, coder`` or ``source, start, end, code, coder`` (code-point offsets
in the normalised transcript text).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import yaml

from voc.errors import InputError, Problem
from voc.study import suggest

__all__ = ["read_codebook", "read_codings", "validate_codings"]

CODEBOOK_COLUMNS = ["code", "parent", "description"]


def _text(path: Path) -> str:
    if not path.exists():
        siblings = [p.name for p in path.parent.glob("*")] if path.parent.is_dir() else []
        raise InputError(path, f"file not found.{suggest(path.name, siblings)}")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = None
        if path.suffix.lower() == ".csv":
            from voc.io._survey_text import _column_at

            prefix = raw[: exc.start].decode("utf-8-sig", errors="replace")
            column = _column_at(prefix, raw.decode("utf-8-sig", errors="replace"), ",")
        raise InputError(
            path,
            f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start} "
            f"({exc.reason}); save the file as UTF-8 (voc never guesses an encoding)",
            line=line,
            column=column,
        ) from None


def _entry_lines(text: str) -> list[int]:
    """The 1-based line of each entry of a YAML codebook's ``codes:`` list."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    lines: list[int] = []
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if key.value == "codes" and isinstance(value, yaml.SequenceNode):
                lines = [item.start_mark.line + 1 for item in value.value]
    return lines


def _brief(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _yaml_codebook(path: Path, text: str) -> tuple[pd.DataFrame, list[int | None]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(
            path,
            f"not valid YAML: {getattr(exc, 'problem', exc)}",
            line=mark.line + 1 if mark else None,
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        raise InputError(path, "expected a mapping with a 'codes:' list")
    found = _entry_lines(text)
    lines: list[int | None] = [
        found[i] if i < len(found) else None for i in range(len(data["codes"]))
    ]
    rows = []
    for i, entry in enumerate(data["codes"]):
        if not isinstance(entry, dict) or "code" not in entry:
            raise InputError(
                path, f"codes[{i}] needs a 'code:' key, found {_brief(entry)}", line=lines[i]
            )
        unknown = set(entry) - set(CODEBOOK_COLUMNS)
        if unknown:
            key = sorted(map(str, unknown))[0]
            raise InputError(
                path,
                f"codes[{i}] ({entry['code']!r}) has an unknown key {key!r}."
                f"{suggest(key, CODEBOOK_COLUMNS)} Allowed: {', '.join(CODEBOOK_COLUMNS)}",
                line=lines[i],
            )
        for key in CODEBOOK_COLUMNS:
            value = entry.get(key)
            if value is not None and not isinstance(value, str | int | float):
                what = "a code name" if key != "description" else "text"
                raise InputError(
                    path,
                    f"codes[{i}].{key}: expected {what}, found a {type(value).__name__} "
                    f"{_brief(value)}",
                    line=lines[i],
                )
        rows.append({c: None if entry.get(c) is None else str(entry[c]) for c in CODEBOOK_COLUMNS})
    return pd.DataFrame(rows, columns=CODEBOOK_COLUMNS, dtype=object), lines


def csv_rows(
    path: Path, text: str, required: list[str], *, what: str = "expected columns"
) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows and line numbers of a small CSV, strictly: the *required* columns present
    and unique, blank rows skipped, a ragged row a located error."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if any(c not in header for c in required):
        raise InputError(path, f"{what} {required}, found {header}", line=1)
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise InputError(path, "every column needs a unique name", line=1, column=repeated[0])
    rows, lines = [], []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(
                path, f"expected {len(header)} fields, found {len(row)}", line=reader.line_num
            )
        rows.append(row)
        lines.append(reader.line_num)
    return header, rows, lines


def _csv_codebook(path: Path, text: str) -> tuple[pd.DataFrame, list[int | None]]:
    header, raw, lines = csv_rows(path, text, ["code"], what="a codebook CSV needs the columns")
    records = [dict(zip(header, row, strict=True)) for row in raw]
    rows = [{c: (r.get(c) or "").strip() or None for c in CODEBOOK_COLUMNS} for r in records]
    return pd.DataFrame(rows, columns=CODEBOOK_COLUMNS, dtype=object), lines


def read_codebook(path: str | Path) -> pd.DataFrame:
    """Read a codebook (``.yaml``/``.yml`` or ``.csv``) into ``code, parent, description``.

    Codes are unique and not blank, every parent is itself a code, and the hierarchy has no
    cycles. Errors name the line of the entry (the CSV line, or the line of the ``codes:``
    entry in YAML).
    """
    path = Path(path)
    if path.suffix.lower() == ".qdc":
        from voc.io.refi import read_qdc

        return read_qdc(path)
    text = _text(path)
    if path.suffix.lower() in {".yaml", ".yml"}:
        codebook, lines = _yaml_codebook(path, text)
        label = "codes[{}]: "
    elif path.suffix.lower() == ".csv":
        codebook, lines = _csv_codebook(path, text)
        label = ""
    else:
        raise InputError(path, "a codebook must be .yaml, .yml, .csv or a REFI-QDA .qdc")
    if codebook.empty:
        raise InputError(path, "the codebook has no codes")
    codebook["code"] = [v.strip() if isinstance(v, str) else "" for v in codebook["code"]]
    codebook["description"] = [v if isinstance(v, str) else "" for v in codebook["description"]]
    codebook["parent"] = pd.Series(
        [v.strip() or None if isinstance(v, str) else None for v in codebook["parent"]],
        index=codebook.index,
        dtype=object,
    )
    column = {} if label else {"column": "code"}
    for i, code in enumerate(codebook["code"]):
        if not code:
            raise InputError(path, f"{label.format(i)}the code is blank", line=lines[i], **column)
    dup = codebook["code"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"{label.format(i)}code {codebook['code'].iloc[i]!r} appears twice",
            line=lines[i],
            **column,
        )
    codes = set(codebook["code"])
    for i, parent in enumerate(codebook["parent"]):
        if parent is not None and parent not in codes:
            raise InputError(
                path,
                f"{label.format(i)}parent {parent!r} of {codebook['code'].iloc[i]!r} is "
                f"not a code.{suggest(str(parent), codes)}",
                line=lines[i],
                **({} if label else {"column": "parent"}),
            )
    parents = dict(zip(codebook["code"], codebook["parent"], strict=True))
    for i, code in enumerate(codebook["code"]):
        seen, node = set(), code
        while node is not None:
            if node in seen:
                raise InputError(
                    path,
                    f"{label.format(i)}the code hierarchy has a cycle through {code!r}",
                    line=lines[i],
                )
            seen.add(node)
            node = parents.get(node)
    return codebook.reset_index(drop=True)


def read_codings(path: str | Path) -> pd.DataFrame:
    """Read a long codings CSV into the ``codings`` table.

    Returns ``source, start, end, segment_id, code, coder``; ``start``/``end`` are NaN when the
    file gives segment ids, ``segment_id`` is None when it gives offsets. The index is the line
    each coding came from.
    """
    path = Path(path)
    text = _text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError(path, "the file is empty; expected a header row") from None
    by_segment = {"source", "segment_id", "code", "coder"}
    by_offset = {"source", "start", "end", "code", "coder"}
    if not (by_segment <= set(header) or by_offset <= set(header)):
        need = sorted(by_segment - set(header))
        hint = suggest(need[0], header) if need else ""
        raise InputError(
            path,
            f"found columns {header}; expected 'source, segment_id, code, coder' or "
            f"'source, start, end, code, coder'.{hint}",
            line=1,
        )
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        raise InputError(
            path,
            f"the header names {repeated[0]!r} twice; every column needs a unique name",
            line=1,
            column=repeated[0],
        )
    rows, lines = [], []
    for row in reader:
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(
                path, f"expected {len(header)} fields, found {len(row)}", line=reader.line_num
            )
        rows.append(row)
        lines.append(reader.line_num)
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    out = pd.DataFrame(index=pd.Index(lines, name="line"))
    out["source"] = frame["source"].str.strip().to_numpy()
    for col in ("start", "end"):
        if col in frame.columns:
            values = pd.to_numeric(frame[col].to_numpy(), errors="coerce")
            bad = pd.isna(values) | (values < 0) | (values % 1 != 0)
            if bad.any():
                i = int(bad.nonzero()[0][0])
                raise InputError(
                    path,
                    f"found {frame[col].iloc[i]!r}; expected a non-negative whole offset",
                    line=lines[i],
                    column=col,
                )
            out[col] = values.astype("int64")
        else:
            out[col] = pd.array([pd.NA] * len(frame), dtype="Int64")
    if "start" in frame.columns and "end" in frame.columns:
        reversed_ = (out["start"] > out["end"]).to_numpy()
        if reversed_.any():
            i = int(reversed_.nonzero()[0][0])
            raise InputError(
                path,
                f"end {out['end'].iloc[i]} is before start {out['start'].iloc[i]}; expected "
                "start <= end (code-point offsets into the transcript)",
                line=lines[i],
                column="end",
            )
    out["segment_id"] = (
        frame["segment_id"].str.strip().to_numpy() if "segment_id" in frame else None
    )
    out["code"] = frame["code"].str.strip().to_numpy()
    out["coder"] = frame["coder"].str.strip().to_numpy()
    for col in ("source", "code", "coder"):
        blank = out[col] == ""
        if blank.any():
            raise InputError(
                path, f"{col} must not be blank", line=int(out.index[blank][0]), column=col
            )
    return out


def _span_problem(
    row: pd.Series, bounds: list[tuple[int, int]], length: int | None
) -> tuple[str, str] | None:
    """``(column, message)`` when a coding given by offsets points outside its transcript."""
    start, end = int(row["start"]), int(row["end"])
    source = row["source"]
    if start > end:
        return "end", f"end {end} is before start {start}; expected start <= end"
    if length is not None and end > length:
        return "end", (
            f"end {end} is beyond the end of {source!r} ({length} characters); was the "
            "transcript edited after it was coded?"
        )
    hit = any((s <= start < e) if start == end else (s < end and start < e) for s, e in bounds)
    if not hit:
        return "start", (
            f"the span [{start}, {end}) overlaps no turn of {source!r} (it lies between turns "
            "or after the last one)"
        )
    return None


def validate_codings(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: pd.DataFrame | None,
    *,
    file: str | Path,
    limit: int | None = 20,
    text_lengths: dict[str, int] | None = None,
) -> list[Problem]:
    """Problems with codings that point at a missing source, segment or code (none: ``[]``).

    A coding given by offsets (no ``segment_id``) must lie inside its transcript: ``end`` at
    most the length of the text (when *text_lengths* gives it) and the span overlapping a turn.
    Stops after *limit* problems (None: all of them).
    """
    problems: list[Problem] = []
    sources = set(segments["source"])
    pairs = set(zip(segments["source"], segments["segment_id"], strict=True))
    bounds: dict[str, list[tuple[int, int]]] = {}
    if {"start", "end"} <= set(segments.columns):
        for source, s, e in zip(
            segments["source"], segments["start"], segments["end"], strict=True
        ):
            bounds.setdefault(source, []).append((int(s), int(e)))
    codes = set(codebook["code"]) if codebook is not None else None
    for line, row in codings.iterrows():
        if row["source"] not in sources:
            problems.append(
                Problem(
                    file,
                    f"source {row['source']!r} is not a transcript."
                    f"{suggest(row['source'], sources)}",
                    line=int(line),
                    column="source",
                )
            )
        elif pd.notna(row["segment_id"]):
            if (row["source"], row["segment_id"]) not in pairs:
                problems.append(
                    Problem(
                        file,
                        f"segment {row['segment_id']!r} does not exist in {row['source']!r}",
                        line=int(line),
                        column="segment_id",
                    )
                )
        elif pd.notna(row["start"]) and pd.notna(row["end"]) and row["source"] in bounds:
            length = (text_lengths or {}).get(row["source"])
            found = _span_problem(row, bounds[row["source"]], length)
            if found is not None:
                problems.append(Problem(file, found[1], line=int(line), column=found[0]))
        if codes is not None and row["code"] not in codes:
            problems.append(
                Problem(
                    file,
                    f"code {row['code']!r} is not in the codebook.{suggest(row['code'], codes)}",
                    line=int(line),
                    column="code",
                )
            )
        if limit is not None and len(problems) >= limit:
            break
    return problems
