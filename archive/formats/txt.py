"""Plain text with speaker turns: `NAME: text`, timecodes [hh:mm:ss], [mm:ss] or (hh:mm:ss) at line start or inline,
also a video editor's frame count [hh:mm:ss:ff] or [hh:mm:ss;ff] (the frames dropped: see formats.parse_timecode).

A line that does not open with a label continues the speaker before it: in the same segment when it follows directly
(a wrapped line), in a new segment after a blank line (a new paragraph). A timecode opens a new segment of the same
speaker at that time. The same rules serve Word files and OHMS legacy transcripts, which are this text in other boxes.
"""

from __future__ import annotations

import re

from ..errors import Message
from ..i18n import N_
from . import Segment, Transcript, columns, encoding, finish, parse_timecode

TIMESTAMP_RE = re.compile(r"[\[(](\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d{1,3})?|\d{1,2}(?::\d{1,2}){2}[:;]\d{1,2})[\])]")
_LABEL_RE = re.compile(r"(?P<label>[^\W\d_][^\W_]*(?:[ .'’-]{1,2}[^\W_]+){0,5}\.?)\s*:(?:\s+|$)")
_MAX_LABEL_WORDS = 4
_TURN_MARK = ">>"  # broadcast and court style: a new turn, with or without a name after it
_BRACKET_RE = re.compile(r"\[(?P<name>[^\W\d_][^\W\d_]*(?:[ .'’-]{1,2}[^\W\d_]+){0,3}\.?)\](?:\s+|$)")
_NAME_ALONE_RE = re.compile(r"[^\W\d_][^\W\d_]*(?:[ .'’-]{1,2}[^\W\d_]+){0,3}:?")
# what is written in brackets in transcripts and is not a voice
_NOT_NAMES = {
    *"laughs laughter laughing inaudible unintelligible unclear pause crosstalk silence music applause".split(),
    *"cough coughs coughing crying cries sighs noise break interruption overlapping".split(),
    *"смех смеётся смеется пауза неразборчиво плачет вздыхает тишина шум музыка".split(),
    *"lachen lacht pause unverständlich".split(),
    *"웃음 침묵 웃음소리".split(),
}


def read(data: bytes, line_breaks: bool = False) -> Transcript:
    text, notes = encoding.decode(data)
    table = columns.parse(text)
    if table:
        return Transcript("txt", table[0], notes=notes + table[1])
    return Transcript("txt", parse_turns(enumerate(text.split("\n"), 1), line_breaks=line_breaks), notes=notes)


UNITS = {
    "line": N_("line {number}"),
    "paragraph": N_("paragraph {number}"),
    "transcript line": N_("transcript line {number}"),
    "pdf line": N_("line {number} of the text taken from the PDF"),
}  # where a fault is, in words


def parse_turns(lines, where: str = "line", line_breaks: bool = False) -> list[Segment]:
    """Build segments from (number, text) lines; `where` names the unit in error messages ("line", "paragraph").
    Lines that follow each other directly are joined by a space (a wrapped line), or, with `line_breaks` (a family's
    story, where a line break is the writer's own), by the line break itself."""
    lines = [(number, line.strip()) for number, line in lines]
    speakers = _accepted_labels(_unmark(line) for _, line in lines)
    bracketed = _bracket_names(line for _, line in lines)
    alone = _names_alone(lines)
    segments: list[Segment] = []
    speaker, current, after_blank = None, None, True
    joiner = "\n" if line_breaks else " "
    for number, line in lines:
        if not line:
            after_blank = True
            continue
        if number in alone:
            speaker, current = line.rstrip(":").strip(), None
            continue
        start, line = _leading_timestamp(line, Message(UNITS.get(where, where + " {number}"), number=number))
        if line.startswith(_TURN_MARK):
            speaker, current, line = None, None, line[len(_TURN_MARK) :].lstrip()
        bracket = _BRACKET_RE.match(line)
        if bracket and bracket.group("name") in bracketed:
            speaker, current, line = bracket.group("name"), None, line[bracket.end() :]
            if start is None:
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


def _unmark(line: str) -> str:
    """A line without its timestamp and turn mark, for counting the labels that follow them."""
    _, line = _strip_stamp(line)
    return line[len(_TURN_MARK) :].lstrip() if line.startswith(_TURN_MARK) else line


def _capitalised(name: str) -> bool:
    words = [w for w in re.split(r"[ .'’-]+", name.strip(". :")) if w]
    return 0 < len(words) <= _MAX_LABEL_WORDS and (
        name.isupper() or all(w[:1].isupper() or not w[:1].islower() for w in words)
    )


def _bracket_names(lines) -> set[str]:
    """Names written as `[Name]` at the start of two or more lines, capitalised, and not a bracketed remark such as
    [Laughs] or [inaudible]."""
    seen: dict[str, int] = {}
    for line in lines:
        match = _BRACKET_RE.match(_strip_stamp(line)[1])
        if match:
            seen[match.group("name")] = seen.get(match.group("name"), 0) + 1
    return {
        name
        for name, count in seen.items()
        if count >= 2 and _capitalised(name) and name.lower().strip(". ") not in _NOT_NAMES
    }


def _names_alone(lines: list[tuple[int, str]]) -> set[int]:
    """The line numbers of speaker names written alone on their own line, their speech on the lines below: a short
    capitalised name without sentence punctuation, after a blank line, followed directly by text, found so at least
    twice, in a text where two or more names are found so."""
    places: dict[str, list[int]] = {}
    for i, (number, line) in enumerate(lines):
        before = lines[i - 1][1] if i else ""
        after = lines[i + 1][1] if i + 1 < len(lines) else ""
        if before or not after or not _NAME_ALONE_RE.fullmatch(line) or not _capitalised(line):
            continue
        if line.lower() in _NOT_NAMES:
            continue
        places.setdefault(line.rstrip(":").strip(), []).append(number)
    found = {name: numbers for name, numbers in places.items() if len(numbers) >= 2}
    return {number for numbers in found.values() for number in numbers} if len(found) >= 2 else set()


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
