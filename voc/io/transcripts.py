"""Interview transcripts → the ``segments`` table.

One row per transcript unit: a speaker turn, or a paragraph (a cue, for subtitles) when the file
names no speakers. Supported: ``.txt``, ``.md``, ``.docx``, ``.odt``, ``.vtt`` (WebVTT) and
``.srt`` (SubRip).

The normalised full text
------------------------
``start``/``end`` are code-point offsets into the file's *normalised full text*, which
:func:`read_transcript_text` returns, and ``text == full_text[start:end]`` holds for every row.

* ``.txt``/``.md``: the file content, normalised.
* ``.docx``/``.odt``: the body paragraphs in document order, one per line (joined with ``\\n``;
  a line break inside a paragraph is a ``\\n`` too). A table row is one line per non-empty cell,
  except in a dialogue table (``speaker | text``, optionally with timestamp columns and a
  ``Speaker | Text`` header row), where a row is the line ``speaker: text`` and timestamp
  columns and the header row are left out.
* ``.vtt``/``.srt``: one line per cue with visible text: payload lines joined with a space,
  markup (``<i>``, ``<c.x>``, ``<00:00:01.000>``, ``{\\an8}``, voice tags) removed, entities
  decoded, and the speaker label (voice tag or ``Speaker:`` prefix) removed, so that a turn
  merged from several cues holds no labels.

Normalisation, applied before offsets are counted: CRLF and lone CR → LF; control characters
other than LF removed (tab → space); bidi controls (U+200E, U+200F, U+202A to U+202E,
U+2066 to U+2069) and U+FEFF removed; Unicode NFC; trailing spaces of each line removed.

Encoding: UTF-8 with or without BOM; UTF-16 and UTF-32 only with their BOM. Anything else is an
``InputError`` naming the line and byte offset; voc never falls back to another encoding.

Speakers and turns
------------------
A speaker label starts a line and is followed by ``:`` and a space (or the end of the line,
the text then follows on the next lines): 1 to 4 words or an id (``P07``, ``R0123``,
``Speaker 1``, ``Dr. Smith``), Markdown bold allowed (``**Priya**:``), an optional
parenthetical (``Interviewer (Anna):``), an optional timestamp before the name or in brackets
after it (``[00:01:23] P07:``, ``Speaker 1 (00:03):``; not part of the speaker), and a space
before the colon allowed (French typography). The label needs a letter (so ``007:`` is not a
label); its first word must not start lower-case unless it is a role word (``interviewer``,
``speaker``, ...), and annotation/metadata words (``Note``, ``Date``, ``Time``, ``Re``, ...)
are never speakers. Times (``10:30``) and labels later in a line are not speakers. The rules
do not depend on the ``interviewer`` argument, so the full text never does either.

* A file without any label: one unit per paragraph (text: blocks separated by blank lines;
  documents: each paragraph), speaker ``""``.
* A file with labels: a label line starts a turn; lines *and paragraphs* without a label
  continue the current turn (a multi-paragraph answer is one turn); paragraphs before the first
  label are units of their own with speaker ``""`` (a title, "Interview with P07, 2 March").
* Subtitles: a voice tag (``<v Name>``, ``<v.loud Name>``) or a ``Name:`` prefix on a payload
  line names the speaker; a cue without one continues the current speaker. Consecutive cues of
  one speaker are merged into one turn, timed from the first cue's start to the last cue's end
  (earliest start/latest end when cues overlap). Without any speaker, each cue is one unit.
* A unit with no text (an empty label line, an empty cue) is left out; units are numbered after
  that, so ``segment_id`` has no gaps.
* ``role`` is ``"interviewer"`` when the speaker matches one of ``interviewer``
  case-insensitively (with or without its parenthetical), else ``"participant"``.

Errors (``InputError`` with the file and, where there is one, the 1-based line): undecodable
bytes; a WebVTT file without the ``WEBVTT`` header; a malformed timing line; a cue that ends
before it starts; text outside a cue; a file with no turns. Overlapping or out-of-order cues
are allowed (real exports have them). A message quotes subtitle structure (a timing line, a cue
number) but never spoken text, which may be personal: it gives the line's length instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from voc.errors import InputError
from voc.io._captions import read_srt, read_vtt
from voc.io._office import read_docx, read_odt
from voc.io._transcript_text import Parsed, plain_blocks, read_text_file, segment, speaker_key

__all__ = [
    "SEGMENT_COLUMNS",
    "SUPPORTED_SUFFIXES",
    "read_transcript",
    "read_transcript_text",
    "read_transcripts",
]

#: Columns of the ``segments`` table, in order.
SEGMENT_COLUMNS = (
    "segment_id",
    "participant_id",
    "source",
    "speaker",
    "role",
    "start",
    "end",
    "t_start",
    "t_end",
    "text",
)

DEFAULT_PATTERN = r"(?P<id>[A-Za-z]*\d+)"

# Files in a transcripts folder that are never transcripts: OS and Office leftovers.
_IGNORED_NAMES = frozenset({"thumbs.db", "desktop.ini"})


def _read_plain(path: Path) -> Parsed:
    text = read_text_file(path)
    return Parsed(text, segment(text, plain_blocks(text)))


_READERS: dict[str, Callable[[Path], Parsed]] = {
    ".txt": _read_plain,
    ".md": _read_plain,
    ".docx": read_docx,
    ".odt": read_odt,
    ".vtt": read_vtt,
    ".srt": read_srt,
}

#: File name suffixes the transcript readers accept (compared case-insensitively).
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)


def _supported() -> str:
    return ", ".join(SUPPORTED_SUFFIXES)


def _parse(path: Path) -> Parsed:
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(
            path,
            f"unsupported transcript file type {path.suffix or '(no suffix)'!r}; "
            f"supported: {_supported()}",
        )
    if not path.is_file():
        raise InputError(path, "file not found" if not path.exists() else "not a file")
    try:
        return reader(path)
    except OSError as exc:  # permissions, a file removed while reading, a network drive gone
        raise InputError(path, f"cannot read the file ({exc.strerror or exc})") from None


def _interviewer_keys(interviewer: Sequence[str] | str) -> set[str]:
    labels = [interviewer] if isinstance(interviewer, str) else list(interviewer)
    if not all(isinstance(label, str) for label in labels):
        raise TypeError(f"interviewer must be speaker labels (strings), got {interviewer!r}")
    return {label.casefold().strip() for label in labels}


def read_transcript_text(path: str | Path) -> str:
    """Return the normalised full text of a transcript, the text that offsets count in.

    Parameters
    ----------
    path : str or Path
        A transcript file with one of ``SUPPORTED_SUFFIXES``.

    Returns
    -------
    str
        The normalised full text (see the module documentation for each format); for every
        row of ``read_transcript(path)``, ``text[row.start:row.end] == row.text``.

    Raises
    ------
    InputError
        The file is missing, undecodable or malformed.
    """
    return _parse(Path(path)).text


def read_transcript(
    path: str | Path,
    *,
    participant_id: str | None = None,
    interviewer: Sequence[str] = ("Interviewer",),
) -> pd.DataFrame:
    """Read one transcript into the ``segments`` table.

    Parameters
    ----------
    path : str or Path
        A ``.txt``, ``.md``, ``.docx``, ``.odt``, ``.vtt`` or ``.srt`` file.
    participant_id : str, optional
        The participant interviewed; by default the file name without its suffix.
    interviewer : sequence of str, default ("Interviewer",)
        Speaker labels of the interviewer(s), compared case-insensitively.

    Returns
    -------
    pandas.DataFrame
        One row per unit, in file order, with ``SEGMENT_COLUMNS``: ``segment_id``
        (``f"{stem}-{n:03d}"``), ``participant_id``, ``source`` (file name), ``speaker`` (label
        as written, ``""`` if none), ``role`` (``interviewer``/``participant``), ``start`` and
        ``end`` (int64 offsets into :func:`read_transcript_text`), ``t_start`` and ``t_end``
        (float64 seconds for subtitles, NaN otherwise) and ``text``.

    Raises
    ------
    InputError
        The file is missing, undecodable, malformed (named line) or has no turns.

    See Also
    --------
    read_transcripts : every transcript of a folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "P07.txt").write_text("Interviewer: Why?\\nP07: It was slow.\\n")
    >>> read_transcript(folder / "P07.txt")[["segment_id", "speaker", "role", "text"]]
      segment_id      speaker         role          text
    0    P07-001  Interviewer  interviewer          Why?
    1    P07-002          P07  participant  It was slow.
    """
    path = Path(path)
    keys = _interviewer_keys(interviewer)
    if participant_id is None:
        participant_id = path.stem
    elif not isinstance(participant_id, str):
        raise TypeError(
            f"participant_id must be a string (ids keep leading zeros: '007'), "
            f"got {participant_id!r}"
        )
    parsed = _parse(path)
    if not parsed.turns:
        detail = f" ({parsed.note})" if parsed.note else ""
        raise InputError(path, f"no turns found: the transcript has no text{detail}")
    text = parsed.text
    turns = parsed.turns
    n = len(turns)
    return pd.DataFrame(
        {
            "segment_id": [f"{path.stem}-{i:03d}" for i in range(1, n + 1)],
            "participant_id": [participant_id] * n,
            "source": [path.name] * n,
            "speaker": [t.speaker for t in turns],
            "role": [
                "interviewer" if speaker_key(t.speaker) & keys and t.speaker else "participant"
                for t in turns
            ],
            "start": np.array([t.start for t in turns], dtype=np.int64),
            "end": np.array([t.end for t in turns], dtype=np.int64),
            "t_start": np.array([t.t_start for t in turns], dtype=np.float64),
            "t_end": np.array([t.t_end for t in turns], dtype=np.float64),
            "text": [text[t.start : t.end] for t in turns],
        },
        columns=list(SEGMENT_COLUMNS),
    )


def _is_ignored(path: Path) -> bool:
    name = path.name
    return name.startswith((".", "~$")) or name.casefold() in _IGNORED_NAMES


def read_transcripts(
    folder: str | Path,
    *,
    pattern: str = DEFAULT_PATTERN,
    interviewer: Sequence[str] = ("Interviewer",),
) -> pd.DataFrame:
    """Read every transcript in a folder into one ``segments`` table.

    Files are read in name order. Hidden files (``.DS_Store``), Office lock files (``~$P07.docx``),
    ``Thumbs.db``/``desktop.ini`` and sub-folders are skipped; any other file must be a supported
    transcript. The participant id is the group ``id`` of ``re.match(pattern, file_name)``.

    Parameters
    ----------
    folder : str or Path
        The transcripts folder (``interviews.transcripts`` in ``study.yaml``).
    pattern : str, default r"(?P<id>[A-Za-z]*\\d+)"
        Regular expression matched at the start of each file name (suffix included), with a
        named group ``id``: ``P07_2025-03-02.docx`` → ``"P07"``.
    interviewer : sequence of str, default ("Interviewer",)
        Speaker labels of the interviewer(s), compared case-insensitively.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`read_transcript` for each file, in file order, with a fresh index.

    Raises
    ------
    InputError
        The folder is missing or holds no transcripts; a file has an unsupported suffix, a name
        the pattern does not match, the same stem as another file (segment ids would collide),
        or is itself invalid.
    ValueError
        ``pattern`` is not a regular expression with a group named ``id``.
    """
    folder = Path(folder)
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r} is not a valid regular expression ({exc})") from None
    if "id" not in compiled.groupindex:
        raise ValueError(f"pattern {pattern!r} needs a named group 'id', e.g. 'P(?P<id>\\d+)_.*'")
    if not folder.is_dir():
        raise InputError(
            folder, "transcripts folder not found" if not folder.exists() else "not a folder"
        )

    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and not _is_ignored(p)), key=lambda p: p.name
    )
    if not files:
        raise InputError(folder, f"no transcript files in the folder (supported: {_supported()})")
    stems: dict[str, Path] = {}
    ids: list[str] = []
    for path in files:
        if path.suffix.lower() not in _READERS:
            raise InputError(
                path,
                f"unsupported transcript file type {path.suffix or '(no suffix)'!r}; supported: "
                f"{_supported()} (move other files out of the transcripts folder)",
            )
        m = compiled.match(path.name)
        if m is None or not m.group("id"):
            raise InputError(
                path,
                f"the file name does not match the participant pattern '{pattern}', so it has "
                "no participant id; rename the file or change interviews.participant_pattern",
            )
        if path.stem in stems:
            raise InputError(
                path,
                f"same name as {stems[path.stem].name} apart from the suffix: their segment ids "
                f"would collide ({path.stem}-001); keep one of them",
            )
        stems[path.stem] = path
        ids.append(m.group("id"))
    frames = [
        read_transcript(path, participant_id=pid, interviewer=interviewer)
        for path, pid in zip(files, ids, strict=True)
    ]
    return pd.concat(frames, ignore_index=True)
