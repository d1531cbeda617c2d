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

from collections.abc import Mapping
from dataclasses import dataclass

from .. import names
from ..records import Record, in_set, is_spec, place_ids, set_specs, slug

# which sets a record belongs to is told in records.py (the index keeps each record's sets, for selective harvests)
__all__ = ["Set", "is_spec", "listed", "member", "place_ids", "slug", "specs"]
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


def specs(rec: Record) -> list[str]:
    """The setSpecs a record's header names (its most precise sets; their parents follow from the hierarchy)."""
    return set_specs(rec.kind, rec.record, rec.removed)


def member(rec: Record, spec: str) -> bool:
    """Tell whether a record belongs to a set or to one of its subsets."""
    return in_set(rec, spec)


def listed(made: Mapping[str, str], gazetteer: names.Gazetteer) -> list[Set]:
    """Every set the records make (`made`, see records.sets_made: each setSpec with a collection's name), the three
    families first, then in setSpec order."""
    found: dict[str, Set] = {spec: Set(spec, name, about) for spec, (name, about) in FAMILIES.items()}
    found["kind:interviews"] = Set("kind:interviews", KIND_NAMES["interviews"])
    found["kind:media"] = Set("kind:media", KIND_NAMES["media"])
    for spec, collection_name in made.items():
        if spec not in found:
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
                found[spec] = Set(spec, collection_name)
    return [found[spec] for spec in (*FAMILIES, *sorted(set(found) - set(FAMILIES)))]
