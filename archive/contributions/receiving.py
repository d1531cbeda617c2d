"""Receiving what a family sends: a testimony, every file checked completely first and kept in the
inbox in one write with a receipt given, and what they add later through that receipt."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path

from .. import images, metadata, recordings, vocab
from ..collection import ID_ALPHABET, Collection, now
from ..errors import ConflictError
from ..formats import FormatError
from ..formats import read as read_transcript
from ..i18n import N_
from .inbox import (
    KIND,
    RETRIES,
    SCHEMA,
    STORY_KINDS,
    VISIBILITY,
    ContributionError,
    Submission,
    Upload,
    _json,
    _save,
    load,
)
from .receipts import CODE_LENGTH, Receipt, _digest


def _not_a_story(upload: Upload) -> ContributionError:
    return ContributionError(
        N_("{name}: send the story as plain text, a Word file (.docx) or audio"),
        "story_file",
        "story_type",
        upload.name,
        name=upload.name,
    )


def check_story_file(upload: Upload) -> str:
    """Tell what a story file is ("txt", "docx" or the container of a sound recording, also its extension) or refuse
    it, by its content; a recording is probed whole (recordings.probe), so a damaged one is refused now."""
    if isinstance(upload.source, bytes):
        head = upload.source[:32]
    else:
        with upload.source.open("rb") as opened:
            head = opened.read(32)
    if recordings.sniff(head):
        try:
            found = recordings.probe(upload.source, upload.name)
        except recordings.RecordingError as error:
            raise ContributionError("{error}", "story_file", "story_type", upload.name, error=error) from None
        if found.kind != "audio":  # a video is not a story the form takes
            raise _not_a_story(upload)
        return found.extension
    data = upload.source if isinstance(upload.source, bytes) else upload.source.read_bytes()
    try:
        transcript = read_transcript(data, upload.name)
    except FormatError as error:
        raise ContributionError(
            "{name}: {error}", "story_file", "story_type", upload.name, name=upload.name, error=error
        ) from None
    if transcript.format not in STORY_KINDS:
        raise _not_a_story(upload)
    return transcript.format


def check_photo(upload: Upload, limits: images.Limits) -> images.Processed:
    """Decode a photo completely, or refuse it with the reason."""
    try:
        return images.process(upload.source, limits)
    except images.ImageError as error:
        raise ContributionError(
            "{name}: {error}", "photos", error.code, upload.name, name=upload.name, error=error
        ) from None


def places(typed: Mapping[str, object], collection: Collection) -> dict:
    """Keep villages as typed, each with the gazetteer place it names (when the gazetteer is sure which, as metadata
    is) or the places it may mean, for a historian to choose."""
    gazetteer = vocab.gazetteer(collection)

    def one(name: str) -> dict:
        name = " ".join(name.split())
        choice = gazetteer.choose(name)
        entry: dict = {"typed": name}
        if choice.place is not None:
            entry["place"] = choice.place.id
        else:
            entry["suggestions"] = [p.id for p in choice.candidates[:3]]
        return entry

    result = {}
    for key, value in typed.items():
        names = value if isinstance(value, list) else metadata._list_of(value or "")
        result[key] = [one(n) for n in names if str(n).strip()]
    return result


def submit(
    collection: Collection,
    details: Mapping,
    story: Upload | None,
    photos: list[Upload],
    limits: images.Limits,
    language: str,
) -> Receipt:
    """Check everything a family sent, then keep it in the inbox in one write; return the receipt.

    `details` holds contributor, narrator, places, story_text and consent as the public form gives them. Each file
    is checked completely first, so a refused one leaves nothing behind.
    """
    story_text = (details.get("story_text") or "").strip()
    if not story_text and story is None:
        raise ContributionError(N_("tell the story in the box, or attach it as a file"), "story_text", "story_missing")
    files: dict[str, bytes | Path] = {}
    record: dict = {
        "schema": SCHEMA,
        "status": "new",
        "received": now(),
        "language": language,
        "contributor": {k: " ".join(str(details.get(k) or "").split()) for k in ("name", "relation", "contact")},
        "narrator": {
            "name": " ".join(str(details.get("narrator") or "").split()),
            "other_forms": metadata._list(details.get("narrator_other_forms") or ""),
            "birth_year": details.get("birth_year"),
        },
        "places": places({k: details.get(k) or "" for k in ("birthplace", "deported_to", "later_homes")}, collection),
        "story": {"text": story_text},
        "consent": {
            "visibility": details["visibility"],
            "living_named": bool(details.get("living_named")),
            "embargo_until": details.get("embargo_until") or "",
            "agreed": now(),
            "terms": details.get("terms_version", ""),
        },
        "photos": [],
        "metadata": {},
        "log": [],
    }
    if details["visibility"] not in VISIBILITY:
        raise ContributionError(N_("choose who may see it"), "visibility", "visibility")
    if story is not None:
        kind = check_story_file(story)
        name = f"files/story.{'xml' if kind == 'ohms' else kind}"
        files[name] = story.source
        record["story"].update({"file": name, "name": Path(story.name).name, "kind": kind})
    record["photos"] = _take_photos(photos, limits, files, start=1)
    token = secrets.token_urlsafe(24)
    code = "".join(secrets.choice(ID_ALPHABET) for _ in range(CODE_LENGTH))
    record["receipt"] = {"token_sha256": _digest(token), "code_sha256": _digest(code)}
    record["log"].append({"at": now(), "by": "contributor", "action": "submitted"})
    files["submission.json"] = _json(record)
    submission_id = collection.create(KIND, files, "contributor")
    return Receipt(submission_id, token, code)


def _take_photos(photos: list[Upload], limits: images.Limits, files: dict, start: int) -> list[dict]:
    return _file_photos(_checked_photos(photos, limits), files, start)


def _checked_photos(photos: list[Upload], limits: images.Limits) -> list[tuple[Upload, images.Processed]]:
    """Decode every photo completely (once), or refuse the first that cannot be taken, naming which it was."""
    checked = []
    for n, photo in enumerate(photos):
        try:
            checked.append((photo, check_photo(photo, limits)))
        except ContributionError as error:
            error.index = n  # which of the photos sent, for the form to put the reason beside it
            raise
    return checked


def _file_photos(checked: list[tuple[Upload, images.Processed]], files: dict, start: int) -> list[dict]:
    """Name checked photos files/photo-<n> from `start` on, adding them (and their thumbnails) to `files`."""
    taken = []
    for n, (photo, processed) in enumerate(checked, start):
        name = f"files/photo-{n}.{processed.extension}"
        files[name] = photo.source
        files[f"files/photo-{n}.thumb.jpg"] = processed.pages[0].thumbnail
        taken.append(
            {
                "file": name,
                "thumb": f"files/photo-{n}.thumb.jpg",
                "name": Path(photo.name).name,
                "caption": " ".join(photo.caption.split()),
            }
        )
    return taken


def add_from_contributor(
    collection: Collection, submission: Submission, text: str, photos: list[Upload], limits: images.Limits
) -> Submission:
    """A correction, an answer to a question, or more photos, from the receipt page. Written on top of whatever
    was written meanwhile (a second click, a historian's question), never refused for it."""
    text = (text or "").strip()
    if not text and not photos:
        raise ContributionError(N_("write something or choose a photo"), "text", "empty")
    checked = _checked_photos(photos, limits)
    current = submission
    for _ in range(RETRIES):
        if current.status in ("declined", "withdrawn"):
            raise ContributionError(N_("this testimony is closed; nothing more can be added to it"), None, "closed")
        files: dict[str, bytes | Path | None] = {}
        record = dict(current.record)
        record["photos"] = [
            *record.get("photos", []),
            *_file_photos(checked, files, start=len(record.get("photos", [])) + 1),
        ]
        if text:
            action = "reply" if current.status == "questioned" else "correction"
            record["log"] = [*record["log"], {"at": now(), "by": "contributor", "action": action, "text": text}]
        if photos:
            record["log"] = [
                *record["log"],
                {"at": now(), "by": "contributor", "action": "photos", "text": ", ".join(p.name for p in photos)},
            ]
        try:
            return _save(collection, current, record, "contributor", files)
        except ConflictError:
            current = load(collection, submission.id)
    raise ContributionError(N_("the archive is busy with this testimony; please send it again"), None, "busy")
