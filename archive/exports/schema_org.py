"""schema.org JSON-LD for an interview's page and a media item's page, for search engines.

Made only for a record an anonymous reader may open (access.py asks, with an empty `Reader`): a page of a record
kept for researchers, a family, staff, or under embargo carries none, whoever is looking at it, so nothing reaches a
search engine's index through a signed-in reader's copy of a page. Only the description goes in, never transcript
text, so no redacted passage can travel this way. The page writes the dict with Jinja's `tojson`, which escapes
`<`, `>`, `&` and `'` as \\u003c and the like, so a title holding `</script>` cannot end the data block.

An interview is an `AudioObject` when it has a recording (else a `CreativeWork`): its narrators are its `creator`
(with their other spellings as `alternateName`), its interviewers `contributor`, its places `contentLocation`
(with coordinates from the gazetteer), its segment index `hasPart` clips with their `startOffset`. An item is a
`Photograph` or a `CreativeWork` by its kind, with the people it shows and its surnames as `about`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .. import access, names

CONTEXT = "https://schema.org"
_ISO_DATE = re.compile(r"\d{4}(-\d\d(-\d\d)?)?")  # what schema.org's Date reads; other EDTF forms are left out
PLACE_FIELDS = ("place", "villages", "deported_to", "later_homes", "birthplace", "places")


def _public(record: dict, ref: str) -> bool:
    return access.can_read(access.Reader(), record, ref)


def _places(record: dict, gazetteer: names.Gazetteer, link: Callable[[str], str], geo: bool = True) -> list[dict]:
    found: dict[str, dict] = {}
    for field in PLACE_FIELDS:
        value = record.get(field)
        for place in value if isinstance(value, list) else [value]:
            if not isinstance(place, dict) or not place.get("name"):
                continue
            known = gazetteer.places.get(place.get("place") or "")
            key = known.id if known else place["name"]
            if key in found:
                continue
            entry = {"@type": "Place", "name": known.name() if known else place["name"]}
            if known:
                entry["identifier"] = known.id
                entry["url"] = link(known.id)
                others = sorted({v for v in known.label.values() if v != entry["name"]})
                if others:
                    entry["alternateName"] = others
                if geo and known.lat is not None and known.lon is not None:
                    entry["geo"] = {"@type": "GeoCoordinates", "latitude": known.lat, "longitude": known.lon}
            found[key] = entry
    return list(found.values())


def _common(record: dict, url: str, site: str) -> dict:
    data: dict = {"@context": CONTEXT, "name": record.get("title") or "", "url": url}
    if record.get("description"):
        data["description"] = record["description"]
    date = record.get("date") or ""
    if _ISO_DATE.fullmatch(date):
        data["dateCreated"] = date
    if record.get("accession"):
        data["identifier"] = record["accession"]
    if record.get("rights"):
        data["copyrightNotice"] = record["rights"]
    if isinstance(record.get("collection"), str) and record["collection"].strip():
        data["isPartOf"] = {"@type": "Collection", "name": record["collection"]}
    data["isAccessibleForFree"] = True
    data["publisher"] = {"@type": "Organization", "name": site}
    return data


def interview(
    record: dict,
    interview_id: str,
    url: str,
    points: list[dict],
    heard: bool,
    gazetteer: names.Gazetteer,
    place_url: Callable[[str], str],
    site: str,
) -> dict | None:
    """The JSON-LD of an interview's page, or None when anonymous readers may not open it. `heard`: it has a
    recording anyone may play."""
    if not _public(record, f"interviews/{interview_id}"):
        return None
    data = {"@type": "AudioObject" if heard else "CreativeWork", **_common(record, url, site)}
    data["genre"] = "oral history interview"
    creators = [
        {"@type": "Person", "name": n["name"], **({"alternateName": n["other_forms"]} if n.get("other_forms") else {})}
        for n in record.get("narrators", [])
        if n.get("name")
    ]
    if creators:
        data["creator"] = creators
    if record.get("interviewers"):
        data["contributor"] = [{"@type": "Person", "name": name} for name in record["interviewers"]]
    if record.get("languages"):
        data["inLanguage"] = list(record["languages"])
    about = [*record.get("keywords", []), *record.get("surnames", [])]
    if about:
        data["about"] = [{"@type": "Thing", "name": word} for word in dict.fromkeys(about)]
    places = _places(record, gazetteer, place_url)
    if places:
        data["contentLocation"] = places
    if isinstance(record.get("duration"), int) and record["duration"] > 0:
        data["duration"] = f"PT{record['duration']}S"
    clips = [
        {
            "@type": "Clip",
            "name": p.get("title") or "",
            "startOffset": p.get("start", 0),
            "url": f"{url}?t={p['start']:g}",
        }
        for p in points
        if isinstance(p.get("start"), int | float)
    ]
    if clips:
        data["hasPart"] = clips
    return data


def item(
    record: dict,
    item_id: str,
    url: str,
    image_url: str | None,
    thumbnail_url: str | None,
    gazetteer: names.Gazetteer,
    place_url: Callable[[str], str],
    site: str,
) -> dict | None:
    """The JSON-LD of a media item's page, or None when anonymous readers may not open it."""
    if not _public(record, f"media/{item_id}"):
        return None
    data = {"@type": "Photograph" if record.get("kind") == "photograph" else "CreativeWork"}
    data.update(_common(record, url, site))
    if record.get("caption") and "description" not in data:
        data["description"] = record["caption"]
    if record.get("creator"):
        data["creator"] = {"@type": "Person", "name": record["creator"]}
    if record.get("institution"):
        data["sourceOrganization"] = {"@type": "Organization", "name": record["institution"]}
    about = [{"@type": "Person", "name": p["name"]} for p in record.get("people", []) if p.get("name")]
    about += [{"@type": "Thing", "name": s} for s in record.get("surnames", [])]
    if about:
        data["about"] = about
    # no coordinates on an item's page, not even the gazetteer's: a photograph's page never says where it was taken
    # more precisely than the place's name (its camera's GPS stays with staff)
    places = _places(record, gazetteer, place_url, geo=False)
    if places:
        data["contentLocation"] = places
    if image_url:
        data["image"] = image_url
    if thumbnail_url:
        data["thumbnailUrl"] = thumbnail_url
    return data
