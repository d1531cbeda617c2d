"""Index documents made from records: what an interview or a photo contributes to search.

This sits beside the services (ingest, media, annotations, transcripts, vocabularies, contributions), which call
the `Indexer` after every write; the search package only stores and searches what it is given here.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from . import access, annotations, interviews, media, records, redaction, segment_index, vocab
from .collection import Collection
from .errors import CollectionError
from .metadata import earliest_day
from .names import Gazetteer, Surnames, fold
from .search import SearchIndex
from .search.schema import ANNEX_FIELD, ANNEX_KIND, access_fields, changed_key, clean, entered_form

log = logging.getLogger(__name__)


NOTES = "notes/"  # an interview's annex: its remarks and annotation ids (search.schema.ANNEX_KIND), "notes/<id>"


def stamp_of(collection: Collection, interview_id: str, names: tuple[str, ...]) -> str:
    """Fingerprint the files a document is made from; a different stamp means the document is stale."""
    digest = hashlib.sha256()
    for name in names:
        try:
            digest.update(collection.read("interviews", interview_id, name).version.encode())
        except CollectionError:
            digest.update(b"-")
    return digest.hexdigest()


def interview_stamp(collection: Collection, interview_id: str) -> str:
    """What an interview's own document is made from: its files, and of its annotations only what it takes from
    them (their links; all of them when a redaction masks its transcript), so that a new remark leaves it current
    and only its annex is written."""
    files = stamp_of(collection, interview_id, ("interview.json", "segments.json", segment_index.FILE))
    try:
        items = annotations.items(collection, interview_id)
    except CollectionError:
        items = []
    if any(redaction.is_redaction(a) for a in items):
        return f"{files}:{stamp_of(collection, interview_id, ('annotations.json',))}"
    links = sorted(set().union(*(annotations.link_pairs(a) for a in items)))
    return f"{files}:{hashlib.sha256(json.dumps(links).encode()).hexdigest()}"


def point_text(points: list[dict]) -> tuple[str, list[int]]:
    """The segment index as one text for search (each point: its title, synopsis, partial transcript, keywords and
    subjects, points joined by a newline), and where each point starts in it: a word found there leads to its point."""
    starts, parts, offset = [], [], 0
    for point in points:
        words = " ".join(
            [
                point.get("title", ""),
                point.get("synopsis", ""),
                point.get("partial_transcript", ""),
                *point.get("keywords", []),
                *point.get("subjects", []),
            ]
        )
        words = " ".join(words.split())
        starts.append(offset)
        parts.append(words)
        offset += len(words) + 1
    return "\n".join(parts), starts


def _decade(date: str) -> str | None:
    day = earliest_day(date)
    return f"{day // 100000 * 10}s" if day >= 10000000 else None  # a decade from year 1000 on; "XXXX" has none


class Documents:
    """The search.Source of one collection: its documents, and the vocabularies they are made and read with."""

    def __init__(self, collection: Collection):
        self.collection = collection

    def gazetteer(self) -> Gazetteer:
        """The places in use: the archive's own copy once a historian has changed it (re-read in every worker when
        it changes), else the shipped one."""
        return vocab.gazetteer(self.collection)

    def surnames(self) -> Surnames:
        """The surname families in use, like the gazetteer."""
        return vocab.current(self.collection, "surnames")[0]

    def entry_label(self, kind: str, entry_id: str) -> str | None:
        entry = vocab.lookup(self.collection, kind).get(entry_id)
        return entry.name() if entry else None

    def segments(self, interview_id: str) -> tuple[list[dict], list[int]]:
        segments = redaction.for_reader(self.collection, interview_id, False)[0]  # as indexed: masked
        return segments, interviews.transcript_text(segments)[1]

    def points(self, interview_id: str) -> tuple[list[dict], str, list[int]]:
        """The interview's segment index, the text indexed from it (`contents`), and where each point starts in it."""
        try:
            points = segment_index.read(self.collection, interview_id).points
        except CollectionError:
            return [], "", []
        return (points, *point_text(points))

    def passages(self, interview_id: str, wanted: set[tuple[str, str]]) -> list[tuple[str, str]]:
        found = []
        for annotation in redaction.for_reader(self.collection, interview_id, False)[1]:
            if wanted & annotations.link_pairs(annotation) and not annotation.get("review"):
                quote = annotations.selector(annotation, "TextQuoteSelector").get("exact", "")
                found.append((annotations.short_id(annotation), quote))
        return found

    def stamp(self, doc_id: str) -> str:
        """The files a document is made from, and the vocabularies its facets were counted with."""
        versions = (vocab.current(self.collection, name)[1][:12] for name in ("surnames", "places"))
        if doc_id.startswith("media/"):
            try:
                made_from = self.collection.read("media", doc_id[6:], "item.json").version
            except CollectionError:
                made_from = "-"
        elif doc_id.startswith(NOTES):
            return stamp_of(
                self.collection, doc_id[len(NOTES) :], ("interview.json", "segments.json", "annotations.json")
            )
        else:
            made_from = interview_stamp(self.collection, doc_id)
        return f"{made_from}:{':'.join(versions)}"

    def annex(self, doc_id: str) -> str | None:
        return None if "/" in doc_id else NOTES + doc_id

    def present(self) -> list[str]:
        """The ids of every document the collection calls for: interview ids, each interview's annex "notes/<id>",
        and "media/<id>" for items; a deleted record calls for none (search, facets, lists and the map never show
        it)."""
        found = [i for i in self.collection.ids("interviews") if not self._deleted("interviews", i)]
        found += [NOTES + i for i in found]
        return found + [f"media/{i}" for i in self.collection.ids("media") if not self._deleted("media", i)]

    def _deleted(self, kind: str, record_id: str) -> bool:
        name = "interview.json" if kind == "interviews" else "item.json"
        try:
            data = self.collection.read(kind, record_id, name).data
        except CollectionError:
            return False
        if b'"deleted"' not in data:  # most records: no need to parse them
            return False
        try:
            return access.deleted(json.loads(data))
        except ValueError:
            return False

    def document(self, doc_id: str) -> dict | None:
        """Make the index document of an interview (or of "media/<id>"), or None if there is no such thing."""
        if doc_id.startswith("media/"):
            return self._item_document(doc_id[6:])
        if doc_id.startswith(NOTES):
            return self._notes_document(doc_id[len(NOTES) :])
        interview_id = doc_id
        try:
            interview = interviews.load(self.collection, interview_id)
        except CollectionError:
            return None
        record = interview.record
        if access.deleted(record):
            return None  # a tombstone has no document: nothing of it is found
        segments, notes = redaction.for_reader(self.collection, interview_id, False)  # one index for all: masked,
        places = [p for key in ("villages", "deported_to", "later_homes") for p in record.get(key, [])]
        places += [record[key] for key in ("birthplace",) if record.get(key)]
        village_ids = {p["place"] for p in places if p.get("place")}
        linked = set().union(*(annotations.link_pairs(a) for a in notes))
        village_ids |= {entry_id for kind, entry_id in linked if kind == "places"}
        regions = self._regions(village_ids | ({record["place"]["place"]} if record.get("place") else set()))
        narrators = [n["name"] for n in record.get("narrators", [])]
        narrator_forms = narrators + [f for n in record.get("narrators", []) for f in n.get("other_forms", [])]
        place_names = [p["name"] for p in places] + ([record["place"]["name"]] if record.get("place") else [])
        place_labels = [self.gazetteer().places[i].name() for i in village_ids if i in self.gazetteer().places]
        contents, _ = point_text(segment_index.read(self.collection, interview_id, record).points)
        text, _ = interviews.transcript_text(segments)
        decade = _decade(record["date"]) if record.get("date") else None
        return {
            "id": interview_id,
            "kind": "interview",
            "stamp": self.stamp(interview_id),
            "display": {
                "title": interview.title,
                "narrators": narrators,
                "date": record.get("date", ""),
                "place": record["place"]["name"] if record.get("place") else "",
                "villages": sorted({p["name"] for p in places}),
                "access": access.level_of(record),
                "languages": record.get("languages", []),
            },
            "title": interview.title,
            "meta": "\n".join(
                [
                    record.get("description", ""),
                    " ".join(record.get("keywords", [])),
                    " ".join(narrator_forms),
                    " ".join(record.get("interviewers", [])),
                    " ".join(place_names + place_labels),
                    " ".join(record.get("surnames", [])),
                ]
            ),
            "narrator_text": " ".join(narrator_forms),
            "interviewer_text": " ".join(record.get("interviewers", [])),
            "text": text,
            "contents": contents,
            "pairs": text,
            **access_fields(record),
            **self._changes("interviews", interview_id, record),
            "date_sort": earliest_day(record["date"]) if record.get("date") else 0,
            "title_sort": interview.title.casefold(),
            "f_village": ",".join(sorted(village_ids)),
            "f_place": record["place"]["place"] if record.get("place", {}).get("place") else "",
            "f_region": ",".join(sorted(regions)),
            **self._surnames(record.get("surnames", [])),
            "f_decade": decade or "",
            "f_language": ",".join(record.get("languages", [])),
            "f_kind": "interview",
            "f_narrator": ",".join(clean(n) for n in narrators),
            "f_interviewer": ",".join(clean(n) for n in record.get("interviewers", [])),
            "f_collection": clean(record.get("collection", "")),
            "f_event": ",".join(sorted(e for kind, e in linked if kind == "events")),
            "f_person": ",".join(sorted(e for kind, e in linked if kind == "people")),
            "linked": ",".join(sorted(f"{kind}/{e}" for kind, e in linked)),
        }

    def _notes_document(self, interview_id: str) -> dict | None:
        """An interview's annex: the words of its annotations' notes and tags, and their ids (for the API's lookup
        by id), behind the interview's own access fields."""
        try:
            record = interviews.load(self.collection, interview_id).record
        except CollectionError:
            return None
        if access.deleted(record):
            return None
        segments, notes = redaction.for_reader(self.collection, interview_id, False)  # masked: no redaction's words
        every = annotations.items(self.collection, interview_id) if segments else []
        return {
            "id": NOTES + interview_id,
            "kind": ANNEX_KIND,
            "of": interview_id,
            "of_kind": "interview",
            "stamp": self.stamp(NOTES + interview_id),
            ANNEX_FIELD: "\n".join(" ".join([*annotations.tags(a), annotations.note(a)]) for a in notes),
            "linked": ",".join(f"annotations/{annotations.short_id(a)}" for a in every),
            **access_fields(record),
            "date_sort": earliest_day(record["date"]) if record.get("date") else 0,
        }

    def _changes(self, kind: str, record_id: str, record: dict) -> dict[str, str]:
        """The fields that list records by their last change (the feed, OAI-PMH): when the description was last
        written, as the collection recorded it, and the record's OAI-PMH sets."""
        time = (self.collection.last_change(kind, record_id, records.FILES[kind]) or {}).get("time", "")
        return {
            "changed": changed_key(time, f"{kind}/{record_id}"),
            "changed_stamp": records.utc_stamp(time),
            "sets": ",".join(records.set_specs(kind, record)),
        }

    def _regions(self, place_ids: set[str]) -> set[str]:
        """Every place that holds one of these places: district, region, country."""
        regions: set[str] = set()
        for place_id in place_ids:
            place = self.gazetteer().places.get(place_id)
            while place is not None and place.within and place.within not in regions:
                regions.add(place.within)
                place = self.gazetteer().places.get(place.within)
        return regions

    def _surnames(self, names: list[str]) -> dict[str, str]:
        """The surname facet's fields: the families these names belong to (their ids), or a name's folded key when
        the vocabulary does not know it, with each value's form as entered (its label, by the commonest form)."""
        found: dict[str, str] = {}
        for name in names:
            matched = self.surnames().match(name)
            for value in [s.id for s in matched] if matched else [fold(name)]:
                found.setdefault(clean(value), name)
        return {
            "f_surname": ",".join(sorted(found)),
            "surname_forms": ",".join(entered_form(value, form) for value, form in sorted(found.items())),
        }

    def _item_document(self, item_id: str) -> dict | None:
        try:
            item = media.load(self.collection, item_id)
        except CollectionError:
            return None
        record = item.record
        if access.deleted(record):
            return None
        place_ids = {p["place"] for p in record.get("places", []) if p.get("place")}
        people = record.get("people", [])
        linked = {f"places/{p}" for p in place_ids} | {f"events/{e}" for e in record.get("events", [])}
        linked |= {f"people/{p['person']}" for p in people if p.get("person")}
        linked |= {f"interviews/{i}" for i in record.get("interviews", [])}
        place_labels = [self.gazetteer().places[i].name() for i in place_ids if i in self.gazetteer().places]
        description = "\n".join(
            record.get(k, "") for k in ("caption", "description", "creator", "institution", "accession")
        )
        return {
            "id": item.ref,
            "kind": "media",
            "stamp": self.stamp(item.ref),
            "display": {
                "title": item.title,
                "narrators": [],
                "date": record.get("date", ""),
                "place": "",
                "villages": sorted({p["name"] for p in record.get("places", [])}),
                "access": access.level_of(record),
                "languages": [],
                "kind": record.get("kind", ""),
                "caption": record.get("caption", ""),
                "institution": record.get("institution", ""),
            },
            "title": item.title,
            "meta": "\n".join(
                [
                    description,
                    " ".join(p["name"] for p in people),
                    " ".join([p["name"] for p in record.get("places", [])] + place_labels),
                    " ".join(record.get("surnames", [])),
                ]
            ),
            "narrator_text": "",
            "interviewer_text": "",
            "text": "",
            "pairs": "",
            **access_fields(record),
            **self._changes("media", item_id, record),
            "date_sort": earliest_day(record["date"]) if record.get("date") else 0,
            "title_sort": item.title.casefold(),
            "f_village": ",".join(sorted(place_ids)),
            "f_region": ",".join(sorted(self._regions(place_ids))),
            **self._surnames(record.get("surnames", [])),
            "f_decade": _decade(record["date"]) or "" if record.get("date") else "",
            "f_kind": record.get("kind", media.DEFAULT_KIND),
            "f_event": ",".join(sorted(record.get("events", []))),
            "f_person": ",".join(sorted(p["person"] for p in people if p.get("person"))),
            "f_institution": clean(record.get("institution", "")),
            "linked": ",".join(sorted(linked)),
        }


_QUEUING: weakref.WeakSet = weakref.WeakSet()  # indexers that have queued changes in this process


@atexit.register
def _write_all_queued() -> None:
    for indexer in list(_QUEUING):
        indexer.flush(timeout=10)


class Indexer:
    """What the services call after they write: brings the index up to date with the records named. A failure is
    logged, never raised: the change is already stored, and the next consistency check repairs the index.

    Two ways, chosen by the service for each kind of change. `updated` indexes before it returns: every change that
    narrows who may find something (a withdrawal, a restriction, an embargo, a redaction, a deletion) and every
    change whose effect is not known to be only widening. `soon` is for changes that only add words or links (a new
    annotation that redacts nothing, a corrected passage): the request returns once the truth is stored, and one
    writer thread indexes every change of the last moment in one commit, so that writes do not queue behind each
    other for the index's one write lock. A queued change is searchable within about a second; one lost with the
    process is found stale by the next check (at start) and indexed then."""

    def __init__(self, search_index: SearchIndex, batching: bool = True, gather: float = 0.2):
        self.search_index = search_index
        # set by the app to run checks on its job runner; until then (and in commands) a thread does
        self.check_soon: Callable[[], object] | None = None
        self.batching = batching  # a command indexes at once: it may exit before a queue would be written
        self.gather = gather  # seconds the writer waits for more changes before it commits what it has
        self._pending: set[str] = set()
        self._writing = False
        self._queue = threading.Condition()
        self._writer: threading.Thread | None = None

    def soon(self, *doc_ids: str) -> None:
        """Index these within about a second, batched with the other changes of that moment (see the class)."""
        if not self.batching:
            self.updated(*doc_ids)
            return
        with self._queue:
            self._pending.update(doc_ids)
            if self._writer is None or not self._writer.is_alive():
                _QUEUING.add(self)  # a server that stops writes what it has queued (see _write_all_queued)
                self._writer = threading.Thread(target=self._write_queued, daemon=True, name="index-soon")
                self._writer.start()
            self._queue.notify_all()

    def flush(self, timeout: float = 60) -> bool:
        """Wait until every change queued by `soon` is in the index (or its failure logged); tell whether it was."""
        with self._queue:
            return self._queue.wait_for(lambda: not self._pending and not self._writing, timeout)

    def _write_queued(self) -> None:
        while True:
            with self._queue:
                if not self._queue.wait_for(lambda: self._pending, timeout=30):
                    self._writer = None  # idle: the next change starts a writer again
                    return
                self._writing = True
            time.sleep(self.gather)  # let the changes of this moment join the same commit
            with self._queue:
                batch, self._pending = sorted(self._pending), set()
            try:
                self.updated(*batch)
            finally:
                with self._queue:
                    self._writing = False
                    self._queue.notify_all()

    def updated(self, *doc_ids: str) -> bool:
        """Index again (or remove) these interviews and "media/<id>" items after a write; tell whether it worked."""
        if not doc_ids:
            return True
        try:
            self.search_index.update(list(doc_ids))
        except Exception:  # noqa: BLE001 - the change is stored; the index catches up at its next check
            log.exception("could not index %s after a change; a check of the whole index follows", ", ".join(doc_ids))
            self.check_later()  # not left stale until the next start: the check repairs what this missed
            return False
        return True

    def check(self, repair: bool = True) -> dict[str, list[str]]:
        """Compare the index with the collection and repair what differs (see SearchIndex.check)."""
        return self.search_index.check(repair=repair)

    def check_later(self) -> None:
        """Check the whole index soon, not in this request: after a vocabulary change every facet may be counted
        anew, and at start-up the index may be behind the collection."""
        if self.check_soon is not None:
            self.check_soon()
        else:
            threading.Thread(target=self._check_quietly, daemon=True, name="index-check").start()

    def repair(self, progress: Callable[[int], object] | None = None) -> int | None:
        """Rebuild a missing or damaged index now (unless it is whole by then); return the documents indexed."""
        return self.search_index.rebuild_unless_healthy(progress=progress)

    def _check_quietly(self) -> None:
        try:
            found = self.search_index.check(repair=True)
            if any(found.values()):
                log.info("search index repaired: %s", {k: len(v) for k, v in found.items()})
        except Exception:  # noqa: BLE001 - a failed check must never take the server down; the next start retries
            log.exception("search index check failed")

    def present(self) -> list[str]:
        """The ids of every document the collection calls for."""
        return self.search_index.source.present()

    def rebuild(self, progress: Callable[[int], object] | None = None) -> int:
        """Make the whole index anew from the collection; return how many documents it holds."""
        return self.search_index.rebuild(progress=progress)


def init_app(app: Flask, background: bool = True) -> None:
    """Open the data root's index (an empty collection gets an empty index at once), give it its source, and check
    it against the collection in the background if so configured. `background=False` (commands) repairs a broken
    index at once."""
    search_index = SearchIndex(
        Path(app.config["ARCHIVE_DATA"]) / "index",
        Documents(app.extensions["collection"]),
        lock_path=Path(app.instance_path) / "index.lock",
        background=background,
    )
    app.extensions["search"] = search_index
    app.extensions["indexer"] = Indexer(search_index, batching=background)
    search_index.ensure()
