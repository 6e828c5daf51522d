"""Key findings for the report's index page: claims built from finished tables (private).

A *finding* is a headline (see :func:`voc.io.save_headline`) that makes a claim, and so carries
what a reader needs to check it: ``base`` (who the claim rests on, with n), ``test`` (how it was
tested or estimated), and where the supporting table is (``page``, the notebook that produced
it, and ``anchor``, the id of the table or chart in that page). The index page shows a claim
only with its base and its test (:func:`is_supported`).

Nothing here computes a statistic: the builders select rows of finished tables and put their
numbers into words. :func:`segment_findings` and :func:`theme_findings` are re-exported by
:mod:`voc.report`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CLAIM_FIELDS",
    "anchor_id",
    "is_claim",
    "is_supported",
    "segment_findings",
    "table_name",
    "theme_findings",
]

#: Fields that make a headline a claim; ``base`` and ``test`` must both be filled to show it.
#: (``page`` alone does not: ``voc run`` records it for every headline.)
CLAIM_FIELDS = ("anchor", "base", "test")
#: The frame attribute :func:`voc.io.save_table` sets to the table's name.
TABLE_ATTR = "voc_table"

_TESTS = {
    "chi2": "Pearson's chi-square test",
    "fisher": "Fisher's exact test",
    "fisher_freeman_halton": "the Fisher-Freeman-Halton exact test",
    "logit_cluster": "a logistic model with cluster-robust errors",
}
_ADJUST = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini-Hochberg", "none": "no"}


def anchor_id(name: str, kind: str = "tbl") -> str:
    """The id of a table (``kind="tbl"``) or chart (``"fig"``) named *name* in a report page.

    ``anchor_id("nps_by_segment")`` is ``"tbl-nps-by-segment"``: lower case, every run of
    other characters a hyphen. An empty *name* gives ``""`` (no anchor).
    """
    slug = re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-")
    return f"{kind}-{slug}" if slug else ""


def table_name(frame: Any) -> str:
    """The name *frame* was saved under by :func:`voc.io.save_table` (``""`` when none)."""
    attrs = getattr(frame, "attrs", None)
    return str(attrs.get(TABLE_ATTR) or "") if isinstance(attrs, Mapping) else ""


def is_claim(headline: Mapping[str, Any]) -> bool:
    """Whether a headline is a claim: it names a base, a test or a supporting table."""
    return any(str(headline.get(field) or "").strip() for field in CLAIM_FIELDS)


def is_supported(headline: Mapping[str, Any]) -> bool:
    """Whether a claim carries both its base and its test (only then is it shown)."""
    return all(str(headline.get(field) or "").strip() for field in ("base", "test"))


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _adjusted(adjust: str) -> str:
    name = _ADJUST.get(adjust, adjust)
    return "unadjusted" if adjust == "none" else f"{name}-adjusted"


def _join(words: list[str], last: str = "and") -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]


def segment_findings(
    by_segment: Any, *, adjust: str = "holm", level: float = 0.95, suppress_below: int = 5
) -> list[dict[str, str]]:
    """Findings on the segments whose NPS differs significantly (from ``nps_by_segments``).

    One finding per segment in which some pair of groups differs (``higher_than`` is not
    empty), naming each lower group and the groups significantly above it, with every NPS and
    base; one more finding lists the segments in which no pair differs. Groups whose
    estimates are suppressed (``suppress``) or whose base is below *suppress_below* (the
    study's ``analysis.suppress_below``) are left out.

    Parameters
    ----------
    by_segment : DataFrame
        :func:`voc.survey.nps_by_segments` (``segment, group, letter, n, nps, higher_than``).
    adjust, level : str, float
        The *adjust* and *level* the table was computed with (they are stated in ``test``).
    suppress_below : int, default=5
        Smallest base a stakeholder may see.

    Returns
    -------
    list of dict
        Headline fields (``label, value, detail, base, test, anchor, section``).
    """
    if len(by_segment) == 0:
        return []
    anchor = anchor_id(table_name(by_segment))
    test = (
        "pairwise z-tests of NPS within each segment, "
        f"{_adjusted(adjust)} over its pairs, at {1 - level:.0%}"
    )
    findings, quiet = [], []
    for segment, rows in by_segment.groupby("segment", sort=False):
        if "suppress" in rows:
            rows = rows[~rows["suppress"].astype(bool).to_numpy()]
        rows = rows[rows["n"].to_numpy() >= suppress_below]
        letters = dict(zip(rows["letter"], rows["group"], strict=True))
        info = {
            g: (float(v), int(n))
            for g, v, n in zip(rows["group"], rows["nps"], rows["n"], strict=True)
        }
        above: dict[Any, list[Any]] = {}
        for group, higher in zip(rows["group"], rows["higher_than"], strict=True):
            if not isinstance(higher, str) or not higher.strip():
                continue
            for letter in higher.replace(",", " ").split():
                if letter in letters:
                    above.setdefault(letters[letter], []).append(group)
        base = f"n = {int(rows['n'].sum()):,} respondents: " + ", ".join(
            f"{g} {n:,}" for g, (_, n) in info.items()
        )
        if not above:
            quiet.append((str(segment), base))
            continue
        sentences = []
        for low in sorted(above, key=lambda g: info[g][0]):
            highs = sorted(above[low], key=lambda g: -info[g][0])
            sentences.append(
                f"{low} (NPS {info[low][0]:+.0f}, n = {info[low][1]:,}) scores significantly "
                "lower than "
                + _join([f"{h} ({info[h][0]:+.0f}, n = {info[h][1]:,})" for h in highs])
            )
        involved = {*above, *(h for hs in above.values() for h in hs)}
        values = [info[g][0] for g in involved]
        findings.append(
            {
                "label": f"NPS differs by {segment}",
                "value": f"{min(values):+.0f} to {max(values):+.0f}",
                "detail": "; ".join(sentences) + ".",
                "base": base,
                "test": test,
                "anchor": anchor,
                "section": "survey",
            }
        )
    if quiet:
        names = [s for s, _ in quiet]
        findings.append(
            {
                "label": f"No significant NPS difference by {_join(names, 'or')}",
                "value": "n.s.",
                "detail": f"Within {_join(names)}, no two groups differ significantly in NPS.",
                "base": "; ".join(f"{s}: {b}" for s, b in quiet),
                "test": test,
                "anchor": anchor,
                "section": "survey",
            }
        )
    return findings


def _per_code(table: Any) -> dict[Any, Any]:
    return {code: rows for code, rows in table.groupby("code", sort=False)}


def theme_findings(
    separation: Any,
    display: Any = None,
    *,
    n: int = 3,
    alpha: float = 0.05,
    adjust: str = "holm",
    source: str = "survey comments",
) -> list[dict[str, str]]:
    """Findings on the themes that most separate detractors from promoters, a quote each.

    From a :func:`voc.mixed.code_prevalence` table by NPS group (``separation``: the survey
    comments mapped to the codes, or the interviews), the codes whose test is significant
    (``p_adj < alpha``) are ranked by the size of the detractor-promoter gap (either way) and
    the *n* largest become findings. With the joint display (:func:`voc.mixed.joint_display`)
    each finding adds the mentioners' NPS, the interview shares, the meta-inference, the
    related driver and the first exemplar quote with its provenance. When no code is
    significant, one finding says so.

    Parameters
    ----------
    separation : DataFrame
        :func:`voc.mixed.code_prevalence` with ``by="nps_group"``.
    display : DataFrame, optional
        :func:`voc.mixed.joint_display` for the same codes.
    n : int, default=3
        Most themes reported.
    alpha : float, default=0.05
        Significance level for ``p_adj``.
    adjust : str, default="holm"
        The adjustment *separation* was computed with (stated in ``test``).
    source : str, default="survey comments"
        What *separation* counts, in words.

    Returns
    -------
    list of dict
        Headline fields (``label, value, detail, base, test, anchor, section, quote,
        quote_source``), largest gap first.
    """
    if len(separation) == 0:
        return []
    from voc._prevalence import _TEST_COLUMNS

    known = {"code", "n_group", "n_present", "pct", "ci_low", "ci_high", *_TEST_COLUMNS}
    anchor = anchor_id(table_name(separation))
    group = next(c for c in separation.columns if c not in known)
    shown = {} if display is None else {row["code"]: row for _, row in display.iterrows()}
    codes = _per_code(separation)
    n_codes = len(codes)
    gaps = []
    for code, rows in codes.items():
        first = rows.iloc[0]
        if {first["group_a"], first["group_b"]} != {"detractor", "promoter"}:
            raise ValueError(
                "separation must compare NPS groups (code_prevalence(..., by='nps_group')); "
                f"got {first['group_a']!r} and {first['group_b']!r}"
            )
        gap = float(first["effect_size"]) * (1 if first["group_a"] == "detractor" else -1)
        p_adj = float(first["p_adj"])
        if p_adj == p_adj and p_adj < alpha and gap == gap and gap != 0:
            gaps.append((abs(gap), code, gap))
    by_group = {
        code: dict(
            zip(
                rows[group].astype(str), zip(rows["pct"], rows["n_group"], strict=True), strict=True
            )
        )
        for code, rows in codes.items()
    }
    sizes = {g: int(v[1]) for g, v in next(iter(by_group.values())).items()}
    base_all = (
        f"{source}: {sizes.get('detractor', 0):,} detractors and "
        f"{sizes.get('promoter', 0):,} promoters ({sum(sizes.values()):,} in all)"
    )
    if not gaps:
        return [
            {
                "label": "No theme separates detractors from promoters",
                "value": "none",
                "detail": f"No code's share of {source} differs significantly between "
                f"detractors and promoters ({n_codes} codes tested).",
                "base": base_all,
                "test": f"tests of mention x NPS group, {_adjusted(adjust)} over {n_codes} "
                f"codes, at {alpha:.0%}",
                "anchor": anchor,
                "section": "mixed",
            }
        ]
    findings = []
    for _, code, gap in sorted(gaps, key=lambda t: (-t[0], str(t[1])))[:n]:
        first = codes[code].iloc[0]
        pct = by_group[code]
        more, less = ("detractors", "promoters") if gap > 0 else ("promoters", "detractors")
        detail = (
            f"{pct['detractor'][0]:.0f}% of detractors and {pct['promoter'][0]:.0f}% of "
            f"promoters mention {code} in {source} (difference {gap:+.0f} points, "
            f"CI {_signed_ci(first)})."
        )
        row = shown.get(code)
        if row is not None:
            mention = row.get("nps_mention")
            if mention is not None and mention == mention:
                detail += (
                    f" Those who mention it give an NPS of {row['nps_mention']:+.0f}, "
                    f"the others {row['nps_other']:+.0f}."
                )
            if row.get("interview_pct_by_group"):
                detail += f" Interviews: {row['interview_pct_by_group']}."
            detail += f" Joint display: {row['inference']}"
            driver = row.get("driver")
            detail += f", related driver {driver}." if isinstance(driver, str) else "."
        finding = {
            "label": f"{more.capitalize()} raise {code} more than {less}",
            "value": f"{gap:+.0f} pts",
            "detail": detail,
            "base": base_all,
            "test": f"{_TESTS.get(str(first['test']), str(first['test']))} of mention x NPS "
            f"group, {_adjusted(adjust)} over {n_codes} codes: p_adj {_p(float(first['p_adj']))}",
            "anchor": anchor,
            "section": "mixed",
        }
        if row is not None and isinstance(row.get("quote_1"), str):
            finding["quote"] = row["quote_1"]
            finding["quote_source"] = f"interview {row['quote_1_source']}"
        findings.append(finding)
    return findings


def _signed_ci(first: Any) -> str:
    low, high = float(first["effect_ci_low"]), float(first["effect_ci_high"])
    if first["group_a"] != "detractor":
        low, high = -high, -low
    return f"{low:+.0f} to {high:+.0f}"
