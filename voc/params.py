"""Notebook parameters: read the ``parameters`` cell, and validate values before a kernel starts.

papermill only *warns* about a parameter the notebook does not declare and passes strings from
the command line through unchecked (nteract/papermill#245, #363, #371). voc reads the declared
parameters from the template's ``parameters`` cell, whose statements must be literal,
annotated assignments::

    study_dir: str = "../studies/example"  # the study folder
    min_base: int = 30                      # bases below this are flagged

and rejects unknown names, invalid identifiers and values of the wrong type, listing what the
notebook declares.
"""

from __future__ import annotations

import ast
import io
import json
import keyword
import math
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

__all__ = [
    "RESERVED",
    "RUNNER_SET",
    "Parameter",
    "coerce",
    "is_identifier",
    "parameters_cell",
    "read_parameters",
]

#: Parameters every template declares and the runner sets itself.
RESERVED = ("study_dir", "output_dir")
#: Parameters a template may declare and the runner then sets itself.
RUNNER_SET = ("cache_dir",)

_TYPES: dict[str, type | tuple[type, ...]] = {
    "str": str,
    "int": int,
    "float": (int, float),
    "bool": bool,
    "list[str]": list,
    "list[int]": list,
    "str | None": (str, type(None)),
    "int | None": (int, type(None)),
    "float | None": (int, float, type(None)),
}


@dataclass(frozen=True)
class Parameter:
    """A parameter declared in a template's ``parameters`` cell."""

    name: str
    type: str
    default: Any
    help: str = ""

    def describe(self) -> str:
        text = f"{self.name}: {self.type} = {self.default!r}"
        return f"{text}  ({self.help})" if self.help else text


def parameters_cell(nb: nbformat.NotebookNode, *, path: str | Path = "notebook") -> int:
    """Index of the one cell tagged ``parameters``; a ValueError when there are 0 or several."""
    tagged = [
        i
        for i, cell in enumerate(nb.cells)
        if "parameters" in cell.get("metadata", {}).get("tags", [])
    ]
    if len(tagged) != 1:
        found = "none" if not tagged else f"cells {', '.join(str(i + 1) for i in tagged)}"
        raise ValueError(f"{path}: exactly one cell must be tagged 'parameters', found {found}")
    return tagged[0]


def _comments(source: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def read_parameters(nb: nbformat.NotebookNode | str | Path) -> dict[str, Parameter]:
    """The parameters a template declares, in order.

    Raises
    ------
    ValueError
        When the parameters cell holds anything but literal, annotated assignments of a
        supported type (``str``, ``int``, ``float``, ``bool``, ``list[str]``, ``list[int]``,
        ``X | None``).
    """
    path: str | Path = "notebook"
    if not isinstance(nb, nbformat.NotebookNode):
        path = nb
        nb = nbformat.read(str(nb), as_version=4)
    source = nb.cells[parameters_cell(nb, path=path)].source
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"{path}: parameters cell line {exc.lineno}: {exc.msg}") from None
    comments = _comments(source)
    params: dict[str, Parameter] = {}
    for stmt in tree.body:
        where = f"{path}: parameters cell line {stmt.lineno}"
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            raise ValueError(
                f"{where}: expected 'name: type = literal', found {ast.unparse(stmt)!r}"
            )
        kind = ast.unparse(stmt.annotation)
        if kind not in _TYPES:
            raise ValueError(
                f"{where}: type {kind!r} is not supported; use one of {', '.join(_TYPES)}"
            )
        try:
            default = ast.literal_eval(stmt.value) if stmt.value is not None else None
        except ValueError:
            raise ValueError(
                f"{where}: the default of {stmt.target.id} must be a literal"
            ) from None
        name = stmt.target.id
        params[name] = Parameter(
            name, kind, coerce(default, kind, name=name), comments.get(stmt.lineno, "")
        )
    missing = [r for r in RESERVED if r not in params]
    if missing:
        raise ValueError(f"{path}: the parameters cell must declare {', '.join(missing)}")
    return params


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def coerce(value: Any, kind: str, *, name: str = "value") -> Any:
    """Convert *value* (a Python value, or a string from the command line) to type *kind*.

    Raises
    ------
    ValueError
        Saying which parameter expected which type and what was found; a float must be finite
        (``nan`` and ``inf`` are refused).
    """

    given = value  # as the user wrote it: '1e999', not the inf it parses to

    def fail() -> ValueError:
        return ValueError(f"parameter {name!r} expects {kind}, found {given!r}")

    optional = kind.endswith("| None")
    base = kind.removesuffix(" | None")
    if value is None or (
        optional and isinstance(value, str) and value.strip().lower() in {"none", "null", ""}
    ):
        if optional:
            return None
        raise fail()
    if isinstance(value, str) and base != "str":
        text = value.strip()
        if base == "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise fail()
        if base.startswith("list["):
            try:
                parsed = (
                    json.loads(text)
                    if text.startswith("[")
                    else [t.strip() for t in text.split(",") if t.strip()]
                )
            except json.JSONDecodeError:
                raise fail() from None
            value = parsed
        else:
            try:
                value = int(text) if base == "int" else float(text)
            except ValueError:
                raise fail() from None
    if base == "str":
        if not isinstance(value, str):
            raise fail()
        return value
    if base == "bool":
        if not isinstance(value, bool):
            raise fail()
        return value
    if base == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise fail()
        return value
    if base == "float":
        # nan and inf parse as floats but are no setting: a level of nan fails deep in a notebook
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise fail()
        return float(value)
    if base.startswith("list["):
        item = base[5:-1]
        if not isinstance(value, list | tuple):
            raise fail()
        return [coerce(v, item, name=name) for v in value]
    raise fail()


def is_identifier(name: str) -> bool:
    """Whether *name* can be a parameter name (an identifier that is not a keyword)."""
    return name.isidentifier() and not keyword.iskeyword(name)
