"""Dublin Core (oai_dc) for an interview or a media item: what aggregators harvest through OAI-PMH.

Only the description goes out, never transcript text, so redacted passages cannot travel this way; which records go
out at all is access.py's decision, made before a record reaches this module.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TYPES = {
    "interviews": "Sound",
    "photograph": "StillImage",
    "document": "Text",
    "letter": "Text",
    "object": "PhysicalObject",
    "other": "StillImage",
}


def bare(parent: Element | None = None) -> Element:
    """An empty <oai_dc:dc> element (under `parent` if given), for a record or a set's description."""
    attrs = {"xmlns:oai_dc": OAI_DC, "xmlns:dc": DC, "xmlns:xsi": XSI, "xsi:schemaLocation": f"{OAI_DC} {SCHEMA}"}
    return Element("oai_dc:dc", attrs) if parent is None else SubElement(parent, "oai_dc:dc", attrs)


def element(kind: str, record: dict, url: str) -> Element:
    """The <oai_dc:dc> element of one record."""
    root = bare()

    def add(name: str, value) -> None:
        if value:
            SubElement(root, f"dc:{name}").text = str(value)

    add("title", record.get("title"))
    if kind == "interviews":
        for narrator in record.get("narrators", []):
            add("creator", narrator.get("name"))
        for interviewer in record.get("interviewers", []):
            add("contributor", interviewer)
        for language in record.get("languages", []):
            add("language", language)
    else:
        add("creator", record.get("creator"))
        for person in record.get("people", []):
            add("subject", person.get("name"))
        add("publisher", record.get("institution"))
    add("date", record.get("date"))
    add("description", record.get("description") or record.get("caption"))
    for keyword in [*record.get("keywords", []), *record.get("surnames", [])]:
        add("subject", keyword)
    places = [
        *record.get("villages", []),
        *record.get("deported_to", []),
        *record.get("later_homes", []),
        *record.get("places", []),
    ] + [record[k] for k in ("place", "birthplace") if record.get(k)]
    for place in dict.fromkeys(p.get("name") for p in places if isinstance(p, dict)):
        add("coverage", place)
    add("type", TYPES.get("interviews" if kind == "interviews" else record.get("kind", "other"), "StillImage"))
    add("identifier", url)
    add("rights", record.get("rights"))
    return root
