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
from .collection import DERIVED, JOURNAL, KINDS, LOCK, MANIFEST, TEMP_PREFIX, Collection
from .errors import ArchiveError, CollectionError
from .i18n import N_

ACCOUNTS = Path("instance") / "accounts.sqlite3"  # where the accounts database sits under a data root
AUDIT_LOG = Path(audit.FOLDER) / audit.LOG
PARTIAL = ".partial-"
PREFIX = "archive-"  # every finished bag's name: archive-<UTC time>
CHECKSUMS = ["sha256", "sha512"]


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
    """Make a bag of the collection in the folder `dest` and return its path. The bag holds the folders there were
    when it began, each as it was at the moment it was copied (a folder made meanwhile waits for the next backup; one
    purged meanwhile is left out), then the audit log as it is at the end. `progress(done, total)` is called as each
    folder is copied; `cancelled()` is asked between folders (Cancelled is raised, nothing is left)."""
    dest = Path(dest).absolute()
    inside = [collection.root / name for name in (*KINDS, audit.FOLDER, "index", "instance")]
    if any(dest.resolve().is_relative_to(folder.resolve()) for folder in inside):
        raise BackupError(N_("{dest} is inside the collection: choose a folder outside it"), "inside", dest=dest)
    dest.mkdir(parents=True, exist_ok=True)
    _sweep(dest)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    name = f"{PREFIX}{stamp}"
    partial = dest / f"{PARTIAL}{name}.{os.getpid()}"
    folders = [(kind, folder_id) for kind in KINDS for folder_id in collection.ids(kind)]
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
                if collection.exists(kind, folder_id):
                    raise  # busy for too long, or unreadable: the backup fails rather than leave it out
                shutil.rmtree(partial / kind / folder_id, ignore_errors=True)  # removed meanwhile (a purge)
            step()
        log = collection.root / AUDIT_LOG
        with FileLock(str(log.parent / audit.LOCK)) if log.parent.is_dir() else _nothing():
            if log.is_file():
                (partial / AUDIT_LOG).parent.mkdir(parents=True)
                shutil.copyfile(log, partial / AUDIT_LOG)
        step()
        if accounts is not None and Path(accounts).is_file():
            (partial / ACCOUNTS).parent.mkdir(parents=True)
            _copy_database(Path(accounts), partial / ACCOUNTS)
        step()
        counts = {kind: sum(1 for k, _ in folders if k == kind) for kind in KINDS}
        info = {
            "Source-Organization": organization or "Oral history archive",
            "External-Description": "An oral-history archive: "
            + ", ".join(f"{count} {kind}" for kind, count in counts.items())
            + (", the audit log" if (partial / AUDIT_LOG).is_file() else "")
            + (", the accounts (with password hashes)" if (partial / ACCOUNTS).is_file() else ""),
            "Bag-Group-Identifier": name,
            **{f"Archive-{kind.capitalize()}": str(count) for kind, count in counts.items()},
        }
        if not any(path.is_file() for path in partial.rglob("*")):
            raise BackupError(N_("there is nothing to back up: the collection is empty"), "empty")
        made = bagit.make_bag(str(partial), info, checksums=CHECKSUMS)
        made.validate()  # every file read back against both manifests before the bag gets its name
        final = dest / name
        os.rename(partial, final)
        step()
        return final
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


# --- internals ------------------------------------------------------------------------------------------------------


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
