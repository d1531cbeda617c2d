"""Old records brought up to the schema the code writes, one step at a time.

Each description file says which layout it follows (`"schema": N`; a file without it is schema 1). `STEPS` holds,
per kind, the function that turns schema N into N + 1; `migrate` applies the missing steps to every record and
writes each upgraded record as a new version with the action "migrated", so its history keeps the old one.

A record whose schema is newer than the code's was written by a later version of the archive: it is never
rewritten here (the old code cannot know what its fields mean) and `migrate` reports it as refused. The pages
still read it as they read any record, through the fields they know (recordings.parts reads both layouts).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from . import media, metadata, recordings
from .collection import Collection
from .errors import ArchiveError
from .i18n import N_

FILES = {"interviews": "interview.json", "media": "item.json"}
CURRENT = {"interviews": metadata.SCHEMA, "media": media.SCHEMA}


class SchemaError(ArchiveError):
    """A record's schema cannot be brought to the code's: newer than the code, or not a schema number at all."""

    def __init__(self, message: str, code: str, **params: object):
        super().__init__(message, "schema", code, **params)


def _recordings_list(record: dict) -> dict:
    """Schema 1 to 2: the single `audio` of the first records becomes the first part of a `recordings` list, read
    exactly as recordings.parts read it (its length unknown until a part is added after it and it is probed)."""
    record = dict(record)
    if record.get("audio") and not record.get("recordings"):
        record["recordings"] = recordings.parts(record)
    record.pop("audio", None)
    return record


# kind -> {schema N: the function making schema N + 1 of a record of schema N}
STEPS: dict[str, dict[int, Callable[[dict], dict]]] = {
    "interviews": {1: _recordings_list},
    "media": {},
}


def schema_of(kind: str, record: dict) -> int:
    """The schema a record says it follows (1 when it does not say)."""
    value = record.get("schema", 1)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SchemaError(N_("its schema {value} is not a schema number"), "bad_schema", value=value)
    return value


def upgrade(kind: str, record: dict) -> dict:
    """The record brought to the code's schema, step by step; SchemaError for a newer (or unreadable) schema."""
    schema, current = schema_of(kind, record), CURRENT[kind]
    if schema > current:
        raise SchemaError(
            N_("it follows schema {schema}, newer than this archive's {current}: upgrade the archive to read it"),
            "newer_schema",
            schema=schema,
            current=current,
        )
    while schema < current:
        record = STEPS[kind][schema](record)
        schema += 1
        record["schema"] = schema
    return record


@dataclass(frozen=True)
class Outcome:
    """What migration did (or, in a dry run, would do) to one record: `state` is "migrated" (or "would migrate"),
    "refused" (with `reason`); records already current are not reported."""

    kind: str
    id: str
    before: int | None
    after: int | None
    state: str
    reason: str = ""

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.id}"


def migrate(collection: Collection, author: str, dry_run: bool = False) -> Iterator[Outcome]:
    """Upgrade every interview and media item older than the code's schema, each as a new version (action
    "migrated"); yield an Outcome for each record not already current. A dry run reads and writes nothing."""
    for kind, name in FILES.items():
        for record_id in collection.ids(kind):
            stored = collection.read(kind, record_id, name)
            try:
                record = json.loads(stored.data)
                if not isinstance(record, dict):
                    raise ValueError
            except ValueError:
                yield Outcome(kind, record_id, None, None, "refused", f"{name} is not a JSON object")
                continue
            if record.get("purged"):  # a tombstone keeps only what decides 410 or 404: nothing to upgrade
                continue
            try:
                before = schema_of(kind, record)
                upgraded = upgrade(kind, record)
            except SchemaError as error:
                yield Outcome(kind, record_id, record.get("schema"), None, "refused", str(error))
                continue
            if before == upgraded["schema"]:
                continue
            if not dry_run:
                data = (json.dumps(upgraded, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
                collection.write(kind, record_id, {name: data}, author, {name: stored.version}, action="migrated")
            yield Outcome(kind, record_id, before, upgraded["schema"], "would migrate" if dry_run else "migrated")
