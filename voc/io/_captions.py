"""WebVTT (``.vtt``) and SubRip (``.srt``) transcript readers. Private to ``voc.io``.

Own parsers, because webvtt-py silently drops a cue whose timing line is malformed: here every
block of the file is either a cue, a ``NOTE``/``STYLE``/``REGION`` block (WebVTT) or an
``InputError`` naming its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from voc.errors import InputError
from voc.io._transcript_text import (
    Parsed,
    TextBuilder,
    Turn,
    match_label,
    normalise,
    read_text_file,
)

_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t].*)?")
_VTT_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t].*)?")
_SRT_INDEX = re.compile(r"\d+")
_LOOKS_TIMED = re.compile(r"\s*(?:\d+:)?\d{1,2}:\d{2}")
_TIMING = re.compile(r"(\S+?)[ \t]*-->[ \t]*(\S+)(?:[ \t]+.*)?")
_STAMP = re.compile(r"(?:(\d+):)?([0-5]\d):([0-5]\d)[.,](\d{3})")

# <v Speaker>, <v.loud Speaker Name>; the annotation (group 1) is the speaker.
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>")
# Markup that is not text: WebVTT/SRT formatting tags, karaoke timestamps, SSA overrides ({\an8}).
# Anything else in angle brackets ("<3", "<inaudible>") is kept as text.
_MARKUP = re.compile(
    r"</?(?:c|i|b|u|v|s|em|strong|lang|ruby|rt|font|span)(?:[.\s][^<>]*)?>"
    r"|<\d+(?::\d{2}){1,2}[.,]\d{3}>"
    r"|\{\\[^{}]*\}",
    re.IGNORECASE,
)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ENTITY = re.compile(r"&(amp|lt|gt|nbsp|lrm|rlm|quot|apos|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});")
_ENTITIES = {
    "amp": "&",
    "lt": "<",
    "gt": ">",
    "nbsp": "\u00a0",
    "lrm": "\u200e",
    "rlm": "\u200f",
    "quot": '"',
    "apos": "'",
}


@dataclass(frozen=True)
class _Cue:
    line: int  # 1-based line of the timing line
    start: float
    end: float
    payload: list[str]


def _seconds(stamp: str) -> float | None:
    m = _STAMP.fullmatch(stamp)
    if m is None:
        return None
    hours, minutes, seconds, millis = m.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{round((seconds - whole) * 1000):03d}"


def _shown(line: str) -> str:
    """A line as an error may show it: subtitle structure is quoted, spoken text never is
    (a transcript's words may be personal); its length is given instead."""
    structure = (
        _LOOKS_TIMED.match(line) or _SRT_INDEX.fullmatch(line.strip()) or "WEBVTT" in line.upper()
    )
    return repr(line[:40]) if structure else f"a line of {len(line)} characters"


def _timing(line: str, path: Path, number: int, expected: str) -> tuple[float, float]:
    m = _TIMING.fullmatch(line.strip())
    times = (_seconds(m.group(1)), _seconds(m.group(2))) if m else (None, None)
    if times[0] is None or times[1] is None:
        raise InputError(
            path,
            f"malformed cue timing line {line!r}: expected '{expected}' "
            "(hours optional, minutes and seconds 00-59, three digits of milliseconds)",
            line=number,
        )
    start, end = times
    if end < start:
        raise InputError(
            path, f"the cue ends ({_clock(end)}) before it starts ({_clock(start)})", line=number
        )
    return start, end


def _vtt_cues(text: str, path: Path) -> list[_Cue]:
    lines = text.split("\n")
    if not _VTT_HEADER.fullmatch(lines[0]):
        raise InputError(
            path,
            f"missing 'WEBVTT' header: a WebVTT file starts with the line 'WEBVTT', found "
            f"{_shown(lines[0])}",
            line=1,
        )
    expected = "hh:mm:ss.ttt --> hh:mm:ss.ttt"
    n, i = len(lines), 1
    while i < n and lines[i] and "-->" not in lines[i]:  # text after the header line
        i += 1
    cues: list[_Cue] = []
    while i < n:
        if not lines[i]:
            i += 1
            continue
        first = lines[i]
        if "-->" not in first and _VTT_BLOCK.fullmatch(first):
            while i < n and lines[i]:
                i += 1
            continue
        if "-->" in first or _LOOKS_TIMED.match(first):
            timing = i
        elif i + 1 < n and lines[i + 1]:
            timing = i + 1  # ``first`` is the cue identifier
        else:
            raise InputError(
                path,
                f"text outside a cue: {_shown(first)} is neither a cue (an optional identifier, "
                f"then a timing line '{expected}') nor a NOTE, STYLE or REGION block",
                line=i + 1,
            )
        start, end = _timing(lines[timing], path, timing + 1, expected)
        i = timing + 1
        payload = []
        while i < n and lines[i] and "-->" not in lines[i]:
            payload.append(lines[i])
            i += 1
        cues.append(_Cue(timing + 1, start, end, payload))
    return cues


def _srt_cues(text: str, path: Path) -> list[_Cue]:
    lines = text.split("\n")
    expected = "hh:mm:ss,ttt --> hh:mm:ss,ttt"
    n, i = len(lines), 0
    cues: list[_Cue] = []
    while i < n:
        if not lines[i]:
            i += 1
            continue
        first = lines[i]
        if _SRT_INDEX.fullmatch(first.strip()):
            if i + 1 >= n or not lines[i + 1]:
                raise InputError(
                    path,
                    f"cue number {first.strip()} is not followed by a timing line '{expected}'",
                    line=i + 1,
                )
            timing = i + 1
        elif "-->" in first or _LOOKS_TIMED.match(first):
            timing = i  # a cue without its number
        else:
            raise InputError(
                path,
                f"expected a cue number or a timing line '{expected}', found {_shown(first)}",
                line=i + 1,
            )
        start, end = _timing(lines[timing], path, timing + 1, expected)
        i = timing + 1
        payload = []
        while i < n and lines[i] and "-->" not in lines[i]:
            payload.append(lines[i])
            i += 1
        if i < n and lines[i] and payload and _SRT_INDEX.fullmatch(payload[-1].strip()):
            payload.pop()  # the next cue's number, written without a blank line before it
        cues.append(_Cue(timing + 1, start, end, payload))
    return cues


def _decode_entity(m: re.Match[str]) -> str:
    name = m.group(1)
    if name in _ENTITIES:
        return _ENTITIES[name]
    code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
        return chr(code)
    return m.group(0)


def _visible(fragment: str) -> str:
    """The text a viewer sees: markup stripped, entities decoded, normalised, trimmed."""
    text = _MARKUP.sub("", _BREAK.sub(" ", fragment))
    return normalise(_ENTITY.sub(_decode_entity, text)).strip()


def _pieces(payload: list[str]) -> list[tuple[str | None, str]]:
    """Split a cue payload into ``(speaker or None, text)`` pieces.

    A voice tag ``<v Name>`` starts a piece; so does a payload line starting with a speaker
    label (``Name: text``, the same rule as plain text). Lines are joined with a space.
    """
    pieces: list[tuple[str | None, list[str]]] = []
    for raw in payload:
        chunks = _VOICE.split(raw)
        for k in range(0, len(chunks), 2):
            text = _visible(chunks[k])
            if k > 0:  # after a voice tag
                annotation = normalise(chunks[k - 1] or "").strip()
                pieces.append((annotation or None, []))
            elif (found := match_label(text)) is not None:
                pieces.append((found[0], []))
                text = text[found[1] :].strip()
            elif not pieces:
                pieces.append((None, []))
            if text:
                pieces[-1][1].append(text)
    return [(speaker, " ".join(texts)) for speaker, texts in pieces if texts]


def _turns(cues: list[_Cue], note: str) -> Parsed:
    """Lay the cues out as the full text (one line per non-empty cue) and merge them into turns.

    A cue with no visible text at all (empty payload, or markup only) is left out of the full
    text and of the turns. With speakers in the file, a piece without a speaker continues the
    current speaker's turn, and consecutive pieces of one speaker form one turn timed from the
    earliest start to the latest end of its cues. Without any speaker, every cue is one unit.
    """
    laid_out = [(cue, pieces) for cue in cues if (pieces := _pieces(cue.payload))]
    has_speakers = any(s is not None for _, pieces in laid_out for s, _ in pieces)
    out = TextBuilder()
    turns: list[Turn] = []
    current: Turn | None = None
    for cue, pieces in laid_out:
        pos, _ = out.add(" ".join(text for _, text in pieces))
        for speaker, text in pieces:
            start, end = pos, pos + len(text)
            pos = end + 1
            if (
                has_speakers
                and current is not None
                and current.speaker
                and speaker in (None, current.speaker)
            ):
                current.end = end
                current.t_start = min(current.t_start, cue.start)
                current.t_end = max(current.t_end, cue.end)
            else:
                current = Turn(speaker or "", start, end, cue.start, cue.end)
                turns.append(current)
    return Parsed(out.text, turns, note=note)


def read_vtt(path: Path) -> Parsed:
    """Read a WebVTT file (see ``voc.io.transcripts`` for the rules)."""
    cues = _vtt_cues(read_text_file(path), path)
    return _turns(cues, "" if cues else "the file has a WEBVTT header but no cues")


def read_srt(path: Path) -> Parsed:
    """Read a SubRip file (see ``voc.io.transcripts`` for the rules)."""
    cues = _srt_cues(read_text_file(path), path)
    return _turns(cues, "" if cues else "the file has no cues")
