"""The collection on disk, the store of record.

Every file under interviews/ and media/ is written here and nowhere else, so that the promises of DESIGN.md hold in
one place: atomic replacement, the previous version kept with its author and time, a current SHA-256 manifest per
folder, a lock that every process respects, and a refusal (never an overwrite) when a writer's copy is stale.

A write is a small redo log. New contents go to temporary files beside their targets; a journal naming every step is
made durable (the commit point); then the steps run. A writer killed at any moment leaves either no journal (nothing
happened; its temporary files are swept by the next writer) or a complete journal that the next writer finishes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from . import audit
from .errors import CollectionError, ConflictError, DiskFullError, is_disk_full

KINDS = ("interviews", "media", "vocab", "contributions", "about")  # contributions/: the untrusted inbox, never indexed
VOCABULARIES = ("places", "surnames", "events", "people")  # vocab/ folders have these fixed names, not identifiers
ABOUT = ("collection",)  # about/collection/: the collection's own description, shown on the home page
NAMED = {"vocab": VOCABULARIES, "about": ABOUT}  # kinds whose folders have fixed names, not identifiers
ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base 32: no i, l, o, u to misread or spell words
ID_LENGTH = 8  # 32**8, about 10**12 identifiers: short enough to read aloud, too many to guess
MANIFEST = "manifest-sha256.txt"
VERSIONS = "versions.json"
HISTORY = "history"
DERIVED = "derived"  # media derivatives: rebuildable, so outside the manifest and never written through it
LOCK = ".lock"
JOURNAL = ".journal"
TEMP_PREFIX = ".tmp-"
STAGING_PREFIX = ".new-"
STAGING_GRACE = 60.0  # seconds before an unlocked staging folder counts as abandoned

_ID_RE = re.compile(rf"[{ID_ALPHABET}]{{{ID_LENGTH}}}")
_NAME_PART_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_HISTORY_TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{6}Z")
_CHUNK = 1 << 20

Content = bytes | Path


@dataclass(frozen=True)
class Stored:
    """A file's content as read, and the version a later write must name to replace it."""

    data: bytes
    version: str

    def json(self) -> Any:
        return json.loads(self.data)


@dataclass(frozen=True)
class HistoryEntry:
    """An earlier version of a file: who wrote it, when, and where it is kept."""

    time: str
    author: str
    path: str


@dataclass(frozen=True)
class Problem:
    """Something `verify` found wrong, named by its path under the data root."""

    kind: str
    path: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}"


def is_valid_id(value: object, kind: str = "interviews") -> bool:
    """Tell whether a string from outside (a URL, a form) can name a folder of this kind."""
    if kind in NAMED:
        return value in NAMED[kind]
    return isinstance(value, str) and _ID_RE.fullmatch(value) is not None


def now() -> str:
    """Give the current time as the collection records it (UTC, microseconds, ISO 8601)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def sha256_file(path: Path) -> str:
    """Digest a whole file, in chunks so that audio and scans need little memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Collection:
    """The folders of one data root."""

    def __init__(self, root: Path | str, lock_timeout: float = 30.0):
        self.root = Path(root).absolute()  # a relative root would break once a write names its temporary files
        self.lock_timeout = lock_timeout

    # --- naming -------------------------------------------------------------------------------------------------

    def folder(self, kind: str, folder_id: str) -> Path:
        """Map a kind and an identifier to a folder, refusing anything that is not one of ours."""
        if kind not in KINDS:
            raise CollectionError(f"{kind!r} is not a kind of folder in this archive ({', '.join(KINDS)})")
        if not is_valid_id(folder_id, kind):
            raise CollectionError(f"{folder_id!r} is not an identifier of this archive")
        return self.root / kind / folder_id

    def exists(self, kind: str, folder_id: str) -> bool:
        """Tell whether a folder exists and is complete."""
        return is_valid_id(folder_id, kind) and (self.folder(kind, folder_id) / MANIFEST).is_file()

    def ids(self, kind: str) -> list[str]:
        """List the identifiers of a kind's complete folders, in sorted order."""
        kind_dir = self.root / kind
        if not kind_dir.is_dir():
            return []
        return sorted(p.name for p in kind_dir.iterdir() if is_valid_id(p.name, kind) and (p / MANIFEST).is_file())

    # --- reading ------------------------------------------------------------------------------------------------

    def read(self, kind: str, folder_id: str, name: str) -> Stored:
        """Read one file whole; its version is the SHA-256 of exactly these bytes."""
        path = self.folder(kind, folder_id) / check_name(name)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise CollectionError(f"{kind}/{folder_id}/{name} does not exist") from None
        return Stored(data, hashlib.sha256(data).hexdigest())

    def path(self, kind: str, folder_id: str, name: str) -> Path:
        """Give the path of a file for streaming it out (audio, images); never for writing."""
        path = self.folder(kind, folder_id) / check_name(name)
        if not path.is_file():
            raise CollectionError(f"{kind}/{folder_id}/{name} does not exist")
        return path

    def history(self, kind: str, folder_id: str, name: str) -> list[HistoryEntry]:
        """List the kept earlier versions of a file, oldest first."""
        rel = check_name(name)
        folder = self.folder(kind, folder_id)
        parent, stem, suffix = _split_name(rel)
        hist_dir = folder / HISTORY / parent
        entries = []
        if hist_dir.is_dir():
            for p in hist_dir.iterdir():
                if not (p.is_file() and p.name.startswith(stem + ".") and p.name.endswith(suffix)):
                    continue
                middle = p.name[len(stem) + 1 : len(p.name) - len(suffix)]
                stamp, _, author = middle.rpartition(".")
                if _HISTORY_TIME_RE.fullmatch(stamp) and author:
                    iso = stamp[:10] + stamp[10:19].replace("-", ":") + stamp[19:]
                    entries.append(HistoryEntry(iso, author, p.relative_to(folder).as_posix()))
        return sorted(entries, key=lambda e: e.path)

    def last_change(self, kind: str, folder_id: str, name: str) -> dict | None:
        """Say who wrote a file's current content and when, as recorded at the write."""
        folder = self.folder(kind, folder_id)
        return _read_versions(folder).get(check_name(name))

    # --- writing ------------------------------------------------------------------------------------------------

    def create(
        self, kind: str, files: Mapping[str, Content], author: str, name: str | None = None, action: str = "created"
    ) -> str:
        """Make a new folder holding `files` and return its new identifier (or `name`, for the fixed vocab/ and about/
        folders).

        The folder is built under a hidden staging name and renamed into place, so it appears whole or not at all.
        """
        if not files:
            raise CollectionError("a new folder needs at least one file")
        kind_dir = self.root / kind
        if kind not in KINDS:
            raise CollectionError(f"{kind!r} is not a kind of folder in this archive ({', '.join(KINDS)})")
        kind_dir.mkdir(parents=True, exist_ok=True)
        self._sweep_staging(kind_dir)
        if (kind in NAMED) != (name is not None) or (name is not None and not is_valid_id(name, kind)):
            raise CollectionError(
                f"{kind} folders are named {', '.join(NAMED[kind]) if kind in NAMED else 'by the archive'}"
            )
        while True:
            folder_id = name or "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
            if name and (kind_dir / name).exists():
                change = _read_versions(kind_dir / name).get(next(iter(files)), {})
                raise ConflictError(
                    f"{kind}/{name}",
                    change.get("author"),
                    _readable_time(change["time"]) if change.get("time") else None,
                )
            staging = kind_dir / f"{STAGING_PREFIX}{folder_id}"
            if (kind_dir / folder_id).exists():
                continue
            try:
                staging.mkdir()
            except OSError as error:
                if is_disk_full(error):
                    raise DiskFullError(f"{kind}/") from error
                if not isinstance(error, FileExistsError):
                    raise
                if name:
                    raise CollectionError(f"{kind}/{name} is being created by someone else; try again") from None
                continue
            break
        try:
            with self._lock(staging, f"{kind}/{folder_id}"):
                self._commit(staging, dict(files), author, current={}, record=f"{kind}/{folder_id}", action=action)
                if (kind_dir / folder_id).exists():  # a 1 in 10**12 collision, or a named folder made meanwhile
                    raise CollectionError(f"{kind}/{folder_id} was created meanwhile; try again")
                os.rename(staging, kind_dir / folder_id)
                _fsync_dir(kind_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return folder_id

    def write(
        self,
        kind: str,
        folder_id: str,
        changes: Mapping[str, Content | None],
        author: str,
        expected: Mapping[str, str | None],
        action: str = "",
    ) -> dict[str, str]:
        """Change files of one folder together, or none of them.

        `changes` maps a file name to its new content (bytes, or a Path to copy from) or to None to remove it.
        `expected` maps each of those names to the version the caller read, or None for a file it expects not to
        exist. If any differs from what is on disk, nothing is written and ConflictError names who changed it.
        Returns the new version of every file written. `action` is what the audit log calls the change.
        """
        folder = self.folder(kind, folder_id)
        names = {check_name(n): n for n in changes}
        unnamed = [n for n in changes if n not in expected]
        if unnamed:
            raise CollectionError(f"a write must say which version of {', '.join(unnamed)} it replaces")
        if not (folder / MANIFEST).is_file():
            raise CollectionError(f"{kind}/{folder_id} does not exist")
        with self._lock(folder, f"{kind}/{folder_id}"):
            self._recover(folder)
            current = {}
            for rel, name in names.items():
                target = folder / rel
                current[rel] = sha256_file(target) if target.is_file() else None
                if current[rel] != expected[name]:
                    change = _read_versions(folder).get(rel)
                    recorded = change is not None and change.get("sha256") == current[rel] and current[rel] is not None
                    raise ConflictError(
                        f"{kind}/{folder_id}/{rel}",
                        change["author"] if recorded else None,
                        _readable_time(change["time"]) if recorded else None,
                    )
            return self._commit(
                folder,
                {rel: changes[name] for rel, name in names.items()},
                author,
                current,
                f"{kind}/{folder_id}",
                action,
            )

    def update(
        self,
        kind: str,
        folder_id: str,
        names: Sequence[str],
        change: Callable[[dict[str, bytes | None]], Mapping[str, Content | None]],
        author: str,
        action: str = "",
    ) -> dict[str, str]:
        """Change files from what they hold at this moment, under the folder's lock: `change` gets the current bytes
        of each named file (None if absent) and returns the new contents of those it changes.

        For changes that merge (adding an annotation) rather than replace: two writers at once both keep their work,
        where `write` would refuse the second. `change` runs while others wait, so it must be quick; an exception it
        raises writes nothing.
        """
        folder = self.folder(kind, folder_id)
        rels = [check_name(n) for n in names]
        if not (folder / MANIFEST).is_file():
            raise CollectionError(f"{kind}/{folder_id} does not exist")
        with self._lock(folder, f"{kind}/{folder_id}"):
            self._recover(folder)
            current = {rel: (folder / rel).read_bytes() if (folder / rel).is_file() else None for rel in rels}
            changes = dict(change(dict(current)))
            stray = [n for n in changes if n not in current]
            if stray:
                raise CollectionError(f"an update may only change the files it read, not {', '.join(stray)}")
            if not changes:
                return {}
            digests = {
                rel: hashlib.sha256(data).hexdigest() if data is not None else None for rel, data in current.items()
            }
            return self._commit(folder, changes, author, digests, f"{kind}/{folder_id}", action)

    def purge(self, kind: str, folder_id: str, keep: Mapping[str, bytes], author: str) -> None:
        """Empty a folder but for `keep` (a legal takedown: the tombstone of a deleted record), under its lock: every
        other file, its `history/` and `derived/` go, `versions.json` and the manifest are made anew for `keep` alone,
        and the audit log forgets the record's details (`audit.purge`). Other folders are never touched.

        The removals are a journal's steps like any write, so a writer killed half-way leaves either the folder as it
        was or a journal the next writer finishes; the folder itself stays, so its identifier stays taken."""
        folder = self.folder(kind, folder_id)
        if not keep:
            raise CollectionError("a purge keeps at least the record's tombstone")
        kept = {check_name(name): data for name, data in keep.items()}
        if any("/" in rel for rel in kept):
            raise CollectionError("a purge keeps files of the folder's top level only")
        if not (folder / MANIFEST).is_file():
            raise CollectionError(f"{kind}/{folder_id} does not exist")
        with self._lock(folder, f"{kind}/{folder_id}"):
            self._recover(folder)
            stamp, said_author = now(), str(author)
            temps, renames, manifest, versions = [], [], {}, {}
            try:
                for rel, data in kept.items():
                    tmp, digest = _write_temp(folder, data)
                    temps.append(tmp)
                    renames.append((tmp.name, rel))
                    manifest[rel] = digest
                    versions[rel] = {"author": author_slug(author), "time": stamp, "sha256": digest}
                tmp, manifest[VERSIONS] = _write_temp(folder, _dump_json(versions))
                temps.append(tmp)
                renames.append((tmp.name, VERSIONS))
                tmp, _ = _write_temp(folder, _dump_manifest(manifest))
                temps.append(tmp)
                renames.append((tmp.name, MANIFEST))
                own = {LOCK, JOURNAL, *(t.name for t in temps)}
                removes = sorted(
                    rel
                    for rel in (p.relative_to(folder).as_posix() for p in _files(folder))
                    if rel not in own and rel not in kept and rel not in (VERSIONS, MANIFEST)
                )
                _write_atomic(folder / JOURNAL, _dump_json({"links": [], "removes": removes, "renames": renames}))
            except BaseException:
                for tmp in temps:
                    tmp.unlink(missing_ok=True)
                raise
            _roll_forward(folder, json.loads((folder / JOURNAL).read_bytes()))
            for child in folder.iterdir():  # the folders emptied (original/, history/, derived/, ...)
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
            (folder / JOURNAL).unlink()
            _fsync_dir(folder)
        audit.purge(self.root, f"{kind}/{folder_id}", stamp, said_author)

    @contextmanager
    def locked(self, kind: str, folder_id: str) -> Iterator[Path]:
        """Hold a folder's lock (the one every write takes) for a moment that must see it whole, such as a backup's
        copy: an unfinished write is finished or swept first, and no write starts until the block ends. Yields the
        folder."""
        folder = self.folder(kind, folder_id)
        if not (folder / MANIFEST).is_file():
            raise CollectionError(f"{kind}/{folder_id} does not exist")
        with self._lock(folder, f"{kind}/{folder_id}"):
            self._recover(folder)
            yield folder

    # --- checking -----------------------------------------------------------------------------------------------

    def entries(self) -> list[Path]:
        """Everything under the collection's kinds of folder that verify looks at (folders and strays alike)."""
        found = []
        for kind in KINDS:
            kind_dir = self.root / kind
            if kind_dir.is_dir():
                found.extend(sorted(kind_dir.iterdir()))
        return found

    def verify(self, progress: Callable[[int], object] | None = None) -> Iterator[Problem]:
        """Recompute every digest of every folder and yield each file that is changed, missing or unlisted;
        `progress(1)` is called as each entry of `entries()` is done."""
        for entry in self.entries():
            kind = entry.parent.name
            rel = f"{kind}/{entry.name}"
            if entry.name.startswith(STAGING_PREFIX):
                yield Problem("unfinished write", rel)
            elif entry.name.startswith("."):
                pass
            elif not entry.is_dir() or not is_valid_id(entry.name, kind):
                yield Problem("unlisted", rel)
            else:
                yield from self.verify_folder(kind, entry.name)
            if progress:
                progress(1)

    def verify_folder(self, kind: str, folder_id: str) -> Iterator[Problem]:
        """Check one folder against its manifest, reading every byte of every file."""
        folder = self.folder(kind, folder_id)
        prefix = f"{kind}/{folder_id}/"
        try:
            listed = _parse_manifest((folder / MANIFEST).read_text("utf-8"))
        except FileNotFoundError:
            yield Problem("no manifest", prefix + MANIFEST)
            listed = {}
        except (UnicodeDecodeError, ValueError):
            yield Problem("unreadable manifest", prefix + MANIFEST)
            listed = {}
        pending = _pending_paths(folder)
        for path in sorted(_files(folder)):
            rel = path.relative_to(folder).as_posix()
            if rel in (MANIFEST, LOCK) or rel.split("/")[0] == DERIVED or rel.startswith(f".{DERIVED}-"):
                continue
            if path.name == JOURNAL or path.name.startswith(TEMP_PREFIX):
                yield Problem("unfinished write", prefix + rel)
            elif rel in pending:
                continue  # its write was cut off after its commit point; the journal's problem stands for it
            elif rel not in listed:
                yield Problem("unlisted", prefix + rel)
            elif sha256_file(path) != listed[rel]:
                yield Problem("changed", prefix + rel)
        for rel in sorted(listed):
            if not (folder / rel).is_file() and rel not in pending:
                yield Problem("missing", prefix + rel)

    # --- internals ----------------------------------------------------------------------------------------------

    @contextmanager
    def _lock(self, folder: Path, label: str):
        lock = FileLock(str(folder / LOCK), timeout=self.lock_timeout)
        try:
            lock.acquire(poll_interval=0.005)
        except Timeout:
            raise CollectionError(
                f"{label} is busy: another write has held it for over {self.lock_timeout:g} s; try again"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _commit(
        self,
        folder: Path,
        changes: Mapping[str, Content | None],
        author: str,
        current: dict,
        record: str,
        action: str = "",
    ) -> dict:
        stamp = now()
        said_author, author = str(author), author_slug(author)
        manifest = _read_manifest(folder)
        versions = _read_versions(folder)
        links, removes, renames, temps, written = [], [], [], [], {}
        current_names = {rel for rel in changes if (folder / rel).is_file()}
        try:
            for rel, content in changes.items():
                target = folder / rel
                if target.is_dir():
                    raise CollectionError(f"{rel} is a folder, not a file")
                if target.is_file():
                    old = versions.get(rel) or {"author": "unknown", "time": _mtime(target)}
                    kept = _history_path(folder, rel, old["time"], old["author"], taken={h for _, h in links})
                    links.append((rel, kept))
                    manifest[kept] = current.get(rel) or sha256_file(target)
                elif content is None:
                    raise CollectionError(f"{rel} cannot be removed: it does not exist")
                if content is None:
                    removes.append(rel)
                    manifest.pop(rel, None)
                    versions.pop(rel, None)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp, digest = _write_temp(target.parent, content)
                temps.append(tmp)
                renames.append((tmp.relative_to(folder).as_posix(), rel))
                manifest[rel] = written[rel] = digest
                versions[rel] = {"author": author, "time": stamp, "sha256": digest}
            tmp, manifest[VERSIONS] = _write_temp(folder, _dump_json(versions))
            temps.append(tmp)
            renames.append((tmp.name, VERSIONS))
            tmp, _ = _write_temp(folder, _dump_manifest(manifest))
            temps.append(tmp)
            renames.append((tmp.name, MANIFEST))  # last: the manifest is current once every file is in place
            journal = {"links": links, "removes": removes, "renames": renames}
            _write_atomic(folder / JOURNAL, _dump_json(journal))  # the commit point
        except BaseException as error:
            for tmp in temps:
                tmp.unlink(missing_ok=True)
            if is_disk_full(error) and not isinstance(error, DiskFullError):
                raise DiskFullError(folder.relative_to(self.root).as_posix()) from error
            raise
        _roll_forward(folder, journal)
        (folder / JOURNAL).unlink()
        _fsync_dir(folder)
        files = {
            rel: "removed" if rel in removes else "changed" if rel in current_names else "added" for rel in changes
        }
        audit.append(self.root, audit.Entry(stamp, said_author, record, files, action))
        return written

    def _recover(self, folder: Path) -> None:
        """Finish a write that reached its commit point, and sweep what an unfinished one left."""
        journal = folder / JOURNAL
        if journal.exists():
            _roll_forward(folder, json.loads(journal.read_bytes()))
            journal.unlink()
            _fsync_dir(folder)
        for path in _files(folder, include_history=False):
            if path.name.startswith(TEMP_PREFIX):
                path.unlink()

    def _sweep_staging(self, kind_dir: Path) -> None:
        """Remove staging folders whose creator died; a live creator holds its lock and is left alone."""
        for staging in kind_dir.glob(f"{STAGING_PREFIX}*"):
            try:
                if time.time() - staging.stat().st_mtime < STAGING_GRACE:
                    continue
                with FileLock(str(staging / LOCK), timeout=0):
                    shutil.rmtree(staging)
            except (Timeout, FileNotFoundError):
                continue


def check_name(name: str) -> str:
    """Refuse a file name that could leave its folder, hide itself, or overwrite the archive's own files."""
    parts = name.split("/") if isinstance(name, str) else []
    if not parts or len(parts) > 4 or not all(_NAME_PART_RE.fullmatch(p) for p in parts):
        raise CollectionError(f"{name!r} is not a file name the archive accepts (letters, digits, '.', '_', '-')")
    if parts[0] in (MANIFEST, VERSIONS, HISTORY, DERIVED):
        raise CollectionError(f"{name!r} is kept by the archive itself and cannot be written directly")
    return "/".join(parts)


def author_slug(author: str) -> str:
    """Reduce an author's name to what may appear in a history file name."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", str(author).lower()).strip("-")[:40]
    return slug or "unknown"


def _split_name(rel: str) -> tuple[str, str, str]:
    parent, _, base = rel.rpartition("/")
    dot = base.find(".", 1)
    return parent, (base[:dot] if dot > 0 else base), (base[dot:] if dot > 0 else "")


def _history_path(folder: Path, rel: str, when: str, author: str, taken: set) -> str:
    parent, stem, suffix = _split_name(rel)
    stamp = when.replace(":", "-")
    base = f"{HISTORY}/{parent}/" if parent else f"{HISTORY}/"
    candidate, n = f"{base}{stem}.{stamp}.{author}{suffix}", 1
    while (folder / candidate).exists() or candidate in taken:
        n += 1
        candidate = f"{base}{stem}.{stamp}.{author}-{n}{suffix}"
    return candidate


def _roll_forward(folder: Path, journal: dict) -> None:
    """Run a committed write's steps; each is skipped if already done, so running twice is harmless."""
    touched = set()
    for rel, kept in journal["links"]:
        dst = folder / kept
        if not dst.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(folder / rel, dst)
            touched.add(dst.parent)
    for directory in touched:
        _fsync_dir(directory)
    for rel in journal["removes"]:
        (folder / rel).unlink(missing_ok=True)
        touched.add((folder / rel).parent)
    for tmp, rel in journal["renames"]:
        src = folder / tmp
        if src.exists():
            os.replace(src, folder / rel)
            touched.add((folder / rel).parent)
    for directory in touched:
        _fsync_dir(directory)


def _pending_paths(folder: Path) -> set[str]:
    """The files a committed but unfinished write will still link, remove or replace: until the next write to the
    folder finishes it, they differ from the manifest by design, not by damage."""
    try:
        journal = json.loads((folder / JOURNAL).read_bytes())
    except (FileNotFoundError, ValueError):  # no write under way, or a journal no step was taken from
        return set()
    return {kept for _, kept in journal["links"]} | set(journal["removes"]) | {rel for _, rel in journal["renames"]}


def _link_or_copy(src: Path, dst: Path) -> None:
    """Keep the old version under its history name: a hard link costs nothing; a copy serves file systems without."""
    try:
        os.link(src, dst)
    except OSError:
        tmp, _ = _write_temp(dst.parent, src)
        os.replace(tmp, dst)


def _write_temp(directory: Path, content: Content) -> tuple[Path, str]:
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(content, bytes):
                out.write(content)
                digest.update(content)
            else:
                with open(content, "rb") as src:
                    for chunk in iter(lambda: src.read(_CHUNK), b""):
                        out.write(chunk)
                        digest.update(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(name, 0o644)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp, _ = _write_temp(path.parent, data)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":  # Windows cannot open a folder to fsync it; its renames are durable on their own
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _files(folder: Path, include_history: bool = True) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        if not include_history and Path(dirpath) == folder and HISTORY in dirnames:
            dirnames.remove(HISTORY)
        for filename in filenames:
            yield Path(dirpath) / filename


def _read_manifest(folder: Path) -> dict[str, str]:
    try:
        return _parse_manifest((folder / MANIFEST).read_text("utf-8"))
    except FileNotFoundError:
        return {}


def _parse_manifest(text: str) -> dict[str, str]:
    listed = {}
    for line in text.splitlines():
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ValueError(f"bad manifest line {line!r}")
        listed[rel] = digest
    return listed


def _dump_manifest(manifest: Mapping[str, str]) -> bytes:
    return "".join(f"{digest}  {rel}\n" for rel, digest in sorted(manifest.items())).encode("utf-8")


def _read_versions(folder: Path) -> dict:
    try:
        return json.loads((folder / VERSIONS).read_bytes())
    except FileNotFoundError:
        return {}


def _dump_json(value: object) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _mtime(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _readable_time(stamp: str) -> str:
    return f"{stamp[:10]} {stamp[11:16]} UTC"
