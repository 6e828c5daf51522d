"""Survey readers (voc.io.survey): every format as it really arrives, and every bad input.

Each failure test asserts that the message names the file, the line or row and the column.
Files are generated inside the tests (openpyxl, pyreadstat, pandas); none is committed.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voc.errors import InputError, StudyError
from voc.io.survey import read_responses, read_survey_file
from voc.study import SurveySpec, load_study

from .conftest import write_study

COLUMNS = {
    "id": "participant_id",
    "nps": "nps",
    "segments": ["region"],
    "text": ["comment"],
}
COLUMNS_ROW = ["participant_id", "region", "nps", "comment"]
GOOD = (
    "participant_id,region,nps,comment\n"
    "007,EMEA,10,Great search\n"
    "NA,NA,3,\n"
    "009,APAC,,Slow support\n"
)


def spec_for(path: Path, columns: dict | None = None, **options) -> SurveySpec:
    return SurveySpec(file=path, columns=columns or COLUMNS, **options)


def write(folder: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / name
    data = content if isinstance(content, bytes) else content.encode(encoding)
    path.write_bytes(data)
    return path


def where(path: Path, *parts: str) -> str:
    """A regex matching ``<path>, part, part`` at the start of an error message."""
    return re.escape(", ".join([str(path), *parts]))


def check_good(responses: pd.DataFrame) -> None:
    assert responses["participant_id"].tolist() == ["007", "NA", "009"]
    assert responses["region"].tolist() == ["EMEA", "NA", "APAC"]  # "NA" is a country
    assert responses["comment"].tolist() == ["Great search", None, "Slow support"]
    assert responses["nps"].iloc[:2].tolist() == [10.0, 3.0]
    assert math.isnan(responses["nps"].iloc[2])


# --------------------------------------------------------------------------------------------
# CSV: encodings, delimiters, quoting
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_with_or_without_bom(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "s.csv", GOOD, encoding)
    responses = read_responses(spec_for(path))
    check_good(responses)
    assert responses.index.name == "line"
    assert responses.index.tolist() == [2, 3, 4]


def test_declared_cp1252(tmp_path: Path) -> None:
    text = "participant_id,region,nps,comment\n1,EMEA,9,Café prices in € are clear\n"
    path = write(tmp_path, "s.csv", text, "cp1252")
    responses = read_responses(spec_for(path, encoding="cp1252"))
    assert responses["comment"].tolist() == ["Café prices in € are clear"]


def test_undecodable_byte_names_line_offset_and_the_encoding_key(tmp_path: Path) -> None:
    text = "participant_id,region,nps,comment\n1,EMEA,9,ok\n2,EMEA,9,Café\n"
    path = write(tmp_path, "s.csv", text, "cp1252")
    offset = text.encode("cp1252").index("é".encode("cp1252"))
    with pytest.raises(InputError, match=where(path, "line 3")) as info:
        read_responses(spec_for(path))
    message = str(info.value)
    assert f"byte 0xe9 at byte offset {offset} cannot be decoded as utf-8" in message
    assert "'encoding: cp1252'" in message


def test_declared_encoding_is_not_a_fallback(tmp_path: Path) -> None:
    # 0x81 is undefined in Windows-1252: an error, not a guess.
    path = write(tmp_path, "s.csv", b"participant_id,nps\n1,9\n2,\x81\n")
    with pytest.raises(InputError, match=where(path, "line 3") + ".*cannot be decoded as cp1252"):
        read_responses(spec_for(path, {"id": "participant_id"}, encoding="cp1252"))


def test_unknown_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD)
    with pytest.raises(InputError, match="unknown encoding 'latin-9x'"):
        read_responses(spec_for(path, encoding="latin-9x"))


def test_utf16_unicode_text_export_is_tab_delimited(tmp_path: Path) -> None:
    path = write(tmp_path, "s.txt", GOOD.replace(",", "\t"), "utf-16")
    check_good(read_responses(spec_for(path)))


def test_utf16_without_bom_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD, "utf-16-le")
    with pytest.raises(InputError, match=where(path, "line 1") + ".*encoding: utf-16-le"):
        read_responses(spec_for(path))
    check_good(read_responses(spec_for(path, encoding="utf-16-le")))


def test_bom_contradicting_the_declared_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD, "utf-8-sig")
    with pytest.raises(InputError, match=r"utf-8 byte-order mark but survey.encoding is 'cp1252'"):
        read_responses(spec_for(path, encoding="cp1252"))
    check_good(read_responses(spec_for(path, encoding="utf-8")))


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_found_from_the_header(tmp_path: Path, delimiter: str) -> None:
    text = GOOD.replace(",", delimiter).replace("Great search", '"Great, search; really|"')
    path = write(tmp_path, "s.csv", text)
    responses = read_responses(spec_for(path))
    assert responses["comment"].iloc[0] == "Great, search; really|"


def test_ambiguous_delimiter_must_be_declared(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "participant_id;nps,x\n1;9,2\n")
    with pytest.raises(InputError, match=where(path, "line 1") + ".*1 ',' and 1 ';'"):
        read_responses(spec_for(path, {"id": "participant_id"}))
    frame = read_survey_file(spec_for(path, {"id": "participant_id"}, delimiter=";"))
    assert frame.columns.tolist() == ["participant_id", "nps,x"]


def test_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    text = "participant_id;nps;weight\n1;9;1,5\n2;7;0,75\n"
    path = write(tmp_path, "s.csv", text)
    columns = {"id": "participant_id", "nps": "nps", "weight": "weight"}
    responses = read_responses(spec_for(path, columns, decimal=","))
    assert responses["weight"].tolist() == [1.5, 0.75]
    # With decimal commas a point is a thousands separator or a typo: never silently 1.234.
    path = write(tmp_path, "t.csv", text + "3;8;1.234\n")
    with pytest.raises(
        InputError, match=where(path, "line 4", "column 'weight'") + ".*decimal comma"
    ):
        read_responses(spec_for(path, columns, decimal=","))


def test_quoted_newlines_and_lone_cr_are_kept_and_lines_stay_true(tmp_path: Path) -> None:
    text = (
        "participant_id,nps,comment\r\n"
        '1,9,"two\r\nlines and a lone\rreturn"\r\n'
        '2,8,"""quoted"", with a comma"\r\n'
        "3,11,ok\r\n"
    )
    path = write(tmp_path, "s.csv", text)
    columns = {"id": "participant_id", "text": ["comment"]}
    responses = read_responses(spec_for(path, columns))
    assert responses["comment"].tolist() == [
        "two\r\nlines and a lone\rreturn",
        '"quoted", with a comma',
        "ok",
    ]
    assert responses.index.tolist() == [2, 4, 5]  # record 1 spans lines 2-3
    with pytest.raises(InputError, match=where(path, "line 5", "column 'nps'")):
        read_responses(spec_for(path, {**columns, "nps": "nps"}))


def test_old_mac_line_endings(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD.replace("\n", "\r"))
    check_good(read_responses(spec_for(path)))
    path = write(tmp_path, "t.csv", GOOD.replace("\n", "\r", 1))  # one lone CR, then LFs
    with pytest.raises(InputError, match=where(path, "line 1") + ".*mixes line endings"):
        read_responses(spec_for(path))


def test_unclosed_quote_names_the_line_it_opens_on(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", 'participant_id,comment\n1,ok\n2,"never closed\n3,x\n')
    with pytest.raises(InputError, match=where(path, "line 3") + ".*never closed"):
        read_responses(spec_for(path, {"id": "participant_id"}))


def test_text_after_a_closing_quote(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", 'participant_id,comment\n1,"a"b\n')
    with pytest.raises(InputError, match=where(path, "line 2") + ".*closing quote"):
        read_responses(spec_for(path, {"id": "participant_id"}))


@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff", "  \r\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, "s.csv", content)
    with pytest.raises(InputError, match=where(path) + ": the file is empty"):
        read_responses(spec_for(path))


def test_header_only_file(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "participant_id,region,nps,comment\n,,,\n")
    with pytest.raises(InputError, match=where(path, "line 1") + ": the file has a header but no"):
        read_responses(spec_for(path))


def test_ragged_rows_name_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD + "010,EMEA,7,too,many\n011,EMEA\n")
    with pytest.raises(InputError, match=where(path, "line 5", "column 'comment'")) as info:
        read_responses(spec_for(path))
    assert "found 5 fields but the header has 4" in str(info.value)
    assert "2 such lines: 5, 6" in str(info.value)
    path = write(tmp_path, "t.csv", GOOD + "011,EMEA\n")
    with pytest.raises(InputError, match=where(path, "line 5", "column 'nps'")):
        read_responses(spec_for(path))


def test_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD.replace("\nNA", "\n,,,\n\nNA") + "\n\n")
    responses = read_responses(spec_for(path))
    assert responses["participant_id"].tolist() == ["007", "NA", "009"]
    assert responses.index.tolist() == [2, 5, 6]


def test_blank_header_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "participant_id,,nps,\n1,x,9,\n2,,8,\n")
    frame = read_survey_file(spec_for(path, {"id": "participant_id"}))
    assert frame.columns.tolist() == ["participant_id", "column_2", "nps"]


# --------------------------------------------------------------------------------------------
# Headers and columns
# --------------------------------------------------------------------------------------------


WIDE = (
    "participant_id,Q1 ease,Comments,Q2 support,Comments,Comments_2\n1,4,slow,5,,x\n2,3,,2,rude,y\n"
)


def test_duplicate_headers_name_both_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", WIDE)
    with pytest.raises(InputError, match=where(path, "line 1", "column 'Comments'")) as info:
        read_responses(spec_for(path, {"id": "participant_id"}))
    assert "column 3 and column 5 are both named 'Comments'" in str(info.value)
    assert "duplicate_headers: rename" in str(info.value)


def test_duplicate_headers_renamed_when_declared(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", WIDE)
    columns = {"id": "participant_id", "text": ["Comments", "Comments_3"]}
    frame = read_survey_file(spec_for(path, columns, duplicate_headers="rename"))
    # The second "Comments" cannot become Comments_2: the file has a column of that name.
    assert frame.columns.tolist() == [
        "participant_id",
        "Q1 ease",
        "Comments",
        "Q2 support",
        "Comments_3",
        "Comments_2",
    ]
    responses = read_responses(spec_for(path, columns, duplicate_headers="rename"))
    assert responses["Comments_3"].tolist() == [None, "rude"]


def test_misspelled_column_with_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD.replace("region", "Region "))
    with pytest.raises(InputError, match=where(path, "line 1", "column 'region'")) as info:
        read_responses(spec_for(path))
    assert "declared in study.yaml (survey.columns.segments) is not in the file" in str(info.value)
    assert "Did you mean 'Region '?" in str(info.value)


def test_several_missing_columns_are_all_listed(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "participant_id,x\n1,2\n")
    with pytest.raises(StudyError) as info:
        read_responses(spec_for(path))
    assert [p.column for p in info.value.problems] == ["nps", "region", "comment"]


def test_duplicate_ids_list_their_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD + "007,APAC,5,again\n")
    with pytest.raises(InputError, match=where(path, "line 2", "column 'participant_id'")) as info:
        read_responses(spec_for(path))
    assert "duplicate participant id '007' on lines 2, 5" in str(info.value)


def test_blank_id(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD + " ,APAC,5,x\n")
    with pytest.raises(InputError, match=where(path, "line 5", "column 'participant_id'")):
        read_responses(spec_for(path))


SCALES = {
    "id": "participant_id",
    "nps": "nps",
    "csat": {"column": "csat", "scale": [1, 5]},
    "ces": {"column": "ces", "scale": [1, 7]},
    "likert": {"scale": [1, 5], "items": ["ease"]},
}


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("nps", "11", "NPS: a whole number from 0 to 10"),
        ("nps", "7.5", "NPS: a whole number from 0 to 10"),
        ("nps", "-1", "NPS: a whole number from 0 to 10"),
        ("nps", "nine", "a number or a blank"),
        ("csat", "6", "CSAT: a whole number from 1 to 5"),
        ("ces", "0", "CES: a whole number from 1 to 7"),
        ("ease", "9", "Likert item: a whole number from 1 to 5"),
    ],
)
def test_values_outside_the_declared_scale(
    tmp_path: Path, column: str, value: str, expected: str
) -> None:
    row = {"participant_id": "2", "nps": "9", "csat": "4", "ces": "3", "ease": "2"}
    row[column] = value
    text = "participant_id,nps,csat,ces,ease\n1,10,5,7,5\n" + ",".join(row.values()) + "\n"
    path = write(tmp_path, "s.csv", text)
    with pytest.raises(InputError, match=where(path, "line 3", f"column '{column}'")) as info:
        read_responses(spec_for(path, SCALES))
    assert f"found {value!r}; expected {expected}" in str(info.value)


def test_missing_codes_and_na(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD + "010,NA,99,NA\n")
    with pytest.raises(InputError, match=where(path, "line 5", "column 'nps'") + ".*'missing:'"):
        read_responses(spec_for(path))
    path = write(tmp_path, "s.csv", GOOD + "010,NA,99,NA\n011,EMEA,Don't know,x\n")
    with pytest.raises(InputError, match=where(path, "line 6", "column 'nps'") + ".*'missing:'"):
        read_responses(spec_for(path, missing=[99]))
    responses = read_responses(spec_for(path, missing=[99, "Don't know", "NA"]))
    assert responses["participant_id"].tolist() == ["007", "NA", "009", "010", "011"]  # ids never
    assert responses["region"].tolist() == ["EMEA", None, "APAC", None, "EMEA"]
    assert responses["nps"].isna().tolist() == [False, False, True, True, True]
    assert responses["comment"].tolist() == ["Great search", None, "Slow support", None, "x"]


def test_free_text_is_never_quoted_in_a_message(tmp_path: Path) -> None:
    secret = "Call me on +44 20 7946 0000, Jane Doe"
    path = write(tmp_path, "s.csv", f'participant_id,answer\n1,5\n2,"{secret}"\n')
    columns = {"id": "participant_id", "csat": "answer", "text": ["answer"]}
    with pytest.raises(InputError, match=where(path, "line 3", "column 'answer'")) as info:
        read_responses(spec_for(path, columns))
    assert f"found a value of {len(secret)} characters" in str(info.value)
    assert "Jane" not in str(info.value)


# --------------------------------------------------------------------------------------------
# Platform exports
# --------------------------------------------------------------------------------------------


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


QUALTRICS = csv_text(
    [
        ["StartDate", "ResponseId", "Q1", "Q2_TEXT"],
        ["Start Date", "Response ID", "How likely are you to recommend us?\n0-10", "Why?"],
        [
            '{"ImportId":"startDate","timeZone":"Europe/London"}',
            '{"ImportId":"_recordId"}',
            '{"ImportId":"QID1"}',
            '{"ImportId":"QID2_TEXT"}',
        ],
        ["2024-03-04 10:00:00", "R_007", "9", "Fast,\nfriendly"],
        ["2024-03-04 11:00:00", "R_008", "12", ""],
    ]
)
Q_COLUMNS = {"id": "ResponseId", "nps": "Q1", "text": ["Q2_TEXT"]}


def test_qualtrics_drops_two_header_lines_and_keeps_true_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", QUALTRICS.replace("12", "10"))
    responses = read_responses(spec_for(path, Q_COLUMNS, format="qualtrics"))
    assert responses["participant_id"].tolist() == ["R_007", "R_008"]
    assert responses["Q2_TEXT"].tolist() == ["Fast,\nfriendly", None]
    assert responses.index.tolist() == [5, 7]
    path = write(tmp_path, "t.csv", QUALTRICS)
    with pytest.raises(InputError, match=where(path, "line 7", "column 'Q1'")):
        read_responses(spec_for(path, Q_COLUMNS, format="qualtrics"))


def test_qualtrics_third_line_must_hold_import_ids(tmp_path: Path) -> None:
    legacy = "V1,Q1,Q2_TEXT\nResponse ID,Recommend?,Why?\nR_1,9,My manager Jane Doe said so\n"
    path = write(tmp_path, "s.csv", legacy)
    columns = {"id": "V1", "nps": "Q1", "text": ["Q2_TEXT"]}
    with pytest.raises(InputError, match=where(path, "line 3", "column 'V1'")) as info:
        read_responses(spec_for(path, columns, format="qualtrics"))
    assert "expected Qualtrics' third header line of ImportIds" in str(info.value)
    # The first cell of a legacy export's third line is an id; a free-text cell is masked.
    ids = '"{""ImportId"":""a""}","{""ImportId"":""b""}",'
    path = write(tmp_path, "t.csv", legacy.replace("R_1,9,", ids))
    with pytest.raises(InputError, match=where(path, "line 3", "column 'Q2_TEXT'")) as info:
        read_responses(spec_for(path, columns, format="qualtrics"))
    assert "found a value of 27 characters" in str(info.value)  # never the text


def test_a_qualtrics_export_read_as_plain_csv_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", QUALTRICS)
    with pytest.raises(InputError, match=where(path, "line 4") + ".*'format: qualtrics'"):
        read_responses(spec_for(path, Q_COLUMNS))


def test_qualtrics_xlsx_export(tmp_path: Path) -> None:
    records = list(csv.reader(io.StringIO(QUALTRICS.replace("12", "10"))))
    path = xlsx(tmp_path, {"Sheet1": records})
    responses = read_responses(spec_for(path, Q_COLUMNS, format="qualtrics"))
    assert responses["participant_id"].tolist() == ["R_007", "R_008"]
    assert responses.index.tolist() == [4, 5]  # spreadsheet rows


SURVEYMONKEY = (
    "Respondent ID,How likely are you to recommend us?,,Which features do you use?,\n"
    ",Response,Open-Ended Response,Search,Integrations\n"
    "1001,9,Great,Search,\n"
    "1002,6,,,Integrations\n"
)


def test_surveymonkey_second_header_row(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", SURVEYMONKEY)
    frame = read_survey_file(spec_for(path, {"id": "Respondent ID"}, header_rows=2))
    assert frame.columns.tolist() == [
        "Respondent ID",
        "How likely are you to recommend us?",
        "How likely are you to recommend us? - Open-Ended Response",
        "Which features do you use? - Search",
        "Which features do you use? - Integrations",
    ]
    assert frame.index.tolist() == [3, 4]
    with pytest.raises(InputError, match=where(path, "line 2") + ".*'header_rows: 2'"):
        read_survey_file(spec_for(path, {"id": "Respondent ID"}))


# --------------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------------


def xlsx(folder: Path, sheets: dict[str, list[list]], hidden=(), name="s.xlsx") -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    path = folder / name
    book.save(path)
    return path


def test_xlsx_named_sheet_rows_ids_and_dates(tmp_path: Path) -> None:
    import datetime as dt

    rows = [
        ["participant_id", "region", "nps", "comment", "date"],
        ["007", "EMEA", 10, "Great search", dt.datetime(2024, 3, 4)],
        ["NA", "NA", 3, None, dt.datetime(2024, 3, 5, 14, 30)],
        [9, "APAC", None, "Slow support", None],
    ]
    path = xlsx(tmp_path, {"Notes": [["x"]], "Responses": rows})
    responses = read_responses(spec_for(path, {**COLUMNS, "date": "date"}, sheet="Responses"))
    assert responses["participant_id"].tolist() == ["007", "NA", "9"]
    assert responses["date"].tolist() == ["2024-03-04", "2024-03-05T14:30:00", None]
    assert responses.index.name == "row" and responses.index.tolist() == [2, 3, 4]
    rows[3][2] = 11
    path = xlsx(tmp_path, {"Responses": rows}, name="t.xlsx")
    with pytest.raises(InputError, match=where(path, "row 4", "column 'nps'")):
        read_responses(spec_for(path))  # one sheet: no need to name it


def test_xlsx_unknown_sheet_lists_sheets_and_says_which_are_hidden(tmp_path: Path) -> None:
    path = xlsx(tmp_path, {"Data": [["participant_id"], [1]], "Lookup": [["x"]]}, hidden={"Lookup"})
    with pytest.raises(InputError, match=where(path) + ": no sheet 'data'") as info:
        read_responses(spec_for(path, sheet="data"))
    assert "Did you mean 'Data'?" in str(info.value)
    assert "Sheets in the workbook: 'Data', 'Lookup' (hidden)" in str(info.value)
    with pytest.raises(InputError, match=r"the workbook has 2 sheets .*declare the one"):
        read_responses(spec_for(path))


def test_xlsx_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = write(tmp_path, "s.xlsx", GOOD)
    with pytest.raises(InputError, match=where(path) + ": not an .xlsx workbook"):
        read_responses(spec_for(path))
    path = write(tmp_path, "t.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(InputError, match=r"old .xls workbook or a password-protected"):
        read_responses(spec_for(path))


def test_xlsx_empty_and_header_only_sheets(tmp_path: Path) -> None:
    path = xlsx(tmp_path, {"Data": []})
    with pytest.raises(InputError, match=where(path) + ": the sheet is empty"):
        read_responses(spec_for(path))
    path = xlsx(tmp_path, {"Data": [[None], COLUMNS_ROW, [None, None]]}, name="t.xlsx")
    with pytest.raises(InputError, match=where(path, "row 2") + ": the file has a header but no"):
        read_responses(spec_for(path))


def test_xlsx_surveymonkey_export(tmp_path: Path) -> None:
    records = list(csv.reader(io.StringIO(SURVEYMONKEY)))
    path = xlsx(tmp_path, {"Sheet": [[c or None for c in r] for r in records]})
    columns = {"id": "Respondent ID", "nps": "How likely are you to recommend us?"}
    responses = read_responses(spec_for(path, columns, header_rows=2))
    assert responses["participant_id"].tolist() == ["1001", "1002"]
    assert responses["How likely are you to recommend us?"].tolist() == [9.0, 6.0]
    assert responses.index.tolist() == [3, 4]


def test_xlsx_formula_without_a_cached_value(tmp_path: Path) -> None:
    rows = [["participant_id", "nps"], ["1", 9], ["2", "=B2-1"]]
    path = xlsx(tmp_path, {"Data": rows})  # openpyxl never calculates: no cached value
    with pytest.raises(InputError, match=where(path, "row 3", "column 'nps'")) as info:
        read_responses(spec_for(path, {"id": "participant_id", "nps": "nps"}))
    assert "cell B3 holds the formula '=B2-1' but no calculated value" in str(info.value)


def test_options_that_do_not_apply_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", GOOD)
    with pytest.raises(InputError, match=r"survey.sheet does not apply to a text"):
        read_responses(spec_for(path, sheet="Data"))
    table = tmp_path / "s.parquet"
    pd.DataFrame({"participant_id": ["1"]}).to_parquet(table)
    with pytest.raises(InputError, match=r"survey.header_rows does not apply"):
        read_responses(spec_for(table, {"id": "participant_id"}, header_rows=2))


def test_unknown_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "s.xls", b"")
    with pytest.raises(InputError, match=r"cannot tell the format.*old .xls"):
        read_responses(spec_for(path))


# --------------------------------------------------------------------------------------------
# SPSS and Parquet
# --------------------------------------------------------------------------------------------


def sav(folder: Path, name: str = "s.sav") -> Path:
    import pyreadstat

    frame = pd.DataFrame(
        {
            "pid": [7.0, 8.0, 9.0, 10.0],
            "region": [1.0, 2.0, 7.0, 9.0],
            "nps": [10.0, 99.0, 0.0, 98.0],
            "csat": [5.0, 1.0, np.nan, 2.0],
            "comment": ["Great", "", "NA", "ok"],
        }
    )
    path = folder / name
    pyreadstat.write_sav(
        frame,
        path,
        variable_value_labels={
            "region": {1: "EMEA", 2: "APAC", 9: "Refused"},
            "nps": {0: "Not at all likely", 10: "Extremely likely", 98: "Refused"},
            "csat": {1: "Very dissatisfied", 5: "Very satisfied"},
        },
        missing_ranges={"nps": [99], "region": [9]},
        variable_format={"pid": "N3"},
    )
    return path


SAV_COLUMNS = {
    "id": "pid",
    "nps": "nps",
    "csat": "csat",
    "segments": ["region"],
    "text": ["comment"],
}


def test_sav_labels_user_missing_and_codes(tmp_path: Path) -> None:
    path = sav(tmp_path)
    responses = read_responses(spec_for(path, SAV_COLUMNS, missing=[98]))
    assert responses["participant_id"].tolist() == ["007", "008", "009", "010"]  # N3 format
    # Labels for segments; an unlabelled code (7) stays its code; 9 is user-missing.
    assert responses["region"].tolist() == ["EMEA", "APAC", "7", None]
    # Scores keep their codes; 99 (user-missing in the file) and 98 (study) are never averaged.
    assert responses["nps"].tolist()[::2] == [10.0, 0.0]
    assert responses["nps"].mean() == 5.0
    assert responses["csat"].tolist()[:2] == [5.0, 1.0]
    assert responses["comment"].tolist() == ["Great", None, "NA", "ok"]
    assert responses.index.name == "row" and responses.index.tolist() == [1, 2, 3, 4]


def test_sav_out_of_scale_code_shows_its_label(tmp_path: Path) -> None:
    path = sav(tmp_path)
    with pytest.raises(InputError, match=where(path, "row 4", "column 'nps'")) as info:
        read_responses(spec_for(path, SAV_COLUMNS))
    assert "found '98' (labelled 'Refused'); expected NPS" in str(info.value)
    assert "belongs under 'missing:'" in str(info.value)


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    pd.DataFrame(
        {
            "participant_id": ["007", "NA", "009"],
            "region": pd.Categorical(["EMEA", "NA", "APAC"]),
            "nps": [10, 3, None],
            "comment": ["Great search", None, "Slow support"],
        }
    ).to_parquet(path)
    check_good(read_responses(spec_for(path)))
    numbers = tmp_path / "n.parquet"
    pd.DataFrame({"participant_id": [7, 8], "nps": [11, 2]}).to_parquet(numbers)
    with pytest.raises(InputError, match=where(numbers, "row 1", "column 'nps'")):
        read_responses(spec_for(numbers, {"id": "participant_id", "nps": "nps"}))


@pytest.mark.parametrize("suffix", [".sav", ".parquet"])
def test_binary_formats_that_are_not_what_they_say(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path, f"s{suffix}", GOOD)
    with pytest.raises(InputError, match=where(path) + ": not a readable"):
        read_responses(spec_for(path))


def test_missing_file_suggests_a_neighbour(tmp_path: Path) -> None:
    write(tmp_path, "survey.csv", GOOD)
    with pytest.raises(
        InputError, match=re.escape("survey file not found. Did you mean 'survey.csv'?")
    ):
        read_responses(spec_for(tmp_path / "survy.csv"))


# --------------------------------------------------------------------------------------------
# Raw files are never written
# --------------------------------------------------------------------------------------------


def _every_format(folder: Path) -> list[tuple[Path, dict]]:
    parquet = folder / "s.parquet"
    pd.DataFrame({"participant_id": ["1", "2"], "nps": [9, 3]}).to_parquet(parquet)
    rows = [["participant_id", "nps"], ["1", 9], ["2", 3]]
    return [
        (write(folder, "s.csv", "participant_id;nps\n1;9\n2;3\n"), {}),
        (write(folder, "u.txt", "participant_id\tnps\n1\t9\n", "utf-16"), {}),
        (write(folder, "q.csv", QUALTRICS.replace("12", "10")), {"format": "qualtrics"}),
        (xlsx(folder, {"Data": rows}), {}),
        (sav(folder), {}),
        (parquet, {}),
    ]


def test_readers_leave_raw_files_untouched(tmp_path: Path) -> None:
    for path, options in _every_format(tmp_path):
        columns = (
            Q_COLUMNS if options else {"id": "pid" if path.suffix == ".sav" else "participant_id"}
        )
        old = os.stat(path, follow_symlinks=False)
        os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns - 10**9))  # a past mtime
        path.chmod(0o444)
        before, stat = path.read_bytes(), path.stat()
        read_responses(spec_for(path, columns, **options))
        read_survey_file(spec_for(path, columns, **options))
        assert path.read_bytes() == before, path
        assert path.stat().st_mtime_ns == stat.st_mtime_ns, path


# --------------------------------------------------------------------------------------------
# study.yaml keys added for the readers
# --------------------------------------------------------------------------------------------


def _survey_yaml(extra: str) -> str:
    return (
        "title: T\nsurvey:\n  file: data/s.csv\n"
        f"{extra}"
        "  columns: {id: participant_id, text: [Comments, Comments_2]}\n"
    )


def test_study_yaml_header_rows_and_duplicate_headers(tmp_path: Path) -> None:
    text = "participant_id,Comments,Comments\n,Response,Response\n1,a,b\n"
    folder = write_study(
        tmp_path / "s",
        _survey_yaml("  header_rows: 2\n  duplicate_headers: rename\n"),
        {"data/s.csv": text},
    )
    study = load_study(folder)
    assert study.survey.header_rows == 2 and study.survey.duplicate_headers == "rename"
    responses = read_responses(study.survey)
    assert responses[["Comments", "Comments_2"]].iloc[0].tolist() == ["a", "b"]


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ("  header_rows: 0\n", "survey.header_rows", "greater than or equal to 1"),
        ("  duplicate_headers: keep\n", "survey.duplicate_headers", "'error' or 'rename'"),
        ("  decimal: ';'\n", "survey.decimal", "'.' or ','"),
        ("  delimiter: ';;'\n", "survey.delimiter", "one character or 'tab'"),
    ],
)
def test_study_yaml_rejects_bad_reader_options(
    tmp_path: Path, extra: str, key: str, message: str
) -> None:
    with pytest.raises(StudyError, match=message) as info:
        load_study(write_study(tmp_path / "s", _survey_yaml(extra)))
    assert info.value.problems[0].key == key
    assert info.value.problems[0].line == 4


@pytest.mark.parametrize("written", ["tab", '"\\t"', "'\t'"])
def test_study_yaml_tab_delimiter(tmp_path: Path, written: str) -> None:
    folder = write_study(
        tmp_path / "s",
        _survey_yaml(f"  delimiter: {written}\n"),
        {"data/s.csv": "participant_id\tComments\tComments_2\n1\ta,b\tc;d\n"},
    )
    study = load_study(folder)
    assert study.survey.delimiter == "\t"
    assert read_responses(study.survey)["Comments"].tolist() == ["a,b"]


# --------------------------------------------------------------------------------------------
# Round trip of awkward text through the csv module
# --------------------------------------------------------------------------------------------

AWKWARD = st.sampled_from(
    [
        '"',
        '""',
        "a\nb",
        "\r",
        "a\rb",
        "\r\n",
        "😀👍🏽",
        "שלום, עולם",
        "مرحبا",
        "=1+2",
        '=HYPERLINK("x")',
        "NA",
        "007",
        " lead",
        "trail ",
        ",;|\t",
        "",
        "   ",
    ]
)
CELL = st.one_of(
    AWKWARD,
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=20),
    st.lists(AWKWARD, max_size=4).map("".join),
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cells=st.lists(st.lists(CELL, min_size=2, max_size=2), min_size=1, max_size=8),
    dialect=st.sampled_from([(",", "utf-8"), (";", "utf-8-sig"), ("\t", "utf-16"), ("|", "utf-8")]),
)
def test_text_cells_round_trip(tmp_path: Path, cells: list[list[str]], dialect) -> None:
    delimiter, encoding = dialect
    ids = ["007", "NA", *[f"{i:03d}" for i in range(len(cells))]][: len(cells)]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["participant_id", "c0", "c1"])
    writer.writerows([pid, *row] for pid, row in zip(ids, cells, strict=True))
    path = write(tmp_path, "roundtrip.csv", buffer.getvalue(), encoding)
    responses = read_responses(spec_for(path, {"id": "participant_id", "text": ["c0", "c1"]}))
    assert responses["participant_id"].tolist() == ids
    expected = [[None if not c.strip() else c for c in row] for row in cells]
    assert responses[["c0", "c1"]].to_numpy().tolist() == expected


def test_a_large_export_reads_as_pandas_reads_it(tmp_path: Path) -> None:
    """Oracle: pandas.read_csv of the same file, every cell as text, stripped and blanked by hand.

    50,000 rows with padded ids and segments, blanks, a declared missing code and comments
    with their own spaces: the vectorised checks must give what a cell-by-cell read gives.
    """
    rng = np.random.default_rng(5)
    n = 50_000
    regions = np.array(["EMEA", " APAC", "LATAM ", "", "NA", "99"])
    frame = pd.DataFrame(
        {
            "participant_id": [f" P{i:06d}" if i % 7 == 0 else f"P{i:06d}" for i in range(n)],
            "region": regions[rng.integers(0, len(regions), n)],
            "nps": np.where(rng.random(n) < 0.1, "", rng.integers(0, 11, n).astype(str)),
            "comment": np.where(
                rng.random(n) < 0.2, "", "  slow support, " + np.arange(n).astype(str)
            ),
        }
    )
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    responses = read_responses(spec_for(path, missing=["99"]))

    oracle = pd.read_csv(path, dtype=str, keep_default_na=False)
    region = oracle["region"].str.strip()
    assert len(responses) == n and responses.index.tolist()[:2] == [2, 3]
    assert responses["participant_id"].tolist() == oracle["participant_id"].str.strip().tolist()
    assert responses["region"].tolist() == [None if r in ("", "99") else r for r in region]
    nps = pd.to_numeric(oracle["nps"].replace("", None)).astype("float64")
    pd.testing.assert_series_equal(responses["nps"].reset_index(drop=True), nps, check_names=False)
    assert responses["comment"].tolist() == [c or None for c in oracle["comment"]]
    assert responses["comment"].dtype == object and responses["region"].dtype == object


def test_a_second_read_of_the_same_bytes_is_not_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook reads its survey several times: the same file and spec are parsed once, each
    read gets its own copy, and a file whose bytes changed (same size) is read afresh."""
    import voc.io.survey as survey_io

    path = write(tmp_path, "s.csv", GOOD)
    first = read_responses(spec_for(path))
    first.loc[first.index[0], "region"] = "changed by the caller"

    def no_parsing(spec: SurveySpec) -> None:
        raise AssertionError("the file was parsed again")

    monkeypatch.setattr(survey_io, "load_survey", no_parsing)
    check_good(read_responses(spec_for(path)))  # a copy: the caller's change is not in it
    with pytest.raises(AssertionError, match="parsed again"):
        read_responses(spec_for(path, missing=["NA"]))  # another spec
    write(tmp_path, "s.csv", GOOD.replace("Great", "Grand"))
    with pytest.raises(AssertionError, match="parsed again"):
        read_responses(spec_for(path))
    monkeypatch.undo()
    assert read_responses(spec_for(path))["comment"].iloc[0] == "Grand search"
