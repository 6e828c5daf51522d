"""Survey readers: a survey export → the ``responses`` table, validated against study.yaml.

Formats: CSV and other delimited text (UTF-8 with or without BOM, UTF-16/32 with BOM, or the
``encoding:`` declared; ``,`` ``;`` TAB or ``|`` found from the header line unless
``delimiter:`` is declared), ``.xlsx`` (``sheet:``), SPSS ``.sav``, Parquet, Qualtrics exports
(``format: qualtrics``) and SurveyMonkey-style exports (``header_rows: 2``,
``duplicate_headers: rename``).

Every problem is reported with the file, the line (as a text editor counts it) or row (as a
spreadsheet counts it; the case number for SPSS and Parquet), the column, the value found and
what is allowed. A value of a declared ``text`` column is never quoted in a message (free text
may be personal), nor is a value that looks like an e-mail address or a phone number, in any
column (ids included); its length is given instead. Nothing falls back silently: an undecodable byte
is an error that says which encoding to declare, never a guess. Files are opened read-only.

Decisions worth knowing:

- ``missing:`` values count as blank in every declared column except the id: ``NA`` is a
  country (Namibia) until it is listed there. Ids are text and never missing.
- SPSS: value labels replace the codes of segment and wave columns (1 → ``"EMEA"``); a code
  without a label stays its code as text (``"7"``), without an error, because SPSS files often
  label only some codes. Scores keep their numeric codes. User-missing codes of the file
  (99 ``"Don't know"``) are blank, as are the study's ``missing:`` values.
- Rows whose cells are all blank (``,,,,`` lines, formatted but empty spreadsheet rows) are
  skipped. A column with a blank header is named ``column_<n>`` (its 1-based position) when it
  holds values and ignored when it does not.
- Spreadsheet dates become ISO 8601 text (``2024-03-04``, with the time when it is not
  midnight); numbers that are whole become integers as text (``7.0`` → ``"7"``).
- A notebook reads its survey several times (responses, documents, exports): the last table
  read is kept (pickled, about the size of the file), and a read of the same bytes (sha256)
  with the same spec returns a copy of it instead of parsing a large export again (a
  million rows: under a second instead of about 20). A changed file is always read afresh.
"""

from __future__ import annotations

import hashlib
import pickle
import re

import numpy as np
import pandas as pd

from voc.errors import InputError, Problem, StudyError
from voc.io._survey_formats import RawSurvey, load_survey
from voc.study import SurveySpec, suggest

__all__ = ["read_responses", "read_survey_file"]

_MAX_SHOWN = 60
# Values a message never quotes, whatever their column: an e-mail address, or a phone number
# (7 digits or more, written with phone punctuation only; an ISO date is not one).
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\W\d_]{2,}")
_PHONE = re.compile(r"\+?[\d\s().\-/]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _personal(text: str) -> str | None:
    """What *text* looks like when it is contact data no message may quote, else None."""
    text = text.strip()
    if _EMAIL.search(text):
        return "an e-mail address"
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 7 and _PHONE.fullmatch(text) and not _DATE.fullmatch(text):
        return "a phone number"
    return None


def read_survey_file(spec: SurveySpec) -> pd.DataFrame:
    """Read the raw export as text columns, indexed by the line (or row) it came from.

    Parameters
    ----------
    spec : SurveySpec
        ``study.survey``.

    Returns
    -------
    pandas.DataFrame
        One column per header (every column of the file, declared or not), every cell a
        ``str`` or ``None``. The index is named ``line`` for text files (the line each record
        starts on) and ``row`` otherwise (the spreadsheet row; the case number, from 1, for
        SPSS and Parquet). SPSS cells are codes, with the file's user-missing codes blank;
        :func:`read_responses` applies the value labels.

    Raises
    ------
    InputError
        When the file cannot be read as declared: naming the file, line or row and column.
    """
    return load_survey(spec).frame


class _Checker:
    """Validation of one raw survey against its spec; every failure raises an InputError."""

    def __init__(self, spec: SurveySpec, raw: RawSurvey) -> None:
        self.spec = spec
        self.raw = raw
        self.frame = raw.frame
        self.path = spec.file
        self.kind = raw.frame.index.name
        missing = [m for m in spec.missing if not isinstance(m, bool)]
        self.missing_text = {str(m).strip() for m in missing}
        numbers = pd.to_numeric(pd.Series(missing, dtype=object), errors="coerce")
        self.missing_numbers = set(numbers.dropna())
        self._text: dict[str, pd.Series] = {}

    def shown(self, column: str, value: object) -> str:
        """The value as a message may show it: a declared text column, an e-mail address or a
        phone number shows only its length."""
        if value is None or not str(value).strip():
            return "a blank"
        if column in self.spec.columns.text:
            return f"a value of {len(str(value))} characters"
        if (kind := _personal(str(value))) is not None:
            return f"a value of {len(str(value))} characters that looks like {kind}, not shown"
        text = repr(value)
        return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 4] + "...'"

    def fail(self, mask: pd.Series, column: str, expected: str, hint: str = "") -> None:
        where = mask[mask].index[0]
        count = int(mask.sum())
        more = f" ({count} such values in all)" if count > 1 else ""
        value = self.frame.loc[where, column]
        label = self.raw.labels.get(column, {}).get(str(value).strip()) if value else None
        found = self.shown(column, value) + (f" (labelled {label!r})" if label else "")
        raise InputError(
            self.path,
            f"found {found}; expected {expected}{more}{hint}",
            **{self.kind: int(where)},
            column=column,
        )

    def stripped(self, column: str) -> pd.Series:
        """The column's cells as text without surrounding whitespace (blank cells missing).

        Computed once per column, as pandas' ``str`` dtype (Arrow-backed where pyarrow is
        installed), so that every check is vectorised: a million-row export is checked in
        seconds, not minutes.
        """
        if column not in self._text:
            self._text[column] = self.frame[column].astype("str").str.strip()
        return self._text[column]

    def blank(self, column: str) -> pd.Series:
        """Cells that are blank or declared missing (``missing:``)."""
        text = self.stripped(column)
        return text.isna() | (text == "") | text.isin(self.missing_text)

    def numeric(self, column: str) -> pd.Series:
        text = self.stripped(column)
        missing = self.blank(column)
        cleaned = text.where(~missing)
        comma = self.spec.decimal == ","
        if comma:
            cleaned = cleaned.where(~cleaned.str.contains(".", regex=False, na=False), "x")
            cleaned = cleaned.str.replace(",", ".", regex=False)
        # parse each distinct text once: a score column holds a handful of them
        codes, uniques = pd.factorize(cleaned)
        parsed = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce")
        parsed = np.append(parsed.to_numpy("float64", na_value=np.nan), np.nan)
        values = pd.Series(parsed[codes], index=cleaned.index, dtype="float64")
        bad = values.isna() & ~missing
        if bad.any():
            what = "a number with a decimal comma" if comma else "a number"
            self.fail(
                bad,
                column,
                f"{what} or a blank",
                ". If it means 'no answer', list it under 'missing:' in the survey section "
                "of study.yaml",
            )
        if self.missing_numbers:
            values = values.mask(values.isin(self.missing_numbers))
        return values

    def scale(self, column: str, low: int, high: int, what: str) -> pd.Series:
        values = self.numeric(column)
        bad = values.notna() & ((values < low) | (values > high) | (values % 1 != 0))
        if bad.any():
            self.fail(
                bad,
                column,
                f"{what}: a whole number from {low} to {high}",
                ". A code for 'no answer' (e.g. 99 \"Don't know\") belongs under 'missing:' "
                "in the survey section of study.yaml",
            )
        return values

    def labels(self, column: str, *, strip: bool, labelled: bool) -> pd.Series:
        """Text cells: blank or declared missing → None, SPSS value labels applied."""
        mapping = self.raw.labels.get(column, {}) if labelled else {}
        keys = self.stripped(column)
        values = keys if strip else self.frame[column].astype(object)
        if mapping:
            values = values.where(~keys.isin(list(mapping)), keys.map(mapping))
        values = values.astype(object).where(~self.blank(column), None)
        # one str object per distinct value: a million rows of four regions hold four strings
        codes, uniques = pd.factorize(values)
        shared = np.append(np.asarray(uniques, dtype=object), None)
        return pd.Series(shared[codes], index=values.index, dtype=object)

    def ids(self) -> pd.Series:
        column = self.spec.columns.id
        ids = self.stripped(column)
        empty = ids.isna() | (ids == "")
        if empty.any():
            self.fail(empty, column, "a participant id (never blank)")
        dup = ids.duplicated(keep=False)
        if dup.any():
            first = ids[dup].iloc[0]
            at = [str(i) for i, v in ids[dup].items() if v == first]
            n_ids = ids[dup].nunique()
            others = ""
            if n_ids > 1:
                others = f"; {n_ids - 1} more {'id is' if n_ids == 2 else 'ids are'} repeated too"
            shown = self.shown(column, first)
            shown = shown if shown.startswith(("'", '"')) else f"({shown})"
            raise InputError(
                self.path,
                f"duplicate participant id {shown} on {self.kind}s "
                f"{', '.join(at)}"
                f"{others}; ids must be unique",
                **{self.kind: int(at[0])},
                column=column,
            )
        return pd.Series(ids.tolist(), index=ids.index, dtype=object)


def _check_columns(spec: SurveySpec, raw: RawSurvey) -> None:
    available = [str(c) for c in raw.frame.columns]
    absent = [(c, key) for c, key in spec.columns.declared().items() if c not in raw.frame.columns]
    if not absent:
        return
    listed = ", ".join(repr(c) for c in available[:40])
    if len(available) > 40:
        listed += f", … ({len(available)} in all)"
    where = {} if raw.header_at is None else {raw.frame.index.name: raw.header_at}
    problems = [
        Problem(
            spec.file,
            f"column {c!r} declared in study.yaml ({key}) is not in the file."
            f"{suggest(c, available)} Columns in the file: {listed}",
            column=c,
            **where,
        )
        for c, key in absent
    ]
    if len(problems) == 1:
        p = problems[0]
        raise InputError(p.file, p.message, line=p.line, row=p.row, column=p.column)
    raise StudyError(problems)


def read_responses(spec: SurveySpec) -> pd.DataFrame:
    """Read and validate the survey export declared in ``study.yaml``.

    Parameters
    ----------
    spec : SurveySpec
        ``study.survey``.

    Returns
    -------
    pandas.DataFrame
        The ``responses`` table: ``participant_id`` (str) first, then the declared columns
        under their own names: scores and weights as floats (NaN when blank or declared
        missing), segments, wave and date as stripped strings (SPSS value labels applied),
        text as strings exactly as in the file (``None`` when blank or declared missing).
        Undeclared columns are dropped. The index is the line (text files) or row
        (spreadsheets; case number for SPSS and Parquet) each response came from.

    Raises
    ------
    InputError
        Naming the file, line or row, column, the value found and what is allowed: missing
        or misspelled columns (with a suggestion), blank or duplicate ids, non-numeric
        scores, NPS outside the integers 0–10, CSAT, CES and Likert items outside their
        ``scale``, weights that are not positive.
    StudyError
        When several declared columns are missing (one problem each).

    Examples
    --------
    >>> import voc
    >>> from voc.io.survey import read_responses
    >>> responses = read_responses(voc.load_study("studies/example").survey)  # doctest: +SKIP
    >>> responses["participant_id"].iloc[0]  # doctest: +SKIP
    'R0001'
    """
    key = _read_key(spec)
    if key is not None and _LAST_READ and _LAST_READ[0][0] == key:
        return pickle.loads(_LAST_READ[0][1])
    out = _read_responses(spec)
    if key is not None:
        _LAST_READ[:] = [(key, pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))]
    return out


#: The last survey table read in this process, keyed by file, sha256 and spec (see the notes),
#: pickled: one compact buffer rather than millions of small objects kept alive.
_LAST_READ: list[tuple[tuple[str, str, str], bytes]] = []


def _read_key(spec: SurveySpec) -> tuple[str, str, str] | None:
    try:
        with spec.file.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None  # reading it reports the problem
    return str(spec.file.resolve()), digest, spec.model_dump_json()


def _read_responses(spec: SurveySpec) -> pd.DataFrame:
    raw = load_survey(spec)
    _check_columns(spec, raw)
    check = _Checker(spec, raw)
    cols = spec.columns
    out = pd.DataFrame(index=raw.frame.index)
    out["participant_id"] = check.ids()
    if cols.nps is not None:
        out[cols.nps] = check.scale(cols.nps, 0, 10, "NPS")
    for key in ("csat", "ces"):
        score = getattr(cols, key)
        if score is not None:
            out[score.column] = check.scale(score.column, *score.scale, key.upper())
    if cols.likert is not None:
        for item in cols.likert.items:
            out[item] = check.scale(item, *cols.likert.scale, "Likert item")
    if cols.weight is not None:
        values = check.numeric(cols.weight)
        bad = values.isna() | (values <= 0) | ~np.isfinite(values)
        if bad.any():
            check.fail(bad, cols.weight, "a positive weight (every respondent needs one)")
        out[cols.weight] = values
    for col in cols.segments:
        out[col] = check.labels(col, strip=True, labelled=True)
    if cols.wave:
        out[cols.wave] = check.labels(cols.wave, strip=True, labelled=True)
    if cols.date:
        out[cols.date] = check.labels(cols.date, strip=True, labelled=False)
    for col in cols.text:
        out[col] = check.labels(col, strip=False, labelled=False)
    if cols.id != "participant_id" and cols.id in out.columns:
        out = out.drop(columns=cols.id)
    return out
