"""Sentiment of open-ended answers, and how well it agrees with the score the customer gave.

The default model is VADER, a rule-based English lexicon (no download, no GPU). A
transformer model can be used only when its weights are already on this machine: voc never
downloads a model. Read `MODEL_NOTE` before trusting the numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from voc._survey_base import as_columns, check_level
from voc._topic_docs import as_docs, join_groups, wilson

__all__ = [
    "MODELS",
    "MODEL_NOTE",
    "NEUTRAL_BAND",
    "ScoreAgreement",
    "sentiment",
    "sentiment_by_group",
    "sentiment_vs_score",
]

#: VADER's own cut-offs: compound >= 0.05 positive, <= -0.05 negative, else neutral.
NEUTRAL_BAND = 0.05

MODEL_NOTE = (
    "Sentiment comes from VADER (Hutto & Gilbert 2014), a rule-based lexicon of about 7,500 "
    "English words and emoticons with rules for negation, intensifiers ('very'), 'but' and "
    "capitals; compound is a normalised sum in [-1, 1], labelled negative at or below -0.05 "
    "and positive at or above 0.05. Known limits: English only; it scores words, not meaning, so it "
    "misses sarcasm and irony ('Great, another outage.' scores +0.62), and domain words it does not know "
    "count as neutral ('churn', 'downtime', 'latency', 'manual workaround'), while words that "
    "are neutral in a business sense carry a score: 'support' is positive, so 'Support "
    "keeps asking for screenshots.' scores +0.40; typos and long "
    "comments that mix praise and complaint dilute the score. Use it to sort and compare "
    "groups, check it against the score the customer gave (sentiment_vs_score), and read "
    "the comments before quoting a number."
)

_TRANSFORMERS = {
    # name: (Hugging Face repository, label -> polarity), used only if already downloaded
    "roberta-sentiment": (
        "cardiffnlp/twitter-roberta-base-sentiment-latest",
        {"negative": -1, "neutral": 0, "positive": 1},
    ),
}


def _label(compound: np.ndarray) -> np.ndarray:
    return np.select(
        [compound >= NEUTRAL_BAND, compound <= -NEUTRAL_BAND], ["positive", "negative"], "neutral"
    ).astype(object)


def _vader(texts: list[str]) -> pd.DataFrame:
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError as error:  # pragma: no cover - a core dependency
        raise ImportError(
            "model='vader' needs vaderSentiment: pip install vaderSentiment"
        ) from error
    analyzer = SentimentIntensityAnalyzer()
    scores = pd.DataFrame.from_records([analyzer.polarity_scores(t) for t in texts])
    if scores.empty:
        scores = pd.DataFrame(columns=["neg", "neu", "pos", "compound"], dtype=float)
    compound = scores["compound"].to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "compound": compound,
            "label": _label(compound),
            "negative": scores["neg"].to_numpy(dtype=float),
            "neutral": scores["neu"].to_numpy(dtype=float),
            "positive": scores["pos"].to_numpy(dtype=float),
        }
    )


def _local_transformer(name: str) -> Callable[[list[str]], pd.DataFrame]:
    repo, polarity = _TRANSFORMERS[name]

    def score(texts: list[str]) -> pd.DataFrame:
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError as error:
            raise ImportError(
                f"model={name!r} needs transformers: pip install transformers torch"
            ) from error
        if not isinstance(try_to_load_from_cache(repo, "config.json"), str):  # no network
            raise ValueError(
                f"model={name!r} needs the weights of {repo} in the local Hugging Face cache, "
                "and voc never downloads models. Copy them there on a machine with network "
                f"access (huggingface-cli download {repo}), or use model='vader'"
            )
        from transformers import pipeline

        classify = pipeline(
            "text-classification", model=repo, top_k=None, model_kwargs={"local_files_only": True}
        )
        rows = classify(texts, truncation=True)
        probs = pd.DataFrame([{d["label"].lower(): d["score"] for d in row} for row in rows])
        probs = probs.reindex(columns=list(polarity), fill_value=0.0)
        compound = (probs["positive"] - probs["negative"]).to_numpy(dtype=float)
        return pd.DataFrame(
            {
                "compound": compound,
                "label": probs.idxmax(axis=1).to_numpy(dtype=object),
                "negative": probs["negative"].to_numpy(dtype=float),
                "neutral": probs["neutral"].to_numpy(dtype=float),
                "positive": probs["positive"].to_numpy(dtype=float),
            }
        )

    return score


#: Registry of sentiment models: name -> scorer of a list of texts.
MODELS: dict[str, Callable[[list[str]], pd.DataFrame]] = {
    "vader": _vader,
    **{name: _local_transformer(name) for name in _TRANSFORMERS},
}


def sentiment(texts: Any, *, model: str = "vader") -> pd.DataFrame:
    """Sentiment of each text: a compound score in [-1, 1] and a label.

    Parameters
    ----------
    texts : DataFrame, Series or list of str
        ``doc_id, text`` (and ``participant_id``, carried over), a Series (index = doc_id)
        or a list (doc_id = position), as for ``voc.topics.fit_topics``.
    model : {"vader", "roberta-sentiment"}, default="vader"
        "vader": VADER's compound score; label negative (<= -0.05), neutral or positive
        (>= 0.05), VADER's published cut-offs. "roberta-sentiment":
        cardiffnlp/twitter-roberta-base-sentiment-latest, only if its weights are already
        in the local Hugging Face cache (else a ValueError says so; nothing is
        downloaded); compound = P(positive) - P(negative), label = the likeliest class.

    Returns
    -------
    DataFrame
        One row per text, in input order: ``doc_id`` (``participant_id``), ``compound``,
        ``label``, and the ``negative``, ``neutral``, ``positive`` proportions (VADER) or
        probabilities (transformer).

    See Also
    --------
    MODEL_NOTE : what the model can and cannot see.

    References
    ----------
    Hutto, C. J., & Gilbert, E. (2014). VADER: A parsimonious rule-based model for sentiment
    analysis of social media text. ICWSM-14.

    Examples
    --------
    The second line shows a domain-word trap: "support" is a positive word to VADER.

    >>> from voc.sentiment import sentiment
    >>> sentiment(["VADER is smart, handsome, and funny.", "Support is slow."])[
    ...     ["doc_id", "compound", "label"]]
      doc_id  compound     label
    0      0    0.8316  positive
    1      1    0.4019  positive
    """
    if model not in MODELS:
        raise ValueError(f"model={model!r} is not a sentiment model; choose from {sorted(MODELS)}")
    docs = as_docs(texts)
    scores = MODELS[model](docs.texts)
    out = pd.DataFrame({"doc_id": docs.doc_ids})
    if docs.participant_ids is not None:
        out["participant_id"] = docs.participant_ids
    return pd.concat([out, scores.reset_index(drop=True)], axis=1)


def _check_scores(scores: pd.DataFrame) -> None:
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(f"scores must be a DataFrame; got {type(scores).__name__}")
    missing = [c for c in ("doc_id", "compound", "label") if c not in scores.columns]
    if missing:
        raise ValueError(f"scores lacks column(s) {missing}; pass the output of sentiment()")


def _group_rows(frame: pd.DataFrame, column: str, level: float) -> pd.DataFrame:
    from scipy import stats

    from voc._topic_groups import levels

    rows = []
    for name in levels(frame[column]):
        values = frame.loc[frame[column] == name, "compound"].to_numpy(dtype=float)
        n = len(values)
        mean = float(values.mean()) if n else np.nan
        sd = float(values.std(ddof=1)) if n > 1 else np.nan
        half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n) if n > 1 else np.nan
        n_negative = int((frame.loc[frame[column] == name, "label"] == "negative").sum())
        rows.append((column, name, n, mean, sd, mean - half, mean + half, n_negative))
    out = pd.DataFrame.from_records(
        rows, columns=["by", "group", "n", "mean", "sd", "ci_low", "ci_high", "n_negative"]
    )
    out["group"] = out["group"].astype(object)
    share = np.divide(
        out["n_negative"], out["n"], out=np.full(len(out), np.nan), where=out["n"] > 0
    )
    low, high = wilson(out["n_negative"].to_numpy(), out["n"].to_numpy(), level)
    return out.assign(share_negative=share, share_negative_ci_low=low, share_negative_ci_high=high)


def sentiment_by_group(
    scores: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    by: str | Sequence[str],
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean compound score and share of negative texts per group.

    ``groups`` is joined as in ``voc.topics.topics_by_group``: keyed by ``doc_id``, or by
    ``participant_id`` (then ``scores`` needs that column; `sentiment` carries it over from
    a documents frame). Texts without a group are left out.

    Parameters
    ----------
    scores : DataFrame
        The output of `sentiment`.
    groups : DataFrame
        ``doc_id`` or ``participant_id``, plus the ``by`` columns.
    by : str or list of str
        Each column is summarised on its own.
    level : float, default=0.95

    Returns
    -------
    DataFrame
        One row per ``by`` column x group: ``by``, ``group``, ``n``, ``mean`` (compound),
        ``sd``, ``ci_low``, ``ci_high`` (t interval of the mean), ``n_negative``,
        ``share_negative`` (0-1), ``share_negative_ci_low``, ``share_negative_ci_high``
        (Wilson).
    """
    _check_scores(scores)
    by_columns = as_columns(by, name="by")
    level = check_level(level)
    joined, _ = join_groups(scores, groups, by_columns, what="scores")
    frames = [_group_rows(joined[joined[b].notna()], b, level) for b in by_columns]
    return pd.concat(frames, ignore_index=True).astype({"n": "int64", "n_negative": "int64"})


@dataclass(frozen=True)
class ScoreAgreement:
    """What `sentiment_vs_score` returns.

    Attributes
    ----------
    correlation : DataFrame
        One row: ``n``, ``rho`` (Spearman), ``ci_low``, ``ci_high``, ``p_val``.
    by_nps_group : DataFrame
        `sentiment_by_group` of the scores by ``nps_group`` (detractor, passive, promoter).
    """

    correlation: pd.DataFrame = field(repr=False)
    by_nps_group: pd.DataFrame = field(repr=False)


def sentiment_vs_score(
    scores: pd.DataFrame, nps: pd.DataFrame, *, score: str = "nps", level: float = 0.95
) -> ScoreAgreement:
    """How well the sentiment of a comment agrees with the 0-10 score its writer gave.

    Spearman's rho between ``compound`` and the score, with a Fisher z interval, and the
    mean compound by NPS group. A low rho means the text and the score tell different
    stories: the comment explains one aspect, sarcasm fools the lexicon, or the model does
    not know the domain's words (see `MODEL_NOTE`).

    Parameters
    ----------
    scores : DataFrame
        The output of `sentiment`.
    nps : DataFrame
        ``doc_id`` or ``participant_id`` plus the ``score`` column (0-10), e.g.
        ``responses``.
    score : str, default="nps"
    level : float, default=0.95

    Returns
    -------
    ScoreAgreement
        ``correlation`` (``n, rho, ci_low, ci_high, p_val``) and ``by_nps_group``.

    Notes
    -----
    The interval is tanh(atanh(rho) +/- z * se) with se = sqrt(1.06 / (n - 3)), the
    variance Fieller, Hartley & Pearson (1957) give for Spearman's rho (Pearson's would be
    1 / (n - 3)). The p value is scipy's ``spearmanr`` (t approximation).

    References
    ----------
    Fieller, E. C., Hartley, H. O., & Pearson, E. S. (1957). Tests for rank correlation
    coefficients. I. Biometrika, 44(3/4), 470-481.
    """
    from scipy import stats

    from voc.survey import nps_group

    _check_scores(scores)
    level = check_level(level)
    if not isinstance(nps, pd.DataFrame) or score not in nps.columns:
        raise ValueError(
            f"nps must be a DataFrame with a {score!r} column (and doc_id or participant_id)"
        )
    grouped = nps.assign(nps_group=nps_group(nps[score]))
    groups = grouped[[c for c in ("doc_id", "participant_id") if c in grouped.columns]]
    groups = groups.assign(_score=grouped[score].to_numpy(), nps_group=grouped["nps_group"])
    joined, _ = join_groups(scores, groups, ["_score"], what="scores")
    pairs = joined[["compound", "_score"]].dropna()
    n = len(pairs)
    rho, p_val, low, high = np.nan, np.nan, np.nan, np.nan
    if n >= 4:
        result = stats.spearmanr(pairs["compound"], pairs["_score"])
        rho, p_val = float(result.statistic), float(result.pvalue)
        if np.isfinite(rho) and abs(rho) < 1:
            z, half = np.arctanh(rho), stats.norm.ppf(0.5 + level / 2) * np.sqrt(1.06 / (n - 3))
            low, high = float(np.tanh(z - half)), float(np.tanh(z + half))
    correlation = pd.DataFrame(
        {"n": [n], "rho": [rho], "ci_low": [low], "ci_high": [high], "p_val": [p_val]}
    )
    by_group = sentiment_by_group(
        scores, groups.drop(columns="_score"), by="nps_group", level=level
    )
    return ScoreAgreement(correlation, by_group)
