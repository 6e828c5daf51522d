"""Shared fixtures: the example study copied into a temporary folder, tiny studies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "studies" / "example"


@pytest.fixture
def example_study(tmp_path: Path) -> Path:
    """A copy of studies/example under tmp_path/studies/example (outputs go to tmp_path/outputs)."""
    dest = tmp_path / "studies" / "example"
    shutil.copytree(EXAMPLE, dest)
    return dest


def write_study(folder: Path, yaml_text: str, files: dict[str, str] | None = None) -> Path:
    """Write a study folder with the given study.yaml and data files; return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "study.yaml").write_text(yaml_text, encoding="utf-8")
    for name, text in (files or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def tiny_survey_study(tmp_path: Path) -> Path:
    """A survey-only study of 8 respondents."""
    rows = ["participant_id,region,nps,comment"]
    data = [
        ("007", "EMEA", 10, "Great search"),
        ("008", "EMEA", 9, ""),
        ("009", "APAC", 3, "Slow support"),
        ("010", "APAC", 6, "Integration gaps"),
        ("011", "EMEA", 8, "Fine"),
        ("012", "APAC", 10, ""),
        ("013", "EMEA", 7, "ok"),
        ("014", "APAC", 0, "Pricing surprises"),
    ]
    rows += [f"{a},{b},{c},{d}" for a, b, c, d in data]
    return write_study(
        tmp_path / "studies" / "tiny",
        "title: Tiny survey\nsurvey:\n  file: data/survey.csv\n  columns:\n    id: participant_id\n"
        "    nps: nps\n    segments: [region]\n    text: [comment]\n",
        {"data/survey.csv": "\n".join(rows) + "\n"},
    )


@pytest.fixture(scope="session")
def example_run(tmp_path_factory: pytest.TempPathFactory):
    """One real run of the example study (every notebook), shared by the tests that inspect it."""
    from voc.run import run_study

    root = tmp_path_factory.mktemp("example_run")
    study = root / "studies" / "example"
    shutil.copytree(EXAMPLE, study)
    return run_study(study, progress=None)
