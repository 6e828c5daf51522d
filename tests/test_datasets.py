"""Tests of the example-study generator (``voc.datasets.example``).

The committed files under ``studies/example`` must be exactly what the generator writes, and
the ground truth planted in them must hold when measured with ordinary statistics (statsmodels
OLS, two-proportion z-tests, a keyword regex, Cohen's κ computed here by hand).
"""

from __future__ import annotations

import itertools
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from voc.datasets.example import DEFAULT_SEED, main, write_example_study

EXAMPLE = Path(__file__).resolve().parents[1] / "studies" / "example"
TRANSCRIPTS = EXAMPLE / "data" / "transcripts"
ITEMS = [
    "search_ease",
    "candidate_quality",
    "integration",
    "support",
    "pricing_clarity",
    "compliance_help",
]
COLUMNS = [
    "participant_id",
    "response_date",
    "wave",
    "region",
    "company_size",
    "role",
    "nps",
    "ces",
    "csat",
    *ITEMS,
    "comment",
]
REGIONS = {"North America", "EMEA", "APAC", "LATAM"}
# Words a reader would take as "fragmented systems / integration" in a comment or a turn.
SYSTEMS = re.compile(
    r"integrat|sync|connect|re-?key|re-?enter|retype|copy-?paste|copying|manual|"
    r"\bATS\b|\bHRIS\b|Workday|Greenhouse|SuccessFactors|BambooHR|Personio|"
    r"\bLever\b|systems?\b|spreadsheet|CSV|export|tools\b|tabs\b|logins",
    re.IGNORECASE,
)
PRAISE = re.compile(
    r"search|shortlist|filter|candidate|talent pool|hired|account (?:manager|team)"
    r"|\bCSM\b|customer success",
    re.IGNORECASE,
)
TURN = re.compile(r"([^:\n]{1,40}): (\S.*)")
TIMING = re.compile(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})")


# --- helpers ----------------------------------------------------------------------------------
def _files(root: Path) -> dict[str, Path]:
    return {
        p.relative_to(root).as_posix(): p
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "study.yaml"
    }


def _docx_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def _seconds(h: str, m: str, s: str, ms: str) -> float:
    return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def parse_transcript(path: Path) -> list[tuple[str, str]]:
    """(speaker, text) per turn, by the format rules the transcript readers implement."""
    if path.suffix == ".txt":
        raw = path.read_bytes().decode("utf-8")
        assert "\r" not in raw
        paragraphs = [p for p in raw.strip("\n").split("\n\n")]
        matches = [TURN.fullmatch(p) for p in paragraphs]
        assert all(matches), path.name
        return [(m.group(1), m.group(2)) for m in matches if m]
    if path.suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        assert not document.tables
        matches = [TURN.fullmatch(p.text) for p in document.paragraphs if p.text.strip()]
        assert all(matches), path.name
        return [(m.group(1), m.group(2)) for m in matches if m]
    raw = path.read_bytes().decode("utf-8")
    head, *cues = raw.strip("\n").split("\n\n")
    assert head == "WEBVTT"
    turns, last_end = [], 0.0
    for cue in cues:
        lines = cue.split("\n")
        if not TIMING.fullmatch(lines[0]):
            lines = lines[1:]  # optional cue id
        timing = TIMING.fullmatch(lines[0])
        assert timing, (path.name, cue)
        start, end = _seconds(*timing.groups()[:4]), _seconds(*timing.groups()[4:])
        assert last_end <= start < end, (path.name, cue)
        last_end = end
        assert len(lines) == 2, (path.name, cue)
        payload = re.fullmatch(r"<v ([^>]+)>(.+?)(</v>)?", lines[1])
        assert payload, (path.name, cue)
        turns.append((payload.group(1), payload.group(2)))
    return turns


def nps(scores: pd.Series) -> float:
    return float(100 * ((scores >= 9).mean() - (scores <= 6).mean()))


def nps_se(scores: pd.Series) -> float:
    """Standard error of an NPS in points: var = p+ + p- - (p+ - p-)^2 per respondent."""
    promoters, detractors = (scores >= 9).mean(), (scores <= 6).mean()
    return 100 * math.sqrt((promoters + detractors - (promoters - detractors) ** 2) / len(scores))


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's κ for two binary ratings (Cohen 1960): (p_o - p_e) / (1 - p_e)."""
    p_o = np.mean(a == b)
    p_e = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    return float((p_o - p_e) / (1 - p_e))


# --- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_example_study(tmp_path_factory.mktemp("example"))


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE / "data" / "survey.csv", dtype={"participant_id": str})


@pytest.fixture(scope="module")
def transcripts() -> dict[str, list[tuple[str, str]]]:
    return {p.name: parse_transcript(p) for p in sorted(TRANSCRIPTS.iterdir())}


@pytest.fixture(scope="module")
def codings() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE / "data" / "codings.csv", dtype=str)


@pytest.fixture(scope="module")
def codebook() -> list[dict[str, str]]:
    return yaml.safe_load((EXAMPLE / "codebook.yaml").read_text(encoding="utf-8"))["codes"]


# --- reproducibility --------------------------------------------------------------------------
def test_committed_files_are_what_the_generator_writes(generated: Path) -> None:
    committed, fresh = _files(EXAMPLE), _files(generated)
    assert sorted(committed) == sorted(fresh)
    for name, path in committed.items():
        if path.suffix == ".docx":  # zlib builds may differ in bytes, so compare the members
            assert _docx_members(path) == _docx_members(fresh[name]), name
        else:
            assert path.read_bytes() == fresh[name].read_bytes(), name


def test_two_runs_are_byte_identical(generated: Path, tmp_path: Path) -> None:
    main([str(tmp_path)])
    again = _files(tmp_path)
    for name, path in _files(generated).items():
        assert path.read_bytes() == again[name].read_bytes(), name
    with zipfile.ZipFile(next(tmp_path.rglob("*.docx"))) as z:
        assert {info.date_time for info in z.infolist()} == {(2024, 10, 1, 9, 0, 0)}
    import docx

    props = docx.Document(str(next(tmp_path.rglob("*.docx")))).core_properties
    assert props.created == props.modified == props.last_printed
    assert props.created.year == 2024


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    write_example_study(tmp_path, seed=DEFAULT_SEED + 1)
    other = (tmp_path / "data" / "survey.csv").read_bytes()
    assert other != (EXAMPLE / "data" / "survey.csv").read_bytes()


def test_stale_transcripts_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / "data" / "transcripts" / "R9999_interview.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("Interviewer: hello\n", encoding="utf-8")
    keep = stale.with_name("notes.md")
    keep.write_text("not a transcript\n", encoding="utf-8")
    write_example_study(tmp_path)
    assert not stale.exists()
    assert keep.exists()


# --- survey -----------------------------------------------------------------------------------
def test_survey_shape_and_dtypes(survey: pd.DataFrame) -> None:
    raw = (EXAMPLE / "data" / "survey.csv").read_bytes()
    assert b"\r" not in raw
    assert raw.decode("utf-8").startswith(",".join(COLUMNS) + "\n")
    assert list(survey.columns) == COLUMNS
    assert len(survey) == 1500
    assert list(survey["participant_id"]) == [f"R{i:04d}" for i in range(1, 1501)]
    assert pd.api.types.is_string_dtype(survey["participant_id"])
    assert survey["nps"].dtype == np.int64
    assert survey["nps"].between(0, 10).all()
    for column, (low, high) in {
        "ces": (1, 7),
        "csat": (1, 5),
        **{i: (1, 5) for i in ITEMS},
    }.items():
        values = survey[column].dropna()
        assert pd.api.types.is_numeric_dtype(survey[column]), column
        assert values.between(low, high).all(), column
        assert (values == values.round()).all(), column
        assert set(values.unique()) == set(range(low, high + 1)), column
    assert survey[["participant_id", "nps", "region", "wave", "response_date"]].notna().all().all()
    assert set(survey["region"]) == REGIONS
    shares = survey["region"].value_counts(normalize=True)
    assert shares["North America"] > shares["EMEA"] > shares["APAC"] > shares["LATAM"]
    assert set(survey["company_size"].dropna()) == {"1-49", "50-249", "250-999", "1000+"}
    assert survey["role"].nunique() == 4


def test_survey_waves_and_dates(survey: pd.DataFrame) -> None:
    dates = pd.to_datetime(survey["response_date"], format="%Y-%m-%d")
    assert survey["wave"].value_counts(normalize=True).between(0.4, 0.6).all()
    for wave, group in dates.groupby(survey["wave"]):
        start = pd.Timestamp(f"{wave}-01")
        assert (group >= start).all(), wave
        assert (group < start + pd.Timedelta(days=26)).all(), wave
    assert dates.is_monotonic_increasing


def test_survey_missingness(survey: pd.DataFrame) -> None:
    blank = survey.isna().mean()
    assert 0.15 <= blank["comment"] <= 0.20
    for item in ITEMS:
        assert 0.005 <= blank[item] <= 0.03, item
    words = survey["comment"].dropna().str.split().str.len()
    assert words.between(5, 60).all()
    assert words.std() > 5  # varied lengths


def test_integration_and_support_drive_nps(survey: pd.DataFrame) -> None:
    import statsmodels.api as sm

    complete = survey.dropna(subset=ITEMS)
    x = (complete[ITEMS] - complete[ITEMS].mean()) / complete[ITEMS].std()
    y = (complete["nps"] - complete["nps"].mean()) / complete["nps"].std()
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    betas = fit.params[ITEMS].sort_values(ascending=False)
    assert set(betas.index[:2]) == {"integration", "support"}
    assert betas.iloc[1] - betas.iloc[2] > 0.1
    assert betas.index[2] == "pricing_clarity"
    assert (fit.pvalues[["integration", "support", "pricing_clarity"]] < 1e-6).all()
    assert betas["search_ease"] < 0.1
    assert 0.3 < fit.rsquared < 0.7


def test_apac_nps_is_clearly_lower(survey: pd.DataFrame) -> None:
    overall = nps(survey["nps"])
    assert 10 <= overall <= 25
    apac = survey.loc[survey["region"] == "APAC", "nps"]
    rest = survey.loc[survey["region"] != "APAC", "nps"]
    diff = nps(rest) - nps(apac)
    assert overall - nps(apac) >= 20
    z = diff / math.hypot(nps_se(apac), nps_se(rest))
    assert diff >= 15
    assert z > 4
    others = survey[survey["region"] != "APAC"].groupby("region")["nps"].apply(nps)
    assert (others > nps(apac) + 15).all()


def test_wave_two_a_bit_higher(survey: pd.DataFrame) -> None:
    by_wave = survey.groupby("wave")["nps"].apply(nps)
    assert 0 < by_wave["2024-09"] - by_wave["2024-03"] < 12


def test_effort_and_satisfaction_track_nps(survey: pd.DataFrame) -> None:
    assert survey["nps"].corr(survey["ces"], method="spearman") < -0.4
    assert survey["nps"].corr(survey["csat"], method="spearman") > 0.4


def test_detractors_write_about_systems(survey: pd.DataFrame) -> None:
    commented = survey.dropna(subset=["comment"])
    mentions = commented["comment"].str.contains(SYSTEMS)
    detractors, promoters = mentions[commented["nps"] <= 6], mentions[commented["nps"] >= 9]
    p1, p2 = detractors.mean(), promoters.mean()
    pooled = mentions[commented["nps"].le(6) | commented["nps"].ge(9)].mean()
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / len(detractors) + 1 / len(promoters)))
    assert p1 > 3 * p2
    assert z > 8
    praise = commented["comment"].str.contains(PRAISE)
    assert praise[commented["nps"] >= 9].mean() > 1.5 * praise[commented["nps"] <= 6].mean()
    assert commented["comment"].nunique() > 0.9 * len(commented)


# --- interviews -------------------------------------------------------------------------------
def test_transcripts_parse_by_the_format_rules(transcripts: dict, survey: pd.DataFrame) -> None:
    names = sorted(transcripts)
    assert len(names) == 24
    suffixes = pd.Series([Path(n).suffix for n in names]).value_counts()
    assert suffixes.to_dict() == {".txt": 10, ".docx": 7, ".vtt": 7}
    ids = [re.fullmatch(r"(?P<id>R\d{4})_.*", n).group("id") for n in names]
    respondents = survey.set_index("participant_id")
    assert set(ids) <= set(respondents.index)
    groups = pd.cut(respondents.loc[ids, "nps"], [-1, 6, 8, 10], labels=["d", "p", "P"])
    assert groups.value_counts().min() >= 6
    assert respondents.loc[ids, "region"].value_counts().min() >= 5
    for name, turns in transcripts.items():
        assert 20 <= len(turns) <= 60, name
        speakers = [s for s, _ in turns]
        assert speakers[0] == "Interviewer"
        assert len(set(speakers)) == 2, name
        pairs = list(itertools.pairwise(speakers))
        assert ("Interviewer", "Interviewer") not in pairs, name
        assert sum(a == b for a, b in pairs) <= 4, name  # two participant turns in a row: rare
        if name.endswith(".vtt"):  # readers may merge a speaker's consecutive cues: avoid them
            assert all(a != b for a, b in pairs), name
        assert all(len(text.split()) >= 2 for _, text in turns), name


def test_interviews_reflect_scores(transcripts: dict, survey: pd.DataFrame) -> None:
    respondents = survey.set_index("participant_id")
    for name, turns in transcripts.items():
        row = respondents.loc[name[:5]]
        said = " ".join(t for s, t in turns if s != "Interviewer")
        if row["integration"] <= 2:
            assert SYSTEMS.search(said), name
        asked = re.compile(rf"(gave us a|scored us|you gave a) {row['nps']}\b")
        assert any(asked.search(t) for s, t in turns if s == "Interviewer"), name


def test_codebook(codebook: list[dict[str, str]]) -> None:
    codes = {c["code"]: c for c in codebook}
    assert 8 <= len(codes) <= 12
    parents = {c["code"] for c in codebook if "parent" not in c}
    assert 3 <= len(parents) <= 4
    for code, entry in codes.items():
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code)
        assert len(entry["description"].split()) >= 10, code
        assert entry.get("parent") in (None, *parents), code  # two levels only


def test_codings_point_at_participant_turns(
    codings: pd.DataFrame, transcripts: dict, codebook: list[dict[str, str]]
) -> None:
    assert list(codings.columns) == ["source", "segment_id", "code", "coder"]
    assert not codings.duplicated().any()
    assert set(codings["coder"]) == {"coder_a", "coder_b"}
    assert set(codings["code"]) <= {c["code"] for c in codebook}
    assert set(codings["code"]) == {c["code"] for c in codebook}  # every code is used
    for row in codings.itertuples():
        turns = transcripts[row.source]
        stem, n = row.segment_id.rsplit("-", 1)
        assert stem == Path(row.source).stem, row
        assert len(n) == 3, row
        assert 1 <= int(n) <= len(turns), row
        assert turns[int(n) - 1][0] != "Interviewer", row
    per_turn = codings.groupby(["segment_id", "coder"]).size()
    assert per_turn.max() <= 3


def test_codes_match_the_turn_content(codings: pd.DataFrame, transcripts: dict) -> None:
    keywords = {
        "fragmented_systems": SYSTEMS,
        "pricing_surprises": re.compile(r"invoice|fee|pric|charge|cost|quote", re.IGNORECASE),
        "cross_border_compliance": re.compile(
            r"complian|contract|tax|payroll|law|legal|"
            r"misclassif|entity",
            re.IGNORECASE,
        ),
        "slow_support": re.compile(r"support|ticket|escalat|answer|repl|closed", re.IGNORECASE),
    }
    agreed = codings.groupby(["source", "segment_id", "code"]).size().loc[lambda s: s == 2]
    for (source, segment_id, code), _ in agreed.items():
        if code in keywords:
            text = transcripts[source][int(segment_id[-3:]) - 1][1]
            assert keywords[code].search(text), (segment_id, code, text)


def test_intercoder_agreement(
    codings: pd.DataFrame, transcripts: dict, codebook: list[dict[str, str]]
) -> None:
    segments = [
        f"{Path(name).stem}-{n:03d}"
        for name, turns in transcripts.items()
        for n, (speaker, _) in enumerate(turns, start=1)
        if speaker != "Interviewer"
    ]
    coded = set(codings[["segment_id", "code", "coder"]].itertuples(index=False, name=None))
    kappa = {}
    for code in (c["code"] for c in codebook):
        a = np.array([(s, code, "coder_a") in coded for s in segments])
        b = np.array([(s, code, "coder_b") in coded for s in segments])
        assert min(a.sum(), b.sum()) >= 10, code
        kappa[code] = cohen_kappa(a, b)
    weakest = min(kappa, key=kappa.get)
    assert weakest == "time_to_hire"
    assert 0.3 <= kappa["time_to_hire"] <= 0.5
    others = {c: k for c, k in kappa.items() if c != weakest}
    assert all(0.45 <= k <= 0.9 for k in others.values()), others
    assert sum(0.55 <= k <= 0.85 for k in others.values()) >= len(others) - 2, others
    assert 0.65 <= np.median(list(others.values())) <= 0.85


def test_readme_reports_the_measured_truth(survey: pd.DataFrame) -> None:
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    for heading in ("## Provenance", "## Data dictionary", "## Planted ground truth"):
        assert heading in readme
    for column in COLUMNS:
        assert f"`{column}`" in readme, column
    assert "1 = very easy, 7 = very difficult" in readme
    apac = nps(survey.loc[survey["region"] == "APAC", "nps"])
    overall = nps(survey["nps"])
    assert f"Overall NPS = {overall:+.1f}**" in readme
    assert f"APAC NPS = {apac:+.1f}" in readme


def test_write_example_study_is_exported_lazily() -> None:
    import voc.datasets
    from voc.datasets import example

    assert voc.datasets.write_example_study is example.write_example_study
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = voc.datasets.nope
