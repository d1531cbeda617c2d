"""`oai_archive`, the archive's own OAI-PMH metadata format: everything an aggregator of oral history needs that
Dublin Core flattens away.

Why our own small schema rather than MODS: MODS can carry most of it, but only by convention (narrators as names
with a role term, other spellings as alternativeName, a segment index as constituent relatedItems with their start
in a part/extent), and no MODS schema is at hand to check what we write against. A schema of a few dozen elements,
written here (`oai_archive.xsd`, served at /oai/oai_archive.xsd and validated against in the tests), says each thing
once and plainly; a harvester that wants a common format still has oai_dc. Its namespace is the archive's own URL
(`<site>/oai/oai_archive/1`), so the XSD is served with that namespace written into it.

A record carries: its kind and address, title, collection and accession, the EDTF date, the narrators with their
other spellings, the interviewers (or an item's creator and the people it shows), the places with their gazetteer
id, role, names in every label language and coordinates, the languages (BCP 47), keywords and surnames, the
description, rights, the access it is published under, and an interview's segment index (start in seconds, title,
synopsis). Never transcript text nor staff-only fields; which records go out at all is access.py's decision,
taken before a record reaches this module.
"""

from __future__ import annotations

from importlib import resources
from xml.etree.ElementTree import Element, SubElement

from .. import access, names

PREFIX = "oai_archive"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SHIPPED_NAMESPACE = "urn:x-oral-history-archive:oai_archive:1"  # in the shipped XSD, replaced when it is served
PLACE_ROLES = {  # field -> role written in <place role="...">
    "villages": "village",
    "deported_to": "deported-to",
    "later_homes": "later-home",
    "place": "interview-place",
    "birthplace": "birthplace",
    "places": "shown",
}


def schema(namespace: str) -> str:
    """The XSD of the format, its target namespace the archive's own."""
    text = resources.files(__package__).joinpath("oai_archive.xsd").read_text("utf-8")
    return text.replace(SHIPPED_NAMESPACE, namespace)


def element(
    kind: str,
    record: dict,
    url: str,
    points: list[dict],
    gazetteer: names.Gazetteer,
    namespace: str,
    schema_url: str,
) -> Element:
    """The <record> element of one interview (kind "interviews") or media item, in the format's namespace."""
    root = Element(
        "a:record",
        {
            "xmlns:a": namespace,
            "xmlns:xsi": XSI,
            "xsi:schemaLocation": f"{namespace} {schema_url}",
            "kind": "interview" if kind == "interviews" else "media",
        },
    )

    def add(parent: Element, name: str, value, **attrs) -> Element | None:
        if value in (None, ""):
            return None
        node = SubElement(parent, f"a:{name}", {k: str(v) for k, v in attrs.items()})
        node.text = str(value)
        return node

    add(root, "identifier", url)
    SubElement(root, "a:title").text = str(record.get("title") or "")
    if kind != "interviews":
        add(root, "itemKind", record.get("kind"))
    add(root, "collection", record.get("collection"))
    add(root, "accession", record.get("accession"))
    add(root, "date", record.get("date"))
    if kind == "interviews":
        for narrator in record.get("narrators", []):
            node = SubElement(root, "a:narrator")
            add(node, "name", narrator.get("name"))
            for other in narrator.get("other_forms", []):
                add(node, "otherForm", other)
        for interviewer in record.get("interviewers", []):
            add(root, "interviewer", interviewer)
    else:
        add(root, "creator", record.get("creator"))
        add(root, "institution", record.get("institution"))
        for person in record.get("people", []):
            add(root, "person", person.get("name"), **({"id": person["person"]} if person.get("person") else {}))
    for field, role in PLACE_ROLES.items():
        value = record.get(field)
        for place in value if isinstance(value, list) else [value]:
            if isinstance(place, dict) and place.get("name"):
                _place(root, place, role, gazetteer)
    for language in record.get("languages", []):
        add(root, "language", language)
    for keyword in record.get("keywords", []):
        add(root, "keyword", keyword)
    for surname in record.get("surnames", []):
        add(root, "surname", surname)
    add(root, "description", record.get("description") or record.get("caption"))
    add(root, "rights", record.get("rights"))
    add(root, "access", access.level_of(record))
    if kind == "interviews":
        add(root, "duration", record.get("duration") if isinstance(record.get("duration"), int) else None)
        if points:
            index = SubElement(root, "a:segmentIndex")
            for point in points:
                segment = SubElement(index, "a:segment", {"start": _seconds(point.get("start", 0))})
                SubElement(segment, "a:title").text = str(point.get("title") or "")
                add(segment, "synopsis", point.get("synopsis"))
    return root


def _place(parent: Element, place: dict, role: str, gazetteer: names.Gazetteer) -> None:
    known = gazetteer.places.get(place.get("place") or "")
    node = SubElement(parent, "a:place", {"role": role, **({"id": known.id} if known else {})})
    SubElement(node, "a:name").text = str(place["name"])
    if known is None:
        return
    for language, label in sorted(known.label.items()):
        SubElement(node, "a:label", {"xml:lang": language}).text = label
    if known.lat is not None and known.lon is not None:
        SubElement(node, "a:coordinates", {"lat": str(float(known.lat)), "lon": str(float(known.lon))})


def _seconds(value) -> str:
    try:
        return str(round(max(float(value), 0.0), 3))
    except (TypeError, ValueError):
        return "0"
