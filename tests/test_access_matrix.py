"""No leaks: every role × every access state × every output.

Each state has its own interview (with audio) and photo item, and a marker word that appears only in that
material: in titles, transcript, surname, caption (for the redacted state, only inside the redacted passage). For each
viewer the marker must reach every output it may see, and no output it may not: not a page, a search hit, a snippet,
a facet count, a suggestion, a thumbnail, the audio, the API, an export, OAI-PMH or the feed.
"""

import datetime
import json
import re

import pytest
from conftest import PASSWORD, csrf_token
from factories import jpeg, wav

from archive import accounts, annotations, contributions, create_app, interviews, media
from archive.contributions import Upload
from archive.ingest import Ingester
from archive.vocab import gazetteer

TODAY = datetime.date.today()
EVENT = "arrival-ushtobe-1937"
# the lists that name records (with the event's page and the surnames' list): a record shows there only if readable
LISTS = (
    "/interviews/",
    "/media/",
    "/api/v1/media",
    "/api/v1/interviews",
    "/feed.atom",
    f"/events/{EVENT}",
    "/browse/surnames",
)
STATES = {  # state -> (description overrides, who may see its marker)
    "public": ({"access": "public"}, {"anonymous", "researcher", "family_a", "family_b", "historian", "admin"}),
    "researchers": ({"access": "researchers"}, {"researcher", "historian", "admin"}),
    "family": ({"access": "family"}, {"family_a", "historian", "admin"}),
    "staff": ({"access": "staff"}, {"historian", "admin"}),
    "embargo_past": (
        {"access": "public", "embargo_until": str(TODAY - datetime.timedelta(days=1))},
        {"anonymous", "researcher", "family_a", "family_b", "historian", "admin"},
    ),
    "embargo_future": (
        {"access": "public", "embargo_until": str(TODAY + datetime.timedelta(days=1))},
        {"historian", "admin"},
    ),
    "withdrawn": ({"access": "public", "withdrawn": str(TODAY)}, {"historian", "admin"}),
    "redacted": ({"access": "public"}, {"historian", "admin"}),
}
VIEWERS = ("anonymous", "researcher", "family_a", "family_b", "historian", "admin")


def marker(state: str) -> str:
    return "zq" + state.replace("_", "") + "vex"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One archive holding every state, two family contributions (A and B) and accounts for each role."""
    root = tmp_path_factory.mktemp("matrix")
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    collection, search = app.extensions["collection"], app.extensions["search"]
    limits = app.extensions["image_limits"]
    receipts = {}
    for name in ("a", "b"):
        receipts[name] = contributions.submit(
            collection,
            {
                "name": f"Family {name}",
                "relation": "grandson",
                "narrator": "Someone",
                "story_text": "A story kept in the inbox.",
                "visibility": "family",
            },
            None,
            [Upload(jpeg("gray", (64, 48)), "inbox.jpg", "inbox photo")],
            limits,
            "en",
        )
    ids = {}
    ingester = Ingester(collection, gazetteer(collection), "setup", 2**20, app.extensions["indexer"])
    items = media.MediaIngester(collection, limits, "setup", app.extensions["indexer"])
    for n, (state, (overrides, _)) in enumerate(STATES.items()):
        word = marker(state)
        extra = {"contribution": receipts["a"].submission_id} if state == "family" else {}
        if state == "redacted":
            title, text, surnames = (
                "Testimony with a withheld passage",
                f"[00:00:05] Anna: We came to Ushtobe in October. The neighbour {word} informed on us."
                " Then winter came.",
                "Kim",
            )
        else:
            title, text, surnames = (
                f"Testimony {word}",
                f"[00:00:05] Anna: We came to Ushtobe. The word {word} was said.",
                word,
            )
        kept_in = {"collection": f"Collection {word}"} if state != "redacted" else {}  # names a set in OAI-PMH
        outcome = ingester.ingest(
            text.encode(),
            f"{state}.txt",
            {"title": title, "surnames": surnames, "villages": "Ushtobe", **kept_in, **overrides, **extra},
            wav(),
            "a.wav",
        )
        assert outcome.status == "ingested", outcome.reason
        interview_id = outcome.interview_id
        full = interviews.transcript_text(interviews.segments(collection, interview_id))[0]
        start = full.index("The neighbour" if state == "redacted" else "The word")
        end = full.index("us.", start) + 3 if state == "redacted" else full.index("said.") + 5
        if state == "redacted":
            annotations.create(
                collection, interview_id, start, end, annotations.bodies(collection, {}, [], "", True), "setup"
            )
            wide = full.index("October")
            annotations.create(
                collection,
                interview_id,
                wide,
                end,
                annotations.bodies(collection, {"events": [EVENT]}, ["arrival"], ""),
                "setup",
            )
        else:
            annotations.create(
                collection,
                interview_id,
                start,
                end,
                annotations.bodies(collection, {"events": [EVENT]}, [], f"note {word}"),
                "setup",
            )
        item_word = "" if state == "redacted" else word
        item = items.ingest(
            jpeg((30 * n, 90, 120), (64, 48)),
            f"{state}.jpg",
            {
                "title": f"Photo {item_word}".strip() or "Photo",
                "caption": f"Caption {item_word}".strip(),
                "surnames": surnames,
                "places": "Ushtobe",
                "interviews": [interview_id],
                "events": EVENT,
                **overrides,
                **extra,
            },
        )
        assert item.status == "ingested", item.reason
        ids[state] = (interview_id, item.interview_id)
    search.update([i for pair in ids.values() for i in (pair[0], f"media/{pair[1]}")])
    with app.app_context():
        for role in ("researcher", "historian", "admin"):
            accounts.add_user(role, role, PASSWORD)
    return app, ids, receipts


def client_for(world, viewer: str):
    app, _, receipts = world
    client = app.test_client()
    if viewer in ("researcher", "historian", "admin"):
        token = csrf_token(client.get("/auth/signin"))
        assert (
            client.post("/auth/signin", data={"name": viewer, "password": PASSWORD, "csrf_token": token}).status_code
            == 302
        )
    elif viewer.startswith("family_"):
        receipt = receipts[viewer[-1]]
        assert client.get(f"/contribute/receipt/{receipt.submission_id}/{receipt.token}").status_code == 302
    return client


def fetch(client, url: str):
    response = client.get(url)
    data = response.get_data()
    response.close()
    return response.status_code, data


def echo_free(payload: dict) -> str:
    """A search answer without the parts that repeat the query back."""
    return json.dumps(
        {k: v for k, v in payload.items() if k not in ("query", "variants", "message")}, ensure_ascii=False
    ).lower()


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer", VIEWERS)
def test_no_output_leaks_a_marker(world, viewer, state):
    _, ids, _ = world
    word = marker(state)
    allowed = viewer in STATES[state][1]
    interview_id, item_id = ids[state]
    client = client_for(world, viewer)
    whole_record_readable = allowed or state == "redacted"  # a redaction hides a passage, not the interview
    closed = 403 if (viewer, state) == ("researcher", "staff") else 404  # 403: the page to ask for access (issue 16)

    # pages and exports of the interview: the marker iff allowed
    for url in (
        f"/interviews/{interview_id}",
        f"/interviews/{interview_id}/transcript.txt",
        f"/interviews/{interview_id}/transcript.vtt",  # the transcripts are timed
        f"/interviews/{interview_id}/annotations",
        f"/api/v1/interviews/{interview_id}/annotations",
        f"/api/v1/interviews/{interview_id}/segments",
        f"/iiif/interviews/{interview_id}/manifest.json",
    ):
        status, body = fetch(client, url)
        assert status == (200 if whole_record_readable else closed), url
        assert (word in body.decode()) == allowed, url
    # the citations name the title, which holds the marker (but for the redacted state, whose title has none)
    for url in (
        f"/interviews/{interview_id}/cite.json",
        f"/interviews/{interview_id}/cite.bib?t=5",
        f"/interviews/{interview_id}/cite.ris",
    ):
        status, body = fetch(client, url)
        assert status == (200 if whole_record_readable else closed), url
        assert (word in body.decode()) == (allowed and state != "redacted"), url
    # the OHMS XML is a staff tool: staff have every passage of it, anyone else no such file
    status, body = fetch(client, f"/interviews/{interview_id}/ohms.xml")
    staff = viewer in ("historian", "admin")
    assert status == (200 if staff else 404 if whole_record_readable else closed)
    assert (word in body.decode()) == staff
    # the item and its copies: readable or simply not there (the redacted state's photo holds no marker)
    for url in (
        f"/media/{item_id}",
        f"/api/v1/media/{item_id}",
        f"/iiif/media/{item_id}/manifest.json",
        f"/media/{item_id}/thumb/1",
        f"/media/{item_id}/display/1",
    ):
        status, body = fetch(client, url)
        assert status == (200 if whole_record_readable else closed), url
        if not url.endswith("/1") and allowed and state != "redacted":
            assert word in body.decode(), url
    # what staff alone read (issue 17): a record's history, not there for anyone else; the inbox and the requests,
    # refused as every staff-only request is
    staff = viewer in ("historian", "admin")
    for url in (f"/api/v1/interviews/{interview_id}/history", f"/api/v1/media/{item_id}/history"):
        status, body = fetch(client, url)
        assert status == (200 if staff else 404) and (staff or word not in body.decode()), url
    for url in ("/api/v1/submissions", "/api/v1/requests"):
        status, body = fetch(client, url)
        assert status == (200 if staff else 403 if viewer == "researcher" else 401) and word not in body.decode(), url
    # the audio speaks the redacted words too, so it is withheld with them
    assert fetch(client, f"/interviews/{interview_id}/audio")[0] == (200 if allowed else closed)
    assert fetch(client, f"/interviews/{interview_id}/recordings/1")[0] == (200 if allowed else closed)
    listed = fetch(client, f"/api/v1/interviews/{interview_id}/recordings")[0]
    assert listed == (200 if whole_record_readable else closed)
    # lists, the feed, the event's page, the home page and OAI-PMH: the marker only where allowed (OAI: public
    # records only; the home page lists only the few latest records)
    for url in (
        "/",
        *LISTS,
        "/oai?verb=ListRecords&metadataPrefix=oai_dc",
        "/oai?verb=ListRecords&metadataPrefix=oai_archive",
        "/oai?verb=ListRecords&metadataPrefix=oai_dc&set=place:ushtobe",
        "/oai?verb=ListSets",
    ):
        status, body = fetch(client, url)
        assert status == 200, url
        text = body.decode().lower()
        if not allowed or (url.startswith("/oai") and state not in ("public", "embargo_past")):
            assert word not in text, url
        elif state != "redacted" and url not in ("/browse/surnames", "/"):
            assert word in text, url
    # search: hits, snippets, facet counts and suggestions
    found = client.get(f"/api/v1/search?q={word}").get_json()
    if not allowed:
        assert found["total"] == 0 and word not in echo_free(found)
    elif state != "redacted":  # the index holds redacted passages masked, for everyone
        assert found["total"] >= 1 and word in echo_free(found)
    facets = echo_free(client.get("/api/v1/search").get_json())
    assert (word in facets) == (allowed and state != "redacted")
    near = client.get(f"/api/v1/search?q={word[:-1]}").get_json()
    assert word not in " ".join(near["suggestions"]).lower()
    page = client.get(f"/search?q={word}").get_data(as_text=True)
    assert (f"/interviews/{interview_id}" in page) == (allowed and state != "redacted")


def test_the_map_counts_only_the_records_each_reader_may_read(world):
    for viewer in VIEWERS:
        readable = [state for state, (_, who) in STATES.items() if viewer in who or state == "redacted"]
        page = client_for(world, viewer).get("/map").get_data(as_text=True)
        count = re.search(r'data-place="ushtobe" data-count="(\d+)"', page)
        assert int(count.group(1)) == 2 * len(readable), viewer  # each state's interview and photo name Ushtobe
        assert re.search(r"Ushtobe: (\d+) records", page).group(1) == count.group(1)


def test_the_inbox_is_never_searchable_nor_open_to_readers(world):
    _, _, receipts = world
    for viewer in VIEWERS:
        client = client_for(world, viewer)
        assert client.get("/api/v1/search?q=inbox").get_json()["total"] == 0
        other = receipts["b" if viewer == "family_a" else "a"].submission_id
        status, _ = fetch(client, f"/contribute/receipt/{other}")
        assert status == 404
        status, _ = fetch(client, f"/moderate/{other}")
        assert status == (
            200 if viewer in ("historian", "admin") else 302 if viewer.startswith(("anon", "family")) else 403
        )


def test_oai_pmh_answers_well_formed_dublin_core(world):
    from defusedxml.ElementTree import fromstring

    client = world[0].test_client()
    listed = fromstring(client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc").data)
    ns = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}
    titles = sorted(t.text for t in listed.iterfind(".//dc:title", ns))
    assert titles == sorted(
        [
            f"Testimony {marker('public')}",
            f"Testimony {marker('embargo_past')}",
            "Testimony with a withheld passage",
            f"Photo {marker('public')}",
            f"Photo {marker('embargo_past')}",
            "Photo",
        ]
    )
    ident = listed.find(".//o:identifier", ns).text
    one = fromstring(client.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier={ident}").data)
    assert one.find(".//o:record", ns) is not None
    hidden = world[1]["staff"][0]
    refused = fromstring(
        client.get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:x:interviews/{hidden}").data
    )
    assert refused.find("o:error", ns).get("code") == "idDoesNotExist"
    assert fromstring(client.get("/oai?verb=Nonsense").data).find("o:error", ns).get("code") == "badVerb"
    identify = client.get("/oai?verb=Identify").get_data(as_text=True)
    assert re.search(r"<deletedRecord>persistent</deletedRecord>", identify)
    posted = fromstring(client.post("/oai", data={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"}).data)
    assert len(posted.findall(".//o:header", ns)) == 8  # harvesters may POST (no CSRF token: it only reads)
    # the 6 readable, and the withdrawn public interview and photo as deleted headers (issue 16)
    assert len(posted.findall(".//o:header[@status='deleted']", ns)) == 2


def test_oai_harvesting_by_tokens_misses_nothing_when_a_record_changes_meanwhile(world, monkeypatch):
    from defusedxml.ElementTree import fromstring

    from archive.views import oai

    monkeypatch.setattr(oai, "PAGE", 2)
    app, ids, _ = world
    client = app.test_client()
    ns = {"o": "http://www.openarchives.org/OAI/2.0/"}
    seen, url = [], "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc"
    collection = app.extensions["collection"]
    for step in range(10):
        page = fromstring(client.get(url).data)
        seen += [h.text for h in page.iterfind(".//o:identifier", ns)]
        if step == 0:  # a historian edits a record already harvested
            interview_id = ids["public"][0]
            stored = collection.read("interviews", interview_id, "interview.json")
            record = {**stored.json(), "description": "edited during the harvest"}
            collection.write(
                "interviews",
                interview_id,
                {"interview.json": json.dumps(record).encode()},
                "hist",
                {"interview.json": stored.version},
            )
        token = page.find(".//o:resumptionToken", ns)
        if token is None or not token.text:
            break
        url = f"/oai?verb=ListIdentifiers&resumptionToken={token.text}"
    assert len(set(seen)) == 8  # 6 readable, and the 2 withdrawn public records as deleted headers
    for bad in ("eyJvIjoieCJ9", "bm9uc2Vuc2U", "eyJhIjpbIngiXSwicCI6Im9haV9kYyIsImYiOiIiLCJ1IjoiIn0"):
        answer = fromstring(client.get(f"/oai?verb=ListRecords&resumptionToken={bad}").data)
        assert answer.find("o:error", ns).get("code") == "badResumptionToken"


# --- issue 16: deleted and purged records of every state (tombstones) ----------------------------------------------


@pytest.fixture(scope="module", params=["deleted", "purged"])
def removed_world(request, tmp_path_factory):
    """Another archive like `world`, where every state's interview and photo is deleted (or deleted, then purged)."""
    built = world.__wrapped__(tmp_path_factory)
    tombs = built[0].extensions["services"].tombstones
    for interview_id, item_id in built[1].values():
        for kind, record_id in (("interviews", interview_id), ("media", item_id)):
            tombs.delete(kind, record_id, "Taken down", "setup")
            if request.param == "purged":
                tombs.purge(kind, record_id, "setup")
    return built


def test_deleted_and_purged_records_leak_nothing_and_are_gone_only_to_who_could_read_them(removed_world):
    from defusedxml.ElementTree import fromstring

    _, ids, _ = removed_world
    ns = {"o": "http://www.openarchives.org/OAI/2.0/"}
    once_public = {"public", "embargo_past", "withdrawn", "redacted"}  # what an anonymous harvester could see before
    for viewer in VIEWERS:
        client = client_for(removed_world, viewer)
        for state in STATES:
            word = marker(state)
            interview_id, item_id = ids[state]
            could_read = viewer in STATES[state][1] or (state == "redacted")
            for url in (
                f"/interviews/{interview_id}",
                f"/interviews/{interview_id}/transcript.txt",
                f"/interviews/{interview_id}/transcript.vtt",
                f"/interviews/{interview_id}/annotations",
                f"/interviews/{interview_id}/audio",
                f"/interviews/{interview_id}/recordings/1",
                f"/api/v1/interviews/{interview_id}/annotations",
                f"/api/v1/interviews/{interview_id}/recordings",
                f"/api/v1/interviews/{interview_id}/segments",
                f"/media/{item_id}",
                f"/media/{item_id}/thumb/1",
                f"/media/{item_id}/display/1",
                f"/api/v1/media/{item_id}",
            ):
                status, body = fetch(client, url)
                assert status == (410 if could_read else 404), (viewer, state, url)
                assert word not in body.decode(errors="replace"), (viewer, state, url)
            found = client.get(f"/api/v1/search?q={word}").get_json()
            assert found["total"] == 0 and word not in echo_free(found), (viewer, state)
        for url in (
            "/",
            "/interviews/",
            "/media/",
            "/api/v1/media",
            "/api/v1/interviews",
            "/api/v1/search",
            "/feed.atom",
            f"/events/{EVENT}",
            "/browse/surnames",
            "/map",
            "/oai?verb=ListRecords&metadataPrefix=oai_dc",
            "/oai?verb=ListRecords&metadataPrefix=oai_archive",
            "/oai?verb=ListSets",
        ):
            status, body = fetch(client, url)
            assert status == 200, (viewer, url)
            assert not any(marker(state) in body.decode().lower() for state in STATES), (viewer, url)
        assert 'data-place="ushtobe"' not in client.get("/map").get_data(as_text=True)
        # the feed tells of the records anyone could read before, and of no other
        feed = fromstring(fetch(client, "/feed.atom")[1])
        refs = {
            e.get("ref").split("/", 3)[3] for e in feed.iter("{http://purl.org/atompub/tombstones/1.0}deleted-entry")
        }
        assert refs == {f"{kind}/{ids[s][n]}" for s in once_public for n, kind in enumerate(("interviews", "media"))}
    harvested = fromstring(world_client(removed_world).get("/oai?verb=ListIdentifiers&metadataPrefix=oai_dc").data)
    headers = harvested.findall(".//o:header", ns)
    assert all(h.get("status") == "deleted" for h in headers)
    assert {h.find("o:identifier", ns).text.split(":")[-1] for h in headers} == {
        f"{kind}/{ids[s][n]}" for s in once_public for n, kind in enumerate(("interviews", "media"))
    }
    for state in STATES:
        answer = fromstring(
            world_client(removed_world)
            .get(f"/oai?verb=GetRecord&metadataPrefix=oai_dc&identifier=oai:x:interviews/{ids[state][0]}")
            .data
        )
        if state in once_public:
            assert (
                answer.find(".//o:header", ns).get("status") == "deleted" and answer.find(".//o:metadata", ns) is None
            )
        else:
            assert answer.find("o:error", ns).get("code") == "idDoesNotExist"


def world_client(built):
    return built[0].test_client()


def test_a_granted_researcher_opens_the_granted_record_and_nothing_else(world):
    """Issue 16: a researcher granted the staff state's interview and photo reads them in every output, as a
    researcher would a record open to researchers; grants written for the family, embargoed, withdrawn and redacted
    states (which the pages never let staff grant) open nothing, and no redacted passage is revealed. 0 leaks."""
    app, ids, _ = world
    with app.app_context():
        user = accounts.add_user("granted", "researcher", PASSWORD)
        for state in ("staff", "family", "embargo_future", "withdrawn", "redacted"):
            for ref in (f"interviews/{ids[state][0]}", f"media/{ids[state][1]}"):
                made = accounts.ask_access(user, ref, "For the matrix.")
                accounts.decide_access(made.id, accounts.GRANTED, "admin")
    client = app.test_client()
    token = csrf_token(client.get("/auth/signin"))
    assert (
        client.post("/auth/signin", data={"name": "granted", "password": PASSWORD, "csrf_token": token}).status_code
        == 302
    )
    leaks = []
    for state, (_, who) in STATES.items():
        word = marker(state)
        allowed = "researcher" in who or state == "staff"
        readable = allowed or state == "redacted"
        interview_id, item_id = ids[state]
        pages = (
            f"/interviews/{interview_id}",
            f"/interviews/{interview_id}/transcript.txt",
            f"/interviews/{interview_id}/transcript.vtt",
            f"/interviews/{interview_id}/annotations",
            f"/api/v1/interviews/{interview_id}/annotations",
            f"/api/v1/interviews/{interview_id}/segments",
        )
        for url in pages:  # the marker iff allowed (the redacted state's only inside the withheld passage)
            status, body = fetch(client, url)
            if status != (200 if readable else 404) or (word in body.decode()) != allowed:
                leaks.append((state, url, status))
        for url in (f"/media/{item_id}", f"/api/v1/media/{item_id}"):  # the redacted state's photo has no marker
            status, body = fetch(client, url)
            if status != (200 if readable else 404) or (word in body.decode()) != (allowed and state != "redacted"):
                leaks.append((state, url, status))
        for url in (
            f"/media/{item_id}/thumb/1",
            f"/media/{item_id}/display/1",
            f"/api/v1/interviews/{interview_id}/recordings",
        ):
            if fetch(client, url)[0] != (200 if readable else 404):
                leaks.append((state, url))
        for url in (f"/interviews/{interview_id}/audio", f"/interviews/{interview_id}/recordings/1"):
            if fetch(client, url)[0] != (200 if allowed else 404):
                leaks.append((state, url))
        for url in LISTS:
            text = fetch(client, url)[1].decode().lower()
            if word in text and not allowed:
                leaks.append((state, url))
            if word not in text and allowed and state != "redacted" and url != "/browse/surnames":
                leaks.append((state, url, "missing"))
        found = client.get(f"/api/v1/search?q={word}").get_json()
        if (found["total"] >= 1 and word in echo_free(found)) != (allowed and state != "redacted"):
            leaks.append((state, "search"))
        if (word in echo_free(client.get("/api/v1/search").get_json())) != (allowed and state != "redacted"):
            leaks.append((state, "facets"))
    assert leaks == []
    page = client.get("/map").get_data(as_text=True)
    readable_states = [s for s, (_, who) in STATES.items() if "researcher" in who or s in ("staff", "redacted")]
    assert int(re.search(r'data-place="ushtobe" data-count="(\d+)"', page).group(1)) == 2 * len(readable_states)
    # the other researcher's outputs are untouched by someone else's grant
    other = client_for(world, "researcher")
    assert fetch(other, f"/interviews/{ids['staff'][0]}")[0] == 403
    assert other.get(f"/api/v1/search?q={marker('staff')}").get_json()["total"] == 0
