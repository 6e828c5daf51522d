"""Tests for voc.agreement: published reference values, oracles, codings semantics, purity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats import inter_rater

import voc.agreement as va

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", sec. C: 4 coders x 12 units
# with missing data (printed coders x units; voc takes units x coders, hence the .T below).
KRIPPENDORFF_2011 = pd.DataFrame(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ],
    index=["A", "B", "C", "D"],
).T

# Wikipedia "Fleiss' kappa", worked example: 10 subjects x 5 categories, 14 raters per subject.
FLEISS_COUNTS = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)


def _from_counts(counts: np.ndarray, labels: list) -> pd.DataFrame:
    """Units x raters label table from a units x categories count table."""
    return pd.DataFrame([np.repeat(labels, row) for row in counts])


def _pairs_from_table(table: np.ndarray, labels: list) -> tuple[list, list]:
    """Two raters' ratings from a square contingency table (rows = rater a)."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, n in enumerate(row):
            a += [labels[i]] * int(n)
            b += [labels[j]] * int(n)
    return a, b


# --------------------------------------------------------------------------- reference values
@pytest.mark.parametrize(
    ("level", "expected"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_alpha_reproduces_krippendorff_2011(level, expected):
    """Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", 4 coders x 12 units
    with missing data: alpha = .743 nominal, .815 ordinal, .849 interval, .797 ratio."""
    assert va.krippendorff_alpha(KRIPPENDORFF_2011, level=level) == pytest.approx(
        expected, abs=5e-4
    )
    result = va.agreement(KRIPPENDORFF_2011, level=level, ci=None)
    assert result.loc[0, "stat"] == pytest.approx(expected, abs=5e-4)
    # unit 12 has a single value (not pairable) and is dropped
    assert result.loc[0, "n_units"] == 11
    assert result.loc[0, "n_coders"] == 4


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("nominal", 0.4713160854893139),
        ("ordinal", 0.8759744797971065),
        ("interval", 0.9000637890708059),
        ("ratio", 0.8305679204818921),
    ],
)
def test_krippendorff_alpha_matches_krippendorff_package(level, expected):
    """Oracle: the `krippendorff` PyPI package 0.9.0 (Castro), ``krippendorff.alpha(
    reliability_data=<the coders x units rows below>, level_of_measurement=level)``, run
    outside the test suite; 4 coders x 15 units, 20% missing."""
    coders_by_units = [
        [4, 1, 1, 1, 1, 5, 5, 4, 1, None, 2, 3, 4, None, 2],
        [5, 2, 1, 2, 1, 5, None, None, 2, 1, 3, 2, 3, 4, None],
        [5, 1, 1, 1, 2, 5, None, 3, None, None, 2, 3, None, 3, 2],
        [5, 1, 1, 1, 1, 5, None, 4, 2, 1, 2, 3, 4, 3, None],
    ]
    data = pd.DataFrame(coders_by_units).T
    assert va.krippendorff_alpha(data, level=level) == pytest.approx(expected, rel=1e-12)


def test_fleiss_kappa_reproduces_wikipedia_example():
    """Wikipedia "Fleiss' kappa", worked example (10 subjects, 14 raters, 5 categories):
    P-bar = 0.378, P-bar_e = 0.213, kappa = 0.210."""
    ratings = _from_counts(FLEISS_COUNTS, [1, 2, 3, 4, 5])
    assert va.fleiss_kappa(ratings) == pytest.approx(0.20993, abs=5e-5)
    # string labels give the same value
    letters = _from_counts(FLEISS_COUNTS, ["a", "b", "c", "d", "e"])
    assert va.fleiss_kappa(letters) == pytest.approx(va.fleiss_kappa(ratings), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fleiss_kappa_matches_statsmodels_on_random_data(seed):
    """Oracle: statsmodels.stats.inter_rater.fleiss_kappa on aggregate_raters(data)."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 4, size=40)
    ratings = np.where(rng.random((40, 5)) < 0.6, truth[:, None], rng.integers(0, 4, (40, 5)))
    expected = inter_rater.fleiss_kappa(inter_rater.aggregate_raters(ratings)[0])
    assert va.fleiss_kappa(ratings) == pytest.approx(expected, rel=1e-10)


def test_cohen_kappa_reproduces_wikipedia_2x2_example():
    """Wikipedia "Cohen's kappa", simple example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no;
    p_o = 0.7, p_e = 0.5, kappa = 0.4."""
    a, b = _pairs_from_table(np.array([[20, 5], [10, 15]]), ["yes", "no"])
    assert va.cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [(None, 0.7964094), ("linear", 0.8429020), ("quadratic", 0.8921569)],
)
def test_cohen_kappa_reproduces_gwet_abstractors_example(weights, expected):
    """Gwet (2014) Handbook of Inter-Rater Reliability, 4th ed., dataset cont3x3abstractors
    (100 pregnancies x 2 abstractors; Ectopic/AIU/NIU). Published output of the R package
    irrCAC, ``kappa2.table(cont3x3abstractors)``: 0.7964094, with quadratic weights 0.8921569;
    linear weights 0.843 (irrCAC Python port, test_cohen.py). statsmodels' cohens_kappa gives
    the same three values."""
    table = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    labels = ["Ectopic", "AIU", "NIU"]
    a, b = _pairs_from_table(table, labels)
    assert va.cohen_kappa(a, b, weights=weights, labels=labels) == pytest.approx(expected, abs=1e-7)
    oracle = inter_rater.cohens_kappa(table, wt=weights, return_results=False)
    assert va.cohen_kappa(a, b, weights=weights, labels=labels) == pytest.approx(oracle, rel=1e-12)


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_kappa_matches_statsmodels_on_random_data(weights):
    """Oracle: statsmodels.stats.inter_rater.cohens_kappa(table, wt=...) on the contingency
    table of the same ratings (1-5 scale, every category used, so the weights coincide)."""
    rng = np.random.default_rng(5)
    a = rng.integers(1, 6, size=80)
    b = np.clip(a + rng.integers(-1, 2, size=80), 1, 5)
    table = pd.crosstab(a, b).reindex(index=range(1, 6), columns=range(1, 6), fill_value=0)
    expected = inter_rater.cohens_kappa(table.to_numpy(), wt=weights, return_results=False)
    assert va.cohen_kappa(a, b, weights=weights) == pytest.approx(expected, rel=1e-10)


# --------------------------------------------------------------------------- behaviour
def test_cohen_kappa_hand_example_and_labels_as_strings_or_numbers():
    """By hand: p_o = 4/5, p_e = .2*.2 + .4*.6 + .4*.2 = .36, kappa = .44/.64 = 0.6875."""
    a, b = [1, 2, 3, 3, 2], [1, 2, 3, 2, 2]
    assert va.cohen_kappa(a, b) == pytest.approx(0.6875)
    names = {1: "lo", 2: "mid", 3: "hi"}
    assert va.cohen_kappa([names[x] for x in a], [names[x] for x in b]) == pytest.approx(0.6875)
    assert va.cohen_kappa(pd.Series(a, index=[9, 8, 7, 6, 5]), np.array(b)) == pytest.approx(0.6875)


def test_cohen_kappa_drops_pairs_with_a_missing_rating():
    assert va.cohen_kappa([1, 2, None, 3], [1, 2, 3, np.nan]) == pytest.approx(1.0)


def test_weighted_kappa_uses_numeric_values_not_observed_positions():
    """1-vs-3 on a scale where 2 is unused is 2 steps apart, as it is when 2 is used."""
    sparse = va.cohen_kappa([1, 3, 3, 1], [1, 3, 1, 1], weights="linear")
    full = va.cohen_kappa([1, 3, 3, 1], [1, 3, 1, 1], weights="linear", labels=[1, 2, 3])
    assert sparse == pytest.approx(full)


def test_weighted_kappa_on_strings_needs_labels():
    with pytest.raises(ValueError, match="labels"):
        va.cohen_kappa(["lo", "hi"], ["lo", "mid"], weights="quadratic")
    with pytest.raises(ValueError, match=r"not in labels: \['mid'\]"):
        va.cohen_kappa(["lo", "hi"], ["lo", "mid"], labels=["lo", "hi"])


def test_single_category_is_undefined_not_one():
    """Krippendorff (2011): alpha needs variation; kappa's 1 - p_e is 0. Both are NaN."""
    same = pd.DataFrame({"a": ["x"] * 5, "b": ["x"] * 5, "c": ["x"] * 5})
    assert np.isnan(va.krippendorff_alpha(same))
    assert np.isnan(va.fleiss_kappa(same))
    assert np.isnan(va.cohen_kappa(same["a"], same["b"]))
    assert va.percent_agreement(same) == 1.0
    result = va.agreement(same, n_boot=50)
    assert result[["stat", "ci_low", "ci_high"]].isna().all(axis=None)


def test_no_unit_rated_twice_is_undefined():
    assert np.isnan(va.cohen_kappa([None, None], [None, 1]))
    assert np.isnan(va.krippendorff_alpha([[None, None], [1, None]]))
    assert np.isnan(va.percent_agreement([[None, None], [1, None]]))
    result = va.agreement([[None, None], [1, None]], method="cohen")
    assert result.loc[0, ["stat", "ci_low", "ci_high"]].isna().all()
    assert (result.loc[0, "n_units"], result.loc[0, "n_coders"]) == (0, 0)


def test_percent_agreement_by_hand():
    """Units: (x,x,x) 1; (x,x,y) 1 agreeing pair of 3 = 1/3; (x,y) 0; (x,-,-) dropped."""
    data = [["x", "x", "x"], ["x", "x", "y"], ["x", "y", None], ["x", None, None]]
    assert va.percent_agreement(data) == pytest.approx((1 + 1 / 3 + 0) / 3)


def test_krippendorff_alpha_ignores_units_with_one_rating():
    extra = pd.concat([KRIPPENDORFF_2011, pd.DataFrame({"A": [4], "B": [None]})], ignore_index=True)
    assert va.krippendorff_alpha(extra) == pytest.approx(va.krippendorff_alpha(KRIPPENDORFF_2011))


def test_krippendorff_alpha_ordinal_with_string_labels():
    """Ordinal alpha depends only on the order: relabelled categories give the same value."""
    names = {1: "never", 2: "rarely", 3: "sometimes", 4: "often", 5: "always"}
    words = KRIPPENDORFF_2011.apply(lambda col: col.map(names))
    order = list(names.values())
    value = va.krippendorff_alpha(words, level="ordinal", labels=order)
    assert value == pytest.approx(va.krippendorff_alpha(KRIPPENDORFF_2011, level="ordinal"))
    with pytest.raises(ValueError, match="labels"):
        va.krippendorff_alpha(words, level="ordinal")
    with pytest.raises(ValueError, match="numeric"):
        va.krippendorff_alpha(words, level="interval", labels=order)


def test_fleiss_kappa_needs_a_constant_number_of_ratings():
    with pytest.raises(ValueError, match="krippendorff_alpha"):
        va.fleiss_kappa(KRIPPENDORFF_2011)
    complete = pd.DataFrame([["a", "a"], ["a", "b"], [None, None], ["b", "b"]])
    assert va.fleiss_kappa(complete) == pytest.approx(va.fleiss_kappa(complete.dropna()))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: va.krippendorff_alpha([[1], [2]]), ">= 2 coder columns"),
        (lambda: va.percent_agreement([1, 2, 3]), "2-D"),
        (lambda: va.krippendorff_alpha(KRIPPENDORFF_2011, level="likert"), "'nominal'.*'ratio'"),
        (lambda: va.cohen_kappa([1], [1], weights="squared"), "'linear', 'quadratic'"),
        (lambda: va.cohen_kappa([1, 2], [1]), "equal length"),
        (lambda: va.agreement(KRIPPENDORFF_2011, method="scott"), "'krippendorff'.*'percent'"),
        (lambda: va.agreement(KRIPPENDORFF_2011, method="cohen"), "exactly 2 coders"),
        (lambda: va.agreement(KRIPPENDORFF_2011, method="fleiss", level="ordinal"), "level"),
        (lambda: va.agreement(KRIPPENDORFF_2011, ci=95), "ci"),
        (lambda: va.agreement(KRIPPENDORFF_2011, n_boot=0), "n_boot"),
        (lambda: va.krippendorff_alpha([[-1, 2], [3, 4]], level="ratio"), ">= 0"),
    ],
)
def test_errors_name_the_argument_and_the_allowed_values(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------- bootstrap
def test_agreement_bootstrap_equals_recomputing_on_resampled_units():
    """Oracle: the naive bootstrap -- draw units with the same generator and recompute alpha
    on each resample -- gives the same percentile interval as the weighted-sum shortcut."""
    data = KRIPPENDORFF_2011.iloc[:11]  # all pairable
    result = va.agreement(data, level="interval", n_boot=200, random_state=42)
    picks = np.random.default_rng(42).integers(0, 11, size=(200, 11))
    draws = np.array([va.krippendorff_alpha(data.iloc[p], level="interval") for p in picks])
    draws = draws[np.isfinite(draws)]
    expected = np.quantile(draws, [0.025, 0.975])
    assert result.loc[0, ["ci_low", "ci_high"]].to_numpy(float) == pytest.approx(expected)
    assert result.loc[0, "ci_low"] <= result.loc[0, "stat"] <= result.loc[0, "ci_high"]


def test_agreement_frame_and_determinism():
    a, b = _pairs_from_table(np.array([[20, 5], [10, 15]]), ["yes", "no"])
    data = pd.DataFrame({"ana": a, "ben": b})
    first = va.agreement(data, method="cohen", random_state=1)
    assert list(first.columns) == [
        "method",
        "level",
        "stat",
        "ci_low",
        "ci_high",
        "n_units",
        "n_coders",
    ]
    assert first.loc[0, "stat"] == pytest.approx(0.4)
    assert (first.loc[0, "n_units"], first.loc[0, "n_coders"]) == (50, 2)
    pd.testing.assert_frame_equal(first, va.agreement(data, method="cohen", random_state=1))
    other = va.agreement(data, method="cohen", random_state=2)
    assert other.loc[0, "ci_low"] != first.loc[0, "ci_low"]
    skipped = va.agreement(data, method="percent", ci=None)
    assert skipped.loc[0, "stat"] == pytest.approx(0.7)
    assert skipped[["ci_low", "ci_high"]].isna().all(axis=None)
    weighted = va.agreement(data, method="cohen_quadratic", labels=["no", "yes"], ci=None)
    assert weighted.loc[0, "level"] == "ordinal"
    assert weighted.loc[0, "stat"] == pytest.approx(0.4)  # 2 categories: weights change nothing


# --------------------------------------------------------------------------- codings
def _study() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Source A: 6 participant segments + 1 interviewer turn, coded by ana and ben.
    Source B: coded by ana only, so B is missing for ben (not 'absent')."""
    segments = pd.DataFrame(
        {
            "segment_id": ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "b1", "b2"],
            "source": ["A"] * 7 + ["B"] * 2,
            "role": ["interviewer"] + ["participant"] * 8,
            "text": ["Why?", "Too dear", "Costly", "Meh", "Slow-ish", "Fast", "Quick", "x", "y"],
        }
    )
    rows = [
        ("A", "a1", "price", "ana"),
        ("A", "a1", "price", "ana"),  # a second span in the same segment counts once
        ("A", "a2", "price", "ana"),
        ("A", "a3", "price", "ana"),
        ("A", "a5", "speed", "ana"),
        ("A", "a0", "price", "ben"),  # interviewer turn: not a unit
        ("A", "a1", "price", "ben"),
        ("A", "a2", "price", "ben"),
        ("A", "a4", "price", "ben"),
        ("A", "a5", "speed", "ben"),
        ("A", "a6", "speed", "ben"),
        ("B", "b1", "price", "ana"),
    ]
    codings = pd.DataFrame(rows, columns=["source", "segment_id", "code", "coder"])
    return codings, segments


def test_code_agreement_hand_computed():
    """Units a1..a6 (source B is missing for ben and a0 is an interviewer turn).

    price: ana 1,1,1,0,0,0; ben 1,1,0,1,0,0. p_o = 4/6, p_e = .5*.5 + .5*.5 = .5,
      kappa = (4/6 - .5)/.5 = 1/3; alpha: n = 12 values (6 ones, 6 zeros), 4 disagreeing
      ordered pairs, alpha = 1 - (n - 1) * 4 / (2 * 6 * 6) = 1 - 44/72 = 7/18.
    speed: ana 0,0,0,0,1,0; ben 0,0,0,0,1,1. p_o = 5/6, p_e = 1/6*2/6 + 5/6*4/6 = 22/36,
      kappa = (30 - 22)/(36 - 22) = 4/7; alpha = 1 - 11 * 2 / (2 * 3 * 9) = 16/27.
    overall (12 unit x code rows): p_o = 9/12; ana 4 ones, ben 5 ones, p_e = 76/144,
      kappa = (108 - 76)/(144 - 76) = 8/17; alpha = 1 - 23 * 6 / (2 * 9 * 15) = 22/45.
    """
    codings, segments = _study()
    result = va.code_agreement(codings, segments, n_boot=200)
    assert list(result.columns) == [
        "code",
        "n_units",
        "n_coders",
        "pct_agreement",
        "kappa",
        "alpha",
        "method",
        "ci_low",
        "ci_high",
    ]
    assert result["code"].tolist() == ["price", "speed", "(overall)"]
    assert result["n_units"].tolist() == [6, 6, 6]
    assert result["n_coders"].tolist() == [2, 2, 2]
    expected = {
        "pct_agreement": [4 / 6, 5 / 6, 9 / 12],
        "kappa": [1 / 3, 4 / 7, 8 / 17],
        "alpha": [7 / 18, 16 / 27, 22 / 45],
    }
    for column, values in expected.items():
        assert result[column].to_numpy() == pytest.approx(values), column
    assert (result["method"] == "krippendorff").all()
    assert (result["ci_low"] <= result["alpha"]).all()
    assert (result["alpha"] <= result["ci_high"]).all()


def test_code_agreement_overall_alpha_is_alpha_of_the_stacked_table():
    codings, segments = _study()
    stacked = pd.DataFrame(
        {
            "ana": [*[1, 1, 1, 0, 0, 0], *[0, 0, 0, 0, 1, 0]],  # price rows, then speed rows
            "ben": [*[1, 1, 0, 1, 0, 0], *[0, 0, 0, 0, 1, 1]],
        }
    )
    result = va.code_agreement(codings, segments, ci=None).set_index("code")
    assert result.loc["(overall)", "alpha"] == pytest.approx(va.krippendorff_alpha(stacked))
    assert result.loc["(overall)", "kappa"] == pytest.approx(
        va.cohen_kappa(stacked["ana"], stacked["ben"])
    )


def test_absence_is_zero_only_where_the_coder_coded_the_source():
    codings, segments = _study()
    # a participant segment nobody coded counts as agreement on "absent" for both coders
    more = pd.concat(
        [segments, pd.DataFrame({"segment_id": ["a7"], "source": ["A"], "role": ["participant"]})]
    )
    price = va.code_agreement(codings, more, code="price", ci=None).iloc[0]
    assert (price["n_units"], price["pct_agreement"]) == (7, pytest.approx(5 / 7))
    # once ben codes anything in source B (here "speed" on b2), B's units count for ben too
    touched = pd.concat(
        [codings, pd.DataFrame([("B", "b2", "speed", "ben")], columns=codings.columns)]
    )
    price = va.code_agreement(touched, segments, code="price", ci=None).iloc[0]
    assert price["n_units"] == 8  # a1..a6, b1, b2
    assert price["pct_agreement"] == pytest.approx(5 / 8)  # b1: ana 1, ben 0; b2: both 0


def test_code_agreement_three_coders_uses_alpha_and_missing_sources():
    codings, segments = _study()
    extra = pd.DataFrame(
        [("A", "a1", "price", "cy"), ("A", "a2", "price", "cy"), ("A", "a3", "price", "cy")],
        columns=codings.columns,
    )
    result = va.code_agreement(pd.concat([codings, extra]), segments, code="price", ci=None)
    units = pd.DataFrame(
        {
            "ana": [1, 1, 1, 0, 0, 0, 1, 0],
            "ben": [1, 1, 0, 1, 0, 0, None, None],
            "cy": [1, 1, 1, 0, 0, 0, None, None],
        }
    )
    row = result.iloc[0]
    assert np.isnan(row["kappa"])
    assert row["alpha"] == pytest.approx(va.krippendorff_alpha(units))
    assert row["pct_agreement"] == pytest.approx(va.percent_agreement(units))
    assert (row["n_units"], row["n_coders"]) == (6, 3)
    with pytest.raises(ValueError, match="exactly 2 coders"):
        va.code_agreement(pd.concat([codings, extra]), segments, method="cohen")


def test_code_agreement_listed_code_nobody_applied_is_undefined():
    codings, segments = _study()
    result = va.code_agreement(codings, segments, code=["price", "trust"], n_boot=50)
    trust = result.set_index("code").loc["trust"]
    assert trust["pct_agreement"] == 1.0
    assert trust[["alpha", "kappa", "ci_low", "ci_high"]].isna().all()


def test_code_agreement_cohen_interval_and_determinism():
    codings, segments = _study()
    first = va.code_agreement(codings, segments, method="cohen", n_boot=300, random_state=7)
    again = va.code_agreement(codings, segments, method="cohen", n_boot=300, random_state=7)
    pd.testing.assert_frame_equal(first, again)
    assert (first["method"] == "cohen").all()
    assert (first["ci_low"] <= first["kappa"]).all()
    assert (first["kappa"] <= first["ci_high"]).all()
    other = va.code_agreement(codings, segments, method="cohen", n_boot=300, random_state=8)
    assert not np.allclose(other["ci_low"], first["ci_low"])


def test_disagreements_lists_each_coders_decision_with_text():
    codings, segments = _study()
    result = va.disagreements(codings, segments)
    expected = pd.DataFrame(
        {
            "source": ["A", "A", "A"],
            "segment_id": ["a3", "a4", "a6"],
            "code": ["price", "price", "speed"],
            "ana": pd.array([True, False, False], dtype="boolean"),
            "ben": pd.array([False, True, True], dtype="boolean"),
            "text": ["Meh", "Slow-ish", "Quick"],
        }
    )
    pd.testing.assert_frame_equal(result, expected, check_dtype=False)
    assert result["ana"].dtype == "boolean"
    only_speed = va.disagreements(codings, segments.drop(columns="text"), code="speed")
    assert only_speed[["segment_id", "code"]].values.tolist() == [["a6", "speed"]]
    assert "text" not in only_speed.columns


def test_disagreements_marks_a_coder_who_never_saw_the_source_as_missing():
    codings, segments = _study()
    extra = pd.DataFrame([("B", "b1", "price", "cy")], columns=codings.columns)
    both = pd.concat(
        [codings, pd.DataFrame([("B", "b2", "speed", "ben")], columns=codings.columns)]
    )
    result = va.disagreements(pd.concat([both, extra]), segments, code="price")
    b1 = result.set_index("segment_id").loc["b1"]
    assert (b1["ana"], b1["ben"], b1["cy"]) == (True, False, True)
    a1_missing = result.set_index("segment_id").loc["a3"]
    assert a1_missing["cy"] is pd.NA


def test_codings_functions_are_pure_and_order_independent():
    codings, segments = _study()
    codings_before, segments_before = codings.copy(deep=True), segments.copy(deep=True)
    result = va.code_agreement(codings, segments, n_boot=100)
    listed = va.disagreements(codings, segments)
    pd.testing.assert_frame_equal(codings, codings_before)
    pd.testing.assert_frame_equal(segments, segments_before)
    shuffled = va.code_agreement(
        codings.sample(frac=1, random_state=3), segments.sample(frac=1, random_state=4), n_boot=100
    )
    pd.testing.assert_frame_equal(result, shuffled)
    pd.testing.assert_frame_equal(listed, va.disagreements(codings.iloc[::-1], segments.iloc[::-1]))


def test_table_functions_are_pure():
    data = KRIPPENDORFF_2011.copy(deep=True)
    va.krippendorff_alpha(data, level="ordinal")
    va.agreement(data, level="ratio", n_boot=50)
    va.percent_agreement(data)
    pd.testing.assert_frame_equal(data, KRIPPENDORFF_2011)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda c, s: (c.drop(columns="coder"), s), r"codings is missing column\(s\) \['coder'\]"),
        (lambda c, s: (c, s.drop(columns="role")), r"segments is missing column\(s\) \['role'\]"),
        (lambda c, s: (c.assign(segment_id=c["segment_id"].where(c.index > 0)), s), "segment_id"),
        (lambda c, s: (c.assign(segment_id="zz"), s), "not in segments"),
        (lambda c, s: (c, pd.concat([s, s.iloc[:1]])), "duplicate"),
        (lambda c, s: (c.assign(coder="ana"), s), "coder"),
        (lambda c, s: (c, s.assign(role="interviewer")), "participant"),
    ],
)
def test_codings_errors(mutate, match):
    codings, segments = mutate(*_study())
    with pytest.raises(ValueError, match=match):
        va.code_agreement(codings, segments)


def test_codings_must_be_dataframes():
    _, segments = _study()
    with pytest.raises(TypeError, match="codings must be a pandas DataFrame"):
        va.disagreements([("A", "a1", "price", "ana")], segments)
