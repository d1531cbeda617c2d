"""Redacted passages: annotations with a body whose purpose is "redacting". Readers other than staff (access.py
decides who) never get their words, in pages, snippets, the index, the API or exports.

Masking keeps every position: each redacted character becomes MASK, so annotation offsets, the index's character
offsets and search snippets stay aligned, and a page shows each run of MASK as a notice. The index only ever holds
masked text, so what anonymous search can match, highlight, count or suggest never includes a redacted word.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from . import annotations, interviews
from .collection import Collection
from .i18n import N_

MASK = "\u2588"
PURPOSE = "redacting"
NOTICE = N_("[passage withheld]")  # in English; pages and exports pass it in the reader's language
_RUN_RE = re.compile(f"{MASK}+")


def is_redaction(annotation: dict) -> bool:
    return any(body.get("purpose") == PURPOSE for body in annotations.body_items(annotation))


def present(items: Iterable[dict]) -> bool:
    """Tell whether any passage is redacted (anchored or not). The recording is silenced by sound.py instead."""
    return any(is_redaction(a) for a in items)


def spans(items: Iterable[dict], segments: list[dict]) -> list[tuple[int, int]]:
    """The character spans of the transcript that redactions withhold. A redaction whose words were corrected away
    (flagged for review) withholds, until a historian looks at it, every whole segment its last position touched:
    it never fails open."""
    found = []
    starts = interviews.transcript_text(segments)[1]
    for a in items:
        if not is_redaction(a):
            continue
        span = annotations.span(a)
        if span is None:
            last = annotations.selector(a, "TextPositionSelector")
            start, end = last.get("start", 0), last.get("end", 0)
            touched = [
                (offset, offset + len(s["text"]))
                for s, offset in zip(segments, starts, strict=True)
                if offset <= end and offset + len(s["text"]) >= start
            ]
            span = (min(t[0] for t in touched), max(t[1] for t in touched)) if touched else (0, 10**9)
        found.append(span)
    return found


def mask(text: str, withheld: list[tuple[int, int]], offset: int = 0) -> str:
    """Replace the withheld characters of `text` (which starts at `offset` of the transcript) by MASK."""
    chars = list(text)
    for start, end in withheld:
        for i in range(max(start - offset, 0), min(end - offset, len(chars))):
            if chars[i] != "\n":
                chars[i] = MASK
    return "".join(chars)


def mask_segments(segments: list[dict], withheld: list[tuple[int, int]]) -> list[dict]:
    """Copies of the segments with the withheld characters masked."""
    if not withheld:
        return segments
    starts = interviews.transcript_text(segments)[1]
    return [{**s, "text": mask(s["text"], withheld, offset)} for s, offset in zip(segments, starts, strict=True)]


def mask_annotation(annotation: dict, masked_text: str) -> dict:
    """An annotation whose quoted words (exact, prefix, suffix) are taken from the masked transcript."""
    span = annotations.span(annotation)
    if span is None:
        return annotation
    shown = copy.deepcopy(annotation)
    annotations.selector(shown, "TextQuoteSelector").update(annotations.quote(masked_text, *span))
    return shown


def for_reader(collection: Collection, interview_id: str, sees_redactions: bool) -> tuple[list[dict], list[dict]]:
    """The transcript and the annotations a reader may have: all of them for staff; for others the segments
    masked, redactions left out and the others' quotes masked."""
    segments = interviews.segments(collection, interview_id)
    items = annotations.items(collection, interview_id)
    if sees_redactions:
        return segments, items
    withheld = spans(items, segments)
    if not withheld:
        return segments, [a for a in items if not is_redaction(a)]
    masked = mask_segments(segments, withheld)
    text = interviews.transcript_text(masked)[0]
    # an annotation flagged for review has no place to mask its quote against: left out, not shown unmasked
    return masked, [mask_annotation(a, text) for a in items if not is_redaction(a) and annotations.span(a)]


def export(collection: Collection, interview_id: str, sees_redactions: bool) -> dict:
    """The AnnotationCollection as this reader may have it."""
    document = annotations.export(collection, interview_id)
    if sees_redactions:
        return document
    document["first"]["items"] = for_reader(collection, interview_id, False)[1]
    document["total"] = len(document["first"]["items"])
    return document


def notices(text: str, notice: str = NOTICE) -> Markup:
    """HTML for text that may hold masked runs: each run becomes one notice."""
    parts = _RUN_RE.split(str(text))
    if len(parts) == 1:
        return escape(text)
    shown = Markup('<span class="withheld">{}</span>').format(notice)
    return shown.join(escape(p) for p in parts)


def plain(text: str, notice: str = NOTICE) -> str:
    """Text for plain outputs (exports): each masked run becomes the notice."""
    return _RUN_RE.sub(lambda _run: notice, text)
