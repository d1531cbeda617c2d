"""The index's two ways (indexing.Indexer): a change that only adds words waits for the next batch, so concurrent writes
share commits; a change that narrows what readers find is in the index before its request returns, whatever searches
run meanwhile (issue 19)."""

import threading
import time

import pytest
from conftest import PASSWORD
from whoosh.reading import SegmentReader

from archive import accounts
from archive.ingest import Ingester
from archive.vocab import gazetteer

SECRET = "Kowalczyk"
TEXT = f"Anna: We came to Ushtobe in October. The neighbour {SECRET} informed on us. Then winter came."


@pytest.fixture
def world(app, collection):
    """A public interview whose words name the neighbour, and a historian's API token."""
    outcome = Ingester(collection, gazetteer(collection), "t", 2**20, app.extensions["indexer"]).ingest(
        TEXT.encode(), "anna.txt", {"title": "Anna", "access": "public"}
    )
    with app.app_context():
        accounts.add_user("script", "historian", PASSWORD)
        token = accounts.new_token("script")
    return outcome.interview_id, {"Authorization": f"Bearer {token}"}


def annotation(interview_id: str, exact: str, purpose: str, value: str) -> dict:
    return {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "body": [{"type": "TextualBody", "purpose": purpose, "value": value}],
        "target": {"source": f"/interviews/{interview_id}", "selector": {"type": "TextQuoteSelector", "exact": exact}},
    }


def total(client, q: str) -> int:
    return client.get("/api/v1/search", query_string={"q": q}).get_json()["total"]


class Searching:
    """Anonymous searches running without pause in other threads while a test changes things."""

    def __init__(self, app, words: list[str], threads: int = 4):
        self.stop = threading.Event()
        self.counts = [0] * threads
        self.threads = [threading.Thread(target=self._run, args=(app, words, i)) for i in range(threads)]

    def _run(self, app, words, i):
        client = app.test_client()
        while not self.stop.is_set():
            assert (
                client.get("/api/v1/search", query_string={"q": words[self.counts[i] % len(words)]}).status_code == 200
            )
            self.counts[i] += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        while sum(self.counts) < len(self.threads):  # every searcher has answered once before the change
            time.sleep(0.01)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def test_a_redaction_is_out_of_search_before_its_request_returns_under_concurrent_searches(app, client, world):
    interview_id, token = world
    assert total(client, SECRET) == 1
    with Searching(app, [SECRET, "Ushtobe", "winter"]) as searching:
        made = client.post(
            f"/api/v1/interviews/{interview_id}/annotations",
            json=annotation(interview_id, SECRET, "redacting", "a living person"),
            headers=token,
        )
        assert made.status_code == 201
        assert total(client, SECRET) == 0  # at once: not a batch later
    assert sum(searching.counts) > 8


def test_a_restriction_is_out_of_search_before_its_request_returns_under_concurrent_searches(app, client, world):
    interview_id, token = world
    described = client.get(f"/api/v1/interviews/{interview_id}", headers=token)
    with Searching(app, ["Ushtobe", SECRET]):
        changed = client.patch(
            f"/api/v1/interviews/{interview_id}",
            json={"access": "staff"},
            headers={**token, "If-Match": described.headers["ETag"], "Content-Type": "application/merge-patch+json"},
        )
        assert changed.status_code == 200, changed.get_data(as_text=True)
        assert total(client, "Ushtobe") == 0 and total(client, SECRET) == 0


def test_notes_written_at_once_are_acknowledged_stored_and_found_soon_in_fewer_commits(app, client, world):
    interview_id, token = world
    indexer, index = app.extensions["indexer"], app.extensions["search"]
    before = index.ix().latest_generation()
    answers = []

    def write(n: int) -> None:
        mine = app.test_client()
        body = annotation(interview_id, "Then winter came", "commenting", f"remark queuednote{n}")
        answers.append(mine.post(f"/api/v1/interviews/{interview_id}/annotations", json=body, headers=token))

    writers = [threading.Thread(target=write, args=(n,)) for n in range(12)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
    assert [a.status_code for a in answers] == [201] * 12
    ids = {a.get_json()["id"] for a in answers}
    assert len(ids) == 12
    for answer in answers:  # each can be read back by its own URL at once, queued or not
        assert client.get(answer.headers["Location"], headers=token).status_code == 200
    assert indexer.flush()
    found = client.get("/api/v1/search", query_string={"q": "queuednote3"}, headers=token).get_json()
    assert found["total"] == 1
    commits = index.ix().latest_generation() - before
    assert 1 <= commits < 12, commits  # the writes shared commits


def holder(index, doc_id: str) -> str:
    """The segment that holds a document's live copy."""
    for segment in index.ix()._segments():
        with SegmentReader(index.ix().storage, index.ix().schema, segment) as reader:
            if any(not reader.is_deleted(n) for n in reader.postings("id", doc_id).all_ids()):
                return segment.segment_id()
    raise AssertionError(f"{doc_id} is not in the index")


def test_a_remark_rewrites_only_its_interviews_annex_and_is_found_as_the_interview(app, client, world):
    interview_id, token = world
    indexer, index = app.extensions["indexer"], app.extensions["search"]
    before = holder(index, interview_id)
    body = annotation(interview_id, "Then winter came", "commenting", "the brigade's annexword")
    assert client.post(f"/api/v1/interviews/{interview_id}/annotations", json=body, headers=token).status_code == 201
    assert indexer.flush()
    assert holder(index, interview_id) == before  # the transcript's document was not written again
    with index.ix().searcher() as searcher:
        assert searcher.document(id=f"notes/{interview_id}")["of"] == interview_id
    assert total(client, "annexword") == 1  # the interview, found by its remark; never the annex itself
    hit = client.get("/api/v1/search", query_string={"q": "annexword"}).get_json()["hits"][0]
    assert (hit["id"], hit["kind"]) == (interview_id, "interview")
    assert total(client, "annexword winter") == 1  # one word from the remark, one from the transcript
    assert total(client, '"annexword" OR nosuchword') == 1
    assert total(client, "annexword -winter") == 0
    assert total(client, "") == 1  # browsing counts the interview once, not its annex beside it

    linked = annotation(interview_id, "Then winter came", "commenting", "arrival")
    linked["body"].append({"type": "SpecificResource", "source": "/events/arrival-ushtobe-1937"})
    assert client.post(f"/api/v1/interviews/{interview_id}/annotations", json=linked, headers=token).status_code == 201
    assert indexer.flush()
    assert holder(index, interview_id) != before  # a link is a facet of the interview: its document is written anew
    event = client.get("/api/v1/search", query_string={"event": "arrival-ushtobe-1937"}).get_json()
    assert event["total"] == 1


def test_a_restricted_interviews_remarks_are_not_found_by_those_who_may_not_read_it(app, client, world):
    interview_id, token = world
    body = annotation(interview_id, "Then winter came", "commenting", "hiddenremark")
    assert client.post(f"/api/v1/interviews/{interview_id}/annotations", json=body, headers=token).status_code == 201
    assert app.extensions["indexer"].flush()
    assert total(client, "hiddenremark") == 1
    described = client.get(f"/api/v1/interviews/{interview_id}", headers=token)
    changed = client.patch(
        f"/api/v1/interviews/{interview_id}",
        json={"access": "staff"},
        headers={**token, "If-Match": described.headers["ETag"], "Content-Type": "application/merge-patch+json"},
    )
    assert changed.status_code == 200
    assert total(client, "hiddenremark") == 0  # at once, annex and all
    found = client.get("/api/v1/search", query_string={"q": "hiddenremark"}, headers=token).get_json()
    assert found["total"] == 1  # staff still find it


def test_writes_merge_small_segments_alike_and_never_a_large_one(app, client, collection, world, monkeypatch):
    import archive.search.index

    interview_id, token = world
    index = app.extensions["search"]
    index.rebuild()
    (large,) = [s.segment_id() for s in index.ix()._segments()]  # the interview and its annex, as rebuilt
    monkeypatch.setattr(archive.search.index, "MERGE_CAP", 1)  # every segment is "large": none may be merged
    for n in range(8):
        body = annotation(interview_id, "Then winter came", "commenting", f"unmerged{n}")
        assert (
            client.post(f"/api/v1/interviews/{interview_id}/annotations", json=body, headers=token).status_code == 201
        )
        assert app.extensions["indexer"].flush()
    segments = [s.segment_id() for s in index.ix()._segments()]
    assert large in segments
    assert len(segments) == 2  # the rebuilt one and the last annex: each annex replaced the one before whole

    monkeypatch.setattr(archive.search.index, "MERGE_CAP", 8 * 2**20)
    ingester = Ingester(collection, gazetteer(collection), "t", 2**20, app.extensions["indexer"])
    for n in range(11):  # each indexed in a commit of its own: small segments of one size, merged six at a time
        text = f"Boris: We came to Kyzylorda in {1930 + n}. Word number zzmerged{n}x."
        ingester.ingest(text.encode(), f"b{n}.txt", {"title": f"Boris {n}", "access": "public"})
    assert len(index.ix()._segments()) <= 8  # not 13: one for each commit
    for n in range(11):
        assert total(client, f"zzmerged{n}x") == 1
    assert total(client, "unmerged7") == 1
