"""Text decoding: UTF-8 (with or without BOM), UTF-16 with BOM, Korean EUC-KR/CP949 and the Cyrillic code pages.

Volunteers typed transcripts on Windows machines in Windows-1251 (Russian), KZ-1048 or PTCP154 (Kazakh, Uzbek), on
older systems in KOI8-R, on Macs in MacCyrillic, and in Korea in EUC-KR or CP949. The Cyrillic ones map nearly every
byte to some character, and agree on most of them, so "it decoded" proves nothing: the text is read in each, and the
reading that looks most like Cyrillic prose is kept, and only when it does (see `_single_byte`). General detectors
(charset-normalizer) took MacCyrillic Russian for Windows-1251 and found nothing in PTCP154 Kazakh, so the choice
is made here. Double-encoded UTF-8 ("Ã©" for "é") is repaired by ftfy when it is
unambiguous, and the repair is reported.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy

from ..errors import Message
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
            text, name = _single_byte(data, e)
            notes.append(
                Message(
                    N_("text encoding detected as {name}; converted to UTF-8 (the original is kept as received)"),
                    name=name,
                )
            )
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


# Tried in this order when the text is not UTF-8; on a tie (a Russian text that uses none of the bytes where these
# code pages differ reads the same in four of them) the first is named.
_CYRILLIC = [
    ("cp1251", "Windows-1251"),
    ("koi8_r", "KOI8-R"),
    ("kz1048", "KZ-1048"),
    ("ptcp154", "PTCP154"),
    ("mac_cyrillic", "MacCyrillic"),
]
TRIED = "UTF-8, UTF-16, Windows-1251, KOI8-R, KZ-1048, PTCP154, MacCyrillic, EUC-KR, CP949"
# the letters of the Russian, Ukrainian, Belarusian, Kazakh and Uzbek Cyrillic alphabets, and the marks their texts use
_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя" + "әғқңөұүһі" + "ўҳ" + "єїґ"
_EXPECTED = frozenset(_LETTERS + _LETTERS.upper() + "«»—–“”„‘’№…\u00a0")
_WORD_RE = re.compile(r"[^\W\d_]+")


def _single_byte(data: bytes, error: UnicodeDecodeError) -> tuple[str, str]:
    """Korean (EUC-KR, or CP949 that extends it) when the bytes read as Hangul; else the Cyrillic code page under
    which the text reads most like Cyrillic prose: fewest characters foreign to these alphabets, fewest capitals in
    the middle of a word, no word mixing Latin and Cyrillic letters, then most lower case."""
    korean = _korean(data)
    if korean:
        return korean
    readings = []
    for rank, (codec, name) in enumerate(_CYRILLIC):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        strange, lower, cyrillic = _oddities(_sample(text))
        # Cyrillic prose is mostly lower case; the wrong code page swaps cases or brings symbols and foreign letters
        if cyrillic and strange <= 0.1 * cyrillic and lower >= 0.5 * cyrillic:
            readings.append((strange, -lower, rank, text, name))
    if readings:
        _, _, _, text, name = min(readings)
        return text, name
    line = data[: error.start].count(b"\n") + 1
    raise FormatError(
        N_(
            "line {line}: the text is in none of the encodings tried ({tried}); save it as UTF-8 and try again "
            "(in Notepad or LibreOffice Writer: Save As, then choose the encoding UTF-8)"
        ),
        line=line,
        tried=TRIED,
    )


def _korean(data: bytes) -> tuple[str, str] | None:
    try:
        text = data.decode("cp949")
    except UnicodeDecodeError:
        return None
    wide = [c for c in text if ord(c) > 127 and not c.isspace()]
    hangul = [c for c in wide if "\uac00" <= c <= "\ud7a3"]
    if not wide or len(hangul) < 0.6 * len(wide):
        return None
    try:
        data.decode("euc_kr")
    except UnicodeDecodeError:
        return text, "CP949"
    return text, "EUC-KR"


def _sample(text: str, size: int = 8192) -> str:
    """The first lines holding letters beyond ASCII, about `size` characters of them: enough to tell the code pages
    apart, and a transcript of megabytes is judged in milliseconds."""
    taken, length = [], 0
    for line in text.split("\n"):
        if not line.isascii():
            taken.append(line)
            length += len(line)
            if length >= size:
                break
    return "\n".join(taken)


def _oddities(text: str) -> tuple[int, int, int]:
    """Count, in a decoded text, the characters that do not belong (foreign to the alphabets above, a capital after a
    lower-case letter, a Cyrillic letter in a word with Latin ones), its lower-case Cyrillic letters and all of them."""
    strange = sum(1 for c in text if ord(c) > 127 and c not in _EXPECTED)
    lower = cyrillic = 0
    for word in _WORD_RE.findall(text):
        letters = [c for c in word if "\u0400" <= c <= "\u04ff"]
        cyrillic += len(letters)
        lower += sum(c.islower() for c in letters)
        if letters and any(c.isascii() for c in word):
            strange += len(letters)
        strange += sum(a.islower() and b.isupper() for a, b in zip(word, word[1:], strict=False))
    return strange, lower, cyrillic
