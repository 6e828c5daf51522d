"""Hostile text in every input of a study: the report shows it as text, the CSVs keep it inert.

One real run of ``voc.datasets.hostile`` (markup, scripts, ``javascript:`` links, remote
images, spreadsheet formulas, a 10,000- and a 1,000,000-character word in comments, turns,
file names, column headers, segment values, code and coder names) is inspected three ways:
parsed HTML (no element or attribute comes from the data, the text is there verbatim, long
text is cut with a visible marker), the CSV tables (formulas neutralised, numbers intact) and a
real browser with the network blocked (no dialog, no request, no ``javascript:`` URL).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from voc import report
from voc.datasets import hostile
from voc.io.files import neutralise_formulas

from ._browser import launch, open_page

PAGES = ["10_survey.html", "20_interviews.html", "30_topics.html", "40_mixed.html", "index.html"]
# Tags the renderer writes. Data can add none: <b>, <i>, <script>, <svg>, <iframe>, <link> ...
# from the payloads would show up here.
RENDERER_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "nav", "main", "section",
    "footer", "div", "span", "p", "h1", "h2", "h3", "h4", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
    "br", "hr", "small", "sup", "sub",
}  # fmt: skip
ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "class", "href", "src", "alt",
              "aria-current", "rel", "id", "style"}  # fmt: skip
ANCHOR = re.compile(r"[a-z0-9-]+")
MARKER = re.compile(r"… \[[\d,]+ more characters not shown\]")
WORD = re.compile(r"h?zzzz[a-z0-9]+")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class _Page(HTMLParser):
    """Elements, attributes, text and quotes of a page, as a browser's parser sees them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.comments: list[str] = []
        self.quotes: list[str] = []
        self._quote: list[str] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "blockquote":
            self._quote = []
        elif tag == "footer" and self._quote is not None:
            self.quotes.append("".join(self._quote))
            self._quote = None

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.chunks.append(data)
        if self._quote is not None:
            self._quote.append(data)

    def handle_comment(self, data):
        self.comments.append(data)

    def unknown_decl(self, data):
        self.comments.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory):
    """One real run of the hostile study (every notebook)."""
    from voc.run import run_study

    root = tmp_path_factory.mktemp("hostile_run")
    study = hostile.write_hostile_study(root / "studies" / "hostile")
    return run_study(study, progress=None)


@pytest.fixture(scope="module")
def pages(hostile_run) -> dict[str, tuple[str, _Page]]:
    folder = hostile_run.run_dir / "report"
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(PAGES)
    out = {}
    for name in PAGES:
        html = (folder / name).read_text(encoding="utf-8")
        out[name] = (html, _Page(html))
    return out


# ------------------------------------------------------------------------------------------
# The generator
# ------------------------------------------------------------------------------------------


def test_the_hostile_study_is_seeded_and_every_file_name_is_kept(tmp_path: Path) -> None:
    first = hostile.write_hostile_study(tmp_path / "a")
    second = hostile.write_hostile_study(tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    names = sorted(p.name for p in (first / "data" / "transcripts").iterdir())
    assert names == sorted(hostile.TRANSCRIPT_NAMES)
    assert any("<script>" in n for n in names) and any('"' in n and "'" in n for n in names)
    with open(first / "data" / "survey.csv", encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert hostile.SEGMENT_COLUMN in header and hostile.COMMENT_COLUMN in header
    comments = [row[header.index(hostile.COMMENT_COLUMN)] for row in rows]
    for bit in hostile.PAYLOADS + hostile.FORMULAS:
        assert any(c.startswith(bit) for c in comments), bit
    assert any(hostile.LONG_WORD in c for c in comments)
    assert not any(hostile.HUGE_WORD in c for c in comments)
    assert len(hostile.LONG_WORD) == 10_000 and len(hostile.HUGE_WORD) == 1_000_000
    assert " " not in hostile.HUGE_WORD


# ------------------------------------------------------------------------------------------
# Presentation units (fast): the rules the run relies on
# ------------------------------------------------------------------------------------------


def test_neutralise_formulas_prefixes_text_and_headers_but_never_numbers() -> None:
    data = pd.DataFrame(
        {
            "@SUM(1+1)": ['=HYPERLINK("x")', "+SUM(1,1)", "-2+3", "@A1", "-3.5", "+12", None],
            "value": [-3.5, -1.0, 0.0, 2.5, -0.25, 1e-3, -7.0],
            "count": [-3, 1, 2, 3, 4, 5, 6],
        }
    )
    before = data.copy()
    out = neutralise_formulas(data)
    pd.testing.assert_frame_equal(data, before)  # the input is not changed
    assert list(out.columns) == ["'@SUM(1+1)", "value", "count"]
    assert out.iloc[:, 0].tolist()[:6] == [
        '\'=HYPERLINK("x")',
        "'+SUM(1,1)",
        "'-2+3",
        "'@A1",
        "-3.5",  # a number written as text is not a formula
        "+12",
    ]
    assert pd.isna(out.iloc[6, 0])  # a missing value stays missing
    pd.testing.assert_series_equal(out["value"], data["value"])
    pd.testing.assert_series_equal(out["count"], data["count"])
    rows = list(csv.reader(io.StringIO(out.to_csv(index=False, lineterminator="\n"))))
    assert rows[1] == ['\'=HYPERLINK("x")', "-3.5", "-3"]
    assert rows[5] == ["-3.5", "-0.25", "4"]


def test_tables_cut_long_cells_and_headers_with_a_visible_marker() -> None:
    frame = pd.DataFrame({hostile.LONG_WORD: [hostile.LONG_WORD, "short <b>"], "n": [1, 2]})
    html = report.table(frame)._repr_html_()
    page = _Page(html)
    assert [t for t, _ in page.elements if t not in {"div", "table", "thead", "tbody", "tr"}] == [
        "th", "th", "td", "td", "td", "td",
    ]  # fmt: skip
    shown = hostile.LONG_WORD[: report.MAX_CELL_CHARS] + "… [8,000 more characters not shown]"
    assert page.text.count(shown) == 2  # the header and the cell
    assert hostile.LONG_WORD[: report.MAX_CELL_CHARS + 1] not in page.text
    assert "short <b>" in page.text


def test_quotes_keep_every_word_up_to_a_long_limit_and_mark_the_cut() -> None:
    words = f"She said {hostile.PAYLOADS[0]} {hostile.TURN_END}"
    quotes = pd.DataFrame(
        {
            "code": ["c", "c"],
            "participant_id": ["P1", "P2"],
            "source": ["a.txt", "b.txt"],
            "segment_id": ["a-1", "b-1"],
            "start": [0, 0],
            "end": [10, 10],
            "text": [words, hostile.HUGE_WORD],
        }
    )
    page = _Page(report.quotes(quotes)._repr_html_())
    assert page.quotes[0] == f"“{words}”"
    assert page.quotes[1] == (
        f"“{hostile.HUGE_WORD[: report.MAX_QUOTE_CHARS]}… [995,000 more characters not shown]”"
    )


def test_charts_take_dollar_signs_literally_and_cut_long_labels() -> None:
    table = pd.DataFrame(
        {
            "g": ["LATAM $\\alert{1}$", f"North {hostile.LONG_WORD}"],
            "nps": [1.0, 2.0],
            "ci_low": [0.0, 1.0],
            "ci_high": [2.0, 3.0],
            "n": [5, 6],
        }
    )
    svg = report.interval_chart(table, label="g", value="nps")._repr_svg_()  # TeX would raise
    svg = svg[0] if isinstance(svg, tuple) else svg  # (svg, metadata) when the chart is named
    assert "<!-- LATAM $\\alert{1}$ (n=5) -->" in svg  # drawn as written
    label = "North " + hostile.LONG_WORD[: report.MAX_LABEL_CHARS - 7] + "…"
    assert f"<!-- {label} (n=6) -->" in svg
    assert _svg_width(svg) < 800


def test_markdown_shows_links_to_scripts_and_remote_images_as_text() -> None:
    for payload in hostile.PAYLOADS:
        page = _Page(report.markdown_to_html(payload))
        assert {t for t, _ in page.elements} <= {"p", "a", "span", "code", "em", "strong"}
        for _, attrs in page.elements:
            assert not (attrs.get("href") or "").lower().startswith("javascript:"), payload
            assert "src" not in attrs, payload
    js = _Page(report.markdown_to_html("[click me](javascript:alert(7))"))
    assert js.tags("a") == [] and js.text.strip() == "[click me](javascript:alert(7))"
    image = _Page(report.markdown_to_html("![tracker](https://example.com/pixel.png)"))
    assert image.text.strip() == "[image: tracker — https://example.com/pixel.png]"


# ------------------------------------------------------------------------------------------
# The run
# ------------------------------------------------------------------------------------------


def _svg_width(svg: str) -> float:
    return float(re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"', svg).group(1))


@pytest.mark.slow
def test_every_notebook_runs_on_hostile_input_without_an_error_output(hostile_run) -> None:
    assert [nb["status"] for nb in hostile_run.manifest["notebooks"]] == ["succeeded"] * 4
    for path in sorted((hostile_run.run_dir / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        errors = [
            o.get("evalue", "")[:200]
            for cell in nb["cells"]
            for o in cell.get("outputs", [])
            if o["output_type"] == "error"
        ]
        assert errors == [], (path.name, errors)  # e.g. a chart whose label broke matplotlib


@pytest.mark.slow
def test_no_element_or_attribute_comes_from_the_data(pages) -> None:
    skeleton = _Page(report.page("t", "<p>x</p>", nav=[("a", "a.html")]))
    ids = {
        name: {a["id"] for _, a in page.elements if a.get("id")}
        for name, (_, page) in pages.items()
    }
    fragments = 0
    for name, (html, page) in pages.items():
        tags = {tag for tag, _ in page.elements}
        assert tags <= RENDERER_TAGS, (name, tags - RENDERER_TAGS)
        for tag in ("script", "style", "meta", "title", "head", "body", "main"):
            assert len(page.tags(tag)) == len(skeleton.tags(tag)), (name, tag)
        assert page.comments == [], name  # "<!--" in a comment is text, not a comment
        for tag, attrs in page.elements:
            assert set(attrs) <= ATTRIBUTES, (name, tag, attrs)
            assert ANCHOR.fullmatch(attrs.get("id") or "a"), (name, tag, attrs)
            if "style" in attrs:  # pandas' table header row, nothing else
                assert (tag, attrs["style"]) == ("tr", "text-align: right;"), (name, attrs)
            for value in attrs.values():
                assert not (value or "").strip().lower().startswith("javascript:"), (name, tag)
            if tag == "img":
                assert (attrs.get("src") or "").startswith("data:image/"), (name, attrs)
            if tag == "a":  # a page of the report, or an element's id on one
                target, _, fragment = (attrs.get("href") or "").partition("#")
                assert target in {*PAGES, ""} and ANCHOR.fullmatch(fragment or "a"), attrs
                if fragment:
                    assert fragment in ids[target or name], (name, attrs)
                    fragments += 1
        csp = [a for a in page.tags("meta") if a.get("http-equiv") == "Content-Security-Policy"]
        assert [a["content"] for a in csp] == [report.CSP]
        raw = html.split("</style>", 1)[1].lower()
        for needle in ("<script", "<svg", "<iframe", "<img src=x", "<link", "<!--", "<b>"):
            assert needle not in raw, (name, needle)
    assert fragments > 0  # the key findings link to their tables


@pytest.mark.slow
def test_hostile_text_is_shown_literally_where_the_report_shows_it(pages) -> None:
    text = {name: page.text for name, (_, page) in pages.items()}
    index = pages["index.html"][1]
    assert [t for t in index.chunks if hostile.TITLE in t]  # the title, escaped, not run
    assert index.text.count(hostile.TITLE) >= 2  # <title> and <h1>
    assert "hostile <img src=x onerror=alert('description')>." in text["index.html"]
    assert "[click](javascript:alert('description'))" in text["index.html"]
    # survey: segment values, a column header, waves, Likert wordings, as written
    survey = text["10_survey.html"]
    for value in (*hostile.REGIONS[:4], *hostile.PLANS, *hostile.WAVES, *hostile.ITEMS.values()):
        assert value in survey, value
    assert hostile.SEGMENT_COLUMN in survey and hostile.COMMENT_COLUMN in survey
    # interviews: every payload and formula in the turns the coders disagree on, every code,
    # coder and transcript file name
    interviews = text["20_interviews.html"]
    for value in (*hostile.PAYLOADS, *hostile.FORMULAS, *hostile.CODES, *hostile.CODERS):
        assert value in interviews, value
    for value in hostile.TRANSCRIPT_NAMES:
        assert value in interviews, value
    # topics and mixed methods: code names (calibration, joint display) and segment values
    for name in ("30_topics.html", "40_mixed.html"):
        for value in (*hostile.CODES, *hostile.REGIONS[:4]):
            assert value in text[name], (name, value)


@pytest.mark.slow
def test_quotes_lose_no_word_after_their_markup(pages) -> None:
    quotes = pages["20_interviews.html"][1].quotes
    assert len(quotes) >= 4
    bits = hostile.PAYLOADS + hostile.FORMULAS
    for quote in quotes:
        if MARKER.search(quote):
            continue  # the 1,000,000-character turn, cut with its marker
        # whole, or cut after its 80th word with " …" (voc.qual.exemplar_quotes)
        assert quote.endswith((f"{hostile.TURN_END}”", " …”")), quote[-200:]
        said = quote.split("She said ", 1)[1]
        assert said.startswith(bits), said[:80]


@pytest.mark.slow
def test_long_words_are_cut_with_a_marker_and_never_break_a_chart(pages, hostile_run) -> None:
    cut = 0
    for name, (html, page) in pages.items():
        assert len(html) < 1_000_000, name  # the 1,000,000-character word is never shown whole
        for match in WORD.finditer(page.text):
            word = match.group()
            if word in (hostile.LONG_WORD, hostile.HUGE_WORD):
                continue
            # a prefix of a long word: the cut is marked right after it
            assert MARKER.match(page.text, match.end()), (name, len(word))
            cut += 1
        for img in page.tags("img"):
            src = img["src"] or ""
            if src.startswith("data:image/svg+xml;base64,"):
                svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
                assert _svg_width(svg) < 1_000, name  # long labels are cut in charts too
    assert cut >= 4
    # the CSV keeps the full text
    disagreements = pd.read_csv(
        hostile_run.run_dir / "tables" / "disagreements.csv", dtype=str, keep_default_na=False
    )
    for word in (hostile.HUGE_WORD, hostile.LONG_WORD):
        assert disagreements["text"].str.contains(word, regex=False).any()


@pytest.mark.slow
def test_csv_tables_neutralise_formulas_and_keep_numbers(hostile_run) -> None:
    csv.field_size_limit(sys.maxsize)  # the 1,000,000-character turn is in a table
    neutralised, negatives = set(), 0
    for path in sorted((hostile_run.run_dir / "tables").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        for r, row in enumerate(rows):
            for cell in row:
                if cell.startswith(FORMULA_START):
                    assert PLAIN_NUMBER.fullmatch(cell), (path.name, r, cell[:60])
                    negatives += r > 0 and cell.startswith("-")
                if cell.startswith("'") and cell[1:].startswith(FORMULA_START):
                    neutralised.add(cell[1:])
    assert negatives >= 10  # NPS and differences below zero are written as numbers
    nps = pd.read_csv(hostile_run.run_dir / "tables" / "nps_by_segment.csv")
    assert pd.api.types.is_float_dtype(nps["nps"]) and (nps["nps"] < 0).any()
    assert hostile.PLANS[0] in neutralised  # a segment value
    assert hostile.SEGMENT_COLUMN in neutralised  # a column header (interviewees)
    assert "@ben" in neutralised  # a coder name as a column header (disagreements)
    assert list(hostile.CODES)[2] in neutralised  # a code name


@pytest.mark.slow
def test_the_caqdas_export_keeps_hostile_code_names_as_text(hostile_run) -> None:
    from voc.io.refi import read_qdc

    (qdc,) = (hostile_run.run_dir / "exports").glob("*.qdc")
    assert sorted(read_qdc(qdc)["code"]) == sorted(hostile.CODES)


@pytest.fixture(scope="module")
def browser():
    with launch() as browser:
        yield browser


@pytest.mark.slow
@pytest.mark.browser
def test_long_words_wrap_in_quotes_headlines_and_paragraphs(browser, tmp_path: Path) -> None:
    quote = pd.DataFrame(
        {
            "code": ["c"],
            "participant_id": ["P1"],
            "source": ["a.txt"],
            "segment_id": ["a-1"],
            "start": [0],
            "end": [1],
            "text": [hostile.LONG_WORD],
        }
    )
    body = (
        f"<p>{hostile.LONG_WORD}</p>"
        + report.quotes(quote)._repr_html_()
        + report.render_headlines([{"label": hostile.LONG_WORD, "value": "1"}])
        + report.table(pd.DataFrame({"x": [hostile.LONG_WORD]}))._repr_html_()
    )
    path = tmp_path / "long.html"
    path.write_text(report.page(hostile.LONG_WORD[:500], body), encoding="utf-8")
    seen = open_page(browser, path.as_uri(), screenshot=False)
    assert seen["overflow"] <= 1  # the page is no wider than the window (tables scroll)
    assert seen["text"].count(hostile.LONG_WORD[: report.MAX_CELL_CHARS]) >= 4


@pytest.mark.slow
@pytest.mark.browser
def test_pages_open_in_a_browser_with_no_dialog_request_or_script_url(browser, hostile_run) -> None:
    folder = hostile_run.run_dir / "report"
    for name in PAGES:
        seen = open_page(browser, (folder / name).as_uri(), screenshot=False)
        assert seen["dialogs"] == [] and seen["errors"] == [], name
        assert seen["console"] == [], (name, seen["console"])
        outside = [u for u in seen["requests"] if not u.startswith(("file://", "data:"))]
        assert outside == [], (name, outside)
        assert seen["js_urls"] == [], (name, seen["js_urls"])
        assert seen["overflow"] <= 1, (name, seen["overflow"])  # long words wrap or scroll
        assert all(ok and width > 0 for ok, width, _ in seen["images"]), name
        assert hostile.TITLE in seen["title"]
        # what a reader sees is the text, markup and all
        if name == "20_interviews.html":
            for payload in hostile.PAYLOADS:
                assert payload in seen["text"], payload
        if name == "index.html":
            assert hostile.LONG_WORD in seen["text"]  # the description, wrapped, whole
