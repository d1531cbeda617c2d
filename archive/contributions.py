"""Family contributions: a testimony and its photos, sent without an account, kept untrusted until a historian
approves it.

A submission is a folder of the inbox, `contributions/<id>/`: `submission.json` (what was typed, the consent given,
the receipt's hashes, and a log of every action with who and when) and `files/` (the story's file and the photos,
byte for byte, with a thumbnail of each photo made once when it arrives). The inbox is written through the collection
like everything else, so each change is versioned; it is never indexed, and only the contributor (by the receipt link
or code) and staff can open a submission. Approval turns it into an interview and media items whose access follows
the consent: "everyone" is public, "researchers" is researchers, "family only" is the `family` level, which the
receipt link opens. Withdrawing consent marks everything made from it withdrawn, which hides it at once.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import access, images, media, metadata, vocab
from .collection import ID_ALPHABET, Collection, is_valid_id, now
from .errors import ArchiveError, CollectionError, ConflictError
from .formats import FormatError
from .formats import read as read_transcript
from .ingest import Ingester, audio_kind

if TYPE_CHECKING:  # the services give an indexer; only its type is needed here
    from .indexing import Indexer

SCHEMA = 1
KIND = "contributions"
VISIBILITY = {  # what the family consented to -> the record's access level
    "public": access.Level.PUBLIC.value,
    "researchers": access.Level.RESEARCHERS.value,
    "family": access.Level.FAMILY.value,
}
STATUSES = ("new", "questioned", "approving", "approved", "declined", "withdrawn")
OPEN = ("new", "questioned")  # what a historian still has to decide
STORY_KINDS = ("txt", "docx")
CODE_LENGTH = 10  # 50 bits, typed as two groups of five; guesses are throttled per address
# Crockford's base 32 reads O as 0 and I, L as 1; a Russian keyboard types Cyrillic letters that look the same
_MISREAD = str.maketrans("oilавсекмнорстху", "011abcekmh0pctxy")


class ContributionError(ArchiveError):
    """A contribution or an action on it is refused; `field` names the form field it is about, if any, `code` the
    problem (which the public form translates), `file` the name of the file sent that it is about."""

    code = "contribution-refused"

    def __init__(self, message: str, field: str | None = None, code: str = "", file: str | None = None):
        super().__init__(message, field, code or None)
        self.file = file
        self.index: int | None = None  # for a photo: which of those sent


@dataclass
class Upload:
    """A file a family sent: its bytes (or where they wait on disk), its name, and for a photo its caption."""

    source: bytes | Path
    name: str
    caption: str = ""


@dataclass
class Submission:
    """One submission as stored, with the version an action must name."""

    id: str
    record: dict
    version: str

    @property
    def status(self) -> str:
        return self.record.get("status", "new")

    @property
    def received(self) -> str:
        return self.record.get("received", "")


@dataclass
class Receipt:
    """What the contributor keeps: the private link's secret and a short code to write down."""

    submission_id: str
    token: str
    code: str = field(repr=False)

    @property
    def code_shown(self) -> str:
        return f"{self.code[:5]}-{self.code[5:]}".upper()


def load(collection: Collection, submission_id: str) -> Submission:
    """Read one submission; CollectionError if there is none by that identifier."""
    stored = collection.read(KIND, submission_id, "submission.json")
    return Submission(submission_id, json.loads(stored.data), stored.version)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def by_token(collection: Collection, submission_id: str, token: str) -> Submission | None:
    """The submission a receipt link names, or None if the link is wrong (compared in constant time)."""
    if not is_valid_id(submission_id, KIND) or not collection.exists(KIND, submission_id):
        return None
    submission = load(collection, submission_id)
    expected = submission.record.get("receipt", {}).get("token_sha256", "")
    return submission if hmac.compare_digest(expected, _digest(token or "")) else None


def by_code(collection: Collection, code: str) -> Submission | None:
    """The submission a written-down code belongs to, or None."""
    cleaned = "".join(c for c in (code or "").lower() if c.isalnum()).translate(_MISREAD)
    if len(cleaned) != CODE_LENGTH:
        return None
    wanted = _digest(cleaned)
    for submission_id in collection.ids(KIND):
        submission = load(collection, submission_id)
        if hmac.compare_digest(submission.record.get("receipt", {}).get("code_sha256", ""), wanted):
            return submission
    return None


def queue(collection: Collection) -> tuple[list[Submission], dict[str, int]]:
    """Every submission, newest first, and how many there are in each status."""
    found = []
    for submission_id in collection.ids(KIND):
        try:
            found.append(load(collection, submission_id))
        except (CollectionError, ValueError):
            continue
    found.sort(key=lambda s: s.received, reverse=True)
    counts = {status: sum(s.status == status for s in found) for status in STATUSES}
    return found, counts


# --- receiving --------------------------------------------------------------------------------------------------------


def check_story_file(upload: Upload) -> str:
    """Tell what a story file is ("txt", "docx" or an audio kind) or refuse it, by its content."""
    head = upload.source[:32] if isinstance(upload.source, bytes) else upload.source.read_bytes()[:32]
    kind = audio_kind(head)
    if kind:
        return kind
    data = upload.source if isinstance(upload.source, bytes) else upload.source.read_bytes()
    try:
        transcript = read_transcript(data, upload.name)
    except FormatError as error:
        raise ContributionError(f"{upload.name}: {error}", "story_file", "story_type", upload.name) from None
    if transcript.format not in STORY_KINDS:
        raise ContributionError(
            f"{upload.name}: send the story as plain text, a Word file (.docx) or audio",
            "story_file",
            "story_type",
            upload.name,
        )
    return transcript.format


def check_photo(upload: Upload, limits: images.Limits) -> images.Processed:
    """Decode a photo completely, or refuse it with the reason."""
    try:
        return images.process(upload.source, limits)
    except images.ImageError as error:
        raise ContributionError(f"{upload.name}: {error}", "photos", error.code, upload.name) from None


def places(typed: Mapping[str, object], collection: Collection) -> dict:
    """Keep villages as typed, each with the gazetteer place it names (when exactly one) or suggestions."""
    gazetteer = vocab.gazetteer(collection)

    def one(name: str) -> dict:
        name = " ".join(name.split())
        found = gazetteer.match(name)
        entry: dict = {"typed": name}
        if len(found) == 1:
            entry["place"] = found[0].id
        else:
            entry["suggestions"] = [p.id for p in (found or gazetteer.suggest(name, limit=3))]
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
        raise ContributionError("tell the story in the box, or attach it as a file", "story_text", "story_missing")
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
        raise ContributionError("choose who may see it", "visibility", "visibility")
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


# --- what the contributor does later ---------------------------------------------------------------------------------

RETRIES = 50  # a contributor's change is read, changed and written again if someone wrote in between (a double click)


def add_from_contributor(
    collection: Collection, submission: Submission, text: str, photos: list[Upload], limits: images.Limits
) -> Submission:
    """A correction, an answer to a question, or more photos, from the receipt page. Written on top of whatever
    was written meanwhile (a second click, a historian's question), never refused for it."""
    text = (text or "").strip()
    if not text and not photos:
        raise ContributionError("write something or choose a photo", "text", "empty")
    checked = _checked_photos(photos, limits)
    current = submission
    for _ in range(RETRIES):
        if current.status in ("declined", "withdrawn"):
            raise ContributionError("this testimony is closed; nothing more can be added to it", None, "closed")
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
    raise ContributionError("the archive is busy with this testimony; please send it again", None, "busy")


def withdraw(collection: Collection, submission: Submission, indexer: Indexer | None = None) -> Submission:
    """Withdraw consent: the submission closes, and what it became is hidden from all but staff at once. Whatever
    was written meanwhile, the withdrawal is written on top of it: it is never lost to a conflict."""
    current = submission
    for _ in range(RETRIES):
        if current.status == "withdrawn":
            break
        record = {
            **current.record,
            "status": "withdrawn",
            "log": [*current.record["log"], {"at": now(), "by": "contributor", "action": "withdrawn"}],
        }
        try:
            current = _save(collection, current, record, "contributor")
        except ConflictError:
            current = load(collection, submission.id)
    else:
        raise ContributionError("the archive is busy with this testimony; please withdraw again", None, "busy")
    hide_made_from(collection, submission.id, indexer)
    return current


def hide_made_from(collection: Collection, submission_id: str, indexer: Indexer | None = None) -> list[str]:
    """Mark withdrawn every interview and item this contribution made: found by their `contribution`, not by the
    submission's list, so one an approval is making at this very moment is caught too. Returns their index ids."""
    today = datetime.date.today().isoformat()
    hidden = []
    for kind, name in (("interviews", "interview.json"), ("media", "item.json")):
        for folder_id in collection.ids(kind):
            try:
                record = json.loads(collection.read(kind, folder_id, name).data)
            except (CollectionError, ValueError):
                continue
            if record.get("contribution") != submission_id or record.get("withdrawn"):
                continue

            def mark(current, name=name):
                return {name: _json({**json.loads(current[name]), "withdrawn": today})}

            collection.update(kind, folder_id, [name], mark, "contributor")
            hidden.append(folder_id if kind == "interviews" else f"media/{folder_id}")
    if indexer is not None and hidden:
        indexer.updated(*hidden)  # hidden in the collection already; a failure is logged and the check catches up
    return hidden


# --- what historians do -----------------------------------------------------------------------------------------------


def ask(collection: Collection, submission: Submission, question: str, author: str) -> Submission:
    """Put a question to the contributor; it is shown on the receipt page."""
    return _decide(
        collection,
        submission,
        author,
        "question",
        _required(question, "write the question", "question"),
        status="questioned",
    )


def describe(collection: Collection, submission: Submission, described: Mapping, author: str) -> Submission:
    """Keep a historian's description (title, date, places, surnames, ...) for the interview approval will make."""
    return _decide(
        collection,
        submission,
        author,
        "described",  # blanks kept: a historian may clear a place
        metadata={k: v or "" for k, v in described.items()},
    )


def decline(collection: Collection, submission: Submission, reason: str, author: str) -> Submission:
    """Decline with a reason the contributor will read."""
    return _decide(
        collection,
        submission,
        author,
        "declined",
        _required(reason, "say why, for the contributor", "reason"),
        status="declined",
    )


def _required(text: str | None, message: str, field: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ContributionError(message, field)
    return text


def _decide(
    collection: Collection, submission: Submission, author: str, action: str, text: str = "", **changes
) -> Submission:
    """A historian's step on an open submission: the change, and its line in the log."""
    _require_open(submission)
    entry = {"at": now(), "by": author, "action": action, **({"text": text} if text else {})}
    record = {**submission.record, **changes, "log": [*submission.record["log"], entry]}
    return _save(collection, submission, record, author)


def interview_metadata(submission: Submission) -> dict:
    """The interview's description as approval will give it: the historian's, else what the family typed."""
    record = submission.record
    given = record.get("metadata", {})
    narrator = record["narrator"]

    def typed(key):  # as the family wrote it, with the gazetteer place it was matched to
        return [
            {"name": p["typed"], **({"place": p["place"]} if p.get("place") else {})}
            for p in record["places"].get(key, [])
        ]

    consent = record["consent"]
    story = record.get("story", {})
    note = story.get("text", "") if story.get("file") and story.get("kind") in STORY_KINDS else ""
    default_title = f"{narrator['name']}: a family testimony"
    raw = {  # the contributor's own name stays in the inbox: a historian may add it, the family never said to
        "title": default_title,
        "narrators": [{"name": narrator["name"], "other_forms": narrator.get("other_forms", [])}],
        "date": record["received"][:10],
        "birthplace": (typed("birthplace") or [""])[0],
        "deported_to": typed("deported_to"),
        "later_homes": typed("later_homes"),
        "languages": record.get("language", ""),
        "description": f"The family's note: {note}" if note else "",
        "surnames": "",
        **({"extra": {"narrator_birth_year": narrator["birth_year"]}} if narrator.get("birth_year") else {}),
        **given,
        "access": VISIBILITY[consent["visibility"]],
        "embargo_until": consent.get("embargo_until", ""),
        "consent": {
            "release": True,
            "scope": f"given through the public form: {consent['visibility']}",
            "date": consent["agreed"][:10],
            "living_named": consent.get("living_named", False),
        },
        "contribution": submission.id,
    }
    raw["title"] = raw["title"] or default_title  # a historian may blank any field, but something must be a title
    return raw


@dataclass(frozen=True)
class Makers:
    """What an approval makes records with, given by the services: ingesters built with the app's own limits, and
    the indexer that hides at once what a withdrawn contribution made."""

    transcripts: Callable[[str], Ingester]  # author -> an ingester of transcripts
    images: Callable[[str], media.MediaIngester]  # author -> an ingester of images
    indexer: Indexer | None = None


def approve(collection: Collection, submission: Submission, author: str, makers: Makers) -> Submission:
    """Make the interview and the media items, with access from the consent; refuse (naming the fields) when the
    description does not pass the archive's checks, so the historian can correct it first."""
    _require_open(submission)
    raw = interview_metadata(submission)
    try:
        checked = metadata.validate(raw, vocab.gazetteer(collection))
    except metadata.MetadataError as error:
        raise ContributionError(f"the description needs correcting first: {error}", "metadata") from error
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
    outcome = makers.transcripts(author).ingest(data, name, raw, audio, audio_name, same_content_ok=True)
    if outcome.status != "ingested":
        raise ContributionError(f"the story could not become an interview: {outcome.reason}", "metadata")
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
        raise ContributionError("there are no new photos to add")
    raw = interview_metadata(submission)
    try:
        checked = metadata.validate(raw, vocab.gazetteer(collection))
    except metadata.MetadataError as error:
        raise ContributionError(f"the description needs correcting first: {error}", "metadata") from error
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
            "title": title or f"{raw['title']}, photo {i + 1}",
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


def _require_open(submission: Submission) -> None:
    if submission.status not in OPEN:
        raise ContributionError(f"this submission is already {submission.status}", None, "closed")


def _save(
    collection: Collection,
    submission: Submission,
    record: dict,
    author: str,
    files: Mapping[str, bytes | Path | None] | None = None,
) -> Submission:
    changes = {"submission.json": _json(record), **(files or {})}
    expected = {name: None for name in changes}
    expected["submission.json"] = submission.version
    collection.write(KIND, submission.id, changes, author, expected)
    return load(collection, submission.id)


def _json(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
