"""Round trips of voc's readers and writers on hostile text (Hypothesis).

Quotes, embedded line breaks, a lone ``\\r``, Unicode line separators, emoji, right-to-left
text and bidi controls must come back whole: no text truncated, none split into phantom rows,
no row lost. Covered here (the survey CSV reader's text round trip and the single-source REFI
spans live in test_io_survey.py and test_io_refi.py):

* ``save_table`` read back with pandas and with the csv module;
* the survey CSV reader: each response keeps the line its record starts on;
* the long codings CSV and the codebook (CSV, YAML, REFI ``.qdc``);
* REFI ``.qdpx`` with several sources, codes, coders and spans;
* SubRip transcripts with LF, CRLF or CR line ends;
* Taguette highlights found back in their transcript;
* headlines.
"""

from __future__ import annotations

import csv
import io
import tempfile
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from voc.errors import InputError
from voc.io import read_headlines, save_headline, save_table
from voc.io.coding import read_codebook, read_codings
from voc.io.files import neutralise_formulas
from voc.io.refi import read_qdc, read_qdpx, write_qdc, write_qdpx
from voc.io.survey import read_responses
from voc.io.taguette import read_taguette_highlights
from voc.io.transcripts import read_transcript, read_transcript_text
from voc.study import SurveySpec

HEBREW = "\u05e9\u05dc\u05d5\u05dd"  # shalom
ARABIC = "\u0645\u0631\u062d\u0628\u0627"  # marhaba
LINE_BREAKS = ["\n", "\r", "\r\n", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1e"]
ATOMS = [
    '"', '""', "'", ",", ";", "|", "\t", " ", "a", "Z", "7", "007", "NA", "=1+2", "-3", "@x",
    *LINE_BREAKS, "a\nb", "a\rb", "a\r\nb", "\U0001f600", "\U0001f44d\U0001f3fd",
    HEBREW, ARABIC, f"{HEBREW}, {ARABIC}", "\u200f", "\u202e", "\ufeff", "e\u0301", "\u00a0",
]  # fmt: skip

ANY_CHAR = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
TEXT = st.one_of(
    st.sampled_from(ATOMS),
    st.text(ANY_CHAR, max_size=12),
    st.lists(st.sampled_from(ATOMS), min_size=1, max_size=6).map("".join),
)
NAME = TEXT.filter(lambda s: s.strip())  # values a reader refuses when blank

QUICK = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _xml_ok(ch: str) -> bool:
    """A character XML 1.0 can carry."""
    code = ord(ch)
    return ch in "\t\n\r" or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code > 0xFFFF


XML_TEXT = st.one_of(
    st.sampled_from([a for a in ATOMS if all(map(_xml_ok, a))]),
    st.text(ANY_CHAR.filter(_xml_ok), max_size=12),
)


def _csv_bytes(rows: list[list[str]], dialect: tuple[int, str], encoding: str) -> bytes:
    """Rows as a CSV the way spreadsheet tools write one: every field that needs quotes
    quoted (QUOTE_MINIMAL quotes a lone CR only when CR is part of the line end)."""
    quoting, line_end = dialect
    buffer = io.StringIO(newline="")
    csv.writer(buffer, quoting=quoting, lineterminator=line_end).writerows(rows)
    return buffer.getvalue().encode(encoding)


DIALECTS = st.sampled_from([(csv.QUOTE_MINIMAL, "\r\n"), (csv.QUOTE_ALL, "\n")])


# --------------------------------------------------------------------------------------------
# save_table
# --------------------------------------------------------------------------------------------


@QUICK
@given(cells=st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=8))
def test_save_table_round_trips_through_pandas_and_csv(tmp_path: Path, cells) -> None:
    data = pd.DataFrame(
        {
            "participant_id": [f"{i:03d}" for i in range(len(cells))],
            "comment": [a for a, _ in cells],
            "n": range(len(cells)),
            "note": [b for _, b in cells],
        }
    )
    save_table(data, "verbatims", tmp_path)
    path = tmp_path / "tables" / "verbatims.csv"
    expected = neutralise_formulas(data).astype(str)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, expected)
    with open(path, newline="", encoding="utf-8") as fh:
        header, *rows = list(csv.reader(fh))
    assert header == list(data.columns)
    assert rows == expected.to_numpy().tolist()
    assert not list(path.parent.glob("*.tmp"))


def test_save_table_quotes_a_lone_carriage_return(tmp_path: Path) -> None:
    """Non-regression: a verbatim with a lone CR was written bare and read back as two rows."""
    save_table(pd.DataFrame({"comment": ["a\rb", "c"], "n": [1, 2]}), "t", tmp_path)
    raw = (tmp_path / "tables" / "t.csv").read_bytes()
    assert raw == b'comment,n\r\n"a\rb",1\r\nc,2\r\n'
    back = pd.read_csv(tmp_path / "tables" / "t.csv", dtype=str)
    assert back["comment"].tolist() == ["a\rb", "c"]
    save_table(pd.DataFrame({"comment": ["a\nb"], "n": [1]}), "u", tmp_path)
    assert (tmp_path / "tables" / "u.csv").read_bytes() == b'comment,n\n"a\nb",1\n'


# --------------------------------------------------------------------------------------------
# Survey CSV: where each record starts
# --------------------------------------------------------------------------------------------


@QUICK
@given(
    comments=st.lists(TEXT, min_size=1, max_size=8),
    dialect=DIALECTS,
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_survey_rows_keep_the_line_their_record_starts_on(
    tmp_path: Path, comments, dialect, encoding
) -> None:
    rows = [["participant_id", "comment"]]
    rows += [[f"{i:03d}", c] for i, c in enumerate(comments)]
    raw = _csv_bytes(rows, dialect, encoding)
    path = tmp_path / "survey.csv"
    path.write_bytes(raw)
    spec = SurveySpec(file=path, columns={"id": "participant_id", "text": ["comment"]})
    responses = read_responses(spec)
    assert responses["participant_id"].tolist() == [r[0] for r in rows[1:]]
    assert responses["comment"].tolist() == [c if c.strip() else None for c in comments]
    # a record starts after the line ends (LF or CRLF) before it; a CR inside quotes is text
    text = raw.decode(encoding)
    starts, at = [], len(_csv_bytes(rows[:1], dialect, "utf-8").decode())
    for row in rows[1:]:
        starts.append(text[:at].count("\n") + 1)
        at += len(_csv_bytes([row], dialect, "utf-8").decode())
    assert responses.index.tolist() == starts


# --------------------------------------------------------------------------------------------
# Codings and codebooks
# --------------------------------------------------------------------------------------------


@QUICK
@given(
    codings=st.lists(st.tuples(NAME, NAME, NAME, NAME), min_size=1, max_size=8),
    dialect=DIALECTS,
    encoding=st.sampled_from(["utf-8", "utf-8-sig"]),
)
def test_codings_csv_round_trips(tmp_path: Path, codings, dialect, encoding) -> None:
    rows = [["source", "segment_id", "code", "coder"], *map(list, codings)]
    path = tmp_path / "codings.csv"
    path.write_bytes(_csv_bytes(rows, dialect, encoding))
    back = read_codings(path)
    assert len(back) == len(codings)
    got = back[["source", "segment_id", "code", "coder"]].to_numpy().tolist()
    assert [[_nfc(v) for v in row] for row in got] == [
        [_nfc(v.strip()) for v in row] for row in codings
    ]
    assert back.index.is_monotonic_increasing and back.index.is_unique


@st.composite
def codebooks(draw, text=TEXT, name=NAME) -> pd.DataFrame:
    """A codebook of unique code names, each parent an earlier code (a forest)."""
    names = draw(st.lists(name, min_size=1, max_size=6, unique_by=lambda s: _nfc(s.strip())))
    parents = [None] + [
        draw(st.one_of(st.none(), st.sampled_from(names[:i]))) for i in range(1, len(names))
    ]
    descriptions = draw(st.lists(text, min_size=len(names), max_size=len(names)))
    return pd.DataFrame(
        {"code": names, "parent": parents, "description": descriptions}, dtype=object
    )


def _same_codebook(back: pd.DataFrame, codebook: pd.DataFrame) -> None:
    """Same codes, parents and descriptions (names are stripped; REFI lists children under
    their parent, so the order may change)."""

    def tidy(frame: pd.DataFrame) -> dict[str, tuple]:
        return {
            _nfc(c.strip()): (_nfc(p.strip()) if isinstance(p, str) else None, _nfc(d).strip())
            for c, p, d in frame[["code", "parent", "description"]].itertuples(index=False)
        }

    assert len(back) == len(codebook)
    assert tidy(back) == tidy(codebook)


@QUICK
@given(codebook=codebooks(), dialect=DIALECTS)
def test_codebook_csv_and_yaml_round_trip(tmp_path: Path, codebook, dialect) -> None:
    rows = [["code", "parent", "description"]]
    rows += [[c, p or "", d] for c, p, d in codebook.itertuples(index=False)]
    path = tmp_path / "codebook.csv"
    path.write_bytes(_csv_bytes(rows, dialect, "utf-8"))
    _same_codebook(read_codebook(path), codebook)
    path = tmp_path / "codebook.yaml"
    text = yaml.safe_dump({"codes": codebook.to_dict("records")}, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    # the oracle is what YAML itself reads (it folds NEL and other YAML line breaks)
    _same_codebook(read_codebook(path), pd.DataFrame(yaml.safe_load(text)["codes"], dtype=object))


@QUICK
@given(codebook=codebooks(text=XML_TEXT, name=XML_TEXT.filter(lambda s: s.strip())))
def test_qdc_round_trips_names_descriptions_and_hierarchy(tmp_path: Path, codebook) -> None:
    path = write_qdc(codebook, tmp_path / "codebook.qdc")
    back = read_qdc(path)
    _same_codebook(back, codebook)
    # descriptions come back exactly, line ends included (XML would turn a bare CR into LF)
    exact = {_nfc(c): d for c, d in zip(back["code"], back["description"], strict=True)}
    assert [exact[_nfc(c.strip())] for c in codebook["code"]] == codebook["description"].tolist()


@settings(max_examples=30, deadline=None)
@given(
    before=XML_TEXT,
    bad=st.characters(exclude_categories=("Cs",)).filter(lambda ch: not _xml_ok(ch)),
)
def test_qdc_refuses_what_xml_cannot_carry_and_names_it(before, bad) -> None:
    codebook = pd.DataFrame({"code": ["c"], "parent": [None], "description": [before + bad]})
    with tempfile.TemporaryDirectory() as folder:
        with pytest.raises(ValueError, match=f"U\\+{ord(bad):04X}, which XML cannot carry"):
            write_qdc(codebook, Path(folder) / "c.qdc")
        assert not list(Path(folder).iterdir())  # nothing half-written


# --------------------------------------------------------------------------------------------
# REFI-QDA projects
# --------------------------------------------------------------------------------------------

SOURCE_NAME = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters='/\\:*?"<>|'),
    min_size=1,
    max_size=10,
).filter(lambda s: s.strip() == s and s not in {".", ".."})


@st.composite
def projects(draw):
    names = draw(st.lists(SOURCE_NAME, min_size=1, max_size=3, unique_by=str.casefold))
    texts = {
        f"{n}.txt": draw(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=12)) for n in names
    }
    codes = draw(
        st.lists(
            XML_TEXT.filter(lambda s: s.strip() == s and s), min_size=1, max_size=4, unique=True
        )
    )
    coders = draw(
        st.lists(
            XML_TEXT.filter(lambda s: s.strip() == s and s), min_size=1, max_size=2, unique=True
        )
    )
    rows = []
    for source, atoms in texts.items():
        bounds = [0]
        for atom in atoms:
            bounds.append(bounds[-1] + len(atom))
        for _ in range(draw(st.integers(1, 3))):
            i, j = sorted(draw(st.tuples(*[st.integers(0, len(atoms))] * 2)))
            rows.append(
                (
                    source,
                    bounds[i],
                    bounds[j],
                    draw(st.sampled_from(codes)),
                    draw(st.sampled_from(coders)),
                )
            )
    return {s: "".join(a) for s, a in texts.items()}, codes, rows  # fmt: skip


def _collapsed(text: str) -> str:
    return " ".join(text.split())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(project=projects())
def test_qdpx_round_trips_sources_codes_coders_and_spans(tmp_path: Path, project) -> None:
    from voc.io._transcript_text import normalise

    texts, codes, rows = project
    codebook = pd.DataFrame({"code": codes, "parent": None, "description": ""})
    codings = pd.DataFrame(rows, columns=["source", "start", "end", "code", "coder"])
    path = write_qdpx(tmp_path / "p.qdpx", codebook=codebook, texts=texts, codings=codings)
    back = read_qdpx(path)
    sources = dict(zip(back["sources"]["source"], back["sources"]["text"], strict=True))
    assert sources == {name: normalise(text) for name, text in texts.items()}
    assert sorted(back["codebook"]["code"]) == sorted(codes)
    got = [
        (r.source, r.code, r.coder, _collapsed(sources[r.source][r.start : r.end]))
        for r in back["codings"].itertuples()
    ]
    spans = back["codings"][["source", "start", "end", "code", "coder"]]
    assert not spans.duplicated().any()  # a span is written once per code and coder
    # every coding is there, with its text (two spans that normalise to one are one coding)
    assert set(got) == {(s, c, k, _collapsed(normalise(texts[s][a:b]))) for s, a, b, c, k in rows}


# --------------------------------------------------------------------------------------------
# Transcripts: SubRip, Taguette
# --------------------------------------------------------------------------------------------

# One line of cue text: no line break, no markup, entity or "Name:" prefix (those rightly
# change the text), and not blank.
CUE_LINE = st.lists(
    st.one_of(
        st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="<>&{}:\x85"),
        st.sampled_from(["\t", "\u200f", "\u202e", "\ufeff", "\U0001f44d\U0001f3fd", HEBREW]),
    ),
    min_size=1,
    max_size=20,
).map("".join)


def _clean(line: str) -> str:
    from voc.io._transcript_text import normalise

    return normalise(line).strip()


@settings(max_examples=60, deadline=None)
@given(
    cues=st.lists(
        st.tuples(st.sampled_from(["Interviewer", "Priya Patel"]), st.lists(CUE_LINE, min_size=1, max_size=3)),
        min_size=1,
        max_size=6,
    ),
    line_end=st.sampled_from(["\n", "\r\n", "\r"]),
)  # fmt: skip
def test_srt_cues_are_never_dropped_or_split(cues, line_end) -> None:
    expected: list[list[str]] = []
    lines: list[str] = []
    for k, (speaker, payload) in enumerate(cues):
        assume(all(map(_clean, payload)))  # a blank line would rightly end the cue
        text = " ".join(map(_clean, payload))
        if expected and expected[-1][0] == speaker:
            expected[-1][1] += "\n" + text
        else:
            expected.append([speaker, text])
        stamp = f"00:00:{k:02d},000 --> 00:00:{k:02d},500"
        lines += [str(k + 1), stamp, f"{speaker}: {payload[0]}", *payload[1:], ""]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "R0001_interview.srt"
        path.write_bytes(line_end.join(lines).encode("utf-8"))
        segments = read_transcript(path)
        text = read_transcript_text(path)
    assert [[s, t] for s, t in zip(segments["speaker"], segments["text"], strict=True)] == expected
    assert all(
        text[a:b] == t for a, b, t in segments[["start", "end", "text"]].itertuples(index=False)
    )
    assert segments["t_start"].tolist() == sorted(segments["t_start"])


@st.composite
def highlighted(draw):
    """A normalised transcript and highlights of it in document order."""
    from voc.io._transcript_text import normalise

    atoms = draw(st.lists(st.sampled_from(ATOMS), min_size=2, max_size=30))
    text = normalise("P01: " + "".join(atoms))
    assume(text.strip())
    n = len(text)
    cuts = sorted(
        draw(st.lists(st.tuples(st.integers(0, n), st.integers(0, n)), min_size=1, max_size=5))
    )
    spans = [(min(a, b), max(a, b)) for a, b in cuts]
    spans = [(a, b) for a, b in spans if text[a:b].strip()]
    assume(spans)
    return text, sorted(spans)  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=highlighted(), tags=st.lists(NAME.filter(lambda s: "," not in s), min_size=1, max_size=2)
)
def test_taguette_highlights_find_their_text(tmp_path: Path, data, tags) -> None:
    text, spans = data
    rows = [["id", "document", "tag", "content"]]
    for k, (a, b) in enumerate(spans):
        rows += [[str(k + 1), "R0001_interview", tag, text[a:b]] for tag in tags]
    path = tmp_path / "highlights.csv"
    path.write_bytes(_csv_bytes(rows, (csv.QUOTE_MINIMAL, "\r\n"), "utf-8"))
    result = read_taguette_highlights(path, {"R0001_interview.txt": text})
    codings = result.codings
    assert result.skipped.empty
    assert len(codings) == len(spans) * len(tags)  # no row lost, none split
    found = [_collapsed(text[r.start : r.end]) for r in codings.itertuples()]
    assert found == [_collapsed(text[a:b]) for a, b in spans for _ in tags]
    assert [_nfc(c) for c in codings["code"]] == [_nfc(t.strip()) for _ in spans for t in tags]


# --------------------------------------------------------------------------------------------
# Headlines
# --------------------------------------------------------------------------------------------


@QUICK
@given(label=TEXT, value=TEXT, detail=TEXT)
def test_headlines_round_trip(tmp_path: Path, label, value, detail) -> None:
    save_headline(tmp_path, "first", label=label, value=value, detail=detail)
    save_headline(tmp_path, "second", label=detail, value=label, detail=value)
    assert [(h["key"], h["label"], h["value"], h["detail"]) for h in read_headlines(tmp_path)] == [
        ("first", label, value, detail),
        ("second", detail, label, value),
    ]


def test_bad_reads_still_raise_input_errors(tmp_path: Path) -> None:
    """The round trips above hold for well-formed files; a CSV with a bare CR (as written by a
    tool that quotes only for its own line end) is refused with the file and line, not split
    silently into phantom codings."""
    path = tmp_path / "codings.csv"
    path.write_bytes(b"source,segment_id,code,coder\nR1.txt,s1,a\rb,anna\n")
    with pytest.raises(InputError, match=r"codings.csv, line \d: expected 4 fields, found"):
        read_codings(path)
