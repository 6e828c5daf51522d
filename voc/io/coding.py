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
        raise InputError(path, f"not valid UTF-8 (byte offset {exc.start})", line=line) from None


def read_codebook(path: str | Path) -> pd.DataFrame:
    """Read a codebook (``.yaml``/``.yml`` or ``.csv``) into ``code, parent, description``.

    Codes are unique, every parent is itself a code, and the hierarchy has no cycles.
    """
    path = Path(path)
    if path.suffix.lower() == ".qdc":
        from voc.io.refi import read_qdc

        return read_qdc(path)
    text = _text(path)
    if path.suffix.lower() in {".yaml", ".yml"}:
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
        rows = []
        for i, entry in enumerate(data["codes"]):
            if not isinstance(entry, dict) or "code" not in entry:
                raise InputError(path, f"codes[{i}] needs a 'code:' key, found {entry!r}")
            unknown = set(entry) - set(CODEBOOK_COLUMNS)
            if unknown:
                key = sorted(unknown)[0]
                raise InputError(
                    path,
                    f"codes[{i}] ({entry['code']!r}) has an unknown key {key!r}."
                    f"{suggest(key, CODEBOOK_COLUMNS)} Allowed: {', '.join(CODEBOOK_COLUMNS)}",
                )
            rows.append({c: entry.get(c) for c in CODEBOOK_COLUMNS})
        codebook = pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)
        lines = list(range(len(codebook)))
        label = "codes[{}]"
    elif path.suffix.lower() == ".csv":
        codebook = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        missing = [c for c in ("code",) if c not in codebook.columns]
        if missing:
            raise InputError(path, f"a codebook CSV needs the columns {CODEBOOK_COLUMNS}", line=1)
        for col in CODEBOOK_COLUMNS:
            if col not in codebook.columns:
                codebook[col] = ""
        codebook = codebook[CODEBOOK_COLUMNS].replace("", None)
        lines = [i + 2 for i in range(len(codebook))]
        label = "line {}"
    else:
        raise InputError(path, "a codebook must be .yaml, .yml, .csv or a REFI-QDA .qdc")
    if codebook.empty:
        raise InputError(path, "the codebook has no codes")
    codebook["code"] = codebook["code"].astype(str).str.strip()
    codebook["description"] = codebook["description"].fillna("").astype(str)
    parent = codebook["parent"].astype(object)
    codebook["parent"] = parent.where(parent.notna() & parent.astype(str).str.strip().ne(""), None)
    dup = codebook["code"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(
            path, f"{label.format(lines[i])}: code {codebook['code'].iloc[i]!r} appears twice"
        )
    codes = set(codebook["code"])
    for i, parent in enumerate(codebook["parent"]):
        if parent is not None and parent not in codes:
            raise InputError(
                path,
                f"{label.format(lines[i])}: parent {parent!r} of {codebook['code'].iloc[i]!r} is "
                f"not a code.{suggest(str(parent), codes)}",
            )
    parents = dict(zip(codebook["code"], codebook["parent"], strict=True))
    for code in codes:
        seen, node = set(), code
        while node is not None:
            if node in seen:
                raise InputError(path, f"the code hierarchy has a cycle through {code!r}")
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


def validate_codings(
    codings: pd.DataFrame,
    segments: pd.DataFrame,
    codebook: pd.DataFrame | None,
    *,
    file: str | Path,
    limit: int | None = 20,
) -> list[Problem]:
    """Problems with codings that point at a missing source, segment or code (none: ``[]``).

    Stops after *limit* problems (None: all of them).
    """
    problems: list[Problem] = []
    sources = set(segments["source"])
    segment_ids = set(segments["segment_id"])
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
        elif pd.notna(row["segment_id"]) and row["segment_id"] not in segment_ids:
            problems.append(
                Problem(
                    file,
                    f"segment {row['segment_id']!r} does not exist in {row['source']!r}",
                    line=int(line),
                    column="segment_id",
                )
            )
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
