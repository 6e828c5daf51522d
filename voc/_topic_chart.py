"""Topic colours keyed by content, and the chart of topic sizes (private; see voc.report)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

__all__ = ["TOPIC_PALETTE", "topic_colours", "topic_sizes_chart"]

#: 12 colours, distinguishable on screen and in grey print (Paul Tol's "muted" + 3)
TOPIC_PALETTE = (
    "#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77",
    "#cc6677", "#882255", "#aa4499", "#6f7d8c", "#b35806", "#2d6a8f",
)  # fmt: skip


def _key(label: str) -> bytes:
    return hashlib.blake2b(str(label).encode("utf-8"), digest_size=8).digest()


def topic_colours(labels: Sequence[str]) -> dict[str, str]:
    """A colour per topic label, keyed by the label's content, never by the topic number.

    The labels are ranked by a hash of their text and take the palette in that order, so the
    same topics get the same colours whatever their numbering or order, and no two topics
    share a colour while there are at most 12 (beyond that the palette repeats).
    """
    ranked = sorted(dict.fromkeys(str(x) for x in labels), key=_key)
    return {label: TOPIC_PALETTE[i % len(TOPIC_PALETTE)] for i, label in enumerate(ranked)}


def topic_sizes_chart(topics: Any, *, title: str = "Topics by share of documents") -> Any:
    """Horizontal bars of each topic's share, coloured by `topic_colours`."""
    from voc.report import Chart, _figure, _label, skipped

    rows = topics[topics["topic"] != -1].sort_values("share").reset_index(drop=True)
    if len(rows) == 0:
        return skipped("no topics to chart")
    colours = topic_colours(rows["label"].tolist())
    fig = _figure(7.0, 0.4 * len(rows) + 1.2)
    ax = fig.add_subplot()
    share = 100 * rows["share"].astype(float)
    ax.barh(range(len(rows)), share, color=[colours[str(x)] for x in rows["label"]])
    labels = [_label(x) for x in rows["label"]]
    ax.set_yticks(range(len(rows)), labels)
    ax.set_xlabel(f"% of {int(rows['size'].sum()):,} documents")
    ax.set_title(_label(title), loc="left", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    alt = f"{title}: " + ", ".join(
        f"{lab} {v:.0f}%" for lab, v in zip(labels[::-1], share[::-1], strict=True)
    )
    return Chart(fig, alt=alt, name="topic_sizes")
