"""Files voc writes get the permissions a plain ``open(path, "w")`` gives them.

Atomic writes go through a temporary file (``tempfile.mkstemp``, mode 0600); the finished
report, tables and headlines must not stay private to their owner. The oracle is a file made
with ``open(path, "w")`` in the same folder under the same umask.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from voc.io import atomic_write_bytes, atomic_write_text, save_headline, save_table
from voc.io.files import _proc_umask

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


@contextlib.contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _plain_open_mode(folder: Path) -> int:
    oracle = folder / "plain.txt"
    with open(oracle, "w", encoding="utf-8") as fh:
        fh.write("x")
    mode = _mode(oracle)
    oracle.unlink()
    return mode


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_atomic_writes_get_the_mode_of_a_plain_open(tmp_path: Path, mask, expected) -> None:
    with _umask(mask):
        assert _plain_open_mode(tmp_path) == expected
        text = atomic_write_text(tmp_path / "report" / "index.html", "<p>x</p>")
        data = atomic_write_bytes(tmp_path / "exports" / "codes.qdc", b"<x/>")
        table = save_table(pd.DataFrame({"a": [1, 2]}), "nps_overall", tmp_path)
        save_headline(tmp_path, "nps", label="NPS", value="12")
    for path in (text, data, tmp_path / "tables" / "nps_overall.csv", tmp_path / "headlines.json"):
        assert _mode(path) == expected, (path.name, oct(_mode(path)))
    assert table["a"].tolist() == [1, 2]
    assert text.read_text(encoding="utf-8") == "<p>x</p>" and data.read_bytes() == b"<x/>"
    leftovers = [p.name for p in tmp_path.rglob(".*.tmp")]
    assert leftovers == []


def test_a_replaced_file_gets_the_mode_of_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    with _umask(0o077):
        atomic_write_text(path, "{}")
    assert _mode(path) == 0o600
    with _umask(0o022):
        atomic_write_text(path, '{"a": 1}')
    assert _mode(path) == 0o644 and path.read_text(encoding="utf-8") == '{"a": 1}'


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc")
def test_the_umask_is_read_without_changing_it_while_other_threads_write(tmp_path: Path) -> None:
    with _umask(0o027):
        assert _proc_umask() == 0o027
        errors: list[BaseException] = []

        def write(i: int) -> None:
            try:
                for j in range(20):
                    atomic_write_text(tmp_path / f"t{i}-{j}.txt", "x")
                    assert os.umask(0o027) == 0o027  # nobody changed it meanwhile
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    modes = {_mode(p) for p in tmp_path.glob("t*.txt")}
    assert modes == {0o640}
    assert len(list(tmp_path.glob("t*.txt"))) == 80
