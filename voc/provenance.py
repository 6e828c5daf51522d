"""Provenance: the versions, commit and input hashes that make a run reproducible."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from voc.io.files import sha256_file

__all__ = ["KEY_PACKAGES", "environment", "input_hashes", "voc_commit"]

KEY_PACKAGES = (
    "voc",
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "pydantic",
    "papermill",
    "nbclient",
    "ipykernel",
    "matplotlib",
    "scikit-learn",
    "bertopic",
    "sentence-transformers",
    "torch",
)


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, Any]:
    """Python, platform and the versions of the packages that shape the numbers."""
    import voc

    return {
        "voc": voc.__version__,
        "python": platform.python_version(),
        "executable": sys.executable,
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in KEY_PACKAGES},
    }


@functools.cache
def voc_commit() -> str:
    """The git commit voc runs from (``+dirty`` when it has uncommitted changes), or ``unknown``."""
    repo = Path(__file__).resolve().parent.parent
    if not (repo / ".git").exists():
        return "unknown"
    try:
        sha = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "voc",
                "notebooks",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def input_hashes(study: Any) -> dict[str, str]:
    """sha256 of every input file of *study*, keyed by its path relative to the study folder.

    With a roster (``privacy:`` in study.yaml) the paths are pseudonymised
    (``data/transcripts/R0007_Person-7F3A.docx``): the same key gives the same names on every
    run, so two runs' inputs still compare name by name.
    """
    rename = None
    if getattr(study, "privacy", None) is not None:
        from voc.io._pseudonyms import pseudonymizer

        rename = pseudonymizer(study).pseudonymize_path
    out: dict[str, str] = {}
    for path in study.input_files():
        try:
            key = str(path.relative_to(study.root))
        except ValueError:
            key = str(path)
        out[rename(key) if rename else key] = sha256_file(path) if path.exists() else "missing"
    return out
