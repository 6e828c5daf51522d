"""voc: a research workbench for mixed-method Voice-of-the-Customer studies.

Surveys say *what*, interviews say *why*; voc joins them in code, reproducibly.
Submodules (``voc.survey``, ``voc.qual``, ``voc.io``, ``voc.report``, ...) load on first use,
so ``import voc`` stays fast and starts no heavy library.
"""

from __future__ import annotations

import importlib
from typing import Any

from voc.errors import InputError, RunError, StudyError, VocError
from voc.study import Study, load_study

__version__ = "0.1.0.dev0"

_SUBMODULES = {
    "agreement",
    "cli",
    "datasets",
    "drivers",
    "embeddings",
    "io",
    "mixed",
    "privacy",
    "qual",
    "report",
    "run",
    "sentiment",
    "survey",
    "topics",
}

__all__ = [
    "InputError",
    "RunError",
    "Study",
    "StudyError",
    "VocError",
    "__version__",
    "load_study",
    *sorted(_SUBMODULES),
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"voc.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'voc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES)
