"""Correcting a transcript: the corrected text and its re-anchored annotations are written together, in one atomic
change of the interview folder, so no reader ever sees annotations pointing into a transcript they were not made
for."""

from __future__ import annotations

import hashlib
import json

from . import annotations
from .collection import Collection, now
from .errors import ArchiveError, ConflictError, Count
from .i18n import N_


class TranscriptError(ArchiveError):
    """A correction was refused."""

    code = "transcript-invalid"


MAX_SEGMENT_CHARS = 100_000


def correct_segment(
    collection: Collection, interview_id: str, n: int, text: str, author: str, expected: str
) -> list[dict]:
    """Replace the text of passage `n`; `expected` is the version of segments.json the historian corrected (a
    stale one is refused). Returns the annotations newly flagged because their words are gone."""
    text = "\n".join(" ".join(line.split()) for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip())
    if not text:
        raise TranscriptError(N_("A passage cannot be empty; type its corrected text."))
    if len(text) > MAX_SEGMENT_CHARS:
        raise TranscriptError(N_("A passage may hold at most {limit} characters."), limit=Count(MAX_SEGMENT_CHARS))
    result = {}

    def change(current: dict) -> dict:
        if current["segments.json"] is None or hashlib.sha256(current["segments.json"]).hexdigest() != expected:
            raise ConflictError(f"interviews/{interview_id}/segments.json", None, None)
        old = json.loads(current["segments.json"])
        if not any(s["n"] == n for s in old):
            raise TranscriptError(N_("This interview has no passage {n}."), n=n)
        new = [dict(s, text=text) if s["n"] == n else s for s in old]
        document = annotations.parse(current[annotations.FILE], interview_id)
        items, flagged = annotations.reanchor(document["first"]["items"], interview_id, old, new, now())
        document["first"]["items"] = items
        result["flagged"] = flagged
        changes = {"segments.json": (json.dumps(new, ensure_ascii=False, indent=1) + "\n").encode("utf-8")}
        if current[annotations.FILE] is not None:
            changes[annotations.FILE] = annotations.dump(document)
        return changes

    collection.update("interviews", interview_id, ["segments.json", annotations.FILE], change, author)
    return result["flagged"]
