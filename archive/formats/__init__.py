"""Transcript readers: each format module turns bytes into the same normalised Transcript.

The format is decided by content, not by the file's name: a Word file is a zip holding word/document.xml, OHMS is XML
whose root is in the OHMS namespace, WebVTT starts with its header, SRT with a cue number and a timing line. The name's
extension only sharpens the message when the content is not what the name promised.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import asdict, dataclass, field

from ..errors import ArchiveError, Message
from ..i18n import N_

# the extension each format's original is kept under (original/transcript.<ext>), by ingest and by a replacement
ORIGINAL_EXTENSIONS = {
    "txt": "txt",
    "vtt": "vtt",
    "srt": "srt",
    "ohms": "xml",
    "docx": "docx",
    "pdf": "pdf",
    "odt": "odt",
}
IMAGE_SUFFIXES = {"jpg", "jpeg", "jpe", "png", "tif", "tiff", "webp", "heic", "heif", "gif", "bmp", "avif"}
# hh:mm:ss(.mmm) or mm:ss; or a video editor's frame count, hh:mm:ss:ff (SMPTE) or hh:mm:ss;ff (drop-frame)
TIMECODE_RE = re.compile(
    r"(?:(\d{1,2}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"  # the clock
    r"|(\d{1,2}):(\d{1,2}):(\d{1,2})[:;](\d{1,2})"  # the frame count
)
MAX_FRAMES = 60  # frames count from 0 to under the rate: 24, 25, 30, 50 or 60 a second


class FormatError(ArchiveError):
    """A transcript cannot be read; the message names the line or cue when there is one."""

    code = "transcript-unreadable"


@dataclass
class Segment:
    """One stretch of speech: a speaker turn, or a part of one between timecodes."""

    n: int
    start: float | None
    end: float | None
    speaker: str | None
    text: str
    lang: str | None = None


@dataclass
class Transcript:
    """What a reader found: segments, and for richer formats the record metadata and a table of contents."""

    format: str
    segments: list[Segment]
    metadata: dict = field(default_factory=dict)
    toc: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def segments_json(self) -> list[dict]:
        return [asdict(s) for s in self.segments]


def parse_timecode(text: str, where: str) -> float:
    """Turn hh:mm:ss(.mmm) or mm:ss into seconds, refusing minutes or seconds of 60 and more.

    A frame count, hh:mm:ss:ff (SMPTE) or hh:mm:ss;ff (NTSC drop-frame), is read as its whole seconds and the frames
    are dropped: the file does not say its frame rate (25 a second in Europe, 29.97 in America and Korea, 24 for
    film), so a fraction would be a guess, and a frame is under 1/20 of a second, finer than a passage's start needs.
    Dropping rounds down, so a passage never starts after its first word. Frames of 60 and more are refused."""
    match = TIMECODE_RE.fullmatch(text.strip())
    if not match:
        raise FormatError(N_('{where}: "{text}" is not a timecode (hh:mm:ss or mm:ss)'), where=where, text=text.strip())
    hours, minutes, seconds, fraction = match.groups()[:4]
    if match.group(5) is not None:
        hours, minutes, seconds, frames = match.groups()[4:]
        if int(frames) >= MAX_FRAMES:
            raise FormatError(N_('{where}: timecode "{text}" is not a valid time'), where=where, text=text.strip())
    if int(minutes) >= 60 and hours is not None or int(seconds) >= 60:
        raise FormatError(N_('{where}: timecode "{text}" is not a valid time'), where=where, text=text.strip())
    value = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return value + (int(fraction.ljust(3, "0")) / 1000 if fraction else 0.0)


def finish(segments: list[Segment], lang: str | None = None) -> list[Segment]:
    """Drop empty segments, normalise text to NFC, number from 1, and let a segment end where the next begins."""
    kept = []
    for s in segments:
        s.text = unicodedata.normalize("NFC", s.text).strip()
        if s.speaker:
            s.speaker = unicodedata.normalize("NFC", s.speaker).strip()
        if s.text:
            kept.append(s)
    for n, s in enumerate(kept, 1):
        s.n = n
        s.lang = s.lang or lang
    for s, following in zip(kept, kept[1:], strict=False):
        if s.end is None and s.start is not None and following.start is not None and following.start >= s.start:
            s.end = following.start
    return kept


def detect(data: bytes, filename: str = "") -> str:
    """Name the transcript format of some bytes: docx, odt, pdf, ohms, vtt, srt or txt; or refuse what is none of
    them."""
    from . import encoding

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data, suffix)
    if data[:1024].lstrip(b" \t\r\n\x00").startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError(
            N_("this is an old Word 97-2003 (.doc) file: open it in Word or LibreOffice and save it as .docx")
        )
    if data.lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT"):
        return "vtt"  # before the test for binary data: WebVTT's own rules read a NUL or a form feed in a cue
    binary = encoding.binary_kind(data)
    if binary:
        raise FormatError(N_("this is {what}, not a transcript"), what=Message(binary))
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        head = head.decode("utf-16", errors="ignore").encode()
    if head.startswith(b"<"):
        if b"nunncenter/ohms" in data[:65536] or suffix == "xml":
            return "ohms"
        raise FormatError(
            N_("this XML file is not an OHMS export (no https://www.weareavp.com/nunncenter/ohms namespace)")
        )
    if head.startswith(b"WEBVTT"):
        return "vtt"
    if re.match(rb"\d+\s*\r?\n\s*\d[\d:]*[,.]\d+\s*-->", head):
        return "srt"
    if suffix == "vtt":
        raise FormatError(N_('this WebVTT file does not start with the "WEBVTT" header line'))
    if suffix == "srt":
        raise FormatError(N_("this SRT file does not start with a cue number followed by a timing line"))
    if suffix == "docx":
        raise FormatError(N_("this file is named .docx but is not a Word document (it is not a zip archive)"))
    if suffix == "odt":
        raise FormatError(N_("this file is named .odt but is not an OpenDocument text (it is not a zip archive)"))
    if suffix in IMAGE_SUFFIXES:
        raise FormatError(
            N_("this file is named .{suffix} but holds text, not an image; if it is a transcript, name it .txt"),
            suffix=suffix,
        )
    return "txt"


def _zip_kind(data: bytes, suffix: str) -> str:
    """A zip archive is an OpenDocument text when its `mimetype` member says so (ODF 1.2, part 3, 3.3), else it is
    taken for a Word document, whose reader refuses any other zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "mimetype" not in archive.namelist() or archive.getinfo("mimetype").file_size > 200:
                return "docx"
            kind = archive.read("mimetype").decode("ascii", errors="replace").strip()
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError, NotImplementedError):
        return "odt" if suffix == "odt" else "docx"  # the reader the name promised says the zip is damaged
    if kind == ODT_MIMETYPE:
        return "odt"
    if kind.startswith("application/vnd.oasis.opendocument."):
        raise FormatError(
            N_("this is an OpenDocument file but not a text document ({kind}); save the transcript as text (.odt)"),
            kind=kind,
        )
    return "docx"


ODT_MIMETYPE = "application/vnd.oasis.opendocument.text"


def read(data: bytes, filename: str = "", line_breaks: bool = False) -> Transcript:
    """Read a transcript of any supported format; `line_breaks`: keep single line breaks of plain text and Word
    files (see txt.parse_turns)."""
    from . import docx, odt, ohms, pdf, srt, txt, vtt

    if not data.strip():
        raise FormatError(N_("the file is empty"))
    readers = {"docx": docx.read, "odt": odt.read, "pdf": pdf.read, "ohms": ohms.read, "vtt": vtt.read}
    readers |= {"srt": srt.read, "txt": txt.read}
    kind = detect(data, filename)
    transcript = readers[kind](data, line_breaks) if kind in LINE_TEXTS else readers[kind](data)
    if not transcript.segments and not transcript.toc:
        raise FormatError(N_("no transcript text was found in the file"))
    if kind in LINE_TEXTS and not line_breaks and all(s.start is None and not s.speaker for s in transcript.segments):
        # a family's story (line_breaks) is prose by nature; a transcript read so has probably lost its turns
        transcript.notes.append(Message(UNTIMED))
    return transcript


LINE_TEXTS = ("txt", "docx", "odt", "pdf")  # read line by line into turns (txt.parse_turns)
UNTIMED = N_(
    "no speaker turns (NAME: text) and no timecodes ([hh:mm:ss]) were found, so the text is kept as it is, without "
    "speakers or times; if the file marks them in another way, write them in this form and replace the transcript"
)
