"""Codings of a study in every supported form give the same analysis (long CSV, Taguette, REFI)."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import voc

from .conftest import EXAMPLE


def _study_with(example_study: Path, codings_name: str) -> voc.Study:
    text = (
        (example_study / "study.yaml")
        .read_text()
        .replace("data/codings.csv", f"data/{codings_name}")
    )
    (example_study / "study.yaml").write_text(text)
    return voc.load_study(example_study)


def _baseline() -> pd.DataFrame:
    study = voc.load_study(EXAMPLE)
    return voc.agreement.code_agreement(
        voc.io.read_codings(study), voc.io.read_segments(study), ci=None
    )


def test_taguette_highlights_give_the_same_agreement(example_study: Path) -> None:
    study = voc.load_study(example_study)
    codings = voc.io.read_codings(study)
    segments = voc.io.read_segments(study).set_index("segment_id")
    with open(example_study / "data" / "highlights.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "document", "tag", "content"])
        for i, row in enumerate(codings.itertuples(), start=1):
            writer.writerow([i, row.source, row.code, segments.loc[row.segment_id, "text"]])
    # Taguette's export has no coder: one file per coder in practice; here both coders' rows
    # collapse into one "taguette" coder, so compare the union of codes per turn.
    tagged = _study_with(example_study, "highlights.csv")
    voc.io.check_inputs(tagged)
    imported = voc.io.read_codings(tagged)
    assert set(imported["coder"]) == {"taguette"}
    assert set(zip(imported["segment_id"], imported["code"], strict=True)) == set(
        zip(codings["segment_id"], codings["code"], strict=True)
    )


def test_a_qdpx_export_reads_back_as_the_same_codings(example_study: Path) -> None:
    study = voc.load_study(example_study)
    segments = voc.io.read_segments(study)
    texts = {
        p.name: voc.io.transcripts.read_transcript_text(p)
        for p in study.interviews.transcripts.iterdir()
    }
    voc.io.write_qdpx(
        example_study / "data" / "project.qdpx",
        codebook=voc.io.read_codebook(study),
        texts=texts,
        codings=voc.io.read_codings(study),
        segments=segments,
    )
    refi = _study_with(example_study, "project.qdpx")
    voc.io.check_inputs(refi)
    again = voc.agreement.code_agreement(voc.io.read_codings(refi), segments, ci=None)
    pd.testing.assert_frame_equal(again, _baseline())


@pytest.mark.parametrize("suffix", [".qdc"])
def test_a_qdc_codebook_is_read(example_study: Path, suffix: str) -> None:
    study = voc.load_study(example_study)
    voc.io.write_qdc(voc.io.read_codebook(study), example_study / f"codebook{suffix}")
    text = (example_study / "study.yaml").read_text().replace("codebook.yaml", f"codebook{suffix}")
    (example_study / "study.yaml").write_text(text)
    again = voc.io.read_codebook(voc.load_study(example_study))
    original = voc.io.read_codebook(study)
    pd.testing.assert_frame_equal(again[["code", "parent", "description"]], original)


def _bad_codings(example_study: Path) -> Path:
    path = example_study / "data" / "codings.csv"
    lines = path.read_text().splitlines()
    lines.append("R9999_interview.txt,R9999_interview-001,fragmented_systems,coder_a")
    lines.append(lines[1].rsplit(",", 2)[0] + ",fragmented_sytems,coder_a")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_unmatched_codings_are_located_errors_by_default(example_study: Path) -> None:
    _bad_codings(example_study)
    with pytest.raises(voc.StudyError) as info:
        voc.io.check_inputs(voc.load_study(example_study))
    text = str(info.value)
    assert (
        "codings.csv, line 674, column 'source': source 'R9999_interview.txt' is not a transcript"
        in text
    )
    assert (
        "line 675, column 'code': code 'fragmented_sytems' is not in the codebook. Did you mean 'fragmented_systems'?"
        in text
    )


def test_unmatched_codings_can_be_counted_warnings_instead(example_study: Path) -> None:
    _bad_codings(example_study)
    text = (
        (example_study / "study.yaml")
        .read_text()
        .replace(
            "  codings: data/codings.csv\n",
            "  codings: data/codings.csv\n  unmatched_codings: warn\n",
        )
    )
    (example_study / "study.yaml").write_text(text)
    study = voc.load_study(example_study)
    summary = voc.io.check_inputs(study)
    assert summary["codings left out (unmatched_codings: warn)"] == 2
    issues = voc.io.coding_issues(study)
    assert list(issues["line"]) == [674, 675]
    assert len(voc.io.read_codings(study)) == summary["codings"] == 672  # nothing else lost


def test_a_broken_codebook_is_reported_once(example_study: Path) -> None:
    (example_study / "codebook.yaml").write_text("codes: [\n")
    with pytest.raises(voc.StudyError) as info:
        voc.io.check_inputs(voc.load_study(example_study))
    assert [p.file.name for p in info.value.problems] == ["codebook.yaml"]
