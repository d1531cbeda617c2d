"""The index on disk: opened, checked, repaired, rebuilt beside and swapped in whole, written and searched.

One document per interview (or media item): far fewer, longer documents than one per segment, so a query walks
short posting lists. Beside an interview's document, a small annex holds what changes often (its notes' words).
The transcript is indexed with the character offsets of every token; the segments of the page of hits shown are
found afterwards from those offsets, without re-reading or re-tokenising whole transcripts.

The index is derived: what goes into it comes from its `Source` (archive/indexing.py makes documents from records),
each document stores a stamp of the files it was made from, and `check` repairs what is stale. Nothing here is the
truth about anything, and nothing here knows interviews, annotations or vocabularies.
"""

from __future__ import annotations

import copy
import ctypes
import io
import logging
import math
import os
import secrets
import shutil
import signal
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from filelock import FileLock
from whoosh import query, sorting
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.idsets import BitSet
from whoosh.index import FileIndex
from whoosh.matching import ReadTooFar
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import IndexReader, SegmentReader
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from ..access import Viewer
from ..errors import ArchiveError
from ..names import Gazetteer, Surnames, fold
from .facets import CountedFacet
from .parsing import Parsed
from .results import (
    PAGE_SIZE,
    WITHIN_LIMIT,
    Hit,
    Passage,
    Results,
    SegmentHit,
    best_points,
    best_segments,
    transcript_terms,
)
from .schema import ANNEX_FIELD, ANNEX_KIND, FACETS, LAYOUT, SCHEMA, allowed, changed_key, changed_of

DAMAGE_TOLD_EVERY = 2.0  # seconds between two reports of a broken index to the job runner
# A rebuild analyses documents in this many processes (whoosh's MpWriter), each writing its own segments, and commits
# every REBUILD_CHUNK characters of documents: small enough that each process's share stays in its memory pool, so
# no sorted runs are spilled to disk (at 10,000 interviews one commit spilled some 5 GB) and no final merge rewrites
# the index (merging costs nearly what indexing does). The price is more segments: some two per chunk.
REBUILD_PROCESSES = min(2, os.cpu_count() or 1)
REBUILD_CHUNK = 80 * 2**20  # 1,000 interviews of 8,000 words: 4 segments; each segment costs every query some work
REBUILD_POOL_MB = 512  # each process's memory for postings before it would spill them
# A write merges segments of one size (within a factor of MERGE_FAN) once there are MERGE_FAN of them, and never one
# over MERGE_CAP bytes: whoosh's own policy would now and then fold a transcript-sized segment into a commit, and a
# note waited seconds behind it. Larger segments are merged only by a rebuild (`archive reindex`).
MERGE_FAN = 6
MERGE_CAP = 8 * 2**20


class Updates(Protocol):
    """What a service hands the code that writes records, to bring the index up to date after each write
    (archive/indexing.Indexer is one): the writing code needs no more of the index than this."""

    def updated(self, *doc_ids: str) -> bool:
        """Index these documents again (or remove them); tell whether it worked."""


class Source(Protocol):
    """What an index is made from, and what its results are shown with (archive/indexing.py provides it)."""

    def present(self) -> list[str]:
        """The ids of every document the collection calls for."""

    def stamp(self, doc_id: str) -> str:
        """A fingerprint of what a document is made from; a different one means the indexed document is stale."""

    def document(self, doc_id: str) -> dict | None:
        """The fields of a document, or None when there is no such record."""

    def annex(self, doc_id: str) -> str | None:
        """The id of the annex written with this document (see schema.ANNEX_KIND), if it has one."""

    def segments(self, interview_id: str) -> tuple[list[dict], list[int]]:
        """An interview's segments as indexed (redactions masked), and the offset of each in the indexed text."""

    def points(self, interview_id: str) -> tuple[list[dict], str, list[int]]:
        """An interview's segment index points, the text indexed from them (`contents`), and where each starts in it."""

    def passages(self, interview_id: str, wanted: set[tuple[str, str]]) -> list[tuple[str, str]]:
        """(annotation id, quote) of the passages whose annotations link any of `wanted` ("events", id) pairs."""

    def gazetteer(self) -> Gazetteer:
        """The places in use."""

    def surnames(self) -> Surnames:
        """The surname families in use."""

    def entry_label(self, kind: str, entry_id: str) -> str | None:
        """The name of an event or a person, or None if there is none."""


@dataclass(frozen=True)
class Changes:
    """A stretch of the records a viewer may read, in the order of their last change (see `SearchIndex.changes`)."""

    entries: list[tuple[str, str]]  # (time of the last change, ref "<kind>/<id>"), in the order asked for
    total: int  # how many the whole list holds (the bounds and the set applied, the cursor not)
    rest: int  # how many of them come after the cursor (all of them when there is none)


class IndexUnavailable(ArchiveError):
    """The search index is missing or damaged; a rebuild is under way. Pages that need it answer 503 "being
    rebuilt" (with Retry-After); pages that do not go on as usual."""

    code = "index-rebuilding"
    status = 503
    retry_after = 30

    def __init__(self, why: str):
        self.why = why
        super().__init__(f"the search index is {why}; it is being rebuilt")


def _storage(path: Path) -> FileStorage:
    """The index's folder, read without mapping it: whoosh reads a mapped segment file by copying it whole into
    memory (a BytesIO of the map), so each thread's searcher held a copy of the index (1.1 GB at 10,000 interviews)
    and made it again at each reopening after a commit. Unmapped, a segment is read through its one open file."""
    return FileStorage(str(path), supports_mmap=False)


def _reader(opened: FileIndex) -> IndexReader:
    """A reader over every segment of an open index, opened once. A segment that a commit merged away between
    reading the table of contents and opening its file is met by reading the table again (whoosh's own `reader()`
    retries any I/O error ten times and leaves a file open at each try); any other failure means damage, to be
    repaired, not retried."""
    toc = opened._read_toc()
    for _ in range(2):
        try:
            return opened._reader(opened.storage, toc.schema, toc.segments, toc.generation)
        except FileNotFoundError:
            if opened.latest_generation() == toc.generation:
                raise  # no newer table of contents: the file is missing, not merged away
            toc = opened._read_toc()
    return opened._reader(opened.storage, toc.schema, toc.segments, toc.generation)


def _searcher(opened: FileIndex) -> Searcher:
    return Searcher(_reader(opened), fromindex=opened)


def _merge_small_alike(writer: IndexWriter, segments: list) -> list:
    """The merge policy of a write (see MERGE_FAN): drop segments whose every document was replaced, and merge the
    smallest group of MERGE_FAN segments of about one size under MERGE_CAP, if there is one."""
    live = [segment for segment in segments if segment.doc_count() > 0]
    names = writer.storage.list()
    alike: dict[int, list] = {}
    for segment in live:
        prefix = f"{segment.segment_id()}."
        size = sum(writer.storage.file_length(name) for name in names if name.startswith(prefix))
        if size <= MERGE_CAP:
            alike.setdefault(int(math.log(max(size, 4096) / 4096, MERGE_FAN)), []).append(segment)
    group = next((found for _, found in sorted(alike.items()) if len(found) >= MERGE_FAN), [])
    for segment in group:
        with SegmentReader(writer.storage, writer.schema, segment) as reader:
            writer.add_reader(reader)
    return [segment for segment in live if segment not in group]


def _add_in_chunks(made: FileIndex, docs: Iterable[dict | None], progress: Callable[[int], object] | None) -> int:
    """Write documents into a new index, a commit per REBUILD_CHUNK characters (see there); return how many."""
    writer, chunk, added = None, 0, 0
    try:
        for doc in docs:
            if doc is not None:
                if writer is None:
                    writer = (
                        _Pool(made, procs=REBUILD_PROCESSES, batchsize=8, multisegment=True, limitmb=REBUILD_POOL_MB)
                        if REBUILD_PROCESSES > 1
                        else made.writer(limitmb=REBUILD_POOL_MB)
                    )
                writer.add_document(**doc)
                added += 1
                chunk += sum(len(value) for value in doc.values() if isinstance(value, str))
                if chunk >= REBUILD_CHUNK:
                    writer.commit(merge=False)
                    writer, chunk = None, 0
            if progress:
                progress(1)
        if writer is not None:
            writer.commit(merge=False)
    except BaseException:
        if writer is not None:
            for task in getattr(writer, "tasks", []):  # stopped before their files are taken away from them
                task.terminate()
                task.join(10)
            with suppress(Exception):
                writer.cancel()
        raise
    return added


class _Task(SubWriterTask):
    """One of whoosh's indexing processes, which here dies with the process that started it (a server killed in the
    middle of a rebuild leaves no process waiting on its queue for ever)."""

    def run(self) -> None:
        with suppress(Exception):  # Linux's prctl(PR_SET_PDEATHSIG, SIGKILL); elsewhere the daemon flag must do
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
        super().run()


class _Pool(MpWriter):
    """whoosh's MpWriter with `_Task`s, daemonic, so that they end with their parent."""

    def _new_task(self) -> _Task:
        task = _Task(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment)
        task.daemon = True
        self.tasks.append(task)
        task.start()
        return task


def _annexes_of(kind: str) -> query.Query:
    return query.And([query.Term("kind", ANNEX_KIND), query.Term("of_kind", kind)])


def _close_all(searchers: set[Searcher]) -> None:
    for searcher in list(searchers):
        _close_quietly(searcher)
    searchers.clear()


def _close_quietly(searcher: Searcher) -> None:
    """Close a searcher and the segment files it holds open, even when damage stops whoosh's own close half-way."""
    try:
        leaves = [leaf for leaf, _ in searcher.reader().leaf_readers()]
    except Exception:  # noqa: BLE001 - a damaged or closed reader: nothing more to find
        leaves = []
    with suppress(Exception):
        searcher.close()
    for leaf in leaves:
        files = getattr(getattr(leaf, "_storage", None), "a", None)  # a compound segment's one open file
        if isinstance(files, CompoundStorage) and not getattr(files, "is_closed", False):
            with suppress(Exception):
                files.close()


def _kept_filter(searcher: Searcher, readable: query.Query | None) -> BitSet | query.Query | None:
    """The documents a filter lets through, as a set kept with the searcher: a searcher never changes, and at
    10,000 interviews reading the access fields' postings for every query cost 165 ms of each. When it lets nothing
    through, the filter itself: whoosh reads an empty (so falsy) set as no filter at all."""
    if readable is None:
        return None
    kept = searcher.__dict__.setdefault("_archive_filters", {})
    key = repr(readable)  # the filter names the viewer's levels, grants and today's date
    if key not in kept:
        if len(kept) >= 32:
            kept.clear()
        found = BitSet(searcher.docs_for_query(readable), size=searcher.doc_count_all())
        kept[key] = found if len(found) else readable
    return kept[key]


def _records_filter(searcher: Searcher, viewer: Viewer) -> BitSet | query.Query:
    """What `viewer` may find: the records `allowed` lets through, never an annex (kept as `_kept_filter` keeps)."""
    readable = allowed(viewer)
    records = query.Not(query.Term("kind", ANNEX_KIND))
    return _kept_filter(searcher, records if readable is None else query.And([readable, records]))


def _with_annexes(whole: query.Query, searcher: Searcher, readable: BitSet | query.Query | None) -> query.Query:
    """Let each word or phrase asked of the `meta` field also find the documents whose annexes hold it in theirs
    (`ANNEX_FIELD`): the same query, each such part widened by the ids its readable annexes name. Only annexes have
    that field, so a part no note holds costs one look at a posting list."""

    def widen(part: query.Query) -> query.Query:
        if not part.is_leaf() or getattr(part, "fieldname", None) != "meta":
            return part
        asked = copy.copy(part)
        asked.fieldname = ANNEX_FIELD
        found = [
            docnum
            for docnum in asked.docs(searcher)
            if readable is None or (isinstance(readable, BitSet) and docnum in readable)  # a query: nothing readable
        ]
        owners = sorted({searcher.stored_fields(docnum)["of"] for docnum in found})
        return query.Or([part, *(query.Term("id", owner) for owner in owners)]) if owners else part

    return whole.accept(widen)


def _close_files_left_by(error: BaseException) -> None:
    """Close the files that whoosh held open in the frames that failed (it leaves them open when a damaged file
    stops it half-way), now rather than whenever the garbage collector comes by."""
    trace = error.__traceback__
    while trace is not None:
        for value in list(trace.tb_frame.f_locals.values()):
            if isinstance(value, io.IOBase | StructFile | CompoundStorage):
                try:
                    value.close()
                except Exception:  # noqa: BLE001, S110 - already closed, or half-made: nothing more to free
                    pass
        trace = trace.tb_next


LAYOUT_FILE = "layout"  # beside Whoosh's files (which it leaves alone): the LAYOUT the index was made with


def _layout(path: Path) -> str | None:
    """The layout an index folder was made with (schema.LAYOUT), or None for one made before it was written down."""
    try:
        return (path / LAYOUT_FILE).read_text("utf-8").strip()
    except OSError:
        return None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _spans(searcher: Searcher, hit: WhooshHit, field: str, terms: set[str]) -> list[tuple[int, int, str]]:
    """Where each of these words stands in one document's field (character offsets), read from the postings."""
    return _spans_of(searcher, [hit.docnum], field, terms)[hit.docnum]


def _spans_of(
    searcher: Searcher, docnums: list[int], field: str, terms: set[str]
) -> dict[int, list[tuple[int, int, str]]]:
    """`_spans` for several documents at once: each word's postings are read once, forward through the documents in
    order, rather than from their start for every document (a page of ten hits read them ten times)."""
    spans: dict[int, list[tuple[int, int, str]]] = {docnum: [] for docnum in docnums}
    reader = searcher.reader()
    wanted = sorted(set(docnums))
    for term in terms:
        matcher = reader.postings(field, term) if (field, term) in reader else None
        if matcher is None or not matcher.is_active():
            continue  # a word left only by deleted documents (corrected or redacted since): nothing to mark
        for docnum in wanted:
            try:
                if matcher.id() < docnum:
                    matcher.skip_to(docnum)
            except ReadTooFar:
                break
            if not matcher.is_active():
                break
            if matcher.id() == docnum:
                spans[docnum].extend((start, end, term) for _, start, end in matcher.value_as("characters"))
    return spans


def _commonest_forms(counts: dict[str, int]) -> dict[str, str]:
    """Each facet value's commonest entered form, from the counts of "<value>\t<form>". A tie goes to the fuller
    spelling (Glück before Gluck: its letters say more), then to one not in capitals (Załęski before ZAŁĘSKI)."""
    best: dict[str, tuple] = {}
    for pair, n in counts.items():
        value, _, form = (pair or "").partition("\t")
        if form:
            rank = (-n, -sum(not c.isascii() for c in form), form.isupper(), form)
            best[value] = min(best.get(value, rank), rank)
    return {value: rank[-1] for value, rank in best.items()}


class SearchIndex:
    """The index of one data root, made from the documents its source gives."""

    def __init__(self, path: Path, source: Source, lock_path: Path | None = None, background: bool = True):
        self.path = Path(path).absolute()
        self.source = source
        self.background = background  # repair a broken index in a thread (a server) or at once (a command)
        self._ix = None
        self._identity: tuple[int, int] | None = None  # the folder the open index was read from
        self._epoch = 0  # bumped whenever the open index is dropped: every thread's searcher is then reopened
        self._local = threading.local()
        # every thread's searcher, closed when this index is dropped: searchers hold the segments' files open
        self._searchers: set[Searcher] = set()
        weakref.finalize(self, _close_all, self._searchers)
        self._open_lock = threading.Lock()
        self._repairing = threading.Lock()  # held by the one thread of this process that repairs
        # set by the app to hand a repair to its job runner (one job, one process at a time, seen on /jobs/)
        self.on_damage: Callable[[], object] | None = None
        self._damage_told = 0.0
        # one rebuild at a time per data root, across every worker process
        self._file_lock = FileLock(str(lock_path or self.path.with_name(f".{self.path.name}.lock")))

    @property
    def gazetteer(self) -> Gazetteer:
        """The places in use: the archive's own copy once a historian has changed it (re-read in every worker when
        it changes), else the shipped one."""
        return self.source.gazetteer()

    @property
    def surnames(self) -> Surnames:
        """The surname families in use, like the gazetteer."""
        return self.source.surnames()

    # --- opening and writing ----------------------------------------------------------------------------------

    def ix(self) -> FileIndex:
        """The open index, reopened when its folder has been replaced (a rebuild swaps in a new one); raise
        IndexUnavailable when it is missing, damaged or of another layout (see `ensure`)."""
        with self._open_lock:
            identity = _identity(self.path)
            if self._ix is not None and identity == self._identity:
                return self._ix
            self._ix, self._identity = None, None
            self._epoch += 1
            self._ix, self._identity = self._open(), identity
            return self._ix

    def _open(self):
        """Open the index and one reader over it (which opens every segment), or say why it cannot be used."""
        if not self.path.is_dir() or not any(self.path.glob("*.toc")):
            raise IndexUnavailable("missing")
        try:
            opened = _storage(self.path).open_index()
        except Exception as error:  # noqa: BLE001 - whatever a damaged table of contents raises
            _close_files_left_by(error)
            raise IndexUnavailable(f"damaged ({type(error).__name__})") from error
        if set(opened.schema.names()) != set(SCHEMA.names()) or _layout(self.path) != LAYOUT:
            opened.close()
            raise IndexUnavailable("made by another version of the archive")
        try:
            with _reader(opened) as reader:
                reader.doc_count()
        except Exception as error:  # noqa: BLE001 - a segment missing or unreadable
            _close_files_left_by(error)
            opened.close()
            raise IndexUnavailable(f"damaged ({type(error).__name__})") from error
        return opened

    def _forget(self) -> None:
        """Drop the open index and every thread's searcher, so that the next use opens what is on disk."""
        with self._open_lock:
            self._ix, self._identity = None, None
            self._epoch += 1

    @contextmanager
    def _guard(self):
        """Run index work for a request: if the index turns out to be missing or damaged, start one repair in the
        background and raise IndexUnavailable, so the page says "being rebuilt" instead of failing."""
        try:
            yield
        except IndexUnavailable:
            self._forget()
            self.repair()
            raise
        except Exception as error:
            if self.healthy():
                raise  # the index is sound: this is a fault of ours, to be seen, not papered over by rebuilding
            _close_files_left_by(error)
            self._forget()
            self.repair()
            raise IndexUnavailable(f"damaged ({type(error).__name__})") from error

    def healthy(self) -> bool:
        """Tell whether the index on disk opens, and reads its stored fields and a search back."""
        try:
            opened = self._open()
        except IndexUnavailable:
            return False
        try:
            with _searcher(opened) as searcher:
                for _ in searcher.all_stored_fields():
                    pass
                searcher.search(query.Every(), limit=1)
            return True
        except Exception as error:  # noqa: BLE001
            _close_files_left_by(error)
            return False
        finally:
            opened.close()

    def repair(self, wait: bool = False) -> None:
        """Rebuild a missing or damaged index once: by one thread of this process (others go on answering
        "being rebuilt"), and by one process of this data root at a time (the others wait for it, then find the
        index whole). In the background unless `wait` or the index was made with `background=False` (commands)."""
        if not wait and self.background and self.on_damage is not None:
            if time.monotonic() - self._damage_told > DAMAGE_TOLD_EVERY:  # not a database write per request
                self._damage_told = time.monotonic()
                self.on_damage()
            return
        if not self._repairing.acquire(blocking=wait):
            return
        if wait or not self.background:
            self._repair_now()
        else:
            threading.Thread(target=self._repair_now, daemon=True, name="index-repair").start()

    def _repair_now(self) -> None:
        try:
            self._rebuild_unless_healthy()
        except Exception:  # noqa: BLE001 - a repair must never take the server down; the next request retries
            logging.getLogger(__name__).exception("the search index could not be rebuilt")
        finally:
            self._repairing.release()

    def rebuild_unless_healthy(self, progress: Callable[[int], object] | None = None) -> int | None:
        """Repair now, by this thread (a job's): rebuild unless the index is whole; return the documents indexed,
        or None when there was nothing to repair."""
        with self._repairing:
            return self._rebuild_unless_healthy(progress=progress)

    def _rebuild_unless_healthy(
        self, catch_up: bool = True, progress: Callable[[int], object] | None = None
    ) -> int | None:
        """Rebuild under the data root's lock, unless the index is whole by then (another process rebuilt it while
        this one waited for the lock)."""
        count = None
        with self._file_lock:
            if not self.healthy():
                logging.getLogger(__name__).warning(
                    "no whole search index (missing, damaged or of an older layout); rebuilding it"
                )
                count = self.rebuild(progress=progress, catch_up=catch_up)
                logging.getLogger(__name__).warning("the search index is rebuilt (%d documents)", count)
        self._forget()
        return count

    def ensure(self) -> None:
        """Make sure there is an index before the app serves: an empty collection gets an empty index at once (it
        is complete); a missing or damaged one over a collection is left to `repair`."""
        try:
            self.ix()
        except IndexUnavailable:
            if not self.source.present():
                self._rebuild_unless_healthy()

    def _document_or_none(self, doc_id: str) -> dict | None:
        """A document, or None (left out of the index, and logged) when a record cannot be made one: one bad record
        must not keep the rest of the archive out of search."""
        try:
            return self.source.document(doc_id)
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).exception("could not index %s; it is left out of search", doc_id)
            return None

    def update(self, doc_ids: list[str]) -> None:
        """Write (or remove) the documents of these interviews (and "media/<id>" items) in one commit; raise
        IndexUnavailable (a repair under way) when the index cannot be written."""
        with self._guard():
            writer = self.ix().writer(timeout=60, delay=0.05)
            try:
                with writer.searcher() as current:
                    for doc_id in doc_ids:
                        for one in filter(None, (doc_id, self.source.annex(doc_id))):
                            self._write(writer, current, one)
                writer.commit(mergetype=_merge_small_alike)
            except BaseException:  # cancelled, so that its write lock is released now, not when it is collected
                with suppress(Exception):  # a damaged index may not even cancel; the first error is what counts
                    writer.cancel()
                raise

    def _write(self, writer: IndexWriter, current: Searcher, doc_id: str) -> None:
        """Write one document, or remove it; one whose stamp is the indexed one is left as it is (a new remark
        changes an interview's annex, not its transcript, whose postings are the costly part of a commit)."""
        indexed = current.document(id=doc_id)
        if indexed is not None and indexed.get("stamp") == self.source.stamp(doc_id):
            return
        doc = self._document_or_none(doc_id)
        if doc is None:
            writer.delete_by_term("id", doc_id)
        else:
            writer.update_document(**doc)

    def check(self, repair: bool = True) -> dict[str, list[str]]:
        """Compare the index with the collection; repair stale, missing and orphaned documents. A missing or damaged
        index is rebuilt first (here, not in the background: callers of check can wait)."""

        def stamps() -> dict[str, str]:
            with _searcher(self.ix()) as searcher:
                return {f["id"]: f.get("stamp") for f in searcher.all_stored_fields()}

        try:
            indexed = stamps()
        except Exception:  # noqa: BLE001 - missing, damaged, or of another layout
            if not repair:
                raise
            self._rebuild_unless_healthy(catch_up=False)  # this check is the catching up
            indexed = stamps()
        present = set(self.source.present())
        found = {
            "missing": sorted(present - set(indexed)),
            "orphaned": sorted(set(indexed) - present),
            "stale": sorted(i for i in present & set(indexed) if indexed[i] != self.source.stamp(i)),
        }
        todo = found["missing"] + found["orphaned"] + found["stale"]
        if repair and todo:
            for start in range(0, len(todo), 200):
                self.update(todo[start : start + 200])
        return found

    def rebuild(self, progress: Callable[[int], object] | None = None, catch_up: bool = True) -> int:
        """Make the index anew from the collection in a folder beside it, then swap it in whole: until then
        readers keep the old one (or, if it was broken, go on hearing "being rebuilt"). `progress(n)` is called
        after each document. Changes indexed into the old one meanwhile are caught up by a check afterwards."""
        with self._file_lock:
            parent = self.path.parent
            parent.mkdir(parents=True, exist_ok=True)
            for leftover in parent.glob(f".{self.path.name}-*"):  # an earlier rebuild killed half-way
                shutil.rmtree(leftover, ignore_errors=True)
            fresh = parent / f".{self.path.name}-new-{secrets.token_hex(4)}"
            old = parent / f".{self.path.name}-old-{secrets.token_hex(4)}"
            fresh.mkdir()
            try:
                made = _storage(fresh).create_index(SCHEMA)
                (fresh / LAYOUT_FILE).write_text(LAYOUT + "\n", "utf-8")
                ids = self.source.present()
                added = _add_in_chunks(made, (self._document_or_none(i) for i in ids), progress)
                with _reader(made) as reader:
                    if reader.doc_count() != added:  # a process of the pool lost its segment: refuse the result
                        raise IndexUnavailable(f"rebuilt with {reader.doc_count()} of {added} documents")
                made.close()
                if self.path.exists():
                    os.rename(self.path, old)
                os.rename(fresh, self.path)
            except BaseException:
                shutil.rmtree(fresh, ignore_errors=True)
                raise
            shutil.rmtree(old, ignore_errors=True)
        self._forget()
        if catch_up:
            try:
                self.check(repair=True)
            except Exception:  # noqa: BLE001 - the rebuilt index stands; the next check catches up
                logging.getLogger(__name__).exception("could not catch the rebuilt index up with the collection")
        return len(ids)

    # --- searching --------------------------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """A searcher for this thread, reopened only when the index has changed or been replaced."""
        opened = self.ix()
        current, epoch = getattr(self._local, "searcher", None), getattr(self._local, "epoch", None)
        if current is not None and (epoch != self._epoch or not current.up_to_date()):
            # opened afresh, not refresh()ed: whoosh-reloaded 2.7.5's refresh keeps old segments' deletion lists
            # (replaced documents went on matching with their old access) and fails on an index that was empty
            _close_quietly(current)  # its files may be gone or damaged: it is dropped either way
            with self._open_lock:
                self._searchers.discard(current)
            current = None
        if current is None:
            current = _searcher(opened)
            with self._open_lock:
                self._searchers.add(current)
        self._local.searcher, self._local.epoch = current, self._epoch
        return current

    def query(
        self,
        q: str,
        filters: dict[str, list[str]] | None,
        viewer: Viewer,
        page: int = 1,
        sort: str = "relevance",
        page_size: int = PAGE_SIZE,
        scope: str | None = None,
    ) -> Results:
        """Search as `viewer` may, over everything or one `scope` ("interview" or "media"); never raises on what a
        person types."""
        filters = {k: [v for v in vs if v] for k, vs in (filters or {}).items() if k in FACETS}
        parsed = Parsed(q or "", self.gazetteer, self.surnames)
        clauses = [parsed.query] if parsed.query is not None else []
        for facet, values in filters.items():
            if values:
                clauses.append(query.And([query.Term(f"f_{facet}", v) for v in values]))
        if scope:
            clauses.append(query.Term("kind", scope))
        if not clauses:  # annexes are left out by the filter (`_records_filter`)
            clauses = [query.Every()]
        whole = query.And(clauses) if len(clauses) > 1 else clauses[0]
        with self._guard():
            return self._results(whole, parsed, q, filters, viewer, page, sort, page_size)

    def _results(
        self,
        whole: query.Query,
        parsed: Parsed,
        q: str,
        filters: dict,
        viewer: Viewer,
        page: int,
        sort: str,
        page_size: int,
    ) -> Results:
        searcher = self.searcher()
        whole = _with_annexes(whole, searcher, _kept_filter(searcher, allowed(viewer)))
        readable = _records_filter(searcher, viewer)
        facets = {name: CountedFacet(f"f_{name}") for name in FACETS}
        facets["surname_forms"] = CountedFacet("surname_forms")
        sortedby = {"date": sorting.FieldFacet("date_sort"), "title": sorting.FieldFacet("title_sort")}.get(sort)
        page = max(1, page)
        results = searcher.search(whole, filter=readable, limit=page * page_size, groupedby=facets, sortedby=sortedby)
        total = len(results)
        if total and (page - 1) * page_size >= total:  # past the end: show the last page
            page = -(-total // page_size)
            results = searcher.search(
                whole, filter=readable, limit=page * page_size, groupedby=facets, sortedby=sortedby
            )
        shown = results[(page - 1) * page_size : page * page_size]
        terms = transcript_terms(parsed.query, searcher.reader()) if parsed.query is not None else set()
        words = transcript_terms(parsed.query, searcher.reader(), "contents") if parsed.query is not None else set()
        interviews = [h.docnum for h in shown if h.fields()["kind"] == "interview"]
        in_text = _spans_of(searcher, interviews, "text", terms) if terms else {}
        in_contents = _spans_of(searcher, interviews, "contents", words) if words else {}
        hits = [self._hit(searcher, h, terms, words, in_text, in_contents) for h in shown]
        wanted = {
            (kind, value)
            for facet, kind in (("event", "events"), ("person", "people"), ("village", "places"))
            for value in filters.get(facet, [])
        }
        for hit in hits if wanted else []:
            if hit.kind == "interview":
                hit.passages = [Passage(a, quote) for a, quote in self.source.passages(hit.id, wanted)]
        counts = {
            name: sorted(((v, n) for v, n in results.groups(name).items() if v), key=lambda kv: (-kv[1], kv[0]))
            for name in FACETS
        }
        entered = _commonest_forms(results.groups("surname_forms"))
        return Results(
            hits=hits,
            total=total,
            page=page,
            pages=max(1, -(-total // page_size)),
            facets={k: [(v, self.label(k, v, entered), n) for v, n in vs if v] for k, vs in counts.items()},
            query=q,
            filters=filters,
            sort=sort,
            variants=parsed.variants,
            message=parsed.message,
            suggestions=self.suggestions(parsed.words) if total == 0 else [],
        )

    @lru_cache(maxsize=512)  # noqa: B019 - one index per app; keyed by stamp, so an edit is never served stale
    def _segments(self, interview_id: str, stamp: str) -> tuple[list[dict], list[int]]:
        return self.source.segments(interview_id)

    def within(self, q: str, interview_id: str, viewer: Viewer, limit: int = WITHIN_LIMIT) -> list[SegmentHit]:
        """Search one interview's transcript as `viewer` may (the same words, folding and access filter as the
        archive's search): every passage that holds a word of the query, in the transcript's order, at most
        `limit`. Nothing when the viewer may not read the interview or the query has no words."""
        parsed = Parsed(q or "", self.gazetteer, self.surnames)
        if parsed.query is None:
            return []
        whole = query.And([parsed.query, query.Term("id", interview_id), query.Term("kind", "interview")])
        with self._guard():
            searcher = self.searcher()
            found = searcher.search(whole, filter=_kept_filter(searcher, allowed(viewer)), limit=1)
            if not len(found):
                return []
            stored = found[0].fields()
            terms = transcript_terms(parsed.query, searcher.reader())
            segments, starts = self._segments(stored["id"], stored["stamp"])
            spans = _spans(searcher, found[0], "text", terms)
        hits = best_segments(segments, starts, spans, limit=None)
        return sorted(hits, key=lambda h: h.n)[:limit]

    @lru_cache(maxsize=512)  # noqa: B019 - as _segments
    def _points(self, interview_id: str, stamp: str) -> tuple[list[dict], str, list[int]]:
        return self.source.points(interview_id)

    def _hit(
        self,
        searcher: Searcher,
        hit: WhooshHit,
        terms: set[str],
        words: set[str] = frozenset(),
        in_text: dict | None = None,
        in_contents: dict | None = None,
    ) -> Hit:
        """A hit with its best passages and index points; `in_text` and `in_contents`, when given, are the spans of
        the page's hits read at once (`_spans_of`)."""
        stored = hit.fields()
        if not (terms or words) or stored["kind"] != "interview":
            return Hit(stored["id"], stored["kind"], stored["display"], [])
        found = Hit(stored["id"], stored["kind"], stored["display"], [])
        if terms:
            segments, starts = self._segments(stored["id"], stored["stamp"])
            spans = in_text[hit.docnum] if in_text is not None else _spans(searcher, hit, "text", terms)
            found.segments = best_segments(segments, starts, spans)
        if words:
            points, text, starts = self._points(stored["id"], stored["stamp"])
            spans = in_contents[hit.docnum] if in_contents is not None else _spans(searcher, hit, "contents", words)
            found.points = best_points(points, starts, text, spans)
        return found

    def label(self, facet: str, value: str, entered: dict[str, str] | None = None) -> str:
        """What a facet value is called: a vocabulary entry by its name, a surname the vocabulary does not know as it
        was entered (the commonest of its forms among the records counted, `entered`), anything else as it is."""
        if facet in ("village", "place", "region") and value in self.gazetteer.places:
            return self.gazetteer.places[value].name()
        if facet in ("event", "person"):
            return self.source.entry_label("events" if facet == "event" else "people", value) or value
        if facet == "surname":
            known = self.surnames.surnames.get(value)
            return known.label() if known else (entered or {}).get(value, value)
        return value

    def suggestions(self, words: list[str]) -> list[str]:
        """Offer names from the vocabularies (public knowledge, so nothing restricted can leak through them)."""
        found = []
        for word in words:
            for place in self.gazetteer.suggest(word, limit=2):
                found.append(place.name())
            for surname in self.surnames.suggest(word, limit=2):
                found.append(surname.label())
        return [s for s in dict.fromkeys(found) if fold(s) not in {fold(w) for w in words}][:5]

    def linked_to(self, ref: str, viewer: Viewer, limit: int = 200, scope: str = "interview") -> list[str]:
        """The interviews (or, with scope "media", the "media/<id>" items) the viewer may read that link `ref`
        ("events/<id>", "places/<id>", "people/<id>", "interviews/<id>"), newest first by date."""
        with self._guard():
            searcher = self.searcher()
            results = searcher.search(
                query.And([query.Term("linked", ref), query.Or([query.Term("kind", scope), _annexes_of(scope)])]),
                filter=_kept_filter(searcher, allowed(viewer)),
                limit=limit,
                sortedby=sorting.FieldFacet("date_sort", reverse=True),
            )
            return list(dict.fromkeys(hit.get("of") or hit["id"] for hit in results))[:limit]

    def changes(
        self,
        viewer: Viewer,
        limit: int | None,
        newest_first: bool = False,
        after: tuple[str, str] | None = None,
        since: str = "",
        until: str = "",
        within: str = "",
    ) -> Changes:
        """The records `viewer` may read (through the same access filter as `query`), in the order of their last
        change with ties by ref: oldest first, or with `newest_first` newest first (ties still by ref), at most
        `limit` of them. `after` (time, ref), oldest first only, starts after that record; `since` and `until` bound
        the change's UTC stamp ("YYYY-MM-DDThh:mm:ssZ", both included); `within` keeps an OAI-PMH set and its
        subsets. Nothing is read but the index: the records themselves are the caller's to read (and to ask
        access.py about again, for a write the index has not caught up with)."""
        if newest_first and after is not None:
            raise ValueError("a cursor goes with the oldest-first order")
        bounds: list[query.Query] = []  # (annexes are left out by the filter, `_records_filter`)
        if since or until:
            bounds.append(query.TermRange("changed_stamp", since or None, until or None))
        if within:
            bounds.append(query.Or([query.Term("sets", within), query.Prefix("sets", within + ":")]))
        order = sorting.FieldFacet("changed")

        def search(clauses: list, limit: int | None):
            whole = query.And(clauses) if len(clauses) > 1 else (clauses[0] if clauses else query.Every())
            return searcher.search(whole, filter=readable, limit=limit, sortedby=order, reverse=newest_first)

        with self._guard():
            searcher = self.searcher()
            readable = _records_filter(searcher, viewer)
            if after is not None:
                total = len(search(bounds, 1))
                bounds.append(query.TermRange("changed", changed_key(*after), None, startexcl=True))
            # newest first, the index sorts the records of one time by ref backwards: one more than asked for tells
            # whether the last time shown has more records than the stretch holds (then all of them are taken)
            found = search(bounds, limit + 1 if newest_first and limit is not None else limit)
            entries, rest = [changed_of(hit["changed"]) for hit in found], len(found)
            if after is None:
                total = rest
            if (
                newest_first
                and limit is not None
                and len(entries) > limit
                and entries[limit][0] == entries[limit - 1][0]
            ):
                last = entries[limit][0]
                tied = search([*bounds, query.TermRange("changed", f"{last}\t", f"{last}\t\uffff")], None)
                entries = [e for e in entries if e[0] != last] + [changed_of(hit["changed"]) for hit in tied]
        if newest_first:
            entries.sort(key=lambda e: e[1])
            entries.sort(key=lambda e: e[0], reverse=True)
        return Changes(entries[:limit] if limit is not None else entries, total, rest)

    def sets(self, viewer: Viewer) -> list[str]:
        """The OAI-PMH setSpecs the documents `viewer` may read name (each document's own, not their parents)."""
        with self._guard():
            searcher = self.searcher()
            found = searcher.search(
                query.Every(),
                filter=_records_filter(searcher, viewer),
                limit=1,
                groupedby={"sets": CountedFacet("sets")},
            )
            return sorted(value for value in found.groups("sets") if value)

    def browse(self, facet: str, viewer: Viewer, scope: str | None = None) -> list[tuple[str, str, int]]:
        """List a facet's values with counts over everything the viewer may see."""
        return self.query("", None, viewer, page_size=1, scope=scope).facets.get(facet, [])
