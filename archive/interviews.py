"""Interviews as records: reading interview folders for pages, lists and (later) the API."""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import metadata
from .collection import Collection
from .errors import CollectionError, Message
from .i18n import N_
from .names import Gazetteer

# What interview.json holds beside its description: written by ingest, recordings, contributions and deletion, never
# by a metadata edit (an edit keeps them as they are).
KEPT_FIELDS = ("source", "recordings", "audio", "toc", "ohms", "contribution", "withdrawn", "deleted", "technical")
KEPT_FIELDS += ("schema",)  # only `archive migrate` (migrations.py) moves a record to a newer layout; an edit keeps it


@dataclass(frozen=True)
class Interview:
    """An interview's metadata as stored in interview.json, with the version a later edit must name."""

    id: str
    record: dict
    version: str

    @property
    def title(self) -> str:
        return self.record.get("title", "")

    @property
    def narrators(self) -> list[str]:
        return [n["name"] for n in self.record.get("narrators", [])]


def load(collection: Collection, interview_id: str) -> Interview:
    """Read one interview; CollectionError if there is none by that identifier."""
    stored = collection.read("interviews", interview_id, "interview.json")
    try:
        return Interview(interview_id, json.loads(stored.data), stored.version)
    except ValueError:
        raise CollectionError(f"interviews/{interview_id}/interview.json is not valid JSON") from None


def edit(
    collection: Collection,
    interview_id: str,
    raw: dict,
    gazetteer: Gazetteer,
    author: str,
    version: str,
    action: str = "edited",
) -> Interview:
    """Describe an interview anew through the one metadata validator (MetadataError names every wrong field);
    `version` is the interview.json the editor read (ConflictError, naming who changed it, if it moved on). The
    fields of KEPT_FIELDS are kept from the stored record whatever `raw` says."""
    stored = load(collection, interview_id)
    schema = stored.record.get("schema", 1)
    if not isinstance(schema, int) or schema > metadata.SCHEMA:  # written by a later archive: fields it may not know
        raise metadata.MetadataError(
            {
                "schema": Message(
                    N_(
                        "this record follows schema {schema}, newer than this archive's {current}: upgrade the "
                        "archive to change it"
                    ),
                    schema=schema,
                    current=metadata.SCHEMA,
                )
            }
        )
    kept = {k: stored.record[k] for k in KEPT_FIELDS if k in stored.record}
    given = {k: v for k, v in raw.items() if k not in KEPT_FIELDS}
    if "contribution" in kept:
        given["contribution"] = kept["contribution"]  # a family record's level needs it checked
    record = metadata.validate(given, gazetteer)
    record.update(kept)
    data = (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    collection.write(
        "interviews", interview_id, {"interview.json": data}, author, {"interview.json": version}, action=action
    )
    return load(collection, interview_id)


def segments(collection: Collection, interview_id: str) -> list[dict]:
    """Read an interview's normalised transcript."""
    try:
        return collection.read("interviews", interview_id, "segments.json").json()
    except CollectionError:
        return []


def transcript_text(segments: list[dict]) -> tuple[str, list[int]]:
    """Join segments into the interview's plain text, and give where each segment starts in it.

    This is the text annotation positions count in (code points, segments joined by one newline) and the text the
    index holds, so a passage found by search and a passage annotated are the same characters.
    """
    starts, parts, offset = [], [], 0
    for segment in segments:
        starts.append(offset)
        parts.append(segment["text"])
        offset += len(segment["text"]) + 1
    return "\n".join(parts), starts
