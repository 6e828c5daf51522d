"""Interviews of the example study and their double coding.

Each participant answer is written line by line from ``(code, polarity)`` specs drawn from the
person's survey scores, so the true codes of a turn are known; the two simulated coders then
miss, swap and add codes at realistic rates (``MISS``, ``SWAP``, ``EXTRA``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voc.datasets import _example_text as text

INTERVIEWER = "Interviewer"
# How many detractors, passives and promoters to interview in each region (24 in all).
SAMPLE = {"North America": (2, 2, 3), "EMEA": (2, 2, 2), "APAC": (3, 2, 1), "LATAM": (2, 1, 2)}
FORMATS = ["txt"] * 10 + ["docx"] * 7 + ["vtt"] * 7
SECTIONS = [
    "intro",
    "process",
    "search",
    "candidates",
    "integrations",
    "support",
    "pricing",
    "compliance",
    "recommend",
    "close",
]
ITEMS = [
    "search_ease",
    "candidate_quality",
    "integration",
    "support",
    "pricing_clarity",
    "compliance_help",
]
PAIN_CODE = {
    "integration": "fragmented_systems",
    "support": "slow_support",
    "pricing_clarity": "pricing_surprises",
    "compliance_help": "cross_border_compliance",
    "search_ease": "search_experience",
    "candidate_quality": "candidate_quality",
}
PRAISE_CODE = {
    "integration": "systems",
    "support": "account_manager",
    "search_ease": "search_experience",
    "candidate_quality": "candidate_quality",
    "compliance_help": "cross_border_compliance",
}
CLOSING = [
    "Thanks, happy to help.",
    "No, I think we covered it. Thanks!",
    "Thank you, good luck with the research.",
    "Sure, any time. Bye!",
]

# Coders: chance to miss a true code; chance to put a related code in its place; chance to add
# the code when one of its triggers is in the turn. time_to_hire is the hard one to apply.
MISS = {"time_to_hire": 0.40, "talent": 0.15}
MISS_DEFAULT = 0.14
SWAP = {
    "fragmented_systems": "systems",
    "slow_support": "service",
    "account_manager": "service",
    "search_experience": "candidate_quality",
    "candidate_quality": "search_experience",
    "pricing_surprises": "commercial",
    "cross_border_compliance": "commercial",
    "systems": "fragmented_systems",
    "service": "account_manager",
    "commercial": "pricing_surprises",
    "time_to_hire": "talent",
    "talent": "time_to_hire",
}
SWAP_P = {"coder_a": 0.03, "coder_b": 0.08}
EXTRA = {
    "time_to_hire": (("talent", "candidate_quality", "search_experience"), 0.15),
    "commercial": (("cross_border_compliance",), 0.03),
}

Spec = tuple[str, str] | None  # (code, polarity) or None for a neutral line


@dataclass(frozen=True)
class Turn:
    speaker: str
    text: str
    codes: tuple[str, ...] = ()
    is_interviewer: bool = False


@dataclass
class Interview:
    participant_id: str
    name: str
    fmt: str
    row: dict[str, Any]
    turns: list[Turn] = field(default_factory=list)

    @property
    def stem(self) -> str:
        return f"{self.participant_id}_interview"

    @property
    def source(self) -> str:
        return f"{self.stem}.{self.fmt}"


def _group(score: int) -> str:
    return "detractor" if score <= 6 else "passive" if score <= 8 else "promoter"


def _polarity(value: int) -> str:
    return "neg" if value <= 2 else "pos" if value >= 4 else "mixed"


def select_participants(rng: np.random.Generator, rows: list[dict[str, Any]]) -> list[dict]:
    """Pick interviewees per region and NPS group among complete survey answers."""
    chosen = []
    for region, counts in SAMPLE.items():
        for group, n in zip(["detractor", "passive", "promoter"], counts, strict=True):
            pool = [
                r
                for r in rows
                if r["region"] == region
                and _group(r["nps"]) == group
                and r["comment"]
                and all(r[c] is not None for c in (*ITEMS, "role", "company_size"))
            ]
            chosen += [pool[int(i)] for i in rng.choice(len(pool), size=n, replace=False)]
    return sorted(chosen, key=lambda r: r["participant_id"])


def _section_specs(
    rng: np.random.Generator, section: str, row: dict[str, Any], speed: str
) -> list[Spec]:
    """What this person talks about in a section of the guide, as (code, polarity) specs.

    ``speed`` is the polarity of everything this person says about time to hire.
    """
    v = row

    def both(code: str, value: int) -> list[Spec]:
        pol = _polarity(value)
        return [(code, "pos"), (code, "neg")] if pol == "mixed" else [(code, pol)]

    if section == "process":
        specs: list[Spec] = [("talent", "mid"), ("time_to_hire", speed)]
        if v["integration"] <= 2 and rng.random() < 0.4:
            specs.append(("fragmented_systems", "neg"))
        return specs
    if section == "search":
        return both("search_experience", v["search_ease"])
    if section == "candidates":
        specs = both("candidate_quality", v["candidate_quality"])
        if rng.random() < 0.3:
            specs.append(("time_to_hire", speed))
        return specs
    if section == "integrations":
        pol = _polarity(v["integration"])
        return {
            "neg": [("fragmented_systems", "neg")] * 2,
            "pos": [("systems", "pos")] * 2,
            "mixed": [("systems", "pos"), ("fragmented_systems", "neg")],
        }[pol]
    if section == "support":
        if v["support"] <= 2:
            extra: list[Spec] = [("account_manager", "neg")] if rng.random() < 0.3 else []
            return [("slow_support", "neg"), *extra, ("slow_support", "neg")]
        if v["support"] == 3:
            return [("service", "pos"), ("slow_support", "neg")]
        if rng.random() < 0.5:
            return [("account_manager", "pos"), ("service", "pos")]
        return [("service", "pos"), ("account_manager", "pos")]
    if section == "pricing":
        if v["pricing_clarity"] <= 2:
            return [("pricing_surprises", "neg")] * 2
        extra = (
            [("pricing_surprises", "neg")]
            if v["pricing_clarity"] == 3 and rng.random() < 0.4
            else []
        )
        return [("commercial", "pos"), *extra]
    if section == "compliance":
        return both("cross_border_compliance", v["compliance_help"])
    return []


class _Writer:
    """Draws lines from the banks without repeating a template within one interview."""

    def __init__(self, rng: np.random.Generator, row: dict[str, Any]) -> None:
        self.rng, self.row, self.used = rng, row, set()
        self.may_split = True
        self.fixed = {"am_name": str(rng.choice(text.SLOTS["am_name"]))}

    def pick(self, bank: list[str], key: object, **fixed: str) -> str:
        unused = [i for i in range(len(bank)) if (key, i) not in self.used] or range(len(bank))
        i = int(self.rng.choice(list(unused)))
        self.used.add((key, i))
        return text.fill(bank[i], self.rng, **self.fixed, **fixed)

    def line(self, spec: Spec) -> tuple[str, str | None]:
        if spec is None:
            return self.pick(text.NEUTRAL, "neutral"), None
        return self.pick(text.TALK[spec], spec), spec[0]


def _intro(w: _Writer, row: dict[str, Any], city: str) -> list[tuple[str, str | None]]:
    size = text.SIZE_PHRASES[row["company_size"]].format(
        k=w.rng.choice(text.SIZE_HEADCOUNT[row["company_size"]])
    )
    role = str(w.rng.choice(text.ROLE_PHRASES[row["role"]]))
    return [
        (f"Sure. {role} at {size}, based in {city}.", None),
        (w.pick(text.CONTEXT, "context"), None),
    ]


def _recommend(w: _Writer, row: dict[str, Any]) -> list[tuple[str, str | None]]:
    if _group(row["nps"]) == "promoter":
        items = sorted((i for i in PRAISE_CODE if row[i] >= 4), key=lambda i: -row[i])
        bank, codes = text.PRAISES, [PRAISE_CODE[i] for i in items[:2]]
    else:
        items = sorted((i for i in PAIN_CODE if row[i] <= 3), key=lambda i: row[i])
        bank, codes = text.FIXES, [PAIN_CODE[i] for i in items[:2]]
    lines = [(w.pick(bank[c], ("rec", c)), c) for c in codes]
    return lines or [("Honestly, just keep it stable and keep improving the basics.", None)]


def _answer(w: _Writer, lines: list[tuple[str, str | None]], name: str) -> list[Turn]:
    """One participant answer; now and then split into two consecutive turns.

    Never split in a .vtt file: caption readers commonly merge consecutive cues of one speaker,
    which would shift the segment numbers that the codings refer to.
    """
    if w.rng.random() < 0.3:
        filler = str(w.rng.choice(text.FILLERS))
        lines = [(f"{filler} {text.lower_first(lines[0][0])}", lines[0][1]), *lines[1:]]
    parts = [lines]
    if len(lines) >= 2 and w.rng.random() < 0.1 and w.may_split:
        cut = int(w.rng.integers(1, len(lines)))
        parts = [lines[:cut], lines[cut:]]
    turns = []
    for part in parts:
        codes = tuple(dict.fromkeys(c for _, c in part if c is not None))[:3]
        turns.append(Turn(name, " ".join(t for t, _ in part), codes))
    return turns


def build_interview(
    rng: np.random.Generator, row: dict[str, Any], name: str, fmt: str
) -> Interview:
    """The turns of one semi-structured interview that follows the guide in ``SECTIONS``."""
    w = _Writer(rng, row)
    w.may_split = fmt != "vtt"
    interview = Interview(row["participant_id"], name, fmt, row)
    talkative = float(rng.uniform(0.2, 0.75))
    group = _group(row["nps"])
    speed = {"promoter": "pos", "detractor": "neg"}.get(group) or str(rng.choice(["pos", "neg"]))
    city = str(rng.choice(text.CITIES[row["region"]]))

    def ask(question: str) -> None:
        interview.turns.append(Turn(INTERVIEWER, question, is_interviewer=True))

    for section in SECTIONS:
        ask(w.pick(text.QUESTIONS[section], ("q", section), name=name, nps=str(row["nps"])))
        if section == "intro":
            interview.turns += _answer(w, _intro(w, row, city), name)
            continue
        if section == "recommend":
            interview.turns += _answer(w, _recommend(w, row), name)
            continue
        if section == "close":
            interview.turns.append(Turn(name, str(rng.choice(CLOSING))))
            continue
        specs = _section_specs(rng, section, row, speed)
        n_probes = int(rng.binomial(2, talkative))
        first, rest = specs[:2], specs[2:]
        interview.turns += _answer(w, _contrast(w, [w.line(s) for s in first], first), name)
        for _ in range(n_probes):
            ask(w.pick(text.PROBES, "probe"))
            if rest:
                spec: Spec = rest.pop(0)
            else:
                spec = specs[int(rng.integers(len(specs)))] if rng.random() < 0.7 else None
            lines = [w.line(spec)]
            if rng.random() < 0.3:
                lines.append(w.line(None))
            interview.turns += _answer(w, lines, name)
        for spec in rest:  # anything left unsaid goes into one last answer
            interview.turns[-1:] = _merge(interview.turns[-1], w.line(spec))
    return interview


def _contrast(
    w: _Writer, lines: list[tuple[str, str | None]], specs: list[Spec]
) -> list[tuple[str, str | None]]:
    """Join a positive and a negative line about the same code with "That said," and the like."""
    if (
        len(specs) == 2
        and specs[0]
        and specs[1]
        and specs[0][0] == specs[1][0]
        and (specs[0][1] != specs[1][1])
    ):
        but = str(w.rng.choice(text.CONTRASTS))
        return [lines[0], (f"{but} {text.lower_first(lines[1][0])}", lines[1][1])]
    return lines


def _merge(turn: Turn, line: tuple[str, str | None]) -> list[Turn]:
    codes = turn.codes if line[1] is None else tuple(dict.fromkeys((*turn.codes, line[1])))
    return [Turn(turn.speaker, f"{turn.text} {line[0]}", codes[:3])]


def build_interviews(rng: np.random.Generator, rows: list[dict[str, Any]]) -> list[Interview]:
    """Select 24 interviewees, give each a first name and a file format, write the turns."""
    chosen = select_participants(rng, rows)
    formats = [FORMATS[int(i)] for i in rng.permutation(len(FORMATS))]
    names: dict[str, list[str]] = {r: list(rng.permutation(n)) for r, n in text.FIRST_NAMES.items()}
    return [
        build_interview(rng, row, str(names[row["region"]].pop()), fmt)
        for row, fmt in zip(chosen, formats, strict=True)
    ]


def _apply_codes(rng: np.random.Generator, truth: tuple[str, ...], coder: str) -> list[str]:
    codes: list[str] = []
    for code in truth:
        r = rng.random()
        if r < MISS.get(code, MISS_DEFAULT):
            continue
        codes.append(SWAP[code] if r > 1 - SWAP_P[coder] else code)
    for code, (triggers, p) in EXTRA.items():
        if code not in codes and any(t in truth for t in triggers) and rng.random() < p:
            codes.append(code)
    return list(dict.fromkeys(codes))[:3]


def code_interviews(
    rng: np.random.Generator, interviews: list[Interview]
) -> list[tuple[str, str, str, str]]:
    """Rows ``(source, segment_id, code, coder)`` for both coders, sorted."""
    rows = []
    for interview in interviews:
        for n, turn in enumerate(interview.turns, start=1):
            if turn.is_interviewer:
                continue
            segment_id = f"{interview.stem}-{n:03d}"
            for coder in ("coder_a", "coder_b"):
                for code in _apply_codes(rng, turn.codes, coder):
                    rows.append((interview.source, segment_id, code, coder))
    return sorted(rows)
