"""Tests of voc.io.refi: REFI-QDA codebooks (.qdc) and projects (.qdpx), in and out."""

from __future__ import annotations

import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import voc
import voc.io
from voc.errors import InputError
from voc.io._transcript_text import normalise
from voc.io.refi import (
    CODEBOOK_NAMESPACE,
    PROJECT_NAMESPACE,
    read_qdc,
    read_qdpx,
    write_qdc,
    write_qdpx,
)
from voc.io.transcripts import read_transcript_text

P = f"{{{PROJECT_NAMESPACE}}}"
GUID = re.compile(r"^\{?[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\}?$")

# --------------------------------------------------------------------------------------------
# A structural checker of project.qde (no XSD validator is available): the schema's element
# order, required attributes, value types and that every reference resolves.
# Source: Project-mrt2019.xsd ("QDA-XML version 1.0", REFI), as shipped in QualCoder xsd.py.
# --------------------------------------------------------------------------------------------

PROJECT_ORDER = [
    "Users", "CodeBook", "Variables", "Cases", "Sources", "Notes", "Links", "Sets", "Graphs",
    "Description", "NoteRef",
]  # fmt: skip
CHILD_ORDER = {
    "Code": ["Description", "NoteRef", "Code"],
    "Case": ["Description", "CodeRef", "VariableValue", "SourceRef", "SelectionRef"],
    "TextSource": [
        "Description", "PlainTextContent", "PlainTextSelection", "Coding", "NoteRef",
        "VariableValue",
    ],
    "PlainTextSelection": ["Description", "Coding", "NoteRef"],
    "Coding": ["CodeRef", "NoteRef"],
    "Variable": ["Description"],
}  # fmt: skip
REQUIRED = {
    "Project": ["name"],
    "User": ["guid"],
    "Code": ["guid", "name", "isCodable"],
    "Variable": ["guid", "name", "typeOfVariable"],
    "Case": ["guid"],
    "TextSource": ["guid"],
    "PlainTextSelection": ["guid", "startPosition", "endPosition"],
    "Coding": ["guid"],
    "CodeRef": ["targetGUID"],
    "SourceRef": ["targetGUID"],
    "VariableRef": ["targetGUID"],
}
VALUES = {"TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue"}


def local(elem: ET.Element) -> str:
    return elem.tag.rpartition("}")[2]


def in_order(names: list[str], order: list[str]) -> bool:
    ranks = [order.index(n) for n in names]
    return ranks == sorted(ranks)


def check_project_structure(xml: bytes) -> ET.Element:
    root = ET.fromstring(xml)
    assert root.tag == f"{P}Project"
    children = [local(c) for c in root]
    assert set(children) <= set(PROJECT_ORDER), children
    assert in_order(children, PROJECT_ORDER), children
    assert len(children) == len(set(children)) or children.count("NoteRef") > 1
    guids: dict[str, set[str]] = {}
    for elem in root.iter():
        name = local(elem)
        assert elem.tag.startswith(P), elem.tag
        for attr in REQUIRED.get(name, []):
            assert elem.get(attr), f"<{name}> lacks {attr}"
        if name in CHILD_ORDER:
            kids = [local(c) for c in elem]
            assert set(kids) <= set(CHILD_ORDER[name]), (name, kids)
            assert in_order(kids, CHILD_ORDER[name]), (name, kids)
        for attr in ("guid", "targetGUID", "creatingUser"):
            if elem.get(attr) is not None:
                assert GUID.match(elem.get(attr)), (name, attr, elem.get(attr))
        if elem.get("guid"):
            guids.setdefault(name, set()).add(elem.get("guid"))
        if name == "Code":
            assert elem.get("isCodable") in ("true", "false")
            if elem.get("color") is not None:
                assert re.match(r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$", elem.get("color"))
        if name == "Variable":
            assert elem.get("typeOfVariable") in {
                "Text", "Boolean", "Integer", "Float", "Date", "DateTime",
            }  # fmt: skip
        if name == "PlainTextSelection":
            start, end = int(elem.get("startPosition")), int(elem.get("endPosition"))
            assert 0 <= start <= end
        if name == "VariableValue":
            kids = [local(c) for c in elem]
            assert kids[0] == "VariableRef" and len(kids) == 2 and kids[1] in VALUES, kids
        if name == "TextSource":
            has_path = elem.get("plainTextPath") is not None
            has_inline = elem.find(f"{P}PlainTextContent") is not None
            assert has_path != has_inline
    refs = {
        "CodeRef": "Code",
        "SourceRef": "TextSource",
        "VariableRef": "Variable",
    }
    for elem in root.iter():
        name = local(elem)
        if name in refs:
            assert elem.get("targetGUID") in guids.get(refs[name], set()), name
        if name in ("Coding", "PlainTextSelection") and elem.get("creatingUser"):
            assert elem.get("creatingUser") in guids["User"]
    return root


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def make_qdpx(path: Path, qde: str | bytes, members: dict[str, str | bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", qde if isinstance(qde, bytes) else qde.encode("utf-8"))
        for name, data in (members or {}).items():
            zf.writestr(name, data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def project(body: str, *, origin: str = "Tests", base: str = "") -> str:
    base_attr = f' basePath="{base}"' if base else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="{PROJECT_NAMESPACE}" '
        f'name="t" origin="{origin}"{base_attr}>{body}</Project>'
    )


U1 = "11111111-1111-1111-1111-111111111111"
C1 = "c0000000-0000-0000-0000-000000000001"
C2 = "c0000000-0000-0000-0000-000000000002"
S1 = "50000000-0000-0000-0000-000000000001"
S2 = "50000000-0000-0000-0000-000000000002"
V1 = "a0000000-0000-0000-0000-000000000001"

USERS = f'<Users><User guid="{U1}" name="anna"/></Users>'
CODEBOOK = (
    f'<CodeBook><Codes><Code guid="{C1}" name="pricing" isCodable="true"/>'
    f'<Code guid="{C2}" name="support" isCodable="true"/></Codes></CodeBook>'
)


def selection(guid: str, start: int, end: int, code: str = C1, name: str = "") -> str:
    return (
        f'<PlainTextSelection guid="{guid}" name="{name}" startPosition="{start}" '
        f'endPosition="{end}" creatingUser="{U1}"><Coding guid="{guid[:-1]}f" '
        f'creatingUser="{U1}"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


def spans_text(result: dict, source: str | None = None) -> list[str]:
    texts = dict(zip(result["sources"]["source"], result["sources"]["text"], strict=True))
    return [
        texts[r.source][r.start : r.end]
        for r in result["codings"].itertuples()
        if source is None or r.source == source
    ]


@pytest.fixture(scope="module")
def example():
    """The example study's tables, read once."""
    study = voc.load_study(Path(__file__).resolve().parent.parent / "studies" / "example")
    segments = voc.io.read_segments(study)
    folder = study.interviews.transcripts
    texts = {s: read_transcript_text(folder / s) for s in segments["source"].unique()}
    responses = voc.io.read_responses(study)
    participants = responses.loc[
        responses["participant_id"].isin(segments["participant_id"]),
        ["participant_id", "nps", "region"],
    ].reset_index(drop=True)
    return {
        "codebook": voc.io.read_codebook(study),
        "codings": voc.io.read_codings(study),
        "segments": segments,
        "texts": texts,
        "participants": participants,
    }


def export_example(example: dict, path: Path) -> Path:
    return write_qdpx(
        path,
        codebook=example["codebook"],
        texts=example["texts"],
        codings=example["codings"],
        segments=example["segments"],
        participants=example["participants"],
    )


# --------------------------------------------------------------------------------------------
# .qdc
# --------------------------------------------------------------------------------------------


def test_qdc_round_trip_of_the_example_codebook(example, tmp_path):
    codebook = example["codebook"]
    path = write_qdc(codebook, tmp_path / "codebook.qdc")
    back = read_qdc(path)
    cols = ["code", "parent", "description"]
    assert (
        back[cols].astype(object).to_numpy().tolist()
        == codebook[cols].astype(object).to_numpy().tolist()
    )
    assert back["is_codable"].all()
    root = ET.fromstring(path.read_bytes())
    assert root.tag == f"{{{CODEBOOK_NAMESPACE}}}CodeBook"
    assert [local(c) for c in root] == ["Codes"]
    # nesting is the hierarchy
    ns = f"{{{CODEBOOK_NAMESPACE}}}"
    nested = root.find(f"{ns}Codes/{ns}Code[@name='systems']/{ns}Code")
    assert nested is not None and nested.get("name") == "fragmented_systems"
    first = path.read_bytes()
    assert write_qdc(codebook, tmp_path / "again.qdc").read_bytes() == first  # deterministic
    assert codebook.equals(example["codebook"])  # input untouched


def test_read_qdc_categories_colours_nesting_and_same_names(tmp_path):
    path = tmp_path / "taguette.qdc"
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="{CODEBOOK_NAMESPACE}" '
        'origin="Taguette 1.4"><Codes>'
        f'<Code guid="{C1}" name="Service" isCodable="false" color="#00f">'
        "<Description>Support and the like</Description>"
        '<Code guid="c0000000-0000-0000-0000-00000000000a" name="positive" isCodable="true"/>'
        "</Code>"
        f'<Code guid="{C2}" name="Pricing" isCodable="false">'
        '<Code guid="{C0000000-0000-0000-0000-00000000000B}" name="positive" isCodable="true" '
        'color="#A1B2C3"/></Code>'
        '<Code guid="c0000000-0000-0000-0000-00000000000c" name="Crème brûlée"/>'
        "</Codes><Sets/></CodeBook>",
        encoding="utf-8",
    )
    codebook = read_qdc(path)
    assert codebook["code"].tolist() == [
        "Service",
        "Service/positive",
        "Pricing",
        "Pricing/positive",
        "Crème brûlée",
    ]
    assert codebook["parent"].tolist() == [None, "Service", None, "Pricing", None]
    assert codebook["is_codable"].tolist() == [False, True, False, True, True]
    assert codebook["color"].tolist() == ["#00f", None, None, "#A1B2C3", None]
    assert codebook["description"].tolist() == ["Support and the like", "", "", "", ""]
    # the reverse keeps categories, colours and GUIDs
    again = read_qdc(write_qdc(codebook, tmp_path / "out.qdc"))
    pd.testing.assert_frame_equal(again, codebook)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("not xml at all", "not well-formed"),
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
            '"&lol;&lol;&lol;">]><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
            '<Code guid="{C1}" name="&lol2;" isCodable="true"/></Codes></CodeBook>',
            "DOCTYPE",
        ),
        (
            '<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><CodeBook/>',
            "DOCTYPE",
        ),
        (f'<Project xmlns="{PROJECT_NAMESPACE}"/>', "expected a REFI-QDA <CodeBook>"),
        (f'<CodeBook xmlns="{CODEBOOK_NAMESPACE}"/>', "no <Codes>"),
        (f'<CodeBook xmlns="{CODEBOOK_NAMESPACE}"><Codes/></CodeBook>', "no codes"),
        (
            f'<CodeBook xmlns="{CODEBOOK_NAMESPACE}"><Codes><Code guid="{C1}" '
            'isCodable="true"/></Codes></CodeBook>',
            "has no name",
        ),
        (
            f'<CodeBook xmlns="{CODEBOOK_NAMESPACE}"><Codes><Code guid="{C1}" name="a"/>'
            f'<Code guid="{C1.upper()}" name="b"/></Codes></CodeBook>',
            "share the GUID",
        ),
    ],
)
def test_read_qdc_refuses_bad_files(tmp_path, text, match):
    path = tmp_path / "bad.qdc"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match) as info:
        read_qdc(path)
    assert str(path) in str(info.value)


def test_read_qdc_missing_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_qdc(tmp_path / "nope.qdc")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda cb: cb.drop(columns="parent"), "missing"),
        (lambda cb: pd.concat([cb, cb.head(1)]), "appears twice"),
        (lambda cb: cb.assign(parent=["nope"] + [None] * (len(cb) - 1)), "not a code"),
        (lambda cb: cb.assign(parent=["b", "a"]), "cycle"),
        (lambda cb: cb.assign(color=["red", None]), "#RGB"),
        (lambda cb: cb.assign(guid=["not-a-guid", None]), "not a GUID"),
        (lambda cb: cb.assign(description=["bell \x07", ""]), "U\\+0007"),
    ],
)
def test_write_qdc_validates(tmp_path, change, match):
    codebook = pd.DataFrame({"code": ["a", "b"], "parent": [None, "a"], "description": ["", ""]})
    with pytest.raises(ValueError, match=match):
        write_qdc(change(codebook), tmp_path / "x.qdc")
    assert not (tmp_path / "x.qdc").exists()


# --------------------------------------------------------------------------------------------
# write_qdpx → read_qdpx on the example study
# --------------------------------------------------------------------------------------------


def test_example_study_round_trip(example, tmp_path):
    path = export_example(example, tmp_path / "example.qdpx")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        xml = zf.read("project.qde")
        assert names[0] == "project.qde"
        assert all(re.match(r"^Sources/[0-9a-f-]{36}\.txt$", n) for n in names[1:])
        assert len(names) == 1 + len(example["texts"])
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    root = check_project_structure(xml)
    assert [local(c) for c in root] == ["Users", "CodeBook", "Variables", "Cases", "Sources"]
    assert {u.get("name") for u in root.iter(f"{P}User")} == {"coder_a", "coder_b"}

    result = read_qdpx(path)
    cols = ["code", "parent", "description"]
    codebook = example["codebook"]
    assert (
        result["codebook"][cols].astype(object).to_numpy().tolist()
        == codebook[cols].astype(object).to_numpy().tolist()
    )

    segments = example["segments"].set_index("segment_id")
    codings = example["codings"]
    expected = {
        (r.source, int(segments.at[r.segment_id, "start"]), int(segments.at[r.segment_id, "end"]),
         r.code, r.coder)
        for r in codings.itertuples()
    }  # fmt: skip
    got = result["codings"]
    assert (
        set(zip(got["source"], got["start"], got["end"], got["code"], got["coder"], strict=True))
        == expected
    )
    assert len(got) == len(expected)
    assert got["segment_id"].isna().all()
    assert got["start"].dtype == np.int64

    sources = result["sources"].set_index("source")
    assert sources["text"].to_dict() == example["texts"]
    assert set(sources["kind"]) == {"TextSource"}

    cases = result["cases"].set_index("case").sort_index()
    participants = example["participants"].set_index("participant_id").sort_index()
    assert cases.index.tolist() == participants.index.tolist()
    pd.testing.assert_series_equal(cases["nps"], participants["nps"], check_names=False)
    assert cases["region"].tolist() == participants["region"].tolist()
    by_participant = example["segments"].groupby("participant_id")["source"].unique()
    for pid, sources_of in cases["sources"].items():
        assert sorted(sources_of) == sorted(by_participant[pid])
    assert sorted(result["users"]["name"]) == ["coder_a", "coder_b"]

    # giving voc's transcript texts checks that the offsets count in them
    again = read_qdpx(path, transcripts_text=example["texts"])
    pd.testing.assert_frame_equal(again["codings"], result["codings"])


def test_write_qdpx_is_deterministic_and_pure(example, tmp_path):
    before = {k: v.copy() for k, v in example.items() if isinstance(v, pd.DataFrame)}
    first = export_example(example, tmp_path / "a" / "study.qdpx").read_bytes()
    second = export_example(example, tmp_path / "b" / "study.qdpx").read_bytes()
    assert first == second  # Project/@name is the file's stem, so keep the name
    for key, frame in before.items():
        pd.testing.assert_frame_equal(example[key], frame)
    # the order of the rows does not matter either
    shuffled = dict(example, codings=example["codings"].sample(frac=1, random_state=0))
    assert export_example(shuffled, tmp_path / "a" / "study.qdpx").read_bytes() == first
    assert not list(tmp_path.glob("*/.*.tmp"))  # atomic write leaves no temporary file


def test_write_qdpx_variable_types_round_trip(tmp_path):
    text = "Interviewer: How was it?\nP1: Fine, mostly."
    participants = pd.DataFrame(
        {
            "participant_id": ["P1", "P2"],
            "nps": pd.array([9, None], dtype="Int64"),
            "csat": [4.5, 1e-7],
            "churned": [False, True],
            "region": ["EMEA", None],
            "signed_up": pd.to_datetime(["2024-01-02 03:04:05", "2024-02-01 00:00:00"]),
        }
    )
    segments = pd.DataFrame(
        {"segment_id": ["P1-001"], "participant_id": ["P1"], "source": ["P1.txt"],
         "start": [29], "end": [len(text)]}
    )  # fmt: skip
    codings = pd.DataFrame(
        {"source": ["P1.txt"], "segment_id": ["P1-001"], "code": ["a"], "coder": ["x"]}
    )
    codebook = pd.DataFrame({"code": ["a"], "parent": [None], "description": [""]})
    path = write_qdpx(
        tmp_path / "t.qdpx",
        codebook=codebook,
        texts={"P1.txt": text},
        codings=codings,
        segments=segments,
        participants=participants,
    )
    root = check_project_structure(zipfile.ZipFile(path).read("project.qde"))
    types = {v.get("name"): v.get("typeOfVariable") for v in root.iter(f"{P}Variable")}
    assert types == {
        "nps": "Integer",
        "csat": "Float",
        "churned": "Boolean",
        "region": "Text",
        "signed_up": "DateTime",
    }
    floats = [v.text for v in root.iter(f"{P}FloatValue")]
    assert floats == ["4.5", "0.0000001"]  # xsd:decimal, no exponent
    result = read_qdpx(path)
    cases = result["cases"].set_index("case")
    assert cases["nps"].dtype == "Int64" and cases.at["P1", "nps"] == 9
    assert pd.isna(cases.at["P2", "nps"])
    assert cases["csat"].tolist() == [4.5, 1e-7]
    assert cases["churned"].dtype == "boolean" and cases["churned"].tolist() == [False, True]
    assert cases.at["P1", "region"] == "EMEA" and cases.at["P2", "region"] is None
    assert cases.at["P1", "signed_up"] == "2024-01-02T03:04:05"
    assert cases.at["P1", "sources"] == ("P1.txt",) and cases.at["P2", "sources"] == ()
    assert spans_text(result) == ["Fine, mostly."]


def _tiny(**overrides):
    args = {
        "codebook": pd.DataFrame(
            {"code": ["a", "cat"], "parent": [None, None], "description": ["", ""],
             "is_codable": [True, False]}
        ),
        "texts": {"d.txt": "hello world"},
        "codings": pd.DataFrame(
            {"source": ["d.txt"], "start": [0], "end": [5], "code": ["a"], "coder": ["x"]}
        ),
    }  # fmt: skip
    args.update(overrides)
    return args


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"texts": {"other.txt": "x"}}, "source 'd.txt' is not in texts"),
        ({"codings": pd.DataFrame({"source": ["d.txt"], "start": [0], "end": [99],
                                   "code": ["a"], "coder": ["x"]})}, "outside the text"),
        ({"codings": pd.DataFrame({"source": ["d.txt"], "start": [0], "end": [1],
                                   "code": ["zz"], "coder": ["x"]})}, "not in the codebook"),
        ({"codings": pd.DataFrame({"source": ["d.txt"], "start": [0], "end": [1],
                                   "code": ["cat"], "coder": ["x"]})}, "is a category"),
        ({"codings": pd.DataFrame({"source": ["d.txt"], "start": [0], "end": [1],
                                   "code": ["a"], "coder": [" "]})}, "coder must not be blank"),
        ({"codings": pd.DataFrame({"source": ["d.txt"], "segment_id": ["d-001"],
                                   "code": ["a"], "coder": ["x"]})}, "pass segments="),
        ({"codings": pd.DataFrame({"source": ["d.txt"], "code": ["a"], "coder": ["x"]})},
         "start/end offsets or a segment_id"),
        ({"participants": pd.DataFrame({"participant_id": ["1", "1"]})}, "appears twice"),
        ({"participants": pd.DataFrame({"participant_id": [7]})}, "must be strings"),
        ({"participants": pd.DataFrame({"id": ["7"]})}, "participant_id"),
        ({"participants": pd.DataFrame({"participant_id": ["7"], "x": [float("inf")]})},
         "cannot be written"),
    ],
)  # fmt: skip
def test_write_qdpx_validates(tmp_path, overrides, match):
    with pytest.raises(ValueError, match=match):
        write_qdpx(tmp_path / "x.qdpx", **_tiny(**overrides))
    assert not (tmp_path / "x.qdpx").exists()


def test_write_qdpx_resolves_segments_and_checks_them(tmp_path):
    segments = pd.DataFrame(
        {"segment_id": ["d-001", "e-001"], "source": ["d.txt", "e.txt"], "start": [6, 0],
         "end": [11, 1]}
    )  # fmt: skip
    codings = pd.DataFrame(
        {"source": ["d.txt", "d.txt"], "start": [pd.NA, 0], "end": [pd.NA, 5],
         "segment_id": ["d-001", None], "code": ["a", "a"], "coder": ["x", "x"]}
    )  # fmt: skip
    path = write_qdpx(tmp_path / "x.qdpx", **_tiny(codings=codings), segments=segments)
    assert sorted(spans_text(read_qdpx(path))) == ["hello", "world"]
    wrong = codings.assign(segment_id=["e-001", None])
    with pytest.raises(ValueError, match=r"belongs to 'e.txt'"):
        write_qdpx(tmp_path / "y.qdpx", **_tiny(codings=wrong), segments=segments)
    unknown = codings.assign(segment_id=["d-099", None])
    with pytest.raises(ValueError, match="segment 'd-099' is not in segments"):
        write_qdpx(tmp_path / "y.qdpx", **_tiny(codings=unknown), segments=segments)


def test_write_qdpx_normalises_texts_and_moves_offsets(tmp_path):
    raw = "Caf\u0065\u0301 \r\nis\u200f good \r\n"
    start = raw.index("is")
    codings = pd.DataFrame(
        {"source": ["d.txt"] * 2, "start": [0, start], "end": [6, len(raw)],
         "code": ["a", "a"], "coder": ["x", "y"]}
    )  # fmt: skip
    path = write_qdpx(tmp_path / "x.qdpx", **_tiny(texts={"d.txt": raw}, codings=codings))
    with zipfile.ZipFile(path) as zf:
        stored = zf.read(next(n for n in zf.namelist() if n.startswith("Sources/")))
    assert stored.decode("utf-8") == normalise(raw) == "Café\nis good\n"
    assert sorted(spans_text(read_qdpx(path))) == ["Café", "is good\n"]


# --------------------------------------------------------------------------------------------
# Hand-written projects imitating other programs
# --------------------------------------------------------------------------------------------


def test_atlas_ti_export_counts_crlf_as_one(tmp_path):
    """ATLAS.ti writes CRLF in Sources/*.txt but counts it as one character (QualCoder refi.py)."""
    text = "Interviewer: Price?\r\nP1: Too expensive.\r\nInterviewer: Support?\r\nP1: Slow.\r\n"
    counted = text.replace("\r\n", "\n")  # what ATLAS.ti counts in
    a = counted.index("Too expensive.")
    b = counted.index("Slow.")
    body = (
        USERS
        + CODEBOOK
        + f'<Sources><TextSource guid="{S1}" name="P1.txt" plainTextPath="internal://{S1}.txt">'
        + selection("e0000000-0000-0000-0000-000000000001", a, a + 14)
        + selection("e0000000-0000-0000-0000-000000000002", b, b + 5, code=C2)
        + "</TextSource></Sources>"
    )
    path = make_qdpx(
        tmp_path / "atlas.qdpx",
        project(body, origin="ATLAS.ti 23.2.1"),
        {f"Sources/{S1}.txt": text.encode("utf-8")},
    )
    result = read_qdpx(path)
    assert spans_text(result) == ["Too expensive.", "Slow."]
    assert result["sources"]["line_endings"].tolist() == ["crlf_as_one"]
    assert result["sources"]["text"].iloc[0] == counted
    assert result["codings"]["coder"].tolist() == ["anna", "anna"]
    assert result["codings"]["code"].tolist() == ["pricing", "support"]
    # forcing the other reading shifts the spans (and says so)
    forced = read_qdpx(path, line_endings="as_stored")
    assert spans_text(forced) != ["Too expensive.", "Slow."]
    assert forced["sources"]["line_endings"].tolist() == ["as_stored"]


def test_line_endings_auto_uses_selection_names(tmp_path):
    """Without an ATLAS.ti origin, the selections' names decide how CRLF was counted."""
    text = "Q: Price?\r\nA: Too expensive.\r\nQ: Support?\r\nA: Slow, very slow.\r\n"
    counted = text.replace("\r\n", "\n")
    a, b = counted.index("Too"), counted.index("Slow")
    body = (
        USERS
        + CODEBOOK
        + f'<Sources><TextSource guid="{S1}" name="P1.txt" plainTextPath="internal://{S1}.txt">'
        + selection("e0000000-0000-0000-0000-000000000001", a, a + 14, name="Too expensive.")
        + selection("e0000000-0000-0000-0000-000000000002", b, b + 16, name="Slow, very...")
        + "</TextSource></Sources>"
    )
    path = make_qdpx(tmp_path / "p.qdpx", project(body), {f"sources/{S1}.txt": text})
    result = read_qdpx(path)
    assert result["sources"]["line_endings"].tolist() == ["crlf_as_one"]
    assert spans_text(result) == ["Too expensive.", "Slow, very slow."]


def test_positions_as_stored_by_default(tmp_path):
    text = "Q: Price?\r\nA: Too expensive.\r\n"
    a = text.index("Too")
    body = (
        USERS
        + CODEBOOK
        + f'<Sources><TextSource guid="{S1}" name="P1.txt" plainTextPath="internal://{S1}.txt">'
        + selection("e0000000-0000-0000-0000-000000000001", a, a + 14)
        + "</TextSource></Sources>"
    )
    path = make_qdpx(
        tmp_path / "p.qdpx", project(body, origin="NVivo 14"), {f"Sources/{S1}.txt": text}
    )
    result = read_qdpx(path)
    assert result["sources"]["line_endings"].tolist() == ["as_stored"]
    assert spans_text(result) == ["Too expensive."]
    assert result["codings"][["start", "end"]].iloc[0].tolist() == [13, 27]


def test_maxqda_export_with_two_same_named_sources(tmp_path):
    """MAXQDA exports several sources with one name (QualCoder#396) and variables on nameless
    Cases with one SourceRef (QualCoder#465)."""
    body = (
        USERS
        + CODEBOOK
        + f'<Variables><Variable guid="{V1}" name="Age group" typeOfVariable="Text"/></Variables>'
        + '<Cases><Case guid="ca000000-0000-0000-0000-000000000001">'
        + f'<VariableValue><VariableRef targetGUID="{V1}"/><TextValue>30-39</TextValue>'
        + f'</VariableValue><SourceRef targetGUID="{S2.upper()}"/></Case></Cases>'
        + "<Sources>"
        + f'<TextSource guid="{S1}" name="Interview.txt" plainTextPath="internal://{S1}.txt">'
        + selection("e0000000-0000-0000-0000-000000000001", 0, 5)
        + f'</TextSource><TextSource guid="{S2}" name="Interview.txt" '
        + f'plainTextPath="internal://{S2.upper()}.txt">'
        + selection("e0000000-0000-0000-0000-000000000002", 6, 11, code=C2)
        + "</TextSource></Sources>"
    )
    path = make_qdpx(
        tmp_path / "maxqda.qdpx",
        project(body, origin="MAXQDA 2022"),
        {f"Sources/{S1}.txt": "first text", f"Sources/{S2.upper()}.txt": "other texts"},
    )
    result = read_qdpx(path)
    sources = result["sources"]
    assert sources["source"].tolist() == ["Interview.txt", "Interview (2).txt"]
    assert sources["name"].tolist() == ["Interview.txt", "Interview.txt"]
    assert sources["Age group"].tolist() == [None, "30-39"]
    assert result["cases"].empty
    assert list(zip(result["codings"]["source"], spans_text(result), strict=True)) == [
        ("Interview.txt", "first"),
        ("Interview (2).txt", "texts"),
    ]
    # which of the two is voc's transcript cannot be told: a clear error
    with pytest.raises(InputError, match=r"both match transcript 'Interview.txt'"):
        read_qdpx(path, transcripts_text={"Interview.txt": "first text"})


def test_inline_relative_and_absolute_sources(tmp_path):
    (tmp_path / "external").mkdir()
    (tmp_path / "external" / "rel.txt").write_text("relative text", encoding="utf-8")
    body = (
        USERS
        + CODEBOOK
        + "<Sources>"
        + f'<TextSource guid="{S1}" name="inline"><PlainTextContent>inline text'
        + "</PlainTextContent>"
        + selection("e0000000-0000-0000-0000-000000000001", 0, 6)
        + "</TextSource>"
        + f'<TextSource guid="{S2}" name="rel.txt" plainTextPath="relative:///rel.txt">'
        + selection("e0000000-0000-0000-0000-000000000002", 9, 13)
        + "</TextSource>"
        + '<TextSource guid="50000000-0000-0000-0000-000000000003" name="abs.txt" '
        + 'plainTextPath="absolute:///etc/hostname">'
        + selection("e0000000-0000-0000-0000-000000000003", 0, 3)
        + "</TextSource>"
        + '<PictureSource guid="50000000-0000-0000-0000-000000000004" name="photo.png" '
        + 'path="internal://x.png"/>'
        + "</Sources>"
    )
    path = make_qdpx(tmp_path / "p.qdpx", project(body, base="external"))
    with pytest.raises(InputError, match=r"abs.txt.*could not be read.*transcripts_text"):
        read_qdpx(path)
    result = read_qdpx(path, transcripts_text={"abs.txt": "abc def"})
    assert spans_text(result) == ["inline", "text", "abc"]
    assert result["sources"]["kind"].tolist() == [
        "TextSource", "TextSource", "TextSource", "PictureSource"
    ]  # fmt: skip
    assert result["sources"]["text"].iloc[3] is None


def test_transcripts_text_must_match_the_project_text(tmp_path):
    body = (
        USERS
        + CODEBOOK
        + f'<Sources><TextSource guid="{S1}" name="P1" plainTextPath="internal://{S1}.txt">'
        + selection("e0000000-0000-0000-0000-000000000001", 0, 5)
        + "</TextSource></Sources>"
    )
    path = make_qdpx(tmp_path / "p.qdpx", project(body), {f"Sources/{S1}.txt": "Hello\r\nworld"})
    result = read_qdpx(path, transcripts_text={"p1.TXT": "Hello\nworld"})  # name without suffix
    assert result["codings"]["source"].tolist() == ["P1"]
    with pytest.raises(InputError, match=r"differs from transcript 'P1.txt' at position 6"):
        read_qdpx(path, transcripts_text={"P1.txt": "Hello\nWorld"})


@pytest.mark.parametrize(
    ("members", "match"),
    [
        ({"../evil.txt": "x"}, "points outside the archive"),
        ({"Sources/../../evil.txt": "x"}, "points outside the archive"),
        ({"/etc/evil.txt": "x"}, "points outside the archive"),
        ({"C:/evil.txt": "x"}, "points outside the archive"),
        ({"..\\evil.txt": "x"}, "points outside the archive"),
    ],
)
def test_malicious_zip_members_are_refused(tmp_path, members, match):
    path = make_qdpx(tmp_path / "evil.qdpx", project(USERS + CODEBOOK), members)
    with pytest.raises(InputError, match=match):
        read_qdpx(path)


def test_archive_limits(tmp_path, monkeypatch):
    path = make_qdpx(
        tmp_path / "big.qdpx", project(USERS + CODEBOOK), {"Sources/a.txt": "x" * 5000}
    )
    monkeypatch.setattr("voc.io._refi_base.MAX_UNCOMPRESSED_BYTES", 4000)
    with pytest.raises(InputError, match="zip bomb"):
        read_qdpx(path)
    monkeypatch.setattr("voc.io._refi_base.MAX_MEMBERS", 1)
    with pytest.raises(InputError, match="at most 1"):
        read_qdpx(path)


def test_not_a_zip_and_no_project(tmp_path):
    bad = tmp_path / "bad.qdpx"
    bad.write_bytes(b"PK not really")
    with pytest.raises(InputError, match=r"not a .qdpx"):
        read_qdpx(bad)
    empty = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("Sources/a.txt", "x")
    with pytest.raises(InputError, match=r"project.qde"):
        read_qdpx(empty)
    with pytest.raises(InputError, match="file not found"):
        read_qdpx(tmp_path / "missing.qdpx")
    with pytest.raises(ValueError, match="line_endings"):
        read_qdpx(bad, line_endings="unix")


def test_other_qde_name_is_accepted(tmp_path):
    path = tmp_path / "p.qdpx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("My project.qde", project(USERS + CODEBOOK))
    assert read_qdpx(path)["codebook"]["code"].tolist() == ["pricing", "support"]


@pytest.mark.parametrize(
    "qde",
    [
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        f'<Project xmlns="{PROJECT_NAMESPACE}" name="&b;"/>',
        '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<Project xmlns="{PROJECT_NAMESPACE}" name="x">&x;</Project>',
    ],
)
def test_doctype_and_entities_are_refused(tmp_path, qde):
    path = make_qdpx(tmp_path / "p.qdpx", qde)
    with pytest.raises(InputError, match="DOCTYPE") as info:
        read_qdpx(path)
    assert "project.qde" in str(info.value) and "line 1" in str(info.value)


def test_missing_source_file_in_the_zip(tmp_path):
    body = (
        USERS
        + CODEBOOK
        + f'<Sources><TextSource guid="{S1}" name="P1.txt" plainTextPath="internal://{S1}.txt"/>'
        + "</Sources>"
    )
    path = make_qdpx(tmp_path / "p.qdpx", project(body))
    with pytest.raises(
        InputError, match=f"source 'P1.txt'.*internal://{S1}.txt.*not in the archive"
    ):
        read_qdpx(path)


def test_selection_out_of_range_names_the_selection(tmp_path):
    body = (
        USERS
        + CODEBOOK
        + f'<Sources><TextSource guid="{S1}" name="P1.txt" plainTextPath="internal://{S1}.txt">'
        + selection("e0000000-0000-0000-0000-00000000beef", 3, 40)
        + "</TextSource></Sources>"
    )
    path = make_qdpx(tmp_path / "p.qdpx", project(body), {f"Sources/{S1}.txt": "short text"})
    with pytest.raises(
        InputError, match=r"selection e0000000-0000-0000-0000-00000000beef in source 'P1.txt'.*3–40"
    ):
        read_qdpx(path)


def test_unknown_code_ref(tmp_path):
    unknown = "deadbeef-0000-0000-0000-000000000000"
    body = (
        USERS
        + CODEBOOK
        + f'<Sources><TextSource guid="{S1}" name="P1.txt"><PlainTextContent>some text'
        + "</PlainTextContent>"
        + selection("e0000000-0000-0000-0000-000000000001", 0, 4, code=unknown)
        + "</TextSource></Sources>"
    )
    path = make_qdpx(tmp_path / "p.qdpx", project(body))
    with pytest.raises(InputError, match=f"refers to code '{unknown}'.*not in the CodeBook"):
        read_qdpx(path)


def test_unknown_references_in_cases(tmp_path):
    body = USERS + CODEBOOK + '<Cases><Case guid="ca000000-0000-0000-0000-000000000001" name="A">'
    body += f'<SourceRef targetGUID="{S1}"/></Case></Cases>'
    with pytest.raises(InputError, match="SourceRef to an unknown source"):
        read_qdpx(make_qdpx(tmp_path / "a.qdpx", project(body)))
    body = USERS + CODEBOOK + '<Cases><Case guid="ca000000-0000-0000-0000-000000000001" name="A">'
    body += f'<VariableValue><VariableRef targetGUID="{V1}"/><TextValue>x</TextValue>'
    body += "</VariableValue></Case></Cases>"
    with pytest.raises(InputError, match="unknown variable"):
        read_qdpx(make_qdpx(tmp_path / "b.qdpx", project(body)))


def test_invalid_variable_value(tmp_path):
    body = (
        USERS
        + CODEBOOK
        + f'<Variables><Variable guid="{V1}" name="nps" typeOfVariable="Integer"/></Variables>'
        + '<Cases><Case guid="ca000000-0000-0000-0000-000000000001" name="A">'
        + f'<VariableValue><VariableRef targetGUID="{V1}"/><IntegerValue>ten</IntegerValue>'
        + "</VariableValue></Case></Cases>"
    )
    with pytest.raises(InputError, match="'A', variable 'nps': 'ten' is not a valid Integer"):
        read_qdpx(make_qdpx(tmp_path / "p.qdpx", project(body)))


def test_coder_falls_back_to_the_selection_user(tmp_path):
    body = (
        USERS
        + CODEBOOK
        + f'<Sources><TextSource guid="{S1}" name="P1.txt"><PlainTextContent>some text'
        + "</PlainTextContent>"
        + '<PlainTextSelection guid="e0000000-0000-0000-0000-000000000001" startPosition="0" '
        + f'endPosition="4" creatingUser="{U1.upper()}"><Coding guid="{C2[:-1]}9">'
        + f'<CodeRef targetGUID="{{{C1.upper()}}}"/></Coding></PlainTextSelection>'
        + "</TextSource></Sources>"
    )
    result = read_qdpx(make_qdpx(tmp_path / "p.qdpx", project(body)))
    assert result["codings"][["code", "coder"]].to_numpy().tolist() == [["pricing", "anna"]]


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

ATOMS = [
    "a", "Z", "7", " ", "  ", "\t", "\n", "\r\n", "\r", ".", "é", "e\u0301", "A\u030a",
    "\U0001f600", "\U0001f44d\U0001f3fd", "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627",
    "\u200f", "\ufeff", "\x07", "\u1100\u1161", "ß", "\u00a0",
]  # fmt: skip


def collapsed(text: str) -> str:
    return " ".join(text.split())


@st.composite
def texts_and_spans(draw):
    atoms = draw(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=40))
    bounds = [0]
    for atom in atoms:
        bounds.append(bounds[-1] + len(atom))
    n_spans = draw(st.integers(1, 5))
    spans = []
    for _ in range(n_spans):
        i, j = sorted(draw(st.tuples(st.integers(0, len(atoms)), st.integers(0, len(atoms)))))
        spans.append((bounds[i], bounds[j]))
    return "".join(atoms), spans


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=texts_and_spans())
def test_property_spans_survive_write_and_read(tmp_path, data):
    raw, spans = data
    codes = [f"c{i}" for i in range(len(spans))]
    codebook = pd.DataFrame({"code": codes, "parent": [None] * len(codes), "description": ""})
    codings = pd.DataFrame(
        {
            "source": "doc.txt",
            "start": [a for a, _ in spans],
            "end": [b for _, b in spans],
            "code": codes,
            "coder": "coder",
        }
    )
    path = write_qdpx(
        tmp_path / "p.qdpx", codebook=codebook, texts={"doc.txt": raw}, codings=codings
    )
    result = read_qdpx(path)
    text = result["sources"]["text"].iloc[0]
    assert text == normalise(raw)
    assert unicodedata.is_normalized("NFC", text)
    got = {r.code: text[r.start : r.end] for r in result["codings"].itertuples()}
    for code, (a, b) in zip(codes, spans, strict=True):
        assert collapsed(got[code]) == collapsed(normalise(raw[a:b])), (raw, a, b)


@settings(max_examples=100, deadline=None)
@given(raw=st.lists(st.sampled_from([*ATOMS, "\u0301", "\u0308", "\u1161", "\u11a8"])).map("".join))
def test_property_index_map_is_monotone_and_reproduces_normalise(raw):
    from voc.io._refi_base import normalise_with_map

    tmap = normalise_with_map(raw)
    assert tmap.text == normalise(raw)
    if tmap.lo is not None:
        assert (np.diff(tmap.lo) >= 0).all() and (np.diff(tmap.hi) >= 0).all()
        assert (tmap.lo <= tmap.hi).all()
        assert tmap.lo[0] == 0 and tmap.hi[-1] == len(tmap.text)
    for start in range(len(raw) + 1):
        a, b = tmap.span(start, len(raw))
        assert 0 <= a <= b <= len(tmap.text)


def test_deeply_nested_codebook_is_read_without_recursion(tmp_path):
    depth = 3000
    opening = "".join(
        f'<Code guid="c0000000-0000-0000-0000-{i:012d}" name="c{i}" isCodable="true">'
        for i in range(depth)
    )
    path = tmp_path / "deep.qdc"
    path.write_text(
        f'<CodeBook xmlns="{CODEBOOK_NAMESPACE}"><Codes>{opening}{"</Code>" * depth}'
        "</Codes></CodeBook>",
        encoding="utf-8",
    )
    codebook = read_qdc(path)
    assert len(codebook) == depth
    assert codebook["parent"].iloc[-1] == f"c{depth - 2}"


def test_relative_paths_only_read_text_files(tmp_path):
    (tmp_path / "secret.key").write_text("do not read me", encoding="utf-8")
    body = (
        USERS
        + CODEBOOK
        + f'<Sources><TextSource guid="{S1}" name="k" plainTextPath="relative:///secret.key">'
        + selection("e0000000-0000-0000-0000-000000000001", 0, 2)
        + "</TextSource></Sources>"
    )
    path = make_qdpx(tmp_path / "p.qdpx", project(body))
    with pytest.raises(InputError, match="could not be read"):
        read_qdpx(path)
    body = body.replace("relative:///secret.key", "relative:///../secret.txt")
    with pytest.raises(InputError, match="leaves the base folder"):
        read_qdpx(make_qdpx(tmp_path / "q.qdpx", project(body)))


def test_export_makes_cases_of_the_interviewed_respondents_only(tmp_path: Path) -> None:
    """The example has 1,500 respondents and 24 interviews: the project has 24 cases (a survey
    of a million respondents still exports one case per interviewee), each with its answers."""
    study = voc.load_study(Path(__file__).resolve().parent.parent / "studies" / "example")
    voc.io.export_refi(study, tmp_path)
    result = read_qdpx(tmp_path / "exports" / "example.qdpx")
    interviewed = set(voc.io.read_segments(study)["participant_id"])
    responses = voc.io.read_responses(study).set_index("participant_id")
    assert len(responses) == 1500 and len(interviewed) == 24
    cases = result["cases"].set_index("case")
    assert set(cases.index) == interviewed
    assert cases["nps"].tolist() == responses.loc[cases.index, "nps"].astype(int).tolist()
