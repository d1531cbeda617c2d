"""Word (.docx) transcripts: paragraphs (and two-column tables) with speaker labels and timecodes, as in plain text."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.opc.exceptions import PackageNotFoundError

from ..i18n import N_
from . import FormatError, Transcript
from .txt import parse_turns

MAX_UNPACKED = 200 * 1024 * 1024  # a transcript's XML is a few MB; more is a zip bomb or not a transcript


def read(data: bytes, line_breaks: bool = False) -> Transcript:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if "word/document.xml" not in archive.namelist():
                raise FormatError(N_("this zip archive is not a Word document (it holds no word/document.xml)"))
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise FormatError(N_("this Word (.docx) file is damaged: it is not a readable zip archive")) from None
    if unpacked > MAX_UNPACKED:
        raise FormatError(
            N_("this Word document would unpack to {size} MB; transcripts are far smaller"), size=unpacked // 2**20
        )
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, SyntaxError) as e:
        raise FormatError(N_("this Word document could not be read: {error}"), error=str(e)) from None
    lines = []
    for number, paragraph in enumerate(document.paragraphs, 1):
        lines.extend((number, part) for part in paragraph.text.split("\n"))
        lines.append((number, ""))  # each Word paragraph is a paragraph of its own
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if len(cells) >= 2 and cells[0] and any(cells[1:]):
                lines.extend([(len(lines), f"{cells[0]}: {' '.join(c for c in cells[1:] if c)}"), (len(lines), "")])
    return Transcript("docx", parse_turns(lines, where="paragraph", line_breaks=line_breaks))
