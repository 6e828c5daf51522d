"""Write the cases of the bad-input corpus that are not plain UTF-8 text.

Spreadsheets, SPSS files, Word documents and text in other encodings are built here so that
what each one holds is readable in one place; the files are committed next to the hand-written
text cases. Run from the repository root after changing a case::

    python tests/bad_inputs/make_cases.py

The cases themselves (which slot each file goes into and what voc must say about it) are listed
in ``tests/test_bad_inputs.py``.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent

HEADER = ["participant_id", "region", "nps", "csat", "comment"]
ROWS = [
    ["P01", "EMEA", 9, 4, "Search is slow"],
    ["P02", "APAC", 3, 2, "Pricing surprised us"],
    ["P03", "EMEA", 10, 5, "Great candidates"],
]


def _csv(rows: list[list[object]], delimiter: str = ",") -> str:
    return "".join(delimiter.join(str(c) for c in row) + "\n" for row in [HEADER, *rows])


def _bytes(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def _text_encodings() -> None:
    _bytes("survey/utf8_bom.csv", codecs.BOM_UTF8 + _csv(ROWS).encode())
    accented = [*ROWS[:2], ["P03", "EMEA", 10, 5, "Café prices and naïve support"]]
    _bytes("survey/cp1252.csv", _csv(accented).encode("cp1252"))
    # Excel's "Unicode text": UTF-16 with a byte-order mark, tab-delimited.
    _bytes("survey/utf16_tab.txt", _csv(ROWS, "\t").encode("utf-16"))
    _bytes("survey/utf16_no_bom.csv", _csv(ROWS).encode("utf-16-le"))
    broken = _csv(ROWS).encode().replace(b"Great candidates", b"Great \xc3\x28andidates")
    _bytes("survey/invalid_utf8.csv", broken)
    _bytes("survey/not_a_zip.xlsx", _csv(ROWS).encode())
    _bytes("survey/old_xls.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    _bytes("survey/not_spss.sav", _csv(ROWS).encode())
    dialogue = "Interviewer: How is search?\nP03: The café filters reset every time.\n"
    _bytes("transcripts/P03_cp1252.txt", dialogue.encode("cp1252"))
    _bytes("transcripts/P03_utf16.txt", dialogue.encode("utf-16"))
    codings = "source,segment_id,code,coder\nP01.txt,P01-002,search,René\n"
    _bytes("codings/cp1252.csv", codings.encode("cp1252"))
    _bytes("study/cp1252.yaml", "title: Étude\nsurvey:\n  file: data/survey.csv\n".encode("cp1252"))


def _xlsx(name: str, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    book.save(HERE / name)


def _workbooks() -> None:
    table = [HEADER, *ROWS]
    lookup = [["code", "label"], [1, "EMEA"], [2, "APAC"]]
    _xlsx("survey/hidden_sheet.xlsx", {"Responses": table, "Lookup": lookup}, hidden=("Lookup",))
    # openpyxl writes formulas without a cached value, like any program that does not calculate.
    formula = [HEADER, ROWS[0], ["P02", "APAC", "=C2-1", 2, "Pricing"]]
    _xlsx("survey/formula.xlsx", {"Responses": formula})
    _xlsx("survey/out_of_scale.xlsx", {"Responses": [*table, ["P04", "APAC", 12, 3, None]]})
    _xlsx("survey/empty_sheet.xlsx", {"Responses": []})


def _spss() -> None:
    import pyreadstat

    frame = pd.DataFrame(
        {
            "participant_id": ["P01", "P02", "P03", "P04"],
            "region": [1.0, 2.0, 7.0, 1.0],  # 7 has no label
            "nps": [9.0, 99.0, 98.0, 10.0],  # 99 is user-missing in the file, 98 is not
            "csat": [4.0, 2.0, 5.0, 3.0],
            "comment": ["Search is slow", "", "Great", "ok"],
        }
    )
    pyreadstat.write_sav(
        frame,
        HERE / "survey/codes.sav",
        variable_value_labels={
            "region": {1: "EMEA", 2: "APAC"},
            "nps": {
                0: "Not at all likely",
                10: "Extremely likely",
                98: "Refused",
                99: "Don't know",
            },
        },
        missing_ranges={"nps": [99]},
    )


def _docx() -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Interview with P03, 4 March")
    rows = [
        ("Speaker", "Text"),
        ("Interviewer", "How is search?"),
        ("P03", "Search is slow and the filters reset."),
        ("Interviewer", "And support?"),
        ("P03", "Support took a week to answer."),
    ]
    table = document.add_table(rows=len(rows), cols=2)
    for row, (speaker, text) in zip(table.rows, rows, strict=True):
        row.cells[0].text = speaker
        row.cells[1].text = text
    document.save(str(HERE / "transcripts/P03_dialogue_table.docx"))


def main() -> None:
    """Write every generated case file."""
    _text_encodings()
    _workbooks()
    _spss()
    _docx()


if __name__ == "__main__":
    main()
