"""The audit log: one line for every change written to the collection (who, when, which record, which files, and
what the writer said it was doing), kept in `audit/log.jsonl` under the data root.

It is written by `Collection` itself after each commit, so no write can forget it; it is append-only but for a purge
(a legal takedown), which keeps of the purged record's lines only the record, the time and the author, and adds a
"purged" line. The history of each file stays in its folder; this log is the archive-wide view of who did what.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

FOLDER = "audit"
LOG = "log.jsonl"
LOCK = ".lock"


@dataclass(frozen=True)
class Entry:
    """One change: `record` is "kind/id"; `files` maps each file to "added", "changed" or "removed"; `action` is
    what the writer called the change ("edited", "deleted", "restored", "purged", ...), or "" when it said nothing."""

    time: str
    author: str
    record: str
    files: dict[str, str] = field(default_factory=dict)
    action: str = ""
    note: str = ""

    def as_json(self) -> dict:
        line = {"time": self.time, "author": self.author, "record": self.record}
        if self.files:
            line["files"] = self.files
        if self.action:
            line["action"] = self.action
        if self.note:
            line["note"] = self.note
        return line


def _folder(root: Path) -> Path:
    return Path(root) / FOLDER


def append(root: Path, entry: Entry) -> None:
    """Add one line, whole, under the log's lock (several processes write the same collection)."""
    folder = _folder(root)
    folder.mkdir(exist_ok=True)
    line = (json.dumps(entry.as_json(), ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    with FileLock(str(folder / LOCK)):
        fd = os.open(folder / LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)


def mark(root: Path) -> tuple[int, int, int] | None:
    """Where the log stands (its file, size and time of last change; None before its first line): it moves with every
    line written, and a purge (which rewrites the log) gives it another file, so something worked out from the
    records can be kept while the mark stays, and brought up to date from the lines added since (`since`)."""
    try:
        stat = os.stat(_folder(root) / LOG)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def since(root: Path, offset: int) -> tuple[list[Entry], int]:
    """The whole lines written after byte `offset` of the log, and the offset after the last of them (a line being
    written is left for the next call)."""
    try:
        with open(_folder(root) / LOG, "rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset
    whole = data[: data.rfind(b"\n") + 1]
    return list(_read(whole.decode("utf-8", "replace").splitlines())), offset + len(whole)


def entries(root: Path) -> Iterator[Entry]:
    """Every line, oldest first (a line cut by a crash is skipped)."""
    path = _folder(root) / LOG
    if not path.is_file():
        return
    with open(path, encoding="utf-8") as f:
        yield from _read(f)


def latest(root: Path, tail_bytes: int = 64 * 1024) -> list[Entry]:
    """The last lines of the log (about `tail_bytes` of them), oldest first: what changed a moment ago, read
    without reading the whole log."""
    path = _folder(root) / LOG
    try:
        with open(path, "rb") as f:
            size = f.seek(0, os.SEEK_END)
            f.seek(max(0, size - tail_bytes))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except FileNotFoundError:
        return []
    return list(_read(lines[1:] if size > tail_bytes else lines))  # the first line may be cut


def _read(lines) -> Iterator[Entry]:  # noqa: ANN001 - a file or a list of lines
    for line in lines:
        try:
            data = json.loads(line)
            yield Entry(
                data["time"],
                data["author"],
                data["record"],
                dict(data.get("files") or {}),
                data.get("action", ""),
                data.get("note", ""),
            )
        except (ValueError, KeyError, TypeError):
            continue


def purge(root: Path, record: str, time: str, author: str) -> None:
    """Forget what the log said of a record but that it changed (when, by whom), and add that it was purged."""
    folder = _folder(root)
    folder.mkdir(exist_ok=True)
    with FileLock(str(folder / LOCK)):  # entries() reads without the lock, so the read happens under it
        kept = [Entry(e.time, e.author, e.record) if e.record == record else e for e in entries(root)]
        kept.append(Entry(time, author, record, action="purged"))
        tmp = folder / f".{LOG}.tmp"
        with open(tmp, "w", encoding="utf-8") as out:
            for entry in kept:
                out.write(json.dumps(entry.as_json(), ensure_ascii=False, sort_keys=True) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / LOG)
