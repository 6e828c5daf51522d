"""The notebook templates follow the conventions (STYLE.md §4): logic lives in voc, not in cells."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from .conftest import REPO

TEMPLATES = sorted((REPO / "notebooks").glob("*.ipynb"))
FORBIDDEN = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.If,
    ast.IfExp,
    ast.Lambda,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
    ast.GeneratorExp,
    ast.Try,
    ast.With,
)


def _cells(path: Path) -> list[nbformat.NotebookNode]:
    return nbformat.read(str(path), as_version=4).cells


def test_there_are_four_templates() -> None:
    assert [p.stem for p in TEMPLATES] == ["10_survey", "20_interviews", "30_topics", "40_mixed"]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_template_layout(path: Path) -> None:
    cells = _cells(path)
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert "**Question.**" in cells[0].source and "**Inputs.**" in cells[0].source
    assert cells[1].metadata.get("tags") == ["parameters"]
    assert cells[2].source == "import voc\n\nstudy = voc.load_study(study_dir)"
    assert cells[-1].source == "voc.report.colophon(study)"
    assert sum("parameters" in c.metadata.get("tags", []) for c in cells) == 1


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_template_cells_hold_no_logic(path: Path) -> None:
    for i, cell in enumerate(_cells(path), start=1):
        if cell.cell_type != "code":
            continue
        assert not cell.source.lstrip().startswith(("%", "!")), f"cell {i}: magics are not allowed"
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, FORBIDDEN), (
                f"{path.name} cell {i}: {type(node).__name__} belongs in voc/, not in a template"
            )
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names]
                assert names == ["voc"], f"{path.name} cell {i}: import only voc, found {names}"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.stem)
def test_templates_are_committed_without_outputs(path: Path) -> None:
    for cell in _cells(path):
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
