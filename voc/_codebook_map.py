"""Carry the human codebook to documents by embedding similarity (private; see ``voc.topics``).

Documents and code descriptions must live in the same embedding space: embed survey
comments, transcript segments and the codebook with the same backend (and, for a backend
fitted on its corpus such as TF-IDF, in the same call).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from voc._topic_docs import as_docs, as_embeddings

__all__ = [
    "KAPPA_RELIABLE",
    "agreed_presence",
    "calibrate_codebook_map",
    "code_texts",
    "map_to_codebook",
]

#: Codes whose calibrated kappa reaches this are marked ``is_reliable``.
KAPPA_RELIABLE = 0.4
_CORPUS_FITTED = ("tfidf",)  # backends whose vectors depend on the corpus they were fitted on


def code_texts(codebook: pd.DataFrame) -> list[str]:
    """``"code: description"`` per code (just the code when it has no description)."""
    if not isinstance(codebook, pd.DataFrame) or "code" not in codebook.columns:
        raise ValueError("codebook must be a DataFrame with a 'code' column (and 'description')")
    codes = codebook["code"]
    if codes.isna().any() or codes.duplicated().any():
        raise ValueError("codebook column 'code' must hold unique, non-missing codes")
    descriptions = (
        codebook["description"]
        if "description" in codebook.columns
        else pd.Series(index=codes.index)
    )
    return [
        f"{code}: {text}" if isinstance(text, str) and text.strip() else str(code)
        for code, text in zip(codes, descriptions, strict=True)
    ]


def agreed_presence(
    codings: pd.DataFrame, segments: pd.DataFrame, *, codes: list[str] | None = None
) -> pd.DataFrame:
    """The human reference a model is calibrated against: the turns the coders agree on.

    Participant turns x codes, as :func:`voc.qual.segment_presence`, with 1.0 where every
    coder of the interview applied the code, 0.0 where none did, and missing where the coders
    split. A disputed turn is neither a hit nor a miss for the model, so
    :func:`calibrate_codebook_map` leaves it out for that code (it says so in
    ``n_segments``). Counting it as absent, as the consensus rule alone would, marks the model
    wrong exactly where one human coder saw the code, which lowers its kappa for reasons that
    have nothing to do with the model. With one coder every turn is agreed.

    Parameters
    ----------
    codings : DataFrame
        The ``codings`` table (two or more coders for disputed turns to exist).
    segments : DataFrame
        The ``segments`` table.
    codes : list of str, optional
        The columns, in this order (default: every code coded, sorted).

    Returns
    -------
    DataFrame
        Indexed by ``segment_id`` (participant turns of the coded interviews, in the order of
        *segments*), one float column per code holding 1.0, 0.0 or NaN.

    See Also
    --------
    voc.qual.segment_presence : the consensus (or any-coder, or one-coder) table.
    calibrate_codebook_map : takes this table as ``human_codings_presence``.

    References
    ----------
    Artstein, R., & Poesio, M. (2008). Inter-coder agreement for computational linguistics.
    Computational Linguistics, 34(4), 555-596 (a reference standard is what the coders agree
    on).

    Examples
    --------
    >>> import pandas as pd
    >>> import voc.topics as vt
    >>> segments = pd.DataFrame({"segment_id": ["t1", "t2", "t3"], "source": "a",
    ...                          "participant_id": "p1", "role": "participant"})
    >>> codings = pd.DataFrame({"source": "a", "segment_id": ["t1", "t1", "t2"],
    ...                         "code": "sync", "coder": ["ana", "ben", "ana"]})
    >>> vt.agreed_presence(codings, segments).reset_index()
      segment_id  sync
    0         t1   1.0
    1         t2   NaN
    2         t3   0.0
    """
    from voc.qual import segment_presence

    everyone = segment_presence(codings, segments, coder="consensus", codes=codes)
    anyone = segment_presence(codings, segments, coder=None, codes=codes)
    return everyone.astype("float64").where(everyone.eq(anyone))


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _code_matrix(code_embeddings: Any, codes: list[Any], what: str) -> np.ndarray:
    """Rows in the order of ``codes``: a DataFrame indexed by code, or an aligned array."""
    if isinstance(code_embeddings, pd.DataFrame):
        unknown = [c for c in codes if c not in code_embeddings.index]
        if unknown:
            raise ValueError(f"{what} has no row for code(s) {unknown[:5]!r} (index = codes)")
        code_embeddings = code_embeddings.loc[codes].to_numpy()
    return as_embeddings(code_embeddings, len(codes), what=what)


def _thresholds(threshold: Any, codes: list[Any]) -> np.ndarray:
    if threshold is None:
        return np.full(len(codes), np.nan)
    if isinstance(threshold, pd.DataFrame):
        if not {"code", "threshold"} <= set(threshold.columns):
            raise ValueError("threshold as a DataFrame needs 'code' and 'threshold' columns")
        threshold = threshold.set_index("code")["threshold"]
    if isinstance(threshold, dict | pd.Series):
        mapping = dict(threshold)
        return np.array([float(mapping.get(c, np.nan)) for c in codes])
    if isinstance(threshold, int | float) and not isinstance(threshold, bool):
        return np.full(len(codes), float(threshold))
    raise TypeError(
        "threshold must be None, a number, a {code: threshold} mapping or the frame from "
        f"calibrate_codebook_map; got {type(threshold).__name__}"
    )


def map_to_codebook(
    texts: Any,
    codebook: pd.DataFrame,
    *,
    embeddings: Any = None,
    code_embeddings: Any = None,
    threshold: Any = None,
    backend: str = "minilm",
) -> pd.DataFrame:
    """Cosine similarity of every document to every code, and which codes apply (multi-label).

    Each code is represented by the embedding of ``"code: description"``. A code applies
    to a document when their cosine similarity reaches the code's threshold; a document
    can have several codes or none. Thresholds should come from `calibrate_codebook_map`
    (agreement with human coders on transcript segments); one number for all codes is
    rarely right, because similarities differ in scale from code to code.

    **Documents, segments and codes must be embedded with the same backend**: similarities
    between vectors of different models mean nothing. With a corpus-fitted backend
    (TF-IDF) they must also be embedded in one call; leave ``embeddings`` and
    ``code_embeddings`` both None and this function does that.

    Parameters
    ----------
    texts : DataFrame, Series or list of str
        ``doc_id, text`` (and ``participant_id``, carried over), as for `fit_topics`.
    codebook : DataFrame
        ``code`` and ``description`` (``parent`` is ignored), one row per code.
    embeddings : array-like of shape (n_docs, dim), optional
        Document embeddings; None embeds ``texts`` with ``backend``.
    code_embeddings : array-like of shape (n_codes, dim) or DataFrame, optional
        In codebook order, or a frame indexed by code; None embeds the code texts.
    threshold : None, float, mapping or DataFrame, default=None
        Per code (``{code: t}`` or the output of `calibrate_codebook_map`) or for all
        codes. None: similarities only, ``is_present`` is missing.
    backend : str, default="minilm"
        ``voc.embeddings`` backend for whatever is not given.

    Returns
    -------
    DataFrame
        One row per document x code (documents in input order, codes in codebook order):
        ``doc_id`` (``participant_id``), ``code``, ``similarity``, ``threshold``,
        ``is_present`` (nullable boolean; missing where the code has no threshold).

    See Also
    --------
    calibrate_codebook_map : thresholds that agree best with human coders.
    """
    docs = as_docs(texts)
    codes = list(code_texts(codebook))
    code_names = codebook["code"].tolist()
    if embeddings is None or code_embeddings is None:
        from voc.embeddings import embed  # lazy: only when something must be embedded

        if embeddings is None and code_embeddings is None:
            both = as_embeddings(
                embed([*docs.texts, *codes], backend=backend), len(docs) + len(codes)
            )
            embeddings, code_embeddings = both[: len(docs)], both[len(docs) :]
        elif backend in _CORPUS_FITTED:
            raise ValueError(
                f"backend={backend!r} is fitted on its corpus: embed the documents and the code "
                "descriptions in one call (leave embeddings and code_embeddings both None)"
            )
        elif embeddings is None:
            embeddings = embed(docs.texts, backend=backend)
        else:
            code_embeddings = embed(codes, backend=backend)
    doc_matrix = as_embeddings(embeddings, len(docs))
    code_matrix = _code_matrix(code_embeddings, code_names, "code_embeddings")
    if doc_matrix.shape[1] != code_matrix.shape[1]:
        raise ValueError(
            f"embeddings have {doc_matrix.shape[1]} dimensions but code_embeddings have "
            f"{code_matrix.shape[1]}: embed documents and codes with the same backend"
        )
    similarity = _unit(doc_matrix) @ _unit(code_matrix).T
    cut = _thresholds(threshold, code_names)
    n_docs, n_codes = similarity.shape
    present = pd.array(np.ravel(similarity >= cut[None, :]), dtype="boolean")
    present[np.ravel(np.broadcast_to(np.isnan(cut)[None, :], similarity.shape))] = pd.NA
    out = pd.DataFrame({"doc_id": np.repeat(docs.doc_ids, n_codes)})
    if docs.participant_ids is not None:
        out["participant_id"] = np.repeat(docs.participant_ids, n_codes)
    out["code"] = np.tile(np.asarray(code_names, dtype=object), n_docs)
    out["similarity"] = np.ravel(similarity)
    out["threshold"] = np.tile(cut, n_docs)
    out["is_present"] = present
    return out


def _candidates(similarity: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Thresholds worth trying: midpoints where the human label changes along the sorted
    similarities, plus "everything" and "nothing".

    Within a run of documents with the same human label, moving the threshold changes one
    count of the 2x2 table by one per document, and kappa is a ratio of two linear
    functions of that count, hence monotone over the run: its maximum is at a run's end.
    """
    values = np.unique(similarity)
    labels = [set(truth[similarity == v].tolist()) for v in values]
    cuts = [values[0], np.nextafter(values[-1], np.inf)]
    for i in range(len(values) - 1):
        if labels[i] != labels[i + 1] or len(labels[i]) > 1:
            cuts.append((values[i] + values[i + 1]) / 2)
    return np.unique(cuts)


def calibrate_codebook_map(
    segment_embeddings: Any,
    code_embeddings: Any,
    human_codings_presence: pd.DataFrame,
) -> pd.DataFrame:
    """One similarity threshold per code, chosen to agree best with human coders.

    For each code, documents (transcript segments the humans coded) count as coded by the
    model when their cosine similarity to the code reaches the threshold; the threshold
    that maximises Cohen's kappa with the humans (``voc.agreement.cohen_kappa``) wins, ties
    to the highest threshold (fewest false positives). The humans' answer is the turns they
    agree on (:func:`agreed_presence`): a turn the coders split on says nothing about whether
    the model is right, and is left out. The kappa is optimistic:
    it is measured on the segments the threshold was tuned on; with few positives (< 10)
    treat it with care.

    A code with ``kappa >= 0.4`` is marked ``is_reliable``: at least "moderate" agreement
    (Landis & Koch 1977 put 0.41-0.60 there), the least at which the model's coding of the
    whole survey is worth reading next to the humans'. Segments, survey comments and codes
    must be embedded with the same backend.

    Parameters
    ----------
    segment_embeddings : array-like of shape (n_segments, dim)
        In the row order of ``human_codings_presence``.
    code_embeddings : array-like of shape (n_codes, dim) or DataFrame
        In the column order of ``human_codings_presence``, or a frame indexed by code.
    human_codings_presence : DataFrame
        One row per segment, one column per code: 1/True where the coders applied the code,
        0/False where they did not; a missing value drops that segment for that code. Pass
        :func:`agreed_presence` (turns the coders split on are missing), not the consensus
        table, which counts a turn only one coder coded as absent.

    Returns
    -------
    DataFrame
        One row per code: ``code``, ``threshold``, ``kappa``, ``precision``, ``recall``,
        ``n_positive`` (segments the humans coded), ``n_predicted``, ``n_segments``,
        ``is_reliable``. A code the humans never (or always) applied has NaN threshold and
        kappa.

    See Also
    --------
    map_to_codebook : apply the thresholds (pass this frame as ``threshold``).
    voc.agreement.cohen_kappa : the agreement measure.

    References
    ----------
    Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for
    categorical data. Biometrics, 33(1), 159-174.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import voc.topics as vt
    >>> segments = np.array([[1.0, 0.1], [0.9, 0.2], [0.2, 1.0], [0.1, 0.8], [0.8, 0.3]])
    >>> human = pd.DataFrame({"pricing": [1, 1, 0, 0, 1], "support": [0, 0, 1, 1, 0]})
    >>> result = vt.calibrate_codebook_map(segments, np.eye(2), human)
    >>> result[["code", "threshold", "kappa", "n_positive", "is_reliable"]].round(3)
          code  threshold  kappa  n_positive  is_reliable
    0  pricing      0.566    1.0           3         True
    1  support      0.666    1.0           2         True
    """
    from voc.agreement import cohen_kappa

    if not isinstance(human_codings_presence, pd.DataFrame):
        raise TypeError("human_codings_presence must be a DataFrame (segments x codes)")
    codes = list(human_codings_presence.columns)
    segments = as_embeddings(
        segment_embeddings, len(human_codings_presence), what="segment_embeddings"
    )
    code_matrix = _code_matrix(code_embeddings, codes, "code_embeddings")
    if segments.shape[1] != code_matrix.shape[1]:
        raise ValueError(
            f"segment_embeddings have {segments.shape[1]} dimensions but code_embeddings have "
            f"{code_matrix.shape[1]}: embed both with the same backend"
        )
    similarity = _unit(segments) @ _unit(code_matrix).T
    records = []
    for j, code in enumerate(codes):
        column = pd.to_numeric(human_codings_presence[code].astype("float64"), errors="raise")
        keep = column.notna().to_numpy()
        truth = column.to_numpy()[keep]
        if not np.isin(truth, (0.0, 1.0)).all():
            raise ValueError(f"human_codings_presence column {code!r} must hold 0/1 or booleans")
        sims, truth = similarity[keep, j], truth.astype(bool)
        record = {
            "code": code, "threshold": np.nan, "kappa": np.nan, "precision": np.nan,
            "recall": np.nan, "n_positive": int(truth.sum()), "n_predicted": 0,
            "n_segments": int(keep.sum()),
        }  # fmt: skip
        if 0 < truth.sum() < len(truth):
            best = (-np.inf, np.nan)
            for cut in _candidates(sims, truth):
                kappa = cohen_kappa(truth, sims >= cut)
                if np.isfinite(kappa) and (kappa, cut) > best:
                    best = (kappa, cut)
            if np.isfinite(best[0]):
                predicted = sims >= best[1]
                hits = int((predicted & truth).sum())
                record |= {
                    "threshold": float(best[1]),
                    "kappa": float(best[0]),
                    "precision": hits / predicted.sum() if predicted.any() else np.nan,
                    "recall": hits / truth.sum(),
                    "n_predicted": int(predicted.sum()),
                }
        records.append(record)
    result = pd.DataFrame.from_records(records)
    return result.assign(is_reliable=result["kappa"].ge(KAPPA_RELIABLE).to_numpy())
