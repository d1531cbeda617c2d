"""OHMS XML (the Oral History Metadata Synchronizer's record) of one interview, as a reader may see it.

The file holds one `<record>` in the order the OHMS 6.0 schema asks: the description (title, date, narrators as
`<interviewee>`, interviewers, accession, collection, keywords, language, rights, duration, the archive as
repository), the segment index as `<index><point>`s, and the transcript twice over:

- `<transcript>` with `<sync>`, the form every OHMS version reads: one paragraph per passage (`SPEAKER: text`, a blank
  line between passages), and `1:|L(W)|...`, which says at which line L and word W each whole minute of the
  recording falls. The word of minute k is estimated by spreading the words of the passage spoken then evenly over
  the passage's time. So a reader of this part alone gets the words and the speakers, with times only at whole
  minutes (a passage with a minute inside it comes back cut at that word); line breaks inside a passage become
  spaces, and a transcript without times has an empty `<sync>`.
- `<vtt_transcript>` (OHMS 6.0) when every passage has its time: WebVTT with one cue per passage, so times survive
  to the millisecond, with the speakers and the line breaks inside passages. OHMS 6 viewers and our reader
  (formats/ohms.py) take it before `<transcript>`, so a round trip gives back the same passages with the same times.

What OHMS cannot carry, and is left out or changed: index times are whole seconds (`xs:int`); a point's places
(gazetteer identifiers) become GPS points with the place's coordinates and English name, after the point's own; the
narrators' other written forms, surnames, places of the description and consent are not written; several narrators
share one `<interviewee>`, separated by `;` (as OHMS writes them). `<record id>` must be a number: it is derived from
the interview's identifier, which is written in full as `<cms_record_id>`.

Recordings: an OHMS record has one media file. An interview of several recordings (tapes, sessions) is exported as
one record in continuous time (the parts played one after another, as the archive plays them): the duration is the
whole, the transcript and index times run on across parts, and `<media_url>` names the recording only when there is
one part. A viewer given the parts joined into one file plays the record as it is; cutting it into one record per
part would split passages and index points that run across a part's end.

Redacted passages are withheld (the notice in their place) for everyone but staff, as in every other output.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from xml.etree.ElementTree import Element, SubElement

import langcodes

from .. import access, interviews, recordings, redaction, segment_index, vocab
from ..collection import Collection
from ..formats import vtt, xmlsafe
from ..formats.ohms import NS

VERSION = "6.0"
SYNC_MINUTES = 1  # the interval of the sync points, in minutes
_EXACT_DATE_RE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_DATE_FORMATS = {4: "yyyy", 7: "yyyy-mm", 10: "yyyy-mm-dd"}


def build(
    collection: Collection,
    interview_id: str,
    reader: access.Viewer,
    *,
    repository: str,
    media_url: str | None = None,
    today: datetime.date | None = None,
    notice: str = redaction.NOTICE,
) -> bytes:
    """The OHMS XML of an interview the reader may read (AccessDenied otherwise); `repository` is the archive's
    name, `media_url` the address of its one recording (left out for several), `notice` what stands in for a
    withheld passage in the reader's language."""
    record = interviews.load(collection, interview_id).record
    if not access.can_read(reader, record, f"interviews/{interview_id}"):
        raise access.AccessDenied(access.as_reader(reader).user is not None)
    segments = redaction.for_reader(collection, interview_id, access.sees_redactions(reader))[0]
    shown = [{**s, "text": redaction.plain(s["text"], notice)} for s in segments]
    points = segment_index.read(collection, interview_id, record).points
    parts = recordings.parts(record)

    root = Element("ROOT", {"xmlns": NS})
    rec = SubElement(
        root, "record", {"id": str(record_number(interview_id)), "dt": str(today or datetime.date.today())}
    )
    _add(rec, "version", VERSION)
    date = record.get("date") or ""
    _add(rec, "date", None, value=date, format=_date_format(date))
    _add(rec, "cms_record_id", interview_id)
    _add(rec, "title", record.get("title") or interview_id)
    _add(rec, "accession", record.get("accession"))
    _add(rec, "duration", _clock(_duration(record, parts)))
    _add(rec, "collection_name", record.get("collection"))
    _add(rec, "repository", repository)
    for keyword in record.get("keywords") or []:
        _add(rec, "keyword", keyword)
    _add(rec, "interviewee", "; ".join(n["name"] for n in record.get("narrators") or [] if n.get("name")))
    _add(rec, "interviewer", "; ".join(record.get("interviewers") or []))
    lines, sync = legacy_transcript(shown)
    _add(rec, "sync", sync)
    _add(rec, "media_url", media_url if len(parts) == 1 else None)
    _add(rec, "language", "; ".join(_language_name(tag) for tag in record.get("languages") or []))
    _index(SubElement(rec, "index"), points, vocab.gazetteer(collection))
    _add(rec, "description", record.get("description"))
    _add(rec, "transcript", "\n".join(lines))
    if shown and all(s.get("start") is not None for s in shown):
        _add(rec, "vtt_transcript", vtt.write(shown))
    _add(rec, "rights", record.get("rights"))
    if parts:
        _add(rec, "fmt", "video" if parts[0].get("kind") == "video" else "audio")
    return xmlsafe.document(root)


def record_number(interview_id: str) -> int:
    """The number OHMS wants as `<record id>` (an xs:int), the same for an interview at every export."""
    return int(hashlib.sha256(interview_id.encode()).hexdigest()[:7], 16)


def legacy_transcript(segments: list[dict]) -> tuple[list[str], str]:
    """The lines of `<transcript>` (one per passage, a blank line between) and its `<sync>`: for each whole minute
    up to the last timed passage's end, the line and word spoken then (counted from 1)."""
    lines, first_word, words_of = [], [], []
    for s in segments:
        label = f"{' '.join(s['speaker'].split())}: " if s.get("speaker") else ""
        words = s["text"].split()
        if lines:
            lines.append("")
        lines.append(label + " ".join(words))
        first_word.append(len(label.split()) + 1)
        words_of.append(len(words))
    timed = [
        (i, s["start"], _end(segments, i))
        for i, s in enumerate(segments)
        if s.get("start") is not None and _end(segments, i) is not None
    ]
    if not timed:
        return lines, ""
    entries = []
    minute = SYNC_MINUTES * 60
    last = max(end for _i, _start, end in timed)
    at = minute
    while at < last:
        # the passage spoken at this minute, else the first to start after it
        i, start, end = next(
            ((i, start, end) for i, start, end in timed if start <= at < end),
            next(((i, start, end) for i, start, end in timed if start > at), (None, None, None)),
        )
        if i is None:
            break
        share = (at - start) / (end - start) if end > start and at > start else 0.0
        word = min(int(share * words_of[i]), max(words_of[i] - 1, 0))
        entries.append(f"{2 * i + 1}({first_word[i] + word})")
        at += minute
    return lines, f"{SYNC_MINUTES}:|" + "|".join(entries) if entries else ""


def _end(segments: list[dict], i: int) -> float | None:
    s = segments[i]
    if s.get("end") is not None:
        return s["end"]
    following = next((t["start"] for t in segments[i + 1 :] if t.get("start") is not None), None)
    return following


def _index(index: Element, points: list[dict], gazetteer) -> None:
    for p in points:
        point = SubElement(index, "point")
        alt = p.get("alt") or {}
        _add(point, "time", str(int(p.get("start") or 0)))
        for name in ("title", "partial_transcript", "synopsis"):
            _add(point, name, p.get(name) or "")
            _add(point, f"{name}_alt", alt.get(name) or "")
        for name in ("keywords", "subjects"):
            _add(point, name, "; ".join(p.get(name) or []))
            _add(point, f"{name}_alt", "; ".join(alt.get(name) or []))
        places = [gazetteer.places.get(place) for place in p.get("places") or []]
        gps = [*(p.get("gps") or []), *({"lat": g.lat, "lon": g.lon, "label": g.name()} for g in places if g and g.lat)]
        for g in gps:
            where = SubElement(point, "gpspoints")
            _add(where, "gps", f"{g['lat']}, {g['lon']}")
            _add(where, "gps_zoom", "")
            _add(where, "gps_text", g.get("label") or "")
        for link in p.get("links") or []:
            hyperlinks = SubElement(point, "hyperlinks")
            _add(hyperlinks, "hyperlink", link["url"])
            _add(hyperlinks, "hyperlink_text", link.get("label") or "")


def _add(parent: Element, name: str, text: str | None, **attributes: str) -> Element:
    element = SubElement(parent, name, attributes)
    element.text = text or None
    return element


def _date_format(date: str) -> str:
    """How OHMS names the date's form: a plain year, month or day; "edtf" for anything else EDTF says."""
    return _DATE_FORMATS[len(date)] if _EXACT_DATE_RE.fullmatch(date) else ("edtf" if date else "yyyy-mm-dd")


def _duration(record: dict, parts: list[dict]) -> float | None:
    lengths = [p.get("duration") for p in parts]
    if parts and all(length is not None for length in lengths):
        return sum(lengths)
    return record.get("duration")


def _clock(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _language_name(tag: str) -> str:
    """A language as OHMS records write it, its English name ("Russian"), where that name reads back as the same
    tag; the tag itself otherwise."""
    try:
        name = langcodes.Language.get(tag).language_name("en")
        return name if langcodes.find(name).to_tag() == tag else tag
    except (LookupError, ValueError):
        return tag
