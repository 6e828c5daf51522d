"""Study-level survey summaries (voc.survey.nps_by_segments, score_summary, ...) and the example's truths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import voc
from voc.survey import (
    compare_nps,
    likert_overview,
    missing_summary,
    nps,
    nps_by_segments,
    nps_group,
    score_summary,
    top_box,
    with_nps_group,
)

from .conftest import EXAMPLE


@pytest.fixture(scope="module")
def example():
    study = voc.load_study(EXAMPLE)
    return study, voc.io.read_responses(study)


def test_nps_group_boundaries() -> None:
    """Reichheld (2003): promoters 9–10, passives 7–8, detractors 0–6."""
    groups = nps_group(pd.Series([0, 6, 7, 8, 9, 10, np.nan]))
    assert (
        groups.astype(object).tolist()[:6] == ["detractor"] * 2 + ["passive"] * 2 + ["promoter"] * 2
    )
    assert pd.isna(groups.iloc[6])
    assert list(groups.cat.categories) == ["detractor", "passive", "promoter"]
    with pytest.raises(ValueError, match="0–10"):
        nps_group(pd.Series([11]))


def test_nps_by_segments_letters_follow_the_pairwise_tests() -> None:
    """A group lists the letter of every group it beats at p_adj < 0.05 (compare_nps as oracle)."""
    rng = np.random.default_rng(1)
    data = pd.DataFrame(
        {
            "ltr": np.r_[
                rng.integers(8, 11, 200), rng.integers(0, 11, 200), rng.integers(0, 7, 200)
            ],
            "seg": ["a"] * 200 + ["b"] * 200 + ["c"] * 200,
        }
    )
    table = nps_by_segments(data, "ltr", ["seg"]).set_index("group")
    assert list(table["letter"]) == ["A", "B", "C"]
    pairs = compare_nps(data, "ltr", by="seg")
    for _, p in pairs.iterrows():
        winner, loser = (p.group_a, p.group_b) if p["diff"] > 0 else (p.group_b, p.group_a)
        assert (table.loc[loser, "letter"] in table.loc[winner, "higher_than"]) == (p.p_adj < 0.05)
    assert table.loc["a", "nps"] == pytest.approx(nps(data[data.seg == "a"], "ltr").loc[0, "nps"])


def test_score_summary_matches_the_estimators(example) -> None:
    study, responses = example
    table = score_summary(responses, study.survey.columns).set_index(["score", "measure"])
    csat = top_box(responses, "csat", scale=(1, 5), top=2).iloc[0]
    assert table.loc[("CSAT", "top-2-box %"), "estimate"] == pytest.approx(csat["pct"])
    ces = responses["ces"].dropna()
    assert table.loc[("CES", "bottom-2-box %"), "estimate"] == pytest.approx(
        100 * (ces <= 2).mean()
    )
    assert table.loc[("CES", "mean"), "estimate"] == pytest.approx(ces.mean())


def test_summaries_are_empty_when_the_study_declares_nothing() -> None:
    class Columns:
        nps = csat = ces = likert = weight = None

    data = pd.DataFrame({"x": [1]})
    assert score_summary(data, Columns()).empty
    assert likert_overview(data, Columns()).empty
    assert voc.drivers.key_drivers(data, Columns()).empty


def test_missing_summary_and_with_nps_group_do_not_mutate() -> None:
    data = pd.DataFrame({"a": [1, None, 3, None], "nps": [10, 7, 0, 9]})
    before = data.copy()
    table = missing_summary(data, ["a", "nps"])
    assert table.to_dict("list") == {
        "column": ["a", "nps"],
        "n": [4, 4],
        "n_missing": [2, 0],
        "pct_missing": [50.0, 0.0],
    }
    assert with_nps_group(data, "nps")["nps_group"].astype(object).tolist() == [
        "promoter",
        "passive",
        "detractor",
        "promoter",
    ]
    pd.testing.assert_frame_equal(data, before)


def test_example_planted_truths_are_recovered(example) -> None:
    """studies/example/README.md: APAC clearly lower; integration and support drive NPS."""
    study, responses = example
    regions = nps_by_segments(responses, "nps", ["region"]).set_index("group")
    assert regions.loc["APAC", "nps"] < regions.drop("APAC")["nps"].min() - 15
    assert all("A" in regions.loc[r, "higher_than"] for r in ("EMEA", "LATAM", "North America"))
    drivers = voc.drivers.key_drivers(responses, study.survey.columns, n_boot=50)
    assert set(drivers.nsmallest(2, "rank")["driver"]) == {"integration", "support"}
    assert drivers["label"].notna().all()


def _with_targets(example_study, targets: str):
    text = (
        (example_study / "study.yaml")
        .read_text()
        .replace(
            "    date: response_date\n",
            f"    date: response_date\n  weighting:\n    targets:\n{targets}",
        )
    )
    (example_study / "study.yaml").write_text(text)
    return voc.load_study(example_study)


def test_raking_targets_from_study_yaml_are_met(example_study) -> None:
    """Raked weights reproduce the declared margins exactly (Deming & Stephan 1940, IPF)."""
    study = _with_targets(
        example_study, "      region: {North America: 0.3, EMEA: 0.3, APAC: 0.3, LATAM: 0.1}\n"
    )
    assert study.survey.weight_column == "weight"
    responses = voc.survey.apply_weighting(voc.io.read_responses(study), study.survey)
    shares = responses.groupby("region")["weight"].sum() / responses["weight"].sum()
    assert shares.to_dict() == pytest.approx(
        {"APAC": 0.3, "EMEA": 0.3, "LATAM": 0.1, "North America": 0.3}
    )
    summary = voc.survey.weighting_summary(responses, study.survey).iloc[0]
    w = responses["weight"]
    assert summary["n_eff"] == pytest.approx(w.sum() ** 2 / (w**2).sum())  # Kish (1965)
    assert summary["design_effect"] == pytest.approx(len(w) / summary["n_eff"])
    # APAC is up-weighted (20 % of the sample, 30 % of the target), so the weighted NPS drops.
    weighted = nps(responses, "nps", weight="weight").loc[0, "nps"]
    assert weighted < nps(responses, "nps").loc[0, "nps"]


def test_targets_that_do_not_sum_to_one_are_a_located_error(example_study) -> None:
    with pytest.raises(
        voc.StudyError, match=r"survey.weighting.targets: .*sum to 0.9; they must sum to 1"
    ):
        _with_targets(example_study, "      region: {North America: 0.3, EMEA: 0.3, APAC: 0.3}\n")


def test_unweighted_summary() -> None:
    study = voc.load_study(EXAMPLE)
    summary = voc.survey.weighting_summary(pd.DataFrame({"x": range(10)}), study.survey)
    assert summary.iloc[0].to_dict() == {
        "method": "unweighted",
        "n": 10,
        "sum_weights": 10.0,
        "n_eff": 10.0,
        "design_effect": 1.0,
    }


def test_holm_and_bonferroni_match_statsmodels() -> None:
    """Closed-form Holm (1979) and Bonferroni equal statsmodels' multipletests."""
    from statsmodels.stats.multitest import multipletests

    from voc._survey_base import p_adjust

    rng = np.random.default_rng(0)
    for _ in range(15):  # statsmodels' multipletests is slow (a gc.collect per call)
        p = rng.random(int(rng.integers(1, 30))) ** 3
        p[rng.random(len(p)) < 0.1] = np.nan
        finite = np.isfinite(p)
        for method in ("holm", "bonferroni"):
            got = p_adjust(p, method)
            assert np.isnan(got[~finite]).all()
            if finite.any():
                np.testing.assert_allclose(got[finite], multipletests(p[finite], method=method)[1])
