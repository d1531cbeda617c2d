"""WebVTT (and, through `parse`, SRT): cues become segments, voice tags or `NAME:` prefixes become speakers.

webvtt-py does the parsing, in strict mode. Before it runs, every timing line is checked here so that a bad timecode
is reported with its cue number (the library names neither, and in lenient mode drops the cue silently). What real
exports contain is tolerated and reported: `<br>` inside cues, zero-length cues, a cue that ends before it starts.
"""

from __future__ import annotations

import html
import io
import re

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from ..errors import Message
from ..i18n import N_
from . import FormatError, Segment, Transcript, encoding, finish, parse_timecode
from .txt import split_labels

_BR_RE = re.compile(r"(?:<br\s*/?>)+", re.IGNORECASE)
_KEEP = "\u2028"  # stands for a <br> while webvtt-py parses: a real newline could end the cue
_BLOCK_SPLIT_RE = re.compile(r"\n[ \t]*\n")
_TIMING_RE = re.compile(r"^\s*(\S+)\s+-->\s+(\S+)")


def read(data: bytes) -> Transcript:
    text, notes = encoding.decode(data)
    return parse(text, "vtt", notes)


def parse(text: str, kind: str = "vtt", notes: list[str] | None = None) -> Transcript:
    """Read cue text of `kind` "vtt" or "srt"."""
    notes = list(notes or [])
    text = _BR_RE.sub(_KEEP, text.lstrip("\ufeff"))
    if kind == "vtt" and not text.startswith("WEBVTT"):
        raise FormatError(N_('this WebVTT file does not start with the "WEBVTT" header line'))
    timings = _check_timings(text, kind)
    try:
        captions = list(webvtt.from_buffer(io.StringIO(text), format=kind, strict=True))
    except (MalformedCaptionError, MalformedFileError) as e:
        raise FormatError(N_("{kind} file could not be read: {error}"), kind=kind.upper(), error=str(e)) from None
    if len(captions) != len(timings):
        raise FormatError(
            N_("{kind} file could not be read: {timings} timing lines but {cues} readable cues"),
            kind=kind.upper(),
            timings=len(timings),
            cues=len(captions),
        )
    # webvtt-py takes the tags out of a cue's text but leaves its character references (&amp;, &lt;, ...) as written
    unescape = html.unescape if kind == "vtt" else str
    labelled = split_labels([unescape(c.text.replace(_KEEP, "\n")) if not c.voice else "" for c in captions])
    segments, speaker = [], None
    for number, (caption, (start, end), (label, rest)) in enumerate(zip(captions, timings, labelled, strict=False), 1):
        if end < start:
            notes.append(
                f"cue {number}: ends ({caption.end}) before it starts ({caption.start}); its end was set to its start"
            )
            end = start
        speaker = unescape(caption.voice) if caption.voice else label or speaker
        body = unescape(caption.text.replace(_KEEP, "\n")) if caption.voice else rest
        segments.append(Segment(0, start, end, speaker, body))
    return Transcript(kind, finish(segments), notes=notes)


def _check_timings(text: str, kind: str) -> list[tuple[float, float]]:
    """Return (start, end) of every cue, refusing the first that cannot be read, named by its number."""
    timings = []
    blocks = [b for b in _BLOCK_SPLIT_RE.split(text.replace("\r\n", "\n")) if b.strip()]
    if kind == "vtt":
        blocks = blocks[1:]  # the header block
    for block in blocks:
        lines = block.strip("\n").split("\n")
        if kind == "vtt" and lines[0].split(" ", 1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        number = len(timings) + 1
        timing = next((m for m in map(_TIMING_RE.match, lines[:2]) if m), None)
        if timing is None:
            raise FormatError(
                N_("cue {number}: no timing line (start --> end) where one was expected: {line}"),
                number=number,
                line=repr(lines[0][:60]),
            )
        where = Message(N_("cue {number}"), number=number)
        timings.append((parse_timecode(timing.group(1), where), parse_timecode(timing.group(2), where)))
    return timings


_BLANK_LINES_RE = re.compile(r"\n\s*\n")


def cue_time(seconds: float) -> str:
    """Seconds as a WebVTT timestamp, hh:mm:ss.mmm."""
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def write(segments: list[dict]) -> str:
    """Timed passages (each with a `start`; `text` as it may be shown) as WebVTT, written by webvtt-py: one cue per
    passage, numbered as the passages are, its speaker as the cue's voice. A passage without an end ends where the
    next begins (the last where it starts). Cue text is escaped as WebVTT asks (&, < and >, so never "-->"), with no
    blank line inside a cue; `read` takes it back to the same passages."""
    captions = webvtt.WebVTT()
    for s, following in zip(segments, [*segments[1:], None], strict=True):
        end = s.get("end")
        if end is None:
            end = following["start"] if following else s["start"]
        text = html.escape(_BLANK_LINES_RE.sub("\n", s["text"].strip()), quote=False) or "…"
        voice = f"<v {html.escape(s['speaker'], quote=False)}>" if s.get("speaker") else ""
        captions.captions.append(
            webvtt.Caption(cue_time(s["start"]), cue_time(max(end, s["start"])), voice + text, identifier=str(s["n"]))
        )
    return captions.content
