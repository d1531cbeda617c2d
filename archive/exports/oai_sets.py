"""The OAI-PMH sets of the harvestable records: what a harvester may ask for alone (`set=`) and what each header names.

Three families, each a top-level set with its members below it (setSpec syntax of OAI-PMH 2.0, section 4.6):

- `kind`: `kind:interviews` and `kind:media`, the media items also by their kind (`kind:media:photograph`, ...);
- `place`: `place:<gazetteer id>` for every place a record names (villages, deportation, later homes, where the
  interview was made, birthplace; an item's places), e.g. `place:ushtobe`;
- `collection`: `collection:<slug>` for the record's `collection` field, its name made into setSpec characters
  (Cyrillic and Hangul read in Latin letters through names.transliterations).

Only records an anonymous reader may open make the `place` and `collection` sets (so a set's name never tells of
hidden material); a deleted record keeps its `kind` set alone, which its identifier says anyway. Harvesting a set
takes its subsets too (`set=kind:media` gives every item, `set=place` every record that names a place).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .. import names
from ..records import Record

_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")  # the protocol's setSpec grammar
PLACE_FIELDS = ("villages", "deported_to", "later_homes", "places", "place", "birthplace")
KIND_NAMES = {"interviews": "Interviews", "media": "Media items"}
MEDIA_KIND_NAMES = {
    "photograph": "Photographs",
    "document": "Documents",
    "letter": "Letters",
    "object": "Objects",
    "other": "Other images",
}
FAMILIES = {
    "kind": ("Kinds of record", "Interviews and media items, the items also by their kind."),
    "place": ("Places", "Records by the places of the archive's gazetteer they name."),
    "collection": ("Collections", "Records by the collection they belong to."),
}


@dataclass(frozen=True)
class Set:
    spec: str
    name: str
    description: str = ""
    labels: tuple[tuple[str, str], ...] = ()  # (language, name) of a place, for the set's description
    coordinates: tuple[float, float] | None = None


def is_spec(text: str) -> bool:
    """Tell whether a text is a well-formed setSpec."""
    return bool(_SPEC.fullmatch(text))


def slug(name: str) -> str:
    """A collection's name as setSpec characters: lowercase Latin letters, digits and hyphens (a short hash of the
    name where nothing Latin is left of it)."""
    text = " ".join(name.split())
    if not text.isascii():
        text = " ".join(min(names.transliterations(word), default=word) for word in text.split())
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    made = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:60].strip("-")
    return made or hashlib.sha256(name.encode()).hexdigest()[:10]


def place_ids(record: dict) -> list[str]:
    """The gazetteer ids a description names, in the order it names them."""
    found: list[str] = []
    for name in PLACE_FIELDS:
        value = record.get(name)
        for place in value if isinstance(value, list) else [value]:
            if isinstance(place, dict) and isinstance(place.get("place"), str) and is_spec(place["place"]):
                found.append(place["place"])
    return list(dict.fromkeys(found))


def specs(rec: Record) -> list[str]:
    """The setSpecs a record's header names (its most precise sets; their parents follow from the hierarchy)."""
    if rec.kind == "media" and not rec.removed:
        kinds = [f"kind:media:{rec.record.get('kind')}" if rec.record.get("kind") in MEDIA_KIND_NAMES else "kind:media"]
    else:
        kinds = [f"kind:{rec.kind}"]
    if rec.removed:
        return kinds
    found = [*kinds, *(f"place:{p}" for p in place_ids(rec.record))]
    if isinstance(rec.record.get("collection"), str) and rec.record["collection"].strip():
        found.append(f"collection:{slug(rec.record['collection'])}")
    return found


def member(rec: Record, spec: str) -> bool:
    """Tell whether a record belongs to a set or to one of its subsets."""
    return any(s == spec or s.startswith(spec + ":") for s in specs(rec))


def listed(records: Iterable[Record], gazetteer: names.Gazetteer) -> list[Set]:
    """Every set the records make, the three families first, then in setSpec order."""
    found: dict[str, Set] = {spec: Set(spec, name, about) for spec, (name, about) in FAMILIES.items()}
    found["kind:interviews"] = Set("kind:interviews", KIND_NAMES["interviews"])
    found["kind:media"] = Set("kind:media", KIND_NAMES["media"])
    for rec in records:
        for spec in specs(rec):
            if spec in found:
                continue
            family, _, rest = spec.partition(":")
            if family == "kind":
                found[spec] = Set(spec, MEDIA_KIND_NAMES[rest.split(":")[-1]])
            elif family == "place":
                place = gazetteer.places.get(rest)
                if place is None:
                    found[spec] = Set(spec, rest)
                    continue
                where = (place.lat, place.lon) if place.lat is not None and place.lon is not None else None
                found[spec] = Set(spec, place.name(), labels=tuple(sorted(place.label.items())), coordinates=where)
            else:
                found[spec] = Set(spec, " ".join(rec.record["collection"].split()))
    return [found[spec] for spec in (*FAMILIES, *sorted(set(found) - set(FAMILIES)))]
