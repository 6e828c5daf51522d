"""Tests of voc.sentiment: VADER scores, summaries by group, agreement with the NPS score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import voc.sentiment as vs

# Hutto's README of vaderSentiment (github.com/cjhutto/vaderSentiment, "Demo"), compound scores.
README_EXAMPLES = [
    ("VADER is smart, handsome, and funny.", 0.8316),
    ("VADER is smart, handsome, and funny!", 0.8439),
    ("VADER is very smart, handsome, and funny.", 0.8545),
    ("VADER is not smart, handsome, nor funny.", -0.7424),
    ("The book was good.", 0.4404),
    ("At least it isn't a horrible book.", 0.431),
    ("Today SUX!", -0.5461),
    ("Make sure you :) or :D today!", 0.8633),
    (
        "The plot was good, but the characters are uncompelling and the dialog is not great.",
        -0.7042,
    ),
]


def test_vader_matches_its_published_examples() -> None:
    texts = [text for text, _ in README_EXAMPLES]
    scores = vs.sentiment(texts)
    np.testing.assert_allclose(scores["compound"], [c for _, c in README_EXAMPLES], atol=1e-4)
    assert scores["doc_id"].tolist() == list(range(len(texts)))
    expected = ["negative" if c <= -0.05 else "positive" for _, c in README_EXAMPLES]
    assert scores["label"].tolist() == expected
    parts = scores[["negative", "neutral", "positive"]].sum(axis=1)
    np.testing.assert_allclose(parts, 1.0, atol=2e-3)


def test_labels_follow_vaders_cut_offs() -> None:
    scores = vs.sentiment(pd.Series(["The sky is blue.", "fine", "bad"], index=["a", "b", "c"]))
    assert scores["doc_id"].tolist() == ["a", "b", "c"]
    assert scores["compound"].iloc[0] == 0.0 and scores["label"].iloc[0] == "neutral"
    assert scores["label"].tolist()[1:] == ["positive", "negative"]
    np.testing.assert_array_equal(
        vs._label(np.array([0.05, 0.0499, -0.0499, -0.05])),
        ["positive", "neutral", "neutral", "negative"],
    )


def test_documents_frame_keeps_ids_and_is_not_mutated() -> None:
    documents = pd.DataFrame(
        {"doc_id": ["d1", "d2"], "participant_id": ["007", "008"], "text": ["Great!", "Awful."]}
    )
    before = documents.copy()
    scores = vs.sentiment(documents)
    assert scores[["doc_id", "participant_id"]].to_dict("list") == {
        "doc_id": ["d1", "d2"],
        "participant_id": ["007", "008"],
    }
    pd.testing.assert_frame_equal(documents, before)


def test_models_registry_and_errors() -> None:
    with pytest.raises(ValueError, match=r"choose from \['roberta-sentiment', 'vader'\]"):
        vs.sentiment(["x"], model="textblob")
    with pytest.raises(ValueError, match="must all be strings"):
        vs.sentiment(["fine", None])


def test_transformer_model_is_never_downloaded(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))  # an empty cache: the weights are absent
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match="never downloads models"):
        vs.sentiment(["Great service."], model="roberta-sentiment")


def test_model_note_states_the_limits() -> None:
    for phrase in ("VADER", "English only", "sarcasm", "domain words"):
        assert phrase in vs.MODEL_NOTE


@pytest.fixture
def scored() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)
    n = 60
    nps = rng.integers(0, 11, n)
    compound = np.clip((nps - 5) / 6 + rng.normal(0, 0.3, n), -1, 1).round(4)
    scores = pd.DataFrame(
        {
            "doc_id": [f"R{i:03d}:comment" for i in range(n)],
            "participant_id": [f"R{i:03d}" for i in range(n)],
            "compound": compound,
            "label": vs._label(compound),
        }
    )
    responses = pd.DataFrame(
        {
            "participant_id": [f"R{i:03d}" for i in range(n + 5)],  # 5 without a comment
            "nps": np.r_[nps, [10] * 5],
            "region": np.r_[np.where(np.arange(n) % 3 == 0, "APAC", "EMEA"), ["EMEA"] * 5],
        }
    )
    return scores, responses


def test_sentiment_by_group_against_scipy_and_statsmodels(scored) -> None:
    """Oracles: scipy t interval of the mean; statsmodels Wilson interval of the share."""
    from scipy import stats
    from statsmodels.stats.proportion import proportion_confint

    scores, responses = scored
    result = vs.sentiment_by_group(scores, responses, by="region")
    assert result["group"].tolist() == ["APAC", "EMEA"]
    merged = scores.merge(responses, on="participant_id")
    for _, row in result.iterrows():
        values = merged.loc[merged["region"] == row["group"], "compound"]
        low, high = stats.t.interval(
            0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values)
        )
        assert row["n"] == len(values)
        assert row["mean"] == pytest.approx(values.mean())
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
        n_negative = int((values <= -0.05).sum())
        assert row["n_negative"] == n_negative
        wilson = proportion_confint(n_negative, len(values), method="wilson")
        assert (row["share_negative_ci_low"], row["share_negative_ci_high"]) == pytest.approx(
            wilson
        )


def test_sentiment_vs_score_against_spearmanr(scored) -> None:
    """Oracle: scipy spearmanr; the interval by hand, Fisher z with Fieller's 1.06/(n-3)."""
    from scipy import stats

    scores, responses = scored
    agreement = vs.sentiment_vs_score(scores, responses)
    merged = scores.merge(responses, on="participant_id")
    oracle = stats.spearmanr(merged["compound"], merged["nps"])
    row = agreement.correlation.iloc[0]
    assert row["n"] == 60
    assert row["rho"] == pytest.approx(oracle.statistic)
    assert row["p_val"] == pytest.approx(oracle.pvalue)
    half = 1.959964 * np.sqrt(1.06 / 57)
    assert row["ci_low"] == pytest.approx(np.tanh(np.arctanh(oracle.statistic) - half), abs=1e-6)
    assert row["ci_high"] == pytest.approx(np.tanh(np.arctanh(oracle.statistic) + half), abs=1e-6)
    groups = agreement.by_nps_group
    assert groups["group"].tolist() == ["detractor", "passive", "promoter"]
    assert groups["mean"].is_monotonic_increasing
    assert groups["n"].sum() == 60


def test_group_join_errors(scored) -> None:
    scores, responses = scored
    with pytest.raises(ValueError, match="repeated participant_id"):
        vs.sentiment_by_group(scores, pd.concat([responses, responses]), by="region")
    with pytest.raises(ValueError, match="scores lacks"):
        vs.sentiment_by_group(scores.drop(columns="label"), responses, by="region")
    with pytest.raises(ValueError, match="'nps' column"):
        vs.sentiment_vs_score(scores, responses.drop(columns="nps"))
