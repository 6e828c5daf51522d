"""voc reproduce: re-run a recorded run and compare every table with the recorded one."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from voc.cli import app
from voc.io.files import sha256_file
from voc.reproduce import ManifestError, compare_tables, reproduce

from .conftest import write_study

runner = CliRunner()

SURVEY = [
    ("007", "EMEA", 10),
    ("008", "EMEA", 9),
    ("009", "APAC", 3),
    ("010", "APAC", 6),
    ("011", "EMEA", 8),
    ("012", "APAC", 10),
    ("013", "EMEA", 7),
    ("014", "APAC", 0),
]
YAML = (
    "title: Tiny survey\nsurvey:\n  file: data/survey.csv\n  columns:\n    id: participant_id\n"
    "    nps: nps\n    segments: [region]\n"
)


def _survey_csv(rows: list[tuple[str, str, int]]) -> str:
    return "participant_id,region,nps\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real run of an 8-respondent survey, with an option and a parameter set: its folder."""
    from voc.run import run_study

    root = tmp_path_factory.mktemp("reproduce")
    study = write_study(root / "studies" / "tiny", YAML, {"data/survey.csv": _survey_csv(SURVEY)})
    result = run_study(study, only=["survey"], sets=["survey.level=0.9"], progress=None)
    return result.run_dir


def _outputs_state(run_dir: Path) -> tuple[list[str], str]:
    folder = run_dir.parent
    return sorted(p.name for p in folder.iterdir()), os.readlink(folder / "latest")


# ---------------------------------------------------------------------------------------------
# The manifest records what reproduce needs
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_manifest_records_options_and_every_table_sha256(recorded: Path) -> None:
    manifest = json.loads((recorded / "manifest.json").read_text())
    assert manifest["options"] == {"only": ["survey"], "sets": ["survey.level=0.9"]}
    files = sorted(recorded.glob("tables/*.csv"))
    assert "tables/nps_overall.csv" in manifest["tables"]
    assert manifest["tables"] == {
        f"tables/{p.name}": sha256_file(p) for p in files
    }  # every table written, and only those
    assert [r["name"] for r in manifest["notebooks"]] == ["10_survey"]


# ---------------------------------------------------------------------------------------------
# End to end
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_reproduce_an_unchanged_study_passes_and_leaves_its_outputs_alone(recorded: Path) -> None:
    before = _outputs_state(recorded)
    result = runner.invoke(app, ["reproduce", str(recorded / "manifest.json")])
    assert result.exit_code == 0, result.output
    n_tables = len(list(recorded.glob("tables/*.csv")))
    assert f"REPRODUCED: all {n_tables} tables match the recorded run" in result.output
    assert "identical         tables/nps_overall.csv" in result.output
    assert "Inputs: 2 of 2 unchanged" in result.output
    # only=survey and level=0.9 were replayed: 30_topics did not run, the 90% intervals match
    assert "notebook 30_topics" not in result.output
    assert _outputs_state(recorded) == before  # no new run folder, `latest` unchanged


@pytest.mark.slow
def test_reproduce_names_the_changed_input_and_the_differing_tables_and_cells(
    recorded: Path, tmp_path: Path
) -> None:
    study = Path(json.loads((recorded / "manifest.json").read_text())["study"]["path"])
    copy = tmp_path / "tiny"
    shutil.copytree(study, copy)
    changed = [(*row[:2], 10) if row[0] == "014" else row for row in SURVEY]  # a detractor → 10
    (copy / "data" / "survey.csv").write_text(_survey_csv(changed))

    result = runner.invoke(
        app, ["reproduce", str(recorded / "manifest.json"), "--study", str(copy)]
    )

    assert result.exit_code == 1, result.output
    assert "changed  data/survey.csv (its sha256 differs from the one recorded)" in result.output
    assert "NOT REPRODUCED: inputs differ from the manifest: data/survey.csv (changed)" in (
        result.output
    )
    assert "tables differ: " in result.output and "tables/nps_overall.csv" in result.output
    # NPS was (3 - 3) / 8 = 0; now (4 - 2) / 8 = 25 points
    assert "line 2, column 'nps': recorded '0.0', now '25.0'" in result.output
    assert "line 2, column 'n_promoters': recorded '3', now '4'" in result.output
    assert "identical         tables/data_quality.csv" in result.output  # no missing values added
    assert (study / "data" / "survey.csv").read_text() == _survey_csv(SURVEY)  # original intact


@pytest.mark.slow
def test_an_input_that_no_longer_validates_is_a_failed_rerun(
    recorded: Path, tmp_path: Path
) -> None:
    study = Path(json.loads((recorded / "manifest.json").read_text())["study"]["path"])
    copy = tmp_path / "tiny"
    shutil.copytree(study, copy)
    broken = [(*row[:2], 11) if row[0] == "009" else row for row in SURVEY]
    (copy / "data" / "survey.csv").write_text(_survey_csv(broken))

    report = reproduce(recorded / "manifest.json", study=copy, progress=None)

    assert [(c.name, c.status) for c in report.inputs] == [("data/survey.csv", "changed")]
    assert "line 4, column 'nps': found '11'" in (report.run_error or "")
    assert {t.status for t in report.tables} == {"missing"}  # nothing ran, nothing kept
    assert report.new_run_dir is None and not report.reproduced
    assert "The re-run failed: " in report.summary()


@pytest.mark.slow
def test_without_a_tables_folder_the_manifest_sha256_are_compared(
    recorded: Path, tmp_path: Path
) -> None:
    """A run folder reduced to its manifest, written before ``options`` were recorded: the
    options come back from the notebooks' recorded parameters, the tables by sha256."""
    kept = tmp_path / "run"
    kept.mkdir()
    manifest = json.loads((recorded / "manifest.json").read_text())
    del manifest["options"]
    manifest["tables"]["tables/nps_overall.csv"] = "0" * 64  # a different recorded output
    (kept / "manifest.json").write_text(json.dumps(manifest))

    report = reproduce(kept / "manifest.json", progress=None)

    by_name = {t.name: t for t in report.tables}
    assert set(by_name) == set(manifest["tables"])
    assert by_name["tables/nps_overall.csv"].status == "differs"
    assert "sha256 differs from the manifest (no recorded tables/ folder" in (
        by_name["tables/nps_overall.csv"].detail
    )
    # nps_by_segment holds level=0.9 intervals: identical only if the parameter was replayed
    assert by_name["tables/nps_by_segment.csv"].status == "identical"
    assert report.differing == ["tables/nps_overall.csv"]
    assert not report.reproduced and not report.inputs
    assert "NOT REPRODUCED: tables differ: tables/nps_overall.csv." in report.summary()


# ---------------------------------------------------------------------------------------------
# Comparing tables
# ---------------------------------------------------------------------------------------------


def _nps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["region", "region", "region"],
            "group": ["APAC", "EMEA", "NA"],
            "n": [4, 4, 2],
            "nps": [-50.0, 50.0, np.nan],
        }
    )


def test_identical_tables() -> None:
    result = compare_tables(_nps(), _nps(), name="nps_by_segment")
    assert (result.status, result.ok, result.max_abs_diff) == ("identical", True, 0.0)


def test_a_difference_within_rtol_passes_and_reports_the_largest() -> None:
    # |diff| 2e-5 <= atol + rtol * |50| = 5e-5
    new = _nps().assign(nps=[-50.0, 50.00002, np.nan])
    result = compare_tables(_nps(), new, rtol=1e-6)
    assert result.status == "within tolerance" and result.ok
    assert result.max_abs_diff == pytest.approx(2e-5)
    assert result.detail == "max abs diff 2e-05"


def test_a_difference_beyond_rtol_fails_naming_row_key_and_column() -> None:
    # |diff| 1e-4 > 5e-5
    new = _nps().assign(nps=[-50.0, 50.0001, np.nan])
    result = compare_tables(_nps(), new, rtol=1e-6)
    assert result.status == "differs" and not result.ok
    assert result.detail == "1 of 12 cells differ"
    (cell,) = result.cells
    assert (cell.row, cell.line, cell.column) == (1, 3, "nps")
    assert str(cell) == (
        "line 3 (segment=region, group=EMEA), column 'nps': recorded '50.0', now '50.0001'"
    )
    assert compare_tables(_nps(), new, rtol=1e-5).status == "within tolerance"


def test_atol_covers_values_near_zero() -> None:
    recorded = pd.DataFrame({"p_val": [0.0, 0.5]})
    new = pd.DataFrame({"p_val": [1e-12, 0.5]})
    assert compare_tables(recorded, new).status == "within tolerance"
    assert compare_tables(recorded, new, atol=0.0).status == "differs"


def test_missing_matches_only_missing() -> None:
    new = _nps().assign(nps=[-50.0, 50.0, 0.0])
    result = compare_tables(_nps(), new)
    assert result.status == "differs"
    assert str(result.cells[0]) == (
        "line 4 (segment=region, group=NA), column 'nps': recorded (empty), now '0.0'"
    )


def test_text_cells_compare_exactly() -> None:
    new = _nps().assign(group=["APAC", "emea", "NA"])
    result = compare_tables(_nps(), new)
    assert result.status == "differs"
    assert [(c.row, c.column, c.recorded, c.new) for c in result.cells] == [
        (1, "group", "EMEA", "emea")
    ]


def test_columns_and_rows_must_match() -> None:
    renamed = compare_tables(_nps(), _nps().rename(columns={"nps": "score"}))
    assert renamed.status == "differs"
    assert renamed.detail == "columns differ: missing columns ['nps']; new columns ['score']"
    reordered = compare_tables(_nps(), _nps()[["group", "segment", "n", "nps"]])
    assert reordered.detail == "columns differ: the same columns in a different order"
    shorter = compare_tables(_nps(), _nps().iloc[:2])
    assert shorter.status == "differs"
    assert shorter.detail == "3 rows recorded, 2 now; rows gone: segment=region, group=NA"


def test_many_differences_list_the_first_cells_row_by_row() -> None:
    recorded = pd.DataFrame({"a": range(10), "b": range(10)})
    result = compare_tables(recorded, recorded + 1, max_cells=3)
    assert result.detail == "20 of 20 cells differ (first 3 shown)"
    assert [(c.row, c.column) for c in result.cells] == [(0, "a"), (0, "b"), (1, "a")]


def test_negative_tolerance_is_rejected() -> None:
    with pytest.raises(ValueError, match="rtol and atol must be zero or positive"):
        compare_tables(_nps(), _nps(), rtol=-1)


# ---------------------------------------------------------------------------------------------
# Errors: one clear paragraph, exit 2
# ---------------------------------------------------------------------------------------------


def test_a_manifest_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text('{"run_id": "x",\n  "study": }\n')
    result = runner.invoke(app, ["reproduce", str(path)])
    assert result.exit_code == 2
    assert f"{path}, line 2, column 12: not valid JSON" in result.output


def test_a_json_file_that_is_not_a_voc_manifest(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"run_id": "x", "study": {"path": "s"}}))
    result = runner.invoke(app, ["reproduce", str(path)])
    assert result.exit_code == 2
    assert "not a voc run manifest (no 'inputs', 'notebooks')" in result.output
    with pytest.raises(ManifestError, match="no such manifest"):
        reproduce(tmp_path / "elsewhere" / "manifest.json")


def test_a_study_that_is_gone(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    manifest = {"run_id": "r", "study": {"path": str(tmp_path / "gone")}, "inputs": {}}
    path.write_text(json.dumps({**manifest, "notebooks": [], "tables": {}}))
    result = runner.invoke(app, ["reproduce", str(path)])
    assert result.exit_code == 2
    assert f"the study folder recorded in {path} ({tmp_path / 'gone'}) has no study.yaml" in (
        result.output
    )
    assert "pass --study PATH" in result.output


@pytest.mark.slow
def test_the_recorded_outputs_folder_is_refused_for_the_rerun(recorded: Path) -> None:
    with pytest.raises(ManifestError, match="would move its 'latest'"):
        reproduce(recorded / "manifest.json", outputs=recorded.parent.parent, progress=None)
