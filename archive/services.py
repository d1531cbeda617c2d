"""The services: every change to the archive goes through here, built once per app with the app's settings.

Each service writes the truth through the collection (by the domain modules: annotations, transcripts, vocab,
media, ingest, contributions), then brings the index up to date through the one `Indexer` it was given. Views, the
CLI and the API parse input, call a service and render what it returns; they never write records or index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from flask import Flask, current_app

from . import (
    about,
    annotations,
    contributions,
    i18n,
    images,
    interviews,
    media,
    recordings,
    segment_index,
    sound,
    spreadsheets,
    transcripts,
    vocab,
)
from .collection import Collection
from .errors import ArchiveError
from .indexing import Indexer
from .ingest import Ingester


class Recordings:
    """An interview's recordings: parts added after its last one (probed first, kept byte for byte), and the copies
    readers hear (sound.py): streaming copies, and public copies with redacted passages silenced.
    `later(interview_id, fingerprint, author)` queues the job that makes them (given by create_app: the services do
    not know the job runner); `changed` is called after every write that may move a redaction or a time."""

    def __init__(self, collection: Collection, indexer: Indexer, settings: sound.Settings):
        self.collection, self.indexer, self.settings = collection, indexer, settings
        self.later: Callable[[str, str, str], object] | None = None

    def add(self, interview_id: str, given: list[tuple[Path | bytes, str]], author: str) -> list[dict]:
        added = recordings.add(self.collection, interview_id, given, author)
        self.indexer.updated(interview_id)  # the record changed: its document is made again from it
        self.prepare(interview_id, author)
        return added

    def prepare(self, interview_id: str, author: str) -> None:
        """Queue the copies new recordings want: a streaming copy where the original does not play in browsers or
        is large, and the public copy when a redaction falls in them (called when recordings arrive)."""
        if self.later is not None and (
            sound.outdated(self.collection, interview_id)
            or sound.streams_missing(self.collection, interview_id, self.settings)
        ):
            self.later(interview_id, sound.interview_print(self.collection, interview_id), author)

    def changed(self, interview_id: str, author: str) -> None:
        """Queue the making of a public copy if the one there is no longer matches the redactions."""
        if self.later is not None and sound.outdated(self.collection, interview_id):
            self.later(interview_id, sound.interview_print(self.collection, interview_id), author)

    def derive(self, interview_id: str, force: bool = False, cancelled: Callable[[], bool] | None = None) -> list[str]:
        """Make an interview's missing or stale streaming and public copies; return what was made."""
        return sound.derive(self.collection, interview_id, self.settings, force, cancelled)


class Interviews:
    """An interview's description: edited through the one metadata validator, then indexed again."""

    def __init__(self, collection: Collection, indexer: Indexer):
        self.collection, self.indexer = collection, indexer

    def edit(self, interview_id: str, raw: Mapping, author: str, version: str) -> interviews.Interview:
        """Replace the description with `raw` (every field the editor keeps; the ingest's and the system's own
        fields stay); `version` is the interview.json read, so a stale edit is refused naming who changed it."""
        edited = interviews.edit(
            self.collection, interview_id, dict(raw), vocab.gazetteer(self.collection), author, version
        )
        self.indexer.updated(interview_id)
        return edited


class Annotations:
    """Annotations of interview passages: each write re-indexes the interview (its facets and links change), and
    a write that adds, changes or removes a redaction queues a new public copy of the recording."""

    def __init__(self, collection: Collection, indexer: Indexer, recordings: Recordings):
        self.collection, self.indexer, self.recordings = collection, indexer, recordings

    def bodies(self, chosen: Mapping, tag_list: Iterable[str], text: str, redact: bool = False) -> list:
        return annotations.bodies(self.collection, chosen, tag_list, text, redact)

    def create(
        self, interview_id: str, start: int, end: int, body: list, author: str, quoted: str | None = None
    ) -> dict:
        made = annotations.create(self.collection, interview_id, start, end, body, author, quoted)
        self.indexer.updated(interview_id)
        self.recordings.changed(interview_id, author)
        return made

    def edit(self, interview_id: str, annotation_id: str, expected: str, body: list, author: str) -> dict:
        edited = annotations.edit(self.collection, interview_id, annotation_id, expected, body, author)
        self.indexer.updated(interview_id)
        self.recordings.changed(interview_id, author)
        return edited

    def delete(self, interview_id: str, annotation_id: str, expected: str, author: str) -> None:
        annotations.delete(self.collection, interview_id, annotation_id, expected, author)
        self.indexer.updated(interview_id)
        self.recordings.changed(interview_id, author)

    def create_from_jsonld(self, interview_id: str, data: object, author: str) -> dict:
        made = annotations.from_jsonld(self.collection, interview_id, data, author)
        self.indexer.updated(interview_id)
        self.recordings.changed(interview_id, author)
        return made

    def import_collection(
        self, interview_id: str, data: object, author: str, expected: str | None = None
    ) -> dict[str, int]:
        """Take back an AnnotationCollection, all or nothing; `expected` (a collection version) refuses a stale one."""
        counts = annotations.import_collection(self.collection, interview_id, data, author, expected)
        self.indexer.updated(interview_id)
        self.recordings.changed(interview_id, author)
        return counts


class Transcripts:
    """Corrections of transcript passages; annotations move with their words (see transcripts.py), and a
    redaction that lost its words withholds whole segments, so the public copy of the recording may change."""

    def __init__(self, collection: Collection, indexer: Indexer, recordings: Recordings):
        self.collection, self.indexer, self.recordings = collection, indexer, recordings

    def correct_segment(self, interview_id: str, n: int, text: str, author: str, expected: str) -> list[dict]:
        flagged = transcripts.correct_segment(self.collection, interview_id, n, text, author, expected)
        self.indexer.updated(interview_id)
        self.recordings.changed(interview_id, author)
        return flagged

    def set_times(self, interview_id: str, times: dict[int, float | None], author: str, expected: str) -> list[dict]:
        """Save passages' start times (the stamp mode) as a new version of the transcript; the passages found by
        search then carry them."""
        record = interviews.load(self.collection, interview_id).record
        end = segment_index.recording_end(record, [])
        saved = transcripts.set_times(self.collection, interview_id, times, author, expected, end)
        self.indexer.updated(interview_id)
        self.recordings.changed(interview_id, author)  # a redacted passage's time range may have moved
        return saved


class SegmentIndex:
    """The segment index (table of contents) of an interview: each save is a new version, then indexed for search."""

    def __init__(self, collection: Collection, indexer: Indexer):
        self.collection, self.indexer = collection, indexer

    def save(self, interview_id: str, points: object, author: str, expected: str | None) -> segment_index.Index:
        saved = segment_index.save(self.collection, interview_id, points, author, expected)
        self.indexer.updated(interview_id)
        return saved


class Vocabularies:
    """The places, surnames, events and people: a change re-counts facets everywhere, so the whole index is
    checked afterwards (in the background: every document's stamp names the vocabularies it was made with)."""

    def __init__(self, collection: Collection, indexer: Indexer):
        self.collection, self.indexer = collection, indexer

    def add_surname_spelling(self, surname_id: str, spelling: str, author: str, version: str) -> str:
        saved = vocab.add_surname_spelling(self.collection, surname_id, spelling, author, version)
        self.indexer.check_later()
        return saved

    def save_entry(self, kind: str, entry_id: str | None, entry: dict, author: str, version: str) -> dict:
        saved = vocab.save_entry(self.collection, kind, entry_id, entry, author, version)
        if kind == "places":  # documents count places' regions; events and people are named at query time
            self.indexer.check_later()
        return saved


class About:
    """The collection's own description for the home page (collection data, edited by staff; nothing is indexed)."""

    def __init__(self, collection: Collection):
        self.collection = collection

    def save(self, data: Mapping, author: str, version: str) -> about.About:
        return about.save(self.collection, dict(data), author, version)


class Ingest:
    """Transcripts (with their audio) into interviews, with the app's size limit."""

    def __init__(self, collection: Collection, indexer: Indexer, max_transcript_bytes: int):
        self.collection, self.indexer, self.max_transcript_bytes = collection, indexer, max_transcript_bytes

    def ingester(self, author: str, max_transcript_bytes: int | None = None) -> Ingester:
        """An ingester for one batch by one author: it remembers what the collection held when the batch began."""
        limit = self.max_transcript_bytes if max_transcript_bytes is None else max_transcript_bytes
        return Ingester(self.collection, vocab.gazetteer(self.collection), author, limit, self.indexer)


class Media:
    """Photographs, documents and objects: added, described again, their display copies made."""

    def __init__(self, collection: Collection, indexer: Indexer, limits: images.Limits):
        self.collection, self.indexer, self.limits = collection, indexer, limits

    def ingester(self, author: str) -> media.MediaIngester:
        """An ingester for one batch of images by one author."""
        return media.MediaIngester(self.collection, self.limits, author, self.indexer)

    def edit(self, item_id: str, raw: Mapping, author: str, version: str) -> media.Item:
        item = media.edit(self.collection, item_id, raw, author, version)
        self.indexer.updated(item.ref)
        return item

    def derive(self, item_id: str, author: str, force: bool = False) -> bool:
        """Make an item's display copies and thumbnails if missing or made with other settings."""
        made = media.derive(self.collection, item_id, self.limits, author, force)
        if made:
            self.indexer.updated(f"media/{item_id}")  # the item's record notes the settings they were made with
        return made


class Contributions:
    """Families' testimonies and photos: received, answered through the receipt, moderated, approved (made into
    records by the same ingest and media services, with the same limits, as every other upload)."""

    def __init__(self, collection: Collection, indexer: Indexer, limits: images.Limits, ingest: Ingest, items: Media):
        self.collection, self.indexer, self.limits = collection, indexer, limits
        self.makers = contributions.Makers(ingest.ingester, items.ingester, indexer, i18n.in_language)

    def submit(
        self, details: Mapping, story: contributions.Upload | None, photos: list[contributions.Upload], language: str
    ) -> contributions.Receipt:
        return contributions.submit(self.collection, details, story, photos, self.limits, language)

    def add_from_contributor(
        self, submission: contributions.Submission, text: str, photos: list[contributions.Upload]
    ) -> contributions.Submission:
        return contributions.add_from_contributor(self.collection, submission, text, photos, self.limits)

    def withdraw(self, submission: contributions.Submission) -> contributions.Submission:
        return contributions.withdraw(self.collection, submission, self.indexer)

    def ask(self, submission: contributions.Submission, question: str, author: str) -> contributions.Submission:
        return contributions.ask(self.collection, submission, question, author)

    def describe(
        self, submission: contributions.Submission, described: Mapping, author: str
    ) -> contributions.Submission:
        return contributions.describe(self.collection, submission, described, author)

    def decline(self, submission: contributions.Submission, reason: str, author: str) -> contributions.Submission:
        return contributions.decline(self.collection, submission, reason, author)

    def metadata(self, submission: contributions.Submission) -> dict:
        """The interview's description as approval would give it now (surnames proposed, title in the testimony's
        language), for the historian to see and correct first."""
        surnames = vocab.current(self.collection, "surnames")[0]
        return contributions.interview_metadata(submission, surnames, self.makers.say)

    def approve(self, submission: contributions.Submission, author: str) -> contributions.Submission:
        return contributions.approve(self.collection, submission, author, self.makers)

    def approve_photos(self, submission: contributions.Submission, author: str) -> contributions.Submission:
        return contributions.approve_photos(self.collection, submission, author, self.makers)


class Spreadsheets:
    """The CSV sheet of every record, corrections taken back from it, bulk changes, and the staff's list of records
    (spreadsheets.py). Each changed record is written once by the same edit as a form's (interviews.edit,
    media.edit: the one validator, the version read, the action the audit log names), and the index is brought up
    to date for the written records in batches (one index commit per batch, not per record: a sheet may change
    thousands)."""

    BATCH = 100

    def __init__(self, collection: Collection, indexer: Indexer):
        self.collection, self.indexer = collection, indexer

    def export(self, out: TextIO) -> int:
        """Write the sheet to a text stream; return how many records it holds."""
        return spreadsheets.export(self.collection, out)

    def plan_import(self, source: bytes | str | Path) -> spreadsheets.Plan:
        """What a sheet would change, row by row, and its problems; nothing is written."""
        return spreadsheets.plan(self.collection, source)

    def apply_import(self, plan: spreadsheets.Plan, author: str) -> spreadsheets.Applied:
        """Write each changed row that has no problem (once, with the version of the row); a record changed since
        is refused as stale, the others written."""
        done = spreadsheets.Applied()
        pending: list[str] = []
        for row in plan.changing():
            try:
                self._edit(row.kind, row.id, row.raw or {}, author, row.version, "imported-csv")
            except ArchiveError as error:
                done.problems.append(spreadsheets.Problem(row.number, error.field or "version", error.message))
            else:
                done.written.append(row.ref)
                pending.append(row.ref)
                self._index(pending)
        self._index(pending, every=True)
        return done

    def bulk_preview(self, refs: Iterable[str], change: str, value: str) -> list[spreadsheets.Bulk]:
        return spreadsheets.bulk_plan(self.collection, refs, change, value)

    def bulk_apply(
        self, refs: Iterable[str], change: str, value: str, versions: Mapping[str, str], author: str
    ) -> list[spreadsheets.Bulk]:
        """Apply a previewed change: each record once, refused where it changed since its `versions` (as previewed);
        a record's problem stops only that record."""
        planned = spreadsheets.bulk_plan(self.collection, refs, change, value)
        pending: list[str] = []
        for entry in planned:
            if entry.problem is not None or not entry.changes:
                continue
            kind, _, record_id = entry.ref.partition("/")
            try:
                self._edit(kind, record_id, entry.raw or {}, author, versions.get(entry.ref, ""), "bulk-edited")
            except ArchiveError as error:
                entry.problem = error.message
            else:
                entry.done = True
                pending.append(entry.ref)
                self._index(pending)
        self._index(pending, every=True)
        return planned

    def records(self, filters: spreadsheets.Filters, sort: str) -> tuple[list[spreadsheets.Listed], list[str]]:
        """The staff list: the records that pass the filters, sorted, and every collection named (for its filter)."""
        every = spreadsheets.listed(self.collection)
        return spreadsheets.chosen(every, filters, sort), sorted({r.collection for r in every if r.collection})

    def _edit(self, kind: str, record_id: str, raw: dict, author: str, version: str, action: str) -> None:
        if kind == "interviews":
            interviews.edit(self.collection, record_id, raw, vocab.gazetteer(self.collection), author, version, action)
        else:
            media.edit(self.collection, record_id, raw, author, version, action)

    def _index(self, pending: list[str], every: bool = False) -> None:
        """Index the written records once a batch is full (or, at the end, whatever is left)."""
        if pending and (every or len(pending) >= self.BATCH):
            self.indexer.updated(*(ref.removeprefix("interviews/") for ref in pending))
            pending.clear()


@dataclass(frozen=True)
class Services:
    """Every service of one app, sharing its collection, indexer and limits."""

    collection: Collection
    indexer: Indexer
    interviews: Interviews
    annotations: Annotations
    transcripts: Transcripts
    segment_index: SegmentIndex
    vocabularies: Vocabularies
    ingest: Ingest
    media: Media
    contributions: Contributions
    about: About
    recordings: Recordings
    spreadsheets: Spreadsheets

    def rebuild_index(self, progress: Callable[[int], object] | None = None) -> int:
        """Make the search index anew from the collection (it is derived); return how many documents it holds."""
        return self.indexer.rebuild(progress=progress)

    @classmethod
    def build(cls, app: Flask) -> Services:
        collection, indexer = app.extensions["collection"], app.extensions["indexer"]
        limits: images.Limits = app.extensions["image_limits"]
        ingest = Ingest(collection, indexer, int(app.config["ARCHIVE_MAX_TRANSCRIPT_MB"]) * 2**20)
        items = Media(collection, indexer, limits)
        recordings = Recordings(collection, indexer, sound.Settings.from_config(app.config))
        return cls(
            collection=collection,
            indexer=indexer,
            interviews=Interviews(collection, indexer),
            annotations=Annotations(collection, indexer, recordings),
            transcripts=Transcripts(collection, indexer, recordings),
            segment_index=SegmentIndex(collection, indexer),
            vocabularies=Vocabularies(collection, indexer),
            ingest=ingest,
            media=items,
            contributions=Contributions(collection, indexer, limits, ingest, items),
            about=About(collection),
            recordings=recordings,
            spreadsheets=Spreadsheets(collection, indexer),
        )


def init_app(app: Flask) -> None:
    app.extensions["services"] = Services.build(app)


def services() -> Services:
    """The services of the app handling the current request or command."""
    return current_app.extensions["services"]
