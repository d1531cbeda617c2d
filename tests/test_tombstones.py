"""Deleting as a tombstone, bringing back, purging (issue 16): every output forgets a deleted record, only those who
could read it are told it is gone (410), harvesters and the feed hear of public ones only, and a purge keeps the
tombstone alone."""

import json
import re

import pytest
from conftest import csrf_token
from defusedxml.ElementTree import fromstring
from factories import jpeg, wav

from archive import audit, media, tombstones
from archive.errors import ConflictError
from archive.ingest import Ingester
from archive.services import Services
from archive.vocab import gazetteer

OAI = {"o": "http://www.openarchives.org/OAI/2.0/"}
AT = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"


@pytest.fixture
def world(app):
    """A public and a staff-only interview (each with a recording) and photo, each with its own marker word."""
    collection, indexer = app.extensions["collection"], app.extensions["indexer"]
    ingester = Ingester(collection, gazetteer(collection), "setup", 2**20, indexer)
    items = media.MediaIngester(collection, app.extensions["image_limits"], "setup", indexer)
    made = {}
    for level in ("public", "staff"):
        word = f"zq{level}tomb"
        outcome = ingester.ingest(
            f"[00:00:05] Anna: We came to Ushtobe. The word {word} was said.".encode(),
            f"{level}.txt",
            {"title": f"Testimony {word}", "villages": "Ushtobe", "access": level},
            wav(),
            "a.wav",
        )
        assert outcome.status == "ingested", outcome.reason
        item = items.ingest(
            jpeg("gray" if level == "public" else "navy", (64, 48)),
            f"{level}.jpg",
            {"title": f"Photo {word}", "places": "Ushtobe", "interviews": [outcome.interview_id], "access": level},
        )
        assert item.status == "ingested", item.reason
        made[level] = (outcome.interview_id, item.interview_id, word)
    return made


def service(app) -> Services:
    return app.extensions["services"]


def signed_in(app, auth_role: str | None):
    client = app.test_client()
    if auth_role:
        from conftest import Auth

        Auth(app, client).login(auth_role)
    return client


def test_a_deleted_record_leaves_every_output_and_answers_410_only_to_who_could_read_it(app, world):
    public_id, public_item, public_word = world["public"]
    staff_id, staff_item, staff_word = world["staff"]
    for level in ("public", "staff"):
        interview_id, item_id, _ = world[level]
        service(app).tombstones.delete("interviews", interview_id, "At the family's request.", "Hanna Historian")
        service(app).tombstones.delete("media", item_id, "", "Hanna Historian")
    anonymous, researcher, historian = (signed_in(app, r) for r in (None, "researcher", "historian"))

    public_urls = [
        f"/interviews/{public_id}",
        f"/interviews/{public_id}/audio",
        f"/interviews/{public_id}/recordings/1",
        f"/interviews/{public_id}/transcript.txt",
        f"/interviews/{public_id}/transcript.vtt",
        f"/interviews/{public_id}/annotations",
        f"/api/v1/interviews/{public_id}/annotations",
        f"/api/v1/interviews/{public_id}/recordings",
        f"/api/v1/interviews/{public_id}/index",
        f"/media/{public_item}",
        f"/media/{public_item}/thumb/1",
        f"/media/{public_item}/display/1",
        f"/media/{public_item}/view/1",
        f"/api/v1/media/{public_item}",
    ]
    for url in public_urls:
        for client in (anonymous, researcher, historian):
            response = client.get(url)
            assert response.status_code == 410, url
            assert public_word not in response.get_data(as_text=True), url
    notice = anonymous.get(f"/interviews/{public_id}").get_data(as_text=True)
    assert "At the family&#39;s request." in notice and "Hanna Historian" not in notice
    assert "undelete" not in notice
    problem = anonymous.get(f"/api/v1/media/{public_item}").get_json()
    assert problem["status"] == 410 and problem["code"] == "gone" and "Hanna" not in json.dumps(problem)
    told = historian.get(f"/interviews/{public_id}").get_data(as_text=True)
    assert "Deleted by Hanna Historian on" in told and f"/interviews/{public_id}/undelete" in told
    # a staff-only record: its deletion is told to staff alone; everyone else meets a plain 404
    for url in (f"/interviews/{staff_id}", f"/interviews/{staff_id}/audio", f"/media/{staff_item}/thumb/1"):
        assert anonymous.get(url).status_code == 404, url
        assert researcher.get(url).status_code == 404, url
        assert historian.get(url).status_code == 410, url

    # search, facets, lists, the map, the home page, items linking the interview: nothing of either
    for word in (public_word, staff_word):
        assert historian.get(f"/api/v1/search?q={word}").get_json()["total"] == 0
        for url in ("/", "/interviews/", "/media/", "/api/v1/media", "/browse/villages", f"/interviews/{public_id}"):
            assert word not in historian.get(url).get_data(as_text=True).lower(), url
        found = historian.get(f"/search?q={word}").get_data(as_text=True)
        assert f"/interviews/{public_id}" not in found and f"/media/{public_item}" not in found
    facets = historian.get("/api/v1/search").get_json()
    assert facets["total"] == 0
    page = historian.get("/map").get_data(as_text=True)
    assert 'data-place="ushtobe"' not in page

    # the feed: a tombstone for the public record alone, nothing of the staff-only one, and no reason
    for client in (anonymous, historian):
        feed = fromstring(client.get("/feed.atom").data)
        refs = sorted(e.get("ref") for e in feed.iter(AT))
        assert refs == sorted([f"http://localhost/interviews/{public_id}", f"http://localhost/media/{public_item}"])
        assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e.get("when")) for e in feed.iter(AT))
        assert b"family" not in client.get("/feed.atom").data

    # OAI-PMH: deleted headers for what harvesters could see, nothing at all of the rest
    identify = anonymous.get("/oai?verb=Identify").get_data(as_text=True)
    assert "<deletedRecord>persistent</deletedRecord>" in identify
    listed = fromstring(anonymous.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").data)
    headers = {h.find("o:identifier", OAI).text.split(":")[-1]: h for h in listed.iterfind(".//o:header", OAI)}
    assert sorted(headers) == sorted([f"interviews/{public_id}", f"media/{public_item}"])
    assert all(h.get("status") == "deleted" for h in headers.values())
    records = fromstring(anonymous.get("/oai?verb=ListRecords&metadataPrefix=oai_dc").data)
    assert (
        records.find(".//o:metadata", OAI) is None
        and public_word.encode() not in anonymous.get("/oai?verb=ListRecords&metadataPrefix=oai_dc").data
    )
    got = fromstring(
        anonymous.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:localhost:interviews/{public_id}").data
    )
    assert got.find(".//o:header", OAI).get("status") == "deleted" and got.find(".//o:metadata", OAI) is None
    hidden = fromstring(
        anonymous.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:localhost:interviews/{staff_id}").data
    )
    assert hidden.find("o:error", OAI).get("code") == "idDoesNotExist"
    # from/until act on the time of the deletion
    stamp = headers[f"interviews/{public_id}"].find("o:datestamp", OAI).text
    later = fromstring(anonymous.get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&from=2999-01-01").data)
    assert later.find("o:error", OAI).get("code") == "noRecordsMatch"
    upto = fromstring(anonymous.get(f"/oai?verb=ListIdentifiers&metadataPrefix=oai_dc&until={stamp}").data)
    assert len(upto.findall(".//o:header", OAI)) >= 1


def test_a_withdrawn_public_record_is_reported_deleted_to_harvesters(app, world, collection):
    interview_id, _, word = world["public"]
    stored = collection.read("interviews", interview_id, "interview.json")
    record = {**stored.json(), "withdrawn": "2026-11-30"}
    collection.write(
        "interviews",
        interview_id,
        {"interview.json": json.dumps(record).encode()},
        "family",
        {"interview.json": stored.version},
    )
    client = app.test_client()
    got = fromstring(
        client.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:localhost:interviews/{interview_id}").data
    )
    header = got.find(".//o:header", OAI)
    assert header.get("status") == "deleted" and header.find("o:datestamp", OAI).text == "2026-11-30T00:00:00Z"
    feed = fromstring(client.get("/feed.atom").data)
    assert [e.get("ref") for e in feed.iter(AT)] == [f"http://localhost/interviews/{interview_id}"]
    assert f"Testimony {word}".encode() not in client.get("/feed.atom").data


def ids_found(client, q: str) -> list[str]:
    return sorted(hit["id"] for hit in client.get(f"/api/v1/search?q={q}").get_json()["hits"])


def test_staff_delete_through_the_page_and_bring_it_back(app, world):
    interview_id, item_id, word = world["public"]
    anonymous = app.test_client()
    assert anonymous.get(f"/interviews/{interview_id}/delete").status_code == 302  # to sign in
    researcher = signed_in(app, "researcher")
    assert researcher.get(f"/interviews/{interview_id}/delete").status_code == 403
    historian = signed_in(app, "historian")
    assert f"/interviews/{interview_id}/delete" in historian.get(f"/interviews/{interview_id}").get_data(as_text=True)
    page = historian.get(f"/interviews/{interview_id}/delete")
    assert page.status_code == 200
    version = re.search(r'name="version" type="hidden" value="([0-9a-f]{64})"', page.get_data(as_text=True)).group(1)
    # a deletion from a stale page is refused, naming who changed it
    service(app).interviews.edit(
        interview_id,
        {**service(app).collection.read("interviews", interview_id, "interview.json").json(), "title": "Retitled"},
        "Other Historian",
        service(app).collection.read("interviews", interview_id, "interview.json").version,
    )
    stale = historian.post(
        f"/interviews/{interview_id}/delete",
        data={"csrf_token": csrf_token(page), "version": version, "reason": "Duplicate"},
    )
    assert stale.status_code == 422 and "other-historian" in stale.get_data(as_text=True).lower()
    page = historian.get(f"/interviews/{interview_id}/delete")
    version = re.search(r'name="version" type="hidden" value="([0-9a-f]{64})"', page.get_data(as_text=True)).group(1)
    done = historian.post(
        f"/interviews/{interview_id}/delete",
        data={"csrf_token": csrf_token(page), "version": version, "reason": "Duplicate"},
        follow_redirects=True,
    )
    assert done.request.path == "/interviews/" and "is deleted" in done.get_data(as_text=True)
    record = service(app).collection.read("interviews", interview_id, "interview.json").json()
    assert record["deleted"]["author"] == "historian" and record["deleted"]["reason"] == "Duplicate"
    assert [e.action for e in audit.entries(service(app).collection.root) if e.record == f"interviews/{interview_id}"][
        -1
    ] == "deleted"
    assert service(app).collection.history("interviews", interview_id, "interview.json")  # the version before kept
    assert ids_found(historian, word) == [f"media/{item_id}"]
    # brought back from its 410 page
    gone = historian.get(f"/interviews/{interview_id}")
    assert gone.status_code == 410
    russian = historian.get(f"/interviews/{interview_id}?lang=ru").get_data(as_text=True)
    assert "Это интервью удалено из архива." in russian and "Удалил(а) historian" in russian
    korean = anonymous.get(f"/interviews/{interview_id}?lang=ko").get_data(as_text=True)
    assert "이 인터뷰는 아카이브에서 삭제되었습니다." in korean and "사유: Duplicate" in korean
    assert anonymous.post(f"/interviews/{interview_id}/undelete").status_code in (302, 400)
    assert "deleted" in service(app).collection.read("interviews", interview_id, "interview.json").json()
    back = historian.post(f"/interviews/{interview_id}/undelete", data={"csrf_token": csrf_token(gone)})
    assert back.status_code == 302 and back.location.endswith(f"/interviews/{interview_id}")
    assert historian.get(f"/interviews/{interview_id}").status_code == 200
    assert anonymous.get(f"/interviews/{interview_id}").status_code == 200
    assert ids_found(historian, word) == sorted([interview_id, f"media/{item_id}"])
    assert [e.action for e in audit.entries(service(app).collection.root) if e.record == f"interviews/{interview_id}"][
        -1
    ] == "undeleted"


def test_refusals_delete_twice_stale_version_purge_of_a_live_record(app, world, runner):
    interview_id, item_id, _ = world["public"]
    tombs = service(app).tombstones
    with pytest.raises(tombstones.TombstoneError) as refused:
        tombs.purge("interviews", interview_id, "admin")
    assert refused.value.code == "not-deleted"
    result = runner("purge", interview_id, "--confirm")
    assert result.exit_code == 1 and "delete it first" in result.output
    with pytest.raises(ConflictError):
        tombs.delete("media", item_id, "", "hist", version="0" * 64)
    tombs.delete("media", item_id, "", "hist")
    with pytest.raises(tombstones.TombstoneError) as refused:
        tombs.delete("media", item_id, "", "hist")
    assert refused.value.code == "already-deleted"
    with pytest.raises(tombstones.TombstoneError) as refused:
        tombs.undelete("interviews", interview_id, "hist")
    assert refused.value.code == "not-deleted"
    with pytest.raises(tombstones.TombstoneError):
        tombs.delete("media", world["staff"][1], "x" * (tombstones.REASON_LIMIT + 1), "hist")


def test_delete_and_undelete_from_the_command_line(app, world, runner):
    _, item_id, word = world["public"]
    result = runner("delete", "media", item_id, "--reason", "Wrong photo", "--author", "Hanna")
    assert result.exit_code == 0, result.output
    assert app.test_client().get(f"/media/{item_id}").status_code == 410
    assert app.test_client().get(f"/api/v1/search?q={word}").get_json()["total"] == 1  # the interview alone
    assert runner("delete", "media", item_id).exit_code == 1
    assert runner("delete", "interviews", item_id).exit_code == 1  # an item's id names no interview
    assert runner("purge", "zzzzzzzz", "--confirm").exit_code == 1
    result = runner("undelete", "media", item_id)
    assert result.exit_code == 0, result.output
    assert app.test_client().get(f"/media/{item_id}").status_code == 200
    assert app.test_client().get(f"/api/v1/search?q={word}").get_json()["total"] == 2


def test_purge_keeps_the_tombstone_alone_and_the_id_stays_taken(app, world, runner, collection, monkeypatch):
    interview_id, item_id, word = world["public"]
    other_id = world["staff"][0]
    others_before = sorted(
        p.relative_to(collection.root).as_posix() for p in (collection.root / "interviews" / other_id).rglob("*")
    )
    service(app).tombstones.delete("interviews", interview_id, "Court order", "hist")
    service(app).tombstones.delete("media", item_id, "", "hist")
    folder = collection.folder("interviews", interview_id)
    assert (folder / "history").is_dir() and (folder / "original").is_dir()

    refused = runner("purge", interview_id)
    assert refused.exit_code == 1 and "--confirm" in refused.output and "WARNING" in refused.output
    assert "segments.json" in refused.output and (folder / "segments.json").is_file()  # says what would go; no change

    result = runner("purge", interview_id, "--confirm", "--author", "Ada Admin")
    assert result.exit_code == 0, result.output
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.name != ".lock")
    assert names == ["interview.json", "manifest-sha256.txt", "versions.json"]
    tomb = json.loads((folder / "interview.json").read_text("utf-8"))
    assert tomb == {"access": "public", "deleted": tomb["deleted"], "purged": True}
    assert tomb["deleted"]["reason"] == "Court order"
    assert word not in (folder / "interview.json").read_text("utf-8")

    item_folder = collection.folder("media", item_id)
    assert (item_folder / "derived").is_dir()
    assert runner("purge", item_id, "--confirm").exit_code == 0
    assert sorted(p.name for p in item_folder.iterdir() if p.name != ".lock") == [
        "item.json",
        "manifest-sha256.txt",
        "versions.json",
    ]
    # the audit log keeps of them only when, who, and "purged"
    lines = [e for e in audit.entries(collection.root) if e.record == f"interviews/{interview_id}"]
    assert lines[-1].action == "purged" and lines[-1].author == "Ada Admin"
    assert all(not e.files and e.action in ("", "purged") for e in lines)
    # still 410 to who could read it; out of the index; nothing else touched; the archive verifies clean
    client = app.test_client()
    assert client.get(f"/interviews/{interview_id}").status_code == 410
    assert "Its contents were purged" in client.get(f"/interviews/{interview_id}").get_data(as_text=True)
    assert client.get(f"/media/{item_id}/thumb/1").status_code == 410
    historian = signed_in(app, "historian")
    assert historian.get(f"/api/v1/search?q={word}").get_json()["total"] == 0
    assert interview_id not in app.extensions["search"].source.present()
    assert app.extensions["indexer"].check(repair=False) == {"missing": [], "orphaned": [], "stale": []}
    assert (
        sorted(
            p.relative_to(collection.root).as_posix() for p in (collection.root / "interviews" / other_id).rglob("*")
        )
        == others_before
    )
    assert runner("verify").exit_code == 0, runner("verify").output
    derived = runner("derive")  # a purged (or deleted) record's copies are made for nobody
    assert derived.exit_code == 0, derived.output
    assert not (item_folder / "derived").exists() and not (folder / "derived").exists()
    with pytest.raises(tombstones.TombstoneError):
        service(app).tombstones.undelete("interviews", interview_id, "hist")
    assert runner("purge", interview_id, "--confirm").exit_code == 1  # already purged

    # a purged identifier is never given again: the next random pick that names it is skipped
    import archive.collection

    picks = iter(interview_id + "k7m2p9q4")
    monkeypatch.setattr(archive.collection.secrets, "choice", lambda alphabet: next(picks))
    made = collection.create("interviews", {"interview.json": b"{}"}, "hist")
    assert made == "k7m2p9q4"
    assert json.loads((folder / "interview.json").read_text("utf-8"))["purged"] is True


def test_collection_purge_refuses_what_it_cannot_keep_safely(collection):
    made = collection.create("media", {"item.json": b"{}", "notes/a.txt": b"x"}, "anna")
    with pytest.raises(Exception, match="top level"):
        collection.purge("media", made, {"notes/a.txt": b"y"}, "admin")
    with pytest.raises(Exception, match="at least"):
        collection.purge("media", made, {}, "admin")
    collection.purge("media", made, {"item.json": b'{"purged": true}'}, "admin")
    assert not (collection.folder("media", made) / "notes").exists()
    assert list(collection.verify()) == []


def test_a_deleted_interview_leaves_the_home_page_and_the_items_that_link_it(app, world, collection):
    from archive import about

    interview_id, item_id, word = world["public"]
    about.save(collection, {"featured": [{"interview": interview_id, "quote": "We came to Ushtobe."}]}, "hist", "")
    client = app.test_client()
    assert f"/interviews/{interview_id}" in client.get("/").get_data(as_text=True)
    assert f"/interviews/{interview_id}" in client.get(f"/media/{item_id}").get_data(as_text=True)
    service(app).tombstones.delete("interviews", interview_id, "", "hist")
    home = client.get("/").get_data(as_text=True)
    assert f"/interviews/{interview_id}" not in home and f"Testimony {word}" not in home
    item_page = client.get(f"/media/{item_id}")  # the photo stays, without its link to the deleted interview
    assert item_page.status_code == 200 and f"/interviews/{interview_id}" not in item_page.get_data(as_text=True)


def _purge_and_die(root, kind, record_id):
    """A purge killed at its commit point: the journal is written, nothing of it is done yet."""
    import os

    import archive.collection
    from archive.collection import Collection

    archive.collection._roll_forward = lambda folder, journal: os._exit(9)
    tombstones.purge(Collection(root), kind, record_id, "admin")


def test_a_purge_killed_half_way_is_finished_by_the_next_one(app, world, collection, runner):
    import multiprocessing

    _, item_id, word = world["public"]
    service(app).tombstones.delete("media", item_id, "", "hist")
    child = multiprocessing.get_context("fork").Process(target=_purge_and_die, args=(collection.root, "media", item_id))
    child.start()
    child.join(60)
    assert child.exitcode == 9
    folder = collection.folder("media", item_id)
    assert (folder / ".journal").is_file() and (folder / "original").is_dir()  # killed with its journal written
    result = runner("purge", item_id, "--confirm")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir() if p.name != ".lock") == [
        "item.json",
        "manifest-sha256.txt",
        "versions.json",
    ]
    assert json.loads((folder / "item.json").read_text("utf-8"))["purged"] is True
    assert all(not e.files for e in audit.entries(collection.root) if e.record == f"media/{item_id}")
    assert list(collection.verify()) == []
    assert runner("purge", item_id, "--confirm").exit_code == 1  # now whole: nothing left to finish
