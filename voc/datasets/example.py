"""The seeded generator of the bundled example study (``studies/example``).

A B2B platform that helps companies find and hire talent globally surveys its customers in four
regions (two waves) and interviews 24 of them; two researchers code the interviews. Everything
is synthetic and drawn from ``np.random.default_rng(seed)``; the same seed gives byte-identical
files. ``studies/example/README.md`` (written here too) lists the ground truth planted in it.

Regenerate the committed study with::

    python -m voc.datasets.example            # writes into studies/example
    python -m voc.datasets.example DEST       # or into any study folder

Examples
--------
>>> from voc.datasets.example import write_example_study
>>> write_example_study(tmp_path / "example")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np

from voc.datasets import _example_text as text
from voc.datasets._example_interviews import Interview, build_interviews, code_interviews
from voc.datasets._example_readme import codebook_yaml, readme_markdown

__all__ = ["DEFAULT_SEED", "write_example_study"]

DEFAULT_SEED = 20240517
N_RESPONDENTS = 1500

REGIONS = ["North America", "EMEA", "APAC", "LATAM"]
REGION_P = [0.35, 0.30, 0.20, 0.15]
SIZES = ["1-49", "50-249", "250-999", "1000+"]
SIZE_P = [0.26, 0.33, 0.25, 0.16]
ROLES = ["Talent acquisition", "HR operations", "Hiring manager", "Executive"]
ROLE_P = [0.36, 0.24, 0.28, 0.12]
WAVES = {"2024-03": dt.date(2024, 3, 4), "2024-09": dt.date(2024, 9, 2)}
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

# Latent model. Each item is a shared attitude factor plus its own noise (SD 1), shifted by
# region, size and wave; the NPS latent is a weighted sum of the items plus region and wave.
LOADING = 0.55
ITEM_MEAN = {
    "search_ease": 0.55,
    "candidate_quality": 0.30,
    "integration": -0.30,
    "support": 0.0,
    "pricing_clarity": -0.10,
    "compliance_help": 0.10,
}
DRIVER_WEIGHT = {
    "integration": 0.52,
    "support": 0.46,
    "pricing_clarity": 0.22,
    "candidate_quality": 0.15,
    "compliance_help": 0.09,
    "search_ease": 0.05,
}
ITEM_SHIFT = {
    ("region", "APAC"): {"integration": -0.40, "support": -0.30, "compliance_help": -0.20},
    ("region", "LATAM"): {"pricing_clarity": -0.25},
    ("region", "EMEA"): {"compliance_help": 0.15},
    ("company_size", "1000+"): {"integration": -0.25},
    ("company_size", "1-49"): {"pricing_clarity": -0.20, "integration": 0.15},
    ("wave", "2024-09"): {"support": 0.06},
}
NPS_SHIFT = {"APAC": -0.35, "LATAM": 0.05, "EMEA": 0.0, "North America": 0.05}
WAVE2_NPS = 0.03
NPS_NOISE = 0.80
# Target share of each NPS answer 0..10 (detractors 23 %, promoters 40 %).
NPS_PMF = [0.02, 0.01, 0.015, 0.02, 0.025, 0.055, 0.085, 0.16, 0.21, 0.18, 0.22]
LIKERT_CUTS = [-1.3, -0.45, 0.35, 1.2]
CES_CUTS = [-1.25, -0.45, 0.25, 0.85, 1.45, 2.05]
CSAT_CUTS = [-2.0, -1.15, -0.2, 1.0]
MISSING = {
    **dict.fromkeys(ITEMS, 0.015),
    "ces": 0.008,
    "csat": 0.008,
    "company_size": 0.006,
    "role": 0.004,
}
COMMENT_BLANK = {"detractor": 0.10, "passive": 0.25, "promoter": 0.16}
FIXED_TIME = dt.datetime(2024, 10, 1, 9, 0, 0, tzinfo=dt.UTC)


def nps_group(score: int) -> str:
    """``detractor`` (0-6), ``passive`` (7-8) or ``promoter`` (9-10)."""
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


def _norm_cuts(pmf: list[float]) -> np.ndarray:
    cum = np.cumsum(pmf)[:-1]
    return np.array([NormalDist().inv_cdf(float(p)) for p in cum])


def _zscore(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std()


def simulate_survey(rng: np.random.Generator, n: int = N_RESPONDENTS) -> list[dict[str, Any]]:
    """Draw the respondents (without comments), sorted by response date, ids assigned."""
    columns: dict[str, Any] = {
        "region": rng.choice(REGIONS, size=n, p=REGION_P),
        "company_size": rng.choice(SIZES, size=n, p=SIZE_P),
        "role": rng.choice(ROLES, size=n, p=ROLE_P),
        "wave": np.where(rng.random(n) < 0.48, "2024-03", "2024-09"),
    }
    attitude = rng.normal(size=n)
    latent = {}
    for item in ITEMS:
        x = ITEM_MEAN[item] + LOADING * attitude + np.sqrt(1 - LOADING**2) * rng.normal(size=n)
        for (column, value), shifts in ITEM_SHIFT.items():
            x = x + np.where(columns[column] == value, shifts.get(item, 0.0), 0.0)
        latent[item] = x
        columns[item] = np.searchsorted(LIKERT_CUTS, x) + 1
    y = sum(DRIVER_WEIGHT[item] * latent[item] for item in ITEMS)
    y = y + np.vectorize(NPS_SHIFT.get)(columns["region"])
    y = y + np.where(columns["wave"] == "2024-09", WAVE2_NPS, 0.0)
    y = _zscore(y + NPS_NOISE * rng.normal(size=n))
    columns["nps"] = np.searchsorted(_norm_cuts(NPS_PMF), y)
    effort = -0.6 * y - 0.25 * _zscore(latent["integration"]) + 0.75 * rng.normal(size=n)
    columns["ces"] = np.searchsorted(CES_CUTS, effort) + 1
    satisfied = 0.65 * y + 0.2 * _zscore(latent["support"]) + 0.7 * rng.normal(size=n)
    columns["csat"] = np.searchsorted(CSAT_CUTS, satisfied) + 1

    # Responses trickle in over three weeks after each wave's invitation, most in week one.
    offsets = np.minimum(rng.exponential(5.0, size=n).astype(int), 20)
    dates = [
        WAVES[w] + dt.timedelta(days=int(d)) for w, d in zip(columns["wave"], offsets, strict=True)
    ]
    order = np.lexsort((rng.random(n), np.array([d.toordinal() for d in dates])))

    rows = []
    for rank, i in enumerate(order, start=1):
        row: dict[str, Any] = {
            "participant_id": f"R{rank:04d}",
            "response_date": dates[i].isoformat(),
        }
        for column in COLUMNS[2:-1]:
            value = columns[column][i]
            row[column] = int(value) if isinstance(value, np.integer) else str(value)
        rows.append(row)
    for column, p in MISSING.items():
        for row, blank in zip(rows, rng.random(n) < p, strict=True):
            if blank:
                row[column] = None
    return rows


# --- comments ---------------------------------------------------------------------------------
_LOW = {1: 1.0, 2: 0.6, 3: 0.15, 4: 0.04, 5: 0.02}
_HIGH = {1: 0.02, 2: 0.04, 3: 0.15, 4: 0.6, 5: 1.0}
_TONE = {"detractor": (0.4, 1.5), "passive": (1.0, 1.0), "promoter": (1.5, 0.4)}


def _theme_weights(row: dict[str, Any]) -> dict[tuple[str, str], float]:
    v = {item: 3 if row[item] is None else row[item] for item in ITEMS}
    group = nps_group(row["nps"])
    weights = {
        ("fragmented_systems", "neg"): 3.0
        * _LOW[v["integration"]]
        * (1.6 if group == "detractor" else 1.0),
        ("slow_support", "neg"): 2.2 * _LOW[v["support"]],
        ("account_manager", "pos"): 1.2 * _HIGH[v["support"]],
        ("account_manager", "neg"): 0.4 * _LOW[v["support"]],
        ("search_experience", "pos"): 1.0 * _HIGH[v["search_ease"]],
        ("search_experience", "neg"): 0.8 * _LOW[v["search_ease"]],
        ("candidate_quality", "pos"): 1.1 * _HIGH[v["candidate_quality"]],
        ("candidate_quality", "neg"): 1.0 * _LOW[v["candidate_quality"]],
        ("time_to_hire", "pos"): {"promoter": 0.5, "passive": 0.15, "detractor": 0.05}[group],
        ("time_to_hire", "neg"): {"promoter": 0.05, "passive": 0.15, "detractor": 0.5}[group],
        ("pricing_surprises", "neg"): 1.6 * _LOW[v["pricing_clarity"]],
        ("cross_border_compliance", "pos"): 0.6 * _HIGH[v["compliance_help"]],
        ("cross_border_compliance", "neg"): 0.9 * _LOW[v["compliance_help"]],
    }
    pos, neg = _TONE[group]
    return {key: w * (pos if key[1] == "pos" else neg) for key, w in weights.items()}


def _sloppify(rng: np.random.Generator, comment: str) -> str:
    """Typos and sloppy punctuation now and then, the way people type into a survey box."""
    words = comment.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if long_words and rng.random() < 0.08:  # swap two adjacent letters
        i = int(rng.choice(long_words))
        j = int(rng.integers(1, len(words[i]) - 2))
        w = words[i]
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif long_words and rng.random() < 0.05:  # drop a letter
        i = int(rng.choice(long_words))
        j = int(rng.integers(1, len(words[i]) - 1))
        words[i] = words[i][:j] + words[i][j + 1 :]
    comment = " ".join(words)
    if rng.random() < 0.05:
        comment = comment.lower()
    if comment.endswith(".") and rng.random() < 0.12:
        comment = comment[:-1]
    return comment


def make_comment(rng: np.random.Generator, row: dict[str, Any]) -> tuple[str, list[str]]:
    """One open-ended answer for a respondent and the themes it was written from."""
    group = nps_group(row["nps"])
    weights = _theme_weights(row)
    keys = list(weights)
    p = np.array([weights[k] for k in keys])
    themes: list[tuple[str, str]] = []
    if rng.random() > 0.08:
        for _ in range(1 if rng.random() < 0.68 else 2):
            theme = keys[int(rng.choice(len(keys), p=p / p.sum()))]
            themes.append(theme)
            p = np.where([k[0] == theme[0] for k in keys], 0.0, p)  # one polarity per theme
    tone = {"detractor": "neg", "passive": "mid", "promoter": "pos"}[group]

    sentences: list[str] = []
    for theme in themes:
        bank = text.COMMENTS[theme]
        n_lines = 2 if rng.random() < 0.15 and len(bank) > 2 else 1
        for i in rng.choice(len(bank), size=n_lines, replace=False):
            sentences.append(text.fill(bank[int(i)], rng))
    if not themes or rng.random() < 0.12:
        sentences.append(str(rng.choice(text.COMMENTS[("generic", tone)])))
    polarity = themes[0][1] if themes else {"promoter": "pos"}.get(group, "neg")
    if rng.random() < 0.35:
        opener = str(rng.choice(text.OPENERS[group, polarity]))
        if opener.endswith((":", "but", ",")):
            sentences[0] = f"{opener} {text.lower_first(sentences[0])}"
        else:
            sentences.insert(0, opener)
    if rng.random() < 0.2:
        sentences.append(str(rng.choice(text.CLOSERS[group])))
    while len(" ".join(sentences).split()) > 60:
        sentences.pop()
    if len(" ".join(sentences).split()) < 5:
        sentences.append(str(rng.choice(text.COMMENTS[("generic", tone)])))
    return _sloppify(rng, " ".join(sentences)), [code for code, _ in themes]


def add_comments(rng: np.random.Generator, rows: list[dict[str, Any]]) -> list[list[str]]:
    """Fill ``row["comment"]`` in place (blank for some) and return each row's themes."""
    themes = []
    for row in rows:
        comment, row_themes = make_comment(rng, row)
        if rng.random() < COMMENT_BLANK[nps_group(row["nps"])]:
            comment, row_themes = "", []
        row["comment"] = comment
        themes.append(row_themes)
    return themes


# --- writers ----------------------------------------------------------------------------------
def survey_csv(rows: list[dict[str, Any]]) -> str:
    """The survey export: header row, LF line endings, blank cells for missing answers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    return buffer.getvalue()


def transcript_txt(interview: Interview) -> str:
    return "".join(f"{t.speaker}: {t.text}\n\n" for t in interview.turns).rstrip("\n") + "\n"


def _timestamp(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def transcript_vtt(interview: Interview, rng: np.random.Generator) -> str:
    """WEBVTT with one voice-tagged cue per turn; timings from the words spoken."""
    with_ids, with_close = bool(rng.random() < 0.5), bool(rng.random() < 0.8)
    lines = ["WEBVTT", ""]
    t = float(rng.uniform(1.0, 4.0))
    for i, turn in enumerate(interview.turns, start=1):
        duration = max(1.5, len(turn.text.split()) / 2.6) + float(rng.uniform(0.0, 1.0))
        if with_ids:
            lines.append(str(i))
        lines.append(f"{_timestamp(t)} --> {_timestamp(t + duration)}")
        lines.append(f"<v {turn.speaker}>{turn.text}" + ("</v>" if with_close else ""))
        lines.append("")
        t += duration + float(rng.uniform(0.2, 1.5))
    return "\n".join(lines)


def _zip_fixed(blob: bytes) -> bytes:
    """Rewrite a zip with a fixed timestamp on every member, so the bytes are reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(blob)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(2024, 10, 1, 9, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3
            member.external_attr = 0o644 << 16
            dst.writestr(member, src.read(info.filename), compresslevel=6)
    return out.getvalue()


def transcript_docx(interview: Interview, rng: np.random.Generator) -> bytes:
    """One paragraph per turn; the speaker in a bold run in most files."""
    import docx  # python-docx, a core dependency; imported here to keep module import light

    bold = bool(rng.random() < 0.7)
    document = docx.Document()
    props = document.core_properties
    props.author = props.last_modified_by = "voc example generator"
    props.title = f"Interview {interview.participant_id}"
    props.comments = "Synthetic transcript; see studies/example/README.md"
    props.created = props.modified = props.last_printed = FIXED_TIME.replace(tzinfo=None)
    props.revision = 1
    for turn in interview.turns:
        paragraph = document.add_paragraph()
        if bold:
            paragraph.add_run(turn.speaker).bold = True
            paragraph.add_run(f": {turn.text}")
        else:
            paragraph.add_run(f"{turn.speaker}: {turn.text}")
    buffer = io.BytesIO()
    document.save(buffer)
    return _zip_fixed(buffer.getvalue())


def codings_csv(codings: list[tuple[str, str, str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["source", "segment_id", "code", "coder"])
    writer.writerows(codings)
    return buffer.getvalue()


_TRANSCRIPT = re.compile(r"R\d{4}_interview\.(txt|docx|vtt)")


def write_example_study(dest: Path, *, seed: int = DEFAULT_SEED) -> Path:
    """Write the example study's data files into the study folder ``dest`` and return it.

    Writes ``data/survey.csv``, ``data/transcripts/*``, ``data/codings.csv``, ``codebook.yaml``
    and ``README.md`` (with the planted ground truth measured on the data). ``study.yaml`` is
    left alone. Stale ``R####_interview.*`` files in ``data/transcripts`` are removed.
    """
    dest = Path(dest)
    rng_survey, rng_comments, rng_interviews, rng_coders, rng_files = np.random.default_rng(
        seed
    ).spawn(5)
    rows = simulate_survey(rng_survey)
    themes = add_comments(rng_comments, rows)
    interviews = build_interviews(rng_interviews, rows)
    codings = code_interviews(rng_coders, interviews)

    transcripts = dest / "data" / "transcripts"
    transcripts.mkdir(parents=True, exist_ok=True)
    for stale in transcripts.iterdir():
        if _TRANSCRIPT.fullmatch(stale.name):
            stale.unlink()
    (dest / "data" / "survey.csv").write_text(survey_csv(rows), encoding="utf-8", newline="")
    for interview in interviews:
        path = transcripts / interview.source
        if interview.fmt == "txt":
            path.write_text(transcript_txt(interview), encoding="utf-8", newline="")
        elif interview.fmt == "vtt":
            path.write_text(transcript_vtt(interview, rng_files), encoding="utf-8", newline="")
        else:
            path.write_bytes(transcript_docx(interview, rng_files))
    (dest / "data" / "codings.csv").write_text(codings_csv(codings), encoding="utf-8", newline="")
    (dest / "codebook.yaml").write_text(codebook_yaml(), encoding="utf-8", newline="")
    readme = readme_markdown(rows, themes, interviews, codings, seed=seed)
    (dest / "README.md").write_text(readme, encoding="utf-8", newline="")
    return dest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    default = Path(__file__).resolve().parents[2] / "studies" / "example"
    dest = write_example_study(Path(args[0]) if args else default)
    print(f"wrote the example study into {dest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
