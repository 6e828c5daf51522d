"""Topic prevalence by segment, NPS group or wave, with a test per topic (private).

The public name is re-exported by :mod:`voc.topics`.
"""

from __future__ import annotations

import inspect
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from voc._survey_base import as_columns, check_adjust, check_level, p_adjust
from voc._topic_docs import join_groups, wilson

__all__ = ["levels", "topics_by_group"]

_N_MONTE_CARLO = 9999


def levels(series: pd.Series) -> list[Hashable]:
    """Observed labels in category order (categorical) or sorted order."""
    observed = pd.unique(series.dropna())
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(observed)
        return [c for c in series.cat.categories if c in present]
    return list(pd.Index(observed).sort_values())


def _test(frame: pd.DataFrame, column: str, in_topic: np.ndarray, rng: Any) -> dict[str, Any]:
    """Topic-vs-rest x group: ``voc.survey.crosstab_test`` (Pearson chi-square, Fisher for a
    sparse 2x2); a sparse 2 x k table (k > 2) gets Fisher's exact test by Monte Carlo."""
    import scipy.stats

    from voc.survey import crosstab_test

    data = pd.DataFrame({"in_topic": in_topic, column: frame[column].to_numpy()})
    result = crosstab_test(data, "in_topic", column).iloc[0].to_dict()
    table = pd.crosstab(data["in_topic"], data[column]).to_numpy()
    sparse = result["test"] == "chi2" and result["n_small_expected"] and min(table.shape) == 2
    if sparse and "method" in inspect.signature(scipy.stats.fisher_exact).parameters:
        # r x c Fisher's test needs scipy >= 1.15; older versions keep the chi-square + note
        method = scipy.stats.MonteCarloMethod(n_resamples=_N_MONTE_CARLO, rng=rng)
        fisher = scipy.stats.fisher_exact(table, method=method)
        result |= {
            "test": "fisher_mc",
            "stat": float(fisher.statistic),
            "dof": np.nan,
            "p_val": float(fisher.pvalue),
            "note": (
                f"Fisher's exact test by Monte Carlo ({_N_MONTE_CARLO} tables): "
                f"{result['n_small_expected']} expected counts below 5 (stat is the "
                "probability of the observed table)"
            ),
        }
    return result


def topics_by_group(
    doc_topics: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    by: str | Sequence[str],
    adjust: str = "holm",
    level: float = 0.95,
    random_state: int = 0,
) -> pd.DataFrame:
    """Share of documents in each topic per group, and whether the shares differ by group.

    ``groups`` brings the grouping columns: keyed by ``doc_id`` (one row per document) or
    by ``participant_id`` (one row per person, e.g. ``responses`` with an ``nps_group``
    column; then ``doc_topics`` needs ``participant_id``, which `fit_topics` carries over
    from a documents frame). Each key must appear once in ``groups``. Documents without a
    group (missing key or value) are left out and counted in ``n_missing``.

    Per topic and ``by`` column, the test is topic vs rest x group: Pearson's chi-square
    (``voc.survey.crosstab_test``); Fisher's exact test when the table is sparse (any
    expected count below 5): exact for 2 groups, Monte Carlo with 9,999 tables (seeded) for
    more. p values are adjusted over the topics of each ``by`` column. Outliers (topic -1)
    count as a topic of their own.

    Parameters
    ----------
    doc_topics : DataFrame
        ``doc_id, topic, topic_label`` (and ``participant_id``), as from `fit_topics`.
    groups : DataFrame
        ``doc_id`` or ``participant_id``, plus the ``by`` columns.
    by : str or list of str
        Grouping columns (segment, NPS group, wave); each is analysed on its own.
    adjust : {"holm", "bonferroni", "fdr_bh", "none"}, default="holm"
    level : float, default=0.95
        Confidence level of the Wilson intervals.
    random_state : int, default=0
        Seed of the Monte Carlo Fisher test.

    Returns
    -------
    DataFrame
        One row per ``by`` column x group x topic: ``by``, ``group``, ``topic``,
        ``topic_label``, ``n`` (documents of the group in the topic), ``n_group``, ``share``
        (0-1), ``ci_low``, ``ci_high`` (Wilson), then the topic's test, repeated on each of
        its rows: ``test`` ("chi2", "fisher" or "fisher_mc"), ``stat``, ``dof``, ``p_val``,
        ``p_adj``, ``effect_size`` (Cramér's V), ``note``, and ``n_missing``.

    See Also
    --------
    voc.survey.crosstab_test : the test used per topic.

    References
    ----------
    Agresti, A. (2007). An Introduction to Categorical Data Analysis (2nd ed.). Wiley.
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA, 22(158), 209-212.

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.topics as vt
    >>> doc_topics = pd.DataFrame({
    ...     "doc_id": [f"d{i}" for i in range(80)],
    ...     "participant_id": [f"p{i}" for i in range(80)],
    ...     "topic": [0] * 30 + [1] * 10 + [0] * 10 + [1] * 30,
    ...     "topic_label": ["sync"] * 30 + ["search"] * 10 + ["sync"] * 10 + ["search"] * 30,
    ... })
    >>> groups = pd.DataFrame({"participant_id": [f"p{i}" for i in range(80)],
    ...                        "nps_group": ["detractor"] * 40 + ["promoter"] * 40})
    >>> result = vt.topics_by_group(doc_topics, groups, by="nps_group")
    >>> result[["group", "topic_label", "n", "share", "test", "stat"]]
           group topic_label   n  share  test  stat
    0  detractor        sync  30   0.75  chi2  20.0
    1   promoter        sync  10   0.25  chi2  20.0
    2  detractor      search  10   0.25  chi2  20.0
    3   promoter      search  30   0.75  chi2  20.0
    """
    if not isinstance(doc_topics, pd.DataFrame):
        raise TypeError(f"doc_topics must be a DataFrame; got {type(doc_topics).__name__}")
    missing = [c for c in ("doc_id", "topic", "topic_label") if c not in doc_topics.columns]
    if missing:
        raise ValueError(f"doc_topics lacks column(s) {missing}; pass fit_topics(...).doc_topics")
    by_columns = as_columns(by, name="by")
    check_adjust(adjust)
    level = check_level(level)
    rng = np.random.default_rng(random_state)
    joined, _ = join_groups(doc_topics, groups, by_columns, what="doc_topics")
    labels = doc_topics.drop_duplicates("topic").set_index("topic")["topic_label"].to_dict()
    topics = sorted(labels, key=lambda t: (t == -1, t))
    frames = []
    for column in by_columns:
        has_group = joined[column].notna().to_numpy()
        frame = joined[has_group]
        names = levels(frame[column])
        group_index = pd.Index(names).get_indexer(frame[column])
        topic_index = pd.Index(topics).get_indexer(frame["topic"])
        counts = np.zeros((len(topics), len(names)), dtype=np.int64)
        np.add.at(counts, (topic_index, group_index), 1)
        n_group = counts.sum(axis=0)
        tests = [_test(frame, column, frame["topic"].to_numpy() == t, rng) for t in topics]
        p_adj = p_adjust(np.array([t["p_val"] for t in tests], dtype=float), adjust)
        for i, topic in enumerate(topics):
            low, high = wilson(counts[i], n_group, level)
            frames.append(
                pd.DataFrame(
                    {
                        "by": column,
                        "group": pd.Series(names, dtype=object),
                        "topic": topic,
                        "topic_label": labels[topic],
                        "n": counts[i],
                        "n_group": n_group,
                        "share": np.divide(
                            counts[i], n_group, out=np.full(len(names), np.nan), where=n_group > 0
                        ),
                        "ci_low": low,
                        "ci_high": high,
                        "test": tests[i]["test"],
                        "stat": tests[i]["stat"],
                        "dof": tests[i]["dof"],
                        "p_val": tests[i]["p_val"],
                        "p_adj": p_adj[i],
                        "effect_size": tests[i]["effect_size"],
                        "note": tests[i]["note"],
                        "n_missing": int((~has_group).sum()),
                    }
                )
            )
    result = pd.concat(frames, ignore_index=True)
    return result.astype({"topic": "int64", "n": "int64", "n_group": "int64", "dof": "float64"})
