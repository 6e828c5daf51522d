"""REFI-QDA exchange: codebooks (``.qdc``) and projects (``.qdpx``) in and out of voc's tables.

REFI-QDA is the exchange standard of ATLAS.ti, MAXQDA, NVivo, QualCoder, Taguette and others
(https://www.qdasoftware.org/; XSDs as shipped in QualCoder ``qualcoder/xsd.py``). A ``.qdc`` is a
codebook (root ``CodeBook`` in ``urn:QDA-XML:codebook:1.0``); a ``.qdpx`` is a zip holding
``project.qde`` (root ``Project`` in ``urn:QDA-XML:project:1.0``) and the sources' plain texts in
``Sources/``.

What voc reads from a project
-----------------------------
* ``CodeBook``: nested ``Code`` elements are the hierarchy; ``isCodable="false"`` marks a category.
* ``TextSource`` (and the ``Representation`` text of a ``PDFSource``): the plain text from
  ``PlainTextContent``, from ``internal://`` (``Sources/`` or ``sources/`` in the zip) or from
  ``relative://`` (a ``.txt`` file, resolved against ``Project/@basePath``, then against the
  folder of the ``.qdpx``). ``absolute://`` paths are never read (a project file must not make voc read
  arbitrary files): pass such texts in ``transcripts_text``.
* ``PlainTextSelection`` + ``Coding``/``CodeRef``: one coding per ``Coding``; the coder is
  ``Coding/@creatingUser`` (else the selection's ``creatingUser``) looked up in ``Users``.
* ``Cases`` with ``VariableValue`` and ``SourceRef``; ``Variables`` give the value types.
  Variables attached to a source (``TextSource/VariableValue``, or a nameless ``Case`` with one
  ``SourceRef`` as MAXQDA and Quirkos write them, QualCoder#465) become columns of ``sources``.

Not read: pictures, audio/video selections and transcripts, notes/memos, links, sets, graphs.

Offsets
-------
REFI positions count characters of the source's plain text. voc's offsets count code points of
the *normalised* text (LF line ends, NFC, control characters removed, no trailing spaces; see
:mod:`voc.io.transcripts`). Every position is carried over through an index map from the text
as stored to the normalised text, so ``text[start:end]`` selects the same words. A position
inside a sequence that normalisation merges (``e`` + combining accent, ``\\r\\n``) widens the
span to the whole sequence.

Line endings: ATLAS.ti counts ``\\r\\n`` as one character although the ``.txt`` it writes holds
two (QualCoder ``refi.py``, "Atlas stored correct positions ... as though it is \\n"); other tools
count what is stored. With ``line_endings="auto"`` a source with ``\\r\\n`` is read the ATLAS.ti
way when ``Project/@origin`` names ATLAS.ti, unless the selections' names (tools write the start
of the selected text there) fit the other reading better.

Known limits: positions are taken as code points; a tool that counts UTF-16 units would be off
by one per character outside the Basic Multilingual Plane (emoji) before the selection.

Safety: the zip may hold at most ``MAX_MEMBERS`` members and ``MAX_UNCOMPRESSED_BYTES`` in all;
absolute member paths and ``..`` are refused. XML with a ``DOCTYPE`` or an ``ENTITY`` declaration
is refused (no entity expansion, no external entities), and nothing is extracted to disk.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import pandas as pd

from voc.errors import InputError
from voc.io._refi_base import (
    CODEBOOK_NAMESPACE,
    GUID_NAMESPACE,
    MAX_MEMBERS,
    MAX_UNCOMPRESSED_BYTES,
    PROJECT_NAMESPACE,
    TextMap,
    check_members,
    child,
    children,
    choose_line_endings,
    counting_map,
    guid_key,
    match_names,
    normalise_with_map,
    parse_codes,
    parse_root,
    read_member,
)
from voc.io._refi_write import write_qdc, write_qdpx
from voc.io._transcript_text import decode, normalise

__all__ = [
    "CODEBOOK_NAMESPACE",
    "GUID_NAMESPACE",
    "MAX_MEMBERS",
    "MAX_UNCOMPRESSED_BYTES",
    "PROJECT_NAMESPACE",
    "read_qdc",
    "read_qdpx",
    "write_qdc",
    "write_qdpx",
]

LineEndings = Literal["auto", "as_stored", "crlf_as_one"]
_LINE_ENDINGS = ("auto", "as_stored", "crlf_as_one")
_CODING_COLUMNS = ["source", "start", "end", "segment_id", "code", "coder"]

# --------------------------------------------------------------------------------------------
# Codebook
# --------------------------------------------------------------------------------------------


def read_qdc(path: str | Path) -> pd.DataFrame:
    """Read a REFI-QDA codebook (``.qdc``) into the ``codebook`` table.

    Parameters
    ----------
    path : str or Path
        A ``.qdc`` file: root ``CodeBook`` in namespace ``urn:QDA-XML:codebook:1.0``.

    Returns
    -------
    pandas.DataFrame
        One row per ``Code`` in document order: ``code`` (the name; same-named codes under
        different parents become ``parent/child`` paths so codes stay unique), ``parent``
        (None at the top), ``description`` (``""`` if none), ``guid``, ``color`` (``#RRGGBB``
        or None) and ``is_codable`` (False for a category).

    Raises
    ------
    InputError
        Missing file, malformed XML, a DOCTYPE/ENTITY declaration, another root element, a
        Code without name or GUID, two codes with one GUID.

    See Also
    --------
    write_qdc : the reverse.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found" if not path.exists() else "not a file")
    root, ns = parse_root(path.read_bytes(), path, "codebook", "CodeBook")
    codes = child(root, ns, "Codes")
    if codes is None:
        raise InputError(path, "the CodeBook has no <Codes> element")
    codebook = parse_codes(codes, ns, path)
    if codebook.empty:
        raise InputError(path, "the codebook has no codes")
    return codebook


# --------------------------------------------------------------------------------------------
# Project
# --------------------------------------------------------------------------------------------


@dataclass
class _Source:
    name: str
    guid: str
    kind: str
    elem: ET.Element | None  # the element holding the PlainTextSelections
    path: str | None
    raw: str | None = None
    text: str | None = None
    line_endings: str | None = None
    tmap: TextMap | None = None
    source: str = ""  # the unique name used in voc's tables
    variables: dict[str, Any] | None = None


class _Project:
    """Reads one ``.qdpx``: the zip, the XML and the cross references between them."""

    def __init__(self, path: Path, zf: zipfile.ZipFile, root: ET.Element, ns: str) -> None:
        self.path, self.zf, self.root, self.ns = path, zf, root, ns
        self.qde = f"{path}!{self._qde_name(zf, path)}"
        self.members = {i.filename: i for i in zf.infolist() if not i.is_dir()}
        self._variables: dict[str, tuple[str, str]] = {}

    @staticmethod
    def _qde_name(zf: zipfile.ZipFile, path: Path) -> str:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        if "project.qde" in names:
            return "project.qde"
        qde = [n for n in names if "/" not in n and n.lower().endswith(".qde")]
        if len(qde) != 1:
            raise InputError(
                path,
                "a .qdpx must hold project.qde at its top level"
                + (f"; found {len(qde)} .qde files: {qde}" if qde else ""),
            )
        return qde[0]

    def q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def users(self) -> pd.DataFrame:
        rows = []
        for user in self.root.iterfind(f"{self.q('Users')}/{self.q('User')}"):
            guid = user.get("guid")
            if not guid:
                raise InputError(self.qde, "a <User> has no guid")
            rows.append({"guid": guid, "name": user.get("name") or user.get("id") or guid})
        return pd.DataFrame(rows, columns=["guid", "name"], dtype=object).astype(str)

    def codebook(self) -> pd.DataFrame:
        codes = self.root.find(f"{self.q('CodeBook')}/{self.q('Codes')}")
        if codes is None:
            return parse_codes(ET.Element("Codes"), self.ns, self.qde)
        return parse_codes(codes, self.ns, self.qde)

    # -- sources -----------------------------------------------------------------------------

    def sources(self) -> list[_Source]:
        sources_elem = self.root.find(self.q("Sources"))
        found: list[_Source] = []
        for elem in [] if sources_elem is None else list(sources_elem):
            kind = elem.tag.rpartition("}")[2]
            guid, name = elem.get("guid"), elem.get("name")
            if not guid:
                raise InputError(self.qde, f"a <{kind}> (name={name!r}) has no guid")
            name = (name or "").strip() or guid
            text_elem: ET.Element | None = None
            if kind == "TextSource":
                text_elem = elem
            elif kind == "PDFSource":
                text_elem = child(elem, self.ns, "Representation")
            source = _Source(name, guid, kind, text_elem, None)
            if text_elem is not None:
                source.path, source.raw = self._plain_text(text_elem, name)
            source.variables = self._values(children(elem, self.ns, "VariableValue"), name)
            found.append(source)
        # Same-named sources (MAXQDA, QualCoder#396) get " (2)", " (3)" before the extension.
        used: set[str] = set()
        for s in found:
            candidate, k = s.name, 2
            while candidate in used:
                p = PurePosixPath(s.name)
                candidate = f"{p.stem} ({k}){p.suffix}" if p.suffix else f"{s.name} ({k})"
                k += 1
            s.source = candidate
            used.add(candidate)
        return found

    def _plain_text(self, elem: ET.Element, name: str) -> tuple[str | None, str | None]:
        inline = child(elem, self.ns, "PlainTextContent")
        if inline is not None:
            return "PlainTextContent", inline.text or ""
        where = elem.get("plainTextPath")
        if not where:
            return None, None
        scheme, _, rest = where.partition("://")
        scheme = scheme.lower()
        if scheme == "internal":
            rest = rest.lstrip("/")
            info = None
            for folder in ("Sources/", "sources/"):
                info = self.members.get(folder + rest)
                if info is not None:
                    break
            if info is None:  # GUIDs are case-insensitive; so are some tools' folder names
                wanted = {f"sources/{rest}".lower(), rest.lower()}
                info = next((i for n, i in self.members.items() if n.lower() in wanted), None)
            if info is None:
                raise InputError(
                    self.qde,
                    f"source {name!r}: plainTextPath {where!r} is not in the archive (looked in "
                    f"Sources/ and sources/)",
                )
            data = read_member(self.zf, info, self.path)
            return where, decode(data, f"{self.path}!{info.filename}")
        if scheme == "relative":
            rel = rest.lstrip("/")
            if ".." in re.split(r"[/\\]", rel) or re.match(r"^[A-Za-z]:", rel):
                raise InputError(self.qde, f"source {name!r}: {where!r} leaves the base folder")
            if not rel.lower().endswith(".txt"):
                return where, None  # only plain-text files, never e.g. a key file next to it
            base = self.root.get("basePath") or ""
            for folder in (Path(base) if base else None, self.path.parent):
                if folder is None:
                    continue
                folder = folder if folder.is_absolute() else self.path.parent / folder
                candidate = folder / rel
                if candidate.is_file():
                    return where, decode(candidate.read_bytes(), candidate)
            return where, None
        return where, None  # absolute:// and anything else: not read

    # -- variables and cases -----------------------------------------------------------------

    def variables(self) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        names: set[str] = set()
        for var in self.root.iterfind(f"{self.q('Variables')}/{self.q('Variable')}"):
            guid, name = var.get("guid"), (var.get("name") or "").strip()
            if not guid or not name:
                raise InputError(self.qde, f"a <Variable> (name={name!r}) has no guid or name")
            if name in names:
                raise InputError(self.qde, f"two variables are named {name!r}")
            names.add(name)
            found[guid_key(guid)] = (name, var.get("typeOfVariable", "Text"))
        self._variables = found
        return found

    def _values(self, elems: list[ET.Element], owner: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for vv in elems:
            ref = child(vv, self.ns, "VariableRef")
            target = guid_key(ref.get("targetGUID") if ref is not None else None)
            if target not in self._variables:
                raise InputError(
                    self.qde, f"{owner!r}: a VariableValue refers to an unknown variable {target!r}"
                )
            name, kind = self._variables[target]
            value_elem = next((c for c in vv if c is not ref), None)
            text = None if value_elem is None else (value_elem.text or "").strip()
            values[name] = _typed(text, kind, f"{owner!r}, variable {name!r}", self.qde)
        return values

    def cases(self, by_guid: dict[str, _Source]) -> pd.DataFrame:
        rows = []
        for case in self.root.iterfind(f"{self.q('Cases')}/{self.q('Case')}"):
            guid, name = case.get("guid"), case.get("name")
            if not guid:
                raise InputError(self.qde, f"a <Case> (name={name!r}) has no guid")
            refs = []
            for ref in children(case, self.ns, "SourceRef"):
                key = guid_key(ref.get("targetGUID"))
                if key not in by_guid:
                    raise InputError(
                        self.qde, f"case {name or guid!r}: SourceRef to an unknown source {key!r}"
                    )
                refs.append(by_guid[key])
            values = self._values(children(case, self.ns, "VariableValue"), name or guid)
            if name is None and len(refs) == 1:  # MAXQDA/Quirkos: variables of one source
                refs[0].variables = {**(refs[0].variables or {}), **values}
                continue
            rows.append(
                {"case": name or guid, "guid": guid, "sources": tuple(s.source for s in refs)}
                | values
            )
        fixed = ["case", "guid", "sources"]
        names = [n for n, _ in self._variables.values()]
        clash = sorted(set(fixed) & set(names))
        if clash:
            raise InputError(self.qde, f"a variable is named {clash[0]!r}, a reserved column")
        cases = pd.DataFrame(rows, columns=fixed + names, dtype=object)
        return _typed_columns(cases, self._variables)


_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}


def _typed(text: str | None, kind: str, where: str, file: str) -> Any:
    if text is None or text == "":
        return None
    try:
        if kind == "Integer":
            return int(text)
        if kind == "Float":
            return float(text)
        if kind == "Boolean":
            return _BOOLEAN[text.lower()]
    except (ValueError, KeyError):
        raise InputError(file, f"{where}: {text!r} is not a valid {kind} value") from None
    return text


_DTYPES = {"Integer": "Int64", "Float": "float64", "Boolean": "boolean"}


def _typed_columns(frame: pd.DataFrame, variables: dict[str, tuple[str, str]]) -> pd.DataFrame:
    kinds = dict(variables.values())
    out = frame.copy()
    for col in out.columns:
        if col in kinds:
            values = out[col].astype(object).where(out[col].notna(), None)
            dtype = _DTYPES.get(kinds[col])
            out[col] = values if dtype is None else pd.array(list(values), dtype=dtype)
    return out


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def _resolve_texts(
    project: _Project,
    sources: list[_Source],
    transcripts_text: dict[str, str] | None,
    line_endings: str,
) -> None:
    given = dict(transcripts_text or {})
    origin = project.root.get("origin") or ""
    claimed: dict[str, _Source] = {}
    for s in sources:
        if s.elem is None:
            continue
        matches = match_names(s.name, given)
        if len(matches) > 1:
            raise InputError(
                project.qde,
                f"source {s.name!r} matches several transcripts: {', '.join(matches)}; "
                "pass transcripts_text with exact names",
            )
        if matches and matches[0] in claimed:
            first = claimed[matches[0]]
            raise InputError(
                project.qde,
                f"sources {first.name!r} (guid {first.guid}) and {s.name!r} (guid {s.guid}) "
                f"both match transcript {matches[0]!r}; rename one in the QDA program",
            )
        if matches:
            claimed[matches[0]] = s
        if s.raw is None and matches:
            s.raw = given[matches[0]]
        selections = children(s.elem, project.ns, "PlainTextSelection")
        if s.raw is None:
            if selections:
                raise InputError(
                    project.qde,
                    f"source {s.source!r} (guid {s.guid}) has coded selections but its text "
                    f"could not be read (plainTextPath {s.path!r}; voc reads no absolute:// "
                    "paths and only .txt relative:// files); pass it in transcripts_text",
                )
            continue
        s.line_endings = choose_line_endings(s.raw, selections, line_endings, origin)
        s.tmap = normalise_with_map(s.raw)
        s.text = s.tmap.text
        if matches:
            expected = normalise(given[matches[0]])
            if s.text != expected:
                i = _first_difference(s.text, expected)
                raise InputError(
                    project.qde,
                    f"the text of source {s.source!r} differs from transcript {matches[0]!r} "
                    f"at position {i} (project: {s.text[i : i + 30]!r}, transcript: "
                    f"{expected[i : i + 30]!r}); its offsets would point elsewhere",
                )


def _codings(
    project: _Project,
    sources: list[_Source],
    codebook: pd.DataFrame,
    users: pd.DataFrame,
) -> pd.DataFrame:
    codes = {guid_key(g): c for g, c in zip(codebook["guid"], codebook["code"], strict=True)}
    coders = {guid_key(g): n for g, n in zip(users["guid"], users["name"], strict=True)}
    rows: list[tuple[str, int, int, None, str, str]] = []
    for s in sources:
        if s.elem is None or s.raw is None or s.tmap is None:
            continue
        counted = counting_map(s.raw, s.line_endings == "crlf_as_one")
        n = len(s.raw) if counted is None else len(counted) - 1
        tmap = s.tmap
        for sel in children(s.elem, project.ns, "PlainTextSelection"):
            guid = sel.get("guid") or "?"
            where = f"selection {guid} in source {s.source!r}"
            try:
                a, b = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
            except ValueError:
                raise InputError(
                    project.qde,
                    f"{where}: startPosition {sel.get('startPosition')!r} and endPosition "
                    f"{sel.get('endPosition')!r} must be whole numbers",
                ) from None
            if not 0 <= a <= b <= n:
                raise InputError(
                    project.qde,
                    f"{where}: positions {a}–{b} fall outside its text of {n} characters"
                    + (" (counting \\r\\n as one)" if counted is not None else ""),
                )
            ra, rb = (a, b) if counted is None else (int(counted[a]), int(counted[b]))
            start, end = tmap.span(ra, rb)
            for coding in children(sel, project.ns, "Coding"):
                ref = child(coding, project.ns, "CodeRef")
                target = guid_key(ref.get("targetGUID") if ref is not None else None)
                if target not in codes:
                    raise InputError(
                        project.qde,
                        f"{where}: coding {coding.get('guid')} refers to code {target!r}, which "
                        "is not in the CodeBook",
                    )
                user = coding.get("creatingUser") or sel.get("creatingUser")
                coder = coders.get(guid_key(user), user) if user else "unknown"
                rows.append((s.source, start, end, None, codes[target], coder))
    codings = pd.DataFrame(rows, columns=_CODING_COLUMNS, dtype=object)
    return codings.astype(
        {"source": str, "start": "int64", "end": "int64", "code": str, "coder": str}
    )


def read_qdpx(
    path: str | Path,
    *,
    transcripts_text: dict[str, str] | None = None,
    line_endings: LineEndings = "auto",
) -> dict[str, pd.DataFrame]:
    """Read a REFI-QDA project (``.qdpx``): codebook, codings, sources, cases and users.

    Parameters
    ----------
    path : str or Path
        The ``.qdpx`` file.
    transcripts_text : dict of str to str, optional
        voc's normalised transcript texts by source name (``read_transcript_text``). A project
        source whose name matches one (exactly, else ignoring case and extension) must have
        the same normalised text, so the codings' offsets are offsets into the transcript; a
        source whose text is not in the project (``absolute://``, a missing relative file)
        takes its text from here.
    line_endings : {"auto", "as_stored", "crlf_as_one"}, default "auto"
        How positions count a ``\\r\\n`` of the stored text: as two characters (``as_stored``)
        or as one (``crlf_as_one``, ATLAS.ti). ``auto`` decides per source (see the module
        documentation); it only matters for texts that contain ``\\r\\n``.

    Returns
    -------
    dict
        ``codebook``: as :func:`read_qdc`. ``codings``: ``source, start, end, segment_id
        (None), code, coder`` in document order, offsets into the normalised text of
        ``source``. ``sources``: ``source`` (unique name: a repeated name gets `` (2)`` before
        its extension), ``name`` (as in the project), ``guid``, ``kind`` (``TextSource``,
        ``PDFSource``, ...), ``path`` (``plainTextPath`` or ``PlainTextContent``), ``text``
        (normalised; None when not a text), ``line_endings`` (the reading used), then one column
        per variable attached to sources. ``cases``: ``case, guid, sources`` (tuple of source
        names) then one column per variable (Integer → Int64, Float → float64, Boolean →
        boolean, others as text). ``users``: ``guid, name``.

    Raises
    ------
    InputError
        Not a zip; an unsafe or oversized archive; no project.qde; malformed XML or a
        DOCTYPE/ENTITY declaration; a source file missing from the archive; a selection outside
        its text (named by its GUID); a reference to an unknown code, source or variable; a
        text that differs from ``transcripts_text``.

    See Also
    --------
    write_qdpx : the reverse.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "study.qdpx"
    >>> codebook = pd.DataFrame({"code": ["price"], "parent": [None], "description": [""]})
    >>> codings = pd.DataFrame({"source": ["P07.txt"], "start": [5], "end": [16],
    ...                         "code": ["price"], "coder": ["anna"]})
    >>> _ = write_qdpx(path, codebook=codebook, texts={"P07.txt": "P07: Too pricey."},
    ...                codings=codings)
    >>> read_qdpx(path)["codings"]
        source  start  end segment_id   code coder
    0  P07.txt      5   16       None  price  anna
    """
    path = Path(path)
    if line_endings not in _LINE_ENDINGS:
        raise ValueError(f"line_endings must be one of {_LINE_ENDINGS}, got {line_endings!r}")
    if not path.is_file():
        raise InputError(path, "file not found" if not path.exists() else "not a file")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(path, f"not a .qdpx (zip) archive: {exc}") from None
    with zf:
        check_members(zf, path)
        qde = _Project._qde_name(zf, path)
        data = read_member(zf, zf.getinfo(qde), path)
        root, ns = parse_root(data, f"{path}!{qde}", "project", "Project")
        project = _Project(path, zf, root, ns)
        users = project.users()
        codebook = project.codebook()
        variables = project.variables()
        sources = project.sources()
        by_guid = {guid_key(s.guid): s for s in sources}
        cases = project.cases(by_guid)
        _resolve_texts(project, sources, transcripts_text, line_endings)
        codings = _codings(project, sources, codebook, users)
    fixed = ["source", "name", "guid", "kind", "path", "text", "line_endings"]
    source_vars = [
        n for n, _ in variables.values() if any(n in (s.variables or {}) for s in sources)
    ]
    table = pd.DataFrame(
        [
            [s.source, s.name, s.guid, s.kind, s.path, s.text, s.line_endings]
            + [(s.variables or {}).get(v) for v in source_vars]
            for s in sources
        ],
        columns=fixed + [v if v not in fixed else f"{v}_variable" for v in source_vars],
        dtype=object,
    )
    kinds = {}
    for name, kind in variables.values():
        column = name if name not in fixed else f"{name}_variable"
        kinds[column] = (column, kind)
    table = _typed_columns(table, kinds)
    return {
        "codebook": codebook,
        "codings": codings,
        "sources": table,
        "cases": cases,
        "users": users,
    }
