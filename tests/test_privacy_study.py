"""A study with a roster: no roster name or e-mail appears anywhere under outputs/."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
import yaml

import voc
from voc.errors import StudyError
from voc.run import run_study

from .conftest import EXAMPLE

pytestmark = pytest.mark.slow


def _names() -> list[str]:
    segments = voc.io.read_segments(voc.load_study(EXAMPLE))
    return sorted(set(segments["speaker"]) - {"Interviewer"})


def _with_roster(study: Path, key: Path | None) -> list[str]:
    names = [*_names(), "Tom"]
    roster = {"people": [{"name": n, "email": f"{n.lower()}@customer.example.com"} for n in names]}
    (study / "roster.yaml").write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    privacy = "privacy:\n  roster: roster.yaml\n"
    if key is not None:
        privacy += f"  key_file: {key}\n"
    text = (study / "study.yaml").read_text().replace("analysis:\n", privacy + "analysis:\n", 1)
    (study / "study.yaml").write_text(text)
    return names


def _files_text(root: Path):
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            if path.suffix in {".qdpx", ".zip"}:
                with zipfile.ZipFile(path) as zf:
                    for member in zf.namelist():
                        yield f"{path}!{member}", zf.read(member).decode("utf-8", "replace")
            else:
                yield str(path), path.read_bytes().decode("utf-8", "replace")


def test_no_roster_name_survives_anywhere_under_outputs(
    example_study: Path, tmp_path: Path
) -> None:
    key = tmp_path / "keys" / "example.key"
    from typer.testing import CliRunner

    result = CliRunner().invoke(voc.cli.app, ["keygen", str(key)])
    assert result.exit_code == 0, result.output
    assert key.stat().st_mode & 0o077 == 0  # readable by the owner only
    names = _with_roster(example_study, key)
    run = run_study(example_study, sets=["n_boot=50", "n_orders=20"], progress=None)
    outputs = run.run_dir.parent
    pattern = re.compile(
        r"\b(" + "|".join(map(re.escape, names)) + r")\b|customer\.example\.com", re.I
    )
    leaks = [
        (where, m.group(0)) for where, text in _files_text(outputs) for m in pattern.finditer(text)
    ]
    assert leaks == []
    page = (run.run_dir / "report" / "20_interviews.html").read_text()
    assert "were replaced only where they are listed in the" in page
    exported = voc.io.read_qdpx(run.run_dir / "exports" / "example.qdpx")
    assert exported["sources"]["text"].str.contains(r"\nPerson-\w+: ", regex=True).all()
    log = (run.run_dir / "tables" / "redactions.csv").read_text()
    assert "person" in log and not pattern.search(log)


def test_a_roster_without_a_key_is_a_clear_error(example_study: Path, monkeypatch) -> None:
    monkeypatch.delenv("VOC_PSEUDONYM_KEY", raising=False)
    _with_roster(example_study, None)
    with pytest.raises(StudyError, match=r"declares a roster but no pseudonym key.*voc keygen"):
        voc.io.check_inputs(voc.load_study(example_study))


def test_a_key_inside_the_study_folder_is_refused(example_study: Path) -> None:
    _with_roster(example_study, example_study / "secret.key")
    with pytest.raises(StudyError, match="key must live outside the study folder"):
        voc.load_study(example_study)
