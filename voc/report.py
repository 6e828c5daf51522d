"""Presentation: self-contained HTML pages for stakeholders. Computes no statistics.

Every page is one file with its CSS inline and its images as ``data:`` URIs, so it opens from an
e-mail attachment with no network. Pages carry a Content-Security-Policy that forbids scripts and
every request that is not a ``data:`` URI: even if a hostile verbatim slipped through as markup,
the browser would neither run it nor fetch anything. Text is *escaped*, never "sanitised": a quote
keeps every word.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from markdown_it import MarkdownIt

from voc._findings import anchor_id, segment_findings, table_name, theme_findings
from voc._topic_chart import TOPIC_PALETTE, topic_colours, topic_sizes_chart

__all__ = [
    "TOPIC_PALETTE",
    "Colophon",
    "colophon",
    "escape",
    "markdown_to_html",
    "page",
    "render_headlines",
    "render_notebook",
    "segment_findings",
    "skipped",
    "theme_findings",
    "topic_colours",
    "topic_sizes_chart",
]

CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; "
    "base-uri 'none'; form-action 'none'"
)

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#d9e2ec; --accent:#0b6e99; --bg:#fff;
        --soft:#f5f7fa; --warn:#b44d12; --bad:#b42318; --good:#1a7f37; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; color:var(--ink); background:var(--bg);
       font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.top { background:var(--soft); border-bottom:1px solid var(--line); padding:14px 24px; }
header.top .study { color:var(--muted); font-size:13px; }
header.top h1 { margin:2px 0 0; font-size:22px; }
nav { margin-top:8px; display:flex; flex-wrap:wrap; gap:4px 14px; font-size:14px; }
nav a { color:var(--accent); text-decoration:none; }
nav a[aria-current] { font-weight:600; color:var(--ink); }
main { max-width: 1080px; margin: 0 auto; padding: 18px 24px 48px; }
h1, h2, h3 { line-height:1.25; } h2 { margin-top:1.8em; border-bottom:1px solid var(--line); padding-bottom:4px; }
a { color:var(--accent); }
table { border-collapse: collapse; margin: 10px 0 18px; font-size: 13.5px; max-width:100%; }
.table-wrap { overflow-x:auto; max-width:100%; }
th, td { border-bottom:1px solid var(--line); padding:4px 10px; text-align:left; vertical-align:top;
         overflow-wrap:break-word; }
td { max-width: 42em; }
th { background:var(--soft); font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
img { max-width:100%; height:auto; }
pre { background:var(--soft); padding:8px 12px; overflow-x:auto; white-space:pre-wrap;
      overflow-wrap:anywhere; font-size:13px; }
main p, main li, main h1, main h2, main h3, header.top, blockquote.quote { overflow-wrap:anywhere; }
.note { border-left:4px solid var(--line); background:var(--soft); padding:8px 12px; margin:12px 0; }
.note.skipped { border-color: var(--muted); }
.note.error { border-color: var(--bad); }
.status-succeeded { color:var(--good); font-weight:600; } .status-failed { color:var(--bad); font-weight:600; }
.status-skipped, .status-not-run { color:var(--muted); }
.headlines { display:grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap:12px; margin:14px 0; }
.headline { border:1px solid var(--line); border-radius:6px; padding:10px 14px; min-width:0;
             overflow-wrap:anywhere; }
.headline .value { font-size:26px; font-weight:650; }
.headline .label { color:var(--muted); font-size:13px; }
.headline .detail { font-size:12.5px; color:var(--muted); margin-top:4px; }
ol.findings { padding-left:1.5em; } li.finding { margin:12px 0; }
li.finding .value { font-size:18px; font-weight:650; margin-right:4px; }
li.finding .basis { color:var(--muted); font-size:12.5px; margin-top:3px; }
blockquote.quote { margin:10px 0; padding:6px 14px; border-left:3px solid var(--accent); background:var(--soft); }
blockquote.quote footer { color:var(--muted); font-size:12.5px; margin-top:4px; }
footer.colophon { color:var(--muted); font-size:12.5px; border-top:1px solid var(--line); margin-top:36px; padding-top:10px; }
@media print { nav { display:none; } header.top { background:none; } }
"""

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def _image_rule(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    # Remote images would make the browser fetch a URL when the page opens: show them as text.
    token = tokens[idx]
    src = token.attrGet("src") or ""
    alt = "".join(child.content for child in token.children or [])
    if src.startswith("data:image/png;base64,") or src.startswith("data:image/jpeg;base64,"):
        return f'<img src="{escape(src)}" alt="{escape(alt)}">'
    return f'<span class="image-link">[image: {escape(alt)} — {escape(src)}]</span>'


def _link_open_rule(self, tokens, idx, options, env):  # type: ignore[no-untyped-def]
    tokens[idx].attrSet("rel", "noopener noreferrer")
    return self.renderToken(tokens, idx, options, env)


_md.add_render_rule("image", _image_rule)
_md.add_render_rule("link_open", _link_open_rule)


def escape(text: Any) -> str:
    """HTML-escape *text* (quotes included)."""
    return html.escape(str(text), quote=True)


#: Longest text shown in a table cell, a heading or a headline; the CSV keeps the full text.
MAX_CELL_CHARS = 2_000
#: Longest quote shown; longer ones end with a marker saying how much is not shown.
MAX_QUOTE_CHARS = 5_000
#: Longest chart label (tick labels, titles): charts are read at a glance.
MAX_LABEL_CHARS = 60
#: A table in a report page shows at most this many rows; a note points to the saved CSV.
MAX_TABLE_ROWS = 100


def _clip(text: Any, limit: int = MAX_CELL_CHARS) -> str:
    """*text* cut at *limit* characters with a visible marker saying how many are not shown."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit:,} more characters not shown]"


def _label(text: Any, limit: int = MAX_LABEL_CHARS) -> str:
    """A chart label cut at *limit* characters, ending with "…" when cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def markdown_to_html(text: str) -> str:
    """Render Markdown with raw HTML disabled, unsafe link schemes refused, no remote images."""
    return _md.render(text)


def page(
    title: str,
    body: str,
    *,
    study_title: str = "",
    nav: Sequence[tuple[str, str]] = (),
    current: str = "",
    footer: str = "",
) -> str:
    """A complete, self-contained HTML page. *body* and *footer* are trusted HTML fragments."""
    links = " ".join(
        f'<a href="{escape(href)}"{" aria-current=page" if href == current else ""}>{escape(label)}</a>'
        for label, href in nav
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{escape(title)}{' — ' + escape(study_title) if study_title else ''}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header class="top"><div class="study">{escape(study_title)}</div>'
        f"<h1>{escape(title)}</h1>{f'<nav>{links}</nav>' if links else ''}</header>\n"
        f"<main>\n{body}\n"
        f"{f'<footer class=colophon>{footer}</footer>' if footer else ''}\n</main>\n</body>\n</html>\n"
    )


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _data_uri(mime: str, data: str | bytes) -> str:
    if mime == "image/svg+xml":
        raw = data.encode("utf-8") if isinstance(data, str) else data
        data = base64.b64encode(raw).decode("ascii")
    elif isinstance(data, bytes):
        data = base64.b64encode(data).decode("ascii")
    return f"data:{mime};base64,{''.join(str(data).split())}"


def _render_output(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        if output.get("name") == "stderr":
            return ""  # warnings and progress chatter are not for stakeholders
        return f"<pre>{escape(output.get('text', ''))}</pre>"
    if kind == "error":
        return (
            '<div class="note error"><strong>Error:</strong> '
            f"{escape(output.get('ename', ''))}: {escape(_ANSI.sub('', output.get('evalue', '')))}</div>"
        )
    data = output.get("data", {})
    if "text/html" in data:
        return f'<div class="table-wrap">{data["text/html"]}</div>'
    for mime in ("image/svg+xml", "image/png", "image/jpeg"):
        if mime in data:
            alt = escape(data.get("text/plain", "chart"))
            anchor = str((output.get("metadata") or {}).get(mime, {}).get("anchor") or "")
            ident = f' id="{escape(anchor)}"' if _ANCHOR.fullmatch(anchor) else ""
            return f'<img{ident} src="{_data_uri(mime, data[mime])}" alt="{alt}">'
    if "text/markdown" in data:
        return markdown_to_html(data["text/markdown"])
    if "text/plain" in data:
        return f"<pre>{escape(_ANSI.sub('', data['text/plain']))}</pre>"
    return ""


_HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell", "remove_cell", "hide"}
_ANCHOR = re.compile(r"(?:tbl|fig)-[a-z0-9-]+")
_ANCHOR_ATTR = re.compile(r'(<(?:div|img) )id="((?:tbl|fig)-[a-z0-9-]+)"')


def _unique_anchors(body: str) -> str:
    """Anchors made unique in a page: a table shown twice gets ``-2`` on its second id."""
    seen: dict[str, int] = {}

    def renumber(match: re.Match[str]) -> str:
        name = match.group(2)
        seen[name] = seen.get(name, 0) + 1
        suffix = f"-{seen[name]}" if seen[name] > 1 else ""
        return f'{match.group(1)}id="{name}{suffix}"'

    return _ANCHOR_ATTR.sub(renumber, body)


def page_anchors(html_page: str) -> set[str]:
    """The table and chart anchors (``tbl-*``, ``fig-*``) of a rendered page."""
    return {m.group(2) for m in _ANCHOR_ATTR.finditer(html_page)}


def render_notebook(
    nb: Any,
    *,
    title: str,
    study_title: str = "",
    nav: Sequence[tuple[str, str]] = (),
    current: str = "",
    footer: str = "",
) -> str:
    """Render an executed notebook as a stakeholder page: Markdown and outputs, no code."""
    parts: list[str] = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & _HIDDEN_TAGS:
            continue
        if cell.cell_type == "markdown":
            parts.append(f'<section class="md">{markdown_to_html(cell.source)}</section>')
        elif cell.cell_type == "code":
            parts.extend(filter(None, (_render_output(o) for o in cell.get("outputs", []))))
    body = _unique_anchors("\n".join(parts))
    return page(title, body, study_title=study_title, nav=nav, current=current, footer=footer)


def render_headlines(headlines: Iterable[dict[str, Any]]) -> str:
    """Headline numbers as cards (escaped)."""
    cards = [
        '<div class="headline">'
        f'<div class="value">{escape(_clip(h.get("value", "")))}</div>'
        f'<div class="label">{escape(_clip(h.get("label", "")))}</div>'
        + (f'<div class="detail">{escape(_clip(h["detail"]))}</div>' if h.get("detail") else "")
        + "</div>"
        for h in headlines
    ]
    return f'<div class="headlines">{"".join(cards)}</div>' if cards else ""


def table_html(
    rows: Sequence[Sequence[Any]], header: Sequence[str], *, numeric: Sequence[int] = ()
) -> str:
    """A small escaped HTML table; columns whose index is in *numeric* are right-aligned."""

    def cell(tag: str, i: int, value: Any) -> str:
        cls = ' class="num"' if i in numeric else ""
        return f"<{tag}{cls}>{value}</{tag}>"

    head = "".join(cell("th", i, escape(h)) for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


class _Note:
    def __init__(self, text: str, kind: str = "") -> None:
        self.text, self.kind = text, kind

    def _repr_html_(self) -> str:
        return f'<div class="note {self.kind}">{escape(self.text)}</div>'

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text


def skipped(reason: str) -> _Note:
    """A visible note that a part of the analysis did not apply to this study."""
    return _Note(f"Skipped: {reason}", "skipped")


class Colophon:
    """Provenance shown at the end of every notebook: versions, commit, inputs and their hashes."""

    def __init__(self, study: Any) -> None:
        from voc.provenance import environment, input_hashes, voc_commit

        self.study = study
        self.environment = environment()
        self.commit = voc_commit()
        self.inputs = input_hashes(study)

    def _repr_html_(self) -> str:
        env = self.environment
        pkgs = ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v)
        rows = [
            (escape(name), f"<code>{escape(digest[:16])}…</code>")
            for name, digest in self.inputs.items()
        ]
        return (
            "<h2>Colophon</h2>"
            f"<p>voc {escape(env['voc'])} (commit <code>{escape(self.commit)}</code>), "
            f"Python {escape(env['python'])} on {escape(env['platform'])}.</p>"
            f"<p>Packages: {escape(pkgs)}.</p>"
            f"<p>Random seed: {escape(self.study.analysis.random_seed)}.</p>"
            + table_html(rows, ["input file", "sha256"])
        )

    def __repr__(self) -> str:
        return f"Colophon(voc {self.environment['voc']}, commit {self.commit}, {len(self.inputs)} inputs)"


def colophon(study: Any) -> Colophon:
    """The provenance block that ends every notebook (versions, git commit, input hashes)."""
    return Colophon(study)


class Chart:
    """A matplotlib figure that displays as SVG (text drawn as paths: nothing to inject).

    Built on ``matplotlib.figure.Figure`` directly, not pyplot, so the notebook's inline backend
    does not show it a second time.
    """

    def __init__(self, figure: Any, *, alt: str = "chart", name: str = "") -> None:
        self.figure, self.alt = figure, _clip(alt)
        self.anchor = anchor_id(name, "fig")

    def _repr_svg_(self) -> str | tuple[str, dict[str, str]]:
        import io

        buf = io.StringIO()
        self.figure.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        # the anchor travels as display metadata: the report gives the image that id
        return (buf.getvalue(), {"anchor": self.anchor}) if self.anchor else buf.getvalue()

    def __repr__(self) -> str:
        return self.alt


def _figure(width: float, height: float) -> Any:
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "path"
    matplotlib.rcParams["svg.hashsalt"] = "voc"
    # Labels are data: "$...$" in a segment value is text, not TeX (and bad TeX would raise).
    matplotlib.rcParams["text.parse_math"] = False
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def interval_chart(
    table: Any,
    *,
    label: str,
    value: str,
    low: str = "ci_low",
    high: str = "ci_high",
    title: str = "",
    xlabel: str = "",
    n: str | None = "n",
    suppress_below: int = 5,
) -> Chart:
    """Horizontal dots with interval bars, one row per group (e.g. NPS by region with its CI).

    Groups whose base (column *n*) is below *suppress_below* are left out, and the axis
    label names them.
    """
    rows = table.reset_index(drop=True)
    left_out = []
    if n is not None and n in rows:
        small = rows[n].fillna(0).to_numpy() < suppress_below
        left_out = [_label(v) for v in rows.loc[small, label]]
        rows = rows[~small].reset_index(drop=True)
        if left_out:
            hidden = ", ".join(left_out)
            xlabel = f"{xlabel or value}; not shown (base below {suppress_below}): {hidden}"
    fig = _figure(7.0, 0.45 * len(rows) + 1.2)
    ax = fig.add_subplot()
    y = list(range(len(rows)))[::-1]
    ax.errorbar(
        rows[value],
        y,
        xerr=[rows[value] - rows[low], rows[high] - rows[value]],
        fmt="o",
        color="#0b6e99",
        ecolor="#7fb8d4",
        elinewidth=3,
        capsize=0,
    )
    names = [_label(v) for v in rows[label]]
    if n is not None and n in rows:
        names = [f"{name} (n={int(count):,})" for name, count in zip(names, rows[n], strict=True)]
    ax.set_yticks(y, names)
    ax.axvline(0, color="#9aa5b1", linewidth=0.8)
    ax.set_xlabel(_label(xlabel or value, 2 * MAX_LABEL_CHARS))
    if title:
        ax.set_title(_label(title, 2 * MAX_LABEL_CHARS), loc="left", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return Chart(fig, alt=title or f"{value} by {label}")


class Table:
    """A DataFrame shown as an escaped HTML table, numbers rounded, index hidden."""

    def __init__(
        self, frame: Any, *, digits: int = 1, caption: str = "", name: str | None = None
    ) -> None:
        self.frame, self.digits, self.caption = frame, digits, caption
        self.name = table_name(frame) if name is None else name
        self.anchor = anchor_id(self.name)

    def _more_rows(self) -> str:
        """The note under a table cut to ``MAX_TABLE_ROWS`` rows ("" when it is not cut)."""
        n_rows = len(self.frame)
        if n_rows <= MAX_TABLE_ROWS:
            return ""
        where = (
            f"the full table is in tables/{self.name}.csv"
            if self.name
            else "the other rows are not shown"
        )
        return f'<p class="note">First {MAX_TABLE_ROWS:,} of {n_rows:,} rows; {escape(where)}.</p>'

    def _repr_html_(self) -> str:
        import pandas as pd

        frame = self.frame.head(MAX_TABLE_ROWS).copy()
        for col in frame.columns:
            if pd.api.types.is_float_dtype(frame[col]):
                frame[col] = frame[col].round(self.digits)
            elif frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
                frame[col] = frame[col].map(
                    lambda v: _clip(v) if isinstance(v, str) and len(v) > MAX_CELL_CHARS else v
                )
            elif isinstance(frame[col].dtype, pd.api.extensions.ExtensionDtype):
                # nullable integers and booleans: a missing value is a blank cell, not "<NA>"
                frame[col] = frame[col].astype(object).where(frame[col].notna(), "")
        if not isinstance(frame.columns, pd.MultiIndex):
            frame.columns = [_clip(c) if isinstance(c, str) else c for c in frame.columns]
        body = frame.to_html(
            index=False,
            escape=True,
            na_rep="",
            border=0,
            float_format=lambda v: f"{v:,.{self.digits}f}",
        )
        caption = f"<p><strong>{escape(_clip(self.caption))}</strong></p>" if self.caption else ""
        body = f'<div class="table-wrap">{body}</div>{self._more_rows()}'
        if self.anchor:
            return f'<div id="{self.anchor}">{caption}{body}</div>'
        return f"{caption}{body}"

    def __repr__(self) -> str:
        return repr(self.frame)


def table(
    frame: Any,
    *,
    digits: int = 1,
    caption: str = "",
    name: str | None = None,
    suppress_below: int | None = None,
    base: str | Sequence[str] = "n",
) -> Table:
    """Show *frame* in the report: escaped, rounded to *digits*, without the index.

    The table gets the anchor ``tbl-<name>`` (links from the index's key findings land on it);
    *name* defaults to the name *frame* was saved under with ``voc.io.save_table``.
    A page shows at most ``MAX_TABLE_ROWS`` (100) rows, then a note with the row count and
    where the full table is (``tables/<name>.csv``), so a table of a million respondents
    keeps the page small.

    Small cells: with *suppress_below* (``study.analysis.suppress_below``), a row whose count
    in a *base* column (``"n"``, or e.g. ``["n_mention", "n_other"]``) is below it keeps its
    labels, shows that base as ``< 5`` and every other number blank, and the caption says so.
    Without it, rows flagged by a ``suppress`` column (``voc.survey.flag_bases``) are blanked.
    The saved CSV keeps every value.
    """
    shown, note = _suppressed(frame, base=base, suppress_below=suppress_below)
    name = table_name(frame) if name is None else name
    return Table(shown, digits=digits, caption=f"{caption} {note}".strip(), name=name)


def _suppressed(
    frame: Any, *, base: str | Sequence[str], suppress_below: int | None
) -> tuple[Any, str]:
    """*frame* with the numbers of its small-base rows blanked, and the note that says so."""
    import pandas as pd

    bases = [b for b in ([base] if isinstance(base, str) else list(base)) if b in frame.columns]
    if suppress_below is not None and bases:
        counts = frame[bases].apply(pd.to_numeric, errors="coerce").fillna(0)
        small = counts < suppress_below
        hidden = small.any(axis=1).to_numpy()
        note = (
            f"Values hidden where the base ({', '.join(bases)}) is below {suppress_below}: "
            f"{int(hidden.sum())} row{'s' if hidden.sum() != 1 else ''}."
        )
    elif "suppress" in frame.columns:
        small = None
        hidden = frame["suppress"].fillna(False).astype(bool).to_numpy()
        note = f"Values hidden where the base is too small to show: {int(hidden.sum())} rows."
    else:
        return frame, ""
    if not hidden.any():
        return frame, ""
    shown = frame.copy()
    for col in shown.columns:
        values = shown[col]
        if small is not None and col in bases:
            mark = small[col].to_numpy()
            shown[col] = values.astype(object).where(~mark, f"< {suppress_below}")
        elif pd.api.types.is_float_dtype(values):
            shown[col] = values.mask(hidden)
        elif pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            shown[col] = values.astype(object).where(~hidden, "")
    shown.attrs = dict(frame.attrs)
    return shown, note


def nps_headline(overall: Any, *, level: float = 0.95, ci: str = "") -> dict[str, str]:
    """Headline finding for a one-row NPS table (as from ``voc.survey.nps``).

    With its base, its interval (*ci* names the method) and the table's anchor.
    """
    row = overall.iloc[0]
    method = f" ({ci} interval)" if ci else ""
    return {
        "label": "Net Promoter Score",
        "value": f"{row['nps']:+.0f}",
        "detail": f"{level:.0%} CI {row['ci_low']:+.0f} to {row['ci_high']:+.0f} · n = {int(row['n']):,}",
        "section": "survey",
        "base": f"n = {int(row['n']):,} respondents who answered the question",
        "test": f"{level:.0%} confidence interval{method}",
        "anchor": anchor_id(table_name(overall)),
    }


def interviews_headline(interviews: Any) -> dict[str, str]:
    """Label, value and detail for the interview summary (as from ``voc.qual.interview_summary``)."""
    return {
        "label": "Interviews",
        "value": f"{len(interviews):,}",
        "detail": f"{int(interviews['n_participant_turns'].sum()):,} participant turns, "
        f"{int(interviews['n_words'].sum()):,} words",
        "section": "interviews",
    }


_NPS_HEADERS = {
    "n": "n",
    "pct_promoters": "Promoters %",
    "pct_passives": "Passives %",
    "pct_detractors": "Detractors %",
    "nps": "NPS",
    "ci_low": "CI low",
    "ci_high": "CI high",
}


def nps_table(
    table: Any, *, caption: str = "", suppress_below: int = 5, min_base: int = 30
) -> Table:
    """An NPS table (from ``voc.survey.nps``) as stakeholders read it.

    Keeps the group columns, the base and the shares, NPS and its interval; marks bases below
    *min_base* with a dagger and blanks the estimates of groups below *suppress_below*
    (their base shows as ``< 5``).
    """
    import pandas as pd

    if len(table) == 0:
        return Table(
            pd.DataFrame({"": ["Not available: study.yaml declares no such column."]}),
            caption=caption,
        )
    keys = [
        c
        for c in table.columns
        if c not in _NPS_HEADERS
        and not c.startswith(("n_", "pct_"))
        and c
        not in {
            "se",
            "small_base",
            "suppress",
            "n_weighted",
            "n_eff",
            "n_missing",
            "change",
            "se_change",
            "z",
            "p_val",
            "p_adj",
        }
    ]
    shown = table[keys + list(_NPS_HEADERS)].copy()
    small = table["n"] < min_base
    hidden = table["n"] < suppress_below
    estimates = [c for c in _NPS_HEADERS if c != "n"]
    shown[estimates] = shown[estimates].astype("float64").mask(hidden)
    shown["n"] = [
        f"< {suppress_below}" if h else f"{int(n):,}{' †' if s else ''}"
        for n, s, h in zip(table["n"], small, hidden, strict=True)
    ]
    shown = shown.rename(columns=_NPS_HEADERS)
    notes = []
    if small.any():
        notes.append(f"† base below {min_base}: read with caution")
    if hidden.any():
        notes.append(f"estimates hidden for bases below {suppress_below}")
    text = caption + (f" ({'; '.join(notes)})" if notes else "")
    return Table(
        pd.DataFrame(shown).reset_index(drop=True), digits=1, caption=text, name=table_name(table)
    )


def importance_chart(table: Any, *, title: str = "Key drivers of NPS") -> Chart | _Note:
    """Horizontal bars of each driver's share of R² (percent) with its bootstrap interval."""
    if len(table) == 0:
        return skipped("no drivers: the study declares no NPS or no Likert items")
    rows = table.sort_values("rescaled").reset_index(drop=True)
    fig = _figure(7.0, 0.45 * len(rows) + 1.4)
    ax = fig.add_subplot()
    labels = [_label(v) for v in (rows["label"] if "label" in rows else rows["driver"])]
    ax.barh(range(len(rows)), rows["rescaled"], color="#0b6e99")
    ax.errorbar(
        rows["rescaled"],
        range(len(rows)),
        xerr=[rows["rescaled"] - rows["ci_low"], rows["ci_high"] - rows["rescaled"]],
        fmt="none",
        ecolor="#1f2933",
        elinewidth=1,
        capsize=3,
    )
    ax.set_yticks(range(len(rows)), labels)
    n = int(rows["n"].iloc[0])
    r2 = float(rows["r2"].iloc[0])
    ax.set_xlabel(f"share of explained variance in NPS, % (R² = {r2:.2f}, n = {n:,})")
    ax.set_title(title, loc="left", fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return Chart(
        fig,
        alt=f"{title}: "
        + ", ".join(
            f"{lab} {v:.0f}%" for lab, v in zip(labels[::-1], rows["rescaled"][::-1], strict=True)
        ),
        name=table_name(table),
    )


def likert_chart(summary: Any, *, title: str = "Agreement with each statement") -> Chart | _Note:
    """Diverging stacked bars of a Likert battery (from ``voc.survey.likert_summary``)."""
    if len(summary) == 0:
        return skipped("no Likert items declared in study.yaml")
    pct_cols = [c for c in summary.columns if c.startswith("pct_") and c[4:].isdigit()]
    k = len(pct_cols)
    colours = ["#b42318", "#f08c6c", "#d9e2ec", "#7fb8d4", "#0b6e99"] if k == 5 else None
    if colours is None:
        import matplotlib

        colours = [matplotlib.colormaps["RdBu"](i / (k - 1)) for i in range(k)]
    rows = summary.reset_index(drop=True)
    fig = _figure(8.0, 0.5 * len(rows) + 1.6)
    ax = fig.add_subplot()
    y = list(range(len(rows)))[::-1]
    mid = k // 2
    left = -rows[pct_cols[:mid]].sum(axis=1) - (rows[pct_cols[mid]] / 2 if k % 2 else 0)
    for col, colour in zip(pct_cols, colours, strict=True):
        ax.barh(
            y, rows[col], left=left, color=colour, label=col[4:], edgecolor="white", linewidth=0.5
        )
        left = left + rows[col]
    labels = [
        f"{_label(lab)} (n={int(n):,})"
        for lab, n in zip(rows.get("label", rows["item"]), rows["n"], strict=True)
    ]
    ax.set_yticks(y, labels)
    ax.axvline(0, color="#1f2933", linewidth=0.8)
    ax.set_xlabel("% of answers (disagreement left, agreement right)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(
        title="answer", ncols=k, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False
    )
    ax.spines[["top", "right"]].set_visible(False)
    return Chart(fig, alt=title)


def segments_table(
    table: Any, *, caption: str = "", suppress_below: int = 5, min_base: int = 30
) -> Table:
    """NPS by segment (from ``voc.survey.nps_by_segments``) with significance letters.

    A group whose base is below *suppress_below* shows ``n < 5`` and no estimate, and its
    letter is taken out of the other groups' comparisons.
    """
    import pandas as pd

    hidden = (table["n"] < suppress_below).to_numpy()
    gone = set(zip(table["segment"][hidden], table["letter"][hidden], strict=True))
    higher = [
        "" if h else "".join(c for c in _text(v) if (seg, c) not in gone)
        for seg, v, h in zip(table["segment"], table["higher_than"], hidden, strict=True)
    ]
    shown = pd.DataFrame(
        {
            "segment": table["segment"],
            "group": table["group"],
            "": table["letter"],
            "n": [
                f"< {suppress_below}" if h else f"{int(n):,}{' †' if n < min_base else ''}"
                for n, h in zip(table["n"], hidden, strict=True)
            ],
            "NPS": table["nps"].astype("float64").mask(hidden),
            "CI low": table["ci_low"].astype("float64").mask(hidden),
            "CI high": table["ci_high"].astype("float64").mask(hidden),
            "higher than": higher,
        }
    )
    note = (
        "Letters: within a segment, a group's NPS is significantly higher than the groups "
        "whose letters are listed (pairwise z-tests, Holm-adjusted)."
    )
    if (table["n"] < min_base).any():
        note += f" † base below {min_base}."
    if hidden.any():
        note += f" Groups with a base below {suppress_below} are not shown or compared."
    return Table(shown, digits=1, caption=f"{caption} {note}".strip(), name=table_name(table))


def crosstab_table(
    cells: Any,
    test: Any | None = None,
    *,
    caption: str = "",
    suppress_below: int = 5,
    min_base: int = 30,
) -> Table:
    """A survey crosstab (from ``voc.survey.crosstab``): column % with column-proportion letters.

    Rows are the row variable's categories, columns the column variable's (each headed with its
    letter and base); a cell shows its column percentage followed by the letters of the columns
    it is significantly higher than. The test from ``voc.survey.crosstab_test`` goes in the caption.
    """
    import pandas as pd

    cols = list(dict.fromkeys(cells["col"]))
    rows = list(dict.fromkeys(cells["row"]))
    body = {"": [str(r) for r in rows]}
    hidden, small = [], False
    gone = set(cells.loc[cells["n_col"] < suppress_below, "col_letter"].astype(str))
    for col in cols:
        sub = cells[cells["col"] == col].set_index("row")
        base = int(sub["n_col"].iloc[0])
        letter = sub["col_letter"].iloc[0]
        if base < suppress_below:  # neither its base nor a comparison with it is shown
            hidden.append(str(col))
            body[f"{col} ({letter}, n < {suppress_below})"] = ["–"] * len(rows)
            continue
        head = f"{col} ({letter}, n={base:,}{' †' if base < min_base else ''})"
        small |= base < min_base
        body[head] = [
            (
                f"{sub.loc[r, 'pct_col']:.1f}% "
                + "".join(c for c in _text(sub.loc[r, "sig_higher"]) if c not in gone)
            ).strip()
            if r in sub.index
            else ""
            for r in rows
        ]
    text = caption
    if hidden:
        text += f" Columns with a base below {suppress_below} are hidden ({', '.join(hidden)})."
    if small:
        text += f" † base below {min_base}: read with caution."
    if test is not None and len(test):
        t = test.iloc[0]
        if t["test"] == "chi2":
            text += (
                f" χ²({int(t['dof'])}) = {t['stat']:.1f}, p = {_p(t['p_val'])}, "
                f"Cramér's V = {t['effect_size']:.2f}, n = {int(t['n']):,}."
            )
        else:
            text += f" {t['test']}: p = {_p(t['p_val'])}, n = {int(t['n']):,}."
    text += " Letters: significantly higher than that column (z-tests, Bonferroni within row)."
    return Table(pd.DataFrame(body), caption=text.strip(), name=table_name(cells))


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _text(value: Any) -> str:
    """A text cell as text; a missing value as ``""``."""
    return value if isinstance(value, str) else ""


def nps_change_headline(trend: Any, *, level: float = 0.95) -> dict[str, str]:
    """Headline for the change in NPS between the last two waves (from ``voc.survey.nps_trend``).

    A finding with both waves' bases, the z-test and the table's anchor (not a finding, just a
    note, when there are fewer than two waves).
    """
    if len(trend) == 0:
        return {
            "label": "NPS change between waves",
            "value": "n/a",
            "detail": "no survey waves declared",
            "section": "survey",
        }
    last = trend.iloc[-1]
    first = trend.iloc[-2] if len(trend) > 1 else last
    wave = trend.columns[0]
    change = last.get("change")
    if len(trend) < 2 or change != change:  # NaN
        return {
            "label": "NPS change between waves",
            "value": "n/a",
            "detail": "one wave only",
            "section": "survey",
        }
    verdict = "significant" if last["p_val"] < 1 - level else "not significant"
    return {
        "label": f"NPS change, {first[wave]} → {last[wave]}",
        "value": f"{change:+.1f} pts",
        "detail": f"z = {last['z']:.2f}, p = {_p(last['p_val'])} ({verdict} at {1 - level:.0%}) · "
        f"n = {int(first['n']):,} / {int(last['n']):,}",
        "section": "survey",
        "base": f"n = {int(first['n']):,} ({first[wave]}) and {int(last['n']):,} ({last[wave]})",
        "test": f"z-test of the difference between the two waves' NPS: p = {_p(last['p_val'])}",
        "anchor": anchor_id(table_name(trend)),
    }


def driver_headline(
    drivers: Any, *, method: str = "relative_weights", level: float = 0.95
) -> dict[str, str]:
    """Headline finding naming the strongest driver (from ``voc.drivers.key_drivers``).

    With its base, the method and its bootstrap interval, and the anchor of the drivers chart;
    says when the top two drivers' intervals overlap (their order is then uncertain).
    """
    if len(drivers) == 0:
        return {
            "label": "Top driver of NPS",
            "value": "n/a",
            "detail": "no drivers declared",
            "section": "survey",
        }
    ranked = drivers.sort_values("rank")
    top = ranked.iloc[0]
    detail = (
        f"“{top.get('label', top['driver'])}”: {top['rescaled']:.0f}% of explained "
        f"variance (CI {top['ci_low']:.0f}–{top['ci_high']:.0f})"
    )
    if len(ranked) > 1:
        second = ranked.iloc[1]
        detail += f"; next: {str(second['driver']).replace('_', ' ')} {second['rescaled']:.0f}%"
        if top["ci_low"] <= second["ci_high"]:
            detail += " (the two intervals overlap: their order is not certain)"
    words = {"relative_weights": "Johnson's relative weights", "dominance": "dominance analysis"}
    return {
        "label": "Top driver of NPS",
        "value": str(top["driver"]).replace("_", " "),
        "detail": detail + f" · n = {int(top['n']):,}",
        "section": "survey",
        "base": f"n = {int(top['n']):,} respondents who answered the NPS question and every item",
        "test": f"{words.get(method, method)}: share of R² = {top['r2']:.2f}, with "
        f"{level:.0%} bootstrap percentile intervals",
        "anchor": anchor_id(table_name(drivers), "fig"),
    }


def heatmap(
    table: Any,
    *,
    row: str,
    col: str,
    value: str,
    title: str = "",
    fmt: str = "{:.0f}",
    note: str = "",
    base: str | None = None,
    suppress_below: int = 5,
) -> Chart | _Note:
    """A heatmap of a long table (e.g. code × NPS group shares, code co-occurrence).

    With *base* (the count column a cell's value rests on, e.g. ``"n_group"``), cells whose
    base is below *suppress_below* are left empty; a column or row left with no value is
    dropped, and the colour-bar label names what was hidden.
    """
    import numpy as np

    if len(table) == 0:
        return skipped(f"nothing to show for {title or value}")
    if base is not None:
        small = table[base].fillna(0).to_numpy() < suppress_below
        if small.any():
            table = table.assign(**{value: table[value].astype("float64").mask(small)})
            note = f"{note or value}; hidden where the base is below {suppress_below}"
    wide = table.pivot_table(
        index=row, columns=col, values=value, aggfunc="first", observed=True, sort=False
    )
    fig = _figure(1.1 * len(wide.columns) + 3.2, 0.42 * len(wide.index) + 1.6)
    ax = fig.add_subplot()
    data = wide.to_numpy(dtype=float)
    image = ax.imshow(data, cmap="Blues", aspect="auto")
    ax.set_xticks(
        range(len(wide.columns)), [_label(c) for c in wide.columns], rotation=30, ha="right"
    )
    ax.set_yticks(range(len(wide.index)), [_label(i) for i in wide.index])
    top = float(np.nanmax(data)) if np.isfinite(data).any() else 0.0
    for (i, j), v in np.ndenumerate(data):
        if np.isfinite(v):
            ax.text(
                j,
                i,
                fmt.format(v),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v > 0.6 * top else "#1f2933",
            )
    fig.colorbar(image, ax=ax, shrink=0.8, label=_label(note or value, 2 * MAX_LABEL_CHARS))
    if title:
        ax.set_title(_label(title, 2 * MAX_LABEL_CHARS), loc="left", fontsize=11)
    return Chart(fig, alt=title or f"{value} by {row} and {col}", name=table_name(table))


def saturation_chart(curve: Any, *, title: str = "Code saturation") -> Chart | _Note:
    """New and cumulative codes per additional interview (from ``voc.qual.saturation``)."""
    if len(curve) == 0:
        return skipped("no codings: nothing to saturate")
    fig = _figure(7.0, 3.6)
    ax = fig.add_subplot()
    ax.fill_between(
        curve["k"],
        curve["ci_low"],
        curve["ci_high"],
        color="#7fb8d4",
        alpha=0.5,
        label="95% of random orders",
    )
    ax.plot(
        curve["k"],
        curve["mean_cumulative_codes"],
        color="#0b6e99",
        marker="o",
        markersize=3,
        label="codes found (mean over orders)",
    )
    ax.bar(curve["k"], curve["mean_new_codes"], color="#f08c6c", alpha=0.7, label="new codes")
    ax.set_xlabel(
        f"interviews (n = {int(curve['n_participants'].iloc[0])}, "
        f"{int(curve['n_orders'].iloc[0])} random orders)"
    )
    ax.set_ylabel("codes")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="center right")
    ax.spines[["top", "right"]].set_visible(False)
    return Chart(fig, alt=title)


class Quotes:
    """Exemplar quotes as block quotes with their provenance (all text escaped)."""

    def __init__(self, quotes: Any, *, by: str = "code") -> None:
        self.quotes, self.by = quotes, by

    def _repr_html_(self) -> str:
        if len(self.quotes) == 0:
            return '<div class="note skipped">No quotes.</div>'
        parts = []
        for key, group in self.quotes.groupby(self.by, sort=False):
            parts.append(f"<h3>{escape(_clip(key))}</h3>")
            for _, q in group.iterrows():
                when = ""
                if q.get("t_start") == q.get("t_start") and q.get("t_start") is not None:
                    minutes, seconds = divmod(int(q["t_start"]), 60)
                    when = f", at {minutes}:{seconds:02d}"
                parts.append(
                    f'<blockquote class="quote">“{escape(_clip(q["text"], MAX_QUOTE_CHARS))}”'
                    f"<footer>{escape(q['participant_id'])} · {escape(q['source'])} · "
                    f"{escape(q['segment_id'])} (characters {int(q['start'])}–{int(q['end'])}{escape(when)})"
                    "</footer></blockquote>"
                )
        return "\n".join(parts)

    def __repr__(self) -> str:
        return f"{len(self.quotes)} quotes"


def quotes(table: Any, *, by: str = "code") -> Quotes:
    """Show exemplar quotes (from ``voc.qual.exemplar_quotes``) grouped by *by*."""
    return Quotes(table, by=by)


def agreement_headline(agreement: Any) -> dict[str, str]:
    """Headline for overall intercoder agreement (from ``voc.agreement.code_agreement``)."""
    overall = agreement[agreement["code"] == "(overall)"]
    if len(overall) == 0:
        return {
            "label": "Intercoder agreement",
            "value": "n/a",
            "detail": "",
            "section": "interviews",
        }
    row = overall.iloc[0]
    stat = "κ" if row["method"] == "cohen" else "α"
    value = row["kappa"] if row["method"] == "cohen" else row["alpha"]
    weakest = agreement[agreement["code"] != "(overall)"].sort_values("kappa").iloc[0]
    return {
        "label": f"Intercoder agreement (Cohen's {stat}, {int(row['n_coders'])} coders)",
        "value": f"{value:.2f}",
        "detail": f"95% CI {row['ci_low']:.2f}–{row['ci_high']:.2f} · {int(row['n_units']):,} turns; "
        f"weakest code: {weakest['code']} ({weakest['kappa']:.2f})",
        "section": "interviews",
    }


def privacy_note(study: Any) -> _Note:
    """What the report says about personal data: pseudonymised from a roster, or shown as written."""
    if getattr(study, "privacy", None) is None:
        return _Note(
            "Personal data: transcripts and comments are shown as written. The study declares no "
            "roster, so no names were replaced; do not forward this report outside the team "
            "without pseudonymising it (see `privacy:` in study.yaml).",
            "skipped",
        )
    from voc.privacy import coverage_note

    pv = study.privacy
    detected = ["person", "company", "place"] + [
        k for k, on in (("email", pv.emails), ("phone", pv.phones), ("url", pv.urls)) if on
    ]
    return _Note("Personal data: " + coverage_note(detected=detected), "")


def topics_table(topics: Any, *, caption: str = "") -> Table:
    """Topics (from ``voc.topics.fit_topics``) with their size, keywords and a representative quote."""
    import pandas as pd

    def first_doc(docs: Any) -> str:
        if isinstance(docs, list | tuple) and docs:
            return str(docs[0])
        return "" if docs is None or docs != docs else str(docs).split(" | ")[0]

    shown = pd.DataFrame(
        {
            "topic": topics["topic"],
            "label": topics["label"],
            "n": topics["size"],
            "share %": 100 * topics["share"].astype("float64"),
            "keywords": [
                ", ".join(k) if isinstance(k, list | tuple) else str(k) for k in topics["keywords"]
            ],
            "a representative comment": [first_doc(d) for d in topics["representative_docs"]],
        }
    )
    return Table(shown, digits=1, caption=caption)


def prevalence_heatmap(
    by_group: Any, *, by: str, title: str = "", suppress_below: int = 5
) -> Chart | _Note:
    """Topic shares by the groups of one breakdown (from ``voc.topics.topics_by_group``).

    Row labels carry a star when the topic's test across the groups is significant after
    adjustment (``p_adj < 0.05``). Groups with fewer than *suppress_below* comments
    (``n_group``) are not shown.
    """
    rows = by_group[by_group["by"] == by]
    if len(rows) == 0:
        return skipped(f"no breakdown by {by}")
    star = rows["p_adj"].lt(0.05).map({True: " *", False: ""})
    rows = rows.assign(
        pct=100 * rows["share"].astype("float64"),
        # the label is cut before the star, so that a long label keeps its significance mark
        label=rows["topic"].astype(str)
        + " "
        + rows["topic_label"].map(lambda v: _label(v, MAX_LABEL_CHARS - 8))
        + star,
    )
    return heatmap(
        rows,
        row="label",
        col="group",
        value="pct",
        title=title or f"Topics by {by} (%)",
        note="% of the group's comments (* significant, adjusted p < 0.05)",
        base="n_group" if "n_group" in rows else None,
        suppress_below=suppress_below,
    )


def joint_display_table(
    display: Any,
    *,
    mentioner: Any | None = None,
    prevalence: Any | None = None,
    suppress_below: int = 5,
) -> Table:
    """The mixed-methods joint display (from ``voc.mixed.joint_display``) with its inference rule.

    Pass the *mentioner* (``voc.mixed.mentioner_nps``) and *prevalence*
    (``voc.mixed.code_prevalence``) tables the display was built from to hide small cells: a
    code mentioned by fewer than *suppress_below* respondents (or by all but fewer) shows no
    survey share or NPS, and an NPS group of fewer interviewees shows ``–``.
    """
    import pandas as pd

    from voc.mixed import INFERENCE_RULE

    def pct(v: Any) -> str:
        return "" if v != v or v is None else f"{float(v):.0f}%"

    hidden: list[str] = []
    if mentioner is not None and len(mentioner):
        small = (mentioner[["n_mention", "n_other"]] < suppress_below).any(axis=1)
        few = set(mentioner.loc[small.to_numpy(), "code"])
        survey = ["survey_pct", "nps_mention", "nps_other", "nps_diff"]
        rows = display["code"].isin(few).to_numpy()
        if rows.any():
            display = display.assign(**{c: display[c].astype("float64").mask(rows) for c in survey})
            hidden.append(f"survey values of codes mentioned by fewer than {suppress_below}")
    if prevalence is not None and "nps_group" in prevalence and "n_group" in prevalence:
        tiny = prevalence.loc[prevalence["n_group"].to_numpy() < suppress_below, "nps_group"]
        names = {str(g) for g in tiny}
        if names:
            display = display.assign(
                interview_pct_by_group=[
                    " · ".join(
                        f"{p.rsplit(' ', 1)[0]} –" if p.rsplit(" ", 1)[0] in names else p
                        for p in _text(v).split(" · ")
                    )
                    for v in display["interview_pct_by_group"]
                ]
            )
            hidden.append(f"NPS groups of fewer than {suppress_below} interviewees")

    shown = pd.DataFrame(
        {
            "code": display["code"],
            "interviews: share of participants": [pct(v) for v in display["interview_pct"]],
            "by NPS group": display["interview_pct_by_group"],
            "survey comments mentioning": [pct(v) for v in display["survey_pct"]],
            "NPS mentioners vs others": [
                "" if a != a else f"{a:+.0f} vs {b:+.0f} (diff {d:+.0f}, CI {ci})"
                for a, b, d, ci in zip(
                    display["nps_mention"],
                    display["nps_other"],
                    display["nps_diff"],
                    display["nps_diff_ci"],
                    strict=True,
                )
            ],
            "related driver": [
                "" if d is None or d != d else f"{d} ({i:.0f}% of R²)" if i == i else str(d)
                for d, i in zip(display["driver"], display["driver_importance"], strict=True)
            ],
            "in their words": [
                "" if q is None or q != q else f"“{q}” ({src})"
                for q, src in zip(display["quote_1"], display["quote_1_source"], strict=True)
            ],
            "meta-inference": display["inference"],
        }
    )
    note = f" Hidden: {'; '.join(hidden)}." if hidden else ""
    return Table(
        shown,
        caption="Joint display. " + " ".join(INFERENCE_RULE.split()) + note,
        name=table_name(display),
    )
