"""Small real files made in memory for the tests: pictures, sounds and Word documents.

One copy, imported by every test file that needs one (`from factories import jpeg, wav`), so that a fix or a new
parameter reaches them all and each test file says only what is particular to it. The pictures and sounds are
deterministic (the same arguments give the same bytes), so a test may compare what was stored with a second call.
"""

import io
import struct
import wave
import zipfile
import zlib

from PIL import Image

SMALL = (96, 64)  # pixels: a real picture, far below every thumbnail and display size


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    """Save a Pillow image as `fmt` ("JPEG", "PNG", "TIFF", "WEBP", ...) with Pillow's save parameters."""
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def image(fmt: str, colour="red", size: tuple[int, int] = SMALL, **params) -> bytes:
    """A picture of one colour (a name or an RGB tuple) in any format Pillow writes."""
    return encoded(Image.new("RGB", size, colour), fmt, **params)


def jpeg(colour="red", size: tuple[int, int] = SMALL, **params) -> bytes:
    """A JPEG of one colour; `params` go to Pillow (quality=, exif=, ...)."""
    return image("JPEG", colour, size, **params)


def png(colour="red", size: tuple[int, int] = SMALL, **params) -> bytes:
    """A PNG of one colour."""
    return image("PNG", colour, size, **params)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body and CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def handmade_png(width: int, height: int, bit_depth: int, colour_type: int, rows: bytes) -> bytes:
    """A PNG written byte by byte, for what Pillow will not write: a lying header (a bomb), 16-bit RGB."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(rows))
        + png_chunk(b"IEND", b"")
    )


def wav(frames: int = 800) -> bytes:
    """A real WAV recording of silence, mono 16-bit at 8 kHz (800 frames: a tenth of a second)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(b"\x00\x00" * frames)
    return buffer.getvalue()


def mp3(seconds: float = 1.0) -> bytes:
    """A real MP3 of a tone (encoded by PyAV, see media_factory), as bytes."""
    import tempfile
    from pathlib import Path

    from media_factory import sound

    with tempfile.TemporaryDirectory() as folder:
        return sound(Path(folder) / "tone.mp3", seconds, "mp3").read_bytes()


def docx(paragraphs: list[str], table: list[tuple[str, str]] | None = None) -> bytes:
    """A Word document written by python-docx: the paragraphs, then a two-column table of the given rows."""
    import docx as python_docx  # imported when used: most test files never make one

    document = python_docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=2)
        for row, (a, b) in zip(grid.rows, table, strict=False):
            row.cells[0].text, row.cells[1].text = a, b
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def bare_docx(text: str) -> bytes:
    """The least a .docx can be (content types and one paragraph), with `text` put into the XML as it is.

    Nothing is escaped, on purpose: bare_docx("<broken") is a package whose document is not well-formed XML.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        package.writestr(
            "word/document.xml",
            f'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats'
            f'.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body>'
            f"</w:document>",
        )
    return buffer.getvalue()


def pdf(pages: list[list[str]], image_only: bool = False) -> bytes:
    """A PDF written by hand, one page per list of lines, with a text layer any script can be in: a composite font
    whose two-byte codes are the text's own characters in order of first use, and a ToUnicode map that gives them
    back (no glyphs are embedded; a viewer would show boxes, a text extractor reads the words).

    `image_only`: each page holds a small grey picture and no text, as a scanner writes it.
    """
    chars = sorted({c for page in pages for line in page for c in line})
    code = {c: n + 1 for n, c in enumerate(chars)}
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    def stream(data: bytes, extra: bytes = b"") -> bytes:
        return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), extra, data)

    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Archive def /CMapType 2 def\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        + b"".join(
            b"%d beginbfchar\n%s\nendbfchar\n"
            % (
                len(block),
                b"\n".join(b"<%04X> <%s>" % (code[c], c.encode("utf-16-be").hex().upper().encode()) for c in block),
            )
            for block in (chars[i : i + 100] for i in range(0, len(chars), 100))
        )
        + b"endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    to_unicode = add(stream(cmap))
    descendant = add(
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ArchiveTest /CIDToGIDMap /Identity /DW 500 "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>"
    )
    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /ArchiveTest /Encoding /Identity-H "
        b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (descendant, to_unicode)
    )
    picture = add(
        stream(
            b"\x80" * 16,
            b"/Type /XObject /Subtype /Image /Width 4 /Height 4 /ColorSpace /DeviceGray /BitsPerComponent 8 ",
        )
    )
    pages_id = len(objects) + 2 * len(pages) + 1  # the page tree comes after every page and its content
    kids = []
    for lines in pages:
        if image_only:
            content = b"q 500 0 0 700 50 50 cm /Scan Do Q"
        else:
            shown = b"".join(
                b"<%s> Tj 0 -14 Td\n" % b"".join(b"%04X" % code[c] for c in line) if line else b"0 -14 Td\n"
                for line in lines
            )
            content = b"BT /F1 10 Tf 14 TL 40 800 Td\n" + shown + b"ET"
        contents = add(stream(content))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                b"/Resources << /Font << /F1 %d 0 R >> /XObject << /Scan %d 0 R >> >> >>"
                % (pages_id, contents, font, picture)
            )
        )
    add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    return bytes(out)


def odt(body: str, mimetype: str = "application/vnd.oasis.opendocument.text") -> bytes:
    """An OpenDocument text written with zipfile: `body` is the XML inside office:text, put in as it is (the text:,
    table: and office: prefixes are declared), so a test writes spaces, tabs, spans and lists exactly as LibreOffice
    does."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(zipfile.ZipInfo("mimetype"), mimetype)  # first and stored, as the standard asks
        package.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
            'manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="'
            f'{mimetype}"/></manifest:manifest>',
        )
        package.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.3">'
            f"<office:body><office:text>{body}</office:text></office:body></office:document-content>",
        )
    return buffer.getvalue()


def locked_pdf(blob: bytes, password: str) -> bytes:
    """The PDF encrypted by pypdf (RC4, which it does without further libraries) with this user password; with ""
    it opens without one, as a PDF locked against editing only does."""
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(blob)))
    writer.encrypt(user_password=password, owner_password="archive-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
