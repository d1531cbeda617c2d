"""Every interview and media item as one list of records, for outputs that walk the whole archive (OAI-PMH, the
feed): each with when it last changed, and filtered by access.py for the reader asking."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from . import access
from .collection import Collection
from .errors import CollectionError

FILES = {"interviews": "interview.json", "media": "item.json"}


@dataclass(frozen=True)
class Record:
    kind: str  # "interviews" or "media"
    id: str
    record: dict
    changed: str  # ISO time of the last change of its description (of its deletion or withdrawal, if removed)
    removed: bool = False  # deleted or withdrawn: announced as deleted (see `removed`), its contents never shown

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.id}"


def utc_stamp(iso: str) -> str:
    """A recorded time as the UTC stamp feeds and OAI-PMH write (seconds, "Z")."""
    return (iso or "1970-01-01T00:00:00")[:19] + "Z"


def _stored(collection: Collection) -> Iterator[tuple[str, str, dict]]:
    """Every interview's and item's description as stored (kind, id, record); one that cannot be read is passed by."""
    for kind, name in FILES.items():
        for folder_id in collection.ids(kind):
            try:
                yield kind, folder_id, json.loads(collection.read(kind, folder_id, name).data)
            except (CollectionError, ValueError):
                continue


def readable(collection: Collection, reader) -> list[Record]:
    """The records this reader may see, most recently changed first."""
    found = []
    for kind, folder_id, record in _stored(collection):
        if access.can_read(reader, record, f"{kind}/{folder_id}"):
            change = collection.last_change(kind, folder_id, FILES[kind]) or {}
            found.append(Record(kind, folder_id, record, change.get("time", "")))
    found.sort(key=lambda r: r.changed, reverse=True)
    return found


def removed(collection: Collection) -> list[Record]:
    """The deleted or withdrawn records that anyone could read before (`access.was_public`), as tombstones for
    harvesters and feeds: each stamped with the time of its deletion (or the day of its withdrawal), most recent
    first. Only their address and the stamp may be said of them: their description serves access questions alone."""
    found = []
    for kind, folder_id, record in _stored(collection):
        if not access.was_public(record):
            continue
        withdrawn = record.get("withdrawn")
        when = (record.get("deleted") or {}).get("time") or (withdrawn if isinstance(withdrawn, str) else "")
        if len(when) == 10:  # a withdrawal keeps its day
            when += "T00:00:00"
        found.append(Record(kind, folder_id, record, when, removed=True))
    found.sort(key=lambda r: r.changed, reverse=True)
    return found
