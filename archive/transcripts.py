"""Correcting a transcript: the corrected text and its re-anchored annotations are written together, in one atomic
change of the interview folder, so no reader ever sees annotations pointing into a transcript they were not made
for."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

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

    def edit(old: list[dict]) -> list[dict]:
        if not any(s["n"] == n for s in old):
            raise TranscriptError(N_("This interview has no passage {n}."), n=n)
        return [dict(s, text=text) if s["n"] == n else s for s in old]

    return _rewrite(collection, interview_id, expected, author, edit)[1]


def set_times(
    collection: Collection,
    interview_id: str,
    times: dict[int, float | None],
    author: str,
    expected: str,
    end: float | None = None,
) -> list[dict]:
    """Give passages their start times (the stamp mode, or a historian typing them): `times` maps a passage's number
    to its start in seconds (None leaves it without a time). The times given must increase from passage to passage
    and lie within the recording (`end`, when known); each timed passage then ends where the next timed one starts.
    `expected` is the version of segments.json the times were made against (a stale one is refused). Annotations
    keep their words and take the new times into their media fragments. Returns the passages as saved."""

    def edit(old: list[dict]) -> list[dict]:
        known = {s["n"] for s in old}
        stray = sorted(set(times) - known)
        if stray:
            raise TranscriptError(N_("This interview has no passage {n}."), f"time-{stray[0]}", n=stray[0])
        new = [dict(s, start=times.get(s["n"], s.get("start"))) for s in old]
        previous = None
        for s in new:
            if s["start"] is None:
                continue
            if s["start"] < 0 or (end is not None and s["start"] > end):
                raise TranscriptError(
                    N_("The time of passage {n} is outside the recording."), f"time-{s['n']}", n=s["n"]
                )
            if previous is not None and s["start"] <= previous["start"]:
                raise TranscriptError(
                    N_(
                        "Times must increase from passage to passage: passage {n} starts at or before passage "
                        "{before}. Correct one of them."
                    ),
                    f"time-{s['n']}",
                    n=s["n"],
                    before=previous["n"],
                )
            previous = s
        timed = [s for s in new if s["start"] is not None]
        following = {a["n"]: b["start"] for a, b in zip(timed, timed[1:], strict=False)}
        for s in new:
            if s["start"] is None:
                s["end"] = None
            elif s["n"] in following:
                s["end"] = following[s["n"]]
            else:
                s["end"] = end if end is not None and end > s["start"] else None
        return new

    return _rewrite(collection, interview_id, expected, author, edit)[0]


def _rewrite(
    collection: Collection, interview_id: str, expected: str, author: str, edit: Callable[[list[dict]], list[dict]]
) -> tuple[list[dict], list[dict]]:
    """Write the passages `edit` makes of the current ones, with the annotations re-anchored to them, in one change;
    refused when segments.json is no longer the version `expected`. Returns the passages written and the
    annotations newly flagged because their words are gone."""
    result = {}

    def change(current: dict) -> dict:
        if current["segments.json"] is None or hashlib.sha256(current["segments.json"]).hexdigest() != expected:
            raise ConflictError(f"interviews/{interview_id}/segments.json", None, None)
        old = json.loads(current["segments.json"])
        new = edit(old)
        document = annotations.parse(current[annotations.FILE], interview_id)
        items, result["flagged"] = annotations.reanchor(document["first"]["items"], interview_id, old, new, now())
        document["first"]["items"] = items
        result["segments"] = new
        changes = {"segments.json": (json.dumps(new, ensure_ascii=False, indent=1) + "\n").encode("utf-8")}
        if current[annotations.FILE] is not None:
            changes[annotations.FILE] = annotations.dump(document)
        return changes

    collection.update("interviews", interview_id, ["segments.json", annotations.FILE], change, author)
    return result["segments"], result["flagged"]
