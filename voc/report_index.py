"""The run's index page: what ran, the headline numbers, the inputs and the provenance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voc.report import escape, page, render_headlines, table_html
from voc.study import Study

__all__ = ["render_index"]

_SUMMARY_LABELS = {
    "respondents": "survey respondents",
    "interviews": "interview transcripts",
    "segments": "transcript turns",
    "codes": "codes in the codebook",
    "codings": "codings",
}


def render_index(
    study: Study,
    manifest: dict[str, Any],
    headlines: Sequence[dict[str, Any]],
    *,
    nav: Sequence[tuple[str, str]],
) -> str:
    """The index page of a run (all text escaped)."""
    status = manifest["status"]
    parts = []
    if study.description:
        parts.append(f"<p>{escape(study.description)}</p>")
    if manifest.get("error"):
        parts.append(
            f'<div class="note error"><strong>This run failed.</strong> {escape(manifest["error"])}</div>'
        )
    parts.append("<h2>Key findings</h2>")
    if headlines:
        parts.append(render_headlines(headlines))
    else:
        parts.append('<p class="note">No headline numbers were published by this run.</p>')
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
        footer=escape(f"Run {manifest['run_id']} · voc {env['voc']}"),
    )
