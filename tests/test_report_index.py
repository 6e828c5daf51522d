"""The index page's key findings, the anchors they link to, and the manifest footer.

Oracles: hand-built frames whose significant pairs and gaps are known by construction,
``hashlib`` for the input digest, and IPython's own display formatter for chart anchors.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import voc.io
import voc.mixed as vm
from voc import report, survey
from voc.report_index import inputs_digest, manifest_footer, render_findings, render_index

HOSTILE = "<script>alert(1)</script>"

CLAIM = {
    "key": "nps",
    "label": "Net Promoter Score",
    "value": "+16",
    "detail": "95% CI +12 to +20",
    "base": "n = 1,500 respondents",
    "test": "95% confidence interval",
    "page": "10_survey",
    "anchor": "tbl-nps-overall",
}


# --------------------------------------------------------------------------------------------
# render_findings: a claim needs its base and its test
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["base", "test"])
def test_a_claim_without_its_base_or_test_is_not_rendered(missing: str) -> None:
    bare = {**CLAIM, "key": "bare", "label": "Unsupported claim", missing: ""}
    html = render_findings([CLAIM, bare], pages={"10_survey": "Survey"}, anchors=None)
    assert "Net Promoter Score" in html
    assert "Unsupported claim" not in html
    assert html.count('<li class="finding">') == 1


def test_a_claim_links_to_the_page_and_table_that_support_it() -> None:
    pages = {"10_survey": "Survey"}
    html = render_findings([CLAIM], pages=pages, anchors={"10_survey": {"tbl-nps-overall"}})
    assert '<a href="10_survey.html#tbl-nps-overall">Survey, table “nps overall”</a>' in html
    assert "Base: n = 1,500 respondents · Test: 95% confidence interval" in html
    # the anchor is not in the page: the link goes to the page, not to a missing table
    html = render_findings([CLAIM], pages=pages, anchors={"10_survey": set()})
    assert '<a href="10_survey.html">Survey</a>' in html and "#tbl" not in html
    # the page is not in the report: no claim
    assert render_findings([CLAIM], pages={"20_interviews": "Interviews"}) == ""


def test_numbers_without_claim_fields_stay_cards_and_everything_is_escaped() -> None:
    number = {"key": "n", "label": f"Respondents {HOSTILE}", "value": "8"}
    quoted = {**CLAIM, "key": "t", "quote": f"It said {HOSTILE}", "quote_source": "R1, R1-004"}
    html = render_findings([number, quoted], pages={"10_survey": "Survey"})
    assert '<div class="headline">' in html and "Respondents &lt;script&gt;" in html
    assert "<script>" not in html
    assert "“It said &lt;script&gt;alert(1)&lt;/script&gt;”<footer>R1, R1-004</footer>" in html


def _manifest() -> dict:
    return {
        "run_id": "20240517T120000Z-ab12",
        "status": "succeeded",
        "started": "2024-05-17T12:00:00+00:00",
        "duration_s": 61.25,
        "voc_commit": "0123456789abcdef0123",
        "environment": {"voc": "0.1.0", "python": "3.11.7"},
        "inputs": {"study.yaml": "a" * 64, "data/survey.csv": "b" * 64},
        "input_summary": {"respondents": 8},
        "seeds": {"random_seed": 0},
        "notebooks": [
            {
                "name": "10_survey",
                "title": "Survey",
                "status": "succeeded",
                "html": "report/10_survey.html",
                "reason": None,
                "duration_s": 1.0,
            }
        ],
        "error": None,
    }


def test_the_footer_carries_the_manifest_essentials() -> None:
    manifest = _manifest()
    lines = f"{'b' * 64}  data/survey.csv\n{'a' * 64}  study.yaml\n"  # sha256sum lines, sorted
    digest = hashlib.sha256(lines.encode()).hexdigest()
    assert inputs_digest(manifest["inputs"]) == digest
    footer = manifest_footer(manifest)
    for part in (
        "Run 20240517T120000Z-ab12",
        "status succeeded",
        "started 2024-05-17T12:00:00+00:00",
        "duration 61.2 s",
        "voc 0.1.0 (commit 0123456789ab)",
        "Python 3.11.7",
        f"inputs sha256 {digest[:12]} (2 files)",
    ):
        assert part in footer, part
    dirty = manifest_footer({**manifest, "voc_commit": "0123456789abcdef0123+dirty"})
    assert "(commit 0123456789ab+dirty)" in dirty
    changed = {**manifest, "inputs": {**manifest["inputs"], "study.yaml": "c" * 64}}
    assert inputs_digest(changed["inputs"]) != digest


def test_the_index_lists_findings_notes_what_it_left_out_and_ends_with_the_manifest(
    example_study: Path,
) -> None:
    study = voc.load_study(example_study)
    bare = {**CLAIM, "key": "nps_change", "label": "NPS change", "test": ""}
    number = {"key": "interviews", "label": "Interviews", "value": "24"}
    html = render_index(
        study,
        _manifest(),
        [CLAIM, bare, number],
        nav=[("Overview", "index.html"), ("Survey", "10_survey.html")],
        anchors={"10_survey": {"tbl-nps-overall"}},
    )
    findings = html.split("<h2>Key findings</h2>", 1)[1].split("<h2>", 1)[0]
    assert 'href="10_survey.html#tbl-nps-overall"' in findings
    assert "NPS change" not in findings.split('<div class="note skipped">')[0]
    assert "1 claim(s) published without a base or a test are not shown (nps_change)" in findings
    assert '<div class="headline">' in findings and "Interviews" in findings
    footer = html.split("<footer class=colophon>", 1)[1]
    assert "Run 20240517T120000Z-ab12" in footer and "inputs sha256" in footer


# --------------------------------------------------------------------------------------------
# Headlines on disk: fields, page from the running notebook, groups
# --------------------------------------------------------------------------------------------


def test_save_headline_keeps_claim_fields_and_the_running_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("VOC_NOTEBOOK", "10_survey")
    voc.io.save_headline(tmp_path, "nps", **{k: v for k, v in CLAIM.items() if k != "key"})
    voc.io.save_headline(tmp_path, "n", label="Respondents", value="8")
    saved = {h["key"]: h for h in voc.io.read_headlines(tmp_path)}
    assert saved["nps"] == CLAIM | {"detail": CLAIM["detail"], "section": ""}
    assert saved["n"] == {
        "key": "n",
        "label": "Respondents",
        "value": "8",
        "detail": "",
        "section": "",
        "page": "10_survey",
    }
    with pytest.raises(ValueError, match=r"unknown field\(s\) \['colour'\]"):
        voc.io.save_headlines(tmp_path, "x", [{"label": "a", "value": "1", "colour": "red"}])


def test_save_headlines_replaces_its_group(tmp_path, monkeypatch):
    monkeypatch.delenv("VOC_NOTEBOOK", raising=False)
    three = [{**CLAIM, "label": f"theme {i}"} for i in range(3)]
    three = [{k: v for k, v in h.items() if k != "key"} for h in three]
    voc.io.save_headline(tmp_path, "nps", label="NPS", value="+16")
    voc.io.save_headlines(tmp_path, "themes", three)
    voc.io.save_headlines(tmp_path, "themes", three[:1])  # a re-run finds fewer
    keys = [h["key"] for h in voc.io.read_headlines(tmp_path)]
    assert keys == ["nps", "themes_1"]


# --------------------------------------------------------------------------------------------
# Anchors in pages
# --------------------------------------------------------------------------------------------


def _executed(*objects) -> nbformat.NotebookNode:
    """A notebook whose outputs are what IPython's formatter makes of *objects*."""
    from IPython.core.formatters import DisplayFormatter

    formatter = DisplayFormatter()
    cells = []
    for obj in objects:
        data, metadata = formatter.format(obj)
        cell = nbformat.v4.new_code_cell("x")
        cell.outputs = [
            nbformat.v4.new_output("display_data", data=data, metadata=metadata),
        ]
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells)


def test_tables_and_charts_saved_by_name_get_stable_unique_anchors(tmp_path):
    frame = pd.DataFrame({"segment": ["region"], "nps": [1.5]})
    voc.io.save_table(frame, "nps_by_segment", tmp_path)
    assert frame.attrs["voc_table"] == "nps_by_segment"
    shown = report.table(frame)._repr_html_()
    assert shown.startswith('<div id="tbl-nps-by-segment">')
    assert report.table(frame, name="other")._repr_html_().startswith('<div id="tbl-other">')
    assert 'id="' not in report.table(pd.DataFrame({"a": [1]}))._repr_html_()
    likert = pd.DataFrame({"row": ["a", "b"], "col": ["x", "y"], "v": [1.0, 2.0]})
    voc.io.save_table(likert, "code_prevalence", tmp_path)
    chart = report.heatmap(likert, row="row", col="col", value="v")
    page = report.render_notebook(
        _executed(report.table(frame), report.table(frame), chart), title="T"
    )
    assert report.page_anchors(page) == {
        "tbl-nps-by-segment",
        "tbl-nps-by-segment-2",
        "fig-code-prevalence",
    }
    assert re.search(r'<img id="fig-code-prevalence" src="data:image/svg\+xml;base64,', page)


# --------------------------------------------------------------------------------------------
# Finding builders
# --------------------------------------------------------------------------------------------


def _segment_data() -> pd.DataFrame:
    """Region c far below a and b (a vs b equal); size s vs t equal: one significant finding
    for region (c below a and b) and one "no difference" finding for size."""
    rows = []
    for region, promoters, detractors in (("a", 60, 20), ("b", 60, 20), ("c", 20, 60)):
        rows += [(region, 10)] * promoters + [(region, 0)] * detractors + [(region, 8)] * 20
    data = pd.DataFrame(rows, columns=["region", "ltr"])
    return data.assign(size=np.where(np.arange(len(data)) % 2 == 0, "s", "t"))


def test_segment_findings_name_each_significant_pair_with_bases() -> None:
    table = survey.nps_by_segments(_segment_data(), "ltr", ["region", "size"])
    found = report.segment_findings(table, adjust="holm", level=0.95)
    assert [f["label"] for f in found] == [
        "NPS differs by region",
        "No significant NPS difference by size",
    ]
    region, quiet = found
    assert region["detail"] == (
        "c (NPS -40, n = 100) scores significantly lower than a (+40, n = 100) and "
        "b (+40, n = 100)."
    )
    assert region["base"] == "n = 300 respondents: a 100, b 100, c 100"
    assert region["test"] == (
        "pairwise z-tests of NPS within each segment, Holm-adjusted over its pairs, at 5%"
    )
    assert region["value"] == "-40 to +40"
    assert quiet["value"] == "n.s." and quiet["detail"] == (
        "Within size, no two groups differ significantly in NPS."
    )
    assert quiet["base"] == "size: n = 300 respondents: s 150, t 150"


def test_theme_findings_rank_significant_gaps_and_carry_a_quote() -> None:
    """Three codes among 40 detractors and 40 promoters: big (30 vs 4), small (15 vs 8:
    not significant after Holm), praise (5 vs 30: promoters). Two findings, largest gap
    first, each with its base, its test and, from the joint display, a quote."""
    people = pd.DataFrame(
        {
            "participant_id": [f"p{i:02d}" for i in range(80)],
            "nps_group": ["detractor"] * 40 + ["promoter"] * 40,
        }
    )
    counts = {"big": (30, 4), "small": (15, 8), "praise": (5, 30)}
    rows = [
        (pid, code, (i < det) if i < 40 else (i - 40 < pro))
        for code, (det, pro) in counts.items()
        for i, pid in enumerate(people["participant_id"])
    ]
    mentions = pd.DataFrame(rows, columns=["participant_id", "code", "present"])
    separation = vm.code_prevalence(mentions, people, by="nps_group")
    separation.attrs["voc_table"] = "comment_code_prevalence"
    display = pd.DataFrame(
        {
            "code": ["big", "praise"],
            "nps_mention": [-30.0, 50.0],
            "nps_other": [20.0, 0.0],
            "interview_pct_by_group": ["detractor 80% · promoter 20%", ""],
            "inference": ["convergent", "expansion"],
            "driver": ["integration", None],
            "quote_1": ["It never syncs.", None],
            "quote_1_source": ["R1, R1-004", None],
        }
    )
    found = report.theme_findings(separation, display, n=3)
    assert [f["label"] for f in found] == [
        "Detractors raise big more than promoters",
        "Promoters raise praise more than detractors",
    ]
    big = found[0]
    assert big["value"] == "+65 pts"  # 75% - 10%
    assert big["anchor"] == "tbl-comment-code-prevalence"
    assert big["base"] == "survey comments: 40 detractors and 40 promoters (80 in all)"
    assert big["test"].startswith("Fisher's exact test of mention x NPS group, Holm-adjusted")
    assert big["quote"] == "It never syncs." and big["quote_source"] == "interview R1, R1-004"
    assert "related driver integration" in big["detail"] and "NPS of -30" in big["detail"]
    assert "quote" not in found[1]
    assert len(report.theme_findings(separation, display, n=1)) == 1
    quiet = vm.code_prevalence(mentions[mentions["code"].eq("small")], people, by="nps_group")
    none = report.theme_findings(quiet)
    assert [f["label"] for f in none] == ["No theme separates detractors from promoters"]
    assert none[0]["base"] and none[0]["test"]


# --------------------------------------------------------------------------------------------
# The example study's report
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_example_index_opens_with_linked_findings_and_every_page_carries_the_manifest(
    example_run,
) -> None:
    report_dir = example_run.run_dir / "report"
    index = (report_dir / "index.html").read_text()
    findings = index.split("<h2>Key findings</h2>", 1)[1].split("<h2>", 1)[0]
    items = re.findall(r'<li class="finding">(.*?)</li>', findings, flags=re.S)
    labels = [re.search(r"<strong>(.*?)</strong>", item).group(1) for item in items]
    assert labels[:3] == [
        "Net Promoter Score",
        "NPS change, 2024-03 → 2024-09",
        "Top driver of NPS",
    ]
    assert "NPS differs by region" in labels
    assert any("fragmented_systems" in label for label in labels)
    for item in items:  # every claim: base, test, and a link to an anchor that exists
        assert "Base: " in item and " · Test: " in item
        href = re.search(r'<a href="([0-9a-z_]+)\.html#([a-z0-9-]+)">', item)
        assert href, item
        target = (report_dir / f"{href.group(1)}.html").read_text()
        assert f'id="{href.group(2)}"' in target, href.groups()
    region = items[labels.index("NPS differs by region")]
    assert "APAC (NPS -13, n = 289) scores significantly lower than" in region
    fragmented = items[next(i for i, lab in enumerate(labels) if "fragmented_systems" in lab)]
    assert '<blockquote class="quote">' in fragmented and "interview R" in fragmented
    manifest = json.loads((example_run.run_dir / "manifest.json").read_text())
    digest = inputs_digest(manifest["inputs"])[:12]
    for page in report_dir.glob("*.html"):
        footer = page.read_text().split("<footer class=colophon>", 1)[1]
        assert f"Run {manifest['run_id']}" in footer and f"inputs sha256 {digest}" in footer


def test_missing_nullable_numbers_show_as_blank_cells() -> None:
    frame = pd.DataFrame({"n_present": pd.array([11, None], dtype="Int64"), "x": [1.5, np.nan]})
    html = report.table(frame)._repr_html_()
    assert "&lt;NA&gt;" not in html and "None" not in html
    assert html.count("<td></td>") == 2 and "<td>11</td>" in html


def test_segment_findings_leave_out_groups_below_the_studys_suppression_base() -> None:
    """With suppress_below above a group's base, that group is named nowhere in the findings."""
    table = survey.nps_by_segments(_segment_data(), "ltr", ["region"])
    found = report.segment_findings(table, suppress_below=101)
    text = " ".join(f"{f['value']} {f['detail']} {f['base']}" for f in found)
    assert "c (" not in text and "n = 100" not in text
    assert report.segment_findings(table, suppress_below=5)[0]["label"] == "NPS differs by region"
