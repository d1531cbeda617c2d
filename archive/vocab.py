"""The archive's vocabularies: the shipped ones (archive/vocab/) until a historian first changes one; from then on
the archive's own copy in vocab/<name>/ under the data root, written through the collection like everything else
(atomic, with history and conflicts)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .collection import Collection
from .errors import ArchiveError
from .names import VOCAB, Surnames, fold

FILES = {"surnames": "surnames.json", "places": "places.json", "events": "events.json"}
_SPELLING_RE = re.compile(r"[^\W\d_]+(?:[ '’-][^\W\d_]+)*")


class VocabularyError(ArchiveError):
    """A change to a vocabulary was refused."""


@dataclass(frozen=True)
class Vocabulary:
    """A vocabulary as read, and the version a change must name ("" while it is still the shipped copy)."""

    name: str
    data: dict
    version: str


def load(collection: Collection, name: str) -> Vocabulary:
    """Read the archive's copy of a vocabulary, or the shipped one if it has never been changed."""
    if collection.exists("vocab", name):
        stored = collection.read("vocab", name, FILES[name])
        return Vocabulary(name, json.loads(stored.data), stored.version)
    return Vocabulary(name, json.loads((VOCAB / FILES[name]).read_text("utf-8")), "")


def save(collection: Collection, name: str, data: dict, author: str, version: str) -> str:
    """Store a changed vocabulary; `version` is what the change was made from (refused if it is stale)."""
    body = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if not version:
        collection.create("vocab", {FILES[name]: body}, author, name=name)
        return load(collection, name).version
    return collection.write("vocab", name, {FILES[name]: body}, author, {FILES[name]: version})[FILES[name]]


def add_surname_spelling(collection: Collection, surname_id: str, spelling: str, author: str, version: str) -> str:
    """Add a spelling to a surname family, so that searching any form also finds this one."""
    spelling = " ".join((spelling or "").split())
    if not spelling:
        raise VocabularyError("Type the spelling to add.")
    if len(spelling) > 60 or not _SPELLING_RE.fullmatch(spelling):
        raise VocabularyError(f'"{spelling}" is not a name: use letters of any script, with spaces, hyphens or '
                              "apostrophes between them (at most 60 characters)")
    vocabulary = load(collection, "surnames")
    data = json.loads(json.dumps(vocabulary.data))
    entry = next((e for e in data["surnames"] if e["id"] == surname_id), None)
    if entry is None:
        raise VocabularyError(f"There is no surname family {surname_id!r}.")
    forms = Surnames.from_data({"surnames": [entry]}).surnames[surname_id].forms
    if fold(spelling) in {fold(f) for f in forms}:
        raise VocabularyError(f'"{spelling}" is already a spelling of {entry["id"]} ({entry.get("hangul", "")}).')
    script = "cyrillic" if re.search(r"[\u0400-\u04ff]", spelling) else "latin" if spelling.isascii() else "other"
    entry.setdefault(script, []).append(spelling)
    return save(collection, "surnames", data, author, version)
