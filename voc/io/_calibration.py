"""The codebook calibration a run uses: the topics notebook's, or the same computed here (private).

The topics notebook calibrates the codebook mapping on the human codings and saves the table
as ``tables/codebook_calibration.csv``; the mixed-methods notebook, run after it in the same
folder, reuses that table so the report rests on one calibration. Run alone (``voc run
--only mixed``), it computes the table the same way.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from voc.study import Study

__all__ = ["CALIBRATION_TABLE", "codebook_calibration"]

CALIBRATION_TABLE = "codebook_calibration"
_TYPES = {
    "code": str,
    "threshold": "float64",
    "kappa": "float64",
    "precision": "float64",
    "recall": "float64",
    "n_positive": "int64",
    "n_predicted": "int64",
    "n_segments": "int64",
    "is_reliable": bool,
}


def _saved(path: Path, codes: list[str]) -> pd.DataFrame | None:
    """The saved table when it is one for these codes (in this order), else None."""
    if not path.is_file():
        return None
    table = pd.read_csv(path, dtype={"code": str}, keep_default_na=False, na_values=[""])
    if list(table.columns) != list(_TYPES) or table["code"].tolist() != codes:
        return None
    return table.astype(_TYPES)


def codebook_calibration(
    study: Study, output_dir: str | Path, *, cache_dir: str | Path | None = None
) -> tuple[pd.DataFrame, str]:
    """The calibration of the codebook mapping for this run, and where it comes from.

    Reads ``<output_dir>/tables/codebook_calibration.csv`` when the topics notebook wrote it
    for the same codes (in a ``voc run``, earlier in the same run); otherwise embeds the
    participants' turns and the code descriptions with the study's topic backend (through
    the embedding cache) and calibrates as the topics notebook does:
    ``voc.topics.calibrate_codebook_map`` against ``voc.topics.agreed_presence``.

    Parameters
    ----------
    study : Study
        A study with interviews, a codebook and codings.
    output_dir : str or Path
        The run's output folder.
    cache_dir : str or Path, optional
        The embedding cache (``voc.embeddings.embed``).

    Returns
    -------
    (DataFrame, str)
        The table of ``voc.topics.calibrate_codebook_map`` and, in words, where it comes from.
    """
    from voc.embeddings import embed
    from voc.io import read_codebook, read_codings, read_documents, read_segments, study_corpus
    from voc.topics import agreed_presence, align, calibrate_codebook_map, code_texts

    codebook = read_codebook(study)
    if codebook is None:
        raise ValueError(f"{study.path}: the study declares no codebook to calibrate")
    path = Path(output_dir) / "tables" / f"{CALIBRATION_TABLE}.csv"
    saved = _saved(path, codebook["code"].astype(str).tolist())
    if saved is not None:
        return saved, f"the topics notebook's calibration (tables/{CALIBRATION_TABLE}.csv)"
    backend = study.analysis.topics.backend
    codings = read_codings(study)
    presence = agreed_presence(codings, read_segments(study), codes=list(codebook["code"]))
    turns = read_documents(study, origin="interviews")
    corpus = study_corpus(study)  # one space for turns and codes, whatever the backend
    turn_vectors = embed(turns["text"], backend=backend, cache_dir=cache_dir, corpus=corpus)
    code_vectors = embed(code_texts(codebook), backend=backend, cache_dir=cache_dir, corpus=corpus)
    table = calibrate_codebook_map(align(turn_vectors, turns, presence), code_vectors, presence)
    return table, "calibrated here, as the topics notebook does (it did not run before this one)"
