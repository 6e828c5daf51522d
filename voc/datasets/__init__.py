"""Seeded generators of synthetic studies (no real customer data).

``write_example_study(dest, *, seed=20240517)`` writes the bundled example study
(``studies/example``); it lives in ``voc.datasets.example`` and loads on first use, so importing
``voc.datasets`` starts no heavy library.
"""

from __future__ import annotations

from typing import Any

__all__ = ["write_example_study"]


def __getattr__(name: str) -> Any:
    if name == "write_example_study":
        from voc.datasets.example import write_example_study

        return write_example_study
    raise AttributeError(f"module 'voc.datasets' has no attribute {name!r}")
