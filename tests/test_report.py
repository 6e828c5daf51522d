"""voc.report: presentation escapes text, hides small bases and never reaches the network."""

from __future__ import annotations

import pandas as pd

from voc import report, survey

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def test_tables_escape_cells_headers_and_captions() -> None:
    frame = pd.DataFrame({HOSTILE: [HOSTILE], "n": [3]})
    html = report.table(frame, caption=HOSTILE)._repr_html_()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_markdown_refuses_javascript_links_raw_html_and_remote_images() -> None:
    html = report.markdown_to_html(
        "[click](javascript:alert(1)) <b>raw</b> ![logo](https://example.com/x.png)"
    )
    assert 'href="javascript' not in html
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "<img" not in html and "[image: logo — https://example.com/x.png]" in html


def test_pages_forbid_scripts_and_requests() -> None:
    page = report.page("T", "<p>x</p>")
    assert "default-src 'none'" in page and "img-src data:" in page
    assert "<script" not in page


def test_nps_table_flags_small_bases_and_hides_tiny_ones() -> None:
    data = pd.DataFrame(
        {"ltr": [10] * 40 + [0] * 10 + [9, 3], "g": ["a"] * 40 + ["b"] * 10 + ["c"] * 2}
    )
    html = report.nps_table(
        survey.nps(data, "ltr", by="g"), min_base=30, suppress_below=5
    )._repr_html_()
    assert "10 †" in html and "40 †" not in html
    row_c = html.split("<td>c</td>", 1)[1].split("</tr>", 1)[0]
    assert "100.0" not in row_c and "-" not in row_c.replace("<td>2 †</td>", "")
    assert "estimates hidden for bases below 5" in html


def test_crosstab_hides_columns_below_the_suppression_base() -> None:
    data = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 3, "v": ["x", "y"] * 20 + ["x", "y", "x"]})
    html = report.crosstab_table(survey.crosstab(data, "v", "g"), caption="t")._repr_html_()
    assert "hidden (b)" in html
    assert "66.7%" not in html  # b's share of x (2/3) is not shown


def test_quotes_are_escaped_and_keep_every_word() -> None:
    quotes = pd.DataFrame(
        {
            "code": ["c"],
            "participant_id": ["P1"],
            "source": ["P1.txt"],
            "segment_id": ["P1-001"],
            "start": [0],
            "end": [10],
            "t_start": [65.0],
            "text": [f"It said {HOSTILE} and more words"],
        }
    )
    html = report.quotes(quotes)._repr_html_()
    assert "<script>" not in html
    assert "and more words" in html and "at 1:05" in html


def test_a_long_table_shows_its_first_rows_and_says_where_the_rest_is(tmp_path) -> None:
    from voc.io import save_table

    n = report.MAX_TABLE_ROWS + 50
    frame = pd.DataFrame({"participant_id": [f"R{i:05d}" for i in range(n)], "nps": range(n)})
    save_table(frame, "respondents", tmp_path)
    html = report.table(frame, caption="Every respondent")._repr_html_()
    assert html.count("<tr") == report.MAX_TABLE_ROWS + 1  # the header row and the rows shown
    last_shown = f"R{report.MAX_TABLE_ROWS - 1:05d}"
    assert last_shown in html and f"R{report.MAX_TABLE_ROWS:05d}" not in html
    assert f"First 100 of {n} rows; the full table is in tables/respondents.csv." in html
    assert len(pd.read_csv(tmp_path / "tables" / "respondents.csv")) == n  # nothing was cut there
    assert len(frame) == n  # the frame shown is not changed


def test_a_short_table_has_no_row_note_and_an_unsaved_long_one_says_rows_are_left_out() -> None:
    short = report.table(pd.DataFrame({"n": range(report.MAX_TABLE_ROWS)}))._repr_html_()
    assert short.count("<tr") == report.MAX_TABLE_ROWS + 1 and "First " not in short
    long = report.table(pd.DataFrame({"n": range(5_000)}))._repr_html_()
    assert "First 100 of 5,000 rows; the other rows are not shown." in long
    assert len(long) < 20_000  # a 5,000-row frame does not make a 5,000-row page
