"""Deleting interviews and media items as tombstones, bringing them back, and purging them.

A deleted record keeps every field and file; its description gains `"deleted": {"time", "author", "reason"}`,
written as a new version (so history keeps the one before), and `access.py` then lets nobody read it. Only one who
could have read it is told it is gone (410); for everyone else it is simply not there. A purge (a legal takedown)
goes further: of a deleted record it keeps only the tombstone (the fields access needs to decide 410 or 404,
`deleted` and `"purged": true`), and removes every other file, its history, its derived copies and its details in the
audit log. The folder stays, so its identifier is never given to another record.

Nothing else writes `deleted` or `purged`; every other part asks `access.deleted(record)`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from . import access, audit, interviews, media
from .collection import MANIFEST, VERSIONS, Collection, now
from .errors import N_, ArchiveError, CollectionError

FILES = {"interviews": "interview.json", "media": "item.json"}
KINDS = tuple(FILES)
# what a purged record keeps: what access.gone needs to tell 410 from 404, and the tombstone itself
TOMBSTONE_FIELDS = ("access", "embargo_until", "contribution", "withdrawn", "deleted", "purged")
REASON_LIMIT = 1000  # characters of a reason for deleting


class TombstoneError(ArchiveError):
    """A deletion, undeletion or purge that cannot be done as asked (`code` says why)."""

    code = "tombstone"
    status = 409


@dataclass(frozen=True)
class Record:
    """A record's description as stored, whichever kind, with the version a later write must name."""

    kind: str
    id: str
    record: dict
    version: str

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.id}"

    @property
    def index_ref(self) -> str:
        """Its id in the search index: the interview id, or "media/<id>"."""
        return self.id if self.kind == "interviews" else self.ref

    @property
    def purged(self) -> bool:
        return bool(self.record.get("purged"))


def _check_kind(kind: str) -> str:
    if kind not in FILES:
        raise TombstoneError(N_("Only interviews and media items can be deleted."), "kind", "bad-kind")
    return kind


def load(collection: Collection, kind: str, record_id: str) -> Record:
    """Read an interview's or an item's description; CollectionError if there is none by that identifier."""
    loaded = (
        interviews.load(collection, record_id)
        if _check_kind(kind) == "interviews"
        else media.load(collection, record_id)
    )
    return Record(kind, record_id, loaded.record, loaded.version)


def find(collection: Collection, record_id: str) -> Record:
    """The interview or item of this identifier (identifiers are unique across kinds); CollectionError if none."""
    for kind in KINDS:
        if collection.exists(kind, record_id):
            return load(collection, kind, record_id)
    raise CollectionError(f"there is no interview or media item {record_id!r}")


def tombstone(record: Mapping) -> dict:
    """What a purged record keeps of its description."""
    kept = {k: record[k] for k in TOMBSTONE_FIELDS if k in record}
    kept["purged"] = True
    return kept


def _json(value: Mapping) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def delete(
    collection: Collection, kind: str, record_id: str, reason: str, author: str, version: str | None = None
) -> Record:
    """Mark a record deleted (who, when, why) as a new version of its description; `version` is the description the
    deleter saw (ConflictError, naming who changed it, if it has moved on; None: whatever is there now)."""
    current = load(collection, kind, record_id)
    if access.deleted(current.record):
        raise TombstoneError(N_("This record is already deleted."), None, "already-deleted")
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_LIMIT:
        raise TombstoneError(
            N_("Keep the reason under {limit} characters."), "reason", "reason-too-long", limit=REASON_LIMIT
        )
    record = {**current.record, "deleted": {"time": now(), "author": str(author), "reason": reason}}
    name = FILES[kind]
    collection.write(
        kind, record_id, {name: _json(record)}, author, {name: version or current.version}, action="deleted"
    )
    return load(collection, kind, record_id)


def undelete(collection: Collection, kind: str, record_id: str, author: str, version: str | None = None) -> Record:
    """Bring a deleted record back as it was (a new version without `deleted`); a purged one cannot come back."""
    current = load(collection, kind, record_id)
    if not access.deleted(current.record):
        raise TombstoneError(N_("This record is not deleted."), None, "not-deleted")
    if current.purged:
        raise TombstoneError(N_("This record was purged: there is nothing left to bring back."), None, "purged")
    record = {k: v for k, v in current.record.items() if k != "deleted"}
    name = FILES[kind]
    collection.write(
        kind, record_id, {name: _json(record)}, author, {name: version or current.version}, action="undeleted"
    )
    return load(collection, kind, record_id)


def purge(collection: Collection, kind: str, record_id: str, author: str) -> Record:
    """Remove all of a deleted record but its tombstone (see the module's description); a record must be deleted
    first, and a purged one stays as it is."""
    current = load(collection, kind, record_id)
    if not access.deleted(current.record):
        raise TombstoneError(N_("Only a deleted record can be purged: delete it first."), None, "not-deleted")
    if current.purged and not unfinished(collection, kind, record_id):
        raise TombstoneError(N_("This record is already purged."), None, "already-purged")
    collection.purge(kind, record_id, {FILES[kind]: _json(tombstone(current.record))}, author)
    return load(collection, kind, record_id)


def unfinished(collection: Collection, kind: str, record_id: str) -> bool:
    """Tell whether a purge was cut short (the process killed after its files went, before the audit log forgot the
    record's details, or with folders left): purging again finishes it."""
    if what_goes(collection, kind, record_id) or any(p.is_dir() for p in collection.folder(kind, record_id).iterdir()):
        return True
    ref = f"{kind}/{record_id}"
    return any(e.files or e.action not in ("", "purged") for e in audit.entries(collection.root) if e.record == ref)


def what_goes(collection: Collection, kind: str, record_id: str) -> list[str]:
    """The files a purge of this record would remove (relative to its folder), for a warning before it is done."""
    folder = collection.folder(_check_kind(kind), record_id)
    made_anew = {FILES[kind], ".lock", MANIFEST, VERSIONS}  # the tombstone, and the folder's own files
    return sorted(
        rel
        for rel in (p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        if rel not in made_anew
    )
