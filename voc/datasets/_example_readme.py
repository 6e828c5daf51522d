"""The example study's ``codebook.yaml`` and ``README.md``, with the ground truth measured.

The measurements here are plain numpy so that the generator depends on no analysis module; the
tests re-measure them independently (statsmodels OLS, z-tests, keyword regex, own kappa).
"""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any

import numpy as np

from voc.datasets import _example_text as text
from voc.datasets._example_interviews import ITEMS, Interview

REGIONS = ["North America", "EMEA", "APAC", "LATAM"]


def codebook_yaml() -> str:
    """The codebook as hand-formatted YAML (folded descriptions), parents before children."""
    lines = [
        "# Codebook of the example study's interviews (synthetic; written by",
        "# `python -m voc.datasets.example`). Coders apply the children, and a parent only",
        "# when the talk fits the category but none of its children.",
        "codes:",
    ]
    for code, parent, description in text.CODEBOOK:
        lines.append(f"  - code: {code}")
        if parent:
            lines.append(f"    parent: {parent}")
        lines.append("    description: >-")
        lines += [f"      {line}" for line in textwrap.wrap(description, width=88)]
    return "\n".join(lines) + "\n"


def nps_score(scores: np.ndarray) -> float:
    """% promoters (9-10) minus % detractors (0-6)."""
    return float(100 * (np.mean(scores >= 9) - np.mean(scores <= 6)))


def standardised_betas(rows: list[dict[str, Any]]) -> tuple[dict[str, float], float, int]:
    """OLS of z(nps) on the z-scored items (complete cases): betas, R^2 and n."""
    complete = [r for r in rows if all(r[i] is not None for i in ITEMS)]
    x = np.array([[r[i] for i in ITEMS] for r in complete], dtype=float)
    y = np.array([r["nps"] for r in complete], dtype=float)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = (y - y.mean()) / y.std()
    design = np.column_stack([np.ones(len(y)), x])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    r2 = 1 - np.sum((y - design @ beta) ** 2) / np.sum(y**2)
    return dict(zip(ITEMS, beta[1:].tolist(), strict=True)), float(r2), len(y)


def _corr(rows: list[dict[str, Any]], column: str) -> float:
    pairs = np.array([(r["nps"], r[column]) for r in rows if r[column] is not None], dtype=float)
    return float(np.corrcoef(pairs.T)[0, 1])


def kappa_by_code(
    interviews: list[Interview], codings: list[tuple[str, str, str, str]]
) -> dict[str, tuple[float, int, int]]:
    """Cohen's kappa per code over all participant turns: (kappa, n coded by A, n coded by B)."""
    segments = [
        f"{iv.stem}-{n:03d}"
        for iv in interviews
        for n, t in enumerate(iv.turns, start=1)
        if not t.is_interviewer
    ]
    coded = {(seg, code, coder) for _, seg, code, coder in codings}
    result = {}
    for code, _, _ in text.CODEBOOK:
        a = np.array([(s, code, "coder_a") in coded for s in segments])
        b = np.array([(s, code, "coder_b") in coded for s in segments])
        po = np.mean(a == b)
        pe = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
        result[code] = (
            float((po - pe) / (1 - pe)) if pe < 1 else float("nan"),
            int(a.sum()),
            int(b.sum()),
        )
    return result


def _signed(x: float, digits: int = 1) -> str:
    return f"{x:+.{digits}f}"


def ground_truth(rows: list[dict[str, Any]], themes: list[list[str]]) -> dict[str, Any]:
    nps = np.array([r["nps"] for r in rows])
    region = np.array([r["region"] for r in rows])
    wave = np.array([r["wave"] for r in rows])
    groups = np.array(["detractor" if s <= 6 else "passive" if s <= 8 else "promoter" for s in nps])
    with_comment = np.array([bool(r["comment"]) for r in rows])
    mentions = {}
    for code in (
        "fragmented_systems",
        "slow_support",
        "pricing_surprises",
        "account_manager",
        "search_experience",
        "candidate_quality",
    ):
        has = np.array([code in t for t in themes])
        mentions[code] = {
            g: float(100 * has[with_comment & (groups == g)].mean())
            for g in ("detractor", "passive", "promoter")
        }
    betas, r2, n_complete = standardised_betas(rows)
    return {
        "nps": nps_score(nps),
        "nps_region": {g: nps_score(nps[region == g]) for g in REGIONS},
        "n_region": {g: int(np.sum(region == g)) for g in REGIONS},
        "nps_wave": {w: nps_score(nps[wave == w]) for w in ("2024-03", "2024-09")},
        "n_wave": {w: int(np.sum(wave == w)) for w in ("2024-03", "2024-09")},
        "betas": betas,
        "r2": r2,
        "n_complete": n_complete,
        "r_ces": _corr(rows, "ces"),
        "r_csat": _corr(rows, "csat"),
        "mentions": mentions,
        "pct_comment": float(100 * with_comment.mean()),
    }


def readme_markdown(
    rows: list[dict[str, Any]],
    themes: list[list[str]],
    interviews: list[Interview],
    codings: list[tuple[str, str, str, str]],
    *,
    seed: int,
) -> str:
    gt = ground_truth(rows, themes)
    kappa = kappa_by_code(interviews, codings)
    apac = gt["nps_region"]["APAC"]
    rest_rows = [r for r in rows if r["region"] != "APAC"]
    rest = nps_score(np.array([r["nps"] for r in rest_rows]))
    ranked = sorted(gt["betas"], key=lambda i: -gt["betas"][i])
    blanks = Counter(c for r in rows for c, v in r.items() if v is None or v == "")
    n_turns = [len(iv.turns) for iv in interviews]
    formats = Counter(iv.fmt for iv in interviews)
    m = gt["mentions"]

    region_lines = "\n".join(
        f"   | {g} | {gt['n_region'][g]} | {_signed(gt['nps_region'][g])} |" for g in REGIONS
    )
    beta_lines = "\n".join(f"   | `{i}` | {gt['betas'][i]:.3f} |" for i in ranked)
    kappa_lines = "\n".join(f"   | `{c}` | {k:.2f} | {a} | {b} |" for c, (k, a, b) in kappa.items())
    interview_lines = "\n".join(
        f"| {iv.participant_id} | {iv.name} | {iv.row['region']} | {iv.row['nps']} | "
        f"`{iv.source}` | {len(iv.turns)} |"
        for iv in interviews
    )
    mention_lines = "\n".join(
        f"   | {code} | {v['detractor']:.1f} | {v['passive']:.1f} | {v['promoter']:.1f} |"
        for code, v in m.items()
    )
    blank_text = ", ".join(
        f"`{c}` {blanks[c]}" for c in [*ITEMS, "ces", "csat", "company_size", "role", "comment"]
    )
    return f"""# Example study: global hiring platform, customer pain points 2024

**Synthetic data.** Nothing here comes from real customers. A B2B platform that helps companies
find and hire talent globally surveys its customers in four regions (two waves) and interviews
24 of the respondents; two researchers code the interviews. The study is modelled on a master's
project and exists so that every notebook, test and tutorial runs on realistic data.

## Provenance

- Written by `voc.datasets.example.write_example_study` from `np.random.default_rng({seed})`.
  The same seed gives byte-identical files (`tests/test_datasets.py` checks this).
- Regenerate: `python -m voc.datasets.example` (into `studies/example`) or
  `python -m voc.datasets.example DEST`. `study.yaml` is hand-written and not regenerated.
- Survey answers come from a latent model: each driver item is a shared attitude factor plus
  noise, shifted by region, company size and wave; likelihood to recommend is a weighted sum of
  the items plus region and wave effects and noise, cut into 0-10. Comments, interviews and codes
  are assembled from phrase banks (`voc/datasets/_example_text.py`) chosen from each person's
  scores. The theme behind a comment is not stored anywhere in the data.

## Files

| file | content |
|---|---|
| `data/survey.csv` | {len(rows)} respondents, one row each (UTF-8, comma, header, LF) |
| `data/transcripts/` | {len(interviews)} interviews: {formats["txt"]} `.txt`, {formats["docx"]} `.docx`, {formats["vtt"]} `.vtt` ({min(n_turns)}-{max(n_turns)} turns) |
| `codebook.yaml` | {len(text.CODEBOOK)} codes in two levels (4 parents, 8 children) |
| `data/codings.csv` | {len(codings)} codings of participant turns by `coder_a` and `coder_b` |

## Data dictionary: `data/survey.csv`

| column | type | values |
|---|---|---|
| `participant_id` | string | `R0001` ... `R{len(rows):04d}`, in order of response date; never blank |
| `response_date` | ISO date | within three weeks of the wave start (4 March / 2 September 2024) |
| `wave` | string | `2024-03` (wave 1) or `2024-09` (wave 2) |
| `region` | string | North America, EMEA, APAC, LATAM; never blank |
| `company_size` | string | employees: `1-49`, `50-249`, `250-999`, `1000+` |
| `role` | string | Talent acquisition, HR operations, Hiring manager, Executive |
| `nps` | integer 0-10 | "How likely are you to recommend us to a colleague?" 0 = not at all likely, 10 = extremely likely; never blank |
| `ces` | integer 1-7 | Customer Effort Score, "How easy was it to hire through the platform?" **1 = very easy, 7 = very difficult** (higher = more effort) |
| `csat` | integer 1-5 | "Overall, how satisfied are you?" 1 = very dissatisfied, 5 = very satisfied |
| `search_ease` | Likert 1-5 | "Finding suitable candidates is easy" |
| `candidate_quality` | Likert 1-5 | "Candidates match our requirements" |
| `integration` | Likert 1-5 | "The platform integrates with our HR systems" |
| `support` | Likert 1-5 | "Support responds quickly and solves our problem" |
| `pricing_clarity` | Likert 1-5 | "Pricing is clear and predictable" |
| `compliance_help` | Likert 1-5 | "The platform helps us stay compliant across countries" |
| `comment` | free text | "What is the main reason for your score?" (5-60 words; typos kept) |

Likert items: 1 = strongly disagree, 5 = strongly agree. NPS groups: detractors 0-6, passives
7-8, promoters 9-10; NPS = % promoters - % detractors. Blank cells (missing at random): {blank_text}.

## Transcripts, codebook and codings

- File names `R####_interview.{{txt,docx,vtt}}`; the id matches `participant_id` in the survey.
  Speakers: `Interviewer` and the participant's (fictional) first name.
- `.txt`: one turn per paragraph, `Speaker: text`, paragraphs separated by a blank line.
  `.docx`: one paragraph per turn, the speaker in a bold run in most files.
  `.vtt`: one `<v Speaker>` cue per turn; some files have cue ids, some omit `</v>`.
- The interviews follow a semi-structured guide: role and context, hiring process, search,
  candidates, integrations with the ATS/HRIS, support, pricing, compliance across countries, what
  would make them recommend the platform.
- Segment *n* is the *n*-th turn of a file (1-based, interviewer turns included);
  `segment_id = f"{{file_stem}}-{{n:03d}}"`, e.g. `R0123_interview-007`. Only participant turns
  are coded, 0-3 codes each, independently by both coders (columns `source,segment_id,code,coder`).

## Planted ground truth

Measured on the generated files; later tests assert these facts.

1. **Overall NPS = {_signed(gt["nps"])}** (n = {len(rows)}).
2. **APAC is clearly lower: APAC NPS = {_signed(apac)} vs {_signed(rest)} in the other regions
   ({_signed(apac - gt["nps"])} points against the overall NPS).**

   | region | n | NPS |
   |---|---|---|
{region_lines}

3. **Wave 2 is a little higher:** wave 1 (`2024-03`, n = {gt["n_wave"]["2024-03"]}) NPS =
   {_signed(gt["nps_wave"]["2024-03"])}, wave 2 (`2024-09`, n = {gt["n_wave"]["2024-09"]}) NPS =
   {_signed(gt["nps_wave"]["2024-09"])} (not necessarily significant).
4. **`integration` and `support` are the two strongest drivers of NPS.** Standardised OLS
   coefficients of `nps` on the six items (complete cases, n = {gt["n_complete"]},
   R^2 = {gt["r2"]:.2f}):

   | item | beta (standardised) |
   |---|---|
{beta_lines}

5. **Effort and satisfaction track NPS:** Pearson r(nps, ces) = {_signed(gt["r_ces"], 2)},
   r(nps, csat) = {_signed(gt["r_csat"], 2)}.
6. **Comments** ({gt["pct_comment"]:.1f} % of respondents wrote one) carry eight themes:
   fragmented systems / integration gaps, slow support, account management, search, candidate
   quality, time to hire, pricing surprises, compliance across countries. Detractors write about
   fragmented systems far more than promoters; promoters praise search, candidates and their
   account manager. Share of non-blank comments written from each theme (%; the generator's own
   labels, not stored in the data):

   | theme | detractors | passives | promoters |
   |---|---|---|---|
{mention_lines}

7. **Intercoder agreement**: Cohen's kappa per code at segment level (all participant turns, present
   vs absent), with the number of turns each coder gave the code. `time_to_hire` is the hard one.

   | code | kappa | coder_a | coder_b |
   |---|---|---|---|
{kappa_lines}

## Interviewees

| participant_id | name | region | nps | file | turns |
|---|---|---|---|---|---|
{interview_lines}
"""
