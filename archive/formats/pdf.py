"""PDF transcripts: the text layer, page by page, read into turns as plain text is (txt.parse_turns).

pypdf gives each page's text as lines. The lines of all pages are read as one text: a line that opens with a speaker
label, a timecode or `>>` opens a turn, any other line goes on with the turn before it, across a page break too.
Running headers and footers (the same line at the top or the bottom of most pages, its numbers aside) and bare page
numbers ("12", "- 12 -", "Page 3 of 9", "Стр. 3") are left out, and the report says how many. A PDF keeps no
paragraphs, columns or table cells as such, so the report always says that its layout may be lost.

pypdf raises many kinds of exception on damaged input (its own, and ValueError, KeyError, TypeError, struct errors...):
every call into it is made here, and whatever it raises becomes a refusal in plain words.
"""

from __future__ import annotations

import io
import logging
import re

import pypdf
from pypdf.errors import DependencyError, FileNotDecryptedError

from ..errors import Message
from ..i18n import N_
from . import FormatError, Transcript
from .txt import parse_turns

MAX_PAGES = 2000  # a long life story runs to a few hundred pages
MAX_CHARACTERS = 20_000_000  # the text of 2,000 dense pages is under 10 million
EDGE = 2  # lines at the top and at the bottom of a page where a running header, footer or page number may be
_REPEATED_SHARE = 0.6  # a line at the edge of this share of the pages (and of three or more) is a running header
_PAGE_NUMBER_RE = re.compile(
    r"[-–—\s]*\d{1,4}[-–—\s]*"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?:page|p\.|seite|s\.|стр\.?|страница|с\.|페이지)\s*\d{1,4}(?:\s*(?:of|из|von|/)\s*\d{1,4})?"
    r"|\d{1,4}\s*(?:쪽|페이지)",
    re.IGNORECASE,
)
_DIGITS_RE = re.compile(r"\d+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_UNDECODED_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")  # what a font without a map to Unicode gives
UNDECODED_SHARE = 0.1  # more of them than this among the characters, and the text is not the words on the pages

LAYOUT = N_(
    "the text was taken from a PDF: its words are kept, but its layout (columns, tables, footnotes) may be lost; "
    "compare the passages with the PDF"
)
DAMAGED = N_("this PDF document is damaged or cut short and cannot be read")

logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on odd files are said by the refusals below


def read(data: bytes, line_breaks: bool = False) -> Transcript:
    pages = _pages(data)
    blank = [str(number) for number, page in enumerate(pages, 1) if not any(page)]
    kept, dropped = _without_running_lines(pages)
    lines = [line for page in kept for line in page]
    transcript = Transcript(
        "pdf", parse_turns(enumerate(lines, 1), where="pdf line", line_breaks=line_breaks), notes=[Message(LAYOUT)]
    )
    if blank:  # a page of pictures, a blank page, or one whose text could not be decoded: its words are not here
        transcript.notes.append(
            Message(
                N_(
                    "no text was found on page {pages} of the PDF (a picture of a page, a blank page or damage): "
                    "any words on it are not in the transcript"
                )
                if len(blank) == 1
                else N_(
                    "no text was found on pages {pages} of the PDF (pictures of pages, blank pages or damage): "
                    "any words on them are not in the transcript"
                ),
                pages=", ".join(blank),
            )
        )
    if dropped:
        transcript.notes.append(
            Message(
                N_("lines left out of the text as running headers, footers or page numbers: {count}"), count=dropped
            )
        )
    return transcript


def _pages(data: bytes) -> list[list[str]]:
    """The text lines of each page, or a refusal saying why there are none."""
    pages: list[list[str]] = []
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):  # a PDF locked against editing only opens without one
            raise FileNotDecryptedError("password")
        count = len(reader.pages)
        if count > MAX_PAGES:
            raise FormatError(
                N_("this PDF has {count} pages; transcripts of more than {limit} pages are refused"),
                count=count,
                limit=MAX_PAGES,
            )
        characters, pictures, undecoded = 0, False, 0
        for page in reader.pages:
            text = page.extract_text() or ""
            characters += len(text)
            if characters > MAX_CHARACTERS:
                raise FormatError(
                    N_("this PDF holds more than {limit} million characters of text; transcripts are far shorter"),
                    limit=MAX_CHARACTERS // 1_000_000,
                )
            text = text.replace("\r\n", "\n").replace("\r", "\n")
            undecoded += len(_UNDECODED_RE.findall(text))
            pages.append([_CONTROL_RE.sub("", line).strip() for line in text.split("\n")])
            pictures = pictures or not text.strip() and _has_pictures(page)
    except FormatError:
        raise
    except (FileNotDecryptedError, DependencyError):
        raise FormatError(
            N_(
                "this PDF is locked with a password and cannot be opened; save it again without the password "
                "(or as text) and send that"
            )
        ) from None
    except Exception:  # noqa: BLE001 - pypdf has no closed set of exceptions for damaged files
        if pages:  # the pages before it were read
            raise FormatError(
                N_("page {number} of this PDF document is damaged and cannot be read"), number=len(pages) + 1
            ) from None
        raise FormatError(DAMAGED) from None
    if undecoded > UNDECODED_SHARE * sum(len(line.replace(" ", "")) for page in pages for line in page):
        raise FormatError(
            N_(
                "the letters in this PDF cannot be read: its fonts do not say which letters they draw; save the "
                "transcript again as text (.txt, .docx or .odt) from the program that made it"
            )
        )
    if not any(line for page in pages for line in page):
        if pictures:
            raise FormatError(
                N_(
                    "this PDF holds pictures of its pages (a scan) and no text; the text must first be recognised "
                    "(OCR), which the archive does not do: send the text as a file, or a PDF with a text layer"
                )
            )
        raise FormatError(N_("no transcript text was found in the file"))
    return pages


def _has_pictures(page) -> bool:
    try:
        return bool(page.images)
    except Exception:  # noqa: BLE001 - a picture pypdf cannot list is still a picture, and no text is found either way
        return True


def _without_running_lines(pages: list[list[str]]) -> tuple[list[list[str]], int]:
    """The pages without their running headers, footers and bare page numbers, and how many lines went.

    A running line is one of the two first or two last lines of a page, found so (its numbers aside) on three or more
    pages and most of them, and nowhere else: a line that recurs within the pages' text is the text's own."""
    pages = [[line for line in page if line] for page in pages]
    edges: dict[str, int] = {}
    everywhere: dict[str, int] = {}
    for page in pages:
        for key in {_key(line) for line in page[:EDGE] + page[-EDGE:]}:
            edges[key] = edges.get(key, 0) + 1
        for line in page:
            everywhere[_key(line)] = everywhere.get(_key(line), 0) + 1
    needed = max(3, _REPEATED_SHARE * len(pages))
    running = {key for key, count in edges.items() if count >= needed and everywhere[key] <= len(pages)}
    dropped = 0
    kept = []
    for page in pages:
        first, last = 0, len(page)
        while first < min(EDGE, last) and _running(page[first], running):
            first += 1
        while last > max(first, len(page) - EDGE) and _running(page[last - 1], running):
            last -= 1
        dropped += len(page) - (last - first)
        kept.append(page[first:last])
    return kept, dropped


def _key(line: str) -> str:
    return _DIGITS_RE.sub("#", line.casefold())


def _running(line: str, running: set[str]) -> bool:
    return bool(_PAGE_NUMBER_RE.fullmatch(line)) or _key(line) in running
