"""What historians do with a submission before approving it: ask the family a question, describe
it, or decline it; and the interview description its approval will use."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..collection import Collection, now
from ..i18n import N_
from ..names import Surnames
from .inbox import STORY_KINDS, VISIBILITY, ContributionError, Submission, _require_open, _save


def ask(collection: Collection, submission: Submission, question: str, author: str) -> Submission:
    """Put a question to the contributor; it is shown on the receipt page."""
    return _decide(
        collection,
        submission,
        author,
        "question",
        _required(question, N_("write the question"), "question"),
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
        _required(reason, N_("say why, for the contributor"), "reason"),
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


def english(lang: str, text: str, /, **values: object) -> str:
    """Words for a record left in English (the marked template filled), whatever the testimony's language."""
    return text.format(**values) if values else text


DEFAULT_TITLE = N_("{name}: a family testimony")
FAMILY_NOTE = N_("The family's note: {note}")


def proposed_surnames(narrator: Mapping, surnames: Surnames | None) -> str:
    """The family names in the narrator's names (as typed, and their other spellings), by the surname vocabulary:
    each found once, under the vocabulary's own name for it, "; "-separated as the description form writes lists."""
    if surnames is None:
        return ""
    found = [
        s.label()
        for name in [narrator.get("name", ""), *narrator.get("other_forms", [])]
        for s in surnames.in_name(name)
    ]
    return "; ".join(dict.fromkeys(found))


def interview_metadata(
    submission: Submission, surnames: Surnames | None = None, say: Callable[..., str] = english
) -> dict:
    """The interview's description as approval will give it: the historian's, else what the family typed, with the
    surnames found in the narrator's name by the surname vocabulary, and the words of its own (the default title,
    the family's note) by `say(language, template, **values)` in the language the family wrote in."""
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
    lang = record.get("language", "")
    default_title = say(lang, DEFAULT_TITLE, name=narrator["name"])
    raw = {  # the contributor's own name stays in the inbox: a historian may add it, the family never said to
        "title": default_title,
        "narrators": [{"name": narrator["name"], "other_forms": narrator.get("other_forms", [])}],
        "date": record["received"][:10],
        "birthplace": (typed("birthplace") or [""])[0],
        "deported_to": typed("deported_to"),
        "later_homes": typed("later_homes"),
        "languages": record.get("language", ""),
        "description": say(lang, FAMILY_NOTE, note=note) if note else "",
        "surnames": proposed_surnames(narrator, surnames),
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
