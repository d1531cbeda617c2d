"""The archive's vocabularies: the shipped ones (archive/vocab/) until a historian first changes one; from then on
the archive's own copy in vocab/<name>/ under the data root, written through the collection like everything else
(atomic, with history and conflicts)."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field

from .collection import Collection
from .errors import ArchiveError
from .i18n import N_
from .metadata import earliest_day, edtf_date, said
from .names import VOCAB, Gazetteer, Surnames, contains, fold, rank_of, transliterations

# The kinds of place, in the order of the hierarchy (names.RANKS), as a form offers them.
PLACE_KINDS = {
    "country": N_("country"),
    "region": N_("region"),
    "district": N_("district"),
    "city": N_("city"),
    "town": N_("town"),
    "village": N_("village"),
    "kolkhoz": N_("kolkhoz"),
    "station": N_("station"),
    "quarter": N_("quarter of a settlement"),
}
FILES = {"surnames": "surnames.json", "places": "places.json", "events": "events.json", "people": "people.json"}
_SPELLING_RE = re.compile(r"[^\W\d_]+(?:[ '’-][^\W\d_]+)*")


class VocabularyError(ArchiveError):
    """A change to a vocabulary was refused; `field` names the form field it is about, when there is one."""

    code = "vocabulary-invalid"


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


@dataclass(frozen=True)
class Entry:
    """An event or a person of the vocabularies: what pages, forms and annotations need of one."""

    id: str
    data: dict = field(compare=False)

    def name(self, lang: str = "en") -> str:
        label = self.data.get("label", {})
        return label.get(lang) or label.get("en") or self.id

    @property
    def date(self) -> str:
        return self.data.get("date") or self.data.get("dates") or ""

    @property
    def sort_key(self) -> tuple:
        return (earliest_day(self.date) if self.date else 99999999, self.name().casefold())

    def description(self, lang: str = "en") -> str:
        text = self.data.get("description", {})
        return text.get(lang) or text.get("en") or "" if isinstance(text, dict) else str(text)


class Entries:
    """The entries of one vocabulary (events or people) by id, in date order."""

    def __init__(self, entries: list[dict]):
        self.by_id = {e.id: e for e in sorted((Entry(e["id"], e) for e in entries), key=lambda e: e.sort_key)}

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self.by_id

    def __iter__(self):
        return iter(self.by_id.values())

    def get(self, entry_id: str) -> Entry | None:
        return self.by_id.get(entry_id)


_BUILD = {
    "places": Gazetteer.from_data,
    "surnames": Surnames.from_data,
    "events": lambda data: Entries(data["events"]),
    "people": lambda data: Entries(data["people"]),
}
_cache: dict[tuple, tuple] = {}
_cache_lock = threading.Lock()


def current(collection: Collection, name: str):
    """The vocabulary in use, built for lookups (Gazetteer, Surnames, or Entries), with its version: re-read when a
    historian has changed it, from any process, so every worker sees the same vocabulary."""
    path = collection.root / "vocab" / name / FILES[name]
    try:
        stat = path.stat()
        key = (str(path), stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        key = ("shipped", name)
    with _cache_lock:
        if key not in _cache:
            vocabulary = load(collection, name)
            if len(_cache) > 64:
                _cache.clear()
            _cache[key] = (_BUILD[name](vocabulary.data), vocabulary.version)
        return _cache[key]


def gazetteer(collection: Collection) -> Gazetteer:
    """The places in use: the archive's own gazetteer once edited, else the shipped one."""
    return current(collection, "places")[0]


def events(collection: Collection) -> Entries:
    return current(collection, "events")[0]


def people(collection: Collection) -> Entries:
    return current(collection, "people")[0]


def lookup(collection: Collection, kind: str) -> dict:
    """The entries annotations can link, by id, for "events", "places" or "people": each has `.name(lang)`."""
    return gazetteer(collection).places if kind == "places" else current(collection, kind)[0].by_id


def spellings(entry) -> set[str]:
    """Every written form of an entry that a filter may match: its labels in every language and the other names it is
    known by (a place of the gazetteer or an event or person), its id, and an event's date as its choices show it."""
    if isinstance(entry, Entry):
        data = entry.data
        return {entry.id, entry.date, *data.get("label", {}).values(), *data.get("names", []), *data.get("aliases", [])}
    return {entry.id, *entry.label.values(), *entry.names}


def matching(collection: Collection, kind: str, typed: str) -> list[str]:
    """The ids of the entries of "events", "places" or "people" whose spellings contain the typed text (any script)."""
    return [entry_id for entry_id, entry in lookup(collection, kind).items() if contains(typed, spellings(entry))]


def save(collection: Collection, name: str, data: dict, author: str, version: str) -> str:
    """Store a changed vocabulary; `version` is what the change was made from (refused if it is stale)."""
    body = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if version and not collection.exists("vocab", name):  # a version of a copy that was never made: stale
        raise VocabularyError(N_("This page is out of date: reload it and make your change again."))
    if not version:
        collection.create("vocab", {FILES[name]: body}, author, name=name)
        return load(collection, name).version
    return collection.write(
        "vocab", name, {FILES[name]: body}, author, {FILES[name]: version}, action="edited-vocabulary"
    )[FILES[name]]


def add_surname_spelling(collection: Collection, surname_id: str, spelling: str, author: str, version: str) -> str:
    """Add a spelling to a surname family, so that searching any form also finds this one."""
    spelling = " ".join((spelling or "").split())
    if not spelling:
        raise VocabularyError(N_("Type the spelling to add."))
    if len(spelling) > 60 or not _SPELLING_RE.fullmatch(spelling):
        raise VocabularyError(
            N_(
                '"{spelling}" is not a name: use letters of any script, with spaces, hyphens or apostrophes between '
                "them (at most 60 characters)"
            ),
            spelling=spelling,
        )
    vocabulary = load(collection, "surnames")
    data = json.loads(json.dumps(vocabulary.data))
    entry = next((e for e in data["surnames"] if e["id"] == surname_id), None)
    if entry is None:
        raise VocabularyError(N_("There is no surname family “{id}”."), id=surname_id)
    forms = Surnames.from_data({"surnames": [entry]}).surnames[surname_id].forms
    if fold(spelling) in {fold(f) for f in forms}:
        raise VocabularyError(
            N_('"{spelling}" is already a spelling of {id} ({hangul}).'),
            spelling=spelling,
            id=entry["id"],
            hangul=entry.get("hangul", ""),
        )
    script = "cyrillic" if re.search(r"[\u0400-\u04ff]", spelling) else "latin" if spelling.isascii() else "other"
    entry.setdefault(script, []).append(spelling)
    return save(collection, "surnames", data, author, version)


def _slug(text: str) -> str:
    latin = text if text.isascii() else next(iter(sorted(transliterations(text))), text)
    return re.sub(r"[^a-z0-9]+", "-", fold(latin)).strip("-")[:60] or "entry"


def save_entry(collection: Collection, kind: str, entry_id: str | None, entry: dict, author: str, version: str) -> dict:
    """Check an event, place or person as typed (`entry` as forms give it) and store it, new (entry_id None: an id
    is made from the English name) or changed. `version` is the vocabulary's version when the form was opened."""
    data = json.loads(json.dumps(load(collection, kind).data))
    listed = data.setdefault(kind, [])
    old = next((e for e in listed if e["id"] == entry_id), None) if entry_id else None
    if entry_id and old is None:
        raise VocabularyError(f"There is no {kind} entry {entry_id!r}.")
    label = entry.get("label", {})
    for lang in ("en", "ru"):
        if not label.get(lang):
            raise VocabularyError(
                N_("Give the name in English.") if lang == "en" else N_("Give the name in Russian."), f"label_{lang}"
            )
    new = dict(old or {})
    new["id"] = entry_id or _unique(_slug(label["en"]), {e["id"] for e in listed})
    new["label"] = label
    names = list(dict.fromkeys([*label.values(), *entry.get("names", [])]))
    if kind == "places" or names != list(label.values()) or "names" in new:
        new["names"] = names
    sources = data.setdefault("sources", {})
    keys = []
    for line in entry.get("sources", []):
        if line in sources:
            keys.append(line)
        else:
            known = next((k for k, v in sources.items() if v == line), None)
            key = known or _unique(_slug(line)[:40], set(sources))
            sources[key] = line
            keys.append(key)
    new["sources"] = keys
    description = entry.get("description", {})
    if kind == "places":
        new.pop("description", None)
        if description.get("en"):
            new["note"] = description["en"]
        if description.get("ru"):
            new["description"] = description
        _check_place(new, entry, data)
    else:
        new["description"] = description
        date_field = "date" if kind == "events" else "dates"
        try:
            date = edtf_date(entry.get(date_field, ""))
        except ValueError as error:
            raise VocabularyError(said(error), date_field) from None
        if kind == "events" and not date:
            raise VocabularyError(N_("Give the date, however uncertain (for example 186X or 1937~)."), "date")
        new[date_field] = date
        if not date:
            new.pop(date_field, None)
        if kind == "events":
            places = gazetteer(collection).places
            new["places"] = [p for p in entry.get("places", []) if p in places]
            new["route"] = _route(collection, entry.get("route", []))
            if not new["route"]:
                new.pop("route")
            new["related"] = [r for r in entry.get("related", []) if r != new["id"]]
            new["note"] = entry.get("note", "")
            if not new["note"]:
                new.pop("note")
            _link_back(listed, new["id"], set(new["related"]), set((old or {}).get("related", [])))
        else:
            new["events"] = entry.get("events", [])
    if old is None:
        listed.append(new)
    else:
        listed[listed.index(old)] = new
    save(collection, kind, data, author, version)
    return new


def _route(collection: Collection, lines: list[str]) -> list[str]:
    """The places of a route as ids, in the order given: each line a place's id or one of its names."""
    places = gazetteer(collection)
    route = []
    for line in lines:
        choice = places.choose(line)
        found = [choice.place.id] if choice.place else [p.id for p in choice.candidates if choice.why != "unknown"]
        if not found:
            raise VocabularyError(
                N_("“{line}” is not a place of the gazetteer: add it there first."), "route", line=line
            )
        if len(found) > 1:
            raise VocabularyError(
                N_("“{line}” may mean {ids}: write the place's id instead."), "route", line=line, ids=", ".join(found)
            )
        route.append(found[0])
    if len(route) == 1:
        raise VocabularyError(N_("A route goes from one place to another: give two places or more."), "route")
    return route


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _link_back(events: list[dict], event_id: str, related: set[str], before: set[str]) -> None:
    """Keep "related" symmetric: an event related to another is listed on both."""
    for other in events:
        if other["id"] == event_id:
            continue
        links = other.setdefault("related", [])
        if other["id"] in related and event_id not in links:
            links.append(event_id)
        elif other["id"] in before - related and event_id in links:
            links.remove(event_id)


def _check_place(new: dict, entry: dict, data: dict) -> None:
    country = " ".join(str(entry.get("country", "")).replace(",", " ").split())
    if not re.fullmatch(r"[A-Z]{2}( [A-Z]{2})*", country):
        raise VocabularyError(
            N_('"{country}" is not a country code: use two letters such as KZ, UZ, RU.'), "country", country=country
        )
    new["type"], new["country"] = entry.get("type") or "village", country
    for axis, limit in (("lat", 90), ("lon", 180)):
        text = str(entry.get(axis, "")).strip().replace(",", ".")
        if not text:
            new.pop(axis, None)
            continue
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is None or not -limit <= value <= limit:
            raise VocabularyError(
                N_('"{text}" is not a latitude in decimal degrees (between -{limit} and {limit}).')
                if axis == "lat"
                else N_('"{text}" is not a longitude in decimal degrees (between -{limit} and {limit}).'),
                axis,
                text=text,
                limit=limit,
            )
        new[axis] = round(value, 5)
    within = entry.get("within") or ""
    if within == new["id"]:
        raise VocabularyError(N_("A place cannot be within itself."), "within")
    if within:
        _check_within(new, within, data)
        new["within"] = within
    else:
        new.pop("within", None)
    mine = {fold(n): n for n in new["names"]}
    for other in data["places"]:
        if other["id"] == new["id"] or other.get("ambiguous"):
            continue
        if (other.get("within", ""), other.get("country")) != (within, country):
            continue  # told apart by what each lies in: the archive asks which is meant, never guesses
        shared = set(mine) & {fold(n) for n in [*other.get("names", []), *other.get("label", {}).values()]}
        if shared:
            raise VocabularyError(
                N_(
                    "“{name}” is already a name of {place} ({id}), which lies in the same place: give this one a "
                    "different place it lies within, or a different name."
                ),
                "names",
                name=mine[sorted(shared)[0]],
                place=other["label"].get("en"),
                id=other["id"],
            )


def _check_within(new: dict, within: str, data: dict) -> None:
    """A place lies within one of a higher rank (a country holds regions, a region districts, and so on), and never
    within itself by a longer way round."""
    by_id = {p["id"]: p for p in data["places"]}
    if within not in by_id:
        raise VocabularyError(N_("There is no place “{id}” to lie within."), "within", id=within)
    outer = by_id[within]
    if rank_of(outer.get("type")) >= rank_of(new["type"]):
        raise VocabularyError(
            N_(
                "{place} is not a larger kind of place than this one: a place lies within a country, region, "
                "district or settlement above it (country > region > district > settlement > quarter)."
            ),
            "within",
            place=outer["label"].get("en", within),
        )
    seen, step = {new["id"]}, within
    while step in by_id:
        if step in seen:
            raise VocabularyError(N_("A place cannot be within itself."), "within")
        seen.add(step)
        step = by_id[step].get("within")
