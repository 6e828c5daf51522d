"""The study: ``studies/<slug>/study.yaml`` parsed, validated and with its paths resolved.

``load_study`` is the one entry point. It reads no data files; ``voc.io.check_inputs`` does that.

Examples
--------
>>> import voc
>>> study = voc.load_study("studies/example")  # doctest: +SKIP
>>> study.survey.columns.nps                   # doctest: +SKIP
'nps'
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from voc.errors import Problem, StudyError

__all__ = [
    "AnalysisSettings",
    "IdRules",
    "InterviewsSpec",
    "LikertSpec",
    "PrivacySpec",
    "ScoreSpec",
    "Study",
    "SurveyColumns",
    "SurveySpec",
    "TopicSettings",
    "WeightingSpec",
    "load_study",
    "suggest",
]

STUDY_FILE = "study.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _scale(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) == 2:
        low, high = value
        ints = isinstance(low, int) and isinstance(high, int) and not isinstance(low, bool)
        if ints and low >= high:
            raise ValueError(f"scale must be [low, high] with low < high, found {list(value)}")
    return value


class ScoreSpec(_Model):
    """A single-item score column with its scale, e.g. CSAT 1–5."""

    column: str
    scale: tuple[int, int]
    label: str | None = None

    _check_scale = field_validator("scale", mode="before")(classmethod(lambda cls, v: _scale(v)))


class LikertSpec(_Model):
    """A battery of Likert items sharing one scale; ``items`` maps column → item wording."""

    items: dict[str, str]
    scale: tuple[int, int] = (1, 5)

    _check_scale = field_validator("scale", mode="before")(classmethod(lambda cls, v: _scale(v)))

    @field_validator("items", mode="before")
    @classmethod
    def _items_from_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            return {str(v): str(v) for v in value}
        return value

    @field_validator("items")
    @classmethod
    def _items_not_empty(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("list at least one item column")
        return value


def _score_shorthand(default_scale: tuple[int, int]):
    def convert(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"column": value, "scale": default_scale}
        if isinstance(value, dict) and "scale" not in value:
            return {**value, "scale": default_scale}
        return value

    return classmethod(convert)


class SurveyColumns(_Model):
    """Which column of the survey file holds what. Only ``id`` is required."""

    id: str
    nps: str | None = None
    csat: ScoreSpec | None = None
    ces: ScoreSpec | None = None
    likert: LikertSpec | None = None
    segments: list[str] = Field(default_factory=list)
    weight: str | None = None
    text: list[str] = Field(default_factory=list)
    wave: str | None = None
    date: str | None = None

    _csat = field_validator("csat", mode="before")(_score_shorthand((1, 5)))
    _ces = field_validator("ces", mode="before")(_score_shorthand((1, 7)))

    @field_validator("segments", "text", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def breakdowns(self) -> list[str]:
        """The columns results are broken down by: the segments, then the wave if declared."""
        return [*self.segments, *([self.wave] if self.wave else [])]

    def declared(self) -> dict[str, str]:
        """Every declared column as ``{column name: key path}``."""
        out: dict[str, str] = {self.id: "survey.columns.id"}
        for key in ("nps", "weight", "wave", "date"):
            if (col := getattr(self, key)) is not None:
                out[col] = f"survey.columns.{key}"
        for key in ("csat", "ces"):
            if (spec := getattr(self, key)) is not None:
                out[spec.column] = f"survey.columns.{key}.column"
        if self.likert is not None:
            for col in self.likert.items:
                out[col] = "survey.columns.likert.items"
        for key in ("segments", "text"):
            for col in getattr(self, key):
                out[col] = f"survey.columns.{key}"
        return out


class WeightingSpec(_Model):
    """Rake the survey to known population margins (iterative proportional fitting).

    ``targets`` maps a segment column to the population share of each of its values, e.g.
    ``{region: {EMEA: 0.3, APAC: 0.2, ...}}``; shares of one column must sum to 1.
    """

    targets: dict[str, dict[str, float]]
    max_iter: int = Field(default=100, ge=1)

    @field_validator("targets")
    @classmethod
    def _shares(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        if not value:
            raise ValueError("give at least one column with its target shares")
        for column, shares in value.items():
            if any(s < 0 for s in shares.values()):
                raise ValueError(f"target shares of {column!r} must not be negative")
            total = sum(shares.values())
            if abs(total - 1) > 1e-3:
                raise ValueError(
                    f"target shares of {column!r} sum to {total:.4g}; they must sum to 1"
                )
        return value


class SurveySpec(_Model):
    """The survey export and how to read it.

    ``header_rows: 2`` reads a SurveyMonkey-style export whose second row names the
    sub-answers: each column is named ``"<row 1> - <row 2>"``, row 1 filled in over the blank
    (merged) cells above sub-answers, and a row-2 ``Response`` left out, so a single-answer
    question keeps its own text. ``duplicate_headers: rename`` accepts a header that repeats a
    name (a ``Comments`` column after every item) and numbers the repeats from the left:
    ``Comments``, ``Comments_2``, ``Comments_3``; without it a repeated name is an error.
    """

    file: Path
    format: Literal["auto", "csv", "xlsx", "sav", "parquet", "qualtrics"] = "auto"
    encoding: str | None = None
    delimiter: str | None = None
    decimal: Literal[".", ","] = "."
    sheet: str | None = None
    header_rows: int = Field(default=1, ge=1, le=3)
    duplicate_headers: Literal["error", "rename"] = "error"
    missing: list[str | int | float] = Field(default_factory=list)
    columns: SurveyColumns
    weighting: WeightingSpec | None = None

    @model_validator(mode="after")
    def _one_weighting(self) -> SurveySpec:
        if self.weighting is not None and self.columns.weight is not None:
            raise ValueError(
                "declare either a weight column (survey.columns.weight) or raking targets "
                "(survey.weighting), not both"
            )
        return self

    @property
    def weight_column(self) -> str | None:
        """The column estimates are weighted by: the declared one, ``weight`` when raked, or None."""
        if self.columns.weight is not None:
            return self.columns.weight
        return "weight" if self.weighting is not None else None

    @field_validator("delimiter", mode="plain")
    @classmethod
    def _one_character(cls, value: Any) -> str | None:
        # "plain": the model strips whitespace from strings, which would turn a TAB into "".
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in {"tab", "\\t"}:
            return "\t"
        if not isinstance(value, str) or len(value) != 1:
            raise ValueError(f"the delimiter must be one character or 'tab', found {value!r}")
        return value


class IdRules(_Model):
    """How interview participant ids are matched to survey ids (applied to both sides).

    ``mapping`` is a CSV with columns ``interview_id, survey_id`` for ids that differ outright;
    it is applied first, then ``strip``, ``case`` and ``zero_pad`` (the first run of digits is
    padded to that width: ``R12`` → ``R0012``).
    """

    case: Literal["upper", "lower"] | None = "upper"
    strip: bool = True
    zero_pad: int | None = Field(default=None, ge=1, le=20)
    mapping: Path | None = None


class InterviewsSpec(_Model):
    """Interview transcripts and, optionally, their codebook and codings."""

    transcripts: Path
    participant_pattern: str = r"(?P<id>[A-Za-z]*\d+)"
    interviewer: list[str] = Field(default_factory=lambda: ["Interviewer"])
    codebook: Path | None = None
    codings: Path | None = None
    #: a coding that points at a missing transcript, turn or code (or text that cannot be
    #: found): "error" stops, "warn" leaves it out, counts it and lists it in the report
    unmatched_codings: Literal["error", "warn"] = "error"
    participant_ids: IdRules = Field(default_factory=IdRules)

    @field_validator("participant_pattern")
    @classmethod
    def _pattern_has_id(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        if "id" not in compiled.groupindex:
            raise ValueError(
                f"the pattern {value!r} needs a named group 'id', e.g. 'P(?P<id>\\d+)_.*'"
            )
        return value

    @field_validator("interviewer", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class TopicSettings(_Model):
    """Settings of the topic model (see ``voc.topics``)."""

    backend: str = "tfidf"
    min_topic_size: int = Field(default=10, ge=2)
    nr_topics: int | None = Field(default=None, ge=2)
    #: "local" (this process) or "dask" (place the documents on a Dask cluster)
    engine: Literal["local", "dask"] = "local"
    #: dask only: a scheduler address ("tcp://host:8786") or a number of local workers;
    #: empty = a LocalCluster with one worker per core
    scheduler: str | int | None = None
    #: k-means is fitted on a content-keyed sample of at most this many documents
    max_fit_docs: int = Field(default=20_000, ge=20)


class AnalysisSettings(_Model):
    """Analysis settings shared by every notebook."""

    random_seed: int = 0
    min_base: int = Field(default=30, ge=1)
    suppress_below: int = Field(default=5, ge=0)
    topics: TopicSettings = Field(default_factory=TopicSettings)
    #: qualitative code -> the survey driver item it speaks to (for the joint display)
    code_drivers: dict[str, str] = Field(default_factory=dict)


class PrivacySpec(_Model):
    """Pseudonymise people, companies and places from a roster, plus e-mails, phones and URLs.

    The key that makes pseudonyms consistent lives outside the study and the outputs: in the
    file ``key_file`` or in the environment variable ``VOC_PSEUDONYM_KEY``
    (create one with ``voc keygen``).
    """

    roster: Path
    key_file: Path | None = None
    emails: bool = True
    phones: bool = True
    urls: bool = True


class Study(_Model):
    """A validated study. Paths are absolute; ``root`` is the study folder.

    Build it with :func:`load_study`, not directly.
    """

    title: str
    description: str = ""
    owner: str | None = None
    survey: SurveySpec | None = None
    interviews: InterviewsSpec | None = None
    privacy: PrivacySpec | None = None
    analysis: AnalysisSettings = Field(default_factory=AnalysisSettings)
    root: Path = Field(default=Path(), exclude=True)

    @field_validator("title")
    @classmethod
    def _title_not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("the title must not be empty")
        return value

    @model_validator(mode="after")
    def _needs_an_input(self) -> Study:
        if self.survey is None and self.interviews is None:
            raise ValueError(
                "a study needs at least one input: add a 'survey:' section, an "
                "'interviews:' section, or both"
            )
        return self

    @property
    def slug(self) -> str:
        """The study's folder name, used for ``outputs/<slug>/``."""
        return self.root.name

    @property
    def path(self) -> Path:
        """The ``study.yaml`` file."""
        return self.root / STUDY_FILE

    @property
    def has_survey(self) -> bool:
        return self.survey is not None

    @property
    def has_interviews(self) -> bool:
        return self.interviews is not None

    @property
    def has_codings(self) -> bool:
        return self.interviews is not None and self.interviews.codings is not None

    @property
    def has_text(self) -> bool:
        """Whether there is any free text to model: survey comments or transcripts."""
        return self.has_interviews or (self.survey is not None and bool(self.survey.columns.text))

    def input_files(self) -> list[Path]:
        """Every raw file the study reads, ``study.yaml`` first, sorted and absolute."""
        files = [self.path]
        if self.survey is not None:
            files.append(self.survey.file)
        if self.interviews is not None:
            folder = self.interviews.transcripts
            if folder.is_dir():
                files += sorted(p for p in folder.rglob("*") if p.is_file())
            extras = (
                self.interviews.codebook,
                self.interviews.codings,
                self.interviews.participant_ids.mapping,
            )
            for extra in extras:
                if extra is not None:
                    files.append(extra)
        if self.privacy is not None:
            files.append(self.privacy.roster)
        return files


# --------------------------------------------------------------------------------------------
# Loading and error reporting
# --------------------------------------------------------------------------------------------


def suggest(word: str, choices: list[str] | tuple[str, ...] | set[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for a close match of *word* in *choices*, else ``""``."""
    lowered = {str(c).lower(): str(c) for c in choices}
    key = word.lower()
    match = difflib.get_close_matches(key, list(lowered), n=1, cutoff=0.6)
    if not match and len(key) >= 3:
        # "nps" for "nps_score", "region" for "Region (self-reported)"
        match = sorted((c for c in lowered if key in c or (len(c) >= 3 and c in key)), key=len)[:1]
    return f" Did you mean {lowered[match[0]]!r}?" if match else ""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that rejects duplicate keys (PyYAML silently keeps the last one)."""


def _no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _node_line(root: yaml.Node | None, loc: tuple[Any, ...], *, key: bool = False) -> int | None:
    """1-based line of the YAML node at *loc* (of its key when *key*), or of its deepest parent."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part):
                    node, line = v, (k if key else v).start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the mapping at *loc* (for listing allowed keys)."""
    model: Any = Study
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = _unwrap(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    for arg in get_args(annotation) or ():
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    if get_origin(annotation) is None:
        return annotation
    return None


def _public_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, f in model.model_fields.items() if not f.exclude]


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(file: Path, root: yaml.Node | None, err: dict[str, Any]) -> Problem:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    key = ".".join(str(p) for p in loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = _public_fields(parent) if parent else []
        message = f"unknown key {str(loc[-1])!r}.{suggest(str(loc[-1]), allowed)}"
        if allowed:
            message += f" Allowed keys here: {', '.join(allowed)}."
        return Problem(file, message, line=_node_line(root, loc, key=True), key=key)
    if kind == "missing":
        parent = ".".join(str(p) for p in loc[:-1]) or "the top level"
        message = f"missing required key {str(loc[-1])!r} under {parent}"
        return Problem(file, message, line=_node_line(root, loc[:-1]), key=key)
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "literal_error":
        msg = f"found {_describe(err.get('input'))}; allowed: {err['ctx']['expected']}"
    elif kind not in {"value_error", "assertion_error"} and "input" in err:
        msg = f"found {_describe(err['input'])}: {msg[0].lower()}{msg[1:]}"
    return Problem(file, msg, line=_node_line(root, loc), key=key or None)


def load_study(path: str | Path) -> Study:
    """Read, validate and resolve a study.

    Parameters
    ----------
    path : str or Path
        The study folder, or its ``study.yaml``.

    Returns
    -------
    Study
        Frozen, with every input path made absolute (relative paths are relative to the
        study folder).

    Raises
    ------
    StudyError
        With one entry per problem, each naming the file, the line, the key path
        (``survey.columns.nps``), what was found and what is allowed.
    """
    path = Path(path).expanduser()
    file = path / STUDY_FILE if path.is_dir() else path
    if not file.exists():
        hint = ""
        if path.is_dir():
            hint = f" Create one with: voc new {path.name}"
        elif not path.exists():
            siblings = (
                [p.name for p in path.parent.glob("*") if p.is_dir()]
                if path.parent.is_dir()
                else []
            )
            hint = suggest(path.name, siblings)
        raise StudyError([Problem(file, f"no study here: {file} does not exist.{hint}")])
    file = file.resolve()
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StudyError(
            [
                Problem(
                    file,
                    f"study.yaml must be UTF-8 text, but byte 0x{raw[exc.start]:02x} at byte "
                    f"offset {exc.start} is not valid UTF-8 ({exc.reason}); save it as UTF-8",
                    line=line,
                )
            ]
        ) from None
    try:
        root = yaml.compose(text, Loader=_UniqueKeyLoader)
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and cmark is not None:
            problem += f" ({context} on line {cmark.line + 1})"
        raise StudyError(
            [Problem(file, f"not valid YAML: {problem}", line=mark.line + 1 if mark else None)]
        ) from None
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a {type(data).__name__}"
        raise StudyError(
            [
                Problem(
                    file, f"expected a mapping with at least 'title:' and an input, found {found}"
                )
            ]
        )
    study_root = file.parent
    try:
        study = Study.model_validate({**data, "root": study_root})
    except ValidationError as exc:
        problems = [_problem(file, root, err) for err in exc.errors()]
        raise StudyError(problems) from None
    return _resolve(study, study_root)


def _resolve(study: Study, root: Path) -> Study:
    def absolute(p: Path | None) -> Path | None:
        return None if p is None else (root / p).resolve()

    update: dict[str, Any] = {}
    if study.survey is not None:
        update["survey"] = study.survey.model_copy(update={"file": absolute(study.survey.file)})
    if study.interviews is not None:
        iv = study.interviews
        update["interviews"] = iv.model_copy(
            update={
                "transcripts": absolute(iv.transcripts),
                "codebook": absolute(iv.codebook),
                "codings": absolute(iv.codings),
                "participant_ids": iv.participant_ids.model_copy(
                    update={"mapping": absolute(iv.participant_ids.mapping)}
                ),
            }
        )
    if study.privacy is not None:
        pv = study.privacy
        key_file = None if pv.key_file is None else (root / pv.key_file.expanduser()).resolve()
        if key_file is not None and key_file.is_relative_to(root.resolve()):
            raise StudyError(
                [
                    Problem(
                        root / STUDY_FILE,
                        "the pseudonym key must live outside the study folder (a key next to "
                        "the data defeats pseudonymisation); move it, e.g. to "
                        f"~/.config/voc/{root.name}.key",
                        key="privacy.key_file",
                    )
                ]
            )
        update["privacy"] = pv.model_copy(
            update={"roster": absolute(pv.roster), "key_file": key_file}
        )
    return study.model_copy(update=update)
