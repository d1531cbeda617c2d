"""Interviews and media items as lists of records by their last change, for outputs that walk the archive (OAI-PMH,
the feed, the home page's latest additions): each with when it last changed, filtered by access.py for the reader.

The lists come from the search index (`SearchIndex.changes`: the access filter every search uses, and each document's
`changed` field), so an answer reads only the records it shows, each asked of access.py again before it is shown
(the index may lag a write by a moment). While the index is missing or being rebuilt they come from a scan of every
record (`scanned`), which gives the same lists. Deleted and withdrawn records (`removed`) have no index document: they
are found by a scan that parses only the records whose bytes name a deletion or a withdrawal.

The OAI-PMH sets a record belongs to (`set_specs`) are told here, below the index, so that each document carries them
and a harvest of one set is an index filter too; exports/oai_sets.py names and lists them.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import access, audit, names
from .collection import Collection
from .errors import CollectionError
from .search import IndexUnavailable, SearchIndex

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


@dataclass(frozen=True)
class Page:
    """A stretch of a list of records, oldest change first, and where it stands in the whole list."""

    records: list[Record]
    total: int  # how many records the whole list holds
    rest: int  # how many come after the cursor the stretch was asked from (its own included)


def utc_stamp(iso: str) -> str:
    """A recorded time as the UTC stamp feeds and OAI-PMH write (seconds, "Z")."""
    return (iso or "1970-01-01T00:00:00")[:19] + "Z"


# --- OAI-PMH sets ---------------------------------------------------------------------------------------------------

_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")  # the protocol's setSpec grammar
PLACE_FIELDS = ("villages", "deported_to", "later_homes", "places", "place", "birthplace")
MEDIA_KINDS = ("photograph", "document", "letter", "object", "other")


def is_spec(text: str) -> bool:
    """Tell whether a text is a well-formed setSpec."""
    return bool(_SPEC.fullmatch(text))


def slug(name: str) -> str:
    """A collection's name as setSpec characters: lowercase Latin letters, digits and hyphens (a short hash of the
    name where nothing Latin is left of it)."""
    text = " ".join(name.split())
    if not text.isascii():
        text = " ".join(min(names.transliterations(word), default=word) for word in text.split())
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    made = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:60].strip("-")
    return made or hashlib.sha256(name.encode()).hexdigest()[:10]


def place_ids(record: dict) -> list[str]:
    """The gazetteer ids a description names, in the order it names them."""
    found: list[str] = []
    for name in PLACE_FIELDS:
        value = record.get(name)
        for place in value if isinstance(value, list) else [value]:
            if isinstance(place, dict) and isinstance(place.get("place"), str) and is_spec(place["place"]):
                found.append(place["place"])
    return list(dict.fromkeys(found))


def set_specs(kind: str, record: dict, removed: bool = False) -> list[str]:
    """The setSpecs a record's header names (its most precise sets; their parents follow from the hierarchy): a
    removed record keeps its kind's alone."""
    if kind == "media" and not removed:
        kinds = [f"kind:media:{record.get('kind')}" if record.get("kind") in MEDIA_KINDS else "kind:media"]
    else:
        kinds = [f"kind:{kind}"]
    if removed:
        return kinds
    found = [*kinds, *(f"place:{p}" for p in place_ids(record))]
    if isinstance(record.get("collection"), str) and record["collection"].strip():
        found.append(f"collection:{slug(record['collection'])}")
    return found


def in_set(rec: Record, spec: str) -> bool:
    """Tell whether a record belongs to a set or to one of its subsets."""
    return any(s == spec or s.startswith(spec + ":") for s in set_specs(rec.kind, rec.record, rec.removed))


# --- the lists ------------------------------------------------------------------------------------------------------


def _stored(collection: Collection) -> Iterator[tuple[str, str, dict]]:
    """Every interview's and item's description as stored (kind, id, record); one that cannot be read is passed by."""
    for kind, name in FILES.items():
        for folder_id in collection.ids(kind):
            try:
                yield kind, folder_id, json.loads(collection.read(kind, folder_id, name).data)
            except (CollectionError, ValueError):
                continue


def _read(collection: Collection, ref: str) -> tuple[str, str, dict] | None:
    """One record's description by its ref (kind, id, record), or None when there is no such record to read."""
    kind, _, record_id = ref.partition("/")
    if kind not in FILES or not collection.exists(kind, record_id):
        return None
    try:
        return kind, record_id, json.loads(collection.read(kind, record_id, FILES[kind]).data)
    except (CollectionError, ValueError):
        return None


def _changed(collection: Collection, kind: str, record_id: str) -> str:
    """When a record's description last changed, as the collection recorded the write ("" if it did not)."""
    return (collection.last_change(kind, record_id, FILES[kind]) or {}).get("time", "")


def scanned(collection: Collection, reader) -> list[Record]:
    """Every record this reader may see, most recently changed first (ties by ref), read one by one: what the index
    gives while it is being rebuilt."""
    found = []
    for kind, folder_id, record in _stored(collection):
        if access.can_read(reader, record, f"{kind}/{folder_id}"):
            found.append(Record(kind, folder_id, record, _changed(collection, kind, folder_id)))
    return _newest_first(found)


def _shown(collection: Collection, reader, entries: list[tuple[str, str]], kept: dict) -> list[Record]:
    """The records of these index entries (time, ref) this reader may still read, read once each (`kept`)."""
    shown = []
    for changed, ref in entries:
        if ref not in kept:
            found = _read(collection, ref)
            readable = found is not None and access.can_read(reader, found[2], ref)
            kept[ref] = Record(found[0], found[1], found[2], changed) if readable else None
        if kept[ref] is not None:
            shown.append(kept[ref])
    return shown


def _from_index(search: SearchIndex, collection: Collection, reader, limit: int, **asked) -> Page:
    """The first `limit` records the index lists for this reader (see SearchIndex.changes for `asked`), each read
    and asked of access.py again: one the index still lists but the reader may no longer read (a write a moment
    ago) is left out, and the stretch is made up from the records after it."""
    kept: dict[str, Record | None] = {}
    wanted = limit
    while True:
        changes = search.changes(reader, wanted, **asked)
        shown = _shown(collection, reader, changes.entries, kept)
        if len(shown) >= limit or len(changes.entries) < wanted:
            return Page(shown[:limit], changes.total, changes.rest)
        wanted += limit - len(shown)


def readable(collection: Collection, search: SearchIndex, reader, limit: int) -> list[Record]:
    """The `limit` records this reader may see that changed last, most recent first (ties by ref)."""
    try:
        return _from_index(search, collection, reader, limit, newest_first=True).records
    except IndexUnavailable:
        return scanned(collection, reader)[:limit]


def _bounded(rec: Record, since: str, until: str, within: str) -> bool:
    return (
        (not since or utc_stamp(rec.changed) >= since)
        and (not until or utc_stamp(rec.changed) <= until)
        and (not within or in_set(rec, within))
    )


def listed(
    collection: Collection,
    search: SearchIndex,
    reader,
    limit: int,
    after: tuple[str, str] | None = None,
    since: str = "",
    until: str = "",
    within: str = "",
    tombstones: bool = False,
) -> Page:
    """The records this reader may see, oldest change first (ties by ref), from after the record `after` (its time
    and ref), at most `limit`: those changed between `since` and `until` (UTC stamps, both included) and in the set
    `within` (or one of its subsets), with the tombstones of `removed` among them if asked for."""
    removed_ones = [r for r in removed(collection) if _bounded(r, since, until, within)] if tombstones else []
    later = [r for r in removed_ones if after is None or (r.changed, r.ref) > after]
    try:
        page = _from_index(search, collection, reader, limit, after=after, since=since, until=until, within=within)
    except IndexUnavailable:
        everything = [r for r in scanned(collection, reader) if _bounded(r, since, until, within)]
        rest = [r for r in everything if after is None or (r.changed, r.ref) > after]
        rest.sort(key=lambda r: (r.changed, r.ref))
        page = Page(rest[:limit], len(everything), len(rest))
    merged = sorted(page.records + later, key=lambda r: (r.changed, r.ref))[:limit]
    return Page(merged, page.total + len(removed_ones), page.rest + len(later))


def sets_made(collection: Collection, search: SearchIndex, reader) -> dict[str, str]:
    """Every setSpec the records this reader may see make, each with, for a collection's set, the collection's name
    as the most recently changed of its records writes it (the name of every other set is not a record's to say)."""
    try:
        made = {}
        for spec in search.sets(reader):
            if not spec.startswith("collection:"):
                made[spec] = ""
                continue
            newest = _from_index(search, collection, reader, 1, newest_first=True, within=spec).records
            name = newest[0].record.get("collection") if newest else None
            # none when its records were hidden or moved a moment ago, and the index has yet to hear of it
            if isinstance(name, str) and f"collection:{slug(name)}" == spec:
                made[spec] = " ".join(name.split())
        return made
    except IndexUnavailable:
        made = {}
        for rec in scanned(collection, reader):
            for spec in set_specs(rec.kind, rec.record):
                made.setdefault(
                    spec, " ".join(rec.record["collection"].split()) if spec.startswith("collection:") else ""
                )
        return made


def one(collection: Collection, reader, ref: str, tombstones: bool = False) -> Record | None:
    """The record of this ref ("interviews/<id>", "media/<id>") if this reader may see it, else its tombstone if
    asked for and `removed` lists it, else None."""
    found = _read(collection, ref)
    if found is None:
        return None
    kind, record_id, record = found
    if access.can_read(reader, record, ref):
        return Record(kind, record_id, record, _changed(collection, kind, record_id))
    return _tombstone(kind, record_id, record) if tombstones else None


def _tombstone(kind: str, record_id: str, record: dict) -> Record | None:
    """A deleted or withdrawn record anyone could read before, stamped with its deletion (or withdrawal); else None."""
    if not access.was_public(record):
        return None
    withdrawn = record.get("withdrawn")
    when = (record.get("deleted") or {}).get("time") or (withdrawn if isinstance(withdrawn, str) else "")
    if len(when) == 10:  # a withdrawal keeps its day
        when += "T00:00:00"
    return Record(kind, record_id, record, when, removed=True)


@dataclass(frozen=True)
class _Tombstones:
    """The tombstones of one data root as `removed` last worked them out, and what they depend on."""

    log: tuple[int, int, int] | None  # audit.mark then
    offset: int  # the log's lines up to here are taken into account
    folders: tuple  # the kinds' folders' times (a folder added or taken away)
    day: str  # an embargo that ends makes a deleted record one that was public
    found: dict[str, Record]  # ref -> its tombstone


_REMOVED: dict[str, _Tombstones] = {}  # data root -> its tombstones
_REMOVED_LOCK = threading.Lock()
_REMOVED_ROOTS = 16  # data roots remembered at once (a server has one; a test run makes many)


def _tombstone_of(collection: Collection, kind: str, folder_id: str) -> Record | None:
    """A record's tombstone (see `removed`), or None; only a record whose bytes name a deletion or a withdrawal is
    parsed."""
    try:
        data = collection.read(kind, folder_id, FILES[kind]).data
        if b'"deleted"' not in data and b'"withdrawn"' not in data:
            return None
        return _tombstone(kind, folder_id, json.loads(data))
    except (CollectionError, ValueError):
        return None


def _folder_times(collection: Collection) -> tuple:
    def changed(path) -> int | None:
        try:
            return os.stat(path).st_mtime_ns
        except OSError:
            return None

    return tuple(changed(collection.root / kind) for kind in FILES)


def removed(collection: Collection) -> list[Record]:
    """The deleted or withdrawn records that anyone could read before (`access.was_public`), as tombstones for
    harvesters and feeds: each stamped with the time of its deletion (or the day of its withdrawal), most recent
    first (ties by ref). Only their address and the stamp may be said of them: their description serves access
    questions alone.

    Worked out once by a scan that parses only the records whose bytes name a deletion or a withdrawal, then kept:
    each call reads the audit log's lines written since (every write to a record adds one) and looks again at the
    records they name alone. A folder added or taken away, a purge (which rewrites the log) or a new day means a new
    scan."""
    key, log, folders, day = str(collection.root), audit.mark(collection.root), _folder_times(collection), _today()
    kept = _REMOVED.get(key)
    if kept is not None and (kept.folders, kept.day) == (folders, day):
        if kept.log == log:
            return _newest_first(kept.found.values())
        grown = kept.log is not None and log is not None and kept.log[0] == log[0] and log[1] >= kept.offset
        if grown:  # the same log, longer: look again at the records its new lines name
            entries, offset = audit.since(collection.root, kept.offset)
            found = dict(kept.found)
            for ref in {entry.record for entry in entries}:
                kind, _, folder_id = ref.partition("/")
                if kind in FILES:
                    found.pop(ref, None)
                    tombstone = (
                        _tombstone_of(collection, kind, folder_id) if collection.exists(kind, folder_id) else None
                    )
                    if tombstone is not None:
                        found[ref] = tombstone
            _keep(key, _Tombstones(log, offset, folders, day, found))
            return _newest_first(found.values())
    found = {}
    for kind in FILES:
        for folder_id in collection.ids(kind):
            tombstone = _tombstone_of(collection, kind, folder_id)
            if tombstone is not None:
                found[tombstone.ref] = tombstone
    # the lines written from here on are looked at next time (a write during the scan is looked at twice: harmless)
    _keep(key, _Tombstones(log, log[1] if log is not None else 0, folders, day, found))
    return _newest_first(found.values())


def _today() -> str:
    return datetime.date.today().isoformat()


def _keep(key: str, tombstones: _Tombstones) -> None:
    with _REMOVED_LOCK:
        if len(_REMOVED) >= _REMOVED_ROOTS and key not in _REMOVED:
            _REMOVED.clear()
        _REMOVED[key] = tombstones


def _newest_first(found: Iterable[Record]) -> list[Record]:
    """Most recently changed first, ties by ref (as the index lists them)."""
    return sorted(sorted(found, key=lambda r: r.ref), key=lambda r: r.changed, reverse=True)
