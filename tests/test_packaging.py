"""Install metadata: pyproject.toml and environment.yml agree; CI runs the README's test command."""

from __future__ import annotations

import re
import tomllib

import yaml

from .conftest import REPO

# conda-forge names of PyPI distributions whose names differ.
CONDA_NAMES = {"torch": "pytorch"}


def _name(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_lists_the_same_packages_and_bounds_as_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = dict(map(_name, project["dependencies"] + project["optional-dependencies"]["test"]))
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    listed = dict(_name(d) for d in env["dependencies"] if isinstance(d, str))
    for entry in env["dependencies"]:
        if isinstance(entry, dict):  # the pip: section, for packages conda-forge lacks
            listed.update(_name(d.split("#")[0]) for d in entry["pip"])
    listed.pop("python")
    listed.pop("pip")
    assert {CONDA_NAMES.get(k, k): v for k, v in wanted.items()} == listed


def test_python_floor_is_3_11_everywhere() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "python>=3.11" in env["dependencies"]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    commands = re.findall(r"^\s*(make \w+)\s*$", readme.split("##", 2)[1], flags=re.MULTILINE)
    assert commands[:2] == ["make run", "make test"], commands
    ci = (REPO / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == "make test"
