"""Taguette highlights (the CSV export) → the ``codings`` table.

Taguette (https://www.taguette.org/) exports highlights as a CSV with the columns
``id, document, tag, content``: one row per highlight and tag (a highlight with two tags is two
rows with the same ``id``; one without tags has an empty ``tag``), ordered by document and by
position in the document (``taguette/export.py``, ``highlights_csv``). The export carries no
offsets and no coder, so voc finds each highlight's text in the transcript:

* ``document`` is matched to a transcript name: exactly, else ignoring case, else ignoring the
  file extension (Taguette documents are often named without one). A name that fits two
  transcripts is an error that names both.
* ``content`` (Taguette's plain-text rendering of the highlight) is normalised like transcripts
  (:func:`voc.io._transcript_text.normalise`) and searched with every run of whitespace
  collapsed to one space in both texts; when that fails, with whitespace ignored altogether
  (paragraph breaks rendered differently). The span found runs from the first to the last
  non-space character of the match, in the transcript's own offsets.
* When the text occurs several times, rows are taken in file order (Taguette's export is in
  document order): a highlight takes the first occurrence at or after the previous highlight of
  that document that no earlier highlight with the same text took. ``n_matches`` counts the
  occurrences, so ``n_matches > 1`` marks the codings to check by eye.
* Tags are kept as they are (Taguette's tag ``path``). Taguette ≥ 1.5 keeps tag hierarchy as a
  parent reference, not in the name, and the highlights export does not carry it: take the
  hierarchy from Taguette's codebook export (CSV ``tag, parent, description``, or REFI ``.qdc``
  through :func:`voc.io.refi.read_qdc`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from voc.errors import InputError
from voc.io._refi_base import match_names
from voc.io._transcript_text import decode, normalise
from voc.study import suggest

__all__ = ["TaguetteHighlights", "read_taguette_highlights"]

_HEADER = ("id", "document", "tag", "content")
_SKIPPED_COLUMNS = ["line", "id", "document", "tag", "content", "reason"]


@dataclass(frozen=True)
class TaguetteHighlights:
    """What :func:`read_taguette_highlights` found.

    Attributes
    ----------
    codings : DataFrame
        The ``codings`` table (``source, start, end, segment_id, code, coder``) plus
        ``highlight_id`` (Taguette's id) and ``n_matches`` (occurrences of the highlighted text
        in the transcript; above 1 the position was chosen by order, see the module
        documentation). The index is the CSV line the row starts on (``line``).
    skipped : DataFrame
        Rows that gave no coding, never dropped silently: ``line, id, document, tag, content,
        reason``. Highlights without a tag (``reason`` "no tag") are always listed here; with
        ``allow_missing=True`` so are rows whose document or text was not found.
    """

    codings: pd.DataFrame
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_SKIPPED_COLUMNS))


@dataclass(frozen=True)
class _Key:
    """A text reduced for matching, with the text position of each of its characters."""

    key: str
    pos: list[int]


def _key(text: str, *, spaces: bool) -> _Key:
    chars: list[str] = []
    pos: list[int] = []
    gap = True  # no space at the start
    for i, ch in enumerate(text):
        if ch.isspace():
            if spaces and not gap:
                chars.append(" ")
                pos.append(i)
            gap = True
        else:
            chars.append(ch)
            pos.append(i)
            gap = False
    if chars and chars[-1] == " ":
        chars.pop()
        pos.pop()
    return _Key("".join(chars), pos)


def _occurrences(haystack: _Key, needle: str) -> list[tuple[int, int]]:
    spans = []
    at = haystack.key.find(needle)
    while at >= 0:
        spans.append((haystack.pos[at], haystack.pos[at + len(needle) - 1] + 1))
        at = haystack.key.find(needle, at + 1)
    return spans


class _Locator:
    """Finds highlights in the transcripts, remembering what earlier rows took."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.keys: dict[tuple[str, bool], _Key] = {}
        self.cursor: dict[str, int] = {}
        self.taken: dict[tuple[str, str], set[tuple[int, int]]] = {}

    def find(self, source: str, content: str) -> tuple[tuple[int, int], int] | None:
        wanted = normalise(content)
        for spaces in (True, False):
            needle = _key(wanted, spaces=spaces).key
            if not needle:
                return None
            if (source, spaces) not in self.keys:
                self.keys[source, spaces] = _key(self.texts[source], spaces=spaces)
            found = _occurrences(self.keys[source, spaces], needle)
            if found:
                break
        else:
            return None
        taken = self.taken.setdefault((source, needle), set())
        cursor = self.cursor.get(source, 0)
        span = next(
            (s for s in found if s[0] >= cursor and s not in taken),
            next((s for s in found if s not in taken), found[-1]),
        )
        taken.add(span)
        self.cursor[source] = span[0]
        return span, len(found)


def _records(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    text = decode(path.read_bytes(), path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lstrip("\ufeff").casefold() for h in next(reader)]
    except StopIteration:
        raise InputError(
            path, "the file is empty; expected the header id,document,tag,content"
        ) from None
    except csv.Error as exc:
        raise InputError(path, f"not a valid CSV: {exc}", line=1) from None
    missing = [c for c in _HEADER if c not in header]
    if missing:
        raise InputError(
            path,
            f"found columns {header}; a Taguette highlights export has {', '.join(_HEADER)} "
            f"(missing {', '.join(missing)}).{suggest(missing[0], header)}",
            line=1,
        )
    records = []
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(path, f"not a valid CSV record: {exc}", line=start) from None
        if any(cell.strip() for cell in row):
            if len(row) != len(header):
                raise InputError(
                    path, f"expected {len(header)} fields, found {len(row)}", line=start
                )
            records.append((start, row))
        start = reader.line_num + 1
    return header, records


def read_taguette_highlights(
    path: str | Path,
    transcripts_text: dict[str, str],
    *,
    coder: str = "taguette",
    allow_missing: bool = False,
) -> TaguetteHighlights:
    """Read Taguette's highlights CSV export into the ``codings`` table.

    Parameters
    ----------
    path : str or Path
        The CSV Taguette exports under "Export this view" → "Highlights" (all tags or one).
    transcripts_text : dict of str to str
        Normalised full text of each transcript by source name
        (:func:`voc.io.transcripts.read_transcript_text`); offsets count in these texts.
    coder : str, default "taguette"
        The coder of every highlight (the export does not say who highlighted).
    allow_missing : bool, default False
        When False a row whose document or text is not found raises; when True it is
        listed in ``skipped`` with its line and the reason.

    Returns
    -------
    TaguetteHighlights
        ``codings`` (one row per highlight and tag, index ``line``; ``segment_id`` is None) and
        ``skipped`` (see :class:`TaguetteHighlights`).

    Raises
    ------
    InputError
        Not a highlights export; a document that fits no transcript or several; a text not
        found in its transcript (file, line and document named); an undecodable file.
    TypeError, ValueError
        ``transcripts_text`` is not a non-empty dict of texts, or ``coder`` is blank.

    See Also
    --------
    voc.io.refi.read_qdc : Taguette's codebook export (REFI-QDA).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "all_tags.csv"
    >>> _ = path.write_text("id,document,tag,content\\n7,P07,pricing,Too   pricey\\n")
    >>> found = read_taguette_highlights(path, {"P07.txt": "P07: Too pricey, too slow."})
    >>> found.codings[["source", "start", "end", "code", "coder", "n_matches"]].reset_index()
       line   source  start  end     code     coder  n_matches
    0     2  P07.txt      5   15  pricing  taguette          1
    """
    path = Path(path)
    if not isinstance(transcripts_text, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in transcripts_text.items()
    ):
        raise TypeError("transcripts_text must be a dict of transcript name to its full text")
    if not transcripts_text:
        raise ValueError("transcripts_text is empty: pass the texts of the transcripts")
    if not isinstance(coder, str) or not coder.strip():
        raise ValueError(f"coder must be a non-blank string, got {coder!r}")
    if not path.is_file():
        raise InputError(path, "file not found" if not path.exists() else "not a file")
    header, records = _records(path)
    col = {name: header.index(name) for name in _HEADER}
    locator = _Locator(transcripts_text)
    found: dict[tuple[str, str, str], tuple[tuple[int, int], int]] = {}
    rows, lines, skipped = [], [], []
    for line, row in records:
        hid, document, tag, content = (row[col[c]] for c in _HEADER)
        hid, document, tag = hid.strip(), document.strip(), tag.strip()

        record = [line, hid, document, tag, content]
        if not tag:
            skipped.append([*record, "no tag"])
            continue
        matches = match_names(document, transcripts_text)
        if len(matches) > 1:
            raise InputError(
                path,
                f"document {document!r} fits several transcripts: {', '.join(matches)}; "
                "rename one or pass transcripts_text without the other",
                line=line,
                column="document",
            )
        if not matches:
            reason = f"document {document!r} is not a transcript"
            if allow_missing:
                skipped.append([*record, reason])
                continue
            raise InputError(
                path,
                f"{reason}.{suggest(document, list(transcripts_text))} Known: "
                f"{', '.join(sorted(transcripts_text)[:10])}",
                line=line,
                column="document",
            )
        source = matches[0]
        cache_key = (hid, source, content)
        if cache_key not in found:
            located = locator.find(source, content)
            if located is None:
                reason = (
                    "the highlight is empty"
                    if not content.strip()
                    else f"the highlighted text is not in {source!r}"
                )
                if allow_missing:
                    skipped.append([*record, reason])
                    continue
                raise InputError(
                    path,
                    # The highlight is interview talk, which may be personal: not quoted.
                    f"document {document!r}: {reason} (a highlight of {len(content.strip())} "
                    "characters); was the transcript edited after it was coded? To leave such "
                    "rows out and list them, set 'unmatched_codings: warn' in the interviews "
                    "section of study.yaml (allow_missing=True when calling this function)",
                    line=line,
                    column="content",
                )
            found[cache_key] = located
        (start, end), n_matches = found[cache_key]
        rows.append([source, start, end, None, tag, coder, hid, n_matches])
        lines.append(line)
    codings = pd.DataFrame(
        rows,
        columns=[
            "source",
            "start",
            "end",
            "segment_id",
            "code",
            "coder",
            "highlight_id",
            "n_matches",
        ],
        index=pd.Index(lines, name="line", dtype="int64"),
        dtype=object,
    ).astype(
        {
            "source": str,
            "start": "int64",
            "end": "int64",
            "code": str,
            "coder": str,
            "highlight_id": str,
            "n_matches": "int64",
        }
    )
    skipped_frame = pd.DataFrame(skipped, columns=_SKIPPED_COLUMNS, dtype=object).astype(
        {"line": "int64"}
    )
    return TaguetteHighlights(codings, skipped_frame)
