"""The ``voc`` command: ``voc new``, ``voc check``, ``voc run``, ``voc reproduce``. No analysis
logic lives here."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer

from voc.errors import VocError

app = typer.Typer(
    name="voc",
    help="Mixed-method Voice-of-the-Customer studies: a study folder in, an HTML report out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9\-_]*$")

SCAFFOLD = """\
# {title}
# Paths are relative to this folder. Raw files in data/ are never modified by voc.
# Only `title` and at least one input (survey or interviews) are required.
title: "{title}"
description: ""

# survey:
#   file: data/survey.csv          # .csv, .xlsx (set `sheet:`), .sav or .parquet
#   # format: qualtrics             # csv, xlsx, sav, parquet, qualtrics (default: from the extension)
#   # sheet: Responses              # xlsx: which sheet
#   # encoding: cp1252              # only when the file is not UTF-8; never guessed
#   # delimiter: ";"                # read from the header line when absent
#   # decimal: ","                  # decimal commas
#   # header_rows: 2                # SurveyMonkey: a second header row of sub-answers
#   # duplicate_headers: rename     # repeated "Comments" columns become Comments_2, ...
#   # missing: [99, "Don't know"]   # codes that mean "no answer"
#   columns:
#     id: participant_id            # one row per respondent, ids kept as text ("007")
#     nps: nps                      # 0-10 likelihood to recommend
#     # csat: {{column: csat, scale: [1, 5]}}
#     # ces: {{column: ces, scale: [1, 7]}}
#     # likert:
#     #   scale: [1, 5]
#     #   items: {{ease: "It is easy to ...", support: "Support ..."}}
#     segments: [region]            # columns to break results down by
#     # weight: weight
#     text: [comment]               # open-ended answers
#     # wave: wave
#   # weighting:                    # rake to population margins (or use columns.weight)
#   #   targets:
#   #     region: {{EMEA: 0.5, APAC: 0.5}}

# interviews:
#   transcripts: data/transcripts   # .txt, .md, .docx, .odt, .vtt, .srt
#   participant_pattern: '(?P<id>P\\d+)_.*'   # participant id from the file name
#   interviewer: [Interviewer]      # speaker labels of the interviewers
#   # codebook: codebook.yaml
#   # codings: data/codings.csv      # long CSV, Taguette highlights CSV or REFI-QDA .qdpx

# privacy:                          # pseudonymise names, e-mails, phones and URLs
#   roster: roster.yaml             # people: [{{name: Jane Doe, aliases: [Jane]}}], companies, places
#   key_file: ~/.config/voc/KEY     # outside the study and outputs; create with: voc keygen PATH

analysis:
  random_seed: 0
  min_base: 30                      # bases below this are flagged
  suppress_below: 5                 # cells below this are hidden in stakeholder pages
"""


def _fail(exc: Exception, code: int = 1) -> None:
    typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def new(
    slug: Annotated[str, typer.Argument(help="Folder name, e.g. 2025-03-onboarding-nps.")],
    studies: Annotated[Path, typer.Option(help="Where studies live.")] = Path("studies"),
    title: Annotated[str | None, typer.Option(help="Study title.")] = None,
) -> None:
    """Scaffold studies/SLUG with a commented study.yaml and an empty data/ folder."""
    if not _SLUG.match(slug):
        _fail(
            ValueError(
                f"slug {slug!r}: use lower-case letters, digits, '-' and '_' (e.g. 2025-03-onboarding-nps)"
            ),
            2,
        )
    folder = studies / slug
    if folder.exists():
        _fail(FileExistsError(f"{folder} already exists; nothing was written"))
    (folder / "data").mkdir(parents=True)
    text = SCAFFOLD.format(
        title=(title or slug.replace("-", " ").replace("_", " ").capitalize()).replace('"', "'")
    )
    (folder / "study.yaml").write_text(text, encoding="utf-8")
    typer.echo(
        f"Created {folder / 'study.yaml'}: declare your inputs, copy raw files into "
        f"{folder / 'data'}, then run: voc check {folder}"
    )


@app.command()
def keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the key, outside any study folder.")],
) -> None:
    """Write a new pseudonym key (keep it outside the study and the outputs; never commit it)."""
    from voc.privacy import generate_key

    path = path.expanduser()
    if path.exists():
        _fail(FileExistsError(f"{path} already exists; a new key would change every pseudonym"))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(generate_key() + "\n")
    typer.echo(
        f"Wrote a new key to {path} (readable by you only). In study.yaml:\n"
        f"privacy:\n  roster: roster.yaml\n  key_file: {path}"
    )


@app.command()
def check(study: Annotated[Path, typer.Argument(help="The study folder.")]) -> None:
    """Validate study.yaml and every input file without running anything."""
    from voc.run import check_study

    try:
        loaded, summary = check_study(study)
    except VocError as exc:
        _fail(exc)
    found = ", ".join(f"{v:,} {k}" for k, v in summary.items())
    typer.echo(f"OK: {loaded.title} ({found})")


@app.command()
def run(
    study: Annotated[Path, typer.Argument(help="The study folder.")],
    only: Annotated[
        str | None, typer.Option(help="Comma-separated sections: survey,interviews,topics,mixed.")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Notebook parameter: key=value or section.key=value (repeatable)."
        ),
    ] = None,
    outputs: Annotated[
        Path | None, typer.Option(help="Outputs root (default: outputs/ beside studies/).")
    ] = None,
) -> None:
    """Run the analysis notebooks on a study and write its HTML report."""
    from voc.run import run_study

    sections = [s.strip() for s in only.split(",") if s.strip()] if only else None
    try:
        result = run_study(study, only=sections, sets=set_ or [], outputs=outputs)
    except (VocError, ValueError) as exc:
        _fail(exc)
    latest = result.latest_report
    try:
        shown = latest.relative_to(Path.cwd())
    except ValueError:
        shown = latest
    typer.echo(f"Report: {shown}")


@app.command()
def reproduce(
    manifest: Annotated[
        Path,
        typer.Argument(help="A run's manifest.json, e.g. outputs/<slug>/latest/manifest.json."),
    ],
    study: Annotated[
        Path | None,
        typer.Option(help="The study folder, when it is not where the manifest says."),
    ] = None,
    rtol: Annotated[float, typer.Option(min=0.0, help="Relative tolerance for numbers.")] = 1e-6,
    atol: Annotated[float, typer.Option(min=0.0, help="Absolute tolerance for numbers.")] = 1e-9,
    outputs: Annotated[
        Path | None,
        typer.Option(help="Keep the re-run in this outputs root (default: a temporary folder)."),
    ] = None,
) -> None:
    """Re-run a recorded run and compare every table with it.

    Exit 0: reproduced within tolerance; 1: an input or a table differs; 2: unreadable manifest.
    """
    from voc.reproduce import reproduce as reproduce_run

    try:
        report = reproduce_run(
            manifest, study=study, outputs=outputs, rtol=rtol, atol=atol, progress=_progress
        )
    except (VocError, ValueError) as exc:
        _fail(exc, 2)
    typer.echo(report.summary())
    if not report.reproduced:
        raise typer.Exit(1)


def _progress(message: str) -> None:
    typer.echo(message, err=True)


def main() -> None:
    """Console entry point."""
    app(prog_name="voc")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
