"""Tests of voc.io.transcripts: every format → the ``segments`` table, and every bad input."""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from voc.errors import InputError
from voc.io.transcripts import (
    SEGMENT_COLUMNS,
    SUPPORTED_SUFFIXES,
    read_transcript,
    read_transcript_text,
    read_transcripts,
)

# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def write(folder: Path, name: str, text: str, *, newline: str = "\n", encoding="utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def check_offsets(segments: pd.DataFrame, path: Path) -> None:
    """``text == full_text[start:end]`` for every row, and the columns and dtypes are right."""
    assert tuple(segments.columns) == SEGMENT_COLUMNS
    full = read_transcript_text(path)
    for row in segments.itertuples():
        assert full[row.start : row.end] == row.text
        assert row.text
        assert row.text == row.text.strip()
    assert segments["start"].dtype == np.int64
    assert segments["end"].dtype == np.int64
    assert segments["t_start"].dtype == np.float64
    assert segments["t_end"].dtype == np.float64
    for column in ("segment_id", "participant_id", "source", "speaker", "role", "text"):
        assert pd.api.types.is_string_dtype(segments[column]), column
        assert all(isinstance(v, str) for v in segments[column])
    assert set(segments["role"]) <= {"interviewer", "participant"}
    assert segments["segment_id"].is_unique


def turns(segments: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(segments["speaker"], segments["text"], strict=True))


HEBREW = "\u05e9\u05dc\u05d5\u05dd"  # shalom, right-to-left
ARABIC = "\u0645\u0631\u062d\u0628\u0627"  # marhaba, right-to-left


def where(name: str, line: int) -> str:
    """A ``match`` pattern: the file name and the line number are in the message."""
    return rf"{re.escape(name)}, line {line}:"


TXT = """\
Interview with P07 — onboarding study
Recorded 2 March 2025

Interviewer: Thanks for joining. How was onboarding?
P07: Honestly? Mostly fine.
The SSO setup took us two days though.

We started at 10:30 and finished the next day.
Note: the admin had left the company.

Interviewer: What would have helped?

P07: A checklist, like: step one, step two.
"""


# --------------------------------------------------------------------------------------------
# plain text and Markdown
# --------------------------------------------------------------------------------------------


def test_txt_turns_speakers_roles_and_ids(tmp_path):
    path = write(tmp_path, "P07.txt", TXT)
    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("", "Interview with P07 — onboarding study\nRecorded 2 March 2025"),
        ("Interviewer", "Thanks for joining. How was onboarding?"),
        (
            "P07",
            "Honestly? Mostly fine.\nThe SSO setup took us two days though.\n\n"
            "We started at 10:30 and finished the next day.\nNote: the admin had left the company.",
        ),
        ("Interviewer", "What would have helped?"),
        ("P07", "A checklist, like: step one, step two."),
    ]
    assert list(segments["role"]) == [
        "participant",
        "interviewer",
        "participant",
        "interviewer",
        "participant",
    ]
    assert list(segments["segment_id"]) == [f"P07-{n:03d}" for n in range(1, 6)]
    assert set(segments["source"]) == {"P07.txt"}
    assert set(segments["participant_id"]) == {"P07"}  # the stem by default
    assert segments["t_start"].isna().all()
    assert segments["t_end"].isna().all()


def test_txt_without_labels_is_one_unit_per_paragraph(tmp_path):
    path = write(
        tmp_path,
        "R0123.txt",
        "\n\nThe product is great.\nReally.\n\n\n   \nSupport was slow: two days.\n\n",
    )
    segments = read_transcript(path, participant_id="R0123")
    check_offsets(segments, path)
    assert turns(segments) == [
        ("", "The product is great.\nReally."),
        ("", "Support was slow: two days."),
    ]
    assert set(segments["role"]) == {"participant"}


@pytest.mark.parametrize(
    ("line", "speaker"),
    [
        ("P07: yes", "P07"),
        ("R0123: yes", "R0123"),
        ("Priya Patel: yes", "Priya Patel"),
        ("Dr. Anna van Dijk: yes", "Dr. Anna van Dijk"),
        ("Speaker 1: yes", "Speaker 1"),
        ("Interviewer (Anna): yes", "Interviewer (Anna)"),
        ("**Priya**: yes", "Priya"),
        ("**Priya:** yes", "Priya"),
        ("__Priya__: yes", "Priya"),
        ("[00:01:23] P07: yes", "P07"),
        ("Speaker 1 (00:03): yes", "Speaker 1"),
        ("interviewer: yes", "interviewer"),
        ("Interviewer\u00a0: yes", "Interviewer"),
        ("Anna : yes", "Anna"),
        ("李明: 是的", "李明"),
        ("Time: 10:30", None),
        ("10:30: yes", None),
        ("Note: yes", None),
        ("Date: 2025-03-02", None),
        ("So the thing is: yes", None),
        ("One Two Three Four Five: yes", None),
        ("1: yes", None),
        ("Priya:yes", None),
        ("Well at 10:30 yes", None),
        ("At 10:30: yes", None),
        ("Re: yes", None),
        ("Summary: yes", None),
        ("https://example.com yes", None),
    ],
)
def test_speaker_label_rules(tmp_path, line, speaker):
    path = write(tmp_path, "P01.txt", f"Interviewer: Hello.\n{line}\n")
    segments = read_transcript(path)
    check_offsets(segments, path)
    if speaker is None:  # not a label: the line continues the interviewer's turn
        assert turns(segments) == [("Interviewer", f"Hello.\n{line}")]
    else:
        assert turns(segments)[1] == (speaker, "是的" if speaker == "李明" else "yes")


def test_label_on_its_own_line_and_empty_turns(tmp_path):
    path = write(tmp_path, "P02.md", "Interviewer:\nWhy?\n\nP02:\n\nInterviewer: Anything else?\n")
    segments = read_transcript(path)
    check_offsets(segments, path)
    # "P02:" says nothing: the empty turn is left out and the numbering has no gap.
    assert turns(segments) == [("Interviewer", "Why?"), ("Interviewer", "Anything else?")]
    assert list(segments["segment_id"]) == ["P02-001", "P02-002"]


def test_rev_style_timestamped_labels(tmp_path):
    path = write(
        tmp_path,
        "P26.txt",
        "Speaker 1 (00:00):\nThanks for joining.\n\nSpeaker 2 (00:04):\nHappy to.\nReally.\n\n"
        "[00:00:09] Speaker 1: Great.\n",
    )
    segments = read_transcript(path, interviewer=["Speaker 1"])
    check_offsets(segments, path)
    assert turns(segments) == [
        ("Speaker 1", "Thanks for joining."),
        ("Speaker 2", "Happy to.\nReally."),
        ("Speaker 1", "Great."),
    ]
    assert list(segments["role"]) == ["interviewer", "participant", "interviewer"]


def test_markdown_bold_labels(tmp_path):
    path = write(
        tmp_path,
        "P03.md",
        "# Interview P03\n\n**Interviewer:** What did you try?\n\n**Priya**: The *export*.\n",
    )
    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("", "# Interview P03"),
        ("Interviewer", "What did you try?"),
        ("Priya", "The *export*."),
    ]


def test_roles_are_case_insensitive_and_configurable(tmp_path):
    path = write(
        tmp_path,
        "P04.txt",
        "INTERVIEWER: a\nModerator (Kim): b\nP04: c\nObserver: d\n",
    )
    default = read_transcript(path)
    assert list(default["role"]) == ["interviewer", "participant", "participant", "participant"]
    custom = read_transcript(path, interviewer=["interviewer", "moderator"])
    assert list(custom["role"]) == ["interviewer", "interviewer", "participant", "participant"]
    single = read_transcript(path, interviewer="Observer")  # one label as a plain string
    assert list(single["role"]) == ["participant", "participant", "participant", "interviewer"]
    with pytest.raises(TypeError, match="interviewer"):
        read_transcript(path, interviewer=[1])


def test_participant_id_must_be_a_string(tmp_path):
    path = write(tmp_path, "007.txt", "Interviewer: hi\n")
    assert set(read_transcript(path)["participant_id"]) == {"007"}
    with pytest.raises(TypeError, match="007"):
        read_transcript(path, participant_id=7)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# normalisation and encodings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_give_the_same_segments_as_lf(tmp_path, newline):
    lf = write(tmp_path, "P07.txt", TXT)
    (tmp_path / "other").mkdir()
    other = write(tmp_path / "other", "P07.txt", TXT, newline=newline)
    assert b"\r" in other.read_bytes()
    pd.testing.assert_frame_equal(read_transcript(other), read_transcript(lf))
    assert read_transcript_text(other) == read_transcript_text(lf)


def test_nfc_bidi_controls_bom_and_trailing_spaces(tmp_path):
    raw = (
        "\ufeffInterviewer: Caf\u0065\u0301?   \t\n"
        f"P05: \u202b{HEBREW}\u202c and \u200f{ARABIC}\u200e \u2066ok\u2069\x07\x0b tab\there\n"
    )
    path = write(tmp_path, "P05.txt", raw)
    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("Interviewer", "Café?"),
        ("P05", f"{HEBREW} and {ARABIC} ok tab here"),
    ]
    assert "\u00e9" in segments["text"][0]  # composed é, one code point
    full = read_transcript_text(path)
    assert not set(full) & set("\ufeff\u202b\u202c\u200f\u200e\u2066\u2069\x07\x0b\t\r")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_encodings_with_bom(tmp_path, encoding):
    text = "Interviewer: Ça va?\nP06: Très bien 👍\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / "P06.txt"
    path.write_bytes(data)
    assert turns(read_transcript(path)) == [("Interviewer", "Ça va?"), ("P06", "Très bien 👍")]


def test_undecodable_bytes_name_line_and_byte_offset(tmp_path):
    path = tmp_path / "P08.txt"
    path.write_bytes(b"Interviewer: hi\nP08: caf" + b"\xe9 au lait\n")
    with pytest.raises(
        InputError, match=where("P08.txt", 2) + r" .*byte\(s\) e9 at byte offset 24"
    ):
        read_transcript(path)
    with pytest.raises(InputError, match=r"byte offset 24"):
        read_transcript_text(path)


def test_utf16_without_bom_is_refused(tmp_path):
    path = tmp_path / "P09.srt"
    path.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nhi\n".encode("utf-16-le"))
    with pytest.raises(InputError, match=where("P09.srt", 1) + ".*NUL.*UTF-16"):
        read_transcript(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("P10.txt", ""),
        ("P10.md", "\n  \n\t\n"),
        ("P10.vtt", "WEBVTT\n\nNOTE nothing said yet\n"),
        ("P10.srt", "\n\n"),
    ],
)
def test_empty_files_have_no_turns(tmp_path, name, content):
    path = write(tmp_path, name, content)
    with pytest.raises(InputError, match=re.escape(name) + ": no turns found"):
        read_transcript(path)


def test_missing_file_and_unsupported_suffix(tmp_path):
    with pytest.raises(InputError, match=r"P11\.txt: file not found"):
        read_transcript(tmp_path / "P11.txt")
    with pytest.raises(
        InputError, match=r"P11\.pdf.*'\.pdf'.*\.txt, \.md, \.docx, \.odt, \.vtt, \.srt"
    ):
        read_transcript(write(tmp_path, "P11.pdf", "x"))


# --------------------------------------------------------------------------------------------
# WebVTT
# --------------------------------------------------------------------------------------------

VTT = """\
WEBVTT - Zoom export
Kind: captions
Language: en

NOTE
Exported 2025-03-02; cue 3 has no speaker.

STYLE
::cue(v[voice="Priya"]) { color: yellow }

1
00:00:01.000 --> 00:00:04.000 align:start position:10%
<v.loud Interviewer>How was <i>onboarding</i>?</v>

2
00:04.500 --> 00:00:06.000
<v Priya Patel>It was fine &amp; quick,
but SSO &lt;broke&gt;&nbsp;twice.</v>

00:00:05.900 --> 00:00:08.000
and then <00:00:07.000><c.yellow>support</c> helped &lrm;<3

4
00:00:08.000 --> 00:00:08.500
<i></i>

intro-5
00:00:09.000 --> 00:00:10.000
Interviewer: Great. <v Priya Patel>Yes!

00:00:10.000 --> 00:00:12.250
<v Priya Patel>Thanks.
"""


def test_vtt_speakers_markup_entities_and_merged_cues(tmp_path):
    path = write(tmp_path, "P12.vtt", VTT)
    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("Interviewer", "How was onboarding?"),
        (
            "Priya Patel",
            "It was fine & quick, but SSO <broke>\u00a0twice.\nand then support helped <3",
        ),
        ("Interviewer", "Great."),
        ("Priya Patel", "Yes!\nThanks."),
    ]
    assert list(segments["role"]) == ["interviewer", "participant", "interviewer", "participant"]
    # merged cues: from the first cue's start to the last cue's end (cue 3 overlaps cue 2)
    assert list(segments["t_start"]) == [1.0, 4.5, 9.0, 9.0]
    assert list(segments["t_end"]) == [4.0, 8.0, 10.0, 12.25]
    # the empty cue 4 is not in the text; labels and markup are not either
    assert read_transcript_text(path) == (
        "How was onboarding?\nIt was fine & quick, but SSO <broke>\u00a0twice.\n"
        "and then support helped <3\nGreat. Yes!\nThanks."
    )


def test_vtt_without_speakers_is_one_unit_per_cue(tmp_path):
    path = write(
        tmp_path,
        "P13.vtt",
        "WEBVTT\n\n00:01.000 --> 00:02.000\nHello there.\n"
        "00:02.000 --> 00:03.000\nNo blank line before me.\n\n"
        "01:00:00.000 --> 01:00:01.500\nAn hour later.\n",
    )
    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("", "Hello there."),
        ("", "No blank line before me."),
        ("", "An hour later."),
    ]
    assert list(segments["t_start"]) == [1.0, 2.0, 3600.0]
    assert list(segments["t_end"]) == [2.0, 3.0, 3601.5]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("00:00:01.000 --> 00:00:02.000\nhi\n", 1, "missing 'WEBVTT' header"),
        ("WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nhi\n", 1, "missing 'WEBVTT' header"),
        ("WEBVTT\n\n00:00:01.000 -> 00:00:02.000\nhi\n", 3, "malformed cue timing line"),
        ("WEBVTT\n\n1\n00:00:01 --> 00:00:02\nhi\n", 4, "malformed cue timing line"),
        (
            "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n\n00:01:75.000 --> 00:01:80.000\nx\n",
            6,
            "malformed cue timing line",
        ),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n\nc2\nHello\n", 7, "malformed cue timing"),
        ("WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nhi\n", 3, "ends .*before it starts"),
        ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n\nstray text\n", 6, "text outside a cue"),
    ],
)
def test_vtt_errors_name_file_and_line(tmp_path, content, line, message):
    path = write(tmp_path, "P14.vtt", content)
    with pytest.raises(InputError, match=where("P14.vtt", line) + ".*" + message):
        read_transcript(path)


def test_vtt_error_line_numbers_count_crlf_once(tmp_path):
    path = write(
        tmp_path,
        "P15.vtt",
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi\n\n00:03.000 --> 00:02.000\nx\n",
        newline="\r\n",
    )
    with pytest.raises(InputError, match=where("P15.vtt", 6) + ".*before it starts"):
        read_transcript(path)


# --------------------------------------------------------------------------------------------
# SubRip
# --------------------------------------------------------------------------------------------

SRT = """\
1
00:00:01,000 --> 00:00:04,000
Interviewer: How was it?

2
00:00:04,000 --> 00:00:06,500 X1:40 X2:600 Y1:20 Y2:50
{\\an8}<i>Priya:</i> Fine.
Really <b>fine</b>.
3
00:00:07,000 --> 00:00:09,000
<font color="#ff0000">more &amp; more</font>

4
00:00:09,000 --> 00:00:09,500

5
00:00:10,000 --> 00:00:11,000
Interviewer: Thanks.
Priya: Bye!
"""


def test_srt_speakers_markup_and_merged_cues(tmp_path):
    path = write(tmp_path, "P16.srt", SRT, newline="\r\n")
    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("Interviewer", "How was it?"),
        ("Priya", "Fine. Really fine.\nmore & more"),
        ("Interviewer", "Thanks."),
        ("Priya", "Bye!"),
    ]
    assert list(segments["t_start"]) == [1.0, 4.0, 10.0, 10.0]
    assert list(segments["t_end"]) == [4.0, 9.0, 11.0, 11.0]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("1\n00:00:01,000 --> 00:00:02\nhi\n", 2, "malformed cue timing line"),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:0,000 --> 00:00:03,000\nhi\n",
            6,
            "malformed cue timing line",
        ),
        ("1\n00:00:03,000 --> 00:00:02,000\nhi\n", 2, "ends .*before it starts"),
        ("1\n00:00:01,000 --> 00:00:02,000\nhi\n\nHello\n", 5, "expected a cue number"),
        ("1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n", 5, "not followed by a timing line"),
        ("1\nhello\n", 2, "malformed cue timing line"),
    ],
)
def test_srt_errors_name_file_and_line(tmp_path, content, line, message):
    path = write(tmp_path, "P17.srt", content)
    with pytest.raises(InputError, match=where("P17.srt", line) + ".*" + message):
        read_transcript(path)


# --------------------------------------------------------------------------------------------
# .docx (python-docx) and .odt (odfpy), generated here rather than committed
# --------------------------------------------------------------------------------------------


def make_docx(path: Path, build) -> Path:
    import docx

    document = docx.Document()
    build(document)
    document.save(str(path))
    return path


def test_docx_paragraphs_bold_labels_and_header(tmp_path):
    def build(document):
        document.sections[0].header.paragraphs[0].text = "Interviewer: Anna Smith | Confidential"
        document.add_paragraph("Interview P18 — 2 March 2025")
        document.add_paragraph("")
        p = document.add_paragraph()
        p.add_run("Interviewer").bold = True
        p.add_run(": How was onboarding?")
        p = document.add_paragraph()
        p.add_run("**Priya**").bold = True
        p.add_run(": Fine,\tmostly.")
        p.add_run().add_break()
        p.add_run("A second line.")
        document.add_paragraph("Another paragraph of the same answer.")

    path = make_docx(tmp_path / "P18.docx", build)
    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("", "Interview P18 — 2 March 2025"),
        ("Interviewer", "How was onboarding?"),
        ("Priya", "Fine, mostly.\nA second line.\nAnother paragraph of the same answer."),
    ]
    assert "Anna Smith" not in read_transcript_text(path)  # the header is not a turn


def test_docx_two_column_dialogue_table(tmp_path):
    rows = [
        ("Speaker", "Text"),
        ("Interviewer", "Why did you switch?"),
        ("P19:", "Price. And the SSO."),
        ("", "Also support."),
        ("Interviewer", "Thanks."),
        ("P19", "Note: I might come back."),
    ]

    def build(document):
        document.add_paragraph("Transcript P19")
        table = document.add_table(rows=len(rows), cols=2)
        for row, values in zip(table.rows, rows, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value

    path = make_docx(tmp_path / "P19.docx", build)
    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("", "Transcript P19"),
        ("Interviewer", "Why did you switch?"),
        ("P19", "Price. And the SSO.\nAlso support."),
        ("Interviewer", "Thanks."),
        ("P19", "Note: I might come back."),
    ]


def test_docx_timestamped_and_single_column_tables(tmp_path):
    def build(document):
        table = document.add_table(rows=3, cols=3)
        for row, values in zip(
            table.rows,
            [
                ("00:00:01", "Interviewer", "Hello."),
                ("00:00:04", "P20", "Hi."),
                ("00:01:10", "P20", "Bye."),
            ],
            strict=True,
        ):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
        single = document.add_table(rows=2, cols=1)
        single.rows[0].cells[0].text = "Interviewer: One more?"
        single.rows[1].cells[0].text = "P20: Sure."

    path = make_docx(tmp_path / "P20.docx", build)
    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("Interviewer", "Hello."),
        ("P20", "Hi."),
        ("P20", "Bye."),
        ("Interviewer", "One more?"),
        ("P20", "Sure."),
    ]


def test_docx_metadata_table_is_not_a_dialogue(tmp_path):
    def build(document):
        table = document.add_table(rows=2, cols=2)
        for row, values in zip(
            table.rows, [("Date", "2025-03-02"), ("Participant", "P21")], strict=True
        ):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
        document.add_paragraph("Interviewer: Welcome.")

    path = make_docx(tmp_path / "P21.docx", build)
    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("", "Date\n2025-03-02"),
        ("", "Participant\nP21"),
        ("Interviewer", "Welcome."),
    ]


def test_docx_tracked_insertions_are_read_deletions_are_not(tmp_path):
    from docx.oxml.ns import qn

    def build(document):
        p = document.add_paragraph("Interviewer: The ")
        for tag, text in (("w:ins", "new"), ("w:del", "old")):
            wrapper = p._p.makeelement(qn(tag), {qn("w:id"): "1", qn("w:author"): "A"})
            run = p.add_run(text)._r
            if tag == "w:del":
                run.find(qn("w:t")).tag = qn("w:delText")
            p._p.remove(run)
            wrapper.append(run)
            p._p.append(wrapper)
        p.add_run(" plan.")

    path = make_docx(tmp_path / "P22.docx", build)
    assert turns(read_transcript(path)) == [("Interviewer", "The new plan.")]


def test_docx_with_only_a_header_has_no_turns(tmp_path):
    def build(document):
        document.sections[0].header.paragraphs[0].text = "Interview P23"

    path = make_docx(tmp_path / "P23.docx", build)
    with pytest.raises(InputError, match=r"P23\.docx: no turns found.*header"):
        read_transcript(path)


@pytest.mark.parametrize("name", ["P24.docx", "P24.odt"])
def test_office_files_that_are_not_office_files(tmp_path, name):
    path = write(tmp_path, name, "Interviewer: plain text with the wrong suffix\n")
    with pytest.raises(InputError, match=re.escape(name) + ": cannot open it as"):
        read_transcript(path)


def test_odt_paragraphs_lists_spaces_breaks_and_tables(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, LineBreak, List, ListItem, P, S, Span, Tab

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Interview P25"))
    p = P(text="Interviewer: How")
    p.addElement(S(c=3))
    p.addText("was it?")
    document.text.addElement(p)
    p = P(text="P25: ")
    p.addElement(Span(text="Good"))
    p.addElement(Tab())
    p.addText("really")
    p.addElement(LineBreak())
    p.addText("and fast.")
    document.text.addElement(p)
    items = List()
    item = ListItem()
    item.addElement(P(text="A list item of the same answer."))
    items.addElement(item)
    document.text.addElement(items)
    table = Table()
    table.addElement(TableColumn(numbercolumnsrepeated=2))
    for speaker, text in [("Interviewer", "Thanks"), ("P25", "Bye")]:
        row = TableRow()
        for value in (speaker, text):
            cell = TableCell()
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.text.addElement(table)
    path = tmp_path / "P25.odt"
    document.save(str(path))

    segments = read_transcript(path)
    check_offsets(segments, path)
    assert turns(segments) == [
        ("", "Interview P25"),
        ("Interviewer", "How   was it?"),
        ("P25", "Good really\nand fast.\nA list item of the same answer."),
        ("Interviewer", "Thanks"),
        ("P25", "Bye"),
    ]


# --------------------------------------------------------------------------------------------
# a folder of transcripts
# --------------------------------------------------------------------------------------------


def test_read_transcripts_folder(tmp_path):
    write(tmp_path, "P10.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\n<v P10>Hi.\n")
    write(tmp_path, "007.txt", "Interviewer: Hello.\nParticipant: Hi.\n")
    write(tmp_path, "P2.md", "Moderator: Hello.\nP2: Hi.\n")
    write(tmp_path, ".DS_Store", "\x00\x01")
    write(tmp_path, "~$P10.docx", "lock")
    (tmp_path / "audio").mkdir()
    segments = read_transcripts(tmp_path, interviewer=["Interviewer", "Moderator"])
    check_offsets(segments[segments["source"] == "007.txt"], tmp_path / "007.txt")
    assert list(segments["source"]) == ["007.txt", "007.txt", "P10.vtt", "P2.md", "P2.md"]
    assert list(segments["participant_id"]) == ["007", "007", "P10", "P2", "P2"]
    assert list(segments["segment_id"]) == ["007-001", "007-002", "P10-001", "P2-001", "P2-002"]
    assert list(segments["role"]) == [
        "interviewer",
        "participant",
        "participant",
        "interviewer",
        "participant",
    ]
    assert list(segments.index) == list(range(5))
    assert segments["participant_id"].map(type).eq(str).all()


def test_read_transcripts_custom_pattern(tmp_path):
    write(tmp_path, "interview_P07_2025-03-02.txt", "Interviewer: Hello.\n")
    segments = read_transcripts(tmp_path, pattern=r"interview_(?P<id>P\d+)_")
    assert list(segments["participant_id"]) == ["P07"]
    assert list(segments["segment_id"]) == ["interview_P07_2025-03-02-001"]


def test_read_transcripts_errors(tmp_path):
    with pytest.raises(InputError, match="transcripts folder not found"):
        read_transcripts(tmp_path / "missing")
    with pytest.raises(InputError, match=r"no transcript files.*\.txt"):
        read_transcripts(tmp_path)
    write(tmp_path, ".hidden.txt", "x")
    with pytest.raises(InputError, match="no transcript files"):
        read_transcripts(tmp_path)

    bad = tmp_path / "bad"
    bad.mkdir()
    write(bad, "P01.txt", "Interviewer: hi\n")
    write(bad, "P01.pdf", "%PDF")
    with pytest.raises(InputError, match=r"P01\.pdf: unsupported .*'\.pdf'.*\.txt, \.md, \.docx"):
        read_transcripts(bad)

    unnamed = tmp_path / "unnamed"
    unnamed.mkdir()
    write(unnamed, "notes.txt", "Interviewer: hi\n")
    with pytest.raises(InputError, match=r"notes\.txt: .*participant pattern '\(\?P<id>"):
        read_transcripts(unnamed)

    twins = tmp_path / "twins"
    twins.mkdir()
    write(twins, "P01.txt", "Interviewer: hi\n")
    write(twins, "P01.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n")
    with pytest.raises(InputError, match=r"P01\.vtt: same name as P01\.txt"):
        read_transcripts(twins)

    broken = tmp_path / "broken"
    broken.mkdir()
    write(broken, "P01.vtt", "WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nhi\n")
    with pytest.raises(InputError, match=where("P01.vtt", 3)):
        read_transcripts(broken)

    with pytest.raises(ValueError, match="named group 'id'"):
        read_transcripts(twins, pattern=r"P\d+")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        read_transcripts(twins, pattern=r"(?P<id>")


def test_supported_suffixes():
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".md", ".docx", ".odt", ".vtt", ".srt"}


# --------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------

_ALPHABET = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    st.sampled_from(
        list(
            f"ab \"'\u201c\u201d\u00ab\u00bb\u2018\u2019\r\n\t😀👍🏽{HEBREW}{ARABIC}\u200f\u202e\u0301\ufeff:"
        )
    ),
)
_TEXTS = st.text(_ALPHABET, min_size=1, max_size=40)
# Cue text without markup, entities or "Name:" prefixes, which would rightly change the text.
_CUE_TEXTS = st.text(_ALPHABET.filter(lambda ch: ch not in "<>&{:"), min_size=1, max_size=40)
_SPEAKERS = st.sampled_from(["Interviewer", "P01", "Priya Patel", "R0123"])


def _normalised(text: str) -> str:
    from voc.io._transcript_text import normalise

    return normalise(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(_SPEAKERS, _TEXTS), min_size=1, max_size=6),
    st.sampled_from(["\n", "\r\n", "\n\n"]),
)
def test_property_labelled_txt_round_trips(dialogue, separator):
    expected = []
    for speaker, text in dialogue:
        clean = _normalised(text)
        assume(clean.strip())
        # a continuation line that looks like "Label: ..." would rightly start a new turn
        assume(all(":" not in line for line in clean.split("\n")[1:]))
        expected.append((speaker, clean.strip()))
    content = separator.join(f"{speaker}: {text}" for speaker, text in dialogue)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "P01.txt"
        path.write_bytes(content.encode("utf-8"))
        segments = read_transcript(path)
        check_offsets(segments, path)
        full = read_transcript_text(path)
    assert turns(segments) == expected
    assert _normalised(full) == full


@settings(max_examples=100, deadline=None)
@given(st.text(_ALPHABET, max_size=60))
def test_property_normalise_is_idempotent_and_clean(text):
    once = _normalised(text)
    assert _normalised(once) == once
    assert not set(once) & set("\r\t\ufeff\u200e\u202e")
    assert all(not line.endswith(" ") for line in once.split("\n"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Alice", "Bob"]), _CUE_TEXTS), min_size=1, max_size=6))
def test_property_vtt_cues_are_never_dropped(cues):
    expected: list[list] = []
    lines = ["WEBVTT", ""]
    for k, (speaker, text) in enumerate(cues):
        clean = " ".join(line.strip() for line in _normalised(text).split("\n") if line.strip())
        assume(clean)
        if expected and expected[-1][0] == speaker:
            expected[-1][1] += "\n" + clean
        else:
            expected.append([speaker, clean])
        payload = "\n".join(line for line in _normalised(text).split("\n") if line.strip())
        lines += [f"00:00:{k:02d}.000 --> 00:00:{k:02d}.500", f"<v {speaker}>{payload}", ""]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "P01.vtt"
        path.write_text("\n".join(lines), encoding="utf-8")
        segments = read_transcript(path)
        check_offsets(segments, path)
    assert [list(t) for t in turns(segments)] == expected
    assert not any(math.isnan(t) for t in segments["t_start"])
