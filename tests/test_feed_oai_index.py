"""The feed, the home page's latest records and OAI-PMH listed from the search index (records.readable, .listed,
.sets_made, .one; SearchIndex.changes): the same answers the full scan of every record gave, for every kind of
reader; a record changed a moment ago first in the feed and last in a harvest; a hidden record never shown, even when
the index has not yet heard that it was hidden.

One archive for the module: the shipped samples and records of every access (public ones in two collections,
researchers', staff's, a family's, an embargoed, a withdrawn and a deleted public one, a deleted staff one), three of
them changed at the same moment (ties are ordered by ref), all indexed. The scan the outputs made before the index
held each record's last change is kept here (`scan`, `scan_removed`) as what the answers must equal."""

import base64
import json
import shutil
from pathlib import Path
from urllib.parse import urlencode

import pytest
from defusedxml.ElementTree import fromstring

from archive import access, create_app, records
from archive.accounts import User
from archive.exports import oai_sets
from archive.views import oai, public

REPOSITORY = Path(__file__).resolve().parents[1]
OAI = "{http://www.openarchives.org/OAI/2.0/}"
ATOM = "{http://www.w3.org/2005/Atom}"
TOMBSTONES = "{http://purl.org/atompub/tombstones/1.0}"
TIED = "2026-01-02T03:04:05.000006Z"  # the recorded change of three records at once
KINDS = {"family": "media", "photo": "media", "object": "media", "deleted": "media"}  # the rest are interviews


def readers(ids: dict) -> dict[str, access.Reader]:
    return {
        "anyone": access.Reader(),
        "researcher": access.Reader(User(7, "rita", "researcher")),
        "family": access.Reader(family=frozenset({"c-family"})),
        "granted": access.Reader(User(8, "gita", "researcher"), grants=frozenset({f"interviews/{ids['staff']}"})),
        "staff": access.Reader(User(9, "hana", "historian")),
    }


# --- the full scan, as the outputs made it before --------------------------------------------------------------------


def scan(collection, reader) -> list[records.Record]:
    """Every record the reader may read, newest change first, read one by one."""
    found = []
    for kind, name in records.FILES.items():
        for record_id in collection.ids(kind):
            record = json.loads(collection.read(kind, record_id, name).data)
            if access.can_read(reader, record, f"{kind}/{record_id}"):
                change = collection.last_change(kind, record_id, name) or {}
                found.append(records.Record(kind, record_id, record, change.get("time", "")))
    found.sort(key=lambda r: r.changed, reverse=True)
    return found


def scan_removed(collection) -> list[records.Record]:
    found = []
    for kind, name in records.FILES.items():
        for record_id in collection.ids(kind):
            record = json.loads(collection.read(kind, record_id, name).data)
            if access.was_public(record):
                withdrawn = record.get("withdrawn")
                when = (record.get("deleted") or {}).get("time") or (withdrawn if isinstance(withdrawn, str) else "")
                when += "T00:00:00" if len(when) == 10 else ""
                found.append(records.Record(kind, record_id, record, when, removed=True))
    found.sort(key=lambda r: r.changed, reverse=True)
    return found


def scan_harvest(collection, start="", until="", wanted="") -> list[records.Record]:
    """What a harvest lists, oldest change first (ties by ref), bounded as the old view bounded it."""
    return sorted(
        (
            r
            for r in scan(collection, access.Reader()) + scan_removed(collection)
            if (not start or records.utc_stamp(r.changed) >= oai._bound(start))
            and (not until or records.utc_stamp(r.changed) <= oai._bound(until, True))
            and (not wanted or oai_sets.member(r, wanted))
        ),
        key=lambda r: (r.changed, r.ref),
    )


# --- the archive ---------------------------------------------------------------------------------------------------


def make(store, folder: str, **fields) -> str:
    places = [{"name": "Ushtobe", "place": "ushtobe"}]
    record = {"schema": 1, "title": fields.pop("title", "A record"), "date": "1990", **fields}
    if folder == "interviews":
        record |= {"narrators": [{"name": "Kim Anna", "other_forms": []}], "villages": places, "languages": ["en"]}
        files = {"interview.json": json.dumps(record, ensure_ascii=False).encode()}
        files["segments.json"] = json.dumps(
            [{"n": 1, "start": 0.0, "end": 5.0, "speaker": "A", "text": "Hi."}]
        ).encode()
    else:
        record |= {"kind": record.get("kind", "letter"), "places": places}
        files = {"item.json": json.dumps(record, ensure_ascii=False).encode()}
    return store.create(folder, files, "setup")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("feeds")
    for kind in ("interviews", "media"):
        shutil.copytree(REPOSITORY / kind, root / kind)
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    collection, services = app.extensions["collection"], app.extensions["services"]
    ids = {
        "letters": make(collection, "interviews", access="public", collection="Family letters"),
        "notebooks": make(collection, "interviews", access="public", collection="Школьные тетради"),
        "photo": make(collection, "media", access="public", kind="photograph", collection="Family letters"),
        "object": make(collection, "media", access="public", kind="object"),
        "researchers": make(collection, "interviews", access="researchers", collection="Hidden researchers"),
        "staff": make(collection, "interviews", access="staff", collection="Hidden staff"),
        "family": make(collection, "media", access="family", contribution="c-family"),
        "embargoed": make(collection, "interviews", access="public", embargo_until="2099-01-01"),
        "withdrawn": make(collection, "interviews", access="public", withdrawn="2025-06-01"),
        "deleted": make(collection, "media", access="public"),
        "staff-deleted": make(collection, "interviews", access="staff"),
    }
    ids |= {f"tied-{n}": make(collection, "interviews", access="public") for n in range(3)}
    for n in range(3):  # recorded as written at one moment (as a bulk import may): ties are ordered by ref
        versions = root / "interviews" / ids[f"tied-{n}"] / "versions.json"
        written = json.loads(versions.read_text())
        written["interview.json"]["time"] = TIED
        versions.write_text(json.dumps(written))
    app.extensions["search"].rebuild()
    for name in ("deleted", "staff-deleted"):
        services.tombstones.delete(KINDS.get(name, "interviews"), ids[name], "Taken down", "setup")
    return app, ids


def walk(client, **args) -> tuple[list[tuple], list[tuple]]:
    """A whole OAI-PMH list, page by page: each header (ref, datestamp, deleted, setSpecs) and each page's
    (completeListSize, cursor)."""
    headers, tokens = [], []
    sent = {"verb": "ListIdentifiers", **({} if "resumptionToken" in args else {"metadataPrefix": "oai_dc"}), **args}
    while True:
        body = fromstring(client.get(f"/oai?{urlencode(sent)}").data)
        error = body.find(OAI + "error")
        if error is not None:
            return headers, [error.get("code")]
        for header in body.iter(OAI + "header"):
            headers.append(
                (
                    header.find(OAI + "identifier").text.split(":")[-1],
                    header.find(OAI + "datestamp").text,
                    header.get("status") == "deleted",
                    [s.text for s in header.iterfind(OAI + "setSpec")],
                )
            )
        token = body.find(f".//{OAI}resumptionToken")
        if token is None:
            return headers, tokens
        tokens.append((int(token.get("completeListSize")), int(token.get("cursor"))))
        if not token.text:
            return headers, tokens
        sent = {"verb": "ListIdentifiers", "resumptionToken": token.text}


def expected_walk(found: list[records.Record], page: int) -> tuple[list[tuple], list[tuple]]:
    headers = [(r.ref, records.utc_stamp(r.changed), r.removed, oai_sets.specs(r)) for r in found]
    tokens = [(len(found), start) for start in range(0, len(found), page)] if len(found) > page else []
    return headers, tokens


# --- the tests -----------------------------------------------------------------------------------------------------


def test_the_index_lists_what_the_full_scan_listed_for_every_reader(world):
    app, ids = world
    collection, search = app.extensions["collection"], app.extensions["search"]
    assert search.healthy()
    for name, reader in readers(ids).items():
        expected = scan(collection, reader)
        # every length of the newest-first list, so that a cut falls inside the three records of one moment too
        for limit in range(1, len(expected) + 2):
            shown = records.readable(collection, search, reader, limit)
            assert [(r.ref, r.changed) for r in shown] == [(r.ref, r.changed) for r in expected[:limit]], (name, limit)
        assert [r.record for r in records.readable(collection, search, reader, 100)] == [r.record for r in expected]
        oldest = sorted(expected, key=lambda r: (r.changed, r.ref))
        page = records.listed(collection, search, reader, 4, after=(oldest[2].changed, oldest[2].ref))
        assert [r.ref for r in page.records] == [r.ref for r in oldest[3:7]]
        assert (page.total, page.rest) == (len(oldest), len(oldest) - 3)
    refs = {name: [r.ref for r in scan(collection, reader)] for name, reader in readers(ids).items()}
    assert f"interviews/{ids['staff']}" in refs["granted"] and f"interviews/{ids['staff']}" not in refs["researcher"]
    assert f"media/{ids['family']}" in refs["family"] and f"media/{ids['family']}" not in refs["anyone"]
    tied = [r for r in refs["anyone"] if r in {f"interviews/{ids[f'tied-{n}']}" for n in range(3)}]
    assert len(tied) == 3 and tied == sorted(tied)  # newest first, and one moment's records by ref


def test_the_feed_and_the_harvest_answer_as_the_full_scan_did(world, monkeypatch):
    app, ids = world
    collection, client = app.extensions["collection"], app.test_client()
    feed = fromstring(client.get("/feed.atom").data)
    entries = [(e.find(ATOM + "id").text, e.find(ATOM + "updated").text) for e in feed.iter(ATOM + "entry")]
    expected = scan(collection, access.Reader())[: public.FEED_ENTRIES]
    assert entries == [(f"http://localhost/{r.kind}/{r.id}", records.utc_stamp(r.changed)) for r in expected]
    gone = [(d.get("ref").split("/", 3)[-1], d.get("when")) for d in feed.iter(TOMBSTONES + "deleted-entry")]
    assert gone == [(r.ref, records.utc_stamp(r.changed)) for r in scan_removed(collection)]
    assert {ref for ref, _ in gone} == {f"interviews/{ids['withdrawn']}", f"media/{ids['deleted']}"}

    monkeypatch.setattr(oai, "PAGE", 4)  # several pages from a small archive
    everything = scan_harvest(collection)
    middle = records.utc_stamp(everything[len(everything) // 2].changed)
    for bounds in (
        {},
        {"set": "kind:interviews"},
        {"set": "kind:media"},
        {"set": "kind:media:photograph"},
        {"set": "place"},
        {"set": "place:ushtobe"},
        {"set": f"collection:{oai_sets.slug('Family letters')}"},
        {"set": f"collection:{oai_sets.slug('Hidden staff')}"},
        {"from": middle},
        {"until": middle},
        {"from": middle[:10], "until": "2099-12-31", "set": "kind"},
    ):
        found = scan_harvest(collection, bounds.get("from", ""), bounds.get("until", ""), bounds.get("set", ""))
        if found:
            assert walk(client, **bounds) == expected_walk(found, 4), bounds
        else:
            assert walk(client, **bounds) == ([], ["noRecordsMatch"]), bounds

    identify = fromstring(client.get("/oai?verb=Identify").data)
    assert identify.find(f".//{OAI}earliestDatestamp").text == records.utc_stamp(everything[0].changed)
    sets = fromstring(client.get("/oai?verb=ListSets").data)
    listed = {s.find(OAI + "setSpec").text: s.find(OAI + "setName").text for s in sets.iter(OAI + "set")}
    made: dict[str, str] = {}
    for rec in sorted(scan(collection, access.Reader()), key=lambda r: (r.changed, r.ref), reverse=True):
        for spec in oai_sets.specs(rec):
            made.setdefault(spec, rec.record.get("collection", ""))
    assert listed == {s.spec: s.name for s in oai_sets.listed(made, app.extensions["search"].gazetteer)}
    assert listed[f"collection:{oai_sets.slug('Школьные тетради')}"] == "Школьные тетради"
    assert not any(name.startswith("Hidden") for name in listed.values())

    for name in ("letters", "photo", "withdrawn", "deleted", "staff", "embargoed", "staff-deleted"):
        kind = KINDS.get(name, "interviews")
        answer = fromstring(
            client.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:localhost:{kind}/{ids[name]}").data
        )
        header = answer.find(f".//{OAI}header")
        if name in ("staff", "embargoed", "staff-deleted"):
            assert header is None and answer.find(OAI + "error").get("code") == "idDoesNotExist"
        else:
            assert (header.get("status") == "deleted") == (name in ("withdrawn", "deleted"))


def test_a_record_changed_now_comes_first_in_the_feed_and_last_in_a_harvest(world, monkeypatch):
    app, ids = world
    collection, client = app.extensions["collection"], app.test_client()
    monkeypatch.setattr(oai, "PAGE", 4)
    first = fromstring(client.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").data)
    token = first.find(f".//{OAI}resumptionToken").text
    shown = [h for h in first.iter(OAI + "header") if h.get("status") != "deleted"]
    oldest = shown[0].find(OAI + "identifier").text.split(":")[-1]  # the oldest record on the harvest's first page
    kind, record_id = oldest.split("/")
    assert json.loads(base64.urlsafe_b64decode(token))["a"][1] != oldest

    name = records.FILES[kind]
    stored = collection.read(kind, record_id, name)
    changed = {**stored.json(), "title": "Retitled a moment ago"}
    collection.write(kind, record_id, {name: json.dumps(changed).encode()}, "editor", {name: stored.version})
    assert app.extensions["indexer"].updated(oldest.removeprefix("interviews/"))  # as a service does after a write

    feed = fromstring(client.get("/feed.atom").data)
    top = feed.find(ATOM + "entry")
    assert top.find(ATOM + "title").text == "Retitled a moment ago" and top.find(ATOM + "id").text.endswith(oldest)
    # the harvest under way goes on after the page it had, and meets the record again at the end of the list
    rest, _ = walk(client, resumptionToken=token)
    assert rest[-1][0] == oldest and [h[0] for h in rest].count(oldest) == 1
    whole, _ = walk(client)
    assert whole[-1][0] == oldest and whole[0][0] != oldest

    # deleted now: announced at once, in the feed and at the end of a harvest
    app.extensions["services"].tombstones.delete(kind, record_id, "Taken down", "editor")
    feed = fromstring(client.get("/feed.atom").data)
    assert feed.find(TOMBSTONES + "deleted-entry").get("ref").endswith(oldest)
    assert not any(e.find(ATOM + "id").text.endswith(oldest) for e in feed.iter(ATOM + "entry"))
    assert walk(client)[0][-1][:3] == (oldest, feed.find(TOMBSTONES + "deleted-entry").get("when"), True)
    # the tombstones are kept between requests and brought up to date from the audit log's new lines
    tombstones = [(r.ref, r.changed) for r in records.removed(collection)]
    assert tombstones == [(r.ref, r.changed) for r in scan_removed(collection)] and tombstones[0][0] == oldest
    app.extensions["services"].tombstones.undelete(kind, record_id, "editor")
    tombstones = [(r.ref, r.changed) for r in records.removed(collection)]
    assert tombstones == [(r.ref, r.changed) for r in scan_removed(collection)] and oldest not in dict(tombstones)


def test_a_record_hidden_before_the_index_heard_of_it_is_not_shown(world):
    app, ids = world
    collection, search, client = app.extensions["collection"], app.extensions["search"], app.test_client()
    ref = f"interviews/{ids['notebooks']}"
    stored = collection.read("interviews", ids["notebooks"], "interview.json")
    restricted = {**stored.json(), "access": "staff"}
    collection.write(
        "interviews",
        ids["notebooks"],
        {"interview.json": json.dumps(restricted).encode()},
        "editor",
        {"interview.json": stored.version},
    )  # not indexed yet: the index still lists it as public
    listed = [e[1] for e in search.changes(access.Reader(), None, newest_first=True).entries]
    assert ref in listed
    try:
        # a stretch that ends with it in the index: it is left out, and the stretch made up from the next one
        limit = listed.index(ref) + 1
        shown = records.readable(collection, search, access.Reader(), limit)
        assert [r.ref for r in shown] == [r.ref for r in scan(collection, access.Reader())[:limit]]
        assert ref not in [r.ref for r in shown] and len(shown) == limit
        assert ref not in client.get("/feed.atom").get_data(as_text=True)
        assert ref not in client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc").get_data(as_text=True)
        assert ref not in client.get("/").get_data(as_text=True)
    finally:
        assert app.extensions["indexer"].updated(ids["notebooks"])
    for name in ("researchers", "staff", "family", "embargoed", "withdrawn", "staff-deleted", "deleted"):
        for url in ("/feed.atom", "/oai?verb=ListRecords&metadataPrefix=oai_dc", "/"):
            text = client.get(url).get_data(as_text=True)
            if name in ("withdrawn", "deleted") and url != "/":
                assert text.count(ids[name]) == 1  # its address alone, as deleted
            else:
                assert ids[name] not in text, (name, url)
        assert ids[name] not in [r.id for r in records.readable(collection, search, access.Reader(), 100)]
