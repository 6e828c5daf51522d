"""Writers of REFI-QDA codebooks (``.qdc``) and projects (``.qdpx``); see :mod:`voc.io.refi`.

The output is deterministic: GUIDs are uuid5 of a fixed namespace and the object's name (a
``guid`` column of the codebook is kept), elements and zip members are sorted, zip timestamps
are fixed and no creation dates are written. The same inputs give the same bytes.
"""

from __future__ import annotations

import io
import math
import re
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from voc.io._refi_base import (
    CODEBOOK_NAMESPACE,
    GUID_NAMESPACE,
    PROJECT_NAMESPACE,
    normalise_with_map,
)
from voc.io.files import atomic_write_bytes

_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_SCHEMA = "http://schema.qdasoftware.org/versions/{kind}/v1.0/{kind}.xsd"
_GUID = re.compile(
    r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$"
)
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# Characters XML 1.0 cannot carry (even escaped).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_EXCERPT = 60


def _guid(kind: str, name: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{kind}:{name}"))


def _xml_text(value: Any, what: str) -> str:
    text = str(value)
    bad = _NOT_XML.search(text)
    if bad:
        raise ValueError(
            f"{what} contains the character U+{ord(bad.group()):04X}, which XML cannot carry; "
            "remove it"
        )
    return text


def _el(parent: ET.Element | None, ns: str, tag: str, **attrs: Any) -> ET.Element:
    values = {
        k: _xml_text(v, f"attribute {k} of <{tag}>") for k, v in attrs.items() if v is not None
    }
    name = f"{{{ns}}}{tag}"
    return ET.Element(name, values) if parent is None else ET.SubElement(parent, name, values)


def _escape(text: str, *, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\r", "&#13;")
    if attribute:  # keep what attribute-value normalisation would turn into spaces
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return text


def _serialise(root: ET.Element, ns: str) -> bytes:
    """The document as UTF-8 bytes: two-space indents, ``ns`` as the default namespace.

    ElementTree's own ``default_namespace`` option refuses unqualified attributes on Python
    3.11, so the (simple: no mixed content) tree is written here.
    """
    lines = ['<?xml version="1.0" encoding="utf-8"?>']

    def name(qualified: str) -> str:
        uri, _, local = qualified[1:].partition("}") if qualified[0] == "{" else ("", "", qualified)
        return local if uri in ("", ns) else f"xsi:{local}"

    def write(elem: ET.Element, depth: int) -> None:
        pad, tag = "  " * depth, name(elem.tag)
        attrs = "".join(f' {name(k)}="{_escape(v, attribute=True)}"' for k, v in elem.items())
        if depth == 0:
            attrs = f' xmlns="{ns}" xmlns:xsi="{_XSI}"' + attrs
        children = list(elem)
        if children:
            lines.append(f"{pad}<{tag}{attrs}>")
            for child in children:
                write(child, depth + 1)
            lines.append(f"{pad}</{tag}>")
        elif elem.text:
            lines.append(f"{pad}<{tag}{attrs}>{_escape(elem.text)}</{tag}>")
        else:
            lines.append(f"{pad}<{tag}{attrs}/>")

    write(root, 0)
    return ("\n".join(lines) + "\n").encode("utf-8")


# --------------------------------------------------------------------------------------------
# Codebook
# --------------------------------------------------------------------------------------------


def _check_codebook(codebook: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(codebook, pd.DataFrame):
        raise TypeError(f"codebook must be a DataFrame, got {type(codebook).__name__}")
    missing = [c for c in ("code", "parent", "description") if c not in codebook.columns]
    if missing:
        raise ValueError(
            f"the codebook needs the columns code, parent, description; missing {missing}"
        )
    if codebook.empty:
        raise ValueError("the codebook has no codes")
    out = pd.DataFrame(
        {
            "code": [str(c) for c in codebook["code"]],
            "parent": [None if pd.isna(p) or str(p) == "" else str(p) for p in codebook["parent"]],
            "description": ["" if pd.isna(d) else str(d) for d in codebook["description"]],
        },
        dtype=object,
    )
    dup = out["code"][out["code"].duplicated()]
    if not dup.empty:
        raise ValueError(f"code {dup.iloc[0]!r} appears twice in the codebook")
    codes = set(out["code"])
    for code, parent in zip(out["code"], out["parent"], strict=True):
        if parent is not None and parent not in codes:
            raise ValueError(f"parent {parent!r} of code {code!r} is not a code")
    parents = dict(zip(out["code"], out["parent"], strict=True))
    for code in codes:
        seen, node = set(), code
        while node is not None:
            if node in seen:
                raise ValueError(f"the code hierarchy has a cycle through {code!r}")
            seen.add(node)
            node = parents[node]
    guids = []
    for i, code in enumerate(out["code"]):
        given = codebook["guid"].iloc[i] if "guid" in codebook.columns else None
        if given is None or (not isinstance(given, str) and pd.isna(given)) or given == "":
            guids.append(_guid("code", code))
        elif isinstance(given, str) and _GUID.match(given):
            guids.append(given)
        else:
            raise ValueError(f"guid {given!r} of code {code!r} is not a GUID (8-4-4-4-12 hex)")
    dup_guid = pd.Series([g.strip("{}").lower() for g in guids]).duplicated()
    if dup_guid.any():
        raise ValueError(f"two codes share the GUID {guids[int(dup_guid.to_numpy().argmax())]}")
    colors = []
    for i, code in enumerate(out["code"]):
        color = codebook["color"].iloc[i] if "color" in codebook.columns else None
        if color is None or (not isinstance(color, str) and pd.isna(color)) or color == "":
            colors.append(None)
        elif isinstance(color, str) and _COLOR.match(color):
            colors.append(color)
        else:
            raise ValueError(f"color {color!r} of code {code!r} must be #RGB or #RRGGBB")
    codable = (
        [bool(v) if not pd.isna(v) else True for v in codebook["is_codable"]]
        if "is_codable" in codebook.columns
        else [True] * len(out)
    )
    extra = pd.DataFrame({"guid": guids, "color": colors, "is_codable": codable}, dtype=object)
    return pd.concat([out, extra], axis=1)


def _code_elements(parent: ET.Element, ns: str, codebook: pd.DataFrame) -> None:
    children: dict[str | None, list[int]] = {}
    for i, p in enumerate(codebook["parent"]):
        children.setdefault(p, []).append(i)

    def add(into: ET.Element, key: str | None) -> None:
        for i in children.get(key, []):
            row = codebook.iloc[i]
            code = _el(
                into,
                ns,
                "Code",
                guid=row["guid"],
                name=row["code"],
                isCodable="true" if row["is_codable"] else "false",
                color=row["color"],
            )
            if row["description"]:
                _el(code, ns, "Description").text = _xml_text(
                    row["description"], f"the description of code {row['code']!r}"
                )
            add(code, row["code"])

    add(_el(parent, ns, "Codes"), None)


def write_qdc(codebook: pd.DataFrame, path: str | Path, *, origin: str = "voc") -> Path:
    """Write the ``codebook`` table as a REFI-QDA codebook (``.qdc``), atomically.

    Parameters
    ----------
    codebook : DataFrame
        ``code, parent, description``; optional ``guid`` (kept when given, else a uuid5 of the
        code name), ``color`` (``#RGB``/``#RRGGBB``) and ``is_codable`` (default True; False
        writes a category, ``isCodable="false"``).
    path : str or Path
        The ``.qdc`` file to write.
    origin : str, default "voc"
        ``CodeBook/@origin``.

    Returns
    -------
    Path
        *path*. Children are nested under their parent in the codebook's row order; the same
        codebook gives the same bytes.

    Raises
    ------
    ValueError
        A missing column, a repeated code, an unknown parent, a cycle, a malformed GUID or
        colour, or a character XML cannot carry.
    """
    ns = CODEBOOK_NAMESPACE
    checked = _check_codebook(codebook)
    root = _el(None, ns, "CodeBook", origin=origin)
    root.set(f"{{{_XSI}}}schemaLocation", f"{ns} {_SCHEMA.format(kind='Codebook')}")
    _code_elements(root, ns, checked)
    return atomic_write_bytes(path, _serialise(root, ns))


# --------------------------------------------------------------------------------------------
# Project
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    source: str
    start: int
    end: int
    code: str
    coder: str


def _spans(
    codings: pd.DataFrame,
    segments: pd.DataFrame | None,
    texts: dict[str, Any],
    codes: set[str],
) -> list[_Span]:
    need = {"source", "code", "coder"}
    missing = sorted(need - set(codings.columns))
    if missing:
        raise ValueError(f"codings need the columns source, code, coder; missing {missing}")
    has_offsets = {"start", "end"} <= set(codings.columns)
    has_segments = "segment_id" in codings.columns
    if not (has_offsets or has_segments):
        raise ValueError("codings need start/end offsets or a segment_id column")
    by_segment: dict[str, tuple[str, int, int]] = {}
    if segments is not None:
        missing = sorted({"segment_id", "source", "start", "end"} - set(segments.columns))
        if missing:
            raise ValueError(f"segments need segment_id, source, start, end; missing {missing}")
        by_segment = {
            str(sid): (str(src), int(a), int(b))
            for sid, src, a, b in zip(
                segments["segment_id"],
                segments["source"],
                segments["start"],
                segments["end"],
                strict=True,
            )
        }
    spans: list[_Span] = []
    for label, row in zip(codings.index, codings.to_dict("records"), strict=True):
        where = f"codings row {label!r}"
        for col in ("source", "code", "coder"):
            value = row[col]
            if (
                value is None
                or (not isinstance(value, str) and pd.isna(value))
                or not str(value).strip()
            ):
                raise ValueError(f"{where}: {col} must not be blank")
        source, code, coder = str(row["source"]), str(row["code"]), str(row["coder"])
        if source not in texts:
            raise ValueError(f"{where}: source {source!r} is not in texts")
        if code not in codes:
            raise ValueError(f"{where}: code {code!r} is not in the codebook")
        start = row.get("start") if has_offsets else None
        end = row.get("end") if has_offsets else None
        if start is not None and end is not None and not (pd.isna(start) or pd.isna(end)):
            start, end = int(start), int(end)
        else:
            sid = row.get("segment_id") if has_segments else None
            if sid is None or pd.isna(sid):
                raise ValueError(f"{where}: neither offsets nor a segment_id")
            if segments is None:
                raise ValueError(
                    f"{where} gives segment {sid!r}: pass segments= (the segments table) to "
                    "turn segment ids into offsets"
                )
            if str(sid) not in by_segment:
                raise ValueError(f"{where}: segment {sid!r} is not in segments")
            seg_source, start, end = by_segment[str(sid)]
            if seg_source != source:
                raise ValueError(
                    f"{where}: segment {sid!r} belongs to {seg_source!r}, not {source!r}"
                )
        if not 0 <= start <= end <= len(texts[source]):
            raise ValueError(
                f"{where}: span {start}–{end} is outside the text of {source!r} "
                f"({len(texts[source])} characters)"
            )
        spans.append(_Span(source, start, end, code, coder))
    return spans


def _variable_type(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "Boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "Integer"
    if pd.api.types.is_float_dtype(dtype):
        return "Float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "DateTime"
    return "Text"


_VALUE_ELEMENT = {
    "Boolean": "BooleanValue",
    "Integer": "IntegerValue",
    "Float": "FloatValue",
    "DateTime": "DateTimeValue",
    "Text": "TextValue",
}


def _format_value(value: Any, kind: str, where: str) -> str:
    if kind == "Boolean":
        return "true" if bool(value) else "false"
    if kind == "Integer":
        return str(int(value))
    if kind == "Float":
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{where}: {number} cannot be written (REFI floats are decimals)")
        text = format(Decimal(repr(number)), "f")
        return text if "." in text else f"{text}.0"
    if kind == "DateTime":
        return pd.Timestamp(value).isoformat()
    return _xml_text(value, where)


def _participants(
    participants: pd.DataFrame | None, participant: str = "participant_id"
) -> tuple[list[tuple[str, str, str]], list[tuple[str, dict[str, str]]]]:
    """Variables ``(name, guid, type)`` and cases ``(id, {variable: value})``."""
    if participants is None:
        return [], []
    if participant not in participants.columns:
        raise ValueError(
            f"participants need a {participant!r} column; found {list(participants.columns)}"
        )
    ids = participants[participant]
    if ids.isna().any() or not ids.map(lambda v: isinstance(v, str)).all():
        raise ValueError(f"{participant} must be strings without gaps ('007' stays '007')")
    if ids.duplicated().any():
        raise ValueError(f"{participant} {ids[ids.duplicated()].iloc[0]!r} appears twice")
    names = [str(c) for c in participants.columns if c != participant]
    variables = [
        (name, _guid("variable", name), _variable_type(participants[name])) for name in names
    ]
    cases = []
    for pid, row in zip(ids, participants[names].to_dict("records"), strict=True):
        values = {}
        for name, _, kind in variables:
            value = row[name]
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                continue
            values[name] = _format_value(value, kind, f"participant {pid!r}, column {name!r}")
        cases.append((pid, values))
    return variables, sorted(cases)


def _project_xml(
    name: str,
    origin: str,
    codebook: pd.DataFrame,
    texts: dict[str, str],
    spans: list[_Span],
    variables: list[tuple[str, str, str]],
    cases: list[tuple[str, dict[str, str]]],
    case_sources: dict[str, list[str]],
) -> bytes:
    ns = PROJECT_NAMESPACE
    root = _el(None, ns, "Project", name=name, origin=origin)
    root.set(f"{{{_XSI}}}schemaLocation", f"{ns} {_SCHEMA.format(kind='Project')}")
    coders = sorted({s.coder for s in spans})
    user_guid = {c: _guid("user", c) for c in coders}
    if coders:
        users = _el(root, ns, "Users")
        for coder in coders:
            _el(users, ns, "User", guid=user_guid[coder], name=coder)
    _code_elements(_el(root, ns, "CodeBook"), ns, codebook)
    code_guid = dict(zip(codebook["code"], codebook["guid"], strict=True))
    if variables:
        holder = _el(root, ns, "Variables")
        for var_name, guid, kind in variables:
            _el(holder, ns, "Variable", guid=guid, name=var_name, typeOfVariable=kind)
    if cases:
        holder = _el(root, ns, "Cases")
        for pid, values in cases:
            case = _el(holder, ns, "Case", guid=_guid("case", pid), name=pid)
            for var_name, guid, kind in variables:
                if var_name in values:
                    vv = _el(case, ns, "VariableValue")
                    _el(vv, ns, "VariableRef", targetGUID=guid)
                    _el(vv, ns, _VALUE_ELEMENT[kind]).text = values[var_name]
            for source in case_sources.get(pid, []):
                _el(case, ns, "SourceRef", targetGUID=_guid("source", source))
    by_source: dict[str, dict[tuple[int, int], list[_Span]]] = {}
    for s in spans:
        by_source.setdefault(s.source, {}).setdefault((s.start, s.end), []).append(s)
    holder = _el(root, ns, "Sources")
    for source in sorted(texts):
        guid = _guid("source", source)
        elem = _el(
            holder, ns, "TextSource", guid=guid, name=source, plainTextPath=f"internal://{guid}.txt"
        )
        for (start, end), group in sorted(by_source.get(source, {}).items()):
            excerpt = " ".join(texts[source][start:end].split())
            if len(excerpt) > _EXCERPT:
                cut = excerpt[: _EXCERPT - 1]
                # end on a whole word: a name cut in half is no name, and reads badly
                excerpt = (cut.rsplit(" ", 1)[0] if " " in cut else cut) + " …"
            group_coders = {s.coder for s in group}
            sel = _el(
                elem,
                ns,
                "PlainTextSelection",
                guid=_guid("selection", f"{source}\x1f{start}\x1f{end}"),
                name=excerpt,
                startPosition=start,
                endPosition=end,
                creatingUser=user_guid[group[0].coder] if len(group_coders) == 1 else None,
            )
            for s in sorted(group, key=lambda s: (s.code, s.coder)):
                key = f"{source}\x1f{start}\x1f{end}\x1f{s.code}\x1f{s.coder}"
                coding = _el(
                    sel, ns, "Coding", guid=_guid("coding", key), creatingUser=user_guid[s.coder]
                )
                _el(coding, ns, "CodeRef", targetGUID=code_guid[s.code])
    return _serialise(root, ns)


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=6)
    return buffer.getvalue()


def write_qdpx(
    path: str | Path,
    *,
    codebook: pd.DataFrame,
    texts: dict[str, str],
    codings: pd.DataFrame,
    segments: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
    origin: str = "voc",
) -> Path:
    """Write a REFI-QDA project (``.qdpx``) that CAQDAS programs import, atomically.

    Parameters
    ----------
    path : str or Path
        The ``.qdpx`` to write; ``Project/@name`` is its stem.
    codebook : DataFrame
        As for :func:`write_qdc`; every coded code must be in it.
    texts : dict of str to str
        The full text of each source by source name (``read_transcript_text``). Every text
        becomes a ``TextSource`` with ``Sources/<guid>.txt`` (UTF-8, LF). A text that is not
        normalised is normalised and the offsets are carried over (voc's texts already are).
    codings : DataFrame
        ``source, code, coder`` and either ``start, end`` (code-point offsets into the text)
        or ``segment_id``; rows with offsets use them, the others are looked up in *segments*.
        Repeated rows (same span, code and coder) are written once.
    segments : DataFrame, optional
        ``segment_id, source, start, end`` (the ``segments`` table): turns segment ids into
        offsets; with ``participant_id`` it also links each case to its sources.
    participants : DataFrame, optional
        ``participant_id`` (strings) and one column per variable to export (e.g. ``nps``,
        ``region``); select the columns before the call. Each row becomes a ``Case`` with a
        ``VariableValue`` per non-missing value and a ``SourceRef`` per transcript of that
        participant in *segments*. ``typeOfVariable`` follows the dtype: bool → Boolean,
        integer → Integer, float → Float, datetime → DateTime, anything else → Text.
    origin : str, default "voc"
        ``Project/@origin``.

    Returns
    -------
    Path
        *path*. Elements follow the schema's order (Users, CodeBook, Variables, Cases,
        Sources); one ``User`` per coder; one ``PlainTextSelection`` per distinct span with a
        ``Coding`` per code and coder. The same inputs give the same bytes.

    Raises
    ------
    ValueError
        A missing column, an unknown source, code or segment, a span outside its text, a
        blank coder, repeated participants, a non-finite float, or text XML cannot carry.
    """
    checked = _check_codebook(codebook)
    if not isinstance(texts, dict) or not all(isinstance(t, str) for t in texts.values()):
        raise TypeError("texts must be a dict of source name to full text (str)")
    codable = dict(zip(checked["code"], checked["is_codable"], strict=True))
    spans = _spans(codings, segments, texts, set(checked["code"]))
    for s in spans:
        if not codable[s.code]:
            raise ValueError(
                f"code {s.code!r} is a category (is_codable False) but has codings; "
                "mark it codable or recode them"
            )
    maps = {name: normalise_with_map(text) for name, text in texts.items()}
    spans = sorted(
        {_Span(s.source, *maps[s.source].span(s.start, s.end), s.code, s.coder) for s in spans},
        key=lambda s: (s.source, s.start, s.end, s.code, s.coder),
    )
    normalised = {name: m.text for name, m in maps.items()}
    variables, cases = _participants(participants)
    case_sources: dict[str, list[str]] = {}
    if segments is not None and "participant_id" in segments.columns:
        pairs = segments[["participant_id", "source"]].drop_duplicates()
        for pid, source in sorted(zip(pairs["participant_id"], pairs["source"], strict=True)):
            if source in normalised:
                case_sources.setdefault(str(pid), []).append(str(source))
    xml = _project_xml(
        Path(path).stem, origin, checked, normalised, spans, variables, cases, case_sources
    )
    members = [("project.qde", xml)]
    for name in sorted(normalised, key=lambda n: _guid("source", n)):
        members.append((f"Sources/{_guid('source', name)}.txt", normalised[name].encode("utf-8")))
    return atomic_write_bytes(path, _zip(members))
