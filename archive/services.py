"""The services: every change to the archive goes through here, built once per app with the app's settings.

Each service writes the truth through the collection (by the domain modules: annotations, transcripts, vocab,
media, ingest, contributions), then brings the index up to date through the one `Indexer` it was given. Views, the
CLI and the API parse input, call a service and render what it returns; they never write records or index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TextIO

from flask import Flask, current_app

from . import (
    about,
    access,
    accounts,
    alignment,
    annotations,
    audit,
    backup,
    contributions,
    history,
    i18n,
    images,
    interviews,
    media,
    migrations,
    recordings,
    redaction,
    segment_index,
    sound,
    spreadsheets,
    tombstones,
    transcripts,
    vocab,
)
from .collection import Collection, now
from .errors import AccountError, ArchiveError, CollectionError
from .i18n import N_
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
    """An interview's description: edited through the one metadata validator, then indexed again; its transcript or
    one of its recordings replaced by a new file (a new version of the original, history keeping the old)."""

    def __init__(
        self,
        collection: Collection,
        indexer: Indexer,
        recordings: Recordings | None = None,
        max_transcript_bytes: int = 20 * 2**20,
    ):
        self.collection, self.indexer, self.recordings = collection, indexer, recordings
        self.max_transcript_bytes = max_transcript_bytes

    def edit(self, interview_id: str, raw: Mapping, author: str, version: str) -> interviews.Interview:
        """Replace the description with `raw` (every field the editor keeps; the ingest's and the system's own
        fields stay); `version` is the interview.json read, so a stale edit is refused naming who changed it."""
        edited = interviews.edit(
            self.collection, interview_id, dict(raw), vocab.gazetteer(self.collection), author, version
        )
        self.indexer.updated(interview_id)
        return edited

    def replace_transcript(
        self, interview_id: str, data: bytes, filename: str, author: str, expected: str | None
    ) -> tuple[list[dict], list[dict]]:
        """A new transcript file: segments made anew, annotations re-anchored (those whose words are gone flagged and
        returned with the new passages); redacted passages may have moved, so the public copy may be made again."""
        made = transcripts.replace(
            self.collection, interview_id, data, filename, author, expected, self.max_transcript_bytes
        )
        self.indexer.updated(interview_id)
        if self.recordings is not None:
            self.recordings.changed(interview_id, author)
        return made

    def replace_recording(
        self, interview_id: str, part: int, source: Path | bytes, name: str, author: str, version: str
    ) -> dict:
        """A new file for one part of the recording: the copies made from the old one are removed, and the new
        ones it wants are queued."""
        made = recordings.replace(self.collection, interview_id, part, source, name, author, version)
        sound.drop(self.collection, interview_id, part)
        self.indexer.updated(interview_id)
        if self.recordings is not None:
            self.recordings.prepare(interview_id, author)
        return made


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
        self._index(interview_id, made)
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
        self._index(interview_id, made)
        self.recordings.changed(interview_id, author)
        return made

    def _index(self, interview_id: str, made: dict) -> None:
        """A new annotation that redacts nothing only adds words and links: it may wait for the index's next batch.
        A redaction narrows what readers find, so it is in the index before the request returns."""
        if redaction.is_redaction(made):
            self.indexer.updated(interview_id)
        else:
            self.indexer.soon(interview_id)

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

    def propose_alignment(
        self,
        interview_id: str,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> tuple[alignment.Proposal, str]:
        """Where each passage of the transcript is spoken in the interview's recording (alignment.py): a proposal,
        nothing written; with the version of segments.json it was made from, which accepting it names. Every
        passage is aligned, redacted ones too (a historian's tool). Refusals are AlignmentError."""
        record = interviews.load(self.collection, interview_id).record
        if access.deleted(record):  # deleted after the job was asked for: nobody may read it any more
            raise alignment.Deleted()
        parts = recordings.parts(record)
        if not parts:
            raise alignment.NoRecording()
        alignment.voice((record.get("languages") or [None])[0])  # an unknown language is refused before any work
        stored = self.collection.read("interviews", interview_id, "segments.json")
        try:
            located = [(self.collection.path("interviews", interview_id, p["original"]), p["offset"]) for p in parts]
        except CollectionError:
            raise alignment.NoRecording() from None
        made = alignment.propose(located, stored.json(), record["languages"][0], progress, cancelled)
        return made, stored.version

    def align(
        self,
        interview_id: str,
        by: str,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> alignment.Kept:
        """Make a proposal (the job `align`) and keep it for historians to check, accept or discard."""
        parts = recordings.parts(interviews.load(self.collection, interview_id).record)
        proposal, version = self.propose_alignment(interview_id, progress, cancelled)
        return alignment.keep(self.collection, interview_id, proposal, version, by, parts)

    def accept_alignment(
        self,
        interview_id: str,
        proposal: alignment.Proposal,
        author: str,
        expected: str,
        starts: dict[int, float | None] | None = None,
    ) -> list[dict]:
        """Save a proposal's starts and ends as a new version of the transcript (`expected`: the version it was
        made from; a transcript changed since is a conflict), then index it as `set_times` does, and forget the
        kept proposal. `starts`, when given, are the starts a historian checked and adjusted: a proposed end is
        kept only where it still lies after its passage's start and not after the next one's."""
        record = interviews.load(self.collection, interview_id).record
        end = segment_index.recording_end(record, [])
        if starts is None:
            times = {t.n: t.start for t in proposal.timings}
            ends = {t.n: t.end for t in proposal.timings if t.end > t.start}
        else:
            times = dict(starts)
            timed = sorted((n, at) for n, at in times.items() if at is not None)
            following = {n: later for (n, _), (_, later) in zip(timed, timed[1:], strict=False)}
            ends = {
                t.n: t.end
                for t in proposal.timings
                if times.get(t.n) is not None and times[t.n] < t.end <= following.get(t.n, t.end)
            }
        saved = transcripts.set_times(
            self.collection, interview_id, times, author, expected, end, ends, action="aligned-transcript"
        )
        alignment.discard(self.collection, interview_id)
        self.indexer.updated(interview_id)
        self.recordings.changed(interview_id, author)
        return saved

    def discard_alignment(self, interview_id: str) -> None:
        alignment.discard(self.collection, interview_id)


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

    def ingester(self, author: str, max_transcript_bytes: int | None = None, index_batch: int = 1) -> Ingester:
        """An ingester for one batch by one author: it remembers what the collection held when the batch began.
        `index_batch` > 1 indexes that many interviews per commit; the caller ends with `index_pending()`."""
        limit = self.max_transcript_bytes if max_transcript_bytes is None else max_transcript_bytes
        gazetteer = vocab.gazetteer(self.collection)
        return Ingester(self.collection, gazetteer, author, limit, self.indexer, index_batch=index_batch)


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


class History:
    """A record's versions, one version as it was, and a restore (a new version: nothing is lost), for interviews
    and media items; and the audit log read with filters. A restore indexes the record again and, for an interview,
    queues the copies of its recordings its restored redactions or recordings may need."""

    def __init__(self, collection: Collection, indexer: Indexer, recordings: Recordings):
        self.collection, self.indexer, self.recordings = collection, indexer, recordings

    def versions(self, kind: str, record_id: str) -> list[tuple[history.Version, history.Summary]]:
        """Every version, oldest first, with what it changed."""
        return history.summaries(self.collection, kind, record_id)

    def version(self, kind: str, record_id: str, stamp: str) -> history.Shown:
        return history.shown(self.collection, kind, record_id, stamp)

    def restore(self, kind: str, record_id: str, stamp: str, author: str) -> history.Version:
        made = history.restore(self.collection, kind, record_id, stamp, author)
        self.indexer.updated(record_id if kind == "interviews" else f"media/{record_id}")
        if kind == "interviews":
            self.recordings.prepare(record_id, author)  # a public copy for the redactions, a streaming copy if needed
        return made

    def log(self, **filters: str | None) -> list:
        """The audit log's lines matching the filters (see history.log), oldest first."""
        return history.log(self.collection.root, **filters)


class Tombstones:
    """Deleting interviews and media items as tombstones, bringing them back, purging them (tombstones.py); each
    write then takes the record out of search, or puts it back."""

    def __init__(self, collection: Collection, indexer: Indexer):
        self.collection, self.indexer = collection, indexer

    def delete(
        self, kind: str, record_id: str, reason: str, author: str, version: str | None = None
    ) -> tombstones.Record:
        done = tombstones.delete(self.collection, kind, record_id, reason, author, version)
        self.indexer.updated(done.index_ref)
        return done

    def undelete(self, kind: str, record_id: str, author: str, version: str | None = None) -> tombstones.Record:
        done = tombstones.undelete(self.collection, kind, record_id, author, version)
        self.indexer.updated(done.index_ref)
        return done

    def purge(self, kind: str, record_id: str, author: str) -> tombstones.Record:
        done = tombstones.purge(self.collection, kind, record_id, author)
        self.indexer.updated(done.index_ref)
        return done


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


class AccessRequests:
    """Researchers' requests for access to records kept for staff, and staff's decisions (issue 16). Requests live in
    the accounts database (accounts.py); whether a grant opens a record is access.py's decision, read at each request
    (`Reader.grants`). A grant or its end changes no record and no search document (the index filter adds the
    granted ids), so nothing is reindexed. Every ask and decision is written to the audit log."""

    KINDS = ("interviews", "media")

    def __init__(self, collection: Collection):
        self.collection = collection

    def record(self, kind: str, record_id: str) -> dict:
        """The record asked about, as stored; CollectionError when there is none."""
        if kind not in self.KINDS:
            raise CollectionError(f"unknown kind {kind!r}")
        loaded = interviews.load if kind == "interviews" else media.load
        return loaded(self.collection, record_id).record

    def ask(self, reader: access.Reader, kind: str, record_id: str, reason: str) -> accounts.AccessRequest:
        """Keep a signed-in researcher's request for a record they may ask for (access.may_ask), with a reason."""
        ref = f"{kind}/{record_id}"
        if not access.may_ask(reader, self.record(kind, record_id), ref):
            raise AccountError(N_("access to this record cannot be asked for"), None, "may-not-ask")
        asked = accounts.ask_access(reader.user, ref, reason)
        self._log(reader.user.name, ref, "access-asked", asked.reason)
        return asked

    def grant(self, number: int, author: str, until: date | None = None, note: str = "") -> accounts.AccessRequest:
        """Open the request's record to the account that asked (until the end of `until`, if given)."""
        decided = accounts.decide_access(number, accounts.GRANTED, author, note, until)
        said = f"for {decided.user.name}" + (f" until {decided.until}" if decided.until else "")
        self._log(author, decided.record, "access-granted", said + (f": {decided.note}" if decided.note else ""))
        return decided

    def refuse(self, number: int, author: str, note: str = "") -> accounts.AccessRequest:
        """Refuse a request; the note, if any, is shown to the researcher."""
        decided = accounts.decide_access(number, accounts.REFUSED, author, note)
        said = f"for {decided.user.name}" + (f": {decided.note}" if decided.note else "")
        self._log(author, decided.record, "access-refused", said)
        return decided

    def revoke(self, number: int, author: str, note: str = "") -> accounts.AccessRequest:
        """End a grant before its last day; logged as a refusal (the audit log's keyword), saying it was revoked."""
        ended = accounts.revoke_access(number, author, note)
        said = f"revoked for {ended.user.name}" + (f": {ended.note}" if ended.note else "")
        self._log(author, ended.record, "access-refused", said)
        return ended

    def list(self, user: accounts.User | None = None, record: str | None = None) -> list[accounts.AccessRequest]:
        """Requests (one account's, one record's, or all), waiting ones first."""
        return accounts.access_requests(user, record)

    def latest(self, user: accounts.User, ref: str) -> accounts.AccessRequest | None:
        """An account's latest request for a record, for the page that asks."""
        mine = accounts.access_requests(user, ref)
        return max(mine, key=lambda r: r.id) if mine else None

    def _log(self, author: str, ref: str, action: str, note: str) -> None:
        audit.append(self.collection.root, audit.Entry(now(), author, ref, action=action, note=note))


class Backups:
    """Backups of the whole collection as BagIt bags (backup.py) in the backup folder, their restore into an empty
    data root (the index then rebuilt), and the migration of records written in an older schema (migrations.py)."""

    def __init__(self, collection: Collection, indexer: Indexer, accounts: Path, folder: Path, site_name: str):
        self.collection, self.indexer = collection, indexer
        self.accounts, self.folder, self.site_name = accounts, folder, site_name

    @classmethod
    def build(cls, app: Flask, collection: Collection, indexer: Indexer) -> Backups:
        """The app's backups: its accounts database, and ARCHIVE_BACKUP_DIR (a relative one under the data root)."""
        folder = Path(app.config["ARCHIVE_BACKUP_DIR"]).expanduser()
        root = Path(app.config["ARCHIVE_DATA"])
        accounts = Path(app.instance_path) / "accounts.sqlite3"
        return cls(
            collection,
            indexer,
            accounts,
            folder if folder.is_absolute() else root / folder,
            app.config["ARCHIVE_SITE_NAME"],
        )

    def organization(self) -> str:
        """Who keeps the collection, for the bag's Source-Organization: the collection's English title, or the
        site's name."""
        text = about.load(self.collection).text("en")
        return text.title if text is not None and text.title else self.site_name

    def backup(
        self,
        dest: Path | None = None,
        progress: Callable[[int, int], object] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Path:
        """Make a bag of the collection in `dest` (default: the backup folder); return its path."""
        return backup.backup(
            self.collection, dest or self.folder, self.accounts, self.organization(), progress, cancelled
        )

    def export_bag(self, target: Path, ids: list[str] | None = None, where: dict[str, str] | None = None) -> Path:
        """Make the bag `target` of some records: those named by id and those matching `where` (backup.selected),
        with their history and the audit log's lines about them; return its path."""
        chosen = backup.selected(self.collection, ids, where)
        return backup.make_bag(self.collection, target, chosen, organization=self.organization())

    def import_bag(self, bag: Path, author: str) -> list[str]:
        """Check a bag of records fully, take its records in (each new to this archive, else nothing is taken), and
        index them; return them ("kind/id")."""
        taken = backup.take_in(self.collection, bag, author)
        for ref in taken:
            kind, record_id = ref.split("/", 1)
            self.indexer.updated(record_id if kind == "interviews" else ref)
        return taken

    def bags(self) -> list[backup.Bag]:
        """The finished bags of the backup folder, the newest first."""
        return backup.bags(self.folder)

    def restore(
        self, bag: Path, progress: Callable[[int], object] | None = None, checked: bool = False
    ) -> dict[str, int]:
        """Check a bag fully (unless `checked` just now) and restore it into this data root, which must hold no
        collection, then rebuild the index from it."""
        counts = backup.restore(bag, self.collection.root, checked)
        self.indexer.rebuild(progress=progress)
        return counts

    def migrate(self, author: str, dry_run: bool = False) -> list[migrations.Outcome]:
        """Bring every record to the code's schema, each a new version with the action "migrated"."""
        outcomes = []
        for outcome in migrations.migrate(self.collection, author, dry_run):
            if outcome.state == "migrated":
                self.indexer.updated(outcome.id if outcome.kind == "interviews" else outcome.ref)
            outcomes.append(outcome)
        return outcomes


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
    history: History
    tombstones: Tombstones
    access_requests: AccessRequests
    backups: Backups
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
            interviews=Interviews(
                collection, indexer, recordings, int(app.config["ARCHIVE_MAX_TRANSCRIPT_MB"]) * 2**20
            ),
            annotations=Annotations(collection, indexer, recordings),
            transcripts=Transcripts(collection, indexer, recordings),
            segment_index=SegmentIndex(collection, indexer),
            vocabularies=Vocabularies(collection, indexer),
            ingest=ingest,
            media=items,
            contributions=Contributions(collection, indexer, limits, ingest, items),
            about=About(collection),
            recordings=recordings,
            history=History(collection, indexer, recordings),
            tombstones=Tombstones(collection, indexer),
            access_requests=AccessRequests(collection),
            backups=Backups.build(app, collection, indexer),
            spreadsheets=Spreadsheets(collection, indexer),
        )


def init_app(app: Flask) -> None:
    app.extensions["services"] = Services.build(app)


def services() -> Services:
    """The services of the app handling the current request or command."""
    return current_app.extensions["services"]
