"""Tests of voc.qual: codings resolved to segments, frequencies with roll-up, co-occurrence,
saturation, exemplar quotes and the code x group matrix.

The hand-built study below is small enough that every expected number is worked out in the
docstrings (the oracle, T4). Three interviews, one participant each:

    i1 (p1): i1-1 interviewer [0, 20)  i1-2 participant [22, 60)  i1-3 participant [62, 100)
    i2 (p2): i2-1 interviewer [0, 20)  i2-2 participant [22, 60)  i2-3 interviewer [62, 80)
             i2-4 participant [82, 120)
    i3 (p3): i3-1 interviewer [0, 20)  i3-2 participant [22, 60)

Codebook (three levels): systems > integration > ats_sync; service > slow_support; price.

Codings (ana codes all three interviews, ben only i1 and i2):

    i1-2  ats_sync: ana, ben
    i1-3  slow_support: ana; ats_sync: ana; integration: ben
    i2-1  price: ben (span [5, 10), an interviewer turn: never counted)
    i2-2  price: ana, ben; ats_sync: ana
    i2-4  slow_support: ana, ben (ben's as span [85, 100))
    i3-2  service: ana (as span [30, 40)); price: ana

Present on participant turns with any coder (no roll-up):
    i1-2 {ats_sync}; i1-3 {slow_support, ats_sync, integration}; i2-2 {price, ats_sync};
    i2-4 {slow_support}; i3-2 {service, price}
so p1 {ats_sync, slow_support, integration}, p2 {price, ats_sync, slow_support},
p3 {service, price}.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import voc
import voc.qual as vq
from voc.mixed import nps_group

EXAMPLE = Path(__file__).resolve().parent.parent / "studies" / "example"
CODES_IN_ORDER = ["systems", "integration", "ats_sync", "service", "slow_support", "price"]


@pytest.fixture
def segments() -> pd.DataFrame:
    rows = [
        ("i1-1", "p1", "i1", "Interviewer", "interviewer", 0, 20, "How do you hire?"),
        ("i1-2", "p1", "i1", "Ana", "participant", 22, 60, "Our ATS never syncs with you."),
        (
            "i1-3",
            "p1",
            "i1",
            "Ana",
            "participant",
            62,
            100,
            "Support took a week and the sync broke again, so we re-key every candidate by hand.",
        ),
        ("i2-1", "p2", "i2", "Interviewer", "interviewer", 0, 20, "What about pricing?"),
        ("i2-2", "p2", "i2", "Ben", "participant", 22, 60, "Fees appear and the ATS lags."),
        ("i2-3", "p2", "i2", "Interviewer", "interviewer", 62, 80, "And support?"),
        ("i2-4", "p2", "i2", "Ben", "participant", 82, 120, "Tickets stay open for days."),
        ("i3-1", "p3", "i3", "Interviewer", "interviewer", 0, 20, "Tell me about onboarding."),
        ("i3-2", "p3", "i3", "Cy", "participant", 22, 60, "Onboarding was fine, pricing clear."),
    ]
    columns = ["segment_id", "participant_id", "source", "speaker", "role", "start", "end", "text"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(t_start=np.nan, t_end=np.nan)


@pytest.fixture
def codings() -> pd.DataFrame:
    rows = [  # source, start, end, segment_id, code, coder
        ("i1", None, None, "i1-2", "ats_sync", "ana"),
        ("i1", None, None, "i1-2", "ats_sync", "ben"),
        ("i1", None, None, "i1-3", "slow_support", "ana"),
        ("i1", None, None, "i1-3", "ats_sync", "ana"),
        ("i1", None, None, "i1-3", "integration", "ben"),
        ("i2", 5, 10, None, "price", "ben"),
        ("i2", None, None, "i2-2", "price", "ana"),
        ("i2", None, None, "i2-2", "price", "ben"),
        ("i2", None, None, "i2-2", "ats_sync", "ana"),
        ("i2", None, None, "i2-4", "slow_support", "ana"),
        ("i2", 85, 100, None, "slow_support", "ben"),
        ("i3", 30, 40, None, "service", "ana"),
        ("i3", None, None, "i3-2", "price", "ana"),
    ]
    frame = pd.DataFrame(rows, columns=["source", "start", "end", "segment_id", "code", "coder"])
    frame = frame.astype({"start": "Int64", "end": "Int64", "segment_id": object})
    frame.index = pd.Index(range(2, 2 + len(frame)), name="line")  # as read from a file
    return frame


@pytest.fixture
def codebook() -> pd.DataFrame:
    """Parents listed before children, in an order that is not the tree order."""
    return pd.DataFrame(
        {
            "code": ["systems", "service", "price", "integration", "slow_support", "ats_sync"],
            "parent": [None, None, None, "systems", "service", "integration"],
            "description": "",
        }
    )


@pytest.fixture
def participants() -> pd.DataFrame:
    return pd.DataFrame(
        {"participant_id": ["p1", "p2", "p3", "p9"], "region": ["A", "A", "B", "B"]}
    )


def _freq(table: pd.DataFrame, column: str) -> dict[str, int]:
    return dict(zip(table["code"], table[column], strict=True))


# --- resolve_codings --------------------------------------------------------------------------


def test_resolve_fills_segment_ids_from_offsets(codings, segments):
    """Spans [5, 10) in i2 -> i2-1, [85, 100) in i2 -> i2-4, [30, 40) in i3 -> i3-2."""
    resolved = vq.resolve_codings(codings, segments)
    assert len(resolved) == len(codings)
    assert list(resolved.columns[:6]) == ["source", "start", "end", "segment_id", "code", "coder"]
    assert list(resolved.columns[-2:]) == ["participant_id", "role"]
    by_line = resolved["segment_id"].to_dict()
    assert (by_line[7], by_line[12], by_line[13]) == ("i2-1", "i2-4", "i3-2")
    assert resolved.loc[7, "role"] == "interviewer"
    assert resolved.loc[13, "participant_id"] == "p3"
    assert resolved.index.equals(codings.index)  # the file lines are kept


def test_resolve_span_over_turns_gives_every_overlapped_segment(segments):
    """[10, 30) overlaps i1-1 [0, 20) and i1-2 [22, 60); [22, 22) is a point inside i1-2;
    [20, 22) lies in the gap between two turns and matches nothing."""
    codings = pd.DataFrame(
        {"source": "i1", "start": [10, 22], "end": [30, 22], "code": "x", "coder": "ana"}
    )
    resolved = vq.resolve_codings(codings, segments)
    assert resolved["segment_id"].tolist() == ["i1-1", "i1-2", "i1-2"]
    assert resolved.index.tolist() == [0, 0, 1]
    assert resolved["role"].tolist() == ["interviewer", "participant", "participant"]
    gap = pd.DataFrame({"source": "i1", "start": [20], "end": [22], "code": "x", "coder": "a"})
    with pytest.raises(ValueError, match="match no segment"):
        vq.resolve_codings(gap, segments)


def test_resolve_without_offsets_in_segments(codings, segments):
    """Codings by segment id need no offsets in segments (regression: the text order of a
    coding's segments was looked up in the wrong array)."""
    by_id = codings[codings["segment_id"].notna()].drop(columns=["start", "end"])
    resolved = vq.resolve_codings(by_id, segments.drop(columns=["start", "end"]))
    assert resolved["segment_id"].tolist() == by_id["segment_id"].tolist()
    assert resolved["start"].isna().all()


def test_resolve_rejects_unknown_segments_and_bad_rows(codings, segments):
    unknown = codings.assign(segment_id=codings["segment_id"].replace({"i1-2": "i1-99"}))
    with pytest.raises(ValueError, match=r"2 row\(s\) that match no segment.*i1-99"):
        vq.resolve_codings(unknown, segments)
    wrong_source = codings.assign(source=codings["source"].replace({"i3": "i4"}))
    with pytest.raises(ValueError, match="match no segment"):
        vq.resolve_codings(wrong_source, segments)
    reversed_span = codings.assign(start=codings["start"].replace({85: 101}))
    with pytest.raises(ValueError, match="start > end"):
        vq.resolve_codings(reversed_span, segments)
    neither = codings.assign(start=pd.NA, end=pd.NA)
    with pytest.raises(ValueError, match="neither a segment_id nor"):
        vq.resolve_codings(neither, segments)
    with pytest.raises(ValueError, match="'segment_id' column or 'start' and 'end'"):
        vq.resolve_codings(codings.drop(columns=["segment_id", "start"]), segments)
    with pytest.raises(ValueError, match="coder"):
        vq.resolve_codings(codings.drop(columns=["coder"]), segments)
    with pytest.raises(ValueError, match="duplicate"):
        vq.resolve_codings(codings, pd.concat([segments, segments.iloc[:1]]))
    with pytest.raises(TypeError, match="codings must be a pandas DataFrame"):
        vq.resolve_codings(codings.to_dict(), segments)


# --- code_frequencies -------------------------------------------------------------------------


def test_code_frequencies_as_applied(codings, segments, codebook):
    """No roll-up, any coder (participant turns only; ben's price on interviewer turn i2-1 is
    ignored): systems 0; integration i1-3 (p1); ats_sync i1-2, i1-3, i2-2 (p1, p2);
    service i3-2 (p3); slow_support i1-3, i2-4 (p1, p2); price i2-2, i3-2 (p2, p3).
    Base: 3 participants with a turn."""
    result = vq.code_frequencies(codings, segments, codebook, rollup=False)
    assert result["code"].tolist() == CODES_IN_ORDER  # depth-first codebook order
    assert result["level"].tolist() == [1, 2, 3, 1, 2, 1]
    assert result["parent"].tolist() == [None, "systems", "integration", None, "service", None]
    assert _freq(result, "n_segments") == {
        "systems": 0,
        "integration": 1,
        "ats_sync": 3,
        "service": 1,
        "slow_support": 2,
        "price": 2,
    }
    assert _freq(result, "n_participants") == {
        "systems": 0,
        "integration": 1,
        "ats_sync": 2,
        "service": 1,
        "slow_support": 2,
        "price": 2,
    }
    assert (result["n_participants_total"] == 3).all()
    assert result["pct_participants"].tolist() == pytest.approx(
        [0, 100 / 3, 200 / 3, 100 / 3, 200 / 3, 200 / 3]
    )
    assert _freq(result, "n_sources") == _freq(result, "n_participants")


def test_code_frequencies_rollup_through_two_levels(codings, segments, codebook):
    """Roll-up: integration = its own i1-3 plus ats_sync's i1-2, i1-3, i2-2 -> 3 segments, 2
    participants; systems (two levels up from ats_sync) the same; service = i3-2 plus
    slow_support's i1-3, i2-4 -> 3 segments, all 3 participants (100 %); leaves unchanged."""
    result = vq.code_frequencies(codings, segments, codebook)
    assert _freq(result, "n_segments") == {
        "systems": 3,
        "integration": 3,
        "ats_sync": 3,
        "service": 3,
        "slow_support": 2,
        "price": 2,
    }
    assert _freq(result, "n_participants") == {
        "systems": 2,
        "integration": 2,
        "ats_sync": 2,
        "service": 3,
        "slow_support": 2,
        "price": 2,
    }
    assert result.set_index("code").loc["service", "pct_participants"] == 100.0
    assert list(result.columns) == [
        "code",
        "parent",
        "level",
        "n_segments",
        "n_participants",
        "n_participants_total",
        "pct_participants",
        "n_sources",
    ]


def test_code_frequencies_coder_rules(codings, segments, codebook):
    """consensus = every coder of the source: i1, i2 have ana and ben, i3 only ana.
    Without roll-up: i1-2 ats_sync (both); i1-3 nothing (ana: slow_support, ats_sync; ben:
    integration); i2-2 price; i2-4 slow_support; i3-2 service, price (ana is i3's only coder).
    With roll-up (per coder first): i1-3 gets integration and systems, which both coders
    reached (ana via ats_sync). ben alone: ats_sync i1-2, integration i1-3, price i2-2,
    slow_support i2-4."""
    flat = vq.code_frequencies(codings, segments, codebook, coder="consensus", rollup=False)
    assert _freq(flat, "n_segments") == {
        "systems": 0,
        "integration": 0,
        "ats_sync": 1,
        "service": 1,
        "slow_support": 1,
        "price": 2,
    }
    rolled = vq.code_frequencies(codings, segments, codebook, coder="consensus")
    assert _freq(rolled, "n_segments") == {
        "systems": 2,
        "integration": 2,
        "ats_sync": 1,
        "service": 2,
        "slow_support": 1,
        "price": 2,
    }
    assert _freq(rolled, "n_participants")["systems"] == 1
    ben = vq.code_frequencies(codings, segments, codebook, coder="ben", rollup=False)
    assert _freq(ben, "n_segments") == {
        "systems": 0,
        "integration": 1,
        "ats_sync": 1,
        "service": 0,
        "slow_support": 1,
        "price": 1,
    }
    with pytest.raises(ValueError, match=r"coder='eve'.*'consensus'.*\['ana', 'ben'\]"):
        vq.code_frequencies(codings, segments, coder="eve")
    clash = codings.assign(coder=codings["coder"].replace({"ben": "consensus"}))
    with pytest.raises(ValueError, match="named 'consensus'"):
        vq.code_frequencies(clash, segments, coder="consensus")


def test_code_frequencies_without_codebook_and_by_group(codings, segments, participants):
    """Without a codebook: the coded codes, sorted, level 1. By region (A: p1, p2; B: p3, and
    p9 has no interview so is not in any base): price A = p2 -> 1 of 2 = 50 %, B = p3 -> 100 %."""
    result = vq.code_frequencies(codings, segments)
    assert result["code"].tolist() == [
        "ats_sync",
        "integration",
        "price",
        "service",
        "slow_support",
    ]
    assert (result["level"] == 1).all() and result["parent"].isna().all()
    grouped = vq.code_frequencies(codings, segments, by="region", participants=participants)
    assert grouped["region"].tolist() == ["A"] * 5 + ["B"] * 5
    price = grouped[grouped["code"].eq("price")].set_index("region")
    assert price["n_participants"].to_dict() == {"A": 1, "B": 1}
    assert price["n_participants_total"].to_dict() == {"A": 2, "B": 1}
    assert price["pct_participants"].to_dict() == {"A": 50.0, "B": 100.0}


def test_code_frequencies_segment_level_group(codings, segments):
    """A segment column as group: turns i1-2, i2-2, i3-2 are 'early', i1-3, i2-4 'late'.
    ats_sync is on i1-2, i2-2 (early: p1, p2 of 3 early participants) and i1-3 (late: p1 of
    2 late participants)."""
    section = np.where(segments["segment_id"].isin(["i1-3", "i2-4"]), "late", "early")
    result = vq.code_frequencies(codings, segments.assign(section=section), by="section")
    ats = result[result["code"].eq("ats_sync")].set_index("section")
    assert ats["n_segments"].to_dict() == {"early": 2, "late": 1}
    assert ats["n_participants_total"].to_dict() == {"early": 3, "late": 2}


def test_code_frequencies_validation(codings, segments, codebook, participants):
    with pytest.raises(ValueError, match=r"not in the codebook: \['ats_sync'\]"):
        vq.code_frequencies(codings, segments, codebook[codebook["code"].ne("ats_sync")])
    cycle = codebook.assign(
        parent=codebook["parent"].where(codebook["code"].ne("systems"), "ats_sync")
    )
    with pytest.raises(ValueError, match="cycle"):
        vq.code_frequencies(codings, segments, cycle)
    with pytest.raises(ValueError, match="by='nps' is not a column of participants"):
        vq.code_frequencies(codings, segments, by="nps", participants=participants)
    with pytest.raises(ValueError, match="more than once"):
        vq.code_frequencies(
            codings, segments, by="region", participants=pd.concat([participants, participants])
        )
    with pytest.raises(ValueError, match="same id types"):
        vq.code_frequencies(
            codings,
            segments,
            by="region",
            participants=participants.assign(participant_id=[1, 2, 3, 4]),
        )
    with pytest.raises(ValueError, match="by='code' clashes"):
        vq.code_frequencies(
            codings, segments, by="code", participants=participants.assign(code="x")
        )


# --- cooccurrence -----------------------------------------------------------------------------


def test_cooccurrence_segments_jaccard_and_ochiai(codings, segments):
    """Units: the 5 participant turns. n: ats_sync 3, integration 1, price 2, service 1,
    slow_support 2. Together: ats_sync+integration on i1-3 (Jaccard 1/(3+1-1) = 1/3, Ochiai
    1/sqrt(3)); ats_sync+price on i2-2 (1/(3+2-1) = 1/4, 1/sqrt(6)); ats_sync+slow_support on
    i1-3 (1/4); integration+slow_support on i1-3 (1/(1+2-1) = 1/2, 1/sqrt(2)); price+service
    on i3-2 (1/2). The other 5 of the C(5, 2) = 10 pairs never meet."""
    result = vq.cooccurrence(codings, segments)
    assert len(result) == 10
    assert list(result.columns) == [
        "code_a",
        "code_b",
        "n_both",
        "n_a",
        "n_b",
        "n_units",
        "jaccard",
        "ochiai",
    ]
    assert (result["code_a"] < result["code_b"]).all()
    pairs = list(zip(result["code_a"], result["code_b"], strict=True))
    assert pairs == sorted(pairs)
    table = result.set_index(["code_a", "code_b"])
    assert table.loc[("ats_sync", "integration"), "jaccard"] == pytest.approx(1 / 3)
    assert table.loc[("ats_sync", "integration"), "ochiai"] == pytest.approx(1 / math.sqrt(3))
    assert table.loc[("ats_sync", "price"), "jaccard"] == pytest.approx(1 / 4)
    assert table.loc[("ats_sync", "price"), "ochiai"] == pytest.approx(1 / math.sqrt(6))
    assert table.loc[("ats_sync", "slow_support"), "jaccard"] == pytest.approx(1 / 4)
    assert table.loc[("integration", "slow_support"), "jaccard"] == pytest.approx(1 / 2)
    assert table.loc[("price", "service"), "jaccard"] == pytest.approx(1 / 2)
    assert table["n_both"].sum() == 5 and (table["n_units"] == 5).all()
    assert table.loc[("price", "slow_support"), ["n_both", "jaccard"]].tolist() == [0, 0.0]


def test_cooccurrence_participants(codings, segments):
    """Participants: p1 {ats_sync, slow_support, integration}, p2 {price, ats_sync,
    slow_support}, p3 {service, price}. ats_sync+slow_support: both p1, p2 -> Jaccard 2/2 = 1;
    ats_sync+price: p2 -> 1/(2+2-1) = 1/3."""
    table = vq.cooccurrence(codings, segments, unit="participant").set_index(["code_a", "code_b"])
    assert table.loc[("ats_sync", "slow_support"), "jaccard"] == 1.0
    assert table.loc[("ats_sync", "price"), "jaccard"] == pytest.approx(1 / 3)
    assert (table["n_units"] == 3).all()
    with pytest.raises(ValueError, match=r"unit='turn'.*\['segment', 'participant'\]"):
        vq.cooccurrence(codings, segments, unit="turn")


def test_cooccurrence_undefined_for_codes_on_no_unit(codings, segments):
    """ben never applied service: under coder='ben', price (n=1) and service (n=0) have
    Jaccard 0 / (1 + 0 - 0) = 0, and Ochiai 0 / sqrt(1 * 0) is undefined (NaN)."""
    table = vq.cooccurrence(codings, segments, coder="ben").set_index(["code_a", "code_b"])
    assert table.loc[("price", "service"), ["n_a", "n_b"]].tolist() == [1, 0]
    assert table.loc[("price", "service"), "jaccard"] == 0.0
    assert np.isnan(table.loc[("price", "service"), "ochiai"])


# --- saturation -------------------------------------------------------------------------------


def _expected_mean(sets: list[set[str]], k: int) -> float:
    """Exact mean over all orders: sum over codes of 1 - C(N - m, k) / C(N, k)."""
    codes = set().union(*sets)
    n = len(sets)
    return sum(1 - math.comb(n - sum(c in s for s in sets), k) / math.comb(n, k) for c in codes)


def test_saturation_exact_over_all_orders(codings, segments):
    """p1 {ats_sync, slow_support, integration} (3), p2 {price, ats_sync, slow_support} (3),
    p3 {service, price} (2); 5 codes. Unions: p1+p2 = 4, p1+p3 = 5, p2+p3 = 4. The 3! orders give
    cumulative counts 123: 3,4,5; 132: 3,5,5; 213: 3,4,5; 231: 3,4,5; 312: 2,5,5; 321: 2,4,5.
    Means: k=1 16/6 = 8/3, k=2 26/6 = 13/3, k=3 5; new codes 8/3, 5/3, 2/3.
    Percentiles (linear) at k=1 of [2,2,3,3,3,3]: 2.5 % -> 2, 97.5 % -> 3; k=2 of
    [4,4,4,4,5,5]: 4 and 5."""
    result = vq.saturation(codings, segments)
    assert result["k"].tolist() == [1, 2, 3]
    assert result["n_orders"].eq(6).all() and result["is_exact"].all()
    assert result["n_codes"].eq(5).all() and result["n_participants"].eq(3).all()
    assert result["mean_cumulative_codes"].tolist() == pytest.approx([8 / 3, 13 / 3, 5])
    assert result["mean_new_codes"].tolist() == pytest.approx([8 / 3, 5 / 3, 2 / 3])
    assert result["ci_low"].tolist() == pytest.approx([2, 4, 5])
    assert result["ci_high"].tolist() == pytest.approx([3, 5, 5])
    assert result["pct_of_codes"].tolist() == pytest.approx([160 / 3, 260 / 3, 100])
    sets = [
        {"ats_sync", "slow_support", "integration"},
        {"price", "ats_sync", "slow_support"},
        {"service", "price"},
    ]
    assert [_expected_mean(sets, k) for k in (1, 2, 3)] == pytest.approx([8 / 3, 13 / 3, 5])


def test_saturation_point(codings, segments):
    """From the curve above (8/3, 13/3, 5 of 5 codes): 50 % -> k=1, 80 % (4 codes) -> k=2,
    95 % (4.75) -> k=3."""
    curves = vq.saturation(codings, segments)
    for threshold, k in ((0.5, 1), (0.8, 2), (0.95, 3)):
        point = vq.saturation_point(curves, threshold=threshold)
        assert point["k_saturation"].tolist() == [k]
        assert point["pct_participants"].tolist() == pytest.approx([100 * k / 3])
    with pytest.raises(ValueError, match="threshold"):
        vq.saturation_point(curves, threshold=95)


def _random_study(n_people: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, list[set]]:
    rng = np.random.default_rng(seed)
    codes = [f"c{j}" for j in range(8)]
    sets = [{c for c in codes if rng.random() < 0.35} | {codes[i % 8]} for i in range(n_people)]
    segments = pd.DataFrame(
        {
            "segment_id": [f"s{i}" for i in range(n_people)],
            "source": [f"i{i}" for i in range(n_people)],
            "participant_id": [f"p{i}" for i in range(n_people)],
            "role": "participant",
        }
    )
    codings = pd.DataFrame(
        [(f"i{i}", f"s{i}", c, "ana") for i, s in enumerate(sets) for c in sorted(s)],
        columns=["source", "segment_id", "code", "coder"],
    )
    return codings, segments, sets


def test_saturation_random_orders_approach_the_exact_curve():
    """5 people: 5! = 120 orders, so n_orders=120 enumerates them (exact), n_orders=119 draws.
    7 people, 4000 random orders: the mean is within 0.1 code of the exact expectation
    (a standard error of about 0.02 codes)."""
    codings, segments, sets = _random_study(5, seed=1)
    exact = vq.saturation(codings, segments, n_orders=120)
    assert exact["is_exact"].all() and exact["n_orders"].eq(120).all()
    expected = [_expected_mean(sets, k) for k in range(1, 6)]
    assert exact["mean_cumulative_codes"].to_numpy() == pytest.approx(expected, abs=1e-12)
    drawn = vq.saturation(codings, segments, n_orders=119)
    assert not drawn["is_exact"].any() and drawn["n_orders"].eq(119).all()
    codings, segments, sets = _random_study(7, seed=2)
    many = vq.saturation(codings, segments, n_orders=4000, random_state=3)
    expected = [_expected_mean(sets, k) for k in range(1, 8)]
    assert many["mean_cumulative_codes"].to_numpy() == pytest.approx(expected, abs=0.1)
    assert (many["ci_low"] <= many["mean_cumulative_codes"]).all()
    assert (many["mean_cumulative_codes"] <= many["ci_high"]).all()


def test_saturation_by_group(codings, segments, participants):
    """Region A = p1, p2: 4 codes; both orders give 3 then 4. Region B = p3: 2 codes at k=1."""
    result = vq.saturation(codings, segments, by="region", participants=participants)
    assert result["region"].tolist() == ["A", "A", "B"]
    assert result["mean_cumulative_codes"].tolist() == [3.0, 4.0, 2.0]
    assert result["n_codes"].tolist() == [4, 4, 2]
    point = vq.saturation_point(result, threshold=0.9)
    assert point["region"].tolist() == ["A", "B"]
    assert point["k_saturation"].tolist() == [2, 1]
    varying = segments.assign(section=np.arange(len(segments)) % 2)
    with pytest.raises(ValueError, match="varies within participant"):
        vq.saturation(codings, varying, by="section")
    with pytest.raises(ValueError, match="n_orders"):
        vq.saturation(codings, segments, n_orders=0)


# --- exemplar_quotes --------------------------------------------------------------------------


def test_exemplar_quotes_prefers_agreement_and_spreads_participants(codings, segments):
    """ats_sync is on i1-2 (both coders of i1: agreed), i1-3 (ana only) and i2-2 (ana only).
    i1-2 ranks first; the second quote comes from another participant (p2's i2-2), whatever
    the seed, since p1 already has one. price: i2-2 (2 coders) before i3-2 (1 coder, who is
    all of i3's coders); ben's price on the interviewer turn i2-1 is never a candidate."""
    for seed in range(5):
        quotes = vq.exemplar_quotes(
            codings, segments, code=["ats_sync", "price"], random_state=seed
        )
        assert quotes["segment_id"].tolist() == ["i1-2", "i2-2", "i2-2", "i3-2"]
    assert quotes["n_coders"].tolist() == [2, 1, 2, 1]
    assert list(quotes.columns) == [
        "code",
        "participant_id",
        "source",
        "segment_id",
        "start",
        "end",
        "t_start",
        "t_end",
        "text",
        "n_coders",
        "is_trimmed",
    ]
    only = vq.exemplar_quotes(codings, segments, code="ats_sync", n=3)
    assert only["segment_id"].tolist() == ["i1-2", "i2-2", "i1-3"]  # p1's second turn last


def test_exemplar_quotes_trims_at_word_boundary(codings, segments):
    """i1-3 has 16 words; max_words=5 keeps "Support took a week and" + " …"; start/end stay
    those of the whole turn."""
    quotes = vq.exemplar_quotes(codings, segments, code="slow_support", n=2, max_words=5)
    row = quotes.set_index("segment_id").loc["i1-3"]
    assert row["text"] == "Support took a week and …"
    assert row["is_trimmed"] and (row["start"], row["end"]) == (62, 100)
    short = quotes.set_index("segment_id").loc["i2-4"]
    assert short["text"] == "Tickets stay open for days." and not short["is_trimmed"]
    whole = vq.exemplar_quotes(codings, segments, code="slow_support", max_words=None)
    assert not whole["is_trimmed"].any()


def test_exemplar_quotes_seeded_and_order_free():
    """Ten participants, one agreed turn each for one code: the ranking is a seeded hash, so
    one seed gives one choice in any row order, and the seeds do not all agree."""
    segments = pd.DataFrame(
        {
            "segment_id": [f"s{i}" for i in range(10)],
            "source": "i",
            "role": "participant",
            "participant_id": [f"p{i}" for i in range(10)],
            "text": "words",
        }
    )
    codings = pd.DataFrame(
        {"source": "i", "segment_id": segments["segment_id"], "code": "x", "coder": "ana"}
    )
    picks = {
        seed: tuple(vq.exemplar_quotes(codings, segments, n=3, random_state=seed)["segment_id"])
        for seed in range(6)
    }
    assert len(set(picks.values())) > 1
    shuffled = vq.exemplar_quotes(
        codings.sample(frac=1, random_state=4),
        segments.sample(frac=1, random_state=5),
        n=3,
        random_state=2,
    )
    assert tuple(shuffled["segment_id"]) == picks[2]
    with pytest.raises(ValueError, match=r"code \['nope'\] does not occur"):
        vq.exemplar_quotes(codings, segments, code="nope")
    with pytest.raises(ValueError, match="n must be a positive integer"):
        vq.exemplar_quotes(codings, segments, n=0)
    with pytest.raises(ValueError, match="text"):
        vq.exemplar_quotes(codings, segments.drop(columns=["text"]))


# --- code_by_group ----------------------------------------------------------------------------


def test_code_by_group(codings, segments, participants):
    """Region A: p1, p2 (n_group 2); B: p3 (n_group 1; p9 has no interview). ats_sync: A 2/2,
    B 0/1; price: A 1/2 (p2), B 1/1. A participant missing from participants forms a missing
    group rather than disappearing."""
    result = vq.code_by_group(codings, segments, participants, by="region")
    assert list(result.columns) == [
        "code",
        "region",
        "n_participants",
        "n_group",
        "pct_participants",
        "small_base",
    ]
    table = result.set_index(["code", "region"])
    assert table.loc[("ats_sync", "A"), ["n_participants", "n_group"]].tolist() == [2, 2]
    assert table.loc[("ats_sync", "B"), "pct_participants"] == 0.0
    assert table.loc[("price", "A"), "pct_participants"] == 50.0
    assert table.loc[("price", "B"), "pct_participants"] == 100.0
    assert result["small_base"].all()
    assert not vq.code_by_group(codings, segments, participants, by="region", min_base=1)[
        "small_base"
    ].any()
    partial = vq.code_by_group(codings, segments, participants.iloc[:2], by="region")
    assert partial["region"].isna().sum() == 5  # p3, one row per code
    assert partial.loc[partial["region"].isna(), "n_group"].eq(1).all()


def test_code_by_group_keeps_category_order(codings, segments):
    """Groups follow the categories' order (detractor, passive, promoter), not the alphabet
    of their labels."""
    scores = pd.Series([10, 3, 8], index=["p1", "p2", "p3"])
    participants = pd.DataFrame(
        {"participant_id": scores.index, "nps_group": nps_group(scores).array}
    )
    result = vq.code_by_group(codings, segments, participants, by="nps_group")
    assert result["nps_group"].iloc[:3].tolist() == ["detractor", "passive", "promoter"]
    assert isinstance(result["nps_group"].dtype, pd.CategoricalDtype)


# --- purity, determinism, row order -----------------------------------------------------------


def _all_results(codings, segments, codebook, participants, random_state=0):
    return [
        vq.resolve_codings(codings, segments).sort_index(kind="stable").reset_index(drop=True),
        vq.code_frequencies(codings, segments, codebook, by="region", participants=participants),
        vq.code_frequencies(codings, segments, codebook, coder="consensus"),
        vq.cooccurrence(codings, segments, unit="participant"),
        vq.saturation(codings, segments, n_orders=5, random_state=random_state),
        vq.exemplar_quotes(codings, segments, random_state=random_state),
        vq.code_by_group(codings, segments, participants, by="region"),
    ]


def test_inputs_unchanged(codings, segments, codebook, participants):
    before = [f.copy(deep=True) for f in (codings, segments, codebook, participants)]
    _all_results(codings, segments, codebook, participants)
    for original, after in zip(before, (codings, segments, codebook, participants), strict=True):
        pd.testing.assert_frame_equal(original, after)


def test_same_seed_same_result_in_any_row_order(codings, segments, codebook, participants):
    first = _all_results(codings, segments, codebook, participants, random_state=7)
    again = _all_results(codings, segments, codebook, participants, random_state=7)
    shuffled = _all_results(
        codings.sample(frac=1, random_state=1),
        segments.sample(frac=1, random_state=2),
        codebook.sample(frac=1, random_state=3).reset_index(drop=True),
        participants.sample(frac=1, random_state=4),
        random_state=7,
    )
    for a, b in zip(first, again, strict=True):
        pd.testing.assert_frame_equal(a, b)
    for a, c in zip(first[1:], shuffled[1:], strict=True):  # resolve keeps the input's row order
        if "code" in a.columns and "parent" in a.columns:  # codebook order follows the codebook
            a, c = (t.sort_values(["code"], kind="stable").reset_index(drop=True) for t in (a, c))
        pd.testing.assert_frame_equal(a, c)


# --- the example study ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> dict[str, pd.DataFrame]:
    study = voc.load_study(EXAMPLE)
    responses = voc.io.read_responses(study)
    return {
        "segments": voc.io.read_segments(study),
        "codings": voc.io.read_codings(study),
        "codebook": voc.io.read_codebook(study),
        "participants": responses[["participant_id", "region", "nps"]].assign(
            nps_group=nps_group(responses["nps"])
        ),
    }


def test_example_counts_per_coder_match_readme(example):
    """README, planted truth 7: the number of turns each coder gave each code."""
    readme = {  # code: (coder_a, coder_b)
        "systems": (16, 13),
        "fragmented_systems": (45, 36),
        "service": (17, 23),
        "slow_support": (24, 23),
        "account_manager": (20, 16),
        "talent": (23, 22),
        "search_experience": (39, 40),
        "candidate_quality": (37, 36),
        "time_to_hire": (41, 46),
        "commercial": (24, 24),
        "pricing_surprises": (17, 14),
        "cross_border_compliance": (38, 38),
    }
    for j, coder in enumerate(("coder_a", "coder_b")):
        result = vq.code_frequencies(
            example["codings"], example["segments"], example["codebook"], coder=coder, rollup=False
        )
        assert _freq(result, "n_segments") == {code: n[j] for code, n in readme.items()}
    rolled = vq.code_frequencies(example["codings"], example["segments"], example["codebook"])
    assert set(rolled["level"]) == {1, 2} and rolled["n_participants_total"].eq(24).all()
    parents = rolled[rolled["level"].eq(1)].set_index("code")["n_segments"]
    children = rolled[rolled["level"].eq(2)].groupby("parent")["n_segments"].max()
    assert (parents[children.index] >= children).all()


def test_example_detractors_raise_fragmented_systems_more(example):
    """README, planted truth 6: detractors talk about fragmented systems far more than
    promoters (among the 24 interviewees: 9 detractors, 7 passives, 8 promoters)."""
    result = vq.code_by_group(
        example["codings"], example["segments"], example["participants"], by="nps_group"
    )
    fragmented = result[result["code"].eq("fragmented_systems")].set_index("nps_group")
    assert fragmented["n_group"].to_dict() == {"detractor": 9, "passive": 7, "promoter": 8}
    pct = fragmented["pct_participants"]
    assert pct["detractor"] > pct["promoter"] + 25
    assert result["small_base"].all()
    frequencies = vq.code_frequencies(
        example["codings"],
        example["segments"],
        example["codebook"],
        by="nps_group",
        participants=example["participants"],
        rollup=False,
    )
    same = frequencies[frequencies["code"].eq("fragmented_systems")].set_index("nps_group")
    assert same["pct_participants"].to_dict() == pct.to_dict()


def test_example_saturation_well_before_the_last_interview(example):
    curves = vq.saturation(example["codings"], example["segments"])
    assert curves["n_participants"].eq(24).all() and curves["n_codes"].eq(12).all()
    assert vq.saturation_point(curves, threshold=0.9)["k_saturation"].item() <= 6
    assert curves["mean_cumulative_codes"].is_monotonic_increasing
    assert curves["pct_of_codes"].iloc[-1] == 100.0


def test_example_quotes_are_participants_words(example):
    segments = example["segments"]
    quotes = vq.exemplar_quotes(example["codings"], segments, n=3)
    assert set(quotes["code"]) == set(example["codebook"]["code"])
    assert quotes.groupby("code").size().eq(3).all()
    assert not quotes.duplicated(["code", "participant_id"]).any()
    turns = segments.set_index("segment_id")
    assert turns.loc[quotes["segment_id"], "role"].eq("participant").all()
    asked = segments.loc[segments["role"].eq("interviewer"), "text"]
    for quote, full in zip(quotes["text"], turns.loc[quotes["segment_id"], "text"], strict=True):
        assert full.startswith(quote.removesuffix(" …"))
        assert not any(question in quote for question in asked)


def test_example_offsets_resolve_to_the_coded_segments(example):
    """The same codings given as spans inside each turn resolve back to the turn's id."""
    segments, codings = example["segments"], example["codings"]
    bounds = segments.set_index("segment_id")[["start", "end"]]
    spans = codings.assign(
        start=bounds.loc[codings["segment_id"], "start"].to_numpy() + 1,
        end=bounds.loc[codings["segment_id"], "end"].to_numpy() - 1,
        segment_id=None,
    )
    resolved = vq.resolve_codings(spans, segments)
    assert resolved["segment_id"].tolist() == codings["segment_id"].tolist()
    pd.testing.assert_frame_equal(
        vq.code_frequencies(spans, segments, example["codebook"]),
        vq.code_frequencies(codings, segments, example["codebook"]),
    )


def test_code_by_group_with_every_survey_respondent_as_participants(codings, segments):
    """The participants of a whole survey (text ids, 50,000 of them, 3 interviewed) give the
    table that the interviewed alone give; none of them interviewed is an error."""
    n = 50_000
    survey = pd.DataFrame(
        {
            "participant_id": pd.Series([f"s{i}" for i in range(n)], dtype="str"),
            "region": np.where(np.arange(n) % 2 == 0, "A", "B"),
        }
    )
    interviewed = pd.DataFrame({"participant_id": ["p1", "p2", "p3"], "region": ["A", "A", "B"]})
    everyone = pd.concat([survey, interviewed], ignore_index=True).astype({"participant_id": "str"})
    pd.testing.assert_frame_equal(
        vq.code_by_group(codings, segments, everyone, by="region"),
        vq.code_by_group(codings, segments, interviewed, by="region"),
    )
    with pytest.raises(ValueError, match="no participant_id of segments is in participants"):
        vq.code_by_group(codings, segments, survey, by="region")
