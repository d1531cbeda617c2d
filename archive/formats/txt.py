"""Plain text with speaker turns: `NAME: text`, timecodes [hh:mm:ss], [mm:ss] or (hh:mm:ss) at line start or inline.

A line that does not open with a label continues the speaker before it: in the same segment when it follows directly
(a wrapped line), in a new segment after a blank line (a new paragraph). A timecode opens a new segment of the same
speaker at that time. The same rules serve Word files and OHMS legacy transcripts, which are this text in other boxes.
"""

from __future__ import annotations

import re

from ..errors import Message
from ..i18n import N_
from . import Segment, Transcript, encoding, finish, parse_timecode

TIMESTAMP_RE = re.compile(r"[\[(](\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?)[\])]")
_LABEL_RE = re.compile(r"(?P<label>[^\W\d_][^\W_]*(?:[ .'’-]{1,2}[^\W_]+){0,5}\.?)\s*:(?:\s+|$)")
_MAX_LABEL_WORDS = 4


def read(data: bytes, line_breaks: bool = False) -> Transcript:
    text, notes = encoding.decode(data)
    return Transcript("txt", parse_turns(enumerate(text.split("\n"), 1), line_breaks=line_breaks), notes=notes)


UNITS = {
    "line": N_("line {number}"),
    "paragraph": N_("paragraph {number}"),
    "transcript line": N_("transcript line {number}"),
}  # where a fault is, in words


def parse_turns(lines, where: str = "line", line_breaks: bool = False) -> list[Segment]:
    """Build segments from (number, text) lines; `where` names the unit in error messages ("line", "paragraph").
    Lines that follow each other directly are joined by a space (a wrapped line), or, with `line_breaks` (a family's
    story, where a line break is the writer's own), by the line break itself."""
    lines = [(number, line.strip()) for number, line in lines]
    speakers = _accepted_labels(line for _, line in lines)
    segments: list[Segment] = []
    speaker, current, after_blank = None, None, True
    joiner = "\n" if line_breaks else " "
    for number, line in lines:
        if not line:
            after_blank = True
            continue
        start, line = _leading_timestamp(line, Message(UNITS.get(where, where + " {number}"), number=number))
        match = _LABEL_RE.match(line)
        if match and match.group("label") in speakers:
            speaker, line = match.group("label"), line[match.end() :]
            if start is None:
                start, line = _leading_timestamp(line, Message(UNITS.get(where, where + " {number}"), number=number))
            current = None
        if current is None or after_blank or start is not None:
            current = Segment(0, start, None, speaker, "")
            segments.append(current)
        after_blank = False
        pieces = TIMESTAMP_RE.split(line)
        current.text = f"{current.text}{joiner}{pieces[0]}".strip()
        for stamp, following in zip(pieces[1::2], pieces[2::2], strict=False):
            current = Segment(
                0,
                parse_timecode(stamp, Message(UNITS.get(where, where + " {number}"), number=number)),
                None,
                speaker,
                following.strip(),
            )
            segments.append(current)
    return finish(segments)


def _leading_timestamp(line: str, where: str) -> tuple[float | None, str]:
    match = TIMESTAMP_RE.match(line)
    if not match:
        return None, line
    return parse_timecode(match.group(1), where), line[match.end() :].lstrip()


def _accepted_labels(lines) -> set[str]:
    """Tell speaker labels from prose that happens to hold a colon ("He said: come").

    A label is accepted if it is written in capitals, or each of its words opens with a capital (or a caseless script
    such as Hangul), or it opens two or more lines.
    """
    seen: dict[str, int] = {}
    for line in lines:
        _, line = _strip_stamp(line)
        match = _LABEL_RE.match(line)
        if match:
            seen[match.group("label")] = seen.get(match.group("label"), 0) + 1
    accepted = set()
    for label, count in seen.items():
        words = re.split(r"[ .'’-]+", label.strip(". "))
        if len(words) > _MAX_LABEL_WORDS:
            continue
        capitals = label.isupper() or all(w[:1].isupper() or not w[:1].islower() for w in words if w)
        if capitals or count >= 2:
            accepted.add(label)
    return accepted


def _strip_stamp(line: str) -> tuple[str | None, str]:
    match = TIMESTAMP_RE.match(line.strip())
    return (match.group(1), line.strip()[match.end() :].lstrip()) if match else (None, line.strip())


def split_labels(texts: list[str]) -> list[tuple[str | None, str]]:
    """Split `NAME: text` off each text (a subtitle cue, say), using the same judgement as for whole transcripts."""
    speakers = _accepted_labels(texts)
    found = []
    for text in texts:
        match = _LABEL_RE.match(text.strip())
        if match and match.group("label") in speakers:
            found.append((match.group("label"), text.strip()[match.end() :]))
        else:
            found.append((None, text))
    return found
