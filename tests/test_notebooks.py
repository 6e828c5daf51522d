"""Real papermill runs of every notebook template, on the example study and on one-input studies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import voc
from voc.run import run_study

from .conftest import EXAMPLE, write_study

pytestmark = pytest.mark.slow


def test_every_notebook_ran_on_the_example_study(example_run) -> None:
    manifest = example_run.manifest
    assert manifest["status"] == "succeeded"
    assert [(nb["name"], nb["status"]) for nb in manifest["notebooks"]] == [
        ("10_survey", "succeeded"),
        ("20_interviews", "succeeded"),
        ("30_topics", "succeeded"),
        ("40_mixed", "succeeded"),
    ]
    for nb in manifest["notebooks"]:
        executed = nbformat.read(str(example_run.run_dir / nb["notebook"]), as_version=4)
        params = executed.metadata.papermill.parameters
        assert params["study_dir"] == manifest["study"]["path"]
        assert params["output_dir"] == "."
        assert not any(
            o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", [])
        )


def test_example_tables_hold_real_numbers(example_run) -> None:
    tables = example_run.run_dir / "tables"
    overall = pd.read_csv(tables / "nps_overall.csv")
    responses = pd.read_csv(EXAMPLE / "data" / "survey.csv", dtype={"participant_id": str})
    scores = responses["nps"]
    expected = 100 * ((scores >= 9).mean() - (scores <= 6).mean())
    assert overall.loc[0, "nps"] == pytest.approx(expected)
    assert overall.loc[0, "n"] == len(responses)
    by_segment = pd.read_csv(tables / "nps_by_segment.csv")
    by_region = by_segment[by_segment["segment"] == "region"].set_index("group")
    assert set(by_region.index) == {"North America", "EMEA", "APAC", "LATAM"}
    # planted truth (studies/example/README.md): APAC is significantly below every other region
    assert by_region.loc["APAC", "higher_than"] != by_region.loc["APAC", "higher_than"]  # NaN: none
    for region in ("North America", "EMEA", "LATAM"):
        assert "A" in by_region.loc[region, "higher_than"]
    drivers = pd.read_csv(tables / "drivers.csv")
    assert list(drivers["driver"][:2]) == ["integration", "support"]
    interviews = pd.read_csv(tables / "interviews.csv", dtype={"participant_id": str})
    assert len(interviews) == 24
    people = pd.read_csv(tables / "interviewees.csv", dtype={"participant_id": str})
    assert people["in_survey"].all()  # every interviewee answered the survey (ids match)
    exported = voc.io.read_qdpx(example_run.run_dir / "exports" / "example.qdpx")
    assert len(exported["codings"]) == len(voc.io.read_codings(voc.load_study(EXAMPLE)))
    assert set(exported["cases"]["case"]) == set(interviews["participant_id"])
    headlines = {h["key"] for h in json.loads((example_run.run_dir / "headlines.json").read_text())}
    assert {"nps", "interviews"} <= headlines
    # sentiment by topic: one row per comment topic, counts adding up to the scored comments
    topics = pd.read_csv(tables / "comment_topics.csv")
    by_topic = pd.read_csv(tables / "sentiment_by_topic.csv")
    assert set(by_topic["group"]) == set(topics["label"])
    assert by_topic["n"].sum() == len(pd.read_csv(tables / "sentiment.csv"))
    assert (by_topic["ci_low"] <= by_topic["mean"]).all()
    assert (by_topic["mean"] <= by_topic["ci_high"]).all()


def test_a_survey_only_study_skips_what_does_not_apply(tiny_survey_study: Path) -> None:
    result = run_study(tiny_survey_study, progress=None)
    status = {nb["section"]: (nb["status"], nb["reason"]) for nb in result.manifest["notebooks"]}
    assert status == {
        "survey": ("succeeded", None),
        "interviews": ("skipped", "the study declares no interviews"),
        "topics": ("succeeded", None),
        "mixed": ("skipped", "the study declares no interviews"),
    }
    index = (result.run_dir / "report" / "index.html").read_text()
    assert "Interviews was skipped: the study declares no interviews." in index


def test_an_interviews_only_study_runs(tmp_path: Path) -> None:
    study = write_study(
        tmp_path / "studies" / "talks",
        "title: Talks only\ninterviews:\n  transcripts: transcripts\n"
        "  participant_pattern: '(?P<id>R\\d{4})_.*'\n",
    )
    sources = sorted((EXAMPLE / "data" / "transcripts").glob("*"))[:3]
    (study / "transcripts").mkdir()
    for src in sources:
        shutil.copy(src, study / "transcripts" / src.name)
    result = run_study(study, progress=None)
    status = {nb["section"]: nb["status"] for nb in result.manifest["notebooks"]}
    assert status == {
        "survey": "skipped",
        "interviews": "succeeded",
        "topics": "succeeded",
        "mixed": "skipped",
    }
    interviews = pd.read_csv(result.run_dir / "tables" / "interviews.csv")
    assert len(interviews) == 3
    page = (result.run_dir / "report" / "20_interviews.html").read_text()
    assert "Skipped: the study declares no codings of its interviews." in page


def test_a_raked_survey_is_analysed_with_its_weights(example_study: Path) -> None:
    text = (
        (example_study / "study.yaml")
        .read_text()
        .replace(
            "    date: response_date\n",
            "    date: response_date\n  weighting:\n    targets:\n"
            "      region: {North America: 0.3, EMEA: 0.3, APAC: 0.3, LATAM: 0.1}\n",
        )
    )
    (example_study / "study.yaml").write_text(text)
    result = run_study(example_study, only=["survey"], sets=["n_boot=50"], progress=None)
    overall = pd.read_csv(result.run_dir / "tables" / "nps_overall.csv")
    assert overall.loc[0, "n_eff"] < overall.loc[0, "n"]  # weighted: Kish effective n
    page = (result.run_dir / "report" / "10_survey.html").read_text()
    assert "raked to target margins" in page
