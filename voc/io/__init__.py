"""Every read and write of files: survey exports, transcripts, codebooks, codings, outputs.

Analysis modules never touch the disk; notebooks read through ``voc.io.read_*`` and write
through ``voc.io.save_*``. The study-level readers take a :class:`voc.Study` and read what its
``study.yaml`` declares.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from voc.errors import Problem, StudyError
from voc.io._calibration import codebook_calibration
from voc.io.coding import read_codebook as _read_codebook_file
from voc.io.coding import read_codings as _read_codings_file
from voc.io.coding import validate_codings
from voc.io.files import (
    atomic_write_bytes,
    atomic_write_text,
    read_headlines,
    save_headline,
    save_headlines,
    save_table,
    sha256_file,
)
from voc.io.refi import read_qdc, read_qdpx, write_qdc, write_qdpx
from voc.io.survey import read_responses as _read_responses_spec
from voc.io.taguette import read_taguette_highlights
from voc.study import Study

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "check_inputs",
    "codebook_calibration",
    "coding_issues",
    "export_refi",
    "id_rules",
    "read_codebook",
    "read_codings",
    "read_documents",
    "read_headlines",
    "read_qdc",
    "read_qdpx",
    "read_responses",
    "read_segments",
    "read_taguette_highlights",
    "redaction_log",
    "save_headline",
    "save_headlines",
    "save_table",
    "sha256_file",
    "study_corpus",
    "write_qdc",
    "write_qdpx",
]


def _need(study: Study, what: str) -> None:
    if what == "survey" and study.survey is None:
        raise ValueError(f"{study.path}: the study declares no 'survey:' section")
    if what == "interviews" and study.interviews is None:
        raise ValueError(f"{study.path}: the study declares no 'interviews:' section")


def read_responses(study: Study) -> pd.DataFrame:
    """The validated ``responses`` table of *study* (see :func:`voc.io.survey.read_responses`).

    With ``privacy.roster`` in study.yaml, the open-ended columns come back pseudonymised.
    """
    from voc.io._pseudonyms import pseudonymize_responses

    _need(study, "survey")
    return pseudonymize_responses(study, _read_responses_spec(study.survey))[0]


def read_segments(study: Study) -> pd.DataFrame:
    """The ``segments`` table: every transcript of *study*, one row per speaker turn."""
    from voc.io._pseudonyms import pseudonymize_segments
    from voc.io.transcripts import read_transcripts

    _need(study, "interviews")
    iv = study.interviews
    segments = read_transcripts(
        iv.transcripts, pattern=iv.participant_pattern, interviewer=tuple(iv.interviewer)
    )
    return pseudonymize_segments(study, _pseudonymous_files(study, segments))[0]


def _pseudonymous_files(study: Study, frame: pd.DataFrame) -> pd.DataFrame:
    """``source`` and ``segment_id`` (``<file stem>-001``) with roster names and e-mails in the
    file names pseudonymised, when the study declares a roster (else *frame* itself)."""
    from voc.io._pseudonyms import pseudonymizer

    engine = pseudonymizer(study)
    if engine is None or len(frame) == 0:
        return frame
    names = {s: engine.pseudonymize_path(s) for s in frame["source"].dropna().unique()}
    if all(old == new for old, new in names.items()):
        return frame
    stems = {}
    for old, new in names.items():
        suffix = Path(old).suffix
        keep = new.endswith(suffix) and old.endswith(suffix)
        stems[old] = (old[: len(old) - len(suffix)], new[: len(new) - len(suffix)] if keep else new)
    ids = []
    for source, sid in zip(frame["source"], frame["segment_id"], strict=True):
        old, new = stems.get(source, ("", ""))
        if not isinstance(sid, str):
            ids.append(sid)
        elif old and sid.startswith(f"{old}-"):
            ids.append(new + sid[len(old) :])
        else:
            ids.append(engine.pseudonymize_path(sid))
    return frame.assign(source=frame["source"].map(lambda s: names.get(s, s)), segment_id=ids)


def redaction_log(study: Study) -> pd.DataFrame:
    """Every replacement pseudonymisation makes in the study's text (no original values).

    Columns ``column, row, start, end, kind, pseudonym, value_hash``; empty when the study
    declares no roster. Save it apart from the report (``tables/redactions.csv``).
    """
    from voc.io._pseudonyms import pseudonymize_responses, pseudonymize_segments
    from voc.io.transcripts import read_transcripts
    from voc.privacy import LOG_COLUMNS

    logs = []
    if study.privacy is not None and study.interviews is not None:
        iv = study.interviews
        raw = read_transcripts(
            iv.transcripts, pattern=iv.participant_pattern, interviewer=tuple(iv.interviewer)
        )
        logs.append(pseudonymize_segments(study, _pseudonymous_files(study, raw))[1])
    if study.privacy is not None and study.survey is not None:
        logs.append(pseudonymize_responses(study, _read_responses_spec(study.survey))[1])
    logs = [log for log in logs if log is not None]
    return pd.concat(logs, ignore_index=True) if logs else pd.DataFrame(columns=list(LOG_COLUMNS))


def read_codebook(study: Study | str | Path) -> pd.DataFrame | None:
    """The ``codebook`` table (``code, parent, description``), or None when none is declared."""
    if isinstance(study, Study):
        _need(study, "interviews")
        if study.interviews.codebook is None:
            return None
        return _read_codebook_file(study.interviews.codebook)
    return _read_codebook_file(study)


def _transcript_texts(study: Study) -> dict[str, str]:
    from voc.io.transcripts import SUPPORTED_SUFFIXES, read_transcript_text

    folder = study.interviews.transcripts
    return {
        p.name: read_transcript_text(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
    }


def _is_taguette(path: Path) -> bool:
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        header = fh.readline().strip().lower().replace(" ", "")
    return header == "id,document,tag,content"


def read_codings(study: Study | str | Path) -> pd.DataFrame | None:
    """The ``codings`` table, or None when the study declares no codings.

    The codings file may be a long CSV (``source, segment_id, code, coder`` or
    ``source, start, end, code, coder``), a Taguette highlights export (``id, document, tag,
    content``: the highlighted text is located in the transcripts) or a REFI-QDA ``.qdpx``
    project from NVivo, ATLAS.ti, MAXQDA or QualCoder (offsets mapped to voc's text).
    """
    if not isinstance(study, Study):
        return _read_codings_file(study)
    _need(study, "interviews")
    if study.interviews.codings is None:
        return None
    return _study_codings(study)[0]


def id_rules(study: Study) -> dict[str, object]:
    """The study's participant-id matching rules as keywords for ``voc.mixed.match_participants``.

    Reads ``interviews.participant_ids.mapping`` (a CSV of ``interview_id, survey_id``) when
    declared; ids stay text.
    """
    _need(study, "interviews")
    rules = study.interviews.participant_ids
    mapping = None
    if rules.mapping is not None:
        table = _read_text_csv(rules.mapping, ["interview_id", "survey_id"])
        mapping = dict(zip(table["interview_id"], table["survey_id"], strict=True))
    return {
        "case": rules.case,
        "strip": rules.strip,
        "zero_pad": rules.zero_pad,
        "mapping": mapping,
    }


def _read_text_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    from voc.errors import InputError
    from voc.io.coding import _text, csv_rows

    header, rows, lines = csv_rows(path, _text(path), columns)
    table = pd.DataFrame(rows, columns=header, dtype=object, index=lines)[columns]
    for column in columns:
        blank = table[column].str.strip() == ""
        if blank.any():
            line = int(table.index[blank][0])
            raise InputError(path, "blank id; expected an id", line=line, column=column)
    dup = table["interview_id"].duplicated()
    if dup.any():
        raise InputError(
            path,
            f"interview_id {table['interview_id'][dup].iloc[0]!r} appears twice",
            line=int(table.index[dup][0]),
            column="interview_id",
        )
    return table.reset_index(drop=True)


def coding_issues(study: Study) -> pd.DataFrame:
    """Codings left out because they point at a missing transcript, turn or code, or at text
    that cannot be found (only with ``interviews.unmatched_codings: warn``; else they are
    errors). Columns ``line, column, problem``; empty when there are none.
    """
    _need(study, "interviews")
    if study.interviews.codings is None:
        return pd.DataFrame(columns=["line", "column", "problem"])
    return _study_codings(study)[1]


def _study_codings(
    study: Study,
    segments: pd.DataFrame | None = None,
    codebook: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Codings checked against the transcripts and codebook (read here unless given)."""
    from voc.qual import resolve_codings

    path = study.interviews.codings
    warn = study.interviews.unmatched_codings == "warn"
    issues: list[tuple[int | None, str | None, str]] = []
    if path.suffix.lower() == ".qdpx":
        codings = read_qdpx(path, transcripts_text=_transcript_texts(study))["codings"]
    elif path.exists() and _is_taguette(path):
        found = read_taguette_highlights(path, _transcript_texts(study), allow_missing=warn)
        codings = found.codings
        issues += [
            (int(r.line), "content", str(r.reason))
            for r in found.skipped.itertuples()
            if r.reason != "no tag"
        ]
    else:
        codings = _read_codings_file(path)
    # file names as read_segments gives them (pseudonymised with a roster)
    codings = _pseudonymous_files(
        study, codings[["source", "start", "end", "segment_id", "code", "coder"]]
    )
    segments = read_segments(study) if segments is None else segments
    codebook = read_codebook(study) if codebook is None else codebook
    lengths = None
    if codings["segment_id"].isna().any():  # offsets: they must lie inside the text
        texts = _transcript_texts(study)
        renamed = _pseudonymous_files(
            study, pd.DataFrame({"source": list(texts), "segment_id": list(texts)})
        )
        lengths = dict(zip(renamed["source"], map(len, texts.values()), strict=True))
    problems = validate_codings(
        codings,
        segments,
        codebook,
        file=path,
        limit=None if warn else 20,
        text_lengths=lengths,
    )
    if problems and not warn:
        raise StudyError(problems)
    bad = {p.line for p in problems}
    issues += [(p.line, p.column, p.message) for p in problems]
    codings = codings[[line not in bad for line in codings.index]]
    if codings["segment_id"].isna().any():
        # Offsets only (REFI, Taguette, offset CSV): name the turn each coding falls in.
        try:
            resolved = resolve_codings(codings, segments)
        except ValueError as exc:
            raise StudyError([Problem(path, str(exc))]) from None
        codings = resolved[["source", "start", "end", "segment_id", "code", "coder"]]
    table = pd.DataFrame(issues, columns=["line", "column", "problem"])
    if study.privacy is not None:  # a message may quote a file name
        from voc.io._pseudonyms import pseudonymizer

        table["problem"] = table["problem"].map(pseudonymizer(study).pseudonymize_text)
    return codings, table


def study_corpus(study: Study) -> list[str]:
    """Every text of *study* that voc embeds: comments, participants' turns, code definitions.

    Pass it as ``corpus=`` to ``voc.embeddings.embed`` so that a backend fitted on a corpus
    (``tfidf``) puts everything in one space, whichever notebook or cell embeds what.
    """
    from voc.topics import code_texts

    texts = read_documents(study)["text"].astype(str).tolist()
    codebook = read_codebook(study) if study.interviews is not None else None
    if codebook is not None:
        texts += code_texts(codebook)
    return texts


def read_documents(study: Study, *, origin: str | None = None) -> pd.DataFrame:
    """Every free text of *study* as one table: survey comments and participants' turns.

    Returns
    -------
    DataFrame
        ``doc_id, participant_id, origin, text``: ``origin`` is ``survey:<column>`` or
        ``interviews``; blank comments and interviewer turns are left out.
    """
    frames = []
    if study.survey is not None and origin in {None, "survey"}:
        responses = read_responses(study)
        for col in study.survey.columns.text:
            texts = responses[["participant_id", col]].dropna()
            frames.append(
                pd.DataFrame(
                    {
                        "doc_id": [f"{pid}:{col}" for pid in texts["participant_id"]],
                        "participant_id": texts["participant_id"].to_numpy(),
                        "origin": f"survey:{col}",
                        "text": texts[col].to_numpy(),
                    }
                )
            )
    if study.interviews is not None and origin in {None, "interviews"}:
        segments = read_segments(study)
        turns = segments[segments["role"].eq("participant")]
        frames.append(
            pd.DataFrame(
                {
                    "doc_id": turns["segment_id"].to_numpy(),
                    "participant_id": turns["participant_id"].to_numpy(),
                    "origin": "interviews",
                    "text": turns["text"].to_numpy(),
                }
            )
        )
    columns = ["doc_id", "participant_id", "origin", "text"]
    if origin not in {None, "survey", "interviews"}:
        raise ValueError(f"origin must be 'survey', 'interviews' or None, found {origin!r}")
    documents = (
        pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    )
    if origin is not None:
        keep = documents["origin"].str.startswith(origin)
        documents = documents[keep].reset_index(drop=True)
    return documents


def _rebuilt_texts(segments: pd.DataFrame) -> tuple[dict[str, str], pd.DataFrame]:
    """Transcripts rebuilt from (pseudonymised) turns, and the turns' offsets into them."""
    texts: dict[str, list[str]] = {}
    length: dict[str, int] = {}
    starts, ends = [], []
    for source, speaker, text in zip(
        segments["source"], segments["speaker"], segments["text"], strict=True
    ):
        prefix = f"{speaker}: " if speaker else ""
        pos = length.get(source, -2) + 2  # paragraphs are separated by a blank line
        starts.append(pos + len(prefix))
        ends.append(pos + len(prefix) + len(text))
        texts.setdefault(source, []).append(prefix + text)
        length[source] = ends[-1]
    rebuilt = segments.assign(start=starts, end=ends)
    return {source: "\n\n".join(parts) for source, parts in texts.items()}, rebuilt


def export_refi(study: Study, output_dir: str | Path) -> pd.DataFrame:
    """Export the study's interviews to REFI-QDA so the coding can continue in a CAQDAS tool.

    Writes ``<output_dir>/exports/<slug>.qdpx`` (transcripts, codebook, codings with their
    coders, one case per participant carrying their survey answers as variables) and
    ``<slug>.qdc`` (the codebook alone), and returns a small table of what was written.
    NVivo, ATLAS.ti, MAXQDA and QualCoder import both.
    """
    _need(study, "interviews")
    folder = Path(output_dir) / "exports"
    codebook = read_codebook(study)
    codings = read_codings(study)
    segments = read_segments(study)
    participants = None
    if study.survey is not None:
        cols = study.survey.columns
        keep = [
            c
            for c in (cols.nps, *(s.column for s in (cols.csat, cols.ces) if s), *cols.segments)
            if c
        ]
        responses = read_responses(study)
        interviewed = responses["participant_id"].isin(set(segments["participant_id"]))
        participants = responses.loc[interviewed, ["participant_id", *keep]].reset_index(drop=True)
    rows = []
    if codebook is not None:
        qdc = write_qdc(codebook, folder / f"{study.slug}.qdc")
        rows.append(("codebook", qdc.name, len(codebook)))
    texts = _transcript_texts(study)
    if study.privacy is not None:
        # The source files hold the real names: export the pseudonymised turns instead, one
        # "speaker: text" paragraph each, with the turns' offsets into that text.
        texts, segments = _rebuilt_texts(segments)
        if codings is not None:
            codings = codings.assign(start=pd.NA, end=pd.NA)
    qdpx = write_qdpx(
        folder / f"{study.slug}.qdpx",
        codebook=codebook
        if codebook is not None
        else pd.DataFrame(columns=["code", "parent", "description"]),
        texts=texts,
        codings=codings
        if codings is not None
        else pd.DataFrame(columns=["source", "start", "end", "segment_id", "code", "coder"]),
        segments=segments,
        participants=participants,
    )
    rows.append(("project", qdpx.name, segments["source"].nunique()))
    return pd.DataFrame(rows, columns=["what", "file", "n"])


def check_inputs(study: Study) -> dict[str, int]:
    """Read and validate every input of *study*; return counts of what was found.

    Collects the problems of every input before raising, so one ``voc check`` lists them all.

    Raises
    ------
    StudyError
        One entry per problem, each naming the file, the line or row and the column.
    """
    problems: list[Problem] = []
    summary: dict[str, int] = {}
    engine = None
    if study.privacy is not None:
        from voc.io._pseudonyms import pseudonymizer

        try:
            engine = pseudonymizer(study)
            summary["roster entries"] = len(engine.roster)
        except StudyError as exc:
            problems += exc.problems
    if study.survey is not None:
        try:
            responses = read_responses(study)
            summary["respondents"] = len(responses)
        except StudyError as exc:
            problems += exc.problems
    if study.interviews is not None:
        iv = study.interviews
        segments = codebook = None
        codebook_ok = True
        try:
            segments = read_segments(study)
            summary["interviews"] = segments["source"].nunique()
            summary["segments"] = len(segments)
        except StudyError as exc:
            problems += exc.problems
        if iv.codebook is not None:
            try:
                codebook = read_codebook(study)
                summary["codes"] = len(codebook)
            except StudyError as exc:
                problems += exc.problems
                codebook_ok = False
        # Codings are checked against the transcripts and codebook read above (not read twice,
        # and a broken codebook is reported once, not again for every coding).
        if iv.codings is not None and segments is not None and codebook_ok:
            try:
                codings, skipped = _study_codings(study, segments, codebook)
                summary["codings"] = len(codings)
                if len(skipped):
                    summary["codings left out (unmatched_codings: warn)"] = len(skipped)
            except StudyError as exc:
                problems += exc.problems
        if iv.participant_ids.mapping is not None:
            try:
                summary["participant id mappings"] = len(id_rules(study)["mapping"])
            except StudyError as exc:
                problems += exc.problems
    if problems:
        # One problem once (a broken roster fails every reader); with a roster, a message never
        # shows a name from it, an e-mail address or a phone number found in a bad cell.
        problems = list(dict.fromkeys(problems))
        if engine is not None:
            problems = [
                dataclasses.replace(p, message=engine.pseudonymize_text(p.message))
                for p in problems
            ]
        raise StudyError(problems)
    return summary
