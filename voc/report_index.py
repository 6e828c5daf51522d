"""The run's index page: key findings, what ran, the inputs and the provenance.

Key findings are the headlines that make a claim (:func:`voc._findings.is_claim`): each is
shown with its base and its test and links to the page and table that support it; a claim
published without its base or its test is left out (the page says which). Every page of the
report ends with the run manifest's essentials (:func:`manifest_footer`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from voc._findings import is_claim, is_supported
from voc.report import escape, page, render_headlines, table_html
from voc.study import Study

__all__ = ["inputs_digest", "manifest_footer", "render_findings", "render_index"]

_SUMMARY_LABELS = {
    "respondents": "survey respondents",
    "interviews": "interview transcripts",
    "segments": "transcript turns",
    "codes": "codes in the codebook",
    "codings": "codings",
}


def inputs_digest(inputs: Mapping[str, str]) -> str:
    """One sha256 for all input files: of their ``sha256sum`` lines (``digest  name``), sorted.

    ``manifest.json`` lists each file's sha256; this digest changes when any of them does.
    """
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(inputs.items()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def manifest_footer(manifest: Mapping[str, Any]) -> str:
    """The run manifest's essentials, as the (escaped) HTML footer of every report page.

    Run id, status, start, duration, voc version and commit, Python, and the combined sha256
    of the input files (:func:`inputs_digest`, first 12 characters) with their number.
    """
    env = manifest.get("environment") or {}
    inputs = manifest.get("inputs") or {}
    duration = manifest.get("duration_s")
    full = str(manifest.get("voc_commit") or "unknown")
    commit = full[:12] + ("+dirty" if full.endswith("+dirty") and len(full) > 18 else "")
    parts = [
        f"Run {manifest.get('run_id', '')}",
        f"status {manifest.get('status', '')}",
        f"started {manifest.get('started', '')}",
        f"duration {duration:.1f} s" if duration is not None else "duration –",
        f"voc {env.get('voc', '')} (commit {commit})",
        f"Python {env.get('python', '')}",
        f"inputs sha256 {inputs_digest(inputs)[:12]} ({len(inputs)} files)",
        "details in manifest.json",
    ]
    return '<span class="manifest">' + " · ".join(escape(p) for p in parts) + "</span>"


#: Key findings come in this order (by key, or by the group of ``voc.io.save_headlines``): the
#: NPS, its change between waves, the top driver, the themes that separate detractors from
#: promoters, the segments that differ; any other claim follows in the order it was saved.
FINDING_ORDER = ("nps", "nps_change", "top_driver", "themes", "segments")


def _order(headline: Mapping[str, Any]) -> int:
    for i, name in enumerate(FINDING_ORDER):
        if name in (headline.get("key"), headline.get("group")):
            return i
    return len(FINDING_ORDER)


def _link(headline: Mapping[str, Any], titles: Mapping[str, str], anchors: Any) -> str:
    stem = str(headline.get("page") or "")
    anchor = str(headline.get("anchor") or "")
    what = ""
    if anchor:
        kind = "chart" if anchor.startswith("fig-") else "table"
        what = f"{kind} “{anchor.split('-', 1)[-1].replace('-', ' ')}”"
    if stem not in titles:
        return escape(f"see {stem} {what}".strip())
    found = anchors is None or anchor in anchors.get(stem, ())
    href = f"{stem}.html" + (f"#{anchor}" if anchor and found else "")
    text = titles[stem] + (f", {what}" if what and found else "")
    return f'see <a href="{escape(href)}">{escape(text)}</a>'


def render_findings(
    headlines: Iterable[Mapping[str, Any]],
    *,
    pages: Mapping[str, str] | None = None,
    anchors: Mapping[str, Collection[str]] | None = None,
) -> str:
    """Key findings as a list of claims, each with its base, its test and its link (escaped).

    Claims come in :data:`FINDING_ORDER`. Only claims with both a base and a test are shown,
    and, when *pages* (notebook stem -> page title) is given, only those whose page is in the
    report; a link names the table when *anchors* (stem -> ids in that page) has its anchor.
    Headlines that make no claim are shown as numbers (:func:`voc.report.render_headlines`).
    """
    headlines = sorted(headlines, key=_order)  # stable: save order within each kind
    numbers = [h for h in headlines if not is_claim(h)]
    items = []
    for h in headlines:
        if not is_claim(h) or not is_supported(h):
            continue
        if pages is not None and h.get("page") not in pages:
            continue
        quote = ""
        if h.get("quote"):
            source = (
                f"<footer>{escape(h['quote_source'])}</footer>" if h.get("quote_source") else ""
            )
            quote = f'<blockquote class="quote">“{escape(h["quote"])}”{source}</blockquote>'
        link = f" · {_link(h, pages, anchors)}" if pages is not None else ""
        items.append(
            '<li class="finding">'
            f'<span class="value">{escape(h.get("value", ""))}</span> '
            f"<strong>{escape(h.get('label', ''))}</strong>"
            + (f'<div class="detail">{escape(h["detail"])}</div>' if h.get("detail") else "")
            + quote
            + f'<div class="basis">Base: {escape(h["base"])} · Test: {escape(h["test"])}'
            f"{link}</div></li>"
        )
    listed = f'<ol class="findings">{"".join(items)}</ol>' if items else ""
    return listed + render_headlines(numbers)


def _left_out(headlines: Sequence[Mapping[str, Any]], pages: Mapping[str, str]) -> str:
    claims = [h for h in headlines if is_claim(h)]
    bare = [str(h.get("key")) for h in claims if not is_supported(h)]
    away = [str(h.get("key")) for h in claims if is_supported(h) and h.get("page") not in pages]
    notes = []
    if bare:
        notes.append(
            f"{len(bare)} claim(s) published without a base or a test are not shown "
            f"({', '.join(bare)})."
        )
    if away:
        notes.append(
            f"{len(away)} claim(s) whose supporting page is not in this report are not shown "
            f"({', '.join(away)})."
        )
    return f'<div class="note skipped">{escape(" ".join(notes))}</div>' if notes else ""


def render_index(
    study: Study,
    manifest: dict[str, Any],
    headlines: Sequence[dict[str, Any]],
    *,
    nav: Sequence[tuple[str, str]],
    anchors: Mapping[str, Collection[str]] | None = None,
) -> str:
    """The index page of a run (all text escaped).

    *anchors* maps each rendered notebook page (its stem) to the table and chart ids in it,
    so that key findings link to the table that supports them.
    """
    status = manifest["status"]
    pages = {href.removesuffix(".html"): title for title, href in nav if href != "index.html"}
    parts = []
    if study.description:
        parts.append(f"<p>{escape(study.description)}</p>")
    if manifest.get("error"):
        parts.append(
            f'<div class="note error"><strong>This run failed.</strong> {escape(manifest["error"])}</div>'
        )
    parts.append("<h2>Key findings</h2>")
    shown = render_findings(headlines, pages=pages, anchors=anchors)
    parts.append(shown or '<p class="note">No headline numbers were published by this run.</p>')
    parts.append(_left_out(headlines, pages))
    rows = []
    for nb in manifest["notebooks"]:
        name = escape(nb["title"])
        if nb.get("html"):
            name = f'<a href="{escape(nb["html"].removeprefix("report/"))}">{name}</a>'
        state = nb["status"]
        detail = escape(nb.get("reason") or "")
        seconds = f"{nb['duration_s']:.1f} s" if nb.get("duration_s") is not None else ""
        rows.append(
            (
                name,
                f'<span class="status-{state.replace(" ", "-")}">{escape(state)}</span>',
                detail,
                seconds,
            )
        )
    parts.append("<h2>What ran</h2>")
    parts.append(table_html(rows, ["analysis", "status", "note", "time"], numeric=(3,)))
    skipped = [nb for nb in manifest["notebooks"] if nb["status"] == "skipped"]
    if skipped:
        parts.append(
            '<div class="note skipped">'
            + " ".join(
                f"{escape(nb['title'])} was skipped: {escape(nb['reason'])}." for nb in skipped
            )
            + "</div>"
        )
    inputs = manifest.get("input_summary", {})
    if inputs:
        parts.append("<h2>Data</h2><ul>")
        parts += [
            f"<li>{value:,} {escape(_SUMMARY_LABELS.get(key, key))}</li>"
            for key, value in inputs.items()
        ]
        parts.append("</ul>")
    env = manifest["environment"]
    prov = [
        ("Run", escape(manifest["run_id"])),
        ("Status", f'<span class="status-{escape(status)}">{escape(status)}</span>'),
        ("Started", escape(manifest["started"])),
        (
            "Duration",
            f"{manifest['duration_s']:.1f} s" if manifest.get("duration_s") is not None else "",
        ),
        ("voc", f"{escape(env['voc'])} (commit <code>{escape(manifest['voc_commit'])}</code>)"),
        ("Python", escape(env["python"])),
        ("Random seed", escape(manifest["seeds"]["random_seed"])),
        ("Input files", f"{len(manifest['inputs'])} (sha256 in manifest.json)"),
    ]
    parts.append("<h2>Provenance</h2>")
    parts.append(table_html(prov, ["", ""]))
    return page(
        study.title,
        "\n".join(parts),
        study_title="Voice-of-the-Customer report",
        nav=nav,
        current="index.html",
        footer=manifest_footer(manifest),
    )
