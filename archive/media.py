"""Media items: photographs, documents, letters and museum objects, one folder each under media/.

An item folder holds `item.json` (the description, validated here alone), `original/image.<ext>` exactly as received,
and `derived/` with the display copies and thumbnails made by images.py. `derived/` is outside the manifest: it is
rebuilt by `archive derive` whenever it is missing or made with other settings, and it is written only after the
folder exists, so a refused file leaves nothing behind and an interrupted derive leaves the truth untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import access, images, metadata, vocab
from .collection import DERIVED, Collection, now
from .errors import CollectionError, Message
from .i18n import N_
from .ingest import NOT_YET_SEARCHABLE, Outcome
from .metadata import MetadataError
from .names import fold

if TYPE_CHECKING:  # the services give an indexer; only its type is needed here
    from .search import Updates

SCHEMA = 1
ITEM_KINDS = ("photograph", "document", "letter", "object", "other")
DEFAULT_KIND = "photograph"
TEXT_FIELDS = ("description", "caption", "creator", "institution", "accession", "rights")
# Manifest columns an image row may use, and the item field each fills (the rest is kept under "extra").
CSV_COLUMNS = {
    "village": "places",
    "villages": "places",
    "places": "places",
    "narrator": "people",
    "people": "people",
    "surnames": "surnames",
    "events": "events",
    "interviews": "interviews",
    "title": "title",
    "date": "date",
    "access": "access",
    "embargo_until": "embargo_until",
    **{f: f for f in (*TEXT_FIELDS, "kind")},
}


@dataclass(frozen=True)
class Item:
    """One item's description as stored, with the version an edit must name."""

    id: str
    record: dict
    version: str

    @property
    def title(self) -> str:
        return self.record.get("title", "")

    @property
    def pages(self) -> int:
        return len(self.record.get("pages", [])) or 1

    @property
    def ref(self) -> str:
        """The item's id in the search index and in links: "media/<id>"."""
        return f"media/{self.id}"


def load(collection: Collection, item_id: str) -> Item:
    """Read one item; CollectionError if there is none by that identifier."""
    stored = collection.read("media", item_id, "item.json")
    try:
        return Item(item_id, json.loads(stored.data), stored.version)
    except ValueError:
        raise CollectionError(f"media/{item_id}/item.json is not valid JSON") from None


def derived_name(page: int, size: str, fmt: str) -> str:
    """Where a derivative lives in the item's folder: derived/display-1.jpg, derived/thumb-1.jpg, ..."""
    return f"{DERIVED}/{size}-{int(page)}.{'webp' if fmt == 'WEBP' else 'jpg'}"


def derived_path(collection: Collection, item_id: str, page: int, size: str, fmt: str) -> Path:
    """The file of one derivative ("display" or "thumb"), which may not exist yet."""
    if size not in ("display", "thumb"):
        raise CollectionError(f"{size!r} is not a kind of derivative")
    return collection.folder("media", item_id) / derived_name(page, size, fmt)


# --- the description, checked in one place --------------------------------------------------------------------------


def validate(raw: Mapping, collection: Collection) -> dict:
    """Check and normalise an item's description; raise MetadataError naming every wrong field."""
    check = metadata.Checker(raw, SCHEMA)
    gazetteer = vocab.gazetteer(collection)

    check("title", metadata._title)
    check("kind", _kind)
    for name in TEXT_FIELDS:
        check(name, metadata._text)
    check("date", metadata.edtf_date)
    check("people", lambda v: _people(v, collection))
    check("surnames", metadata._list)
    check("places", lambda v: [metadata._place(p, gazetteer) for p in metadata._list_of(v)])
    check("events", lambda v: _entries(v, collection, "events"))
    check("interviews", lambda v: _interviews(v, collection))
    check("access", metadata._access)
    check("embargo_until", metadata._iso_date)
    check("contribution", metadata.contribution)
    check("withdrawn", metadata._iso_date)
    metadata.family_needs_contribution(check.clean, check.errors)
    check("extra", lambda v: dict(v or {}))
    check.clean.setdefault("kind", DEFAULT_KIND)
    check.clean.setdefault("access", access.DEFAULT_LEVEL.value)
    return check.done()


def _kind(value) -> str:
    kind = metadata._text(value).lower() or DEFAULT_KIND
    if kind not in ITEM_KINDS:
        raise ValueError(f'"{value}" is not a kind of item: choose {", ".join(ITEM_KINDS)}')
    return kind


def _people(value, collection: Collection) -> list[dict]:
    """People shown: free names (a grandmother is in no vocabulary), linked to the people vocabulary when one of its
    entries is named by id or by a name in any language."""
    known = vocab.lookup(collection, "people")
    by_name = _names(known)
    people = []
    for item in metadata._list_of(value):
        if isinstance(item, dict):
            name, person = " ".join(str(item.get("name", "")).split()), item.get("person")
        else:
            name, person = " ".join(str(item).split()), None
        person = person if person in known else known[name].id if name in known else by_name.get(fold(name))
        if not name and not person:
            continue
        people.append({"name": name or known[person].name(), **({"person": person} if person else {})})
    return people


def _entries(value, collection: Collection, kind: str) -> list[str]:
    known = vocab.lookup(collection, kind)
    by_name = _names(known)
    found = []
    for item in metadata._list(value):
        entry = item if item in known else by_name.get(fold(item))
        if entry is None:
            raise ValueError(f'"{item}" is not in the {kind} vocabulary (give its id, as on /{kind}/)')
        found.append(entry)
    return list(dict.fromkeys(found))


def _names(entries: Mapping) -> dict[str, str]:
    """Every name an entry is known by (its labels and other written forms), folded as names.py folds names, to its
    id: "Ushtobe station", "ushtöbe station" and "Ushtobe-station" name the same entry."""
    return {
        fold(n): e.id
        for e in entries.values()
        for n in [*(e.data.get("label") or {}).values(), *e.data.get("names", [])]
    }


def _interviews(value, collection: Collection) -> list[str]:
    found = []
    for item in metadata._list(value):
        interview_id = item.rstrip("/").rsplit("/", 1)[-1]  # an id, or a pasted link to the interview
        if not collection.exists("interviews", interview_id):
            raise ValueError(f'"{item}" is not an interview of this archive')
        found.append(interview_id)
    return list(dict.fromkeys(found))


def from_csv_row(row: Mapping[str, str]) -> dict:
    """Turn a manifest row about an image into raw item fields: place and person columns mapped, the rest kept."""
    raw: dict = {"extra": {}}
    for column, value in row.items():
        column, value = (column or "").strip(), (value or "").strip()
        if not column or column == "file" or not value:
            continue
        name = CSV_COLUMNS.get(column)
        if name in ("places", "people") and raw.get(name):
            raw[name] = f"{raw[name]}{metadata.LIST_SEPARATOR}{value}"
        elif name:
            raw[name] = value
        else:
            raw["extra"][column] = value
    return raw


def provisional(filename: str) -> dict:
    """The description of an image that came without one: its file name as title, seen by staff only."""
    return {**metadata.provisional(filename), "kind": DEFAULT_KIND}


# --- adding items -----------------------------------------------------------------------------------------------------


class MediaIngester:
    """Turns image files into items of one collection, remembering which files it already holds."""

    def __init__(self, collection: Collection, limits: images.Limits, author: str, indexer: Updates | None = None):
        self.collection = collection
        self.limits = limits
        self.author = author
        self.indexer = indexer
        self.known = {}
        for item_id in collection.ids("media"):
            try:
                digest = load(collection, item_id).record.get("source", {}).get("sha256")
            except CollectionError:
                continue
            if digest:
                self.known[digest] = item_id

    def ingest(self, source: bytes | Path, filename: str, raw: Mapping | None) -> Outcome:
        """Check one image completely, then store it with its derivatives; never raise for a bad file."""
        name = Path(filename).name
        digest = _sha256(source)
        if digest in self.known:
            return Outcome(
                name,
                "duplicate",
                self.known[digest],
                kind="media",
                reason=Message(
                    N_("already in the archive as {folder} (same content)"), folder=f"media/{self.known[digest]}"
                ),
            )
        try:
            processed = images.process(source, self.limits)
        except images.ImageError as e:
            return Outcome(name, "failed", reason=e.message, kind="media", file="image")
        try:
            record = validate(
                {**provisional(name), **{k: v for k, v in (raw or {}).items() if v not in (None, "", [], {})}},
                self.collection,
            )
        except MetadataError as e:
            return Outcome(
                name, "failed", reason=Message(N_("metadata: {error}"), error=e), errors=e.errors, kind="media"
            )
        if raw is None:
            record["access"] = access.DEFAULT_LEVEL.value
        original = f"original/image.{processed.extension}"
        size = source.stat().st_size if isinstance(source, Path) else len(source)
        record["source"] = {
            "file": name,
            "original": original,
            "sha256": digest,
            "bytes": size,
            "format": processed.format,
            "media_type": processed.media_type,
            "ingested": now(),
            "by": self.author,
            "notes": processed.notes,
        }
        record["technical"] = processed.technical
        record["pages"] = [{"width": p.width, "height": p.height} for p in processed.pages]
        record["derived"] = _settings(self.limits)
        try:
            item_id = self.collection.create("media", {original: source, "item.json": _json(record)}, self.author)
        except CollectionError as e:
            return Outcome(name, "failed", reason=Message(N_("could not be stored: {error}"), error=e), kind="media")
        self.known[digest] = item_id
        notes = []
        try:
            write_derivatives(self.collection, item_id, processed.pages, self.limits.derivative_format)
        except OSError as e:
            notes.append(
                Message(
                    N_("its display copies could not be written ({error}); `archive derive` makes them"),
                    error=e.strerror or str(e),
                )
            )
        if self.indexer is not None and not self.indexer.updated(f"media/{item_id}"):
            notes.append(NOT_YET_SEARCHABLE)
        if raw is None:
            notes.append(N_("no description given: the file name is its provisional title and only staff can see it"))
        suggestion = images.suggested_date(processed.technical)
        if suggestion and not record.get("date"):
            notes.append(
                Message(N_("the camera dates it {date}; add that as its date if it is right"), date=suggestion)
            )
        return Outcome(name, "ingested", item_id, notes=notes, kind="media")


def edit(collection: Collection, item_id: str, raw: Mapping, author: str, version: str, action: str = "edited") -> Item:
    """Change an item's description; the file, its technical metadata and derivatives stay as they are. `action`
    is what the audit log calls the change."""
    item = load(collection, item_id)
    # not the form's to change: the contribution, the withdrawal, the deletion (tombstones.py)
    kept = {k: item.record[k] for k in ("contribution", "withdrawn", "deleted") if k in item.record}
    record = validate({**raw, **kept}, collection)
    for name in ("source", "technical", "pages", "derived"):
        if name in item.record:
            record[name] = item.record[name]
    collection.write("media", item_id, {"item.json": _json(record)}, author, {"item.json": version}, action=action)
    return load(collection, item_id)


# --- derivatives --------------------------------------------------------------------------------------------------


def _settings(limits: images.Limits) -> dict:
    return {
        "format": limits.derivative_format,
        "display_edge": limits.display_edge,
        "thumbnail_edge": limits.thumbnail_edge,
    }


def derivatives_current(collection: Collection, item: Item, limits: images.Limits) -> bool:
    """Tell whether an item's derivatives exist and were made with the present settings."""
    if item.record.get("derived") != _settings(limits):
        return False
    return all(
        derived_path(collection, item.id, n, size, limits.derivative_format).is_file()
        for n in range(1, item.pages + 1)
        for size in ("display", "thumb")
    )


def write_derivatives(collection: Collection, item_id: str, pages: list[images.Page], fmt: str) -> None:
    """Put derivatives in place: built in a hidden folder, then swapped in whole, so readers never see half."""
    folder = collection.folder("media", item_id)
    for left in folder.glob(f".{DERIVED}-*"):  # what a derive killed midway left
        if time.time() - left.stat().st_mtime > 60:
            shutil.rmtree(left, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{DERIVED}-new-", dir=folder))
    try:
        for n, page in enumerate(pages, 1):
            for size, data in (("display", page.display), ("thumb", page.thumbnail)):
                path = staging / Path(derived_name(n, size, fmt)).name
                path.write_bytes(data)
                with path.open("rb") as f:
                    os.fsync(f.fileno())
        target = folder / DERIVED
        old = folder / f".{DERIVED}-old-{os.getpid()}-{time.monotonic_ns()}"
        if target.exists():
            os.rename(target, old)
        os.rename(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def derive(collection: Collection, item_id: str, limits: images.Limits, author: str, force: bool = False) -> bool:
    """Make an item's derivatives again from its original (when missing, made with other settings, or forced);
    return whether anything was made. A deleted item's copies are served to nobody: none are made."""
    item = load(collection, item_id)
    if access.deleted(item.record):
        return False
    if not force and derivatives_current(collection, item, limits):
        return False
    original = collection.path("media", item_id, item.record["source"]["original"])
    processed = images.process(original, limits)
    write_derivatives(collection, item_id, processed.pages, limits.derivative_format)
    pages = [{"width": p.width, "height": p.height} for p in processed.pages]
    if item.record.get("derived") != _settings(limits) or item.record.get("pages") != pages:
        record = {**item.record, "derived": _settings(limits), "pages": pages}
        collection.write(
            "media", item_id, {"item.json": _json(record)}, author, {"item.json": item.version}, action="derived"
        )
    return True


def _sha256(source: bytes | Path) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with source.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
