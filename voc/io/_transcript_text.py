"""Shared machinery of the transcript readers: decoding, normalisation, speaker labels, turns.

Private to ``voc.io``; the public API and the rules it follows are documented in
``voc.io.transcripts``.
"""

from __future__ import annotations

import codecs
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from voc.errors import InputError

# --------------------------------------------------------------------------------------------
# Decoding and normalisation
# --------------------------------------------------------------------------------------------

_BOMS = (  # UTF-32 first: its little-endian BOM starts with the UTF-16 one
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)

#: Bidi controls and the zero-width no-break space (BOM) are removed by normalisation.
BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"

_DELETE = {cp: None for cp in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]}
_DELETE.update({ord(ch): None for ch in BIDI_CONTROLS})
_DELETE[ord("\t")] = " "
_TRAILING_SPACES = re.compile(r" +(?=\n)| +\Z")


def line_of(text: str, index: int) -> int:
    """1-based line number of ``text[index]``, counting CRLF, CR and LF as one line break."""
    head = text[:index]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


def decode(data: bytes, file: Path | str) -> str:
    """Decode UTF-8 (BOM optional), or UTF-16/UTF-32 when the file starts with their BOM.

    Never guesses: undecodable bytes and NUL characters are an ``InputError`` that names the
    line and the byte offset.
    """
    encoding, name = "utf-8", "UTF-8"
    for bom, codec, codec_name in _BOMS:
        if data.startswith(bom):
            encoding, name = codec, codec_name
            break
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        head = data[: exc.start].decode(encoding, errors="replace")
        line = line_of(head, len(head))
        bad = data[exc.start : min(exc.end, exc.start + 4)].hex(" ")
        raise InputError(
            file,
            f"cannot decode byte(s) {bad} at byte offset {exc.start} as {name}; save the file as "
            "UTF-8 (voc never guesses an encoding)",
            line=line,
        ) from None
    if "\x00" in text:
        where = text.index("\x00")
        raise InputError(
            file,
            "the text contains NUL characters: it looks like UTF-16 or UTF-32 without a "
            "byte-order mark, or not a text file at all; save it as UTF-8",
            line=line_of(text, where),
        )
    return text


def normalise(text: str) -> str:
    """The normalised text that offsets count in (code points).

    CRLF and lone CR become LF; control characters other than LF are removed (a tab becomes a
    space); bidi controls and U+FEFF are removed; the text is put in Unicode NFC; spaces at the
    end of a line are removed. The function is idempotent.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_DELETE)
    text = unicodedata.normalize("NFC", text)
    return _TRAILING_SPACES.sub("", text)


def read_text_file(path: Path) -> str:
    """The normalised content of a text file (``.txt``, ``.md``, ``.vtt``, ``.srt``)."""
    return normalise(decode(path.read_bytes(), path))


# --------------------------------------------------------------------------------------------
# Speaker labels
# --------------------------------------------------------------------------------------------

# A word starts with a letter or digit: "P07", "Dr.", "O'Brien", "Mary-Jane", "AT&T".
_WORD = r"[^\W_][\w'\u2019.&-]*"
_NAME = rf"{_WORD}(?: {_WORD}){{0,3}}(?: \([^()\n:]{{1,40}}\))?"
# A timestamp before the name ("[00:01:23] P07:", "00:01:23 P07:") or, in brackets, after it
# ("Speaker 1 (00:03):", as Rev writes them); "At 10:30: we started" has no speaker.
_CLOCK = r"\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?"
_CORE = (
    rf"(?:\[{_CLOCK}\] +|\({_CLOCK}\) +|{_CLOCK} +)?"
    rf"(?P<name>{_NAME})(?: +[\[(]{_CLOCK}[\])])?"
)
_COLON = "[ \u00a0\u202f]?:"  # French typography puts a (no-break) space before the colon
_AFTER = "(?=[ \u00a0\u202f]|$)"
_LABELS = (
    re.compile(rf" *(?P<m>\*\*|__){_CORE}(?P=m){_COLON}{_AFTER}"),  # **Priya**: text
    re.compile(rf" *(?P<m>\*\*|__){_CORE}{_COLON}(?P=m){_AFTER}"),  # **Priya:** text
    re.compile(rf" *{_CORE}{_COLON}{_AFTER}"),  # Priya: text
)
_PARENTHETICAL = re.compile(r" \([^()]*\)$")

# fmt: off
#: Lower-case words allowed inside a multi-word label ("Head of Sales", "Anna van Dijk").
_PARTICLES = frozenset({
    "al", "bin", "da", "das", "de", "del", "della", "der", "di", "dos", "du", "el", "la", "le",
    "of", "op", "ten", "ter", "van", "von", "y",
})
#: Role words that may start a label in lower case ("interviewer:", "speaker 2:").
_ROLE_WORDS = frozenset({
    "interviewer", "interviewee", "moderator", "facilitator", "researcher", "participant",
    "respondent", "customer", "speaker", "observer", "host", "guest", "q", "a",
})
#: Labels that introduce annotations or metadata, not speech (compared case-insensitively,
#: without dots). ``Date: 2025-03-02`` or ``Note: the call dropped`` never start a turn.
NOT_SPEAKERS = frozenset({
    "note", "notes", "nb", "ps", "re", "fyi", "edit", "update", "example", "eg", "ie", "cf",
    "summary", "context", "source", "sources", "translation", "warning", "tip", "important",
    "caution", "disclaimer", "quote", "date", "time", "duration", "length", "location", "place",
    "venue", "recorded", "recording", "transcript", "transcription", "transcriber",
    "transcribed by", "project", "study", "file", "filename", "title", "subject", "topic",
    "language", "attendees", "participants", "present", "agenda", "keywords", "tags", "version",
    "total", "name", "company", "email", "e-mail", "phone", "age", "gender", "country",
    "next steps", "action items", "key points", "takeaways", "key takeaways",
})
# fmt: on


def label_key(label: str) -> str:
    """A label compared case-insensitively, without dots and without a parenthetical."""
    return _PARENTHETICAL.sub("", label).casefold().replace(".", "").strip()


def is_speaker_name(label: str) -> bool:
    """Whether ``label`` (already cut out of a line) is an acceptable speaker name.

    It needs a letter; its first word must not start lower-case (unless it is a role word such
    as ``interviewer``) and later lower-case words must be particles (so "So the thing is" is no
    speaker); annotation and metadata words (``Note``, ``Date``) are refused.
    """
    name = _PARENTHETICAL.sub("", label)
    if not any(ch.isalpha() for ch in name) or label_key(label) in NOT_SPEAKERS:
        return False
    words = name.split(" ")
    if words[0][0].islower() and words[0] not in _ROLE_WORDS:
        return False
    return all(not w[0].islower() or w in _PARTICLES for w in words[1:])


def match_label(line: str) -> tuple[str, int] | None:
    """``(speaker, offset of the text after the label)`` when ``line`` starts a speaker turn.

    A label starts the line (leading spaces allowed), is 1 to 4 words or an id (``P07``),
    optionally bold in Markdown (``**Priya**:`` or ``**Priya:**``), with an optional
    parenthetical (``Interviewer (Anna)``) and optional timestamps before or after the name
    (``[00:01:23] P07:``, ``Speaker 1 (00:03):``; they are not part of the speaker). It is
    followed by ``:`` (a space before it is allowed) and a space or the end of the line. A time
    such as ``10:30`` or a ``Note:`` is not a label.
    """
    for form in _LABELS:
        m = form.match(line)
        if m is not None:
            label = m.group("name")
            return (label, m.end()) if is_speaker_name(label) else None
    return None


def speaker_key(speaker: str) -> set[str]:
    """The case-insensitive keys a speaker label matches: with and without a parenthetical."""
    return {speaker.casefold().strip(), _PARENTHETICAL.sub("", speaker).casefold().strip()}


# --------------------------------------------------------------------------------------------
# Turns
# --------------------------------------------------------------------------------------------


@dataclass
class Turn:
    """One unit of a transcript: ``text[start:end]`` of the normalised full text."""

    speaker: str
    start: int
    end: int
    t_start: float = math.nan
    t_end: float = math.nan


@dataclass(frozen=True)
class Block:
    """A paragraph of the full text, ``text[start:end]``.

    ``speaker`` is set when the layout itself names the speaker (a row of a dialogue table);
    the turn's text then starts at ``text_start``.
    """

    start: int
    end: int
    speaker: str | None = None
    text_start: int = 0


@dataclass(frozen=True)
class Parsed:
    """What a format reader returns: the normalised full text and its units in order."""

    text: str
    turns: list[Turn]
    note: str = ""  # added to a "no turns found" error


def trimmed(text: str, speaker: str, start: int, end: int) -> Turn | None:
    """The turn ``text[start:end]`` without surrounding whitespace, or None when it is blank."""
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    tail = len(piece.rstrip())
    if tail <= lead:
        return None
    return Turn(speaker, start + lead, start + tail)


def _lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    pos = start
    while pos <= end:
        stop = text.find("\n", pos, end)
        stop = end if stop < 0 else stop
        yield pos, stop
        pos = stop + 1


def plain_blocks(text: str) -> list[Block]:
    """Paragraphs of a plain text: runs of non-blank lines separated by blank lines."""
    blocks: list[Block] = []
    first: int | None = None
    last = 0
    for start, end in _lines(text, 0, len(text)):
        if text[start:end].strip():
            first = start if first is None else first
            last = end
        elif first is not None:
            blocks.append(Block(first, last))
            first = None
    if first is not None:
        blocks.append(Block(first, last))
    return blocks


def segment(text: str, blocks: list[Block]) -> list[Turn]:
    """Cut paragraphs into speaker turns (see the rules in ``voc.io.transcripts``).

    Without any speaker label in the document every paragraph is one unit with speaker ``""``.
    Otherwise a label line starts a turn; lines and paragraphs without a label continue the
    current turn; paragraphs before the first label are units of their own with speaker ``""``.
    """
    labelled = any(b.speaker is not None for b in blocks) or any(
        match_label(text[s:e]) for b in blocks for s, e in _lines(text, b.start, b.end)
    )
    turns: list[Turn] = []

    def add(speaker: str, start: int, end: int) -> None:
        if (turn := trimmed(text, speaker, start, end)) is not None:
            turns.append(turn)

    if not labelled:
        for b in blocks:
            add("", b.start, b.end)
        return turns

    current: list = []  # [speaker, start, end] of the open turn
    for b in blocks:
        if b.speaker is not None:
            if current:
                add(*current)
            current = [b.speaker, b.text_start, b.end]
            continue
        preamble: list[int] = []
        for start, end in _lines(text, b.start, b.end):
            found = match_label(text[start:end])
            if found is not None:
                if preamble:
                    add("", *preamble)
                    preamble = []
                if current:
                    add(*current)
                current = [found[0], start + found[1], end]
            elif current:
                current[2] = end
            else:
                preamble = [preamble[0] if preamble else start, end]
        if preamble:
            add("", *preamble)
    if current:
        add(*current)
    return turns


class TextBuilder:
    """Builds a full text line by line (joined with ``\\n``) and records where each line is."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0

    def add(self, line: str) -> tuple[int, int]:
        """Append ``line`` (already normalised) and return its ``(start, end)`` offsets."""
        if self._parts:
            self._length += 1
        start = self._length
        self._parts.append(line)
        self._length += len(line)
        return start, self._length

    @property
    def text(self) -> str:
        return "\n".join(self._parts)
