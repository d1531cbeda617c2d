"""Backups as BagIt bags (RFC 8493), made while the archive runs, and their restore into an empty data root.

What a bag holds, under its `data/`: every folder of every kind (interviews, media, vocab, about, contributions) with
its history, versions and own manifest, each copied while holding that folder's lock (so no write is half in it);
the audit log, copied under its lock; and the accounts database, copied by SQLite's online backup API (a consistent
copy of a live database). It leaves out what is derived and rebuilt: `index/` (rebuilt at restore), every
`derived/` folder (streaming and public copies, display copies: `archive derive`), and the rest of `instance/` (the
job queue, locks, and the secret key: a restored archive makes a new one, so everyone signs in again).

The bag's own manifests (SHA-256 and SHA-512) are made by bagit-python, and the bag is validated before it is given
its final name; a bag being made is a hidden `.partial-...` folder that is removed if the backup fails or is
cancelled, or swept by the next backup if its process died.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import bagit
from filelock import FileLock

from . import audit
from .collection import DERIVED, JOURNAL, KINDS, LOCK, MANIFEST, TEMP_PREFIX, Collection, is_valid_id
from .errors import ArchiveError, CollectionError
from .i18n import N_

ACCOUNTS = Path("instance") / "accounts.sqlite3"  # where the accounts database sits under a data root
AUDIT_LOG = Path(audit.FOLDER) / audit.LOG
PARTIAL = ".partial-"
IMPORTED = "imported-bag"  # the audit log's action for a record taken in from a bag of records
PREFIX = "archive-"  # every finished bag's name: archive-<UTC time>
CHECKSUMS = ["sha256", "sha512"]
RECORD_KINDS = ("interviews", "media")  # the kinds a bag of records holds
SCOPE = "Archive-Scope"  # bag-info: what the bag holds, WHOLE (a backup) or RECORDS (one record or a set)
WHOLE, RECORDS = "collection", "records"
LISTED = "Archive-Records"  # bag-info of a bag of records: its records, "kind/id" separated by spaces


class BackupError(ArchiveError):
    """A bag could not be made, or is refused for a restore; `code` says why and the message names the file."""

    def __init__(self, message: str, code: str, **params: object):
        super().__init__(message, None, code, **params)


class Cancelled(Exception):
    """The backup was asked to stop; its unfinished bag is removed."""


@dataclass(frozen=True)
class Bag:
    """A finished bag in a backup folder, as the jobs page lists it."""

    name: str
    path: Path
    made: str  # Bagging-Date
    size: int  # payload bytes (Payload-Oxum)
    files: int


def backup(
    collection: Collection,
    dest: Path,
    accounts: Path | None = None,
    organization: str = "",
    progress: Callable[[int, int], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Make a bag of the whole collection in the folder `dest` (named archive-<UTC time>) and return its path (see
    `make_bag`)."""
    dest = Path(dest).absolute()
    _outside(collection, dest)
    dest.mkdir(parents=True, exist_ok=True)
    _sweep(dest)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return make_bag(collection, dest / f"{PREFIX}{stamp}", None, accounts, organization, progress, cancelled)


def selected(collection: Collection, ids: list[str] | None = None, where: dict[str, str] | None = None) -> list[str]:
    """The records ("interviews/<id>", "media/<id>") a bag of a set holds: those named (a bare id, or kind/id), and
    those whose description has each field of `where` equal to its value (or holding it, for a list); deleted ones
    only when named. BackupError names an id there is no record of."""
    chosen = []
    for given in ids or []:
        kind, _, folder_id = given.rpartition("/")
        kinds = [kind] if kind else [k for k in RECORD_KINDS if collection.exists(k, folder_id)]
        if not kinds or kinds[0] not in RECORD_KINDS or not collection.exists(kinds[0], folder_id):
            raise BackupError(N_("there is no interview or item {id}"), "no_record", id=given)
        chosen.append(f"{kinds[0]}/{folder_id}")
    for kind in RECORD_KINDS if where else ():
        for folder_id in collection.ids(kind):
            record = _record(collection.folder(kind, folder_id), kind)
            if record.get("deleted"):
                continue
            if all(_matches(record.get(field), value) for field, value in where.items()):
                chosen.append(f"{kind}/{folder_id}")
    return list(dict.fromkeys(chosen))


def make_bag(
    collection: Collection,
    target: Path,
    records: list[str] | None = None,
    accounts: Path | None = None,
    organization: str = "",
    progress: Callable[[int, int], object] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Path:
    """Make the bag `target` (a folder that must not exist) and return its path: of the whole collection when
    `records` is None (every folder of every kind, the audit log, the accounts), else of those records alone
    ("interviews/<id>", "media/<id>": one, or a set) with the audit log's lines about them and no account.

    The bag holds the folders there were when it began, each as it was at the moment it was copied under its lock
    (a folder made meanwhile waits for the next backup; one purged meanwhile is left out of a whole bag, and fails a
    bag of named records), then the audit log as it is at the end. `progress(done, total)` is called as each folder
    is copied; `cancelled()` is asked between folders (Cancelled is raised, nothing is left)."""
    target = Path(target).absolute()
    _outside(collection, target.parent)
    if target.exists():
        raise BackupError(N_("{path} already exists: name a new folder for the bag"), "exists", path=target)
    target.parent.mkdir(parents=True, exist_ok=True)
    whole = records is None
    if whole:
        folders = [(kind, folder_id) for kind in KINDS for folder_id in collection.ids(kind)]
    else:
        folders = [tuple(ref.split("/", 1)) for ref in records]
        if not folders:
            raise BackupError(N_("there is nothing to put in the bag: no record was chosen"), "empty")
    partial = target.parent / f"{PARTIAL}{target.name}.{os.getpid()}"
    total, done = len(folders) + 3, 0  # the folders, the audit log, the accounts, the bag's manifests

    def step() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)
        if cancelled and cancelled():
            raise Cancelled

    if progress:
        progress(0, total)
    try:
        partial.mkdir()
        for kind, folder_id in folders:
            try:
                with collection.locked(kind, folder_id) as folder:
                    _copy_folder(folder, partial / kind / folder_id)
            except CollectionError:
                if not whole or collection.exists(kind, folder_id):
                    raise  # busy for too long, unreadable, or a named record gone: the bag fails rather than lack it
                shutil.rmtree(partial / kind / folder_id, ignore_errors=True)  # removed meanwhile (a purge)
            step()
        log = collection.root / AUDIT_LOG
        with FileLock(str(log.parent / audit.LOCK)) if log.parent.is_dir() else _nothing():
            if log.is_file():
                (partial / AUDIT_LOG).parent.mkdir(parents=True)
                if whole:
                    shutil.copyfile(log, partial / AUDIT_LOG)
                else:
                    _copy_lines(log, partial / AUDIT_LOG, {f"{kind}/{folder_id}" for kind, folder_id in folders})
        step()
        if whole and accounts is not None and Path(accounts).is_file():
            (partial / ACCOUNTS).parent.mkdir(parents=True)
            _copy_database(Path(accounts), partial / ACCOUNTS)
        step()
        counts = {kind: sum(1 for k, _ in folders if k == kind) for kind in KINDS}
        info = {
            "Source-Organization": organization or "Oral history archive",
            "External-Description": ("An oral-history archive: " if whole else "Records of an oral-history archive: ")
            + ", ".join(f"{count} {kind}" for kind, count in counts.items() if whole or count)
            + (", the audit log" if (partial / AUDIT_LOG).is_file() else "")
            + (", the accounts (with password hashes)" if (partial / ACCOUNTS).is_file() else ""),
            "Bag-Group-Identifier": target.name,
            SCOPE: WHOLE if whole else RECORDS,
            **{f"Archive-{kind.capitalize()}": str(count) for kind, count in counts.items()},
        }
        if not whole:
            info[LISTED] = " ".join(f"{kind}/{folder_id}" for kind, folder_id in folders)
        if not any(path.is_file() for path in partial.rglob("*")):
            raise BackupError(N_("there is nothing to back up: the collection is empty"), "empty")
        made = bagit.make_bag(str(partial), info, checksums=CHECKSUMS)
        made.validate()  # every file read back against both manifests before the bag gets its name
        os.rename(partial, target)
        step()
        return target
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def bags(dest: Path) -> list[Bag]:
    """The finished bags in a backup folder, the newest first (read from their bag-info, not validated)."""
    found = []
    dest = Path(dest)
    if not dest.is_dir():
        return []
    for path in dest.iterdir():
        if not (path.name.startswith(PREFIX) and (path / "bagit.txt").is_file()):
            continue
        info = _bag_info(path)
        octets, _, streams = info.get("Payload-Oxum", "0.0").partition(".")
        found.append(Bag(path.name, path, info.get("Bagging-Date", ""), _int(octets), _int(streams)))
    return sorted(found, key=lambda b: b.name, reverse=True)


def check(bag_path: Path) -> None:
    """Validate a bag fully: bagit's own checks (every file against every manifest, nothing missing, nothing extra),
    then the layout, then every record folder against its own manifest-sha256.txt. BackupError names the first
    file at fault."""
    bag_path = Path(bag_path)
    try:
        bag = bagit.Bag(str(bag_path))
        _complete(bag_path, bag)  # first, so a missing or extra file is named (bagit's quick count names none)
        bag.validate()
    except bagit.BagValidationError as error:
        details = getattr(error, "details", None) or []
        named = next((getattr(d, "path", None) for d in details if getattr(d, "path", None)), None)
        if named:
            raise BackupError(
                N_("the bag fails its check at {path}: {problem}"), "bad_bag", path=named, problem=details[0]
            ) from None
        raise BackupError(
            N_("the bag fails its check: {problem}"), "bad_bag", problem=" ".join(str(error).split())
        ) from None
    except bagit.BagError as error:
        raise BackupError(
            N_("{path} is not a readable bag: {problem}"), "not_a_bag", path=bag_path, problem=error
        ) from None
    payload = bag_path / "data"
    allowed = {*KINDS, audit.FOLDER, ACCOUNTS.parts[0]}
    for entry in payload.iterdir():
        if entry.name not in allowed:
            raise BackupError(
                N_("the bag holds data/{name}, which is no part of an archive"), "bad_bag", name=entry.name
            )
    for path in (payload / "instance").glob("*") if (payload / "instance").is_dir() else []:
        if path.relative_to(payload) != ACCOUNTS:
            raise BackupError(N_("the bag holds data/{name}, which is no part of an archive"), "bad_bag", name=path)
    problems = list(Collection(payload).verify())
    if problems:
        raise BackupError(
            N_("the bag's folder does not match its own manifest at {path} ({kind})"),
            "bad_folder",
            path=problems[0].path,
            kind=problems[0].kind,
        )


def _complete(bag_path: Path, bag: bagit.Bag) -> None:
    """Every payload file the manifests list is there, and nothing else is."""
    listed = {path.replace("\\", "/") for path in bag.payload_entries()}
    for path in sorted(listed):
        if not (bag_path / path).is_file():
            raise BackupError(N_("the bag fails its check at {path}: the file is missing"), "bad_bag", path=path)
    for path in sorted((bag_path / "data").rglob("*")):
        rel = path.relative_to(bag_path).as_posix()
        if path.is_file() and rel not in listed:
            raise BackupError(N_("the bag fails its check at {path}: no manifest lists it"), "bad_bag", path=rel)


def is_empty(root: Path) -> bool:
    """Tell whether a data root holds no collection: no folder of any kind, no audit log, no account."""
    root = Path(root)
    for kind in KINDS:
        kind_dir = root / kind
        if kind_dir.is_dir() and any(not p.name.startswith(".") for p in kind_dir.iterdir()):
            return False
    if (root / AUDIT_LOG).is_file() and (root / AUDIT_LOG).stat().st_size:
        return False
    if (root / ACCOUNTS).is_file():
        conn = sqlite3.connect(root / ACCOUNTS)
        try:
            return not conn.execute("SELECT count(*) FROM users").fetchone()[0]
        except sqlite3.OperationalError:  # no table yet: a database made by opening the app, never used
            return True
        finally:
            conn.close()
    return True


def restore(bag_path: Path, root: Path, checked: bool = False) -> dict[str, int]:
    """Check a bag fully, then copy it into the empty data root `root` (refused if not empty: a restore never mixes
    two collections nor replaces one). Nothing is written unless every check passes (`checked`: the caller has just
    run `check`). Returns the folders restored by kind. The search index is not in a bag: the caller rebuilds it."""
    bag_path, root = Path(bag_path).absolute(), Path(root).absolute()
    if not checked:
        check(bag_path)
    if _bag_info(bag_path).get(SCOPE) == RECORDS:
        raise BackupError(
            N_("{path} is a bag of records, not a backup: take it in with archive import-bag"),
            "not_whole",
            path=bag_path,
        )
    if not is_empty(root):
        raise BackupError(
            N_("{root} already holds a collection; restore into an empty folder (archive restore BAG --into FOLDER)"),
            "not_empty",
            root=root,
        )
    payload = bag_path / "data"
    root.mkdir(parents=True, exist_ok=True)
    counts = {}
    for kind in KINDS:
        source = payload / kind
        if not source.is_dir():
            continue
        staging = root / f"{PARTIAL}{kind}"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(source, staging)
        counts[kind] = sum(1 for p in staging.iterdir() if p.is_dir())
        if (root / kind).is_dir():  # only hidden leftovers (locks, a sweep's staging) by is_empty
            shutil.rmtree(root / kind)
        os.rename(staging, root / kind)
    if (payload / AUDIT_LOG).is_file():
        (root / AUDIT_LOG).parent.mkdir(exist_ok=True)
        shutil.copyfile(payload / AUDIT_LOG, root / AUDIT_LOG)
    if (payload / ACCOUNTS).is_file():
        (root / ACCOUNTS).parent.mkdir(mode=0o700, exist_ok=True)
        _copy_database(payload / ACCOUNTS, root / ACCOUNTS)
    return counts


def records_in(bag_path: Path) -> list[str]:
    """Check a bag of records fully before anything is taken from it and return its records ("kind/id"): every
    check of `check` (each file against both manifests, nothing missing or extra, each folder against its own
    manifest), then our bag-info fields (a bag of records, listing exactly the folders it holds), and no account."""
    bag_path = Path(bag_path).absolute()
    check(bag_path)
    info = _bag_info(bag_path)
    if info.get(SCOPE) != RECORDS:
        raise BackupError(
            N_("{path} is a backup of a whole collection, not a bag of records: restore it with archive restore"),
            "not_records",
            path=bag_path,
        )
    payload = bag_path / "data"
    held = sorted(f"{kind}/{p.name}" for kind in KINDS if (payload / kind).is_dir() for p in (payload / kind).iterdir())
    listed = sorted(info.get(LISTED, "").split())
    if held != listed or not held:
        raise BackupError(
            N_("the bag's {label} names {listed}, but it holds {held}"),
            "bad_bag",
            label=LISTED,
            listed=", ".join(listed) or "nothing",
            held=", ".join(held) or "nothing",
        )
    for ref in held:
        kind, folder_id = ref.split("/", 1)
        if kind not in RECORD_KINDS or not is_valid_id(folder_id, kind):
            raise BackupError(N_("the bag holds data/{name}, which is no part of an archive"), "bad_bag", name=ref)
    if (payload / ACCOUNTS.parts[0]).exists():
        raise BackupError(
            N_("a bag of records holds no accounts, and this one has data/{name}"), "bad_bag", name="instance"
        )
    return held


def take_in(collection: Collection, bag_path: Path, author: str) -> list[str]:
    """Take the records of a bag (checked fully by `records_in`) into the collection, each folder byte for byte with
    its history, versions and manifest; the audit log's lines about them appended, then one line `imported-bag` for
    each. A record whose id the collection already has (deleted or purged included: ids are never reused) refuses
    the whole bag, naming it; nothing is written unless every record can be placed, and a failure part way takes
    back what was placed. Returns the records taken in. The caller updates the index."""
    bag_path = Path(bag_path).absolute()
    held = records_in(bag_path)
    payload = bag_path / "data"
    taken = [ref for ref in held if (collection.root / ref).exists()]
    if taken:
        raise BackupError(
            N_("the archive already has {records}: nothing was imported (ids are never reused)"),
            "exists",
            records=", ".join(taken),
        )
    staged: list[tuple[Path, Path]] = []
    placed: list[Path] = []
    try:
        for ref in held:
            kind, folder_id = ref.split("/", 1)
            (collection.root / kind).mkdir(parents=True, exist_ok=True)
            staging = collection.root / kind / f"{PARTIAL}{folder_id}.{os.getpid()}"
            shutil.rmtree(staging, ignore_errors=True)
            shutil.copytree(payload / ref, staging)
            staged.append((staging, collection.root / ref))
        for staging, final in staged:
            if final.exists():  # made meanwhile by another process
                raise BackupError(
                    N_("the archive already has {records}: nothing was imported (ids are never reused)"),
                    "exists",
                    records=final.relative_to(collection.root).as_posix(),
                )
            os.rename(staging, final)
            placed.append(final)
    except BaseException:
        for final in placed:
            shutil.rmtree(final, ignore_errors=True)
        for staging, _final in staged:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    lines = list(audit.entries(payload)) if (payload / AUDIT_LOG).is_file() else []
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for entry in [e for e in lines if e.record in held]:
        audit.append(collection.root, entry)
    for ref in held:
        audit.append(collection.root, audit.Entry(now, author, ref, action=IMPORTED, note=bag_path.name))
    return held


# --- internals ------------------------------------------------------------------------------------------------------


def _outside(collection: Collection, dest: Path) -> None:
    """Refuse to make a bag inside the collection's own folders."""
    inside = [collection.root / name for name in (*KINDS, audit.FOLDER, "index", "instance")]
    if any(Path(dest).resolve().is_relative_to(folder.resolve()) for folder in inside):
        raise BackupError(N_("{dest} is inside the collection: choose a folder outside it"), "inside", dest=dest)


def _record(folder: Path, kind: str) -> dict:
    """A record's description as stored (interview.json or item.json), {} when unreadable."""
    try:
        found = json.loads((folder / ("interview.json" if kind == "interviews" else "item.json")).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _matches(value: object, wanted: str) -> bool:
    """Tell whether a field of a description is `wanted` (a plain value), or holds it (a list, or a place)."""
    if isinstance(value, list):
        return any(_matches(v, wanted) for v in value)
    if isinstance(value, dict):
        return wanted in (str(value.get("name", "")), str(value.get("place", "")))
    return value is not None and str(value) == wanted


def _copy_lines(log: Path, target: Path, records: set[str]) -> None:
    """Copy the audit log's lines about some records (called under the log's lock)."""
    with open(log, encoding="utf-8") as source, open(target, "w", encoding="utf-8") as out:
        for line in source:
            try:
                if json.loads(line).get("record") in records:
                    out.write(line if line.endswith("\n") else line + "\n")
            except (ValueError, AttributeError):
                continue


def _copy_folder(folder: Path, target: Path) -> None:
    """Copy one record folder (called under its lock): everything its manifest covers, with history/, versions.json
    and the manifest itself; not the lock, nor derived/ and its unfinished copies."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        rel_dir = here.relative_to(folder)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d != DERIVED and not d.startswith(f".{DERIVED}-")]
        (target / rel_dir).mkdir(parents=True, exist_ok=True)
        for filename in filenames:
            if (rel_dir == Path(".") and filename == LOCK) or filename == JOURNAL or filename.startswith(TEMP_PREFIX):
                continue
            shutil.copyfile(here / filename, target / rel_dir / filename)
    if not (target / MANIFEST).is_file():
        raise BackupError(N_("{path} has no manifest"), "no_manifest", path=folder)


def _copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database that may be in use, page by page, as one consistent moment (its online backup)."""
    src = sqlite3.connect(f"{Path(source).absolute().as_uri()}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _sweep(dest: Path) -> None:
    """Remove unfinished bags whose process is no longer running (a backup killed part way)."""
    for path in dest.glob(f"{PARTIAL}*"):
        pid = path.name.rpartition(".")[2]
        if pid.isdigit() and _alive(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _bag_info(path: Path) -> dict[str, str]:
    info = {}
    try:
        text = (path / "bag-info.txt").read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return info
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if sep and not line[:1].isspace():
            info[label.strip()] = value.strip()
    return info


def _int(text: str) -> int:
    return int(text) if text.isdigit() else 0


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
