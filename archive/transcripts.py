"""Correcting a transcript: the corrected text and its re-anchored annotations are written together, in one atomic
change of the interview folder, so no reader ever sees annotations pointing into a transcript they were not made
for."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from . import annotations, formats
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

    return _rewrite(collection, interview_id, expected, author, edit, "corrected-transcript")[1]


def set_times(
    collection: Collection,
    interview_id: str,
    times: dict[int, float | None],
    author: str,
    expected: str,
    end: float | None = None,
    ends: dict[int, float] | None = None,
    action: str = "timed-transcript",
) -> list[dict]:
    """Give passages their start times (the stamp mode, or a historian typing them): `times` maps a passage's number
    to its start in seconds (None leaves it without a time). The times given must increase from passage to passage
    and lie within the recording (`end`, when known); each timed passage then ends where the next timed one starts,
    unless `ends` gives its end (an accepted alignment: after its start, not after the next passage's start, within
    the recording). `expected` is the version of segments.json the times were made against (a stale one is
    refused). Annotations keep their words and take the new times into their media fragments. Returns the passages
    as saved."""
    ends = ends or {}

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
            if s["start"] is not None and s["n"] in ends:
                given, limit = ends[s["n"]], s["end"]  # the next passage's start, else the recording's end
                if given <= s["start"] or (limit is not None and given > limit) or (end is not None and given > end):
                    raise TranscriptError(
                        N_("The end of passage {n} must come after its start and before the next passage starts."),
                        f"time-{s['n']}",
                        n=s["n"],
                    )
                s["end"] = given
        return new

    return _rewrite(collection, interview_id, expected, author, edit, action)[0]


def _rewrite(
    collection: Collection,
    interview_id: str,
    expected: str,
    author: str,
    edit: Callable[[list[dict]], list[dict]],
    action: str,
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

    collection.update("interviews", interview_id, ["segments.json", annotations.FILE], change, author, action=action)
    return result["segments"], result["flagged"]


def replace(
    collection: Collection,
    interview_id: str,
    data: bytes,
    filename: str,
    author: str,
    expected: str | None,
    max_bytes: int,
) -> tuple[list[dict], list[dict]]:
    """Replace an interview's transcript with a new file in any of the five formats (told by content, read as ingest
    reads it; FormatError says why one is refused). The new original is a new version of the old one (kept in
    history, also when its format and so its name change), segments.json is made from it, and the annotations are
    re-anchored as a correction re-anchors them, all in one change written with the action "replaced-transcript".
    `expected` is the version of segments.json the historian saw (a correction made since is a conflict). Returns the
    new passages and the annotations newly flagged because their words are gone."""
    if len(data) > max_bytes:
        raise TranscriptError(
            N_("The file is {size} MB; transcripts over {limit} MB are refused."),
            "transcript",
            size=round(len(data) / 2**20, 1),
            limit=round(max_bytes / 2**20),
        )
    transcript = formats.read(data, filename)
    record = json.loads(collection.read("interviews", interview_id, "interview.json").data)
    old_original = (record.get("source") or {}).get("original")
    new_original = f"original/transcript.{formats.ORIGINAL_EXTENSIONS[transcript.format]}"
    digest = hashlib.sha256(data).hexdigest()
    if (record.get("source") or {}).get("sha256") == digest:
        raise TranscriptError(N_("This file is the transcript the interview already has."), "transcript")
    names = ["interview.json", "segments.json", annotations.FILE, new_original]
    if old_original and old_original != new_original:
        names.append(old_original)
    result = {}

    def change(current: dict) -> dict:
        if expected is not None and (
            current["segments.json"] is None or hashlib.sha256(current["segments.json"]).hexdigest() != expected
        ):
            last = collection.last_change("interviews", interview_id, "segments.json") or {}
            when = str(last.get("time", ""))
            raise ConflictError(
                f"interviews/{interview_id}/segments.json",
                last.get("author"),
                f"{when[:10]} {when[11:16]} UTC" if when else None,
            )
        stored = json.loads(current["interview.json"])
        language = (stored.get("languages") or [None])[0]
        old = json.loads(current["segments.json"]) if current["segments.json"] is not None else []
        new = [{**s, "lang": s["lang"] or language} for s in transcript.segments_json()]
        document = annotations.parse(current[annotations.FILE], interview_id)
        items, result["flagged"] = annotations.reanchor(document["first"]["items"], interview_id, old, new, now())
        document["first"]["items"] = items
        stored["source"] = {
            **(stored.get("source") or {}),
            "file": _file_name(filename),
            "original": new_original,
            "sha256": digest,
            "bytes": len(data),
            "format": transcript.format,
            "notes": transcript.notes,
            "replaced": now(),
            "replaced_by": author,
        }
        result["segments"] = new
        changes: dict = {
            "interview.json": _json(stored),
            "segments.json": _json(new),
            new_original: data,
        }
        if current[annotations.FILE] is not None:
            changes[annotations.FILE] = annotations.dump(document)
        if old_original and old_original != new_original and current.get(old_original) is not None:
            changes[old_original] = None  # its history keeps it
        return changes

    collection.update("interviews", interview_id, names, change, author, action="replaced-transcript")
    return result["segments"], result["flagged"]


def _file_name(filename: str) -> str:
    """A file's name as it is kept in the record: without any folder a browser or a script sent with it."""
    return filename.replace("\\", "/").rsplit("/", 1)[-1] or "transcript"


def _json(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
