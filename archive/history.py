"""A record's history: its versions, what each changed, any earlier version read back, and a restore.

The collection keeps every earlier version of a file in the folder's `history/`, named by the time it was written and
by its author; `versions.json` names the current ones. A *version* of a record is one commit: the files written at
the same moment by the same author. Lists of versions are oldest first here, as `Collection.history` and the audit
log are (the pages show them newest first). The audit log gives each version the action its writer named and the
author's full name; a removal, which leaves no file behind, is known from it too.

A restore writes the files of the chosen version back as a NEW version (action "restored"), so nothing is lost: every
file of the record is put back as it was at that moment, and a file added since is removed (it stays in history).
For an interview that is its description, transcript, annotations and segment index together, so that annotations
stay anchored to the words they were made on, and its originals. What only the deletion, a withdrawal or a family's
contribution decide (`deleted`, `purged`, `withdrawn`, `contribution`) is kept as it is now, and so is an item's
`derived` (what its display copies, which are not versioned, were made with). A deleted record is not
restored: it must be undeleted first.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import access, audit, names
from . import collection as store
from .collection import Collection
from .errors import N_, ArchiveError, CollectionError

KINDS = ("interviews", "media")
DESCRIPTION = {"interviews": "interview.json", "media": "item.json"}  # the record's metadata in each kind
TRANSCRIPT = "segments.json"
# decided elsewhere, never by going back; and `derived`, which describes the copies in derived/ (never versioned)
KEPT_ON_RESTORE = ("deleted", "purged", "withdrawn", "contribution", "derived")
ADDED, CHANGED, REMOVED = "added", "changed", "removed"

_HISTORY_NAME = re.compile(
    r"(?P<stem>\.?[^.]+)\.(?P<stamp>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{6}Z)\.(?P<author>[a-z0-9_-]+)(?P<suffix>.*)"
)


class HistoryError(ArchiveError):
    """A version that is not there, or a restore refused."""

    code = "history"
    status = 409


@dataclass(frozen=True)
class FileVersion:
    """One state of one file: written at `time` by `author` and kept at `path` (relative to the record's folder), or
    removed at `time` (`path` None)."""

    name: str
    time: str
    author: str
    path: str | None


@dataclass(frozen=True)
class Version:
    """One commit of a record: when, who, what the writer called it, and each file it added, changed or removed."""

    number: int  # 1 for the first version
    time: str
    author: str
    action: str
    files: dict[str, str]

    @property
    def stamp(self) -> str:
        """The version's name in URLs: its time with the colons made dashes, as history file names have it."""
        return stamp_of(self.time)


@dataclass(frozen=True)
class FieldChange:
    """A metadata field before and after, said readably (lists joined by "; ", places and people by name)."""

    field: str
    before: str
    after: str


@dataclass(frozen=True)
class SegmentChange:
    """A passage of the transcript added, removed or changed; `words` marks the changed words: (op, text) with op
    "" (kept), "del" or "ins"."""

    n: object
    change: str
    before: str
    after: str
    words: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class FileChange:
    """Any other file: added, changed or removed, with its size in bytes (the new one, or the removed one's)."""

    name: str
    change: str
    size: int | None


@dataclass(frozen=True)
class Summary:
    """What a version changed from the one before."""

    fields: list[FieldChange]
    segments: list[SegmentChange]
    retimed: int  # passages whose times alone changed
    files: list[FileChange]


@dataclass(frozen=True)
class Shown:
    """One version as it was: its description, its transcript, and what it changed."""

    version: Version
    versions: list[Version]
    record: dict
    segments: list[dict]
    summary: Summary

    @property
    def current(self) -> bool:
        return self.version.number == len(self.versions)


def stamp_of(time: str) -> str:
    return time.replace(":", "-")


# --- the versions -------------------------------------------------------------------------------------------------


def timeline(collection: Collection, kind: str, record_id: str) -> dict[str, list[FileVersion]]:
    """Every state each file of a record has had, oldest first."""
    _check_kind(kind)
    folder = collection.folder(kind, record_id)
    if not (folder / store.MANIFEST).is_file():
        raise CollectionError(f"{kind}/{record_id} does not exist")
    recorded = _versions_json(folder)
    names = set(recorded)
    hist = folder / store.HISTORY
    if hist.is_dir():
        for path in hist.rglob("*"):
            found = _HISTORY_NAME.fullmatch(path.name) if path.is_file() else None
            if found:
                parent = path.parent.relative_to(hist).as_posix()
                base = found["stem"] + found["suffix"]
                names.add(base if parent == "." else f"{parent}/{base}")
    logged = [e for e in audit.entries(collection.root) if e.record == f"{kind}/{record_id}"]
    for entry in logged:
        names.update(name for name, change in entry.files.items() if change == REMOVED)
    states: dict[str, list[FileVersion]] = {}
    for name in sorted(names):
        try:
            kept = collection.history(kind, record_id, name)
        except CollectionError:  # not a name the collection writes (a stray file in history/)
            continue
        found = [FileVersion(name, h.time, h.author, h.path) for h in kept]
        if (folder / name).is_file():
            change = recorded.get(name) or {}
            when = change.get("time") or _mtime(folder / name)
            found.append(FileVersion(name, when, change.get("author", "unknown"), name))
        found += [FileVersion(name, e.time, e.author, None) for e in logged if e.files.get(name) == REMOVED]
        states[name] = sorted(found, key=lambda v: (v.time, v.path is None))
    return states


def versions(collection: Collection, kind: str, record_id: str) -> list[Version]:
    """A record's versions, oldest first, each with the action and the author's name from the audit log."""
    return _versions(collection, kind, record_id, timeline(collection, kind, record_id))


def _versions(collection: Collection, kind: str, record_id: str, states: dict) -> list[Version]:
    said = {e.time: e for e in audit.entries(collection.root) if e.record == f"{kind}/{record_id}" and e.files}
    commits: dict[str, dict] = {}
    for name, found in states.items():
        previous = None
        for state in found:
            commit = commits.setdefault(state.time, {"author": state.author, "files": {}})
            if state.path is None:
                commit["files"][name] = REMOVED
            else:
                commit["files"][name] = CHANGED if previous is not None and previous.path is not None else ADDED
            previous = state
    made = []
    for number, time in enumerate(sorted(commits), 1):
        entry = said.get(time)
        author = entry.author if entry else commits[time]["author"]
        action = entry.action if entry else "created" if number == 1 else ""  # records older than the audit log
        made.append(Version(number, time, author, action, dict(sorted(commits[time]["files"].items()))))
    return made


def find(found: list[Version], stamp: str) -> Version:
    """The version of this name (see `Version.stamp`), or HistoryError."""
    for version in found:
        if version.stamp == stamp:
            return version
    raise HistoryError(N_("there is no such version"), code="no-version")


def state(states: dict[str, list[FileVersion]], time: str) -> dict[str, str]:
    """The files a record held once the version of `time` was written: name -> where its content is kept."""
    held = {}
    for name, found in states.items():
        then = [v for v in found if v.time <= time]
        if then and then[-1].path is not None:
            held[name] = then[-1].path
    return held


def shown(collection: Collection, kind: str, record_id: str, stamp: str) -> Shown:
    """One version: its description and transcript as they were, and its summary."""
    states = timeline(collection, kind, record_id)
    found = _versions(collection, kind, record_id, states)
    version = find(found, stamp)
    folder = collection.folder(kind, record_id)
    held = state(states, version.time)
    record = _json(folder, held.get(DESCRIPTION[kind])) or {}
    segments = _json(folder, held.get(TRANSCRIPT)) if kind == "interviews" else None
    return Shown(version, found, record, segments or [], _summary(folder, kind, states, found, version))


def summaries(collection: Collection, kind: str, record_id: str) -> list[tuple[Version, Summary]]:
    """Every version with what it changed, oldest first."""
    states = timeline(collection, kind, record_id)
    found = _versions(collection, kind, record_id, states)
    folder = collection.folder(kind, record_id)
    return [(v, _summary(folder, kind, states, found, v)) for v in found]


def _summary(folder: Path, kind: str, states: dict, found: list[Version], version: Version) -> Summary:
    before = state(states, found[version.number - 2].time) if version.number > 1 else {}
    after = state(states, version.time)
    fields: list[FieldChange] = []
    segments: list[SegmentChange] = []
    retimed = 0
    files: list[FileChange] = []
    for name, change in version.files.items():
        if version.number == 1:  # the record's creation: what it was made with, not every field and passage
            files.append(FileChange(name, change, _size(folder, after.get(name))))
        elif name == DESCRIPTION[kind] and change != REMOVED:
            fields = field_changes(_json(folder, before.get(name)) or {}, _json(folder, after.get(name)) or {})
        elif name == TRANSCRIPT and kind == "interviews" and change != REMOVED:
            segments, retimed = segment_changes(
                _json(folder, before.get(name)) or [], _json(folder, after.get(name)) or []
            )
        else:
            files.append(FileChange(name, change, _size(folder, after.get(name) or before.get(name))))
    return Summary(fields, segments, retimed, files)


# --- what changed -------------------------------------------------------------------------------------------------


def readable(value: object) -> str:
    """A metadata value as a person reads it: lists joined by "; ", a place or a person by its name."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return "; ".join(readable(v) for v in value)
    if isinstance(value, dict):
        if isinstance(value.get("name"), str):
            return value["name"]
        return "; ".join(f"{k}: {readable(v)}" for k, v in value.items())
    return str(value)


def field_changes(before: dict, after: dict) -> list[FieldChange]:
    """Each field whose value differs, before -> after (in the order the newer description has them)."""
    changed = []
    for name in [*after, *(k for k in before if k not in after)]:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        said_old, said_new = readable(old), readable(new)
        if said_old == said_new:  # a difference the readable form hides (another spelling of a place): say all
            said_old = json.dumps(old, ensure_ascii=False) if old is not None else ""
            said_new = json.dumps(new, ensure_ascii=False) if new is not None else ""
        changed.append(FieldChange(name, said_old, said_new))
    return changed


def segment_changes(before: list[dict], after: list[dict]) -> tuple[list[SegmentChange], int]:
    """The passages added, removed and changed (text or speaker, with the changed words marked), matched by number;
    and how many passages changed only their times."""
    old = {s.get("n"): s for s in before if isinstance(s, dict)}
    new = {s.get("n"): s for s in after if isinstance(s, dict)}
    changes, retimed = [], 0
    order = [n for n in new] + [n for n in old if n not in new]
    for n in sorted(order, key=lambda n: (not isinstance(n, int), n if isinstance(n, int) else 0)):
        a, b = old.get(n), new.get(n)
        if a is None:
            changes.append(SegmentChange(n, ADDED, "", _said(b), [("ins", _said(b))]))
        elif b is None:
            changes.append(SegmentChange(n, REMOVED, _said(a), "", [("del", _said(a))]))
        elif _said(a) != _said(b):
            changes.append(SegmentChange(n, CHANGED, _said(a), _said(b), words(_said(a), _said(b))))
        elif (a.get("start"), a.get("end")) != (b.get("start"), b.get("end")):
            retimed += 1
    return changes, retimed


def _said(segment: dict) -> str:
    speaker = segment.get("speaker")
    text = str(segment.get("text") or "")
    return f"{speaker}: {text}" if speaker else text


def words(before: str, after: str) -> list[tuple[str, str]]:
    """A word-level diff: runs of words kept (""), removed ("del") and added ("ins")."""
    a, b = before.split(), after.split()
    marked = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            marked.append(("", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            marked.append(("del", " ".join(a[i1:i2])))
        if j2 > j1:
            marked.append(("ins", " ".join(b[j1:j2])))
    return marked


# --- restoring ----------------------------------------------------------------------------------------------------


def restore(collection: Collection, kind: str, record_id: str, stamp: str, author: str) -> Version:
    """Write the chosen version's files back as a new version (action "restored"); return the new version."""
    states = timeline(collection, kind, record_id)
    found = _versions(collection, kind, record_id, states)
    version = find(found, stamp)
    folder = collection.folder(kind, record_id)
    current = _json(folder, DESCRIPTION[kind]) or {}
    if current.get("purged"):
        raise HistoryError(N_("this record was purged; its earlier versions are gone"), code="purged")
    if access.deleted(current):
        raise HistoryError(N_("this record is deleted; undelete it before restoring a version"), code="deleted")
    if version.number == len(found):
        raise HistoryError(N_("this is the current version already"), code="current")
    then, now = state(states, version.time), state(states, found[-1].time)
    changes: dict[str, bytes | Path | None] = {}
    expected: dict[str, str | None] = {}
    for name in sorted(set(then) | set(now)):
        target: bytes | Path | None = folder / then[name] if name in then else None
        if name == DESCRIPTION[kind] and target is not None:
            record = json.loads(Path(target).read_bytes())
            for key in KEPT_ON_RESTORE:
                record.pop(key, None)
                if key in current:
                    record[key] = current[key]
            target = (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        digest = store.sha256_file(folder / name) if (folder / name).is_file() else None
        wanted = _digest(target)
        if wanted == digest:
            continue
        changes[name], expected[name] = target, digest
    if not changes:
        raise HistoryError(N_("the record already holds exactly this version"), code="current")
    collection.write(kind, record_id, changes, author, expected, action="restored")
    return versions(collection, kind, record_id)[-1]


# --- the audit log ------------------------------------------------------------------------------------------------


def log(
    root: Path,
    record: str | None = None,
    author: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> list[audit.Entry]:
    """The audit log's lines that match every filter given, oldest first: `record` "kind/id" or a bare id,
    `author` (a name, matched as names.py folds names), `action` a keyword, `since` and `until` a day
    (YYYY-MM-DD, both included) or a time."""
    for day in (since, until):
        if day:
            _check_day(day)
    matched = []
    for entry in audit.entries(root):
        if record and entry.record != record and entry.record.rpartition("/")[2] != record:
            continue
        if author and names.fold(author) != names.fold(entry.author):
            continue
        if action and entry.action != action:
            continue
        if since and entry.time < since:
            continue
        if until and entry.time[: len(until)] > until:
            continue
        matched.append(entry)
    return matched


def _check_day(text: str) -> None:
    try:
        datetime.date.fromisoformat(text[:10])
    except ValueError:
        raise HistoryError(N_("{text} is not a date (YYYY-MM-DD)"), field="since", code="bad-date", text=text) from None


# --- helpers ------------------------------------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise CollectionError(f"{kind!r} records have no history here ({', '.join(KINDS)})")


def _versions_json(folder: Path) -> dict:
    try:
        return json.loads((folder / store.VERSIONS).read_bytes())
    except (FileNotFoundError, ValueError):
        return {}


def _json(folder: Path, rel: str | None):
    if not rel or not (folder / rel).is_file():
        return None
    try:
        return json.loads((folder / rel).read_bytes())
    except ValueError:
        return None


def _digest(content: bytes | Path | None) -> str | None:
    if content is None:
        return None
    if isinstance(content, bytes):
        return hashlib.sha256(content).hexdigest()
    return store.sha256_file(content)


def _size(folder: Path, rel: str | None) -> int | None:
    return (folder / rel).stat().st_size if rel and (folder / rel).is_file() else None


def _mtime(path: Path) -> str:
    return datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def names_in(entries: Iterable[audit.Entry]) -> list[str]:
    """The authors who appear in these lines, sorted (the audit page's choice of author)."""
    return sorted({e.author for e in entries})
