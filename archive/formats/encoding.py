"""Text decoding: UTF-8 (with or without BOM), UTF-16 with BOM, and the two Russian single-byte encodings.

Volunteers typed transcripts on Windows machines in Windows-1251 and on older systems in KOI8-R; both map every byte
to some character, so "it decoded" proves nothing. The choice between them is made by charset-normalizer, and accepted
only when the result reads as Cyrillic text. Double-encoded UTF-8 ("Ã©" for "é") is repaired by ftfy when it is
unambiguous, and the repair is reported.
"""

from __future__ import annotations

import unicodedata

import charset_normalizer
import ftfy

from ..i18n import N_
from . import FormatError

_BINARY_SIGNATURES = [
    (b"\x89PNG", N_("a PNG image")),
    (b"\xff\xd8\xff", N_("a JPEG image")),
    (b"GIF8", N_("a GIF image")),
    (b"%PDF", N_("a PDF document")),
    (b"II*\x00", N_("a TIFF image")),
    (b"MM\x00*", N_("a TIFF image")),
    (b"RIFF", N_("a RIFF file (WAV audio or WebP image)")),
    (b"ID3", N_("an MP3 audio file")),
    (b"fLaC", N_("a FLAC audio file")),
    (b"OggS", N_("an Ogg audio file")),
    (b"\x1f\x8b", N_("a gzip archive")),
    (b"Rar!", N_("a RAR archive")),
    (b"7z\xbc\xaf", N_("a 7-Zip archive")),
    (b"\x7fELF", N_("a program")),
    (b"MZ", N_("a Windows program")),
]


def binary_kind(data: bytes) -> str | None:
    """Name what a binary file is, or None when it may be text."""
    for signature, kind in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return kind
    if data[4:8] == b"ftyp":
        return N_("an MP4/M4A/HEIC media file")
    sample = data[:8192]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    if b"\x00" in sample or sum(b < 9 or 13 < b < 32 for b in sample) > len(sample) // 100 + 1:
        return N_("binary data")
    return None


def decode(data: bytes) -> tuple[str, list[str]]:
    """Decode transcript bytes to NFC text with \\n line ends, and say what was detected or repaired."""
    notes: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        text, name = data[3:].decode("utf-8", errors="strict"), "UTF-8 with BOM"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, name = data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise FormatError(N_("the file starts like UTF-16 but is not valid UTF-16 text")) from None
    else:
        try:
            text, name = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError as e:
            text, name = _russian_single_byte(data, e)
            notes.append(f"text encoding detected as {name}; converted to UTF-8 (the original is kept as received)")
    fixed, explanation = ftfy.fix_encoding_and_explain(text)
    if explanation and fixed != text:
        pairs = [(a, b) for a, b in zip(text.split(), fixed.split(), strict=False) if a != b]
        example = f': "{pairs[0][0]}" became "{pairs[0][1]}"' if pairs else ""
        notes.append(f"repaired double-encoded UTF-8 in {len(pairs) or 'some'} words{example}")
        text = fixed
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    if name == "UTF-16":
        notes.append("text encoding: UTF-16; converted to UTF-8")
    return text, notes


def _russian_single_byte(data: bytes, error: UnicodeDecodeError) -> tuple[str, str]:
    result = charset_normalizer.from_bytes(data, cp_isolation=["cp1251", "koi8_r"]).best()
    if result is not None:
        text = str(result)
        letters = [c for c in text if ord(c) > 127 and c.isalpha()]
        cyrillic = [c for c in letters if "CYRILLIC" in unicodedata.name(c, "")]
        lower = [c for c in cyrillic if c.islower()]
        # Russian prose is mostly lower case; the wrong one of the two encodings swaps the cases
        if letters and len(cyrillic) >= 0.9 * len(letters) and len(lower) >= 0.5 * len(cyrillic):
            return text, {"cp1251": "Windows-1251", "koi8_r": "KOI8-R"}.get(result.encoding, result.encoding)
    line = data[: error.start].count(b"\n") + 1
    raise FormatError(
        N_(
            "line {line}: the text is not UTF-8, UTF-16, Windows-1251 or KOI8-R Russian; save it as UTF-8 and try again"
        ),
        line=line,
    )
