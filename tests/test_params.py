"""voc.params and voc.run.plan_run: parameters are validated before any kernel starts."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from voc.params import coerce, read_parameters
from voc.run import list_templates, plan_run
from voc.study import load_study

from .conftest import EXAMPLE, REPO


def _nb(params_source: str) -> nbformat.NotebookNode:
    nb = new_notebook()
    cell = new_code_cell(params_source)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, new_code_cell("x = 1")]
    return nb


def test_every_template_declares_typed_parameters_with_help() -> None:
    templates = list_templates(REPO / "notebooks")
    assert [t.section for t in templates] == ["survey", "interviews", "topics", "mixed"]
    for t in templates:
        assert list(t.parameters)[:2] == ["study_dir", "output_dir"]
        assert t.parameters["study_dir"].default == "../studies/example"
        for p in t.parameters.values():
            assert p.help, f"{t.stem}: parameter {p.name} has no help comment"


def test_read_parameters_types_defaults_and_help() -> None:
    params = read_parameters(
        _nb(
            'study_dir: str = "s"  # the study\noutput_dir: str = "o"\nn: int = 3  # count\n'
            "level: float = 0.9\nflag: bool = False\nnames: list[str] = ['a']\nseg: str | None = None\n"
        )
    )
    assert params["n"].type == "int" and params["n"].default == 3 and params["n"].help == "count"
    assert params["level"].default == 0.9
    assert params["names"].default == ["a"]
    assert params["seg"].default is None


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            'study_dir: str = "s"\noutput_dir: str = "o"\nimport os',
            "expected 'name: type = literal'",
        ),
        (
            'study_dir: str = "s"\noutput_dir: str = "o"\nx: dict = {}',
            "type 'dict' is not supported",
        ),
        ('study_dir: str = "s"\noutput_dir: str = "o"\nx: int = len("a")', "must be a literal"),
        ('study_dir: str = "s"\nx: int = 1', "must declare output_dir"),
        ('study_dir: str = "s"\noutput_dir: str = "o"\nx: int = "a"', "expects int"),
    ],
)
def test_parameters_cell_must_be_literal_annotated_assignments(source: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_parameters(_nb(source))


def test_exactly_one_parameters_cell() -> None:
    nb = _nb('study_dir: str = "s"\noutput_dir: str = "o"')
    nb.cells[1].metadata["tags"] = ["parameters"]
    with pytest.raises(
        ValueError, match="exactly one cell must be tagged 'parameters', found cells 1, 2"
    ):
        read_parameters(nb)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("3", "int", 3),
        ("0.5", "float", 0.5),
        ("2", "float", 2.0),
        ("yes", "bool", True),
        ("off", "bool", False),
        ("a,b", "list[str]", ["a", "b"]),
        ('["a"]', "list[str]", ["a"]),
        ("1,2", "list[int]", [1, 2]),
        ("none", "str | None", None),
        ("x", "str | None", "x"),
        ("text", "str", "text"),
    ],
)
def test_coerce_command_line_strings(value: str, kind: str, expected: object) -> None:
    assert coerce(value, kind) == expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("abc", "int"),
        ("1.5", "int"),
        ("maybe", "bool"),
        ("x", "float"),
        (True, "int"),
        (None, "str"),
    ],
)
def test_coerce_rejects_wrong_types(value: object, kind: str) -> None:
    with pytest.raises(ValueError, match=f"expects {kind}"):
        coerce(value, kind, name="p")


def test_plan_sets_typed_values_on_the_notebooks_that_declare_them() -> None:
    study = load_study(EXAMPLE)
    plans = plan_run(study, sets=["level=0.9", "survey.segment=role"])
    params = {p.template.section: p.parameters for p in plans}
    assert params["survey"] == {"level": 0.9, "segment": "role"}
    assert params["interviews"] == params["topics"] == params["mixed"] == {"level": 0.9}


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (
            ["levle=0.9"],
            r"no selected notebook declares a parameter 'levle'\. Did you mean 'level'\?",
        ),
        (["level=high"], r"parameter 'level' expects float, found 'high'"),
        (["__import__('os').system('x')=1"], r"is not a valid parameter name"),
        (["class=1"], r"is not a valid parameter name"),
        (["level"], r"expected key=value"),
        (["study_dir=/tmp"], r"study_dir is set by voc run itself"),
        (["survy.level=0.9"], r"'survy' is not a notebook\. Did you mean 'survey'\?"),
    ],
)
def test_bad_sets_are_errors_before_any_kernel_starts(sets: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_run(load_study(EXAMPLE), sets=sets)


def test_unknown_parameter_error_lists_the_declared_parameters() -> None:
    with pytest.raises(ValueError, match="Declared parameters") as info:
        plan_run(load_study(EXAMPLE), sets=["nope=1"])
    text = str(info.value)
    assert "10_survey: segment: str = 'region'" in text
    assert "level: float = 0.95" in text


def test_only_selects_sections_and_rejects_unknown_ones() -> None:
    study = load_study(EXAMPLE)
    assert [p.template.section for p in plan_run(study, only=["topics"])] == ["topics"]
    with pytest.raises(ValueError, match="Did you mean 'survey'"):
        plan_run(study, only=["surveys"])
