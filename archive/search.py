"""Search: the only module that knows Whoosh.

One document per interview (or media item): far fewer, longer documents than one per segment, so a query walks
short posting lists. The transcript is indexed with the character offsets of every token; the segments of the page
of hits shown are found afterwards from those offsets, without re-reading or re-tokenising whole transcripts.

The index is derived: `rebuild` makes it from the collection, `check` repairs what is stale (each document stores a
stamp of the files it was made from), and nothing here is the truth about anything.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import html
import io
import logging
import os
import re
import secrets
import shutil
import threading
import unicodedata
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from filelock import FileLock
from markupsafe import Markup
from whoosh import fields, index, query, sorting
from whoosh.analysis import Filter, RegexTokenizer
from whoosh.filedb.structfile import StructFile
from whoosh.lang import stemmer_for_language
from whoosh.matching import ReadTooFar
from whoosh.searching import Searcher

from . import access, annotations, interviews, media, redaction, vocab
from .collection import Collection
from .errors import ArchiveError, CollectionError
from .metadata import earliest_day
from .names import Gazetteer, Surnames, fold, variants

FACETS = (
    "village",
    "surname",
    "region",
    "decade",
    "event",
    "place",
    "person",
    "language",
    "kind",
    "narrator",
    "interviewer",
    "collection",
    "institution",
)
FIELD_QUERIES = {
    "village",
    "place",
    "surname",
    "narrator",
    "interviewer",
    "language",
    "decade",
    "collection",
    "kind",
    "institution",
    "title",
    "region",
    "event",
    "person",
    "speaker",
}
PAGE_SIZE = 10
SEGMENTS_PER_HIT = 3
SNIPPET_CHARS = 320

_STOP = frozenset(
    """
a an and are as at be but by for from had has have he her his i in is it its of on or she that the their them they
this to was we were what when where which who will with you your
а без бы был была были было в вам вас весь во вот все всё вы да для до его ее её если есть же за и из или им их
к как ко когда кто ли мне мы на над не нет ни но ну о об он она они оно от по под при с со так там то тоже только
у уж что чтобы это я
""".split()
)
_HOMOGLYPHS_TO_CYRILLIC = str.maketrans("aceopxykmtbh", "асеорхукмтвн")
_HOMOGLYPHS_TO_LATIN = str.maketrans("асеорхукмтвн", "aceopxykmtbh")
_STEM = {"cyrillic": stemmer_for_language("ru"), "latin": stemmer_for_language("en")}
_HANGUL_RE = re.compile(r"[\uac00-\ud7a3]+")


@lru_cache(maxsize=300_000)
def fold_token(text: str) -> str | None:
    """Normalise one word for the index: NFKC, case, look-alike letters, Latin accents, ё, stems.

    Stop words stay in the index: some are names too (О and У are Korean surnames in Cyrillic); the query drops
    them where they are only grammar."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    cyrillic = sum("а" <= c <= "я" or c == "ё" for c in text)
    latin = sum("a" <= c <= "z" for c in text)
    if cyrillic and latin:  # "Цoй" typed with a Latin o: follow the script most of the word is in
        text = text.translate(_HOMOGLYPHS_TO_CYRILLIC if cyrillic >= latin else _HOMOGLYPHS_TO_LATIN)
        latin = 0 if cyrillic >= latin else latin
    if latin or any(ord(c) > 127 and "LATIN" in unicodedata.name(c, "") for c in text):
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        text = text.replace("ı", "i").replace("'", "")
    text = text.replace("ё", "е")
    if not text:
        return None
    script = "cyrillic" if cyrillic else "latin" if text.isascii() else None
    return _STEM[script](text) if script and len(text) > 3 else text


class _Normalise(Filter):
    """Fold every token. A run of Hangul is indexed with each of its substrings (up to 8 syllables) at the run's
    position, so a word or a name inside a longer run ("우슈토베" in "우슈토베에서") is one term to look up.

    With `pairs`, emit instead each pair of adjacent words ("в деревн"), so that a phrase is found by looking up its
    pairs rather than by comparing positions across whole transcripts."""

    def __init__(self, pairs: bool = False):
        self.pairs = pairs

    def __call__(self, tokens):
        previous = None
        for t in tokens:
            if _HANGUL_RE.fullmatch(t.text):
                run, start = t.text, t.startchar if t.chars else 0
                if self.pairs:
                    word = run[:MAX_HANGUL]
                else:
                    for i in range(len(run)):
                        for j in range(i + 1, min(len(run), i + MAX_HANGUL) + 1):
                            t.text = run[i:j]
                            if t.chars:
                                t.startchar, t.endchar = start + i, start + j
                            yield t
                    continue
            else:
                word = fold_token(t.text)
                if word is None:
                    continue
                if not self.pairs:
                    t.text = word
                    yield t
                    continue
            if previous is not None:
                t.text = f"{previous} {word}"
                yield t
            previous = word


MAX_HANGUL = 8
ANALYZER = RegexTokenizer(r"\w+(?:['’]\w+)*") | _Normalise()
PAIRS = RegexTokenizer(r"\w+(?:['’]\w+)*") | _Normalise(pairs=True)


def _facet() -> fields.KEYWORD:
    return fields.KEYWORD(commas=True, scorable=False, sortable=True, lowercase=False)


SCHEMA = fields.Schema(
    id=fields.ID(stored=True, unique=True),
    kind=fields.ID(stored=True),
    stamp=fields.STORED(),
    display=fields.STORED(),
    title=fields.TEXT(analyzer=ANALYZER, field_boost=3.0),
    meta=fields.TEXT(analyzer=ANALYZER, field_boost=1.5),
    narrator_text=fields.TEXT(analyzer=ANALYZER),
    interviewer_text=fields.TEXT(analyzer=ANALYZER),
    text=fields.TEXT(analyzer=ANALYZER, phrase=True, chars=True),
    pairs=fields.TEXT(analyzer=PAIRS, phrase=False),
    access=fields.ID(),  # the record's level, or "withdrawn" once its contributor has withdrawn consent
    contribution=fields.ID(),  # the family contribution a `family` record came from
    embargo=fields.NUMERIC(int, bits=32),
    date_sort=fields.NUMERIC(int, bits=32, sortable=True),
    title_sort=fields.ID(sortable=True),
    linked=fields.KEYWORD(commas=True, scorable=False, lowercase=False),  # "events/<id>": what annotations link
    **{f"f_{name}": _facet() for name in FACETS},
)


# --- documents ----------------------------------------------------------------------------------------------------


def stamp_of(collection: Collection, interview_id: str) -> str:
    """Fingerprint the files a document is made from; a different stamp means the document is stale."""
    digest = hashlib.sha256()
    for name in ("interview.json", "segments.json", "annotations.json"):
        try:
            digest.update(collection.read("interviews", interview_id, name).version.encode())
        except CollectionError:
            digest.update(b"-")
    return digest.hexdigest()


class IndexUnavailable(ArchiveError):
    """The search index is missing or damaged; a rebuild is under way. Pages that need it answer 503 "being
    rebuilt" (with Retry-After); pages that do not go on as usual."""

    retry_after = 30

    def __init__(self, why: str):
        self.why = why
        super().__init__(f"the search index is {why}; it is being rebuilt")


def _reader(opened):
    """A reader over every segment of an open index, opened once. (Whoosh's own `reader()` tries ten times on any
    I/O error, for a writer racing it, and leaves a file open at each try; here a rebuild swaps whole folders, so a
    failure means damage, to be repaired, not retried.)"""
    toc = opened._read_toc()
    return opened._reader(opened.storage, toc.schema, toc.segments, toc.generation)


def _searcher(opened) -> Searcher:
    return Searcher(_reader(opened), fromindex=opened)


def _close_files_left_by(error: BaseException) -> None:
    """Close the files that whoosh held open in the frames that failed (it leaves them open when a damaged file
    stops it half-way), now rather than whenever the garbage collector comes by."""
    trace = error.__traceback__
    while trace is not None:
        for value in list(trace.tb_frame.f_locals.values()):
            if isinstance(value, io.IOBase | StructFile):
                try:
                    value.close()
                except Exception:  # noqa: BLE001, S110 - already closed, or half-made: nothing more to free
                    pass
        trace = trace.tb_next


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _clean(value: str) -> str:
    return value.replace(",", " ").strip()


def _decade(date: str) -> str | None:
    day = earliest_day(date)
    return f"{day // 100000 * 10}s" if day >= 10000000 else None  # a decade from year 1000 on; "XXXX" has none


class SearchIndex:
    """The index of one data root, with the vocabularies its documents are made with."""

    def __init__(self, path: Path, collection: Collection, lock_path: Path | None = None, background: bool = True):
        self.path = Path(path).absolute()
        self.collection = collection
        self.background = background  # repair a broken index in a thread (a server) or at once (a command)
        self._ix = None
        self._identity: tuple[int, int] | None = None  # the folder the open index was read from
        self._epoch = 0  # bumped whenever the open index is dropped: every thread's searcher is then reopened
        self._local = threading.local()
        self._open_lock = threading.Lock()
        self._repairing = threading.Lock()  # held by the one thread of this process that repairs
        # one rebuild at a time per data root, across every worker process
        self._file_lock = FileLock(str(lock_path or self.path.with_name(f".{self.path.name}.lock")))

    @property
    def gazetteer(self) -> Gazetteer:
        """The places in use: the archive's own copy once a historian has changed it (re-read in every worker when
        it changes), else the shipped one."""
        return vocab.gazetteer(self.collection)

    @property
    def surnames(self) -> Surnames:
        """The surname families in use, like the gazetteer."""
        return vocab.current(self.collection, "surnames")[0]

    # --- opening and writing ----------------------------------------------------------------------------------

    def ix(self):
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
            opened = index.open_dir(str(self.path))
        except Exception as error:  # noqa: BLE001 - whatever a damaged table of contents raises
            _close_files_left_by(error)
            raise IndexUnavailable(f"damaged ({type(error).__name__})") from error
        if set(opened.schema.names()) != set(SCHEMA.names()):
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

    def _rebuild_unless_healthy(self, catch_up: bool = True) -> None:
        """Rebuild under the data root's lock, unless the index is whole by then (another process rebuilt it while
        this one waited for the lock)."""
        with self._file_lock:
            if not self.healthy():
                logging.getLogger(__name__).warning(
                    "no whole search index (missing, damaged or of an older layout); rebuilding it"
                )
                count = self.rebuild(catch_up=catch_up)
                logging.getLogger(__name__).warning("the search index is rebuilt (%d documents)", count)
        self._forget()

    def ensure(self) -> None:
        """Make sure there is an index before the app serves: an empty collection gets an empty index at once (it
        is complete); a missing or damaged one over a collection is left to `repair`."""
        try:
            self.ix()
        except IndexUnavailable:
            if not self.present():
                self._rebuild_unless_healthy()

    def stamp(self, doc_id: str) -> str:
        """The files a document is made from, and the vocabularies its facets were counted with."""
        versions = (vocab.current(self.collection, name)[1][:12] for name in ("surnames", "places"))
        if doc_id.startswith("media/"):
            try:
                made_from = self.collection.read("media", doc_id[6:], "item.json").version
            except CollectionError:
                made_from = "-"
        else:
            made_from = stamp_of(self.collection, doc_id)
        return f"{made_from}:{':'.join(versions)}"

    def present(self) -> list[str]:
        """The ids of every document the collection calls for: interview ids, and "media/<id>" for items."""
        return self.collection.ids("interviews") + [f"media/{i}" for i in self.collection.ids("media")]

    def document(self, doc_id: str) -> dict | None:
        """Make the index document of an interview (or of "media/<id>"), or None if there is no such thing."""
        if doc_id.startswith("media/"):
            return self._item_document(doc_id[6:])
        interview_id = doc_id
        try:
            interview = interviews.load(self.collection, interview_id)
        except CollectionError:
            return None
        record = interview.record
        segments, notes = redaction.for_reader(self.collection, interview_id, False)  # one index for all: masked,
        every = annotations.items(self.collection, interview_id) if segments else []  # and no redaction's words
        places = [p for key in ("villages", "deported_to", "later_homes") for p in record.get(key, [])]
        places += [record[key] for key in ("birthplace",) if record.get(key)]
        village_ids = {p["place"] for p in places if p.get("place")}
        linked = set().union(*(annotations.link_pairs(a) for a in notes))
        village_ids |= {entry_id for kind, entry_id in linked if kind == "places"}
        remarks = [" ".join([*annotations.tags(a), annotations.note(a)]) for a in notes]
        regions = self._regions(village_ids | ({record["place"]["place"]} if record.get("place") else set()))
        surname_ids = self._surname_ids(record.get("surnames", []))
        narrators = [n["name"] for n in record.get("narrators", [])]
        narrator_forms = narrators + [f for n in record.get("narrators", []) for f in n.get("other_forms", [])]
        place_names = [p["name"] for p in places] + ([record["place"]["name"]] if record.get("place") else [])
        place_labels = [self.gazetteer.places[i].name() for i in village_ids if i in self.gazetteer.places]
        toc = [
            " ".join([p.get("title", ""), p.get("synopsis", ""), " ".join(p.get("keywords", []))])
            for p in record.get("toc", [])
        ]
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
                "access": record.get("access", "staff"),
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
                    *toc,
                    *remarks,
                ]
            ),
            "narrator_text": " ".join(narrator_forms),
            "interviewer_text": " ".join(record.get("interviewers", [])),
            "text": text,
            "pairs": text,
            **_access_fields(record),
            "date_sort": earliest_day(record["date"]) if record.get("date") else 0,
            "title_sort": interview.title.casefold(),
            "f_village": ",".join(sorted(village_ids)),
            "f_place": record["place"]["place"] if record.get("place", {}).get("place") else "",
            "f_region": ",".join(sorted(regions)),
            "f_surname": ",".join(sorted(_clean(s) for s in surname_ids)),
            "f_decade": decade or "",
            "f_language": ",".join(record.get("languages", [])),
            "f_kind": "interview",
            "f_narrator": ",".join(_clean(n) for n in narrators),
            "f_interviewer": ",".join(_clean(n) for n in record.get("interviewers", [])),
            "f_collection": _clean(record.get("collection", "")),
            "f_event": ",".join(sorted(e for kind, e in linked if kind == "events")),
            "f_person": ",".join(sorted(e for kind, e in linked if kind == "people")),
            "linked": ",".join(
                [
                    *sorted(f"{kind}/{e}" for kind, e in linked),
                    *(f"annotations/{annotations.short_id(a)}" for a in every),
                ]
            ),
        }

    def _regions(self, place_ids: set[str]) -> set[str]:
        """Every place that holds one of these places: district, region, country."""
        regions: set[str] = set()
        for place_id in place_ids:
            place = self.gazetteer.places.get(place_id)
            while place is not None and place.within and place.within not in regions:
                regions.add(place.within)
                place = self.gazetteer.places.get(place.within)
        return regions

    def _surname_ids(self, names: list[str]) -> set[str]:
        found: set[str] = set()
        for name in names:
            matched = self.surnames.match(name)
            found.update(s.id for s in matched) if matched else found.add(fold(name))
        return found

    def _item_document(self, item_id: str) -> dict | None:
        try:
            item = media.load(self.collection, item_id)
        except CollectionError:
            return None
        record = item.record
        place_ids = {p["place"] for p in record.get("places", []) if p.get("place")}
        people = record.get("people", [])
        linked = {f"places/{p}" for p in place_ids} | {f"events/{e}" for e in record.get("events", [])}
        linked |= {f"people/{p['person']}" for p in people if p.get("person")}
        linked |= {f"interviews/{i}" for i in record.get("interviews", [])}
        place_labels = [self.gazetteer.places[i].name() for i in place_ids if i in self.gazetteer.places]
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
                "access": record.get("access", "staff"),
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
            **_access_fields(record),
            "date_sort": earliest_day(record["date"]) if record.get("date") else 0,
            "title_sort": item.title.casefold(),
            "f_village": ",".join(sorted(place_ids)),
            "f_region": ",".join(sorted(self._regions(place_ids))),
            "f_surname": ",".join(sorted(_clean(s) for s in self._surname_ids(record.get("surnames", [])))),
            "f_decade": _decade(record["date"]) or "" if record.get("date") else "",
            "f_kind": record.get("kind", media.DEFAULT_KIND),
            "f_event": ",".join(sorted(record.get("events", []))),
            "f_person": ",".join(sorted(p["person"] for p in people if p.get("person"))),
            "f_institution": _clean(record.get("institution", "")),
            "linked": ",".join(sorted(linked)),
        }

    def _document_or_none(self, doc_id: str) -> dict | None:
        """A document, or None (left out of the index, and logged) when a record cannot be made one: one bad record
        must not keep the rest of the archive out of search."""
        try:
            return self.document(doc_id)
        except Exception:  # noqa: BLE001
            logging.getLogger(__name__).exception("could not index %s; it is left out of search", doc_id)
            return None

    def update(self, doc_ids: list[str]) -> None:
        """Write (or remove) the documents of these interviews (and "media/<id>" items) in one commit; raise
        IndexUnavailable (a repair under way) when the index cannot be written."""
        with self._guard():
            writer = self.ix().writer(timeout=60, delay=0.05)
            try:
                for interview_id in doc_ids:
                    doc = self._document_or_none(interview_id)
                    if doc is None:
                        writer.delete_by_term("id", interview_id)
                    else:
                        writer.update_document(**doc)
                writer.commit()
            except BaseException:  # cancelled, so that its write lock is released now, not when it is collected
                with suppress(Exception):  # a damaged index may not even cancel; the first error is what counts
                    writer.cancel()
                raise

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
        present = set(self.present())
        found = {
            "missing": sorted(present - set(indexed)),
            "orphaned": sorted(set(indexed) - present),
            "stale": sorted(i for i in present & set(indexed) if indexed[i] != self.stamp(i)),
        }
        todo = found["missing"] + found["orphaned"] + found["stale"]
        if repair and todo:
            for start in range(0, len(todo), 200):
                self.update(todo[start : start + 200])
        return found

    def rebuild(self, progress=None, catch_up: bool = True) -> int:
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
                made = index.create_in(str(fresh), SCHEMA)
                ids = self.present()
                writer = made.writer(timeout=60, limitmb=256)
                try:
                    for doc_id in ids:
                        doc = self._document_or_none(doc_id)
                        if doc is not None:
                            writer.add_document(**doc)
                        if progress:
                            progress(1)
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit(optimize=True)
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

    def searcher(self):
        """A searcher for this thread, reopened only when the index has changed or been replaced."""
        opened = self.ix()
        current, epoch = getattr(self._local, "searcher", None), getattr(self._local, "epoch", None)
        if current is not None and (epoch != self._epoch or not current.up_to_date()):
            # opened afresh, not refresh()ed: whoosh-reloaded 2.7.5's refresh keeps old segments' deletion lists
            # (replaced documents went on matching with their old access) and fails on an index that was empty
            with suppress(Exception):  # its files may be gone or damaged: it is dropped either way
                current.close()
            current = None
        if current is None:
            current = _searcher(opened)
        self._local.searcher, self._local.epoch = current, self._epoch
        return current

    def query(
        self,
        q: str,
        filters: dict[str, list[str]] | None,
        viewer,
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
        if not clauses:
            clauses = [query.Every()]
        whole = query.And(clauses) if len(clauses) > 1 else clauses[0]
        with self._guard():
            return self._results(whole, parsed, q, filters, viewer, page, sort, page_size)

    def _results(
        self, whole: query.Query, parsed: Parsed, q: str, filters: dict, viewer, page: int, sort: str, page_size: int
    ) -> Results:
        allowed = _allowed(viewer)
        searcher = self.searcher()
        facets = {name: sorting.FieldFacet(f"f_{name}", allow_overlap=True, maptype=sorting.Count) for name in FACETS}
        sortedby = {"date": sorting.FieldFacet("date_sort"), "title": sorting.FieldFacet("title_sort")}.get(sort)
        page = max(1, page)
        results = searcher.search(whole, filter=allowed, limit=page * page_size, groupedby=facets, sortedby=sortedby)
        total = len(results)
        if total and (page - 1) * page_size >= total:  # past the end: show the last page
            page = -(-total // page_size)
            results = searcher.search(
                whole, filter=allowed, limit=page * page_size, groupedby=facets, sortedby=sortedby
            )
        shown = results[(page - 1) * page_size : page * page_size]
        terms = _transcript_terms(parsed.query, searcher.reader()) if parsed.query is not None else set()
        hits = [self._hit(searcher, h, terms) for h in shown]
        wanted = {
            (kind, value)
            for facet, kind in (("event", "events"), ("person", "people"), ("village", "places"))
            for value in filters.get(facet, [])
        }
        for hit in hits if wanted else []:
            if hit.kind == "interview":
                hit.passages = _passages(self.collection, hit.id, wanted)
        counts = {
            name: sorted(((v, n) for v, n in results.groups(name).items() if v), key=lambda kv: (-kv[1], kv[0]))
            for name in FACETS
        }
        return Results(
            hits=hits,
            total=total,
            page=page,
            pages=max(1, -(-total // page_size)),
            facets={k: [(v, self.label(k, v), n) for v, n in vs if v] for k, vs in counts.items()},
            query=q,
            filters=filters,
            sort=sort,
            variants=parsed.variants,
            message=parsed.message,
            suggestions=self.suggestions(parsed.words) if total == 0 else [],
        )

    @lru_cache(maxsize=512)  # noqa: B019 - one index per app; keyed by stamp, so an edit is never served stale
    def _segments(self, interview_id: str, stamp: str) -> tuple[list[dict], list[int]]:
        segments = redaction.for_reader(self.collection, interview_id, False)[0]  # as indexed: masked
        return segments, interviews.transcript_text(segments)[1]

    def _hit(self, searcher, hit, terms: set[str]) -> Hit:
        stored = hit.fields()
        if not terms or stored["kind"] != "interview":
            return Hit(stored["id"], stored["kind"], stored["display"], [])
        segments, starts = self._segments(stored["id"], stored["stamp"])
        spans: list[tuple[int, int, str]] = []
        reader = searcher.reader()
        for term in terms:
            matcher = reader.postings("text", term) if ("text", term) in reader else None
            if matcher is None or not matcher.is_active():
                continue  # a word left only by deleted documents (corrected or redacted since): nothing to mark
            try:
                matcher.skip_to(hit.docnum)
            except ReadTooFar:
                continue
            if matcher.is_active() and matcher.id() == hit.docnum:
                spans.extend((start, end, term) for _, start, end in matcher.value_as("characters"))
        return Hit(stored["id"], stored["kind"], stored["display"], _best_segments(segments, starts, spans))

    def label(self, facet: str, value: str) -> str:
        if facet in ("village", "place", "region") and value in self.gazetteer.places:
            return self.gazetteer.places[value].name()
        if facet in ("event", "person"):
            entry = vocab.lookup(self.collection, "events" if facet == "event" else "people").get(value)
            return entry.name() if entry else value
        if facet == "surname":
            return self.surnames.surnames[value].label() if value in self.surnames.surnames else value.title()
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

    def linked_to(self, ref: str, viewer, limit: int = 200, scope: str = "interview") -> list[str]:
        """The interviews (or, with scope "media", the "media/<id>" items) the viewer may read that link `ref`
        ("events/<id>", "places/<id>", "people/<id>", "interviews/<id>"), newest first by date."""
        with self._guard():
            results = self.searcher().search(
                query.And([query.Term("linked", ref), query.Term("kind", scope)]),
                filter=_allowed(viewer),
                limit=limit,
                sortedby=sorting.FieldFacet("date_sort", reverse=True),
            )
            return [hit["id"] for hit in results]

    def browse(self, facet: str, viewer, scope: str | None = None) -> list[tuple[str, str, int]]:
        """List a facet's values with counts over everything the viewer may see."""
        return self.query("", None, viewer, page_size=1, scope=scope).facets.get(facet, [])


def _transcript_terms(q: query.Query, reader) -> set[str]:
    """The transcript words a query matches, prefixes expanded. (Whoosh's own existing_terms skips every field
    after the first it meets: its loop variable overwrites its `fieldname` argument.)"""
    found = set()
    for leaf in q.leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname == "text" and (fieldname, text) in reader:
                found.add(text.decode() if isinstance(text, bytes) else text)
    return found


def _access_fields(record: dict) -> dict:
    """What the index filter needs of a record's access, so results and counts agree with access.can_read."""
    embargo = record.get("embargo_until")
    return {
        "access": "withdrawn" if access.withdrawn(record) else record.get("access", "staff"),
        "contribution": record.get("contribution", ""),
        "embargo": int(embargo.replace("-", "")) if embargo else 0,
    }


def _allowed(viewer) -> query.Query | None:
    """Restrict results to what access.py lets the viewer read: its levels, the family records of the contributions
    it holds receipt links for, never a withdrawn record, and no running embargo."""
    levels = access.readable_levels(viewer)
    if levels is None:
        return None
    today = int(datetime.date.today().strftime("%Y%m%d"))
    readable = [query.Term("access", level) for level in levels]
    grants = sorted(access.family_grants(viewer))
    if grants:
        readable.append(
            query.And([query.Term("access", "family"), query.Or([query.Term("contribution", c) for c in grants])])
        )
    return query.And([query.Or(readable), query.NumericRange("embargo", None, today)])


# --- results ------------------------------------------------------------------------------------------------------


@dataclass
class SegmentHit:
    n: int
    start: float | None
    speaker: str | None
    snippet: Markup


@dataclass
class Passage:
    """An annotated passage that a filter by event, place or person asked for."""

    annotation: str
    quote: str


@dataclass
class Hit:
    id: str
    kind: str
    display: dict
    segments: list[SegmentHit]
    passages: list[Passage] = field(default_factory=list)


@dataclass
class Results:
    hits: list[Hit]
    total: int
    page: int
    pages: int
    facets: dict[str, list[tuple[str, str, int]]]
    query: str = ""
    filters: dict = field(default_factory=dict)
    sort: str = "relevance"
    variants: list[str] = field(default_factory=list)
    message: str = ""
    suggestions: list[str] = field(default_factory=list)


def _passages(collection: Collection, interview_id: str, wanted: set[tuple[str, str]]) -> list[Passage]:
    found = []
    for annotation in redaction.for_reader(collection, interview_id, False)[1]:
        if wanted & annotations.link_pairs(annotation) and not annotation.get("review"):
            found.append(
                Passage(
                    annotations.short_id(annotation),
                    annotations.selector(annotation, "TextQuoteSelector").get("exact", ""),
                )
            )
    return found


def _best_segments(segments: list[dict], starts: list[int], spans: list[tuple[int, int, str]]) -> list[SegmentHit]:
    """Pick the segments holding the most distinct query words, and mark each word where it stands."""
    if not segments or not spans:
        return []
    by_segment: dict[int, list[tuple[int, int, str]]] = {}
    for start, end, term in spans:
        i = bisect.bisect_right(starts, start) - 1
        if 0 <= i < len(segments) and end - starts[i] <= len(segments[i]["text"]):
            by_segment.setdefault(i, []).append((start - starts[i], end - starts[i], term))
    ranked = sorted(by_segment.items(), key=lambda kv: (-len({t for *_, t in kv[1]}), -len(kv[1]), kv[0]))
    return [
        SegmentHit(
            segments[i]["n"], segments[i].get("start"), segments[i].get("speaker"), _snippet(segments[i]["text"], marks)
        )
        for i, marks in ranked[:SEGMENTS_PER_HIT]
    ]


def _snippet(text: str, marks: list[tuple[int, int, str]]) -> Markup:
    marks = sorted({(s, e) for s, e, _ in marks})
    first = marks[0][0]
    lo = max(0, first - SNIPPET_CHARS // 3)
    hi = min(len(text), lo + SNIPPET_CHARS)
    if lo > 0:
        space = text.find(" ", lo)
        lo = space + 1 if 0 <= space < first else lo
    out, cursor = ["…" if lo > 0 else ""], lo
    for start, end in marks:
        if start < cursor or end > hi:
            continue
        out.append(html.escape(text[cursor:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        cursor = end
    out.append(html.escape(text[cursor:hi]) + ("…" if hi < len(text) else ""))
    return Markup("".join(out))


# --- the query language -------------------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r'\s*(?:(?P<phrase>"[^"]*"?)|(?P<open>\()|(?P<close>\))|(?P<word>[^\s()"]+(?:"[^"]*"?)?))')
_TEXT_FIELDS = ("text", "meta", "title")
_WORD_RE = re.compile(r"\w+(?:['’]\w+)*")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
MAX_NESTING = 8  # parentheses within parentheses; deeper ones are read as if they were not there


class Parsed:
    """A person's query turned into a Whoosh query. Understands words, "phrases", prefix*, field:value, AND, OR,
    NOT, -word and parentheses; anything it cannot make sense of is read as plain words, never an error."""

    def __init__(self, text: str, gazetteer: Gazetteer, surnames: Surnames):
        self.gazetteer, self.surnames = gazetteer, surnames
        self.words: list[str] = []
        self.variants: list[str] = []
        self.message = ""
        self.depth = 0
        self.tokens = self._tokens(text[:1000])
        self.pos = 0
        self.query = self._expression() if self.tokens else None
        if self.query is not None:
            self.query = self.query.normalize()
            if self.query is query.NullQuery:
                self.query = None
                self.message = "The search had only very common words; try more specific ones."

    def _tokens(self, text: str) -> list[tuple[str, str]]:
        found = []
        for m in _TOKEN_RE.finditer(text):
            kind = m.lastgroup
            if kind:
                found.append((kind, m.group(kind)))
        return found

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _expression(self):
        parts = [self._conjunction()]
        while self._peek() == ("word", "OR"):
            self.pos += 1
            parts.append(self._conjunction())
        parts = [p for p in parts if p is not None]
        return query.Or(parts) if len(parts) > 1 else (parts[0] if parts else None)

    def _conjunction(self):
        parts, negated = [], []
        while True:
            kind, value = self._peek()
            if kind is None or kind == "close" or (kind == "word" and value == "OR"):
                break
            if kind == "word" and value == "AND":
                self.pos += 1
                continue
            if (
                kind == "word"
                and value in ("NOT", "ANDNOT")
                or (kind == "word" and value.startswith("-") and len(value) > 1)
            ):
                self.pos += 1
                if value.startswith("-"):
                    self.tokens.insert(self.pos, ("word", value[1:]))
                unit = self._unit()
                if unit is not None:
                    negated.append(unit)
                continue
            unit = self._unit()
            if unit is not None:
                parts.append(unit)
        if not parts:
            return None
        positive = query.And(parts) if len(parts) > 1 else parts[0]
        return query.AndNot(positive, query.Or(negated)) if negated else positive

    def _unit(self):
        kind, value = self._peek()
        self.pos += 1
        if kind == "open":
            if self.depth >= MAX_NESTING:  # deeper parentheses add nothing a person means; they only recurse
                return None
            self.depth += 1
            inner = self._expression()
            self.depth -= 1
            if self._peek()[0] == "close":
                self.pos += 1
            return inner
        if kind == "close" or kind is None:
            return None
        if kind == "phrase":
            return self._phrase(value.strip('"'), _TEXT_FIELDS)
        if value in _OPERATORS:
            return None
        value = value.lstrip("+")
        name, sep, rest = value.partition(":")
        if sep and name.lower() in FIELD_QUERIES and rest:
            return self._field(name.lower(), rest.strip('"'))
        for size in (3, 2):  # "Maritime Province", "Алма Ата": a name of several words is one name
            following = self.tokens[self.pos : self.pos + size - 1]
            if len(following) == size - 1 and all(k == "word" and v not in _OPERATORS for k, v in following):
                joined = " ".join([value, *(v for _, v in following)])
                if self.gazetteer.match(joined) or self.surnames.match(joined):
                    self.pos += size - 1
                    return self._word(joined)
        return self._word(value)

    def _terms(self, text: str, fieldnames) -> query.Query | None:
        """One spelling in some fields: a term, or a phrase where it holds several words."""
        words = self._words(text)
        if not words:
            return None
        if len(words) == 1:
            return query.Or([query.Term(f, words[0]) for f in fieldnames])
        return query.Or([self._phrase_in(f, words) for f in fieldnames])

    def _words(self, text: str) -> list[str]:
        """The index words of a text: each Hangul run whole (cut to the indexed length), other words folded."""
        found = []
        for token in _WORD_RE.finditer(text):
            word = token.group()
            if _HANGUL_RE.fullmatch(word):
                found.append(word[:MAX_HANGUL])
            elif (folded := fold_token(word)) is not None:
                found.append(folded)
        return found

    @staticmethod
    def _phrase_in(fieldname: str, words: list[str]) -> query.Query:
        """A phrase: in the transcript, found through its word pairs and confirmed by positions only if longer."""
        if fieldname != "text":
            return query.Phrase(fieldname, words)
        pairs = [query.Term("pairs", f"{a} {b}") for a, b in zip(words, words[1:], strict=False)]
        if len(words) == 2:  # the pair says it all; the words are there to be highlighted
            return query.And(pairs + [query.Term("text", w) for w in dict.fromkeys(words)])
        return query.And(pairs + [query.Phrase("text", words)])

    def _word(self, word: str):
        if word.endswith("*") and len(word) > 2:
            stem = fold_token(word.rstrip("*")) or word.rstrip("*").casefold()
            return query.Or([query.Prefix(f, stem) for f in _TEXT_FIELDS])
        self.words.append(word)
        spellings = variants(word, self.gazetteer, self.surnames)
        if len(spellings) == 1 and fold_token(word) in _STOP:
            return None  # only grammar ("the", "в"): it would match nearly everything
        self.variants.extend(s for s in spellings[1:] if s not in self.variants)
        alternatives = []
        for i, spelling in enumerate(spellings):
            q = self._terms(spelling, _TEXT_FIELDS)
            if q is not None:
                alternatives.append(q.with_boost(2.0) if i == 0 else q)  # the form typed ranks first
        return query.Or(alternatives) if alternatives else None

    def _phrase(self, text: str, fieldnames):
        self.words.extend(text.split())
        return self._terms(text, fieldnames)

    def _field(self, name: str, value: str):
        if name in ("village", "place", "region"):
            ids = [p.id for p in self.gazetteer.match(value)] or [value.lower()]
            return query.Or([query.Term(f"f_{name}", i) for i in ids])
        if name == "surname":
            ids = [s.id for s in self.surnames.match(value)] or [fold(value)]
            return query.Or([query.Term("f_surname", i) for i in ids])
        if name == "narrator":
            return (
                query.Or(
                    [
                        q
                        for s in variants(value, self.gazetteer, self.surnames)
                        if (q := self._terms(s, ("narrator_text",))) is not None
                    ]
                )
                or None
            )
        if name == "interviewer":
            return self._terms(value, ("interviewer_text",))
        if name == "title":
            return self._terms(value, ("title",))
        if name == "speaker":
            return self._word(value)
        return query.Term(f"f_{name}", value.lower() if name in ("language", "kind") else _clean(value))


def init_app(app, background: bool = True) -> None:
    """Open the data root's index (an empty collection gets an empty index at once); check it against the
    collection in the background if so configured. `background=False` (commands) repairs a broken index at once."""
    search_index = SearchIndex(
        Path(app.config["ARCHIVE_DATA"]) / "index",
        app.extensions["collection"],
        lock_path=Path(app.instance_path) / "index.lock",
        background=background,
    )
    app.extensions["search"] = search_index
    search_index.ensure()
    if app.config["ARCHIVE_INDEX_CHECK_AT_START"]:
        threading.Thread(
            target=_check_in_background, args=(search_index, app.logger), daemon=True, name="index-check"
        ).start()


def _check_in_background(search_index: SearchIndex, logger) -> None:
    try:
        found = search_index.check(repair=True)
        if any(found.values()):
            logger.info("search index repaired: %s", {k: len(v) for k, v in found.items()})
    except Exception:  # noqa: BLE001 - a failed check must never take the server down; the next start retries
        logger.exception("search index check failed")
