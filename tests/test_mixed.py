"""Tests for voc.mixed: participant matching, quantitized codes, prevalence, mentioner NPS,
codes as drivers and the joint display.

Oracles are named in each test: hand calculations (worked in the docstring), scipy's
``fisher_exact``, statsmodels' ``proportion_confint`` / ``confint_proportions_2indep`` /
cluster-robust ``logit``, a brute-force enumeration of 2 x k tables, and the published values
of Newcombe (1998), Table II.
"""

from __future__ import annotations

import itertools
import json
import re
from math import comb
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, fisher_exact
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

import voc
import voc.io
import voc.mixed as vm
import voc.qual as vq
import voc.topics
from voc.drivers import relative_importance
from voc.survey import compare_nps, nps

EXAMPLE = Path(__file__).resolve().parent.parent / "studies" / "example"
LIKERT = [
    "search_ease",
    "candidate_quality",
    "integration",
    "support",
    "pricing_clarity",
    "compliance_help",
]
#: Adjustment for calls with a single code, where every method returns p unchanged. Holm (the
#: default) goes through statsmodels' ``multipletests``, which calls ``gc.collect()`` on every
#: call (0.1-0.5 s here); the tests of the adjustment itself use the default.
ADJ_ONE = "none"
#: Stand-in for a model that maps survey comments to the ``fragmented_systems`` code: the
#: wording of that theme in the example generator's comment bank (voc/datasets/_example_text.py).
FRAGMENTED = re.compile(
    r"sync|integrat|re-key|re-enter|copy-paste|retype|manually enter|talk to each other|"
    r"connector|connect|export|fragmented|two places|by hand|spreadsheet|tabs|logins|systems|tools",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _quantitized(
    counts: dict[str, dict[str, tuple[int, int]]],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """quantitized + participants from {code: {group: (present, n)}}; same people for every code."""
    groups = next(iter(counts.values()))
    people = []
    for group, (_, n) in groups.items():
        people += [(f"{group[:3]}{i:02d}", group) for i in range(n)]
    participants = pd.DataFrame(people, columns=["participant_id", "group"])
    rows = []
    for code, by_group in counts.items():
        for group, (present, n) in by_group.items():
            ids = [p for p, g in people if g == group]
            assert len(ids) == n
            rows += [(pid, code, i < present) for i, pid in enumerate(ids)]
    return pd.DataFrame(rows, columns=["participant_id", "code", "present"]), participants


def _per_code(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop_duplicates("code").set_index("code")


@pytest.fixture(scope="module")
def example() -> dict[str, pd.DataFrame]:
    """The example study's tables, read once through voc.io."""
    study = voc.load_study(EXAMPLE)
    responses = voc.io.read_responses(study)
    segments = voc.io.read_segments(study)
    codings = voc.io.read_codings(study)
    joined, _ = vm.match_participants(responses, segments)
    people = joined[joined["status"].eq("matched").to_numpy()].assign(
        nps_group=lambda f: vm.nps_group(f["nps"])
    )
    quantitized = vm.quantitize_codes(codings, segments)
    commented = responses.dropna(subset=["comment"])
    mentions = pd.DataFrame(
        {
            "participant_id": commented["participant_id"].to_numpy(),
            "code": "fragmented_systems",
            "present": commented["comment"].str.contains(FRAGMENTED).to_numpy(dtype=bool),
        }
    )
    return {
        "responses": responses,
        "segments": segments,
        "codings": codings,
        "people": people,
        "quantitized": quantitized,
        "prevalence": vm.code_prevalence(quantitized, people, by="nps_group"),
        "mentions": mentions,
    }


# --------------------------------------------------------------------------------------------
# match_participants
# --------------------------------------------------------------------------------------------


@pytest.fixture
def messy() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Survey ids R0012, R0013, R0100, R0200; interview ids ' r12', 'R13', 'interview-x', 'R0999'."""
    responses = pd.DataFrame(
        {"participant_id": ["R0012", "R0013", "R0100", "R0200"], "nps": [3, 9, 10, 6]}
    )
    segments = pd.DataFrame(
        {
            "participant_id": [" r12", " r12", "R13", "interview-x", "R0999"],
            "source": ["a", "a", "b", "c", "d"],
            "role": ["interviewer", "participant", "participant", "participant", "participant"],
        }
    )
    return responses, segments


def test_match_normalises_by_explicit_rules(messy):
    """strip + upper + zero_pad=4 turn ' r12' into R0012 and R13 into R0013; the mapping sends
    'interview-x' to R100, then padded to R0100. R0200 answered only the survey, R0999 was only
    interviewed: a full outer match keeps both (4 survey rows + 1 interview-only = 5 rows)."""
    responses, segments = messy
    joined, report = vm.match_participants(
        responses, segments, zero_pad=4, mapping={"interview-x": "R100"}
    )
    assert joined["participant_id"].tolist() == ["R0012", "R0013", "R0100", "R0200", "R0999"]
    assert joined["status"].tolist() == [
        "matched",
        "matched",
        "matched",
        "survey_only",
        "interview_only",
    ]
    first = joined.iloc[0]
    assert (first["survey_id"], first["interview_id"]) == ("R0012", " r12")
    assert (first["n_turns"], first["n_participant_turns"], first["n_sources"]) == (2, 1, 1)
    assert joined["nps"].tolist()[:4] == [3, 9, 10, 6]
    assert np.isnan(joined["nps"].iloc[4])
    assert report["status"].tolist() == ["matched", "survey_only", "interview_only"]
    assert report["n"].tolist() == [3, 1, 1]
    assert report["ids_masked"].tolist() == ["R***2, R***3, R***0", "R***0", "R***9"]


@pytest.mark.parametrize(
    ("options", "matched"),
    [
        ({}, 0),  # R13 != R0013 without padding; ' r12' -> 'R12' != 'R0012'
        ({"zero_pad": 4}, 2),  # R0012, R0013
        ({"zero_pad": 4, "case": None}, 1),  # ' r12' -> 'r0012' stays lower case
        ({"zero_pad": 4, "strip": False}, 1),  # ' R0012' keeps its space
        ({"zero_pad": 4, "mapping": {"interview-x": "r0100 "}}, 3),  # the target is normalised
    ],
)
def test_match_each_rule(messy, options, matched):
    responses, segments = messy
    joined, report = vm.match_participants(responses, segments, **options)
    assert report.set_index("status").loc["matched", "n"] == matched
    assert report["n"].sum() == len(joined)
    assert len(joined) == len(responses) + report.set_index("status").loc["interview_only", "n"]


def test_match_report_never_reveals_an_id():
    """Masked ids are first char + *** + last char; ids of 1-2 characters are fully masked;
    long lists are cut after 20 ids."""
    ids = [f"C{i:05d}" for i in range(30)] + ["Q7"]
    responses = pd.DataFrame({"participant_id": ids})
    segments = pd.DataFrame({"participant_id": ["C00001", "Q7", "Z9"]})
    _, report = vm.match_participants(responses, segments)
    text = " ".join(report["ids_masked"])
    for pid in [*ids, "Z9"]:
        assert pid not in text
    assert report.set_index("status").loc["matched", "ids_masked"] == "C***1, ***"
    assert report.set_index("status").loc["survey_only", "ids_masked"].endswith("(+9 more)")
    assert vm.mask_id("R0017") == "R***7"
    assert vm.mask_id("ab") == "***"


def test_match_duplicates_after_normalisation_raise():
    responses = pd.DataFrame({"participant_id": ["R12", "r0012", "R0013"]})
    segments = pd.DataFrame({"participant_id": ["R0013"]})
    with pytest.raises(ValueError, match=r"'R0012' from \['R12', 'r0012'\]"):
        vm.match_participants(responses, segments, zero_pad=4)
    # exact duplicates in the survey are an error even without normalisation
    with pytest.raises(ValueError, match="responses column 'participant_id'"):
        vm.match_participants(
            pd.DataFrame({"participant_id": ["A1", "A1"]}), segments, case=None, strip=False
        )


def test_match_interview_ids_that_collide_need_an_explicit_mapping():
    """Two transcripts as 'P7' and 'p7 ' merge only when the analyst says so."""
    responses = pd.DataFrame({"participant_id": ["P7"]})
    segments = pd.DataFrame({"participant_id": ["P7", "p7 "], "source": ["a", "b"]})
    with pytest.raises(ValueError, match=r"segments column 'participant_id'.*'P7' from"):
        vm.match_participants(responses, segments)
    joined, report = vm.match_participants(responses, segments, mapping={"p7 ": "P7"})
    assert joined["n_sources"].tolist() == [2]
    assert report["n"].tolist() == [1, 0, 0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"case": "title"}, r"case must be one of \['upper', 'lower', None\]"),
        ({"zero_pad": 0}, "zero_pad must be a positive integer"),
        ({"mapping": {"nobody": "R0012"}}, r"mapping key\(s\) \['nobody'\]"),
    ],
)
def test_match_bad_options(messy, options, message):
    responses, segments = messy
    with pytest.raises(ValueError, match=message):
        vm.match_participants(responses, segments, **options)


def test_match_bad_frames(messy):
    responses, segments = messy
    with pytest.raises(ValueError, match="segments has no 'participant_id'"):
        vm.match_participants(responses, segments.rename(columns={"participant_id": "pid"}))
    with pytest.raises(ValueError, match="responses column 'participant_id' has 1 missing"):
        vm.match_participants(responses.assign(participant_id=["R1", None, "R3", "R4"]), segments)
    with pytest.raises(ValueError, match=r"\['status'\] clash"):
        vm.match_participants(responses.assign(status=1), segments)


def test_interviewees_still_works_on_the_example(example):
    people = vm.interviewees(example["responses"], example["segments"], score="nps")
    assert list(people.columns) == ["participant_id", "n_turns", "in_survey", "nps", "nps_group"]
    assert len(people) == 24 and people["in_survey"].all()
    assert people["nps_group"].value_counts().to_dict() == {
        "detractor": 9,
        "passive": 7,
        "promoter": 8,
    }
    first = people.iloc[0]
    assert (first["participant_id"], first["n_turns"], first["nps"]) == ("R0028", 30, 9.0)


# --------------------------------------------------------------------------------------------
# quantitize_codes, wide_codes
# --------------------------------------------------------------------------------------------


@pytest.fixture
def coded() -> tuple[pd.DataFrame, pd.DataFrame]:
    """p1 says 'sync' twice (once coded by both coders), p2 once; a 'price' coding on an
    interviewer turn must not count; p3 has no coded turn and gets zeros."""
    segments = pd.DataFrame(
        {
            "segment_id": ["a1", "a2", "a3", "b1", "b2", "c1"],
            "source": ["a", "a", "a", "b", "b", "c"],
            "participant_id": ["p1", "p1", "p1", "p2", "p2", "p3"],
            "role": ["participant", "participant", "interviewer", "participant"] * 1
            + ["interviewer", "participant"],
        }
    )
    codings = pd.DataFrame(
        {
            "source": ["a", "a", "a", "a", "b", "b"],
            "segment_id": ["a1", "a1", "a2", "a3", "b1", "b1"],
            "code": ["sync", "sync", "sync", "price", "sync", "price"],
            "coder": ["ana", "ben", "ana", "ana", "ana", "ben"],
        }
    )
    return codings, segments


def test_quantitize_counts_participant_turns_with_zeros(coded):
    codings, segments = coded
    table = vm.quantitize_codes(codings, segments)
    expected = pd.DataFrame(
        {
            "participant_id": ["p1", "p1", "p2", "p2", "p3", "p3"],
            "code": ["price", "sync"] * 3,
            "present": [False, True, True, True, False, False],
            "n_segments": np.array([0, 2, 1, 1, 0, 0], dtype=np.int64),
        }
    )
    pd.testing.assert_frame_equal(table, expected)


def test_quantitize_coder_rule_and_codes(coded):
    """consensus: a code counts where every coder of the interview applied it. Interview a was
    coded by ana and ben: only a1 has both on 'sync'. Interview b: ana put 'sync', ben 'price'
    on b1, so neither is consensus."""
    codings, segments = coded
    table = vm.quantitize_codes(codings, segments, coder="consensus", codes=["sync"])
    assert table["n_segments"].tolist() == [1, 0, 0]
    ana = vm.quantitize_codes(codings, segments, coder="ana", codes=["sync", "price"])
    assert ana["code"].tolist() == ["sync", "price"] * 3
    assert ana["n_segments"].tolist() == [2, 0, 1, 0, 0, 0]
    with pytest.raises(ValueError, match=r"code\(s\) \['speed'\] do not occur"):
        vm.quantitize_codes(codings, segments, codes=["speed"])
    with pytest.raises(ValueError, match="coder='eve'"):
        vm.quantitize_codes(codings, segments, coder="eve")
    with pytest.raises(ValueError, match=r"unit must be one of \['participant', 'source'\]"):
        vm.quantitize_codes(codings, segments, unit="segment")


def test_quantitize_per_source(coded):
    codings, segments = coded
    table = vm.quantitize_codes(codings, segments, unit="source")
    assert list(table.columns) == ["participant_id", "source", "code", "present", "n_segments"]
    assert table["source"].tolist() == ["a", "a", "b", "b", "c", "c"]


def test_wide_codes(coded):
    codings, segments = coded
    wide = vm.wide_codes(vm.quantitize_codes(codings, segments))
    expected = pd.DataFrame(
        {"participant_id": ["p1", "p2", "p3"], "price": [0, 1, 0], "sync": [1, 1, 0]}
    ).astype({"price": np.int64, "sync": np.int64})
    pd.testing.assert_frame_equal(wide, expected)
    per_source = vm.quantitize_codes(codings, segments, unit="source")
    with pytest.raises(ValueError, match="several rows for one participant_id and code"):
        vm.wide_codes(pd.concat([per_source, per_source]))


# --------------------------------------------------------------------------------------------
# code_prevalence
# --------------------------------------------------------------------------------------------


def test_prevalence_fisher_2x2_and_wilson():
    """'sync': detractors 8/9, promoters 4/8. Fisher's exact test of [[8, 1], [4, 4]] against
    scipy (two-sided p = 0.1312); Wilson intervals against statsmodels; Newcombe's interval of
    8/9 - 4/8 = 38.9 points against statsmodels (method 'newcomb')."""
    quantitized, participants = _quantitized({"sync": {"detractor": (8, 9), "promoter": (4, 8)}})
    table = vm.code_prevalence(quantitized, participants, by="group", adjust=ADJ_ONE)
    assert table["group"].tolist() == ["detractor", "promoter"]
    assert table["n_group"].tolist() == [9, 8]
    assert table["n_present"].tolist() == [8, 4]
    row = table.iloc[0]
    assert row["test"] == "fisher"
    assert row["p_val"] == pytest.approx(fisher_exact([[8, 1], [4, 4]]).pvalue, rel=1e-12)
    assert row["p_val"] == pytest.approx(0.1312, abs=1e-4)
    for i, (x, n) in enumerate([(8, 9), (4, 8)]):
        low, high = proportion_confint(x, n, alpha=0.05, method="wilson")
        assert table["ci_low"].iloc[i] == pytest.approx(100 * low)
        assert table["ci_high"].iloc[i] == pytest.approx(100 * high)
    low, high = confint_proportions_2indep(8, 9, 4, 8, method="newcomb")
    assert row["effect_size"] == pytest.approx(100 * (8 / 9 - 4 / 8))
    assert (row["effect_ci_low"], row["effect_ci_high"]) == pytest.approx((100 * low, 100 * high))
    assert (row["group_a"], row["group_b"], row["small_n"]) == ("detractor", "promoter", True)


@pytest.mark.parametrize(
    ("counts", "published"),
    [
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((6, 7, 2, 7), (0.0582, 0.8062)),
        ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ],
)
def test_prevalence_newcombe_matches_newcombe_1998(counts, published):
    """Newcombe (1998), Table II, method 10 (hybrid score), examples (a), (b), (c), (e)."""
    x1, n1, x2, n2 = counts
    quantitized, participants = _quantitized({"c": {"a": (x1, n1), "b": (x2, n2)}})
    row = vm.code_prevalence(quantitized, participants, by="group", adjust=ADJ_ONE).iloc[0]
    assert row["effect_ci_low"] / 100 == pytest.approx(published[0], abs=5e-5)
    assert row["effect_ci_high"] / 100 == pytest.approx(published[1], abs=5e-5)


def _brute_force_ffh(present: list[int], sizes: list[int]) -> float:
    """Freeman-Halton p by enumerating every 2 x k table (itertools), independent of voc."""
    m, total = sum(present), comb(sum(sizes), sum(present))
    probs = [
        np.prod([comb(n, x) for x, n in zip(xs, sizes, strict=True)]) / total
        for xs in itertools.product(*[range(n + 1) for n in sizes])
        if sum(xs) == m
    ]
    observed = np.prod([comb(n, x) for x, n in zip(present, sizes, strict=True)]) / total
    return float(sum(p for p in probs if p <= observed * (1 + 1e-7)))


def test_prevalence_exact_2xk():
    """Three groups of 2, present (2, 0, 0): the 2 x 3 tables with 2 present are (2,0,0),
    (0,2,0), (0,0,2), each C(2,2)/C(6,2) = 1/15, and (1,1,0), (1,0,1), (0,1,1), each 4/15. The
    observed table has probability 1/15, so p = 3/15 = 0.2. The example study's
    fragmented_systems table (8/9, 6/7, 4/8) against a brute-force enumeration."""
    qa, pa = _quantitized({"a": {"g1": (2, 2), "g2": (0, 2), "g3": (0, 2)}})
    a = _per_code(vm.code_prevalence(qa, pa, by="group", adjust=ADJ_ONE)).loc["a"]
    assert a["test"] == "fisher_freeman_halton"
    assert a["p_val"] == pytest.approx(0.2, rel=1e-12)
    qb, pb = _quantitized({"b": {"g1": (8, 9), "g2": (6, 7), "g3": (4, 8)}})
    b = _per_code(vm.code_prevalence(qb, pb, by="group", adjust=ADJ_ONE)).loc["b"]
    assert b["p_val"] == pytest.approx(_brute_force_ffh([8, 6, 4], [9, 7, 8]), rel=1e-9)
    assert (b["group_a"], b["group_b"]) == ("g1", "g3")


def test_prevalence_adjusts_over_codes_and_flags():
    """Holm over the three tested codes (statsmodels multipletests); 'all' is present for
    everyone and is not tested; p_adj is NaN there."""
    quantitized, participants = _quantitized(
        {
            "x": {"a": (9, 10), "b": (1, 10)},
            "y": {"a": (6, 10), "b": (4, 10)},
            "z": {"a": (5, 10), "b": (5, 10)},
            "all": {"a": (10, 10), "b": (10, 10)},
        }
    )
    tests = _per_code(vm.code_prevalence(quantitized, participants, by="group"))
    assert tests.index.tolist() == ["x", "y", "z", "all"]
    expected = multipletests(tests["p_val"].iloc[:3], method="holm")[1]
    np.testing.assert_allclose(tests["p_adj"].iloc[:3], expected)
    assert tests.loc["all", "test"] == "none" and np.isnan(tests.loc["all", "p_adj"])
    assert "every participant" in tests.loc["all", "note"]
    assert not tests["small_n"].any()  # groups of exactly 10
    bonferroni = _per_code(
        vm.code_prevalence(quantitized, participants, by="group", adjust="bonferroni")
    )
    np.testing.assert_allclose(
        bonferroni["p_adj"].iloc[:3], np.minimum(3 * tests["p_val"].iloc[:3], 1)
    )


def test_prevalence_group_order_missing_groups_and_errors():
    """A categorical group column keeps its category order (promoter first here, so the effect
    is promoter - detractor); a participant with no group is left out and counted."""
    quantitized, participants = _quantitized({"c": {"detractor": (3, 4), "promoter": (1, 4)}})
    order = pd.CategoricalDtype(["promoter", "detractor"], ordered=True)
    extra = pd.DataFrame({"participant_id": ["zzz"], "group": [None]})
    participants = pd.concat([participants, extra], ignore_index=True).astype({"group": order})
    quantitized = pd.concat(
        [quantitized, pd.DataFrame({"participant_id": ["zzz"], "code": ["c"], "present": [True]})],
        ignore_index=True,
    )
    table = vm.code_prevalence(quantitized, participants, by="group", adjust=ADJ_ONE)
    assert table["group"].tolist() == ["promoter", "detractor"]
    assert table["group"].dtype == order
    assert table["effect_size"].iloc[0] == pytest.approx(25 - 75)
    assert table["n_excluded"].tolist() == [1, 1]
    with pytest.raises(ValueError, match=r"not in participants, e.g. \['zzz'\]"):
        vm.code_prevalence(quantitized, participants.iloc[:-1], by="group")
    with pytest.raises(ValueError, match="participants has no column 'segment'"):
        vm.code_prevalence(quantitized, participants, by="segment")
    with pytest.raises(ValueError, match="'present' must hold True/False"):
        vm.code_prevalence(quantitized.assign(present=1), participants, by="group")
    with pytest.raises(ValueError, match="pass cluster='participant_id'"):
        vm.code_prevalence(pd.concat([quantitized, quantitized]), participants, by="group")
    with pytest.raises(ValueError, match=r"adjust must be one of \['holm'"):
        vm.code_prevalence(quantitized, participants, by="group", adjust="sidak")


def test_prevalence_large_groups_fall_back_to_chi_square():
    """Three groups of 200: 201**3 tables are too many to enumerate; Pearson's chi-square
    without continuity correction (scipy chi2_contingency) takes over, with a note."""
    counts = {"a": (120, 200), "b": (100, 200), "c": (80, 200)}
    quantitized, participants = _quantitized({"c": counts})
    row = vm.code_prevalence(quantitized, participants, by="group", adjust=ADJ_ONE).iloc[0]
    table = [[x for x, _ in counts.values()], [n - x for x, n in counts.values()]]
    assert row["test"] == "chi2"
    assert row["p_val"] == pytest.approx(chi2_contingency(table, correction=False).pvalue)
    assert row["note"].startswith("chi-square")


def test_prevalence_cluster_robust_logit():
    """Participants with several interviews: the test is a logit with cluster-robust SEs by
    participant. Oracle: statsmodels smf.logit(...).fit(cov_type='cluster') directly; with two
    groups the Wald chi-square on one term equals the square of its z, so the p-values match.
    The effect is the difference of the unit-level shares (saturated model)."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(7)
    rows = []
    for i in range(30):
        group = "detractor" if i < 15 else "promoter"
        share = 0.7 if group == "detractor" else 0.35
        for s in range(1 + i % 3):
            rows.append((f"p{i:02d}", f"p{i:02d}-{s}", "sync", bool(rng.random() < share)))
    quantitized = pd.DataFrame(rows, columns=["participant_id", "source", "code", "present"])
    participants = pd.DataFrame(
        {
            "participant_id": [f"p{i:02d}" for i in range(30)],
            "nps_group": ["detractor"] * 15 + ["promoter"] * 15,
        }
    )
    table = vm.code_prevalence(
        quantitized, participants, by="nps_group", cluster="participant_id", adjust=ADJ_ONE
    )
    row = table.iloc[0]
    data = quantitized.merge(participants).assign(y=lambda f: f["present"].astype(int))
    oracle = smf.logit("y ~ C(nps_group)", data).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(data["participant_id"])[0]}
    )
    assert row["test"] == "logit_cluster"
    assert row["p_val"] == pytest.approx(oracle.pvalues.iloc[1], rel=1e-6)
    shares = table["n_present"] / table["n_group"]
    assert row["effect_size"] == pytest.approx(100 * (shares.iloc[0] - shares.iloc[1]))
    assert row["effect_ci_low"] < row["effect_size"] < row["effect_ci_high"]
    assert table["n_group"].sum() == len(quantitized)


# --------------------------------------------------------------------------------------------
# mentioner_nps
# --------------------------------------------------------------------------------------------


def test_mentioner_nps_by_hand():
    """Mentioners score 2, 5, 9: 1 promoter, 2 detractors of 3, NPS = 100 (1 - 2)/3 = -33.3.
    Others score 10, 9, 8: 2 promoters, 0 detractors, NPS = 66.7. diff = -100.
    Wald variances: mentioners p_P + p_D - (p_P - p_D)^2 = 1 - 1/9 = 8/9, over 3 = 0.2963;
    others 2/3 - 4/9 = 2/9, over 3 = 0.0741; se = 100 sqrt(0.3704) = 60.86, z = -1.643,
    two-sided p = 0.1004. Respondent 'g' gave no comment (not in mentions): counted nowhere."""
    responses = pd.DataFrame({"participant_id": list("abcdefg"), "ltr": [2, 5, 9, 10, 9, 8, 0]})
    mentions = pd.DataFrame(
        {
            "participant_id": list("abcdef"),
            "code": "sync",
            "present": [True, True, True, False, False, False],
        }
    )
    row = vm.mentioner_nps(responses, mentions, column="ltr", adjust=ADJ_ONE).iloc[0]
    assert (row["n_mention"], row["n_other"]) == (3, 3)
    assert row["nps_mention"] == pytest.approx(-100 / 3)
    assert row["nps_other"] == pytest.approx(200 / 3)
    assert row["diff"] == pytest.approx(-100)
    assert row["se"] == pytest.approx(100 * np.sqrt(8 / 27 + 2 / 27))
    assert row["z"] == pytest.approx(-1.643, abs=1e-3)
    assert row["p_val"] == pytest.approx(0.1004, abs=1e-4)
    # the same numbers as voc.survey.nps / compare_nps on the two groups
    data = responses.iloc[:6].assign(side=["m", "m", "m", "o", "o", "o"])
    est = nps(data, "ltr", by="side")
    assert row["ci_low_mention"] == pytest.approx(est["ci_low"].iloc[0])
    assert row["ci_high_other"] == pytest.approx(est["ci_high"].iloc[1])
    pair = compare_nps(data, "ltr", by="side").iloc[0]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((pair["ci_low"], pair["ci_high"]))


def test_mentioner_nps_several_codes_empty_side_and_errors():
    responses = pd.DataFrame({"participant_id": list("abcd"), "ltr": [0, 10, 7, 3]})
    mentions = pd.DataFrame(
        {
            "participant_id": list("abcdabcd"),
            "code": ["x"] * 4 + ["y"] * 4,
            "present": [True, False, False, True] + [True] * 4,
        }
    )
    table = vm.mentioner_nps(responses, mentions, column="ltr", adjust="none")
    assert table["code"].tolist() == ["x", "y"]
    assert table["n_other"].tolist() == [2, 0]
    assert np.isnan(table["diff"].iloc[1]) and np.isnan(table["nps_other"].iloc[1])
    assert table["p_adj"].iloc[0] == table["p_val"].iloc[0]
    with pytest.raises(ValueError, match=r"not in responses, e.g. \['z'\]"):
        vm.mentioner_nps(
            responses,
            pd.DataFrame({"participant_id": ["z"], "code": ["x"], "present": [True]}),
            column="ltr",
        )
    with pytest.raises(ValueError, match="several rows"):
        vm.mentioner_nps(responses, pd.concat([mentions, mentions]), column="ltr")
    with pytest.raises(ValueError, match="NPS column 'nps' is not in responses"):
        vm.mentioner_nps(responses, mentions, column="nps")
    with pytest.raises(ValueError, match=r"mentions lacks column\(s\) \['theme'\]"):
        vm.mentioner_nps(responses, mentions, column="ltr", code_col="theme")


# --------------------------------------------------------------------------------------------
# codes_as_drivers
# --------------------------------------------------------------------------------------------


def _driver_data(n: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """n respondents, all interviewed: two survey items a, b and an outcome y; five codes with
    known balance: bal 30/60, mid 20/60, low 10/60, rare 3/60, all 60/60 (constant)."""
    rng = np.random.default_rng(7)
    ids = [f"p{i:02d}" for i in range(n)]
    a, b = rng.integers(1, 6, n), rng.integers(1, 6, n)
    present = {"low": 10, "bal": 30, "rare": 3, "mid": 20, "all": n}
    codes = {c: rng.permutation(np.arange(n) < k) for c, k in present.items()}
    y = a + b + 2.0 * codes["bal"] - 1.5 * codes["mid"] + rng.normal(0, 1, n)
    responses = pd.DataFrame({"participant_id": ids, "a": a, "b": b, "y": y})
    quantitized = pd.DataFrame(
        [(pid, c, bool(v[i])) for c, v in codes.items() for i, pid in enumerate(ids)],
        columns=["participant_id", "code", "present"],
    )
    return responses, quantitized


def test_codes_as_drivers_fills_the_predictor_budget_with_the_most_balanced_codes():
    """n = 60 at 15 rows per predictor: 4 predictors, the two items and the two most balanced
    codes (bal 30/60, mid 20/60); low and rare do not fit, all is constant. The estimates are
    relative_importance's on the same four predictors."""
    responses, quantitized = _driver_data()
    table = vm.codes_as_drivers(
        responses, quantitized, outcome="y", drivers=["a", "b"], rows_per_predictor=15, n_boot=50
    )
    rows = table.set_index("driver")
    assert rows["included"].to_dict() == {
        **dict.fromkeys(["a", "b", "bal", "mid"], True),
        **dict.fromkeys(["low", "rare", "all"], False),
    }
    assert table["driver"].tolist()[4:] == ["low", "rare", "all"]  # left out, most balanced first
    assert rows.loc[["bal", "mid", "low", "rare", "all"], "n_present"].tolist() == [
        30,
        20,
        10,
        3,
        60,
    ]
    assert rows.loc["a", "kind"] == "survey" and rows.loc["bal", "kind"] == "code"
    assert set(table["n"]) == {60} and set(table["n_predictors"]) == {4}
    assert set(table["n_needed"]) == {60}
    assert rows.loc["low", "note"] == (
        "not in the model: n = 60 allows 4 predictors (15 rows each) and more balanced codes "
        "took the 2 places left"
    )
    assert rows.loc["all", "note"] == "not in the model: present for all n = 60 interviewees"
    data = responses.merge(vm.wide_codes(quantitized), on="participant_id")
    oracle = relative_importance(data, "y", ["a", "b", "bal", "mid"], n_boot=50)
    fitted = table[table["included"]].reset_index(drop=True)
    for col in ("driver", "raw_weight", "rescaled", "ci_low", "ci_high", "r2"):
        np.testing.assert_array_equal(fitted[col].to_numpy(), oracle[col].to_numpy(), err_msg=col)
    assert fitted["rank"].tolist() == oracle["rank"].tolist()
    assert table.loc[~table["included"], "rescaled"].isna().all()


def test_codes_as_drivers_on_the_example_says_n_is_too_small(example):
    """24 interviewees and the six Likert items: a model with one code needs 7 x 10 = 70
    complete rows, so nothing is fitted and every row says so, with n."""
    table = vm.codes_as_drivers(
        example["responses"], example["quantitized"], outcome="nps", drivers=LIKERT, n_boot=0
    )
    assert not table["included"].any() and table["rescaled"].isna().all()
    assert set(table["n"]) == {24} and set(table["n_interviewed"]) == {24}
    assert set(table["n_predictors"]) == {7} and set(table["n_needed"]) == {70}
    note = (
        "not fitted: n = 24 interviewees with complete answers, and 6 survey driver(s) and at "
        "least 1 code = 7 predictors need at least 70 (10 per predictor)"
    )
    rows = table.set_index(["driver", "kind"])
    assert rows.loc[("integration", "survey"), "note"] == note
    assert rows.loc[("fragmented_systems", "code"), "note"] == note
    # candidate_quality is both a Likert item and a code (present for all 24): told apart
    assert rows.loc[("candidate_quality", "code"), "note"] == (
        "not in the model: present for all n = 24 interviewees"
    )
    assert rows.loc[("candidate_quality", "code"), "n_present"] == 24


def test_codes_as_drivers_on_the_example_with_a_smaller_rule(example):
    """At 8 rows per predictor, 24 interviewees allow 3 predictors: integration and the two
    most balanced codes, the same as relative_importance on the hand-joined frame."""
    wide = vm.wide_codes(example["quantitized"])
    counts = wide.drop(columns="participant_id").sum()
    balance = np.minimum(counts, 24 - counts)
    varying = balance[balance > 0]
    expected = sorted(varying.index, key=lambda c: (-varying[c], list(wide.columns).index(c)))[:2]
    table = vm.codes_as_drivers(
        example["responses"],
        example["quantitized"],
        outcome="nps",
        drivers=["integration"],
        rows_per_predictor=8,
        n_boot=50,
    )
    fitted = table[table["included"]].reset_index(drop=True)
    assert sorted(fitted["driver"]) == sorted(["integration", *expected])
    data = wide.merge(example["responses"], on="participant_id")
    oracle = relative_importance(data, "nps", ["integration", *expected], n_boot=50)
    np.testing.assert_array_equal(fitted["rescaled"].to_numpy(), oracle["rescaled"].to_numpy())
    assert set(table["n_needed"]) == {24} and set(table["n"]) == {24}


def test_codes_as_drivers_errors(example):
    with pytest.raises(ValueError, match=r"code\(s\) \['speed'\] are not in quantitized"):
        vm.codes_as_drivers(
            example["responses"],
            example["quantitized"],
            outcome="nps",
            drivers=["support"],
            codes=["speed"],
        )
    with pytest.raises(ValueError, match="rows_per_predictor must be a positive integer"):
        vm.codes_as_drivers(
            example["responses"],
            example["quantitized"],
            outcome="nps",
            drivers=["support"],
            rows_per_predictor=0,
        )
    with pytest.raises(ValueError, match=r"1 interviewee\(s\) are not in responses"):
        vm.codes_as_drivers(
            example["responses"][example["responses"]["participant_id"].ne("R0028")],
            example["quantitized"],
            outcome="nps",
            drivers=["support"],
        )


# --------------------------------------------------------------------------------------------
# joint_display
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def display_inputs() -> dict[str, pd.DataFrame]:
    """Four codes, 5 detractors and 5 promoters (small n):
    worse: detractors 5/5, promoters 1/5 (+80 pp); mentioners' NPS significantly lower.
    flip:  the same interview pattern; mentioners' NPS significantly *higher*.
    survey_only: 2/5 vs 2/5 (no gap); mentioners' NPS significantly lower.
    quiet: 2/5 vs 2/5; survey difference not significant."""
    groups = pd.CategoricalDtype(["detractor", "passive", "promoter"], ordered=True)
    quantitized, participants = _quantitized(
        {
            "worse": {"detractor": (5, 5), "promoter": (1, 5)},
            "flip": {"detractor": (5, 5), "promoter": (1, 5)},
            "survey_only": {"detractor": (2, 5), "promoter": (2, 5)},
            "quiet": {"detractor": (2, 5), "promoter": (2, 5)},
        }
    )
    participants = participants.rename(columns={"group": "nps_group"}).astype({"nps_group": groups})
    prevalence = vm.code_prevalence(quantitized, participants, by="nps_group")
    frequencies = pd.DataFrame(
        {"code": ["worse", "flip", "survey_only", "quiet"], "pct_participants": [60, 60, 40, 40]}
    )
    mentioner = pd.DataFrame(
        {
            "code": ["worse", "flip", "survey_only", "quiet"],
            "n_mention": [100, 50, 200, 10],
            "n_other": [300, 350, 200, 390],
            "nps_mention": [-20.0, 40.0, -10.0, 10.0],
            "nps_other": [20.0, 5.0, 15.0, 12.0],
            "diff": [-40.0, 35.0, -25.0, -2.0],
            "ci_low": [-52.0, 20.0, -38.0, -30.0],
            "ci_high": [-28.0, 50.0, -12.0, 26.0],
            "p_adj": [0.0001, 0.001, 0.002, 0.9],
        }
    )
    drivers = pd.DataFrame({"driver": ["integration", "support"], "rescaled": [60.0, 40.0]})
    quotes = pd.DataFrame(
        {
            "code": ["worse", "worse", "worse", "flip"],
            "participant_id": ["d1", "d2", "d3", "p1"],
            "segment_id": ["s1", "s2", "s3", "s9"],
            "text": ["It never syncs.", "We copy by hand.", "Third quote.", "Fine."],
        }
    )
    return {
        "frequencies": frequencies,
        "prevalence": prevalence,
        "mentioner": mentioner,
        "drivers": drivers,
        "quotes": quotes,
    }


def test_joint_display_applies_the_stated_rule(display_inputs):
    inputs = display_inputs
    display = vm.joint_display(
        inputs["frequencies"],
        inputs["prevalence"],
        inputs["mentioner"],
        inputs["drivers"],
        inputs["quotes"],
        code_to_driver={"worse": "integration"},
    )
    rows = display.set_index("code")
    assert rows["inference"].to_dict() == {
        "worse": "convergent",
        "flip": "divergent",
        "survey_only": "expansion",
        "quiet": "inconclusive",
    }
    assert rows.loc["worse", "interview_evidence"] == "descriptive"  # small n, +80 pp
    assert rows.loc["survey_only", "interview_evidence"] == "none"
    assert rows.loc["quiet", "survey_evidence"] == "none"
    assert rows.loc["worse", "interview_pct_by_group"] == "detractor 100% · promoter 20%"
    assert rows.loc["worse", "survey_pct"] == pytest.approx(25.0)  # 100 / (100 + 300)
    assert rows.loc["worse", "nps_diff_ci"] == "[-52.0, -28.0]"
    assert (rows.loc["worse", "driver"], rows.loc["worse", "driver_importance"]) == (
        "integration",
        60.0,
    )
    assert rows.loc["worse", "quote_2"] == "We copy by hand."
    assert rows.loc["worse", "quote_2_source"] == "d2, s2"
    assert pd.isna(rows.loc["flip", "quote_2"])
    assert pd.isna(rows.loc["quiet", "driver"])
    assert "+80 pp" in rows.loc["worse", "inference_basis"]
    assert "convergent" in vm.INFERENCE_RULE and "20 percentage points" in vm.INFERENCE_RULE


def test_joint_display_matches_codes_among_the_code_rows_of_codes_as_drivers(display_inputs):
    """A codes_as_drivers table may list an item and a code under one name (kind tells them
    apart): the code takes the code row's weight, a mapped code the item's."""
    inputs = display_inputs
    drivers = pd.DataFrame(
        {
            "driver": ["integration", "quiet", "quiet"],
            "kind": ["survey", "survey", "code"],
            "rescaled": [60.0, 25.0, 15.0],
        }
    )
    display = vm.joint_display(
        inputs["frequencies"],
        inputs["prevalence"],
        inputs["mentioner"],
        drivers,
        code_to_driver={"worse": "integration"},
    ).set_index("code")
    assert (display.loc["worse", "driver"], display.loc["worse", "driver_importance"]) == (
        "integration",
        60.0,
    )
    assert (display.loc["quiet", "driver"], display.loc["quiet", "driver_importance"]) == (
        "quiet",
        15.0,
    )
    assert pd.isna(display.loc["flip", "driver"]) and np.isnan(
        display.loc["flip", "driver_importance"]
    )


def test_joint_display_significant_interview_half_and_silent_survey(display_inputs):
    """Groups of 20: 20/20 vs 0/20 is significant (Fisher p ~ 1e-11), small_n is False; the
    survey has no row for the code, so only the interviews carry evidence: expansion. A 30 pp
    gap with groups of 20 that is not significant is no evidence (the descriptive rule is for
    small n only)."""
    quantitized, participants = _quantitized(
        {
            "big": {"detractor": (20, 20), "promoter": (0, 20)},
            "gap": {"detractor": (12, 20), "promoter": (6, 20)},
        }
    )
    participants = participants.rename(columns={"group": "nps_group"})
    prevalence = vm.code_prevalence(quantitized, participants, by="nps_group")
    frequencies = pd.DataFrame({"code": ["big", "gap"], "pct_participants": [50.0, 45.0]})
    mentioner = display_inputs["mentioner"].iloc[:0]
    display = vm.joint_display(frequencies, prevalence, mentioner).set_index("code")
    assert display.loc["big", "interview_evidence"] == "significant"
    assert display.loc["big", "survey_evidence"] == "not measured"
    assert display.loc["big", "inference"] == "expansion"
    assert display.loc["gap", "interview_evidence"] == "none"
    assert display.loc["gap", "inference"] == "inconclusive"


def test_joint_display_errors(display_inputs):
    inputs = display_inputs
    by_region = inputs["prevalence"].assign(group_a="EMEA", group_b="APAC")
    with pytest.raises(ValueError, match="prevalence must compare NPS groups"):
        vm.joint_display(inputs["frequencies"], by_region, inputs["mentioner"])
    with pytest.raises(ValueError, match=r"driver\(s\) \['pricing'\] that are not in drivers"):
        vm.joint_display(
            inputs["frequencies"],
            inputs["prevalence"],
            inputs["mentioner"],
            inputs["drivers"],
            code_to_driver={"worse": "pricing"},
        )
    with pytest.raises(ValueError, match="frequencies has code 'worse' more than once"):
        vm.joint_display(
            pd.concat([inputs["frequencies"]] * 2), inputs["prevalence"], inputs["mentioner"]
        )
    with pytest.raises(ValueError, match=r"mentioner lacks column\(s\) \['p_adj'\]"):
        vm.joint_display(
            inputs["frequencies"], inputs["prevalence"], inputs["mentioner"].drop(columns="p_adj")
        )
    with pytest.raises(ValueError, match="alpha must be a number strictly between 0 and 1"):
        vm.joint_display(inputs["frequencies"], inputs["prevalence"], inputs["mentioner"], alpha=5)


# --------------------------------------------------------------------------------------------
# The example study: planted cross-method truths
# --------------------------------------------------------------------------------------------


def test_example_fragmented_systems_in_the_interviews(example):
    """What holds in the interviews (24 people: 9 detractors, 7 passives, 8 promoters, any
    coder): fragmented_systems is raised by 8/9 detractors and 4/8 promoters, +38.9 points.
    It is *not* significant (Freeman-Halton p = 0.20) and *not* the largest gap: slow_support
    is larger (+51.4). It is the second-largest positive gap, and the planted truth is strong
    only in the 1500 survey comments (next test)."""
    tests = _per_code(example["prevalence"])
    fragmented = tests.loc["fragmented_systems"]
    assert fragmented["effect_size"] == pytest.approx(100 * (8 / 9 - 4 / 8))
    assert fragmented["p_val"] == pytest.approx(_brute_force_ffh([8, 6, 4], [9, 7, 8]))
    assert fragmented["p_val"] > 0.05 and fragmented["small_n"]
    positive = tests["effect_size"].sort_values(ascending=False)
    assert positive.index[:2].tolist() == ["slow_support", "fragmented_systems"]


def test_example_joint_display_fragmented_systems_is_convergent(example):
    """Survey comments mapped to fragmented_systems by keywords: mentioners' NPS is far lower
    (significant), the interviews show the same direction descriptively (small n, +39 pp):
    convergent, shown next to the integration driver."""
    responses = example["responses"]
    mentioner = vm.mentioner_nps(responses, example["mentions"], column="nps")
    survey_row = mentioner.iloc[0]
    assert survey_row["diff"] < -40 and survey_row["p_adj"] < 1e-10
    drivers = relative_importance(responses, "nps", LIKERT, n_boot=0)
    quotes = vq.exemplar_quotes(example["codings"], example["segments"], code="fragmented_systems")
    frequencies = vq.code_frequencies(example["codings"], example["segments"])
    display = vm.joint_display(
        frequencies,
        example["prevalence"],
        mentioner,
        drivers,
        quotes,
        code_to_driver={"fragmented_systems": "integration", "slow_support": "support"},
    ).set_index("code")
    row = display.loc["fragmented_systems"]
    assert row["inference"] == "convergent"
    assert (row["interview_evidence"], row["survey_evidence"]) == ("descriptive", "significant")
    assert row["driver"] == "integration"
    assert row["driver_importance"] == drivers.set_index("driver").loc["integration", "rescaled"]
    assert row["interview_pct_by_group"] == "detractor 89% · passive 86% · promoter 50%"
    assert row["interview_pct"] == pytest.approx(75.0)  # 18 of 24
    assert isinstance(row["quote_1"], str) and row["quote_1_source"].startswith("R")
    # integration is the top driver of NPS in the whole survey (planted truth 4)
    assert drivers["driver"].iloc[0] == "integration"


def _gaps(prevalence: pd.DataFrame) -> pd.Series:
    """Detractor minus promoter share (points) per code, from a code_prevalence table."""
    first = prevalence.drop_duplicates("code").set_index("code")
    sign = np.where(first["group_a"].eq("detractor"), 1.0, -1.0)
    return (first["effect_size"] * sign).sort_values(ascending=False)


@pytest.mark.slow
def test_example_notebook_finds_the_theme_that_separates_detractors(example_run):
    """The planted truth (studies/example/README.md, truths 4 and 6) as notebook 40 reports
    it: fragmented_systems separates detractors from promoters in the survey comments (model
    mapping, significant) and in the interviews (descriptive, 8/9 vs 4/8), the joint display
    calls it convergent and names integration, the survey's top driver, beside it, and the
    key findings carry it with a quote. In the model-mapped comments slow_support separates
    about as strongly (both near +17 points), so the theme is checked to be among the two
    largest gaps, not first."""
    tables = example_run.run_dir / "tables"
    calibration = pd.read_csv(tables / "codebook_calibration.csv").set_index("code")
    assert calibration.loc["fragmented_systems", "kappa"] >= 0.4
    assert calibration.loc["fragmented_systems", "is_reliable"]

    comments = pd.read_csv(tables / "comment_code_prevalence.csv")
    share = comments[comments["code"].eq("fragmented_systems")].set_index("nps_group")["pct"]
    assert share["detractor"] > 3 * share["promoter"]
    assert _per_code(comments).loc["fragmented_systems", "p_adj"] < 0.001
    assert "fragmented_systems" in _gaps(comments).index[:2]
    assert "fragmented_systems" in _gaps(pd.read_csv(tables / "code_prevalence.csv")).index[:2]

    display = pd.read_csv(tables / "joint_display.csv").set_index("code")
    row = display.loc["fragmented_systems"]
    assert (row["inference"], row["driver"]) == ("convergent", "integration")
    assert (row["interview_evidence"], row["survey_evidence"]) == ("descriptive", "significant")
    assert row["nps_diff"] < -30
    drivers = pd.read_csv(tables / "drivers.csv")
    assert drivers["driver"].iloc[0] == "integration"

    headlines = (example_run.run_dir / "headlines.json").read_text()
    themes = [h for h in json.loads(headlines) if h.get("group") == "themes"]
    theme = next(h for h in themes if "fragmented_systems" in h["label"])
    assert theme["label"] == "Detractors raise fragmented_systems more than promoters"
    assert theme["page"] == "40_mixed" and theme["anchor"] == "tbl-comment-code-prevalence"
    assert theme["base"].startswith("survey comments: ") and "p_adj < 0.001" in theme["test"]
    assert theme["quote_source"].startswith("interview R") and theme["quote"]
    assert "related driver integration" in theme["detail"]

    drivers_table = pd.read_csv(tables / "codes_as_drivers.csv")
    assert set(drivers_table["n"]) == {24} and not drivers_table["included"].any()


def test_agreed_presence_leaves_out_the_turns_the_coders_split_on():
    """Two coders on four turns: both (t1), one (t2), none (t3), the other code only (t4)."""
    segments = pd.DataFrame(
        {
            "segment_id": ["t1", "t2", "t3", "t4"],
            "source": "a",
            "participant_id": "p1",
            "role": "participant",
        }
    )
    codings = pd.DataFrame(
        {
            "source": "a",
            "segment_id": ["t1", "t1", "t2", "t4", "t4"],
            "code": ["sync", "sync", "sync", "price", "price"],
            "coder": ["ana", "ben", "ana", "ana", "ben"],
        }
    )
    agreed = voc.topics.agreed_presence(codings, segments, codes=["sync", "price"])
    assert agreed.index.tolist() == ["t1", "t2", "t3", "t4"]
    assert agreed["sync"].tolist()[:1] + agreed["sync"].tolist()[2:] == [1.0, 0.0, 0.0]
    assert np.isnan(agreed.loc["t2", "sync"])
    assert agreed["price"].tolist() == [0.0, 0.0, 0.0, 1.0]
    consensus = vq.segment_presence(codings, segments, codes=["sync", "price"])
    assert not consensus.loc["t2", "sync"]  # the consensus table calls the split turn absent
    one_coder = voc.topics.agreed_presence(codings[codings["coder"].eq("ana")], segments)
    assert not one_coder.isna().any().any()


@pytest.mark.slow
def test_the_mixed_notebook_alone_calibrates_as_the_topics_notebook_did(example_run, tmp_path):
    """`voc run --only mixed` has no topics table to reuse and calibrates itself, the same way:
    the survey half of the joint display is identical to the full run's, and each page says
    where its calibration came from."""
    import shutil

    from voc.run import run_study

    outputs = tmp_path / "outputs"
    shutil.copytree(example_run.run_dir.parent / "cache", outputs / "example" / "cache")
    study = Path(example_run.manifest["study"]["path"])
    alone = run_study(study, only=["mixed"], outputs=outputs, progress=None)
    assert [nb["status"] for nb in alone.manifest["notebooks"]] == ["succeeded"]
    for name in ("mentioner_nps", "comment_code_prevalence", "joint_display"):
        pd.testing.assert_frame_equal(
            pd.read_csv(alone.run_dir / "tables" / f"{name}.csv"),
            pd.read_csv(example_run.run_dir / "tables" / f"{name}.csv"),
            obj=name,
        )
    page = (alone.run_dir / "report" / "40_mixed.html").read_text()
    assert "calibrated here, as the topics notebook does" in page
    full = (example_run.run_dir / "report" / "40_mixed.html").read_text()
    assert "the topics notebook&#x27;s calibration (tables/codebook_calibration.csv)" in full


# --------------------------------------------------------------------------------------------
# Purity and determinism
# --------------------------------------------------------------------------------------------


def test_functions_do_not_mutate_and_are_deterministic(example, messy, coded, display_inputs):
    responses, segments = messy
    codings, coded_segments = coded
    inputs = display_inputs
    frames = [
        responses,
        segments,
        codings,
        coded_segments,
        *inputs.values(),
        example["quantitized"],
        example["people"],
        example["mentions"],
    ]
    before = [f.copy(deep=True) for f in frames]

    calls = [
        lambda: vm.match_participants(responses, segments, zero_pad=4)[0],
        lambda: vm.quantitize_codes(codings, coded_segments),
        lambda: vm.wide_codes(example["quantitized"]),
        lambda: vm.code_prevalence(example["quantitized"], example["people"], by="nps_group"),
        lambda: vm.mentioner_nps(example["responses"], example["mentions"], column="nps"),
        lambda: vm.joint_display(*inputs.values(), code_to_driver={"worse": "integration"}),
        lambda: vm.codes_as_drivers(
            example["responses"],
            example["quantitized"],
            outcome="nps",
            drivers=["support"],
            codes=["slow_support"],
            n_boot=30,
            random_state=3,
        ),
    ]
    for call in calls:
        pd.testing.assert_frame_equal(call(), call())
    for frame, copy in zip(frames, before, strict=True):
        pd.testing.assert_frame_equal(frame, copy)


def test_id_rules_from_study_yaml_match_differently_written_ids(example_study) -> None:
    """study.yaml's participant_ids rules (mapping CSV, case, zero padding) reach the join."""
    import voc as _voc

    (example_study / "ids.csv").write_text("interview_id,survey_id\nXYZ,R0028\n")
    text = (
        (example_study / "study.yaml")
        .read_text()
        .replace(
            "  codings: data/codings.csv\n",
            "  codings: data/codings.csv\n  participant_ids: {mapping: ids.csv, zero_pad: 4}\n",
        )
    )
    (example_study / "study.yaml").write_text(text)
    study = _voc.load_study(example_study)
    rules = _voc.io.id_rules(study)
    assert rules == {"case": "upper", "strip": True, "zero_pad": 4, "mapping": {"XYZ": "R0028"}}
    assert example_study / "ids.csv" in study.input_files()
    segments = _voc.io.read_segments(study)
    written = {"R0028": "XYZ", "R0037": " r37 "}  # another tool's spelling of two ids
    segments = segments.assign(participant_id=segments["participant_id"].replace(written))
    responses = _voc.io.read_responses(study)
    _, report = _voc.mixed.match_participants(responses, segments, **rules)
    counts = dict(zip(report["status"], report["n"], strict=True))
    assert counts["matched"] == 24 and counts["interview_only"] == 0
