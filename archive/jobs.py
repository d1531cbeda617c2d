"""Long work that must not hold a request (rebuilding the search index), queued and run in the background.

Jobs are rows of `instance/jobs.sqlite3`, so that they outlive the process that asked for them and every process of
one data root sees one queue. One process at a time runs them: whichever holds `instance/jobs.lock`, a FileLock that
the system lets go of when its holder dies. Each `archive serve` process tries to take it every second or so (never
waiting), runs the queue oldest first, one job at a time, then lets it go; `archive jobs run` waits for it instead.

A job that the next holder of the lock finds `running` was left by a process that died (a SIGKILL, a power cut, a
restart): it is queued again and runs from the start, so every handler must be safe to run twice. A job whose
process has died `MAX_ATTEMPTS` times fails instead, so that one poisonous job cannot take servers down for ever.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout
from flask import Flask

from .accounts import immediate  # one write transaction of SQLite, as accounts take it
from .alignment import Cancelled as AlignmentCancelled
from .backup import Cancelled as BackupCancelled
from .errors import ArchiveError, Language, Message
from .i18n import N_
from .sound import Cancelled as SoundCancelled

STATES = ("queued", "running", "done", "failed", "cancelled")
ACTIVE = ("queued", "running")
MAX_ATTEMPTS = 3  # starts of one job, each ended by the death of its process, before it is given up
POLL_SECONDS = 1.0  # how often an idle worker looks for work and for the lock
WRITE_EVERY = 0.5  # seconds between two progress writes (and two looks at the cancel flag) of a running job

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a number staff saw names one job for ever
    kind TEXT NOT NULL,
    arguments TEXT NOT NULL,  -- JSON with sorted keys, so that identical jobs have identical text
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    message TEXT NOT NULL DEFAULT '',  -- in English, for the command line and the logs
    said TEXT NOT NULL DEFAULT '',  -- the same message as JSON (its marked template and values), for pages to translate
    requested_by TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, id);
"""
SCHEMA_VERSION = 2  # PRAGMA user_version; 2 added `said`

# The runner's own messages: fixed sentences, so that pages can translate them.
QUEUED_AGAIN = N_("Its process stopped before it finished; it will run again from the start.")
GIVEN_UP = N_("Its process stopped before it finished, too many times; it will not be tried again.")
CANCELLING = N_("Cancelling: it stops at the next safe point.")
CANCELLED_BEFORE = N_("Cancelled before it started.")
CANCELLED = N_("Cancelled.")
DONE = N_("Done.")

log = logging.getLogger(__name__)


class JobError(ArchiveError):
    """A job could not be submitted or cancelled; `code` says why (unknown_kind, no_job, ended)."""

    def __init__(self, message: str, code: str):
        super().__init__(message, None, code)


class JobCancelled(Exception):
    """Raised by a handler (or from a callback it passes on) once `Handle.cancelled()` says so."""


@dataclass(frozen=True)
class Job:
    """One job as stored. Times are seconds since the epoch; `total` is None until the handler knows it."""

    id: int
    kind: str
    arguments: dict
    state: str
    done: int
    total: int | None
    message: str
    said: str
    by: str
    created: float
    started: float | None
    finished: float | None
    attempts: int
    cancel_requested: bool

    @property
    def words(self) -> str:
        """The message with its template and values when it has them (an `errors.Message` a page can translate)."""
        return _unpack(json.loads(self.said)) if self.said else self.message

    @property
    def active(self) -> bool:
        return self.state in ACTIVE


Handler = Callable[[Flask, "Handle"], "str | None"]


class Handle:
    """What a running handler sees of its job: its arguments, `progress(done, total)` and `cancelled()`. Both are
    cheap to call once per item: they touch the database at most every WRITE_EVERY seconds."""

    def __init__(self, jobs: Jobs, job: Job):
        self.id, self.arguments, self.by = job.id, job.arguments, job.by
        self._jobs = jobs
        self._written: float | None = None
        self._checked: float | None = None
        self._cancelled = False

    def progress(self, done: int, total: int | None = None) -> None:
        """Record how far the job has come (a call that reaches the total is always written)."""
        moment = time.monotonic()
        if self._written is not None and moment - self._written < WRITE_EVERY and done != total:
            return
        self._written = moment
        self._jobs._update(self.id, "done = ?, total = COALESCE(?, total)", done, total)

    def cancelled(self) -> bool:
        """Tell whether someone asked to cancel the job; the handler then stops and raises JobCancelled."""
        moment = time.monotonic()
        if not self._cancelled and (self._checked is None or moment - self._checked >= WRITE_EVERY):
            self._checked = moment
            job = self._jobs.get(self.id)
            self._cancelled = job is None or job.cancel_requested
        return self._cancelled


class Jobs:
    """The job queue of one data root, and this process's worker. Built once per app (`app.extensions["jobs"]`)."""

    def __init__(self, app: Flask, path: Path, lock_path: Path, max_attempts: int = MAX_ATTEMPTS):
        self.app, self.path, self.max_attempts = app, Path(path), max_attempts
        self._lock = FileLock(str(lock_path))
        self._handlers: dict[str, Handler] = {}
        self._ready = False
        self._wake, self._stop = threading.Event(), threading.Event()
        self._worker: threading.Thread | None = None
        self._soon: threading.Thread | None = None  # a thread running queued jobs once, where there is no worker
        self._soon_lock = threading.Lock()

    # --- the registry -------------------------------------------------------------------------------------------

    def register(self, kind: str, handler: Handler) -> None:
        """Say which function runs jobs of `kind`: handler(app, handle) -> a sentence for people, or None."""
        self._handlers[kind] = handler

    def kinds(self) -> list[str]:
        return sorted(self._handlers)

    # --- asking -------------------------------------------------------------------------------------------------

    def submit(self, kind: str, arguments: dict | None = None, by: str = "") -> Job:
        """Queue a job, or return the identical one already queued or running (not one being cancelled)."""
        if kind not in self._handlers:
            known = ", ".join(self.kinds()) or "none"
            raise JobError(f"there is no kind of job called {kind!r} (known: {known})", "unknown_kind")
        text = _arguments(arguments)
        with self._db() as conn, immediate(conn):
            row = conn.execute(
                "SELECT id FROM jobs WHERE kind = ? AND arguments = ? AND state IN ('queued', 'running')"
                " AND NOT cancel_requested ORDER BY id LIMIT 1",
                (kind, text),
            ).fetchone()
            if row is None:
                made = conn.execute(
                    "INSERT INTO jobs (kind, arguments, state, requested_by, created) VALUES (?, ?, 'queued', ?, ?)",
                    (kind, text, by, time.time()),
                )
                row = (made.lastrowid,)
            job = _get(conn, row[0])
        self._wake.set()
        return job

    def get(self, job_id: int) -> Job | None:
        with self._db() as conn:
            return _get(conn, job_id)

    def list(self, limit: int = 100) -> list[Job]:
        """The latest jobs, newest first."""
        with self._db() as conn:
            return [_job(row) for row in conn.execute("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", (limit,))]

    def latest(self, kind: str, arguments: dict | None = None) -> Job | None:
        """The newest job of this kind with exactly these arguments (what a page about one record shows of its own
        work), or None."""
        text = _arguments(arguments)
        with self._db() as conn:
            row = conn.execute(
                "SELECT * FROM jobs WHERE kind = ? AND arguments = ? ORDER BY id DESC LIMIT 1", (kind, text)
            ).fetchone()
        return None if row is None else _job(row)

    def cancel(self, job_id: int, by: str = "") -> Job:
        """Cancel a queued job at once; ask a running one to stop at its next safe point."""
        with self._db() as conn, immediate(conn):
            job = _get(conn, job_id)
            if job is None:
                raise JobError(f"there is no job {job_id}", "no_job")
            if job.state == "queued":
                conn.execute(
                    "UPDATE jobs SET state = 'cancelled', finished = ?, message = ? WHERE id = ?",
                    (time.time(), CANCELLED_BEFORE, job_id),
                )
            elif job.state == "running":
                conn.execute("UPDATE jobs SET cancel_requested = 1, message = ? WHERE id = ?", (CANCELLING, job_id))
            else:
                raise JobError(f"job {job_id} has already ended ({job.state})", "ended")
            job = _get(conn, job_id)
        log.info("job %d (%s) cancelled by %s", job.id, job.kind, by or "someone")
        return job

    # --- running ------------------------------------------------------------------------------------------------

    def run_pending(self, wait: bool = False, on_wait: Callable[[], None] | None = None) -> list[Job]:
        """Run queued jobs, oldest first, until none is left, if this process can take the data root's job lock;
        with `wait`, wait for it (calling `on_wait` first). Return the jobs run, as they ended."""
        return self._drain(wait, on_wait, until=None)

    def _drain(self, wait: bool, on_wait: Callable[[], None] | None, until: threading.Event | None) -> list[Job]:
        try:
            self._lock.acquire(blocking=False)
        except Timeout:
            if not wait:
                return []
            if on_wait:
                on_wait()
            self._lock.acquire()
        ran = []
        try:
            self._recover()
            while not (until and until.is_set()) and (job := self._claim()) is not None:
                ran.append(self._run(job))
        finally:
            self._lock.release()
        return ran

    def run_soon(self, kind: str, arguments: dict | None = None, by: str = "archive") -> Job:
        """Queue a job that must not wait for a server's worker: this process's worker runs it if there is one,
        else a thread that waits for the data root's job lock (another process may be running jobs), runs what is
        queued and ends. So a page that meets a broken index gets it repaired in any process, and only once."""
        job = self.submit(kind, arguments, by)
        if not self.worker_alive:
            with self._soon_lock:
                if self._soon is None or not self._soon.is_alive():
                    self._soon = threading.Thread(target=self._run_once, daemon=True, name="jobs-soon")
                    self._soon.start()
        return job

    def _run_once(self) -> None:
        try:
            self._drain(True, None, until=None)
        except Exception:  # noqa: BLE001 - a failed run leaves its job to the next worker or call
            log.exception("running queued jobs failed")

    def start_worker(self) -> None:
        """Start this process's worker thread (once): `archive serve` does, tests may; nothing else starts it."""
        if self.worker_alive:
            return
        self._stop.clear()
        self._worker = threading.Thread(target=self._work, daemon=True, name="jobs-worker")
        self._worker.start()

    @property
    def worker_alive(self) -> bool:
        """Tell whether this process's worker thread is running."""
        return self._worker is not None and self._worker.is_alive()

    def stop_worker(self, timeout: float | None = None) -> None:
        """Stop the worker once its current job (if any) has ended."""
        self._stop.set()
        self._wake.set()
        if self._worker is not None:
            self._worker.join(timeout)

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                if self._has_work():
                    self._drain(False, None, until=self._stop)  # a stopped worker ends its job, starts no other
            except Exception:  # noqa: BLE001 - the worker must outlive a broken database or handler; it retries
                log.exception("the job worker failed; it tries again")
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def _has_work(self) -> bool:
        with self._db() as conn:
            return (
                conn.execute("SELECT 1 FROM jobs WHERE state IN ('queued', 'running') LIMIT 1").fetchone() is not None
            )

    def _recover(self) -> None:
        """With the lock just taken, no job can be running: one marked so was left by a process that died."""
        with self._db() as conn, immediate(conn):
            for row in conn.execute("SELECT * FROM jobs WHERE state = 'running'").fetchall():
                job = _job(row)
                if job.cancel_requested:
                    state, message = "cancelled", CANCELLED
                elif job.attempts >= self.max_attempts:
                    state, message = "failed", GIVEN_UP
                else:
                    state, message = "queued", QUEUED_AGAIN
                finished = time.time() if state != "queued" else None
                conn.execute(
                    "UPDATE jobs SET state = ?, message = ?, finished = ? WHERE id = ?",
                    (state, message, finished, job.id),
                )
                log.warning("job %d (%s) was left running by a process that stopped: %s", job.id, job.kind, state)

    def _claim(self) -> Job | None:
        with self._db() as conn, immediate(conn):
            row = conn.execute("SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1").fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE jobs SET state = 'running', started = ?, attempts = attempts + 1, done = 0 WHERE id = ?",
                (time.time(), row[0]),
            )
            return _get(conn, row[0])

    def _run(self, job: Job) -> Job:
        handler = self._handlers.get(job.kind)
        log.info("job %d (%s) started, attempt %d", job.id, job.kind, job.attempts)
        try:
            if handler is None:
                raise JobError(f"this archive has no handler for jobs of kind {job.kind!r}", "unknown_kind")
            with self.app.app_context():
                message = handler(self.app, Handle(self, job)) or DONE
        except JobCancelled:
            self._end(job.id, "cancelled", CANCELLED)
        except Exception as error:  # noqa: BLE001 - any fault of a handler ends its job, never the worker
            log.exception("job %d (%s) failed", job.id, job.kind)
            detail = " ".join(str(error).split()) or "no explanation given"
            self._end(
                job.id,
                "failed",
                error.message if isinstance(error, ArchiveError) else f"{type(error).__name__}: {detail}",
            )
        else:
            self._end(job.id, "done", message)
        ended = self.get(job.id)
        log.info("job %d (%s) %s: %s", ended.id, ended.kind, ended.state, ended.message)
        return ended

    def _end(self, job_id: int, state: str, message: str) -> None:
        done = ", done = COALESCE(total, done)" if state == "done" else ""
        said = json.dumps(_pack(message), ensure_ascii=False) if isinstance(message, Message) else ""
        self._update(
            job_id, f"state = ?, message = ?, said = ?, finished = ?{done}", state, str(message), said, time.time()
        )

    def _update(self, job_id: int, assignments: str, *values) -> None:
        """Change a running job (one that was cancelled while queued, or recovered meanwhile, is left alone)."""
        with self._db() as conn:
            conn.execute(f"UPDATE jobs SET {assignments} WHERE id = ? AND state = 'running'", (*values, job_id))

    # --- the database -------------------------------------------------------------------------------------------

    @contextmanager
    def _db(self):
        """A connection for one call: the queue is used from request threads and the worker alike."""
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            if not self._ready:
                _create(conn)
                self._ready = True
            yield conn
        finally:
            conn.close()


def _create(conn: sqlite3.Connection) -> None:
    """Make the table on first use, in any process (a read on later connections); a table of version 1 gains
    `said`."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= SCHEMA_VERSION:
        return
    conn.execute("PRAGMA journal_mode=WAL")  # readers (pages) never wait for the worker's progress writes
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # again: another process may have been first
        if version == 1:
            conn.execute("ALTER TABLE jobs ADD COLUMN said TEXT NOT NULL DEFAULT ''")
        if version < SCHEMA_VERSION:
            for statement in filter(str.strip, SCHEMA.split(";")):  # the schema's comments hold no semicolon
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _arguments(arguments: dict | None) -> str:
    """A job's arguments as stored: identical arguments, identical text."""
    return json.dumps(arguments or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _pack(said: object) -> object:
    """A message and its values as JSON: numbers kept as numbers, messages as their template and values, any other
    value as its text."""
    if isinstance(said, Message):
        return {"template": said.template, "params": {k: _pack(v) for k, v in said.params.items()}}
    if isinstance(said, ArchiveError):
        return _pack(said.message)
    if isinstance(said, Language):
        return {"language": said.tag}
    return said if isinstance(said, int | float) and not isinstance(said, bool) else str(said)


def _unpack(packed: object) -> object:
    if isinstance(packed, dict) and "language" in packed:
        return Language(packed["language"])
    if isinstance(packed, dict):
        return Message(packed["template"], **{k: _unpack(v) for k, v in packed["params"].items()})
    return packed


def _get(conn: sqlite3.Connection, job_id: int) -> Job | None:
    row = conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return _job(row) if row is not None else None


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        kind=row["kind"],
        arguments=json.loads(row["arguments"]),
        state=row["state"],
        done=row["done"],
        total=row["total"],
        message=row["message"],
        said=row["said"],
        by=row["requested_by"],
        created=row["created"],
        started=row["started"],
        finished=row["finished"],
        attempts=row["attempts"],
        cancel_requested=bool(row["cancel_requested"]),
    )


# --- the kinds of job -----------------------------------------------------------------------------------------------


def reindex(app: Flask, job: Handle) -> str:
    """Rebuild the search index from the collection. Safe to run twice: a rebuild starts afresh in a folder of its own
    and swaps it in whole. Cancelling stops it between two documents; rebuild then deletes its unfinished folder and
    the old index stays in use."""
    services = app.extensions["services"]
    total, count = len(services.indexer.present()), 0
    job.progress(0, total)

    def step(n: int) -> None:
        nonlocal count
        count += n
        job.progress(count, max(total, count))
        if job.cancelled():
            raise JobCancelled

    services.rebuild_index(progress=step)
    return N_("The search index was rebuilt.")


def repair_index(app: Flask, job: Handle) -> str:
    """Rebuild a missing or damaged index (what a page that met one asked for), unless it is whole by then."""
    indexer = app.extensions["indexer"]
    total, count = len(indexer.present()), 0

    def step(n: int) -> None:
        nonlocal count
        count += n
        job.progress(count, max(total, count))

    made = indexer.repair(progress=step)
    return N_("The search index was whole; nothing to repair.") if made is None else N_("The search index was rebuilt.")


def check_index(app: Flask, job: Handle) -> str:
    """Compare the index with the collection and bring up to date what is missing, stale or orphaned."""
    found = app.extensions["indexer"].check()
    if not any(found.values()):
        return N_("The search index matched the collection.")
    return Message(
        N_("The search index was brought up to date: {missing} missing, {stale} stale, {orphaned} orphaned."),
        **{k: len(v) for k, v in found.items()},
    )


def derive_recordings(app: Flask, job: Handle) -> str:
    """Make an interview's streaming and public copies of its recordings (sound.py), those missing or stale: after
    a redaction was added, changed or removed, or a recording added. Safe to run twice (what is current is kept);
    cancelling stops between two frames and removes the unfinished copy. The argument "redactions" (a fingerprint)
    only tells jobs for different redactions apart, so that a change during a run queues another run."""

    def stop() -> bool:
        return job.cancelled()

    job.progress(0, 1)
    try:
        made = app.extensions["services"].recordings.derive(job.arguments["interview"], cancelled=stop)
    except SoundCancelled:
        raise JobCancelled from None
    job.progress(1, 1)
    if not made:
        return N_("The copies of the recordings were up to date.")
    return Message(N_("Copies of the recordings made: {count}."), count=len(made))


def align(app: Flask, job: Handle) -> str:
    """Propose where each passage of an interview's untimed transcript is spoken (alignment.py), kept for its
    alignment page. Safe to run twice: a proposal is written whole at the end, replacing any before. Cancelling stops
    between two blocks of sound or two batches of speech; refusals (no recording, a language it does not speak,
    words that do not match) end the job as failed, with their reason, and change nothing."""
    try:
        kept = app.extensions["services"].transcripts.align(
            job.arguments["interview"], job.by, progress=job.progress, cancelled=job.cancelled
        )
    except AlignmentCancelled:
        raise JobCancelled from None
    return Message(
        N_("Times are proposed for {count} passages, {unsure} of them unsure: check and accept them."),
        count=len(kept.proposal.timings),
        unsure=len(kept.proposal.unsure),
    )


def backup(app: Flask, job: Handle) -> str:
    """Make a bag of the whole collection in the backup folder (ARCHIVE_BACKUP_DIR), folder by folder under each
    folder's lock while the archive runs. Safe to run twice: a run that stopped leaves a hidden unfinished bag that
    the next backup sweeps, and each run makes a bag of its own. Cancelling stops between two folders and removes
    the unfinished bag."""
    try:
        made = app.extensions["services"].backups.backup(progress=job.progress, cancelled=job.cancelled)
    except BackupCancelled:
        raise JobCancelled from None
    return Message(N_("The backup was made and checked: {name}."), name=made.name)


KINDS: dict[str, Handler] = {
    "reindex": reindex,
    "repair-index": repair_index,
    "check-index": check_index,
    "derive-recordings": derive_recordings,
    "backup": backup,
    "align": align,
}


def init_app(app: Flask) -> Jobs:
    """Make the app's job queue with every kind above; the worker is started by `archive serve` alone."""
    instance = Path(app.instance_path)
    jobs = Jobs(app, instance / "jobs.sqlite3", instance / "jobs.lock")
    for kind, handler in KINDS.items():
        jobs.register(kind, handler)
    app.extensions["jobs"] = jobs
    return jobs
