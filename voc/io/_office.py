"""Word (``.docx``, python-docx) and OpenDocument (``.odt``, odfpy) transcript readers.

Both readers turn the document body into a list of paragraphs and tables, then lay that out as
one full text (one line per paragraph, joined with ``\\n``) with its paragraph blocks; the
speaker rules of plain text apply to the blocks. Private to ``voc.io``.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voc.errors import InputError
from voc.io._transcript_text import (
    NOT_SPEAKERS,
    Block,
    Parsed,
    TextBuilder,
    label_key,
    normalise,
    segment,
)


@dataclass(frozen=True)
class _Table:
    """A table as rows of cell texts (paragraphs of a cell joined with ``\\n``, stripped)."""

    rows: list[list[str]]


_Item = str | _Table  # a paragraph (normalised text) or a table

_TIMESTAMP = re.compile(r"[\[(]?\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?[\])]?")
# fmt: off
_HEADER_SPEAKER = frozenset({"speaker", "speakers", "speaker name", "name", "who", "person"})
_HEADER_TEXT = frozenset({
    "text", "transcript", "transcription", "utterance", "dialogue", "dialog", "content", "speech",
    "statement", "said", "what was said", "response", "comment", "comments", "verbatim", "quote",
})
# fmt: on


# --------------------------------------------------------------------------------------------
# Layout shared by both formats
# --------------------------------------------------------------------------------------------


def _cell(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _is_speaker_cell(value: str) -> bool:
    return (
        "\n" not in value
        and len(value) <= 40
        and len(value.split()) <= 5
        and any(ch.isalpha() for ch in value)
        and label_key(value) not in NOT_SPEAKERS
    )


def _dialogue_columns(rows: list[list[str]]) -> tuple[int, int, bool] | None:
    """``(speaker column, text column, has header row)`` when a table is a dialogue.

    A dialogue table has exactly two columns besides columns that hold only timestamps; the
    first of them holds short speaker names (or nothing, for a continuation row), and with four
    rows or more some speaker appears twice (so a ``Date | 2025-03-02`` metadata table is not
    a dialogue). An optional first row such as ``Speaker | Text`` is a header.
    """
    n_cols = max((len(row) for row in rows), default=0)
    if n_cols < 2:
        return None
    body = rows[1:] if len(rows) > 1 else rows
    times = {
        i
        for i in range(n_cols)
        if any(_cell(r, i) for r in body)
        and all(_TIMESTAMP.fullmatch(_cell(r, i)) for r in body if _cell(r, i))
    }
    rest = [i for i in range(n_cols) if i not in times]
    if len(rest) != 2:
        return None
    speaker_col, text_col = rest
    header = (
        len(rows) > 1
        and _cell(rows[0], speaker_col).casefold().rstrip(":") in _HEADER_SPEAKER
        and _cell(rows[0], text_col).casefold().rstrip(":") in _HEADER_TEXT
    )
    data = rows[1:] if header else rows
    named = [s for r in data if (s := _cell(r, speaker_col).removesuffix(":").strip())]
    if not named or not all(_is_speaker_cell(s) for s in named):
        return None
    if not any(_cell(r, text_col) for r in data):
        return None
    if len(data) >= 4 and len(set(named)) == len(named):
        return None
    return speaker_col, text_col, header


def _layout_table(table: _Table, out: TextBuilder, blocks: list[Block]) -> None:
    dialogue = _dialogue_columns(table.rows)
    if dialogue is None:  # every row is one paragraph block; its cells are its lines
        for row in table.rows:
            cells = [c for c in row if c.strip()]
            if cells:
                blocks.append(Block(*out.add("\n".join(cells))))
        return
    speaker_col, text_col, header = dialogue
    for row in table.rows[1:] if header else table.rows:
        speaker = " ".join(_cell(row, speaker_col).removesuffix(":").split())
        body = _cell(row, text_col)
        if not speaker:  # a continuation row, or a "Speaker: text" line in the text cell
            if body:
                blocks.append(Block(*out.add(body)))
            continue
        start, end = out.add(f"{speaker}: {body}" if body else f"{speaker}:")
        blocks.append(Block(start, end, speaker=speaker, text_start=start + len(speaker) + 2))


def _layout(items: list[_Item], note: str = "") -> Parsed:
    out = TextBuilder()
    blocks: list[Block] = []
    for item in items:
        if isinstance(item, _Table):
            _layout_table(item, out, blocks)
        else:
            blocks.append(Block(*out.add(item)))
    text = out.text
    return Parsed(text, segment(text, blocks), note=note)


def _flatten(items: list[_Item]) -> str:
    """The text of a table cell: its paragraphs (and nested tables, cell by cell) as lines."""
    lines: list[str] = []
    for item in items:
        if isinstance(item, _Table):
            lines += [c for row in item.rows for c in row if c]
        else:
            lines.append(item)
    return "\n".join(lines).strip()


# --------------------------------------------------------------------------------------------
# .docx
# --------------------------------------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
# Containers whose children are read like the body; anything else at block level is skipped.
_DOCX_WRAPPERS = frozenset({"sdt", "sdtContent", "customXml", "ins", "moveTo", "smartTag"})
# Inside a paragraph: deleted text, field codes, ruby guides, text boxes, drawings and notes are
# not text.
# fmt: off
_DOCX_SKIP = frozenset({
    "del", "moveFrom", "delText", "instrText", "delInstrText", "rt", "txbxContent", "drawing",
    "pict", "object", "rPr", "pPr", "sectPr", "footnoteReference", "endnoteReference",
    "commentReference",
})
# fmt: on


def _qname(element: Any) -> tuple[str, str]:
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith("{"):
        return "", ""
    ns, _, local = tag[1:].partition("}")
    return ns, local


def _docx_paragraph(p: Any) -> str:
    """The visible text of a ``w:p``: runs, hyperlinks, fields and tracked insertions, in order.

    python-docx's ``Paragraph.text`` drops runs inside ``w:ins`` (tracked insertions), content
    controls and fields, hence this walker.
    """
    parts: list[str] = []

    def walk(element: Any) -> None:
        for child in element:
            ns, local = _qname(child)
            if ns == _MC:
                if local != "Fallback":  # AlternateContent holds the same content twice
                    walk(child)
            elif ns != _W or local in _DOCX_SKIP or local == "p":
                continue
            elif local == "t":
                parts.append(child.text or "")
            elif local in ("tab", "ptab"):
                parts.append("\t")
            elif local in ("br", "cr"):
                parts.append("\n")
            elif local == "noBreakHyphen":
                parts.append("-")
            else:
                walk(child)

    walk(p)
    return normalise("".join(parts))


def _docx_items(container: Any, items: list[_Item]) -> None:
    for child in container:
        ns, local = _qname(child)
        if ns == _MC:
            if local != "Fallback":
                _docx_items(child, items)
        elif ns != _W:
            continue
        elif local == "p":
            items.append(_docx_paragraph(child))
        elif local == "tbl":
            items.append(_Table(_docx_rows(child)))
        elif local in _DOCX_WRAPPERS:
            _docx_items(child, items)


def _docx_children(element: Any, wanted: str) -> list[Any]:
    """Children named ``wanted``, looking through content controls and custom XML."""
    found = []
    for child in element:
        ns, local = _qname(child)
        if ns == _W and local == wanted:
            found.append(child)
        elif ns == _W and local in _DOCX_WRAPPERS:
            found += _docx_children(child, wanted)
    return found


def _docx_rows(tbl: Any) -> list[list[str]]:
    rows = []
    for tr in _docx_children(tbl, "tr"):
        cells: list[str] = []
        for tc in _docx_children(tr, "tc"):
            content: list[_Item] = []
            _docx_items(tc, content)
            cells.append(_flatten(content))
            span = tc.find(f"{{{_W}}}tcPr/{{{_W}}}gridSpan")
            if span is not None and str(span.get(f"{{{_W}}}val", "1")).isdigit():
                cells += [""] * (min(int(span.get(f"{{{_W}}}val")), 64) - 1)
        rows.append(cells)
    return rows


def read_docx(path: Path) -> Parsed:
    """Read a ``.docx``: body paragraphs and tables in document order.

    Headers and footers are read, but they are page furniture (``Interviewer: Anna | Project X``
    in a header is metadata, not a turn), so they never become turns; their text is only used
    to explain a "no turns found" error. Footnotes, comments, text boxes and deleted text (tracked
    changes) are not read; tracked insertions are.
    """
    try:
        import docx
        from docx.opc.constants import RELATIONSHIP_TYPE
        from docx.opc.exceptions import PackageNotFoundError
        from lxml import etree
    except ImportError as exc:  # pragma: no cover - python-docx is a dependency of voc
        raise ImportError(
            "reading .docx transcripts needs python-docx: pip install python-docx"
        ) from exc
    try:
        document = docx.Document(str(path))
    except (
        PackageNotFoundError,
        KeyError,
        ValueError,
        zipfile.BadZipFile,
        etree.XMLSyntaxError,
    ) as exc:
        raise InputError(
            path,
            f"cannot open it as a Word .docx file ({exc}); an old .doc file must be saved as .docx",
        ) from None
    items: list[_Item] = []
    _docx_items(document.element.body, items)

    furniture: list[_Item] = []
    for rel in document.part.rels.values():
        if not rel.is_external and rel.reltype in (
            RELATIONSHIP_TYPE.HEADER,
            RELATIONSHIP_TYPE.FOOTER,
        ):
            _docx_items(rel.target_part.element, furniture)
    note = ""
    if _flatten(furniture):
        note = "the page header/footer has text, but headers and footers are never read as turns"
    return _layout(items, note)


# --------------------------------------------------------------------------------------------
# .odt
# --------------------------------------------------------------------------------------------


def _odt_names() -> tuple[str, str, str, str]:
    from odf.namespaces import DRAWNS, OFFICENS, TABLENS, TEXTNS

    return TEXTNS, TABLENS, OFFICENS, DRAWNS


_ODF_SPACES = re.compile(r"[ \t\r\n]+")


def _odt_paragraph(p: Any) -> str:
    """The text of a ``text:p``/``text:h``: spans, links, fields; not notes, comments, frames."""
    text_ns, _, office_ns, draw_ns = _odt_names()
    skip = {(text_ns, "note"), (office_ns, "annotation"), (text_ns, "ruby-text")}
    parts: list[str] = []

    def walk(node: Any) -> None:
        for child in node.childNodes:
            if child.nodeType == child.TEXT_NODE:
                parts.append(_ODF_SPACES.sub(" ", child.data))  # ODF white-space collapsing
                continue
            if child.nodeType != child.ELEMENT_NODE:
                continue
            qname = child.qname
            if qname == (text_ns, "s"):
                count = child.getAttrNS(text_ns, "c")
                parts.append(" " * (int(count) if count and count.isdigit() else 1))
            elif qname == (text_ns, "tab"):
                parts.append("\t")
            elif qname == (text_ns, "line-break"):
                parts.append("\n")
            elif qname not in skip and qname[0] != draw_ns:
                walk(child)

    walk(p)
    return normalise("".join(parts))


def _odt_items(node: Any, items: list[_Item]) -> None:
    text_ns, table_ns, office_ns, draw_ns = _odt_names()
    skip = {
        (text_ns, "tracked-changes"),
        (text_ns, "sequence-decls"),
        (text_ns, "variable-decls"),
        (text_ns, "user-field-decls"),
        (text_ns, "note"),
        (office_ns, "annotation"),
        (office_ns, "forms"),
    }
    for child in node.childNodes:
        if child.nodeType != child.ELEMENT_NODE:
            continue
        qname = child.qname
        if qname in ((text_ns, "p"), (text_ns, "h")):
            items.append(_odt_paragraph(child))
        elif qname == (table_ns, "table"):
            items.append(_Table(_odt_rows(child)))
        elif qname not in skip and qname[0] != draw_ns:
            _odt_items(child, items)  # lists, list items, sections, index bodies


def _repeat(element: Any, namespace: str, attribute: str, has_text: bool) -> int:
    value = element.getAttrNS(namespace, attribute)
    # Empty repeated cells and rows (LibreOffice pads tables with them) count once.
    return min(int(value), 100) if has_text and value and value.isdigit() else 1


def _odt_rows(table: Any) -> list[list[str]]:
    _, table_ns, _, _ = _odt_names()
    rows: list[list[str]] = []

    def collect(node: Any) -> None:
        for child in node.childNodes:
            if child.nodeType != child.ELEMENT_NODE:
                continue
            if child.qname == (table_ns, "table-row"):
                row: list[str] = []
                for cell in child.childNodes:
                    if cell.nodeType != cell.ELEMENT_NODE:
                        continue
                    if cell.qname == (table_ns, "table-cell"):
                        content: list[_Item] = []
                        _odt_items(cell, content)
                        value = _flatten(content)
                        row += [value] * _repeat(
                            cell, table_ns, "number-columns-repeated", bool(value)
                        )
                    elif cell.qname == (table_ns, "covered-table-cell"):
                        row.append("")
                has_text = any(row)
                rows.extend(
                    list(row)
                    for _ in range(_repeat(child, table_ns, "number-rows-repeated", has_text))
                )
            elif child.qname in (
                (table_ns, "table-header-rows"),
                (table_ns, "table-rows"),
                (table_ns, "table-row-group"),
            ):
                collect(child)

    collect(table)
    return rows


def read_odt(path: Path) -> Parsed:
    """Read an ``.odt``: paragraphs, headings, lists and tables of the body, in order.

    Page headers and footers live in the styles, not the body, and are not read; neither are
    notes, comments, frames (text boxes) or tracked deletions.
    """
    try:
        from odf.opendocument import load
    except ImportError as exc:  # pragma: no cover - odfpy is a dependency of voc
        raise ImportError("reading .odt transcripts needs odfpy: pip install odfpy") from exc
    _, _, office_ns, _ = _odt_names()
    try:
        document = load(str(path))
    except Exception as exc:  # odfpy raises zipfile, KeyError and SAX errors alike
        raise InputError(
            path, f"cannot open it as an OpenDocument .odt file ({type(exc).__name__}: {exc})"
        ) from None
    bodies = [
        node
        for node in document.body.childNodes
        if node.nodeType == node.ELEMENT_NODE and node.qname == (office_ns, "text")
    ]
    if not bodies:
        raise InputError(
            path, f"not an OpenDocument text document (its type is {document.mimetype!r})"
        )
    items: list[_Item] = []
    _odt_items(bodies[0], items)
    return _layout(items)
