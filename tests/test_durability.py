"""What a real server acknowledged is kept: annotations written through the API by several clients survive a SIGKILL
of the server at random moments, and are there, whole, when it starts again (issue 19)."""

import http.client
import json
import os
import random
import signal
import threading
import urllib.error
import urllib.request

import pytest
from conftest import PASSWORD, start_server

from archive import accounts, annotations, create_app
from archive.collection import Collection

ROUNDS = 3
WRITERS = 4


def public_interviews(collection: Collection, count: int) -> dict[str, str]:
    """Write `count` public interviews; return each id with a quote of its transcript."""
    quotes = {}
    for n in range(count):
        text = f"In the autumn of 1937 the wagons left Posyet, said witness number {n}."
        record = {"schema": 1, "title": f"Testimony {n}", "access": "public", "languages": ["en"]}
        segments = [{"n": 1, "start": 0.0, "end": 20.0, "speaker": "Anna", "lang": "en", "text": text}]
        files = {"interview.json": json.dumps(record).encode(), "segments.json": json.dumps(segments).encode()}
        quotes[collection.create("interviews", files, "test")] = "the wagons left Posyet"
    return quotes


def post_annotation(base: str, token: str, interview_id: str, quote: str, note: str) -> str | None:
    """Write one annotation; return its id if the server acknowledged it (201), None if the answer never came."""
    body = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "body": [{"type": "TextualBody", "value": note, "purpose": "commenting"}],
        "target": {"source": f"/interviews/{interview_id}", "selector": {"type": "TextQuoteSelector", "exact": quote}},
    }
    request = urllib.request.Request(
        f"{base}/api/v1/interviews/{interview_id}/annotations",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/ld+json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 201
            return json.load(answer)["id"]
    except (OSError, http.client.HTTPException):  # the server died before it answered whole: nothing was promised
        return None


@pytest.mark.slow
def test_every_acknowledged_annotation_survives_a_sigkill_of_the_server(tmp_path):
    root = tmp_path / "data"
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    collection = app.extensions["collection"]
    quotes = public_interviews(collection, 3)
    with app.app_context():
        accounts.add_user("historian", "historian", PASSWORD)
        token = accounts.new_token("historian")
    log = tmp_path / "server.log"
    rng = random.Random(1937)
    acknowledged: list[str] = []
    lock = threading.Lock()
    for round_ in range(ROUNDS):
        server, base = start_server(root, log, ARCHIVE_INDEX_CHECK_AT_START="0")
        stop = threading.Event()

        def write(seed: int, base: str, stop: threading.Event) -> None:
            local = random.Random(seed)
            while not stop.is_set():
                interview_id = local.choice(sorted(quotes))
                stored = post_annotation(base, token, interview_id, quotes[interview_id], f"note {local.random()}")
                if stored is None:
                    return
                with lock:
                    acknowledged.append(stored)

        writers = [threading.Thread(target=write, args=(round_ * 10 + i, base, stop)) for i in range(WRITERS)]
        for writer in writers:
            writer.start()
        try:
            threading.Event().wait(rng.uniform(1.0, 3.0))
            os.kill(server.pid, signal.SIGKILL)
            server.wait(30)
        finally:
            stop.set()
            if server.poll() is None:
                server.kill()
                server.wait(30)
            for writer in writers:
                writer.join(60)
    assert len(acknowledged) > ROUNDS, "too few writes were acknowledged for the kills to mean anything"
    kept = {str(a["id"]) for i in quotes for a in annotations.items(Collection(root), i)}
    missing = [a for a in acknowledged if a not in kept]
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged annotations were lost"
    left = {problem.kind for problem in Collection(root).verify()}
    assert left <= {"unfinished write"}, left  # what a killed write leaves; the next write to its folder clears it

    server, base = start_server(root, log, ARCHIVE_INDEX_CHECK_AT_START="0")  # and the server reads them all
    try:
        listed = set()
        for interview_id in quotes:
            with urllib.request.urlopen(f"{base}/interviews/{interview_id}/annotations", timeout=30) as answer:
                listed |= {str(a["id"]) for a in json.load(answer).get("first", {}).get("items", [])}
            assert post_annotation(base, token, interview_id, quotes[interview_id], "after the restart")
        assert set(acknowledged) <= listed
    finally:
        server.terminate()
        server.wait(30)
    assert list(Collection(root).verify()) == []
