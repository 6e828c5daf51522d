"""voc.study: loading, validation and located, helpful errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import voc
from voc.errors import StudyError
from voc.study import load_study

from .conftest import EXAMPLE, write_study

MINIMAL = "title: A study\nsurvey:\n  file: data/s.csv\n  columns:\n    id: pid\n"


def test_example_study_loads_with_absolute_paths() -> None:
    study = load_study(EXAMPLE)
    assert study.slug == "example"
    assert study.survey.file == EXAMPLE / "data" / "survey.csv"
    assert study.survey.file.is_absolute()
    assert study.interviews.transcripts == EXAMPLE / "data" / "transcripts"
    assert study.survey.columns.csat.scale == (1, 5)
    assert study.survey.columns.ces.scale == (1, 7)
    assert len(study.survey.columns.likert.items) == 6
    assert study.has_survey and study.has_interviews and study.has_codings and study.has_text


def test_load_study_accepts_the_yaml_file_itself(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s", MINIMAL)
    assert load_study(folder / "study.yaml") == load_study(folder)


def test_study_is_frozen(tmp_path: Path) -> None:
    study = load_study(write_study(tmp_path / "s", MINIMAL))
    with pytest.raises(ValueError, match="frozen"):
        study.title = "changed"  # type: ignore[misc]


def test_score_shorthand_gets_the_default_scale(tmp_path: Path) -> None:
    text = MINIMAL + "    csat: sat\n    ces: effort\n"
    cols = load_study(write_study(tmp_path / "s", text)).survey.columns
    assert (cols.csat.column, cols.csat.scale) == ("sat", (1, 5))
    assert (cols.ces.column, cols.ces.scale) == ("effort", (1, 7))


def test_unknown_key_names_file_line_key_path_and_suggests(tmp_path: Path) -> None:
    folder = write_study(tmp_path / "s", MINIMAL + "    nsp: nps\n")
    with pytest.raises(StudyError) as info:
        load_study(folder)
    message = str(info.value)
    assert "study.yaml, line 6, survey.columns.nsp" in message
    assert "unknown key 'nsp'" in message
    assert "Did you mean 'nps'?" in message
    assert "Allowed keys here: id, nps" in message


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    text = (
        "title: x\nsurvey:\n  file: a.csv\n  format: exe\n  columns:\n    id: pid\n"
        "    csat: {column: c, scale: [5, 1]}\nanalysis:\n  random_seed: abc\n"
    )
    with pytest.raises(StudyError) as info:
        load_study(write_study(tmp_path / "s", text))
    problems = {p.key: p for p in info.value.problems}
    assert set(problems) == {"survey.format", "survey.columns.csat.scale", "analysis.random_seed"}
    assert problems["survey.format"].line == 4
    assert "'auto', 'csv', 'xlsx'" in problems["survey.format"].message
    assert "low < high" in problems["survey.columns.csat.scale"].message
    assert problems["analysis.random_seed"].line == 9
    assert "found 'abc'" in problems["analysis.random_seed"].message


def test_title_and_an_input_are_required(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="missing required key 'title'"):
        load_study(write_study(tmp_path / "a", "survey:\n  file: s.csv\n  columns: {id: pid}\n"))
    with pytest.raises(StudyError, match="at least one input"):
        load_study(write_study(tmp_path / "b", "title: Only a title\n"))


def test_interviews_only_study_is_valid(tmp_path: Path) -> None:
    study = load_study(
        write_study(tmp_path / "s", "title: T\ninterviews:\n  transcripts: data/t\n")
    )
    assert not study.has_survey and study.has_interviews and not study.has_codings


def test_participant_pattern_needs_an_id_group(tmp_path: Path) -> None:
    text = "title: T\ninterviews:\n  transcripts: t\n  participant_pattern: 'P\\d+'\n"
    with pytest.raises(StudyError, match=r"named group 'id'") as info:
        load_study(write_study(tmp_path / "s", text))
    assert info.value.problems[0].line == 4


def test_duplicate_yaml_keys_are_errors_not_silently_overwritten(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match=r"line 3.*duplicate key 'title'"):
        load_study(
            write_study(tmp_path / "s", MINIMAL.replace("survey:", "x: 1\ntitle: again\nsurvey:"))
        )


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match=r"not valid YAML: .*flow sequence on line 3"):
        load_study(write_study(tmp_path / "s", "title: x\nsurvey:\n  file: [unclosed\n"))


def test_missing_study_suggests_a_close_folder(tmp_path: Path) -> None:
    write_study(tmp_path / "studies" / "example", MINIMAL)
    with pytest.raises(StudyError, match="Did you mean 'example'"):
        load_study(tmp_path / "studies" / "exampel")
    (tmp_path / "empty").mkdir()
    with pytest.raises(StudyError, match="voc new empty"):
        load_study(tmp_path / "empty")


def test_input_files_lists_every_raw_file() -> None:
    study = voc.load_study(EXAMPLE)
    files = study.input_files()
    assert files[0] == EXAMPLE / "study.yaml"
    assert study.survey.file in files
    assert study.interviews.codings in files
    assert any(p.parent == study.interviews.transcripts for p in files)
