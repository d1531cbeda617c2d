"""Family contributions: a testimony and its photos, sent without an account, kept untrusted until a historian
approves it.

A submission is a folder of the inbox, `contributions/<id>/`: `submission.json` (what was typed, the consent given,
the receipt's hashes, and a log of every action with who and when) and `files/` (the story's file and the photos,
byte for byte, with a thumbnail of each photo made once when it arrives). The inbox is written through the collection
like everything else, so each change is versioned; it is never indexed, and only the contributor (by the receipt link
or code) and staff can open a submission. Approval turns it into an interview and media items whose access follows
the consent: "everyone" is public, "researchers" is researchers, "family only" is the `family` level, which the
receipt link opens. Withdrawing consent marks everything made from it withdrawn, which hides it at once.

The package follows a submission's stages: `inbox` (what a submission is, read and written), `receiving` (what a
family sends, first and later), `receipts` (the link and code that open it, and withdrawal), `moderation` (a
historian's questions, description or refusal) and `approval` (the records it becomes).
"""

from .approval import Makers, approve, approve_photos, awaiting, pending_photos
from .inbox import (
    KIND,
    OPEN,
    STATUSES,
    STORY_KINDS,
    VISIBILITY,
    ContributionError,
    Submission,
    Upload,
    load,
    queue,
)
from .moderation import ask, decline, describe, interview_metadata
from .receipts import CODE_LENGTH, Receipt, by_code, by_token, hide_made_from, withdraw
from .receiving import add_from_contributor, check_photo, check_story_file, places, submit

__all__ = [
    "CODE_LENGTH",
    "KIND",
    "OPEN",
    "STATUSES",
    "STORY_KINDS",
    "VISIBILITY",
    "ContributionError",
    "Makers",
    "Receipt",
    "Submission",
    "Upload",
    "add_from_contributor",
    "approve",
    "approve_photos",
    "ask",
    "awaiting",
    "by_code",
    "by_token",
    "check_photo",
    "check_story_file",
    "decline",
    "describe",
    "hide_made_from",
    "interview_metadata",
    "load",
    "pending_photos",
    "places",
    "queue",
    "submit",
    "withdraw",
]
