"""OAI-PMH 2.0 answers checked element by element against the protocol (no OAI-PMH XSD is at hand): each verb's
children and their order, the error codes, datestamps at the declared granularity, the echoed request; then the sets,
selective harvesting with resumption tokens, the oai_archive format against its own XSD, and deleted records.

One archive for the module: the shipped samples, one public interview deleted, a researchers' interview given a
collection of its own (which no anonymous harvester may learn of), a public letter given a Cyrillic collection."""

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest
import xmlschema
from defusedxml.ElementTree import fromstring

from archive import create_app, segment_index

REPOSITORY = Path(__file__).resolve().parents[1]
OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
BASE = "http://localhost/oai"
NAMESPACE = "http://localhost/oai/oai_archive/1"
A = "{" + NAMESPACE + "}"
DELETED, HIDDEN, LETTER, OHMS = "667hyfv6", "0ayd1wnd", "5t10wwwf", "svqc7aeb"
SECOND = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*")
ERRORS = {
    "badArgument",
    "badResumptionToken",
    "badVerb",
    "cannotDisseminateFormat",
    "idDoesNotExist",
    "noRecordsMatch",
    "noMetadataFormats",
    "noSetHierarchy",
}
ARGUMENTS = {  # OAI-PMH 2.0 section 4: each verb's arguments (resumptionToken is exclusive where it is allowed)
    "Identify": set(),
    "ListMetadataFormats": {"identifier"},
    "ListSets": {"resumptionToken"},
    "ListIdentifiers": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "ListRecords": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "GetRecord": {"identifier", "metadataPrefix"},
}
# Each element's children in order: (name, least, most); None: unbounded. Section 4 and the protocol's schema.
CHILDREN = {
    "Identify": [
        ("repositoryName", 1, 1),
        ("baseURL", 1, 1),
        ("protocolVersion", 1, 1),
        ("adminEmail", 1, None),
        ("earliestDatestamp", 1, 1),
        ("deletedRecord", 1, 1),
        ("granularity", 1, 1),
        ("compression", 0, None),
        ("description", 0, None),
    ],
    "ListMetadataFormats": [("metadataFormat", 1, None)],
    "metadataFormat": [("metadataPrefix", 1, 1), ("schema", 1, 1), ("metadataNamespace", 1, 1)],
    "ListSets": [("set", 1, None), ("resumptionToken", 0, 1)],
    "set": [("setSpec", 1, 1), ("setName", 1, 1), ("setDescription", 0, None)],
    "ListIdentifiers": [("header", 1, None), ("resumptionToken", 0, 1)],
    "ListRecords": [("record", 1, None), ("resumptionToken", 0, 1)],
    "GetRecord": [("record", 1, 1)],
    "record": [("header", 1, 1), ("metadata", 0, 1), ("about", 0, None)],
    "header": [("identifier", 1, 1), ("datestamp", 1, 1), ("setSpec", 0, None)],
}


def in_order(element, expected) -> None:
    """The element's children are the expected ones, in order, each as often as allowed, and nothing else."""
    names = [child.tag.removeprefix(OAI) for child in element]
    assert all(not n.startswith("{") for n in names), f"{element.tag}: a child outside the OAI namespace: {names}"
    i = 0
    for name, least, most in expected:
        count = 0
        while i < len(names) and names[i] == name:
            i, count = i + 1, count + 1
        assert count >= least, f"{element.tag}: {name} expected at least {least} times, in {names}"
        assert most is None or count <= most, f"{element.tag}: {name} at most {most} times, in {names}"
    assert i == len(names), f"{element.tag}: unexpected or misplaced {names[i:]} in {names}"


def simple(element) -> None:
    """A leaf: text, no children, no attributes."""
    assert len(element) == 0 and not element.attrib and (element.text or "").strip(), element.tag


def check_header(header, granularity: str = "seconds") -> None:
    in_order(header, CHILDREN["header"])
    assert set(header.attrib) <= {"status"} and header.get("status", "deleted") == "deleted"
    assert re.fullmatch(r"oai:[A-Za-z0-9\-.]+:\S+", header.find(OAI + "identifier").text)
    assert SECOND.fullmatch(header.find(OAI + "datestamp").text)
    for spec in header.iterfind(OAI + "setSpec"):
        assert SPEC.fullmatch(spec.text), spec.text


def check_record(record) -> None:
    in_order(record, CHILDREN["record"])
    header = record.find(OAI + "header")
    check_header(header)
    metadata = record.find(OAI + "metadata")
    # a deleted record has its header alone; any other its metadata: one element of its format's namespace
    assert (metadata is None) == (header.get("status") == "deleted")
    if metadata is not None:
        assert len(metadata) == 1 and not metadata[0].tag.startswith(OAI) and metadata[0].tag.startswith("{")


def check_token(token, complete: bool) -> None:
    assert set(token.attrib) <= {"expirationDate", "completeListSize", "cursor"}
    assert all(token.get(n, "0").isdigit() for n in ("completeListSize", "cursor"))
    assert bool(token.text) != complete  # the last page of a list ends with an empty token


def check(response, verb: str | None, sent: dict):
    """The whole answer as the protocol defines it; returns the parsed document."""
    assert response.status_code == 200 and response.mimetype == "text/xml"
    root = fromstring(response.data)
    assert root.tag == OAI + "OAI-PMH" and not (root.text or "").strip()
    names = [c.tag.removeprefix(OAI) for c in root]
    assert names[:2] == ["responseDate", "request"], names
    assert SECOND.fullmatch(root[0].text) and not root[0].attrib
    request = root[1]
    assert request.text == BASE and len(request) == 0
    errors = root.findall(OAI + "error")
    if errors:
        assert names[2:] == ["error"] * len(errors), names
        for error in errors:
            assert error.get("code") in ERRORS and set(error.attrib) == {"code"} and len(error) == 0
        codes = {e.get("code") for e in errors}
        if codes & {"badVerb", "badArgument"}:
            assert not request.attrib  # section 3.6: no attributes echoed when the request itself was illegal
        else:
            assert request.attrib == sent
        return root
    assert verb in ARGUMENTS and names[2:] == [verb], names
    assert request.attrib == sent and set(request.attrib) - {"verb"} <= ARGUMENTS[verb]
    body = root[2]
    if verb in CHILDREN:
        in_order(body, CHILDREN[verb])
    if verb == "Identify":
        for leaf in body:
            if leaf.tag != OAI + "description":
                simple(leaf)
        assert body.find(OAI + "protocolVersion").text == "2.0"
        assert body.find(OAI + "deletedRecord").text in ("no", "transient", "persistent")
        granularity = body.find(OAI + "granularity").text
        assert granularity in ("YYYY-MM-DD", "YYYY-MM-DDThh:mm:ssZ")
        stamp = body.find(OAI + "earliestDatestamp").text
        assert (SECOND if granularity.endswith("Z") else re.compile(r"\d{4}-\d\d-\d\d")).fullmatch(stamp)
    elif verb == "ListMetadataFormats":
        for fmt in body:
            in_order(fmt, CHILDREN["metadataFormat"])
            for leaf in fmt:
                simple(leaf)
            assert SPEC.fullmatch(fmt.find(OAI + "metadataPrefix").text)
    elif verb == "ListSets":
        for entry in body.iterfind(OAI + "set"):
            in_order(entry, CHILDREN["set"])
            assert SPEC.fullmatch(entry.find(OAI + "setSpec").text)
            for about in entry.iterfind(OAI + "setDescription"):
                assert len(about) == 1 and about[0].tag.startswith("{") and not about[0].tag.startswith(OAI)
    elif verb == "ListIdentifiers":
        for header in body.iterfind(OAI + "header"):
            check_header(header)
    else:
        for record in body.iterfind(OAI + "record"):
            check_record(record)
    token = body.find(OAI + "resumptionToken")
    if token is not None:
        check_token(token, complete="resumptionToken" in sent and not token.text)
    return root


def ask(client, **args):
    """GET /oai with these arguments (a leading underscore is dropped, so `_from` sends `from`), checked."""
    sent = {k.lstrip("_"): v for k, v in args.items()}
    response = client.get(f"/oai?{urlencode(sent)}")
    return check(response, sent.get("verb"), sent)


def error_of(root) -> str | None:
    found = root.find(OAI + "error")
    return None if found is None else found.get("code")


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("oai")
    for kind in ("interviews", "media"):
        shutil.copytree(REPOSITORY / kind, root / kind)
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    collection = app.extensions["collection"]
    for kind, record_id, name, changes in (
        ("interviews", HIDDEN, "interview.json", {"collection": "Семейный архив Пак"}),
        ("media", LETTER, "item.json", {"collection": "Письма из Караганды"}),
    ):
        stored = collection.read(kind, record_id, name)
        record = {**stored.json(), **changes}
        collection.write(kind, record_id, {name: json.dumps(record).encode()}, "setup", {name: stored.version})
    app.extensions["services"].tombstones.delete("interviews", DELETED, "Taken down", "setup")
    return app


def test_every_verb_answers_as_the_protocol_defines_it(archive):
    client = archive.test_client()
    identify = ask(client, verb="Identify")[2]
    assert identify.find(OAI + "deletedRecord").text == "persistent"
    assert identify.find(OAI + "granularity").text == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.find(OAI + "baseURL").text == BASE

    formats = ask(client, verb="ListMetadataFormats")[2]
    offered = {f.find(OAI + "metadataPrefix").text: f for f in formats}
    assert set(offered) == {"oai_dc", "oai_archive"}
    assert offered["oai_archive"].find(OAI + "metadataNamespace").text == NAMESPACE
    assert offered["oai_archive"].find(OAI + "schema").text == "http://localhost/oai/oai_archive.xsd"
    for ref in (f"interviews/{OHMS}", f"interviews/{DELETED}"):  # per record too, a deleted one included
        one = ask(client, verb="ListMetadataFormats", identifier=f"oai:localhost:{ref}")[2]
        assert {f.find(OAI + "metadataPrefix").text for f in one} == set(offered)

    # ListSets: the three families, then the sets that public records make, and nothing of hidden records
    sets = {s.find(OAI + "setSpec").text: s for s in ask(client, verb="ListSets")[2]}
    assert list(sets)[:3] == ["kind", "place", "collection"]
    assert {"kind:interviews", "kind:media", "kind:media:photograph", "kind:media:letter", "place:ushtobe"} <= set(sets)
    assert "collection:koryo-saram-oral-history-samples" in sets
    letters = [s for s in sets if s.startswith("collection:pis")]
    assert len(letters) == 1 and sets[letters[0]].find(OAI + "setName").text == "Письма из Караганды"
    assert "kind:media:object" not in sets  # the only object is for researchers
    assert not any("Пак" in s.find(OAI + "setName").text for s in sets.values())
    ushtobe = sets["place:ushtobe"]
    assert ushtobe.find(OAI + "setName").text == "Ushtobe"
    labels = {t.get("{http://www.w3.org/XML/1998/namespace}lang"): t.text for t in ushtobe.iter(DC + "title")}
    assert labels["ru"] == "Уштобе" and ushtobe.find(f".//{DC}coverage").text.startswith("lat=")

    # ListIdentifiers and ListRecords, whole and by set: every header's sets are listed, each set holds its members
    everything = ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc")[2]
    headers = {h.find(OAI + "identifier").text.split(":")[-1]: h for h in everything}
    assert f"interviews/{HIDDEN}" not in headers and "media/452pad32" not in headers
    for header in headers.values():
        assert {s.text for s in header.iterfind(OAI + "setSpec")} <= set(sets)
    deleted = headers[f"interviews/{DELETED}"]
    assert deleted.get("status") == "deleted" and [s.text for s in deleted.iterfind(OAI + "setSpec")] == [
        "kind:interviews"
    ]
    for wanted in ("kind:interviews", "kind:media", "place:ushtobe", "place", letters[0]):
        for verb in ("ListIdentifiers", "ListRecords"):
            answer = ask(client, verb=verb, metadataPrefix="oai_dc", set=wanted)[2]
            got = {h.find(OAI + "identifier").text.split(":")[-1] for h in answer.iter(OAI + "header")}
            members = {
                ref
                for ref, h in headers.items()
                if any(s.text == wanted or s.text.startswith(wanted + ":") for s in h.iterfind(OAI + "setSpec"))
            }
            assert got == members and got, (verb, wanted)
    assert (
        ask(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:media")[2].find(OAI + "resumptionToken")
        is None
    )
    records = ask(client, verb="ListRecords", metadataPrefix="oai_archive", set="kind:interviews")[2]
    assert len(records) == 4  # three public interviews and the deleted one

    # GetRecord in both formats, and a deleted record: its header alone
    for prefix in ("oai_dc", "oai_archive"):
        got = ask(client, verb="GetRecord", metadataPrefix=prefix, identifier=f"oai:localhost:interviews/{OHMS}")
        assert got[2][0].find(OAI + "metadata") is not None
        gone = ask(client, verb="GetRecord", metadataPrefix=prefix, identifier=f"oai:localhost:interviews/{DELETED}")
        assert gone[2][0].find(OAI + "header").get("status") == "deleted"

    # every error the protocol defines that this repository can give, each in its place
    for args, code in (
        ({"verb": "Nonsense"}, "badVerb"),
        ({}, "badVerb"),
        ({"verb": "Identify", "extra": "1"}, "badArgument"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "_from": "2020-13-01"}, "badArgument"),
        (
            {"verb": "ListRecords", "metadataPrefix": "oai_dc", "_from": "2020-01-01", "until": "2030-01-01T00:00:00Z"},
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "place:not a spec"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "x"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "ListRecords", "resumptionToken": "bm9uc2Vuc2U"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "anything"}, "badResumptionToken"),
        ({"verb": "ListRecords", "metadataPrefix": "mods"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "metadataPrefix": "marc", "identifier": f"oai:localhost:interviews/{OHMS}"},
            "cannotDisseminateFormat",
        ),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": f"oai:localhost:interviews/{HIDDEN}"},
            "idDoesNotExist",
        ),
        ({"verb": "ListMetadataFormats", "identifier": "oai:localhost:media/452pad32"}, "idDoesNotExist"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "place:nowhere"}, "noRecordsMatch"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "kind:media:object"}, "noRecordsMatch"),
        ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "_from": "2999-01-01"}, "noRecordsMatch"),
    ):
        assert error_of(ask(client, **args)) == code, args
    repeated = client.get("/oai?verb=ListSets&verb=ListSets")
    assert error_of(check(repeated, None, {})) == "badArgument"


def test_a_harvest_by_set_with_tokens_is_exact(archive, monkeypatch):
    from archive.views import oai

    client = archive.test_client()
    whole = {
        h.find(OAI + "identifier").text
        for h in ask(client, verb="ListIdentifiers", metadataPrefix="oai_archive", set="place")[2]
    }
    monkeypatch.setattr(oai, "PAGE", 2)
    seen, args, cursor = [], {"verb": "ListRecords", "metadataPrefix": "oai_archive", "set": "place"}, 0
    while True:
        body = ask(client, **args)[2]
        seen += [h.find(OAI + "identifier").text for h in body.iter(OAI + "header")]
        token = body.find(OAI + "resumptionToken")
        assert token.get("cursor") == str(cursor) and token.get("completeListSize") == str(len(whole))
        cursor += 2
        if not token.text:
            break
        args = {"verb": "ListRecords", "resumptionToken": token.text}
    assert len(seen) == len(set(seen)) and set(seen) == whole and len(whole) > 4


def test_the_archive_format_validates_against_its_schema_and_carries_the_description(archive):
    client = archive.test_client()
    answer = client.get("/oai/oai_archive.xsd")
    assert answer.status_code == 200
    schema = xmlschema.XMLSchema(answer.get_data(as_text=True))
    assert schema.target_namespace == NAMESPACE
    body = ask(client, verb="ListRecords", metadataPrefix="oai_archive")[2]
    shown = list(body.iter(A + "record"))
    assert len(shown) == 5  # the three public interviews and the two public items: no deleted or hidden one
    for record in shown:
        schema.validate(record)
    ohms = next(r for r in shown if r.find(A + "identifier").text.endswith(OHMS))
    assert ohms.get("kind") == "interview" and ohms.find(A + "date").text == "2021-03-02"
    narrator = ohms.find(A + "narrator")
    assert narrator.find(A + "name").text == "Viktor Khan"
    assert [f.text for f in narrator.iterfind(A + "otherForm")] == ["Хан Виктор Семёнович", "한 빅토르"]
    assert [i.text for i in ohms.iterfind(A + "interviewer")] == ["Sofia Nam"]
    tashkent = ohms.find(f"{A}place[@id='tashkent']")
    assert tashkent.get("role") == "village" and tashkent.find(A + "coordinates").get("lat") == "41.3"
    assert [x.text for x in ohms.iterfind(A + "language")] and ohms.find(A + "access").text == "public"
    segments = ohms.findall(f"{A}segmentIndex/{A}segment")
    points = segment_index.read(archive.extensions["collection"], OHMS).points
    assert len(segments) == len(points) == 6
    assert [(float(s.get("start")), s.find(A + "title").text, s.find(A + "synopsis").text) for s in segments] == [
        (p["start"], p["title"], p["synopsis"]) for p in points
    ]
    letter = next(r for r in shown if r.find(A + "identifier").text.endswith(LETTER))
    assert letter.get("kind") == "media" and letter.find(A + "itemKind").text == "letter"
    assert letter.find(A + "collection").text == "Письма из Караганды"
    assert letter.find(f"{A}place[@id='karaganda']").get("role") == "shown"
    # a record made unreadable would fail its schema: the checker is not a formality
    broken = fromstring(
        b"<a:record xmlns:a='" + NAMESPACE.encode() + b"' kind='interview'><a:title>x</a:title></a:record>"
    )
    assert not schema.is_valid(broken)
