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
