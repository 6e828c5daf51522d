"""Personal data under outputs/ with a roster: file names, errors and small cells.

One study is built for the whole module from the example: a roster of every speaker plus three
people whose names or e-mail addresses are in file and folder names (``R0028_Jane_Doe_...``,
``R0037_ravi.kumar@...``, ``Maria Lopez/``), and three survey respondents moved to a new region
"Antarctica" (a group of 3, below ``analysis.suppress_below: 5``). It is run once in full,
once failing with a roster name in a parameter (the real survey template, through the CLI) and
once with a template that prints raw text, warns and raises with a name.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
import shutil
import unicodedata
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import voc
from voc.errors import RunError
from voc.reproduce import reproduce
from voc.run import run_study

from .conftest import EXAMPLE

pytestmark = pytest.mark.slow

#: People named only in file and folder names (not in any transcript's text).
FILE_PEOPLE = {"Jane Doe": "jane.doe", "Ravi Kumar": "ravi.kumar", "Maria Lopez": "maria.lopez"}
DOMAIN = "customer.example.com"
RENAMED = {  # transcript stem -> new stem
    "R0028_interview": "R0028_Jane_Doe_interview",
    "R0037_interview": f"R0037_ravi.kumar@{DOMAIN}",
}
FOLDER = "data/transcripts/Maria Lopez"  # a folder named after a person (not a transcript)
ANTARCTICA = ["R0001", "R0002", "R0003"]  # not interviewed, each wrote a comment


def _speakers() -> list[str]:
    segments = voc.io.read_segments(voc.load_study(EXAMPLE))
    return sorted(set(segments["speaker"]) - {"Interviewer"})


def _build(root: Path) -> tuple[Path, list[str]]:
    """The example study with names in file names, a roster, a key and a region of 3."""
    study = root / "studies" / "example"
    shutil.copytree(EXAMPLE, study)
    transcripts = study / "data" / "transcripts"
    for old, new in RENAMED.items():
        (path,) = transcripts.glob(f"{old}.*")
        path.rename(transcripts / f"{new}{path.suffix}")
    (study / FOLDER).mkdir()
    (study / FOLDER / "consent.txt").write_text("Consent form received.\n", encoding="utf-8")
    codings = (study / "data" / "codings.csv").read_text(encoding="utf-8")
    for old, new in RENAMED.items():
        codings = codings.replace(f"{old}.", f"{new}.").replace(f"{old}-", f"{new}-")
    (study / "data" / "codings.csv").write_text(codings, encoding="utf-8")

    survey = study / "data" / "survey.csv"
    with survey.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["participant_id"] in ANTARCTICA:
            assert row["comment"].strip()
            row["region"] = "Antarctica"
    with survey.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    names = [*_speakers(), *FILE_PEOPLE]
    emails = {n: f"{FILE_PEOPLE.get(n, n.lower())}@{DOMAIN}" for n in names}
    roster = {"people": [{"name": n, "email": emails[n]} for n in names]}
    (study / "roster.yaml").write_text(yaml.safe_dump(roster, allow_unicode=True), encoding="utf-8")
    key = root / "keys" / "example.key"
    key.parent.mkdir()
    key.write_text(voc.privacy.generate_key(), encoding="utf-8")
    key.chmod(0o600)
    privacy = f"privacy:\n  roster: roster.yaml\n  key_file: {key}\n"
    text = (study / "study.yaml").read_text().replace("analysis:\n", privacy + "analysis:\n", 1)
    (study / "study.yaml").write_text(text)
    return study, names


def _leak_pattern(names: list[str]) -> re.Pattern[str]:
    """Every roster name (words joined by spaces or ``_``, accents or not) and the domain."""
    forms = set()
    for name in names:
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
        )
        forms |= {name, plain}
    words = [r"[\s_]+".join(map(re.escape, f.split())) for f in sorted(forms)]
    return re.compile(
        r"(?<![^\W_])(?:" + "|".join(words) + r")(?![^\W_])|" + re.escape(DOMAIN), re.I
    )


def _texts(root: Path):
    """(where, text) of every file under *root*, zip members and decoded images included."""
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        yield str(path.relative_to(root)), str(path.relative_to(root))  # the path itself
        if path.suffix in {".qdpx", ".zip"}:
            with zipfile.ZipFile(path) as zf:
                for member in zf.namelist():
                    yield f"{path}!{member}", member + zf.read(member).decode("utf-8", "replace")
            continue
        text = path.read_bytes().decode("utf-8", "replace")
        yield str(path), text
        for image in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", text):
            yield f"{path} (chart)", base64.b64decode(image).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    return _build(tmp_path_factory.mktemp("private"))


@pytest.fixture(scope="module")
def full_run(built):
    study, _ = built
    return run_study(study, sets=["n_boot=50", "n_orders=20"], progress=None)


@pytest.fixture(scope="module")
def failed_cli(built, full_run):
    """``voc run --only survey --set segment=Jane Doe``: a cell raises naming the segment."""
    study, _ = built
    before = {p.name for p in full_run.run_dir.parent.iterdir()}
    result = CliRunner().invoke(
        voc.cli.app, ["run", str(study), "--only", "survey", "--set", "segment=Jane Doe"]
    )
    (run_dir,) = [p for p in full_run.run_dir.parent.iterdir() if p.name not in before]
    return result, run_dir


def _template(folder: Path) -> Path:
    """A template that prints a raw transcript turn, warns and raises with a roster name."""
    cells = [
        nbformat.v4.new_markdown_cell("# Raw text in a failing notebook"),
        nbformat.v4.new_code_cell(
            'study_dir: str = "."  # the study\noutput_dir: str = "."  # outputs\n'
            'who: str = "nobody"  # whom to look for'
        ),
        nbformat.v4.new_code_cell("import voc\n\nstudy = voc.load_study(study_dir)"),
        nbformat.v4.new_code_cell(
            "import warnings\n"
            "from voc.io.transcripts import read_transcripts\n"
            "folder = study.interviews.transcripts\n"
            'raw = read_transcripts(folder, pattern=r"(?P<id>R\\d{4})_.*")\n'
            'turn = raw[raw["role"].eq("participant")].iloc[0]\n'
            'print(turn["source"], turn["speaker"], turn["text"])\n'
            'warnings.warn(f"looking for {who} in {turn.source}")\n'
            'raise ValueError(f"no interview with {who} ({turn.speaker}, {turn.source})")'
        ),
    ]
    cells[1].metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / "10_raw.ipynb"))
    return folder


@pytest.fixture(scope="module")
def failed_raw(built, full_run, tmp_path_factory):
    study, _ = built
    templates = _template(tmp_path_factory.mktemp("templates"))
    with pytest.raises(RunError) as info:
        run_study(study, sets=["who=Ravi Kumar"], templates_dir=templates, progress=None)
    runs = sorted(p for p in full_run.run_dir.parent.iterdir() if p.name[0].isdigit())
    return str(info.value), runs[-1]


# ---------------------------------------------------------------------------------------------
# 1. Nothing under outputs/ names a person


def test_no_roster_name_or_email_anywhere_under_outputs(built, full_run, failed_cli, failed_raw):
    _, names = built
    pattern = _leak_pattern(names)
    outputs = full_run.run_dir.parent
    assert len([p for p in outputs.iterdir() if p.name[0].isdigit()]) == 3
    leaks = [(w, m.group(0)) for w, text in _texts(outputs) for m in pattern.finditer(text)]
    assert leaks == []
    # the scan finds what it looks for: the study's own inputs are full of names
    raw = [w for w, text in _texts(built[0]) if pattern.search(text)]
    assert any("R0028_Jane_Doe_interview.docx" in w for w in raw)
    assert any(w.endswith("roster.yaml") for w in raw)


def _pz(study: Path):
    from voc.io._pseudonyms import pseudonymizer

    return pseudonymizer(voc.load_study(study))


def test_file_names_are_pseudonymised_the_same_way_everywhere(built, full_run):
    study, _ = built
    pz = _pz(study)
    jane, ravi, maria = (pz.pseudonym_of(n) for n in FILE_PEOPLE)
    docx = f"R0028_{jane}_interview.docx"
    txt = f"R0037_{ravi.lower()}@example.invalid.txt"
    run = full_run.run_dir
    manifest = json.loads((run / "manifest.json").read_text())
    inputs = manifest["inputs"]
    real = study / "data" / "transcripts" / "R0028_Jane_Doe_interview.docx"
    assert inputs[f"data/transcripts/{docx}"] == hashlib.sha256(real.read_bytes()).hexdigest()
    assert f"data/transcripts/{txt}" in inputs
    assert f"data/transcripts/{maria}/consent.txt" in inputs
    assert len(inputs) == len(voc.load_study(study).input_files())

    interviews = pd.read_csv(run / "tables" / "interviews.csv", dtype=str)
    assert {docx, txt} <= set(interviews["source"])
    assert len(interviews) == 24
    segments = voc.io.read_segments(voc.load_study(study))
    assert (
        segments.loc[segments["source"].eq(docx), "segment_id"]
        .str.fullmatch(rf"R0028_{jane}_interview-\d{{3}}")
        .all()
    )
    # every coding of the renamed transcripts still finds its turn
    codings = voc.io.read_codings(voc.load_study(study))
    n_lines = len(pd.read_csv(study / "data" / "codings.csv"))
    assert len(codings) == n_lines
    assert set(codings["segment_id"]) <= set(segments["segment_id"])
    assert (
        codings["source"].eq(txt).sum()
        == ((study / "data" / "codings.csv").read_text().count(f"R0037_ravi.kumar@{DOMAIN}.txt"))
        > 0
    )
    quotes = pd.read_csv(run / "tables" / "quotes.csv", dtype=str)
    assert set(quotes["segment_id"]) <= set(segments["segment_id"])
    assert (pd.read_csv(run / "tables" / "coding_issues.csv").shape[0]) == 0

    exported = voc.io.read_qdpx(run / "exports" / "example.qdpx")
    assert {docx, txt} <= set(exported["sources"]["source"])
    html = (run / "report" / "20_interviews.html").read_text()
    assert docx in html and f"data/transcripts/{docx}" in html  # interviews table, colophon


def test_reproduce_compares_inputs_by_their_pseudonymised_names(built, failed_cli, tmp_path):
    """The recorded names are re-derived from the key: only the file that changed differs."""
    study, _ = built
    copy = tmp_path / "studies" / "example"
    shutil.copytree(study, copy)
    changed = copy / "data" / "transcripts" / f"R0037_ravi.kumar@{DOMAIN}.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    _, run_dir = failed_cli
    report = reproduce(run_dir / "manifest.json", study=copy)
    ravi = _pz(study).pseudonym_of("Ravi Kumar").lower()
    name = f"data/transcripts/R0037_{ravi}@example.invalid.txt"
    assert [(c.name, c.status) for c in report.inputs] == [(name, "changed")]
    assert report.n_inputs == len(voc.load_study(copy).input_files())
    assert report.run_error is not None  # the recorded run failed; so does its re-run
    assert not _leak_pattern(built[1]).search(report.summary())


# ---------------------------------------------------------------------------------------------
# 2. Errors, tracebacks, printed text and parameters


def test_a_failed_run_names_no_one_in_its_message_manifest_notebook_or_page(built, failed_cli):
    study, names = built
    result, run_dir = failed_cli
    jane = _pz(study).pseudonym_of("Jane Doe")
    pattern = _leak_pattern(names)
    assert result.exit_code == 1
    message = result.output
    assert "Notebook 10_survey failed" in message and jane in message
    assert not pattern.search(message)

    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert jane in manifest["error"] and manifest["error"] in message.replace("\n", "")
    assert manifest["options"]["sets"] == [f"segment={jane}"]
    survey = next(r for r in manifest["notebooks"] if r["name"] == "10_survey")
    assert survey["parameters"] == {"segment": jane}

    nb = nbformat.read(str(run_dir / "notebooks" / "10_survey.ipynb"), as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert len(errors) == 1
    assert jane in errors[0]["evalue"] and any(jane in line for line in errors[0]["traceback"])
    assert nb.metadata["papermill"]["parameters"]["segment"] == jane
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'segment = "{jane}"' in injected.source
    page = (run_dir / "report" / "10_survey.html").read_text()
    assert "Error:" in page and jane in page
    assert not pattern.search(json.dumps(manifest) + nbformat.writes(nb) + page)


def test_printed_text_warnings_and_exceptions_of_a_notebook_are_pseudonymised(built, failed_raw):
    study, names = built
    message, run_dir = failed_raw
    pz = _pz(study)
    ravi = pz.pseudonym_of("Ravi Kumar")
    pattern = _leak_pattern(names)
    assert message.startswith("Notebook 10_raw failed") and ravi in message
    nb = nbformat.read(str(run_dir / "notebooks" / "10_raw.ipynb"), as_version=4)
    outputs = {
        o["output_type"] + o.get("name", ""): o for c in nb.cells for o in c.get("outputs", [])
    }
    printed, warned, error = outputs["streamstdout"], outputs["streamstderr"], outputs["error"]
    # the raw turn was printed with its speaker's name and the file's real name: both replaced
    assert printed["text"].startswith(f"R0028_{pz.pseudonym_of('Jane Doe')}_interview.docx ")
    assert re.match(
        r"R0028_Person-[0-9A-F]{4,}_interview\.docx Person-[0-9A-F]{4,} ", printed["text"]
    )
    assert ravi in warned["text"] and ravi in error["evalue"]
    assert not pattern.search(nbformat.writes(nb) + message)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["error"] in message and not pattern.search(json.dumps(manifest))


# ---------------------------------------------------------------------------------------------
# 3. Small cells


class _Tables(HTMLParser):
    """Each HTML table of a page as rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in {"td", "th"} and self._cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _numbers(cell: str) -> str:
    """The digits of a cell once the suppression mark ``< 5`` is taken out."""
    return re.sub(r"\D", "", cell.replace("< 5", ""))


def test_the_group_of_three_is_kept_in_the_csv_tables(full_run):
    tables = full_run.run_dir / "tables"
    by_segment = pd.read_csv(tables / "nps_by_segment.csv")
    row = by_segment[by_segment["group"].eq("Antarctica")].iloc[0]
    assert row["n"] == 3 and bool(row["suppress"]) and pd.notna(row["nps"])
    crosstab = pd.read_csv(tables / "nps_group_by_segment.csv")
    assert crosstab.loc[crosstab["col"].eq("Antarctica"), "n"].sum() == 3
    sentiment = pd.read_csv(tables / "sentiment_by_group.csv")
    assert sentiment.loc[sentiment["group"].eq("Antarctica"), "n"].tolist() == [3]
    topics = pd.read_csv(tables / "topics_by_group.csv")
    assert topics.loc[topics["group"].eq("Antarctica"), "n_group"].unique().tolist() == [3]


def test_no_stakeholder_page_shows_a_number_of_the_group_of_three(full_run):
    pages = sorted((full_run.run_dir / "report").glob("*.html"))
    rows_seen = columns_seen = 0
    for page in pages:
        text = page.read_text()
        parser = _Tables()
        parser.feed(text)
        for table in parser.tables:
            header = table[0] if table else []
            for j, head in enumerate(header):
                if "Antarctica" in head:  # a crosstab column: its base and every cell hidden
                    columns_seen += 1
                    assert _numbers(head) == "", (page.name, head)
                    assert {r[j] for r in table[1:]} <= {"–", ""}, (page.name, head)
            for row in table[1:]:
                if any("Antarctica" in cell for cell in row):
                    rows_seen += 1
                    assert all(_numbers(c) == "" for c in row), (page.name, row)
        charts = [
            base64.b64decode(b).decode()
            for b in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", text)
        ]
        for chart in charts:  # matplotlib writes each text it draws as an SVG comment
            for label in re.findall(r"<!-- (.*?) -->", chart):
                if "Antarctica" in label:
                    assert "not shown (base below 5): Antarctica" in label, (page.name, label)
        outside = re.sub(r"<table.*?</table>|<img [^>]*>", "", text, flags=re.S)
        for m in re.finditer(r"Antarctica", outside):
            context = outside[max(0, m.start() - 200) : m.end() + 200]
            assert "not shown" in context or "hidden" in context, (page.name, context)
    # NPS by segment, sentiment by group (two pages' tables) and the crosstab's column
    assert rows_seen >= 2 and columns_seen == 1
    survey = (full_run.run_dir / "report" / "10_survey.html").read_text()
    assert "Groups with a base below 5 are not shown or compared." in survey
    assert "Columns with a base below 5 are hidden (Antarctica)." in survey


def test_topic_and_code_heatmaps_leave_out_small_groups(full_run):
    """The chart functions on the run's own tables: a group below the threshold is dropped."""
    tables = full_run.run_dir / "tables"
    topics = pd.read_csv(tables / "topics_by_group.csv")

    def columns(chart) -> list[str]:
        return [t.get_text() for t in chart.figure.axes[0].get_xticklabels()]

    assert "Antarctica" in columns(
        voc.report.prevalence_heatmap(topics, by="region", suppress_below=0)
    )
    shown = voc.report.prevalence_heatmap(topics, by="region", suppress_below=5)
    assert "Antarctica" not in columns(shown) and len(columns(shown)) == 4
    assert "hidden where the base is below 5" in shown.figure.axes[1].get_ylabel()

    by_group = pd.read_csv(tables / "codes_by_group.csv")  # passives: 7 interviewees
    assert by_group.groupby("nps_group")["n_group"].first().to_dict() == {
        "detractor": 9,
        "passive": 7,
        "promoter": 8,
    }
    chart = voc.report.heatmap(
        by_group,
        row="code",
        col="nps_group",
        value="pct_participants",
        base="n_group",
        suppress_below=8,
    )
    assert columns(chart) == ["detractor", "promoter"]
    texts = [t.get_text() for t in chart.figure.axes[0].texts]
    assert len(texts) == 2 * by_group["code"].nunique()


def test_mixed_method_tables_hide_small_bases(full_run):
    """Mentioner NPS and the joint display on the run's tables, with thresholds that bite."""
    tables = full_run.run_dir / "tables"
    mentioner = pd.read_csv(tables / "mentioner_nps.csv")
    prevalence = pd.read_csv(tables / "code_prevalence.csv")
    display = pd.read_csv(tables / "joint_display.csv")
    commercial = mentioner.set_index("code").loc["commercial"]
    assert commercial["n_mention"] == 14  # the least mentioned code

    shown = voc.report.table(mentioner, base=["n_mention", "n_other"], suppress_below=15).frame
    row = shown.set_index("code").loc["commercial"]
    assert row["n_mention"] == "< 15" and row["n_other"] == commercial["n_other"]
    assert row[["nps_mention", "ci_low", "ci_high", "diff", "p_val"]].isna().all()
    others = shown[shown["code"].ne("commercial")]
    assert others["nps_mention"].notna().all()

    joint = voc.report.joint_display_table(
        display, mentioner=mentioner, prevalence=prevalence, suppress_below=8
    ).frame.set_index("code")
    assert joint["by NPS group"].str.contains(r"passive –").all()
    assert not joint["by NPS group"].str.contains(r"passive \d").any()
    assert joint["by NPS group"].str.contains(r"detractor \d+%").any()
    joint = voc.report.joint_display_table(
        display, mentioner=mentioner, prevalence=prevalence, suppress_below=15
    ).frame.set_index("code")
    assert joint.loc["commercial", "NPS mentioners vs others"] == ""
    assert joint.loc["commercial", "survey comments mentioning"] == ""
    assert (joint.drop(index="commercial")["NPS mentioners vs others"] != "").sum() >= 5
    assert "Hidden: survey values of codes mentioned by fewer than 15" in (
        voc.report.joint_display_table(display, mentioner=mentioner, suppress_below=15).caption
    )
