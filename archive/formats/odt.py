"""OpenDocument text (.odt) transcripts: paragraphs, lists and two-column tables, read into turns as Word files are.

The text is read from the package's content.xml with the standard library's zipfile and defusedxml (no entities, no
external references), in document order. Within a paragraph, the words come out as a reader sees them: `text:s` is
as many spaces as it counts, `text:tab` a tab, `text:line-break` a new line; spans, links and fields give their text.
Comments (`office:annotation`) and tracked deletions are not part of the text; footnotes and endnotes follow the
paragraphs, each as a paragraph of its own, as a reader finds them at the foot of the page or the end of the text.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..i18n import N_
from . import FormatError, Transcript
from .docx import MAX_UNPACKED
from .txt import parse_turns

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
SVG = "{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
PARAGRAPHS = {TEXT + "p", TEXT + "h"}
CONTAINERS = {TEXT + "list", TEXT + "list-item", TEXT + "list-header", TEXT + "section", TEXT + "soft-page-break"}
CONTAINERS |= {TEXT + "index-body", TEXT + "numbered-paragraph"}
NOT_TEXT = {OFFICE + "annotation", OFFICE + "annotation-end", TEXT + "tracked-changes", TEXT + "bookmark-ref"}
NOT_TEXT |= {SVG + "title", SVG + "desc"}  # a picture's title and description are not on the page
NOT_TEXT |= {TEXT + "sequence-decls", TEXT + "variable-decls", TEXT + "user-field-decls", TEXT + "table-of-content"}


def read(data: bytes, line_breaks: bool = False) -> Transcript:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "content.xml" not in archive.namelist():
                raise FormatError(N_("this OpenDocument file holds no content.xml, so it has no text to read"))
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > MAX_UNPACKED:
                raise FormatError(
                    N_("this OpenDocument file would unpack to {size} MB; transcripts are far smaller"),
                    size=unpacked // 2**20,
                )
            content = archive.read("content.xml")
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError, NotImplementedError, KeyError):
        raise FormatError(N_("this OpenDocument (.odt) file is damaged: it is not a readable zip archive")) from None
    try:
        root = fromstring(content)
    except (ParseError, DefusedXmlException, ValueError) as e:
        raise FormatError(
            N_("the text of this OpenDocument file (content.xml) is not readable XML: {error}"), error=e
        ) from None
    body = root.find(f"{OFFICE}body/{OFFICE}text")
    if body is None:
        raise FormatError(N_("this OpenDocument file is not a text document (its content.xml holds no text body)"))
    paragraphs: list[str] = []
    notes: list[str] = []
    _blocks(body, paragraphs, notes)
    lines = []
    for number, paragraph in enumerate(paragraphs + notes, 1):
        lines.extend((number, part) for part in paragraph.split("\n"))
        lines.append((number, ""))  # each paragraph is a paragraph of its own
    return Transcript("odt", parse_turns(lines, where="paragraph", line_breaks=line_breaks))


def _blocks(element, paragraphs: list[str], notes: list[str], in_cell: bool = False) -> None:
    """Paragraphs, in document order, of the block elements in `element` (the body, a list, a section, a cell).

    A row of two or more cells is a turn, `first cell: the others`, as in Word files; a table inside a cell gives
    its words alone."""
    for child in element:
        if child.tag in PARAGRAPHS:
            paragraphs.append(_inline(child, notes))
        elif child.tag == TABLE + "table":
            for row in _rows(child):
                cells = []
                for cell in row.findall(TABLE + "table-cell"):
                    found: list[str] = []
                    _blocks(cell, found, notes, in_cell=True)
                    cells.append(" ".join(p.strip() for p in found if p.strip()))
                if len(cells) >= 2 and cells[0] and any(cells[1:]) and not in_cell:
                    paragraphs.append(f"{cells[0]}: {' '.join(c for c in cells[1:] if c)}")
                elif any(cells):
                    paragraphs.append(" ".join(c for c in cells if c))
        elif child.tag in CONTAINERS:
            _blocks(child, paragraphs, notes, in_cell)


def _rows(table):
    """A table's own rows in order (the header rows, row groups), not those of a table nested in one of its cells."""
    for child in table:
        if child.tag == TABLE + "table-row":
            yield child
        elif child.tag in (TABLE + "table-header-rows", TABLE + "table-rows", TABLE + "table-row-group"):
            yield from _rows(child)


def _inline(element, notes: list[str]) -> str:
    """The words of a paragraph as a reader sees them; footnote bodies go to `notes`."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == TEXT + "s":
            parts.append(" " * _count(child.get(TEXT + "c")))
        elif tag == TEXT + "tab":
            parts.append("\t")
        elif tag == TEXT + "line-break":
            parts.append("\n")
        elif tag == TEXT + "note":
            citation = child.find(TEXT + "note-citation")
            parts.append("" if citation is None else "".join(citation.itertext()))
            body = child.find(TEXT + "note-body")
            if body is not None:
                _blocks(body, notes, notes)
        elif tag in NOT_TEXT:
            pass
        elif tag in PARAGRAPHS or tag in CONTAINERS:  # a frame's text box holds paragraphs of its own
            parts.append(" " + _inline(child, notes))
        else:  # spans, links, fields, ruby and the like show their text
            parts.append(_inline(child, notes))
        parts.append(child.tail or "")
    return "".join(parts)


def _count(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1
