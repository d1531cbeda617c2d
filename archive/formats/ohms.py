"""OHMS XML (Oral History Metadata Synchronizer): record metadata, the index, and either transcript form.

Parsed with defusedxml, refusing any DTD: OHMS exports have none, and a DTD is how entity bombs and external
references arrive. The legacy `<sync>` string `1:|13(3)|19(14)` says that minute 1 falls at line 13 word 3 of
`<transcript>` (lines counted from 1), minute 2 at line 19 word 14, and so on; those points become timecodes in the
text, which is then read like plain text. Version 6 exports carry WebVTT in `<vtt_transcript>` instead.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError
from xml.parsers.expat import errors as expat_errors

import defusedxml.ElementTree as ElementTree
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden

from ..errors import Message
from ..i18n import N_
from . import FormatError, Transcript
from .txt import parse_turns
from .vtt import parse as parse_vtt

NS = "https://www.weareavp.com/nunncenter/ohms"
_Q = f"{{{NS}}}"
_FOOTNOTES_RE = re.compile(r"\[\[footnotes\]\](.*?)\[\[/footnotes\]\]", re.S)
_NOTE_RE = re.compile(r"\[\[note\]\](.*?)\[\[/note\]\]", re.S)
_FOOTNOTE_REF_RE = re.compile(r"\[\[footnote\]\](\d+)\[\[/footnote\]\]")
_SYNC_ENTRY_RE = re.compile(r"(\d+)\((\d+)\)")
_EMPTY_TRANSCRIPTS = {"", "no transcript.", "no transcript"}


def read(data: bytes) -> Transcript:
    record = _record(data)
    notes: list[str] = []
    metadata = _metadata(record)
    toc = _index(record)
    vtt_text = _text(record, "vtt_transcript")
    legacy = _text(record, "transcript")
    if vtt_text.strip():
        embedded = parse_vtt(vtt_text, "vtt")
        segments = embedded.segments
        # what the WebVTT reader kept or set right is said too; its lines are counted in the <vtt_transcript> text
        notes += [Message(N_("in <vtt_transcript>: {note}"), note=note) for note in embedded.notes]
    elif legacy.strip().lower() not in _EMPTY_TRANSCRIPTS:
        segments, footnotes = _legacy(legacy, _text(record, "sync"))
        if footnotes:
            metadata["footnotes"] = footnotes
    else:
        segments = []
    if not segments and not toc:
        title = metadata.get("title") or "untitled"
        raise FormatError(
            N_('this OHMS export ("{title}") holds no transcript and no index points: nothing to ingest'), title=title
        )
    if not segments:
        notes.append(f"OHMS export has no transcript; its {len(toc)} index points were kept")
    return Transcript("ohms", segments, metadata=metadata, toc=toc, notes=notes)


def _record(data: bytes) -> Element:
    try:
        root = ElementTree.fromstring(data, forbid_dtd=True)
    except (DTDForbidden, EntitiesForbidden):
        raise FormatError(
            N_(
                "this XML declares a DTD or entities (<!DOCTYPE ...>, <!ENTITY ...>); OHMS exports have "
                "none, and they are refused because they can expand without limit"
            )
        ) from None
    except ExternalReferenceForbidden:
        raise FormatError(N_("this XML refers to external files or URLs; that is refused for safety")) from None
    except ParseError as e:
        line, column = e.position
        reason = expat_errors.messages.get(e.code, "not well-formed")  # expat's own words, by its error number
        raise FormatError(
            N_("line {line}, column {column}: the XML is broken ({reason})"),
            line=line,
            column=column + 1,
            reason=reason,
        ) from None
    if root.tag != f"{_Q}ROOT":
        raise FormatError(
            N_("this XML is not an OHMS export: its root element is <{tag}>, not <ROOT> in the namespace {namespace}"),
            tag=root.tag.split("}")[-1],
            namespace=NS,
        )
    record = root.find(f"{_Q}record")
    if record is None:
        raise FormatError(N_("this OHMS export has no <record> element"))
    return record


def _text(element: Element | None, name: str) -> str:
    found = element.find(f"{_Q}{name}") if element is not None else None
    return (found.text or "") if found is not None else ""


def _all(element: Element, name: str) -> list[str]:
    return [e.text.strip() for e in element.findall(f"{_Q}{name}") if e.text and e.text.strip()]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _metadata(record: Element) -> dict:
    date = record.find(f"{_Q}date")
    found = {
        "title": _text(record, "title").strip(),
        "date": (date.get("value") or "").strip() if date is not None else "",
        "date_as_written": _text(record, "date_nonpreferred_format").strip(),
        "accession": _text(record, "accession").strip(),
        "narrators": _split(_text(record, "interviewee")),
        "interviewers": _split(_text(record, "interviewer")),
        "keywords": _all(record, "keyword"),
        "subjects": _all(record, "subject"),
        "language_as_written": _text(record, "language").strip(),
        "rights": _text(record, "rights").strip(),
        "usage": _text(record, "usage").strip(),
        "collection": _text(record, "collection_name").strip(),
        "series": _text(record, "series_name").strip(),
        "duration": _text(record, "duration").strip(),
        "description": _text(record, "description").strip(),
        "repository": _text(record, "repository").strip(),
        "media_url": _text(record, "media_url").strip(),
        "ohms_record_id": record.get("id", ""),
        "ohms_version": _text(record, "version").strip(),
    }
    return {key: value for key, value in found.items() if value and value != "00:00:00"}


def _index(record: Element) -> list[dict]:
    index = record.find(f"{_Q}index")
    points = []
    for number, point in enumerate(index.findall(f"{_Q}point") if index is not None else [], 1):
        try:
            start = float(_text(point, "time").strip() or 0)
        except ValueError:
            raise FormatError(
                f'index point {number}: time "{_text(point, "time")}" is not a number of seconds'
            ) from None
        entry = {"start": start, "end": None}
        for name in ("title", "partial_transcript", "synopsis"):
            entry[name] = _text(point, name).strip()
            entry[f"{name}_alt"] = _text(point, f"{name}_alt").strip()
        for name in ("keywords", "subjects"):
            entry[name] = _split(_text(point, name))
            entry[f"{name}_alt"] = _split(_text(point, f"{name}_alt"))
        entry["gps"] = [g for g in map(_gps, point.findall(f"{_Q}gpspoints")) if g]
        entry["links"] = [
            {
                "url": _text(h, "hyperlink").strip(),
                "text": _text(h, "hyperlink_text").strip(),
                "text_alt": _text(h, "hyperlink_text_alt").strip(),
            }
            for h in point.findall(f"{_Q}hyperlinks")
            if _text(h, "hyperlink").strip()
        ]
        points.append(entry)
    points.sort(key=lambda p: p["start"])
    for point, following in zip(points, points[1:], strict=False):
        point["end"] = following["start"]
    return points


def _gps(element: Element) -> dict | None:
    raw = _text(element, "gps").strip()
    try:
        lat, lon = (float(part) for part in raw.split(","))
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    zoom = _text(element, "gps_zoom").strip()
    return {
        "lat": lat,
        "lon": lon,
        "zoom": int(zoom) if zoom.isdigit() else None,
        "text": _text(element, "gps_text").strip(),
        "text_alt": _text(element, "gps_text_alt").strip(),
    }


def _legacy(text: str, sync: str) -> tuple[list, list[str]]:
    footnotes = [" ".join(n.split()) for block in _FOOTNOTES_RE.findall(text) for n in _NOTE_RE.findall(block)]
    text = _FOOTNOTES_RE.sub("", text)
    text = _FOOTNOTE_REF_RE.sub(r"[note \1]", text)
    lines = text.split("\n")
    for seconds, line, word in reversed(_sync_points(sync)):
        if 1 <= line <= len(lines):
            words = lines[line - 1].split(" ")
            at = min(max(word - 1, 0), len(words))
            stamp = f"[{int(seconds) // 3600:02d}:{int(seconds) % 3600 // 60:02d}:{int(seconds) % 60:02d}]"
            lines[line - 1] = " ".join(words[:at] + [stamp] + words[at:])
    segments = parse_turns(enumerate(lines, 1), where="transcript line")
    if segments and segments[0].start is None:
        segments[0].start = 0.0  # the text before minute 1 starts with the recording
    return segments, footnotes


def _sync_points(sync: str) -> list[tuple[float, int, int]]:
    """Read `interval:|line(word)|...`: the k-th entry marks minute k × interval."""
    interval, _, entries = sync.strip().partition(":")
    if not interval.strip().isdigit():
        return []
    step = int(interval) * 60
    points = []
    for k, entry in enumerate(entries.split("|")):
        match = _SYNC_ENTRY_RE.fullmatch(entry.strip())
        if match:
            points.append((float(k * step), int(match.group(1)), int(match.group(2))))
    return sorted(points, key=lambda p: (p[1], p[2]))
