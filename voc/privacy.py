"""Consistent keyed pseudonyms for survey answers and transcripts, offline.

What is replaced
----------------
* **People, companies and places listed in a** `Roster`, by every form the roster gives (the
  name, its aliases and, for people, their e-mail addresses). Matching is whole-word,
  case-insensitive and Unicode-aware: text and roster are compared after NFKD, removing accents
  and casefolding (``"São Paulo"`` = ``"Sao Paulo"`` = ``"SAO PAULO"``, NFC or NFD), curly
  apostrophes count as ``'``, and any run of spaces, line breaks or ``_`` between the words of
  a name matches. ``fold_accents=False`` compares with accents kept (still NFC- and
  case-insensitive). The longest form wins (``"Priya Raman"`` is one replacement, not
  ``"Priya"`` + ``"Raman"``) and a possessive keeps its ending (``"Priya's"`` →
  ``"Person-7F3A's"``). Only the forms listed are found: list ``"Ms Okafor"`` or ``"Raman"`` as
  aliases if the data use them. Names outside the roster are **not** detected.
* **E-mail addresses**, also obfuscated ones: ``jane(at)acme(dot)com``, ``jane [at] acme [dot]
  com``, ``jane dot doe at acme dot com``. The spelled-out form (``at``/``dot`` as words) needs a
  common top-level domain (``com``, ``org``, ``uk``, ...) and a local part that is not a common
  word (``"we looked at acme dot com"`` is left alone). A roster person's address becomes that
  person's pseudonym at ``example.invalid``; e-mail comes before names, so an address is
  replaced as one unit.
* **Phone numbers**: international (``+44 20 7946 0958``, ``+1-202-555-0147``, ``0044 ...``),
  US-style (``(415) 555-0132``, ``202-555-0147``) and national with a trunk 0 (``0151 496
  0123``, 10–12 digits). Not phones: years, ``2019-2024``, prices (``$1,200``), percentages,
  dates (``2024-03-05``, ``05.03.2024``), times, ``9/10``, ids glued to letters (``R0123``).
  A 7-digit local number (``555-0132``) is not detected.
* **Web addresses** starting ``http://``, ``https://`` or ``www.`` (bare domains such as
  ``acme.com`` are not detected; a roster company alias ``Acme`` still matches inside them).

Pseudonyms
----------
``Person-7F3A``, ``Company-2B9C``, ``Place-41D0`` (4+ upper-case hex digits), an e-mail
``email-1a2b3c4d@example.invalid`` (``person-7f3a@example.invalid`` for a roster person's
address), ``[phone-3c4d5e6f]`` and ``[url-9e8f7a6b]``. They read as words in a quote, cannot be
mistaken for real names (a pool of realistic first names could collide with real people and
with a later roster), use the reserved ``.invalid`` domain (RFC 2606), and are never replaced
again: pseudonymising pseudonymised text changes nothing.

The hex digits are HMAC-SHA256 of the kind and the normalised entity under a secret key, so the
same entity gets the same pseudonym in survey and transcripts, across runs and processes, and a
different key gives different pseudonyms. Two roster entries of one kind that share digits are
told apart by extending the later entry's suffix (roster order), so appending entries never
changes earlier pseudonyms. E-mails, phones and URLs are not known in advance: their 8 hex digits
(32 bits) can coincide for different values with probability about n²/2³³; the log's
``value_hash`` tells them apart.

The key and the files
---------------------
The caller passes the key (make one with `generate_key`) and the roster. This module does no
I/O: read the roster with ``Roster.from_dict(yaml.safe_load(text))`` and the key from the
environment (e.g. ``VOC_PSEUDONYM_KEY`` in ``.env``, read by ``cli.py``). Keep key and roster
outside the study folder and the outputs: with the key, anyone can test a guessed name against a
pseudonym, and with the roster too, re-identify everyone listed. The output is **pseudonymised,
not anonymised** (see `coverage_note`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pandas as pd

__all__ = [
    "KINDS",
    "LOG_COLUMNS",
    "Entity",
    "Person",
    "Pseudonymized",
    "Pseudonymizer",
    "Roster",
    "coverage_note",
    "generate_key",
    "pseudonymize",
]

#: Columns of the redaction log, in order.
LOG_COLUMNS = ("column", "row", "start", "end", "kind", "pseudonym", "value_hash")
#: The kinds of replacement, as the log's ``kind`` column names them.
KINDS = ("person", "company", "place", "email", "phone", "url")
_PREFIX = {"person": "Person", "company": "Company", "place": "Place"}
_MIN_KEY_BYTES = 16
_VERSION = "voc-pseudonym-v1"
# Suffixes `Pseudonymizer.pseudonymize_path` keeps: the files a study reads and voc writes.
_FILE_SUFFIXES = frozenset(
    {".txt", ".md", ".docx", ".odt", ".vtt", ".srt", ".csv", ".tsv", ".xlsx", ".xls", ".sav"}
    | {".zip", ".json", ".yaml", ".yml", ".qdpx", ".qdc", ".ipynb", ".html", ".parquet", ".key"}
)

# ----------------------------------------------------------------------------------------------
# Roster


def _check_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        got = "an empty string" if isinstance(value, str) else f"a {type(value).__name__}"
        raise ValueError(f"roster {where} must be a non-empty string; got {got}")
    return value.strip()


def _check_names(values: Any, where: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError(f"roster {where} must be a list of strings; got a {type(values).__name__}")
    return tuple(_check_name(v, f"{where}[{i}]") for i, v in enumerate(values))


@dataclass(frozen=True)
class Entity:
    """A company or place: its ``name`` and other ``aliases`` it goes by in the data."""

    name: str
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _check_name(self.name, "name"))
        object.__setattr__(self, "aliases", _check_names(self.aliases, "aliases"))

    @property
    def forms(self) -> tuple[str, ...]:
        """The name and its aliases."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Person(Entity):
    """A person: ``name``, ``aliases`` (first name, nickname, "Ms Okafor") and ``emails``."""

    emails: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        emails = (self.emails,) if isinstance(self.emails, str) else self.emails
        emails = _check_names(emails, "emails")
        for i, email in enumerate(emails):
            if _email_identity(email) is None:
                raise ValueError(f"roster emails[{i}] is not an e-mail address")
        object.__setattr__(self, "emails", emails)


def _entry(raw: Any, where: str, *, person: bool) -> Entity:
    if isinstance(raw, str):
        name = _check_name(raw, where)
        return Person(name) if person else Entity(name)
    if not isinstance(raw, Mapping):
        raise ValueError(
            f"roster {where} must be a name or a mapping with 'name'; got a {type(raw).__name__}"
        )
    allowed = ("name", "aliases", "email") if person else ("name", "aliases")
    unknown = sorted(set(map(str, raw)) - set(allowed))
    if unknown:
        raise ValueError(f"roster {where}: unknown key(s) {unknown}; allowed: {list(allowed)}")
    if "name" not in raw:
        raise ValueError(f"roster {where}: 'name' is missing")
    name = _check_name(raw["name"], f"{where}.name")
    aliases = _check_names(raw.get("aliases") or (), f"{where}.aliases")
    if not person:
        return Entity(name, aliases)
    email = raw.get("email") or ()
    emails = _check_names((email,) if isinstance(email, str) else email, f"{where}.email")
    for i, value in enumerate(emails):
        if _email_identity(value) is None:
            raise ValueError(f"roster {where}.email[{i}] is not an e-mail address")
    return Person(name, aliases, emails)


@dataclass(frozen=True)
class Roster:
    """The people, companies and places to pseudonymise.

    Parameters
    ----------
    people : sequence of Person
    companies, places : sequence of Entity

    Examples
    --------
    >>> roster = Roster.from_dict({
    ...     "people": [{"name": "Priya Raman", "aliases": ["Priya"], "email": "priya@acme.com"}],
    ...     "companies": [{"name": "Acme Corp", "aliases": ["Acme"]}],
    ...     "places": ["Lagos", "São Paulo"],
    ... })
    >>> roster.people[0].forms, roster.places[1].name
    (('Priya Raman', 'Priya'), 'São Paulo')
    """

    people: tuple[Person, ...] = ()
    companies: tuple[Entity, ...] = ()
    places: tuple[Entity, ...] = ()

    def __post_init__(self) -> None:
        for attr, cls in (("people", Person), ("companies", Entity), ("places", Entity)):
            values = tuple(getattr(self, attr))
            for i, value in enumerate(values):
                if not isinstance(value, cls):
                    got = type(value).__name__
                    raise TypeError(f"roster {attr}[{i}] must be a {cls.__name__}; got a {got}")
            object.__setattr__(self, attr, values)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Roster:
        """Build a roster from the structure ``yaml.safe_load`` returns for a roster file.

        ``people``, ``companies`` and ``places`` are lists (each optional). An entry is a name,
        or a mapping with ``name``, optional ``aliases`` (list) and, for people, ``email`` (one
        address or a list). Raises ValueError naming the entry (``people[2].aliases``).
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise ValueError(
                f"roster must be a mapping with people/companies/places; got a {type(data).__name__}"
            )
        keys = ("people", "companies", "places")
        unknown = sorted(set(map(str, data)) - set(keys))
        if unknown:
            raise ValueError(f"roster: unknown key(s) {unknown}; allowed: {list(keys)}")
        parts: dict[str, tuple[Entity, ...]] = {}
        for key in keys:
            raw = data.get(key) or []
            if isinstance(raw, str | Mapping) or not isinstance(raw, Iterable):
                raise ValueError(f"roster {key} must be a list; got a {type(raw).__name__}")
            parts[key] = tuple(
                _entry(item, f"{key}[{i}]", person=key == "people") for i, item in enumerate(raw)
            )
        return cls(**parts)  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self.people) + len(self.companies) + len(self.places)


# ----------------------------------------------------------------------------------------------
# Normalisation

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})
_SEPARATORS = re.compile(r"[\s_]+")


def _fold_group(group: str, accents: bool) -> str:
    group = group.translate(_APOSTROPHES)
    if accents:
        decomposed = unicodedata.normalize("NFKD", group)
        return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return unicodedata.normalize("NFC", group).casefold()


def _fold(text: str, accents: bool) -> tuple[str, list[int] | None, list[int] | None]:
    """Fold *text* for matching; return it with, per folded character, its source span.

    A base character and the combining marks after it are folded together, so a match always
    maps back to whole characters. ``None`` maps mean the identity (ASCII text).
    """
    if text.isascii():
        return text.lower(), None, None
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        folded = _fold_group(text[i:j], accents)
        out.append(folded)
        starts.extend([i] * len(folded))
        ends.extend([j] * len(folded))
        i = j
    return "".join(out), starts, ends


def _fold_name(name: str, accents: bool) -> str:
    folded, _, _ = _fold(name, accents)
    return _SEPARATORS.sub(" ", folded).strip()


# ----------------------------------------------------------------------------------------------
# Patterns (run on the original text; masked spans are \x00, which no pattern matches)

_PROTECTED = re.compile(
    r"(?<![\w-])(?:(?:email|person|company|place)-[0-9a-f]{4,64}@example\.invalid"
    r"|(?:Person|Company|Place)-[0-9A-F]{4,64}|\[(?:phone|url)-[0-9a-f]{8,64}\])(?!\w)"
)
_GLUED = re.compile(r"_(?=(?:email|person|company|place)-|(?:Person|Company|Place)-|\[)")
_URL = re.compile(r"(?<![\w@./-])(?:https?://|www\.)[^\s<>\"'\x00]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\"*"

_ATOM = r"[\w+-]+"
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
_AT_SPOKEN = r"(?:\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+)"
_DOT = r"(?:\.|\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+)"
_TLDS = (
    "com|org|net|edu|gov|mil|int|io|co|uk|us|ca|au|nz|ie|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pt"
    "|pl|cz|gr|tr|ru|ua|br|mx|ar|cl|pe|in|jp|cn|kr|sg|hk|tw|my|id|ph|th|vn|za|ng|ke|gh|eg|ma|ae"
    "|sa|il|info|biz|me|ai|app|dev|tech|online|site|xyz|eu"
)
# Words that precede a spoken "at" in ordinary speech ("we looked at acme dot com").
_NOT_LOCAL = (
    "i|me|you|he|him|she|her|it|we|us|they|them|one|someone|somebody|anyone|everyone|people"
    "|folks|guys|team|staff|work|works|worked|working|job|look|looks|looked|looking|based|live"
    "|lives|lived|living|stay|stayed|staying|arrive|arrived|start|started|is|was|are|were|be"
    "|been|am|not|and|or|but|good|great|better|best|bad|here|there|now|later|only|also|just"
    "|still|employed|hired|joined|available|that|this|what|which|who|where|all|both|even"
)
# Chains are bounded ({0,20}) so that a long "x dot x dot ..." costs linear time, not quadratic.
_LOCAL = rf"(?<![\w'’.@+-]){_ATOM}(?:{_DOT}{_ATOM}){{0,20}}"
_EMAIL = re.compile(
    rf"{_LOCAL}\s*@\s*{_LABEL}(?:{_DOT}{_LABEL}){{0,20}}{_DOT}[^\W\d_]{{2,}}(?![\w@-])"
    rf"|(?!(?:{_NOT_LOCAL}){_AT_SPOKEN}){_LOCAL}{_AT_SPOKEN}"
    rf"{_LABEL}(?:{_DOT}{_LABEL}){{0,20}}{_DOT}(?:{_TLDS})(?![\w@-])",
    re.IGNORECASE,
)
_AT_ANY = re.compile(rf"\s*@\s*|{_AT_SPOKEN}", re.IGNORECASE)
_DOT_SPOKEN = re.compile(r"\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+", re.IGNORECASE)

_GROUP = r"(?:\([0-9]{1,5}\)|[0-9]+)"
_JOIN = r"(?:[ \u00a0]?[.\-][ \u00a0]?|[ \u00a0])"
_PHONE = re.compile(
    rf"(?<![\w+$€£¥/.,:%\x00-])(?:\+[ \u00a0]?)?{_GROUP}"
    rf"(?:{_JOIN}{_GROUP}|(?<=\))[0-9]+|[ \u00a0]?\([0-9]{{1,5}}\))*"
    r"(?![\w%/]|[.,:][0-9])"
)
_MAX_PHONE_GROUPS = 8  # "+33 1 23 45 67 89" has 6
_PHONE_GROUP = re.compile(r"\(([0-9]+)\)|([0-9]+)")


def _email_identity(text: str) -> str | None:
    """The canonical address (``jane.doe@acme.com``) of an e-mail match, or None."""
    if not _EMAIL.fullmatch(text.strip()):
        return None
    plain = _AT_ANY.sub("@", text.strip(), count=1)
    plain = _DOT_SPOKEN.sub(".", plain)
    return unicodedata.normalize("NFC", "".join(plain.split())).casefold()


def _phone_ok(groups: list[tuple[str, bool]], plus: bool) -> bool:
    """Whether digit groups ``(digits, in_parentheses)`` form a phone number."""
    digits = "".join(g for g, _ in groups)
    n, sizes = len(digits), [len(g) for g, _ in groups]
    if plus:
        return 8 <= n <= 15
    if groups[0][1]:
        return 9 <= n <= 15
    if sizes == [3, 3, 4] or (sizes == [1, 3, 3, 4] and digits[0] == "1"):
        return True
    if digits.startswith("00"):
        return 10 <= n <= 17 and sizes[0] >= 2
    return digits[0] == "0" and min(sizes) >= 2 and 10 <= n <= 12


def _phone_spans(match: re.Match[str]) -> list[tuple[int, int, str]]:
    """Phone numbers in a digit-group candidate: ``(start, end, identity)``.

    Tries the whole candidate, then the longest runs of groups that start and end at a space,
    so that "in 2023 0151 496 0123" still finds the number.
    """
    text, base = match.group(), match.start()
    plus = text.startswith("+")
    found = [
        (m.start(), m.end(), m.group(1) or m.group(2), m.group(1) is not None)
        for m in _PHONE_GROUP.finditer(text)
    ]
    n = len(found)
    # at_space[k]: the join before group k holds a space, so a number may start or end there
    at_space = [True] + [
        any(c in " \u00a0" for c in text[found[k - 1][1] : found[k][0]]) for k in range(1, n)
    ]
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < n:
        if not at_space[i]:
            i += 1
            continue
        for j in range(min(n, i + _MAX_PHONE_GROUPS), i, -1):
            if j < n and not at_space[j]:
                continue
            groups = [(g, p) for _, _, g, p in found[i:j]]
            is_plus = plus and i == 0
            if _phone_ok(groups, is_plus):
                kept = [g for g, p in groups if not (is_plus and p and g == "0")]
                start = 0 if is_plus else found[i][0]
                spans.append((base + start, base + found[j - 1][1], "+" * is_plus + "".join(kept)))
                i = j
                break
        else:
            i += 1
    return spans


def _trim_url(url: str) -> str:
    while url and (
        url[-1] in _TRAILING
        or (url[-1] == ")" and url.count("(") < url.count(")"))
        or (url[-1] == "]" and url.count("[") < url.count("]"))
    ):
        url = url[:-1]
    return url


def _mask(text: str, spans: Sequence[tuple[int, int]]) -> str:
    if not spans:
        return text
    out, pos = [], 0
    for start, end in sorted(spans):
        out += [text[pos:start], "\x00" * (end - start)]
        pos = end
    out.append(text[pos:])
    return "".join(out)


# ----------------------------------------------------------------------------------------------
# Keys


def generate_key() -> str:
    """A new random key for `Pseudonymizer`: 64 hex characters (256 bits) from `secrets`.

    Store it outside the study and its outputs (e.g. ``VOC_PSEUDONYM_KEY`` in ``.env``); the
    same key gives the same pseudonyms on every run, and losing it means new pseudonyms.
    """
    return secrets.token_hex(32)


def _key_bytes(key: Any) -> bytes:
    if isinstance(key, str):
        key = key.encode("utf-8")
    if not isinstance(key, bytes):
        raise TypeError(
            f"key must be a str or bytes (see generate_key()); got {type(key).__name__}"
        )
    if len(key) < _MIN_KEY_BYTES:
        raise ValueError(
            f"key must be at least {_MIN_KEY_BYTES} bytes long; got {len(key)}. "
            "Make one with voc.privacy.generate_key()"
        )
    return key


class _Span(NamedTuple):
    start: int
    end: int
    kind: str
    pseudonym: str
    value_hash: str


class Pseudonymized(NamedTuple):
    """What `pseudonymize` returns: the pseudonymised ``data`` and the redaction ``log``."""

    data: pd.DataFrame
    log: pd.DataFrame


# ----------------------------------------------------------------------------------------------
# Pseudonymizer


class Pseudonymizer:
    """Replace roster names, e-mails, phones and URLs in text by keyed pseudonyms.

    Builds the matcher and the roster's pseudonyms once (validating the roster: an alias that
    names two entries, or that is too short to match safely, is a ValueError); then
    `pseudonymize_text` and `pseudonymize` apply it to any number of texts and frames. The key
    is kept private and never shown (``key_id`` identifies it without revealing it).

    Parameters
    ----------
    roster : Roster
        The people, companies and places to replace.
    key : str or bytes
        Secret key of at least 16 bytes, e.g. from `generate_key`.
    detect_emails, detect_phones, detect_urls : bool, default=True
        Also replace e-mail addresses, phone numbers, web addresses found by pattern. A roster
        person's e-mail is replaced even with ``detect_emails=False``.
    fold_accents : bool, default=True
        Match names regardless of accents (``Sao Paulo`` finds ``São Paulo``).

    Examples
    --------
    >>> roster = Roster.from_dict({"people": [{"name": "Priya Raman", "aliases": ["Priya"]}]})
    >>> pz = Pseudonymizer(roster, "example key, not secret: 0123456789")
    >>> pz.pseudonymize_text("Priya Raman said Priya's team emails jane(at)acme(dot)com.")
    "Person-AEC5 said Person-AEC5's team emails email-acfd7623@example.invalid."
    """

    def __init__(
        self,
        roster: Roster,
        key: str | bytes,
        *,
        detect_emails: bool = True,
        detect_phones: bool = True,
        detect_urls: bool = True,
        fold_accents: bool = True,
    ) -> None:
        if not isinstance(roster, Roster):
            got = type(roster).__name__
            raise TypeError(f"roster must be a Roster (Roster.from_dict(...)); got a {got}")
        flags = {
            "detect_emails": detect_emails,
            "detect_phones": detect_phones,
            "detect_urls": detect_urls,
            "fold_accents": fold_accents,
        }
        for name, value in flags.items():
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be True or False; got {value!r}")
        self._key = _key_bytes(key)
        self.roster = roster
        self.detect_emails = detect_emails
        self.detect_phones = detect_phones
        self.detect_urls = detect_urls
        self.fold_accents = fold_accents
        self.key_id = self._digest("key-id", "")[:8]
        self._aliases: dict[str, tuple[str, str]] = {}  # folded form -> (kind, pseudonym)
        self._emails: dict[str, str] = {}  # canonical roster e-mail -> pseudonym
        self._assign()
        forms = sorted(self._aliases, key=lambda f: (-len(f), f))
        alternatives = "|".join(r"[\s_]+".join(map(re.escape, f.split(" "))) for f in forms)
        self._names = re.compile(rf"(?<![^\W_])(?:{alternatives})(?![^\W_])") if forms else None

    def __repr__(self) -> str:
        r = self.roster
        return (
            f"Pseudonymizer(<{len(r.people)} people, {len(r.companies)} companies, "
            f"{len(r.places)} places>, key_id={self.key_id!r}, detect_emails={self.detect_emails}, "
            f"detect_phones={self.detect_phones}, detect_urls={self.detect_urls}, "
            f"fold_accents={self.fold_accents})"
        )

    @property
    def detected(self) -> tuple[str, ...]:
        """The kinds this pseudonymizer replaces (for `coverage_note`)."""
        flags = {"email": self.detect_emails, "phone": self.detect_phones, "url": self.detect_urls}
        return ("person", "company", "place", *(k for k, on in flags.items() if on))

    def _digest(self, kind: str, identity: str) -> str:
        message = f"{_VERSION}\x00{kind}\x00{identity}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _assign(self) -> None:
        """Give every roster entry its pseudonym and index its forms (validating them)."""
        owner: dict[str, str] = {}  # folded form -> "people[0]"
        groups = (("person", "people"), ("company", "companies"), ("place", "places"))
        for kind, attr in groups:
            used: set[str] = set()
            identities: dict[str, str] = {}
            for i, entity in enumerate(getattr(self.roster, attr)):
                where = f"{attr}[{i}]"
                identity = _fold_name(entity.name, accents=True)
                if identity in identities:
                    raise ValueError(
                        f"roster {where}.name duplicates {identities[identity]}.name; "
                        "names are compared ignoring case and accents"
                    )
                identities[identity] = where
                digest = self._digest(kind, identity).upper()
                size = 4
                while digest[:size] in used:
                    size += 1
                used.add(digest[:size])
                pseudonym = f"{_PREFIX[kind]}-{digest[:size]}"
                for k, form in enumerate(entity.forms):
                    folded = _fold_name(form, self.fold_accents)
                    label = f"{where}.name" if k == 0 else f"{where}.aliases[{k - 1}]"
                    if len(folded) < 2 or not any(c.isalpha() for c in folded):
                        raise ValueError(
                            f"roster {label} is too short to match safely "
                            "(a name or alias needs 2+ characters including a letter)"
                        )
                    if owner.get(folded, where) != where:
                        raise ValueError(
                            f"roster {label} is also a name or alias of {owner[folded]}; "
                            "each must belong to one entry"
                        )
                    owner[folded] = where
                    self._aliases[folded] = (kind, pseudonym)
                for k, email in enumerate(getattr(entity, "emails", ())):
                    address = str(_email_identity(email))
                    if owner.get(address, where) != where:
                        raise ValueError(
                            f"roster {where}.email[{k}] is also an e-mail of {owner[address]}"
                        )
                    owner[address] = where
                    self._emails[address] = f"{pseudonym.lower()}@example.invalid"

    def pseudonym_of(self, name: str) -> str | None:
        """The pseudonym of a roster name, alias or e-mail address; None if not in the roster."""
        found = self._aliases.get(_fold_name(name, self.fold_accents))
        if found:
            return found[1]
        return self._emails.get(str(_email_identity(name)))

    def pseudonymize_path(self, path: str) -> str:
        """*path* (a file name or a ``/``-separated path) with every part pseudonymised.

        Each folder and file name is pseudonymised on its own, a file's suffix (``.docx``) kept.
        ``_`` counts as a space too, so ``R0007_Jane_Doe.docx`` becomes
        ``R0007_Person-7F3A.docx`` and ``R0007_jane@acme.com.vtt`` loses the address. The same
        path always gives the same result, and a pseudonymised path is left as it is.

        Examples
        --------
        >>> roster = Roster.from_dict({"people": [{"name": "Jane Doe", "email": "jd@acme.com"}]})
        >>> pz = Pseudonymizer(roster, "example key, not secret: 0123456789")
        >>> pz.pseudonymize_path("data/Jane Doe/R0007_Jane_Doe_interview.docx")
        'data/Person-6835/R0007_Person-6835_interview.docx'
        >>> pz.pseudonymize_path("jd@acme.com.vtt")
        'person-6835@example.invalid.vtt'
        """
        if not isinstance(path, str):
            raise TypeError(f"path must be a str; got {type(path).__name__}")
        parts = re.split(r"([/\\])", path)
        for i, part in enumerate(parts):
            if part in {"", "/", "\\", ".", ".."}:
                continue
            dot = part.rfind(".")
            suffix = part[dot:] if dot > 0 and part[dot:].lower() in _FILE_SUFFIXES else ""
            stem = part[: len(part) - len(suffix)]
            stem = _apply(stem, self._find(stem.replace("_", " ")))[0]
            # then as written (an address with "_" in it), a pseudonym after "_" kept whole
            stem = _apply(stem, self._find(_GLUED.sub(" ", stem)))[0]
            parts[i] = stem + suffix
        return "".join(parts)

    def _find(self, text: str) -> list[_Span]:
        """Non-overlapping replacements in *text*, by start."""
        spans: list[_Span] = []
        taken = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
        masked = _mask(text, taken)

        def add(start: int, end: int, kind: str, pseudonym: str, identity: str) -> None:
            value_hash = self._digest(f"value-{kind}", identity)[:16]
            spans.append(_Span(start, end, kind, pseudonym, value_hash))
            taken.append((start, end))

        if self.detect_urls:
            for m in _URL.finditer(masked):
                url = _trim_url(m.group())
                if url.lower().startswith("www.") and "." not in url[4:].strip("."):
                    continue
                identity = url.casefold().rstrip("/")
                pseudonym = f"[url-{self._digest('url', identity)[:8]}]"
                add(m.start(), m.start() + len(url), "url", pseudonym, identity)
            masked = _mask(text, taken)
        for m in _EMAIL.finditer(masked):
            identity = str(_email_identity(m.group()))
            pseudonym = self._emails.get(identity)
            if pseudonym is None and self.detect_emails:
                pseudonym = f"email-{self._digest('email', identity)[:8]}@example.invalid"
            if pseudonym is not None:
                add(m.start(), m.end(), "email", pseudonym, identity)
        masked = _mask(text, taken)
        if self.detect_phones:
            for m in _PHONE.finditer(masked):
                for start, end, identity in _phone_spans(m):
                    pseudonym = f"[phone-{self._digest('phone', identity)[:8]}]"
                    add(start, end, "phone", pseudonym, identity)
            masked = _mask(text, taken)
        if self._names is not None:
            folded, starts, ends = _fold(masked, self.fold_accents)
            for m in self._names.finditer(folded):
                form = _SEPARATORS.sub(" ", m.group())
                kind, pseudonym = self._aliases[form]
                start = m.start() if starts is None else starts[m.start()]
                end = m.end() if ends is None else ends[m.end() - 1]
                add(start, end, kind, pseudonym, form)
        return sorted(spans)

    def pseudonymize_text(self, text: str) -> str:
        """*text* with every replacement made; everything else is kept character for character.

        Idempotent: pseudonyms (``Person-7F3A``, ``[phone-…]``, ...) are never replaced again.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be a str; got {type(text).__name__}")
        return _apply(text, self._find(text))[0]

    def pseudonymize(
        self, data: pd.DataFrame, text: str | Sequence[str], *, row_id: str | None = None
    ) -> Pseudonymized:
        """Pseudonymise the text columns of a frame; see the module function `pseudonymize`."""
        columns = _check_frame(data, text, row_id)
        rows = list(data.index) if row_id is None else list(data[row_id])
        labels = [("text column", c) for c in columns]
        labels += [(f"row {i} (0-based position) of the row ids", r) for i, r in enumerate(rows)]
        for where, label in labels:
            if isinstance(label, str) and self._find(label):
                raise ValueError(
                    f"{where} contains a roster name or contact details; row ids and text column "
                    "names go into the log and must not. Pass row_id='participant_id' or "
                    "'segment_id'"
                )
        new: dict[str, pd.Series] = {}
        records: list[tuple[Any, ...]] = []
        for column in columns:
            values = data[column].tolist()
            out: list[Any] = []
            for position, (row, value) in enumerate(zip(rows, values, strict=True)):
                if not isinstance(value, str):
                    if pd.api.types.is_scalar(value) and pd.isna(value):
                        out.append(value)
                        continue
                    raise TypeError(
                        f"column {column!r} must hold text; row {position} (0-based position) "
                        f"holds a {type(value).__name__}"
                    )
                result, placed = _apply(value, self._find(value))
                out.append(result)
                records += [(column, row, *p) for p in placed]
            dtype = data[column].dtype
            dtype = dtype if isinstance(dtype, pd.StringDtype) else object
            new[column] = pd.Series(out, index=data.index, dtype=dtype, name=column)
        log = pd.DataFrame.from_records(records, columns=list(LOG_COLUMNS))
        strings = dict.fromkeys(("column", "kind", "pseudonym", "value_hash"), "str")
        log = log.astype({**strings, "start": "int64", "end": "int64"})
        return Pseudonymized(data.assign(**new), log)


def _apply(text: str, spans: list[_Span]) -> tuple[str, list[tuple[Any, ...]]]:
    """Make the replacements; return the new text and ``(start, end, kind, pseudonym, hash)``
    rows with offsets into the new text."""
    out: list[str] = []
    placed: list[tuple[Any, ...]] = []
    pos = length = 0
    for span in spans:
        out.append(text[pos : span.start])
        length += span.start - pos
        out.append(span.pseudonym)
        placed.append(
            (length, length + len(span.pseudonym), span.kind, span.pseudonym, span.value_hash)
        )
        length += len(span.pseudonym)
        pos = span.end
    out.append(text[pos:])
    return "".join(out), placed


def _check_frame(data: Any, text: Any, row_id: Any) -> list[str]:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a DataFrame; got {type(data).__name__}")
    columns = [text] if isinstance(text, str) else list(text) if isinstance(text, Iterable) else []
    if not columns or not all(isinstance(c, str) for c in columns):
        raise TypeError(f"text must name one text column or a list of them; got {text!r}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"text lists a column twice: {columns}")
    for column in [*columns, *([row_id] if row_id is not None else [])]:
        if column not in data.columns:
            raise ValueError(
                f"column {column!r} is not in data; available columns: {list(data.columns)}"
            )
    if row_id is not None and row_id in columns:
        raise ValueError(f"row_id {row_id!r} is one of the text columns; use an id column")
    return columns


def pseudonymize(
    data: pd.DataFrame,
    text: str | Sequence[str],
    *,
    roster: Roster,
    key: str | bytes,
    row_id: str | None = None,
) -> Pseudonymized:
    """Replace roster names, e-mails, phones and URLs in text columns by keyed pseudonyms.

    Returns a new frame (other columns, the index and column dtypes unchanged; missing values
    stay missing) and the redaction log. The log holds no original text: only where each
    replacement is, its kind, its pseudonym and ``value_hash``, an HMAC of the replaced value
    under the key (a key holder can check a guess; nobody else learns anything).

    Parameters
    ----------
    data : DataFrame
    text : str or list of str
        The text column(s) to pseudonymise. For the ``segments`` table pass
        ``["speaker", "text"]``: speaker labels are names too.
    roster : Roster
    key : str or bytes
        Secret key, e.g. from `generate_key`. Same key, same pseudonyms.
    row_id : str, optional
        Column identifying rows in the log (``"segment_id"``, ``"participant_id"``); the index
        labels by default. Must not contain names (ValueError).

    Returns
    -------
    Pseudonymized
        ``data``: the frame with the text columns pseudonymised. ``log``: one row per
        replacement with ``column, row, start, end, kind, pseudonym, value_hash``, where
        ``start``/``end`` are code-point offsets into the *pseudonymised* text
        (``text[start:end] == pseudonym``), in column, row and position order. Offsets that
        other tables hold into the original text (the segments' ``start``/``end``) no longer
        fit the pseudonymised text.

    See Also
    --------
    Pseudonymizer : the same, compiled once for many frames, with more options.
    coverage_note : the sentence a report must show next to pseudonymised data.

    Examples
    --------
    >>> roster = Roster.from_dict({"people": ["Dana Whitfield"], "places": ["Chicago"]})
    >>> data = pd.DataFrame({"participant_id": ["R0037"],
    ...                      "comment": ["Dana Whitfield, Chicago: call 0151 496 0123"]})
    >>> result = pseudonymize(data, "comment", roster=roster, key="example key, not secret: 0",
    ...                       row_id="participant_id")
    >>> result.data.loc[0, "comment"]
    'Person-9840, Place-68C1: call [phone-2e682e7e]'
    >>> result.log[["row", "start", "end", "kind", "pseudonym"]]
         row  start  end    kind         pseudonym
    0  R0037      0   11  person       Person-9840
    1  R0037     13   23   place        Place-68C1
    2  R0037     30   46   phone  [phone-2e682e7e]
    """
    return Pseudonymizer(roster, key).pseudonymize(data, text, row_id=row_id)


def coverage_note(log: pd.DataFrame | None = None, *, detected: Iterable[str] = KINDS) -> str:
    """The sentence a report shows next to pseudonymised data: what was and was not covered.

    Parameters
    ----------
    log : DataFrame, optional
        A redaction log; adds the number of replacements by kind.
    detected : iterable of str, default=all kinds
        The kinds that were replaced (`Pseudonymizer.detected`).

    Examples
    --------
    >>> print(coverage_note(detected=["person", "company", "place", "email"]))  # doctest: +ELLIPSIS
    Names of people, companies and places were replaced only where they are listed in the ...
    """
    detected = list(detected)
    unknown = sorted(set(detected) - set(KINDS))
    if unknown:
        raise ValueError(f"detected: unknown kind(s) {unknown}; allowed: {list(KINDS)}")
    words = {"email": "e-mail addresses", "phone": "phone numbers", "url": "web addresses"}
    found = [w for k, w in words.items() if k in detected]
    missed = [w for k, w in words.items() if k not in detected]
    parts = [
        "Names of people, companies and places were replaced only where they are listed in the "
        "study's roster: names outside the roster, misspellings and indirect identifiers (job "
        "titles, events, details of a company) were not detected and may remain."
    ]
    if found:
        parts.append(f"{_join(found).capitalize()} were replaced by pattern.")
    if missed:
        parts.append(f"{_join(missed).capitalize()} were not replaced.")
    if log is not None:
        if not isinstance(log, pd.DataFrame) or "kind" not in log.columns:
            raise ValueError("log must be a redaction log with a 'kind' column")
        counts = log["kind"].value_counts()
        listed = [f"{counts[k]} {k}" for k in KINDS if k in counts.index]
        parts.append(f"{len(log)} replacements ({', '.join(listed) or 'none'}).")
    parts.append(
        "The data are pseudonymised, not anonymised: anyone holding the key and the roster can "
        "re-identify people."
    )
    return " ".join(parts)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
