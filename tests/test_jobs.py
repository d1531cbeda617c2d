"""Background jobs: a queue in SQLite that outlives processes, run one job at a time per data root by whichever
process holds instance/jobs.lock. Staff see and steer it at /jobs/, the command line at `archive jobs`. The key test
kills a server with SIGKILL half-way through a rebuild of the search index and finds the job finished after a restart.

Waits are bounded (a hang fails the test) but never timed: nothing here asserts how fast anything is."""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import PASSWORD, csrf_token, start_server
from filelock import FileLock

from archive import accounts, create_app
from archive import jobs as jobs_module
from archive.errors import ArchiveError
from archive.i18n import N_
from archive.jobs import CANCELLED, CANCELLED_BEFORE, GIVEN_UP, JobCancelled, JobError

WORDS = (
    "we lived in a village by the sea in the autumn the order came they put us in freight wagons the journey took "
    "more than a month at the stations we ran for hot water my mother held my little brother father said nothing"
).split()
MARK = "lighthouse"  # a word that only the last interview of a collection holds


def settings(root: Path) -> dict:
    return {"TESTING": True, "ARCHIVE_DATA": root, "ARCHIVE_INDEX_CHECK_AT_START": False}


def write_interviews(collection, count: int, words: int, mark: str = MARK) -> list[str]:
    """Write `count` public interviews of about `words` words through the collection (not indexed); the last one
    also holds `mark`."""
    ids = []
    for n in range(count):
        segments = [
            {
                "n": k + 1,
                "start": 20.0 * k,
                "end": 20.0 * k + 20,
                "speaker": "Anna",
                "lang": "en",
                "text": " ".join(WORDS[(n + k + i) % len(WORDS)] for i in range(words // 10))
                + (f" {mark}" if n == count - 1 and k == 9 else ""),
            }
            for k in range(10)
        ]
        record = {
            "schema": 1,
            "title": f"Testimony {n}",
            "access": "public",
            "narrators": [{"name": "Anna Kim", "other_forms": []}],
            "villages": [{"name": "Ushtobe", "place": "ushtobe"}],
            "date": "1995",
            "surnames": ["Kim"],
            "languages": ["en"],
        }
        files = {
            "interview.json": json.dumps(record).encode(),
            "segments.json": json.dumps(segments).encode(),
        }
        ids.append(collection.create("interviews", files, "test"))
    return ids


def wait_for(condition, what: str, seconds: float = 60):
    """Poll until `condition()` returns something true, and return it; fail after `seconds` (a bound on a hang)."""
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def jobs(app):
    return app.extensions["jobs"]


def echo(app, job):
    """A handler that ends at once, saying what it was given."""
    return f"echo {job.arguments.get('text', '')}"


# --- the queue ------------------------------------------------------------------------------------------------------


def test_submit_queues_a_job_that_lists_and_unknown_kinds_are_refused(jobs):
    job = jobs.submit("reindex", {}, "anna")
    assert (job.kind, job.state, job.by, job.attempts, job.done, job.total) == ("reindex", "queued", "anna", 0, 0, None)
    assert jobs.list() == [job] and jobs.get(job.id) == job
    with pytest.raises(JobError) as refused:
        jobs.submit("reindx", {}, "anna")
    assert refused.value.code == "unknown_kind"
    assert "'reindx'" in str(refused.value) and "reindex" in str(refused.value)
    assert jobs.list() == [job]


def test_an_identical_job_is_not_queued_twice(jobs):
    jobs.register("echo", echo)
    first = jobs.submit("reindex", None, "anna")
    assert jobs.submit("reindex", {}, "boris").id == first.id
    a = jobs.submit("echo", {"text": "a", "n": 1}, "anna")
    assert jobs.submit("echo", {"n": 1, "text": "a"}, "anna").id == a.id  # the order of the arguments is no matter
    assert jobs.submit("echo", {"text": "b", "n": 1}, "anna").id != a.id
    cancelled = jobs.cancel(first.id, "anna")
    assert (cancelled.state, cancelled.message) == ("cancelled", CANCELLED_BEFORE)
    assert cancelled.finished is not None
    assert jobs.submit("reindex", {}, "anna").id not in (first.id, a.id)


def test_cancelling_an_ended_or_unknown_job_is_refused(jobs):
    jobs.register("echo", echo)
    job = jobs.submit("echo", {"text": "hi"}, "anna")
    [ended] = jobs.run_pending()
    assert (ended.id, ended.state, ended.message) == (job.id, "done", "echo hi")
    with pytest.raises(JobError) as refused:
        jobs.cancel(job.id, "anna")
    assert refused.value.code == "ended" and "already ended" in str(refused.value)
    with pytest.raises(JobError) as refused:
        jobs.cancel(job.id + 1, "anna")
    assert refused.value.code == "no_job"


def test_a_reindex_job_rebuilds_the_index_and_counts_its_documents(app, client, sample_collection, jobs):
    write_interviews(sample_collection, 1, 40)  # in the collection, not yet in the index
    assert client.get(f"/api/v1/search?q={MARK}").get_json()["total"] == 0
    job = jobs.submit("reindex", {}, "anna")
    [ended] = jobs.run_pending()
    assert (ended.id, ended.state, ended.message) == (job.id, "done", "The search index was rebuilt.")
    assert ended.done == ended.total == len(app.extensions["indexer"].present())
    assert ended.attempts == 1 and ended.started <= ended.finished
    assert client.get(f"/api/v1/search?q={MARK}").get_json()["total"] == 1


def test_a_failing_handler_ends_failed_with_its_message_and_the_next_job_runs(jobs):
    def refuses(app, job):
        raise ArchiveError("Transcript line 42: timecode 00:61:00 is not a valid time")

    def breaks(app, job):
        raise ValueError("nothing\nto read")

    jobs.register("refuses", refuses)
    jobs.register("breaks", breaks)
    jobs.register("echo", echo)
    for kind in ("refuses", "breaks", "echo"):
        jobs.submit(kind, {}, "anna")
    ran = jobs.run_pending()
    assert [(j.kind, j.state, j.message) for j in ran] == [
        ("refuses", "failed", "Transcript line 42: timecode 00:61:00 is not a valid time"),
        ("breaks", "failed", "ValueError: nothing to read"),
        ("echo", "done", "echo "),
    ]


def test_a_running_job_sees_its_cancellation_and_is_not_a_duplicate_any_more(jobs):
    seen = {}

    def probe(app, job):
        if "first" in seen:
            return "the second one ran"
        seen["first"] = job.id
        seen["while running"] = jobs.submit("probe", {}, "boris").id
        jobs.cancel(job.id, "boris")
        seen["while cancelling"] = jobs.submit("probe", {}, "boris").id
        if job.cancelled():
            raise JobCancelled
        return "not cancelled"

    jobs.register("probe", probe)
    jobs.submit("probe", {}, "anna")
    first, second = jobs.run_pending()
    assert seen["while running"] == seen["first"] == first.id
    assert seen["while cancelling"] == second.id != first.id
    assert (first.state, first.message, first.cancel_requested) == ("cancelled", CANCELLED, True)
    assert (second.state, second.message) == ("done", "the second one ran")


def test_a_job_whose_process_died_runs_again_and_is_given_up_after_three_attempts(jobs):
    """SystemExit out of a handler stands for the death of the process: the job stays marked running and the lock is
    let go (the system does that for a killed process). The real SIGKILL is the server test below."""
    starts = {"flaky": 0, "doomed": 0}

    def flaky(app, job):
        starts["flaky"] += 1
        if starts["flaky"] == 1:
            raise SystemExit("the process dies here")
        return "finished at last"

    def doomed(app, job):
        starts["doomed"] += 1
        raise SystemExit("the process dies here")

    jobs.register("flaky", flaky)
    jobs.register("doomed", doomed)
    job = jobs.submit("flaky", {}, "anna")
    with pytest.raises(SystemExit):
        jobs.run_pending()
    assert jobs.get(job.id).state == "running"  # as a killed process leaves it
    [ended] = jobs.run_pending()
    assert (ended.state, ended.message, ended.attempts) == ("done", "finished at last", 2)

    job = jobs.submit("doomed", {}, "anna")
    for _ in range(3):
        with pytest.raises(SystemExit):
            jobs.run_pending()
    assert jobs.run_pending() == []
    given_up = jobs.get(job.id)
    assert (given_up.state, given_up.message, given_up.attempts, starts["doomed"]) == ("failed", GIVEN_UP, 3, 3)


def test_only_the_holder_of_the_data_roots_lock_runs_jobs(app, jobs, tmp_path):
    jobs.register("echo", echo)
    other = create_app(settings(tmp_path)).extensions["jobs"]  # another process's view of the same data root
    other.register("echo", echo)
    job = jobs.submit("echo", {"text": "once"}, "anna")
    assert other.get(job.id) == job
    with FileLock(str(Path(app.instance_path) / "jobs.lock")):
        assert jobs.run_pending() == [] and other.run_pending() == []
        assert jobs.get(job.id).state == "queued"
    [ended] = other.run_pending()
    assert (ended.id, ended.state) == (job.id, "done")
    assert jobs.run_pending() == []


def test_the_worker_thread_starts_only_when_asked_and_runs_what_is_submitted(jobs):
    jobs.register("echo", echo)
    job = jobs.submit("echo", {"text": "worker"}, "anna")
    assert not jobs.worker_alive  # a TESTING app (like every app) starts none; `archive serve` asks for it
    jobs.start_worker()
    try:
        assert jobs.worker_alive
        ended = wait_for(lambda: (j := jobs.get(job.id)).state == "done" and j, "the worker to run the job")
        assert ended.message == "echo worker"
    finally:
        jobs.stop_worker(timeout=30)
    assert not jobs.worker_alive


# --- the staff page -------------------------------------------------------------------------------------------------


def test_staff_start_see_and_cancel_jobs_on_their_page(app, client, auth, jobs):
    auth.login("historian")
    assert 'href="/jobs/"' in client.get("/").get_data(as_text=True)
    page = client.get("/jobs/")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "No jobs yet." in page.get_data(as_text=True)
    token = csrf_token(page)

    done = client.post("/jobs/reindex", data={"csrf_token": token}, follow_redirects=True)
    text = done.get_data(as_text=True)
    [job] = jobs.list()
    assert f"A rebuild of the search index is queued (job {job.id})." in text
    assert "Queued" in text and f'name="job" value="{job.id}"' in text
    again = client.post("/jobs/reindex", data={"csrf_token": token}, follow_redirects=True).get_data(as_text=True)
    assert f"queued (job {job.id})" in again and len(jobs.list()) == 1

    text = client.post("/jobs/cancel", data={"job": job.id, "csrf_token": token}, follow_redirects=True).get_data(
        as_text=True
    )
    assert f"Job {job.id} is cancelled." in text and CANCELLED_BEFORE in text
    assert f'name="job" value="{job.id}"' not in text  # nothing left to cancel
    text = client.post("/jobs/cancel", data={"job": job.id, "csrf_token": token}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "This job has already ended; nothing was cancelled." in text

    pages = {}

    def counting(app_, handle):
        """Looks at the page while it runs, and is cancelled from it."""
        handle.progress(3, 10)
        pages["running"] = client.get("/jobs/").get_data(as_text=True)
        pages["cancel"] = client.post(
            "/jobs/cancel", data={"job": handle.id, "csrf_token": token}, follow_redirects=True
        ).get_data(as_text=True)
        if handle.cancelled():
            raise JobCancelled
        return "counted"

    jobs.register("count", counting)
    counted = jobs.submit("count", {}, "historian")
    [ended] = jobs.run_pending()
    assert ended.state == "cancelled"
    assert '<progress max="10" value="3">' in pages["running"] and "3 of 10" in pages["running"]
    assert f'name="job" value="{counted.id}"' in pages["running"]
    assert f"Job {counted.id} stops at its next safe point." in pages["cancel"]
    for html in (pages["running"], pages["cancel"]):
        assert " style=" not in html and not re.search(r"<script(?![^>]*\ssrc=)", html)  # the CSP allows neither


def test_the_jobs_page_speaks_russian(client, auth, jobs):
    auth.login("historian")
    job = jobs.submit("reindex", {}, "historian")
    text = client.get("/jobs/?lang=ru").get_data(as_text=True)
    for russian in ("Фоновые задачи", "Перестроить поисковый индекс", "В очереди", "Отменить", "Задачи"):
        assert russian in text, russian
    jobs.cancel(job.id, "historian")
    assert "Отменена до начала." in client.get("/jobs/").get_data(as_text=True)  # the choice is remembered


def test_what_a_job_ends_with_is_said_in_the_pages_language(client, auth, jobs, sample_collection):
    auth.login("historian")
    jobs.submit("check-index", {}, "historian")
    (ran,) = jobs.run_pending()
    assert ran.message == "The search index matched the collection."  # the command line and the logs keep English
    assert "Поисковый индекс совпадал с коллекцией." in client.get("/jobs/?lang=ru").get_data(as_text=True)

    def refuses(app, job):
        raise ArchiveError(N_("{name} is already in the archive (item {id})."), name="letter.pdf", id="ab12cd34")

    jobs.register("refuses", refuses)
    jobs.submit("refuses", {}, "historian")
    (failed,) = jobs.run_pending()
    assert failed.message == "letter.pdf is already in the archive (item ab12cd34)."
    page = client.get("/jobs/?lang=ru").get_data(as_text=True)
    assert "letter.pdf" in page and "ab12cd34" in page and "is already in the archive" not in page


def test_a_jobs_database_of_the_first_version_gains_the_translatable_message(app, tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    first_version = "\n".join(line for line in jobs_module.SCHEMA.splitlines() if not line.lstrip().startswith("said "))
    assert "said" not in first_version
    old.executescript(f"{first_version} PRAGMA user_version = 1;")
    old.execute(
        "INSERT INTO jobs (kind, arguments, state, message, requested_by, created) VALUES (?, ?, ?, ?, ?, ?)",
        ("reindex", "{}", "done", "The search index was rebuilt.", "anna", 1.0),
    )
    old.commit()
    old.close()
    queue = jobs_module.Jobs(app, path, tmp_path / "old.lock")
    queue.register("reindex", echo)
    (kept,) = queue.list()
    assert (kept.message, kept.said, kept.words) == ("The search index was rebuilt.", "", kept.message)
    queue.submit("reindex", {}, "anna")
    assert len(queue.list()) == 2


@pytest.mark.parametrize("role", ["anonymous", "researcher"])
def test_readers_who_are_not_staff_can_neither_see_nor_steer_jobs(client, auth, jobs, role):
    job = jobs.submit("reindex", {}, "historian")
    if role == "researcher":
        auth.login("researcher")
    token = csrf_token(client.get("/auth/signin" if role == "anonymous" else "/"))
    assert 'href="/jobs/"' not in client.get("/").get_data(as_text=True)
    answers = [
        client.get("/jobs/"),
        client.post("/jobs/cancel", data={"job": job.id, "csrf_token": token}),
        client.post("/jobs/reindex", data={"csrf_token": token}),
    ]
    for answer in answers:
        if role == "anonymous":  # what the inbox gives them: the sign-in page
            assert answer.status_code == 302 and "/auth/signin" in answer.headers["Location"]
        else:
            assert answer.status_code == 403
        assert answer.headers["Cache-Control"] == "no-store"
    assert jobs.list() == [job]


# --- the command line -----------------------------------------------------------------------------------------------


def test_the_command_line_submits_lists_cancels_and_runs_jobs(runner):
    assert runner("jobs").output.strip() == "No jobs."
    assert runner("jobs", "submit", "reindex", "--by", "anna").output.strip() == "Job 1 (reindex) is queued."
    assert runner("jobs", "submit", "reindex").output.strip() == "Job 1 (reindex) is queued."
    refused = runner("jobs", "submit", "nothing")
    assert refused.exit_code == 1 and "there is no kind of job called 'nothing'" in refused.output
    [line] = runner("jobs").output.splitlines()
    assert line.split("\t")[:5] == ["1", "reindex", "queued", "0/?", "anna"]
    assert runner("jobs", "cancel", "1").output.strip() == "Cancelled job 1 (reindex)."
    refused = runner("jobs", "cancel", "1")
    assert refused.exit_code == 1 and "job 1 has already ended (cancelled)" in refused.output
    assert runner("jobs", "submit", "reindex").output.strip() == "Job 2 (reindex) is queued."
    ran = runner("jobs", "run")
    assert ran.exit_code == 0 and "Job 2 (reindex) done: The search index was rebuilt." in ran.output
    assert runner("jobs", "run").output.strip() == "No job was waiting."
    listed = [line.split("\t") for line in runner("jobs").output.splitlines()]
    assert [row[:4] for row in listed] == [["2", "reindex", "done", "0/0"], ["1", "reindex", "cancelled", "0/?"]]


def test_archive_jobs_run_waits_for_the_process_that_holds_the_lock(app, sample_collection, jobs):
    root = app.config["ARCHIVE_DATA"]
    job = jobs.submit("reindex", {}, "anna")
    archive = shutil.which("archive", path=str(Path(sys.executable).parent))
    lock = FileLock(str(Path(app.instance_path) / "jobs.lock"))
    with lock:
        command = subprocess.Popen(
            [archive, "--data", str(root), "jobs", "run"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            said = ""
            for said in command.stderr:  # until it says that it waits (it cannot end while the lock is held)
                if "waiting" in said:
                    break
            assert said.strip() == "Another process is running jobs; waiting for it."
            assert jobs.get(job.id).state == "queued"
        finally:
            lock.release()
        out, err = command.communicate(timeout=120)
    assert command.returncode == 0, err
    assert f"Job {job.id} (reindex) done" in out
    assert jobs.get(job.id).done == len(app.extensions["indexer"].present())


# --- a real server killed in the middle of a job --------------------------------------------------------------------

# interviews of about 1,500 words: a rebuild takes a few seconds, long enough to be caught before its end (since
# rebuilds run in two processes, 300 were sometimes done before the job's first progress write after 0.5 s)
BIG = 800


@pytest.fixture(scope="module")
def big_root(tmp_path_factory):
    """A data root with BIG interviews that its (empty) index does not hold yet; each test copies it."""
    root = tmp_path_factory.mktemp("big") / "data"
    app = create_app(settings(root))  # an empty collection gets an empty index at once
    write_interviews(app.extensions["collection"], BIG, 1500)
    return root


@pytest.fixture
def big(big_root, tmp_path):
    root = tmp_path / "big"
    shutil.copytree(big_root, root)
    return root


class Browser:
    """A reader of a live server, with cookies, through urllib: get and post answer (status, text)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as answer:
            return answer.read().decode()

    def post(self, path: str, fields: dict) -> str:
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.base + path, data=data, timeout=30) as answer:
            return answer.read().decode()

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', self.get(path)).group(1)

    def sign_in(self, name: str) -> None:
        self.post("/auth/signin", {"name": name, "password": PASSWORD, "csrf_token": self.token("/auth/signin")})


def search_total(base: str, q: str) -> int:
    with urllib.request.urlopen(f"{base}/api/v1/search?q={q}", timeout=30) as answer:
        return json.load(answer)["total"]


@pytest.mark.slow
def test_a_reindex_survives_a_sigkill_of_the_server_and_finishes_after_the_restart(big, tmp_path):
    app = create_app(settings(big))  # the test's own view of the data root: it reads the queue, runs nothing
    jobs = app.extensions["jobs"]
    with app.app_context():
        accounts.add_user("historian", "historian", PASSWORD)
    log = tmp_path / "server.log"
    server, base = start_server(big, log, ARCHIVE_INDEX_CHECK_AT_START="0")  # the stale index stays as it is
    try:
        assert search_total(base, MARK) == 0  # the index lacks every interview until a rebuild
        staff = Browser(base)
        staff.sign_in("historian")
        staff.post("/jobs/reindex", {"csrf_token": staff.token("/jobs/")})
        [job] = jobs.list()
        half_way = wait_for(
            lambda: (j := jobs.get(job.id)).state != "queued" and (j.state != "running" or j.done > 0) and j,
            "the server's worker to start the job and count a document",
        )
        assert half_way.state == "running" and 0 < half_way.done < 2 * BIG, "the rebuild ended before its kill"
        os.kill(server.pid, signal.SIGKILL)
        server.wait(30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)
    left = jobs.get(job.id)
    assert (left.state, left.attempts) == ("running", 1)  # as the dead process left it
    assert list(big.glob(".index-new-*")), "the killed rebuild left its unfinished folder"

    server, base = start_server(big, log, ARCHIVE_INDEX_CHECK_AT_START="0")
    try:
        ended = wait_for(lambda: (j := jobs.get(job.id)).state not in ("queued", "running") and j, "the job", 120)
        assert (ended.state, ended.attempts, ended.message) == ("done", 2, "The search index was rebuilt.")
        assert ended.done == ended.total == 2 * BIG  # an interview and its annex each
        assert search_total(base, MARK) == 1  # the last interview written is found
        assert search_total(base, "Ushtobe") == BIG  # and every other one
        staff.base = base  # the same browser, at the new server's port: the sign-in outlived the process
        assert "The search index was rebuilt." in staff.get("/jobs/")
    finally:
        server.terminate()
        server.wait(30)
    assert not list(big.glob(".index-*")), "a rebuild's folder was left behind"
    assert "was left running by a process that stopped: queued" in log.read_text()


@pytest.mark.slow
def test_cancelling_a_running_reindex_keeps_the_index_in_use(big):
    app = create_app(settings(big))
    jobs, client = app.extensions["jobs"], app.test_client()
    with app.app_context():
        accounts.add_user("historian", "historian", PASSWORD)
    token = csrf_token(client.get("/auth/signin"))
    client.post("/auth/signin", data={"name": "historian", "password": PASSWORD, "csrf_token": token})
    token = csrf_token(client.get("/jobs/"))
    index_before = (big / "index").stat().st_ino
    client.post("/jobs/reindex", data={"csrf_token": token})
    [job] = jobs.list()
    jobs.start_worker()
    try:
        running = wait_for(lambda: (j := jobs.get(job.id)).state != "queued" and j.done > 0 and j, "progress")
        assert running.state == "running", "the rebuild ended before it could be cancelled"
        client.post("/jobs/cancel", data={"job": job.id, "csrf_token": token})
        ended = wait_for(lambda: (j := jobs.get(job.id)).state != "running" and j, "the job to stop")
    finally:
        jobs.stop_worker(timeout=120)
    assert (ended.state, ended.message) == ("cancelled", CANCELLED)
    assert 0 < ended.done < 2 * BIG
    assert (big / "index").stat().st_ino == index_before  # the old index is still the one in use
    assert not list(big.glob(".index-*"))  # and the unfinished one is gone
    assert client.get(f"/api/v1/search?q={MARK}").get_json()["total"] == 0
