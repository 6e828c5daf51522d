"""Bad inputs: a corpus of broken study files and what voc must do with each.

Every case puts one file from ``tests/bad_inputs/`` (or one ``--set`` value) into a copy of a
small valid study (``tests/bad_inputs/base``) whose outputs already hold a good run. Then either

* ``voc check`` and ``voc run`` both stop with the same error, which names the file, the line
  or row and the column (or the ``study.yaml`` key) and says what was expected, and quotes no
  personal value found in the bad cell; the run stops before any kernel starts; or
* the input is handled: ``voc check`` passes and the case's own check says what came out.

Either way every raw input is byte for byte what it was, nothing is written under ``outputs/``
and ``latest`` still points at the good run. Binary and non-UTF-8 cases are written by
``tests/bad_inputs/make_cases.py``.
"""

from __future__ import annotations

import ast
import hashlib
import math
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

import voc
from voc.errors import RunError, StudyError
from voc.run import check_study, plan_run, run_study

pytestmark = pytest.mark.slow  # the module's one good run executes the survey notebook

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
SLUG = "s"


@dataclass(frozen=True)
class Case:
    """One bad input: where it goes, and what voc must say or do.

    ``slot`` is ``survey`` (the survey file), ``transcript`` (added to the transcripts),
    ``codebook``, ``codings``, ``mapping`` (participant-id mapping), ``roster``, ``study``
    (replaces study.yaml) or ``set`` (``file`` is then the ``--set`` item). ``where`` is the
    location as the message prints it, from the file name to the colon before the message;
    ``expect`` a fragment of what was found or expected; ``masked`` values the message must
    not show. A case with ``handled`` must pass ``voc check`` and that check instead.
    """

    id: str
    slot: str
    file: str
    where: str = ""
    expect: str = ""
    masked: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    roster: str | None = None
    handled: Callable[[voc.Study, dict[str, int], Case], None] | None = None


# --------------------------------------------------------------------------------------------
# What a handled input must give
# --------------------------------------------------------------------------------------------


def _ids_and_scores(ids: list[str], nps: list[float]) -> Callable[..., None]:
    def check(study: voc.Study, summary: dict[str, int], case: Case) -> None:
        responses = voc.io.read_responses(study)
        assert responses["participant_id"].tolist() == ids
        assert responses["nps"].tolist() == pytest.approx(nps, nan_ok=True)
        assert summary["respondents"] == len(ids)

    return check


def _comment(row: int, text: str) -> Callable[..., None]:
    def check(study: voc.Study, summary: dict[str, int], case: Case) -> None:
        assert voc.io.read_responses(study)["comment"].tolist()[row] == text

    return check


def _renamed_duplicates(study: voc.Study, summary: dict[str, int], case: Case) -> None:
    from voc.io.survey import read_survey_file

    assert list(read_survey_file(study.survey).columns)[-2:] == ["comment", "comment_2"]
    assert voc.io.read_responses(study)["comment"].tolist() == ["Search is slow", "Pricing"]


def _spss_codes(study: voc.Study, summary: dict[str, int], case: Case) -> None:
    responses = voc.io.read_responses(study)
    # Labels replace segment codes; the unlabelled code 7 stays its code, as text.
    assert responses["region"].tolist() == ["EMEA", "APAC", "7", "EMEA"]
    # 99 is user-missing in the file and 98 declared missing in study.yaml: both blank.
    assert responses["nps"].isna().tolist() == [False, True, True, False]
    assert responses.index.tolist() == [1, 2, 3, 4]  # the case numbers


def _p03_turns(expected: list[tuple[str, str, str]]) -> Callable[..., None]:
    def check(study: voc.Study, summary: dict[str, int], case: Case) -> None:
        segments = voc.io.read_segments(study)
        p03 = segments[segments["participant_id"].eq("P03")]
        assert list(zip(p03["speaker"], p03["role"], p03["text"], strict=True)) == expected
        assert summary["interviews"] == 3

    return check


P03_TABLE = [
    ("", "participant", "Interview with P03, 4 March"),
    ("Interviewer", "interviewer", "How is search?"),
    ("P03", "participant", "Search is slow and the filters reset."),
    ("Interviewer", "interviewer", "And support?"),
    ("P03", "participant", "Support took a week to answer."),
]
P03_UTF16 = [
    ("Interviewer", "interviewer", "How is search?"),
    ("P03", "participant", "The café filters reset every time."),
]


def _left_out(study: voc.Study, summary: dict[str, int], case: Case) -> None:
    assert summary["codings left out (unmatched_codings: warn)"] == 1
    assert summary["codings"] == 1
    issues = voc.io.coding_issues(study)
    assert issues[["line", "column"]].values.tolist() == [[3, "content"]]
    assert "Jane Smith" not in issues["problem"].iloc[0]


def _parameter_stays_a_string(study: voc.Study, summary: dict[str, int], case: Case) -> None:
    from papermill.translators import translate_parameters

    (plan,) = plan_run(study, only=["survey"], sets=[case.file])
    value = case.file.split("=", 1)[1]
    assert plan.parameters == {"segment": value}
    # The cell papermill injects: one assignment of a string literal, nothing to execute.
    source = translate_parameters("python3", "python", plan.parameters, "Parameters")
    (statement,) = ast.parse(source).body
    assert isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
    assert statement.value.value == value


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------

ENCODING_HINT = "Declare the file's encoding in study.yaml with the 'encoding:' key"
NOT_SHOWN = "that looks like an e-mail address, not shown"
SCALE_HINT = "belongs under 'missing:'"

CASES = [
    # Survey: encodings
    Case(
        "survey-utf8-bom",
        "survey",
        "survey/utf8_bom.csv",
        handled=_ids_and_scores(["P01", "P02", "P03"], [9, 3, 10]),
    ),
    Case(
        "survey-cp1252-undeclared",
        "survey",
        "survey/cp1252.csv",
        "cp1252.csv, line 4, column 'comment': ",
        f"byte 0xe9 at byte offset 118 cannot be decoded as utf-8 (invalid continuation byte). "
        f"{ENCODING_HINT}",
    ),
    Case(
        "survey-cp1252-declared",
        "survey",
        "survey/cp1252.csv",
        options={"encoding": "cp1252"},
        handled=_comment(2, "Café prices and naïve support"),
    ),
    Case(
        "survey-utf16-excel-unicode-text",
        "survey",
        "survey/utf16_tab.txt",
        handled=_ids_and_scores(["P01", "P02", "P03"], [9, 3, 10]),
    ),
    Case(
        "survey-utf16-without-bom",
        "survey",
        "survey/utf16_no_bom.csv",
        "utf16_no_bom.csv, line 1: ",
        "the text contains NUL characters: this looks like a UTF-16 file without a byte-order "
        "mark. Declare 'encoding: utf-16-le'",
    ),
    Case(
        "survey-invalid-utf8",
        "survey",
        "survey/invalid_utf8.csv",
        "invalid_utf8.csv, line 4, column 'comment': ",
        "byte 0xc3 at byte offset 121 cannot be decoded as utf-8",
    ),
    # Survey: delimiters and structure
    Case(
        "survey-semicolons",
        "survey",
        "survey/semicolons.csv",
        handled=_comment(1, "Pricing, then fees"),
    ),
    Case(
        "survey-ambiguous-delimiter",
        "survey",
        "survey/ambiguous_delimiter.csv",
        "ambiguous_delimiter.csv, line 1: ",
        "cannot tell the delimiter from the header line (it has 2 ',' and 2 ';'); declare it",
    ),
    Case(
        "survey-unquoted-delimiter-in-a-value",
        "survey",
        "survey/extra_field.csv",
        "extra_field.csv, line 3, column 'comment': ",
        "found 7 fields but the header has 5 (an extra field after column 'comment'",
    ),
    Case(
        "survey-unclosed-quote",
        "survey",
        "survey/unclosed_quote.csv",
        "unclosed_quote.csv, line 3, column 'comment': ",
        "a quoted field that starts in this record is never closed",
    ),
    Case(
        "survey-empty-file",
        "survey",
        "survey/empty.csv",
        "empty.csv: ",
        "the file is empty; expected a header line and responses",
    ),
    Case(
        "survey-header-only",
        "survey",
        "survey/header_only.csv",
        "header_only.csv, line 1: ",
        "the file has a header but no responses",
    ),
    Case(
        "survey-qualtrics-read-as-csv",
        "survey",
        "survey/qualtrics_as_csv.csv",
        "qualtrics_as_csv.csv, line 3: ",
        "this looks like a Qualtrics export (ImportIds under the question texts); declare "
        "'format: qualtrics'",
    ),
    # Survey: ids and headers
    Case(
        "survey-duplicate-ids",
        "survey",
        "survey/duplicate_ids.csv",
        "duplicate_ids.csv, line 2, column 'participant_id': ",
        "duplicate participant id 'P01' on lines 2, 5; ids must be unique",
    ),
    Case(
        "survey-duplicate-email-ids",
        "survey",
        "survey/duplicate_email_ids.csv",
        "duplicate_email_ids.csv, line 2, column 'participant_id': ",
        f"duplicate participant id (a value of 20 characters {NOT_SHOWN}) on lines 2, 4",
        masked=("jane.doe", "example.com"),
    ),
    Case(
        "survey-blank-id",
        "survey",
        "survey/blank_id.csv",
        "blank_id.csv, line 4, column 'participant_id': ",
        "found a blank; expected a participant id (never blank)",
    ),
    Case(
        "survey-duplicate-headers",
        "survey",
        "survey/duplicate_headers.csv",
        "duplicate_headers.csv, line 1, column 'comment': ",
        "column 5 and column 6 are both named 'comment'; every column needs a unique name",
    ),
    Case(
        "survey-duplicate-headers-renamed",
        "survey",
        "survey/duplicate_headers.csv",
        options={"duplicate_headers": "rename"},
        handled=_renamed_duplicates,
    ),
    Case(
        "survey-misspelled-column",
        "survey",
        "survey/misspelled_column.csv",
        "misspelled_column.csv, line 1, column 'nps': ",
        "column 'nps' declared in study.yaml (survey.columns.nps) is not in the file. "
        "Did you mean 'NPS score'?",
    ),
    # Survey: values
    Case(
        "survey-nps-out-of-scale",
        "survey",
        "survey/nps_out_of_scale.csv",
        "nps_out_of_scale.csv, line 4, column 'nps': ",
        "found '11'; expected NPS: a whole number from 0 to 10",
    ),
    Case(
        "survey-csat-out-of-scale",
        "survey",
        "survey/csat_out_of_scale.csv",
        "csat_out_of_scale.csv, line 3, column 'csat': ",
        "found '0'; expected CSAT: a whole number from 1 to 5",
    ),
    Case(
        "survey-email-in-a-score",
        "survey",
        "survey/nps_email.csv",
        "nps_email.csv, line 3, column 'nps': ",
        f"found a value of 20 characters {NOT_SHOWN}; expected a number or a blank",
        masked=("jane.doe", "example.com"),
    ),
    Case(
        "survey-phone-in-a-score",
        "survey",
        "survey/nps_phone.csv",
        "nps_phone.csv, line 3, column 'nps': ",
        "found a value of 16 characters that looks like a phone number, not shown; expected",
        masked=("7946", "+44"),
    ),
    Case(
        "survey-roster-name-in-a-score",
        "survey",
        "survey/nps_name.csv",
        "nps_name.csv, line 3, column 'nps': ",
        "found 'Person-",
        masked=("Jane", "Doe"),
        roster="privacy/roster.yaml",
    ),
    Case(
        "survey-missing-code-undeclared",
        "survey",
        "survey/nps_code_99.csv",
        "nps_code_99.csv, line 3, column 'nps': ",
        f"found '99'; expected NPS: a whole number from 0 to 10. A code for 'no answer' "
        f'(e.g. 99 "Don\'t know") {SCALE_HINT}',
    ),
    Case(
        "survey-missing-code-declared",
        "survey",
        "survey/nps_code_99.csv",
        options={"missing": [99]},
        handled=_ids_and_scores(["P01", "P02", "P03"], [9, math.nan, 10]),
    ),
    # Survey: workbooks
    Case(
        "xlsx-not-a-zip",
        "survey",
        "survey/not_a_zip.xlsx",
        "not_a_zip.xlsx: ",
        "not an .xlsx workbook (an .xlsx file is a zip archive and this is not one)",
    ),
    Case(
        "xlsx-old-xls-renamed",
        "survey",
        "survey/old_xls.xlsx",
        "old_xls.xlsx: ",
        "not an .xlsx workbook but an OLE2 file: an old .xls workbook or a password-protected",
    ),
    Case(
        "xlsx-hidden-sheet-undeclared",
        "survey",
        "survey/hidden_sheet.xlsx",
        "hidden_sheet.xlsx: ",
        "the workbook has 2 sheets ('Responses', 'Lookup' (hidden)); declare the one",
    ),
    Case(
        "xlsx-hidden-sheet-declared",
        "survey",
        "survey/hidden_sheet.xlsx",
        options={"sheet": "Responses"},
        handled=_ids_and_scores(["P01", "P02", "P03"], [9, 3, 10]),
    ),
    Case(
        "xlsx-formula-without-cached-value",
        "survey",
        "survey/formula.xlsx",
        "formula.xlsx, row 3, column 'nps': ",
        "cell C3 holds the formula '=C2-1' but no calculated value",
    ),
    Case(
        "xlsx-out-of-scale",
        "survey",
        "survey/out_of_scale.xlsx",
        "out_of_scale.xlsx, row 5, column 'nps': ",
        "found '12'; expected NPS: a whole number from 0 to 10",
    ),
    Case(
        "xlsx-empty-sheet",
        "survey",
        "survey/empty_sheet.xlsx",
        "empty_sheet.xlsx: ",
        "the sheet is empty; expected a header row and responses",
    ),
    # Survey: SPSS
    Case(
        "spss-labelled-code-not-declared-missing",
        "survey",
        "survey/codes.sav",
        "codes.sav, row 3, column 'nps': ",
        "found '98' (labelled 'Refused'); expected NPS: a whole number from 0 to 10",
    ),
    Case(
        "spss-missing-codes-and-unlabelled-values",
        "survey",
        "survey/codes.sav",
        options={"missing": [98]},
        handled=_spss_codes,
    ),
    Case(
        "spss-not-a-sav-file",
        "survey",
        "survey/not_spss.sav",
        "not_spss.sav: ",
        "not a readable SPSS .sav file",
    ),
    # Transcripts
    Case(
        "vtt-without-header",
        "transcript",
        "transcripts/P03_no_header.vtt",
        "P03_no_header.vtt, line 1: ",
        "missing 'WEBVTT' header: a WebVTT file starts with the line 'WEBVTT', found a line of "
        "22 characters",
        masked=("Interview P03",),
    ),
    Case(
        "vtt-malformed-timing",
        "transcript",
        "transcripts/P03_bad_timing.vtt",
        "P03_bad_timing.vtt, line 4: ",
        "malformed cue timing line '00:00:01 --> 00:00:04.000': expected 'hh:mm:ss.ttt --> "
        "hh:mm:ss.ttt'",
    ),
    Case(
        "vtt-text-outside-a-cue",
        "transcript",
        "transcripts/P03_text_outside_cue.vtt",
        "P03_text_outside_cue.vtt, line 9: ",
        "text outside a cue: a line of 43 characters is neither a cue",
        masked=("Jane", "Smith", "Acme"),
    ),
    Case(
        "srt-cue-ends-before-it-starts",
        "transcript",
        "transcripts/P03_ends_before_start.srt",
        "P03_ends_before_start.srt, line 6: ",
        "the cue ends (00:00:05.000) before it starts (00:00:09.000)",
    ),
    Case(
        "srt-text-before-the-first-cue",
        "transcript",
        "transcripts/P03_not_subtitles.srt",
        "P03_not_subtitles.srt, line 1: ",
        "expected a cue number or a timing line 'hh:mm:ss,ttt --> hh:mm:ss,ttt', found a line "
        "of 31 characters",
        masked=("Jane", "Smith"),
    ),
    Case(
        "transcript-cp1252",
        "transcript",
        "transcripts/P03_cp1252.txt",
        "P03_cp1252.txt, line 2: ",
        "cannot decode byte(s) e9 at byte offset 40 as UTF-8; save the file as UTF-8",
    ),
    Case(
        "transcript-utf16-with-bom",
        "transcript",
        "transcripts/P03_utf16.txt",
        handled=_p03_turns(P03_UTF16),
    ),
    Case(
        "transcript-empty",
        "transcript",
        "transcripts/P03_empty.txt",
        "P03_empty.txt: ",
        "no turns found: the transcript has no text",
    ),
    Case(
        "docx-dialogue-in-a-table",
        "transcript",
        "transcripts/P03_dialogue_table.docx",
        handled=_p03_turns(P03_TABLE),
    ),
    Case(
        "docx-that-is-not-a-docx",
        "transcript",
        "transcripts/P03_not_a_docx.docx",
        "P03_not_a_docx.docx: ",
        "cannot open it as a Word .docx file",
    ),
    Case(
        "transcript-name-without-participant-id",
        "transcript",
        "transcripts/notes.txt",
        "notes.txt: ",
        "the file name does not match the participant pattern",
    ),
    Case(
        "transcript-unsupported-type",
        "transcript",
        "transcripts/P03.pdf",
        "P03.pdf: ",
        "unsupported transcript file type '.pdf'",
    ),
    Case(
        "transcript-same-stem-twice",
        "transcript",
        "transcripts/P01.md",
        "P01.txt: ",
        "same name as P01.md apart from the suffix: their segment ids would collide",
    ),
    # Codebook
    Case(
        "codebook-duplicate-code",
        "codebook",
        "codebook/duplicate_code.yaml",
        "duplicate_code.yaml, line 6: ",
        "codes[2]: code 'search' appears twice",
    ),
    Case(
        "codebook-unknown-parent",
        "codebook",
        "codebook/unknown_parent.yaml",
        "unknown_parent.yaml, line 3: ",
        "codes[1]: parent 'serch' of 'filters' is not a code. Did you mean 'search'?",
    ),
    Case(
        "codebook-parent-is-a-list",
        "codebook",
        "codebook/parent_is_a_list.yaml",
        "parent_is_a_list.yaml, line 3: ",
        "codes[1].parent: expected a code name, found a list ['search', 'pricing']",
    ),
    Case(
        "codebook-invalid-yaml",
        "codebook",
        "codebook/invalid_yaml.yaml",
        "invalid_yaml.yaml, line 3: ",
        "not valid YAML",
    ),
    Case(
        "codebook-cycle",
        "codebook",
        "codebook/cycle.yaml",
        "cycle.yaml, line 2: ",
        "codes[0]: the code hierarchy has a cycle through 'search'",
    ),
    Case(
        "codebook-csv-blank-code",
        "codebook",
        "codebook/blank_code.csv",
        "blank_code.csv, line 3, column 'code': ",
        "the code is blank",
    ),
    Case(
        "codebook-csv-unquoted-comma",
        "codebook",
        "codebook/ragged.csv",
        "ragged.csv, line 3: ",
        "expected 3 fields, found 4",
    ),
    # Codings
    Case(
        "codings-missing-source",
        "codings",
        "codings/missing_source.csv",
        "missing_source.csv, line 3, column 'source': ",
        "source 'P09.txt' is not a transcript",
    ),
    Case(
        "codings-missing-segment",
        "codings",
        "codings/missing_segment.csv",
        "missing_segment.csv, line 2, column 'segment_id': ",
        "segment 'P01-009' does not exist in 'P01.txt'",
    ),
    Case(
        "codings-segment-of-another-source",
        "codings",
        "codings/segment_of_another_source.csv",
        "segment_of_another_source.csv, line 3, column 'segment_id': ",
        "segment 'P02-002' does not exist in 'P01.txt'",
    ),
    Case(
        "codings-missing-code",
        "codings",
        "codings/unknown_code.csv",
        "unknown_code.csv, line 2, column 'code': ",
        "code 'serach' is not in the codebook. Did you mean 'search'?",
    ),
    Case(
        "codings-bad-header",
        "codings",
        "codings/bad_header.csv",
        "bad_header.csv, line 1: ",
        "found columns ['file', 'segment', 'code', 'coder']; expected 'source, segment_id, code, "
        "coder' or 'source, start, end, code, coder'",
    ),
    Case(
        "codings-duplicate-header",
        "codings",
        "codings/duplicate_header.csv",
        "duplicate_header.csv, line 1, column 'code': ",
        "the header names 'code' twice; every column needs a unique name",
    ),
    Case(
        "codings-blank-coder",
        "codings",
        "codings/blank_coder.csv",
        "blank_coder.csv, line 3, column 'coder': ",
        "coder must not be blank",
    ),
    Case(
        "codings-offset-beyond-the-text",
        "codings",
        "codings/offset_beyond_text.csv",
        "offset_beyond_text.csv, line 2, column 'end': ",
        "end 5000 is beyond the end of 'P01.txt' (133 characters)",
    ),
    Case(
        "codings-offsets-reversed",
        "codings",
        "codings/offset_reversed.csv",
        "offset_reversed.csv, line 3, column 'end': ",
        "end 80 is before start 90; expected start <= end",
    ),
    Case(
        "codings-offset-between-turns",
        "codings",
        "codings/offset_between_turns.csv",
        "offset_between_turns.csv, line 3, column 'start': ",
        "the span [27, 27) overlaps no turn of 'P01.txt'",
    ),
    Case(
        "codings-cp1252",
        "codings",
        "codings/cp1252.csv",
        "cp1252.csv, line 2, column 'coder': ",
        "not valid UTF-8: byte 0xe9 at byte offset 55",
    ),
    Case(
        "codings-taguette-text-not-found",
        "codings",
        "codings/taguette_unfindable.csv",
        "taguette_unfindable.csv, line 3, column 'content': ",
        "document 'P02.txt': the highlighted text is not in 'P02.txt' (a highlight of 44 "
        "characters); was the transcript edited after it was coded? To leave such rows out and "
        "list them, set 'unmatched_codings: warn'",
        masked=("Jane", "Smith", "renewal price"),
    ),
    Case(
        "codings-taguette-text-not-found-warn",
        "codings",
        "codings/taguette_unfindable.csv",
        options={"unmatched_codings": "warn"},
        handled=_left_out,
    ),
    Case(
        "codings-qdpx-not-a-zip",
        "codings",
        "codings/not_a_zip.qdpx",
        "not_a_zip.qdpx: ",
        "not a .qdpx (zip) archive",
    ),
    # Participant-id mapping and roster
    Case(
        "mapping-duplicate-interview-id",
        "mapping",
        "mapping/duplicate_interview_id.csv",
        "duplicate_interview_id.csv, line 3, column 'interview_id': ",
        "interview_id 'P01' appears twice",
    ),
    Case(
        "mapping-wrong-columns",
        "mapping",
        "mapping/wrong_columns.csv",
        "wrong_columns.csv, line 1: ",
        "expected columns ['interview_id', 'survey_id'], found ['interview', 'survey']",
    ),
    Case(
        "mapping-blank-id",
        "mapping",
        "mapping/blank_survey_id.csv",
        "blank_survey_id.csv, line 3, column 'survey_id': ",
        "blank id; expected an id",
    ),
    Case(
        "roster-invalid-yaml-reported-once",
        "roster",
        "privacy/invalid_roster.yaml",
        "roster.yaml, line 4: ",
        "not valid YAML",
    ),
    # study.yaml
    Case(
        "study-unknown-key",
        "study",
        "study/unknown_key.yaml",
        "study.yaml, line 6, survey.columns.nsp: ",
        "unknown key 'nsp'. Did you mean 'nps'? Allowed keys here: id, nps,",
    ),
    Case(
        "study-invalid-yaml",
        "study",
        "study/invalid_yaml.yaml",
        "study.yaml, line 6: ",
        "not valid YAML: mapping values are not allowed here",
    ),
    Case(
        "study-duplicate-key",
        "study",
        "study/duplicate_key.yaml",
        "study.yaml, line 9: ",
        "not valid YAML: duplicate key 'survey' (first on line 2)",
    ),
    Case(
        "study-reversed-scale",
        "study",
        "study/reversed_scale.yaml",
        "study.yaml, line 6, survey.columns.csat.scale: ",
        "scale must be [low, high] with low < high, found [5, 1]",
    ),
    Case(
        "study-missing-id-column",
        "study",
        "study/missing_id.yaml",
        "study.yaml, line 5, survey.columns.id: ",
        "missing required key 'id' under survey.columns",
    ),
    Case(
        "study-pattern-without-id-group",
        "study",
        "study/pattern_without_id.yaml",
        "study.yaml, line 4, interviews.participant_pattern: ",
        "the pattern 'P\\\\d+' needs a named group 'id'",
    ),
    Case(
        "study-not-utf8",
        "study",
        "study/cp1252.yaml",
        "study.yaml, line 1: ",
        "study.yaml must be UTF-8 text, but byte 0xc9 at byte offset 7 is not valid UTF-8",
    ),
    Case(
        "study-survey-file-misspelled",
        "study",
        "study/survey_file_misspelled.yaml",
        "survey.cvs: ",
        "survey file not found. Did you mean 'survey.csv'?",
    ),
    Case(
        "study-weight-and-raking",
        "study",
        "study/weight_and_weighting.yaml",
        "study.yaml, line 3, survey: ",
        "declare either a weight column (survey.columns.weight) or raking targets",
    ),
    Case(
        "study-delimiter-of-two-characters",
        "study",
        "study/bad_delimiter.yaml",
        "study.yaml, line 4, survey.delimiter: ",
        "the delimiter must be one character or 'tab', found ';;'",
    ),
    Case(
        "study-a-list",
        "study",
        "study/a_list.yaml",
        "study.yaml: ",
        "expected a mapping with at least 'title:' and an input, found a list",
    ),
    Case(
        "study-unknown-encoding",
        "study",
        "study/unknown_encoding.yaml",
        "survey.csv: ",
        "unknown encoding 'klingon' in survey.encoding",
    ),
    Case(
        "study-no-input",
        "study",
        "study/no_input.yaml",
        "study.yaml, line 1: ",
        "a study needs at least one input",
    ),
    # --set parameters
    Case("set-unknown-name", "set", "levle=0.9", expect="Did you mean 'level'?"),
    Case("set-wrong-type", "set", "level=high", expect="'level' expects float, found 'high'"),
    Case("set-nan", "set", "level=nan", expect="'level' expects float, found 'nan'"),
    Case("set-infinity", "set", "level=1e999", expect="'level' expects float, found '1e999'"),
    Case("set-float-for-int", "set", "n_boot=1.5", expect="'n_boot' expects int, found '1.5'"),
    Case("set-no-value", "set", "level", expect="--set 'level': expected key=value"),
    Case(
        "set-name-is-code",
        "set",
        "__import__('os').system('touch PWNED')=1",
        expect="is not a valid parameter name",
    ),
    Case(
        "set-name-is-a-method-call",
        "set",
        "os.system('id')=1",
        expect="is not a valid parameter name",
    ),
    Case("set-name-is-a-keyword", "set", "class=1", expect="is not a valid parameter name"),
    Case(
        "set-name-is-a-dunder",
        "set",
        "__class__=1",
        expect="no selected notebook declares a parameter '__class__'",
    ),
    Case("set-reserved-name", "set", "study_dir=/tmp", expect="study_dir is set by voc run itself"),
    Case(
        "set-unknown-notebook",
        "set",
        "survy.level=0.9",
        expect="'survy' is not a notebook. Did you mean 'survey'?",
    ),
    Case(
        "set-value-is-code",
        "set",
        'segment=region"; open("PWNED", "w").close(); "',
        handled=_parameter_stays_a_string,
    ),
]


# --------------------------------------------------------------------------------------------
# Building a study around one case
# --------------------------------------------------------------------------------------------


def _study(root: Path, case: Case) -> Path:
    """``root/studies/s``: the base study with the case's file in its slot."""
    study = root / "studies" / SLUG
    shutil.copytree(CORPUS / "base", study)
    if case.slot == "set":
        return study
    source = CORPUS / case.file
    if case.slot == "study":
        shutil.copyfile(source, study / "study.yaml")
        return study
    config = yaml.safe_load((study / "study.yaml").read_text(encoding="utf-8"))
    interviews = config["interviews"]
    if case.slot == "survey":
        shutil.copyfile(source, study / "data" / source.name)
        config["survey"].update(file=f"data/{source.name}", **case.options)
    elif case.slot == "transcript":
        shutil.copyfile(source, study / "data" / "transcripts" / source.name)
    elif case.slot == "codebook":
        shutil.copyfile(source, study / source.name)
        interviews["codebook"] = source.name
    elif case.slot == "codings":
        shutil.copyfile(source, study / "data" / source.name)
        interviews.update(codings=f"data/{source.name}", **case.options)
    elif case.slot == "mapping":
        shutil.copyfile(source, study / "data" / source.name)
        interviews["participant_ids"] = {"mapping": f"data/{source.name}"}
    elif case.slot != "roster":
        raise ValueError(f"unknown slot {case.slot!r}")
    roster = case.file if case.slot == "roster" else case.roster
    if roster is not None:
        shutil.copyfile(CORPUS / roster, study / "roster.yaml")
        key = root / "keys" / "voc.key"  # outside the study, as voc requires
        key.parent.mkdir()
        key.write_text(voc.privacy.generate_key() + "\n", encoding="utf-8")
        config["privacy"] = {"roster": "roster.yaml", "key_file": str(key)}
    (study / "study.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return study


def _tree(folder: Path) -> dict[str, str]:
    """Every file under *folder* with its sha256, every link with its target."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def good_outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The outputs folder of one good run of the base study (its survey notebook)."""
    root = tmp_path_factory.mktemp("good")
    result = run_study(_study(root, Case("base", "set", "")), only=["survey"], progress=None)
    assert (root / "outputs" / SLUG / "latest" / "report" / "index.html").is_file()
    assert result.manifest["input_summary"]["codings"] == 5
    return root / "outputs"


def test_the_corpus_is_large_and_small() -> None:
    files = [p for p in CORPUS.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert len(CASES) >= 45
    assert len({c.id for c in CASES}) == len(CASES)
    assert sum(p.stat().st_size for p in files) < 300_000
    used = {CORPUS / c.file for c in CASES if c.slot != "set"} | {
        CORPUS / c.roster for c in CASES if c.roster
    }
    unused = [p.relative_to(CORPUS) for p in files if p.parent != CORPUS and p not in used]
    assert [p for p in unused if p.parts[0] != "base"] == []  # every case file is a case


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, good_outputs: Path, tmp_path: Path) -> None:
    study = _study(tmp_path, case)
    outputs = tmp_path / "outputs"
    shutil.copytree(good_outputs, outputs, symlinks=True)
    inputs_before, outputs_before = _tree(study), _tree(outputs)
    latest = os.readlink(outputs / SLUG / "latest")

    if case.handled is not None:
        loaded, summary = check_study(study)
        case.handled(loaded, summary, case)
    elif case.slot == "set":
        check_study(study)  # the inputs are good; the run refuses the parameter up front
        with pytest.raises(ValueError, match=re.escape(case.expect)):
            run_study(study, only=["survey"], sets=[case.file], progress=None)
    else:
        with pytest.raises(StudyError) as info:
            check_study(study)
        message = str(info.value)
        assert f"{os.sep}{case.where}{case.expect}" in message, message
        problems = info.value.problems
        assert len(set(problems)) == len(problems), message  # each problem said once
        for secret in case.masked:
            assert secret not in message
        with pytest.raises(StudyError) as again:
            run_study(study, only=["survey"], progress=None)
        assert str(again.value) == message  # voc run stops with the same error

    assert _tree(study) == inputs_before  # raw inputs untouched, nothing written beside them
    assert _tree(outputs) == outputs_before  # no run folder, no lock taken, no report changed
    assert os.readlink(outputs / SLUG / "latest") == latest


def test_a_parameter_value_that_is_code_reaches_the_notebook_as_text(
    good_outputs: Path, tmp_path: Path
) -> None:
    """End to end: the value is a string in the kernel; the run fails, nothing is executed."""
    case = next(c for c in CASES if c.id == "set-value-is-code")
    study = _study(tmp_path, case)
    outputs = tmp_path / "outputs"
    shutil.copytree(good_outputs, outputs, symlinks=True)
    before = _tree(outputs)
    with pytest.raises(RunError) as info:
        run_study(study, only=["survey"], sets=[case.file], progress=None)
    assert "Notebook 10_survey failed" in str(info.value)
    assert "The last good report is still" in str(info.value)
    assert not list(tmp_path.rglob("PWNED"))
    after = _tree(outputs)
    kept = {k: v for k, v in before.items() if not k.endswith(".lock")}
    assert {k: v for k, v in after.items() if k in kept} == kept  # the good run untouched
    assert os.readlink(outputs / SLUG / "latest") == before[f"{SLUG}/latest"][3:]
