"""Tests of voc.io.taguette: Taguette's highlights CSV → the codings table."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

import voc
import voc.io
from voc.errors import InputError
from voc.io.taguette import TaguetteHighlights, read_taguette_highlights
from voc.io.transcripts import read_transcript_text

P07 = (
    "Interviewer: How did the search go?\n"
    "P07: The search was slow. Really slow.\n"
    "\n"
    "Interviewer: And support?\n"
    "P07: Support was slow too, and the search was slow again.\n"
    "Interviewer: Anything else?\n"
    "P07: Caf\u00e9 meetings with the account manager were great."
)
P08 = "Interviewer: Pricing?\nP08: Pricing was a surprise at renewal."
TEXTS = {"P07.txt": P07, "P08.docx": P08}


def write_csv(path: Path, rows: list[list[str]], *, header=("id", "document", "tag", "content")):
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # what Taguette uses (export.highlights_csv): \r\n line ends
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def spans(result: TaguetteHighlights) -> list[tuple[str, str, str]]:
    return [
        (r.source, TEXTS[r.source][r.start : r.end], r.code) for r in result.codings.itertuples()
    ]


def test_highlights_become_codings(tmp_path):
    path = write_csv(
        tmp_path / "all_tags.csv",
        [
            ["1", "P07", "speed", "The search was slow."],
            ["1", "P07", "search", "The search was slow."],  # one highlight, two tags
            # whitespace and line breaks differ from the transcript; NFD accent
            ["5", "p07", "account", "Cafe\u0301   meetings with\nthe account manager"],
            ["9", "P08.docx", "pricing", "  Pricing was a surprise  "],
            ["11", "P08", "", "renewal"],  # no tag
        ],
    )
    result = read_taguette_highlights(path, TEXTS)
    assert spans(result) == [
        ("P07.txt", "The search was slow.", "speed"),
        ("P07.txt", "The search was slow.", "search"),
        ("P07.txt", "Café meetings with the account manager", "account"),
        ("P08.docx", "Pricing was a surprise", "pricing"),
    ]
    codings = result.codings
    assert list(codings.columns[:6]) == ["source", "start", "end", "segment_id", "code", "coder"]
    assert codings.index.name == "line" and codings.index.tolist() == [2, 3, 4, 6]
    assert set(codings["coder"]) == {"taguette"}
    assert codings["segment_id"].isna().all()
    assert codings["highlight_id"].tolist() == ["1", "1", "5", "9"]
    assert codings["n_matches"].tolist() == [1, 1, 1, 1]
    assert codings["start"].dtype == "int64"
    assert result.skipped.to_dict("records") == [
        {"line": 7, "id": "11", "document": "P08", "tag": "", "content": "renewal",
         "reason": "no tag"}
    ]  # fmt: skip
    other = read_taguette_highlights(path, TEXTS, coder="maria")
    assert set(other.codings["coder"]) == {"maria"}


def test_repeated_text_takes_occurrences_in_order(tmp_path):
    first = P07.index("search was slow")
    second = P07.index("search was slow", first + 1)
    path = write_csv(
        tmp_path / "h.csv",
        [
            ["1", "P07", "speed", "search was slow"],
            ["2", "P07", "support", "Support was slow"],
            ["3", "P07", "speed", "search was slow"],
        ],
    )
    codings = read_taguette_highlights(path, TEXTS).codings
    assert codings["start"].tolist() == [first, P07.index("Support was slow"), second]
    assert codings["n_matches"].tolist() == [2, 1, 2]


def test_order_skips_occurrences_before_the_previous_highlight(tmp_path):
    """Taguette exports in document order: a text after another highlight is after it."""
    second = P07.index("search was slow", P07.index("Support"))
    path = write_csv(
        tmp_path / "h.csv",
        [["2", "P07", "support", "Support was slow"], ["3", "P07", "speed", "search was slow"]],
    )
    codings = read_taguette_highlights(path, TEXTS).codings
    assert codings["start"].tolist()[1] == second


def test_text_not_found(tmp_path):
    path = write_csv(
        tmp_path / "h.csv",
        [
            ["1", "P07", "speed", "The search was slow."],
            ["2", "P07", "speed", "this sentence\nwas never said"],
            ["3", "P09", "speed", "who?"],
            ["4", "P08", "pricing", "   "],
        ],
    )
    with pytest.raises(InputError, match=r"document 'P07'.*not in 'P07.txt'") as info:
        read_taguette_highlights(path, TEXTS)
    problem = info.value.problems[0]
    assert problem.line == 3 and problem.column == "content" and Path(problem.file) == path
    result = read_taguette_highlights(path, TEXTS, allow_missing=True)
    assert result.codings.index.tolist() == [2]
    skipped = result.skipped
    assert skipped["line"].tolist() == [3, 5, 6]
    assert skipped["reason"].tolist() == [
        "the highlighted text is not in 'P07.txt'",
        "document 'P09' is not a transcript",
        "the highlight is empty",
    ]


def test_unknown_and_ambiguous_documents(tmp_path):
    path = write_csv(tmp_path / "h.csv", [["1", "P7", "speed", "slow"]])
    with pytest.raises(InputError, match="document 'P7' is not a transcript") as info:
        read_taguette_highlights(path, TEXTS)
    assert info.value.problems[0].line == 2
    path = write_csv(tmp_path / "h.csv", [["1", "P07", "speed", "slow"]])
    both = {"P07.txt": P07, "P07.docx": P07}
    with pytest.raises(InputError, match=r"fits several transcripts: P07.docx, P07.txt"):
        read_taguette_highlights(path, both)
    # an exact name wins over a looser match
    path = write_csv(tmp_path / "h.csv", [["1", "P07.txt", "speed", "slow"]])
    assert read_taguette_highlights(path, both).codings["source"].tolist() == ["P07.txt"]


def test_line_numbers_count_multi_line_fields(tmp_path):
    path = write_csv(
        tmp_path / "h.csv",
        [
            ["1", "P07", "speed", "The search was slow.\nReally slow."],
            ["2", "P07", "x", "nowhere to be found"],
        ],
    )
    with pytest.raises(InputError) as info:
        read_taguette_highlights(path, TEXTS)
    assert info.value.problems[0].line == 4
    codings = read_taguette_highlights(path, TEXTS, allow_missing=True).codings
    assert P07[codings["start"].iloc[0] : codings["end"].iloc[0]] == (
        "The search was slow. Really slow."
    )


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("", "the file is empty"),
        ("id,document,code,text\n1,P07,x,y\n", "missing tag, content"),
        ("id,document,tag,content\n1,P07,x\n", "expected 4 fields, found 3"),
    ],
)
def test_bad_files(tmp_path, content, match):
    path = tmp_path / "h.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        read_taguette_highlights(path, TEXTS)


def test_bad_arguments(tmp_path):
    path = write_csv(tmp_path / "h.csv", [])
    with pytest.raises(TypeError, match="dict"):
        read_taguette_highlights(path, ["P07.txt"])
    with pytest.raises(ValueError, match="empty"):
        read_taguette_highlights(path, {})
    with pytest.raises(ValueError, match="coder"):
        read_taguette_highlights(path, TEXTS, coder=" ")
    with pytest.raises(InputError, match="file not found"):
        read_taguette_highlights(tmp_path / "nope.csv", TEXTS)
    empty = read_taguette_highlights(path, TEXTS)
    assert empty.codings.empty and empty.skipped.empty


def test_utf16_export_from_excel(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(
        "id,document,tag,content\r\n1,P08,pricing,Pricing was a surprise\r\n".encode("utf-16")
    )
    assert spans(read_taguette_highlights(path, TEXTS)) == [
        ("P08.docx", "Pricing was a surprise", "pricing")
    ]


def test_example_study_highlights_find_their_segments(tmp_path):
    """An export built from the example study's codings finds each segment again (oracle: the
    segments table's own offsets)."""
    study = voc.load_study(Path(__file__).resolve().parent.parent / "studies" / "example")
    segments = voc.io.read_segments(study).set_index("segment_id")
    codings = voc.io.read_codings(study)
    codings = codings[codings["coder"] == "coder_a"]
    folder = study.interviews.transcripts
    texts = {s: read_transcript_text(folder / s) for s in segments["source"].unique()}
    ordered = codings.assign(
        start=[segments.at[s, "start"] for s in codings["segment_id"]]
    ).sort_values(["source", "start"], kind="stable")
    rows = [
        [str(i), Path(r.source).stem, r.code, segments.at[r.segment_id, "text"]]
        for i, r in enumerate(ordered.itertuples())
    ]
    path = write_csv(tmp_path / "all_tags.csv", rows)
    result = read_taguette_highlights(path, texts, coder="coder_a")
    assert result.skipped.empty
    got = result.codings
    expected_start = [segments.at[s, "start"] for s in ordered["segment_id"]]
    expected_end = [segments.at[s, "end"] for s in ordered["segment_id"]]
    unique = got["n_matches"].eq(1).to_numpy()
    assert unique.mean() > 0.9
    assert (got["start"].to_numpy()[unique] == pd.Series(expected_start).to_numpy()[unique]).all()
    assert (got["end"].to_numpy()[unique] == pd.Series(expected_end).to_numpy()[unique]).all()
    assert got["source"].tolist() == ordered["source"].tolist()
    for r, text in zip(got.itertuples(), ordered["segment_id"], strict=True):
        assert texts[r.source][r.start : r.end] == segments.at[text, "text"]
