"""Annotations: passages of a transcript tied to events, places, people, tags and notes, stored as W3C Web
Annotations (https://www.w3.org/TR/annotation-model/) in each interview's annotations.json.

The file is an AnnotationCollection, the same document the API exports, so a copy read in fifty years needs only the
W3C model to make sense of it. References to the archive's own things are root-relative IRIs (`/interviews/<id>`,
`/events/<id>`, `/places/<id>`, `/people/<id>`): they resolve against whatever host serves the archive, and the
files do not change when it moves. Annotation ids are `urn:uuid:` IRIs, unique without a registry.

A passage is anchored twice: by its quote (TextQuoteSelector: exact, with up to 32 characters of prefix and suffix)
and by its position (TextPositionSelector, in code points of `interviews.transcript_text`), plus a media fragment
(`t=start,end`) when the segments it covers have times. When a transcript is corrected, `reanchor` finds each quote
again; what cannot be found is flagged for review with its last known selectors, never dropped.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping

from . import audit, interviews, vocab
from .collection import Collection, now
from .errors import ArchiveError, CollectionError, Count, Message
from .i18n import N_

FILE = "annotations.json"
CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
MEDIA_FRAGMENTS = "http://www.w3.org/TR/media-frags/"
LINK_KINDS = ("events", "places", "people")
CONTEXT_CHARS = 32
MAX_TAGS, MAX_TAG_CHARS, MAX_NOTE_CHARS = 20, 80, 10_000


THE_ANNOTATION = Message(N_("the annotation"))
NO_ENTRY = {  # a body names an entry that is not in the vocabulary of its kind
    "events": N_("There is no event {entry} in the archive's vocabulary."),
    "places": N_("There is no place {entry} in the archive's vocabulary."),
    "people": N_("There is no person {entry} in the archive's vocabulary."),
}


class AnnotationError(ArchiveError):
    """An annotation was refused; `field` names what is wrong when a form or request can point at it, and `code` is
    the kind of refusal for scripts (the API's problem documents carry both)."""

    code = "annotation-invalid"


class AnnotationConflict(AnnotationError):
    """The annotation changed (or went) since the editor read it."""

    code = "version-conflict"
    status = 412


class NotFound(AnnotationError):
    """No annotation by that id in this interview."""

    code = "not-found"
    status = 404


# --- reading -------------------------------------------------------------------------------------------------------


def source_of(interview_id: str) -> str:
    return f"/interviews/{interview_id}"


def collection_id(interview_id: str) -> str:
    return f"{source_of(interview_id)}/annotations"


def page_id(interview_id: str) -> str:
    """The IRI of the collection's one page. The model (section 5.2) requires a page to have an IRI; the collection
    URL with `?page=0` is how the Web Annotation Protocol names the pages of a container, and that address serves
    the page alone (views/annotate.py)."""
    return f"{collection_id(interview_id)}?page=0"


def empty_collection(interview_id: str) -> dict:
    return {
        "@context": CONTEXT,
        "id": collection_id(interview_id),
        "type": "AnnotationCollection",
        "label": f"Annotations of interview {interview_id}",
        "total": 0,
        "first": _page(interview_id, []),
    }


def _page(interview_id: str, items: list) -> dict:
    return {
        "id": page_id(interview_id),
        "type": "AnnotationPage",
        "partOf": collection_id(interview_id),
        "startIndex": 0,
        "items": items,
    }


def parse(data: bytes | None, interview_id: str) -> dict:
    """Read annotations.json as stored (None: the interview has none yet); a page stored before it had an id (or a
    link to its collection) is given them as it is read."""
    if data is None:
        return empty_collection(interview_id)
    try:
        document = json.loads(data)
    except ValueError:
        raise CollectionError(f"interviews/{interview_id}/{FILE} is not valid JSON") from None
    page = document.get("first") if isinstance(document, dict) else None
    if isinstance(page, dict) and isinstance(page.get("items"), list):
        document["first"] = {**_page(interview_id, page["items"]), **page}
    return document


def page_alone(document: dict) -> dict:
    """The collection's first page as a document of its own (what its id serves), with the collection it is part of
    described in `partOf`."""
    page = dict(document["first"])
    page["partOf"] = {
        "id": document["id"],
        "type": "AnnotationCollection",
        "total": len(page["items"]),
        **({"label": document["label"]} if "label" in document else {}),
    }
    return {"@context": CONTEXT, **page}


def dump(document: dict) -> bytes:
    """Write annotations.json, its total brought up to date."""
    document["total"] = len(document["first"]["items"])
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export(collection: Collection, interview_id: str) -> dict:
    """The interview's annotations as an AnnotationCollection (JSON-LD), exactly as stored."""
    try:
        data = collection.read("interviews", interview_id, FILE).data
    except CollectionError:
        collection.read("interviews", interview_id, "interview.json")  # no such interview: let that error out
        data = None
    return parse(data, interview_id)


def items(collection: Collection, interview_id: str) -> list[dict]:
    """The interview's annotations, in the order they were made."""
    return export(collection, interview_id)["first"]["items"]


def version(annotation: Mapping) -> str:
    """A fingerprint of one annotation as stored: an edit names it so that a stale edit is refused."""
    return hashlib.sha256(json.dumps(annotation, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def collection_version(annotations: list[dict]) -> str:
    """A fingerprint of an interview's annotations as a whole: a re-import names it so that a stale one is refused."""
    return hashlib.sha256(json.dumps(annotations, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def changed_by(collection: Collection, interview_id: str, annotation_id: str, depth: int = 50) -> tuple[str, str]:
    """Who made an annotation what it is now (or removed it), and when, found in the file's kept versions (the
    newest `depth` of them); ("", "") when that is not recorded."""
    wanted = annotation_id if annotation_id.startswith("urn:uuid:") else f"urn:uuid:{annotation_id}"

    def state(data: bytes | None) -> str | None:
        found = [a for a in parse(data, interview_id)["first"]["items"] if a.get("id") == wanted]
        return version(found[0]) if found else None

    try:
        now_state = state(collection.read("interviews", interview_id, FILE).data)
    except CollectionError:
        return "", ""
    last = collection.last_change("interviews", interview_id, FILE) or {}
    newer = (str(last.get("author", "")), str(last.get("time", "")))
    folder = collection.folder("interviews", interview_id)
    for entry in reversed(collection.history("interviews", interview_id, FILE)[-depth:]):
        try:
            earlier = state((folder / entry.path).read_bytes())  # a kept version: read-only, named by history()
        except (OSError, CollectionError):
            return "", ""
        if earlier != now_state:
            return newer
        newer = (entry.author, entry.time)
    return newer


def just_added_to(collection: Collection, annotation_id: str, looked_at: int = 20) -> str | None:
    """The interview an annotation was added to a moment ago, found through the audit log's last lines (at most
    `looked_at` interviews are opened): for a lookup by id before the index has it, from any server process."""
    recent = []
    for entry in reversed(audit.latest(collection.root)):
        if entry.action in ("annotation-added", "annotations-imported") and entry.record.startswith("interviews/"):
            interview_id = entry.record.removeprefix("interviews/")
            if interview_id not in recent:
                recent.append(interview_id)
        if len(recent) >= looked_at:
            break
    for interview_id in recent:
        try:
            if any(short_id(a) == annotation_id for a in items(collection, interview_id)):
                return interview_id
        except CollectionError:
            continue
    return None


def short_id(annotation: Mapping) -> str:
    """The uuid of an annotation, for URLs and HTML ids."""
    return str(annotation["id"]).removeprefix("urn:uuid:")


def links(annotation: Mapping) -> dict[str, list[str]]:
    """The events, places and people an annotation ties its passage to (ids by kind)."""
    found: dict[str, list[str]] = {kind: [] for kind in LINK_KINDS}
    for body in body_items(annotation):
        if body.get("type") == "SpecificResource":
            kind, _, entry_id = str(body.get("source", "")).strip("/").partition("/")
            if kind in found:
                found[kind].append(entry_id)
    return found


def link_pairs(annotation: Mapping) -> set[tuple[str, str]]:
    """The same links as (kind, id) pairs, for matching against filters."""
    return {(kind, entry_id) for kind, ids in links(annotation).items() for entry_id in ids}


def tags(annotation: Mapping) -> list[str]:
    return [
        b["value"] for b in body_items(annotation) if b.get("type") == "TextualBody" and b.get("purpose") == "tagging"
    ]


def note(annotation: Mapping) -> str:
    return next(
        (
            b["value"]
            for b in body_items(annotation)
            if b.get("type") == "TextualBody" and b.get("purpose") == "commenting"
        ),
        "",
    )


def creator(annotation: Mapping) -> str:
    who = annotation.get("creator")
    return (who.get("name") or who.get("id") or "") if isinstance(who, dict) else str(who or "")


def selector(annotation: Mapping, kind: str) -> dict:
    target = annotation.get("target", {})
    selectors = target.get("selector", []) if isinstance(target, dict) else []
    selectors = selectors if isinstance(selectors, list) else [selectors]
    return next((s for s in selectors if isinstance(s, dict) and s.get("type") == kind), {})


def span(annotation: Mapping) -> tuple[int, int] | None:
    """Where the passage is in the current transcript text; None while it is flagged for review."""
    if annotation.get("review"):
        return None
    position = selector(annotation, "TextPositionSelector")
    return (position["start"], position["end"]) if position else None


def body_items(annotation: Mapping) -> list[dict]:
    """An annotation's bodies as a list, whatever form the JSON-LD gave them."""
    body = annotation.get("body", [])
    return [b for b in (body if isinstance(body, list) else [body]) if isinstance(b, dict)]


# --- anchoring -----------------------------------------------------------------------------------------------------


def quote(text: str, start: int, end: int) -> dict:
    """Describe text[start:end] by its words and what surrounds them."""
    return {
        "type": "TextQuoteSelector",
        "exact": text[start:end],
        "prefix": text[max(0, start - CONTEXT_CHARS) : start],
        "suffix": text[end : end + CONTEXT_CHARS],
    }


def locate(text: str, exact: str, prefix: str = "", suffix: str = "", near: int | None = None) -> tuple | None:
    """Find a quote in a text: among its occurrences, the one whose surroundings match best, then the nearest to
    where it was. None if the words are not there."""
    if not exact:
        return None
    best, best_score = None, None
    at = text.find(exact)
    while at != -1:
        before = _common_suffix(text[max(0, at - len(prefix)) : at], prefix)
        after = _common_prefix(text[at + len(exact) : at + len(exact) + len(suffix)], suffix)
        score = (before + after, -abs(at - near) if near is not None else 0)
        if best_score is None or score > best_score:
            best, best_score = at, score
        at = text.find(exact, at + 1)
    return (best, best + len(exact)) if best is not None else None


def _common_prefix(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])


def _target(interview_id: str, segments: list[dict], start: int, end: int) -> dict:
    text, starts = interviews.transcript_text(segments)
    selectors = [quote(text, start, end), {"type": "TextPositionSelector", "start": start, "end": end}]
    times = _times(segments, starts, start, end)
    if times:
        selectors.append({"type": "FragmentSelector", "conformsTo": MEDIA_FRAGMENTS, "value": times})
    return {"source": source_of(interview_id), "selector": selectors}


def _times(segments: list[dict], starts: list[int], start: int, end: int) -> str:
    covered = [i for i, s in enumerate(starts) if s < max(end, start + 1) and s + len(segments[i]["text"]) >= start]
    if not covered or segments[covered[0]].get("start") is None:
        return ""
    first, last = segments[covered[0]], covered[-1]
    until = segments[last].get("end")
    if until is None and last + 1 < len(segments):
        until = segments[last + 1].get("start")
    return f"t={_seconds(first['start'])}" + (f",{_seconds(until)}" if until is not None else "")


def _seconds(value: float) -> str:
    return f"{float(value):.3f}".rstrip("0").rstrip(".")


def segment_span(segments: list[dict], n: int) -> tuple[int, int]:
    """The span of one whole segment (by its number), for annotating without selecting text."""
    _, starts = interviews.transcript_text(segments)
    for i, segment in enumerate(segments):
        if segment["n"] == n:
            return starts[i], starts[i] + len(segment["text"])
    raise AnnotationError(N_("This interview has no passage {n}."), "segment", n=n)


def reanchor(
    annotations: list[dict], interview_id: str, old_segments: list[dict], new_segments: list[dict], when: str
) -> tuple[list[dict], list[dict]]:
    """Move every annotation to where its quote is in the corrected transcript; flag those whose words are gone.
    Returns all annotations and the newly flagged ones."""
    old_text, _ = interviews.transcript_text(old_segments)
    new_text, _ = interviews.transcript_text(new_segments)
    unchanged = _common_prefix(old_text, new_text)  # text after the correction moves by the change in length
    shift = len(new_text) - len(old_text)
    moved, flagged = [], []
    for annotation in annotations:
        found_span = span(annotation)
        if found_span is None:  # already flagged: its words may have come back
            q = selector(annotation, "TextQuoteSelector")
            found = locate(new_text, q.get("exact", ""), q.get("prefix", ""), q.get("suffix", ""))
        else:
            start, end = found_span
            q = quote(old_text, start, end) if old_text[start:end] else selector(annotation, "TextQuoteSelector")
            found = locate(
                new_text, q["exact"], q["prefix"], q["suffix"], near=start if start < unchanged else start + shift
            )
        annotation = dict(annotation)
        if found is None:
            if not annotation.get("review"):
                annotation["review"] = {
                    "reason": "The annotated words are not in the corrected transcript.",
                    "since": when,
                }
                flagged.append(annotation)
        else:
            annotation.pop("review", None)
            annotation["target"] = _target(interview_id, new_segments, *found)
        moved.append(annotation)
    return moved, flagged


# --- building and checking -----------------------------------------------------------------------------------------


def bodies(
    collection: Collection,
    chosen: Mapping[str, Iterable[str]],
    tag_list: Iterable[str],
    text: str,
    redact: bool = False,
) -> list:
    """Make the bodies of an annotation from vocabulary ids, tags, a note and whether it redacts its passage (withheld
    from everyone but staff, see redaction.py), refusing unknown ids."""
    found = []
    if redact:
        found.append({"type": "TextualBody", "value": "Withheld from everyone but staff", "purpose": "redacting"})
    for kind in LINK_KINDS:
        ids = list(dict.fromkeys(chosen.get(kind, ())))
        known = vocab.lookup(collection, kind) if ids else {}
        for entry_id in ids:
            if entry_id not in known:
                raise AnnotationError(NO_ENTRY[kind], kind, entry=repr(entry_id))
            found.append({"type": "SpecificResource", "source": f"/{kind}/{entry_id}", "purpose": "tagging"})
    clean_tags = list(dict.fromkeys(" ".join(t.split()) for t in tag_list if t and t.strip()))
    if len(clean_tags) > MAX_TAGS or any(len(t) > MAX_TAG_CHARS for t in clean_tags):
        raise AnnotationError(
            N_("Use at most {tags} tags of at most {chars} characters each."),
            "tags",
            tags=MAX_TAGS,
            chars=MAX_TAG_CHARS,
        )
    found += [{"type": "TextualBody", "value": t, "purpose": "tagging"} for t in clean_tags]
    text = (text or "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise AnnotationError(
            N_("The note is {length} characters long; at most {limit} fit."),
            "note",
            length=Count(len(text)),
            limit=Count(MAX_NOTE_CHARS),
        )
    if text:
        found.append({"type": "TextualBody", "value": text, "format": "text/plain", "purpose": "commenting"})
    if not found:
        raise AnnotationError(
            N_("Choose at least one event, place or person, add a tag or a note, or redact the passage.")
        )
    return found


def _check_span(text: str, start: int, end: int) -> None:
    if not (0 <= start < end <= len(text)):
        raise AnnotationError(
            N_("The passage {start}–{end} is not within the transcript (0–{length})."),
            "passage",
            start=start,
            end=end,
            length=len(text),
        )
    if not text[start:end].strip():
        raise AnnotationError(N_("Select some words of the transcript, not only spaces."), "passage")


def _segments(collection: Collection, interview_id: str) -> list[dict]:
    segments = interviews.segments(collection, interview_id)
    if not segments:
        raise AnnotationError(N_("This interview has no transcript text to annotate."))
    return segments


def _change(
    collection: Collection,
    interview_id: str,
    author: str,
    apply: Callable[[list[dict], list[dict]], object],
    action: str,
):
    """Apply a change to the annotations as they are at this moment (with the transcript as it is), under the
    folder's lock, so that writers at the same time all keep their work."""
    result = {}

    def change(current: dict) -> dict:
        document = parse(current[FILE], interview_id)
        segments = json.loads(current["segments.json"]) if current["segments.json"] else []
        result["value"] = apply(document["first"]["items"], segments)
        return {FILE: dump(document)}

    collection.update("interviews", interview_id, [FILE, "segments.json"], change, author, action=action)
    return result["value"]


def _motivation(body: list) -> str:
    if any(b.get("purpose") == "redacting" for b in body):
        return "moderating"
    return "commenting" if all(b.get("purpose") == "commenting" for b in body) else "tagging"


def create(
    collection: Collection, interview_id: str, start: int, end: int, body: list, author: str, quoted: str | None = None
) -> dict:
    """Annotate text[start:end] of the interview's transcript with ready-made bodies (see `bodies`); `quoted`, when
    given, must be the words there (refused if the transcript changed under the annotator)."""
    stamp = _w3c_time(now())
    motivation = _motivation(body)

    def apply(annotations: list[dict], segments: list[dict]) -> dict:
        if not segments:
            raise AnnotationError(N_("This interview has no transcript text to annotate."))
        text = interviews.transcript_text(segments)[0]
        _check_span(text, start, end)
        if quoted is not None and text[start:end] != quoted:
            raise AnnotationError(
                N_("The transcript changed while you were selecting; select the words again."), "passage"
            )
        annotation = {
            "id": f"urn:uuid:{uuid.uuid4()}",
            "type": "Annotation",
            "motivation": motivation,
            "creator": {"type": "Person", "name": author},
            "created": stamp,
            "modified": stamp,
            "body": body,
            "target": _target(interview_id, segments, start, end),
        }
        annotations.append(annotation)
        return annotation

    return _change(collection, interview_id, author, apply, "annotation-added")


def edit(collection: Collection, interview_id: str, annotation_id: str, expected: str, body: list, author: str) -> dict:
    """Replace an annotation's bodies; refused if it changed since `expected` (its version when read)."""

    def apply(annotations: list[dict], _segments: list[dict]) -> dict:
        i = _find(annotations, annotation_id, expected)
        changed = dict(annotations[i], body=body, modified=_w3c_time(now()))
        changed["motivation"] = _motivation(body)
        annotations[i] = changed
        return changed

    return _change(collection, interview_id, author, apply, "annotation-changed")


def delete(collection: Collection, interview_id: str, annotation_id: str, expected: str, author: str) -> None:
    """Remove an annotation; the file's history keeps it."""

    def apply(annotations: list[dict], _segments: list[dict]) -> None:
        del annotations[_find(annotations, annotation_id, expected)]

    _change(collection, interview_id, author, apply, "annotation-removed")


def find(collection: Collection, interview_id: str, annotation_id: str) -> dict:
    annotations = items(collection, interview_id)
    return annotations[_find(annotations, annotation_id, None)]


def _find(annotations: list[dict], annotation_id: str, expected: str | None) -> int:
    wanted = annotation_id if annotation_id.startswith("urn:uuid:") else f"urn:uuid:{annotation_id}"
    for i, annotation in enumerate(annotations):
        if annotation.get("id") == wanted:
            if expected is not None and version(annotation) != expected:
                raise AnnotationConflict(
                    f"{creator(annotation) or 'Someone'} changed this annotation at "
                    f"{annotation.get('modified', '?')} since you opened it; "
                    "look at it again before changing it."
                )
            return i
    if expected is not None:
        raise AnnotationConflict("This annotation was deleted since you opened it.")
    raise NotFound(f"There is no annotation {annotation_id!r} in this interview.")


def _w3c_time(stamp: str) -> str:
    return stamp.split(".")[0] + "Z"  # xsd:dateTime in UTC, to the second, as the model's examples are


# --- Web Annotation documents from outside (API, import) -----------------------------------------------------------


def from_jsonld(collection: Collection, interview_id: str, data: object, author: str) -> dict:
    """Store an Annotation posted to the API: its target must quote this interview's transcript (positions are
    optional and checked); its bodies must name known events, places and people, or be tags and notes."""
    annotation = _read_annotation(collection, interview_id, data, imported=False)
    start, end = annotation["span"]
    return create(collection, interview_id, start, end, annotation["body"], author, quoted=annotation["quoted"])


def import_collection(
    collection: Collection, interview_id: str, data: object, author: str, expected: str | None = None
) -> dict[str, int]:
    """Take an AnnotationCollection (as `export` gives) back in: annotations with a known id are replaced, others
    added, each kept exactly as given (creator, times, ids) once it checks out. All or nothing; refused if
    `expected` is given and the annotations are no longer those it names (their `collection_version` when read)."""
    if not isinstance(data, dict) or data.get("type") != "AnnotationCollection":
        raise AnnotationError(
            N_('Expected a W3C AnnotationCollection: a JSON object with "type": "AnnotationCollection".')
        )
    page = data.get("first", {})
    given = page.get("items") if isinstance(page, dict) else None
    if not isinstance(given, list):
        raise AnnotationError(N_('The collection has no "first" page with "items".'))
    checked = [_read_annotation(collection, interview_id, item, imported=True)["stored"] for item in given]
    ids = [a["id"] for a in checked]
    if len(set(ids)) != len(ids):
        raise AnnotationError(N_("The collection holds the same annotation id twice."))

    def apply(annotations: list[dict], _segments: list[dict]) -> dict[str, int]:
        if expected is not None and collection_version(annotations) != expected:
            raise AnnotationConflict("The annotations of this interview changed since you read them.")
        where = {a["id"]: i for i, a in enumerate(annotations)}
        counts = {"added": 0, "replaced": 0}
        for annotation in checked:
            if annotation["id"] in where:
                annotations[where[annotation["id"]]] = annotation
                counts["replaced"] += 1
            else:
                annotations.append(annotation)
                counts["added"] += 1
        return counts

    return _change(collection, interview_id, author, apply, "annotations-imported")


def _check_kept_fields(stored: dict, label: str) -> None:
    """An imported annotation is kept as given: the fields that pages and exports read must have their W3C shape
    (times and names as text), or one bad import would break its interview's page for every reader."""
    for key in ("created", "modified"):
        if key in stored and not isinstance(stored[key], str):
            raise AnnotationError(
                N_('"{key}" of {label} must be a date and time written as text (for example "2026-11-30T10:00:00Z").'),
                key,
                key=key,
                label=label,
            )
    who = stored.get("creator")
    if (
        who is not None
        and not isinstance(who, str)
        and not (isinstance(who, dict) and all(isinstance(who.get(k, ""), str) for k in ("name", "id")))
    ):
        raise AnnotationError(
            N_('"creator" of {label} must be a name, or an object whose "name" and "id" are text.'),
            "creator",
            label=label,
        )
    review = stored.get("review")
    if review is not None and not (isinstance(review, dict) and isinstance(review.get("reason", ""), str)):
        raise AnnotationError(
            N_('"review" of {label} must be an object whose "reason" is text.'), "review", label=label
        )


def _read_bodies(collection: Collection, raw_bodies: object, label: str) -> tuple[list, bool]:
    """The bodies of a W3C Annotation as the archive makes them (see `bodies`), and whether one redacts."""
    chosen: dict[str, list[str]] = {kind: [] for kind in LINK_KINDS}
    tag_list, notes, redact = [], [], False
    for body in raw_bodies if isinstance(raw_bodies, list) else [raw_bodies]:
        if not isinstance(body, dict):
            raise AnnotationError(N_("Each body of {label} must be an object."), "body", label=label)
        if body.get("type") == "SpecificResource":
            kind, _, entry_id = str(body.get("source", "")).rstrip("/").rpartition("/")
            kind = kind.rpartition("/")[2]
            if kind not in LINK_KINDS or not entry_id:
                raise AnnotationError(
                    N_("A SpecificResource body must name /events/<id>, /places/<id> or /people/<id>, not {given}."),
                    "body",
                    given=repr(body.get("source")),
                )
            chosen[kind].append(entry_id)
        elif body.get("type") == "TextualBody" and body.get("purpose") == "redacting":
            redact = True
        elif body.get("type") == "TextualBody" and isinstance(body.get("value"), str):
            (notes if body.get("purpose") == "commenting" else tag_list).append(body["value"])
        else:
            raise AnnotationError(
                N_("A body of {label} is neither a SpecificResource nor a TextualBody with a value."),
                "body",
                label=label,
            )
    if len(notes) > 1:
        raise AnnotationError(N_("{label} has more than one note."), "body", label=label)
    return bodies(collection, chosen, tag_list, notes[0] if notes else "", redact), redact


def bodies_for_edit(collection: Collection, current: Mapping, data: object) -> list:
    """Read the bodies of an annotation sent back to change what it says (the API's PUT). Only what it says may
    change: an id or a quote other than the annotation's own is refused (to mark other words, annotate them)."""
    if not isinstance(data, dict) or data.get("type") != "Annotation":
        raise AnnotationError(N_('Expected a W3C Annotation: a JSON object with "type": "Annotation".'))
    if "id" in data and data["id"] not in (current["id"], short_id(current)):
        raise AnnotationError(
            N_("This is annotation {id}, not {given}."), "id", id=current["id"], given=repr(data["id"])
        )
    target = data.get("target", current.get("target"))
    if isinstance(target, list) and len(target) == 1:
        target = target[0]
    given = selector({"target": target}, "TextQuoteSelector").get("exact") if isinstance(target, dict) else None
    if given != selector(current, "TextQuoteSelector").get("exact"):
        raise AnnotationError(
            N_("An edit changes what an annotation says, not the words it marks: send its target as it is, or none."),
            "target",
        )
    return _read_bodies(collection, data.get("body", []), THE_ANNOTATION)[0]


def _read_annotation(collection: Collection, interview_id: str, data: object, imported: bool) -> dict:
    if not isinstance(data, dict) or data.get("type") != "Annotation":
        raise AnnotationError(N_('Expected a W3C Annotation: a JSON object with "type": "Annotation".'))
    label = Message(N_("annotation {id}"), id=data["id"]) if imported and data.get("id") else THE_ANNOTATION
    target = data.get("target")
    if isinstance(target, list):
        target = target[0] if len(target) == 1 else None
    if not isinstance(target, dict):
        raise AnnotationError(N_("{label} needs one target: the transcript passage."), "target", label=label)
    if target.get("source") not in (None, source_of(interview_id)) and not str(target.get("source")).endswith(
        source_of(interview_id)
    ):
        raise AnnotationError(
            N_("The target of {label} is {given}, not this interview ({source})."),
            "target",
            label=label,
            given=repr(target.get("source")),
            source=source_of(interview_id),
        )
    q = selector({"target": target}, "TextQuoteSelector")
    if not isinstance(q.get("exact"), str) or not q["exact"].strip():
        raise AnnotationError(
            N_("The target of {label} needs a TextQuoteSelector with the exact words."), "target", label=label
        )
    segments = _segments(collection, interview_id)
    text = interviews.transcript_text(segments)[0]
    position = selector({"target": target}, "TextPositionSelector")
    found = None
    if isinstance(position.get("start"), int) and isinstance(position.get("end"), int):
        if text[position["start"] : position["end"]] == q["exact"]:
            found = (position["start"], position["end"])
    if found is None:
        found = locate(text, q["exact"], str(q.get("prefix", "")), str(q.get("suffix", "")))
    body, redact = _read_bodies(collection, data.get("body", []), label)
    if not imported:
        if found is None:
            raise AnnotationError(
                N_('The quoted words "{words}" are not in the transcript of interview {id}.'),
                "target",
                words=q["exact"][:80],
                id=interview_id,
            )
        return {"span": found, "body": body, "quoted": q["exact"]}
    stored = {k: data[k] for k in data if k != "@context"}
    _check_kept_fields(stored, label)
    if not isinstance(stored.get("id"), str) or not stored["id"].startswith("urn:uuid:"):
        raise AnnotationError(
            N_('Each imported annotation needs its "id" (urn:uuid:…) to be kept; {label} has {given}.'),
            "id",
            label=label,
            given=repr(stored.get("id")),
        )
    if redact:  # a redaction that cannot be placed would withhold nothing: it must anchor, now
        if found is None:
            raise AnnotationError(
                N_(
                    'The redacted words "{words}" of {label} are not in the transcript of interview {id}; a '
                    "redaction must match the transcript."
                ),
                "target",
                words=q["exact"][:80],
                label=label,
                id=interview_id,
            )
        stored.pop("review", None)
    if found is None and not stored.get("review"):
        raise AnnotationError(
            N_('The quoted words "{words}" of {label} are not in the transcript of interview {id}.'),
            "target",
            words=q["exact"][:80],
            label=label,
            id=interview_id,
        )
    if found is not None and not stored.get("review"):
        stored["target"] = _target(interview_id, segments, *found)  # anchored on this copy, in our one shape
    return {"stored": stored}
