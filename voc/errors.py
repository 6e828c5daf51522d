"""Exceptions raised by voc.

Every error that reaches a user names *where* the problem is (file, line or row, key path or
column), *what* was found and *what* is allowed, so an analyst can fix the input without reading
voc's source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["InputError", "Problem", "RunError", "StudyError", "VocError"]


class VocError(Exception):
    """Base class of every error voc raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is and what is wrong.

    Parameters
    ----------
    file : Path or str
        The file the problem is in.
    message : str
        What was found and what is allowed.
    line : int, optional
        1-based line number in the file.
    key : str, optional
        Dotted key path (``survey.columns.nps``) or column name.
    """

    file: Path | str
    message: str
    line: int | None = None
    key: str | None = None
    column: str | None = None
    row: int | None = None

    def __str__(self) -> str:
        where = [str(self.file)]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.key:
            where.append(self.key)
        return f"{', '.join(where)}: {self.message}"


@dataclass
class StudyError(VocError, ValueError):
    """``study.yaml`` or an input file of the study is invalid.

    Holds every problem found, not just the first, so one ``voc check`` lists them all.
    """

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class InputError(StudyError):
    """An input data file (survey export, transcript, codebook, codings) is invalid."""

    def __init__(
        self,
        file: Path | str,
        message: str,
        *,
        line: int | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__([Problem(file, message, line=line, row=row, column=column)])


class RunError(VocError, RuntimeError):
    """A study run failed; the message says which notebook, which cell and why."""
