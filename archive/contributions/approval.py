"""Approval: a submission becomes an interview and media items, made by the same ingesters (with
the app's limits) as every other upload, their access following the family's consent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import media, metadata, vocab
from ..collection import Collection, now
from ..errors import CollectionError
from ..i18n import N_
from ..ingest import Ingester
from .inbox import KIND, STORY_KINDS, ContributionError, Submission, _require_open, _save, load
from .moderation import _decide, english, interview_metadata
from .receipts import hide_made_from

if TYPE_CHECKING:  # the services give an indexer; only its type is needed here
    from ..search import Updates


NEEDS_CORRECTING = N_("the description needs correcting first: {error}")


@dataclass(frozen=True)
class Makers:
    """What an approval makes records with, given by the services: ingesters built with the app's own limits, and
    the indexer that hides at once what a withdrawn contribution made."""

    transcripts: Callable[[str], Ingester]  # author -> an ingester of transcripts
    images: Callable[[str], media.MediaIngester]  # author -> an ingester of images
    indexer: Updates | None = None
    say: Callable[..., str] = english  # (language, marked template, **values) -> the words a record is given


def approve(collection: Collection, submission: Submission, author: str, makers: Makers) -> Submission:
    """Make the interview and the media items, with access from the consent; refuse (naming the fields) when the
    description does not pass the archive's checks, so the historian can correct it first."""
    _require_open(submission)
    raw = interview_metadata(submission, vocab.current(collection, "surnames")[0], makers.say)
    try:
        checked = metadata.validate(raw, vocab.gazetteer(collection))
    except metadata.MetadataError as error:
        raise ContributionError(NEEDS_CORRECTING, "metadata", error=error) from error
    # claimed first: a second approval (a double click, another historian) now meets a changed version, not a twin
    claimed = _decide(collection, submission, author, "approving", status="approving")
    try:
        return _make(collection, claimed, raw, checked, author, makers)
    except BaseException:
        current = load(collection, submission.id)
        if current.status == "approving":  # put it back, so that it can be approved again
            _save(
                collection,
                current,
                {
                    **current.record,
                    "status": submission.status,
                    "log": [*current.record["log"], {"at": now(), "by": author, "action": "approval failed"}],
                },
                author,
            )
        raise


def _make(
    collection: Collection,
    submission: Submission,
    raw: dict,
    checked: dict,
    author: str,
    makers: Makers,
) -> Submission:
    story = submission.record["story"]
    audio, audio_name = None, ""
    if story.get("file") and story["kind"] in STORY_KINDS:
        data, name = collection.read(KIND, submission.id, story["file"]).data, story["name"]
    else:
        text = story.get("text") or "(A recording sent by the family; not yet transcribed.)"
        data, name = text.encode("utf-8"), "story.txt"
        if story.get("file"):
            audio, audio_name = collection.path(KIND, submission.id, story["file"]), story["name"]
    # a family's story keeps its line breaks: a poem, a letter, a list of names are written line by line
    outcome = makers.transcripts(author).ingest(
        data, name, raw, audio, audio_name, same_content_ok=True, line_breaks=True
    )
    if outcome.status != "ingested":
        raise ContributionError(
            N_("the story could not become an interview: {reason}"), "metadata", reason=outcome.reason
        )
    interview_id = outcome.interview_id
    photos = submission.record.get("photos", [])
    made, linked, failed = _photo_items(
        collection, submission, range(len(photos)), raw, checked, interview_id, author, makers
    )
    record = {
        **submission.record,
        "status": "approved",
        "result": {"interview": interview_id, "media": made, "already_held": linked, "photos_taken": len(photos)},
        "log": [
            *submission.record["log"],
            {"at": now(), "by": author, "action": "approved", "text": f"interviews/{interview_id}"},
            *failed,
        ],
    }
    return _save_or_hide(collection, submission, record, author, makers.indexer)


def awaiting(submission: Submission) -> bool:
    """Tell whether the contributor has written or sent something since a historian last acted."""
    log = submission.record.get("log", [])
    return bool(log) and log[-1]["by"] == "contributor" and log[-1]["action"] in ("reply", "correction", "photos")


def pending_photos(submission: Submission) -> int:
    """How many photos the family added after approval, waiting for a historian."""
    result = submission.record.get("result", {})
    taken = result.get("photos_taken", len(result.get("media", [])) + len(result.get("already_held", [])))
    return max(0, len(submission.record.get("photos", [])) - taken) if submission.status == "approved" else 0


def approve_photos(collection: Collection, submission: Submission, author: str, makers: Makers) -> Submission:
    """Add the photos a family sent after approval, described and opened like the first ones."""
    waiting = pending_photos(submission)
    if not waiting:
        raise ContributionError(N_("there are no new photos to add"))
    raw = interview_metadata(submission, vocab.current(collection, "surnames")[0], makers.say)
    try:
        checked = metadata.validate(raw, vocab.gazetteer(collection))
    except metadata.MetadataError as error:
        raise ContributionError(NEEDS_CORRECTING, "metadata", error=error) from error
    photos = submission.record["photos"]
    result = submission.record["result"]
    made, linked, failed = _photo_items(
        collection,
        submission,
        range(len(photos) - waiting, len(photos)),
        raw,
        checked,
        result["interview"],
        author,
        makers,
    )
    record = {
        **submission.record,
        "result": {
            **result,
            "media": [*result.get("media", []), *made],
            "already_held": [*result.get("already_held", []), *linked],
            "photos_taken": len(photos),
        },
        "log": [
            *submission.record["log"],
            {"at": now(), "by": author, "action": "photos approved", "text": ", ".join(f"media/{m}" for m in made)},
            *failed,
        ],
    }
    return _save_or_hide(collection, submission, record, author, makers.indexer)


def _photo_items(
    collection: Collection,
    submission: Submission,
    numbers,
    raw: dict,
    checked: dict,
    interview_id: str,
    author: str,
    makers: Makers,
) -> tuple[list, list, list]:
    """Turn the chosen photos into items linked to the interview, with its places and the consented access; a photo
    that cannot be added is named in the log (third list) for the historian."""
    items = makers.images(author)
    places = list(
        dict.fromkeys(
            p["place"]
            for p in [checked.get("birthplace") or {}, *checked.get("deported_to", []), *checked.get("later_homes", [])]
            if p.get("place")
        )
    )
    made, linked, failed = [], [], []
    for i in numbers:
        photo = submission.record["photos"][i]
        title = photo["caption"] if len(photo["caption"]) <= 200 else photo["caption"][:200].rsplit(" ", 1)[0] + "…"
        item_raw = {
            "title": title
            or makers.say(submission.record.get("language", ""), N_("{title}, photo {n}"), title=raw["title"], n=i + 1),
            "caption": photo["caption"],
            "kind": "photograph",
            "people": raw["narrators"][0]["name"],
            "places": places,
            "interviews": [interview_id],
            "access": raw["access"],
            "embargo_until": raw["embargo_until"],
            "contribution": submission.id,
            "rights": "Given by the family through the public form",
        }
        result = items.ingest(collection.path(KIND, submission.id, photo["file"]), photo["name"], item_raw)
        if result.status == "ingested":
            made.append(result.interview_id)
        elif result.status == "duplicate":  # already in the archive: named, but not the family's to withdraw
            linked.append(result.interview_id)
        else:
            failed.append(
                {"at": now(), "by": author, "action": "photo not added", "text": f"{photo['name']}: {result.reason}"}
            )
    return made, linked, failed


def _save_or_hide(collection: Collection, submission: Submission, record: dict, author: str, indexer) -> Submission:
    """Record what a historian made; if consent was withdrawn meanwhile, hide what was just made, and say so."""
    try:
        return _save(collection, submission, record, author)
    except CollectionError:
        if load(collection, submission.id).status == "withdrawn":
            hide_made_from(collection, submission.id, indexer)
        raise
