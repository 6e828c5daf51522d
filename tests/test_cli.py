"""The voc command line: new, check, run (exit codes and messages a user sees)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from voc.cli import app

from .conftest import EXAMPLE

runner = CliRunner()


def test_new_scaffolds_a_commented_study_that_check_explains(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", "2025-03-onboarding-nps", "--studies", str(tmp_path)])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "2025-03-onboarding-nps" / "study.yaml").read_text()
    assert text.count("#") > 20  # commented, so a new user sees every option
    assert yaml.safe_load(text)["title"] == "2025 03 onboarding nps"
    assert (tmp_path / "2025-03-onboarding-nps" / "data").is_dir()
    check = runner.invoke(app, ["check", str(tmp_path / "2025-03-onboarding-nps")])
    assert check.exit_code == 1
    assert "a study needs at least one input" in check.output


def test_new_refuses_to_overwrite_and_bad_slugs(tmp_path: Path) -> None:
    runner.invoke(app, ["new", "s1", "--studies", str(tmp_path)])
    again = runner.invoke(app, ["new", "s1", "--studies", str(tmp_path)])
    assert again.exit_code == 1 and "already exists; nothing was written" in again.output
    bad = runner.invoke(app, ["new", "My Study!", "--studies", str(tmp_path)])
    assert bad.exit_code == 2 and "use lower-case letters" in bad.output


def test_check_the_example_study() -> None:
    result = runner.invoke(app, ["check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "1,500 respondents, 24 interviews" in result.output


def test_check_reports_a_bad_column_with_file_and_suggestion(tmp_path: Path) -> None:
    study = tmp_path / "s"
    (study / "data").mkdir(parents=True)
    (study / "data" / "survey.csv").write_text("participant_id,nps_score\n1,9\n2,3\n")
    (study / "study.yaml").write_text(
        "title: T\nsurvey:\n  file: data/survey.csv\n  columns:\n    id: participant_id\n    nps: nps\n"
    )
    result = runner.invoke(app, ["check", str(study)])
    assert result.exit_code == 1
    assert "survey.csv" in result.output
    assert (
        "column 'nps' declared in study.yaml (survey.columns.nps) is not in the file"
        in result.output
    )
    assert "Did you mean 'nps_score'?" in result.output


def test_check_reports_an_out_of_scale_value_with_line_and_column(tmp_path: Path) -> None:
    study = tmp_path / "s"
    (study / "data").mkdir(parents=True)
    (study / "data" / "survey.csv").write_text("participant_id,nps\n1,9\n2,11\n")
    (study / "study.yaml").write_text(
        "title: T\nsurvey:\n  file: data/survey.csv\n  columns: {id: participant_id, nps: nps}\n"
    )
    result = runner.invoke(app, ["check", str(study)])
    assert result.exit_code == 1
    assert (
        "line 3, column 'nps': found '11'; expected NPS: a whole number from 0 to 10"
        in result.output
    )


def test_run_rejects_bad_parameters_before_running(example_study: Path) -> None:
    result = runner.invoke(app, ["run", str(example_study), "--set", "levle=0.9"])
    assert result.exit_code == 1
    assert "Did you mean 'level'?" in result.output
    assert not (example_study.parent.parent / "outputs").exists()  # nothing written


@pytest.mark.slow
def test_voc_run_prints_the_report_path_and_exits_zero(example_study: Path) -> None:
    voc = Path(sys.executable).parent / "voc"
    proc = subprocess.run(
        [str(voc), "run", str(example_study), "--only", "interviews"],
        capture_output=True,
        text=True,
        cwd=example_study.parent.parent,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Report: outputs/example/latest/report/index.html"
    assert "[1/1] 20_interviews" in proc.stderr  # progress goes to stderr
    assert (example_study.parent.parent / "outputs/example/latest/report/index.html").is_file()
