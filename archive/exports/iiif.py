"""IIIF Presentation 3 manifests (https://iiif.io/api/presentation/3.0/), built here as plain JSON, for viewers such
as Mirador, the Universal Viewer or Aviary.

An item gets one Canvas per page of its scan, sized as the display copy readers are given, each painted by that
display copy. An interview gets one Canvas for its whole recording, in continuous time (the sum of its parts): each
part is painted at its `#t=start,end` fragment of that canvas, so the transcript's and the segment index's times,
which are continuous already, target the canvas as they are, and a viewer plays the parts one after another. The
timed passages of the transcript are `supplementing` annotations (redacted words masked for all but staff), and the
segment index's points are Ranges in `structures`.

Every builder takes the reader and asks access.py: a part the reader may not hear is not painted (sound.playable
decides, as for the player), redacted passages are masked as the pages mask them, staff-only fields never reach a
manifest. The caller (a view) has checked that the reader may read the record, and gives the absolute addresses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .. import access, interviews, media, recordings, redaction, segment_index, sound
from ..collection import Collection
from ..i18n import N_, in_language, languages

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
MEDIA_TYPE = f'application/ld+json;profile="{CONTEXT}"'
IMAGE_TYPES = {"WEBP": "image/webp", "JPEG": "image/jpeg"}
# the rights URIs IIIF's `rights` property takes: Creative Commons licences and marks, and RightsStatements.org;
# anything else a record says of its rights is free text, given as the requiredStatement
_RIGHTS_RE = re.compile(
    r"^https?://(creativecommons\.org/(licenses|publicdomain)/[A-Za-z0-9.+/-]+|rightsstatements\.org/vocab/[A-Za-z-]+/[0-9.]+/?)$"
)
LABELS = {
    "narrators": N_("Narrator"),
    "interviewers": N_("Interviewer"),
    "date": N_("Date"),
    "place": N_("Place of interview"),
    "places": N_("Places"),
    "surnames": N_("Surnames"),
    "creator": N_("Creator"),
    "institution": N_("Institution"),
    "collection": N_("Collection"),
    "accession": N_("Accession number"),
    "rights": N_("Rights"),
}
UNTITLED = N_("Untitled")
PAGE = N_("Page {n}")
RECORDING = N_("Recording")
PART = N_("Part {n}")


@dataclass(frozen=True)
class Addresses:
    """The absolute addresses a manifest names, given by the view (url_for, _external): its own, the record's page,
    and a function for each file a canvas is painted with (a page's display copy, a part of the recording)."""

    manifest: str
    homepage: str
    content: Callable[[int], str]

    @property
    def base(self) -> str:
        """Under which every canvas, page and annotation of the manifest is named."""
        return self.manifest.rsplit("/", 1)[0]


def rights_uri(text: object) -> str | None:
    """The record's rights as the URI IIIF's `rights` takes (a Creative Commons or RightsStatements.org address, in
    its http form as those bodies publish them), or None when it is free text."""
    value = str(text or "").strip()
    if not _RIGHTS_RE.match(value):
        return None
    return "http://" + value.split("://", 1)[1]


def language_of(record: Mapping) -> str:
    """The record's language for its words in language maps: its first language, or "none" when it names none."""
    found = record.get("languages") or []
    return str(found[0]) if found else "none"


def words(text: str, **values: object) -> dict[str, list[str]]:
    """A label the archive says itself, in every language it speaks."""
    return {lang: [in_language(lang, text, **values)] for lang in languages()}


def _values(record: Mapping, name: str) -> list[str]:
    value = record.get(name)
    if not value:
        return []
    if name == "narrators":
        return [n["name"] for n in value if isinstance(n, Mapping) and n.get("name")]
    if isinstance(value, Mapping):
        return [value["name"]] if value.get("name") else []
    if isinstance(value, list):
        return [v["name"] if isinstance(v, Mapping) else str(v) for v in value if v]
    return [str(value)]


def _description(shown: Mapping, lang: str, fields: tuple[str, ...], addresses: Addresses) -> dict:
    """What a manifest says of its record: label, summary, metadata, rights, homepage."""
    described: dict = {
        "@context": CONTEXT,
        "id": addresses.manifest,
        "type": "Manifest",
        "label": {lang: [shown["title"]]} if shown.get("title") else words(UNTITLED),
    }
    summary = shown.get("description") or shown.get("caption")
    if summary:
        described["summary"] = {lang: [summary]}
    metadata = []
    for name in fields:
        found = _values(shown, name)
        if found and name != "rights":
            metadata.append({"label": words(LABELS[name]), "value": {lang: found}})
    if metadata:
        described["metadata"] = metadata
    rights = shown.get("rights")
    if rights_uri(rights):
        described["rights"] = rights_uri(rights)
    elif rights:
        described["requiredStatement"] = {"label": words(LABELS["rights"]), "value": {lang: [str(rights)]}}
    described["homepage"] = [
        {"id": addresses.homepage, "type": "Text", "label": described["label"], "format": "text/html"}
    ]
    return described


def _page(base: str, name: str, items: list[dict]) -> dict:
    return {"id": f"{base}/{name}", "type": "AnnotationPage", "items": items}


# --- an item: a canvas per page ---------------------------------------------------------------------------------------


def _page_size(collection: Collection, item: media.Item, n: int, fmt: str) -> tuple[int, int] | None:
    """A page's display copy size: as the record says, else read from the copy itself; None when there is none."""
    pages = item.record.get("pages") or []
    if n <= len(pages) and pages[n - 1].get("width") and pages[n - 1].get("height"):
        return int(pages[n - 1]["width"]), int(pages[n - 1]["height"])
    path: Path = media.derived_path(collection, item.id, n, "display", fmt)
    if not path.is_file():
        return None
    with Image.open(path) as image:
        return image.size


def item_manifest(collection: Collection, item: media.Item, viewer: access.Viewer, addresses: Addresses) -> dict:
    """The Manifest of an item the viewer may read: one Canvas per page, painted by the page's display copy."""
    shown = access.shown_record(viewer, item.record)
    lang = language_of(shown)
    manifest = _description(
        shown,
        lang,
        ("creator", "date", "places", "surnames", "institution", "accession", "rights"),
        addresses,
    )
    fmt = item.record.get("derived", {}).get("format", "JPEG")
    canvases = []
    for n in range(1, item.pages + 1):
        size = _page_size(collection, item, n, fmt)
        if size is None:
            continue
        width, height = size
        canvas = f"{addresses.base}/canvas/{n}"
        image = {
            "id": addresses.content(n),
            "type": "Image",
            "format": IMAGE_TYPES.get(fmt, "image/jpeg"),
            "width": width,
            "height": height,
        }
        painting = {
            "id": f"{canvas}/annotation/painting",
            "type": "Annotation",
            "motivation": "painting",
            "body": image,
            "target": canvas,
        }
        canvases.append(
            {
                "id": canvas,
                "type": "Canvas",
                "label": words(PAGE, n=n),
                "width": width,
                "height": height,
                "items": [_page(canvas, "page/painting", [painting])],
            }
        )
    manifest["items"] = canvases
    return manifest


# --- an interview: one canvas in continuous time -------------------------------------------------------------------


def _fragment(canvas: str, start: float, end: float | None) -> str:
    start = round(max(start, 0.0), 3)
    if end is None or round(end, 3) <= start:
        return f"{canvas}#t={start:g}"
    return f"{canvas}#t={start:g},{round(end, 3):g}"


def _ends(segments: list[dict], end: float) -> list[float]:
    """Where each timed passage ends: where the next timed one starts, the last at the canvas's end."""
    ends, following = [], end
    for s in reversed(segments):
        ends.append(max(following, s["start"]))
        following = s["start"]
    return ends[::-1]


def interview_manifest(
    collection: Collection, interview: interviews.Interview, viewer: access.Viewer, addresses: Addresses
) -> dict:
    """The AV Manifest of an interview the viewer may read: one Canvas whose `duration` is the whole recording, each
    part the reader may hear painted at its place in that time, the timed passages as supplementing annotations,
    and the segment index as Ranges."""
    record = interview.record
    shown = access.shown_record(viewer, record)
    lang = language_of(shown)
    manifest = _description(
        shown, lang, ("narrators", "interviewers", "date", "place", "collection", "accession", "rights"), addresses
    )
    sees = access.sees_redactions(viewer)
    segments, _notes = redaction.for_reader(collection, interview.id, sees)
    timed = sorted((s for s in segments if isinstance(s.get("start"), int | float)), key=lambda s: s["start"])
    parts = recordings.parts(record)
    # the canvas reaches the later of the recording's end and the transcript's last time (a transcript may be timed
    # beyond a recording cut short); a passage starting at its very end is targeted as a point of time
    times = [float(t) for s in segments for t in (s.get("start"), s.get("end")) if isinstance(t, int | float)]
    duration = max([segment_index.recording_end(record, segments) or 0.0, *times])
    if not duration or duration <= 0:
        manifest["items"] = []
        return manifest
    canvas = f"{addresses.base}/canvas/1"
    ranges = None if sees else sound.ranges(collection, interview.id)
    painted, width, height = [], 0, 0
    for part in parts:
        if not part.get("duration"):
            continue
        heard = sound.playable(collection, interview.id, record, part["part"], sees, ranges)
        if isinstance(heard, str):
            continue  # withheld from this reader (or not ready): not painted
        _path, content_type = heard
        body = {
            "id": addresses.content(part["part"]),
            "type": "Video" if part.get("kind") == "video" else "Sound",
            "format": content_type.split(";")[0],
            "duration": round(part["duration"], 3),
        }
        video = part.get("video") or {}
        if body["type"] == "Video" and video.get("width") and video.get("height"):
            body["width"], body["height"] = int(video["width"]), int(video["height"])
            width, height = max(width, body["width"]), max(height, body["height"])
        painted.append(
            {
                "id": f"{canvas}/annotation/recording-{part['part']}",
                "type": "Annotation",
                "motivation": "painting",
                "label": words(RECORDING) if len(parts) == 1 else words(PART, n=part["part"]),
                "body": body,
                "target": _fragment(canvas, part["offset"], part["offset"] + part["duration"]),
            }
        )
    passages = []
    for number, (s, end) in enumerate(zip(timed, _ends(timed, duration), strict=True), 1):
        if s["start"] > duration:
            continue
        text = redaction.plain(s.get("text", ""), in_language(s.get("lang") or lang, redaction.NOTICE))
        said = f"{s['speaker']}: {text}" if s.get("speaker") else text
        body = {"type": "TextualBody", "value": said, "format": "text/plain"}
        if s.get("lang") or lang != "none":
            body["language"] = s.get("lang") or lang
        passages.append(
            {
                "id": f"{canvas}/annotation/passage-{s.get('n', number)}",
                "type": "Annotation",
                "motivation": "supplementing",
                "body": body,
                "target": _fragment(canvas, s["start"], min(end, duration)),
            }
        )
    made = {"id": canvas, "type": "Canvas", "label": manifest["label"], "duration": round(duration, 3)}
    if width and height:
        made["width"], made["height"] = width, height
    made["items"] = [_page(canvas, "page/painting", painted)]
    if passages:
        made["annotations"] = [_page(canvas, "page/transcript", passages)]
    manifest["items"] = [made]
    points = segment_index.read(collection, interview.id, record).points
    structures = []
    starts = [p["start"] for p in points]
    for i, point in enumerate(points):
        if point["start"] > duration:
            continue
        end = min(starts[i + 1], duration) if i + 1 < len(points) else duration
        entry = {
            "id": f"{addresses.base}/range/{i + 1}",
            "type": "Range",
            "label": {lang: [point.get("title") or segment_index.clock(point["start"])]},
            "items": [{"id": _fragment(canvas, point["start"], end), "type": "Canvas"}],
        }
        if point.get("synopsis"):
            entry["summary"] = {lang: [point["synopsis"]]}
        structures.append(entry)
    if structures:
        manifest["structures"] = structures
    return manifest
