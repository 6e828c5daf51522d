"""Low-level pieces shared by the REFI-QDA reader and writer and the Taguette reader.

Namespaces and limits, the normalisation index map (original → normalised offsets), source
name matching, safe XML and zip reading, the ``Codes`` tree → codebook table, and how a tool
counted line endings. Private to ``voc.io``; see :mod:`voc.io.refi` for the rules.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from xml.parsers import expat

import numpy as np
import pandas as pd

from voc.errors import InputError
from voc.io._transcript_text import _DELETE, _TRAILING_SPACES, normalise

CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"
PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
#: Namespace of the deterministic (uuid5) GUIDs voc writes: the same name gives the same GUID.
GUID_NAMESPACE = uuid.UUID("dc83d6ef-bbe6-4a6f-aef7-42169acfd987")

#: Limits on a ``.qdpx`` archive (a zip bomb or a damaged file is refused, not unpacked).
MAX_MEMBERS = 20_000
MAX_UNCOMPRESSED_BYTES = 500 * 2**20

CODEBOOK_COLUMNS = ["code", "parent", "description", "guid", "color", "is_codable"]

# --------------------------------------------------------------------------------------------
# Text: normalisation with an index map, name matching
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextMap:
    """The normalised form of a text and where each position of the original lands in it.

    ``lo[p]``/``hi[p]`` are the normalised positions of the original position ``p`` when it
    starts/ends a span: equal at a clean boundary; inside a sequence that normalisation merges
    (``\\r\\n``, a base letter and its combining marks) ``lo`` is the sequence's start and ``hi``
    its end, so a span never cuts a character in two. ``None`` when the text was already
    normalised (the map is the identity).
    """

    text: str
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Normalised ``(start, end)`` of the original span ``[start, end)``."""
        if self.lo is None or self.hi is None:
            return start, end
        new_start = int(self.lo[start])
        new_end = int(self.hi[end]) if end > start else new_start
        return new_start, max(new_start, new_end)


def normalise_with_map(raw: str) -> TextMap:
    """Normalise *raw* exactly like :func:`voc.io._transcript_text.normalise`, keeping a map.

    The map is built in the same steps as the normalisation: line endings and control
    characters character by character, NFC per composition cluster (a starter with its
    combining marks; neighbours that compose, such as Hangul jamo, are merged), then spaces at
    the end of a line. The result is checked against ``normalise(raw)``.
    """
    target = normalise(raw)
    if target == raw:
        return TextMap(raw)
    chars: list[str] = []  # output of step 1, one entry per character
    src: list[int] = []  # where in raw the character's atom starts
    ends: list[int] = []  # and ends
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if ch == "\r":
            j = i + 2 if raw.startswith("\n", i + 1) else i + 1
            chars.append("\n")
            src.append(i)
            ends.append(j)
            i = j
            continue
        out = ch.translate(_DELETE)
        if out:
            chars.append(out)
            src.append(i)
            ends.append(i + 1)
        i += 1
    # NFC clusters: a character with combining class 0 starts one, then merge neighbours whose
    # normalisation is not the concatenation of theirs (starters that compose).
    groups: list[list[int]] = []
    pieces: list[str] = []
    k = 0
    while k < len(chars):
        k1 = k + 1
        while k1 < len(chars) and unicodedata.combining(chars[k1]):
            k1 += 1
        piece = "".join(chars[k:k1])
        nfc = unicodedata.normalize("NFC", piece)
        if groups and not piece[0].isascii():
            prev = "".join(chars[groups[-1][0] : groups[-1][1]])
            joined = unicodedata.normalize("NFC", prev + piece)
            if joined != pieces[-1] + nfc:
                groups[-1][1] = k1
                pieces[-1] = joined
                k = k1
                continue
        groups.append([k, k1])
        pieces.append(nfc)
        k = k1
    if "".join(pieces) != unicodedata.normalize("NFC", "".join(chars)):
        groups, pieces = [[0, len(chars)]], [unicodedata.normalize("NFC", "".join(chars))]
    # Spaces at the end of a line.
    nfc_text = "".join(pieces)
    keep = np.ones(len(nfc_text), dtype=bool)
    for m in _TRAILING_SPACES.finditer(nfc_text):
        keep[m.start() : m.end()] = False
    outs, at = [], 0
    for piece in pieces:
        outs.append(
            "".join(c for c, kept in zip(piece, keep[at : at + len(piece)], strict=True) if kept)
        )
        at += len(piece)
    lo = np.empty(n + 1, dtype=np.int64)
    hi = np.empty(n + 1, dtype=np.int64)
    pos = p = 0
    for (k0, k1), out in zip(groups, outs, strict=True):
        r0, r1 = src[k0], ends[k1 - 1]
        lo[p : r0 + 1] = hi[p : r0 + 1] = pos
        lo[r0 + 1 : r1] = pos
        hi[r0 + 1 : r1] = pos + len(out)
        pos += len(out)
        p = r1
    lo[p:] = hi[p:] = pos
    text = "".join(outs)
    if text != target:  # pragma: no cover - a drift from normalise() is a bug, not an input error
        raise RuntimeError("voc.io.refi: the index map does not reproduce normalise(); report this")
    return TextMap(text, lo, hi)


def _stem(name: str) -> str:
    return PurePosixPath(name).stem if PurePosixPath(name).suffix else name


def match_names(name: str, candidates: Iterable[str]) -> list[str]:
    """The candidates that *name* refers to, tried from strict to loose; ``[]`` when none.

    Exact name; else the same name ignoring case; else ignoring case and the file extension on
    either side (``P07`` ↔ ``P07.docx``); else the same name without extensions on both sides
    (``P07.txt`` ↔ ``P07.docx``). More than one result means the name is ambiguous.
    """
    candidates = list(candidates)
    if name in candidates:
        return [name]
    key = name.casefold()
    tiers = (
        lambda c: c.casefold() == key,
        lambda c: _stem(c).casefold() == key or _stem(name).casefold() == c.casefold(),
        lambda c: _stem(c).casefold() == _stem(name).casefold(),
    )
    for test in tiers:
        found = sorted(c for c in candidates if test(c))
        if found:
            return found
    return []


# --------------------------------------------------------------------------------------------
# Safe XML and zip reading
# --------------------------------------------------------------------------------------------


class _Forbidden(Exception):
    pass


def _refuse_doctype(*_: Any) -> None:
    raise _Forbidden("a DOCTYPE declaration")


def _refuse_entity(*_: Any) -> None:
    raise _Forbidden("an ENTITY declaration")


def parse_xml(data: bytes, file: str | Path) -> ET.Element:
    """Parse XML with expat, refusing DOCTYPE and ENTITY declarations; return the root element.

    Element names are ElementTree's ``{namespace}name``. A malformed document or a refused
    declaration is an ``InputError`` with the file and the line.
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.buffer_text = True

    def qname(name: str) -> str:
        return "{" + name if "}" in name else name

    parser.StartElementHandler = lambda name, attrs: builder.start(
        qname(name), {qname(k): v for k, v in attrs.items()}
    )
    parser.EndElementHandler = lambda name: builder.end(qname(name))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_entity
    try:
        parser.Parse(data, True)
    except _Forbidden as exc:
        raise InputError(
            file,
            f"the XML contains {exc}; REFI-QDA files never need one and voc refuses them "
            "(entity expansion is a known attack on XML readers)",
            line=parser.CurrentLineNumber,
        ) from None
    except expat.ExpatError as exc:
        raise InputError(
            file, f"not well-formed XML: {expat.ErrorString(exc.code)}", line=exc.lineno
        ) from None
    return builder.close()


def check_members(zf: zipfile.ZipFile, path: Path) -> None:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(path, f"the archive has {len(infos)} members; at most {MAX_MEMBERS}")
    total = 0
    for info in infos:
        name = info.filename
        parts = re.split(r"[/\\]", name)
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise InputError(
                path,
                f"the archive member {name!r} points outside the archive (absolute path or "
                "'..'); refusing the file",
            )
        total += info.file_size
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError(
            path,
            f"the archive unpacks to {total:,} bytes; at most {MAX_UNCOMPRESSED_BYTES:,} "
            "(a damaged file or a zip bomb)",
        )


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    try:
        with zf.open(info) as fh:
            data = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
        raise InputError(path, f"cannot read archive member {info.filename!r}: {exc}") from None
    if len(data) > info.file_size:
        raise InputError(path, f"archive member {info.filename!r} is larger than it declares")
    return data


# --------------------------------------------------------------------------------------------
# Elements and the codebook
# --------------------------------------------------------------------------------------------


def guid_key(guid: str | None) -> str:
    """A GUID compared the way REFI allows it to be written: any case, braces optional."""
    return (guid or "").strip().strip("{}").lower()


def child(elem: ET.Element, ns: str, name: str) -> ET.Element | None:
    return elem.find(f"{{{ns}}}{name}")


def children(elem: ET.Element, ns: str, name: str) -> list[ET.Element]:
    return elem.findall(f"{{{ns}}}{name}")


def parse_codes(codes_elem: ET.Element, ns: str, file: str | Path) -> pd.DataFrame:
    """The codebook table (``CODEBOOK_COLUMNS``) of a ``<Codes>`` element, in document order."""
    rows: list[dict[str, Any]] = []
    paths: list[tuple[str, ...]] = []

    # Depth-first in document order, without recursion (a hostile file may nest deeply).
    stack: list[tuple[ET.Element, int | None, tuple[str, ...]]] = [
        (code, None, ()) for code in reversed(children(codes_elem, ns, "Code"))
    ]
    while stack:
        code, parent, path = stack.pop()
        guid, name = code.get("guid"), code.get("name")
        if not guid or name is None or not name.strip():
            what = "guid" if not guid else "name"
            raise InputError(
                file, f"a Code (name={name!r}, guid={guid!r}) has no {what}; both are required"
            )
        description = child(code, ns, "Description")
        rows.append(
            {
                "code": name.strip(),
                "parent": parent,
                "description": (description.text or "") if description is not None else "",
                "guid": guid,
                "color": code.get("color"),
                "is_codable": code.get("isCodable", "true").strip().lower() not in ("false", "0"),
            }
        )
        paths.append((*path, name.strip()))
        here = len(rows) - 1
        stack.extend((child, here, paths[-1]) for child in reversed(children(code, ns, "Code")))
    seen: dict[str, str] = {}
    for row in rows:
        key = guid_key(row["guid"])
        if key in seen:
            raise InputError(
                file, f"codes {seen[key]!r} and {row['code']!r} share the GUID {row['guid']}"
            )
        seen[key] = row["code"]
    # voc's codes are unique names: same-named codes under different parents get their path.
    names = [r["code"] for r in rows]
    counts = pd.Series(names).value_counts()
    final = ["/".join(p) if counts[n] > 1 else n for n, p in zip(names, paths, strict=True)]
    used: set[str] = set()
    for i, name in enumerate(final):
        candidate, k = name, 2
        while candidate in used:
            candidate, k = f"{name} ({k})", k + 1
        final[i] = candidate
        used.add(candidate)
    for row, name in zip(rows, final, strict=True):
        row["code"] = name
    for row in rows:
        row["parent"] = None if row["parent"] is None else final[row["parent"]]
    codebook = pd.DataFrame(rows, columns=CODEBOOK_COLUMNS, dtype=object)
    return codebook.astype({"code": str, "description": str, "is_codable": bool})


def parse_root(data: bytes, file: str | Path, kind: str, local: str) -> tuple[ET.Element, str]:
    """Parse a REFI document; its root must be ``local`` in a ``urn:QDA-XML:<kind>:`` namespace."""
    root = parse_xml(data, file)
    ns, _, name = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    if name != local or not ns.startswith(f"urn:QDA-XML:{kind}:"):
        raise InputError(
            file,
            f"expected a REFI-QDA <{local}> in namespace 'urn:QDA-XML:{kind}:1.0', found "
            f"<{name}> in {ns or 'no namespace'!r}",
        )
    return root, ns


# --------------------------------------------------------------------------------------------
# How a tool counted line endings
# --------------------------------------------------------------------------------------------


def counting_map(raw: str, crlf_as_one: bool) -> np.ndarray | None:
    """Raw positions of each counted position (None: the identity)."""
    if not crlf_as_one or "\r\n" not in raw:
        return None
    mask = np.ones(len(raw) + 1, dtype=bool)
    mid = [m.start() + 1 for m in re.finditer("\r\n", raw)]
    mask[mid] = False
    return np.flatnonzero(mask)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _name_fits(name: str | None, selected: str) -> bool:
    if not name:
        return False
    key = re.sub(r"(\.\.\.|…)$", "", _collapse(normalise(name))).strip()
    return len(key) >= 3 and _collapse(selected).startswith(key)


def choose_line_endings(raw: str, selections: list[ET.Element], mode: str, origin: str) -> str:
    """``as_stored`` or ``crlf_as_one``: how the positions of *selections* count ``\\r\\n``.

    Only a text with ``\\r\\n`` has a choice. ``auto`` counts the selections whose ``name``
    (the start of the selected text, as tools write it) fits each reading and takes the better
    one; on a tie, ``crlf_as_one`` when *origin* names ATLAS.ti, else ``as_stored``.
    """
    if "\r\n" not in raw:
        return "as_stored"
    if mode != "auto":
        return mode
    default = "crlf_as_one" if "atlas" in origin.lower() else "as_stored"
    score = {}
    for choice in ("as_stored", "crlf_as_one"):
        counted = counting_map(raw, choice == "crlf_as_one")
        n, hits = len(raw) if counted is None else len(counted) - 1, 0
        for sel in selections:
            try:
                a, b = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
            except ValueError:
                continue
            if 0 <= a <= b <= n:
                ra, rb = (a, b) if counted is None else (counted[a], counted[b])
                hits += _name_fits(sel.get("name"), raw[ra:rb])
        score[choice] = hits
    if score["as_stored"] != score["crlf_as_one"]:
        return max(score, key=score.__getitem__)
    return default
