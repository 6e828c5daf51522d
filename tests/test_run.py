"""voc.run: execution, manifest, atomic promotion, failures that keep the last good report."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from voc.errors import RunError
from voc.run import run_study

pytestmark = pytest.mark.slow

PARAMS = (
    'study_dir: str = "."  # the study\noutput_dir: str = "."  # outputs\nn: int = 1  # a number'
)


def _template(folder: Path, name: str, cells: list[str], requires: list[str]) -> None:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "voc": {
            "section": name.split("_", 1)[1],
            "title": name.split("_", 1)[1].title(),
            "requires": requires,
        },
    }
    params = new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        new_markdown_cell(f"# {name}\n\nA *test* template."),
        params,
        *map(new_code_cell, cells),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / f"{name}.ipynb"))


GOOD = [
    "import sys, voc\nstudy = voc.load_study(study_dir)",
    "responses = voc.io.read_responses(study)\nvoc.io.save_table(responses, 'responses', output_dir)\nvoc.report.table(responses)",
    "voc.io.save_headline(output_dir, 'n', label='Respondents <b>', value=str(len(responses)), detail=str(n))\n"
    "voc.io.save_headline(output_dir, 'python', label='kernel', value=sys.executable)",
]


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    _template(folder, "10_alpha", GOOD, ["survey"])
    _template(folder, "20_beta", ["import voc"], ["interviews"])
    return folder


def _run(study: Path, templates: Path, **kw):
    return run_study(study, templates_dir=templates, progress=None, **kw)


def test_a_successful_run_writes_everything_and_promotes_latest(
    tiny_survey_study: Path, templates: Path
) -> None:
    result = _run(tiny_survey_study, templates, sets=["n=5"])
    folder = tiny_survey_study.parent.parent / "outputs" / "tiny"
    assert result.run_dir.parent == folder
    assert (folder / "latest").resolve() == result.run_dir.resolve()
    assert os.readlink(folder / "latest") == result.run_dir.name  # relative: the folder can move
    for rel in (
        "report/index.html",
        "report/10_alpha.html",
        "notebooks/10_alpha.ipynb",
        "tables/responses.csv",
        "manifest.json",
    ):
        assert (result.run_dir / rel).is_file(), rel
    assert not (result.run_dir / "report/20_beta.html").exists()
    assert not list(folder.glob(".staging-*"))

    manifest = json.loads((result.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert manifest["study"]["title"] == "Tiny survey"
    assert set(manifest["inputs"]) == {"study.yaml", "data/survey.csv"}
    assert all(len(h) == 64 for h in manifest["inputs"].values())
    assert manifest["seeds"] == {"random_seed": 0}
    assert manifest["environment"]["packages"]["papermill"]
    assert manifest["started"] <= manifest["finished"]
    alpha, beta = manifest["notebooks"]
    assert alpha["status"] == "succeeded" and alpha["parameters"] == {"n": 5}
    assert beta == {**beta, "status": "skipped", "reason": "the study declares no interviews"}

    headlines = {h["key"]: h for h in json.loads((result.run_dir / "headlines.json").read_text())}
    assert headlines["n"]["value"] == "8" and headlines["n"]["detail"] == "5"
    assert headlines["python"]["value"] == sys.executable  # the kernel is voc's own interpreter

    executed = nbformat.read(str(result.run_dir / "notebooks/10_alpha.ipynb"), as_version=4)
    assert executed.metadata.papermill.parameters["n"] == 5
    assert executed.metadata.papermill.parameters["study_dir"] == str(tiny_survey_study)

    index = (result.run_dir / "report/index.html").read_text()
    assert "Tiny survey" in index and "Respondents &lt;b&gt;" in index
    assert "was skipped: the study declares no interviews" in index
    page = (result.run_dir / "report/10_alpha.html").read_text()
    assert "<script" not in page and "voc.load_study" not in page  # code hidden
    assert "Content-Security-Policy" in page
    ids = (result.run_dir / "tables/responses.csv").read_text().splitlines()[1]
    assert ids.startswith("007,")  # ids stay strings


def test_a_failed_run_keeps_latest_and_names_notebook_and_cell(
    tiny_survey_study: Path, templates: Path, tmp_path: Path
) -> None:
    good = _run(tiny_survey_study, templates)
    bad = tmp_path / "bad_templates"
    _template(bad, "10_alpha", ["import voc", "x = 1", "1 / 0"], ["survey"])
    _template(bad, "20_gamma", ["import voc"], ["survey"])
    with pytest.raises(RunError) as info:
        _run(tiny_survey_study, bad)
    message = str(info.value)
    assert (
        "Notebook 10_alpha failed in cell 5 (`1 / 0`): ZeroDivisionError: division by zero"
        in message
    )
    assert "The last good report is still" in message
    folder = good.run_dir.parent
    assert (folder / "latest").resolve() == good.run_dir.resolve()
    failed = sorted(
        p for p in folder.iterdir() if p.is_dir() and p.name not in {good.run_dir.name, "latest"}
    )
    assert len(failed) == 1
    manifest = json.loads((failed[0] / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "ZeroDivisionError" in manifest["error"]
    assert [nb["status"] for nb in manifest["notebooks"]] == ["failed", "not run"]
    assert (failed[0] / "notebooks/10_alpha.ipynb").is_file()  # the failed notebook is kept
    assert not list(folder.glob(".staging-*"))


def test_an_input_changed_during_the_run_fails_the_run(
    tiny_survey_study: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "tamper"
    _template(
        folder,
        "10_tamper",
        [
            "from pathlib import Path\np = Path(study_dir) / 'data' / 'survey.csv'\np.write_text(p.read_text() + '015,EMEA,5,x\\n')"
        ],
        ["survey"],
    )
    with pytest.raises(RunError, match=r"input file data/survey.csv changed during the run"):
        _run(tiny_survey_study, folder)
    assert not (tiny_survey_study.parent.parent / "outputs/tiny/latest").exists()


def test_a_second_concurrent_run_fails_clearly(tiny_survey_study: Path, templates: Path) -> None:
    import fcntl

    folder = tiny_survey_study.parent.parent / "outputs" / "tiny"
    folder.mkdir(parents=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.write("pid 1 since then")
        fh.flush()
        with pytest.raises(RunError, match="another run of this study is in progress"):
            _run(tiny_survey_study, templates)


def test_leftovers_of_a_killed_run_are_removed(tiny_survey_study: Path, templates: Path) -> None:
    folder = tiny_survey_study.parent.parent / "outputs" / "tiny"
    stale = folder / ".staging-20000101T000000Z-dead"
    (stale / "notebooks").mkdir(parents=True)
    _run(tiny_survey_study, templates, only=["alpha"])
    assert not stale.exists()


def test_cells_tagged_requires_are_replaced_by_a_note_when_they_do_not_apply(
    tiny_survey_study: Path,
) -> None:
    from voc.run import skip_cells
    from voc.study import load_study

    nb = new_notebook()
    cell = new_code_cell("codings = voc.io.read_codings(study)")
    cell.metadata["tags"] = ["requires:codings"]
    keep = new_code_cell("x = 1")
    keep.metadata["tags"] = ["requires:survey"]
    nb.cells = [cell, keep]
    out = skip_cells(nb, load_study(tiny_survey_study))
    assert out.cells[0].cell_type == "markdown"
    assert out.cells[0].source == "*Skipped: the study declares no codings of its interviews.*"
    assert out.cells[1].source == "x = 1"
    assert nb.cells[0].cell_type == "code"  # the template itself is untouched
