"""Delimited text survey exports: strict decoding, delimiter sniffing, located records.

Part of :mod:`voc.io.survey`. Lines end at ``"\\n"`` only, so a lone ``"\\r"`` inside quotes stays
in its field and every record is located by the line a text editor shows.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from voc.errors import InputError
from voc.study import SurveySpec

__all__ = ["csv_records"]

# UTF-32 first: its little-endian BOM starts with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DELIMITERS = (",", ";", "\t", "|")
_ENCODING_HINT = (
    "Declare the file's encoding in study.yaml with the 'encoding:' key of the survey section, "
    "e.g. 'encoding: cp1252' for a Windows/Excel CSV or 'encoding: utf-16' for an Excel "
    "'Unicode text' export."
)


def _bom_encoding(raw: bytes) -> str | None:
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    return None


def _column_at(prefix: str, text: str, delimiter: str | None) -> str | None:
    """The header name of the field that starts or continues at the end of *prefix*.

    *prefix* is the text before an undecodable byte and *text* the whole file decoded with
    replacement characters; None when the byte is in the header or the layout is unclear.
    """
    if delimiter is None:
        counts = _first_record_counts(text)
        best = max(counts.values())
        winners = [d for d, n in counts.items() if n == best]
        if best == 0 or len(winners) > 1:
            return None
        delimiter = winners[0]
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        # A stand-in for the bad byte ends the prefix: the last field of the last record holds it.
        rows = list(csv.reader(io.StringIO(prefix + "\x1a", newline=""), delimiter=delimiter))
    except csv.Error:
        return None
    if len(rows) < 2 or len(rows[-1]) > len(header):
        return None
    return header[len(rows[-1]) - 1].strip() or None


def _decode(path: Path, raw: bytes, declared: str | None, delimiter: str | None = None) -> str:
    """Decode *raw* strictly: a BOM, else the declared encoding, else UTF-8; never a guess."""
    bom = _bom_encoding(raw)
    encoding = bom or "utf-8"
    if declared is not None:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            raise InputError(
                path,
                f"unknown encoding {declared!r} in survey.encoding (try utf-8, cp1252, utf-16)",
            ) from None
        family = codecs.lookup(bom).name.removesuffix("-sig") if bom else None
        if family is not None and not codec.startswith(family):
            raise InputError(
                path,
                f"the file starts with a {family} byte-order mark but survey.encoding is "
                f"{declared!r}; remove the 'encoding:' key (a byte-order mark is always honoured)",
            )
        if bom is None:
            encoding = declared
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode(encoding, errors="replace").removeprefix("\ufeff")
        line = prefix.count("\n") + 1
        bad = " ".join(f"0x{b:02x}" for b in raw[exc.start : min(exc.end, exc.start + 4)])
        whole = raw.decode(encoding, errors="replace").removeprefix("\ufeff")
        raise InputError(
            path,
            f"byte {bad} at byte offset {exc.start} cannot be decoded as "
            f"{encoding.replace('-sig', '')} ({exc.reason}). {_ENCODING_HINT}",
            line=line,
            column=_column_at(prefix, whole, delimiter),
        ) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError(
            path,
            "the text contains NUL characters: this looks like a UTF-16 file without a "
            "byte-order mark. Declare 'encoding: utf-16-le' (or utf-16-be) in study.yaml.",
            line=line,
        )
    return text


def _first_record_counts(text: str) -> dict[str, int]:
    """How often each candidate delimiter occurs outside quotes in the first record."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            if char in "\r\n":
                break
            if char in counts:
                counts[char] += 1
    return counts


def _sniff_delimiter(path: Path, text: str) -> str:
    counts = _first_record_counts(text)
    best = max(counts.values())
    if best == 0:
        return ","
    winners = [d for d, n in counts.items() if n == best]
    if len(winners) > 1:
        shown = " and ".join(f"{n} {d!r}" for d, n in counts.items() if n == best)
        raise InputError(
            path,
            f"cannot tell the delimiter from the header line (it has {shown}); declare it in "
            "study.yaml, e.g. 'delimiter: \";\"' or 'delimiter: tab'",
            line=1,
        )
    return winners[0]


def csv_records(path: Path, spec: SurveySpec) -> list[tuple[int, list[str]]]:
    """Parse a delimited text file into ``(first line of the record, fields)`` pairs."""
    with path.open("rb") as handle:
        raw = handle.read()
    text = _decode(path, raw, spec.encoding, spec.delimiter)
    del raw  # a large export is held once, as text
    if not text.strip():
        raise InputError(path, "the file is empty; expected a header line and responses")
    delimiter = spec.delimiter or _sniff_delimiter(path, text)
    # Lines end at "\n" only, so a lone "\r" inside quotes stays part of its field and the line
    # numbers are the ones an editor shows.
    # A file with carriage returns and no line feed at all is an old Mac export ("CSV
    # (Macintosh)"): there a "\r" ends the line.
    newline = "\r" if "\n" not in text and "\r" in text else "\n"
    reader = csv.reader(_lines(text, newline), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            if "".join(row).strip():  # skip a record whose cells are all blank
                records.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        message = _csv_problem(str(exc), start, reader.line_num)
        column = None
        if "unexpected end of data" in str(exc) and records:
            column = _unclosed_column(text, start, records[0][1], delimiter, newline)
        raise InputError(path, message, line=start, column=column) from None
    return records


def _lines(text: str, newline: str) -> Iterator[str]:
    """The lines of *text*, each with its *newline*: what ``io.StringIO(text, newline=newline)``
    yields, without the copy of the whole text (four bytes a character) it would hold."""
    start = 0
    while True:
        end = text.find(newline, start)
        if end < 0:
            if start < len(text):
                yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _unclosed_column(
    text: str, start: int, header: list[str], delimiter: str, newline: str
) -> str | None:
    """The header name of the field whose quote, opened in the record on line *start*, is
    never closed: read leniently, that field runs to the end of the file and ends the record."""
    rest = newline.join(text.split(newline)[start - 1 :])
    row = next(csv.reader(io.StringIO(rest, newline=newline), delimiter=delimiter), [])
    index = len(row) - 1
    return header[index].strip() or None if 0 <= index < len(header) else None


def _csv_problem(message: str, start: int, end: int) -> str:
    if "unexpected end of data" in message:
        return (
            "a quoted field that starts in this record is never closed (the file ends inside "
            'quotes); close the quote or double any quote inside the field ("")'
        )
    if "expected after" in message:
        return (
            f"a closing quote must be followed by the delimiter or the end of the line "
            f'(line {end}); quote the whole field and double any quote inside it ("")'
        )
    if "new-line character seen in unquoted field" in message:
        return (
            f"a lone carriage return (\\r) outside quotes on line {end}: the file mixes line "
            "endings; re-export it with Windows (CRLF) or Unix (LF) line endings"
        )
    if "field larger than field limit" in message:
        return (
            f"a field of this record is longer than {csv.field_size_limit():,} characters "
            f"(detected on line {end}): usually a quote that is never closed"
        )
    return f"not valid CSV ({message}, detected on line {end})"
