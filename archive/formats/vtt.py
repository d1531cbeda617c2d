"""WebVTT and SRT: cues become segments; voice tags (`<v Name>`) or `NAME:` prefixes become speakers.

WebVTT is read by the W3C WebVTT specification's parser algorithm ("WebVTT parser algorithm", "collect a WebVTT
block", "collect a WebVTT timestamp"), written out here as a loop over lines. webvtt-py (which still writes
transcript.vtt) is not used to read: in strict mode it refuses files the specification reads (unknown or repeated cue
settings, REGION blocks, stray style rules after STYLE, no blank line after the header, one- or three-digit hours), in
lenient mode it drops cues without a word, and bending files into a shape it accepts would be longer than the loop.
As the specification says:

- the file opens with "WEBVTT" and then a space, a tab, a line end or nothing; the lines after it, up to a truly empty
  line or a timing line, are header and are skipped;
- a block runs up to a truly empty line: a line of spaces or tabs inside a cue is cue text;
- a line holding "-->" is the timing line when it is the block's first line, or its second after an identifier;
  anywhere else it ends the cue and opens the next block;
- a timestamp is [hours:]mm:ss.ttt, hours of any number of digits, minutes and seconds of exactly two digits (at most
  59), milliseconds of exactly three; what follows the end time is cue settings, which the archive does not keep, so
  unknown, invalid or repeated settings change nothing;
- NOTE blocks are comments; STYLE and REGION blocks before the first cue are skipped, and so are the stray lines of
  style rules between a STYLE block and the first cue.

Where the specification drops words, an archive must not. A cue whose timing line cannot be read, and a block of text
with no timing line (often the rest of a cue after an empty line), are kept in their place as segments without a time,
each with a note naming the cue. Without a time rather than a neighbour's: a borrowed time would be shown (the player,
search hits, transcript.vtt) as if it were known, while the note tells the historian which line to correct.

Cue text: tags are taken out (`<v Name>` gives the speaker, `<br>` a line break), character references decoded
(`&amp;`, `&lt;`, `&nbsp;`, `&lrm;`). A "tag" that is neither WebVTT nor HTML markup, such as the uncertainty marks
`<[?]>` or `<[inaudible]>`, keeps its text (`[?]`), with a note.

SRT has no standard: blocks are read the same way (an optional number, a timing line hh:mm:ss,mmm --> hh:mm:ss,mmm,
text up to a truly empty line); a timecode that is no time is refused, named by its cue and line, as before.
"""

from __future__ import annotations

import html
import re

import webvtt

from ..errors import Message
from ..i18n import N_
from . import FormatError, Segment, Transcript, encoding, finish, parse_timecode
from .txt import split_labels

_SPACE = " \t\f"  # WebVTT's whitespace inside a line (the lines are already split at LF, CR became LF)
# [hours:]minutes:seconds.milliseconds, each part as many digits as given: the lengths are checked in _timestamp
_STAMP = r"(\d+):(\d+)(?::(\d+))?\.(\d+)"
_VTT_TIMING_RE = re.compile(rf"[ \t\f]*{_STAMP}[ \t\f]*-->[ \t\f]*{_STAMP}")
_SRT_TIMING_RE = re.compile(r"\s*(\S+)\s*-->\s*(\S+)")
# a line that opens with a time and holds something like an arrow: a timing line with its arrow mistyped
_LOOKS_TIMED_RE = re.compile(r"\s*\d+:\d+")
_MISTYPED_ARROW_RE = re.compile(r"-.?>|--")
_TAG_RE = re.compile(r"<([^>]*)(>|\Z)")  # a "<" never closed runs to the end of the cue, as the specification reads it
# tags that are markup: WebVTT's own, and the HTML that subtitle files carry; any other "tag" keeps its text
_MARKUP = frozenset(
    "c i b u v lang ruby rt rp br font span p div em strong s strike small big sub sup mark q a abbr cite code del ins "
    "kbd samp tt var wbr bdi bdo center blink h1 h2 h3 h4 h5 h6 hr img time".split()
)
_BR = "\x00"  # a <br> while a cue's text is put together (a NUL is no longer in the text: it became U+FFFD)
_BR_RUN_RE = re.compile("\x00+")  # <br><br> is one line break, as it always was here
_MAX_QUOTED = 60  # characters of a line quoted in a message


def read(data: bytes) -> Transcript:
    text, notes = encoding.decode(data)
    return parse(text, "vtt", notes)


def parse(text: str, kind: str = "vtt", notes: list[str] | None = None) -> Transcript:
    """Read the cues of WebVTT (`kind` "vtt") or SRT ("srt") text."""
    reader = _Reader(text, kind, notes)
    reader.run()
    return Transcript(kind, finish(reader.segments), notes=reader.notes)


class _Block:
    """What one block held: its first line's number, the identifier, the timing line and its times, the text."""

    def __init__(self, line: int):
        self.line = line
        self.identifier = ""
        self.timing: str | None = None  # the timing line, when the block had one in its place
        self.timing_line = 0
        self.times: tuple[float, float] | None = None  # None: no timing line, or one that could not be read
        self.text: list[str] = []
        self.where = ""  # the cue named in messages, once it is counted as one
        self.keyword = ""  # STYLE or REGION when the block is one


class _Reader:
    def __init__(self, text: str, kind: str, notes: list[str] | None):
        self.kind = kind
        self.notes = list(notes or [])
        self.segments: list[Segment] = []
        text = text.lstrip("\ufeff").replace("\x00", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()  # the end of the last line, not a line
        self.cues = 0  # blocks counted as cues, for messages
        self.seen_cue = False  # a cue was read: STYLE and REGION blocks are no longer recognised
        self.seen_style = False
        self.marks: dict[str, list] = {}  # a "tag" kept as text -> [its text, where first, how many]
        self.speaker: str | None = None

    # the parser algorithm

    def run(self) -> None:
        i = 0
        if self.kind == "vtt":
            header = self.lines[0] if self.lines else ""
            if not header.startswith("WEBVTT") or header[6:7] not in ("", " ", "\t"):
                raise FormatError(N_('this WebVTT file does not start with the "WEBVTT" header line'))
            i = 1
            if i < len(self.lines) and self.lines[i] != "":
                i, _ = self._block(i, in_header=True)
        blocks = []
        while True:
            while i < len(self.lines) and self.lines[i] == "":
                i += 1
            if i >= len(self.lines):
                break
            i, block = self._block(i, in_header=False)
            if block is not None:
                blocks.append(block)
        texts = [self._cue_text(b) for b in blocks]
        labelled = split_labels([text if voice is None else "" for voice, text in texts])
        for block, (voice, text), (label, rest) in zip(blocks, texts, labelled, strict=True):
            self.speaker = voice or label or self.speaker
            start, end = block.times or (None, None)
            self.segments.append(Segment(0, start, end, self.speaker, text if voice is not None else rest))
        for tag, (shown, where, count) in self.marks.items():
            if count == 1:
                note = N_('{where}: "{tag}" is not subtitle markup; its text "{text}" was kept')
            else:
                note = N_('{where}: "{tag}" is not subtitle markup; its text "{text}" was kept (times found: {count})')
            self.notes.append(Message(note, where=where, tag=tag, text=shown, count=count))

    def _block(self, i: int, in_header: bool) -> tuple[int, _Block | None]:
        """Collect the block that starts at line index `i`; return where the next one starts and the block, or None
        for a header, a comment or a skipped block."""
        block = _Block(i + 1)
        buffer: list[str] = []
        seen_arrow = False
        count = 0
        while i < len(self.lines):
            line = self.lines[i]
            count += 1
            if "-->" in line:
                if in_header or not (count == 1 or count == 2 and not seen_arrow):
                    break  # this line opens the next block
                seen_arrow = True
                block.identifier = buffer[0] if buffer else ""
                block.timing, block.timing_line = line, i + 1
                buffer = []
                i += 1
                continue
            if line == "":
                i += 1
                break
            if count == 2 and buffer and not in_header and not self.seen_cue and self.kind == "vtt":
                for name in ("STYLE", "REGION"):
                    if buffer[0].startswith(name) and not buffer[0][len(name) :].strip(_SPACE):
                        block.keyword, buffer = name, []
                        self.seen_style = self.seen_style or name == "STYLE"
                        break
            buffer.append(line)
            i += 1
        if in_header:
            return i, None
        block.text = buffer
        return i, self._judge(block)

    def _judge(self, block: _Block) -> _Block | None:
        """Decide what a block is to the archive: a cue (timed, or kept without its time, with a note) or nothing."""
        if block.keyword:
            return None
        first = block.text[0] if block.text else ""
        if block.timing is None and self.kind == "vtt":
            if first.startswith("NOTE") and first[4:5] in ("", " ", "\t"):
                return None  # a comment
            if first.strip(_SPACE) in ("STYLE", "REGION"):
                return None  # a style or region block with nothing in it
            if self.seen_style and not self.seen_cue:
                return None  # style rules that went on after an empty line: the specification skips them too
        for k, line in enumerate(block.text[:2] if block.timing is None else []):
            if _LOOKS_TIMED_RE.match(line) and _MISTYPED_ARROW_RE.search(line):  # a timing line, its arrow mistyped
                block.identifier = block.text[0] if k else ""
                block.timing, block.timing_line, block.text = line, block.line + k, block.text[k + 1 :]
                break
        self.cues += 1
        if block.timing is None:
            block.identifier = ""
        block.where = self._where(block, block.timing_line or block.line)
        if block.timing is None:
            self.notes.append(
                Message(
                    N_("{where}: no timing line (start --> end); its text was kept without a time"), where=block.where
                )
            )
            return block
        block.times = self._timing(block)
        if block.times is not None:
            self.seen_cue = True
            return block
        quoted = block.timing.strip(_SPACE)[:_MAX_QUOTED]
        if not any(line.strip() for line in block.text):
            self.notes.append(
                Message(
                    N_('{where}: "{line}" is not a timing line (start --> end); it was skipped'),
                    where=block.where,
                    line=quoted,
                )
            )
            return None
        self.notes.append(
            Message(
                N_('{where}: the timing line "{line}" cannot be read; its text was kept without a time'),
                where=block.where,
                line=quoted,
            )
        )
        return block

    def _where(self, block: _Block, line: int) -> Message:
        """A cue named in a message: its number, its identifier when it has one of its own, its line."""
        identifier = block.identifier.strip(_SPACE)
        if identifier and not (self.kind == "srt" and identifier == str(self.cues)):
            return Message(
                N_('cue {number} "{identifier}" (line {line})'),
                number=self.cues,
                identifier=identifier[:_MAX_QUOTED],
                line=line,
            )
        return Message(N_("cue {number} (line {line})"), number=self.cues, line=line)

    def _timing(self, block: _Block) -> tuple[float, float] | None:
        """The times of a timing line; None when WebVTT's rules cannot read it (an SRT file is refused instead)."""
        line, where = block.timing, block.where
        if self.kind == "srt":
            match = _SRT_TIMING_RE.match(line)
            if match is None:
                raise FormatError(
                    N_("{where}: no timing line (start --> end) where one was expected: {line}"),
                    where=where,
                    line=repr(line[:_MAX_QUOTED]),
                )
            start, end = parse_timecode(match.group(1), where), parse_timecode(match.group(2), where)
            written = match.group(1, 2)
        else:
            match = _VTT_TIMING_RE.match(line)
            if match is None:
                return None
            start, end = _timestamp(*match.group(1, 2, 3, 4)), _timestamp(*match.group(5, 6, 7, 8))
            if start is None or end is None:
                return None
            written = (line[match.start(1) : match.end(4)], line[match.start(5) : match.end(8)])
        if end < start:
            self.notes.append(
                Message(
                    N_("{where}: ends ({end}) before it starts ({start}); its end was set to its start"),
                    where=where,
                    end=written[1],
                    start=written[0],
                )
            )
            end = start
        return start, end

    # cue text

    def _cue_text(self, block: _Block) -> tuple[str | None, str]:
        """The text of a cue without its markup, and the speaker its first voice tag names (None when it has none)."""
        raw = "\n".join(block.text)
        if "<" not in raw and "&" not in raw:
            return None, raw
        voice, pieces, position, before_text = None, [], 0, True
        for match in _TAG_RE.finditer(raw):
            pieces.append(self._decode(raw[position : match.start()]))
            before_text = before_text and not pieces[-1].strip()
            position = match.end()
            inner, closed = match.group(1), match.group(2) == ">"
            name = re.split(r"[ \t\n\f.]", inner, maxsplit=1)[0].rstrip("/").lower()
            if closed and (not inner.strip() or inner.startswith("/") or name in _MARKUP or _is_timestamp(inner)):
                if name == "br":
                    pieces.append(_BR)
                elif name == "v" and voice is None and before_text:
                    annotation = re.split(r"[ \t\n\f]", inner, maxsplit=1)[1:]
                    voice = " ".join(self._decode(annotation[0]).split()) if annotation else None
                continue
            shown = self._decode(inner) if closed else self._decode(match.group(0))
            pieces.append(shown)
            before_text = before_text and not shown.strip()
            mark = self.marks.setdefault(match.group(0), [shown, block.where, 0])
            mark[2] += 1
        pieces.append(self._decode(raw[position:]))
        return voice, _BR_RUN_RE.sub("\n", "".join(pieces))

    def _decode(self, text: str) -> str:
        return html.unescape(text) if self.kind == "vtt" and "&" in text else text


def _timestamp(first: str, second: str, third: str | None, millis: str) -> float | None:
    """Seconds of a WebVTT timestamp's parts, or None where the specification fails it."""
    if len(second) != 2 or len(millis) != 3 or third is not None and len(third) != 2:
        return None
    hours_first = len(first) != 2 or int(first) > 59
    if hours_first and third is None:
        return None
    hours, minutes, seconds = (
        (int(first), int(second), int(third)) if third is not None else (0, int(first), int(second))
    )
    if minutes > 59 or seconds > 59:
        return None
    return hours * 3600 + minutes * 60 + seconds + int(millis) / 1000


def _is_timestamp(inner: str) -> bool:
    match = re.fullmatch(_STAMP, inner)
    return match is not None and _timestamp(*match.groups()) is not None


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
