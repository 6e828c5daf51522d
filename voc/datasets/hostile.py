"""A seeded study whose every text field is hostile: markup, scripts, formulas, huge strings.

The report must show all of it as literal text: no script runs, no image or link is fetched, no
spreadsheet formula is run, no word is dropped, and a string of a million characters with no
space neither breaks a page nor disappears without a visible marker. The study is small but
complete (survey with NPS, CES, CSAT, a Likert battery, two segments, two waves and a comment
column; six interviews coded by two coders), so every notebook runs on it.

Where the hostile text goes:

* ``study.yaml``: title, description, owner, a segment column, the comment column, Likert
  item wordings, ``code_drivers`` keys.
* ``data/survey.csv``: the header of a segment and of the comment column, segment and wave
  values, comments (every payload, formulas, a 10,000-character unbroken word).
* ``data/transcripts/``: file names with ``<script>``, ``<img ... onerror=...>``, quotes and a
  formula; participant turns with every payload, a 10,000-character and a 1,000,000-character
  unbroken word. A file name cannot hold ``/``, so no file name closes a tag.
* ``codebook.yaml`` and ``data/codings.csv``: code names, definitions and coder names.

Examples
--------
>>> from voc.datasets.hostile import write_hostile_study
>>> write_hostile_study(tmp_path / "hostile")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from pathlib import Path

import numpy as np
import yaml

__all__ = [
    "CODERS",
    "CODES",
    "COMMENT_COLUMN",
    "DEFAULT_SEED",
    "FORMULAS",
    "HUGE_WORD",
    "LONG_WORD",
    "N_DISAGREED_TURNS",
    "PAYLOADS",
    "SEGMENT_COLUMN",
    "TITLE",
    "TRANSCRIPT_NAMES",
    "TURN_END",
    "write_hostile_study",
]

DEFAULT_SEED = 20240601


def _unbroken(n: int) -> str:
    """A word of *n* characters with no space or punctuation to break at (deterministic)."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    body = (alphabet * (n // len(alphabet) + 1))[: n - 4]
    return "zzzz" + body


#: A 10,000-character word with nothing to break a line at.
LONG_WORD = _unbroken(10_000)
#: A 1,000,000-character word (only in a transcript: survey CSV fields are capped at 131,072).
HUGE_WORD = "h" + _unbroken(999_999)

#: Markup and links that must show as text. Every one appears verbatim in a comment and a turn.
PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<svg onload=alert(3)>",
    "</script><script>alert(4)</script>",
    '"><script>alert(5)</script>',
    "'><img src=x onerror=alert(6)>",
    "[click me](javascript:alert(7))",
    "![tracker](https://example.com/pixel.png)",
    '<img src="https://example.com/track.gif">',
    '<a href="javascript:alert(8)">click</a>',
    '<iframe src="https://example.com/frame"></iframe>',
    "<style>body{display:none}</style>",
    '<link rel="stylesheet" href="https://example.com/x.css">',
    "<!-- an unclosed comment",
    "&lt;script&gt;already escaped&lt;/script&gt;",
    "<![CDATA[ ]]> {{7*7}} ${7*7}",
)

#: How every participant turn ends (after its payload).
TURN_END = "and kept every word after it."
#: Turns of the first interview the coders disagree on (they hold every payload).
N_DISAGREED_TURNS = 7

#: Cells a spreadsheet would run as formulas.
FORMULAS = (
    '=HYPERLINK("https://example.com/steal","click")',
    "+SUM(1,1)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A2)",
)

TITLE = 'Hostile <script>alert("title")</script> study'
SEGMENT_COLUMN = "@SUM(1+1) plan <svg onload=alert('segment')>"
COMMENT_COLUMN = 'comment <script>alert("header")</script>'
REGIONS = (
    "EMEA",
    "APAC <img src=x onerror=alert('region')>",
    '<script>alert("region")</script>',
    "LATAM $\\alert{1}$",  # not TeX: a chart that parsed it would fail
    f"North {LONG_WORD}",
)
PLANS = ('=HYPERLINK("https://example.com","Basic")', "Pro </script><b>plan</b>")
WAVES = {
    "W1 <i>March</i>": dt.date(2024, 3, 4),
    "W2 <script>alert('wave')</script>": dt.date(2024, 9, 2),
}
ITEMS = {
    "support": "Support answers fast <svg onload=alert('item')>",
    "pricing": "Pricing is clear </script><script>alert('item')</script> $\\frac{1}{0}$",
    "integration": "Integrates with our tools [x](javascript:alert('item'))",
}

#: Code names (keys) and their definitions; the first three are children of the last.
CODES = {
    'support <script>alert("code")</script>': (
        "Slow or unhelpful support: tickets left open, long waits. "
        "[docs](javascript:alert('definition')) ![t](https://example.com/t.png)"
    ),
    "pricing <img src=x onerror=alert('code')>": (
        "Surprise fees and unclear pricing <svg onload=alert('definition')>."
    ),
    '=HYPERLINK("https://example.com","integration")': (
        "Integration gaps: re-keying data between systems </script><script>alert(1)</script>."
    ),
    "experience </script><svg onload=alert(3)>": "Anything about the overall experience.",
}
_CODE_PARENT = "experience </script><svg onload=alert(3)>"
_CODE_DRIVERS = dict(zip(list(CODES)[:3], ITEMS, strict=True))
#: The two coders (their names become column headers of the disagreements table).
CODERS = ('ana <script>alert("coder")</script>', "@ben")

#: Transcript file names: valid on Linux (no "/" and no NUL); the id is the ``R\d{4}`` in them.
TRANSCRIPT_NAMES = (
    '=HYPERLINK("x")_R0005.txt',
    "R0001_<script>alert('file')<script>.txt",
    'R0002_<img src=x onerror=alert("file")>.txt',
    "R0003_\"double\" & 'single' quotes.md",
    "R0004_<svg onload=alert(1)>.txt",
    "R0006_plain.txt",
)

# Themes: the sentences a comment or a turn is built from. A theme named like a Likert item
# lowers that item; each theme has its code (in the order of CODES).
_THEMES = {
    "support": [
        "Support takes days to answer a ticket and nobody follows up",
        "Our support tickets stay open for weeks without a reply",
        "The support team is slow and the answers are canned",
        "Waiting on support again, the ticket queue never moves",
    ],
    "pricing": [
        "Pricing changed without notice and the invoice had surprise fees",
        "Hidden fees on every invoice, pricing is impossible to predict",
        "The price went up again and the fees are not explained",
        "Unclear pricing tiers and unexpected charges on the invoice",
    ],
    "integration": [
        "No integration with our payroll system so we re-key everything",
        "The integration with the HR system breaks and data goes missing",
        "We export spreadsheets because the integration does not sync",
        "Manual copy paste between tools, the integration is missing",
    ],
    "experience": [
        "Overall a pleasant experience and the onboarding was smooth",
        "Easy to use dashboard, the team likes the experience",
        "Good experience so far, hiring feels faster than before",
        "The experience is fine, nothing special to report",
    ],
}
_THEME_CODE = dict(zip(_THEMES, CODES, strict=True))


def _hostile_bits() -> list[str]:
    return [*PAYLOADS, *FORMULAS]


def _comment(rng: np.random.Generator, theme: str, i: int) -> str:
    sentences = _THEMES[theme]
    text = sentences[int(rng.integers(len(sentences)))]
    bits = _hostile_bits()
    if i < len(bits):
        # the first comments start with each payload and formula (a cell starting with "=")
        return f"{bits[i]} {text}"
    if i % 9 == 0:
        return f"{text} {LONG_WORD} and the rest of the sentence"
    if i % 4 == 0:
        return f"{text} {bits[int(rng.integers(len(bits)))]} end of comment"
    return text


def _survey_rows(rng: np.random.Generator, n: int) -> tuple[list[str], list[list[str]]]:
    header = [
        "participant_id",
        "response_date",
        "wave",
        "region",
        SEGMENT_COLUMN,
        "nps",
        "ces",
        "csat",
        *ITEMS,
        COMMENT_COLUMN,
    ]
    rows = []
    themes = list(_THEMES)
    waves = list(WAVES)
    for i in range(n):
        attitude = rng.normal()
        items = {k: attitude + rng.normal(scale=0.8) for k in ITEMS}
        theme = themes[i % len(themes)] if i < 40 else themes[int(rng.integers(len(themes)))]
        if theme in ITEMS:
            items[theme] -= 1.2
        likert = {k: int(np.clip(np.round(3 + v), 1, 5)) for k, v in items.items()}
        latent = 0.6 * sum(items.values()) + rng.normal(scale=0.7)
        nps = int(np.clip(np.round(7.5 + 1.4 * latent), 0, 10))
        wave = waves[int(rng.random() < 0.5)]
        date = WAVES[wave] + dt.timedelta(days=int(rng.integers(20)))
        comment = "" if rng.random() < 0.08 and i >= 40 else _comment(rng, theme, i)
        rows.append(
            [
                f"R{i + 1:04d}",
                date.isoformat(),
                wave,
                REGIONS[int(rng.integers(len(REGIONS)))],
                PLANS[int(rng.integers(len(PLANS)))],
                str(nps),
                str(int(np.clip(np.round(4 - latent), 1, 7))),
                str(int(np.clip(np.round(3.5 + 0.8 * latent), 1, 5))),
                *(str(likert[k]) for k in ITEMS),
                comment,
            ]
        )
    return header, rows


def _turns(rng: np.random.Generator, k: int) -> list[tuple[str, str]]:
    """``(theme, answer)`` for each participant turn of interview *k* (0-based).

    Every turn quotes a payload and ends with the same words, so a quote that lost the words
    after its payload shows. The first interview's first turns hold every payload (three per
    turn) and the two unbroken words; its coders disagree on them (see `_codings`).
    """
    themes = list(_THEMES)
    bits = _hostile_bits()
    turns = []
    for j in range(10):
        theme = themes[(j + k) % len(themes)]
        sentences = _THEMES[theme]
        text = sentences[int(rng.integers(len(sentences)))] + "."
        if k == 0:
            payload = " then ".join(bits[3 * j : 3 * j + 3]) or bits[j]
        else:
            payload = bits[(k * 10 + j) % len(bits)]
        text = f"{text} She said {payload} {TURN_END}"
        if k == 0 and j == 0:
            text = f"{text} {HUGE_WORD} that was the huge word."
        elif k == 0 and j == 1:
            text = f"{text} {LONG_WORD} that was the long word."
        turns.append((theme, text))
    return turns


def _transcript(turns: list[tuple[str, str]]) -> str:
    lines = []
    for j, (theme, answer) in enumerate(turns):
        lines.append(f"Interviewer: Question {j + 1}, tell me about {theme}?")
        lines.append("")
        lines.append(f"Dana: {answer}")
        lines.append("")
    return "\n".join(lines)


def _codings(rng: np.random.Generator) -> tuple[dict[str, str], list[list[str]]]:
    files: dict[str, str] = {}
    rows: list[list[str]] = []
    for k, name in enumerate(TRANSCRIPT_NAMES):
        turns = _turns(rng, k)
        files[name] = _transcript(turns)
        stem = Path(name).stem
        for j, (theme, _) in enumerate(turns):
            segment_id = f"{stem}-{2 * j + 2:03d}"  # participant turns are the even units
            code = _THEME_CODE[theme]
            for c, coder in enumerate(CODERS):
                # the coders disagree on the first interview's payload turns (the first 13 rows
                # of the disagreements table) and, elsewhere, on about one turn in twelve
                first = j < N_DISAGREED_TURNS and c == 1
                disagree = first if k == 0 else bool(rng.random() < 0.08)
                if not disagree:
                    rows.append([name, segment_id, code, coder])
                elif c == 1 and code != _CODE_PARENT:
                    rows.append([name, segment_id, _CODE_PARENT, coder])
    return files, rows


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _study_yaml() -> str:
    study = {
        "title": TITLE,
        "description": (
            "Every text field is hostile <img src=x onerror=alert('description')>. "
            "[click](javascript:alert('description')) ![x](https://example.com/d.png) "
            f"{LONG_WORD} (a word that must wrap)"
        ),
        "owner": "<b>Red team</b>",
        "survey": {
            "file": "data/survey.csv",
            "columns": {
                "id": "participant_id",
                "nps": "nps",
                "ces": {"column": "ces", "scale": [1, 7]},
                "csat": {"column": "csat", "scale": [1, 5]},
                "likert": {"scale": [1, 5], "items": dict(ITEMS)},
                "segments": ["region", SEGMENT_COLUMN],
                "text": [COMMENT_COLUMN],
                "wave": "wave",
                "date": "response_date",
            },
        },
        "interviews": {
            "transcripts": "data/transcripts",
            "participant_pattern": r".*?(?P<id>R\d{4})",
            "interviewer": ["Interviewer"],
            "codebook": "codebook.yaml",
            "codings": "data/codings.csv",
        },
        "analysis": {
            "random_seed": 7,
            "min_base": 30,
            "suppress_below": 5,
            "topics": {"min_topic_size": 8},
            "code_drivers": dict(_CODE_DRIVERS),
        },
    }
    head = (
        "# A hostile study (synthetic; written by voc.datasets.hostile): every text is an attack.\n"
    )
    return head + yaml.safe_dump(study, sort_keys=False, allow_unicode=True, width=100)


def _codebook_yaml() -> str:
    codes = [
        {
            "code": code,
            **({"parent": _CODE_PARENT} if code != _CODE_PARENT else {}),
            "description": text,
        }
        for code, text in CODES.items()
    ]
    return yaml.safe_dump({"codes": codes}, sort_keys=False, allow_unicode=True, width=100)


def write_hostile_study(
    dest: str | Path, *, seed: int = DEFAULT_SEED, n_respondents: int = 240
) -> Path:
    """Write the hostile study into *dest* and return the folder.

    Parameters
    ----------
    dest : str or Path
        The study folder (created; existing files of the same names are replaced).
    seed : int, default=DEFAULT_SEED
        Seed of ``np.random.default_rng``; the same seed gives byte-identical files.
    n_respondents : int, default=240
        Survey respondents (at least 40, so that every payload and topic is present).

    Returns
    -------
    Path
        *dest*, holding ``study.yaml``, ``codebook.yaml``, ``data/survey.csv``,
        ``data/codings.csv`` and ``data/transcripts/*``.
    """
    if n_respondents < 40:
        raise ValueError(f"n_respondents must be at least 40, found {n_respondents}")
    dest = Path(dest)
    rng = np.random.default_rng(seed)
    header, rows = _survey_rows(rng, n_respondents)
    transcripts, codings = _codings(rng)
    (dest / "data" / "transcripts").mkdir(parents=True, exist_ok=True)
    (dest / "study.yaml").write_text(_study_yaml(), encoding="utf-8", newline="")
    (dest / "codebook.yaml").write_text(_codebook_yaml(), encoding="utf-8", newline="")
    (dest / "data" / "survey.csv").write_text(_csv(header, rows), encoding="utf-8", newline="")
    codings_text = _csv(["source", "segment_id", "code", "coder"], codings)
    (dest / "data" / "codings.csv").write_text(codings_text, encoding="utf-8", newline="")
    for name, text in transcripts.items():
        (dest / "data" / "transcripts" / name).write_text(text, encoding="utf-8", newline="")
    return dest


def main(argv: list[str] | None = None) -> int:
    """``python -m voc.datasets.hostile DEST``: write the hostile study into DEST."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m voc.datasets.hostile DEST", file=sys.stderr)
        return 2
    print(write_hostile_study(Path(args[0])))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
