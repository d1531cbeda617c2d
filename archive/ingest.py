"""Ingest: transcript files (with their recordings) and metadata become interview folders.

The command line and the upload form both come here. Each file is read and checked completely before anything is
written, and its folder appears whole through collection.create, so a refused file leaves nothing behind. Files are
known by the SHA-256 of their bytes: ingesting the same file again is reported, not repeated.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import access, images, metadata, recordings, segment_index
from .collection import Collection, now
from .errors import ArchiveError, CollectionError, Message
from .formats import ORIGINAL_EXTENSIONS, FormatError, Transcript, encoding
from .formats import read as read_transcript
from .i18n import N_
from .names import Gazetteer

if TYPE_CHECKING:  # the services give an indexer; only its type is needed here
    from .search import Updates

# OHMS record fields that map onto ours; the rest of the record is kept under "ohms".
_OHMS_FIELDS = (
    "title",
    "date",
    "accession",
    "narrators",
    "interviewers",
    "keywords",
    "rights",
    "collection",
    "description",
    "duration",
)


class IngestError(ArchiveError):
    """A batch cannot start: the manifest itself is unusable."""

    code = "manifest-unusable"


NOT_YET_SEARCHABLE = N_("not yet searchable; the next index check adds it")
NOT_GIVEN = N_("in the manifest, but not among the files given in this run")


@dataclass
class Outcome:
    """What became of one file. Its reason and notes are `errors.Message`s or strings marked with `N_`: English
    as strings, said in the reader's language by a page (`i18n.localise`)."""

    source: str
    status: str  # "ingested", "duplicate", "failed", or "skipped" (a manifest row for a file not given)
    interview_id: str | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # metadata problems by field, for forms
    file: str = "transcript"  # which of the files given the reason is about: "transcript", "audio" (a recording)
    # or "image"
    kind: str = "interviews"  # the kind of folder made: "interviews" or "media"

    @property
    def where(self) -> str:
        """The folder made or found, as "interviews/<id>" or "media/<id>"; "" when there is none."""
        return f"{self.kind}/{self.interview_id}" if self.interview_id else ""


class Ingester:
    """Turns files into interviews in one collection, remembering what it already holds."""

    def __init__(
        self,
        collection: Collection,
        gazetteer: Gazetteer,
        author: str,
        max_transcript_bytes: int,
        indexer: Updates | None = None,
        index_batch: int = 1,
    ):
        self.indexer = indexer
        # a batch of files (archive ingest) is indexed `index_batch` interviews at a time, one commit each, and the
        # rest by `index_pending` at its end: the index's commit costs more than reading and storing a file
        self.index_batch = index_batch
        self._to_index: list[str] = []
        self.index_failed = False
        self.collection = collection
        self.gazetteer = gazetteer
        self.author = author
        self.max_transcript_bytes = max_transcript_bytes
        self.known = self._known_sources()

    def _known_sources(self) -> dict[str, str]:
        known = {}
        for interview_id in self.collection.ids("interviews"):
            try:
                record = json.loads(self.collection.read("interviews", interview_id, "interview.json").data)
            except (CollectionError, ValueError):
                continue
            digest = record.get("source", {}).get("sha256")
            if digest:
                known[digest] = interview_id
        return known

    def ingest(
        self,
        data: bytes,
        filename: str,
        raw: Mapping | None,
        audio: Path | bytes | None = None,
        audio_name: str = "",
        same_content_ok: bool = False,
        line_breaks: bool = False,
        parts: list[tuple[Path | bytes, str]] | None = None,
    ) -> Outcome:
        """Read, check and store one transcript with its recordings (`parts`: each a file and its name, in the order
        they play; `audio` and `audio_name` give a single one); return what happened, never raise for a bad file.
        A file whose content is already in the archive is reported, not stored again, unless `same_content_ok`
        (two families may well send the same words, or no words but a recording). `line_breaks`: a line break
        inside a passage is kept (a family's story), not taken for a wrapped line."""
        given = list(parts or [])
        if audio is not None:
            given.insert(0, (audio, audio_name))
        name = Path(filename).name
        if len(data) > self.max_transcript_bytes:
            return Outcome(
                name,
                "failed",
                reason=Message(
                    N_("is {size} MB; transcripts over {limit} MB are refused"),
                    size=round(len(data) / 2**20, 1),
                    limit=round(self.max_transcript_bytes / 2**20),
                ),
            )
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.known and not same_content_ok:
            return Outcome(
                name,
                "duplicate",
                self.known[digest],
                reason=Message(
                    N_("already in the archive as {folder} (same content)"),
                    folder=f"interviews/{self.known[digest]}",
                ),
            )
        try:
            transcript = read_transcript(data, name, line_breaks=line_breaks)
            record = self._record(transcript, raw, name)
            files = self._files(transcript, data, record, digest, name, given)
            interview_id = self.collection.create("interviews", files, self.author)
        except metadata.MetadataError as e:
            return Outcome(name, "failed", reason=Message(N_("metadata: {error}"), error=e), errors=e.errors)
        except recordings.RecordingError as e:
            return Outcome(name, "failed", reason=e.message, file="audio")
        except FormatError as e:
            return Outcome(name, "failed", reason=e.message)
        except CollectionError as e:
            return Outcome(name, "failed", reason=Message(N_("could not be stored: {error}"), error=e))
        self.known[digest] = interview_id
        notes = list(transcript.notes)
        # the truth is written; the index follows, and is repaired by the next check if it cannot
        if self.indexer is not None and self.index_batch > 1:
            self._to_index.append(interview_id)
            if len(self._to_index) >= self.index_batch:
                self.index_pending()
        elif self.indexer is not None and not self.indexer.updated(interview_id):
            notes.append(NOT_YET_SEARCHABLE)
        if raw is None:
            notes.append(N_("no metadata given: the file name is its provisional title and only staff can see it"))
        return Outcome(name, "ingested", interview_id, notes=notes)

    def index_pending(self) -> bool:
        """Index the interviews stored since the last commit of the batch (one commit); tell whether it worked
        (if not, `index_failed` stays set and the next check of the index catches them up)."""
        done, self._to_index = self._to_index, []
        if done and self.indexer is not None and not self.indexer.updated(*done):
            self.index_failed = True
        return not self.index_failed

    def ingest_file(self, path: Path, raw: Mapping | None, audio: Path | list[Path] | None = None) -> Outcome:
        """Ingest a file on disk with its recordings (one, or several in order), refusing an oversize one before
        reading it."""
        size = path.stat().st_size
        if size > self.max_transcript_bytes:
            return Outcome(
                path.name,
                "failed",
                reason=Message(
                    N_("is {size} MB; transcripts over {limit} MB are refused"),
                    size=round(size / 2**20, 1),
                    limit=round(self.max_transcript_bytes / 2**20),
                ),
            )
        given = [audio] if isinstance(audio, Path) else list(audio or [])
        return self.ingest(path.read_bytes(), path.name, raw, parts=[(p, p.name) for p in given])

    def _record(self, transcript: Transcript, raw: Mapping | None, name: str) -> dict:
        found = transcript.metadata
        base = {k: found[k] for k in _OHMS_FIELDS if k in found}
        if "language_as_written" in found:
            base["languages"] = found["language_as_written"]
        given = {k: v for k, v in (raw or {}).items() if v not in (None, "", [], {})}
        merged = {**metadata.provisional(name), **base, **given}
        if raw is None:
            merged["access"] = access.DEFAULT_LEVEL.value
        record = metadata.validate(merged, self.gazetteer)
        ohms_rest = {k: v for k, v in found.items() if k not in _OHMS_FIELDS}
        if ohms_rest:
            record["ohms"] = ohms_rest
        return record

    def _files(self, transcript, data, record, digest, name, given) -> dict:
        original = f"original/transcript.{ORIGINAL_EXTENSIONS[transcript.format]}"
        record["source"] = {
            "file": name,
            "original": original,
            "sha256": digest,
            "bytes": len(data),
            "format": transcript.format,
            "ingested": now(),
            "by": self.author,
            "notes": transcript.notes,
        }
        files = {original: data}
        if given:
            # every recording is probed before anything is written; the originals are kept as they came
            found = [(recordings.probe(source, file_name), file_name) for source, file_name in given]
            record["recordings"] = recordings.numbered(found)
            for part, (source, _name) in zip(record["recordings"], given, strict=True):
                files[part["original"]] = source
        files["interview.json"] = _json(record)
        language = (record.get("languages") or [None])[0]
        files["segments.json"] = _json([{**s, "lang": s["lang"] or language} for s in transcript.segments_json()])
        if transcript.toc:  # an OHMS index: the segment index's first version
            files[segment_index.FILE] = segment_index.encode(segment_index.from_ohms(transcript.toc))
        return files


def read_manifest(path: Path) -> dict[str, dict]:
    """Read a CSV manifest into raw metadata per file name; refuse a manifest that cannot be used at all."""
    try:
        text, _ = encoding.decode(path.read_bytes())
    except OSError as e:
        raise IngestError(f"{path.name}: cannot be read ({e.strerror})") from None
    except FormatError as e:
        raise IngestError(f"{path.name}: {e}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in metadata.CSV_REQUIRED if c not in header]
    if missing:
        raise IngestError(
            f"{path.name}: the header lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (it needs at least {','.join(metadata.CSV_REQUIRED)})"
        )
    rows: dict[str, dict] = {}
    first_row: dict[str, int] = {}
    for number, row in enumerate(reader, 2):
        row = {(k or "").strip(): v for k, v in row.items()}
        file = Path((row.get("file") or "").strip()).name
        if not file:
            raise IngestError(f"{path.name} row {number}: the file column is empty")
        if file in rows:
            raise IngestError(f"{path.name} row {number}: {file} is listed twice (also on row {first_row[file]})")
        wanted = [n.strip() for column in ("audio", "video") for n in (row.get(column) or "").split(";")]
        rows[file] = {**metadata.from_csv_row(row), "_audio": [n for n in wanted if n], "_row": row}
        first_row[file] = number
    return rows


def expand(paths: list[Path]) -> Iterator[Path]:
    """List the files named, and the files inside the folders named, skipping hidden ones."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            yield path
        else:
            yield path  # reported as missing by the batch


def plan(
    paths: list[Path], rows: dict[str, dict] | None, manifest: Path | None = None
) -> tuple[list[tuple[Path, list[Path]]], list[Outcome]]:
    """Pair each transcript with its recordings, in the order of its parts: those its manifest row names in the
    audio column, then in the video column (several separated by ';'), or else the one sharing its name stem.
    Images, told by their content, stand alone."""
    problems: list[Outcome] = []
    transcripts: list[Path] = []
    audio: dict[str, Path] = {}
    pairs: list[tuple[Path, list[Path]]] = []
    for path in expand(paths):
        if manifest is not None and path.exists() and path.resolve() == manifest.resolve():
            continue
        if not path.exists():
            problems.append(Outcome(path.name, "failed", reason="no such file or folder"))
            continue
        first = head(path)
        if images.is_image(first):
            pairs.append((path, []))  # an item of its own, never paired with a recording
        elif recordings.sniff(first):
            audio[path.name] = path
        else:
            transcripts.append(path)
    used_audio = set()
    for path in transcripts:
        wanted = [Path(n).name for n in (rows or {}).get(path.name, {}).get("_audio") or []]
        missing = [n for n in wanted if n not in audio]
        if missing:
            problems.append(
                Outcome(
                    path.name,
                    "failed",
                    reason=f"its recording{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                    f"{'were' if len(missing) > 1 else 'was'} not among the files given",
                )
            )
            continue
        if wanted:
            matches = [audio[n] for n in wanted]
        else:
            matches = [a for n, a in sorted(audio.items()) if Path(n).stem == path.stem][:1]
        used_audio.update(m.name for m in matches)
        pairs.append((path, matches))
    for name in sorted(set(audio) - used_audio):
        problems.append(
            Outcome(
                name,
                "failed",
                reason="a recording without a transcript: give its transcript too "
                "(same name, or the manifest's audio or video column)",
            )
        )
    if rows is not None:
        given = {p.name for p, _ in pairs} | {o.source for o in problems}
        for name in sorted(set(rows) - given):
            # a manifest describes a whole collection; a run may give only some of its files
            problems.append(Outcome(name, "skipped", reason=NOT_GIVEN))
    return pairs, problems


def head(path: Path) -> bytes:
    """A file's first bytes, enough to tell its format."""
    with path.open("rb") as f:
        return f.read(32)


def _json(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
