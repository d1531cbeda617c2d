"""`archive serve --workers 2`: two processes answer one archive, and what one writes the other reads at once."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import PASSWORD, free_port

from archive import accounts, create_app


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


@pytest.fixture
def two_processes(tmp_path):
    root = tmp_path / "data"
    app = create_app({"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False})
    text = "In the autumn of 1937 the wagons left Posyet."
    record = {"schema": 1, "title": "Testimony", "access": "public", "languages": ["en"]}
    segments = [{"n": 1, "start": 0.0, "end": 20.0, "speaker": "Anna", "lang": "en", "text": text}]
    files = {"interview.json": json.dumps(record).encode(), "segments.json": json.dumps(segments).encode()}
    interview_id = app.extensions["collection"].create("interviews", files, "test")
    app.extensions["indexer"].updated(interview_id)
    with app.app_context():
        accounts.add_user("historian", "historian", PASSWORD)
        token = accounts.new_token("historian")
    port = free_port()
    archive = shutil.which("archive", path=str(Path(sys.executable).parent))
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [archive, "--data", str(root), "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env={**os.environ, "ARCHIVE_INDEX_CHECK_AT_START": "0"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while len(children(server.pid)) < 2 or not _answers(base):
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        yield server, base, interview_id, token
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/", timeout=5) as answer:
            return answer.status == 200
    except OSError:
        return False


def request(base: str, path: str, token: str, body: dict | None = None, method: str = "GET") -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    if body is not None:
        headers["Content-Type"] = "application/ld+json"
    data = json.dumps(body).encode() if body is not None else None
    call = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(call, timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, {}


@pytest.mark.slow
def test_two_processes_answer_and_each_reads_what_the_other_wrote_at_once(two_processes):
    server, base, interview_id, token = two_processes
    assert len(children(server.pid)) == 2
    statuses = []

    def read() -> None:
        for _ in range(10):
            statuses.append(request(base, "/api/v1/search?q=wagons", token)[0])

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(60)
    assert statuses == [200] * 40

    for n in range(6):  # each written through one process, then read back (on a new connection) at once
        body = {
            "@context": "http://www.w3.org/ns/anno.jsonld",
            "type": "Annotation",
            "body": [{"type": "TextualBody", "value": f"note {n}", "purpose": "commenting"}],
            "target": {
                "source": f"/interviews/{interview_id}",
                "selector": {"type": "TextQuoteSelector", "exact": "the wagons left Posyet"},
            },
        }
        status, made = request(base, f"/api/v1/interviews/{interview_id}/annotations", token, body, "POST")
        assert status == 201
        short = made["id"].removeprefix("urn:uuid:")
        for _ in range(4):
            assert request(base, f"/api/v1/annotations/{short}", token)[0] == 200
