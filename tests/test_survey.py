"""Tests of voc.survey: every number is checked against a named oracle (see each docstring)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from voc import survey
from voc._crosstab import column_letters

Z95 = stats.norm.ppf(0.975)


@pytest.fixture
def ltr() -> pd.DataFrame:
    """Ten answers: promoters 10, 9, 9, 10, 9 (5); passives 8, 7 (2); detractors 6, 3, 0 (3)."""
    return pd.DataFrame(
        {"ltr": [10, 9, 9, 8, 7, 6, 3, 10, 9, 0]}, index=[f"r{i}" for i in range(10)]
    )


@pytest.fixture
def segmented() -> pd.DataFrame:
    """Three plans of different size and NPS, a weight column and a missing answer."""
    rng = np.random.default_rng(7)
    plan = np.repeat(["free", "pro", "team"], [40, 35, 25])
    ltr = np.concatenate(
        [rng.integers(0, 11, 40), rng.integers(5, 11, 35), rng.integers(7, 11, 25)]
    ).astype(float)
    ltr[3] = np.nan
    return pd.DataFrame({"plan": plan, "ltr": ltr, "w": rng.uniform(0.5, 2.0, 100)})


# --------------------------------------------------------------------------------------------
# NPS


def test_nps_wald_matches_hand_calculation(ltr):
    """Oracle: hand calculation.

    n = 10, n_P = 5, n_0 = 2, n_D = 3: p_P = 0.5, p_D = 0.3, NPS = 100 (0.5 - 0.3) = 20.
    Trinomial variance: [p_P + p_D - (p_P - p_D)^2] / n = (0.8 - 0.04) / 10 = 0.076,
    SE = 100 sqrt(0.076) = 27.568 points; 95% Wald CI = 20 -/+ 1.95996 * 27.568 = [-34.03, 74.03].
    """
    out = survey.nps(ltr, "ltr", ci="wald")
    row = out.iloc[0]
    assert list(out.columns) == [
        "n", "n_missing", "n_promoters", "n_passives", "n_detractors", "pct_promoters",
        "pct_passives", "pct_detractors", "nps", "se", "ci_low", "ci_high", "small_base",
        "suppress",
    ]  # fmt: skip
    assert (row.n, row.n_promoters, row.n_passives, row.n_detractors) == (10, 5, 2, 3)
    assert (row.pct_promoters, row.pct_passives, row.pct_detractors) == pytest.approx((50, 20, 30))
    assert row.nps == pytest.approx(20.0)
    se = 100 * math.sqrt(0.076)
    assert row.se == pytest.approx(se)
    assert row.se == pytest.approx(27.568, abs=1e-3)
    assert (row.ci_low, row.ci_high) == pytest.approx((20 - Z95 * se, 20 + Z95 * se))
    assert (row.ci_low, row.ci_high) == pytest.approx((-34.03, 74.03), abs=5e-3)
    assert row.small_base
    assert not row.suppress


def test_nps_adjusted_wald_matches_hand_calculation(ltr):
    """Oracle: hand calculation from the documented formula.

    Adjusted Wald as described by Sauro & Lewis (MeasuringU, 2021) for Rocks (2016): add 3/4 to
    promoters and detractors and 3 to n. Not a published worked example: computed by hand.
    n' = 13, p'_P = 5.75/13 = 0.442308, p'_D = 3.75/13 = 0.288462, NPS' = 2/13 = 0.153846;
    var' = [9.5/13 - (2/13)^2] / 13 = (0.730769 - 0.023669) / 13 = 0.054392, SE' = 0.233221;
    CI = 100 (0.153846 -/+ 1.95996 * 0.233221) = [-30.33, 61.10]. The reported nps stays 20 and
    the reported se stays the Wald SE of that estimate.
    """
    row = survey.nps(ltr, "ltr").iloc[0]
    p_pro, p_det, n_adj = 5.75 / 13, 3.75 / 13, 13
    center = p_pro - p_det
    se_adj = math.sqrt((p_pro + p_det - center**2) / n_adj)
    assert se_adj == pytest.approx(0.233221, abs=1e-6)
    assert row.ci_low == pytest.approx(100 * (center - Z95 * se_adj))
    assert row.ci_high == pytest.approx(100 * (center + Z95 * se_adj))
    assert (row.ci_low, row.ci_high) == pytest.approx((-30.33, 61.10), abs=5e-3)
    assert row.nps == pytest.approx(20.0)
    assert row.se == pytest.approx(100 * math.sqrt(0.076))


def test_nps_adjusted_wald_all_promoters_is_clipped():
    """Oracle: hand calculation. Ten promoters: the Wald interval collapses to [100, 100].

    Adjusted: n' = 13, p'_P = 10.75/13, p'_D = 0.75/13, centre 10/13 = 76.92;
    var' = [11.5/13 - (10/13)^2] / 13 = 0.022531, SE' = 0.150103; upper = 106.34 -> clipped
    to 100; lower = 100 (0.769231 - 1.95996 * 0.150103) = 47.50.
    """
    data = pd.DataFrame({"ltr": [10] * 10})
    wald = survey.nps(data, "ltr", ci="wald").iloc[0]
    assert (wald.nps, wald.se, wald.ci_low, wald.ci_high) == (100, 0, 100, 100)
    adjusted = survey.nps(data, "ltr").iloc[0]
    assert adjusted.ci_high == 100
    assert adjusted.ci_low == pytest.approx(
        100 * (10 / 13 - Z95 * math.sqrt(0.292899 / 13)), abs=1e-3
    )
    assert adjusted.ci_low == pytest.approx(47.50, abs=5e-3)


def test_nps_level_changes_z(ltr):
    """Oracle: hand calculation; a 90% Wald interval uses z = 1.644854."""
    row = survey.nps(ltr, "ltr", ci="wald", level=0.90).iloc[0]
    assert row.ci_high == pytest.approx(20 + 1.644854 * 100 * math.sqrt(0.076), abs=1e-4)


def test_weighted_nps_with_unit_weights_equals_unweighted(segmented):
    """Oracle: definition. With all weights 1, n_weighted = n_eff = n and every estimate is equal."""
    data = segmented.assign(one=1.0)
    plain = survey.nps(data, "ltr", by="plan")
    weighted = survey.nps(data, "ltr", by="plan", weight="one")
    assert weighted["n_weighted"].tolist() == plain["n"].astype(float).tolist()
    assert weighted["n_eff"].to_numpy() == pytest.approx(plain["n"].to_numpy())
    pd.testing.assert_frame_equal(weighted.drop(columns=["n_weighted", "n_eff"]), plain)


def test_weighted_nps_matches_hand_calculation():
    """Oracle: hand calculation with Kish's effective n.

    Promoter w = 2, passive w = 1, detractor w = 1: p_P = 2/4, p_D = 1/4, NPS = 25;
    n_eff = 4^2 / (4 + 1 + 1) = 8/3; SE = 100 sqrt((0.75 - 0.0625) / (8/3)) = 50.77.
    """
    data = pd.DataFrame({"ltr": [10, 8, 2], "w": [2.0, 1.0, 1.0]})
    row = survey.nps(data, "ltr", weight="w", ci="wald").iloc[0]
    assert row.n == 3
    assert row.n_weighted == 4
    assert row.n_eff == pytest.approx(8 / 3)
    assert row.nps == pytest.approx(25)
    assert row.pct_passives == pytest.approx(25)
    assert row.se == pytest.approx(100 * math.sqrt(0.6875 / (8 / 3)))


def test_weighted_nps_point_estimate_equals_replicated_rows():
    """Oracle: definition. An integer weight k gives the same shares as repeating the row k times."""
    data = pd.DataFrame({"ltr": [10, 9, 7, 4, 0], "w": [3, 1, 2, 1, 2]})
    replicated = data.loc[data.index.repeat(data["w"])]
    weighted = survey.nps(data, "ltr", weight="w").iloc[0]
    plain = survey.nps(replicated, "ltr").iloc[0]
    assert weighted.nps == pytest.approx(plain.nps)
    assert weighted.pct_passives == pytest.approx(plain.pct_passives)


def test_nps_by_groups_sorted_missing_counted_nan_labels_dropped():
    """Oracle: hand counts. Categorical order wins over alphabetical; a NaN label forms no group."""
    data = pd.DataFrame(
        {
            "ltr": [10, 9, np.nan, 3, 8, 10, 6, 9],
            "tier": pd.Categorical(
                ["gold", "gold", "gold", "silver", "silver", None, "bronze", "bronze"],
                categories=["silver", "gold", "bronze", "unused"],
            ),
        }
    )
    out = survey.nps(data, "ltr", by="tier")
    assert out["tier"].tolist() == ["silver", "gold", "bronze"]
    assert isinstance(out["tier"].dtype, pd.CategoricalDtype)
    assert out["n"].tolist() == [2, 2, 2]
    assert out["n_missing"].tolist() == [0, 1, 0]
    assert out["nps"].tolist() == pytest.approx([-50.0, 100.0, 0.0])
    assert out["suppress"].all()


def test_nps_by_several_columns_and_nullable_ints():
    """Oracle: hand counts; pandas nullable Int64 with pd.NA is accepted."""
    data = pd.DataFrame(
        {
            "ltr": pd.array([10, 0, 9, None, 7, 10], dtype="Int64"),
            "region": ["n", "n", "s", "s", "s", "n"],
            "plan": ["a", "b", "a", "a", "a", "a"],
        }
    )
    out = survey.nps(data, "ltr", by=["region", "plan"])
    assert out[["region", "plan"]].values.tolist() == [["n", "a"], ["n", "b"], ["s", "a"]]
    assert out["nps"].tolist() == pytest.approx([100, -100, 50])
    assert out["n_missing"].tolist() == [0, 0, 1]


def test_nps_group_without_answers_has_nan_estimates():
    """Oracle: definition. A group whose answers are all missing gets n = 0 and NaN estimates."""
    data = pd.DataFrame({"ltr": [10, np.nan], "g": ["a", "b"]})
    out = survey.nps(data, "ltr", by="g")
    assert out["n"].tolist() == [1, 0]
    assert np.isnan(out.loc[1, "nps"])
    assert np.isnan(out.loc[1, "ci_low"])


def test_nps_bootstrap_deterministic_and_close_to_wald():
    """Oracle: large-sample theory. For n = 400 the percentile bootstrap interval is within a
    couple of points of the Wald interval; the same random_state gives the same interval."""
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"ltr": rng.integers(0, 11, 400), "w": rng.uniform(0.5, 1.5, 400)})
    first = survey.nps(data, "ltr", ci="bootstrap", n_boot=1000, random_state=3)
    again = survey.nps(data, "ltr", ci="bootstrap", n_boot=1000, random_state=3)
    other = survey.nps(data, "ltr", ci="bootstrap", n_boot=1000, random_state=4)
    pd.testing.assert_frame_equal(first, again)
    assert first.loc[0, "ci_low"] != other.loc[0, "ci_low"]
    wald = survey.nps(data, "ltr", ci="wald")
    assert first.loc[0, "ci_low"] == pytest.approx(wald.loc[0, "ci_low"], abs=2.5)
    assert first.loc[0, "ci_high"] == pytest.approx(wald.loc[0, "ci_high"], abs=2.5)
    weighted = survey.nps(data, "ltr", weight="w", ci="bootstrap", n_boot=500, random_state=3)
    assert weighted.loc[0, "ci_low"] < weighted.loc[0, "nps"] < weighted.loc[0, "ci_high"]


@pytest.mark.parametrize(("value", "shown"), [(11, "11"), (7.5, "7.5"), (-1, "-1"), ("ten", "ten")])
def test_nps_rejects_values_outside_0_to_10(ltr, value, shown):
    """Errors name the column, the first offending row label, the value and what is allowed."""
    bad = ltr.astype(object)
    bad.loc["r4", "ltr"] = value
    with pytest.raises(ValueError, match=rf"'ltr'.*0-10.*'r4'.*{shown}"):
        survey.nps(bad, "ltr")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ci": "exact"}, r"ci must be one of \['wald', 'adjusted-wald', 'bootstrap'\]"),
        ({"level": 95}, "level"),
        ({"by": "segment"}, "'segment'"),
        ({"weight": "wt"}, "'wt'"),
        ({"n_boot": 0}, "n_boot"),
    ],
)
def test_nps_rejects_bad_options(ltr, kwargs, match):
    """Unknown interval method, bad level, unknown columns and bad n_boot raise ValueError."""
    with pytest.raises(ValueError, match=match):
        survey.nps(ltr, "ltr", **kwargs)


def test_nps_rejects_bad_weights(ltr):
    """Negative or missing weights raise, naming the weight column and the row."""
    with pytest.raises(ValueError, match=r"'w'.*non-negative.*'r2'.*-1"):
        survey.nps(ltr.assign(w=[1, 1, -1, 1, 1, 1, 1, 1, 1, 1]), "ltr", weight="w")
    with pytest.raises(ValueError, match=r"'w'.*'r0'.*nan"):
        survey.nps(ltr.assign(w=[np.nan] + [1.0] * 9), "ltr", weight="w")


# --------------------------------------------------------------------------------------------
# Comparing groups and waves


def test_compare_nps_matches_hand_and_statsmodels_holm(segmented):
    """Oracle: hand formula on nps() Wald SEs + statsmodels multipletests(method="holm").

    diff = nps_a - nps_b, se = sqrt(se_a^2 + se_b^2), z = diff / se, p = 2 (1 - Phi(|z|)).
    """
    est = survey.nps(segmented, "ltr", by="plan", ci="wald").set_index("plan")
    out = survey.compare_nps(segmented, "ltr", by="plan")
    assert list(zip(out.group_a, out.group_b, strict=True)) == [
        ("free", "pro"),
        ("free", "team"),
        ("pro", "team"),
    ]
    for r in out.itertuples():
        a, b = est.loc[r.group_a], est.loc[r.group_b]
        se = math.sqrt(a.se**2 + b.se**2)
        assert (r.n_a, r.n_b) == (a.n, b.n)
        assert r.diff == pytest.approx(a.nps - b.nps)
        assert r.se == pytest.approx(se)
        assert r.z == pytest.approx((a.nps - b.nps) / se)
        assert r.p_val == pytest.approx(2 * stats.norm.sf(abs(r.z)))
        assert (r.ci_low, r.ci_high) == pytest.approx((r.diff - Z95 * se, r.diff + Z95 * se))
    assert out["p_adj"].to_numpy() == pytest.approx(multipletests(out["p_val"], method="holm")[1])
    none = survey.compare_nps(segmented, "ltr", by="plan", adjust="none")
    assert none["p_adj"].tolist() == none["p_val"].tolist()
    bonf = survey.compare_nps(segmented, "ltr", by="plan", adjust="bonferroni")
    assert bonf["p_adj"].to_numpy() == pytest.approx(np.minimum(3 * bonf["p_val"], 1))


def test_compare_nps_unanimous_groups_give_nan_test():
    """Oracle: definition. Two unanimous groups have se = 0: z and p are NaN, not an error."""
    data = pd.DataFrame({"ltr": [10, 10, 10, 10], "g": ["a", "a", "b", "b"]})
    out = survey.compare_nps(data, "ltr", by="g")
    assert out.loc[0, "diff"] == 0
    assert out.loc[0, "se"] == 0
    assert np.isnan(out.loc[0, "z"])
    assert np.isnan(out.loc[0, "p_adj"])


def test_compare_nps_errors(segmented):
    """Unknown adjustment and a single group raise ValueError with the allowed values."""
    with pytest.raises(ValueError, match=r"adjust must be one of \['holm'"):
        survey.compare_nps(segmented, "ltr", by="plan", adjust="tukey")
    with pytest.raises(ValueError, match="at least 2 groups"):
        survey.compare_nps(segmented.assign(one="x"), "ltr", by="one")


def test_nps_trend_consecutive_waves_match_hand_calculation():
    """Oracle: hand calculation. Wave 1: P 1, D 2 of 4 -> -25; wave 2: P 3, D 0 of 4 -> 75;
    wave 3: P 2, D 1 of 4 -> 25. Change 2-1 = 100 with se = sqrt(se1^2 + se2^2) (Wald)."""
    data = pd.DataFrame(
        {
            "ltr": [10, 8, 5, 0, 9, 10, 9, 7, 10, 10, 8, 1] * 2,
            "wave": ["2024Q1"] * 4 + ["2024Q2"] * 4 + ["2024Q3"] * 4
            + ["2024Q1"] * 4 + ["2024Q2"] * 4 + ["2024Q3"] * 4,
            "site": ["x"] * 12 + ["y"] * 12,
        }
    )  # fmt: skip
    out = survey.nps_trend(data, "ltr", wave="wave", by="site")
    assert out["site"].tolist() == ["x"] * 3 + ["y"] * 3
    assert out["nps"].tolist() == pytest.approx([-25, 75, 25] * 2)
    se1 = 100 * math.sqrt((0.25 + 0.5 - 0.0625) / 4)
    se2 = 100 * math.sqrt((0.75 - 0.5625) / 4)
    x = out[out["site"] == "x"]
    assert np.isnan(x["change"].iloc[0])
    assert x["change"].iloc[1] == pytest.approx(100)
    assert x["se_change"].iloc[1] == pytest.approx(math.hypot(se1, se2))
    assert x["p_val"].iloc[1] == pytest.approx(2 * stats.norm.sf(100 / math.hypot(se1, se2)))
    assert x["change"].iloc[2] == pytest.approx(-50)
    assert np.isnan(out["change"].iloc[3])  # first wave of site y


# --------------------------------------------------------------------------------------------
# CSAT / CES boxes, means, Likert items


def test_top_box_matches_statsmodels_wilson():
    """Oracle: statsmodels proportion_confint(method="wilson") on the hand count (6 of 10)."""
    data = pd.DataFrame({"csat": [5, 4, 4, 3, 2, 5, 1, 4, 5, 3, None]})
    row = survey.top_box(data, "csat").iloc[0]
    low, high = proportion_confint(6, 10, alpha=0.05, method="wilson")
    assert (row.box, row.n, row.n_missing, row.n_box) == ("top2", 10, 1, 6)
    assert row.pct == pytest.approx(60)
    assert (row.ci_low, row.ci_high) == pytest.approx((100 * low, 100 * high))
    top1 = survey.top_box(data, "csat", top=1, level=0.9).iloc[0]
    low, high = proportion_confint(3, 10, alpha=0.10, method="wilson")
    assert (top1.n_box, top1.ci_low, top1.ci_high) == pytest.approx((3, 100 * low, 100 * high))


def test_top_box_bottom_for_ces_and_groups():
    """Oracle: hand counts. CES on 1-7 with 1 = very easy: bottom-2 box = answers 1 or 2."""
    data = pd.DataFrame({"ces": [1, 2, 2, 7, 5, 1, 3, 6], "g": list("aaaabbbb")})
    out = survey.top_box(data, "ces", scale=(1, 7), top=2, bottom=True, by="g")
    assert out["box"].tolist() == ["bottom2", "bottom2"]
    assert out["n_box"].tolist() == [3, 1]
    assert out["pct"].tolist() == pytest.approx([75, 25])


def test_top_box_weighted_uses_effective_n():
    """Oracle: statsmodels Wilson interval with count = share * n_eff, nobs = n_eff (Kish)."""
    data = pd.DataFrame({"csat": [5, 5, 1, 2], "w": [1.0, 1.0, 1.0, 3.0]})
    row = survey.top_box(data, "csat", weight="w").iloc[0]
    share, n_eff = 2 / 6, 36 / 12
    low, high = proportion_confint(share * n_eff, n_eff, method="wilson")
    assert row.pct == pytest.approx(100 * share)
    assert row.n_eff == pytest.approx(3)
    assert (row.ci_low, row.ci_high) == pytest.approx((100 * low, 100 * high))


def test_top_box_errors():
    """Values off the scale and impossible box counts raise, naming column/row/value."""
    data = pd.DataFrame({"csat": [5, 6, 4]})
    with pytest.raises(ValueError, match=r"'csat'.*integers 1-5.*row 1.*6"):
        survey.top_box(data, "csat")
    with pytest.raises(ValueError, match="top must be an integer from 1 to 6"):
        survey.top_box(data, "csat", scale=(1, 7), top=7)
    with pytest.raises(ValueError, match="scale"):
        survey.top_box(data, "csat", scale=(5, 1))


def test_mean_score_matches_scipy_t_interval():
    """Oracle: scipy.stats.t.interval with the sample mean and standard error (sem)."""
    x = np.array([5, 4, 4, 3, 2, 5, 1, 4, 5, 3], dtype=float)
    data = pd.DataFrame({"csat": x, "ces": x[::-1] + 1})
    out = survey.mean_score(data, ["csat", "ces"])
    assert out["item"].tolist() == ["csat", "ces"]
    row = out.iloc[0]
    low, high = stats.t.interval(0.95, df=9, loc=x.mean(), scale=stats.sem(x))
    assert (row.n, row["mean"], row.sd) == pytest.approx((10, x.mean(), x.std(ddof=1)))
    assert row.se == pytest.approx(stats.sem(x))
    assert (row.ci_low, row.ci_high) == pytest.approx((low, high))


def test_mean_score_weighted_matches_hand_calculation():
    """Oracle: hand calculation with Kish's n_eff.

    x = 1, 2, 3, 4 with w = 1, 1, 1, 3: mean = 18/6 = 3; n_eff = 36/12 = 3; weights rescaled
    to sum 3: 0.5, 0.5, 0.5, 1.5; sum w'(x - 3)^2 = 2 + 0.5 + 0 + 1.5 = 4; var = 4/(3 - 1) = 2;
    se = sqrt(2/3); CI = 3 -/+ t(0.975, 2) se = 3 -/+ 4.302653 * 0.816497.
    """
    data = pd.DataFrame({"x": [1, 2, 3, 4], "w": [1, 1, 1, 3], "g": ["a"] * 4})
    row = survey.mean_score(data, "x", weight="w", by="g").iloc[0]
    assert (row.g, row.n, row.n_weighted, row.n_eff) == ("a", 4, 6, pytest.approx(3))
    assert row["mean"] == pytest.approx(3)
    assert row.sd == pytest.approx(math.sqrt(2))
    assert row.se == pytest.approx(math.sqrt(2 / 3))
    assert row.ci_high == pytest.approx(3 + 4.302653 * math.sqrt(2 / 3), abs=1e-5)


def test_mean_score_single_answer_has_nan_interval():
    """Oracle: definition. One answer has a mean but no sd or interval (and no warning)."""
    row = survey.mean_score(pd.DataFrame({"x": [4.0, np.nan]}), "x").iloc[0]
    assert (row.n, row.n_missing, row["mean"]) == (1, 1, 4)
    assert np.isnan(row.sd)
    assert np.isnan(row.ci_low)


def test_likert_summary_distribution_and_mean():
    """Oracle: hand counts; the mean interval equals scipy.stats.t.interval.

    q2 answers 1, 2, 2, 5 (one missing): pct_1 = 25, pct_2 = 50, pct_5 = 25, top2 = 25,
    bottom2 = 75, mean = 2.5.
    """
    data = pd.DataFrame({"q1": [5, 4, 4, 3, 2], "q2": [1, 2, 2, None, 5]})
    out = survey.likert_summary(data, ["q1", "q2"], labels={"q2": "Easy to use"})
    assert out["label"].tolist() == ["q1", "Easy to use"]
    q2 = out.iloc[1]
    assert (q2.n, q2.n_missing, q2["mean"]) == (4, 1, 2.5)
    assert [q2[f"pct_{k}"] for k in range(1, 6)] == pytest.approx([25, 50, 0, 0, 25])
    assert (q2.top2, q2.bottom2) == pytest.approx((25, 75))
    x = np.array([1, 2, 2, 5.0])
    low, high = stats.t.interval(0.95, df=3, loc=x.mean(), scale=stats.sem(x))
    assert (q2.ci_low, q2.ci_high) == pytest.approx((low, high))
    assert out[[f"pct_{k}" for k in range(1, 6)]].sum(axis=1).tolist() == pytest.approx([100, 100])


def test_likert_summary_errors():
    """Unknown label keys and off-scale answers raise ValueError naming them."""
    data = pd.DataFrame({"q1": [1, 2, 3]})
    with pytest.raises(ValueError, match="labels has key 'q9'"):
        survey.likert_summary(data, ["q1"], labels={"q9": "?"})
    with pytest.raises(ValueError, match=r"'q1'.*integers 1-2.*row 2.*3"):
        survey.likert_summary(data, ["q1"], scale=(1, 2))


# --------------------------------------------------------------------------------------------
# Reliability

# pingouin's "cronbach_alpha" dataset (from real-statistics.com): 15 subjects x 10 items.
CRONBACH_ITEMS = {
    "Q1": [3, 5, 7, 2, 6, 1, 4, 2, 6, 5, 4, 4, 5, 6, 4],
    "Q2": [2, 4, 3, 4, 5, 2, 3, 4, 5, 4, 3, 2, 5, 5, 3],
    "Q3": [4, 6, 5, 3, 6, 3, 5, 4, 5, 6, 5, 3, 6, 5, 5],
    "Q4": [1, 3, 5, 3, 5, 4, 3, 3, 5, 4, 2, 2, 2, 4, 5],
    "Q5": [4, 5, 6, 2, 4, 2, 5, 7, 1, 3, 5, 5, 3, 2, 3],
    "Q6": [5, 1, 4, 2, 4, 5, 2, 2, 6, 5, 3, 3, 3, 2, 1],
    "Q7": [1, 2, 3, 2, 4, 2, 1, 2, 5, 3, 2, 4, 2, 1, 3],
    "Q8": [4, 5, 3, 6, 6, 3, 2, 4, 2, 1, 3, 2, 4, 4, 2],
    "Q9": [3, 5, 6, 6, 7, 5, 4, 6, 3, 7, 4, 3, 4, 6, 3],
    "Q10": [2, 5, 5, 3, 5, 2, 3, 5, 2, 2, 1, 4, 5, 5, 4],
}


def test_cronbach_alpha_matches_pingouin_documented_example():
    """Oracle: pingouin's cronbach_alpha docstring on its 'cronbach_alpha' dataset:
    alpha = 0.591719, 95% CI [0.195, 0.84] (Feldt's F-based interval, checked against R psych)."""
    data = pd.DataFrame(CRONBACH_ITEMS)
    out = survey.cronbach_alpha(data, list(CRONBACH_ITEMS))
    assert list(out.columns) == ["n", "n_missing", "n_items", "alpha", "ci_low", "ci_high"]
    row = out.iloc[0]
    assert (row.n, row.n_items) == (15, 10)
    assert row.alpha == pytest.approx(0.591719, abs=5e-7)
    assert row.ci_low == pytest.approx(0.195, abs=5e-4)
    assert row.ci_high == pytest.approx(0.84, abs=5e-4)


def test_cronbach_alpha_listwise_deletion_and_errors():
    """Oracle: the pingouin example again. A row with a missing item is dropped and counted."""
    data = pd.concat(
        [pd.DataFrame(CRONBACH_ITEMS), pd.DataFrame({"Q1": [1.0], "Q2": [np.nan]})],
        ignore_index=True,
    )
    row = survey.cronbach_alpha(data, list(CRONBACH_ITEMS)).iloc[0]
    assert (row.n, row.n_missing) == (15, 1)
    assert row.alpha == pytest.approx(0.591719, abs=5e-7)
    with pytest.raises(ValueError, match="at least 2 distinct items"):
        survey.cronbach_alpha(data, ["Q1"])


# --------------------------------------------------------------------------------------------
# Crosstabs

# Agresti (2007), An Introduction to Categorical Data Analysis, 2nd ed., Table 2.5:
# party identification by gender, 2000 General Social Survey.
AGRESTI_PARTY = {
    ("female", "democrat"): 762,
    ("female", "independent"): 327,
    ("female", "republican"): 468,
    ("male", "democrat"): 484,
    ("male", "independent"): 239,
    ("male", "republican"): 477,
}


def _expand(counts: dict[tuple[str, str], int], names: tuple[str, str]) -> pd.DataFrame:
    rows = [cell for cell, k in counts.items() for _ in range(k)]
    return pd.DataFrame(rows, columns=list(names))


def test_crosstab_test_matches_agresti_and_scipy():
    """Oracle: Agresti (2007, section 2.4) reports X^2 = 30.1 with df = 2 for Table 2.5;
    scipy chi2_contingency(correction=False) and scipy association(method="cramer")."""
    data = _expand(AGRESTI_PARTY, ("gender", "party"))
    out = survey.crosstab_test(data, "gender", "party")
    row = out.iloc[0]
    observed = np.array([[762, 327, 468], [484, 239, 477]])
    expected = stats.chi2_contingency(observed, correction=False)
    assert (row.test, row.dof, row.n, row.note) == ("chi2", 2, 2757, "")
    assert row.stat == pytest.approx(30.1, abs=0.05)
    assert row.stat == pytest.approx(expected.statistic)
    assert row.p_val == pytest.approx(expected.pvalue)
    assert row.effect_size == pytest.approx(
        stats.contingency.association(observed, method="cramer")
    )


def test_crosstab_test_fisher_for_sparse_2x2():
    """Oracle: Fisher's tea-tasting experiment (Agresti 2007, section 2.6): two-sided P = 0.486;
    scipy fisher_exact. Expected counts are 2 < 5, so Fisher is chosen."""
    data = _expand({("milk", "milk"): 3, ("milk", "tea"): 1, ("tea", "milk"): 1, ("tea", "tea"): 3},
                   ("poured", "guess"))  # fmt: skip
    row = survey.crosstab_test(data, "poured", "guess").iloc[0]
    fisher = stats.fisher_exact([[3, 1], [1, 3]])
    assert row.test == "fisher"
    assert row.p_val == pytest.approx(fisher.pvalue)
    assert row.p_val == pytest.approx(0.486, abs=5e-4)
    assert row.stat == pytest.approx(9.0)  # sample odds ratio 3*3 / (1*1)
    assert np.isnan(row.dof)
    assert row.smallest_expected == 2
    assert row.n_small_expected == 4
    assert "Fisher" in row.note


def test_crosstab_test_large_sparse_table_notes_it():
    """Oracle: scipy chi2_contingency; a 3x2 table with small expected counts stays chi2 + note.

    Expected counts (row totals 10, 7, 6; column totals 12, 11; n = 23): 5.22, 4.78 / 3.65,
    3.35 / 3.13, 2.87, so 5 of the 6 cells are below 5.
    """
    counts = {
        ("a", "x"): 8,
        ("a", "y"): 2,
        ("b", "x"): 1,
        ("b", "y"): 6,
        ("c", "x"): 3,
        ("c", "y"): 3,
    }
    row = survey.crosstab_test(_expand(counts, ("r", "c")), "r", "c").iloc[0]
    assert row.test == "chi2"
    stat = stats.chi2_contingency([[8, 2], [1, 6], [3, 3]], correction=False).statistic
    assert row.stat == pytest.approx(stat)
    assert "5 of 6 cells have an expected count below 5" in row.note
    assert row.n_small_expected == 5
    assert row.smallest_expected == pytest.approx(6 * 11 / 23)


def test_crosstab_test_weighted_rescales_to_effective_n():
    """Oracle: definition. Constant weights (deff = 1) give the unweighted X^2; weights 1/3 give
    X^2 on the weighted table rescaled to Kish n_eff (scipy chi2_contingency on that table)."""
    data = _expand(AGRESTI_PARTY, ("gender", "party"))
    plain = survey.crosstab_test(data, "gender", "party").iloc[0]
    constant = survey.crosstab_test(data.assign(w=2.5), "gender", "party", weight="w").iloc[0]
    assert constant.stat == pytest.approx(plain.stat)
    assert constant.n_eff == pytest.approx(2757)
    w = np.where(data["gender"] == "female", 1.0, 3.0)
    weighted = survey.crosstab_test(data.assign(w=w), "gender", "party", weight="w").iloc[0]
    n_eff = w.sum() ** 2 / (w**2).sum()
    table = np.array([[762, 327, 468], [3 * 484, 3 * 239, 3 * 477]]) * n_eff / w.sum()
    assert weighted.stat == pytest.approx(stats.chi2_contingency(table, correction=False).statistic)
    assert "effective n" in weighted.note


def test_crosstab_percentages_match_pandas_crosstab():
    """Oracle: pandas.crosstab(normalize="columns"/"index") on the Agresti table."""
    data = _expand(AGRESTI_PARTY, ("gender", "party"))
    cells = survey.crosstab(data, "party", "gender")
    by_col = pd.crosstab(data["party"], data["gender"], normalize="columns") * 100
    by_row = pd.crosstab(data["party"], data["gender"], normalize="index") * 100
    indexed = cells.set_index(["row", "col"])
    for (party, gender), cell in indexed.iterrows():
        assert cell.pct_col == pytest.approx(by_col.loc[party, gender])
        assert cell.pct_row == pytest.approx(by_row.loc[party, gender])
        assert cell.n == AGRESTI_PARTY[(gender, party)]
    assert cells["col_letter"].tolist() == ["A", "B"] * 3
    assert cells["n_col"].tolist() == [1557, 1200] * 3


def test_crosstab_letters_match_statsmodels_ztest_bonferroni():
    """Oracle: statsmodels proportions_ztest (pooled) + Bonferroni over the 3 pairs of the row.

    'yes' shares: A 40/50 = 80%, B 30/50 = 60%, C 10/50 = 20%. A cell shows the letters of
    the columns it is significantly higher than at alpha = 0.05 after adjustment.
    """
    counts = {("yes", "a"): 40, ("no", "a"): 10, ("yes", "b"): 30, ("no", "b"): 20,
              ("yes", "c"): 10, ("no", "c"): 40}  # fmt: skip
    data = _expand(counts, ("answer", "plan"))
    cells = survey.crosstab(data, "answer", "plan").set_index(["row", "col"])
    yes = {"a": 40, "b": 30, "c": 10}
    pairs = [("a", "b"), ("a", "c"), ("b", "c")]
    raw = [proportions_ztest([yes[i], yes[j]], [50, 50])[1] for i, j in pairs]
    adj = multipletests(raw, method="bonferroni")[1]
    expected = {"a": "", "b": "", "c": ""}
    letter = {"a": "A", "b": "B", "c": "C"}
    for (i, j), p in zip(pairs, adj, strict=True):
        if p < 0.05:
            hi, lo = (i, j) if yes[i] > yes[j] else (j, i)
            expected[hi] += letter[lo]
    assert expected == {"a": "C", "b": "C", "c": ""}  # A vs B: raw p = 0.028, adjusted 0.085
    assert {c: cells.loc[("yes", c), "sig_higher"] for c in "abc"} == expected
    assert cells.loc[("no", "c"), "sig_higher"] == "AB"
    unadjusted = survey.crosstab(data, "answer", "plan", adjust="none").set_index(["row", "col"])
    assert unadjusted.loc[("yes", "a"), "sig_higher"] == "BC"


def test_crosstab_drops_missing_and_flags_small_column_bases():
    """Oracle: hand counts. Rows with a missing label leave the table; flags use the column base."""
    data = pd.DataFrame({"r": ["x", "y", None, "x"], "c": ["p", "p", "q", None]})
    cells = survey.crosstab(data, "r", "c")
    assert cells[["row", "col", "n"]].values.tolist() == [["x", "p", 1], ["y", "p", 1]]
    assert cells["suppress"].all()
    test = survey.crosstab_test(data, "r", "c").iloc[0]
    assert test.n_missing == 2
    assert "no test" in test.note


def test_column_letters_go_past_z():
    """Oracle: spreadsheet-style column naming."""
    assert column_letters(28)[-3:] == ["Z", "AA", "AB"]


# --------------------------------------------------------------------------------------------
# Flags and weights


def test_flag_bases_thresholds():
    """Oracle: definition (n < 30 small, n < 5 suppressed), on a chosen base column."""
    table = pd.DataFrame({"n": [4, 5, 29, 30], "n_col": [100, 100, 3, 3]})
    out = survey.flag_bases(table)
    assert out["small_base"].tolist() == [True, True, True, False]
    assert out["suppress"].tolist() == [True, False, False, False]
    assert survey.flag_bases(table, base="n_col")["suppress"].tolist() == [False, False, True, True]
    with pytest.raises(ValueError, match="suppress_below"):
        survey.flag_bases(table, min_base=3, suppress_below=5)
    with pytest.raises(ValueError, match="'n_base'"):
        survey.flag_bases(table, base="n_base")


def test_effective_n_and_design_effect_match_kish():
    """Oracle: Kish (1965) hand calculation. w = 1, 1, 1, 3: n_eff = 6^2 / 12 = 3, deff = 4/3."""
    w = pd.Series([1.0, 1.0, 1.0, 3.0])
    assert survey.effective_n(w) == pytest.approx(3)
    assert survey.design_effect(w) == pytest.approx(4 / 3)
    assert survey.effective_n([2.0] * 7) == pytest.approx(7)
    with pytest.raises(ValueError, match="position 1"):
        survey.design_effect([1.0, -2.0])
    with pytest.raises(ValueError, match="not all be zero"):
        survey.effective_n([0.0, 0.0])


def test_rake_one_variable_is_post_stratification():
    """Oracle: closed form. Raking on one variable gives w = N * target share / sample count."""
    data = pd.DataFrame({"region": ["n"] * 6 + ["s"] * 4})
    w = survey.rake(data, {"region": {"n": 0.3, "s": 0.7}})
    assert w.name == "weight"
    assert w.index.equals(data.index)
    assert w[data["region"] == "n"].to_numpy() == pytest.approx(10 * 0.3 / 6)
    assert w[data["region"] == "s"].to_numpy() == pytest.approx(10 * 0.7 / 4)


def test_rake_two_by_two_matches_closed_form():
    """Oracle: IPF converges to the unique table with the target margins and the sample's odds
    ratio (Deming & Stephan 1940; Bishop, Fienberg & Holland 1975, ch. 3). For a 2x2 that table
    solves a quadratic: (1 - t) p^2 + (1 - r - c + t (r + c)) p - t r c = 0, p = P(f, young).

    Sample: (f, young) 10, (f, old) 20, (m, young) 30, (m, old) 40, so t = 400/600 = 2/3;
    targets: f 0.5, young 0.3.
    """
    data = _expand({("f", "young"): 10, ("f", "old"): 20, ("m", "young"): 30, ("m", "old"): 40},
                   ("sex", "age"))  # fmt: skip
    targets = {"sex": {"f": 0.5, "m": 0.5}, "age": {"young": 0.3, "old": 0.7}}
    w = survey.rake(data, targets, tol=1e-12, max_iter=1000)
    t, r, c = 2 / 3, 0.5, 0.3
    a, b, k = 1 - t, 1 - r - c + t * (r + c), -t * r * c
    p = (-b + math.sqrt(b * b - 4 * a * k)) / (2 * a)
    expected = {("f", "young"): p, ("f", "old"): r - p, ("m", "young"): c - p,
                ("m", "old"): 1 - r - c + p}  # fmt: skip
    totals = w.groupby([data["sex"], data["age"]]).sum() / w.sum()
    for cell, share in expected.items():
        assert totals[cell] == pytest.approx(share, abs=1e-10)
    assert w.sum() == pytest.approx(100)
    assert (w.groupby(data["sex"]).sum() / 100).to_dict() == pytest.approx({"f": 0.5, "m": 0.5})


def test_rake_starts_from_design_weights():
    """Oracle: closed form. Starting weights are kept within a cell and rescaled to the target."""
    data = pd.DataFrame({"g": ["a", "a", "b"], "w": [1.0, 3.0, 2.0]})
    w = survey.rake(data, {"g": {"a": 0.5, "b": 0.5}}, weight="w")
    assert w.tolist() == pytest.approx([0.75, 2.25, 3.0])


@pytest.mark.parametrize(
    ("targets", "match"),
    [
        ({"sex": {"f": 0.5, "m": 0.6}}, r"'sex' must sum to 1, they sum to 1\.1"),
        ({"sex": {"f": 1.0}}, r"'sex' has category 'm' in data but not in targets"),
        ({"sex": {"f": 0.5, "m": 0.4, "x": 0.1}}, r"'sex': category 'x' has target share 0\.1"),
        ({"age": {"old": 1.0}}, r"raking column 'age' is not in data"),
        ({"sex": {"f": 50, "m": 50}}, r"targets\['sex'\]\['f'\] must be a number in \[0, 1\]"),
    ],
)
def test_rake_rejects_bad_targets(targets, match):
    """Errors name the variable (and the category) and say what is allowed."""
    data = pd.DataFrame({"sex": ["f", "m", "f"], "grp": ["a", "b", "a"]})
    with pytest.raises(ValueError, match=match):
        survey.rake(data, targets)


def test_rake_reports_non_convergence_with_iteration_count():
    """Inconsistent targets (sex and grp are the same split, targets differ) never converge."""
    data = pd.DataFrame({"sex": ["f", "m", "f"], "grp": ["a", "b", "a"]})
    targets = {"sex": {"f": 0.5, "m": 0.5}, "grp": {"a": 0.7, "b": 0.3}}
    with pytest.raises(ValueError, match="did not converge in 25 iterations"):
        survey.rake(data, targets, max_iter=25)


def test_rake_rejects_missing_values_in_variable():
    """A missing category label is an error naming the variable and the row."""
    data = pd.DataFrame({"sex": ["f", None]}, index=["a", "b"])
    with pytest.raises(ValueError, match=r"'sex' has a missing value in row 'b'"):
        survey.rake(data, {"sex": {"f": 1.0}})


# --------------------------------------------------------------------------------------------
# Purity


def test_functions_do_not_mutate_inputs(segmented):
    """T7: every function leaves its input frame unchanged and returns a new frame."""
    data = segmented.assign(
        csat=np.tile([1, 2, 3, 4, 5], 20), q2=np.tile([2, 3, 4, 5, 5], 20), wave=np.tile([1, 2], 50)
    )
    before = data.copy(deep=True)
    calls = [
        lambda: survey.nps(data, "ltr", by="plan", weight="w", ci="bootstrap", n_boot=50),
        lambda: survey.compare_nps(data, "ltr", by="plan", weight="w"),
        lambda: survey.nps_trend(data, "ltr", wave="wave", by="plan"),
        lambda: survey.top_box(data, "csat", by="plan", weight="w"),
        lambda: survey.mean_score(data, ["csat", "ltr"], by="plan", weight="w"),
        lambda: survey.likert_summary(data, ["csat", "q2"], weight="w"),
        lambda: survey.cronbach_alpha(data, ["csat", "q2"]),
        lambda: survey.crosstab(data, "csat", "plan", weight="w"),
        lambda: survey.crosstab_test(data, "csat", "plan", weight="w"),
        lambda: survey.rake(data, {"plan": {"free": 0.5, "pro": 0.3, "team": 0.2}}, weight="w"),
        lambda: survey.flag_bases(data.assign(n=1)),
    ]
    for call in calls:
        result = call()
        assert result is not data
        pd.testing.assert_frame_equal(data, before)


def test_nps_bootstrap_of_a_large_sample_draws_counts_and_matches_large_sample_theory(
    monkeypatch,
):
    """Oracle: the Wald interval (large-sample theory, weighted with Kish's n_eff). Above
    BOOT_ROWS_DRAWN rows a replicate is drawn as counts of the distinct (group, weight) pairs;
    its interval must match the Wald interval and the interval of drawing the rows."""
    from voc import _nps

    rng = np.random.default_rng(2)
    n = 4 * _nps.BOOT_ROWS_DRAWN
    ltr = rng.integers(0, 11, n)
    data = pd.DataFrame(
        {
            "ltr": ltr,
            "w": np.where(ltr >= 9, 2.0, rng.choice([0.5, 1.0], n)),  # promoters count double
            "w_any": rng.uniform(0.5, 1.5, n),  # every weight distinct
        }
    )
    for weight, n_boot in ((None, 1000), ("w", 1000), ("w_any", 200)):
        boot = survey.nps(data, "ltr", weight=weight, ci="bootstrap", n_boot=n_boot)
        wald = survey.nps(data, "ltr", weight=weight, ci="wald")
        assert boot.loc[0, "nps"] == wald.loc[0, "nps"]
        assert boot.loc[0, "ci_low"] == pytest.approx(wald.loc[0, "ci_low"], abs=0.2), weight
        assert boot.loc[0, "ci_high"] == pytest.approx(wald.loc[0, "ci_high"], abs=0.2), weight
        again = survey.nps(data, "ltr", weight=weight, ci="bootstrap", n_boot=n_boot)
        pd.testing.assert_frame_equal(boot, again)
    boot = survey.nps(data, "ltr", weight="w", ci="bootstrap", n_boot=500, random_state=1)
    monkeypatch.setattr(_nps, "BOOT_ROWS_DRAWN", 10 * n)  # draw the rows themselves
    rows = survey.nps(data, "ltr", weight="w", ci="bootstrap", n_boot=500, random_state=1)
    assert boot.loc[0, "ci_low"] != rows.loc[0, "ci_low"]  # the other way of drawing ran
    assert boot.loc[0, "ci_low"] == pytest.approx(rows.loc[0, "ci_low"], abs=0.2)
    assert boot.loc[0, "ci_high"] == pytest.approx(rows.loc[0, "ci_high"], abs=0.2)
