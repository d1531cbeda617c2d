"""The inbox itself: what a submission is, its states, reading it and writing it (versioned, like
every folder of the collection)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .. import access
from ..collection import Collection
from ..errors import ArchiveError, CollectionError, Message
from ..i18n import N_

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


class ContributionError(ArchiveError):
    """A contribution or an action on it is refused; `field` names the form field it is about, if any, `code` the
    problem (which the public form translates), `file` the name of the file sent that it is about."""

    code = "contribution-refused"

    def __init__(
        self, message: str, field: str | None = None, code: str = "", file: str | None = None, **params: object
    ):
        super().__init__(message, field, code or None, **params)
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


def load(collection: Collection, submission_id: str) -> Submission:
    """Read one submission; CollectionError if there is none by that identifier."""
    stored = collection.read(KIND, submission_id, "submission.json")
    return Submission(submission_id, json.loads(stored.data), stored.version)


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


RETRIES = 50  # a contributor's change is read, changed and written again if someone wrote in between (a double click)


def _require_open(submission: Submission) -> None:
    if submission.status not in OPEN:
        raise ContributionError(
            N_("this submission is already {status}"), None, "closed", status=Message(submission.status)
        )


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
