"""Study-level survey summaries: the estimators of ``voc.survey`` applied to what study.yaml declares.

Each function takes the responses and ``study.survey.columns`` and returns a tidy frame; when
the study does not declare what a summary needs (no CSAT, no Likert battery) the frame is empty
with the documented columns, so a notebook can show it without branching.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

import numpy as np
import pandas as pd

from voc._nps import compare_nps, nps

__all__ = [
    "apply_weighting",
    "likert_overview",
    "missing_summary",
    "nps_by_segments",
    "nps_by_wave",
    "nps_group",
    "score_summary",
    "weighting_summary",
    "with_nps_group",
]

NPS_GROUPS = pd.CategoricalDtype(["detractor", "passive", "promoter"], ordered=True)


def nps_group(scores: pd.Series) -> pd.Series:
    """Promoter (9–10), passive (7–8) or detractor (0–6) for 0–10 scores; NaN stays missing.

    Examples
    --------
    >>> import pandas as pd
    >>> nps_group(pd.Series([10, 7, 0, None])).tolist()
    ['promoter', 'passive', 'detractor', nan]
    """
    values = pd.to_numeric(scores, errors="raise")
    bad = values.notna() & ((values < 0) | (values > 10))
    if bad.any():
        raise ValueError(f"NPS scores must be 0–10, found {values[bad].iloc[0]!r}")
    groups = np.select([values >= 9, values >= 7], ["promoter", "passive"], "detractor")
    out = pd.Series(groups, index=scores.index, dtype=object).where(values.notna())
    return out.astype(NPS_GROUPS)


def with_nps_group(data: pd.DataFrame, column: str) -> pd.DataFrame:
    """A copy of *data* with an ``nps_group`` column derived from the 0–10 *column*."""
    if column not in data.columns:
        raise ValueError(f"column {column!r} is not in the data")
    return data.assign(nps_group=nps_group(data[column]))


def missing_summary(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Completeness of each column: ``column, n, n_missing, pct_missing`` (n = all rows)."""
    unknown = [c for c in columns if c not in data.columns]
    if unknown:
        raise ValueError(f"column(s) {unknown} are not in the data")
    n = len(data)
    rows = [(c, n, int(data[c].isna().sum())) for c in columns]
    out = pd.DataFrame(rows, columns=["column", "n", "n_missing"])
    out["pct_missing"] = 100 * out["n_missing"] / n if n else np.nan
    return out


def _letters(k: int) -> list[str]:
    alphabet = string.ascii_uppercase
    return [alphabet[i] if i < 26 else alphabet[i // 26 - 1] + alphabet[i % 26] for i in range(k)]


def nps_by_segments(
    data: pd.DataFrame,
    column: str,
    segments: Sequence[str],
    *,
    weight: str | None = None,
    ci: str = "adjusted-wald",
    level: float = 0.95,
    adjust: str = "holm",
) -> pd.DataFrame:
    """NPS for every group of every segment, with significance letters as survey tables show them.

    Within each segment the groups are lettered A, B, C, … and ``higher_than`` lists the letters
    of the groups whose NPS this group's NPS is significantly higher than (pairwise z-tests of
    :func:`voc.survey.compare_nps`, p values adjusted within the segment by *adjust*, at
    ``1 - level``).

    Returns
    -------
    DataFrame
        ``segment, group, letter`` then the columns of :func:`voc.survey.nps` and
        ``higher_than`` (``""`` when none).
    """
    frames = []
    alpha = 1 - level
    for segment in segments:
        table = nps(data, column, by=segment, weight=weight, ci=ci, level=level)
        groups = table[segment].astype(object).tolist()
        letters = dict(zip(groups, _letters(len(groups)), strict=True))
        higher: dict[object, list[str]] = {g: [] for g in groups}
        if len(groups) > 1:
            pairs = compare_nps(data, column, by=segment, weight=weight, adjust=adjust, level=level)
            for _, pair in pairs.iterrows():
                if pd.notna(pair["p_adj"]) and pair["p_adj"] < alpha:
                    winner, loser = (
                        (pair["group_a"], pair["group_b"])
                        if pair["diff"] > 0
                        else (pair["group_b"], pair["group_a"])
                    )
                    higher[winner].append(letters[loser])
        table = table.rename(columns={segment: "group"})
        table["group"] = table["group"].astype(object)
        table.insert(0, "segment", segment)
        table.insert(2, "letter", [letters[g] for g in groups])
        table["higher_than"] = ["".join(sorted(higher[g])) for g in groups]
        frames.append(table)
    if not frames:
        return pd.DataFrame(columns=["segment", "group", "letter", "n", "nps", "higher_than"])
    return pd.concat(frames, ignore_index=True)


def score_summary(
    data: pd.DataFrame, columns: object, *, weight: str | None = None, level: float = 0.95
) -> pd.DataFrame:
    """CSAT and CES as VoC teams report them: top-/bottom-2-box share and mean, with CIs.

    CSAT counts the top two boxes (satisfied); CES counts the *bottom* two boxes, because the
    example convention is 1 = very easy (a low score is good). Declared in study.yaml as
    ``survey.columns.csat`` / ``ces``; an undeclared score gives no rows.

    Returns
    -------
    DataFrame
        ``score, column, scale, measure, n, estimate, ci_low, ci_high``; ``measure`` is
        ``"top-2-box %"``, ``"bottom-2-box %"`` or ``"mean"``.
    """
    from voc.survey import mean_score, top_box

    rows = []
    for score, bottom in (("csat", False), ("ces", True)):
        spec = getattr(columns, score, None)
        if spec is None:
            continue
        box = top_box(
            data, spec.column, scale=spec.scale, top=2, bottom=bottom, weight=weight, level=level
        ).iloc[0]
        mean = mean_score(data, [spec.column], weight=weight, level=level).iloc[0]
        scale = f"{spec.scale[0]}–{spec.scale[1]}"
        label = "bottom-2-box %" if bottom else "top-2-box %"
        rows.append(
            (
                score.upper(),
                spec.column,
                scale,
                label,
                box["n"],
                box["pct"],
                box["ci_low"],
                box["ci_high"],
            )
        )
        rows.append(
            (
                score.upper(),
                spec.column,
                scale,
                "mean",
                mean["n"],
                mean["mean"],
                mean["ci_low"],
                mean["ci_high"],
            )
        )
    return pd.DataFrame(
        rows, columns=["score", "column", "scale", "measure", "n", "estimate", "ci_low", "ci_high"]
    ).astype({"n": "int64", "estimate": "float64", "ci_low": "float64", "ci_high": "float64"})


def likert_overview(
    data: pd.DataFrame, columns: object, *, weight: str | None = None, level: float = 0.95
) -> pd.DataFrame:
    """:func:`voc.survey.likert_summary` of the study's Likert battery, labelled with its wording.

    No rows when the study declares no ``survey.columns.likert``.
    """
    from voc.survey import likert_summary

    spec = getattr(columns, "likert", None)
    if spec is None:
        return pd.DataFrame(columns=["item", "label", "n", "mean", "ci_low", "ci_high", "top2"])
    return likert_summary(
        data,
        list(spec.items),
        scale=spec.scale,
        labels=dict(spec.items),
        weight=weight,
        level=level,
    )


def nps_by_wave(
    data: pd.DataFrame,
    columns: object,
    *,
    weight: str | None = None,
    ci: str = "adjusted-wald",
    level: float = 0.95,
) -> pd.DataFrame:
    """:func:`voc.survey.nps_trend` over the study's waves; no rows when no wave is declared."""
    from voc._nps import nps_trend

    wave = getattr(columns, "wave", None)
    score = getattr(columns, "nps", None)
    if wave is None or score is None:
        return pd.DataFrame(
            columns=["wave", "n", "nps", "ci_low", "ci_high", "change", "z", "p_val"]
        )
    return nps_trend(data, score, wave=wave, weight=weight, ci=ci, level=level)


def apply_weighting(data: pd.DataFrame, spec: object) -> pd.DataFrame:
    """Responses with the study's weights: raked to ``survey.weighting.targets`` when declared.

    A declared weight column is used as it is; with raking targets a ``weight`` column is added
    (iterative proportional fitting, :func:`voc.survey.rake`); otherwise *data* is returned
    unchanged (a copy). Estimators then take ``weight=study.survey.weight_column``.
    """
    from voc._weights import rake

    weighting = getattr(spec, "weighting", None)
    if weighting is None:
        return data.copy()
    if "weight" in data.columns:
        raise ValueError("the responses already have a 'weight' column; rename it before raking")
    unknown = [c for c in weighting.targets if c not in data.columns]
    if unknown:
        raise ValueError(f"raking target column(s) {unknown} are not in the responses")
    weights = rake(data, weighting.targets, max_iter=weighting.max_iter)
    return data.assign(weight=weights.to_numpy())


def weighting_summary(data: pd.DataFrame, spec: object) -> pd.DataFrame:
    """How the estimates are weighted: ``method, n, sum_weights, n_eff, design_effect``.

    Kish's effective sample size and design effect tell how much precision weighting costs.
    """
    from voc._weights import design_effect, effective_n

    column = getattr(spec, "weight_column", None)
    n = len(data)
    if column is None:
        return pd.DataFrame(
            [("unweighted", n, float(n), float(n), 1.0)],
            columns=["method", "n", "sum_weights", "n_eff", "design_effect"],
        )
    weights = data[column].astype("float64")
    method = "raked to target margins" if getattr(spec, "weighting", None) else f"column {column!r}"
    return pd.DataFrame(
        [(method, n, float(weights.sum()), effective_n(weights), design_effect(weights))],
        columns=["method", "n", "sum_weights", "n_eff", "design_effect"],
    )
