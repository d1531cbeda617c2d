"""The collection's own description, shown on the home page: in each language a title, a few paragraphs and the
example names the search box offers, and a few featured testimonies (an interview and a quote from its
transcript). It is collection data, not code: one JSON record in about/collection/ under the data root, written
through the collection like every record (atomic, with history and fixity, refused when stale). An archive without
one shows a generic home page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from . import access, interviews, redaction
from .collection import Collection
from .errors import ArchiveError, CollectionError

FOLDER = "collection"
FILE = "about.json"
SCHEMA = 1
MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_EXAMPLES = 12
MAX_EXAMPLE = 60
MAX_FEATURED = 12
MAX_QUOTE = 600
_LANG_RE = re.compile(r"[a-z]{2,3}")


class AboutError(ArchiveError):
    """A change to the collection's description was refused; `subject` is what the refusal is about (an interview
    identifier, a line number), for the page to say in its own words by `code`."""

    code = "about-invalid"

    def __init__(self, message: str, field: str | None = None, code: str | None = None, subject: str = ""):
        super().__init__(message, field, code)
        self.subject = subject


@dataclass(frozen=True)
class Text:
    """What the home page says in one language, and the language it is really in (English when the reader's own
    language has no text, so the page can mark it)."""

    lang: str
    title: str
    description: str
    search_examples: tuple[str, ...]

    @property
    def paragraphs(self) -> list[str]:
        return [" ".join(p.split()) for p in re.split(r"\n\s*\n", self.description) if p.strip()]


@dataclass(frozen=True)
class About:
    """The description as stored, and the version a change must name ("" while there is none)."""

    data: dict
    version: str

    @property
    def exists(self) -> bool:
        return bool(self.version)

    def text(self, lang: str) -> Text | None:
        """The text in `lang`, else in English, else in any language it has; None when it has none."""
        texts = self.data.get("text", {})
        for tag in (lang, "en", *sorted(texts)):
            entry = texts.get(tag) or {}
            if entry.get("title") or entry.get("description"):
                return Text(
                    tag,
                    entry.get("title", ""),
                    entry.get("description", ""),
                    tuple(entry.get("search_examples", [])),
                )
        return None

    @property
    def featured(self) -> list[dict]:
        return list(self.data.get("featured", []))


@dataclass(frozen=True)
class Featured:
    """A featured testimony as a reader may see it: the interview, and the quote in the transcript's language."""

    interview_id: str
    title: str
    narrators: tuple[str, ...]
    quote: str
    lang: str
    segment: int


def load(collection: Collection) -> About:
    """Read the collection's description, or an empty one if it was never written."""
    if not collection.exists("about", FOLDER):
        return About({}, "")
    stored = collection.read("about", FOLDER, FILE)
    try:
        data = json.loads(stored.data)
    except ValueError:
        raise CollectionError(f"about/{FOLDER}/{FILE} is not valid JSON") from None
    return About(data if isinstance(data, dict) else {}, stored.version)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _quoted_segment(segments: list[dict], quote: str) -> dict | None:
    """The segment holding the quote (spaces and line breaks need not match), or None."""
    wanted = _squeeze(quote).casefold()
    return next((s for s in segments if wanted in _squeeze(s.get("text", "")).casefold()), None)


def check(collection: Collection, data: dict) -> dict:
    """Check a description as typed and give it as it is stored; AboutError names the field and what is wrong."""
    texts = {}
    for lang, entry in (data.get("text") or {}).items():
        if not _LANG_RE.fullmatch(lang):
            raise AboutError(f"{lang!r} is not a language code", "text", "about-language", lang)
        title = _squeeze(entry.get("title", ""))
        description = "\n\n".join(
            _squeeze(p) for p in re.split(r"\n\s*\n", entry.get("description", "").strip()) if p.strip()
        )
        examples = list(dict.fromkeys(_squeeze(e) for e in entry.get("search_examples", []) if e.strip()))
        if len(title) > MAX_TITLE:
            raise AboutError(f"the title is over {MAX_TITLE} characters", f"title_{lang}", "about-too-long")
        if len(description) > MAX_DESCRIPTION:
            raise AboutError(
                f"the description is over {MAX_DESCRIPTION} characters", f"description_{lang}", "about-too-long"
            )
        if len(examples) > MAX_EXAMPLES or any(len(e) > MAX_EXAMPLE for e in examples):
            raise AboutError(
                f"give at most {MAX_EXAMPLES} example names of at most {MAX_EXAMPLE} characters each",
                f"examples_{lang}",
                "about-examples",
            )
        if title or description or examples:
            texts[lang] = {"title": title, "description": description, "search_examples": examples}
    featured = []
    for entry in data.get("featured") or []:
        interview_id, quote = entry.get("interview", "").strip(), _squeeze(entry.get("quote", ""))
        try:
            interview = interviews.load(collection, interview_id)
        except CollectionError:
            raise AboutError(
                f"there is no interview {interview_id!r}", "featured", "unknown-interview", interview_id
            ) from None
        if not quote:
            raise AboutError(f"give a quote from interview {interview_id}", "featured", "no-quote", interview_id)
        if len(quote) > MAX_QUOTE:
            raise AboutError(
                f"the quote from {interview_id} is over {MAX_QUOTE} characters", "featured", "long-quote", interview_id
            )
        if _quoted_segment(interviews.segments(collection, interview.id), quote) is None:
            raise AboutError(
                f"the quote is not in the transcript of {interview_id}", "featured", "quote-not-found", interview_id
            )
        featured.append({"interview": interview.id, "quote": quote})
    if len(featured) > MAX_FEATURED:
        raise AboutError(f"feature at most {MAX_FEATURED} testimonies", "featured", "too-many-featured")
    return {"schema": SCHEMA, "text": texts, "featured": featured}


def save(collection: Collection, data: dict, author: str, version: str) -> About:
    """Store a checked description; `version` is the one the change was made from ("" for none yet), and a stale
    one is refused (ConflictError, or AboutError when the description was first written meanwhile)."""
    body = (json.dumps(check(collection, data), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    exists = collection.exists("about", FOLDER)
    if version and not exists:
        raise AboutError("this page is out of date: reload it and make your change again", None, "about-stale")
    if not version:
        collection.create("about", {FILE: body}, author, name=FOLDER)
    else:
        collection.write("about", FOLDER, {FILE: body}, author, {FILE: version}, action="edited")
    return load(collection)


def featured_for(collection: Collection, about: About, reader: access.Viewer) -> list[Featured]:
    """The featured testimonies this reader may read, each with its quote only if the reader's own copy of the
    transcript holds it (a redacted passage is never quoted to those who may not read it)."""
    shown = []
    for entry in about.featured:
        try:
            interview = interviews.load(collection, entry.get("interview", ""))
        except CollectionError:
            continue
        if not access.can_read(reader, interview.record, f"interviews/{interview.id}"):
            continue
        segments, _ = redaction.for_reader(collection, interview.id, access.sees_redactions(reader))
        segment = _quoted_segment(segments, entry.get("quote", ""))
        if segment is None:
            continue
        lang = segment.get("lang") or next(iter(interview.record.get("languages") or []), "")
        shown.append(
            Featured(
                interview.id,
                interview.title,
                tuple(interview.narrators),
                entry["quote"],
                lang,
                int(segment.get("n", 0)),
            )
        )
    return shown
